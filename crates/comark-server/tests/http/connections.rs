use super::*;

/// The secret at the end of a new connection link.
fn token_of(created: &comark_testkit::Reply) -> String {
    created.json["link"]
        .as_str()
        .expect("link")
        .rsplit('/')
        .next()
        .expect("token")
        .to_owned()
}

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

    async fn a_connection_through_a_link_waits_for_the_creators_acceptance_unless_created_to_connect_at_once(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let initech = app.owner_of("initech").await;
        // By default a link works once, for a week, and asks its creator to accept.
        let link = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", json!({})).await;
        assert_eq!(link.status, 201, "{}", link.text);
        assert_eq!((link.json["max_uses"].as_i64(), link.json["uses"].as_i64()), (Some(1), Some(0)));
        assert_eq!(link.json["auto_accept"], false);
        assert_eq!(link.json["status"], "open");
        let expires: chrono::DateTime<chrono::Utc> = link.json["expires_at"].as_str().expect("expiry").parse().expect("a time");
        let days = (expires - chrono::Utc::now()).num_hours();
        assert!((7 * 24 - 1..=7 * 24).contains(&days), "{days} hours");
        let secret = token_of(&link);
        let connected = app.api_as(&globex).post("/api/v1/orgs/globex/connections/via-link", json!({ "token": secret })).await;
        assert_eq!(connected.status, 201, "{}", connected.text);
        assert_eq!(connected.json["status"], "pending");
        assert_eq!(connected.json["partner_handle"], "acme");
        assert_eq!(connected.json["via_link"], true);
        let id = connected.json["id"].as_str().expect("id").to_owned();
        // Nothing is shared yet; acme finds the request among those waiting for it.
        let theirs = app.api_as(&acme).get(&format!("/api/v1/orgs/acme/connections/{id}")).await;
        assert_eq!((theirs.json["status"].as_str(), theirs.json["outgoing"].as_bool()), (Some("pending"), Some(false)));
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let page = browser.get("/o/acme/partners").await.text;
        let waiting = &page[page.find("Requests waiting for you").expect("a request waits for acme")..];
        assert!(waiting.contains("globex Inc.") && waiting.contains("through your invite link"), "{page}");
        let own_accept = app.api_as(&globex).post(&format!("/api/v1/orgs/globex/connections/{id}/accept"), json!({})).await;
        assert_eq!(own_accept.status, 409, "the link's user accepted for its creator");
        let accepted = app.api_as(&acme).post(&format!("/api/v1/orgs/acme/connections/{id}/accept"), json!({})).await;
        assert_eq!(accepted.json["status"], "accepted", "{}", accepted.text);
        // Created to connect at once, a link does.
        let at_once = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", json!({ "auto_accept": true })).await;
        let connected = app.api_as(&initech).post("/api/v1/orgs/initech/connections/via-link", json!({ "token": token_of(&at_once) })).await;
        assert_eq!(connected.status, 201, "{}", connected.text);
        assert_eq!(connected.json["status"], "accepted");
        // One's own link, or a token that is no link at all, connect nothing.
        let mine = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", json!({})).await;
        let own = app.api_as(&acme).post("/api/v1/orgs/acme/connections/via-link", json!({ "token": token_of(&mine) })).await;
        assert_eq!(own.status, 409);
        let bogus = app.api_as(&globex).post("/api/v1/orgs/globex/connections/via-link", json!({ "token": "nope" })).await;
        assert_eq!(bogus.status, 404);
        // The refused attempt on one's own link did not count as a use.
        let links = app.api_as(&acme).get("/api/v1/orgs/acme/connection-links").await;
        let unused = links.json["items"].as_array().expect("items").iter().find(|l| l["id"] == mine.json["id"]).expect("the link").clone();
        assert_eq!(unused["uses"], 0, "{unused}");
    }

    async fn a_used_up_expired_or_revoked_link_answers_like_an_unknown_one(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let initech = app.owner_of("initech").await;
        let unknown = app.api_as(&initech).post("/api/v1/orgs/initech/connections/via-link", json!({ "token": "no-such-link" })).await;
        assert_eq!(unknown.status, 404);
        let used_up = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", json!({ "note": "For globex" })).await;
        assert_eq!(app.api_as(&globex).post("/api/v1/orgs/globex/connections/via-link", json!({ "token": token_of(&used_up) })).await.status, 201);
        let revoked = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", json!({ "max_uses": 5 })).await;
        let revoked_id = revoked.json["id"].as_str().expect("id").to_owned();
        assert_eq!(app.api_as(&acme).delete(&format!("/api/v1/orgs/acme/connection-links/{revoked_id}")).await.status, 204);
        // A link whose time ran out (made straight in the store: the API allows one day at least).
        let scope = app.store.admin_scope("acme").await.expect("scope").expect("acme");
        let options = comark_domain::LinkOptions::parse(Some(5), None, false, Some("Expired")).expect("options");
        let expired_token = "an-expired-invite-link";
        app.store.org(&scope).create_connection_link(&comark_app::secrets::hash_token(expired_token), &options,
            comark_store::now() - chrono::Duration::seconds(1), &comark_store::Actor::system()).await.expect("link");
        let browser = app.browser();
        browser.sign_in("owner@initech.example", PASSWORD).await;
        let unknown_page = browser.get("/connect/no-such-link").await;
        for token in [token_of(&used_up), token_of(&revoked), expired_token.to_owned()] {
            let reply = app.api_as(&initech).post("/api/v1/orgs/initech/connections/via-link", json!({ "token": token })).await;
            assert_eq!((reply.status, &reply.text), (404, &unknown.text), "the link {token} answered unlike an unknown one");
            let page = browser.get(&format!("/connect/{token}")).await;
            assert_eq!((page.status, &page.text), (404, &unknown_page.text));
            let posted = browser.submit(&format!("/connect/{token}"), &[("org", "initech")]).await;
            assert_eq!(posted.status, 404);
        }
        assert_eq!(app.api_as(&initech).get("/api/v1/orgs/initech/connections").await.json["items"], json!([]));
        // The list shows each with its uses and where it stands.
        let links = app.api_as(&acme).get("/api/v1/orgs/acme/connection-links").await;
        assert_eq!(links.status, 200, "{}", links.text);
        let statuses: Vec<(String, i64, i64)> = links.json["items"].as_array().expect("items").iter()
            .map(|l| (l["status"].as_str().expect("status").to_owned(), l["uses"].as_i64().expect("uses"), l["max_uses"].as_i64().expect("max")))
            .collect();
        assert_eq!(statuses, [("expired".to_owned(), 0, 5), ("revoked".to_owned(), 0, 5), ("used_up".to_owned(), 1, 1)]);
        assert_eq!(links.json["items"][2]["note"], "For globex");
        // Revoking twice, or another organization's link, is not found alike.
        let again = app.api_as(&acme).delete(&format!("/api/v1/orgs/acme/connection-links/{revoked_id}")).await;
        assert_eq!(again.status, 404);
        let theirs = app.api_as(&globex).post("/api/v1/orgs/globex/connection-links", json!({})).await;
        let not_ours = app.api_as(&acme).delete(&format!("/api/v1/orgs/acme/connection-links/{}", theirs.json["id"].as_str().expect("id"))).await;
        assert_eq!((not_ours.status, &not_ours.text), (404, &again.text));
        assert_eq!(app.api_as(&initech).post("/api/v1/orgs/initech/connections/via-link", json!({ "token": token_of(&theirs) })).await.status, 201, "revoking elsewhere touched globex's link");
    }

    async fn a_link_of_two_uses_connects_two_organizations_and_refuses_the_third(app) {
        let acme = app.owner_of("acme").await;
        let link = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", json!({ "max_uses": 2, "expires_in_days": 30, "auto_accept": true })).await;
        assert_eq!(link.status, 201, "{}", link.text);
        let secret = token_of(&link);
        for (n, handle) in ["globex", "initech", "umbrella"].into_iter().enumerate() {
            let token = app.owner_of(handle).await;
            let reply = app.api_as(&token).post(&format!("/api/v1/orgs/{handle}/connections/via-link"), json!({ "token": secret })).await;
            let expected = if n < 2 { 201 } else { 404 };
            assert_eq!(reply.status, expected, "{handle}: {}", reply.text);
        }
        let partners = app.api_as(&acme).get("/api/v1/orgs/acme/connections").await;
        let handles: Vec<&str> = partners.json["items"].as_array().expect("items").iter().filter_map(|c| c["partner_handle"].as_str()).collect();
        assert_eq!(handles, ["initech", "globex"]);
        let links = app.api_as(&acme).get("/api/v1/orgs/acme/connection-links").await;
        assert_eq!((links.json["items"][0]["uses"].as_i64(), links.json["items"][0]["status"].as_str()), (Some(2), Some("used_up")));
    }

    async fn two_organizations_racing_for_a_single_use_make_exactly_one_connection(app) {
        let acme = app.owner_of("acme").await;
        let second = app.another_instance().await;
        for round in 0..2 {
            // Fresh racers each round: one already connected with acme would be refused anyway.
            let mut racers = Vec::new();
            for n in 0..6 {
                let handle = format!("racer-{round}-{n}");
                racers.push((handle.clone(), app.owner_of(&handle).await));
            }
            let link = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", json!({ "auto_accept": round == 0 })).await;
            let secret = token_of(&link);
            let mut attempts = tokio::task::JoinSet::new();
            for (n, (handle, token)) in racers.iter().enumerate() {
                // Half of them go through a second instance on the same database.
                let api = if n % 2 == 0 { app.api_as(token) } else { second.api_as(token) };
                let path = format!("/api/v1/orgs/{handle}/connections/via-link");
                let body = json!({ "token": secret });
                attempts.spawn(async move { api.post(&path, body).await.status });
            }
            let mut statuses = Vec::new();
            while let Some(status) = attempts.join_next().await {
                statuses.push(status.expect("the attempt ran"));
            }
            statuses.sort_unstable();
            assert_eq!(statuses, [201, 404, 404, 404, 404, 404], "round {round}");
            let links = app.api_as(&acme).get("/api/v1/orgs/acme/connection-links").await;
            assert_eq!(links.json["items"][0]["uses"], 1, "round {round}: {}", links.text);
        }
        let connections = app.api_as(&acme).get("/api/v1/orgs/acme/connections").await;
        assert_eq!(connections.json["items"].as_array().map(Vec::len), Some(2), "{}", connections.text);
    }

    async fn a_link_with_limits_out_of_bounds_is_refused_by_field(app) {
        let acme = app.owner_of("acme").await;
        for (body, field) in [
            (json!({ "max_uses": 0 }), "max_uses"),
            (json!({ "max_uses": 101 }), "max_uses"),
            (json!({ "expires_in_days": 0 }), "expires_in_days"),
            (json!({ "expires_in_days": 91 }), "expires_in_days"),
            (json!({ "note": "n".repeat(201) }), "note"),
        ] {
            let reply = app.api_as(&acme).post("/api/v1/orgs/acme/connection-links", body.clone()).await;
            assert_eq!(reply.status, 422, "{body}: {}", reply.text);
            assert_eq!(reply.json["errors"][0]["field"], field, "{body}");
        }
        assert_eq!(app.api_as(&acme).get("/api/v1/orgs/acme/connection-links").await.json["items"], json!([]));
        // A client that sends no body at all gets the defaults, as before the options existed.
        let bare = app.api_as(&acme).send(reqwest::Method::POST, "/api/v1/orgs/acme/connection-links", None).await;
        assert_eq!(bare.status, 201, "{}", bare.text);
        assert_eq!(bare.json["max_uses"], 1);
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
