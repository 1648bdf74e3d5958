use super::*;
use comark_testkit::{both_backends_with, Options};

fn secret_of(link: &str) -> String {
    link.rsplit('/')
        .next()
        .expect("token at the end of the link")
        .to_owned()
}

/// The handles of the organizations the token's person belongs to.
async fn handles_of(app: &TestApp, token: &str) -> Vec<String> {
    let orgs = app.api_as(token).get("/api/v1/orgs").await;
    orgs.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["handle"].as_str().expect("handle").to_owned())
        .collect()
}

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

    async fn a_link_invitation_works_once_and_cannot_carry_admin_or_owner(app) {
        let owner = app.owner_of("acme").await;
        for role in ["owner", "admin"] {
            let refused = app.api_as(&owner).post("/api/v1/orgs/acme/invitations", json!({ "role": role })).await;
            assert_eq!(refused.status, 422, "a link for anyone made an {role}: {}", refused.text);
            assert_eq!(refused.json["errors"][0]["field"], "role");
            assert!(refused.json["errors"][0]["message"].as_str().expect("message").contains("e-mail address"), "{}", refused.text);
        }
        let invitation = app.api_as(&owner).post("/api/v1/orgs/acme/invitations", json!({ "role": "sales" })).await;
        assert_eq!(invitation.status, 201, "{}", invitation.text);
        assert_eq!(invitation.json["invitation"]["kind"], "link");
        assert!(invitation.json["invitation"]["email"].is_null());
        let open = app.api_as(&owner).get("/api/v1/orgs/acme/invitations").await;
        assert_eq!(open.json["items"][0]["kind"], "link", "{}", open.text);
        let secret = secret_of(invitation.json["link"].as_str().expect("link"));
        let first = app.sign_up("First", "first@example.com").await;
        let second = app.sign_up("Second", "second@example.com").await;
        assert_eq!(app.api_as(&first).post(&format!("/api/v1/invitations/{secret}/accept"), json!({})).await.status, 200);
        let again = app.api_as(&second).post(&format!("/api/v1/invitations/{secret}/accept"), json!({})).await;
        assert_eq!(again.status, 404, "{}", again.text);
        assert_eq!(handles_of(&app, &second).await, Vec::<String>::new(), "the second person joined too");
        let members = app.api_as(&owner).get("/api/v1/orgs/acme/members").await;
        assert_eq!(members.json["items"].as_array().map(Vec::len), Some(2));
        // The page for the link says whom it is for, in the same words as the members page.
        let page = app.browser().get(&format!("/invitations/{}", secret_of(app.api_as(&owner).post("/api/v1/orgs/acme/invitations", json!({ "role": "sales" })).await.json["link"].as_str().expect("link")))).await;
        assert!(page.text.contains("anyone with this link"), "{}", page.text);
    }

    async fn an_invitation_to_one_address_cannot_be_accepted_by_another_account(app) {
        // The reported attack: acme invites an admin by address; globex's owner, who got hold
        // of the link, accepts it.
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let invitation = app.api_as(&acme).post("/api/v1/orgs/acme/invitations", json!({ "email": "Ada@Acme.example", "role": "admin" })).await;
        assert_eq!(invitation.status, 201, "{}", invitation.text);
        assert_eq!(invitation.json["invitation"]["kind"], "email");
        assert_eq!(invitation.json["invitation"]["email"], "ada@acme.example");
        let secret = secret_of(invitation.json["link"].as_str().expect("without e-mail the inviter gets the link"));
        let attempt = app.api_as(&globex).post(&format!("/api/v1/invitations/{secret}/accept"), json!({})).await;
        assert_eq!(attempt.status, 409, "{}", attempt.text);
        let detail = attempt.json["detail"].as_str().expect("detail");
        assert!(detail.contains("This invitation is for a…@acme.example; you are signed in as owner@globex.example"), "{detail}");
        // Nothing changed: globex's owner is not in acme, acme has its one member, and the
        // invitation still waits for its addressee.
        assert_eq!(handles_of(&app, &globex).await, ["globex"]);
        assert_eq!(app.api_as(&globex).get("/api/v1/orgs/acme/members").await.status, 404);
        let members = app.api_as(&acme).get("/api/v1/orgs/acme/members").await;
        assert_eq!(members.json["items"].as_array().map(Vec::len), Some(1));
        let open = app.api_as(&acme).get("/api/v1/orgs/acme/invitations").await;
        assert_eq!(open.json["items"].as_array().map(Vec::len), Some(1), "{}", open.text);
        // The invitation page tells the wrong account the same, and offers no button.
        let browser = app.browser();
        browser.sign_in("owner@globex.example", PASSWORD).await;
        let page = browser.get(&format!("/invitations/{secret}")).await;
        assert!(page.text.contains("This invitation is for a…@acme.example; you are signed in as owner@globex.example"), "{}", page.text);
        assert!(!page.text.contains("Accept and join"), "{}", page.text);
        let posted = browser.submit(&format!("/invitations/{secret}/accept"), &[]).await;
        assert_eq!(posted.status, 409);
        assert_eq!(handles_of(&app, &globex).await, ["globex"]);
        // The addressee accepts it.
        let ada = app.sign_up("Ada", "ada@acme.example").await;
        let joined = app.api_as(&ada).post(&format!("/api/v1/invitations/{secret}/accept"), json!({})).await;
        assert_eq!(joined.status, 200, "{}", joined.text);
        assert_eq!(joined.json["role"], "admin");
        // Without e-mail, matching the address is all comark can check, and it says so.
        let members_page = app.browser();
        members_page.sign_in("owner@acme.example", PASSWORD).await;
        let text = members_page.get("/o/acme/members").await.text;
        assert!(text.contains("can only check that the account accepting it has the invited address"), "{text}");
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

both_backends_with! { Options { mail: true, ..Default::default() };
    async fn a_mailed_invitation_is_accepted_only_by_its_address_and_proves_it(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        // An account for the address that never proved it (made before the instance sent
        // e-mail, say): only the mailed link can prove it now.
        app.store.create_user("ada@acme.example", "Ada", "not a usable hash").await.expect("an unproven account");
        comark_app::auth::admin_reset_password(&app.app, "ada@acme.example", PASSWORD).await.expect("a password");
        let ada = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@acme.example", "password": PASSWORD })).await;
        let ada = ada.json["token"].as_str().expect("token").to_owned();
        assert_eq!(app.api_as(&ada).get("/api/v1/me").await.json["user"]["email_verified"], false);
        let invitation = app.api_as(&acme).post("/api/v1/orgs/acme/invitations", json!({ "email": "ada@acme.example", "role": "admin" })).await;
        assert_eq!(invitation.status, 201, "{}", invitation.text);
        assert_eq!(invitation.json["emailed"], true);
        assert!(invitation.json["link"].is_null(), "a mailed link is for the inbox only: {}", invitation.text);
        let link = app.invitation_link(&invitation, "ada@acme.example").await;
        let forwarded = app.api_as(&globex).post(&format!("/api/v1/invitations/{}/accept", secret_of(&link)), json!({})).await;
        assert_eq!(forwarded.status, 409, "{}", forwarded.text);
        assert_eq!(handles_of(&app, &globex).await, ["globex"]);
        let joined = app.api_as(&ada).post(&format!("/api/v1/invitations/{}/accept", secret_of(&link)), json!({})).await;
        assert_eq!(joined.status, 200, "{}", joined.text);
        assert_eq!(app.api_as(&ada).get("/api/v1/me").await.json["user"]["email_verified"], true, "opening the mailed link proved the address");
    }

    async fn an_account_that_never_proved_its_address_cannot_accept_an_invitation_that_was_not_mailed(app) {
        let acme = app.owner_of("acme").await;
        // An invitation made while the instance sent no e-mail: its link went to the inviter.
        let scope = app.store.admin_scope("acme").await.expect("scope").expect("acme");
        let token = "a-link-the-inviter-handed-over";
        app.store.org(&scope).create_invitation(Some("ada@acme.example"), comark_domain::Role::Admin,
            &comark_app::secrets::hash_token(token), comark_store::now() + chrono::Duration::days(1),
            &comark_store::Actor::system(), None).await.expect("invitation");
        app.store.create_user("ada@acme.example", "Ada", "not a usable hash").await.expect("an unproven account");
        comark_app::auth::admin_reset_password(&app.app, "ada@acme.example", PASSWORD).await.expect("a password");
        let signed_in = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@acme.example", "password": PASSWORD })).await;
        let ada = signed_in.json["token"].as_str().expect("token").to_owned();
        let refused = app.api_as(&ada).post(&format!("/api/v1/invitations/{token}/accept"), json!({})).await;
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert!(refused.json["detail"].as_str().expect("detail").contains("not confirmed yet"), "{}", refused.text);
        assert_eq!(handles_of(&app, &ada).await, Vec::<String>::new());
        // A password reset through the e-mailed link proves the address; then it works.
        app.api().post("/api/v1/auth/password-reset", json!({ "email": "ada@acme.example" })).await;
        app.run_jobs().await;
        let reset_link = app.mailbox.as_ref().expect("mailbox").messages_to("ada@acme.example").iter().find_map(|m| m.first_link().filter(|l| l.contains("/reset-password/"))).expect("a reset link");
        let reset = app.api().post("/api/v1/auth/password-reset/confirm", json!({ "token": secret_of(&reset_link), "password": "a brand new passphrase" })).await;
        assert_eq!(reset.status, 204, "{}", reset.text);
        let signed_in = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@acme.example", "password": "a brand new passphrase" })).await;
        let ada = signed_in.json["token"].as_str().expect("token").to_owned();
        assert_eq!(app.api_as(&ada).get("/api/v1/me").await.json["user"]["email_verified"], true);
        let joined = app.api_as(&ada).post(&format!("/api/v1/invitations/{token}/accept"), json!({})).await;
        assert_eq!(joined.status, 200, "{}", joined.text);
        drop(acme);
    }

    async fn a_confirmed_sign_up_proves_the_address(app) {
        let token = app.sign_up("Grace", "grace@example.com").await;
        assert_eq!(app.api_as(&token).get("/api/v1/me").await.json["user"]["email_verified"], true);
    }
}

both_backends! {
    async fn without_mail_a_sign_up_proves_no_address(app) {
        let token = app.sign_up("Grace", "grace@example.com").await;
        assert_eq!(app.api_as(&token).get("/api/v1/me").await.json["user"]["email_verified"], false);
    }
}
