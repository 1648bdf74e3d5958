//! Imports whose process dies: a command killed mid-import, a server killed while its worker
//! imports. Nothing lands, and the import never stays "running": it fails with the reason or
//! restarts visibly, on both databases.

use super::*;
use comark_store::accounts::ImportStatus;
use comark_store::OrgScope;

/// Rows enough that an import is still running a moment after it starts.
const ROWS: usize = 200_000;

fn big_export(dir: &TempDir) -> PathBuf {
    let mut csv = String::from("Account ID,Account Name,Website,Type\n");
    for row in 0..ROWS {
        csv.push_str(&format!(
            "K{row},Kestrel Company {row},kestrel-{row}.example,Prospect\n"
        ));
    }
    let path = dir.join("big.csv");
    std::fs::write(&path, csv).expect("write the export");
    path
}

async fn northwind(store: &Store) -> OrgScope {
    let org = store
        .org_by_handle("northwind")
        .await
        .expect("read")
        .expect("the demo's northwind");
    store.job_scope(org.id).await.expect("read").expect("scope")
}

/// Waits until an import other than those in `known` is running, and returns it.
async fn wait_until_running(
    store: &Store,
    scope: &OrgScope,
    known: &[comark_domain::ImportId],
) -> comark_store::accounts::AccountImport {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let imports = store.org(scope).imports(50).await.expect("imports");
        if let Some(import) = imports.into_iter().find(|i| !known.contains(&i.id)) {
            if import.status == ImportStatus::Running {
                return import;
            }
            assert!(
                !import.status.is_finished(),
                "the import ended before it could be interrupted: {import:?}"
            );
        }
        assert!(Instant::now() < deadline, "no import started running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn known_imports(store: &Store, scope: &OrgScope) -> Vec<comark_domain::ImportId> {
    let imports = store.org(scope).imports(50).await.expect("imports");
    imports.into_iter().map(|i| i.id).collect()
}

async fn a_killed_import_command_is_failed_with_the_reason(database: &[&str], url: &str) {
    let with_db = |args: &[&str]| comark_on(database, args);
    with_db(&["demo"]).assert_success();
    let dir = TempDir::create();
    let export = big_export(&dir);
    let store = Store::connect(url).await.expect("connect");
    let scope = northwind(&store).await;
    let before = store.org(&scope).account_book().await.expect("book");
    let known = known_imports(&store, &scope).await;

    let mut command = comark();
    command
        .args(["accounts", "import", "--org", "northwind"])
        .arg(&export)
        .args(database)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("start the import");
    let import = wait_until_running(&store, &scope, &known).await;
    assert!(
        child.try_wait().expect("poll").is_none(),
        "the command finished before it could be killed"
    );
    child.kill().expect("kill -9");
    let _ = child.wait();

    // A run is allowed some silence before it is judged dead.
    let soon = with_db(&["accounts", "reconcile"]);
    soon.assert_success();
    assert!(
        soon.stdout.contains("No import needed attention"),
        "{soon:#?}"
    );
    let later = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let reconciled = with_db(&["accounts", "reconcile", "--at", &later]);
    reconciled.assert_success();
    assert!(
        reconciled.stdout.contains(&format!(
            "northwind import {}: failed: the command that ran this import stopped",
            import.id
        )),
        "{reconciled:#?}"
    );
    let listed = with_db(&[
        "accounts",
        "imports",
        "--org",
        "northwind",
        "--format",
        "json",
    ]);
    listed.assert_success();
    let imports: serde_json::Value = serde_json::from_str(&listed.stdout).expect("JSON");
    assert_eq!(imports[0]["id"], import.id.to_string(), "{imports:#}");
    assert_eq!(imports[0]["status"], "failed", "{imports:#}");
    let after = store.org(&scope).account_book().await.expect("book");
    assert_eq!(
        after.accounts, before.accounts,
        "nothing of the killed run landed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_import_command_is_failed_with_the_reason_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let url = Store::sqlite_url_in(Path::new(&data_dir));
    a_killed_import_command_is_failed_with_the_reason(&["--data-dir", &data_dir], &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_import_command_is_failed_with_the_reason_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    a_killed_import_command_is_failed_with_the_reason(&["--database-url", &url], &url).await;
}

async fn an_import_whose_server_was_killed_restarts_and_lands(database: &[&str], url: &str) {
    let serve = |demo: bool| {
        let port = free_port();
        let mut command = comark();
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(database);
        if demo {
            command.arg("--demo");
        }
        let mut server = Server::start(command);
        server.wait_until_healthy(port);
        (server, format!("http://127.0.0.1:{port}"))
    };
    let (server, base) = serve(true);
    let signed_in = comark_testkit::Api::new(&base, None)
        .post(
            "/api/v1/auth/sign-in",
            serde_json::json!({ "email": "owner@northwind.example", "password": "comark-demo-password" }),
        )
        .await;
    let token = signed_in.json["token"].as_str().expect("token").to_owned();
    let store = Store::connect(url).await.expect("connect");
    let scope = northwind(&store).await;
    let known = known_imports(&store, &scope).await;
    let dir = TempDir::create();
    let export = std::fs::read(big_export(&dir)).expect("read");
    let api = comark_testkit::Api::new(&base, Some(token.clone()));
    let uploaded = api
        .upload(
            "/api/v1/orgs/northwind/imports?file_name=big.csv",
            export,
            &[],
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text);
    let id = uploaded.json["import"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let started = api
        .post(
            &format!("/api/v1/orgs/northwind/imports/{id}/start"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let import = wait_until_running(&store, &scope, &known).await;
    assert_eq!(import.id.to_string(), id);
    server.kill();

    // The next server notices that the run died, says so, and runs it again.
    let (server, base) = serve(false);
    let api = comark_testkit::Api::new(&base, Some(token));
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut seen_note = None;
    let done = loop {
        let import = api
            .get(&format!("/api/v1/orgs/northwind/imports/{id}"))
            .await;
        if let Some(note) = import.json["note"].as_str() {
            seen_note = Some(note.to_owned());
        }
        if import.json["status"] == "done" || import.json["status"] == "failed" {
            break import;
        }
        assert!(
            Instant::now() < deadline,
            "the import never finished after the restart: {}\n{}",
            import.text,
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(done.json["status"], "done", "{}", done.text);
    assert_eq!(done.json["rows_imported"], ROWS, "{}", done.text);
    let note = seen_note.expect("a note saying the import restarted");
    assert!(
        note.contains("restarted") && note.contains("attempt 2 of 3"),
        "{note}"
    );
    server.stop_gracefully();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_whose_server_was_killed_restarts_and_lands_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let url = Store::sqlite_url_in(Path::new(&data_dir));
    an_import_whose_server_was_killed_restarts_and_lands(&["--data-dir", &data_dir], &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_whose_server_was_killed_restarts_and_lands_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    an_import_whose_server_was_killed_restarts_and_lands(&["--database-url", &url], &url).await;
}
