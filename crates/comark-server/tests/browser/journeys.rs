//! The main journeys, as a person sees them: what they type, what they press, what they read.

use fantoccini::key::Key;

use super::*;
use crate::harness::workspace_root;
use crate::steps::{list_under, sign_in, sign_up, turn_on_second_factor, SESSION_COOKIE};

/// The cells of the row of the invite links table whose note is `note`.
async fn link_row(page: &Page, note: &str) -> serde_json::Value {
    page.wait_js(
        &format!("the invite link {note:?} in the list"),
        r#"
        const row = [...document.querySelectorAll('main table#invite-links tbody tr')]
            .find(r => r.cells[0].textContent.trim() === arguments[0]);
        return row ? [...row.cells].map(c => c.innerText.trim()) : null;
        "#,
        vec![json!(note)],
    )
    .await
}

/// The day `days` from now, as the pages write it.
fn day_in(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

browser_journeys! {
    /// A visitor creates an account and an organization, and lands on its overview.
    async fn a_visitor_signs_up_and_creates_an_organization(app, browser) {
        let page = browser.session(&app.base_url).await;
        page.open("/").await;
        page.wait_for_heading("Market together with your partners").await;
        // A mark on this window: a boosted navigation swaps the body and keeps it.
        page.js("window.comarkStayed = true; return true;", vec![]).await;

        page.follow("Create an account").await;
        page.wait_for_path("/sign-up").await;
        page.wait_for_heading("Create your account").await;
        page.fill("Your name", "Ada Lovelace").await;
        page.fill("Work e-mail", "ada@analytical.example").await;
        page.fill("Password", PASSWORD).await;
        page.press("Create account").await;

        page.wait_for_path("/orgs/new").await;
        page.wait_for_heading("Create an organization").await;
        page.wait_for_text("Welcome to comark! Create your organization to get started.").await;
        let session = page.cookie(SESSION_COOKIE).await.unwrap_or_else(|| {
            panic!("Chromium kept no {SESSION_COOKIE} cookie from http://127.0.0.1")
        });
        assert_eq!(session.secure(), Some(true), "the session cookie is Secure");
        assert_eq!(session.http_only(), Some(true), "the session cookie is HttpOnly");

        page.fill("Name", "Analytical Engines").await;
        page.fill("Handle", "analytical").await;
        page.press("Create organization").await;

        page.wait_for_path("/o/analytical").await;
        page.wait_for_heading("Analytical Engines").await;
        page.wait_for_text("Analytical Engines is ready.").await;
        let main = page.main_text().await;
        assert!(main.contains("@analytical · you are Owner"), "{main}");
        assert!(main.contains("1 member"), "one member, the owner: {main}");
        let title = page.js("return document.title;", vec![]).await;
        assert_eq!(title, json!("Analytical Engines · comark"));
        let stayed = page.js("return window.comarkStayed === true;", vec![]).await;
        assert_eq!(stayed, json!(true), "links and forms are boosted: no full page load");

        // Take the picture without the one-off message, as the overview looks every day.
        page.open("/o/analytical").await;
        page.wait_for_heading("Analytical Engines").await;
        let png = page.full_page_png().await;
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        let root = workspace_root();
        let _ = harness::write_atomically(
            &root.join("test-artifacts/screenshots/overview.png"),
            &png,
        );
    }

    /// In the demo ecosystem, Northwind's partner manager opens the directory and sees
    /// candidate partners ranked by fit, each with the reasons.
    async fn the_demo_directory_ranks_partners_by_fit_with_reasons(app, browser) {
        comark_app::demo::load(&app.app).await.expect("the demo loads");
        let page = browser.session(&app.base_url).await;
        page.open("/sign-in").await;
        page.wait_for_heading("Sign in").await;
        page.fill("E-mail", "partners@northwind.example").await;
        page.fill("Password", comark_app::demo::DEMO_PASSWORD).await;
        page.press("Sign in").await;
        page.wait_for_heading("Your organizations").await;
        page.open("/o/northwind/partners").await;
        page.wait_for_heading("Partners").await;
        page.follow("Find partners in the directory").await;
        page.wait_for_heading("Find partners").await;
        let ranked = page
            .js("return [...document.querySelectorAll('main ol.cards > li strong a')].map(a => a.textContent);", vec![])
            .await;
        assert_eq!(ranked[0], json!("Brightlane Agency"), "the agency fits Northwind best: {ranked}");
        assert_eq!(ranked.as_array().map(Vec::len), Some(3), "{ranked}");
        page.js("document.querySelector('main ol.cards details').open = true; return true;", vec![]).await;
        page.wait_for_text("industries in common").await;
        let png = page.full_page_png().await;
        let root = workspace_root();
        let _ = harness::write_atomically(&root.join("test-artifacts/screenshots/directory.png"), &png);
        if std::env::var("COMARK_UPDATE_SCREENSHOT").as_deref() == Ok("1") {
            harness::write_atomically(&root.join("docs/screenshot.png"), &png)
                .expect("write docs/screenshot.png");
        }
    }

    /// An owner invites a colleague by link; the colleague signs up, accepts and joins with
    /// the role the owner chose.
    async fn an_invited_colleague_signs_up_and_joins(app, browser) {
        app.owner_of("northwind").await;
        let (owner, colleague) =
            tokio::join!(browser.session(&app.base_url), browser.session(&app.base_url));
        sign_in(&owner, "owner@northwind.example").await;
        owner.open("/o/northwind/members").await;
        owner.wait_for_heading("Members").await;
        owner.choose("Role", "Partner manager").await;
        owner.press("Invite").await;
        let link = owner.wait_for_text_of("code#invite-link").await;
        let prefix = format!("{}/invitations/", app.base_url);
        assert!(link.starts_with(&prefix), "the link {link:?} starts with {prefix:?}");
        owner.wait_for_text("Open invitations").await;

        sign_up(&colleague, "Grace Hopper", "grace@northwind.example").await;
        colleague.open(&link).await;
        colleague.wait_for_heading("Join northwind Inc.").await;
        colleague.wait_for_text("on comark as Partner manager").await;
        colleague.press("Accept and join").await;
        colleague.wait_for_path("/o/northwind").await;
        colleague.wait_for_heading("northwind Inc.").await;
        colleague.wait_for_text("Welcome to northwind Inc.!").await;
        colleague.wait_for_text("you are Partner manager").await;

        owner.open("/o/northwind/members").await;
        owner.wait_for_heading("Members").await;
        let role = owner
            .wait_js(
                "Grace Hopper's row in the members table",
                r#"
                const row = [...document.querySelectorAll('main tbody tr')]
                    .find(r => r.cells[0].textContent.trim() === arguments[0]);
                if (!row) { return null; }
                const select = row.cells[2].querySelector('select');
                return select ? select.selectedOptions[0].textContent.trim() : row.cells[2].textContent.trim();
                "#,
                vec![json!("Grace Hopper")],
            )
            .await;
        assert_eq!(role, json!("Partner manager"));
        let main = owner.main_text().await;
        assert!(main.contains("grace@northwind.example"), "{main}");
        assert!(!main.contains("Open invitations"), "the used invitation is closed: {main}");
    }

    /// One organization asks another to connect; the other accepts; both see each other as
    /// connected partners.
    async fn two_organizations_connect_as_partners(app, browser) {
        app.owner_of("northwind").await;
        app.owner_of("contoso").await;
        let (north, south) =
            tokio::join!(browser.session(&app.base_url), browser.session(&app.base_url));
        sign_in(&north, "owner@northwind.example").await;
        sign_in(&south, "owner@contoso.example").await;

        north.open("/o/northwind/partners").await;
        north.wait_for_heading("Partners").await;
        north.wait_for_text("No partners yet.").await;
        north.fill("Their organization handle", "contoso").await;
        north.fill("A note for them", "Shall we run a joint webinar?").await;
        north.press("Send request").await;
        north.wait_for_text("Request sent to contoso Inc.").await;
        let sent = north.main_text().await;
        assert!(sent.contains("Requests you sent"), "{sent}");
        assert!(sent.contains("contoso Inc. @contoso · waiting"), "{sent}");

        south.open("/o/contoso/partners").await;
        south.wait_for_heading("Partners").await;
        let waiting = list_under(&south, "Requests waiting for you").await;
        assert!(waiting.contains("northwind Inc."), "{waiting}");
        assert!(waiting.contains("Shall we run a joint webinar?"), "{waiting}");
        south.press("Accept").await;
        south.wait_for_text("You are now connected with northwind Inc.").await;
        let connected = list_under(&south, "Connected partners").await;
        assert!(connected.contains("northwind Inc. @northwind"), "{connected}");
        let main = south.main_text().await;
        assert!(!main.contains("Requests waiting for you"), "{main}");

        north.open("/o/northwind/partners").await;
        north.wait_for_heading("Partners").await;
        let connected = list_under(&north, "Connected partners").await;
        assert!(connected.contains("contoso Inc. @contoso"), "{connected}");
        let main = north.main_text().await;
        assert!(!main.contains("Requests you sent"), "{main}");
    }

    /// An owner makes an invite link for two partners; a partner uses it and waits; the
    /// owner sees the link's uses, accepts the request and revokes the link, which then
    /// opens nothing.
    async fn an_invite_link_is_listed_with_its_uses_and_revoked(app, browser) {
        app.owner_of("northwind").await;
        app.owner_of("contoso").await;
        let (north, south) =
            tokio::join!(browser.session(&app.base_url), browser.session(&app.base_url));
        sign_in(&north, "owner@northwind.example").await;
        sign_in(&south, "owner@contoso.example").await;

        north.open("/o/northwind/partners").await;
        north.wait_for_heading("Partners").await;
        north.fill("Organizations it may connect", "2").await;
        north.fill("Days it works", "14").await;
        north.fill("A note to remember it by", "Webinar partners").await;
        north.press("Create an invite link").await;
        let link = north.wait_for_text_of("code#connect-link").await;
        let prefix = format!("{}/connect/", app.base_url);
        assert!(link.starts_with(&prefix), "the link {link:?} starts with {prefix:?}");
        let notice = north.main_text().await;
        assert!(notice.contains("asks to connect, and you accept it here; it works for 2 organizations"), "{notice}");
        let row = link_row(&north, "Webinar partners").await;
        assert_eq!(row, json!(["Webinar partners", "0 of 2", day_in(14), "after your acceptance", "Open", "Revoke"]));

        south.open(link.strip_prefix(&app.base_url).expect("a link to this server")).await;
        south.wait_for_heading("Connect with northwind Inc.").await;
        south.wait_for_text("Using this link asks northwind Inc. to connect").await;
        south.press("Connect").await;
        south.wait_for_path("/o/contoso/partners").await;
        south.wait_for_text("You asked northwind Inc. to connect; you are partners once they accept.").await;
        let sent = south.main_text().await;
        assert!(sent.contains("northwind Inc. @northwind · waiting"), "{sent}");

        north.open("/o/northwind/partners").await;
        north.wait_for_heading("Partners").await;
        let waiting = list_under(&north, "Requests waiting for you").await;
        assert!(waiting.contains("contoso Inc.") && waiting.contains("through your invite link"), "{waiting}");
        let row = link_row(&north, "Webinar partners").await;
        assert_eq!(row[1], json!("1 of 2"), "{row}");
        north.press("Accept").await;
        north.wait_for_text("You are now connected with contoso Inc.").await;
        north.press("Revoke").await;
        north.wait_for_text("The invite link is revoked; it no longer works.").await;
        let row = link_row(&north, "Webinar partners").await;
        assert_eq!(row, json!(["Webinar partners", "1 of 2", day_in(14), "after your acceptance", "Revoked", ""]));

        south.open(link.strip_prefix(&app.base_url).expect("a link to this server")).await;
        south.wait_for_heading("Not found").await;
    }

    /// A person turns on two-factor sign-in, signs out, and signs in again with password and
    /// code.
    async fn a_person_signs_in_with_a_second_factor(app, browser) {
        app.owner_of("acme").await;
        let page = browser.session(&app.base_url).await;
        sign_in(&page, "owner@acme.example").await;

        let secret = turn_on_second_factor(&page).await;
        page.wait_for_text("Two-factor sign-in is on.").await;
        let codes = page
            .js("return [...document.querySelectorAll('main ul.codes code')].map(c => c.textContent.trim());", vec![])
            .await;
        let codes = codes.as_array().expect("recovery codes");
        assert!(!codes.is_empty(), "recovery codes are shown");
        assert!(codes.iter().all(|c| c.as_str().is_some_and(|c| !c.is_empty())), "{codes:?}");

        page.press_in("header", "Sign out").await;
        page.wait_for_path("/sign-in").await;
        page.wait_for_heading("Sign in").await;
        page.wait_for_text("You are signed out.").await;

        page.fill("E-mail", "owner@acme.example").await;
        page.fill("Password", PASSWORD).await;
        page.press("Sign in").await;
        page.wait_for_path("/sign-in/second-factor").await;
        page.wait_for_heading("Enter your code").await;
        let code = comark_app::auth::next_totp_code(&secret).expect("the next window's code");
        page.fill("Code", &code).await;
        page.press("Verify").await;
        page.wait_for_path("/").await;
        page.wait_for_heading("Your organizations").await;
        let main = page.main_text().await;
        assert!(main.contains("acme Inc."), "{main}");
    }

    /// The public forms can be used with a keyboard and a screen reader: every field has a
    /// label, and the first Tab reaches a working skip link.
    async fn public_forms_are_labelled_and_skippable(app, browser) {
        let page = browser.session(&app.base_url).await;
        for (path, heading) in [
            ("/sign-in", "Sign in"),
            ("/sign-up", "Create your account"),
            ("/forgot-password", "Reset your password"),
        ] {
            page.open(path).await;
            page.wait_for_heading(heading).await;
            let report = page
                .js(
                    r#"
                    const inputs = [...document.querySelectorAll('input, select, textarea')]
                        .filter(e => e.type !== 'hidden');
                    const unlabelled = inputs
                        .filter(e => !e.id || !document.querySelector(`label[for="${CSS.escape(e.id)}"]`))
                        .map(e => e.name || e.outerHTML);
                    return { count: inputs.length, unlabelled };
                    "#,
                    vec![],
                )
                .await;
            assert!(report["count"].as_u64().unwrap_or(0) > 0, "{path} has fields: {report}");
            assert_eq!(report["unlabelled"], json!([]), "fields without a label on {path}");

            let skip = page
                .js(
                    "const a = document.querySelector('a.skip'); return a ? [a.getAttribute('href'), a.textContent.trim(), !!document.getElementById('main')] : null;",
                    vec![],
                )
                .await;
            assert_eq!(skip, json!(["#main", "Skip to content", true]), "the skip link on {path}");
        }

        page.open("/sign-in").await;
        page.wait_for_heading("Sign in").await;
        page.key(Key::Tab).await;
        let focused = page
            .js("return document.activeElement.className + ' ' + document.activeElement.textContent.trim();", vec![])
            .await;
        assert_eq!(focused, json!("skip Skip to content"), "the first Tab reaches the skip link");
        page.key(Key::Enter).await;
        page.wait_js(
            "the focus on the main content",
            "return document.activeElement && document.activeElement.id === 'main';",
            vec![],
        )
        .await;
    }
}
