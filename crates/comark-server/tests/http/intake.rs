//! Inbound partnership requests through the API: the public form, the rate limit, the
//! vetting queue, decisions e-mailed to the requester, and a request becoming a partnership.

use super::*;

fn request(company: &str, email: &str) -> serde_json::Value {
    json!({
        "name": "Rita Requester", "email": email, "company": company, "website": "requesters.example",
        "kind": "co_promotion", "audience": "20,000 RevOps newsletter readers",
        "contribution": "A newsletter feature", "message": "We would like to promote your integration."
    })
}

both_backends! {
    async fn a_closed_form_takes_nothing_and_bad_requests_name_their_fields(app) {
        let acme = app.owner_of("acme").await;
        let a = app.api_as(&acme);
        // Closed by default: the form does not exist for the public.
        let closed = app.api().get("/api/v1/intake/acme").await;
        assert_eq!(closed.status, 404, "{}", closed.text);
        let refused = app.api().post("/api/v1/intake/acme", request("Rq", "rita@example.com")).await;
        assert_eq!(refused.status, 404, "{}", refused.text);

        let settings = a.get("/api/v1/orgs/acme/intake").await;
        assert_eq!(settings.json["open"], false);
        assert_eq!(settings.json["checklist"][0], "Shared values", "the default checklist: {}", settings.text);
        assert!(settings.json["link"].as_str().expect("link").ends_with("/r/acme"));

        let empty = a.put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": [" ", ""] })).await;
        assert_eq!(empty.status, 422, "{}", empty.text);
        assert!(empty.text.contains("checklist"), "{}", empty.text);
        let opened = a.put("/api/v1/orgs/acme/intake", json!({ "open": true, "intro": "We partner with RevOps tools.",
            "checklist": ["Shared values", " shared values ", "Audience fit", "Legal"] })).await;
        assert_eq!(opened.status, 200, "{}", opened.text);
        assert_eq!(opened.json["checklist"], json!(["Shared values", "Audience fit", "Legal"]), "trimmed and deduplicated");

        let form = app.api().get("/api/v1/intake/acme").await;
        assert_eq!(form.status, 200, "{}", form.text);
        assert_eq!(form.json["intro"], "We partner with RevOps tools.");
        assert!(form.json["kinds"].as_array().expect("kinds").contains(&json!("co_branding")));

        let bad = app.api().post("/api/v1/intake/acme", json!({ "name": "", "email": "nope", "company": "", "kind": "party", "message": "" })).await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        for field in ["name", "email", "company", "kind", "message"] {
            assert!(bad.text.contains(&format!("\"field\":\"{field}\"")), "{field} not named: {}", bad.text);
        }
        let queue = a.get("/api/v1/orgs/acme/requests").await;
        assert!(queue.json.as_array().expect("queue").is_empty(), "nothing bad was filed");
    }

    async fn the_public_form_is_rate_limited_per_address_and_spam_is_filed_apart(app) {
        let acme = app.owner_of("acme").await;
        let a = app.api_as(&acme);
        a.put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values"] })).await;
        let public = app.api();
        let stuffed = json!({ "name": "Bot", "email": "bot@example.com", "company": "Cheap Pills",
            "kind": "other", "message": "buy https://a.example https://b.example https://c.example https://d.example" });
        let spam = public.post("/api/v1/intake/acme", stuffed).await;
        assert_eq!(spam.status, 202, "spam is answered like any request: {}", spam.text);
        for n in 0..4 {
            let sent = public.post("/api/v1/intake/acme", request(&format!("Requester {n}"), &format!("r{n}@example.com"))).await;
            assert_eq!(sent.status, 202, "{}", sent.text);
        }
        // The sixth request from the same address within the hour is throttled.
        let sixth = public.post("/api/v1/intake/acme", request("One too many", "more@example.com")).await;
        assert_eq!(sixth.status, 429, "{}", sixth.text);
        assert!(sixth.headers.get("retry-after").is_some(), "{:?}", sixth.headers);

        let new = a.get("/api/v1/orgs/acme/requests?status=new").await;
        assert_eq!(new.json.as_array().expect("new").len(), 4, "{}", new.text);
        let filtered = a.get("/api/v1/orgs/acme/requests?status=spam").await;
        let filtered = filtered.json.as_array().expect("spam").clone();
        assert_eq!(filtered.len(), 1);
        assert_eq!(filtered[0]["company"], "Cheap Pills");
        assert!(filtered[0]["spam_reason"].as_str().expect("reason").contains("4 links"));
        let bad_filter = a.get("/api/v1/orgs/acme/requests?status=maybe").await;
        assert_eq!(bad_filter.status, 422, "{}", bad_filter.text);
    }

    async fn another_organization_never_sees_a_queue(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        app.api_as(&acme).put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values"] })).await;
        let sent = app.api_as(&globex).post("/api/v1/orgs/globex/sent-requests", json!({ "to": "acme", "request": request("globex Inc.", "owner@globex.example") })).await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        let queue = app.api_as(&acme).get("/api/v1/orgs/acme/requests").await;
        let id = queue.json[0]["id"].as_str().expect("id").to_owned();
        // Even the sender, connected, sees neither acme's queue nor the request.
        let g = app.api_as(&globex);
        assert_eq!(g.get("/api/v1/orgs/acme/requests").await.status, 404);
        assert_eq!(g.get(&format!("/api/v1/orgs/acme/requests/{id}")).await.status, 404);
        assert_eq!(g.get(&format!("/api/v1/orgs/globex/requests/{id}")).await.status, 404);
        assert!(g.get("/api/v1/orgs/globex/requests").await.json.as_array().expect("queue").is_empty());
        // Nor can an organization send a request to itself.
        let own = app.api_as(&acme).post("/api/v1/orgs/acme/sent-requests", json!({ "to": "acme", "request": request("Acme", "owner@acme.example") })).await;
        assert_eq!(own.status, 409, "{}", own.text);
    }
}

both_backends! {
    async fn asking_as_an_organization_shows_its_profile_to_those_asked_only(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        let initech = app.owner_of("initech").await;
        app.api_as(&acme).put("/api/v1/orgs/acme/profile", json!({ "industries": ["retail"] })).await;
        // Globex is neither listed nor connected to anyone.
        app.api_as(&globex).put("/api/v1/orgs/globex/profile", json!({ "industries": ["retail"], "listed": false })).await;
        app.api_as(&acme).put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values"] })).await;
        assert_eq!(app.api_as(&acme).get("/api/v1/orgs/acme/directory/globex").await.status, 404, "not visible before asking");
        let sent = app.api_as(&globex).post("/api/v1/orgs/globex/sent-requests", json!({ "to": "acme", "request": request("globex Inc.", "owner@globex.example") })).await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        let id = app.api_as(&acme).get("/api/v1/orgs/acme/requests").await.json[0]["id"].as_str().expect("id").to_owned();
        let seen = app.api_as(&acme).get(&format!("/api/v1/orgs/acme/requests/{id}")).await;
        assert!(seen.json["fit"]["score"].as_u64().is_some(), "{}", seen.text);
        assert_eq!(seen.json["connected"], false);
        assert_eq!(app.api_as(&acme).get("/api/v1/orgs/acme/directory/globex").await.status, 200);
        // Someone not asked still sees nothing.
        assert_eq!(app.api_as(&initech).get("/api/v1/orgs/initech/directory/globex").await.status, 404);
        // Marked as spam, the request no longer opens the profile; globex sees it declined.
        app.api_as(&acme).post(&format!("/api/v1/orgs/acme/requests/{id}/decision"), json!({ "decision": "spam" })).await;
        let mine = app.api_as(&globex).get("/api/v1/orgs/globex/sent-requests").await;
        assert_eq!(mine.json[0]["status"], "declined", "{}", mine.text);
        assert_eq!(app.api_as(&acme).get("/api/v1/orgs/acme/directory/globex").await.status, 404);
    }
}

comark_testkit::both_backends_with! { comark_testkit::Options { mail: true, ..Default::default() };
    async fn a_request_is_vetted_accepted_and_becomes_a_partnership(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        let a = app.api_as(&acme);
        let g = app.api_as(&globex);
        for (token, org) in [(&acme, "acme"), (&globex, "globex")] {
            let saved = app.api_as(token).put(&format!("/api/v1/orgs/{org}/profile"), json!({ "industries": ["saas"], "listed": true })).await;
            assert_eq!(saved.status, 200, "{}", saved.text);
        }
        let marketer = app.member_of(&acme, "acme", "marketer").await;
        a.put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values", "Audience fit"] })).await;

        // Globex sends it signed in, so acme sees who is asking and how well they fit.
        let sent = g.post("/api/v1/orgs/globex/sent-requests", json!({ "to": "@acme", "request": request("globex Inc.", "owner@globex.example") })).await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        app.run_jobs().await;
        let mailbox = app.mailbox.clone().expect("mailbox");
        let told = mailbox.messages_to("owner@acme.example");
        let mail = told.iter().find(|m| m.raw.contains("New partnership request from globex Inc.")).expect("the vetters are told");
        let id = app.api_as(&acme).get("/api/v1/orgs/acme/requests").await.json[0]["id"].as_str().expect("id").to_owned();
        assert!(mail.first_link().expect("link").ends_with(&format!("/o/acme/requests/{id}")));

        let base = format!("/api/v1/orgs/acme/requests/{id}");
        let seen = a.get(&base).await;
        assert_eq!(seen.json["status"], "new");
        assert_eq!(seen.json["requester"]["handle"], "globex");
        assert!(seen.json["fit"]["score"].as_u64().is_some(), "the fit is shown: {}", seen.text);
        assert_eq!(seen.json["connected"], true);
        assert_eq!(seen.json["pending"], 2);

        // A marketer may read the queue but not vet.
        let m = app.api_as(&marketer);
        assert_eq!(m.get(&base).await.status, 200);
        assert_eq!(m.post(&format!("{base}/checks"), json!({ "item": "Shared values", "verdict": "pass" })).await.status, 403);

        let me = a.get("/api/v1/me").await.json["user"]["id"].as_str().expect("me").to_owned();
        let assigned = a.put(&format!("{base}/assignee"), json!({ "assignee": me })).await;
        assert_eq!(assigned.status, 200, "{}", assigned.text);
        assert_eq!(assigned.json["status"], "vetting", "assigning starts the vetting");
        let outsider = g.get("/api/v1/me").await.json["user"]["id"].as_str().expect("id").to_owned();
        let wrong = a.put(&format!("{base}/assignee"), json!({ "assignee": outsider })).await;
        assert_eq!(wrong.status, 422, "only a member vets: {}", wrong.text);

        let unknown = a.post(&format!("{base}/checks"), json!({ "item": "Horoscope", "verdict": "pass" })).await;
        assert_eq!(unknown.status, 422, "{}", unknown.text);
        a.post(&format!("{base}/checks"), json!({ "item": "Shared values", "verdict": "pass" })).await;
        let checked = a.post(&format!("{base}/checks"), json!({ "item": "Audience fit", "verdict": "concern", "note": "Smaller than ours" })).await;
        assert_eq!((checked.json["passed"].as_u64(), checked.json["concerns"].as_u64(), checked.json["pending"].as_u64()), (Some(1), Some(1), Some(0)), "{}", checked.text);

        // Not accepted yet: no partnership; declining needs a reason.
        let early = a.post(&format!("{base}/partnership"), json!({})).await;
        assert_eq!(early.status, 409, "{}", early.text);
        let silent = a.post(&format!("{base}/decision"), json!({ "decision": "decline" })).await;
        assert_eq!(silent.status, 422, "{}", silent.text);
        let accepted = a.post(&format!("{base}/decision"), json!({ "decision": "accept", "note": "Let's start with one webinar." })).await;
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        assert_eq!(accepted.json["status"], "accepted");
        let again = a.post(&format!("{base}/decision"), json!({ "decision": "decline", "note": "changed our mind" })).await;
        assert_eq!(again.status, 409, "a decided request stays decided: {}", again.text);
        app.run_jobs().await;
        let answer = mailbox.messages_to("owner@globex.example");
        assert!(answer.iter().any(|m| m.raw.contains("acme Inc. accepted your partnership request") && m.raw.contains("one webinar")), "{answer:#?}");

        // Globex sees where its request stands and acme's answer, never acme's vetting.
        let mine = g.get("/api/v1/orgs/globex/sent-requests").await;
        assert_eq!(mine.status, 200, "{}", mine.text);
        assert_eq!(mine.json[0]["to"]["handle"], "acme");
        assert_eq!(mine.json[0]["status"], "accepted");
        assert_eq!(mine.json[0]["answer"], "Let's start with one webinar.");
        assert!(!mine.text.contains("Smaller than ours"), "the vetting stays acme's: {}", mine.text);
        // A double click: two starts at once make one partnership, and the other is refused.
        let start = format!("{base}/partnership");
        let (first, second) = tokio::join!(
            a.post(&start, json!({ "name": "Joint webinars" })),
            a.post(&start, json!({ "name": "Joint webinars" }))
        );
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "{} / {}", first.text, second.text);
        let started = if first.status == 201 { first } else { second };
        let listed = a.get("/api/v1/orgs/acme/partnerships").await;
        let named = listed.json.as_array().expect("partnerships").iter().filter(|p| p["name"] == "Joint webinars").count();
        assert_eq!(named, 1, "{}", listed.text);
        let partnership = started.json["partnership"].as_str().expect("linked").to_owned();
        let location = started.headers.get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        assert_eq!(location, Some(format!("/api/v1/orgs/acme/partnerships/{partnership}")));
        let twice = a.post(&format!("{base}/partnership"), json!({})).await;
        assert_eq!(twice.status, 409, "{}", twice.text);
        // Both sides see the same partnership, with the request's proposal as its purpose.
        let theirs = g.get(&format!("/api/v1/orgs/globex/partnerships/{partnership}")).await;
        assert_eq!(theirs.status, 200, "{}", theirs.text);
        assert_eq!(theirs.json["partnership"]["name"], "Joint webinars");
        assert!(theirs.json["partnership"]["purpose"].as_str().expect("purpose").starts_with("Co-promotion:"));
        let history: Vec<String> = a.get(&base).await.json["history"].as_array().expect("history").iter().map(|e| e["kind"].as_str().expect("kind").to_owned()).collect();
        assert_eq!(history, ["received", "assigned", "checked", "checked", "accepted", "partnership_started"]);
    }

    async fn an_anonymous_requester_hears_the_decision_and_gets_a_link_to_connect(app) {
        let acme = app.owner_of("acme").await;
        let a = app.api_as(&acme);
        a.put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values"] })).await;
        app.api().post("/api/v1/intake/acme", request("Outsiders", "out@outsiders.example")).await;
        app.api().post("/api/v1/intake/acme", request("Also out", "also@outsiders.example")).await;
        let queue = a.get("/api/v1/orgs/acme/requests").await;
        let ids: Vec<String> = queue.json.as_array().expect("queue").iter().map(|r| r["id"].as_str().expect("id").to_owned()).collect();
        let fit = a.get(&format!("/api/v1/orgs/acme/requests/{}", ids[0])).await;
        assert!(fit.json["fit"].is_null());
        assert!(fit.json["fit_note"].as_str().expect("note").contains("not on this instance"));

        a.post(&format!("/api/v1/orgs/acme/requests/{}/decision", ids[0]), json!({ "decision": "decline", "note": "Our audiences do not overlap." })).await;
        a.post(&format!("/api/v1/orgs/acme/requests/{}/decision", ids[1]), json!({ "decision": "accept" })).await;
        app.run_jobs().await;
        let mailbox = app.mailbox.clone().expect("mailbox");
        let declined = mailbox.messages_to("also@outsiders.example");
        assert!(declined.iter().any(|m| m.raw.contains("Our audiences do not overlap.")), "{declined:#?}");
        let accepted = mailbox.messages_to("out@outsiders.example");
        let link = accepted.iter().find_map(|m| m.first_link()).expect("a link to connect");
        assert!(link.contains("/connect/"), "{link}");
        // A declined request can be reopened into vetting.
        let reopened = a.post(&format!("/api/v1/orgs/acme/requests/{}/decision", ids[0]), json!({ "decision": "reopen" })).await;
        assert_eq!(reopened.json["status"], "vetting", "{}", reopened.text);
    }

    async fn a_colleague_asked_to_vet_is_told_by_email_and_nobody_is_told_of_their_own_pick(app) {
        let acme = app.owner_of("acme").await;
        let a = app.api_as(&acme);
        a.put("/api/v1/orgs/acme/intake", json!({ "open": true, "checklist": ["Shared values"] })).await;
        app.api().post("/api/v1/intake/acme", request("Outsiders", "out@outsiders.example")).await;
        let id = a.get("/api/v1/orgs/acme/requests").await.json[0]["id"].as_str().expect("id").to_owned();
        let manager = app.member_of(&acme, "acme", "partner_manager").await;
        let colleague = app.api_as(&manager).get("/api/v1/me").await.json["user"].clone();
        let me = a.get("/api/v1/me").await.json["user"].clone();
        let mailbox = app.mailbox.clone().expect("mailbox");
        let asked = |to: &str| mailbox.messages_to(to).into_iter().filter(|m| m.raw.contains("Please vet")).count();

        let assigned = a.put(&format!("/api/v1/orgs/acme/requests/{id}/assignee"), json!({ "assignee": colleague["id"] })).await;
        assert_eq!(assigned.status, 200, "{}", assigned.text);
        app.run_jobs().await;
        let to = colleague["email"].as_str().expect("email");
        assert_eq!(asked(to), 1, "{:#?}", mailbox.messages_to(to));
        let mail = mailbox.messages_to(to).into_iter().find(|m| m.raw.contains("Please vet")).expect("the mail");
        assert!(mail.first_link().expect("a link").ends_with(&format!("/o/acme/requests/{id}")));

        let mine = a.put(&format!("/api/v1/orgs/acme/requests/{id}/assignee"), json!({ "assignee": me["id"] })).await;
        assert_eq!(mine.status, 200, "{}", mine.text);
        app.run_jobs().await;
        assert_eq!(asked(me["email"].as_str().expect("email")), 0);
        // A pick outside the organization is refused, and nobody is written to.
        let stranger = app.sign_up("Stranger", "stranger@elsewhere.example").await;
        let theirs = app.api_as(&stranger).get("/api/v1/me").await.json["user"]["id"].clone();
        let refused = a.put(&format!("/api/v1/orgs/acme/requests/{id}/assignee"), json!({ "assignee": theirs })).await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        app.run_jobs().await;
        assert_eq!(asked("stranger@elsewhere.example"), 0);
    }
}
