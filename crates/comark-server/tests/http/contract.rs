//! The API's contract as the OpenAPI document states it: schema names that each belong to
//! one type, and request and response shapes that match what the handlers take and give.

use super::*;

/// The properties of a component schema, by name.
fn properties(document: &serde_json::Value, schema: &str) -> Vec<String> {
    let mut names: Vec<String> = document["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{schema} has no properties"))
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

/// The component schema a `$ref` names.
fn referenced(reference: &serde_json::Value) -> String {
    reference["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .unwrap_or_else(|| panic!("not a reference to a component: {reference}"))
        .to_owned()
}

#[test]
fn no_two_types_share_a_schema_name() {
    assert_eq!(comark_server::api::schema_clashes(), Vec::<String>::new());
}

both_backends! {
    async fn the_import_start_body_is_documented_with_its_own_fields(app) {
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let body = &document["paths"]["/api/v1/orgs/{org}/imports/{id}/start"]["post"]["requestBody"]
            ["content"]["application/json"]["schema"];
        let fields = properties(&document, &referenced(body));
        assert_eq!(
            fields,
            ["encoding", "mapping", "mode", "population_values", "save_mapping_as", "saved_mapping", "strict", "unreadable_population"]
        );
        // The field the document promises is the one the endpoint reads.
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let upload = api.upload("/api/v1/orgs/acme/imports", b"Company name,Website\nInitrode,initrode.de\n".to_vec(), &[]).await;
        let id = upload.json["import"]["id"].as_str().expect("id").to_owned();
        let started = api.post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({ "mode": "replace", "strict": true })).await;
        assert_eq!(started.status, 202, "{}", started.text);
        assert_eq!((started.json["mode"].as_str(), started.json["strict"].as_bool()), (Some("replace"), Some(true)));
    }

    async fn a_changed_member_is_documented_as_a_member_of_the_organization(app) {
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let answer = &document["paths"]["/api/v1/orgs/{org}/members/{user_id}"]["patch"]["responses"]["200"]
            ["content"]["application/json"]["schema"];
        let fields = properties(&document, &referenced(answer));
        assert_eq!(fields, ["email", "joined_at", "name", "role", "user_id"]);
    }
}

/// Every operation with a query parameter called `name`: (path, method, the parameter).
fn operations_with_query_parameter<'a>(
    document: &'a serde_json::Value,
    name: &str,
) -> Vec<(&'a str, &'a str, &'a serde_json::Value)> {
    let mut found = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["name"] == name {
                    found.push((path.as_str(), method.as_str(), parameter));
                }
            }
        }
    }
    found
}

both_backends! {
    async fn every_list_refuses_a_limit_out_of_range_and_the_document_states_the_bounds(app) {
        use comark_domain::cursor::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MIN_PAGE_SIZE};
        let owner = app.owner_of("acme").await;
        let partner = app.owner_of("globex").await;
        app.connect(&owner, "acme", &partner, "globex").await;
        let api = app.api_as(&owner);
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let lists = operations_with_query_parameter(&document, "limit");
        assert!(lists.len() >= 8, "only {} operations take a limit", lists.len());
        let mut failures = Vec::new();
        for (pattern, method, parameter) in lists {
            assert_eq!(method, "get", "{pattern}");
            let schema = &parameter["schema"];
            let stated = (parameter["in"].as_str(), parameter["required"].as_bool().unwrap_or(false),
                schema["minimum"].as_u64(), schema["maximum"].as_u64(), schema["default"].as_u64());
            if stated != (Some("query"), false, Some(MIN_PAGE_SIZE.into()), Some(MAX_PAGE_SIZE.into()), Some(DEFAULT_PAGE_SIZE.into())) {
                failures.push(format!("{pattern}: limit is documented as {parameter}"));
            }
            let path = pattern.replace("{org}", "acme").replace("{partner}", "globex");
            for bad in ["0", "201", "100000", "-1", "many"] {
                let reply = api.get(&format!("{path}?limit={bad}")).await;
                let field = reply.json["errors"][0]["field"].as_str();
                if (reply.status, reply.json["type"].as_str(), field) != (422, Some("urn:comark:problem:invalid-input"), Some("limit")) {
                    failures.push(format!("{path}?limit={bad}: {} {}", reply.status, reply.text));
                }
            }
            for good in ["", "?limit=1", "?limit=200"] {
                let reply = api.get(&format!("{path}{good}")).await;
                // A list is a page of items; a mapping is its matrix with a page of accounts.
                let items = if reply.json["view"].is_object() { &reply.json["view"]["accounts"] } else { &reply.json["items"] };
                if reply.status != 200 || !items.is_array() {
                    failures.push(format!("{path}{good}: {} {}", reply.status, reply.text));
                }
            }
            let mangled = api.get(&format!("{path}?cursor=not-ours&limit=0")).await;
            let fields: Vec<&str> = mangled.json["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
            if (mangled.status, fields.as_slice()) != (422, ["cursor", "limit"].as_slice()) {
                failures.push(format!("{path}?cursor=not-ours&limit=0: {} {}", mangled.status, mangled.text));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    async fn a_page_holds_fifty_accounts_unless_asked_for_another_size(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let mut csv = String::from("Company name,Website\n");
        for n in 0..60 {
            csv.push_str(&format!("Company {n:02},company{n:02}.example\n"));
        }
        let upload = api.upload("/api/v1/orgs/acme/imports", csv.into_bytes(), &[]).await;
        let id = upload.json["import"]["id"].as_str().expect("id").to_owned();
        let started = api.post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({})).await;
        assert_eq!(started.status, 202, "{}", started.text);
        app.run_jobs().await;

        let first = api.get("/api/v1/orgs/acme/accounts").await;
        assert_eq!(first.json["items"].as_array().expect("items").len(), 50, "{}", first.text);
        let cursor = first.json["next_cursor"].as_str().expect("a next page").to_owned();
        let rest = api.get(&format!("/api/v1/orgs/acme/accounts?cursor={cursor}")).await;
        assert_eq!(rest.json["items"].as_array().expect("items").len(), 10, "{}", rest.text);
        assert!(rest.json["next_cursor"].is_null());
        let all = api.get("/api/v1/orgs/acme/accounts?limit=200").await;
        assert_eq!(all.json["items"].as_array().expect("items").len(), 60);
        let three = api.get("/api/v1/orgs/acme/accounts?limit=3").await;
        let names: Vec<&str> = three.json["items"].as_array().expect("items").iter().map(|a| a["name"].as_str().expect("name")).collect();
        assert_eq!(names, ["Company 00", "Company 01", "Company 02"]);
    }

    async fn fit_weights_out_of_range_are_refused_by_name(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let document = app.api().get("/api/v1/openapi.json").await.json;
        for weight in ["audience", "complement", "values", "capabilities", "accounts"] {
            let stated = operations_with_query_parameter(&document, weight);
            assert_eq!(stated.len(), 2, "{weight} is taken by the directory and a candidate");
            for (pattern, _, parameter) in stated {
                assert_eq!((parameter["in"].as_str(), parameter["schema"]["minimum"].as_u64(), parameter["schema"]["maximum"].as_u64()),
                    (Some("query"), Some(0), Some(100)), "{pattern}: {parameter}");
            }
            for bad in ["101", "-1", "heavy"] {
                let reply = api.get(&format!("/api/v1/orgs/acme/directory?{weight}={bad}")).await;
                assert_eq!(reply.status, 422, "{weight}={bad}: {}", reply.text);
                assert_eq!(reply.json["errors"][0]["field"], weight);
            }
            assert_eq!(api.get(&format!("/api/v1/orgs/acme/directory?{weight}=100")).await.status, 200);
        }
    }
}

/// A tool of the test venv that `scripts/test` makes from `scripts/requirements-test.txt`
/// (`COMARK_TEST_VENV` names another venv).
fn venv_tool(name: &str) -> std::path::PathBuf {
    let venv = std::env::var_os("COMARK_TEST_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    let tool = venv.join("bin").join(name);
    assert!(
        tool.exists(),
        "{} is missing: run scripts/test once (it installs scripts/requirements-test.txt into .venv)",
        tool.display()
    );
    tool
}

/// Every `{name}` of a path template.
fn template_names(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(name, _)| name)
        .collect()
}

both_backends! {
    async fn the_served_openapi_document_passes_openapi_spec_validator(app) {
        use std::io::Write;
        let served = app.api().get("/api/v1/openapi.json").await;
        assert_eq!(served.status, 200);
        let mut validator = std::process::Command::new(venv_tool("openapi-spec-validator"))
            .args(["--validation-errors", "all", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start openapi-spec-validator");
        validator.stdin.take().expect("stdin").write_all(served.text.as_bytes()).expect("write the document");
        let out = validator.wait_with_output().expect("openapi-spec-validator");
        assert!(
            out.status.success(),
            "the document is refused:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    async fn every_path_parameter_is_in_its_path_and_every_id_is_a_uuid(app) {
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let mut failures = Vec::new();
        for (path, operations) in document["paths"].as_object().expect("paths") {
            let mut templated = template_names(path);
            templated.sort_unstable();
            for (method, operation) in operations.as_object().expect("operations") {
                let mut declared = Vec::new();
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if parameter["in"] != "path" {
                        continue;
                    }
                    let name = parameter["name"].as_str().expect("a name");
                    declared.push(name);
                    let is_id = name == "id" || name.ends_with("_id");
                    if is_id && parameter["schema"]["format"] != "uuid" {
                        failures.push(format!("{method} {path}: {name} is {}", parameter["schema"]));
                    }
                }
                declared.sort_unstable();
                if declared != templated {
                    failures.push(format!("{method} {path}: declares {declared:?} in the path"));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

/// How openapi-python-client reads the document: the upload's `text/csv` body is bytes to
/// it (it generates no other non-JSON bodies), and the package is `comark_client`.
const CLIENT_CONFIG: &str = "content_type_overrides:\n  text/csv: application/octet-stream\n";

both_backends! {
    async fn a_generated_python_client_covers_every_operation_and_runs_a_journey(app) {
        let owner = app.owner_of("acme").await;
        for partner in ["globex", "initech"] {
            let token = app.owner_of(partner).await;
            app.connect(&owner, "acme", &token, partner).await;
        }
        let served = app.api().get("/api/v1/openapi.json").await;
        assert_eq!(served.status, 200);
        let work = std::env::temp_dir().join(format!("comark-client-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&work).expect("a work directory");
        let (document, config) = (work.join("openapi.json"), work.join("config.yaml"));
        std::fs::write(&document, &served.text).expect("write the document");
        std::fs::write(&config, CLIENT_CONFIG).expect("write the config");
        let run = |program: std::path::PathBuf, args: Vec<std::ffi::OsString>| {
            let out = std::process::Command::new(&program).args(&args).output().expect("run a venv tool");
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "{} {args:?} failed:\n{text}", program.display());
            text
        };
        let generated = run(venv_tool("openapi-python-client"), vec![
            "generate".into(), "--path".into(), document.clone().into(), "--config".into(), config.into(),
            "--meta".into(), "none".into(), "--output-path".into(), work.join("comark_client").into(),
        ]);
        // A warning other than "ruff is not installed" means a piece of the API is missing.
        assert!(!generated.contains("will not be generated"), "{generated}");
        let journey = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http/client/journey.py");
        let said = run(venv_tool("python"), vec![
            journey.into(), app.base_url.clone().into(), document.into(), work.clone().into(),
            "owner@acme.example".into(), PASSWORD.into(),
        ]);
        assert!(said.contains("all generated") && said.contains("created and read back"), "{said}");
        let _ = std::fs::remove_dir_all(&work);
    }
}
