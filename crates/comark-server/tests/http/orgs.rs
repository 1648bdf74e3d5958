use super::*;

both_backends! {
    async fn an_organization_gets_a_handle_from_its_name_when_none_is_given(app) {
        let token = app.sign_up("Olivia", "olivia@example.com").await;
        let reply = app.api_as(&token).post("/api/v1/orgs", json!({ "name": "Northwind Traders" })).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        assert_eq!(reply.json["handle"], "northwind-traders");
        assert_eq!(reply.json["role"], "owner");
        let taken = app.api_as(&token).post("/api/v1/orgs", json!({ "name": "Northwind Traders" })).await;
        assert_eq!(taken.status, 422);
        assert_eq!(taken.json["errors"][0]["field"], "handle");
    }

    async fn an_invited_colleague_joins_with_the_invited_role(app) {
        let owner = app.owner_of("acme").await;
        let colleague = app.member_of(&owner, "acme", "partner_manager").await;
        let orgs = app.api_as(&colleague).get("/api/v1/orgs").await;
        assert_eq!(orgs.json["items"][0]["handle"], "acme");
        assert_eq!(orgs.json["items"][0]["role"], "partner_manager");
        let members = app.api_as(&owner).get("/api/v1/orgs/acme/members").await;
        assert_eq!(members.json["items"].as_array().map(Vec::len), Some(2));
    }

    async fn an_invitation_works_once(app) {
        let owner = app.owner_of("acme").await;
        let invitation = app.api_as(&owner).post("/api/v1/orgs/acme/invitations", json!({ "role": "sales" })).await;
        let secret = invitation.json["link"].as_str().expect("link").rsplit('/').next().expect("token").to_owned();
        let first = app.sign_up("First", "first@example.com").await;
        let second = app.sign_up("Second", "second@example.com").await;
        assert_eq!(app.api_as(&first).post(&format!("/api/v1/invitations/{secret}/accept"), json!({})).await.status, 200);
        let again = app.api_as(&second).post(&format!("/api/v1/invitations/{secret}/accept"), json!({})).await;
        assert_eq!(again.status, 404, "{}", again.text);
    }

    async fn a_withdrawn_invitation_no_longer_works(app) {
        let owner = app.owner_of("acme").await;
        let invitation = app.api_as(&owner).post("/api/v1/orgs/acme/invitations", json!({ "role": "sales" })).await;
        let id = invitation.json["invitation"]["id"].as_str().expect("id");
        let secret = invitation.json["link"].as_str().expect("link").rsplit('/').next().expect("token").to_owned();
        assert_eq!(app.api_as(&owner).delete(&format!("/api/v1/orgs/acme/invitations/{id}")).await.status, 204);
        let open = app.api_as(&owner).get("/api/v1/orgs/acme/invitations").await;
        assert_eq!(open.json["items"].as_array().map(Vec::len), Some(0));
        let someone = app.sign_up("Someone", "someone@example.com").await;
        assert_eq!(app.api_as(&someone).post(&format!("/api/v1/invitations/{secret}/accept"), json!({})).await.status, 404);
    }

    async fn the_last_owner_cannot_leave_or_be_demoted(app) {
        let owner = app.owner_of("acme").await;
        let me = app.api_as(&owner).get("/api/v1/me").await;
        let my_id = me.json["user"]["id"].as_str().expect("id").to_owned();
        let leave = app.api_as(&owner).delete(&format!("/api/v1/orgs/acme/members/{my_id}")).await;
        assert_eq!(leave.status, 409, "{}", leave.text);
        assert!(leave.json["detail"].as_str().unwrap_or_default().contains("at least one owner"));
        let demote = app.api_as(&owner).patch(&format!("/api/v1/orgs/acme/members/{my_id}"), json!({ "role": "admin" })).await;
        assert_eq!(demote.status, 409);
        // With a second owner, the first may step down.
        let second = app.member_of(&owner, "acme", "owner").await;
        drop(second);
        let demote = app.api_as(&owner).patch(&format!("/api/v1/orgs/acme/members/{my_id}"), json!({ "role": "admin" })).await;
        assert_eq!(demote.status, 200, "{}", demote.text);
        assert_eq!(demote.json["role"], "admin");
    }

    async fn an_admin_cannot_make_owners_or_touch_them(app) {
        let owner = app.owner_of("acme").await;
        let admin = app.member_of(&owner, "acme", "admin").await;
        let invite_owner = app.api_as(&admin).post("/api/v1/orgs/acme/invitations", json!({ "role": "owner" })).await;
        assert_eq!(invite_owner.status, 422);
        let owner_id = app.api_as(&owner).get("/api/v1/me").await.json["user"]["id"].as_str().expect("id").to_owned();
        let demote = app.api_as(&admin).patch(&format!("/api/v1/orgs/acme/members/{owner_id}"), json!({ "role": "sales" })).await;
        assert_eq!(demote.status, 403);
        let remove = app.api_as(&admin).delete(&format!("/api/v1/orgs/acme/members/{owner_id}")).await;
        assert_eq!(remove.status, 403);
    }

    async fn a_member_may_leave_and_then_sees_nothing(app) {
        let owner = app.owner_of("acme").await;
        let marketer = app.member_of(&owner, "acme", "marketer").await;
        let my_id = app.api_as(&marketer).get("/api/v1/me").await.json["user"]["id"].as_str().expect("id").to_owned();
        assert_eq!(app.api_as(&marketer).delete(&format!("/api/v1/orgs/acme/members/{my_id}")).await.status, 204);
        assert_eq!(app.api_as(&marketer).get("/api/v1/orgs/acme").await.status, 404);
    }

    async fn the_audit_log_records_membership_changes_and_exports_csv(app) {
        let owner = app.owner_of("acme").await;
        app.member_of(&owner, "acme", "sales").await;
        let events = app.api_as(&owner).get("/api/v1/orgs/acme/audit-events").await;
        let actions: Vec<&str> = events.json["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions, vec!["member.joined", "member.invited", "org.created"]);
        let csv = app.api_as(&owner).get("/api/v1/orgs/acme/audit-events.csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.content_type().starts_with("text/csv"));
        let mut lines = csv.text.lines();
        assert_eq!(lines.next(), Some("occurred_at,actor,action,subject,details,ip"));
        assert_eq!(lines.count(), 3);
    }

    async fn audit_pages_follow_the_cursor_without_gaps_or_repeats(app) {
        let owner = app.owner_of("acme").await;
        for n in 0..7 {
            app.api_as(&owner).patch("/api/v1/orgs/acme", json!({ "name": format!("Acme {n}") })).await;
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/orgs/acme/audit-events?limit=3".to_owned();
        loop {
            let page = app.api_as(&owner).get(&path).await;
            assert_eq!(page.status, 200, "{}", page.text);
            seen.extend(page.json["items"].as_array().expect("items").iter().map(|e| e["id"].as_str().expect("id").to_owned()));
            match page.json["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/orgs/acme/audit-events?limit=3&cursor={cursor}"),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(seen.len(), 8);
        assert_eq!(unique.len(), 8);
        let bad = app.api_as(&owner).get("/api/v1/orgs/acme/audit-events?cursor=garbage").await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.json["errors"][0]["field"], "cursor");
    }
}

both_backends! {
    async fn password_and_second_factor_changes_reach_the_audit_log(app) {
        let owner = app.owner_of("acme").await;
        let changed = app
            .api_as(&owner)
            .put("/api/v1/me/password", json!({ "current_password": PASSWORD, "new_password": "another long passphrase" }))
            .await;
        assert_eq!(changed.status, 204);
        let setup = app.api_as(&owner).post("/api/v1/me/totp", json!({})).await;
        let code = comark_app::auth::current_totp_code(setup.json["secret"].as_str().expect("secret")).expect("code");
        assert_eq!(app.api_as(&owner).post("/api/v1/me/totp/confirm", json!({ "code": code })).await.status, 200);
        let events = app.api_as(&owner).get("/api/v1/orgs/acme/audit-events").await;
        let actions: Vec<&str> = events.json["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(&actions[..2], ["user.second_factor_enabled", "user.password_changed"]);
    }
}

both_backends! {
    async fn member_pages_follow_the_cursor_and_cover_everyone_once(app) {
        let owner = app.owner_of("acme").await;
        for role in ["sales", "marketer", "executive", "admin"] {
            app.member_of(&owner, "acme", role).await;
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/orgs/acme/members?limit=2".to_owned();
        let mut n_pages = 0;
        loop {
            let page = app.api_as(&owner).get(&path).await;
            assert_eq!(page.status, 200, "{}", page.text);
            n_pages += 1;
            seen.extend(page.json["items"].as_array().expect("items").iter().map(|m| m["user_id"].as_str().expect("id").to_owned()));
            match page.json["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/orgs/acme/members?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(n_pages, 3);
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (5, 5));
        let bad = app.api_as(&owner).get("/api/v1/orgs/acme/members?cursor=not-ours").await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.json["errors"][0]["field"], "cursor");
    }
}
