//! `comark partnership ...`: a partnership through its first joint gate, with exit codes.

use super::*;

fn run_partnership_journey(database_args: &[&str]) {
    let with_db = |args: &[&str]| comark_on(database_args, args);
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

/// Roles, the RACI, the rules of engagement with their approvals, the exit strategy and a
/// breach report, each through its command, with its output and exit code.
fn run_engagement_journey(database_args: &[&str]) {
    let dir = TempDir::create();
    let with_db = |args: &[&str]| comark_on(database_args, args);
    with_db(&["demo"]).assert_success();
    let created = with_db(&[
        "partnership",
        "create",
        "--org",
        "northwind",
        "--name",
        "Partner summit",
        "--partner",
        "brightlane",
        "--partner",
        "bazaar",
    ]);
    created.assert_success();
    let id = created.stdout.trim().to_owned();
    let engagement_json = |org: &str| {
        let shown = with_db(&[
            "partnership",
            "engagement",
            "--org",
            org,
            &id,
            "--format",
            "json",
        ]);
        shown.assert_success();
        serde_json::from_str::<serde_json::Value>(&shown.stdout).expect("json")
    };

    // Nothing is named or written yet: every area is a gap.
    let fresh = with_db(&["partnership", "engagement", "--org", "brightlane", &id]);
    fresh.assert_success();
    for line in [
        "Executive sponsor:",
        "    northwind: not named",
        "gap: Lead follow-up: nobody is accountable",
        "Rules of engagement: none written yet.",
        "time zone of bazaar: not given",
    ] {
        assert!(fresh.stdout.contains(line), "{line:?} in {fresh:#?}");
    }

    // Roles: a standard one with an address, one of our own, a refusal, a clearing.
    let named = with_db(&[
        "partnership",
        "role",
        "--org",
        "northwind",
        &id,
        "executive_sponsor",
        "--person",
        "Nora North",
        "--email",
        "nora@northwind.example",
    ]);
    named.assert_success();
    assert!(
        named
            .stderr
            .contains("Nora North is our executive sponsor."),
        "{named:#?}"
    );
    with_db(&[
        "partnership",
        "role",
        "--org",
        "brightlane",
        &id,
        "Events lead",
        "--person",
        "Bea Bright",
    ])
    .assert_success();
    let bad_mail = with_db(&[
        "partnership",
        "role",
        "--org",
        "northwind",
        &id,
        "sales_lead",
        "--person",
        "Sam",
        "--email",
        "not-an-address",
    ]);
    bad_mail.assert_failure();
    assert!(bad_mail.stderr.contains("email: "), "{bad_mail:#?}");
    with_db(&[
        "partnership",
        "role",
        "--org",
        "northwind",
        &id,
        "marketing_lead",
        "--person",
        "Max",
    ])
    .assert_success();
    let cleared = with_db(&[
        "partnership",
        "role",
        "--org",
        "northwind",
        &id,
        "marketing_lead",
        "--person",
        "",
    ]);
    cleared.assert_success();
    assert!(
        cleared.stderr.contains("Cleared: Marketing lead."),
        "{cleared:#?}"
    );
    let shown = with_db(&["partnership", "engagement", "--org", "bazaar", &id]);
    assert!(
        shown
            .stdout
            .contains("    northwind: Nora North <nora@northwind.example>"),
        "{shown:#?}"
    );
    assert!(
        shown.stdout.contains("  Events lead:\n")
            && shown.stdout.contains("    brightlane: Bea Bright"),
        "{shown:#?}"
    );
    assert!(
        !shown.stdout.contains("Max"),
        "the cleared role is gone: {shown:#?}"
    );

    // The RACI: northwind owns the lead follow-up, and its gaps go; bad letters are refused.
    let raci = with_db(&[
        "partnership",
        "raci",
        "--org",
        "northwind",
        &id,
        "Lead follow-up",
        "ra",
    ]);
    raci.assert_success();
    assert!(
        raci.stderr.contains("Lead follow-up: we are RA."),
        "{raci:#?}"
    );
    assert!(
        raci.stdout
            .contains("gap: Reporting: nobody is accountable"),
        "{raci:#?}"
    );
    assert!(
        !raci.stdout.contains("gap: Lead follow-up"),
        "the lead follow-up has its owner: {raci:#?}"
    );
    let wrong = with_db(&[
        "partnership",
        "raci",
        "--org",
        "northwind",
        &id,
        "Reporting",
        "RX",
    ]);
    wrong.assert_failure();
    assert!(
        wrong
            .stderr
            .contains("letters: use the letters R, A, C and I"),
        "{wrong:#?}"
    );
    let doubled = with_db(&[
        "partnership",
        "raci",
        "--org",
        "brightlane",
        &id,
        "Lead follow-up",
        "A",
    ]);
    doubled.assert_success();
    assert!(
        doubled.stdout.contains(
            "gap: Lead follow-up: Northwind Software and Brightlane Agency are all accountable; \
             one side should own it"
        ),
        "{doubled:#?}"
    );
    with_db(&[
        "partnership",
        "raci",
        "--org",
        "brightlane",
        &id,
        "Lead follow-up",
        "",
    ])
    .assert_success();
    let table = with_db(&["partnership", "engagement", "--org", "northwind", &id]);
    let row = table
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("Lead follow-up"))
        .expect("the lead follow-up's row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells, ["Lead", "follow-up", "RA", "-", "-"], "{table:#?}");

    // The rules: written by northwind (its approval counts), refused input, approved by the
    // others one by one (exit 3 while one is missing).
    let bad_section = with_db(&[
        "partnership",
        "rules",
        "--org",
        "northwind",
        &id,
        "--section",
        "telepathy=yes",
        "--time-zone",
        "Berlin",
    ]);
    bad_section.assert_failure();
    assert!(
        bad_section
            .stderr
            .contains("rules.telepathy: is not a section of the rules"),
        "{bad_section:#?}"
    );
    assert!(
        bad_section
            .stderr
            .contains("time_zone: use a time zone name"),
        "{bad_section:#?}"
    );
    let no_text = with_db(&[
        "partnership",
        "rules",
        "--org",
        "northwind",
        &id,
        "--section",
        "channels",
    ]);
    no_text.assert_failure();
    assert!(
        no_text.stderr.contains("--section takes KEY=TEXT"),
        "{no_text:#?}"
    );
    let written = with_db(&[
        "partnership",
        "rules",
        "--org",
        "northwind",
        &id,
        "--section",
        "shared_accounts=Northwind leads on shared customers",
        "--section",
        "channels=A shared Slack channel",
        "--time-zone",
        "Europe/Berlin",
    ]);
    written.assert_success();
    assert_eq!(written.stdout.trim(), "1", "{written:#?}");
    let waiting = with_db(&[
        "partnership",
        "approve-rules",
        "--org",
        "brightlane",
        &id,
        "--version",
        "1",
    ]);
    assert_eq!(waiting.status.code(), Some(3), "{waiting:#?}");
    assert!(
        waiting
            .stderr
            .contains("the other members must approve it too"),
        "{waiting:#?}"
    );
    let shown = with_db(&["partnership", "engagement", "--org", "bazaar", &id]);
    assert!(
        shown
            .stdout
            .contains("Rules of engagement, version 1: waiting for bazaar."),
        "{shown:#?}"
    );
    assert!(
        shown
            .stdout
            .contains("  Shared accounts (shared_accounts): Northwind leads on shared customers"),
        "{shown:#?}"
    );
    let agreed = with_db(&[
        "partnership",
        "approve-rules",
        "--org",
        "bazaar",
        &id,
        "--version",
        "1",
    ]);
    assert_eq!(agreed.status.code(), Some(0), "{agreed:#?}");
    assert!(
        agreed
            .stderr
            .contains("the rules are agreed by all members"),
        "{agreed:#?}"
    );

    // Brightlane adds a section from a TOML file: the others keep their text, and version 2
    // needs everyone's approval again; the stale version is refused.
    let toml_file = dir.join("rules.toml");
    std::fs::write(
        &toml_file,
        "time_zone = \"America/New_York\"\n\n[rules]\nrhythm = \"A monthly call\"\n",
    )
    .expect("write the rules file");
    let toml_path = toml_file.to_string_lossy().into_owned();
    let changed = with_db(&[
        "partnership",
        "rules",
        "--org",
        "brightlane",
        &id,
        "--file",
        &toml_path,
    ]);
    changed.assert_success();
    assert_eq!(changed.stdout.trim(), "2", "{changed:#?}");
    let again = with_db(&[
        "partnership",
        "rules",
        "--org",
        "brightlane",
        &id,
        "--file",
        &toml_path,
    ]);
    again.assert_success();
    assert!(
        again
            .stderr
            .contains("Nothing changed; the rules stay at version 2."),
        "{again:#?}"
    );
    let stale = with_db(&[
        "partnership",
        "approve-rules",
        "--org",
        "northwind",
        &id,
        "--version",
        "1",
    ]);
    assert_eq!(stale.status.code(), Some(1), "{stale:#?}");
    assert!(
        stale
            .stderr
            .contains("the rules changed: version 2 is current, not 1"),
        "{stale:#?}"
    );
    let json = engagement_json("northwind");
    assert_eq!(json["version"], 2, "{json}");
    assert_eq!(json["agreed"], false, "{json}");
    assert_eq!(json["rules"]["rhythm"], "A monthly call", "{json}");
    assert_eq!(
        json["rules"]["channels"], "A shared Slack channel",
        "the other sections stay: {json}"
    );
    assert_eq!(json["time_zones"]["brightlane"], "America/New_York");
    assert_eq!(json["time_zones"]["northwind"], "Europe/Berlin");
    assert_eq!(json["members"].as_array().map(Vec::len), Some(3), "{json}");

    // A JSON file with --replace starts from nothing.
    let json_file = dir.join("rules.json");
    std::fs::write(
        &json_file,
        r#"{ "rules": { "approvals": "Both marketing leads, within two days" } }"#,
    )
    .expect("write the rules file");
    let replaced = with_db(&[
        "partnership",
        "rules",
        "--org",
        "northwind",
        &id,
        "--file",
        &json_file.to_string_lossy(),
        "--replace",
    ]);
    replaced.assert_success();
    assert_eq!(replaced.stdout.trim(), "3", "{replaced:#?}");
    for org in ["brightlane", "bazaar"] {
        with_db(&[
            "partnership",
            "approve-rules",
            "--org",
            org,
            &id,
            "--version",
            "3",
        ]);
    }
    let json = engagement_json("bazaar");
    assert_eq!(json["agreed"], true, "{json}");
    let sections: Vec<&String> = json["rules"]
        .as_object()
        .map(|rules| rules.keys().collect())
        .unwrap_or_default();
    assert_eq!(sections, ["approvals"], "{json}");

    // The exit strategy, with triggers as the command line writes them.
    let unknown = with_db(&[
        "partnership",
        "exit-strategy",
        "--org",
        "northwind",
        &id,
        "--notice-days",
        "30",
        "--trigger",
        "moon_phase",
    ]);
    unknown.assert_failure();
    assert!(
        unknown.stderr.contains("`moon_phase` is not a trigger"),
        "{unknown:#?}"
    );
    let refused = with_db(&[
        "partnership",
        "exit-strategy",
        "--org",
        "northwind",
        &id,
        "--notice-days",
        "400",
        "--trigger",
        "health_below:0",
    ]);
    refused.assert_failure();
    assert!(
        refused
            .stderr
            .contains("notice_days: must be between 0 and 365"),
        "{refused:#?}"
    );
    assert!(
        refused
            .stderr
            .contains("triggers: at most 20, with percentages and scores from 1 to 100"),
        "{refused:#?}"
    );
    let agreed = with_db(&[
        "partnership",
        "exit-strategy",
        "--org",
        "northwind",
        &id,
        "--notice-days",
        "30",
        "--data-handling",
        "keep_sharing",
        "--leads",
        "Each side keeps the leads it sourced",
        "--trigger",
        "breach",
        "--trigger",
        "contribution_below:50",
    ]);
    agreed.assert_success();
    assert!(
        agreed
            .stdout
            .contains("trigger: a breach of the rules of engagement is reported"),
        "{agreed:#?}"
    );
    assert!(
        agreed
            .stdout
            .contains("trigger: a member delivers less than 50% of its commitment"),
        "{agreed:#?}"
    );
    assert!(
        !agreed.stdout.contains("exit trigger fired"),
        "nothing fired yet: {agreed:#?}"
    );

    // A breach report fires the breach trigger.
    let empty = with_db(&[
        "partnership",
        "breach",
        "--org",
        "brightlane",
        &id,
        "--description",
        " ",
    ]);
    empty.assert_failure();
    assert!(
        empty
            .stderr
            .contains("description: must be between 1 and 1000 characters"),
        "{empty:#?}"
    );
    let breach = with_db(&[
        "partnership",
        "breach",
        "--org",
        "brightlane",
        &id,
        "--description",
        "Emailed our customers without asking",
    ]);
    breach.assert_success();
    assert!(
        breach.stdout.contains(
            "exit trigger fired: a breach was reported: Emailed our customers without asking"
        ),
        "{breach:#?}"
    );
    let performance = with_db(&["partnership", "performance", "--org", "bazaar", &id]);
    assert!(
        performance
            .stdout
            .contains("exit trigger fired: a breach was reported"),
        "{performance:#?}"
    );

    // Exit with the agreed 30 days' notice; withdrawn, given again, then taking effect when
    // the watcher runs after the notice.
    let exit = |args: &[&str]| {
        let mut all = vec!["partnership", "exit", "--org", "bazaar", &id];
        all.extend_from_slice(args);
        with_db(&all)
    };
    let noticed = exit(&["--review", "The breach ended it."]);
    noticed.assert_success();
    assert!(
        noticed
            .stderr
            .contains("Notice of exit given; the exit takes effect on"),
        "{noticed:#?}"
    );
    let withdrawn = exit(&["--withdraw"]);
    withdrawn.assert_success();
    assert!(withdrawn.stderr.contains("withdrawn"), "{withdrawn:#?}");
    exit(&["--withdraw"]).assert_failure();
    exit(&["--review", "The breach ended it."]).assert_success();
    let today = with_db(&["partnership", "watch"]);
    assert!(today.stdout.contains("0 exits took effect"), "{today:#?}");
    let later = (chrono::Utc::now() + chrono::Duration::days(31))
        .format("%Y-%m-%d")
        .to_string();
    let due = with_db(&["partnership", "watch", "--at", &later]);
    assert!(due.stdout.contains("1 exits took effect"), "{due:#?}");
    let shown = with_db(&[
        "partnership",
        "show",
        "--org",
        "brightlane",
        &id,
        "--format",
        "json",
    ]);
    let detail: serde_json::Value = serde_json::from_str(&shown.stdout).expect("json");
    assert_eq!(detail["partnership"]["stage"], "exit", "{shown:#?}");
}

#[test]
fn roles_raci_rules_and_the_exit_strategy_from_the_command_line_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    run_engagement_journey(&["--data-dir", &data_dir]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_raci_rules_and_the_exit_strategy_from_the_command_line_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    tokio::task::spawn_blocking(move || run_engagement_journey(&["--database-url", &url]))
        .await
        .expect("journey");
}
