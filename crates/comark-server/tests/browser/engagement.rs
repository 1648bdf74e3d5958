//! A partnership's roles, RACI and rules of engagement, as two partner managers agree them:
//! each names its people, both fill in the RACI until a gap closes, one writes the rules and
//! the other approves them, and both see them agreed.

use super::*;
use crate::steps::sign_in;

/// Opens the `<details>` whose summary starts with `summary`, unless it is open already.
async fn open_details(page: &Page, summary: &str) {
    let element = page
        .wait_for_element(
            &format!("the summary {summary:?}"),
            "return [...document.querySelectorAll('main details > summary')].find(s => s.textContent.trim().startsWith(arguments[0]) && s.offsetParent !== null) || null;",
            vec![json!(summary)],
        )
        .await;
    let open = page
        .js(
            "return [...document.querySelectorAll('main details > summary')].find(s => s.textContent.trim().startsWith(arguments[0])).parentElement.open;",
            vec![json!(summary)],
        )
        .await;
    if open != json!(true) {
        element.click().await.expect("open the details");
    }
}

/// The gaps the RACI warns of (none when it shows none).
async fn gaps(page: &Page) -> Vec<String> {
    let found = page
        .wait_js(
            "the RACI's gaps or its all-clear",
            "var w = document.querySelector('main #raci-gaps'); if (w) { return [...w.querySelectorAll('li')].map(li => li.textContent.trim()); } return document.querySelector('main #raci-complete') ? [] : null;",
            vec![],
        )
        .await;
    found
        .as_array()
        .map(|gaps| {
            gaps.iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The cells of the table row of `table` whose heading reads `row`.
async fn row(page: &Page, table: &str, row: &str) -> serde_json::Value {
    page.wait_js(
        &format!("the row {row:?} of {table:?}"),
        "var r = [...document.querySelectorAll(arguments[0] + ' tbody tr')].find(r => r.cells[0].textContent.trim() === arguments[1]); return r ? [...r.cells].map(c => c.innerText.trim()) : null;",
        vec![json!(table), json!(row)],
    )
    .await
}

browser_journeys! {
    /// Northwind and contoso each name people for their roles, fill in the RACI until the
    /// lead follow-up has one owner, and agree the rules of engagement northwind wrote.
    async fn partners_agree_roles_raci_and_rules_of_engagement(app, browser) {
        let north_token = app.owner_of("northwind").await;
        let south_token = app.owner_of("contoso").await;
        app.connect(&north_token, "northwind", &south_token, "contoso").await;
        let created = app
            .api_as(&north_token)
            .post("/api/v1/orgs/northwind/partnerships", json!({ "name": "Joint webinars", "partners": ["contoso"] }))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();

        // Northwind finds the page from the partnership's and names its executive sponsor.
        let north = browser.session(&app.base_url).await;
        sign_in(&north, "owner@northwind.example").await;
        north.open(&format!("/o/northwind/partnerships/{id}")).await;
        north.wait_for_heading("Joint webinars").await;
        north.follow("Roles, RACI and rules of engagement").await;
        north.wait_for_heading("Roles, RACI and rules").await;
        north.wait_for_path(&format!("/o/northwind/partnerships/{id}/engagement")).await;
        north.wait_for_text("No rules of engagement written yet.").await;
        open_details(&north, "Name a person for a role").await;
        north.choose("Role", "Executive sponsor").await;
        north.fill("Person", "Nora North").await;
        north.fill("E-mail", "nora@northwind.example").await;
        north.press("Save role").await;
        north.wait_for_text("Nora North is our executive sponsor.").await;
        let sponsor = row(&north, "main table.roles", "Executive sponsor").await;
        let ours = sponsor[1].as_str().unwrap_or_default();
        assert!(ours.starts_with("Nora North") && ours.contains("nora@northwind.example"), "{sponsor}");
        assert!(ours.contains("Clear"), "ours can be cleared: {sponsor}");
        assert_eq!(sponsor[2], json!("Not named"), "{sponsor}");

        // Every area starts without an owner; northwind takes the lead follow-up.
        let before = gaps(&north).await;
        assert!(before.contains(&"Lead follow-up: nobody is accountable".to_owned()), "{before:?}");
        assert!(before.contains(&"Lead follow-up: nobody is responsible for the work".to_owned()), "{before:?}");
        north.fill("Our part in Lead follow-up", "RA").await;
        north.fill("Our part in Reporting", "RX").await;
        north.press("Save RACI").await;
        let error = north.wait_for_text_of("main #raci-5-error").await;
        assert_eq!(error, "use the letters R, A, C and I");
        assert!(gaps(&north).await.contains(&"Lead follow-up: nobody is accountable".to_owned()), "nothing was saved");
        north.fill("Our part in Reporting", "").await;
        north.press("Save RACI").await;
        north.wait_for_text("RACI saved: 1 area changed;").await;
        let after = gaps(&north).await;
        assert!(!after.iter().any(|g| g.starts_with("Lead follow-up")), "{after:?}");

        // Contoso names a role of its own, and claims the lead follow-up too: two owners.
        let south = browser.session(&app.base_url).await;
        sign_in(&south, "owner@contoso.example").await;
        south.open(&format!("/o/contoso/partnerships/{id}/engagement")).await;
        south.wait_for_heading("Roles, RACI and rules").await;
        let sponsor = row(&south, "main table.roles", "Executive sponsor").await;
        assert_eq!(sponsor[1], json!("Nora North nora@northwind.example"), "the partner's people, read-only: {sponsor}");
        open_details(&south, "Name a person for a role").await;
        south.choose("Role", "Another role (name it below)").await;
        south.fill("Other role", "Events lead").await;
        south.fill("Person", "Carl Contoso").await;
        south.press("Save role").await;
        south.wait_for_text("Carl Contoso is our events lead.").await;
        let events = row(&south, "main table.roles", "Events lead").await;
        let theirs = events[2].as_str().unwrap_or_default();
        assert!(theirs.starts_with("Carl Contoso"), "{events}");
        let follow_up = row(&south, "main table.raci", "Lead follow-up").await;
        assert_eq!(follow_up[1], json!("RA"), "{follow_up}");
        south.fill("Our part in Lead follow-up", "a").await;
        south.press("Save RACI").await;
        south.wait_for_text("RACI saved: 1 area changed;").await;
        let doubled = gaps(&south).await;
        assert!(
            doubled.contains(&"Lead follow-up: northwind Inc. and contoso Inc. are all accountable; one side should own it".to_owned()),
            "{doubled:?}"
        );
        // Contoso steps back to being informed: the gap closes (the message reads as before,
        // so wait for the gap itself to go).
        south.fill("Our part in Lead follow-up", "I").await;
        south.press("Save RACI").await;
        south
            .wait_js(
                "the lead follow-up's gap to close",
                "var w = document.querySelector('main #raci-gaps'); return !!document.querySelector('main div.flash') && (!w || ![...w.querySelectorAll('li')].some(li => li.textContent.trim().startsWith('Lead follow-up')));",
                vec![],
            )
            .await;
        let follow_up = row(&south, "main table.raci", "Lead follow-up").await;
        assert_eq!(follow_up[1], json!("RA"), "{follow_up}");
        let ours = south
            .js("return document.querySelector('main input[name=letters][id=raci-3]').value;", vec![])
            .await;
        assert_eq!(ours, json!("I"), "our letters as saved");

        // Northwind writes the rules; a time zone that is not one is refused beside its field.
        north.open(&format!("/o/northwind/partnerships/{id}/engagement")).await;
        north.wait_for_heading("Roles, RACI and rules").await;
        open_details(&north, "Write the rules").await;
        north.fill("Shared accounts", "Northwind leads on shared customers; contoso is consulted.").await;
        north.fill("Channels", "A shared Slack channel").await;
        north.fill("Our team's time zone", "Berlin").await;
        north.press("Save rules").await;
        let error = north.wait_for_text_of("main #rules-time-zone-error").await;
        assert_eq!(error, "use a time zone name such as Europe/Berlin or UTC");
        let kept = north.js("return document.getElementById('rules-channels').value;", vec![]).await;
        assert_eq!(kept, json!("A shared Slack channel"), "what was typed is kept");
        north.fill("Our team's time zone", "Europe/Berlin").await;
        north.press("Save rules").await;
        north.wait_for_text("Version 1 of the rules is saved; the other members must approve it.").await;
        let waiting = north.wait_for_text_of("main #rules-waiting").await;
        assert_eq!(waiting, "Version 1 is not agreed yet: waiting for contoso Inc.");
        north.wait_for_text("You approved version 1 on").await;

        // Contoso reads them and approves: agreed by all.
        south.open(&format!("/o/contoso/partnerships/{id}/engagement")).await;
        south.wait_for_heading("Roles, RACI and rules").await;
        let rules = south.wait_for_text_of("main dl.rules").await;
        assert!(rules.contains("Northwind leads on shared customers; contoso is consulted."), "{rules}");
        let zones = south.wait_for_text_of("main dl.time-zones").await;
        assert!(zones.contains("Europe/Berlin"), "{zones}");
        south.press("Approve version 1").await;
        south.wait_for_text("You approved version 1: the rules are agreed by all members.").await;
        let agreed = south.wait_for_text_of("main #rules-agreed").await;
        assert_eq!(agreed, "Version 1 is agreed by all members.");
        north.open(&format!("/o/northwind/partnerships/{id}/engagement")).await;
        north.wait_for_heading("Roles, RACI and rules").await;
        let agreed = north.wait_for_text_of("main #rules-agreed").await;
        assert_eq!(agreed, "Version 1 is agreed by all members.");
        let approvals = north.wait_for_text_of("main p.approvals").await;
        assert!(approvals.contains("northwind Inc. on ") && approvals.contains("contoso Inc. on "), "{approvals}");
    }
}
