//! The one-shot commands: --version, --help, migrate, demo, backup, and config errors.

use super::*;

#[test]
fn version_prints_the_crate_version() {
    let outcome = comark_with(&["--version"]);
    outcome.assert_success();
    assert_eq!(
        outcome.stdout.trim(),
        format!("comark {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn serve_help_explains_the_main_settings_and_their_environment_variables() {
    let outcome = comark_with(&["serve", "--help"]);
    outcome.assert_success();
    let help = &outcome.stdout;
    for expected in [
        "--listen",
        "--data-dir",
        "--database-url",
        "--smtp-url",
        "--config",
        "COMARK_LISTEN",
        "COMARK_DATA_DIR",
        "COMARK_DATABASE_URL",
        "COMARK_SMTP_URL",
    ] {
        assert!(
            help.contains(expected),
            "`serve --help` does not mention {expected}:\n{help}"
        );
    }
}

#[test]
fn migrate_creates_the_sqlite_file_in_the_data_directory() {
    let dir = TempDir::create();
    let data_dir = dir.join("data");
    let data_dir_arg = data_dir.to_string_lossy().into_owned();
    let outcome = comark_with(&["migrate", "--data-dir", &data_dir_arg]);
    outcome.assert_success();
    assert!(outcome.stdout.contains("up to date"), "{outcome:#?}");
    assert!(
        data_dir.join("comark.db").is_file(),
        "no comark.db in {}",
        data_dir.display()
    );
    // Running it again changes nothing and still succeeds.
    comark_with(&["migrate", "--data-dir", &data_dir_arg]).assert_success();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_works_on_postgresql_with_a_database_url() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let dir = TempDir::create();
    let data_dir = dir.join("unused");
    let outcome = comark_with(&[
        "migrate",
        "--database-url",
        database.url(),
        "--data-dir",
        &data_dir.to_string_lossy(),
    ]);
    outcome.assert_success();
    assert!(
        !data_dir.exists(),
        "a PostgreSQL migration should not create the SQLite data directory"
    );
    let store = Store::connect(database.url()).await.expect("connect");
    assert!(!store.schema_outline().await.expect("outline").is_empty());
    store.close().await;
}

#[test]
fn an_unknown_key_in_the_config_file_is_refused_by_name() {
    let dir = TempDir::create();
    let config = dir.join("comark.toml");
    std::fs::write(&config, "listne = \"127.0.0.1:9999\"\n").expect("write the config file");
    let outcome = comark_with(&[
        "migrate",
        "--config",
        &config.to_string_lossy(),
        "--data-dir",
        &dir.join("data").to_string_lossy(),
    ]);
    outcome.assert_failure();
    assert!(
        outcome.stderr.contains("listne"),
        "the error should name the key: {outcome:#?}"
    );
    assert!(
        !dir.join("data").exists(),
        "nothing is created when the config is refused"
    );
}

#[test]
fn a_missing_config_file_is_an_error() {
    let dir = TempDir::create();
    let outcome = comark_with(&[
        "migrate",
        "--config",
        &dir.join("nope.toml").to_string_lossy(),
        "--data-dir",
        &dir.join("data").to_string_lossy(),
    ]);
    outcome.assert_failure();
    assert!(outcome.stderr.contains("nope.toml"), "{outcome:#?}");
}

async fn assert_demo_twice_adds_nothing(database_url: &str, database_args: &[&str]) {
    for run in 1..=2 {
        let mut args = vec!["demo"];
        args.extend_from_slice(database_args);
        let outcome = comark_with(&args);
        outcome.assert_success();
        assert!(
            outcome.stdout.contains("owner@northwind.example"),
            "run {run} should print the sign-in details: {outcome:#?}"
        );
        assert!(
            outcome.stdout.contains(comark_app::demo::DEMO_PASSWORD),
            "run {run} should print the demo password: {outcome:#?}"
        );
    }
    let store = Store::connect(database_url).await.expect("connect");
    assert_eq!(store.count_organizations().await.expect("count"), 4);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_twice_on_sqlite_prints_the_sign_ins_both_times_and_adds_nothing_the_second_time() {
    let dir = TempDir::create();
    let data_dir = dir.path().to_string_lossy().into_owned();
    assert_demo_twice_adds_nothing(&dir.sqlite_url(), &["--data-dir", &data_dir]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_twice_on_postgresql_prints_the_sign_ins_both_times_and_adds_nothing_the_second_time()
{
    let database = TestDatabase::create(Backend::Postgres).await;
    assert_demo_twice_adds_nothing(database.url(), &["--database-url", database.url()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_writes_a_sqlite_copy_holding_the_same_organizations() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    comark_with(&["demo", "--data-dir", &data_dir]).assert_success();
    let target = dir.join("backup.db");
    let outcome = comark_with(&[
        "backup",
        "--to",
        &target.to_string_lossy(),
        "--data-dir",
        &data_dir,
    ]);
    outcome.assert_success();
    assert!(target.is_file(), "no backup at {}", target.display());

    let copy = Store::connect(&format!("sqlite://{}", target.display()))
        .await
        .expect("the backup opens as a SQLite database");
    assert_eq!(copy.count_organizations().await.expect("count"), 4);
    assert!(
        copy.org_by_handle("northwind")
            .await
            .expect("look up")
            .is_some(),
        "the backup holds the demo organizations"
    );
    copy.close().await;
}

#[test]
fn backup_refuses_to_overwrite_an_existing_file() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    comark_with(&["migrate", "--data-dir", &data_dir]).assert_success();
    let target = dir.join("existing.db");
    std::fs::write(&target, "precious").expect("write the existing file");
    let outcome = comark_with(&[
        "backup",
        "--to",
        &target.to_string_lossy(),
        "--data-dir",
        &data_dir,
    ]);
    outcome.assert_failure();
    assert!(outcome.stderr.contains("already exists"), "{outcome:#?}");
    assert_eq!(
        std::fs::read_to_string(&target).expect("read the existing file"),
        "precious",
        "the existing file is left alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_on_postgresql_is_refused_with_a_pointer_to_pg_dump() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let dir = TempDir::create();
    let target = dir.join("backup.db");
    let outcome = comark_with(&[
        "backup",
        "--to",
        &target.to_string_lossy(),
        "--database-url",
        database.url(),
    ]);
    outcome.assert_failure();
    assert!(outcome.stderr.contains("pg_dump"), "{outcome:#?}");
    assert!(!target.exists(), "no file is written");
}
