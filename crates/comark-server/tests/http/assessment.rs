//! Gate templates and the internal assessment through the API and the web pages: a saved
//! template seeds new partnerships' gates, saving the assessment meets the gate items it
//! feeds (with history), and another organization sees none of it.

use super::*;

/// Acme and globex, connected: (acme's token, globex's token).
async fn partners(app: &TestApp) -> (String, String) {
    let acme = app.owner_of("acme").await;
    let globex = app.owner_of("globex").await;
    app.connect(&acme, "acme", &globex, "globex").await;
    (acme, globex)
}

/// Starts a partnership of acme with globex; its id.
async fn start(app: &TestApp, acme: &str, name: &str) -> (String, serde_json::Value) {
    let created = app
        .api_as(acme)
        .post(
            "/api/v1/orgs/acme/partnerships",
            json!({ "name": name, "partners": ["globex"] }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["partnership"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    (id, created.json)
}

/// The gate items of `stage` in a partnership's JSON: (text, fed_by, met_by).
fn gate(detail: &serde_json::Value, stage: &str) -> Vec<(String, Option<String>, Option<String>)> {
    detail["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .filter(|g| g["stage"] == stage)
        .map(|g| {
            (
                g["text"].as_str().expect("text").to_owned(),
                g["fed_by"].as_str().map(str::to_owned),
                g["met"][0].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every answer of a complete assessment.
fn complete_answers() -> serde_json::Value {
    json!({
        "answers": {
            "drivers": "Reach mid-market retailers we cannot reach alone",
            "vision": "Three strong alliances by 2028",
            "values": "Customer first; open about numbers",
            "strengths": "Content that converts",
            "weaknesses": "No events team",
            "collaborative_maturity": "developing",
            "roles": "overlapping",
            "who_does_what": "some",
            "unowned_areas": "Partner enablement",
            "mistakes": "learn",
            "tools": "mixed"
        },
        "notes": { "roles": "Marketing and sales both run webinars" },
        "people": [{ "name": "Ann Alliance", "role": "Partnership manager", "skills": "Negotiation, events" }]
    })
}

both_backends! {
    async fn a_saved_template_seeds_a_new_partnerships_gates(app) {
        let (acme, _globex) = partners(&app).await;
        let a = app.api_as(&acme);

        // Until saved, the defaults apply: seven stages (exit has no gate), the feeds named.
        let defaults = a.get("/api/v1/orgs/acme/gate-templates").await;
        assert_eq!(defaults.status, 200, "{}", defaults.text);
        let stages = defaults.json["stages"].as_array().expect("stages");
        assert_eq!(stages.len(), 7);
        assert_eq!(stages[0]["stage"], "awareness");
        assert_eq!(stages[0]["customized"], false);
        assert_eq!(stages[0]["items"][0], json!({ "text": "Business objectives for partnering are written down", "fed_by": "drivers" }));
        assert_eq!(stages[2]["items"][0]["fed_by"], "complete");
        assert_eq!(stages[3]["fed_by_assessment"], false);

        // Wrong rows are refused, each named.
        let wrong = a.put("/api/v1/orgs/acme/gate-templates", json!({ "stages": {
            "awareness": [{ "text": "Twice" }, { "text": "twice" }],
            "partner_selection": [{ "text": "Fit reviewed", "fed_by": "complete" }],
            "exit": [{ "text": "Anything" }],
            "knowledge": [{ "text": "Fed by vibes", "fed_by": "vibes" }]
        } })).await;
        assert_eq!(wrong.status, 422, "{}", wrong.text);
        let named = fields(&wrong.json);
        for expected in ["stages.awareness.items.1.text", "stages.partner_selection.items.0.fed_by", "stages.exit", "stages.knowledge.items.0.fed_by"] {
            assert!(named.iter().any(|f| f == expected), "{expected} in {named:?}");
        }
        let unchanged = a.get("/api/v1/orgs/acme/gate-templates").await;
        assert_eq!(unchanged.json["stages"][0]["customized"], false, "nothing saved on a refusal");

        let saved = a.put("/api/v1/orgs/acme/gate-templates", json!({ "stages": {
            "awareness": [
                { "text": "The board approved partnering", "fed_by": "drivers" },
                { "text": "A budget for partnering is set" }
            ],
            "working_together": [{ "text": "A joint plan for the first quarter is agreed" }]
        } })).await;
        assert_eq!(saved.status, 200, "{}", saved.text);
        assert_eq!(saved.json["stages"][0]["customized"], true);
        assert_eq!(saved.json["stages"][0]["saved_by"], "owner@acme.example");

        let (_, first) = start(&app, &acme, "Joint webinars").await;
        assert_eq!(
            gate(&first, "awareness"),
            [
                ("The board approved partnering".to_owned(), Some("drivers".to_owned()), None),
                ("A budget for partnering is set".to_owned(), None, None),
            ],
            "the template seeds the awareness gate"
        );
        assert_eq!(gate(&first, "working_together").len(), 1);
        assert_eq!(
            gate(&first, "knowledge").iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
            ["The value the partnership could create is estimated", "The risks of partnering are identified"],
            "stages not saved keep the defaults"
        );

        // Resetting a stage brings the defaults back for the next partnership only.
        let reset = a.put("/api/v1/orgs/acme/gate-templates", json!({ "stages": { "awareness": null } })).await;
        assert_eq!(reset.status, 200, "{}", reset.text);
        assert_eq!(reset.json["stages"][0]["customized"], false);
        let (_, second) = start(&app, &acme, "Co-selling").await;
        assert_eq!(gate(&second, "awareness")[0].0, "Business objectives for partnering are written down");
        let first_id = first["partnership"]["id"].as_str().expect("id");
        let again = a.get(&format!("/api/v1/orgs/acme/partnerships/{first_id}")).await;
        assert_eq!(gate(&again.json, "awareness")[0].0, "The board approved partnering", "started partnerships keep their gates");

        // Both changes are in the audit log.
        let audit = a.get("/api/v1/orgs/acme/audit-events").await;
        let changes = audit.text.matches("gates.template_changed").count();
        assert!(changes >= 3, "one audit event per stage changed: {}", audit.text);
    }

    async fn saving_the_assessment_meets_the_keyed_items_of_an_awareness_stage_partnership(app) {
        let (acme, globex) = partners(&app).await;
        let a = app.api_as(&acme);
        let (id, created) = start(&app, &acme, "Joint webinars").await;
        assert!(gate(&created, "awareness").iter().all(|g| g.2.is_none()), "nothing met before the assessment");

        let empty = a.get("/api/v1/orgs/acme/internal-assessment").await;
        assert_eq!(empty.status, 200, "{}", empty.text);
        assert!(empty.json["latest"].is_null());
        assert_eq!(empty.json["sections"].as_array().expect("sections").len(), 6);
        assert_eq!(empty.json["sections"][5]["questions"][0]["key"], "roles");
        let feeds: Vec<&str> = empty.json["feeds"].as_array().expect("feeds").iter().map(|f| f["text"].as_str().unwrap_or_default()).collect();
        assert!(feeds.contains(&"Business objectives for partnering are written down"), "{feeds:?}");

        // Field errors, as a problem document.
        let wrong = a.post("/api/v1/orgs/acme/internal-assessment", json!({
            "answers": { "roles": "sometimes", "vibes": "good" },
            "people": [{ "role": "CMO" }]
        })).await;
        assert_eq!(wrong.status, 422, "{}", wrong.text);
        assert_eq!(wrong.json["type"], "urn:comark:problem:invalid-input", "{}", wrong.text);
        let named = fields(&wrong.json);
        for expected in ["answers.roles", "answers.vibes", "people.0.name"] {
            assert!(named.iter().any(|f| f == expected), "{expected} in {named:?}");
        }
        let nothing = a.post("/api/v1/orgs/acme/internal-assessment", json!({})).await;
        assert_eq!(nothing.status, 422, "{}", nothing.text);

        // A first, partial version: the drivers meet the awareness item, the strengths the
        // knowledge one ahead; the rest stays open.
        let first = a.post("/api/v1/orgs/acme/internal-assessment", json!({
            "answers": { "drivers": "Reach mid-market retailers", "strengths": "Content that converts" }
        })).await;
        assert_eq!(first.status, 201, "{}", first.text);
        assert_eq!(first.json["assessment"]["version"], 1);
        assert_eq!(first.json["assessment"]["complete"], false);
        assert_eq!(first.json["assessment"]["sections_complete"], json!(["drivers", "strengths"]));
        let met: Vec<(&str, &str)> = first.json["evidence_met"].as_array().expect("met").iter()
            .map(|m| (m["stage"].as_str().unwrap_or_default(), m["text"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(met, [
            ("awareness", "Business objectives for partnering are written down"),
            ("knowledge", "The value the partnership could create is estimated"),
        ]);

        let detail = a.get(&format!("/api/v1/orgs/acme/partnerships/{id}")).await;
        let awareness = gate(&detail.json, "awareness");
        assert_eq!(awareness[0].2.as_deref(), Some("the internal assessment (acme Inc.)"));
        assert_eq!(awareness[1].2, None, "an item nobody feeds stays open");
        assert_eq!(gate(&detail.json, "knowledge")[1].2, None, "weaknesses not answered yet");
        let history = detail.json["history"].as_array().expect("history");
        let fed_event = history.iter().find(|e| e["kind"] == "evidence_met" && e["stage"] == "awareness").expect("a history entry");
        assert_eq!(fed_event["detail"], "Business objectives for partnering are written down");
        assert_eq!(fed_event["actor"], "owner@acme.example (internal assessment)");
        assert_eq!(fed_event["org"], "acme Inc.");
        assert_eq!(detail.json["partnership"]["stage"], "awareness", "meeting evidence moves nothing on");

        // The partner sees the same gate.
        let theirs = app.api_as(&globex).get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await;
        assert_eq!(gate(&theirs.json, "awareness")[0].2.as_deref(), Some("the internal assessment (acme Inc.)"));

        // A complete version meets the rest it feeds; the history keeps both, newest first.
        let second = a.post("/api/v1/orgs/acme/internal-assessment", complete_answers()).await;
        assert_eq!(second.status, 201, "{}", second.text);
        assert_eq!(second.json["assessment"]["version"], 2);
        assert_eq!(second.json["assessment"]["complete"], true);
        assert_eq!(second.json["assessment"]["collaborative_maturity"], 2);
        assert_eq!(second.json["assessment"]["concerns"], json!(["roles", "who_does_what", "tools"]));
        let met: Vec<&str> = second.json["evidence_met"].as_array().expect("met").iter().map(|m| m["text"].as_str().unwrap_or_default()).collect();
        assert_eq!(met, ["The risks of partnering are identified", "The internal assessment of collaborative capability is done"], "only what was still open");
        let read = a.get("/api/v1/orgs/acme/internal-assessment").await;
        let versions: Vec<i64> = read.json["history"].as_array().expect("history").iter().map(|v| v["version"].as_i64().unwrap_or_default()).collect();
        assert_eq!(versions, [2, 1]);
        assert_eq!(read.json["latest"]["version"], 2);
        assert_eq!(read.json["latest"]["notes"]["roles"], "Marketing and sales both run webinars");
        assert_eq!(read.json["latest"]["people"][0]["name"], "Ann Alliance");
        assert!(read.json["feeds"].as_array().expect("feeds").iter().all(|f| f["met_by"].is_string()), "{}", read.text);

        // A partnership started after the assessment starts with the fed items met.
        let (_, later) = start(&app, &acme, "Co-selling").await;
        assert_eq!(gate(&later, "awareness")[0].2.as_deref(), Some("the internal assessment (acme Inc.)"));
        assert_eq!(gate(&later, "awareness")[1].2, None);
        assert!(gate(&later, "knowledge").iter().all(|g| g.2.is_some()));
        assert_eq!(gate(&later, "internal_assessment")[0].2.as_deref(), Some("the internal assessment (acme Inc.)"));
        assert_eq!(gate(&later, "internal_assessment")[1].2, None, "a partnership manager is named by hand");
        assert!(gate(&later, "partner_selection").iter().all(|g| g.2.is_none()), "later gates are never fed");
        let started = later["history"].as_array().expect("history");
        assert!(started.iter().any(|e| e["kind"] == "evidence_met" && e["stage"] == "internal_assessment"), "{started:?}");

        let audit = a.get("/api/v1/orgs/acme/audit-events").await;
        assert!(audit.text.contains("assessment.saved"), "{}", audit.text);
    }

    async fn a_partner_can_neither_read_nor_change_another_organizations_assessment_or_templates(app) {
        let (acme, globex) = partners(&app).await;
        let saved = app.api_as(&acme).post("/api/v1/orgs/acme/internal-assessment", json!({ "answers": { "drivers": "Acme's secret plans" } })).await;
        assert_eq!(saved.status, 201, "{}", saved.text);
        let not_found = app.api_as(&globex).get("/api/v1/orgs/no-such-org").await;
        assert_eq!(not_found.status, 404);
        let g = app.api_as(&globex);
        for reply in [
            g.get("/api/v1/orgs/acme/internal-assessment").await,
            g.post("/api/v1/orgs/acme/internal-assessment", json!({ "answers": { "drivers": "Hijacked" } })).await,
            g.get("/api/v1/orgs/acme/gate-templates").await,
            g.put("/api/v1/orgs/acme/gate-templates", json!({ "stages": { "awareness": [{ "text": "Hijacked" }] } })).await,
        ] {
            assert_eq!(reply.status, 404, "{}", reply.text);
            assert_eq!(reply.text, not_found.text, "the same body as a missing organization");
        }
        let browser = app.browser();
        browser.sign_in("owner@globex.example", PASSWORD).await;
        for path in ["/o/acme/internal-assessment", "/o/acme/gate-templates"] {
            assert_eq!(browser.get(path).await.status, 404, "{path}");
        }
        let posted = browser.submit("/o/acme/gate-templates", &[("stage", "awareness"), ("text.0", "Hijacked")]).await;
        assert_eq!(posted.status, 404);

        // Acme's answers and template are untouched, and globex's own are empty.
        let ours = app.api_as(&acme).get("/api/v1/orgs/acme/internal-assessment").await;
        assert_eq!(ours.json["history"].as_array().map(Vec::len), Some(1));
        assert_eq!(ours.json["latest"]["answers"]["drivers"], "Acme's secret plans");
        let templates = app.api_as(&acme).get("/api/v1/orgs/acme/gate-templates").await;
        assert_eq!(templates.json["stages"][0]["customized"], false);
        let theirs = g.get("/api/v1/orgs/globex/internal-assessment").await;
        assert!(theirs.json["latest"].is_null());
        assert!(!theirs.text.contains("secret plans"));
    }

    async fn the_pages_answer_the_assessment_edit_templates_and_link_the_gate_to_it(app) {
        let (acme, _globex) = partners(&app).await;
        let (id, _) = start(&app, &acme, "Joint webinars").await;
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;

        let page = browser.get("/o/acme/internal-assessment").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("Not answered yet."), "{}", page.text);
        assert!(page.text.contains(r#"name="answer.drivers""#));
        assert!(page.text.contains(r#"name="person.0.name""#));

        // An invalid answer comes back with the field's message and what was typed.
        let refused = browser.submit("/o/acme/internal-assessment", &[("answer.drivers", "Growth"), ("person.0.role", "CMO")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.text.contains("name the person"), "{}", refused.text);
        assert!(refused.text.contains(">Growth</textarea>"), "what was typed stays");

        let saved = browser.submit("/o/acme/internal-assessment", &[("answer.drivers", "Growth"), ("answer.roles", "clear"), ("note.roles", "Written down")]).await;
        assert_eq!(saved.status, 303, "{}", saved.text);
        let page = browser.follow("/o/acme/internal-assessment").await;
        assert!(page.text.contains("Version 1 saved: 1 of 6 sections complete. It met 1 gate item in your partnerships."), "{}", page.text);
        assert!(page.text.contains("met by the internal assessment (acme Inc.)"));

        let detail = browser.get(&format!("/o/acme/partnerships/{id}")).await;
        assert!(detail.text.contains("met by the internal assessment (acme Inc.)"), "{}", detail.text);
        assert!(detail.text.contains(r#"href="/o/acme/internal-assessment#section-drivers""#), "the gate links to the assessment");

        // The template editor: a stage saved, refused, reset.
        let templates = browser.get("/o/acme/gate-templates").await;
        assert_eq!(templates.status, 200);
        assert!(templates.text.contains("Save the Awareness gate"));
        let bad = browser.submit("/o/acme/gate-templates", &[("stage", "knowledge"), ("text.0", "Fed by vibes"), ("fed_by.0", "vibes")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("is not a part of the internal assessment"), "{}", bad.text);
        let ok = browser.submit("/o/acme/gate-templates", &[("stage", "knowledge"), ("text.0", "Our market is sized"), ("fed_by.0", ""), ("text.1", "")]).await;
        assert_eq!(ok.status, 303, "{}", ok.text);
        let api = app.api_as(&acme).get("/api/v1/orgs/acme/gate-templates").await;
        assert_eq!(api.json["stages"][1]["items"], json!([{ "text": "Our market is sized", "fed_by": null }]));
        let reset = browser.submit("/o/acme/gate-templates/reset", &[("stage", "knowledge")]).await;
        assert_eq!(reset.status, 303, "{}", reset.text);
        let api = app.api_as(&acme).get("/api/v1/orgs/acme/gate-templates").await;
        assert_eq!(api.json["stages"][1]["customized"], false);

        // A marketer reads both pages without forms, and may not post.
        let marketer = app.member_of(&acme, "acme", "marketer").await;
        let me = app.api_as(&marketer).get("/api/v1/me").await;
        let email = me.json["user"]["email"].as_str().expect("email").to_owned();
        let reader = app.browser();
        reader.sign_in(&email, PASSWORD).await;
        let page = reader.get("/o/acme/internal-assessment").await;
        assert_eq!(page.status, 200);
        assert!(!page.text.contains(r#"name="answer.drivers""#));
        assert!(page.text.contains("Owners, admins and partner managers answer the internal assessment."));
        let posted = reader.submit("/o/acme/internal-assessment", &[("answer.drivers", "x")]).await;
        assert_eq!(posted.status, 403);
    }
}
