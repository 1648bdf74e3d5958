//! The yardstick of account mapping, as a newcomer meets it: a messy Salesforce report and a
//! messy HubSpot export of partly the same companies, imported with `comark accounts import`
//! and the suggested mapping, matched with `comark mapping recompute`, and the stored
//! matches scored against the generator's ground truth, on both databases.

use super::*;
use comark_testkit::samples::{score_stored, SampleExports, SampleSpec};

async fn org_id(store: &Store, handle: &str) -> comark_domain::OrgId {
    store
        .org_by_handle(handle)
        .await
        .expect("read")
        .expect("the demo organization")
        .id
}

fn imported_rows(with_db: &dyn Fn(&[&str]) -> Outcome, org: &str) -> serde_json::Value {
    let listed = with_db(&["accounts", "imports", "--org", org, "--format", "json"]);
    listed.assert_success();
    let imports: serde_json::Value = serde_json::from_str(&listed.stdout).expect("JSON");
    imports[0].clone()
}

async fn messy_exports_land_whole_and_match(database: &[&str], url: &str) {
    let with_db = |args: &[&str]| comark_on(database, args);
    with_db(&["demo"]).assert_success();
    let sample = SampleExports::generate(&SampleSpec::new(7, 20_000, 15_000));
    let dir = TempDir::create();
    let salesforce = dir.join("Salesforce accounts report.csv");
    std::fs::write(&salesforce, &sample.salesforce).expect("write");
    let hubspot = dir.join("hubspot-crm-exports-all-companies.csv");
    std::fs::write(&hubspot, &sample.hubspot).expect("write");

    // As a newcomer runs it: the suggested mapping, nothing said about the values.
    for (org, file) in [("northwind", &salesforce), ("brightlane", &hubspot)] {
        let path = file.to_string_lossy().into_owned();
        let imported = with_db(&["accounts", "import", "--org", org, "--replace", &path]);
        assert_eq!(
            imported.status.code(),
            Some(0),
            "every row lands: {imported:#?}"
        );
        assert!(
            imported.stderr.contains("How the column"),
            "the result says how the population column was read: {imported:#?}"
        );
    }
    let northwind = imported_rows(&with_db, "northwind");
    let brightlane = imported_rows(&with_db, "brightlane");
    assert_eq!(
        northwind["rows_read"],
        sample.truth.salesforce.len(),
        "{northwind:#}"
    );
    assert_eq!(northwind["rows_rejected"], 0, "{northwind:#}");
    assert_eq!(
        brightlane["rows_read"],
        sample.truth.hubspot.len(),
        "{brightlane:#}"
    );
    assert_eq!(brightlane["rows_rejected"], 0, "{brightlane:#}");

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
    ]);
    shown.assert_success();
    assert!(!shown.stderr.contains("Not fresh"), "{shown:#?}");

    let store = Store::connect(url).await.expect("connect");
    let salesforce_org = org_id(&store, "northwind").await;
    let brightlane_org = org_id(&store, "brightlane").await;
    let scope = store
        .job_scope(salesforce_org)
        .await
        .expect("read")
        .expect("scope");
    let connection = store
        .org(&scope)
        .accepted_connection_with(brightlane_org)
        .await
        .expect("read")
        .expect("the demo's connection");
    let score = score_stored(&store, connection.id, salesforce_org, &sample.truth)
        .await
        .expect("read")
        .expect("accepted");
    eprintln!("every match: {}", score.all.companies);
    eprintln!("high and medium: {}", score.sure.companies);
    assert_eq!(
        score.all.unknown_ids, 0,
        "every match names a row of the files"
    );
    assert!(
        score.all.companies.recall() >= 0.99,
        "{}",
        score.all.companies
    );
    assert!(
        score.sure.companies.recall() >= 0.98,
        "{}",
        score.sure.companies
    );
    assert!(
        score.sure.companies.precision() >= 0.98,
        "{}",
        score.sure.companies
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messy_crm_exports_land_whole_and_match_on_sqlite() {
    let dir = TempDir::create();
    let data_dir = dir.join("data").to_string_lossy().into_owned();
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let url = Store::sqlite_url_in(Path::new(&data_dir));
    messy_exports_land_whole_and_match(&["--data-dir", &data_dir], &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messy_crm_exports_land_whole_and_match_on_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url().to_owned();
    messy_exports_land_whole_and_match(&["--database-url", &url], &url).await;
}
