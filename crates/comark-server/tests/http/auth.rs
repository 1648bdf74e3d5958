use std::time::Duration;

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

/// Signs in through the API with `body`.
async fn sign_in(app: &TestApp, body: serde_json::Value) -> comark_testkit::Reply {
    app.api().post("/api/v1/auth/sign-in", body).await
}

/// The `Retry-After` header of an answer, in seconds.
fn retry_after(reply: &comark_testkit::Reply) -> u64 {
    reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {} {}", reply.status, reply.text))
}

async fn wait_seconds(seconds: u64) {
    tokio::time::sleep(Duration::from_millis(seconds * 1000 + 100)).await;
}

/// Turns the second factor on for the person behind `token`; returns its secret and the
/// recovery codes.
async fn enable_second_factor(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let setup = app.api_as(token).post("/api/v1/me/totp", json!({})).await;
    let secret = setup.json["secret"].as_str().expect("secret").to_owned();
    let code = comark_app::auth::current_totp_code(&secret).expect("code");
    let confirmed = app
        .api_as(token)
        .post("/api/v1/me/totp/confirm", json!({ "code": code }))
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let recovery = confirmed.json["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter();
    (
        secret,
        recovery
            .map(|c| c.as_str().expect("a code").to_owned())
            .collect(),
    )
}

fn right() -> serde_json::Value {
    json!({ "email": "ada@example.com", "password": PASSWORD })
}

fn wrong() -> serde_json::Value {
    json!({ "email": "ada@example.com", "password": "a wrong guess" })
}

fn with_code(password: &str, code: &str) -> serde_json::Value {
    json!({ "email": "ada@example.com", "password": password, "code": code })
}

async fn fail_until_throttled(app: &TestApp) {
    for _ in 0..comark_app::auth::FREE_FAILURES_PER_ACCOUNT {
        assert_eq!(sign_in(app, wrong()).await.status, 401);
    }
}

both_backends! {
    async fn an_attackers_wrong_passwords_never_lock_the_owner_out(app) {
        let token = app.sign_up("Ada", "ada@example.com").await;
        fail_until_throttled(&app).await;
        // Past the free failures, the right password alone waits, unchecked...
        let waiting = sign_in(&app, right()).await;
        assert_eq!(waiting.status, 429, "{}", waiting.text);
        assert_eq!(waiting.json["type"], "urn:comark:problem:throttled");
        let first_wait = retry_after(&waiting);
        assert_eq!(first_wait, 1);
        // ...and every further failure doubles the wait.
        wait_seconds(first_wait).await;
        assert_eq!(sign_in(&app, wrong()).await.status, 401, "the wait was over");
        let longer = sign_in(&app, right()).await;
        assert_eq!(longer.status, 429);
        let second_wait = retry_after(&longer);
        assert_eq!(second_wait, 2 * first_wait, "the wait did not grow");
        // After the wait, the right password works...
        wait_seconds(second_wait).await;
        let signed_in = sign_in(&app, right()).await;
        assert_eq!(signed_in.status, 200, "{}", signed_in.text);

        // ...and wipes the slate: the free failures are free again. With a second factor,
        // the owner need not wait at all.
        let (secret, recovery) = enable_second_factor(&app, &token).await;
        fail_until_throttled(&app).await;
        let wrong_code = sign_in(&app, with_code(PASSWORD, "000000")).await;
        assert_eq!(wrong_code.status, 429, "{}", wrong_code.text);
        assert_eq!((&wrong_code.json["type"], &wrong_code.json["title"]), (&waiting.json["type"], &waiting.json["title"]));
        retry_after(&wrong_code);
        let code = comark_app::auth::next_totp_code(&secret).expect("code");
        let through = sign_in(&app, with_code(PASSWORD, &code)).await;
        assert_eq!(through.status, 200, "{}", through.text);
        assert_eq!(through.json["second_factor_required"], false, "the code came with the password");
        let session = through.json["token"].as_str().expect("token");
        assert_eq!(app.api_as(session).get("/api/v1/me").await.status, 200);

        // A recovery code does as well; with a wrong password it is the same "wait", and
        // spent: one code buys one guess.
        fail_until_throttled(&app).await;
        let guess = sign_in(&app, with_code("a wrong guess", &recovery[0])).await;
        assert_eq!(guess.status, 429, "{}", guess.text);
        assert_eq!(sign_in(&app, with_code(PASSWORD, &recovery[0])).await.status, 429, "a spent code got through");
        let recovered = sign_in(&app, with_code(PASSWORD, &recovery[1])).await;
        assert_eq!(recovered.status, 200, "{}", recovered.text);
        assert_eq!(recovered.json["second_factor_required"], false);
    }
}

fn secret_of(link: &str) -> String {
    link.rsplit('/')
        .next()
        .expect("token at the end of the link")
        .to_owned()
}

both_backends_with! { Options { mail: true, ..Default::default() };
    async fn an_unlock_link_emailed_to_the_owner_signs_them_in_past_the_wait_once(app) {
        app.sign_up("Ada", "ada@example.com").await;
        fail_until_throttled(&app).await;
        assert_eq!(sign_in(&app, right()).await.status, 429);
        // Anyone may ask; the answer is the same for every address.
        let asked = app.api().post("/api/v1/auth/unlock", json!({ "email": "Ada@Example.com" })).await;
        let unknown = app.api().post("/api/v1/auth/unlock", json!({ "email": "nobody@example.com" })).await;
        assert_eq!(asked.status, 202, "{}", asked.text);
        assert_eq!((asked.status, &asked.text), (unknown.status, &unknown.text));
        app.run_jobs().await;
        let mailbox = app.mailbox.clone().expect("mailbox");
        assert!(mailbox.messages_to("nobody@example.com").is_empty());
        let link = mailbox
            .messages_to("ada@example.com")
            .iter()
            .find_map(|mail| mail.first_link().filter(|link| link.contains("/sign-in/unlock/")))
            .expect("an unlock link");
        assert!(link.starts_with(&app.base_url), "{link}");

        // The link opens the sign-in form, which gets the right password past the wait.
        let browser = app.browser();
        let form = browser.get(&link).await;
        assert_eq!(form.status, 200);
        assert!(form.text.contains(r#"name="unlock""#), "{}", form.text);
        let wrong = browser.submit("/sign-in", &[("email", "ada@example.com"), ("password", "a wrong guess"), ("unlock", &secret_of(&link))]).await;
        assert_eq!(wrong.status, 401, "a wrong password is still wrong");
        let reply = browser.submit("/sign-in", &[("email", "ada@example.com"), ("password", PASSWORD), ("unlock", &secret_of(&link))]).await;
        assert_eq!(reply.status, 303, "{}", reply.text);
        assert_eq!(reply.location(), Some("/"));
        assert!(browser.get("/account").await.status == 200, "not signed in");

        // Once.
        fail_until_throttled(&app).await;
        let again = sign_in(&app, json!({ "email": "ada@example.com", "password": PASSWORD, "unlock_token": secret_of(&link) })).await;
        assert_eq!(again.status, 429, "the link worked twice: {}", again.text);
    }

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

both_backends_with! { Options { trusted_proxies: &["127.0.0.1/32"], ..Default::default() };
    async fn failures_from_one_client_behind_a_trusted_proxy_do_not_throttle_another(app) {
        app.sign_up("Ada", "ada@example.com").await;
        // The proxy appends the address it got each request from; the attacker writes the
        // victim's address in front of theirs.
        let attacker = app.api().with_header("x-forwarded-for", "198.51.100.1, 203.0.113.7");
        for n in 0..comark_app::auth::FREE_FAILURES_PER_ADDRESS {
            let guess = attacker.post("/api/v1/auth/sign-in", json!({ "email": format!("someone{n}@example.com"), "password": "guess" })).await;
            assert_eq!(guess.status, 401, "{}", guess.text);
        }
        let throttled = attacker.post("/api/v1/auth/sign-in", json!({ "email": "another@example.com", "password": "guess" })).await;
        assert_eq!(throttled.status, 429, "the attacker's address was not throttled");
        let victim = app.api().with_header("x-forwarded-for", "198.51.100.1");
        let signed_in = victim.post("/api/v1/auth/sign-in", right()).await;
        assert_eq!(signed_in.status, 200, "another client behind the proxy was throttled: {}", signed_in.text);
        let neighbour = app.api().with_header("forwarded", "for=\"[2001:db8::7]:4711\"");
        assert_eq!(neighbour.post("/api/v1/auth/sign-in", right()).await.status, 200);
    }
}

both_backends! {
    async fn a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored(app) {
        app.sign_up("Ada", "ada@example.com").await;
        for n in 0..comark_app::auth::FREE_FAILURES_PER_ADDRESS {
            let forger = app.api().with_header("x-forwarded-for", &format!("203.0.113.{n}"));
            let guess = forger.post("/api/v1/auth/sign-in", json!({ "email": format!("someone{n}@example.com"), "password": "guess" })).await;
            assert_eq!(guess.status, 401, "{}", guess.text);
        }
        let forger = app.api().with_header("x-forwarded-for", "198.51.100.99");
        let throttled = forger.post("/api/v1/auth/sign-in", right()).await;
        assert_eq!(throttled.status, 429, "a new X-Forwarded-For made a new client: {}", throttled.text);
    }
}
