//! Account mapping through the API: imports, the overlap matrix, sharing levels,
//! corrections, exports and the end of a connection.

use super::*;

/// A HubSpot company export: one row has no name, one repeats a CRM id.
pub const ACME_HUBSPOT: &str = "\u{feff}\"Record ID\",\"Company name\",\"Company Domain Name\",\"Lifecycle Stage\",\"Company owner\"\r\n\
101,Initrode GmbH,https://www.initrode.de/about,customer,Ann\r\n\
102,\"Umbrella, Inc.\",umbrella.com,opportunity,Bob\r\n\
103,,nameless.example,lead,Cid\r\n\
104,Hooli,hooli.xyz,salesqualifiedlead,Dee\r\n\
101,Initrode GmbH,initrode.de,customer,Ann\r\n";

/// A Salesforce account report of the partner.
pub const GLOBEX_SALESFORCE: &str = "Account ID,Account Name,Website,Type,Account Owner,Industry\n\
0011,INITRODE,initrode.de,Customer - Direct,Zed,Manufacturing\n\
0012,Umbrella Corporation,WWW.UMBRELLA.COM,Prospect,Yan,Pharma\n\
0013,Hooli,hooli.xyz,Customer - Channel,Xi,Tech\n\
0014,Massive Dynamic,massivedynamic.com,Customer - Direct,Wu,Tech\n";

/// Uploads `csv` for `org` and starts the import with the suggested mapping.
pub async fn import_csv(app: &TestApp, token: &str, org: &str, csv: &str) -> serde_json::Value {
    import_file(app, token, org, "crm.csv", csv.as_bytes()).await
}

/// Uploads `file` as `name` and starts it with the suggested mapping; returns the finished
/// import.
pub async fn import_file(
    app: &TestApp,
    token: &str,
    org: &str,
    name: &str,
    file: &[u8],
) -> serde_json::Value {
    let api = app.api_as(token);
    let uploaded = api
        .upload(
            &format!("/api/v1/orgs/{org}/imports?file_name={name}"),
            file.to_vec(),
            &[],
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text);
    let id = uploaded.json["import"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let started = api
        .post(&format!("/api/v1/orgs/{org}/imports/{id}/start"), json!({}))
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
    app.run_jobs().await;
    let done = api.get(&format!("/api/v1/orgs/{org}/imports/{id}")).await;
    assert_eq!(done.json["status"], "done", "{}", done.text);
    done.json
}

fn cell(mapping: &comark_testkit::Reply, row: &str, column: &str) -> Option<u64> {
    let view = &mapping.json["view"];
    let r = view["rows"]
        .as_array()?
        .iter()
        .position(|p| p["slug"] == row)?;
    let c = view["columns"]
        .as_array()?
        .iter()
        .position(|p| p["slug"] == column)?;
    view["cells"][r][c].as_u64()
}

fn their_names(mapping: &comark_testkit::Reply) -> Vec<String> {
    let mut names: Vec<String> = mapping.json["view"]["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["theirs"]["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

both_backends! {
    async fn a_crm_export_is_previewed_imported_and_reimported_without_duplicates(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let uploaded = api
            .upload("/api/v1/orgs/acme/imports", ACME_HUBSPOT.as_bytes().to_vec(), &[("Idempotency-Key", "first")])
            .await;
        assert_eq!(uploaded.status, 201, "{}", uploaded.text);
        assert_eq!(uploaded.json["format"], "hubspot");
        assert_eq!(uploaded.json["suggested"]["columns"]["name"], "Company name");
        assert_eq!(uploaded.json["sample"].as_array().expect("sample").len(), 5);
        // The preview already names the bad row: row 4 as a spreadsheet shows it.
        assert_eq!(uploaded.json["sample_errors"][0]["row"], 4, "{}", uploaded.text);
        let id = uploaded.json["import"]["id"].as_str().expect("id").to_owned();

        // A retry with the same key is the same import, not a second one.
        let again = api
            .upload("/api/v1/orgs/acme/imports", ACME_HUBSPOT.as_bytes().to_vec(), &[("Idempotency-Key", "first")])
            .await;
        assert_eq!(again.json["import"]["id"], id.as_str());
        assert_eq!(again.json["import"]["bytes_total"], ACME_HUBSPOT.len());

        let started = api.post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({ "save_mapping_as": "HubSpot" })).await;
        assert_eq!(started.status, 202, "{}", started.text);
        app.run_jobs().await;
        let done = api.get(&format!("/api/v1/orgs/acme/imports/{id}")).await;
        assert_eq!(done.json["status"], "done", "{}", done.text);
        assert_eq!(done.json["rows_read"], 5);
        assert_eq!(done.json["rows_rejected"], 1);
        assert_eq!(done.json["rows_merged"], 1);
        assert_eq!(done.json["rows_imported"], 3);
        assert_eq!(done.json["errors"][0]["row"], 4);
        assert_eq!(done.json["errors"][0]["column"], "Company name");

        let listed = api.get("/api/v1/orgs/acme/accounts").await;
        let names: Vec<&str> = listed.json["items"].as_array().expect("items").iter().map(|a| a["name"].as_str().expect("name")).collect();
        assert_eq!(names, ["Hooli", "Initrode GmbH", "Umbrella, Inc."]);
        assert_eq!(listed.json["items"][1]["domain"], "initrode.de");
        assert_eq!(listed.json["items"][1]["population"], "customer");
        assert_eq!(listed.json["items"][0]["population"], "prospect");

        // Importing the same file again with the saved mapping changes nothing.
        let second = api.upload("/api/v1/orgs/acme/imports", ACME_HUBSPOT.as_bytes().to_vec(), &[]).await;
        let second_id = second.json["import"]["id"].as_str().expect("id").to_owned();
        assert_ne!(second_id, id);
        let started = api.post(&format!("/api/v1/orgs/acme/imports/{second_id}/start"), json!({ "saved_mapping": "HubSpot" })).await;
        assert_eq!(started.status, 202, "{}", started.text);
        app.run_jobs().await;
        let relisted = api.get("/api/v1/orgs/acme/accounts").await;
        assert_eq!(relisted.json["items"], listed.json["items"]);

        // Strict mode: one bad row and nothing lands.
        let strict = api.upload("/api/v1/orgs/acme/imports", b"Company name,Website\nNew Co,new.example\n,bad.example\n".to_vec(), &[]).await;
        let strict_id = strict.json["import"]["id"].as_str().expect("id").to_owned();
        api.post(&format!("/api/v1/orgs/acme/imports/{strict_id}/start"), json!({ "strict": true, "mode": "replace" })).await;
        app.run_jobs().await;
        let failed = api.get(&format!("/api/v1/orgs/acme/imports/{strict_id}")).await;
        assert_eq!(failed.json["status"], "failed", "{}", failed.text);
        assert_eq!(failed.json["errors"][0]["row"], 3);
        let unchanged = api.get("/api/v1/orgs/acme/accounts").await;
        assert_eq!(unchanged.json["items"], listed.json["items"]);

        // Replace mode removes what the file leaves out.
        let replace = api.upload("/api/v1/orgs/acme/imports", b"Company name,Website\nNew Co,new.example\n".to_vec(), &[]).await;
        let replace_id = replace.json["import"]["id"].as_str().expect("id").to_owned();
        api.post(&format!("/api/v1/orgs/acme/imports/{replace_id}/start"), json!({ "mode": "replace" })).await;
        app.run_jobs().await;
        let replaced = api.get("/api/v1/orgs/acme/accounts").await;
        assert_eq!(replaced.json["items"].as_array().expect("items").len(), 1);
        assert_eq!(replaced.json["items"][0]["name"], "New Co");
    }

    async fn bad_uploads_get_clear_errors(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let empty = api.upload("/api/v1/orgs/acme/imports", Vec::new(), &[]).await;
        assert_eq!(empty.status, 422, "{}", empty.text);
        assert_eq!(empty.json["errors"][0]["field"], "file");
        let uploaded = api.upload("/api/v1/orgs/acme/imports", b"Website,Owner\nx.com,Ann\n".to_vec(), &[]).await;
        assert_eq!(uploaded.status, 201, "{}", uploaded.text);
        let id = uploaded.json["import"]["id"].as_str().expect("id").to_owned();
        let no_name = api.post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({})).await;
        assert_eq!(no_name.status, 422, "{}", no_name.text);
        assert_eq!(no_name.json["errors"][0]["field"], "mapping.name");
        let wrong_column = api
            .post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({ "mapping": { "columns": { "name": "Company" } } }))
            .await;
        assert_eq!(wrong_column.status, 422, "{}", wrong_column.text);
        assert!(wrong_column.text.contains("no column `Company`"), "{}", wrong_column.text);
        let bad_encoding = api.get(&format!("/api/v1/orgs/acme/imports/{id}/preview?encoding=klingon")).await;
        assert_eq!(bad_encoding.status, 422, "{}", bad_encoding.text);
    }

    async fn partners_see_the_same_counts_and_only_what_is_shared(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        import_csv(&app, &acme, "acme", ACME_HUBSPOT).await;
        import_csv(&app, &globex, "globex", GLOBEX_SALESFORCE).await;
        let a = app.api_as(&acme);
        let g = app.api_as(&globex);

        // Nothing shared yet: acme sees its own rows and no column of globex's.
        let seen = a.get("/api/v1/orgs/acme/mappings/globex").await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert_eq!(seen.json["fresh"], true, "{}", seen.text);
        assert_eq!(seen.json["view"]["columns"].as_array().expect("columns").len(), 0);
        // The four built-in populations (unclassified too).
        assert_eq!(seen.json["view"]["hidden_columns"], 4);
        assert!(seen.json["view"]["accounts"].as_array().expect("accounts").is_empty());

        // Counts only: the numbers, never the accounts.
        for population in ["customer", "opportunity", "prospect"] {
            let shared = g.put(&format!("/api/v1/orgs/globex/mappings/acme/sharing/{population}"), json!({ "level": "counts" })).await;
            assert_eq!(shared.status, 204, "{}", shared.text);
            let shared = a.put(&format!("/api/v1/orgs/acme/mappings/globex/sharing/{population}"), json!({ "level": "counts" })).await;
            assert_eq!(shared.status, 204, "{}", shared.text);
        }
        let seen_by_acme = a.get("/api/v1/orgs/acme/mappings/globex").await;
        let seen_by_globex = g.get("/api/v1/orgs/globex/mappings/acme").await;
        // Initrode: customer × customer; Umbrella: opportunity × prospect; Hooli: prospect × customer.
        assert_eq!(cell(&seen_by_acme, "customer", "customer"), Some(1));
        assert_eq!(cell(&seen_by_acme, "opportunity", "prospect"), Some(1));
        assert_eq!(cell(&seen_by_acme, "prospect", "customer"), Some(1));
        assert_eq!(cell(&seen_by_acme, "customer", "prospect"), Some(0));
        for ours in ["customer", "opportunity", "prospect"] {
            for theirs in ["customer", "opportunity", "prospect"] {
                assert_eq!(cell(&seen_by_acme, ours, theirs), cell(&seen_by_globex, theirs, ours), "{ours} × {theirs}");
            }
        }
        assert!(seen_by_acme.json_accounts().is_empty());

        // Overlapping customers with the owner field: those accounts, that field, nothing else.
        let shared = g
            .put("/api/v1/orgs/globex/mappings/acme/sharing/customer", json!({ "level": "overlaps_with_fields", "fields": ["owner"] }))
            .await;
        assert_eq!(shared.status, 204, "{}", shared.text);
        let seen = a.get("/api/v1/orgs/acme/mappings/globex").await;
        assert_eq!(their_names(&seen), ["Hooli", "INITRODE"]);
        for account in seen.json_accounts() {
            let fields = account["theirs"]["fields"].as_object().expect("fields");
            assert_eq!(fields.keys().collect::<Vec<_>>(), ["owner"], "{account}");
        }
        assert!(!seen.text.contains("Manufacturing"), "an unshared field leaked: {}", seen.text);
        assert!(!seen.text.contains("Massive"), "an account that does not overlap leaked");

        // The exports hold exactly what the page shows.
        let csv = a.get("/api/v1/orgs/acme/mappings/globex/export?format=csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.text.contains("INITRODE") && csv.text.contains("Hooli"), "{}", csv.text);
        assert!(!csv.text.contains("Umbrella Corporation"), "{}", csv.text);
        let xlsx = a.get("/api/v1/orgs/acme/mappings/globex/export?format=xlsx").await;
        assert_eq!(xlsx.status, 200);
        assert!(xlsx.text.starts_with("PK"), "an xlsx file is a zip archive");

        // A wrong match, marked by acme, disappears for both and both see the correction.
        let wrong = a
            .post("/api/v1/orgs/acme/mappings/globex/corrections", json!({ "kind": "wrong", "key": "hooli.xyz", "note": "different Hooli" }))
            .await;
        assert_eq!(wrong.status, 201, "{}", wrong.text);
        let stale = g.get("/api/v1/orgs/globex/mappings/acme").await;
        assert_eq!(stale.json["fresh"], false);
        app.run_jobs().await;
        let seen = a.get("/api/v1/orgs/acme/mappings/globex").await;
        assert_eq!(their_names(&seen), ["INITRODE"]);
        assert_eq!(cell(&seen, "prospect", "customer"), Some(0));
        let theirs = g.get("/api/v1/orgs/globex/mappings/acme").await;
        assert_eq!(cell(&theirs, "customer", "prospect"), Some(0));
        assert_eq!(theirs.json["corrections"][0]["key"], "hooli.xyz");
        assert_eq!(theirs.json["corrections"][0]["ours"], false);
        assert_eq!(seen.json["corrections"][0]["ours"], true);

        // A manual match the keys missed: acme's Umbrella is globex's Massive Dynamic (say).
        let accounts = a.get("/api/v1/orgs/acme/accounts?search=umbrella").await;
        let umbrella = accounts.json["items"][0]["id"].as_str().expect("id").to_owned();
        let manual = a
            .post("/api/v1/orgs/acme/mappings/globex/corrections", json!({ "kind": "manual", "account_id": umbrella, "partner_account": "massivedynamic.com" }))
            .await;
        assert_eq!(manual.status, 201, "{}", manual.text);
        app.run_jobs().await;
        let seen = a.get("/api/v1/orgs/acme/mappings/globex").await;
        assert_eq!(their_names(&seen), ["INITRODE", "Massive Dynamic"]);

        // Hiding takes effect at once.
        g.put("/api/v1/orgs/globex/mappings/acme/sharing/customer", json!({ "level": "hidden" })).await;
        let seen = a.get("/api/v1/orgs/acme/mappings/globex").await;
        assert!(seen.json_accounts().is_empty());
        assert_eq!(cell(&seen, "customer", "customer"), None);

        // Ending the connection ends all access.
        let connections = a.get("/api/v1/orgs/acme/connections").await;
        let id = connections.json["items"][0]["id"].as_str().expect("id").to_owned();
        let ended = a.post(&format!("/api/v1/orgs/acme/connections/{id}/end"), json!({})).await;
        assert_eq!(ended.status, 200, "{}", ended.text);
        assert_eq!(a.get("/api/v1/orgs/acme/mappings/globex").await.status, 404);
        assert_eq!(g.get("/api/v1/orgs/globex/mappings/acme/export").await.status, 404);
    }
}

trait MappingReply {
    fn json_accounts(&self) -> Vec<serde_json::Value>;
}

impl MappingReply for comark_testkit::Reply {
    fn json_accounts(&self) -> Vec<serde_json::Value> {
        self.json["view"]["accounts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

both_backends! {
    async fn fit_counts_mapped_accounts_once_the_partner_shares_counts(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        for (token, org) in [(&acme, "acme"), (&globex, "globex")] {
            let saved = app
                .api_as(token)
                .put(&format!("/api/v1/orgs/{org}/profile"), json!({ "offerings": ["analytics"], "industries": ["saas"] }))
                .await;
            assert_eq!(saved.status, 200, "{}", saved.text);
        }
        import_csv(&app, &acme, "acme", ACME_HUBSPOT).await;
        import_csv(&app, &globex, "globex", GLOBEX_SALESFORCE).await;
        let factors = |reply: &comark_testkit::Reply| -> Vec<String> {
            reply.json["fit"]["factors"].as_array().expect("factors").iter().map(|f| f["factor"].as_str().expect("factor").to_owned()).collect()
        };
        let before = app.api_as(&acme).get("/api/v1/orgs/acme/directory/globex").await;
        assert_eq!(before.status, 200, "{}", before.text);
        assert!(!factors(&before).contains(&"accounts".to_owned()), "nothing shared yet: {}", before.text);

        app.api_as(&globex).put("/api/v1/orgs/globex/mappings/acme/sharing/customer", json!({ "level": "counts" })).await;
        let after = app.api_as(&acme).get("/api/v1/orgs/acme/directory/globex").await;
        let accounts = after.json["fit"]["factors"].as_array().expect("factors").iter()
            .find(|f| f["factor"] == "accounts").cloned().expect("an accounts factor");
        // Globex's customers: Initrode, Hooli and Massive Dynamic; two of them are acme's.
        assert!(accounts["evidence"][0].as_str().expect("evidence").starts_with("2 shared accounts"), "{accounts}");
    }
}

/// Starts a dozen imports of a few megabytes each on `app`'s job workers (two, as
/// `comark serve` starts them) and checks, from a plain thread, that the server keeps
/// answering `/healthz` and finishes them all. An import must never block a runtime thread
/// on work that needs the runtime: on a small machine that froze the whole server.
async fn a_dozen_imports_at_once(app: TestApp) {
    let owner = app.owner_of("acme").await;
    let api = app.api_as(&owner);
    let mut ids = Vec::new();
    for n in 0..12 {
        // Several megabytes each, so the upload is read back from the database in pieces
        // while the import starts.
        let mut csv = String::from("Account ID,Account Name,Website,Type\n");
        for row in 0..25_000 {
            csv.push_str(&format!(
                "{n}-{row},Company {n} {row},company-{n}-{row}.example,Customer\n"
            ));
        }
        let uploaded = api
            .upload(
                &format!("/api/v1/orgs/acme/imports?file_name=crm-{n}.csv"),
                csv.into_bytes(),
                &[],
            )
            .await;
        assert_eq!(uploaded.status, 201, "{}", uploaded.text);
        ids.push(
            uploaded.json["import"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let _workers = app.start_workers(2);
    for id in &ids {
        let started = api
            .post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({}))
            .await;
        assert_eq!(started.status, 202, "{}", started.text);
    }
    // Watch from a plain thread: if the runtime froze, nothing driven by it would notice.
    let base = app.base_url.clone();
    let watched_ids = ids.clone();
    let watched = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        let timeout = std::time::Duration::from_secs(3);
        loop {
            let health = comark_testkit::blocking_get(&base, "/healthz", None, timeout);
            if health.as_ref().map(|(status, _)| *status) != Some(200) {
                return Err(format!(
                    "/healthz did not answer within {timeout:?}: {health:?}"
                ));
            }
            let mut statuses = Vec::new();
            for id in &watched_ids {
                let path = format!("/api/v1/orgs/acme/imports/{id}");
                let (_, body) =
                    comark_testkit::blocking_get(&base, &path, Some(&owner), timeout)
                        .ok_or_else(|| format!("{path} did not answer within {timeout:?}"))?;
                let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                statuses.push(json["status"].as_str().unwrap_or("?").to_owned());
            }
            if statuses.iter().all(|s| s == "done") {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("imports not done after 90 s: {statuses:?}"));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    })
    .join()
    .expect("the watcher thread");
    if let Err(problem) = watched {
        // A frozen runtime cannot shut down: end the process rather than hang the suite.
        eprintln!("the server froze: {problem}");
        std::process::exit(101);
    }
    let imported = api
        .get(&format!("/api/v1/orgs/acme/imports/{}", ids[11]))
        .await;
    assert_eq!(imported.json["rows_imported"], 25_000, "{}", imported.text);
}

both_backends! {
    async fn a_dozen_imports_at_once_never_stop_the_server_answering(app) {
        a_dozen_imports_at_once(app).await;
    }
}

/// The same on the one runtime thread of a one-core host (a small VPS), where one blocked
/// thread is the whole server.
mod a_dozen_imports_on_a_one_core_host_never_stop_the_server_answering {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn sqlite() {
        a_dozen_imports_at_once(TestApp::spawn(comark_testkit::Backend::Sqlite).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn postgres() {
        a_dozen_imports_at_once(TestApp::spawn(comark_testkit::Backend::Postgres).await).await;
    }
}

both_backends! {
    /// A job that used its last attempt leaves its import failed with the job's last error,
    /// never "queued" or "running" for ever; the failed import still lists its (no) errors.
    async fn an_import_whose_job_ran_out_of_attempts_is_failed_with_its_last_error(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let uploaded = api
            .upload("/api/v1/orgs/acme/imports?file_name=crm.csv", GLOBEX_SALESFORCE.as_bytes().to_vec(), &[])
            .await;
        let id = uploaded.json["import"]["id"].as_str().expect("id").to_owned();
        let started = api.post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({})).await;
        assert_eq!(started.status, 202, "{}", started.text);
        // Every attempt dies the way a broken database connection would.
        for _ in 0..3 {
            let job = app.store.claim_job("doomed", comark_app::jobs::LEASE).await.expect("claim").expect("a job");
            app.store
                .fail_job(&job, "doomed", "the database connection was reset", chrono::Duration::zero())
                .await
                .expect("fail");
        }
        let repaired = comark_app::accounts::reconcile_imports(&app.app, comark_store::now()).await.expect("reconcile");
        assert_eq!(repaired.len(), 1, "{repaired:?}");
        let failed = api.get(&format!("/api/v1/orgs/acme/imports/{id}")).await;
        assert_eq!(failed.json["status"], "failed", "{}", failed.text);
        let failure = failed.json["failure"].as_str().expect("a failure");
        assert!(failure.contains("failed 3 times") && failure.contains("connection was reset"), "{failure}");
        assert_eq!(failed.json["errors"], json!([]), "{}", failed.text);
        // Nothing more to do, and the import can be started again.
        assert!(comark_app::accounts::reconcile_imports(&app.app, comark_store::now()).await.expect("again").is_empty());
        let restarted = api.post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({})).await;
        assert_eq!(restarted.status, 202, "{}", restarted.text);
        app.run_jobs().await;
        let done = api.get(&format!("/api/v1/orgs/acme/imports/{id}")).await;
        assert_eq!(done.json["status"], "done", "{}", done.text);
    }
}

both_backends! {
    async fn a_handle_that_is_not_a_connected_partner_answers_like_one_that_does_not_exist(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        import_csv(&app, &acme, "acme", ACME_HUBSPOT).await;
        // initech exists and was never connected; hooli only asked; umbrella was connected once.
        app.owner_of("initech").await;
        let hooli = app.owner_of("hooli").await;
        app.api_as(&hooli).post("/api/v1/orgs/hooli/connections", json!({ "handle": "acme" })).await;
        let umbrella = app.owner_of("umbrella").await;
        let ended = app.connect(&acme, "acme", &umbrella, "umbrella").await;
        app.api_as(&acme).post(&format!("/api/v1/orgs/acme/connections/{ended}/end"), json!({})).await;

        let api = app.api_as(&acme);
        let not_found = api.get("/api/v1/orgs/no-such-org").await;
        assert_eq!(not_found.status, 404);
        let account = api.get("/api/v1/orgs/acme/accounts").await.json["items"][0]["id"].as_str().expect("id").to_owned();
        let correction = uuid::Uuid::now_v7();
        let attempts: Vec<(reqwest::Method, String, Option<serde_json::Value>)> = vec![
            (reqwest::Method::GET, "/mappings/{h}".into(), None),
            (reqwest::Method::GET, "/mappings/{h}/export".into(), None),
            (reqwest::Method::GET, "/mappings/{h}/export?format=xlsx".into(), None),
            (reqwest::Method::PUT, "/mappings/{h}/sharing/customer".into(), Some(json!({ "level": "counts" }))),
            (reqwest::Method::PUT, "/mappings/{h}/sharing/customer".into(), Some(json!({ "level": "everything" }))),
            (reqwest::Method::PUT, "/mappings/{h}/sharing/no-such-population".into(), Some(json!({ "level": "counts" }))),
            (reqwest::Method::PUT, "/mappings/{h}/sharing/customer".into(), Some(json!({ "level": "counts", "fields": ["owner"] }))),
            (reqwest::Method::POST, "/mappings/{h}/corrections".into(), Some(json!({ "kind": "wrong", "key": "initrode.de" }))),
            (reqwest::Method::POST, "/mappings/{h}/corrections".into(), Some(json!({ "kind": "wrong" }))),
            (reqwest::Method::POST, "/mappings/{h}/corrections".into(), Some(json!({ "kind": "manual", "account_id": account }))),
            (reqwest::Method::POST, "/mappings/{h}/corrections".into(), Some(json!({ "kind": "wrong", "key": "x", "note": "n".repeat(501) }))),
            (reqwest::Method::DELETE, format!("/mappings/{{h}}/corrections/{correction}"), None),
            (reqwest::Method::GET, "/directory/{h}".into(), None),
        ];
        let mut failures = Vec::new();
        for handle in ["no-such-org", "initech", "hooli", "umbrella", "acme", "ACME", "not a handle"] {
            for (method, path, body) in &attempts {
                let path = format!("/api/v1/orgs/acme{}", path.replace("{h}", &handle.replace(' ', "%20")));
                let reply = api.send(method.clone(), &path, body.clone()).await;
                if reply.status != 404 || reply.text != not_found.text {
                    failures.push(format!("{method} {path}: {} {}", reply.status, reply.text));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        // For the connected partner the same requests get through to their checks.
        let refused = api.put("/api/v1/orgs/acme/mappings/globex/sharing/customer", json!({ "level": "everything" })).await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        let shared = api.put("/api/v1/orgs/acme/mappings/globex/sharing/customer", json!({ "level": "counts" })).await;
        assert_eq!(shared.status, 204, "{}", shared.text);
        assert_eq!(api.get("/api/v1/orgs/acme/mappings/globex").await.status, 200);
    }
}

both_backends! {
    /// Every key a row carries meets the partner's, in passes: HubSpot's `Website URL` when
    /// its `Company Domain Name` is empty, a contact's e-mail domain (never a free webmail
    /// one), the same name where one side has no website (medium), and namesakes with other
    /// websites for review (low). Each match says why.
    async fn every_key_a_row_carries_meets_the_partner_in_passes(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let hubspot = "Record ID,Company name,Company Domain Name,Website URL,Lifecycle Stage,Email\r\n\
            1,Initrode GmbH,,https://www.initrode.de/kontakt,customer,\r\n\
            2,Umbrella Corporation,,,customer,jane.doe@eu.umbrella.com\r\n\
            3,Hooli,,,customer,\r\n\
            4,Massive Dynamic,massivedynamic.com,,customer,\r\n\
            5,Gmail Lovers Ltd,,,customer,ann@gmail.com\r\n";
        let salesforce = "Account ID,Account Name,Website,Type\n\
            0011,INITRODE,initrode.de,Customer - Direct\n\
            0012,Umbrella Corp.,umbrella.com,Customer - Direct\n\
            0013,Hooli Inc.,hooli.xyz,Customer - Direct\n\
            0014,Massive Dynamic,massive-dynamic.de,Customer - Direct\n\
            0015,Webmail Fans,gmail.com,Customer - Direct\n";
        let imported = import_csv(&app, &acme, "acme", hubspot).await;
        assert_eq!(imported["rows_imported"], 5, "{imported}");
        import_csv(&app, &globex, "globex", salesforce).await;
        let a = app.api_as(&acme);
        let listed = a.get("/api/v1/orgs/acme/accounts?search=initrode").await;
        assert_eq!(listed.json["items"][0]["domain"], "initrode.de", "{}", listed.text);
        for (token, org, partner) in [(&acme, "acme", "globex"), (&globex, "globex", "acme")] {
            let shared = app.api_as(token)
                .put(&format!("/api/v1/orgs/{org}/mappings/{partner}/sharing/customer"), json!({ "level": "overlaps" }))
                .await;
            assert_eq!(shared.status, 204, "{}", shared.text);
        }
        app.run_jobs().await;
        let seen = a.get("/api/v1/orgs/acme/mappings/globex").await;
        let mut found: Vec<(String, String, String, String)> = seen.json["view"]["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|m| {
                (
                    m["theirs"]["name"].as_str().expect("name").to_owned(),
                    m["key"].as_str().expect("key").to_owned(),
                    m["confidence"].as_str().expect("confidence").to_owned(),
                    m["reason"].as_str().expect("reason").to_owned(),
                )
            })
            .collect();
        found.sort();
        let brief: Vec<(&str, &str, &str)> = found.iter().map(|(n, k, c, _)| (n.as_str(), k.as_str(), c.as_str())).collect();
        assert_eq!(
            brief,
            [
                ("Hooli Inc.", "name:hooli", "medium"),
                ("INITRODE", "initrode.de", "high"),
                ("Massive Dynamic", "name:massive dynamic", "low"),
                ("Umbrella Corp.", "umbrella.com", "high"),
            ],
            "{}",
            seen.text
        );
        assert!(found[0].3.contains("one side has no website"), "{found:?}");
        assert!(found[2].3.contains("different websites"), "{found:?}");
        assert!(found[1].3.contains("initrode.de"), "{found:?}");
        // The low match is listed to check, but counted apart: the matrix holds the three
        // matches comark is sure of.
        assert_eq!(cell(&seen, "customer", "customer"), Some(3), "{}", seen.text);
        assert_eq!(seen.json["view"]["review_keys"], 1, "{}", seen.text);
        // The partner sees the same numbers.
        let theirs = app.api_as(&globex).get("/api/v1/orgs/globex/mappings/acme").await;
        assert_eq!(cell(&theirs, "customer", "customer"), Some(3), "{}", theirs.text);
        assert_eq!(theirs.json["view"]["review_keys"], 1, "{}", theirs.text);
        // The web page says so.
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let page = browser.get("/o/acme/partners/globex/mapping").await;
        assert!(page.text.contains("1 more account has the same name"), "{}", page.text);
    }
}

/// Two partners' exports of `n` companies each, of which every third is only on one side;
/// acme's owners alternate, globex's types alternate between customer and prospect. Names
/// repeat in other cases, so that the order meets ties.
fn paging_exports(n: usize) -> (String, String) {
    let mut acme =
        String::from("Record ID,Company name,Company Domain Name,Lifecycle Stage,Company owner\n");
    let mut globex = String::from("Account ID,Account Name,Website,Type,Account Owner\n");
    for i in 0..n {
        let name = ["Northwind", "northwind", "Contoso", "Fabrikam"][i % 4];
        let (ours, theirs) = if i % 3 == 2 {
            (format!("only-acme-{i}.com"), format!("only-globex-{i}.com"))
        } else {
            (format!("shared-{i}.com"), format!("www.shared-{i}.com"))
        };
        acme.push_str(&format!(
            "{i},{name} {i},{ours},customer,{}\n",
            ["Ann", "Bob"][i % 2]
        ));
        let kind = ["Customer - Direct", "Prospect"][i % 2];
        globex.push_str(&format!("G{i},{name} Ltd {i},{theirs},{kind},Zed\n"));
    }
    (acme, globex)
}

/// Follows `next_cursor` from `first` until the last page; returns every account seen.
async fn every_page(api: &comark_testkit::Api, first: &str) -> Vec<serde_json::Value> {
    let mut accounts = Vec::new();
    let mut url = first.to_owned();
    loop {
        let page = api.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.text);
        accounts.extend(
            page.json["view"]["accounts"]
                .as_array()
                .expect("accounts")
                .iter()
                .cloned(),
        );
        match page.json["next_cursor"].as_str() {
            Some(cursor) => url = format!("{first}&cursor={cursor}"),
            None => return accounts,
        }
    }
}

both_backends! {
    /// A mapping larger than a page is read a page at a time: following the cursors gives
    /// every account the partner lets you see exactly once, by the name of yours, and as
    /// many as the view says; a cell's filter pages the same way; the CSV export streams
    /// them all; and a population's change recounts the matrix at once.
    async fn a_large_mapping_pages_through_every_shared_account_once(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let n = 330;
        let (acme_csv, globex_csv) = paging_exports(n);
        import_csv(&app, &acme, "acme", &acme_csv).await;
        import_csv(&app, &globex, "globex", &globex_csv).await;
        let g = app.api_as(&globex);
        // Globex shows its customers, counts its prospects.
        for (population, level) in [("customer", "overlaps"), ("prospect", "counts")] {
            let shared = g
                .put(&format!("/api/v1/orgs/globex/mappings/acme/sharing/{population}"), json!({ "level": level }))
                .await;
            assert_eq!(shared.status, 204, "{}", shared.text);
        }
        app.run_jobs().await;
        let a = app.api_as(&acme);
        let first = a.get("/api/v1/orgs/acme/mappings/globex?limit=7").await;
        assert_eq!(first.status, 200, "{}", first.text);
        let shared = (0..n).filter(|i| i % 3 != 2).count() as u64;
        let customers = (0..n).filter(|i| i % 3 != 2 && i % 2 == 0).count();
        assert_eq!(first.json["view"]["shared_keys"], shared, "{}", first.text);
        assert_eq!(cell(&first, "customer", "customer"), Some(customers as u64));
        assert_eq!(first.json["view"]["listed"], customers, "{}", first.text);
        assert_eq!(first.json["view"]["accounts"].as_array().map(Vec::len), Some(7));

        let seen = every_page(&a, "/api/v1/orgs/acme/mappings/globex?limit=23").await;
        assert_eq!(seen.len(), customers, "every listed account, once");
        let mut keys: Vec<&str> = seen.iter().map(|m| m["key"].as_str().expect("key")).collect();
        let names: Vec<String> = seen
            .iter()
            .map(|m| m["ours"]["name"].as_str().expect("name").to_lowercase())
            .collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "by the name of ours: {names:?}");
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), customers, "no account twice");
        let expected: Vec<String> = (0..n)
            .filter(|i| i % 3 != 2 && i % 2 == 0)
            .map(|i| format!("shared-{i}.com"))
            .collect();
        let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert!(
            seen.iter().all(|m| m["theirs"]["populations"] == json!(["customer"])),
            "prospects are only counted"
        );

        // A cell's filter: their prospects are shared as counts only, so none is listed.
        let filtered = every_page(&a, "/api/v1/orgs/acme/mappings/globex?limit=50&theirs=prospect").await;
        assert!(filtered.is_empty(), "prospects are counts only: {filtered:?}");
        let refused = a.get("/api/v1/orgs/acme/mappings/globex?cursor=not-a-cursor").await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(refused.text.contains("cursor"), "{}", refused.text);

        // The export streams every listed account.
        let csv = a.get("/api/v1/orgs/acme/mappings/globex/export?format=csv").await;
        assert_eq!(csv.status, 200, "{}", csv.text);
        let rows = csv::Reader::from_reader(csv.text.as_bytes()).records().count();
        assert_eq!(rows, customers, "{}", &csv.text[..csv.text.len().min(400)]);

        // Acme's custom population "Bob's" counts at once, before the recompute runs.
        let defined = a
            .put(
                "/api/v1/orgs/acme/populations/bobs",
                json!({ "label": "Bob's", "rule": { "base": null, "all": [{ "field": "owner", "op": "equals", "value": "Bob" }] } }),
            )
            .await;
        assert_eq!(defined.status, 200, "{}", defined.text);
        let bobs_customers = (0..n).filter(|i| i % 3 != 2 && i % 2 == 1).count() as u64;
        let before = a.get("/api/v1/orgs/acme/mappings/globex?limit=1").await;
        assert_eq!(before.json["fresh"], false, "{}", before.text);
        assert_eq!(cell(&before, "bobs", "prospect"), Some(bobs_customers), "{}", before.text);
        assert_eq!(cell(&before, "bobs", "customer"), Some(0), "{}", before.text);
        app.run_jobs().await;
        let after = a.get("/api/v1/orgs/acme/mappings/globex?limit=1").await;
        assert_eq!(after.json["fresh"], true, "{}", after.text);
        assert_eq!(cell(&after, "bobs", "prospect"), Some(bobs_customers), "{}", after.text);
        // The partner reads the same cell from the other side.
        let theirs = g.get("/api/v1/orgs/globex/mappings/acme?limit=1").await;
        assert_eq!(theirs.json["view"]["columns"].as_array().map(Vec::len), Some(0), "acme shares nothing: {}", theirs.text);

        // The web page lists a page and links the next.
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let page = browser.get("/o/acme/partners/globex/mapping").await;
        assert!(page.text.contains(&format!("{customers} accounts in common that")), "{}", page.text);
        let next = page.text.split("rel=\"next\" href=\"").nth(1).and_then(|rest| rest.split('"').next());
        let next = next.expect("a link to the next page").replace("&amp;", "&");
        let second = browser.get(&next).await;
        assert_eq!(second.status, 200, "{}", second.text);
        assert!(second.text.contains("First page"), "{}", second.text);
    }
}
