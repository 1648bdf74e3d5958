//! Partnerships, as partner managers see them: starting one with a connected partner, meeting
//! each stage's gate, moving on alone through the groundwork and together from partner
//! selection on; measuring it (goals, contributions, health), keeping its risk register, and
//! ending it by the agreed exit strategy.

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

/// Clicks the visible button whose accessible name (`aria-label`) is `name`.
async fn press_named(page: &Page, name: &str) {
    let button = page
        .wait_for_element(
            &format!("a button named {name:?}"),
            "return [...document.querySelectorAll('main button[aria-label]')].find(b => b.getAttribute('aria-label') === arguments[0] && b.offsetParent !== null) || null;",
            vec![json!(name)],
        )
        .await;
    button.click().await.expect("press the named button");
}

/// Ticks the box with the element id `id`.
async fn tick(page: &Page, id: &str) {
    let element = page
        .wait_for_element(
            &format!("the box #{id}"),
            "var b = document.getElementById(arguments[0]); return b && b.offsetParent !== null ? b : null;",
            vec![json!(id)],
        )
        .await;
    element.click().await.expect("tick the box");
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

/// Starts a partnership named `name` with `partner` from the list page, and returns its id.
async fn start_partnership(page: &Page, org: &str, name: &str, partner: &str) -> String {
    page.open(&format!("/o/{org}/partnerships")).await;
    page.wait_for_heading("Partnerships").await;
    page.fill("Name", name).await;
    let partner_box = page
        .wait_for_element(
            "the partner's box",
            "return document.querySelector('main input[type=checkbox][name=partners][value=' + arguments[0] + ']');",
            vec![json!(partner)],
        )
        .await;
    partner_box.click().await.expect("tick the partner");
    page.press("Start partnership").await;
    page.wait_for_heading(name).await;
    let path = page
        .js("return location.pathname;", vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    path.strip_prefix(&format!("/o/{org}/partnerships/"))
        .unwrap_or_else(|| panic!("the partnership's page, not {path}"))
        .to_owned()
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

    /// Northwind and contoso measure a partnership: a goal with a reading and its status, each
    /// side's commitments and deliveries. Northwind agrees an exit strategy whose contribution
    /// trigger fires on contoso's 20%, adds a suggested risk and closes it, then gives notice of
    /// exit, which takes effect when the notice has run: both see the partnership as a read-only record with the closing review.
    async fn partners_measure_a_partnership_and_exit_it(app, browser) {
        let north_token = app.owner_of("northwind").await;
        let south_token = app.owner_of("contoso").await;
        app.connect(&north_token, "northwind", &south_token, "contoso").await;
        let north = browser.session(&app.base_url).await;
        sign_in(&north, "owner@northwind.example").await;
        let id = start_partnership(&north, "northwind", "Spring webinars", "contoso").await;
        let page = |org: &str| format!("/o/{org}/partnerships/{id}");
        north.wait_for_text("No shared goals yet.").await;
        north.wait_for_text("No exit strategy agreed yet.").await;
        north.wait_for_text("The risk register is empty.").await;

        // A goal without its metric is refused beside the field, keeping what was typed.
        open_details(&north, "Add a goal").await;
        north.fill("Target", "100").await;
        north.press("Add goal").await;
        let error = north.wait_for_text_of("main #add-goal .error").await;
        assert_eq!(error, "must be between 1 and 200 characters");
        let kept = north.js("return document.getElementById('goal-target').value;", vec![]).await;
        assert_eq!(kept, json!("100"), "the target typed is kept");
        let summary = north.wait_for_text_of("main .alert[role=alert]").await;
        assert!(summary.starts_with("The goal was not added."), "{summary}");

        // Added, it starts today, so a first reading keeps it on track.
        north.fill("What is measured", "Webinar registrations").await;
        north.fill("Unit", "registrations").await;
        north.press("Add goal").await;
        north.wait_for_text("Goal added.").await;
        open_details(&north, "Readings of “Webinar registrations”").await;
        north.fill("Value reached", "30").await;
        north.fill("Reading note", "first webinar").await;
        north.press("Record reading").await;
        north.wait_for_text("Reading recorded.").await;
        let goals = rows(&north, "main table.goals tbody tr").await;
        assert_eq!(goals[0][0], json!("Webinar registrations"), "{goals}");
        assert_eq!(goals[0][1], json!("100 registrations"), "{goals}");
        assert_eq!(goals[0][3], json!("northwind Inc."), "{goals}");
        assert_eq!(goals[0][4], json!("30 registrations"), "{goals}");
        assert_eq!(goals[0][5], json!("On track"), "{goals}");
        let status = north
            .js("return document.querySelector('main table.goals .status').className;", vec![])
            .await;
        assert_eq!(status, json!("status on-track"));

        // Northwind commits two events and delivers both.
        open_details(&north, "Set our commitment").await;
        north.choose("What we commit", "Events").await;
        north.fill("Amount committed", "2").await;
        north.press("Save commitment").await;
        north.wait_for_text("Commitment saved.").await;
        open_details(&north, "Record a delivery").await;
        north.choose("What we delivered", "Events").await;
        north.fill("Amount delivered", "2").await;
        north.press("Record delivery").await;
        north.wait_for_text("Delivery recorded.").await;
        north.wait_for_text("northwind Inc. (you) · delivered 100% of its commitments").await;

        // Contoso commits ten leads and delivers two.
        let south = browser.session(&app.base_url).await;
        sign_in(&south, "owner@contoso.example").await;
        south.open(&page("contoso")).await;
        south.wait_for_heading("Spring webinars").await;
        open_details(&south, "Set our commitment").await;
        south.choose("What we commit", "Leads").await;
        south.fill("Amount committed", "10").await;
        south.press("Save commitment").await;
        south.wait_for_text("Commitment saved.").await;
        open_details(&south, "Record a delivery").await;
        south.choose("What we delivered", "Leads").await;
        south.fill("Amount delivered", "2").await;
        south.press("Record delivery").await;
        south.wait_for_text("Delivery recorded.").await;
        south.wait_for_text("contoso Inc. (you) · delivered 20% of its commitments").await;
        // Each member's table: northwind's events, contoso's leads (the viewer's side may come first).
        let sides = rows(&south, "main table.contributions tbody tr").await;
        let sides = sides.as_array().cloned().unwrap_or_default();
        assert_eq!(sides.len(), 2, "{sides:?}");
        assert!(sides.contains(&json!(["Events", "2", "2", "100%"])), "{sides:?}");
        assert!(sides.contains(&json!(["Leads", "10", "2", "20%"])), "{sides:?}");

        // Northwind agrees an exit strategy: a member delivering under half fires it.
        north.open(&page("northwind")).await;
        north.wait_for_heading("Spring webinars").await;
        open_details(&north, "Agree an exit strategy").await;
        let percent = north.js("return document.getElementById('exit-percent').value;", vec![]).await;
        assert_eq!(percent, json!("50"), "the contribution trigger defaults to 50%");
        tick(&north, "exit-contribution").await;
        north.fill("Shared leads", "Each side keeps the leads it sourced").await;
        north.press("Agree exit strategy").await;
        north.wait_for_text("Exit strategy agreed.").await;
        let warning = north.wait_for_text_of("main #fired-triggers").await;
        assert!(
            warning.contains("contoso Inc. delivered 20% of its commitment (the trigger is 50%)"),
            "{warning}"
        );
        let strategy = north.wait_for_text_of("main dl.strategy").await;
        assert!(strategy.contains("A member delivers less than 50% of its commitment"), "{strategy}");
        assert!(strategy.contains("Each side keeps the leads it sourced"), "{strategy}");
        let score = north.wait_for_text_of("main .health-score .number").await;
        assert_eq!(score, "68", "goals on track, contoso at 20%, active today");
        screenshot(&north, "measured").await;

        // A suggested risk is added with one press, then closed.
        press_named(&north, "Add “Brand misalignment”").await;
        north.wait_for_text("Risk added.").await;
        let risks = rows(&north, "main table.risks tbody tr").await;
        assert_eq!(risks[0][0], json!("Brand misalignment"), "{risks}");
        assert_eq!(risks[0][1], json!("Medium"), "{risks}");
        assert_eq!(risks[0][3], json!("4"), "{risks}");
        let suggested = north.wait_for_text_of("main ul.suggested").await;
        assert!(!suggested.contains("Brand misalignment"), "{suggested}");
        press_named(&north, "Close “Brand misalignment”").await;
        north.wait_for_text("Risk closed.").await;
        let closed = north
            .js("return document.querySelector('main table.risks tbody tr').className;", vec![])
            .await;
        assert_eq!(closed, json!("closed"));

        // Northwind gives notice with a closing review: 30 days, as agreed; both sides see the
        // notice while the partnership goes on.
        open_details(&north, "Give notice of exit").await;
        north.wait_for_text("As the exit strategy says, account sharing between the members stops at once.").await;
        north.fill("Closing review", "Registrations came in, but leads fell short.").await;
        north.press("Give notice of exit").await;
        north.wait_for_text("Notice of exit given; the exit takes effect on").await;
        south.open(&page("contoso")).await;
        south.wait_for_heading("Spring webinars").await;
        let notice = south.wait_for_text_of("main section.notice h2").await;
        assert!(notice.starts_with("Notice of exit: the exit takes effect on "), "{notice}");
        assert_ne!(current_stage(&south).await, "Exit");

        // comark's watcher completes the exit once the notice has run.
        let due = comark_app::exit::watch(&app.app, chrono::Utc::now() + chrono::Duration::days(31))
            .await
            .expect("watch");
        assert_eq!(due.exits, 1);
        north.open(&page("northwind")).await;
        south.open(&page("contoso")).await;
        for side in [&north, &south] {
            let exited = side.wait_for_text_of("main section.exited h2").await;
            assert!(exited.starts_with("Exited on "), "{exited}");
            let review = side.wait_for_text_of("main section.exited blockquote").await;
            assert_eq!(review, "Registrations came in, but leads fell short.");
            assert_eq!(current_stage(side).await, "Exit");
            let forms = side.js("return document.querySelectorAll('main form').length;", vec![]).await;
            assert_eq!(forms, json!(0), "an exited partnership is a record: no forms");
            let history = history(side).await;
            assert!(history.contains("Ran the exit: Awareness → Exit. Closing review: Registrations came in"), "{history}");
            assert!(history.contains("Notice of exit given; the exit takes effect on"), "{history}");
        }
        screenshot(&south, "exited").await;
    }
}
