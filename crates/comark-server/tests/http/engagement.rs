//! A partnership's engagement page in the web UI: roles, the RACI grid with its gaps, the
//! rules of engagement with their versions and approvals; read-only for those whose role does
//! not allow changes, and once the partnership exited.

use super::*;
use comark_testkit::{Browser, Reply};

/// Acme and globex (connected), a partnership between them, and each owner's browser.
struct Setup {
    id: String,
    acme: String,
    acme_browser: Browser,
    globex_browser: Browser,
}

async fn setup(app: &TestApp) -> Setup {
    let acme = app.owner_of("acme").await;
    let globex = app.owner_of("globex").await;
    app.connect(&acme, "acme", &globex, "globex").await;
    let created = app
        .api_as(&acme)
        .post(
            "/api/v1/orgs/acme/partnerships",
            json!({ "name": "Joint webinars", "partners": ["globex"] }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["partnership"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let acme_browser = app.browser();
    acme_browser.sign_in("owner@acme.example", PASSWORD).await;
    let globex_browser = app.browser();
    globex_browser
        .sign_in("owner@globex.example", PASSWORD)
        .await;
    Setup {
        id,
        acme,
        acme_browser,
        globex_browser,
    }
}

/// Follows a form's redirect and returns the page it leads to, with its flash message.
async fn after(browser: &Browser, reply: Reply) -> Reply {
    assert_eq!(reply.status, 303, "{}", reply.text);
    let location = reply.location().expect("a redirect").to_owned();
    browser.get(&location).await
}

/// The RACI grid as the page sends it: every row of ours, with `letters` for the named areas.
fn grid(page: &Reply, letters: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = page.text.as_str();
    while let Some(at) = rest.find(r#"type="hidden" name="area" value=""#) {
        rest = &rest[at + r#"type="hidden" name="area" value=""#.len()..];
        let area = rest[..rest.find('"').expect("end of the area")].replace("&amp;", "&");
        let typed = letters
            .iter()
            .find(|(a, _)| *a == area)
            .map_or("", |(_, l)| *l);
        fields.push(("area".to_owned(), area));
        fields.push(("letters".to_owned(), typed.to_owned()));
    }
    assert!(
        !fields.is_empty(),
        "the page has our RACI column: {}",
        page.text
    );
    fields
}

fn borrowed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

both_backends! {
    async fn the_engagement_page_names_roles_and_fills_the_raci(app) {
        let s = setup(&app).await;
        let page_path = format!("/o/acme/partnerships/{}/engagement", s.id);
        let detail = s.acme_browser.get(&format!("/o/acme/partnerships/{}", s.id)).await;
        assert!(detail.text.contains(&format!(r#"href="{page_path}""#)), "the partnership links to its engagement page");

        let page = s.acme_browser.get(&page_path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.text.contains("<h1>Roles, RACI and rules</h1>"), "{}", page.text);
        assert!(page.text.contains("Executive sponsor"));
        assert!(page.text.contains("Lead follow-up: nobody is accountable"), "the gaps are listed");
        assert!(page.text.contains("No rules of engagement written yet."));
        assert!(page.text.contains(r#"<label class="sr-only" for="raci-0">Our part in Joint planning</label>"#), "{}", page.text);

        // A standard role, then a role of our own.
        let named = s.acme_browser.submit(&format!("{page_path}/roles"), &[("role", "executive_sponsor"), ("person", "Ada Sponsor"), ("email", "ada@acme.example")]).await;
        let shown = after(&s.acme_browser, named).await;
        assert!(shown.text.contains("Ada Sponsor is our executive sponsor."), "{}", shown.text);
        assert!(shown.text.contains(r#"href="mailto:ada@acme.example""#));
        let custom = s.acme_browser.submit(&format!("{page_path}/roles"), &[("role", "other"), ("other_role", "Events lead"), ("person", "Gus")]).await;
        let shown = after(&s.acme_browser, custom).await;
        assert!(shown.text.contains("Gus is our events lead."), "{}", shown.text);
        assert!(shown.text.contains(r#"<th scope="row">Events lead</th>"#), "{}", shown.text);

        // A bad address is refused beside its field, keeping what was typed.
        let refused = s.acme_browser.submit(&format!("{page_path}/roles"), &[("role", "sales_lead"), ("person", "Sam Seller"), ("email", "not-an-address")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.text.contains("The role was not saved."), "{}", refused.text);
        assert!(refused.text.contains(r#"id="role-email-error""#), "{}", refused.text);
        assert!(refused.text.contains(r#"value="Sam Seller""#), "the person typed was kept");
        let nameless = s.acme_browser.submit(&format!("{page_path}/roles"), &[("role", "other"), ("other_role", ""), ("person", "Gus")]).await;
        assert_eq!(nameless.status, 422);
        assert!(nameless.text.contains(r#"id="role-other-error""#), "the missing role name shows beside its field: {}", nameless.text);

        // Clearing a role removes the person.
        let cleared = s.acme_browser.submit(&format!("{page_path}/roles"), &[("role", "events_lead"), ("person", "")]).await;
        let shown = after(&s.acme_browser, cleared).await;
        assert!(shown.text.contains("Cleared: Events lead."), "{}", shown.text);
        let api = app.api_as(&s.acme);
        let engagement = api.get(&format!("/api/v1/orgs/acme/partnerships/{}/engagement", s.id)).await;
        let roles: Vec<&str> = engagement.json["roles"].as_array().expect("roles").iter().map(|r| r["role"].as_str().expect("role")).collect();
        assert_eq!(roles, ["executive_sponsor"]);

        // The RACI grid: letters in any case, a row with a letter that is not R, A, C or I
        // refuses the whole form and saves nothing.
        let page = s.acme_browser.get(&page_path).await;
        let mut fields = grid(&page, &[("Lead follow-up", "ra"), ("Reporting", "RX")]);
        let wrong = s.acme_browser.submit(&format!("{page_path}/raci"), &borrowed(&fields)).await;
        assert_eq!(wrong.status, 422, "{}", wrong.text);
        assert!(wrong.text.contains(r#"id="raci-5-error""#), "the error is beside the Reporting row: {}", wrong.text);
        assert!(wrong.text.contains("use the letters R, A, C and I"));
        assert!(wrong.text.contains(r#"value="RX""#), "what was typed is kept");
        let engagement = api.get(&format!("/api/v1/orgs/acme/partnerships/{}/engagement", s.id)).await;
        assert!(engagement.json["raci"].as_array().expect("raci").is_empty(), "nothing was saved: {}", engagement.text);

        let orphan = s.acme_browser.submit(&format!("{page_path}/raci"), &[("new_area", ""), ("new_letters", "R")]).await;
        assert_eq!(orphan.status, 422);
        assert!(orphan.text.contains("name the area"), "{}", orphan.text);

        fields = grid(&page, &[("Lead follow-up", "ra"), ("Reporting", "c")]);
        fields.push(("new_area".into(), "Webinar hosting".into()));
        fields.push(("new_letters".into(), "RA".into()));
        let saved = s.acme_browser.submit(&format!("{page_path}/raci"), &borrowed(&fields)).await;
        let shown = after(&s.acme_browser, saved).await;
        assert!(shown.text.contains("RACI saved: 3 areas changed;"), "{}", shown.text);
        assert!(!shown.text.contains("Lead follow-up: nobody is accountable"), "the gap is closed");
        assert!(!shown.text.contains("Webinar hosting: nobody"), "the new area has its owner");
        assert!(shown.text.contains("Reporting: nobody is accountable"), "{}", shown.text);
        assert!(shown.text.contains(r#"<th scope="row">Webinar hosting</th>"#));
        let engagement = api.get(&format!("/api/v1/orgs/acme/partnerships/{}/engagement", s.id)).await;
        let ours: Vec<(String, String)> = engagement.json["raci"].as_array().expect("raci").iter()
            .map(|a| (a["area"].as_str().expect("area").to_owned(), a["letters"].as_str().expect("letters").to_owned()))
            .collect();
        assert_eq!(ours, [("Lead follow-up".to_owned(), "RA".to_owned()), ("Reporting".to_owned(), "C".to_owned()), ("Webinar hosting".to_owned(), "RA".to_owned())]);

        // Sent again as it is, nothing changes; the partner sees our letters, read-only.
        let fields = grid(&shown, &[("Lead follow-up", "RA"), ("Reporting", "C"), ("Webinar hosting", "RA")]);
        let again = s.acme_browser.submit(&format!("{page_path}/raci"), &borrowed(&fields)).await;
        let shown = after(&s.acme_browser, again).await;
        assert!(shown.text.contains("Nothing changed in the RACI."), "{}", shown.text);
        let theirs = s.globex_browser.get(&format!("/o/globex/partnerships/{}/engagement", s.id)).await;
        assert_eq!(theirs.status, 200);
        assert!(theirs.text.contains(r#"<abbr title="Responsible and accountable">RA</abbr>"#), "{}", theirs.text);
        assert!(theirs.text.contains("Ada Sponsor"));
        assert!(theirs.text.contains("globex Inc. (you)"));
    }

    async fn both_members_write_and_approve_the_rules_of_engagement(app) {
        let s = setup(&app).await;
        let ours = format!("/o/acme/partnerships/{}/engagement", s.id);
        let theirs = format!("/o/globex/partnerships/{}/engagement", s.id);

        // A time zone that is not one is refused beside its field, keeping the text typed.
        let refused = s.acme_browser.submit(&format!("{ours}/rules"), &[("rules.shared_accounts", "Acme leads on shared customers"), ("time_zone", "Berlin")]).await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(refused.text.contains(r#"id="rules-time-zone-error""#), "{}", refused.text);
        assert!(refused.text.contains("Acme leads on shared customers</textarea>"), "the rules typed are kept");

        let written = s.acme_browser.submit(&format!("{ours}/rules"), &[
            ("rules.shared_accounts", "Acme leads on shared customers"),
            ("rules.channels", "A shared Slack channel"),
            ("rules.brand_usage", ""),
            ("time_zone", "Europe/Berlin"),
        ]).await;
        let shown = after(&s.acme_browser, written).await;
        assert!(shown.text.contains("Version 1 of the rules is saved; the other members must approve it."), "{}", shown.text);
        assert!(shown.text.contains("Version 1 is not agreed yet: waiting for globex Inc.</p>"), "{}", shown.text);
        assert!(shown.text.contains("You approved version 1 on"), "the writer's approval counts");
        assert!(!shown.text.contains("Approve version 1"), "{}", shown.text);

        // The same rules again write no new version.
        let same = s.acme_browser.submit(&format!("{ours}/rules"), &[
            ("rules.shared_accounts", "Acme leads on shared customers "),
            ("rules.channels", "A shared Slack channel"),
            ("time_zone", ""),
        ]).await;
        let shown = after(&s.acme_browser, same).await;
        assert!(shown.text.contains("Nothing changed; the rules stay at version 1."), "{}", shown.text);

        // Globex reads them and approves the version it read: agreed by all.
        let page = s.globex_browser.get(&theirs).await;
        assert!(page.text.contains("A shared Slack channel"), "{}", page.text);
        assert!(page.text.contains("Europe/Berlin"));
        assert!(page.text.contains(r#"<input type="hidden" name="version" value="1">"#), "{}", page.text);
        assert!(page.text.contains("Approve version 1</button>"));
        let approved = s.globex_browser.submit(&format!("{theirs}/rules/approve"), &[("version", "1")]).await;
        let shown = after(&s.globex_browser, approved).await;
        assert!(shown.text.contains("You approved version 1: the rules are agreed by all members."), "{}", shown.text);
        assert!(shown.text.contains("Version 1 is agreed by all members."), "{}", shown.text);
        let page = s.acme_browser.get(&ours).await;
        assert!(page.text.contains("Version 1 is agreed by all members."));

        // Globex changes them: version 2 waits for acme; approving the old version is refused.
        let changed = s.globex_browser.submit(&format!("{theirs}/rules"), &[
            ("rules.shared_accounts", "Each side leads on its own customers"),
            ("time_zone", "America/New_York"),
        ]).await;
        let shown = after(&s.globex_browser, changed).await;
        assert!(shown.text.contains("Version 2 of the rules is saved"), "{}", shown.text);
        let stale = s.acme_browser.submit(&format!("{ours}/rules/approve"), &[("version", "1")]).await;
        assert_eq!(stale.status, 409, "{}", stale.text);
        assert!(stale.text.contains("The rules changed: version 2 is current, not 1; read them again"), "{}", stale.text);
        let page = s.acme_browser.get(&ours).await;
        assert!(page.text.contains("Version 2 is not agreed yet: waiting for acme Inc.</p>"), "{}", page.text);
        assert!(page.text.contains("America/New_York"));
        assert!(!page.text.contains("A shared Slack channel"), "version 2 replaced the rules");
        let fresh = s.acme_browser.submit(&format!("{ours}/rules/approve"), &[("version", "2")]).await;
        let shown = after(&s.acme_browser, fresh).await;
        assert!(shown.text.contains("Version 2 is agreed by all members."), "{}", shown.text);
        let engagement = app.api_as(&s.acme).get(&format!("/api/v1/orgs/acme/partnerships/{}/engagement", s.id)).await;
        assert_eq!((engagement.json["version"].as_i64(), engagement.json["agreed"].as_bool()), (Some(2), Some(true)));
    }

    async fn the_engagement_page_is_read_only_without_the_role_or_after_the_exit(app) {
        let s = setup(&app).await;
        let page_path = format!("/o/acme/partnerships/{}/engagement", s.id);
        let api = app.api_as(&s.acme);
        let base = format!("/api/v1/orgs/acme/partnerships/{}", s.id);
        api.put(&format!("{base}/roles/marketing_lead"), json!({ "person": "Mia Marketer" })).await;
        api.put(&format!("{base}/rules"), json!({ "rules": { "rhythm": "Monthly call" } })).await;
        let form_action = format!(r#"action="{page_path}/"#);

        // A marketer reads everything and changes nothing.
        let marketer = app.member_of(&s.acme, "acme", "marketer").await;
        let me = app.api_as(&marketer).get("/api/v1/me").await;
        let browser = app.browser();
        browser.sign_in(me.json["user"]["email"].as_str().expect("email"), PASSWORD).await;
        let page = browser.get(&page_path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.text.contains("Mia Marketer") && page.text.contains("Monthly call"));
        assert!(page.text.contains("Owners, admins and partner managers name the roles"), "{}", page.text);
        assert!(!page.text.contains(&form_action), "no forms for a marketer: {}", page.text);
        let refused = browser.submit(&format!("{page_path}/roles"), &[("role", "sales_lead"), ("person", "Sam")]).await;
        assert_eq!(refused.status, 403);

        // A stranger does not see the page at all.
        app.owner_of("initech").await;
        let stranger = app.browser();
        stranger.sign_in("owner@initech.example", PASSWORD).await;
        assert_eq!(stranger.get(&format!("/o/initech/partnerships/{}/engagement", s.id)).await.status, 404);

        // Once exited, the page is a record: no forms, and changes are refused.
        let exited = api.post(&format!("{base}/exit"), json!({ "review": "It ran its course." })).await;
        assert_eq!(exited.status, 200, "{}", exited.text);
        let page = s.acme_browser.get(&page_path).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("kept as a read-only record"), "{}", page.text);
        assert!(!page.text.contains(&form_action), "no forms once exited: {}", page.text);
        let late = s.acme_browser.submit(&format!("{page_path}/roles"), &[("role", "sales_lead"), ("person", "Sam")]).await;
        assert_eq!(late.status, 409, "{}", late.text);
        assert!(late.text.contains("The partnership has exited"), "{}", late.text);
    }
}
