//! `comark accounts ...` and `comark mapping ...`: imports with exit codes, sharing, the
//! matrix as JSON, corrections and exports, on both databases.

use super::*;

const NORTHWIND: &str = "Account ID,Account Name,Website,Type,Account Owner\n\
N1,Initrode GmbH,https://www.initrode.de,Customer - Direct,Ann\n\
N2,Umbrella Inc.,umbrella.com,Prospect,Bob\n\
N3,,nameless.example,Prospect,Cid\n\
N4,Hooli,hooli.xyz,Customer - Channel,Dee\n";

const BRIGHTLANE: &str =
    "Record ID,Company name,Company Domain Name,Lifecycle Stage,Company owner\n\
B1,INITRODE,initrode.de,customer,Zed\n\
B2,Hooli,HOOLI.XYZ,opportunity,Yan\n\
B3,Massive Dynamic,massivedynamic.com,customer,Xi\n";

fn exit_code(outcome: &Outcome) -> Option<i32> {
    outcome.status.code()
}

fn run_mapping_journey(database_args: &[&str]) {
    let dir = TempDir::create();
    let with_db = |args: &[&str]| comark_on(database_args, args);
    with_db(&["demo"]).assert_success();
    let northwind = dir.join("northwind.csv");
    std::fs::write(&northwind, NORTHWIND).expect("write");
    let brightlane = dir.join("brightlane.csv");
    std::fs::write(&brightlane, BRIGHTLANE).expect("write");
    let northwind_path = northwind.to_string_lossy().into_owned();
    let brightlane_path = brightlane.to_string_lossy().into_owned();

    // One row has no name: it is listed with its row, the rest lands, and the exit code says
    // so. Replacing sets the demo's accounts aside.
    let imported = with_db(&[
        "accounts",
        "import",
        "--org",
        "northwind",
        "--replace",
        &northwind_path,
    ]);
    assert_eq!(exit_code(&imported), Some(3), "{imported:#?}");
    assert!(
        imported.stderr.contains("row 4, column Account Name"),
        "{imported:#?}"
    );
    assert!(
        imported.stderr.contains("Imported 3 accounts"),
        "{imported:#?}"
    );

    // Strict mode: nothing lands, exit code 4.
    let strict = with_db(&[
        "accounts",
        "import",
        "--org",
        "northwind",
        "--strict",
        "--replace",
        &northwind_path,
    ]);
    assert_eq!(exit_code(&strict), Some(4), "{strict:#?}");
    let listed = with_db(&["accounts", "list", "--org", "northwind", "--format", "csv"]);
    listed.assert_success();
    assert_eq!(listed.stdout.lines().count(), 4, "{listed:#?}");

    let imported = with_db(&[
        "accounts",
        "import",
        "--org",
        "brightlane",
        "--json",
        &brightlane_path,
    ]);
    imported.assert_success();
    let result: serde_json::Value = serde_json::from_str(&imported.stdout).expect("json");
    assert_eq!(result["rows_imported"], 3);

    with_db(&[
        "mapping",
        "share",
        "--org",
        "brightlane",
        "--partner",
        "northwind",
        "--population",
        "customer",
        "--level",
        "overlaps_with_fields",
        "--fields",
        "owner",
    ])
    .assert_success();
    for population in ["opportunity", "prospect"] {
        let args = [
            "mapping",
            "share",
            "--org",
            "brightlane",
            "--partner",
            "northwind",
            "--population",
            population,
            "--level",
            "hidden",
        ];
        with_db(&args).assert_success();
    }
    with_db(&[
        "mapping",
        "recompute",
        "--org",
        "northwind",
        "--partner",
        "brightlane",
    ])
    .assert_success();
    let shown = with_db(&[
        "mapping",
        "show",
        "--org",
        "northwind",
        "--partner",
        "brightlane",
        "--format",
        "json",
    ]);
    shown.assert_success();
    // Recomputed just now, with no server to run the queued recomputes: fresh all the same.
    assert!(!shown.stderr.contains("Not fresh"), "{shown:#?}");
    let mapping: serde_json::Value = serde_json::from_str(&shown.stdout).expect("json");
    assert_eq!(mapping["freshness"]["fresh"], true, "{mapping}");
    assert_eq!(
        mapping["view"]["columns"][0]["slug"], "customer",
        "{mapping}"
    );
    // Opportunity and prospect hidden by hand; unclassified is hidden until shared.
    assert_eq!(mapping["view"]["hidden_columns"], 3);
    // Northwind's customers Initrode and Hooli; only Initrode is a Brightlane customer.
    assert_eq!(mapping["view"]["cells"][0][0], 1, "{mapping}");
    let accounts = mapping["view"]["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["theirs"]["name"], "INITRODE");
    assert_eq!(accounts[0]["theirs"]["fields"]["owner"], "Zed");

    let csv = dir.join("mapping.csv");
    let xlsx = dir.join("mapping.xlsx");
    for output in [&csv, &xlsx] {
        let path = output.to_string_lossy().into_owned();
        with_db(&[
            "mapping",
            "export",
            "--org",
            "northwind",
            "--partner",
            "brightlane",
            "--output",
            &path,
        ])
        .assert_success();
    }
    let exported = std::fs::read_to_string(&csv).expect("csv");
    assert!(
        exported.contains("INITRODE") && exported.contains("Zed"),
        "{exported}"
    );
    assert!(!exported.contains("Massive"), "{exported}");
    assert!(std::fs::read(&xlsx).expect("xlsx").starts_with(b"PK"));

    // A wrong match goes away for both sides.
    with_db(&[
        "mapping",
        "wrong",
        "--org",
        "brightlane",
        "--partner",
        "northwind",
        "--key",
        "initrode.de",
        "--note",
        "not them",
    ])
    .assert_success();
    let shown = with_db(&[
        "mapping",
        "show",
        "--org",
        "northwind",
        "--partner",
        "brightlane",
        "--format",
        "json",
    ]);
    let mapping: serde_json::Value = serde_json::from_str(&shown.stdout).expect("json");
    assert_eq!(mapping["view"]["cells"][0][0], 0, "{mapping}");
    assert_eq!(mapping["corrections"][0]["key"], "initrode.de");

    // Not a partner: a clear message and a failing exit code.
    let stranger = with_db(&[
        "mapping",
        "show",
        "--org",
        "northwind",
        "--partner",
        "meridian",
    ]);
    stranger.assert_failure();
    assert!(
        stranger.stderr.contains("not a connected partner"),
        "{stranger:#?}"
    );
}

#[test]
fn accounts_and_mapping_commands_work_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    run_mapping_journey(&["--data-dir", &data_dir]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_mapping_commands_work_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    tokio::task::spawn_blocking(move || run_mapping_journey(&["--database-url", &url]))
        .await
        .expect("journey");
}

/// `comark accounts list | head -1` and friends: the reader goes away after one line, and
/// the command ends quietly; an expected error is one line, never a backtrace.
#[test]
fn a_closed_pipe_ends_a_command_quietly_and_an_error_is_one_line() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    comark_with(&["demo", "--data-dir", &data_dir]).assert_success();
    let mut csv = String::from("Account ID,Account Name,Website,Type\n");
    for n in 0..20_000 {
        csv.push_str(&format!(
            "P{n},Pipe Company {n},pipe-{n}.example,Customer\n"
        ));
    }
    let file = dir.join("many.csv");
    std::fs::write(&file, csv).expect("write");
    comark_with(&[
        "accounts",
        "import",
        "--org",
        "northwind",
        "--data-dir",
        &data_dir,
        &file.to_string_lossy(),
    ])
    .assert_success();

    let mut command = comark();
    command
        .args([
            "accounts",
            "list",
            "--org",
            "northwind",
            "--format",
            "csv",
            "--data-dir",
            &data_dir,
        ])
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start comark");
    let mut stdout = child.stdout.take().expect("piped");
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).expect("the first bytes");
    drop(stdout);
    let status = wait_for_exit(&mut child, COMMAND_TIMEOUT).expect("comark ends");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(stderr, "", "a closed pipe is not an error");

    let mut command = comark();
    command
        .args([
            "mapping",
            "show",
            "--org",
            "northwind",
            "--partner",
            "nobody-here",
            "--data-dir",
            &data_dir,
        ])
        .env("RUST_BACKTRACE", "1");
    let failed = run(command);
    failed.assert_failure();
    assert!(failed.stderr.starts_with("error: "), "{failed:#?}");
    assert_eq!(failed.stderr.trim_end().lines().count(), 1, "{failed:#?}");
    assert!(!failed.stderr.contains("backtrace"), "{failed:#?}");
}
