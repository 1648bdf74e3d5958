//! Inbound partnership requests: a partner manager opens the public request form and sets the
//! vetting checklist; a connected organization's member sends a request as their
//! organization; the request is assigned, vetted item by item, accepted and turned into a
//! partnership. A script that fills in the hidden field gets the same thanks, and its request
//! lands with the spam.

use std::time::{Duration, Instant};

use super::*;
use crate::steps::sign_in;

/// How long the form must have been shown before it is sent, with a margin.
const FILL_TIME: Duration = Duration::from_millis(3500);

/// Adds `name` (`email`) to `handle` with `role`, through an invitation to their address.
async fn member(app: &TestApp, owner: &str, handle: &str, role: &str, name: &str, email: &str) {
    let token = app.sign_up(name, email).await;
    let invitation = app
        .api_as(owner)
        .post(
            &format!("/api/v1/orgs/{handle}/invitations"),
            json!({ "email": email, "role": role }),
        )
        .await;
    assert_eq!(invitation.status, 201, "{}", invitation.text);
    let link = app.invitation_link(&invitation, email).await;
    let secret = link
        .rsplit('/')
        .next()
        .expect("an invitation link")
        .to_owned();
    let accepted = app
        .api_as(&token)
        .post(&format!("/api/v1/invitations/{secret}/accept"), json!({}))
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
}

/// Saves the partner profile of `handle`, listed in the directory.
async fn listed_profile(app: &TestApp, token: &str, handle: &str, profile: serde_json::Value) {
    let saved = app
        .api_as(token)
        .put(&format!("/api/v1/orgs/{handle}/profile"), profile)
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
}

/// The text of each cell of the table rows matching `selector`.
async fn rows(page: &Page, selector: &str) -> serde_json::Value {
    page.wait_js(
        &format!("rows {selector:?}"),
        "var rows = [...document.querySelectorAll(arguments[0])]; return rows.length ? rows.map(r => [...r.cells].map(c => c.innerText.trim())) : null;",
        vec![json!(selector)],
    )
    .await
}

/// The current path.
async fn path(page: &Page) -> String {
    page.js("return location.pathname;", vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the form shown at `shown` may be sent.
async fn let_the_ticket_ripen(shown: Instant) {
    if let Some(rest) = FILL_TIME.checked_sub(shown.elapsed()) {
        tokio::time::sleep(rest).await;
    }
}

/// Fills in the request form's own fields (not who sends it).
async fn fill_request(page: &Page, company: &str, message: &str) {
    page.fill("Company", company).await;
    page.fill("Website", "example.com").await;
    page.choose("What you propose", "Co-promotion").await;
    page.fill("The audience you bring", "12,000 operations leaders")
        .await;
    page.fill(
        "What you would contribute",
        "A newsletter feature and a webinar slot",
    )
    .await;
    page.fill("Your proposal", message).await;
}

/// Keeps a picture of the page in `test-artifacts/screenshots/intake-<name>.png`.
async fn screenshot(page: &Page, name: &str) {
    let png = page.full_page_png().await;
    let path = harness::workspace_root()
        .join("test-artifacts/screenshots")
        .join(format!("intake-{name}.png"));
    let _ = harness::write_atomically(&path, &png);
}

browser_journeys! {
    /// Acme's partner manager opens the request form with a checklist; a partner manager of
    /// globex (connected, listed) sends a request as globex; acme's manager finds it in the
    /// queue with globex's fit, takes it, passes each check, accepts it and starts the
    /// partnership from it, with globex as a member.
    async fn vet_an_inbound_request_into_a_partnership(app, browser) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        listed_profile(app, &acme, "acme", json!({
            "kind": "technology", "offerings": ["crm software"], "industries": ["healthcare"],
            "regions": ["emea"], "values": ["privacy"], "offers": ["webinars"],
            "looking_for": ["content"], "seeks_kinds": ["agency"], "listed": true
        })).await;
        listed_profile(app, &globex, "globex", json!({
            "kind": "agency", "offerings": ["content marketing"], "industries": ["healthcare"],
            "regions": ["emea"], "values": ["privacy"], "offers": ["content", "events"],
            "looking_for": ["webinars"], "listed": true
        })).await;
        member(app, &acme, "acme", "partner_manager", "Pat Manager", "pat@acme.example").await;
        member(app, &globex, "globex", "partner_manager", "Gil Globex", "gil@globex.example").await;

        // Pat opens the form, from the empty queue, and sets the checklist.
        let pat = browser.session(&app.base_url).await;
        sign_in(&pat, "pat@acme.example").await;
        pat.open("/o/acme").await;
        let nav = pat
            .js("var a = document.querySelector('header nav a[href=\"/o/acme/requests\"]'); return a ? a.textContent.trim() : null;", vec![])
            .await;
        assert_eq!(nav, json!("Requests"), "the navigation links the queue");
        pat.open("/o/acme/requests").await;
        pat.wait_for_heading("Partnership requests").await;
        pat.wait_for_text("No requests yet.").await;
        pat.wait_for_text("Your request form is closed.").await;
        pat.follow("request form settings").await;
        pat.wait_for_heading("Request form").await;
        pat.wait_for_text("The form is closed").await;
        let open_box = pat
            .wait_for_element("the box that opens the form", "return document.getElementById('f-open');", vec![])
            .await;
        open_box.click().await.expect("tick the box");
        pat.fill("Introduction", "We partner with agencies that serve healthcare.").await;
        pat.fill("Vetting checklist", "Shared values\nAudience fit\nCapacity to deliver").await;
        pat.press("Save").await;
        pat.wait_for_text("Saved. The request form is open.").await;
        let link = pat
            .js("return document.getElementById('f-link').value;", vec![])
            .await;
        assert!(link.as_str().unwrap_or_default().ends_with("/r/acme"), "{link}");
        let checklist = pat
            .js("return document.getElementById('f-checklist').value;", vec![])
            .await;
        assert_eq!(checklist, json!("Shared values\nAudience fit\nCapacity to deliver"));

        // Gil, of globex, sends a request as globex.
        let gil = browser.session(&app.base_url).await;
        sign_in(&gil, "gil@globex.example").await;
        gil.open("/r/acme").await;
        gil.wait_for_heading("Propose a partnership to acme Inc.").await;
        let shown = Instant::now();
        gil.wait_for_text("We partner with agencies that serve healthcare.").await;
        let prefilled = gil
            .js("return [document.getElementById('f-name').value, document.getElementById('f-email').value];", vec![])
            .await;
        assert_eq!(prefilled, json!(["Gil Globex", "gil@globex.example"]), "a signed-in sender is known");
        gil.choose("Send as", "globex Inc. (@globex)").await;
        fill_request(&gil, "globex Inc.", "Let us promote your integration to our healthcare clients.").await;
        screenshot(&gil, "form").await;
        let_the_ticket_ripen(shown).await;
        gil.press("Send request").await;
        gil.wait_for_heading("Thank you").await;
        gil.wait_for_text("Your request reached acme Inc.").await;

        // Pat finds it in the queue, new and unassigned.
        pat.open("/o/acme/requests").await;
        pat.wait_for_heading("Partnership requests").await;
        let queue = rows(&pat, "main table.requests tbody tr").await;
        assert_eq!(queue.as_array().map(Vec::len), Some(1), "{queue}");
        assert_eq!(queue[0][0], json!("globex Inc. @globex"), "{queue}");
        assert_eq!(queue[0][1], json!("Gil Globex"), "{queue}");
        assert_eq!(queue[0][2], json!("Co-promotion"), "{queue}");
        assert_eq!(queue[0][3], json!("New"), "{queue}");
        assert_eq!(queue[0][4], json!("0 of 3 checked"), "{queue}");
        assert_eq!(queue[0][5], json!("Nobody"), "{queue}");
        assert_eq!(queue[0][6], json!("just now"), "{queue}");
        pat.follow("globex Inc.").await;
        pat.wait_for_heading("Request from globex Inc.").await;
        let request_path = path(&pat).await;
        assert!(request_path.starts_with("/o/acme/requests/"), "{request_path}");

        // Globex's fit, factor by factor, and the connection.
        let fit = pat.wait_for_text_of("main h3.fit-score").await;
        assert!(fit.starts_with("Fit with you: ") && fit.ends_with(" of 100"), "{fit}");
        let factors = rows(&pat, "main table.fit tbody tr").await;
        assert_eq!(factors[0][0], json!("Audience"), "{factors}");
        assert!(factors[0][3].as_str().unwrap_or_default().contains("healthcare"), "{factors}");
        pat.wait_for_text("Sent as globex Inc. @globex · Connected with you").await;

        // Pat takes it and passes each check.
        pat.choose("Assigned to", "Pat Manager (you)").await;
        pat.press("Assign").await;
        pat.wait_for_text("Assigned to you.").await;
        let state = pat.wait_for_text_of("main p.request-state").await;
        assert!(state.starts_with("Vetting") && state.contains("assigned to Pat Manager"), "{state}");
        pat.wait_for_text("0 of 3 passed").await;
        for (n, item) in ["Shared values", "Audience fit", "Capacity to deliver"].into_iter().enumerate() {
            pat.choose(&format!("Verdict on {item}"), "Pass").await;
            pat.fill(&format!("Note on {item}"), "Checked on their site").await;
            pat.press_in(&format!("#check-{n}"), "Save").await;
            pat.wait_for_text(&format!("{item}: pass.")).await;
        }
        let progress = pat.wait_for_text_of("main p.progress").await;
        assert_eq!(progress, "3 of 3 passed · 0 concerns · 0 failed · 0 pending");
        let verdicts = pat
            .js("return [...document.querySelectorAll('main ul.checks li .status')].map(s => s.textContent.trim());", vec![])
            .await;
        assert_eq!(verdicts, json!(["Pass", "Pass", "Pass"]));
        screenshot(&pat, "request").await;
        // The queue shows how far each request's vetting got.
        pat.open("/o/acme/requests").await;
        pat.wait_for_heading("Partnership requests").await;
        let queue = rows(&pat, "main table.requests tbody tr").await;
        assert_eq!(queue[0][4], json!("3 of 3 passed"), "{queue}");
        assert_eq!(queue[0][5], json!("Pat Manager"), "{queue}");
        pat.open(&request_path).await;
        pat.wait_for_heading("Request from globex Inc.").await;

        // Declining needs a note for the requester; accepting may have one. Then the
        // partnership starts from the request.
        pat.press("Decline").await;
        let refusal = pat.wait_for_text_of("main #f-decision-note-error").await;
        assert_eq!(refusal, "tell the requester why (it goes to them by e-mail)");
        let state = pat.wait_for_text_of("main p.request-state").await;
        assert!(state.starts_with("Vetting"), "the refusal changed nothing: {state}");
        pat.fill("Decision note", "Welcome aboard: let us plan the first webinar.").await;
        pat.press("Accept").await;
        pat.wait_for_text("Accepted. Gil Globex hears from you by e-mail").await;
        let state = pat.wait_for_text_of("main p.request-state").await;
        assert!(state.starts_with("Accepted"), "{state}");
        let partners = pat
            .js("return document.getElementById('f-partners').value;", vec![])
            .await;
        assert_eq!(partners, json!("globex"), "the requester is the partner by default");
        pat.fill("Name", "Healthcare newsletter swap").await;
        pat.press("Start partnership").await;
        pat.wait_for_heading("Healthcare newsletter swap").await;
        let partnership_path = path(&pat).await;
        assert!(partnership_path.starts_with("/o/acme/partnerships/"), "{partnership_path}");
        pat.wait_for_text("The partnership with globex Inc. has started").await;
        let members = pat.wait_for_text_of("main p.members").await;
        assert!(members.contains("acme Inc.") && members.contains("globex Inc."), "{members}");

        // The request links to it, and its history tells the story.
        pat.open(&request_path).await;
        pat.wait_for_heading("Request from globex Inc.").await;
        let linked = pat
            .js("var a = [...document.querySelectorAll('main a')].find(a => a.textContent.trim() === 'Open the partnership'); return a ? a.getAttribute('href') : null;", vec![])
            .await;
        assert_eq!(linked, json!(partnership_path));
        let history = pat.wait_for_text_of("main table.history").await;
        for step in [
            "Received: Co-promotion from globex Inc.",
            "Assigned to Pat Manager",
            "Checked Capacity to deliver: pass (Checked on their site)",
            "Accepted: Welcome aboard: let us plan the first webinar.",
            "Started the partnership \"Healthcare newsletter swap\"",
        ] {
            assert!(history.contains(step), "{step:?} not in the history:\n{history}");
        }

        // Gil sees, among the requests globex sent, that acme accepted, with acme's answer.
        gil.open("/o/globex/requests").await;
        gil.wait_for_text("Where the requests your organization sent to others stand.").await;
        let sent = gil.wait_for_text_of("main table.sent-requests tbody").await;
        assert!(sent.contains("acme Inc.") && sent.contains("Accepted"), "{sent}");
        assert!(sent.contains("Welcome aboard: let us plan the first webinar."), "{sent}");
    }

    /// A visitor's request and a script's (which fills in the hidden field) get the same
    /// thanks; the script's lands with the spam, not with the new requests.
    async fn a_filled_honeypot_is_thanked_and_filed_as_spam(app, browser) {
        let acme = app.owner_of("acme").await;
        let opened = app
            .api_as(&acme)
            .put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values"] }))
            .await;
        assert_eq!(opened.status, 200, "{}", opened.text);

        // A person, who does not see the hidden field.
        let person = browser.session(&app.base_url).await;
        person.open("/r/acme").await;
        person.wait_for_heading("Propose a partnership to acme Inc.").await;
        let shown = Instant::now();
        let trap = person
            .js("var t = document.querySelector('main input[name=homepage]'); var r = t.closest('.sr-only').getBoundingClientRect(); return [r.width <= 1 && r.height <= 1, t.tabIndex, t.autocomplete, document.querySelector('label[for=' + t.id + ']').textContent.trim()];", vec![])
            .await;
        assert_eq!(trap, json!([true, -1, "off", "Leave this empty"]), "the trap is out of sight and reach");
        person.fill("Your name", "Rita Real").await;
        person.fill("Your e-mail", "rita@brightlane.example").await;
        fill_request(&person, "Brightlane", "We would like to run a joint webinar.").await;
        let_the_ticket_ripen(shown).await;
        person.press("Send request").await;
        person.wait_for_heading("Thank you").await;
        let thanks = person.main_text().await;

        // A script, which fills in every field.
        let bot = browser.session(&app.base_url).await;
        bot.open("/r/acme").await;
        bot.wait_for_heading("Propose a partnership to acme Inc.").await;
        let shown = Instant::now();
        bot.fill("Your name", "Sam Script").await;
        bot.fill("Your e-mail", "sam@spammy.example").await;
        fill_request(&bot, "Spammy Ltd", "Cheap followers for your brand, guaranteed.").await;
        bot.js("document.querySelector('main input[name=homepage]').value = 'https://spammy.example';", vec![]).await;
        let_the_ticket_ripen(shown).await;
        bot.press("Send request").await;
        bot.wait_for_heading("Thank you").await;
        assert_eq!(bot.main_text().await, thanks, "a script is thanked like a person");

        // Acme's owner finds the person's request with the new ones, the script's with the spam.
        let owner = browser.session(&app.base_url).await;
        sign_in(&owner, "owner@acme.example").await;
        owner.open("/o/acme/requests?status=new").await;
        owner.wait_for_heading("Partnership requests").await;
        let new = rows(&owner, "main table.requests tbody tr").await;
        let companies: Vec<&str> = new.as_array().into_iter().flatten().filter_map(|r| r[0].as_str()).collect();
        assert_eq!(companies, vec!["Brightlane"], "{new}");
        let current = owner.wait_for_text_of("main nav.on-page a[aria-current=page]").await;
        assert_eq!(current, "New");
        owner.open("/o/acme/requests?status=spam").await;
        owner.wait_for_heading("Partnership requests").await;
        let spam = rows(&owner, "main table.requests tbody tr").await;
        assert_eq!(spam.as_array().map(Vec::len), Some(1), "{spam}");
        assert_eq!(spam[0][0], json!("Spammy Ltd"), "{spam}");
        assert_eq!(spam[0][3], json!("Spam"), "{spam}");
        owner.follow("Spammy Ltd").await;
        owner.wait_for_heading("Request from Spammy Ltd").await;
        owner.wait_for_text("Filed as spam: a field hidden from people was filled in.").await;
        owner.wait_for_text("Sam Script").await;
    }
}
