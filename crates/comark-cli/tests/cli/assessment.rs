//! `comark gates ...` and `comark assessment ...`: a template seeds a new partnership's
//! gates, and answering the internal assessment meets the evidence it feeds.

use super::*;

fn run_gates_and_assessment_journey(database_args: &[&str]) {
    let with_db = |args: &[&str]| comark_on(database_args, args);
    with_db(&["demo"]).assert_success();

    let shown = with_db(&["gates", "show", "--org", "northwind"]);
    shown.assert_success();
    assert!(
        shown.stdout.contains("Awareness (comark's defaults):")
            && shown
                .stdout
                .contains("  [drivers] Business objectives for partnering are written down"),
        "{shown:#?}"
    );

    let set = with_db(&[
        "gates",
        "set",
        "--org",
        "northwind",
        "--stage",
        "awareness",
        "--item",
        "[drivers] The board approved partnering",
        "--item",
        "A budget for partnering is set",
    ]);
    set.assert_success();
    assert!(
        set.stdout.contains("Awareness (saved by command line on ")
            && set
                .stdout
                .contains("  [drivers] The board approved partnering")
            && set.stdout.contains("  A budget for partnering is set"),
        "{set:#?}"
    );
    let bad_feed = with_db(&[
        "gates",
        "set",
        "--org",
        "northwind",
        "--stage",
        "knowledge",
        "--item",
        "[vibes] Good vibes",
    ]);
    bad_feed.assert_failure();
    assert!(
        bad_feed
            .stderr
            .contains("items.0.fed_by: is not a part of the internal assessment"),
        "{bad_feed:#?}"
    );
    let exit = with_db(&[
        "gates",
        "set",
        "--org",
        "northwind",
        "--stage",
        "exit",
        "--item",
        "Anything",
    ]);
    exit.assert_failure();
    assert!(
        exit.stderr
            .contains("stage: is not a stage with a gate to edit"),
        "{exit:#?}"
    );

    // A new partnership starts from the template.
    let created = with_db(&[
        "partnership",
        "create",
        "--org",
        "northwind",
        "--name",
        "Template trial",
        "--partner",
        "brightlane",
    ]);
    created.assert_success();
    let id = created.stdout.trim().to_owned();
    let detail = |org: &str| -> serde_json::Value {
        let shown = with_db(&["partnership", "show", "--org", org, &id, "--format", "json"]);
        shown.assert_success();
        serde_json::from_str(&shown.stdout).expect("json")
    };
    let awareness = |detail: &serde_json::Value| -> Vec<serde_json::Value> {
        detail["gates"]
            .as_array()
            .expect("gates")
            .iter()
            .filter(|g| g["stage"] == "awareness")
            .cloned()
            .collect()
    };
    let before = detail("northwind");
    let gate = awareness(&before);
    assert_eq!(gate.len(), 2, "{gate:?}");
    assert_eq!(gate[0]["text"], "The board approved partnering");
    assert_eq!(gate[0]["fed_by"], "drivers");
    assert!(gate[0]["met"].is_null());

    // Answering the drivers meets the item it feeds.
    let refused = with_db(&[
        "assessment",
        "answer",
        "--org",
        "northwind",
        "--answer",
        "roles=sometimes",
    ]);
    refused.assert_failure();
    assert!(
        refused
            .stderr
            .contains("answers.roles: must be one of clear, overlapping, undefined"),
        "{refused:#?}"
    );
    let answered = with_db(&[
        "assessment",
        "answer",
        "--org",
        "northwind",
        "--answer",
        "drivers=Reach mid-market retailers",
    ]);
    answered.assert_success();
    assert!(
        answered
            .stdout
            .contains("Saved version 1: 1 of 6 sections complete"),
        "{answered:#?}"
    );
    assert!(
        answered
            .stdout
            .contains("met: Template trial · Awareness · The board approved partnering [drivers]"),
        "{answered:#?}"
    );
    let after = detail("brightlane");
    let gate = awareness(&after);
    assert_eq!(
        gate[0]["met"][0], "the internal assessment (Northwind Software)",
        "the partner sees it met: {gate:?}"
    );
    assert!(gate[1]["met"].is_null());
    let event = after["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|e| e["kind"] == "evidence_met")
        .cloned()
        .expect("a history entry");
    assert_eq!(event["actor"], "command line (internal assessment)");
    assert_eq!(event["detail"], "The board approved partnering");

    // A second version keeps the earlier answers and adds to them.
    let more = with_db(&[
        "assessment",
        "answer",
        "--org",
        "northwind",
        "--answer",
        "collaborative_maturity=defined",
        "--person",
        "Ann Alliance|Partnership manager|Events, negotiation",
    ]);
    more.assert_success();
    assert!(
        more.stdout
            .contains("Saved version 2: 2 of 6 sections complete"),
        "{more:#?}"
    );
    let show = with_db(&["assessment", "show", "--org", "northwind"]);
    show.assert_success();
    assert!(
        show.stdout.contains("Version 2, saved ")
            && show.stdout.contains("[x] Drivers for partnering")
            && show
                .stdout
                .contains("[x] People, skills and collaborative maturity")
            && show.stdout.contains("[ ] Vision and values: missing")
            && show
                .stdout
                .contains("person: Ann Alliance | Partnership manager | Events, negotiation")
            && show.stdout.contains("earlier: version 1 saved "),
        "{show:#?}"
    );
    let json = with_db(&[
        "assessment",
        "show",
        "--org",
        "northwind",
        "--format",
        "json",
    ]);
    json.assert_success();
    let overview: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(overview["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        overview["history"][0]["answers"]["answers"]["drivers"],
        "Reach mid-market retailers"
    );

    // Reset: the defaults are back.
    let reset = with_db(&[
        "gates",
        "reset",
        "--org",
        "northwind",
        "--stage",
        "awareness",
    ]);
    reset.assert_success();
    assert!(
        reset.stdout.contains("Awareness (comark's defaults):"),
        "{reset:#?}"
    );
}

#[test]
fn templates_seed_gates_and_the_assessment_meets_them_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    run_gates_and_assessment_journey(&["--data-dir", &data_dir]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_seed_gates_and_the_assessment_meets_them_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    tokio::task::spawn_blocking(move || {
        run_gates_and_assessment_journey(&["--database-url", &url])
    })
    .await
    .expect("journey");
}
