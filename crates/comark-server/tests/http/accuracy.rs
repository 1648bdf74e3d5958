//! The yardstick of account mapping through the API: two messy CRM exports uploaded and
//! started with the suggested mapping, matched by the background recompute, and the stored
//! matches scored against the generator's ground truth.

use super::accounts::import_file;
use super::*;
use comark_testkit::samples::{score_stored, SampleExports, SampleSpec};

both_backends! {
    async fn messy_crm_exports_land_whole_and_match_through_the_api(app) {
        let sample = SampleExports::generate(&SampleSpec::new(12, 6000, 5000));
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let connection = app.connect(&acme, "acme", &globex, "globex").await;
        let salesforce = import_file(&app, &acme, "acme", "accounts.csv", &sample.salesforce).await;
        let hubspot = import_file(&app, &globex, "globex", "companies.csv", &sample.hubspot).await;
        for (done, rows) in [(&salesforce, sample.truth.salesforce.len()), (&hubspot, sample.truth.hubspot.len())] {
            assert_eq!(done["rows_read"], rows, "{done:#}");
            assert_eq!(done["rows_rejected"], 0, "every row lands: {done:#}");
            let readings = &done["population_readings"];
            assert!(readings["values"].as_array().is_some_and(|v| !v.is_empty()), "{done:#}");
        }
        app.run_jobs().await;
        let seen = app.api_as(&acme).get("/api/v1/orgs/acme/mappings/globex").await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert_eq!(seen.json["fresh"], true, "{}", seen.text);

        let acme_org = app.store.org_by_handle("acme").await.expect("read").expect("acme").id;
        let connection = comark_domain::ConnectionId(connection.parse().expect("a connection id"));
        let score = score_stored(&app.store, connection, acme_org, &sample.truth)
            .await
            .expect("read")
            .expect("accepted");
        eprintln!("every match: {}", score.all.companies);
        eprintln!("high and medium: {}", score.sure.companies);
        assert_eq!(score.all.unknown_ids, 0);
        assert!(score.all.companies.recall() >= 0.99, "{}", score.all.companies);
        assert!(score.sure.companies.recall() >= 0.98, "{}", score.sure.companies);
        assert!(score.sure.companies.precision() >= 0.98, "{}", score.sure.companies);
    }
}
