use super::*;
use comark_testkit::{both_backends_with, Options};

fn secret_of(link: &str) -> String {
    link.rsplit('/')
        .next()
        .expect("token at the end of the link")
        .to_owned()
}

both_backends! {
    async fn a_read_token_reads_but_cannot_change_anything(app) {
        let owner = app.owner_of("acme").await;
        let created = app.api_as(&owner).post("/api/v1/me/tokens", json!({ "name": "dashboards", "scope": "read" })).await;
        assert_eq!(created.status, 201, "{}", created.text);
        let token = created.json["token"].as_str().expect("secret").to_owned();
        assert!(token.starts_with("cmk_pat_"));
        let read = app.api_as(&token);
        assert_eq!(read.get("/api/v1/orgs/acme/members").await.status, 200);
        let write = read.patch("/api/v1/orgs/acme", json!({ "name": "Nope" })).await;
        assert_eq!(write.status, 403, "{}", write.text);
        assert_eq!(read.get("/api/v1/me/tokens").await.status, 403, "a read token listed tokens");
        let listed = app.api_as(&owner).get("/api/v1/me/tokens").await;
        let entry = &listed.json["items"][0];
        assert_eq!(entry["name"], "dashboards");
        assert!(entry["last_used_at"].is_string(), "last use was not recorded: {entry}");
        assert!(!listed.text.contains(&token), "the secret was listed again");
    }

    async fn a_write_token_changes_things_but_not_members_or_tokens(app) {
        let owner = app.owner_of("acme").await;
        let created = app.api_as(&owner).post("/api/v1/me/tokens", json!({ "name": "sync", "scope": "write" })).await;
        let write = app.api_as(created.json["token"].as_str().expect("secret"));
        assert_eq!(write.post("/api/v1/orgs/acme/connection-links", json!({})).await.status, 201);
        assert_eq!(write.post("/api/v1/orgs/acme/invitations", json!({ "role": "sales" })).await.status, 403);
        assert_eq!(write.post("/api/v1/me/tokens", json!({ "name": "wider", "scope": "admin" })).await.status, 403);
    }

    async fn a_revoked_or_expired_token_stops_working(app) {
        let owner = app.owner_of("acme").await;
        let created = app.api_as(&owner).post("/api/v1/me/tokens", json!({ "name": "ci", "scope": "admin", "expires_in_days": 30 })).await;
        let id = created.json["id"].as_str().expect("id");
        let token = created.json["token"].as_str().expect("secret");
        assert_eq!(app.api_as(token).get("/api/v1/me").await.status, 200);
        assert_eq!(app.api_as(&owner).delete(&format!("/api/v1/me/tokens/{id}")).await.status, 204);
        let after = app.api_as(token).get("/api/v1/me").await;
        assert_eq!(after.status, 401);
        assert_eq!(after.json["type"], "urn:comark:problem:unauthenticated");
        let bad_days = app.api_as(&owner).post("/api/v1/me/tokens", json!({ "name": "x", "scope": "read", "expires_in_days": 0 })).await;
        assert_eq!(bad_days.status, 422);
        assert_eq!(bad_days.json["errors"][0]["field"], "expires_in_days");
    }

    async fn changing_the_password_ends_the_other_sessions(app) {
        let first = app.sign_up("Ada", "ada@example.com").await;
        let second = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        let second = second.json["token"].as_str().expect("token").to_owned();
        let changed = app.api_as(&first).put("/api/v1/me/password", json!({ "current_password": PASSWORD, "new_password": "an even better passphrase" })).await;
        assert_eq!(changed.status, 204, "{}", changed.text);
        assert_eq!(app.api_as(&second).get("/api/v1/me").await.status, 401);
        assert_eq!(app.api_as(&first).get("/api/v1/me").await.status, 200);
        let old = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        assert_eq!(old.status, 401);
        let new = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": "an even better passphrase" })).await;
        assert_eq!(new.status, 200);
        let wrong = app.api_as(&first).put("/api/v1/me/password", json!({ "current_password": "nope", "new_password": "whatever you like" })).await;
        assert_eq!(wrong.status, 422);
        assert_eq!(wrong.json["errors"][0]["field"], "current_password");
    }

    async fn sign_in_with_a_second_factor_needs_the_code(app) {
        let token = app.sign_up("Ada", "ada@example.com").await;
        let setup = app.api_as(&token).post("/api/v1/me/totp", json!({})).await;
        assert_eq!(setup.status, 200, "{}", setup.text);
        let secret = setup.json["secret"].as_str().expect("secret").to_owned();
        assert!(setup.json["otpauth_url"].as_str().unwrap_or_default().starts_with("otpauth://totp/"));
        let wrong = app.api_as(&token).post("/api/v1/me/totp/confirm", json!({ "code": "000000" })).await;
        assert_eq!(wrong.status, 422);
        let code = comark_app::auth::current_totp_code(&secret).expect("code");
        let confirmed = app.api_as(&token).post("/api/v1/me/totp/confirm", json!({ "code": code })).await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.text);
        let recovery: Vec<String> = confirmed.json["recovery_codes"].as_array().expect("codes").iter().map(|c| c.as_str().expect("code").to_owned()).collect();
        assert_eq!(recovery.len(), 10);

        let signed_in = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        assert_eq!(signed_in.json["second_factor_required"], true);
        let pending = signed_in.json["token"].as_str().expect("token").to_owned();
        assert_eq!(app.api_as(&pending).get("/api/v1/me").await.status, 401, "a half-signed-in session reached the API");
        let code = comark_app::auth::next_totp_code(&secret).expect("code");
        assert_eq!(app.api_as(&pending).post("/api/v1/auth/second-factor", json!({ "code": code })).await.status, 204);
        assert_eq!(app.api_as(&pending).get("/api/v1/me").await.status, 200);

        // A code works once: replaying it on another sign-in fails.
        let replay = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        let replay = replay.json["token"].as_str().expect("token").to_owned();
        assert_eq!(app.api_as(&replay).post("/api/v1/auth/second-factor", json!({ "code": code })).await.status, 422);

        // A recovery code works once.
        let again = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        let pending = again.json["token"].as_str().expect("token").to_owned();
        assert_eq!(app.api_as(&pending).post("/api/v1/auth/second-factor", json!({ "code": recovery[0] })).await.status, 204);
        let third = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        let pending = third.json["token"].as_str().expect("token").to_owned();
        assert_eq!(app.api_as(&pending).post("/api/v1/auth/second-factor", json!({ "code": recovery[0] })).await.status, 422);
    }

    async fn repeated_failures_slow_the_account_down_without_telling_who_exists(app) {
        app.sign_up("Ada", "ada@example.com").await;
        let wrong = |email: &'static str| {
            let api = app.api();
            async move { api.post("/api/v1/auth/sign-in", json!({ "email": email, "password": "wrong password" })).await }
        };
        let known = wrong("ada@example.com").await;
        let unknown = wrong("nobody@example.com").await;
        assert_eq!(known.status, 401);
        assert_eq!(known.text, unknown.text, "sign-in tells existing accounts apart");
        for _ in 0..4 {
            wrong("ada@example.com").await;
            wrong("nobody@example.com").await;
        }
        let waiting = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        assert_eq!(waiting.status, 429, "{}", waiting.text);
        assert!(waiting.headers.get("retry-after").is_some());
        let waiting_unknown = wrong("nobody@example.com").await;
        assert_eq!(waiting_unknown.status, 429, "an unknown account is not throttled like a known one");
        assert_eq!(waiting.json["type"], waiting_unknown.json["type"]);
    }

    async fn a_second_instance_on_the_same_database_shares_sessions(app) {
        let token = app.owner_of("acme").await;
        let other = app.another_instance().await;
        let me = other.api_as(&token).get("/api/v1/orgs/acme").await;
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(app.api_as(&token).post("/api/v1/auth/sign-out", json!({})).await.status, 204);
        assert_eq!(other.api_as(&token).get("/api/v1/me").await.status, 401);
    }
}

both_backends_with! { Options { mail: true, ..Default::default() };
    async fn with_mail_sign_up_never_tells_whether_an_address_has_an_account(app) {
        app.sign_up("Ada", "ada@example.com").await;
        let taken = app.api().post("/api/v1/auth/sign-up", json!({ "name": "Eve", "email": "ada@example.com", "password": PASSWORD })).await;
        let fresh = app.api().post("/api/v1/auth/sign-up", json!({ "name": "Bob", "email": "bob@example.com", "password": PASSWORD })).await;
        assert_eq!(taken.status, 202, "{}", taken.text);
        assert_eq!((taken.status, &taken.text), (fresh.status, &fresh.text));
        app.run_jobs().await;
        let mailbox = app.mailbox.clone().expect("mailbox");
        let reminder = mailbox.messages_to("ada@example.com");
        assert!(reminder.iter().any(|m| m.raw.contains("already has an account")), "the owner was not told");
        let link = mailbox.messages_to("bob@example.com")[0].first_link().expect("confirmation link");
        assert!(link.contains("/sign-up/confirm/"), "{link}");
        // Nothing exists until the link is used, and it works once.
        let early = app.api().post("/api/v1/auth/sign-in", json!({ "email": "bob@example.com", "password": PASSWORD })).await;
        assert_eq!(early.status, 401);
        let secret = secret_of(&link);
        let confirmed = app.api().post("/api/v1/auth/sign-up/confirm", json!({ "token": secret })).await;
        assert_eq!(confirmed.status, 201, "{}", confirmed.text);
        assert_eq!(confirmed.json["user"]["email"], "bob@example.com");
        let twice = app.api().post("/api/v1/auth/sign-up/confirm", json!({ "token": secret })).await;
        assert_eq!(twice.status, 409);
    }

    async fn a_forgotten_password_is_reset_through_the_emailed_link(app) {
        let token = app.sign_up("Ada", "ada@example.com").await;
        let mailbox = app.mailbox.clone().expect("mailbox");
        for email in ["ada@example.com", "nobody@example.com"] {
            let reply = app.api().post("/api/v1/auth/password-reset", json!({ "email": email })).await;
            assert_eq!(reply.status, 202, "{email}");
        }
        app.run_jobs().await;
        let mails: Vec<_> = mailbox.messages_to("ada@example.com").into_iter().filter(|m| m.raw.contains("Reset your comark password")).collect();
        assert_eq!(mails.len(), 1);
        assert!(mailbox.messages_to("nobody@example.com").is_empty());
        let link = mails[0].first_link().expect("a link in the e-mail");
        assert!(link.starts_with(&format!("{}/reset-password/", app.base_url)), "{link}");
        let secret = secret_of(&link);
        let reset = app.api().post("/api/v1/auth/password-reset/confirm", json!({ "token": secret, "password": "a brand new passphrase" })).await;
        assert_eq!(reset.status, 204, "{}", reset.text);
        assert_eq!(app.api_as(&token).get("/api/v1/me").await.status, 401, "old sessions survived the reset");
        let reused = app.api().post("/api/v1/auth/password-reset/confirm", json!({ "token": secret, "password": "yet another passphrase" })).await;
        assert_eq!(reused.status, 409);
        let signed_in = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": "a brand new passphrase" })).await;
        assert_eq!(signed_in.status, 200);
    }

    async fn an_invitation_by_email_arrives_with_its_link(app) {
        let owner = app.owner_of("acme").await;
        let reply = app.api_as(&owner).post("/api/v1/orgs/acme/invitations", json!({ "email": "Bob@Example.com", "role": "marketer" })).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        assert_eq!(reply.json["emailed"], true);
        app.run_jobs().await;
        let mails = app.mailbox.as_ref().expect("mailbox").messages_to("bob@example.com");
        assert_eq!(mails.len(), 1);
        assert!(mails[0].raw.contains("Join acme Inc. on comark"), "{}", mails[0].raw);
        let link = mails[0].first_link().expect("link");
        let bob = app.sign_up("Bob", "bob@example.com").await;
        let joined = app.api_as(&bob).post(&format!("/api/v1/invitations/{}/accept", secret_of(&link)), json!({})).await;
        assert_eq!(joined.status, 200, "{}", joined.text);
        assert_eq!(joined.json["role"], "marketer");
    }
}

both_backends_with! { Options { mail: true, ..Default::default() };
    async fn reset_links_to_one_address_are_capped_per_hour(app) {
        app.sign_up("Ada", "ada@example.com").await;
        for _ in 0..6 {
            let reply = app.api().post("/api/v1/auth/password-reset", json!({ "email": "ada@example.com" })).await;
            assert_eq!(reply.status, 202, "the answer never changes");
        }
        app.run_jobs().await;
        // The sign-up's confirmation counts too: every message a stranger could trigger does.
        let mails = app.mailbox.as_ref().expect("mailbox").messages_to("ada@example.com");
        assert_eq!(mails.len(), comark_app::auth::MAX_UNASKED_MAILS_PER_HOUR as usize);
    }
}
