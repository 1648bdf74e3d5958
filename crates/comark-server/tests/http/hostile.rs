//! A hostile client: control characters in every field, path and query; on both databases
//! the answer names the field (or is the not-found answer), and never a server error.

use super::authz::{concrete, Fixture, Who};
use super::*;

/// Every character comark refuses to store: C0 but tab and line breaks, DEL, C1.
fn controls() -> Vec<char> {
    (0u32..0x20)
        .chain(0x7f..0xa0)
        .filter_map(char::from_u32)
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The property names of an operation's JSON request body, from the OpenAPI document.
fn body_properties(document: &serde_json::Value, operation: &serde_json::Value) -> Vec<String> {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &document["components"]["schemas"][name]
        }
        None => schema,
    };
    schema["properties"]
        .as_object()
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

fn names_field(reply: &comark_testkit::Reply, field: &str) -> bool {
    reply.json["errors"]
        .as_array()
        .is_some_and(|errors| errors.iter().any(|e| e["field"] == field))
}

both_backends! {
    /// Each field of each JSON body, with each refused character in turn (round robin, so
    /// every character and every field are tried): 422 naming the field, never a 5xx, on
    /// PostgreSQL (which cannot store NUL) as on SQLite.
    async fn every_json_field_refuses_control_characters_by_name(app) {
        let fx = Fixture::build(&app).await;
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let owner = app.api_as(&fx.tokens[&Who::Owner]);
        let controls = controls();
        let mut next = 0;
        let mut failures = Vec::new();
        let mut fields_tried = 0;
        for (pattern, operations) in document["paths"].as_object().expect("paths") {
            for (method, operation) in operations.as_object().expect("operations") {
                if operation["requestBody"]["content"]["application/json"].is_null() {
                    continue;
                }
                let (path, body) = concrete(&app, &fx, method, pattern).await;
                let mut fields = body_properties(&document, operation);
                if let Some(valid) = body.as_object() {
                    fields.extend(valid.keys().filter(|k| !fields.contains(k)).cloned().collect::<Vec<_>>());
                }
                for field in fields {
                    let control = controls[next % controls.len()];
                    next += 1;
                    let mut hostile = if body.is_object() { body.clone() } else { json!({}) };
                    hostile[&field] = json!(format!("before{control}after"));
                    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                    let reply = owner.send(method.clone(), &path, Some(hostile)).await;
                    fields_tried += 1;
                    if reply.status != 422 || !names_field(&reply, &field) {
                        failures.push(format!("{method} {path} `{field}` with U+{:04X}: {} {}", u32::from(control), reply.status, reply.text));
                    }
                }
            }
        }
        assert!(fields_tried > 120, "only {fields_tried} fields were tried");
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }

    /// Each web form, posted with a refused character in a field: 422 naming the field.
    async fn every_web_form_refuses_control_characters_by_name(app) {
        let fx = Fixture::build(&app).await;
        let browser = app.browser();
        browser.sign_in(&fx.emails[&Who::Owner], PASSWORD).await;
        let controls = controls();
        let mut failures = Vec::new();
        let mut forms = 0;
        for (index, (method, pattern)) in comark_server::web::route_table().into_iter().enumerate() {
            if method != reqwest::Method::POST {
                continue;
            }
            let (path, _) = concrete(&app, &fx, method.as_str(), pattern).await;
            let control = controls[index % controls.len()];
            let value = format!("Ann{control}");
            let reply = browser.submit(&path, &[("name", "Ann"), ("note", value.as_str())]).await;
            forms += 1;
            if reply.status != 422 || !reply.text.contains("note") || !reply.text.contains(&format!("U+{:04X}", u32::from(control))) {
                failures.push(format!("POST {path} with U+{:04X}: {} {}", u32::from(control), reply.status, reply.text));
            }
        }
        assert!(forms > 40, "only {forms} forms were tried");
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }

    /// A path segment holding NUL names nothing: the not-found answer, API and web alike; a
    /// query parameter holding one is named.
    async fn a_nul_in_a_path_or_a_query_is_not_found_or_named(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let not_found = api.get("/api/v1/orgs/no-such-org").await;
        for path in ["/api/v1/orgs/acme%00", "/api/v1/orgs/acme%00/profile", "/api/v1/orgs/acme/imports/%00", "/api/v1/intake/acme%01"] {
            let reply = api.get(path).await;
            assert_eq!((reply.status, &reply.text), (404, &not_found.text), "{path}");
        }
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let page_not_found = browser.get("/o/no-such-org").await;
        for path in ["/o/acme%00", "/o/acme%00/partners", "/r/acme%00"] {
            let reply = browser.get(path).await;
            assert_eq!((reply.status, &reply.text), (404, &page_not_found.text), "{path}");
        }
        let searched = api.get("/api/v1/orgs/acme/accounts?search=a%00b").await;
        assert_eq!(searched.status, 422, "{}", searched.text);
        assert!(names_field(&searched, "search"), "{}", searched.text);
        let page = browser.get("/o/acme/accounts?search=a%00b").await;
        assert_eq!(page.status, 422);
        assert!(page.text.contains("search") && page.text.contains("U+0000"), "{}", page.text);
    }

    /// The reported cases one by one: signing in, the public request form (no sign-in
    /// needed) and a population label with NUL answer field errors, not 500.
    async fn nul_in_a_sign_in_a_request_form_or_a_population_label_is_a_field_error(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let signed_in = app.api().post("/api/v1/auth/sign-in", json!({ "email": "owner@acme.example\u{0}", "password": PASSWORD })).await;
        assert_eq!(signed_in.status, 422, "{}", signed_in.text);
        assert!(names_field(&signed_in, "email"), "{}", signed_in.text);
        let browser = app.browser();
        let page = browser.submit("/sign-in", &[("email", "owner@acme.example"), ("password", "pass\u{0}word")]).await;
        assert_eq!(page.status, 422, "{}", page.text);
        assert!(page.text.contains("password") && page.text.contains("U+0000"), "{}", page.text);

        let opened = api.put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values"] })).await;
        assert_eq!(opened.status, 200, "{}", opened.text);
        let request = app.api().post("/api/v1/intake/acme", json!({ "name": "Rita", "email": "rita@example.com",
            "company": "Requesters\u{0} Ltd", "kind": "event", "message": "Hello" })).await;
        assert_eq!(request.status, 422, "{}", request.text);
        assert!(names_field(&request, "company"), "{}", request.text);
        let visitor = app.browser();
        visitor.get("/r/acme").await;
        let form = visitor.submit("/r/acme", &[("name", "Rita"), ("message", "Hello\u{0}")]).await;
        assert_eq!(form.status, 422, "{}", form.text);
        assert!(form.text.contains("message"), "{}", form.text);

        let labelled = api.put("/api/v1/orgs/acme/populations/big", json!({ "label": "Big\u{0}", "rule": { "base": "customer", "all": [] } })).await;
        assert_eq!(labelled.status, 422, "{}", labelled.text);
        assert!(names_field(&labelled, "label"), "{}", labelled.text);
    }

    /// A CSV with a NUL byte in a cell: that row is rejected with its row, column and the
    /// character, the rest lands, and the import finishes (it used to fail its job three
    /// times on PostgreSQL and stay "running").
    async fn a_csv_row_with_a_nul_byte_is_rejected_by_row_and_the_rest_lands(app) {
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let csv = "Account ID,Account Name,Web\u{0}site,Type\n1,Initrode,initrode.de,Customer\n2,Umbrella\u{0} Corp,umbrella.com,Prospect\n3,Hooli,hooli.xyz,Customer\n";
        let uploaded = api.upload("/api/v1/orgs/acme/imports?file_name=nul%00.csv", csv.as_bytes().to_vec(), &[]).await;
        assert_eq!(uploaded.status, 422, "a file name with NUL is named: {}", uploaded.text);
        let uploaded = api.upload("/api/v1/orgs/acme/imports?file_name=crm.csv", csv.as_bytes().to_vec(), &[]).await;
        assert_eq!(uploaded.status, 201, "{}", uploaded.text);
        let id = uploaded.json["import"]["id"].as_str().expect("id").to_owned();
        assert_eq!(uploaded.json["suggested"]["columns"]["website"], "Website", "{}", uploaded.text);
        let started = api.post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({})).await;
        assert_eq!(started.status, 202, "{}", started.text);
        app.run_jobs().await;
        let done = api.get(&format!("/api/v1/orgs/acme/imports/{id}")).await;
        assert_eq!(done.json["status"], "done", "{}", done.text);
        assert_eq!(done.json["rows_imported"], 2, "{}", done.text);
        assert_eq!(done.json["errors"][0]["row"], 3, "{}", done.text);
        assert_eq!(done.json["errors"][0]["column"], "Account Name", "{}", done.text);
        assert!(done.json["errors"][0]["reason"].as_str().expect("reason").contains("U+0000"), "{}", done.text);
    }

    /// A JSON body over the limit is too large (413), not a bad request.
    async fn a_json_body_over_the_limit_is_too_large(app) {
        let owner = app.owner_of("acme").await;
        let body = serde_json::to_vec(&json!({ "name": "x".repeat(10 * 1024 * 1024) })).expect("JSON");
        let head = format!("PATCH /api/v1/orgs/acme HTTP/1.1\r\nAuthorization: Bearer {owner}\r\nContent-Type: application/json");
        let base = app.base_url.clone();
        let (status, text) = tokio::task::spawn_blocking(move || comark_testkit::raw_request(&base, &head, body))
            .await
            .expect("the request thread")
            .expect("an answer");
        assert_eq!(status, 413, "{text}");
        let problem: serde_json::Value = serde_json::from_str(&text).expect("a problem document");
        assert_eq!(problem["type"], "urn:comark:problem:too-large", "{text}");
    }
}

/// Real ids of one organization's own data, to try through someone else's hands.
struct Victim {
    handle: String,
    owner: String,
    ids: Vec<(&'static str, String)>,
}

impl Victim {
    /// `handle` with one of everything an id can name: a member, an invitation, a
    /// connection, an invite link, a personal token, a partnership with its gate item, goal
    /// and risk, a request, an import, a saved mapping, a population and a correction. Its
    /// partner is `partner` (another fresh organization), and its profile is not listed.
    async fn build(app: &TestApp, handle: &str, partner: &str) -> Victim {
        let owner = app.owner_of(handle).await;
        let partner_owner = app.owner_of(partner).await;
        let connection = app.connect(&owner, handle, &partner_owner, partner).await;
        let api = app.api_as(&owner);
        let base = format!("/api/v1/orgs/{handle}");
        let member = app.member_of(&owner, handle, "marketer").await;
        let member_id = app.api_as(&member).get("/api/v1/me").await.json["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let invitation = api
            .post(&format!("{base}/invitations"), json!({ "role": "sales" }))
            .await;
        let invitation_id = invitation.json["invitation"]["id"]
            .as_str()
            .expect("invitation")
            .to_owned();
        let link = api
            .post(&format!("{base}/connection-links"), json!({}))
            .await;
        let link_id = link.json["id"].as_str().expect("link").to_owned();
        let token = api
            .post(
                "/api/v1/me/tokens",
                json!({ "name": "theirs", "scope": "read" }),
            )
            .await;
        let token_id = token.json["id"].as_str().expect("token").to_owned();
        let profile = api
            .put(
                &format!("{base}/profile"),
                json!({ "offerings": ["crm"], "listed": false }),
            )
            .await;
        assert_eq!(profile.status, 200, "{}", profile.text);
        let created = api
            .post(
                &format!("{base}/partnerships"),
                json!({ "name": "Theirs", "partners": [partner] }),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let partnership = created.json["partnership"]["id"]
            .as_str()
            .or(created.json["id"].as_str())
            .expect("partnership")
            .to_owned();
        let path = format!("{base}/partnerships/{partnership}");
        let goal = api.post(&format!("{path}/goals"), json!({ "metric": "Leads", "target": 10, "starts_on": "2026-01-01", "ends_on": "2026-12-31" })).await;
        assert!(goal.status < 300, "{}", goal.text);
        let risk = api
            .post(
                &format!("{path}/risks"),
                json!({ "title": "Key person leaving", "likelihood": "low", "impact": "high" }),
            )
            .await;
        assert!(risk.status < 300, "{}", risk.text);
        let detail = api.get(&path).await.json;
        let item = detail["gates"][0]["id"].as_str().expect("item").to_owned();
        let goal_id = detail["goals"][0]["id"]
            .as_str()
            .or(goal.json["id"].as_str())
            .map(str::to_owned);
        let risk_id = detail["risks"][0]["id"]
            .as_str()
            .or(risk.json["id"].as_str())
            .map(str::to_owned);
        let org = app
            .store
            .org_by_handle(handle)
            .await
            .expect("lookup")
            .expect("org");
        let form = comark_domain::intake::RequestForm {
            name: "Rita Requester".into(),
            email: "rita@example.com".into(),
            company: "Requesters Ltd".into(),
            kind: "co_promotion".into(),
            message: "Let's promote each other.".into(),
            ..Default::default()
        };
        let request = comark_domain::RequestId::new();
        app.store
            .submit_request(
                comark_store::intake::NewRequest {
                    id: request,
                    org: org.id,
                    proposal: &form.parse().expect("valid"),
                    requester: None,
                    spam_reason: None,
                    actor: "Rita",
                },
                &[],
            )
            .await
            .expect("filed");
        let upload = api
            .upload(
                &format!("{base}/imports"),
                b"Company name,Website\nInitrode,initrode.de\n".to_vec(),
                &[],
            )
            .await;
        let import = upload.json["import"]["id"]
            .as_str()
            .expect("import")
            .to_owned();
        let started = api
            .post(
                &format!("{base}/imports/{import}/start"),
                json!({ "save_mapping_as": "theirs" }),
            )
            .await;
        assert_eq!(started.status, 202, "{}", started.text);
        app.run_jobs().await;
        let population = api
            .put(
                &format!("{base}/populations/theirs"),
                json!({ "label": "Theirs", "rule": { "base": "customer", "all": [] } }),
            )
            .await;
        assert_eq!(population.status, 200, "{}", population.text);
        let correction = api
            .post(
                &format!("{base}/mappings/{partner}/corrections"),
                json!({ "kind": "wrong", "key": "initrode.de" }),
            )
            .await;
        let correction_id = correction.json["id"]
            .as_str()
            .expect("correction")
            .to_owned();
        let mut ids = vec![
            ("user_id", member_id),
            ("invitation_id", invitation_id),
            ("connection_id", connection),
            ("link_id", link_id),
            ("token_id", token_id),
            ("partnership_id", partnership),
            ("item_id", item),
            ("request", request.to_string()),
            ("import", import.clone()),
            ("import_id", import),
            ("correction_id", correction_id),
            ("slug", "theirs".to_owned()),
            ("name", "theirs".to_owned()),
            ("partner", partner.to_owned()),
            ("handle", handle.to_owned()),
        ];
        ids.extend(goal_id.map(|id| ("goal_id", id)));
        ids.extend(risk_id.map(|id| ("risk_id", id)));
        Victim {
            handle: handle.to_owned(),
            owner,
            ids,
        }
    }

    fn id(&self, name: &str) -> &str {
        self.ids
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("no-such-id")
    }

    /// `pattern` with `org` as the organization and this victim's ids everywhere else;
    /// `None` for routes that name no data of an organization (tokens in links, enums only).
    fn fill(&self, pattern: &str, org: &str) -> Option<String> {
        if pattern.contains("{token}") {
            return None;
        }
        let mut path = pattern.replace("{org}", org);
        let before = path.clone();
        // `{id}` names a partnership, a request, an import or a correction, by its place.
        let id = if path.contains("/partnerships/{id}") {
            self.id("partnership_id")
        } else if path.contains("/requests/{id}") {
            self.id("request")
        } else if path.contains("/imports/{id}") {
            self.id("import")
        } else {
            self.id("correction_id")
        };
        path = path.replace("{id}", id);
        for name in [
            "user_id",
            "invitation_id",
            "connection_id",
            "link_id",
            "token_id",
            "partnership_id",
            "item_id",
            "goal_id",
            "risk_id",
            "import_id",
            "correction_id",
            "partner",
            "handle",
        ] {
            path = path.replace(&format!("{{{name}}}"), self.id(name));
        }
        let named_data = path != before;
        // A population's slug and a saved mapping's name are names inside an organization,
        // not ids: acme may well have (or create) its own "theirs".
        path = path
            .replace("{slug}", self.id("slug"))
            .replace("{name}", self.id("name"))
            .replace("{kind}", "events")
            .replace("{role}", "executive_sponsor")
            .replace("{population}", "customer");
        (named_data || org == self.handle).then_some(path)
    }

    /// What the victim sees of its own data, to compare before and after the attacks.
    async fn snapshot(&self, app: &TestApp) -> Vec<String> {
        let api = app.api_as(&self.owner);
        let base = format!("/api/v1/orgs/{}", self.handle);
        let mut seen = Vec::new();
        for path in [
            "",
            "/members",
            "/invitations",
            "/connections",
            "/connection-links",
            "/partnerships",
            "/requests",
            "/imports",
            "/populations",
            "/column-mappings",
            "/accounts",
            "/profile",
            "/intake",
        ] {
            seen.push(api.get(&format!("{base}{path}")).await.text);
        }
        seen.push(
            api.get(&format!(
                "{base}/partnerships/{}",
                self.id("partnership_id")
            ))
            .await
            .text,
        );
        seen.push(
            api.get(&format!("{base}/mappings/{}", self.id("partner")))
                .await
                .text,
        );
        seen.push(api.get("/api/v1/me/tokens").await.text);
        seen
    }
}

both_backends! {
    /// Every templated API and web route, filled with another organization's real ids, as
    /// every member of acme: through acme's own path (its handle, their ids) and through
    /// theirs. Nothing succeeds, nothing of theirs changes, and every 404 is exactly the
    /// answer for a made-up id.
    async fn another_organizations_real_ids_are_never_reachable(app) {
        let fx = Fixture::build(&app).await;
        let victim = Victim::build(&app, "victim", "victim-partner").await;
        let before = victim.snapshot(&app).await;
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let owner = app.api_as(&fx.tokens[&Who::Owner]);
        let made_up = owner.get(&format!("/api/v1/orgs/acme/partnerships/{}", uuid::Uuid::new_v4())).await;
        assert_eq!(made_up.status, 404);
        let members = [Who::Owner, Who::Admin, Who::PartnerManager, Who::Marketer, Who::Sales, Who::Executive];
        let mut failures = Vec::new();
        let mut tried = 0;
        for (pattern, operations) in document["paths"].as_object().expect("paths") {
            for method in operations.as_object().expect("operations").keys() {
                let (_, body) = concrete(&app, &fx, method, pattern).await;
                for org in ["acme", victim.handle.as_str()] {
                    let Some(path) = victim.fill(pattern, org) else { continue };
                    if !pattern.contains("{org}") && !pattern.contains("{token_id}") {
                        continue;
                    }
                    for who in members {
                        let api = app.api_as(&fx.tokens[&who]);
                        let verb = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                        let send = (method != "get" && method != "delete").then(|| body.clone());
                        let reply = api.send(verb, &path, send).await;
                        tried += 1;
                        match reply.status {
                            404 if reply.text == made_up.text => {}
                            403 if org == "acme" => {}
                            _ => failures.push(format!("{method} {path} as {who:?}: {} {}", reply.status, reply.text.chars().take(200).collect::<String>())),
                        }
                    }
                }
            }
        }
        let page_not_found = {
            let browser = app.browser();
            browser.sign_in(&fx.emails[&Who::Owner], PASSWORD).await;
            browser.get(&format!("/o/acme/partnerships/{}", uuid::Uuid::new_v4())).await.text
        };
        for who in members {
            let browser = app.browser();
            browser.sign_in(&fx.emails[&who], PASSWORD).await;
            for (method, pattern) in comark_server::web::route_table() {
                if !pattern.starts_with("/o/{org}") {
                    continue;
                }
                for org in ["acme", victim.handle.as_str()] {
                    let Some(path) = victim.fill(pattern, org) else { continue };
                    let reply = if method == reqwest::Method::GET {
                        browser.get(&path).await
                    } else {
                        browser.submit(&path, &[("name", "Mallory"), ("text", "Taken over"), ("role", "owner")]).await
                    };
                    tried += 1;
                    match reply.status {
                        404 if reply.text == page_not_found => {}
                        403 if org == "acme" => {}
                        _ => failures.push(format!("{method} {path} as {who:?}: {} {:?}", reply.status, reply.location())),
                    }
                }
            }
        }
        assert!(tried > 1000, "only {tried} attempts");
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
        assert_eq!(victim.snapshot(&app).await, before, "the victim's data changed");
    }

    /// A personal token with the read scope, of the owner: every write the API has answers
    /// 403, whatever it names; reads answer without a server error (the token list and the
    /// audit log want more than the read scope).
    async fn a_read_only_token_writes_nothing(app) {
        let fx = Fixture::build(&app).await;
        let created = app.api_as(&fx.tokens[&Who::Owner]).post("/api/v1/me/tokens", json!({ "name": "dashboards", "scope": "read" })).await;
        let read_only = app.api_as(created.json["token"].as_str().expect("token"));
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let public = ["/api/v1/auth/", "/api/v1/intake/"];
        let mut failures = Vec::new();
        let mut writes = 0;
        for (pattern, operations) in document["paths"].as_object().expect("paths") {
            if public.iter().any(|p| pattern.starts_with(p)) {
                continue;
            }
            for method in operations.as_object().expect("operations").keys() {
                let (path, body) = concrete(&app, &fx, method, pattern).await;
                let verb = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                if method == "get" {
                    let reply = read_only.send(verb, &path, None).await;
                    if reply.status >= 500 {
                        failures.push(format!("GET {path}: {}", reply.status));
                    }
                    continue;
                }
                let send = (method != "delete").then_some(body);
                let reply = read_only.send(verb, &path, send).await;
                writes += 1;
                if reply.status != 403 {
                    failures.push(format!("{method} {path}: {} {}", reply.status, reply.text.chars().take(200).collect::<String>()));
                }
            }
        }
        assert!(writes > 50, "only {writes} writes were tried");
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }
}
