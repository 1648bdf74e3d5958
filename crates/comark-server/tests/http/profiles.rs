use super::*;

fn profile(
    offerings: &[&str],
    industries: &[&str],
    values: &[&str],
    listed: bool,
) -> serde_json::Value {
    json!({
        "kind": "agency",
        "offerings": offerings,
        "industries": industries,
        "regions": ["emea"],
        "values": values,
        "offers": ["content", "events"],
        "looking_for": ["webinars"],
        "listed": listed,
    })
}

both_backends! {
    async fn a_profile_is_saved_as_typed_and_bad_words_are_named(app) {
        let owner = app.owner_of("acme").await;
        let saved = app
            .api_as(&owner)
            .put("/api/v1/orgs/acme/profile", json!({ "kind": "Technology", "industries": ["Healthcare, FinTech"], "offers": ["webinars"], "listed": true }))
            .await;
        assert_eq!(saved.status, 200, "{}", saved.text);
        assert_eq!(saved.json["kind"], "technology");
        assert_eq!(saved.json["industries"], json!(["fintech", "healthcare"]));
        let read = app.api_as(&owner).get("/api/v1/orgs/acme/profile").await;
        assert_eq!(read.json, saved.json);
        let bad = app.api_as(&owner).put("/api/v1/orgs/acme/profile", json!({ "offers": ["telepathy"], "kind": "pirate" })).await;
        assert_eq!(bad.status, 422);
        let fields: Vec<&str> = bad.json["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, vec!["kind", "offers"]);
    }

    async fn marketers_edit_the_profile_but_sales_only_read_it(app) {
        let owner = app.owner_of("acme").await;
        let marketer = app.member_of(&owner, "acme", "marketer").await;
        let sales = app.member_of(&owner, "acme", "sales").await;
        assert_eq!(app.api_as(&marketer).put("/api/v1/orgs/acme/profile", json!({ "values": ["craft"] })).await.status, 200);
        assert_eq!(app.api_as(&sales).put("/api/v1/orgs/acme/profile", json!({ "values": ["speed"] })).await.status, 403);
        assert_eq!(app.api_as(&sales).get("/api/v1/orgs/acme/profile").await.json["values"], json!(["craft"]));
    }

    async fn the_directory_ranks_listed_profiles_and_partners_by_fit_with_reasons(app) {
        let acme = app.owner_of("acme").await;
        app.api_as(&acme).put("/api/v1/orgs/acme/profile", json!({
            "kind": "technology", "offerings": ["crm software"], "industries": ["healthcare"], "regions": ["emea"],
            "values": ["privacy"], "offers": ["webinars"], "looking_for": ["content"], "seeks_kinds": ["agency"], "listed": true
        })).await;
        let good = app.owner_of("goodfit").await;
        app.api_as(&good).put("/api/v1/orgs/goodfit/profile", profile(&["content marketing"], &["healthcare"], &["privacy"], true)).await;
        let rival = app.owner_of("rival").await;
        app.api_as(&rival).put("/api/v1/orgs/rival/profile", profile(&["crm software"], &["retail"], &["speed"], true)).await;
        let hidden = app.owner_of("hidden").await;
        app.api_as(&hidden).put("/api/v1/orgs/hidden/profile", profile(&["content marketing"], &["healthcare"], &["privacy"], false)).await;

        let directory = app.api_as(&acme).get("/api/v1/orgs/acme/directory").await;
        assert_eq!(directory.status, 200, "{}", directory.text);
        let handles: Vec<&str> = directory.json["items"].as_array().expect("items").iter().filter_map(|c| c["handle"].as_str()).collect();
        assert_eq!(handles, vec!["goodfit", "rival"], "unlisted profiles of strangers must not appear");
        let best = &directory.json["items"][0]["fit"];
        assert!(best["score"].as_u64().unwrap_or(0) > directory.json["items"][1]["fit"]["score"].as_u64().unwrap_or(100));
        assert_eq!(best["factors"][0]["factor"], "audience");
        assert!(best["factors"][0]["evidence"].as_array().expect("evidence").iter().any(|e| e == "industries in common: healthcare"));
        let rival_reasons = directory.json["items"][1]["fit"]["factors"][1]["evidence"].to_string();
        assert!(rival_reasons.contains("both offer crm software: you may compete"), "{rival_reasons}");

        assert_eq!(app.api_as(&acme).get("/api/v1/orgs/acme/directory/hidden").await.status, 404);
        // Once connected, a partner's unlisted profile is readable; once ended, it is not.
        let connection = app.connect(&acme, "acme", &hidden, "hidden").await;
        assert_eq!(app.api_as(&acme).get("/api/v1/orgs/acme/directory/hidden").await.status, 200);
        app.api_as(&acme).post(&format!("/api/v1/orgs/acme/connections/{connection}/end"), json!({})).await;
        assert_eq!(app.api_as(&acme).get("/api/v1/orgs/acme/directory/hidden").await.status, 404);
    }

    async fn weights_reorder_the_directory_and_are_checked(app) {
        let acme = app.owner_of("acme").await;
        app.api_as(&acme).put("/api/v1/orgs/acme/profile", json!({ "industries": ["healthcare"], "values": ["privacy"] })).await;
        let same_values = app.owner_of("values-match").await;
        app.api_as(&same_values).put("/api/v1/orgs/values-match/profile", profile(&["x"], &["retail"], &["privacy"], true)).await;
        let same_buyers = app.owner_of("buyers-match").await;
        app.api_as(&same_buyers).put("/api/v1/orgs/buyers-match/profile", profile(&["y"], &["healthcare"], &["speed"], true)).await;
        let first = |reply: &comark_testkit::Reply| reply.json["items"][0]["handle"].as_str().unwrap_or_default().to_owned();
        let by_values = app.api_as(&acme).get("/api/v1/orgs/acme/directory?audience=0&values=100").await;
        assert_eq!(first(&by_values), "values-match");
        let by_audience = app.api_as(&acme).get("/api/v1/orgs/acme/directory?audience=100&values=0").await;
        assert_eq!(first(&by_audience), "buyers-match");
        let healthcare = app.api_as(&acme).get("/api/v1/orgs/acme/directory?industry=Healthcare&kind=agency").await;
        let handles: Vec<&str> = healthcare.json["items"].as_array().expect("items").iter().filter_map(|c| c["handle"].as_str()).collect();
        assert_eq!(handles, vec!["buyers-match"], "only agencies selling to healthcare");
        let no_kind = app.api_as(&acme).get("/api/v1/orgs/acme/directory?kind=pirate").await;
        assert_eq!(no_kind.status, 422);
        assert_eq!(no_kind.json["errors"][0]["field"], "kind");
        let bad = app.api_as(&acme).get("/api/v1/orgs/acme/directory?audience=101").await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.json["errors"][0]["field"], "audience");
    }

    async fn the_profile_form_saves_ticked_boxes_and_the_directory_shows_the_score(app) {
        app.owner_of("acme").await;
        let other = app.owner_of("globex").await;
        app.api_as(&other).put("/api/v1/orgs/globex/profile", profile(&["content marketing"], &["healthcare"], &["privacy"], true)).await;
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let page = browser.get("/o/acme/profile").await;
        assert!(page.text.contains(r#"<label for="f-industries">"#));
        let saved = browser
            .submit("/o/acme/profile", &[("kind", "technology"), ("industries", "Healthcare"), ("offers", "webinars"), ("looking_for", "content"), ("looking_for", "events"), ("listed", "yes")])
            .await;
        assert_eq!(saved.location(), Some("/o/acme/profile"), "{}", saved.text);
        let signed_in = app.api().post("/api/v1/auth/sign-in", json!({ "email": "owner@acme.example", "password": PASSWORD })).await;
        let token = signed_in.json["token"].as_str().expect("token");
        let stored = app.api_as(token).get("/api/v1/orgs/acme/profile").await;
        assert_eq!(stored.json["looking_for"], json!(["content", "events"]));
        assert_eq!(stored.json["listed"], true);
        let directory = browser.get("/o/acme/directory").await;
        assert!(directory.text.contains("globex Inc."), "{}", directory.text);
        assert!(directory.text.contains("industries in common: healthcare"));
        let filtered = browser.get("/o/acme/directory?industry=retail").await;
        assert_eq!(filtered.status, 200);
        assert!(!filtered.text.contains("globex Inc."), "the filter let a healthcare-only agency through");
        let bad = browser.submit("/o/acme/profile", &[("kind", "pirate")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("must be one of"));
    }

    async fn reach_figures_are_saved_shown_and_checked(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let saved = api.put("/api/v1/orgs/acme/profile", json!({ "offers": ["newsletter"], "newsletter_subscribers": 40000, "listed": true })).await;
        assert_eq!(saved.status, 200, "{}", saved.text);
        assert_eq!(saved.json["newsletter_subscribers"], 40000);
        let too_big = api.put("/api/v1/orgs/acme/profile", json!({ "newsletter_subscribers": 99_000_000_000u64 })).await;
        assert_eq!(too_big.status, 422, "{}", too_big.text);
        assert_eq!(too_big.json["errors"][0]["field"], "newsletter_subscribers");
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let bad = browser.submit("/o/acme/profile", &[("social_followers", "lots")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("must be a whole number"), "{}", bad.text);
        let good = browser.submit("/o/acme/profile", &[("offers", "social"), ("social_followers", "12,500"), ("listed", "yes")]).await;
        assert_eq!(good.status, 303, "{}", good.text);
        let stored = api.get("/api/v1/orgs/acme/profile").await;
        assert_eq!(stored.json["social_followers"], 12500);
        // A partner looking for social reach sees the figure in the fit's evidence.
        let partner = app.owner_of("globex").await;
        app.api_as(&partner).put("/api/v1/orgs/globex/profile", json!({ "looking_for": ["social"] })).await;
        let candidate = app.api_as(&partner).get("/api/v1/orgs/globex/directory/acme").await;
        assert!(candidate.text.contains("12,500 social followers"), "{}", candidate.text);
    }
}
