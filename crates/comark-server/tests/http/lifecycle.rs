//! Two organizations run a partnership in comark from the first request to the exit, each
//! step through the API, both sides seeing the same state.

use super::*;

/// Marks every open item of `stage`'s gate met, as `org`.
async fn meet(app: &TestApp, token: &str, org: &str, id: &str, stage: &str) {
    let api = app.api_as(token);
    let detail = api
        .get(&format!("/api/v1/orgs/{org}/partnerships/{id}"))
        .await;
    for item in detail.json["gates"].as_array().expect("gates") {
        if item["stage"] == stage && item["met"].is_null() {
            let item = item["id"].as_str().expect("id");
            let met = api
                .put(
                    &format!("/api/v1/orgs/{org}/partnerships/{id}/evidence/{item}"),
                    json!({ "met": true }),
                )
                .await;
            assert_eq!(met.status, 200, "{}", met.text);
        }
    }
}

fn stage_of(detail: &serde_json::Value) -> String {
    detail["partnership"]["stage"]
        .as_str()
        .expect("stage")
        .to_owned()
}

comark_testkit::both_backends_with! { comark_testkit::Options { mail: true, ..Default::default() };
    async fn two_organizations_run_a_partnership_from_first_request_to_exit(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let g = app.api_as(&globex);
        for (api, org) in [(&a, "acme"), (&g, "globex")] {
            api.put(&format!("/api/v1/orgs/{org}/profile"), json!({ "industries": ["retail"], "listed": true })).await;
        }

        // 1. Globex asks through acme's request form; acme vets, accepts and starts it.
        a.put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values", "Audience fit"] })).await;
        let sent = g.post("/api/v1/orgs/globex/sent-requests", json!({ "to": "acme", "request": {
            "name": "Gina Globex", "email": "owner@globex.example", "company": "globex Inc.",
            "kind": "co_creation", "message": "A joint retail benchmark report." } })).await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        let request = a.get("/api/v1/orgs/acme/requests?status=new").await.json[0]["id"].as_str().expect("request").to_owned();
        let r = format!("/api/v1/orgs/acme/requests/{request}");
        for item in ["Shared values", "Audience fit"] {
            a.post(&format!("{r}/checks"), json!({ "item": item, "verdict": "pass" })).await;
        }
        a.post(&format!("{r}/decision"), json!({ "decision": "accept", "note": "Let's write it." })).await;
        let started = a.post(&format!("{r}/partnership"), json!({ "name": "Retail benchmark" })).await;
        assert_eq!(started.status, 201, "{}", started.text);
        let id = started.json["partnership"].as_str().expect("partnership").to_owned();
        let ours = format!("/api/v1/orgs/acme/partnerships/{id}");
        let theirs = format!("/api/v1/orgs/globex/partnerships/{id}");

        // 2. Acme's internal assessment meets the evidence it feeds; acme takes the
        // groundwork stages on its own.
        let assessed = a.post("/api/v1/orgs/acme/internal-assessment", json!({ "answers": {
            "drivers": "Reach retail buyers", "strengths": "Research team", "weaknesses": "No events team" } })).await;
        assert_eq!(assessed.status, 201, "{}", assessed.text);
        let fed = a.get(&ours).await;
        let awareness_met: Vec<bool> = fed.json["gates"].as_array().expect("gates").iter()
            .filter(|i| i["stage"] == "awareness").map(|i| !i["met"].is_null()).collect();
        assert_eq!(awareness_met, [true, false], "the objectives item is met by the assessment");
        for from in ["awareness", "knowledge", "internal_assessment"] {
            meet(&app, &acme, "acme", &id, from).await;
            let moved = a.post(&format!("{ours}/advance"), json!({ "reason": "groundwork done" })).await;
            assert_eq!(moved.json["outcome"], "advanced", "{}", moved.text);
        }

        // 3. Partner selection and working together are joint: both approve.
        meet(&app, &globex, "globex", &id, "partner_selection").await;
        assert_eq!(a.post(&format!("{ours}/advance"), json!({})).await.json["outcome"], "waiting");
        // While acme waits, the relationship's health says so, for both.
        for (api, url) in [(&a, &ours), (&g, &theirs)] {
            let health = api.get(&format!("{url}/performance")).await;
            let reasons = health.json["health"]["reasons"].to_string();
            assert!(reasons.contains("waiting since today for globex Inc. to approve leaving partner selection"), "{reasons}");
        }
        assert_eq!(g.post(&format!("{theirs}/advance"), json!({})).await.json["outcome"], "advanced");

        // Roles, RACI, rules of engagement and the exit strategy, agreed by both.
        for (api, url) in [(&a, &ours), (&g, &theirs)] {
            api.put(&format!("{url}/roles/executive_sponsor"), json!({ "person": "A Sponsor" })).await;
            api.put(&format!("{url}/raci"), json!({ "area": "Content", "letters": if url == &ours { "RA" } else { "C" } })).await;
        }
        let rules = a.put(&format!("{ours}/rules"), json!({ "rules": { "channels": "A shared channel", "lead_ownership": "Whoever sourced a lead keeps it" }, "time_zone": "Europe/Berlin" })).await;
        let version = rules.json["version"].as_i64().expect("version");
        a.post(&format!("{ours}/rules/approve"), json!({ "version": version })).await;
        let agreed = g.post(&format!("{theirs}/rules/approve"), json!({ "version": version })).await;
        assert_eq!(agreed.json["agreed"], true, "{}", agreed.text);
        // Agreed lead hand-off is evidence for the maturity assessment.
        let maturity = a.get("/api/v1/orgs/acme/maturity").await;
        let handoffs = maturity.json["suggestions"].as_array().expect("suggestions").iter()
            .find(|s| s["dimension"] == "journeys_handoffs").expect("a journeys suggestion");
        assert_eq!(handoffs["level"], "coordinated");
        assert!(handoffs["reason"].as_str().expect("reason").contains("1 partnership"), "{handoffs}");
        let strategy = a.put(&format!("{ours}/exit-strategy"), json!({
            "notice_days": 14, "data_handling": "stop_sharing",
            "triggers": [{ "kind": "contribution_below", "percent": 50 }] })).await;
        assert_eq!(strategy.status, 200, "{}", strategy.text);
        meet(&app, &acme, "acme", &id, "working_together").await;
        assert_eq!(a.post(&format!("{ours}/advance"), json!({})).await.json["outcome"], "waiting");
        let moved = g.post(&format!("{theirs}/advance"), json!({})).await;
        assert_eq!(moved.json["outcome"], "advanced", "{}", moved.text);
        assert_eq!(stage_of(&a.get(&ours).await.json), "value_creation");
        assert_eq!(stage_of(&g.get(&theirs).await.json), "value_creation");

        // 4. Commitments and deliveries: globex delivers a fifth; the trigger fires for both.
        g.put(&format!("{theirs}/commitments/content_pieces"), json!({ "amount": 5 })).await;
        g.post(&format!("{theirs}/contributions"), json!({ "kind": "content_pieces", "amount": 1 })).await;
        for (api, url) in [(&a, &ours), (&g, &theirs)] {
            let exit = api.get(&format!("{url}/exit")).await;
            assert_eq!(exit.json["alerts"].as_array().expect("alerts").len(), 1, "{}", exit.text);
        }

        // 5. Acme gives notice; once the 14 days ran, the exit takes effect for both.
        let notice = a.post(&format!("{ours}/exit"), json!({ "review": "Globex could not staff it." })).await;
        assert_eq!(notice.status, 200, "{}", notice.text);
        assert_eq!(g.get(&format!("{theirs}/exit")).await.json["notice"]["by"], "acme Inc.");
        let watched = comark_app::exit::watch(&app.app, chrono::Utc::now() + chrono::Duration::days(15)).await.expect("watch");
        assert_eq!(watched.exits, 1);
        for (api, url) in [(&a, &ours), (&g, &theirs)] {
            let detail = api.get(url).await;
            assert_eq!(stage_of(&detail.json), "exit");
            let exit = api.get(&format!("{url}/exit")).await;
            assert_eq!(exit.json["closing_review"], "Globex could not staff it.");
        }
        let history: Vec<String> = g.get(&theirs).await.json["history"].as_array().expect("history").iter()
            .map(|e| e["kind"].as_str().expect("kind").to_owned()).collect();
        for kind in ["created", "rules_approved", "exit_strategy_agreed", "trigger_fired", "exit_notice", "exited"] {
            assert!(history.iter().any(|k| k == kind), "{kind} missing from {history:?}");
        }
        let request_now = a.get(&r).await;
        assert_eq!(request_now.json["partnership"], json!(id), "the request links to what it became");
    }
}
