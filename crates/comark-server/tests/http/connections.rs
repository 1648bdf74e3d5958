use super::*;

both_backends! {
    async fn two_organizations_connect_and_either_can_end_it(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let request = app.api_as(&acme).post("/api/v1/orgs/acme/connections", json!({ "handle": "globex", "message": "Co-webinar?" })).await;
        assert_eq!(request.status, 201, "{}", request.text);
        assert_eq!(request.json["status"], "pending");
        assert_eq!(request.json["outgoing"], true);
        let id = request.json["id"].as_str().expect("id").to_owned();
        let theirs = app.api_as(&globex).get("/api/v1/orgs/globex/connections").await;
        assert_eq!(theirs.json["items"][0]["partner_handle"], "acme");
        assert_eq!(theirs.json["items"][0]["outgoing"], false);
        assert_eq!(theirs.json["items"][0]["message"], "Co-webinar?");
        let own_accept = app.api_as(&acme).post(&format!("/api/v1/orgs/acme/connections/{id}/accept"), json!({})).await;
        assert_eq!(own_accept.status, 409, "the requester accepted its own request");
        let accepted = app.api_as(&globex).post(&format!("/api/v1/orgs/globex/connections/{id}/accept"), json!({})).await;
        assert_eq!(accepted.json["status"], "accepted");
        let ended = app.api_as(&acme).post(&format!("/api/v1/orgs/acme/connections/{id}/end"), json!({})).await;
        assert_eq!(ended.json["status"], "ended");
        let seen_by_globex = app.api_as(&globex).get(&format!("/api/v1/orgs/globex/connections/{id}")).await;
        assert_eq!(seen_by_globex.json["status"], "ended");
        // Both sides' audit logs record the whole story.
        for (token, handle) in [(&acme, "acme"), (&globex, "globex")] {
            let events = app.api_as(token).get(&format!("/api/v1/orgs/{handle}/audit-events")).await;
            let actions: Vec<&str> = events.json["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
            assert!(actions.starts_with(&["connection.ended", "connection.accepted", "connection.requested"]), "{handle}: {actions:?}");
        }
    }

    async fn only_one_open_connection_per_pair_whoever_asks(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        assert_eq!(app.api_as(&acme).post("/api/v1/orgs/acme/connections", json!({ "handle": "globex" })).await.status, 201);
        let reverse = app.api_as(&globex).post("/api/v1/orgs/globex/connections", json!({ "handle": "acme" })).await;
        assert_eq!(reverse.status, 422, "{}", reverse.text);
        assert_eq!(reverse.json["errors"][0]["field"], "handle");
        let yourself = app.api_as(&acme).post("/api/v1/orgs/acme/connections", json!({ "handle": "acme" })).await;
        assert_eq!(yourself.status, 422);
        let nobody = app.api_as(&acme).post("/api/v1/orgs/acme/connections", json!({ "handle": "nobody-here" })).await;
        assert_eq!(nobody.status, 422);
    }

    async fn after_a_decline_a_new_request_can_be_sent(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let first = app.api_as(&acme).post("/api/v1/orgs/acme/connections", json!({ "handle": "globex" })).await;
        let id = first.json["id"].as_str().expect("id");
        let declined = app.api_as(&globex).post(&format!("/api/v1/orgs/globex/connections/{id}/decline"), json!({})).await;
        assert_eq!(declined.json["status"], "declined");
        assert_eq!(app.api_as(&acme).post("/api/v1/orgs/acme/connections", json!({ "handle": "globex" })).await.status, 201);
    }

    async fn an_invite_link_connects_at_once(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let link = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", json!({})).await;
        assert_eq!(link.status, 201, "{}", link.text);
        let secret = link.json["link"].as_str().expect("link").rsplit('/').next().expect("token").to_owned();
        let connected = app.api_as(&globex).post("/api/v1/orgs/globex/connections/via-link", json!({ "token": secret })).await;
        assert_eq!(connected.status, 201, "{}", connected.text);
        assert_eq!(connected.json["status"], "accepted");
        assert_eq!(connected.json["partner_handle"], "acme");
        let own = app.api_as(&acme).post("/api/v1/orgs/acme/connections/via-link", json!({ "token": secret })).await;
        assert_eq!(own.status, 409);
        let bogus = app.api_as(&globex).post("/api/v1/orgs/globex/connections/via-link", json!({ "token": "nope" })).await;
        assert_eq!(bogus.status, 404);
    }

    async fn a_partner_cannot_see_the_other_sides_organization(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let id = app.connect(&acme, "acme", &globex, "globex").await;
        assert_eq!(app.api_as(&globex).get("/api/v1/orgs/acme/members").await.status, 404);
        assert_eq!(app.api_as(&globex).get(&format!("/api/v1/orgs/acme/connections/{id}")).await.status, 404);
        assert_eq!(app.api_as(&globex).get(&format!("/api/v1/orgs/globex/connections/{id}")).await.status, 200);
    }
}
