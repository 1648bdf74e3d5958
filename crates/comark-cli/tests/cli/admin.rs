//! `comark user reset-password`: the administrator's way back into an account.

use comark_app::auth::{sign_in, Client, Credentials};
use comark_app::demo::DEMO_PASSWORD;
use comark_app::{App, Settings};

use super::*;

const NEW_PASSWORD: &str = "a brand new password";

fn reset_password(data_dir: &str, email: &str, stdin: &str) -> Outcome {
    let mut command = comark();
    command.args(["user", "reset-password", email, "--data-dir", data_dir]);
    run_with_stdin(command, stdin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_password_reads_the_new_password_from_stdin_and_signing_in_with_it_works() {
    let dir = TempDir::create();
    let data_dir = dir.path().to_string_lossy().into_owned();
    comark_with(&["demo", "--data-dir", &data_dir]).assert_success();

    let store = Store::connect(&dir.sqlite_url()).await.expect("connect");
    let app = App::new(store.clone(), Settings::default());
    let session = sign_in(
        &app,
        Credentials::new("owner@northwind.example", DEMO_PASSWORD),
        &Client::default(),
    )
    .await
    .expect("the demo password works before the reset");

    let outcome = reset_password(
        &data_dir,
        "owner@northwind.example",
        &format!("{NEW_PASSWORD}\n"),
    );
    outcome.assert_success();
    assert!(
        outcome.stdout.contains("owner@northwind.example"),
        "{outcome:#?}"
    );

    sign_in(
        &app,
        Credentials::new("owner@northwind.example", NEW_PASSWORD),
        &Client::default(),
    )
    .await
    .expect("the new password works");
    assert!(
        sign_in(
            &app,
            Credentials::new("owner@northwind.example", DEMO_PASSWORD),
            &Client::default()
        )
        .await
        .is_err(),
        "the old password no longer works"
    );
    assert!(
        comark_app::auth::authenticate_session(&app, &session.token)
            .await
            .expect("authenticate")
            .is_none(),
        "the sessions from before the reset are ended"
    );
    store.close().await;
}

#[test]
fn reset_password_for_an_unknown_email_fails() {
    let dir = TempDir::create();
    let data_dir = dir.path().to_string_lossy().into_owned();
    comark_with(&["migrate", "--data-dir", &data_dir]).assert_success();
    let outcome = reset_password(
        &data_dir,
        "nobody@nowhere.example",
        &format!("{NEW_PASSWORD}\n"),
    );
    outcome.assert_failure();
    assert!(!outcome.stdout.contains("is changed"), "{outcome:#?}");
}

#[test]
fn reset_password_without_a_password_on_stdin_fails() {
    let dir = TempDir::create();
    let data_dir = dir.path().to_string_lossy().into_owned();
    comark_with(&["migrate", "--data-dir", &data_dir]).assert_success();
    let outcome = reset_password(&data_dir, "owner@northwind.example", "");
    outcome.assert_failure();
    assert!(outcome.stderr.contains("no password"), "{outcome:#?}");
}
