//! Partnerships through the API: gates, joint approvals, history, and who sees what.

use super::*;

/// Meets every piece of evidence of `stage` as `org`.
async fn meet_gate(app: &TestApp, token: &str, org: &str, id: &str, stage: &str) {
    let api = app.api_as(token);
    let detail = api
        .get(&format!("/api/v1/orgs/{org}/partnerships/{id}"))
        .await;
    for item in detail.json["gates"].as_array().expect("gates") {
        if item["stage"] == stage {
            let item_id = item["id"].as_str().expect("id");
            let met = api
                .put(
                    &format!("/api/v1/orgs/{org}/partnerships/{id}/evidence/{item_id}"),
                    json!({ "met": true }),
                )
                .await;
            assert_eq!(met.status, 200, "{}", met.text);
        }
    }
}

/// The stage in a partnership's full view, or in the answer to a request to move on.
fn stage(reply: &comark_testkit::Reply) -> String {
    reply.json["partnership"]["stage"]
        .as_str()
        .expect("stage")
        .to_owned()
}

both_backends! {
    async fn partners_move_through_the_lifecycle_together(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let initech = app.owner_of("initech").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let g = app.api_as(&globex);

        let refused = a
            .post("/api/v1/orgs/acme/partnerships", json!({ "name": "Joint webinars", "partners": ["initech"] }))
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(refused.text.contains("`initech` is not a connected partner"), "{}", refused.text);

        let created = a
            .post("/api/v1/orgs/acme/partnerships", json!({ "name": "Joint webinars", "purpose": "Two webinars a quarter", "partners": ["globex"] }))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(stage(&created), "awareness");
        let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();
        let members: Vec<&str> = created.json["partnership"]["members"].as_array().expect("members").iter().map(|m| m["handle"].as_str().expect("handle")).collect();
        assert_eq!(members, ["acme", "globex"]);
        assert!(created.text.contains("Joint objectives are signed off by both sides"));

        // An open gate names what is missing, and nothing moves.
        let open = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/advance"), json!({})).await;
        assert_eq!(open.status, 409, "{}", open.text);
        assert!(open.text.contains("An executive sponsor is named"), "{}", open.text);

        // The groundwork stages are each side's own: one member moves them on.
        for (from, to) in [("awareness", "knowledge"), ("knowledge", "internal_assessment"), ("internal_assessment", "partner_selection")] {
            meet_gate(&app, &acme, "acme", &id, from).await;
            let moved = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/advance"), json!({ "reason": "groundwork done" })).await;
            assert_eq!(moved.status, 200, "{}", moved.text);
            assert_eq!(moved.json["outcome"], "advanced");
            assert_eq!(stage(&moved), to);
        }

        // Partner selection is joint: acme's request waits for globex.
        meet_gate(&app, &acme, "acme", &id, "partner_selection").await;
        let waiting = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/advance"), json!({})).await;
        assert_eq!(waiting.json["outcome"], "waiting", "{}", waiting.text);
        assert_eq!((waiting.json["approved"].as_u64(), waiting.json["of"].as_u64()), (Some(1), Some(2)));
        let seen = g.get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert_eq!(seen.json["approvals"].as_array().expect("approvals").len(), 1);

        // Globex reopens a piece of evidence: the approval given on it is withdrawn.
        let item = seen.json["gates"].as_array().expect("gates").iter()
            .find(|g| g["stage"] == "partner_selection").expect("an item")["id"].as_str().expect("id").to_owned();
        let reopened = g.put(&format!("/api/v1/orgs/globex/partnerships/{id}/evidence/{item}"), json!({ "met": false })).await;
        assert_eq!((reopened.json["id"].as_str(), &reopened.json["met"]), (Some(item.as_str()), &serde_json::Value::Null), "{}", reopened.text);
        let after = g.get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await;
        assert_eq!(after.json["approvals"].as_array().expect("approvals").len(), 0, "{}", after.text);
        g.put(&format!("/api/v1/orgs/globex/partnerships/{id}/evidence/{item}"), json!({ "met": true })).await;
        let first = g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/advance"), json!({ "reason": "objectives signed" })).await;
        assert_eq!(first.json["outcome"], "waiting", "{}", first.text);
        let second = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/advance"), json!({})).await;
        assert_eq!(second.json["outcome"], "advanced", "{}", second.text);
        assert_eq!(stage(&second), "working_together");

        // Both sides see the same state and the same history.
        let theirs = g.get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await;
        assert_eq!(stage(&theirs), "working_together");
        let kinds: Vec<&str> = theirs.json["history"].as_array().expect("history").iter().map(|e| e["kind"].as_str().expect("kind")).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "advanced").count(), 4, "{kinds:?}");
        assert_eq!(kinds.last(), Some(&"created"));
        let listed = g.get("/api/v1/orgs/globex/partnerships").await;
        assert_eq!(listed.json[0]["started_by"], "acme");

        // Evidence can be added ahead; a passed gate's evidence stays on record.
        let added = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/evidence"), json!({ "stage": "value_creation", "text": "Pipeline reviewed in the QBR" })).await;
        assert_eq!(added.status, 201, "{}", added.text);
        assert_eq!((added.json["stage"].as_str(), added.json["text"].as_str()), (Some("value_creation"), Some("Pipeline reviewed in the QBR")));
        let too_late = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/evidence"), json!({ "stage": "awareness", "text": "Late" })).await;
        assert_eq!(too_late.status, 422, "{}", too_late.text);
        let passed = theirs.json["gates"].as_array().expect("gates").iter()
            .find(|g| g["stage"] == "awareness").expect("an item")["id"].as_str().expect("id").to_owned();
        let kept = a.delete(&format!("/api/v1/orgs/acme/partnerships/{id}/evidence/{passed}")).await;
        assert_eq!(kept.status, 409, "{}", kept.text);

        // A stranger sees nothing; ending the connection ends the partner's access.
        assert_eq!(app.api_as(&initech).get(&format!("/api/v1/orgs/initech/partnerships/{id}")).await.status, 404);
        let connections = a.get("/api/v1/orgs/acme/connections").await;
        let connection = connections.json["items"][0]["id"].as_str().expect("id").to_owned();
        a.post(&format!("/api/v1/orgs/acme/connections/{connection}/end"), json!({})).await;
        assert_eq!(g.get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await.status, 404);
        assert!(g.get("/api/v1/orgs/globex/partnerships").await.json.as_array().expect("list").is_empty());
        assert_eq!(a.get(&format!("/api/v1/orgs/acme/partnerships/{id}")).await.status, 200);
    }
}

both_backends! {
    async fn a_risk_register_is_shared_sorted_and_seeded_with_common_risks(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let created = a.post("/api/v1/orgs/acme/partnerships", json!({ "name": "Co-branded ebook", "partners": ["globex"] })).await;
        let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();
        let suggested: Vec<&str> = created.json["suggested_risks"].as_array().expect("suggested").iter().map(|r| r["title"].as_str().expect("title")).collect();
        assert!(suggested.contains(&"Over-contacting shared prospects"), "{suggested:?}");
        assert_eq!(suggested.len(), 6);

        let mild = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/risks"), json!({ "title": "Key person leaving", "likelihood": "low", "impact": "medium", "owner": "Ann" })).await;
        assert_eq!(mild.status, 201, "{}", mild.text);
        let bad = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/risks"), json!({ "title": "", "likelihood": "huge", "impact": "high", "owner_org": "initech", "review_on": "next week" })).await;
        assert_eq!(bad.status, 422);
        let fields: Vec<&str> = bad.json["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
        assert_eq!(fields, ["title", "likelihood", "owner_org", "review_on"]);

        // The partner adds the worst one, owned by itself; both see it first.
        let g = app.api_as(&globex);
        let worst = g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/risks"), json!({
            "title": "Brand misalignment", "likelihood": "high", "impact": "high", "owner": "Zed",
            "mitigation": "Approve every co-branded asset on both sides", "review_on": "2027-01-31" })).await;
        assert_eq!(worst.status, 201, "{}", worst.text);
        let seen = a.get(&format!("/api/v1/orgs/acme/partnerships/{id}")).await;
        assert_eq!(seen.json["risks"][0]["title"], "Brand misalignment");
        assert_eq!(seen.json["risks"][0]["score"], 9);
        assert_eq!(seen.json["risks"][0]["review_on"], "2027-01-31");
        assert_eq!(seen.json["suggested_risks"].as_array().expect("suggested").len(), 4);

        // Closing it sends it below the open ones, and the history says so.
        let risk = seen.json["risks"][0]["id"].as_str().expect("id").to_owned();
        let closed = a.put(&format!("/api/v1/orgs/acme/partnerships/{id}/risks/{risk}"), json!({ "title": "Brand misalignment", "likelihood": "high", "impact": "high", "closed": true })).await;
        assert_eq!(closed.status, 200, "{}", closed.text);
        assert_eq!(closed.json["id"], risk.as_str());
        assert!(closed.json["closed_at"].is_string(), "{}", closed.text);
        let after = a.get(&format!("/api/v1/orgs/acme/partnerships/{id}")).await;
        assert_eq!(after.json["risks"][0]["title"], "Key person leaving");
        assert_eq!(after.json["risks"][1], closed.json, "the answer is the risk as the register shows it");
        assert_eq!(after.json["history"][0]["kind"], "risk_closed");
    }
}

both_backends! {
    async fn goals_and_contributions_show_on_track_and_imbalance_in_the_health(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let g = app.api_as(&globex);
        let created = a.post("/api/v1/orgs/acme/partnerships", json!({ "name": "Joint webinars", "partners": ["globex"] })).await;
        let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();
        let base = format!("/api/v1/orgs/acme/partnerships/{id}");

        let fresh = a.get(&format!("{base}/performance")).await;
        assert_eq!(fresh.status, 200, "{}", fresh.text);
        assert_eq!(fresh.json["health"]["score"], 100, "only recent activity counts at first: {}", fresh.text);

        let bad = a.post(&format!("{base}/goals"), json!({ "metric": "", "target": -1, "starts_on": "2027-02-01", "ends_on": "2027-01-01" })).await;
        assert_eq!(bad.status, 422);
        let fields: Vec<&str> = bad.json["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
        assert_eq!(fields, ["metric", "target", "ends_on"]);

        // A goal whose year is almost over with a tenth done is off track.
        let today = chrono::Utc::now().date_naive();
        let start = (today - chrono::Duration::days(330)).to_string();
        let end = (today + chrono::Duration::days(30)).to_string();
        let goal = a.post(&format!("{base}/goals"), json!({ "metric": "Sourced pipeline", "target": 100000, "unit": "EUR", "starts_on": start, "ends_on": end, "owner_org": "globex" })).await;
        assert_eq!(goal.status, 201, "{}", goal.text);
        assert_eq!(goal.json["status"], "off_track");
        let goal_id = goal.json["id"].as_str().expect("id").to_owned();
        let read = g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/goals/{goal_id}/readings"), json!({ "value": 95000, "note": "Q4 deals" })).await;
        assert_eq!(read.status, 201, "{}", read.text);
        assert_eq!((read.json["id"].as_str(), &read.json["status"]), (Some(goal_id.as_str()), &json!("on_track")));
        assert_eq!(read.json["current"], 95000.0);
        assert_eq!(read.json["readings"][0]["note"], "Q4 deals");

        // Acme delivers what it committed; globex a fifth: the health says who.
        let committed = a.put(&format!("{base}/commitments/events"), json!({ "amount": 2 })).await;
        assert_eq!((committed.status, &committed.json["kinds"]), (200, &json!([["events", 2.0, 0.0]])), "{}", committed.text);
        let delivered = a.post(&format!("{base}/contributions"), json!({ "kind": "events", "amount": 2 })).await;
        assert_eq!((delivered.status, &delivered.json["kinds"]), (201, &json!([["events", 2.0, 2.0]])), "{}", delivered.text);
        assert_eq!(delivered.json["name"], "acme Inc.");
        g.put(&format!("/api/v1/orgs/globex/partnerships/{id}/commitments/content_pieces"), json!({ "amount": 5 })).await;
        let their_side = g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/contributions"), json!({ "kind": "content_pieces", "amount": 1, "note": "ebook draft" })).await;
        assert_eq!(their_side.status, 201, "{}", their_side.text);
        assert_eq!(their_side.json["delivered_share"], 0.2);
        let last = a.get(&format!("{base}/performance")).await;
        let reasons = last.json["health"]["reasons"].as_array().expect("reasons");
        assert!(reasons.iter().any(|r| r == "delivered against commitments: acme Inc. 100%, globex Inc. 20%"), "{reasons:?}");
        assert!(last.json["health"]["score"].as_u64().expect("score") < 80, "{}", last.text);
        let wrong_kind = a.put(&format!("{base}/commitments/goodwill"), json!({ "amount": 1 })).await;
        assert_eq!(wrong_kind.status, 422);

        // Both sides see the same figures; the history records each step.
        let theirs = g.get(&format!("/api/v1/orgs/globex/partnerships/{id}/performance")).await;
        assert_eq!(theirs.json["health"], last.json["health"]);
        let history = a.get(&base).await;
        let kinds: Vec<&str> = history.json["history"].as_array().expect("history").iter().map(|e| e["kind"].as_str().expect("kind")).collect();
        for kind in ["goal_added", "progress_recorded", "commitment_set", "contribution_recorded"] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
    }
}

both_backends! {
    async fn roles_raci_and_rules_are_agreed_by_both_sides(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let g = app.api_as(&globex);
        let created = a.post("/api/v1/orgs/acme/partnerships", json!({ "name": "Joint webinars", "partners": ["globex"] })).await;
        let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();
        let base = format!("/api/v1/orgs/acme/partnerships/{id}");
        let theirs = format!("/api/v1/orgs/globex/partnerships/{id}");

        let named = a.put(&format!("{base}/roles/executive_sponsor"), json!({ "person": "Ada Sponsor", "email": "ada@acme.example" })).await;
        assert_eq!(named.status, 200, "{}", named.text);
        assert_eq!((named.json["role"].as_str(), named.json["person"].as_str()), (Some("executive_sponsor"), Some("Ada Sponsor")));
        let custom = g.put(&format!("{theirs}/roles/Events Lead"), json!({ "person": "Gus" })).await;
        assert_eq!((custom.json["role"].as_str(), custom.json["person"].as_str()), (Some("events_lead"), Some("Gus")), "{}", custom.text);
        let both_named = a.get(&format!("{base}/engagement")).await;
        assert_eq!(both_named.json["roles"].as_array().expect("roles").len(), 2, "{}", both_named.text);
        let cleared = g.put(&format!("{theirs}/roles/events-lead"), json!({ "person": "" })).await;
        assert_eq!((cleared.json["role"].as_str(), cleared.json["person"].as_str()), (Some("events_lead"), Some("")), "{}", cleared.text);
        let bad_mail = a.put(&format!("{base}/roles/sales_lead"), json!({ "person": "Sam", "email": "not-an-address" })).await;
        assert_eq!(bad_mail.status, 422);

        // Every standard area starts without an owner; setting them closes the gaps.
        let empty = a.get(&format!("{base}/engagement")).await;
        assert!(empty.json["gaps"].as_array().expect("gaps").iter().any(|g| g == "Lead follow-up: nobody is accountable"));
        a.put(&format!("{base}/raci"), json!({ "area": "Lead follow-up", "letters": "RA" })).await;
        let both = g.put(&format!("{theirs}/raci"), json!({ "area": " Lead follow-up ", "letters": "A" })).await;
        assert_eq!((both.json["area"].as_str(), both.json["letters"].as_str()), (Some("Lead follow-up"), Some("A")), "{}", both.text);
        let gaps: Vec<&str> = both.json["gaps"].as_array().expect("gaps").iter().map(|g| g.as_str().expect("gap")).collect();
        assert!(gaps.contains(&"Lead follow-up: acme Inc. and globex Inc. are all accountable; one side should own it"), "{gaps:?}");
        let wrong = a.put(&format!("{base}/raci"), json!({ "area": "Reporting", "letters": "RX" })).await;
        assert_eq!(wrong.status, 422);

        // The rules: written by one side, approved by the other; a change needs approval again.
        let refused = a.put(&format!("{base}/rules"), json!({ "rules": { "telepathy": "yes" }, "time_zone": "Berlin" })).await;
        assert_eq!(refused.status, 422);
        let fields: Vec<&str> = refused.json["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
        assert_eq!(fields, ["rules.telepathy", "time_zone"]);
        let v1 = a.put(&format!("{base}/rules"), json!({ "rules": { "shared_accounts": "Acme leads on shared customers", "channels": "Shared Slack channel" }, "time_zone": "Europe/Berlin" })).await;
        assert_eq!(v1.status, 200, "{}", v1.text);
        assert_eq!((v1.json["version"].as_i64(), v1.json["agreed"].as_bool()), (Some(1), Some(false)));
        let agreed = g.post(&format!("{theirs}/rules/approve"), json!({ "version": 1 })).await;
        assert_eq!(agreed.json["agreed"], true, "{}", agreed.text);
        let v2 = g.put(&format!("{theirs}/rules"), json!({ "rules": { "shared_accounts": "Each side leads on its own customers" }, "time_zone": "America/New_York" })).await;
        assert_eq!((v2.json["version"].as_i64(), v2.json["agreed"].as_bool()), (Some(2), Some(false)));
        assert_eq!(v2.json["time_zones"]["acme"], "Europe/Berlin");
        assert_eq!(v2.json["time_zones"]["globex"], "America/New_York");
        let stale = a.post(&format!("{base}/rules/approve"), json!({ "version": 1 })).await;
        assert_eq!(stale.status, 409, "{}", stale.text);
        let fresh = a.post(&format!("{base}/rules/approve"), json!({ "version": 2 })).await;
        assert_eq!(fresh.json["agreed"], true, "{}", fresh.text);
        assert!(fresh.json["rules"].get("channels").is_none(), "version 2 replaced the rules");
    }
}

comark_testkit::both_backends_with! { comark_testkit::Options { mail: true, ..Default::default() };
    async fn partners_are_told_by_email_when_their_approval_is_needed(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let created = a.post("/api/v1/orgs/acme/partnerships", json!({ "name": "Joint webinars", "partners": ["globex"] })).await;
        let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();
        for from in ["awareness", "knowledge", "internal_assessment", "partner_selection"] {
            meet_gate(&app, &acme, "acme", &id, from).await;
            a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/advance"), json!({ "reason": "ready" })).await;
        }
        app.run_jobs().await;
        let mailbox = app.mailbox.clone().expect("mailbox");
        let mails = mailbox.messages_to("owner@globex.example");
        assert!(mails.iter().any(|m| m.raw.contains("started the partnership")), "{mails:#?}");
        let ask = mails.iter().find(|m| m.raw.contains("Your approval is needed")).expect("an approval request");
        let link = ask.first_link().expect("a link");
        assert!(link.ends_with(&format!("/o/globex/partnerships/{id}")), "{link}");
        // Nobody at acme is mailed about acme's own moves.
        assert!(mailbox.messages_to("owner@acme.example").iter().all(|m| !m.raw.contains("Joint webinars")));
    }
}

comark_testkit::both_backends_with! { comark_testkit::Options { mail: true, ..Default::default() };
    async fn triggers_warn_both_sides_and_the_exit_ends_the_sharing(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let g = app.api_as(&globex);
        // Acme shares its customers' counts with globex, before the partnership.
        a.put("/api/v1/orgs/acme/mappings/globex/sharing/customer", json!({ "level": "counts" })).await;
        let created = a.post("/api/v1/orgs/acme/partnerships", json!({ "name": "Joint webinars", "partners": ["globex"] })).await;
        let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();
        let base = format!("/api/v1/orgs/acme/partnerships/{id}");

        let bad = a.put(&format!("{base}/exit-strategy"), json!({ "notice_days": 900, "data_handling": "sell_it", "triggers": [{ "kind": "health_below", "score": 0 }] })).await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        let agreed = a.put(&format!("{base}/exit-strategy"), json!({
            "notice_days": 30, "data_handling": "stop_sharing",
            "assets": "Each side keeps its own; co-branded assets are retired",
            "leads": "Open leads stay with whoever holds them",
            "triggers": [{ "kind": "contribution_below", "percent": 50 }, { "kind": "breach" }] })).await;
        assert_eq!(agreed.status, 200, "{}", agreed.text);
        assert!(agreed.json["alerts"].as_array().expect("alerts").is_empty());

        // Globex delivers a fifth of what it committed: the trigger fires once, both are warned.
        g.put(&format!("/api/v1/orgs/globex/partnerships/{id}/commitments/leads"), json!({ "amount": 10 })).await;
        g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/contributions"), json!({ "kind": "leads", "amount": 2 })).await;
        g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/contributions"), json!({ "kind": "leads", "amount": 1 })).await;
        let exit = a.get(&format!("{base}/exit")).await;
        let alerts = exit.json["alerts"].as_array().expect("alerts");
        assert_eq!(alerts.len(), 1, "{}", exit.text);
        let reason = alerts[0]["reason"].as_str().expect("reason");
        assert!(reason.starts_with("globex Inc. delivered") && reason.ends_with("(the trigger is 50%)"), "{reason}");
        app.run_jobs().await;
        let mailbox = app.mailbox.clone().expect("mailbox");
        for address in ["owner@acme.example", "owner@globex.example"] {
            let warned = mailbox.messages_to(address).into_iter().filter(|m| m.raw.contains("Exit trigger fired")).count();
            assert_eq!(warned, 1, "{address} should be warned exactly once");
        }

        let breach = g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/breaches"), json!({ "description": "Acme emailed our customers directly" })).await;
        assert_eq!(breach.status, 201, "{}", breach.text);
        assert_eq!(breach.json["alerts"].as_array().expect("alerts").len(), 2);

        // The exit: 30 days' notice as agreed; until then the partnership goes on, and the
        // notice can be withdrawn.
        let noticed = a.post(&format!("{base}/exit"), json!({ "review": "We part as agreed." })).await;
        assert_eq!(noticed.status, 200, "{}", noticed.text);
        assert!(noticed.json["closing_review"].is_null(), "not exited yet: {}", noticed.text);
        let effective = noticed.json["notice"]["effective_at"].as_str().expect("effective").to_owned();
        let days = (chrono::DateTime::parse_from_rfc3339(&effective).expect("date").with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
        assert!((29..=30).contains(&days), "30 days' notice: {effective}");
        let during = g.get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await;
        assert_ne!(during.json["partnership"]["stage"], "exit");
        assert_eq!(during.json["history"][0]["kind"], "exit_notice");
        let again = a.post(&format!("{base}/exit"), json!({ "review": "again" })).await;
        assert_eq!(again.status, 409, "one notice at a time: {}", again.text);
        let withdrawn = g.delete(&format!("/api/v1/orgs/globex/partnerships/{id}/exit")).await;
        assert!(withdrawn.json["notice"].is_null(), "{}", withdrawn.text);
        assert_eq!(g.delete(&format!("/api/v1/orgs/globex/partnerships/{id}/exit")).await.status, 409);
        a.post(&format!("{base}/exit"), json!({ "review": "Contribution fell short twice; we part as agreed." })).await;
        app.run_jobs().await;
        let told = mailbox.messages_to("owner@globex.example");
        assert!(told.iter().any(|m| m.raw.contains("Subject: Notice of exit: \"Joint webinars\"")), "{told:#?}");

        // The watcher runs as a job every hour: one chain, however often it is scheduled.
        use comark_app::exit::{schedule_watch, WATCH_JOB};
        schedule_watch(&app.app, chrono::Utc::now(), 0).await.expect("schedule");
        schedule_watch(&app.app, chrono::Utc::now(), 0).await.expect("schedule");
        assert_eq!(app.store.pending_jobs(WATCH_JOB).await.expect("jobs").len(), 1);
        app.run_jobs().await;
        assert_eq!(app.store.pending_jobs(WATCH_JOB).await.expect("jobs").len(), 1, "the next round waits an hour");
        assert_ne!(g.get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await.json["partnership"]["stage"], "exit");

        // comark's watcher: a day early nothing happens; once the notice ran, the exit takes
        // effect: stage exit, the closing review kept, sharing stopped, changes refused.
        let soon = comark_app::exit::watch(&app.app, chrono::Utc::now() + chrono::Duration::days(29)).await.expect("watch");
        assert_eq!(soon.exits, 0);
        assert_eq!(a.get(&format!("{base}/exit")).await.json["closing_review"], serde_json::Value::Null);
        let due = comark_app::exit::watch(&app.app, chrono::Utc::now() + chrono::Duration::days(31)).await.expect("watch");
        assert_eq!(due.exits, 1);
        let ended = a.get(&format!("{base}/exit")).await;
        assert_eq!(ended.json["closing_review"], "Contribution fell short twice; we part as agreed.", "{}", ended.text);
        let theirs = g.get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await;
        assert_eq!(theirs.json["partnership"]["stage"], "exit");
        assert_eq!(theirs.json["history"][0]["kind"], "exited");
        let mapping = g.get("/api/v1/orgs/globex/mappings/acme").await;
        assert_eq!(mapping.json["view"]["columns"].as_array().expect("columns").len(), 0, "{}", mapping.text);
        let late = a.post(&format!("{base}/risks"), json!({ "title": "Too late", "likelihood": "low", "impact": "low" })).await;
        assert_eq!(late.status, 409, "{}", late.text);
        let twice = a.post(&format!("{base}/exit"), json!({ "review": "again" })).await;
        assert_eq!(twice.status, 409);
    }
}

both_backends! {
    async fn a_change_answers_with_what_it_changed_however_big_the_partnership_grows(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let created = a.post("/api/v1/orgs/acme/partnerships", json!({ "name": "Long haul", "partners": ["globex"] })).await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();
        let base = format!("/api/v1/orgs/acme/partnerships/{id}");
        let location = created.headers.get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        assert_eq!(location.as_deref(), Some(base.as_str()), "a create says where the partnership is");
        assert_eq!(a.get(&base).await.status, 200);

        for n in 0..200 {
            let added = a.post(&format!("{base}/risks"), json!({ "title": format!("Risk {n}"), "likelihood": "low", "impact": "low" })).await;
            assert_eq!(added.status, 201, "{}", added.text);
        }
        let full = a.get(&base).await;
        assert_eq!(full.json["risks"].as_array().expect("risks").len(), 200);
        assert!(full.text.len() > 40_000, "the full view holds every risk and its history: {} bytes", full.text.len());

        // Each change answers with what it changed, whatever else the partnership holds.
        let risk = a.post(&format!("{base}/risks"), json!({ "title": "One more", "likelihood": "high", "impact": "medium", "owner": "Ann" })).await;
        assert_eq!(risk.status, 201, "{}", risk.text);
        assert_eq!((risk.json["title"].as_str(), risk.json["score"].as_u64()), (Some("One more"), Some(6)));
        let risk_id = risk.json["id"].as_str().expect("id").to_owned();
        let listed = a.get(&base).await.json["risks"].as_array().expect("risks").iter()
            .find(|r| r["id"] == risk_id.as_str()).cloned().expect("in the register");
        assert_eq!(listed, risk.json, "the answer is the risk as the register shows it");
        let item = full.json["gates"][0]["id"].as_str().expect("item").to_owned();
        let today = chrono::Utc::now().date_naive();
        let goal = a.post(&format!("{base}/goals"), json!({ "metric": "Leads", "target": 10, "starts_on": today.to_string(), "ends_on": (today + chrono::Duration::days(90)).to_string() })).await;
        let goal_id = goal.json["id"].as_str().expect("goal").to_owned();
        let answers = vec![
            ("add a risk", risk),
            ("change a risk", a.put(&format!("{base}/risks/{risk_id}"), json!({ "title": "One more", "likelihood": "low", "impact": "low", "closed": true })).await),
            ("add evidence", a.post(&format!("{base}/evidence"), json!({ "stage": "awareness", "text": "A budget is agreed" })).await),
            ("meet evidence", a.put(&format!("{base}/evidence/{item}"), json!({ "met": true })).await),
            ("add a goal", goal),
            ("read a goal", a.post(&format!("{base}/goals/{goal_id}/readings"), json!({ "value": 4 })).await),
            ("commit", a.put(&format!("{base}/commitments/events"), json!({ "amount": 2 })).await),
            ("contribute", a.post(&format!("{base}/contributions"), json!({ "kind": "events", "amount": 1 })).await),
            ("name a role", a.put(&format!("{base}/roles/executive_sponsor"), json!({ "person": "Ada" })).await),
            ("set the RACI", a.put(&format!("{base}/raci"), json!({ "area": "Reporting", "letters": "RA" })).await),
            ("write the rules", a.put(&format!("{base}/rules"), json!({ "rules": { "rhythm": "Monthly call" } })).await),
        ];
        for (change, reply) in &answers {
            assert!(reply.status == 200 || reply.status == 201, "{change}: {} {}", reply.status, reply.text);
            assert!(reply.text.len() < 2_000, "{change} answered {} bytes: {}", reply.text.len(), reply.text);
            for whole in ["risks", "history", "goals", "gates"] {
                assert!(reply.json.get(whole).is_none(), "{change} answered with the partnership's {whole}");
            }
        }

        // A request to move on answers with the stage it is at, its gate and approvals.
        for evidence in a.get(&base).await.json["gates"].as_array().expect("gates").iter().filter(|g| g["stage"] == "awareness") {
            let item = evidence["id"].as_str().expect("item");
            a.put(&format!("{base}/evidence/{item}"), json!({ "met": true })).await;
        }
        let moved = a.post(&format!("{base}/advance"), json!({ "reason": "ready" })).await;
        assert_eq!(moved.status, 200, "{}", moved.text);
        assert_eq!((moved.json["outcome"].as_str(), moved.json["partnership"]["stage"].as_str()), (Some("advanced"), Some("knowledge")));
        let gate = moved.json["gate"].as_array().expect("gate");
        assert!(!gate.is_empty() && gate.iter().all(|g| g["stage"] == "knowledge"), "{}", moved.text);
        assert!(moved.text.len() < 4_000, "advancing answered {} bytes", moved.text.len());
        assert!(moved.json.get("risks").is_none() && moved.json["partnership"].get("risks").is_none());
    }
}

both_backends! {
    async fn two_partners_approving_at_the_same_moment_move_the_partnership_on(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let (a, g) = (app.api_as(&acme), app.api_as(&globex));
        for round in 0..8 {
            let created = a
                .post("/api/v1/orgs/acme/partnerships", json!({ "name": format!("Campaign {round}"), "partners": ["globex"] }))
                .await;
            assert_eq!(created.status, 201, "{}", created.text);
            let id = created.json["partnership"]["id"].as_str().expect("id").to_owned();
            for from in ["awareness", "knowledge", "internal_assessment", "partner_selection"] {
                meet_gate(&app, &acme, "acme", &id, from).await;
                if from != "partner_selection" {
                    let moved = a.post(&format!("/api/v1/orgs/acme/partnerships/{id}/advance"), json!({})).await;
                    assert_eq!(moved.json["outcome"], "advanced", "{}", moved.text);
                }
            }
            // The joint gate: both approvals arrive together.
            let (our_path, their_path) = (
                format!("/api/v1/orgs/acme/partnerships/{id}/advance"),
                format!("/api/v1/orgs/globex/partnerships/{id}/advance"),
            );
            let (ours, theirs) = tokio::join!(a.post(&our_path, json!({})), g.post(&their_path, json!({})));
            assert_eq!((ours.status, theirs.status), (200, 200), "{} / {}", ours.text, theirs.text);
            let mut outcomes = [ours.json["outcome"].as_str(), theirs.json["outcome"].as_str()];
            outcomes.sort();
            assert_eq!(outcomes, [Some("advanced"), Some("waiting")], "round {round}: {} / {}", ours.text, theirs.text);
            let seen = g.get(&format!("/api/v1/orgs/globex/partnerships/{id}")).await;
            assert_eq!(stage(&seen), "working_together", "round {round}");
        }
    }
}
