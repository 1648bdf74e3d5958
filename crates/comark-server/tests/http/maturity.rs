//! The maturity assessment through the API: answers, history, next steps and suggestions.

use super::*;

fn levels(level: &str) -> serde_json::Value {
    json!({
        "strategy_icp": level, "value_proposition": level, "programs_plays": level,
        "journeys_handoffs": level, "data_measurement": level, "governance_rhythm": level,
    })
}

both_backends! {
    async fn an_assessment_is_answered_compared_and_backed_by_evidence(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let a = app.api_as(&acme);

        let empty = a.get("/api/v1/orgs/acme/maturity").await;
        assert_eq!(empty.status, 200, "{}", empty.text);
        assert_eq!(empty.json["matrix"].as_array().expect("matrix").len(), 6);
        assert_eq!(empty.json["matrix"][4]["levels"][0]["criteria"], "Success is judged by registrations and anecdotes.");
        assert!(empty.json["history"].as_array().expect("history").is_empty());
        assert!(empty.json["suggestions"].as_array().expect("suggestions").is_empty(), "no evidence yet");

        // Every dimension needs a level, and only known ones are accepted.
        let partial = a.post("/api/v1/orgs/acme/maturity", json!({ "levels": { "strategy_icp": "ecosystem", "vibes": "high" } })).await;
        assert_eq!(partial.status, 422, "{}", partial.text);
        assert!(partial.text.contains("levels.vibes") && partial.text.contains("levels.governance_rhythm"), "{}", partial.text);

        let first = a.post("/api/v1/orgs/acme/maturity", json!({ "levels": levels("one_off"), "notes": { "data_measurement": "We count registrations." } })).await;
        assert_eq!(first.status, 201, "{}", first.text);
        assert_eq!(first.json["average"], 1.0);
        assert!(first.json["next_steps"]["data_measurement"].as_str().expect("step").starts_with("Map accounts"));

        let mut better = levels("coordinated");
        better["strategy_icp"] = json!("ecosystem");
        let second = a.post("/api/v1/orgs/acme/maturity", json!({ "levels": better })).await;
        assert_eq!(second.status, 201, "{}", second.text);
        assert!(second.json["next_steps"].get("strategy_icp").is_none(), "no step past the top level");
        let history = a.get("/api/v1/orgs/acme/maturity").await;
        let averages: Vec<f64> = history.json["history"].as_array().expect("history").iter().map(|h| h["average"].as_f64().expect("average")).collect();
        assert_eq!(averages.len(), 2);
        assert!(averages[0] > averages[1], "newest first: {averages:?}");

        // Evidence: a written ICP shared by a connected partner suggests a coordinated strategy.
        for (token, org) in [(&acme, "acme"), (&globex, "globex")] {
            app.api_as(token).put(&format!("/api/v1/orgs/{org}/profile"), json!({ "industries": ["healthcare"] })).await;
        }
        app.connect(&acme, "acme", &globex, "globex").await;
        let suggested = a.get("/api/v1/orgs/acme/maturity").await;
        assert_eq!(suggested.json["suggestions"][0]["dimension"], "strategy_icp", "{}", suggested.text);
        assert_eq!(suggested.json["suggestions"][0]["level"], "coordinated");
        assert!(suggested.json["suggestions"][0]["reason"].as_str().expect("reason").contains("1 connected partner"));

        // Another organization sees none of it.
        let theirs = app.api_as(&globex).get("/api/v1/orgs/globex/maturity").await;
        assert!(theirs.json["history"].as_array().expect("history").is_empty());
    }
}
