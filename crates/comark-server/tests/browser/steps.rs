//! Steps several journeys share: signing up and in through the forms, turning on the second
//! factor, reading lists.

use crate::{json, Page, PASSWORD};

/// The session cookie's name when cookies are secure, as the test server sets them.
pub const SESSION_COOKIE: &str = "__Host-comark_session";

/// Signs up through the form on /sign-up and waits for the next step (/orgs/new).
pub async fn sign_up(page: &Page, name: &str, email: &str) {
    page.open("/sign-up").await;
    page.wait_for_heading("Create your account").await;
    page.fill("Your name", name).await;
    page.fill("Work e-mail", email).await;
    page.fill("Password", PASSWORD).await;
    page.press("Create account").await;
    page.wait_for_path("/orgs/new").await;
    page.wait_for_heading("Create an organization").await;
}

/// Signs in through the form on /sign-in (no second factor) and waits for the start page.
pub async fn sign_in(page: &Page, email: &str) {
    page.open("/sign-in").await;
    page.wait_for_heading("Sign in").await;
    page.fill("E-mail", email).await;
    page.fill("Password", PASSWORD).await;
    page.press("Sign in").await;
    page.wait_for_path("/").await;
    page.wait_for_heading("Your organizations").await;
}

/// Chooses `file` in the upload form of an organization's empty accounts page, uploads it
/// and waits for the import's page.
pub async fn upload_accounts(page: &Page, org: &str, file: &std::path::Path) {
    let file_name = file
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a file name");
    page.open(&format!("/o/{org}/accounts")).await;
    page.wait_for_heading("Accounts").await;
    page.wait_for_text("No accounts yet.").await;
    let input = page
        .wait_for_element(
            "the file field",
            "return document.querySelector('main input[type=file]');",
            vec![],
        )
        .await;
    input
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    page.press("Upload").await;
    page.wait_for_heading(&format!("Import of {file_name}"))
        .await;
}

/// The text of the card list under the heading `heading`, once it is there.
pub async fn list_under(page: &Page, heading: &str) -> String {
    page.wait_js(
        &format!("a list under the heading {heading:?}"),
        r#"
        const h = [...document.querySelectorAll('main h2')].find(h => h.textContent.trim() === arguments[0]);
        const list = h && h.nextElementSibling;
        return list && list.tagName === 'UL' ? list.innerText : null;
        "#,
        vec![json!(heading)],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Turns on two-factor sign-in from /account with the page's secret; returns the secret once
/// the page shows the recovery codes.
pub async fn turn_on_second_factor(page: &Page) -> String {
    page.open("/account").await;
    page.wait_for_heading("Your account").await;
    page.press("Set up two-factor sign-in").await;
    let secret = page.wait_for_text_of("code#totp-secret").await;
    let code =
        comark_app::auth::current_totp_code(&secret).expect("a code for the secret on the page");
    page.fill("Code from the app", &code).await;
    page.press("Turn on").await;
    page.wait_for_text_of("main ul.codes code").await;
    secret
}
