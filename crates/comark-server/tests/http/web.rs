use super::*;

both_backends! {
    async fn signing_up_in_the_browser_leads_to_creating_an_organization(app) {
        let browser = app.browser();
        let page = browser.get("/sign-up").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains(r#"<label for="f-email">"#), "inputs need labels");
        let reply = browser.submit("/sign-up", &[("name", "Ada"), ("email", "ada@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(reply.status, 303, "{}", reply.text);
        assert_eq!(reply.location(), Some("/orgs/new"));
        let created = browser.submit("/orgs/new", &[("name", "Acme Corp"), ("handle", "")]).await;
        assert_eq!(created.location(), Some("/o/acme-corp"));
        let overview = browser.follow("/o/acme-corp").await;
        assert!(overview.text.contains("<h1>Acme Corp</h1>"), "{}", overview.text);
        assert!(overview.text.contains("Acme Corp is ready"), "the flash message was not shown");
        let again = browser.get("/o/acme-corp").await;
        assert!(!again.text.contains("Acme Corp is ready"), "the flash message was shown twice");
    }

    async fn a_form_with_bad_input_comes_back_with_each_error_beside_its_field(app) {
        let browser = app.browser();
        let reply = browser.submit("/sign-up", &[("name", "Ada"), ("email", "not-an-address"), ("password", "short")]).await;
        assert_eq!(reply.status, 422);
        assert!(reply.text.contains("must be an e-mail address like name@example.com"), "{}", reply.text);
        assert!(reply.text.contains("must be at least 10 characters"));
        assert!(reply.text.contains(r#"value="Ada""#), "the name typed was lost");
        assert!(reply.text.contains(r#"aria-invalid="true""#));
    }

    async fn a_wrong_password_in_the_browser_says_so_without_naming_the_account(app) {
        app.sign_up("Ada", "ada@example.com").await;
        let browser = app.browser();
        let wrong = browser.submit("/sign-in", &[("email", "ada@example.com"), ("password", "wrong password")]).await;
        let unknown = browser.submit("/sign-in", &[("email", "nobody@example.com"), ("password", "wrong password")]).await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.text.contains("The e-mail address or password is not right"));
        let strip = |text: &str| text.replace("ada@example.com", "").replace("nobody@example.com", "");
        assert_eq!(strip(&wrong.text), strip(&unknown.text));
    }

    async fn signing_in_returns_to_the_page_asked_for_but_never_elsewhere(app) {
        let owner = app.owner_of("acme").await;
        drop(owner);
        let browser = app.browser();
        let asked = browser.get("/o/acme/members").await;
        assert_eq!(asked.location(), Some("/sign-in?next=%2Fo%2Facme%2Fmembers"));
        let reply = browser.submit("/sign-in", &[("email", "owner@acme.example"), ("password", PASSWORD), ("next", "/o/acme/members")]).await;
        assert_eq!(reply.location(), Some("/o/acme/members"));
        let other = app.browser();
        let reply = other.submit("/sign-in", &[("email", "owner@acme.example"), ("password", PASSWORD), ("next", "//evil.example/")]).await;
        assert_eq!(reply.location(), Some("/"));
    }

    async fn without_mail_the_inviter_sees_the_invitation_link(app) {
        app.owner_of("acme").await;
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let reply = browser.submit("/o/acme/invitations", &[("email", "bob@example.com"), ("role", "sales")]).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let start = reply.text.find(r#"<code id="invite-link">"#).expect("the link is shown");
        let link = &reply.text[start + 23..];
        let link = &link[..link.find('<').expect("end of the link")];
        assert!(link.starts_with(&format!("{}/invitations/", app.base_url)), "{link}");
        let visitor = app.browser();
        let preview = visitor.get(link).await;
        assert!(preview.text.contains("You are invited to join"), "{}", preview.text);
    }

    async fn signing_out_ends_the_session(app) {
        app.owner_of("acme").await;
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let session = browser.cookie("__Host-comark_session").expect("session cookie");
        assert_eq!(browser.submit("/sign-out", &[]).await.location(), Some("/sign-in"));
        assert!(browser.cookie("__Host-comark_session").is_none());
        let stale = app.browser();
        stale.set_cookie("__Host-comark_session", Some(&session));
        assert_eq!(stale.get("/account").await.status, 303, "the old session still works");
    }
}

both_backends! {
    async fn a_throttled_sign_in_page_offers_the_second_factor_and_says_there_is_no_link_without_mail(app) {
        app.sign_up("Ada", "ada@example.com").await;
        let browser = app.browser();
        for _ in 0..comark_app::auth::FREE_FAILURES_PER_ACCOUNT {
            let wrong = browser.submit("/sign-in", &[("email", "ada@example.com"), ("password", "a wrong guess")]).await;
            assert_eq!(wrong.status, 401);
            assert!(!wrong.text.contains(r#"name="code""#), "the code field came before any wait");
        }
        let waiting = browser.submit("/sign-in", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(waiting.status, 429, "{}", waiting.text);
        assert!(waiting.headers.get("retry-after").is_some());
        assert!(waiting.text.contains("Too many attempts"), "{}", waiting.text);
        assert!(waiting.text.contains(r#"name="code""#), "no field for the second factor's code");
        assert!(waiting.text.contains("does not send e-mail"), "the page offered a link it cannot send");
        assert!(!waiting.text.contains(r#"action="/sign-in/unlock""#));
        let asked = browser.submit("/sign-in/unlock", &[("email", "ada@example.com")]).await;
        assert_eq!(asked.location(), Some("/sign-in"));
        assert!(browser.follow("/sign-in").await.text.contains("does not send e-mail"));
    }
}

comark_testkit::both_backends_with! { comark_testkit::Options { mail: true, ..Default::default() };
    async fn with_mail_a_throttled_sign_in_page_offers_an_unlock_link(app) {
        app.sign_up("Ada", "ada@example.com").await;
        let browser = app.browser();
        for _ in 0..comark_app::auth::FREE_FAILURES_PER_ACCOUNT {
            browser.submit("/sign-in", &[("email", "ada@example.com"), ("password", "a wrong guess")]).await;
        }
        let waiting = browser.submit("/sign-in", &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(waiting.status, 429);
        assert!(waiting.text.contains(r#"action="/sign-in/unlock""#), "{}", waiting.text);
        let asked = browser.submit("/sign-in/unlock", &[("email", "ada@example.com")]).await;
        assert_eq!(asked.location(), Some("/sign-in"));
        assert!(browser.follow("/sign-in").await.text.contains("a link to sign in without waiting is on its way"));
        app.run_jobs().await;
        let mails = app.mailbox.as_ref().expect("mailbox").messages_to("ada@example.com");
        assert!(mails.iter().any(|m| m.first_link().is_some_and(|l| l.contains("/sign-in/unlock/"))));
    }
}

comark_testkit::both_backends_with! { comark_testkit::Options { insecure_cookies: true, ..Default::default() };
    async fn the_csrf_token_is_bound_to_the_session_even_with_insecure_cookies(app) {
        app.owner_of("acme").await;
        app.sign_up("Eve", "eve@example.com").await;
        let owner = app.browser();
        owner.sign_in("owner@acme.example", PASSWORD).await;
        assert!(owner.cookie("comark_session").is_some(), "insecure cookies have no __Host- prefix");
        let settings = [("name", "Acme Renamed")];
        // What another host of the same site could plant: a token of its own (from a page
        // it fetched, or from its own session) as the cookie, and the same in the form.
        let visitor = app.browser();
        visitor.get("/sign-in").await;
        let eve = app.browser();
        eve.sign_in("eve@example.com", PASSWORD).await;
        eve.get("/sign-in").await;
        let planted = [
            ("a pre-session token", visitor.csrf_token().expect("a token on the sign-in page")),
            ("another session's token", eve.csrf_token().expect("a token on Eve's page")),
            ("a made-up token", "planted-planted-planted-planted-planted-planted".to_owned()),
        ];
        for (what, token) in &planted {
            owner.set_cookie("comark_csrf", Some(token));
            let reply = owner.submit_raw("/o/acme/settings", &[("name", "Pwned"), ("_csrf", token)]).await;
            assert_eq!(reply.status, 403, "{what} planted as the CSRF cookie was accepted");
        }
        // The owner's own forms still work.
        let renamed = owner.submit("/o/acme/settings", &settings).await;
        assert_eq!(renamed.status, 303, "{}", renamed.text);
        let overview = owner.follow("/o/acme").await;
        assert!(overview.text.contains("Acme Renamed"), "{}", overview.text);

        // Without a session, only a token this server signed works.
        let stranger = app.browser();
        let made_up = "made-up-made-up-made-up-made-up-made-up-made";
        stranger.set_cookie("comark_csrf", Some(made_up));
        let forged = stranger.submit_raw("/sign-in", &[("email", "owner@acme.example"), ("password", PASSWORD), ("_csrf", made_up)]).await;
        assert_eq!(forged.status, 403, "an unsigned token was accepted");
        stranger.set_cookie("comark_csrf", None);
        stranger.sign_in("owner@acme.example", PASSWORD).await;
    }

    async fn a_form_another_site_made_the_browser_send_is_refused(app) {
        app.owner_of("acme").await;
        let owner = app.browser();
        owner.sign_in("owner@acme.example", PASSWORD).await;
        owner.get("/sign-in").await;
        let token = owner.csrf_token().expect("a token");
        let cookies = format!("comark_session={}", owner.cookie("comark_session").expect("session"));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        for (site, expected) in [("same-site", 403), ("cross-site", 403), ("same-origin", 303)] {
            let reply = client
                .post(format!("{}/o/acme/settings", app.base_url))
                .header("cookie", &cookies)
                .header("sec-fetch-site", site)
                .form(&[("name", "Acme Corp"), ("_csrf", &token)])
                .send()
                .await
                .expect("an answer");
            assert_eq!(reply.status().as_u16(), expected, "Sec-Fetch-Site: {site}");
        }
    }
}
