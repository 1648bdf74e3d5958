//! Bugs of the web UI that only a browser showed, each pinned by the test that failed until
//! the fix: downloads that htmx swallowed, POST-only addresses left in the address bar,
//! secrets kept in htmx's history cache, and invitees losing their invitation at sign-up.

use super::*;
use crate::steps::{sign_in, turn_on_second_factor};

/// Starts recording the paths of the requests htmx makes from this page on.
async fn record_htmx_requests(page: &Page) {
    page.js(
        r#"
        window.htmxRequests = [];
        document.addEventListener('htmx:configRequest', e => window.htmxRequests.push(e.detail.path));
        return true;
        "#,
        vec![],
    )
    .await;
}

browser_journeys! {
    /// "Export as CSV" (`a[download]` on /o/{org}/audit) must download the file. htmx boosts
    /// every same-host link, `download` or not, so the CSV is fetched by XHR and its text
    /// replaces the page, under the address /o/{org}/audit.csv.
    async fn the_audit_export_downloads_instead_of_replacing_the_page(app, browser) {
        app.owner_of("acme").await;
        let page = browser.session(&app.base_url).await;
        sign_in(&page, "owner@acme.example").await;
        page.open("/o/acme/audit").await;
        page.wait_for_heading("Audit log").await;
        record_htmx_requests(&page).await;
        page.follow("Export as CSV").await;
        let requests = page.js("return window.htmxRequests;", vec![]).await;
        assert_eq!(requests, json!([]), "the download link is not boosted");
        page.wait_for_heading("Audit log").await;
        page.wait_for_path("/o/acme/audit").await;
    }

    /// A form whose answer is a page (not a redirect) leaves its POST-only action in the
    /// address bar: htmx pushes the response URL of boosted requests. Reloading then shows
    /// "HTTP ERROR 405". The invite form (/o/{org}/invitations), the partner link form, the
    /// two-factor set-up and the token form all do this.
    async fn the_address_after_a_form_can_be_reloaded(app, browser) {
        app.owner_of("acme").await;
        let page = browser.session(&app.base_url).await;
        sign_in(&page, "owner@acme.example").await;
        page.open("/o/acme/members").await;
        page.wait_for_heading("Members").await;
        page.press("Invite").await;
        page.wait_for_text_of("code#invite-link").await;
        let reload = page
            .js("return fetch(location.href).then(r => [location.pathname, r.status]);", vec![])
            .await;
        assert_eq!(reload[1], json!(200), "reloading {} answers {}", reload[0], reload[1]);
    }

    /// htmx keeps a snapshot of every page it navigates away from in localStorage
    /// (`htmx-history-cache`), so recovery codes, a new API token and the TOTP secret stay on
    /// the computer after signing out, and Back shows the signed-in pages again.
    async fn signing_out_leaves_no_secrets_in_the_browser(app, browser) {
        app.owner_of("acme").await;
        let page = browser.session(&app.base_url).await;
        sign_in(&page, "owner@acme.example").await;
        let secret = turn_on_second_factor(&page).await;
        let recovery = page.wait_for_text_of("main ul.codes code").await;
        page.fill("Token name", "laptop").await;
        page.press("Create token").await;
        let token = page.wait_for_text_of("code#new-token").await;

        page.press_in("header", "Sign out").await;
        page.wait_for_heading("Sign in").await;
        let kept = page
            .js(
                r#"
                const stored = Object.keys(localStorage).map(k => localStorage.getItem(k)).join('\n')
                    + Object.keys(sessionStorage).map(k => sessionStorage.getItem(k)).join('\n');
                return [...arguments].filter(secret => stored.includes(secret));
                "#,
                vec![json!(secret), json!(recovery), json!(token)],
            )
            .await;
        assert_eq!(kept, json!([]), "secrets left in the browser's storage after sign-out");
    }

    /// Someone invited who has no account yet opens the link, chooses "Create an account",
    /// and should come back to the invitation; the sign-up form forgets it and sends them to
    /// "Create an organization" instead.
    async fn an_invitee_without_an_account_returns_to_the_invitation(app, browser) {
        let owner = app.owner_of("acme").await;
        let invitation = app
            .api_as(&owner)
            .post("/api/v1/orgs/acme/invitations", json!({ "role": "marketer" }))
            .await;
        assert_eq!(invitation.status, 201, "{}", invitation.text);
        let link = invitation.json["link"].as_str().expect("a link").to_owned();
        let path = link.strip_prefix(&app.base_url).expect("a link to this server").to_owned();

        let page = browser.session(&app.base_url).await;
        page.open(&link).await;
        page.wait_for_heading("Join acme Inc.").await;
        page.follow("Create an account").await;
        page.wait_for_heading("Create your account").await;
        page.fill("Your name", "Katherine Johnson").await;
        page.fill("Work e-mail", "katherine@acme.example").await;
        page.fill("Password", PASSWORD).await;
        page.press("Create account").await;
        page.wait_for_path(&path).await;
        page.press("Accept and join").await;
        page.wait_for_path("/o/acme").await;
        page.wait_for_heading("acme Inc.").await;
    }
}
