//! Partnerships, as partner managers see them: starting one with a connected partner, meeting
//! each stage's gate, moving on alone through the groundwork and together from partner
//! selection on.

use super::*;
use crate::steps::sign_in;

/// The stage the lifecycle marks current (`aria-current="step"`), once the page shows one.
async fn current_stage(page: &Page) -> String {
    page.wait_for_text_of("main ol.lifecycle li[aria-current=step]")
        .await
}

/// Waits until the lifecycle marks `stage` current.
async fn wait_for_stage(page: &Page, stage: &str) {
    page.wait_js(
        &format!("the lifecycle at {stage:?}"),
        "var li = document.querySelector('main ol.lifecycle li[aria-current=step]'); return !!li && li.textContent.trim() === arguments[0];",
        vec![json!(stage)],
    )
    .await;
}

/// Marks the evidence reading `text` met, with its checkbox-like toggle.
async fn meet(page: &Page, text: &str) {
    page.press(text).await;
    page.wait_for_text(&format!("Marked met: {text}.")).await;
    let pressed = page
        .js(
            "var b = [...document.querySelectorAll('main ul.gate button.tick')].find(b => b.textContent.trim() === arguments[0]); return b ? b.getAttribute('aria-pressed') : null;",
            vec![json!(text)],
        )
        .await;
    assert_eq!(pressed, json!("true"), "{text:?} shows as met");
}

/// The text of the history table.
async fn history(page: &Page) -> String {
    page.wait_for_text_of("main table.history").await
}

/// The sentence about approvals of leaving a joint stage.
async fn approvals(page: &Page) -> String {
    page.wait_for_text_of("main p.approvals").await
}

/// Keeps a picture of the page in `test-artifacts/screenshots/partnerships-<name>.png`.
async fn screenshot(page: &Page, name: &str) {
    let png = page.full_page_png().await;
    let path = harness::workspace_root()
        .join("test-artifacts/screenshots")
        .join(format!("partnerships-{name}.png"));
    let _ = harness::write_atomically(&path, &png);
}

browser_journeys! {
    /// Northwind starts a partnership with contoso, meets the groundwork gates and moves
    /// through them alone; at partner selection it approves and waits; contoso approves and
    /// the partnership is at Working together for both. Moving on with open evidence is
    /// refused with the open item named.
    async fn partners_take_a_partnership_through_its_lifecycle(app, browser) {
        let north_token = app.owner_of("northwind").await;
        let south_token = app.owner_of("contoso").await;
        app.connect(&north_token, "northwind", &south_token, "contoso").await;
        let north = browser.session(&app.base_url).await;
        sign_in(&north, "owner@northwind.example").await;

        // Northwind starts the partnership in the browser.
        north.open("/o/northwind/partnerships").await;
        north.wait_for_heading("Partnerships").await;
        north.wait_for_text("No partnerships yet.").await;
        north.fill("Name", "Joint webinars").await;
        north.fill("Purpose", "Two webinars a quarter for mid-market retailers").await;
        let partner = north
            .wait_for_element(
                "the box for contoso",
                "return document.querySelector('main input[type=checkbox][name=partners][value=contoso]');",
                vec![],
            )
            .await;
        partner.click().await.expect("tick contoso");
        north.press("Start partnership").await;
        north.wait_for_heading("Joint webinars").await;
        north.wait_for_text("Joint webinars has started, at Awareness.").await;
        let path = north
            .js("return location.pathname;", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let id = path
            .strip_prefix("/o/northwind/partnerships/")
            .unwrap_or_else(|| panic!("the partnership's page, not {path}"))
            .to_owned();
        assert_eq!(current_stage(&north).await, "Awareness");
        let members = north.wait_for_text_of("main p.members").await;
        assert!(members.contains("northwind Inc.") && members.contains("contoso Inc."), "{members}");

        // With one item open, moving on is refused and the open item is named.
        meet(&north, "Business objectives for partnering are written down").await;
        let blocked = north.wait_for_text_of("main .blocked").await;
        assert!(blocked.contains("An executive sponsor is named"), "{blocked}");
        assert!(!blocked.contains("Business objectives"), "{blocked}");
        let disabled = north
            .js(
                "var b = [...document.querySelectorAll('main button')].find(b => b.textContent.trim() === 'Move to Knowledge'); return b ? b.getAttribute('aria-disabled') : null;",
                vec![],
            )
            .await;
        assert_eq!(disabled, json!("true"), "the button looks disabled while the gate is open");
        north.press("Move to Knowledge").await;
        let refusal = north.wait_for_text_of("main .alert[role=alert]").await;
        assert_eq!(refusal, "The gate is not met: An executive sponsor is named");
        assert_eq!(current_stage(&north).await, "Awareness", "the refusal changed nothing");

        // The groundwork: northwind meets each gate and moves on alone.
        meet(&north, "An executive sponsor is named").await;
        north.fill("Reason", "objectives agreed with the board").await;
        north.press("Move to Knowledge").await;
        north.wait_for_text("Moved to Knowledge.").await;
        wait_for_stage(&north, "Knowledge").await;
        let done = north
            .js("return [...document.querySelectorAll('main ol.lifecycle li.done')].map(li => li.textContent.trim());", vec![])
            .await;
        assert_eq!(done, json!(["Awareness (done)"]), "the passed stage is marked done");

        meet(&north, "The value the partnership could create is estimated").await;
        meet(&north, "The risks of partnering are identified").await;
        north.press("Move to Internal assessment").await;
        north.wait_for_text("Moved to Internal assessment.").await;
        wait_for_stage(&north, "Internal assessment").await;

        meet(&north, "The internal assessment of collaborative capability is done").await;
        meet(&north, "A partnership manager is named").await;
        north.press("Move to Partner selection").await;
        north.wait_for_text("Moved to Partner selection.").await;
        wait_for_stage(&north, "Partner selection").await;

        // Partner selection is joint: northwind's approval waits for contoso's.
        let sentence = approvals(&north).await;
        assert_eq!(sentence, "No approvals yet; waiting for northwind Inc. and contoso Inc.");
        meet(&north, "The partner's fit is reviewed").await;
        meet(&north, "Joint objectives are signed off by both sides").await;
        north.press("Approve moving to Working together").await;
        north.wait_for_text("Your approval is recorded: 1 of 2.").await;
        wait_for_stage(&north, "Partner selection").await;
        let sentence = approvals(&north).await;
        assert!(sentence.starts_with("northwind Inc. approved on "), "{sentence}");
        assert!(sentence.ends_with("; waiting for contoso Inc."), "{sentence}");
        north.wait_for_text("You approved moving to Working together on").await;
        screenshot(&north, "waiting").await;

        // Contoso signs in, finds the partnership at partner selection and approves.
        let south = browser.session(&app.base_url).await;
        sign_in(&south, "owner@contoso.example").await;
        south.open("/o/contoso/partnerships").await;
        south.wait_for_heading("Partnerships").await;
        let row = south
            .wait_js(
                "the partnership in the list",
                "var r = [...document.querySelectorAll('main table.partnerships tbody tr')].find(r => r.cells[0].textContent.trim() === 'Joint webinars'); return r ? [...r.cells].map(c => c.textContent.trim()) : null;",
                vec![],
            )
            .await;
        assert_eq!(row[1], json!("northwind Inc. and contoso Inc."), "{row}");
        assert_eq!(row[2], json!("Partner selection (4 of 8)"), "{row}");
        screenshot(&south, "list").await;
        south.follow("Joint webinars").await;
        south.wait_for_heading("Joint webinars").await;
        south.wait_for_path(&format!("/o/contoso/partnerships/{id}")).await;
        assert_eq!(current_stage(&south).await, "Partner selection");
        let sentence = approvals(&south).await;
        assert!(sentence.starts_with("northwind Inc. approved on "), "{sentence}");
        assert!(sentence.ends_with("; waiting for contoso Inc."), "{sentence}");
        south.fill("Reason", "objectives signed").await;
        south.press("Approve moving to Working together").await;
        south.wait_for_text("Moved to Working together.").await;
        wait_for_stage(&south, "Working together").await;

        // Both see it at Working together, and both histories list the moves.
        north.open(&format!("/o/northwind/partnerships/{id}")).await;
        north.wait_for_heading("Joint webinars").await;
        wait_for_stage(&north, "Working together").await;
        for page in [&north, &south] {
            let history = history(page).await;
            for line in [
                "Moved on: Awareness → Knowledge: objectives agreed with the board",
                "Moved on: Knowledge → Internal assessment",
                "Moved on: Internal assessment → Partner selection",
                "Approved leaving Partner selection (1 of 2)",
                "Moved on: Partner selection → Working together: objectives signed",
                "Started the partnership",
            ] {
                assert!(history.contains(line), "{line:?} in the history:\n{history}");
            }
            assert!(history.contains("contoso Inc.") && history.contains("northwind Inc."), "{history}");
            // Newest first: the last move heads the list.
            let first = page
                .js("return document.querySelector('main table.history tbody tr').cells[3].textContent.trim();", vec![])
                .await;
            assert_eq!(first, json!("Moved on: Partner selection → Working together: objectives signed"));
        }
        screenshot(&north, "working-together").await;

        // Moving on from Working together with its evidence open is refused, naming it.
        meet(&north, "Rules of engagement are agreed").await;
        north.press("Approve moving to Value creation").await;
        let refusal = north.wait_for_text_of("main .alert[role=alert]").await;
        assert!(refusal.starts_with("The gate is not met: "), "{refusal}");
        assert!(refusal.contains("Roles and responsibilities (RACI) are agreed"), "{refusal}");
        assert!(refusal.contains("The exit strategy and disengagement triggers are agreed"), "{refusal}");
        assert!(!refusal.contains("Rules of engagement"), "met evidence is not named: {refusal}");
        assert_eq!(current_stage(&north).await, "Working together");
        let sentence = approvals(&north).await;
        assert_eq!(sentence, "No approvals yet; waiting for northwind Inc. and contoso Inc.", "nothing was approved");
    }
}
