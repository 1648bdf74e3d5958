//! The co-marketing maturity assessment, as an owner answers it and a marketer reads it:
//! the matrix as a form, the chart comparing two answers, the next steps and the history.

use serde_json::Value;

use super::*;
use crate::steps::sign_in;

/// The dimensions' names as the page shows them, in the matrix's order.
const DIMENSIONS: [&str; 6] = [
    "Strategy & ICP",
    "Value proposition",
    "Programs & plays",
    "Journeys & handoffs",
    "Data & measurement",
    "Governance & rhythm",
];

/// Picks, in the fieldset whose legend reads `dimension`, the radio button labelled with the
/// level `level` (and its criteria), as a person picks the description that fits.
async fn pick(page: &Page, dimension: &str, level: &str) {
    let radio = page
        .wait_for_element(
            &format!("the choice {level:?} for {dimension:?}"),
            r#"
            const set = [...document.querySelectorAll('main fieldset')]
                .find(f => f.querySelector('legend')?.textContent.trim() === arguments[0]);
            if (!set) { return null; }
            const label = [...set.querySelectorAll('label')]
                .find(l => l.querySelector('strong')?.textContent.trim() === arguments[1]);
            const radio = label && document.getElementById(label.htmlFor);
            return radio && radio.type === 'radio' ? radio : null;
            "#,
            vec![json!(dimension), json!(level)],
        )
        .await;
    radio
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot choose {level:?} for {dimension:?}: {e}"));
}

/// The level names checked in the form, dimension by dimension.
async fn checked(page: &Page) -> Value {
    page.js(
        "return [...document.querySelectorAll('main fieldset')].map(f => { const r = f.querySelector('input[type=radio]:checked'); return r ? r.value : null; });",
        vec![],
    )
    .await
}

/// The rows of the history table, each as its cells' texts.
async fn history_rows(page: &Page) -> Value {
    page.wait_js(
        "the history table",
        "var t = document.querySelector('main table.assessments'); return t ? [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim())) : null;",
        vec![],
    )
    .await
}

/// The chart's bars: (class, width) of each `rect`, in document order.
async fn bars(page: &Page) -> Value {
    page.wait_js(
        "the chart",
        "var s = document.querySelector('main figure.maturity-chart svg[role=img]'); return s ? [...s.querySelectorAll('rect')].map(r => [r.getAttribute('class'), Number(r.getAttribute('width'))]) : null;",
        vec![],
    )
    .await
}

/// The next steps, as the list's items read.
async fn next_steps(page: &Page) -> Vec<String> {
    let items = page
        .wait_js(
            "the next steps",
            "var l = document.querySelector('main ul.next-steps'); return l ? [...l.children].map(li => li.innerText) : null;",
            vec![],
        )
        .await;
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Keeps a picture of the page in `test-artifacts/screenshots/maturity-<name>.png`.
async fn screenshot(page: &Page, name: &str) {
    let png = page.full_page_png().await;
    let path = harness::workspace_root()
        .join("test-artifacts/screenshots")
        .join(format!("maturity-{name}.png"));
    let _ = harness::write_atomically(&path, &png);
}

browser_journeys! {
    /// Acme's owner answers the assessment (all one-off), sees the chart and six next steps;
    /// answers again with better levels and sees both in the history and the chart compare
    /// them. A marketer sees the page but no form.
    async fn an_owner_assesses_maturity_twice_and_a_marketer_reads_it(app, browser) {
        let owner_token = app.owner_of("acme").await;
        let globex_token = app.owner_of("globex").await;
        // A written ICP shared by a connected partner: comark suggests a coordinated strategy.
        for (token, org) in [(&owner_token, "acme"), (&globex_token, "globex")] {
            let saved = app
                .api_as(token)
                .put(&format!("/api/v1/orgs/{org}/profile"), json!({ "industries": ["healthcare"] }))
                .await;
            assert_eq!(saved.status, 200, "{}", saved.text);
        }
        app.connect(&owner_token, "acme", &globex_token, "globex").await;
        let owner = browser.session(&app.base_url).await;
        sign_in(&owner, "owner@acme.example").await;

        // From the overview to the page; nothing answered yet.
        owner.open("/o/acme").await;
        owner.wait_for_heading("acme Inc.").await;
        owner.follow("Co-marketing maturity").await;
        owner.wait_for_heading("Co-marketing maturity").await;
        owner.wait_for_text("No assessment yet.").await;
        let chart = owner
            .js("return !!document.querySelector('main figure.maturity-chart');", vec![])
            .await;
        assert_eq!(chart, json!(false), "no chart before the first answer");
        let legends = owner
            .js("return [...document.querySelectorAll('main fieldset legend')].map(l => l.textContent.trim());", vec![])
            .await;
        assert_eq!(legends, json!(DIMENSIONS), "a fieldset per dimension");
        let suggestion = owner.wait_for_text_of("main #dim-strategy_icp p.suggestion").await;
        assert_eq!(
            suggestion,
            "Suggested: Coordinated partnerships — your profile states an ICP, and 1 connected partner sells to the same industries"
        );
        let described = owner
            .js("return document.getElementById('dim-strategy_icp').getAttribute('aria-describedby');", vec![])
            .await;
        assert_eq!(described, json!("dim-strategy_icp-suggested"), "the suggestion describes its fieldset");
        let label = owner
            .js("return document.querySelector('label[for=level-data_measurement-one_off]').innerText;", vec![])
            .await;
        let label = label.as_str().unwrap_or_default();
        assert!(
            label.contains("One-off co-branding") && label.contains("Success is judged by registrations and anecdotes."),
            "each choice reads its level and its criteria: {label}"
        );

        // Sending nothing answered shows an error beside every dimension.
        owner.press("Save assessment").await;
        owner.wait_for_text("Some answers need attention").await;
        let errors = owner
            .js("return [...document.querySelectorAll('main fieldset > p.error')].map(p => p.textContent.trim());", vec![])
            .await;
        assert_eq!(errors, json!(vec!["choose a level"; 6]), "{errors}");
        let focused = owner
            .js("return document.activeElement && document.activeElement.id;", vec![])
            .await;
        assert_eq!(focused, json!("level-strategy_icp-one_off"), "the focus moves to the first unanswered choice");
        owner.wait_for_text("No assessment yet.").await;

        // The first answer: one-off co-branding everywhere, with a note.
        for dimension in DIMENSIONS {
            pick(&owner, dimension, "One-off co-branding").await;
        }
        owner.fill("Note on Data & measurement", "We count registrations.").await;
        owner.press("Save assessment").await;
        owner.wait_for_text("Assessment saved.").await;
        owner.wait_for_path("/o/acme/maturity").await;
        let average = owner.wait_for_text_of("main p.average").await;
        assert!(average.starts_with("Average level 1.0 of 3"), "{average}");
        let drawn = bars(&owner).await;
        assert_eq!(drawn, json!(vec![json!(["now", 140]); 6]), "one bar per dimension, at level 1");
        let label = owner
            .js("return document.querySelector('main figure.maturity-chart svg').getAttribute('aria-label');", vec![])
            .await;
        assert!(label.as_str().unwrap_or_default().starts_with("Maturity level per dimension"), "{label}");
        let steps = next_steps(&owner).await;
        assert_eq!(steps.len(), 6, "a next step for every dimension: {steps:?}");
        assert!(
            steps[4].contains("Data & measurement")
                && steps[4].contains("Map accounts with your partners and track the pipeline each partnership sources."),
            "{steps:?}"
        );
        owner.wait_for_text("We count registrations.").await;
        assert_eq!(checked(&owner).await, json!(vec!["one_off"; 6]), "the form shows the latest answer");
        screenshot(&owner, "first").await;

        // The second answer, better in most dimensions.
        let better = [
            ("Strategy & ICP", "Ecosystem co-marketing"),
            ("Value proposition", "Coordinated partnerships"),
            ("Programs & plays", "Coordinated partnerships"),
            ("Data & measurement", "Coordinated partnerships"),
            ("Governance & rhythm", "Ecosystem co-marketing"),
        ];
        for (dimension, level) in better {
            pick(&owner, dimension, level).await;
        }
        owner.press("Save assessment").await;
        owner.wait_for_text("Assessment saved.").await;
        owner
            .wait_js("two rows of history", "var t = document.querySelector('main table.assessments'); return !!t && t.tBodies[0].rows.length === 2;", vec![])
            .await;
        let average = owner.wait_for_text_of("main p.average").await;
        assert!(average.starts_with("Average level 2.2 of 3 (before: 1.0"), "{average}");
        let drawn = bars(&owner).await;
        assert_eq!(
            drawn,
            json!([
                ["now", 420], ["before", 140],
                ["now", 280], ["before", 140],
                ["now", 280], ["before", 140],
                ["now", 140], ["before", 140],
                ["now", 280], ["before", 140],
                ["now", 420], ["before", 140],
            ]),
            "each dimension's bar with the one before under it"
        );
        let table = owner
            .js("return document.querySelector('main figure.maturity-chart table').textContent;", vec![])
            .await;
        let table = table.as_str().unwrap_or_default();
        assert!(table.contains("3 (Ecosystem co-marketing)") && table.contains("1 (One-off co-branding)"), "{table}");
        let steps = next_steps(&owner).await;
        assert_eq!(steps.len(), 4, "no step past the top level: {steps:?}");
        assert!(!steps.iter().any(|s| s.contains("Strategy & ICP") || s.contains("Governance & rhythm")), "{steps:?}");
        assert!(steps[0].contains("from Coordinated partnerships to Ecosystem co-marketing"), "{steps:?}");
        let rows = history_rows(&owner).await;
        let rows = rows.as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0][1], json!("owner@acme.example"));
        assert_eq!(rows[0].as_array().map(|r| r[2..].to_vec()), Some(vec![json!("2.2"), json!("3"), json!("2"), json!("2"), json!("1"), json!("2"), json!("3")]), "newest first");
        assert_eq!(rows[1].as_array().map(|r| r[2..].to_vec()), Some(vec![json!("1.0"), json!("1"), json!("1"), json!("1"), json!("1"), json!("1"), json!("1")]));
        assert_eq!(
            checked(&owner).await,
            json!(["ecosystem", "coordinated", "coordinated", "one_off", "coordinated", "ecosystem"])
        );
        screenshot(&owner, "compared").await;

        // A marketer reads the same page, without the form.
        let marketer_token = app.sign_up("Mary Marketer", "mary@acme.example").await;
        let invitation = app
            .api_as(&owner_token)
            .post("/api/v1/orgs/acme/invitations", json!({ "role": "marketer" }))
            .await;
        assert_eq!(invitation.status, 201, "{}", invitation.text);
        let secret = invitation.json["link"].as_str().and_then(|l| l.rsplit('/').next()).expect("an invitation link").to_owned();
        let joined = app
            .api_as(&marketer_token)
            .post(&format!("/api/v1/invitations/{secret}/accept"), json!({}))
            .await;
        assert_eq!(joined.status, 200, "{}", joined.text);
        let marketer = browser.session(&app.base_url).await;
        sign_in(&marketer, "mary@acme.example").await;
        marketer.open("/o/acme/maturity").await;
        marketer.wait_for_heading("Co-marketing maturity").await;
        marketer.wait_for_text("Owners, admins and partner managers answer the assessment.").await;
        let average = marketer.wait_for_text_of("main p.average").await;
        assert!(average.starts_with("Average level 2.2 of 3"), "{average}");
        assert_eq!(bars(&marketer).await.as_array().map(Vec::len), Some(12), "the same chart");
        let form = marketer
            .js("return document.querySelectorAll('main form.maturity, main input[type=radio], main textarea').length;", vec![])
            .await;
        assert_eq!(form, json!(0), "no form for a marketer");
        let current = marketer.wait_for_text_of("main table.maturity-matrix tr td.current").await;
        assert!(current.contains("A clear, documented shared ICP") && current.contains("(where you stand)"), "{current}");
        assert_eq!(history_rows(&marketer).await.as_array().map(Vec::len), Some(2));
    }
}
