//! `comark connections ...`: invite links created, listed, used by a partner, accepted and
//! revoked from the command line.

use super::*;

/// Another organization uses `token`, as it would on the web page the link opens.
fn use_link(url: &str, handle: &str, token: &str) -> Result<String, comark_app::AppError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let store = Store::connect(url).await.expect("connect");
        let app = comark_app::App::new(store.clone(), comark_app::Settings::default());
        let scope = store
            .admin_scope(handle)
            .await
            .expect("scope")
            .expect("the organization");
        let used = comark_app::connections::accept_link(
            &app,
            &scope,
            token,
            &comark_store::Actor::system(),
        )
        .await
        .map(|connection| connection.id.to_string());
        store.close().await;
        used
    })
}

fn run_links_journey(database_args: &[&str], url: &str) {
    let with_db = |args: &[&str]| comark_on(database_args, args);
    with_db(&["demo"]).assert_success();

    let created = with_db(&[
        "connections",
        "link",
        "create",
        "--org",
        "brightlane",
        "--uses",
        "2",
        "--days",
        "10",
        "--note",
        "Webinar partners",
        "--format",
        "json",
    ]);
    created.assert_success();
    let link: serde_json::Value = serde_json::from_str(&created.stdout).expect("json");
    assert_eq!(link["max_uses"], 2, "{created:#?}");
    assert_eq!(link["uses"], 0);
    assert_eq!(link["auto_accept"], false);
    assert_eq!(link["status"], "open");
    assert_eq!(link["note"], "Webinar partners");
    let url_of_link = link["link"].as_str().expect("the link").to_owned();
    assert!(url_of_link.contains("/connect/"), "{url_of_link}");
    let id = link["id"].as_str().expect("id").to_owned();
    let token = url_of_link.rsplit('/').next().expect("token").to_owned();

    let at_once = with_db(&[
        "connections",
        "link",
        "create",
        "--org",
        "brightlane",
        "--connect-at-once",
    ]);
    at_once.assert_success();
    let first_line = at_once.stdout.lines().next().unwrap_or_default();
    assert!(first_line.contains("/connect/"), "{at_once:#?}");
    assert!(
        at_once.stdout.contains("0 of 1 uses") && at_once.stdout.contains("connects at once"),
        "{at_once:#?}"
    );
    let too_many = with_db(&[
        "connections",
        "link",
        "create",
        "--org",
        "brightlane",
        "--uses",
        "101",
    ]);
    too_many.assert_failure();
    assert!(too_many.stderr.contains("max_uses: "), "{too_many:#?}");

    // Meridian uses the first link: brightlane finds a request waiting and accepts it.
    let connection = use_link(url, "meridian", &token).expect("meridian connects");
    let listed = with_db(&["connections", "list", "--org", "brightlane"]);
    listed.assert_success();
    let line = listed
        .stdout
        .lines()
        .find(|line| line.contains("@meridian"))
        .unwrap_or_else(|| panic!("no request from meridian: {listed:#?}"));
    assert!(
        line.contains("pending")
            && line.contains("waiting for you")
            && line.contains("invite link"),
        "{line}"
    );
    with_db(&["connections", "accept", "--org", "brightlane", &connection]).assert_success();
    let listed = with_db(&[
        "connections",
        "list",
        "--org",
        "brightlane",
        "--format",
        "json",
    ]);
    let connections: serde_json::Value = serde_json::from_str(&listed.stdout).expect("json");
    let meridian = connections
        .as_array()
        .expect("connections")
        .iter()
        .find(|c| c["partner_handle"] == "meridian")
        .expect("meridian");
    assert_eq!(meridian["status"], "accepted", "{meridian}");

    let links = with_db(&["connections", "link", "list", "--org", "brightlane"]);
    links.assert_success();
    let row = links
        .stdout
        .lines()
        .find(|line| line.starts_with(&id))
        .unwrap_or_else(|| panic!("the link is not listed: {links:#?}"));
    assert!(
        row.contains("open") && row.contains("1 of 2 uses") && row.contains("Webinar partners"),
        "{row}"
    );

    let revoked = with_db(&["connections", "link", "revoke", "--org", "brightlane", &id]);
    revoked.assert_success();
    assert!(
        revoked.stdout.contains("revoked after 1 of 2 uses"),
        "{revoked:#?}"
    );
    let links = with_db(&[
        "connections",
        "link",
        "list",
        "--org",
        "brightlane",
        "--format",
        "json",
    ]);
    let links: serde_json::Value = serde_json::from_str(&links.stdout).expect("json");
    let listed = links
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["id"] == id.as_str())
        .expect("the revoked link stays listed for a while");
    assert_eq!(listed["status"], "revoked");
    assert_eq!(links.as_array().map(Vec::len), Some(2));
    // Revoked, the link connects nobody, and revoking it again finds nothing.
    assert!(matches!(
        use_link(url, "bazaar", &token),
        Err(comark_app::AppError::NotFound)
    ));
    let again = with_db(&["connections", "link", "revoke", "--org", "brightlane", &id]);
    again.assert_failure();
    assert!(again.stderr.contains("not found"), "{again:#?}");
    let elsewhere = with_db(&["connections", "link", "revoke", "--org", "northwind", &id]);
    elsewhere.assert_failure();
}

#[test]
fn invite_links_are_created_listed_and_revoked_from_the_command_line_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data");
    let url = Store::sqlite_url_in(&data_dir);
    let data_dir = data_dir.to_string_lossy().into_owned();
    run_links_journey(&["--data-dir", &data_dir], &url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_links_are_created_listed_and_revoked_from_the_command_line_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    tokio::task::spawn_blocking(move || run_links_journey(&["--database-url", &url], &url))
        .await
        .expect("journey");
}
