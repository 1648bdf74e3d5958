//! The internal assessment, as a partnership manager answers it: from the overview to the
//! form, the drivers written down, then the partnership's awareness gate shows the item the
//! assessment met, linked back to the answer.

use super::*;
use crate::steps::sign_in;

/// Clicks the radio button with the element id `id`.
async fn choose_radio(page: &Page, id: &str) {
    let radio = page
        .wait_for_element(
            &format!("the radio button #{id}"),
            "var r = document.getElementById(arguments[0]); return r && r.type === 'radio' ? r : null;",
            vec![json!(id)],
        )
        .await;
    radio
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot choose #{id}: {e}"));
}

browser_journeys! {
    /// Acme's owner answers the drivers (and one team question) of the internal assessment;
    /// the awareness gate of acme's partnership with globex then shows its first item met by
    /// the assessment, with a link back to the answer, and the history says so.
    async fn an_owner_answers_the_internal_assessment_and_the_awareness_gate_is_met(app, browser) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let created = app
            .api_as(&acme)
            .post("/api/v1/orgs/acme/partnerships", json!({ "name": "Joint webinars", "partners": ["globex"] }))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);

        let owner = browser.session(&app.base_url).await;
        sign_in(&owner, "owner@acme.example").await;
        owner.open("/o/acme").await;
        owner.wait_for_heading("acme Inc.").await;
        owner.follow("Internal assessment").await;
        owner.wait_for_heading("Internal assessment").await;
        owner.wait_for_text("Not answered yet.").await;
        let feeds = owner.wait_for_text_of("main table.feeds").await;
        assert!(feeds.contains("Business objectives for partnering are written down") && feeds.contains("open"), "{feeds}");
        let legends = owner
            .js("return [...document.querySelectorAll('main fieldset.dimension > legend')].map(l => l.textContent.trim());", vec![])
            .await;
        assert_eq!(
            legends,
            json!(["Drivers for partnering", "Vision and values", "Strengths", "Weaknesses", "People, skills and collaborative maturity", "How your team works"]),
            "a fieldset per section"
        );

        owner.fill("Why do you want to partner?", "Reach mid-market retailers we cannot reach alone").await;
        choose_radio(&owner, "q-roles-clear").await;
        owner.press("Save the assessment").await;
        owner.wait_for_text("Version 1 saved: 1 of 6 sections complete. It met 1 gate item in your partnerships.").await;
        let progress = owner.wait_for_text_of("main #progress p.progress").await;
        assert!(progress.starts_with("1 of 6 sections complete"), "{progress}");
        let feeds = owner.wait_for_text_of("main table.feeds").await;
        assert!(feeds.contains("met by the internal assessment (acme Inc.)"), "{feeds}");
        let kept = owner
            .js("return [document.getElementById('q-drivers').value, document.getElementById('q-roles-clear').checked];", vec![])
            .await;
        assert_eq!(kept, json!(["Reach mid-market retailers we cannot reach alone", true]), "the form shows the latest answers");
        let versions = owner
            .js("return document.querySelectorAll('main table.versions tbody tr').length;", vec![])
            .await;
        assert_eq!(versions, json!(1));

        // The partnership's awareness gate: the item is met by the assessment and links to it.
        owner.follow("Joint webinars").await;
        owner.wait_for_heading("Joint webinars").await;
        let item = owner
            .wait_js(
                "the objectives item",
                "var li = [...document.querySelectorAll('main section.stage ul.gate li')].find(li => li.textContent.includes('Business objectives for partnering are written down')); return li ? li.innerText : null;",
                vec![],
            )
            .await;
        let item = item.as_str().unwrap_or_default();
        assert!(item.contains("met by the internal assessment (acme Inc.)"), "{item}");
        assert!(item.contains("fed by the internal assessment: Drivers for partnering"), "{item}");
        let pressed = owner
            .js("var b = [...document.querySelectorAll('main section.stage ul.gate button.tick')].find(b => b.textContent.trim() === 'Business objectives for partnering are written down'); return b ? b.getAttribute('aria-pressed') : null;", vec![])
            .await;
        assert_eq!(pressed, json!("true"), "the toggle shows it met");
        let blocked = owner.wait_for_text_of("main .blocked").await;
        assert!(blocked.contains("An executive sponsor is named") && !blocked.contains("Business objectives"), "{blocked}");
        let history = owner.wait_for_text_of("main table.history").await;
        assert!(
            history.contains("owner@acme.example (internal assessment)")
                && history.contains("Marked met at the Awareness gate: Business objectives for partnering are written down"),
            "{history}"
        );

        owner.follow("fed by the internal assessment: Drivers for partnering").await;
        owner.wait_for_path("/o/acme/internal-assessment").await;
        owner.wait_for_heading("Internal assessment").await;
        let hash = owner.js("return location.hash;", vec![]).await;
        assert_eq!(hash, json!("#section-drivers"));
    }
}
