//! `comark partnership ...`: a partnership through its first joint gate, with exit codes.

use super::*;

fn run_partnership_journey(database_args: &[&str]) {
    let with_db = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend_from_slice(database_args);
        comark_with(&all)
    };
    with_db(&["demo"]).assert_success();
    let created = with_db(&[
        "partnership",
        "create",
        "--org",
        "northwind",
        "--name",
        "Co-hosted webinars",
        "--partner",
        "brightlane",
    ]);
    created.assert_success();
    let id = created.stdout.trim().to_owned();

    let refused = with_db(&[
        "partnership",
        "create",
        "--org",
        "northwind",
        "--name",
        "X",
        "--partner",
        "meridian",
    ]);
    refused.assert_failure();
    assert!(
        refused
            .stderr
            .contains("`meridian` is not a connected partner"),
        "{refused:#?}"
    );

    // An open gate: refused with the missing evidence named.
    let open = with_db(&["partnership", "advance", "--org", "northwind", &id]);
    assert_eq!(open.status.code(), Some(1), "{open:#?}");
    assert!(
        open.stderr.contains("An executive sponsor is named"),
        "{open:#?}"
    );

    let meet_and_advance = |org: &str, expected: i32| {
        let shown = with_db(&["partnership", "show", "--org", org, &id, "--format", "json"]);
        shown.assert_success();
        let detail: serde_json::Value = serde_json::from_str(&shown.stdout).expect("json");
        let stage = detail["partnership"]["stage"]
            .as_str()
            .expect("stage")
            .to_owned();
        for item in detail["gates"].as_array().expect("gates") {
            if item["stage"] == stage.as_str() && item["met"].is_null() {
                let item = item["id"].as_str().expect("id");
                with_db(&["partnership", "evidence", "--org", org, &id, item]).assert_success();
            }
        }
        let advanced = with_db(&[
            "partnership",
            "advance",
            "--org",
            org,
            &id,
            "--reason",
            "done",
        ]);
        assert_eq!(advanced.status.code(), Some(expected), "{advanced:#?}");
    };
    for _ in 0..3 {
        meet_and_advance("northwind", 0);
    }
    // Partner selection is joint: northwind waits (exit 3), brightlane's approval moves it.
    meet_and_advance("northwind", 3);
    let advanced = with_db(&["partnership", "advance", "--org", "brightlane", &id]);
    assert_eq!(advanced.status.code(), Some(0), "{advanced:#?}");
    assert!(
        advanced.stderr.contains("Moved to Working together"),
        "{advanced:#?}"
    );
    let listed = with_db(&["partnership", "list", "--org", "brightlane"]);
    assert!(listed.stdout.contains("working_together"), "{listed:#?}");

    let risk = with_db(&[
        "partnership",
        "risk",
        "--org",
        "brightlane",
        &id,
        "--title",
        "Brand misalignment",
        "--likelihood",
        "high",
        "--impact",
        "medium",
        "--review-on",
        "2027-03-01",
    ]);
    risk.assert_success();
    assert!(
        risk.stdout.contains("Brand misalignment  score 6"),
        "{risk:#?}"
    );
    let bad = with_db(&[
        "partnership",
        "risk",
        "--org",
        "brightlane",
        &id,
        "--title",
        "X",
        "--likelihood",
        "sometimes",
        "--impact",
        "high",
    ]);
    bad.assert_failure();
    assert!(
        bad.stderr
            .contains("likelihood: must be low, medium or high"),
        "{bad:#?}"
    );

    // Goals, contributions and the health, then the exit.
    let goal = with_db(&[
        "partnership",
        "goal",
        "--org",
        "northwind",
        &id,
        "--metric",
        "Webinar registrations",
        "--target",
        "400",
        "--unit",
        "registrations",
        "--starts-on",
        "2026-01-01",
        "--ends-on",
        "2026-12-31",
    ]);
    goal.assert_success();
    let goal_id = goal.stdout.trim().to_owned();
    with_db(&[
        "partnership",
        "reading",
        "--org",
        "northwind",
        &id,
        &goal_id,
        "400",
    ])
    .assert_success();
    with_db(&[
        "partnership",
        "contribute",
        "--org",
        "northwind",
        &id,
        "events",
        "2",
        "--commit",
    ])
    .assert_success();
    with_db(&[
        "partnership",
        "contribute",
        "--org",
        "northwind",
        &id,
        "events",
        "1",
    ])
    .assert_success();
    let bad_kind = with_db(&[
        "partnership",
        "contribute",
        "--org",
        "northwind",
        &id,
        "goodwill",
        "1",
    ]);
    bad_kind.assert_failure();
    assert!(
        bad_kind.stderr.contains("kind: must be budget"),
        "{bad_kind:#?}"
    );
    let performance = with_db(&["partnership", "performance", "--org", "brightlane", &id]);
    performance.assert_success();
    assert!(
        performance
            .stdout
            .contains("Webinar registrations: 400 of 400 registrations  Met"),
        "{performance:#?}"
    );
    assert!(
        performance
            .stdout
            .contains("delivered against commitments: Northwind Software 50%"),
        "{performance:#?}"
    );
    let exited = with_db(&[
        "partnership",
        "exit",
        "--org",
        "brightlane",
        &id,
        "--review",
        "Webinars continue under a new plan.",
    ]);
    exited.assert_success();
    let late = with_db(&[
        "partnership",
        "evidence",
        "--org",
        "northwind",
        &id,
        &goal_id,
    ]);
    late.assert_failure();

    // The maturity assessment, answered and shown with its next steps.
    let mut assess = vec!["maturity", "assess", "--org", "northwind"];
    let levels = [
        "strategy_icp=coordinated",
        "value_proposition=one_off",
        "programs_plays=one_off",
        "journeys_handoffs=one_off",
        "data_measurement=coordinated",
        "governance_rhythm=ecosystem",
    ];
    for level in &levels {
        assess.extend(["--level", level]);
    }
    let assessed = with_db(&assess);
    assessed.assert_success();
    assert!(
        assessed.stdout.contains("average 1.7 of 3"),
        "{assessed:#?}"
    );
    let shown = with_db(&["maturity", "show", "--org", "northwind"]);
    shown.assert_success();
    assert!(
        shown.stdout.contains("next: Write one joint narrative"),
        "{shown:#?}"
    );
    // The demo's partnerships and mapping are evidence comark can vouch for.
    assert!(
        shown
            .stdout
            .contains("suggested: Governance & rhythm at Coordinated partnerships"),
        "{shown:#?}"
    );
    let incomplete = with_db(&[
        "maturity",
        "assess",
        "--org",
        "northwind",
        "--level",
        "strategy_icp=ecosystem",
    ]);
    incomplete.assert_failure();
    assert!(
        incomplete
            .stderr
            .contains("levels.value_proposition: choose a level"),
        "{incomplete:#?}"
    );
}

#[test]
fn a_partnership_moves_through_its_first_joint_gate_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    run_partnership_journey(&["--data-dir", &data_dir]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partnership_moves_through_its_first_joint_gate_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    tokio::task::spawn_blocking(move || run_partnership_journey(&["--database-url", &url]))
        .await
        .expect("journey");
}
