use super::*;
use comark_testkit::{both_backends_with, Options};

both_backends! {
    async fn a_new_account_can_sign_in_and_see_itself(app) {
        let token = app.sign_up("Ada Lovelace", "Ada@Example.com").await;
        let me = app.api_as(&token).get("/api/v1/me").await;
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.json["user"]["email"], "ada@example.com");
        let again = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.json["second_factor_required"], false);
    }

    async fn sign_up_names_every_invalid_field(app) {
        let reply = app.api().post("/api/v1/auth/sign-up", json!({ "name": "", "email": "nope", "password": "short" })).await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.content_type(), "application/problem+json");
        let fields: Vec<&str> = reply.json["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, vec!["name", "email", "password"]);
    }
}

both_backends_with! { Options { mail: true };
    async fn a_password_reset_answers_alike_for_known_and_unknown_addresses_after_the_same_work(app) {
        app.sign_up("Ada", "ada@example.com").await;
        let known = app.api().post("/api/v1/auth/password-reset", json!({ "email": "ada@example.com" })).await;
        let unknown = app.api().post("/api/v1/auth/password-reset", json!({ "email": "nobody@example.com" })).await;
        assert_eq!(known.status, 202);
        assert_eq!((known.status, &known.text), (unknown.status, &unknown.text));
        // Each request queued one job, and neither looked further: the job finds out.
        let queued = app.store.pending_jobs(comark_app::auth::PASSWORD_RESET_JOB).await.expect("jobs");
        assert_eq!(queued, vec![json!({ "email": "ada@example.com" }), json!({ "email": "nobody@example.com" })]);
        assert!(app.store.pending_jobs(comark_app::mail::SEND_EMAIL).await.expect("jobs").is_empty(), "an e-mail was queued for one of them only");
        app.run_jobs().await;
        let mailbox = app.mailbox.clone().expect("mailbox");
        let resets: Vec<_> = mailbox.messages_to("ada@example.com").into_iter().filter(|m| m.raw.contains("Reset your comark password")).collect();
        assert_eq!(resets.len(), 1);
        assert!(mailbox.messages_to("nobody@example.com").is_empty());
        // The same in the browser.
        let browser = app.browser();
        let known = browser.submit("/forgot-password", &[("email", "ada@example.com")]).await;
        let unknown = browser.submit("/forgot-password", &[("email", "nobody@example.com")]).await;
        assert_eq!((known.status, known.location()), (unknown.status, unknown.location()));
        assert_eq!(app.store.pending_jobs(comark_app::auth::PASSWORD_RESET_JOB).await.expect("jobs").len(), 2);
    }
}
