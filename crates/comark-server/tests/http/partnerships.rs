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

fn stage(reply: &comark_testkit::Reply) -> String {
    let partnership = if reply
        .json
        .get("partnership")
        .is_some_and(|p| p.get("partnership").is_some())
    {
        &reply.json["partnership"]["partnership"]
    } else {
        &reply.json["partnership"]
    };
    partnership["stage"].as_str().expect("stage").to_owned()
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
        assert_eq!(reopened.json["approvals"].as_array().expect("approvals").len(), 0, "{}", reopened.text);
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
        assert_eq!(closed.json["risks"][0]["title"], "Key person leaving");
        assert!(closed.json["risks"][1]["closed_at"].is_string());
        assert_eq!(closed.json["history"][0]["kind"], "risk_closed");
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
        assert_eq!(goal.json["goals"][0]["status"], "off_track");
        let goal_id = goal.json["goals"][0]["id"].as_str().expect("id").to_owned();
        let read = g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/goals/{goal_id}/readings"), json!({ "value": 95000, "note": "Q4 deals" })).await;
        assert_eq!(read.status, 201, "{}", read.text);
        assert_eq!(read.json["goals"][0]["status"], "on_track");
        assert_eq!(read.json["goals"][0]["current"], 95000.0);

        // Acme delivers what it committed; globex a fifth: the health says who.
        a.put(&format!("{base}/commitments/events"), json!({ "amount": 2 })).await;
        a.post(&format!("{base}/contributions"), json!({ "kind": "events", "amount": 2 })).await;
        g.put(&format!("/api/v1/orgs/globex/partnerships/{id}/commitments/content_pieces"), json!({ "amount": 5 })).await;
        let last = g.post(&format!("/api/v1/orgs/globex/partnerships/{id}/contributions"), json!({ "kind": "content_pieces", "amount": 1, "note": "ebook draft" })).await;
        assert_eq!(last.status, 201, "{}", last.text);
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
        assert_eq!(named.json["roles"][0]["person"], "Ada Sponsor");
        let custom = g.put(&format!("{theirs}/roles/Events Lead"), json!({ "person": "Gus" })).await;
        assert_eq!(custom.json["roles"].as_array().expect("roles").len(), 2, "{}", custom.text);
        let bad_mail = a.put(&format!("{base}/roles/sales_lead"), json!({ "person": "Sam", "email": "not-an-address" })).await;
        assert_eq!(bad_mail.status, 422);

        // Every standard area starts without an owner; setting them closes the gaps.
        let empty = a.get(&format!("{base}/engagement")).await;
        assert!(empty.json["gaps"].as_array().expect("gaps").iter().any(|g| g == "Lead follow-up: nobody is accountable"));
        a.put(&format!("{base}/raci"), json!({ "area": "Lead follow-up", "letters": "RA" })).await;
        let both = g.put(&format!("{theirs}/raci"), json!({ "area": "Lead follow-up", "letters": "A" })).await;
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
