//! `comark intake ...` and `comark requests ...`: the demo's request queue vetted into a
//! partnership from the command line.

use super::*;

fn run_intake_journey(database_args: &[&str]) {
    let with_db = |args: &[&str]| comark_on(database_args, args);
    with_db(&["demo"]).assert_success();
    let shown = with_db(&["intake", "show", "--org", "northwind"]);
    shown.assert_success();
    assert!(
        shown.stdout.contains("The request form is open"),
        "{shown:#?}"
    );
    assert!(shown.stdout.contains("/r/northwind"), "{shown:#?}");

    let set = with_db(&[
        "intake",
        "set",
        "--org",
        "northwind",
        "--open",
        "true",
        "--check",
        "Shared values",
        "--check",
        "Audience fit",
    ]);
    set.assert_success();
    assert!(
        set.stdout.contains("  - Audience fit") && !set.stdout.contains("Legal"),
        "{set:#?}"
    );

    let listed = with_db(&["requests", "list", "--org", "northwind", "--format", "json"]);
    listed.assert_success();
    let queue: serde_json::Value = serde_json::from_str(&listed.stdout).expect("json");
    let from_brightlane = queue
        .as_array()
        .expect("queue")
        .iter()
        .find(|r| r["company"] == "Brightlane Agency")
        .expect("the demo request from Brightlane");
    let id = from_brightlane["id"].as_str().expect("id").to_owned();
    let table = with_db(&["requests", "list", "--org", "northwind", "--status", "new"]);
    assert!(
        table.stdout.contains(&id) && table.stdout.contains("co_branding"),
        "{table:#?}"
    );
    let bad_status = with_db(&[
        "requests",
        "list",
        "--org",
        "northwind",
        "--status",
        "maybe",
    ]);
    bad_status.assert_failure();
    assert!(bad_status.stderr.contains("status:"), "{bad_status:#?}");

    with_db(&[
        "requests",
        "assign",
        "--org",
        "northwind",
        &id,
        "--to",
        "partners@northwind.example",
    ])
    .assert_success();
    let stranger = with_db(&[
        "requests",
        "assign",
        "--org",
        "northwind",
        &id,
        "--to",
        "owner@meridian.example",
    ]);
    stranger.assert_failure();
    let unknown = with_db(&[
        "requests",
        "check",
        "--org",
        "northwind",
        &id,
        "Horoscope",
        "pass",
    ]);
    unknown.assert_failure();
    assert!(
        unknown
            .stderr
            .contains("item: is not on your vetting checklist"),
        "{unknown:#?}"
    );
    with_db(&[
        "requests",
        "check",
        "--org",
        "northwind",
        &id,
        "Shared values",
        "pass",
    ])
    .assert_success();
    with_db(&[
        "requests",
        "check",
        "--org",
        "northwind",
        &id,
        "Audience fit",
        "concern",
        "--note",
        "Their list is mostly agencies",
    ])
    .assert_success();
    let early = with_db(&["requests", "start", "--org", "northwind", &id]);
    early.assert_failure();
    assert!(early.stderr.contains("accept the request"), "{early:#?}");
    with_db(&[
        "requests",
        "decide",
        "--org",
        "northwind",
        &id,
        "accept",
        "--note",
        "Let's write it.",
    ])
    .assert_success();
    let started = with_db(&[
        "requests",
        "start",
        "--org",
        "northwind",
        &id,
        "--name",
        "State of RevOps report",
    ]);
    started.assert_success();
    assert!(
        started.stdout.contains("Started partnership"),
        "{started:#?}"
    );

    let detail = with_db(&["requests", "show", "--org", "northwind", &id]);
    detail.assert_success();
    for expected in [
        "Status: Accepted",
        "Vetted by: Priya Partner-Manager",
        "Vetting: 1 passed, 1 concerns, 0 failed, 0 pending",
        "concern  Audience fit (Their list is mostly agencies)",
        "Fit: ",
        "partnership_started",
    ] {
        assert!(
            detail.stdout.contains(expected),
            "missing {expected}: {detail:#?}"
        );
    }
    // Brightlane sees its request accepted, with the answer, and the partnership it became.
    let sent = with_db(&["requests", "sent", "--org", "brightlane"]);
    sent.assert_success();
    assert!(
        sent.stdout.contains("to @northwind")
            && sent.stdout.contains("accepted  \"Let's write it.\""),
        "{sent:#?}"
    );
    let theirs = with_db(&["partnership", "list", "--org", "brightlane"]);
    assert!(
        theirs.stdout.contains("State of RevOps report"),
        "{theirs:#?}"
    );
}

#[test]
fn a_request_is_vetted_into_a_partnership_from_the_command_line_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    run_intake_journey(&["--data-dir", &data_dir]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_vetted_into_a_partnership_from_the_command_line_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    tokio::task::spawn_blocking(move || run_intake_journey(&["--database-url", &url]))
        .await
        .expect("journey");
}
