//! CSV formula injection across organizations: what one organization types reaches another's
//! spreadsheet as text, through the API and the web UI, in every CSV comark writes.

use super::accounts::import_csv;
use super::*;

/// Acme's CRM, with names and owners a spreadsheet would evaluate. The last name has a
/// leading space, which the importer trims (the export must still neutralize it).
const ACME_HOSTILE: &str = "Account ID,Account Name,Website,Type,Account Owner\n\
A1,=1+1,one-corp.com,Customer - Direct,=cmd|' /C calc'!A0\n\
A2,+1+1,two-corp.com,Customer - Direct,+1 555 0100\n\
A3,-2+3,three-corp.com,Customer - Direct,-1\n\
A4,@SUM(A1:A2),four-corp.com,Customer - Direct,＠SUM(A1)\n\
A5,\" =HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",five-corp.com,Customer - Direct,\" ＝1+1\"\n";

/// The same companies in Globex's CRM, under plain names.
const GLOBEX_PLAIN: &str = "Account ID,Account Name,Website,Type\n\
G1,One,one-corp.com,Customer - Direct\n\
G2,Two,two-corp.com,Customer - Direct\n\
G3,Three,three-corp.com,Customer - Direct\n\
G4,Four,four-corp.com,Customer - Direct\n\
G5,Five,five-corp.com,Customer - Direct\n";

/// Acme's account names as stored: trimmed, otherwise as typed.
const HOSTILE_NAMES: [&str; 5] = [
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "=HYPERLINK(\"http://evil\",\"x\")",
];

/// Acme's owners as stored.
const HOSTILE_OWNERS: [&str; 5] = [
    "=cmd|' /C calc'!A0",
    "+1 555 0100",
    "-1",
    "＠SUM(A1)",
    "＝1+1",
];

/// Parses a CSV export with the `csv` crate: its rows, the header row first.
fn parse(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .records()
        .map(|record| {
            record
                .expect("the export parses")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// Panics unless no cell of `rows` is one a spreadsheet would evaluate.
fn assert_nothing_evaluated(rows: &[Vec<String>]) {
    for row in rows {
        for cell in row {
            let start = cell.trim_start();
            assert!(
                !cell.starts_with(['\t', '\r'])
                    && !start.starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠']),
                "a spreadsheet would evaluate {cell:?} in {rows:?}"
            );
        }
    }
}

/// The cells of the column named `header`, without the header.
fn column(rows: &[Vec<String>], header: &str) -> Vec<String> {
    let at = rows[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header:?} in {:?}", rows[0]));
    let mut cells: Vec<String> = rows[1..].iter().map(|row| row[at].clone()).collect();
    cells.sort();
    cells
}

/// `values` behind the quote that tells a spreadsheet "text", sorted.
fn quoted(values: &[&str]) -> Vec<String> {
    let mut cells: Vec<String> = values.iter().map(|v| format!("'{v}")).collect();
    cells.sort();
    cells
}

both_backends! {
    async fn a_partners_formulas_reach_the_mapping_csv_as_text_through_the_api_and_the_web(app) {
        let acme = app.owner_of("acme").await;
        let globex = app.owner_of("globex").await;
        app.connect(&acme, "acme", &globex, "globex").await;
        // Acme's own name heads columns of Globex's export.
        let renamed = app.api_as(&acme).patch("/api/v1/orgs/acme", json!({ "name": "@Acme" })).await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);
        import_csv(&app, &acme, "acme", ACME_HOSTILE).await;
        import_csv(&app, &globex, "globex", GLOBEX_PLAIN).await;
        let shared = app
            .api_as(&acme)
            .put(
                "/api/v1/orgs/acme/mappings/globex/sharing/customer",
                json!({ "level": "overlaps_with_fields", "fields": ["owner"] }),
            )
            .await;
        assert_eq!(shared.status, 204, "{}", shared.text);
        app.run_jobs().await;

        // The API's JSON carries the values exactly as stored (trimmed on import).
        let g = app.api_as(&globex);
        let seen = g.get("/api/v1/orgs/globex/mappings/acme").await;
        let mut names: Vec<&str> = seen.json["view"]["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| a["theirs"]["name"].as_str().expect("name"))
            .collect();
        names.sort();
        let mut expected = HOSTILE_NAMES.to_vec();
        expected.sort();
        assert_eq!(names, expected, "{}", seen.text);

        // Globex's CSV: every one of Acme's names and owners neutralized, and nothing else lost.
        let api_csv = g.get("/api/v1/orgs/globex/mappings/acme/export?format=csv").await;
        assert_eq!(api_csv.status, 200, "{}", api_csv.text);
        let rows = parse(&api_csv.text);
        assert_nothing_evaluated(&rows);
        assert_eq!(column(&rows, "'@Acme account"), quoted(&HOSTILE_NAMES));
        assert_eq!(column(&rows, "'@Acme owner"), quoted(&HOSTILE_OWNERS));
        assert_eq!(column(&rows, "Our account"), ["Five", "Four", "One", "Three", "Two"]);

        // The web UI's download is the same file; its page shows the names as text.
        let browser = app.browser();
        browser.sign_in("owner@globex.example", PASSWORD).await;
        let web_csv = browser.get("/o/globex/partners/acme/mapping.csv").await;
        assert_eq!(web_csv.status, 200, "{}", web_csv.text);
        assert!(web_csv.content_type().starts_with("text/csv"), "{}", web_csv.content_type());
        assert_eq!(parse(&web_csv.text), rows);
        let page = browser.get("/o/globex/partners/acme/mapping").await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(
            page.text.contains("=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)"),
            "{}",
            page.text
        );
        assert!(page.text.contains("@SUM(A1:A2)"), "{}", page.text);
    }

    async fn an_actor_whose_address_starts_like_a_formula_reaches_the_audit_csv_as_text(app) {
        let owner = app.owner_of("acme").await;
        // A person's name and address are theirs to choose at sign-up.
        let email = "=1+1@evil.example";
        let eve = app.sign_up("@SUM(1+1)", email).await;
        let invited = app
            .api_as(&owner)
            .post("/api/v1/orgs/acme/invitations", json!({ "email": email, "role": "admin" }))
            .await;
        assert_eq!(invited.status, 201, "{}", invited.text);
        let link = app.invitation_link(&invited, email).await;
        let secret = link.rsplit('/').next().expect("token");
        let accepted = app
            .api_as(&eve)
            .post(&format!("/api/v1/invitations/{secret}/accept"), json!({}))
            .await;
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        let renamed = app.api_as(&eve).patch("/api/v1/orgs/acme", json!({ "name": "-2+3 Corp" })).await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);

        // The JSON log names the actor as they are.
        let events = app.api_as(&owner).get("/api/v1/orgs/acme/audit-events").await;
        assert_eq!(events.json["items"][0]["actor"], email, "{}", events.text);

        let api_csv = app.api_as(&owner).get("/api/v1/orgs/acme/audit-events.csv").await;
        assert_eq!(api_csv.status, 200, "{}", api_csv.text);
        let rows = parse(&api_csv.text);
        assert_eq!(rows[0], ["occurred_at", "actor", "action", "subject", "details", "ip"]);
        assert_nothing_evaluated(&rows);
        let actors = column(&rows, "actor");
        assert_eq!(actors.iter().filter(|a| *a == &format!("'{email}")).count(), 2, "{actors:?}");
        assert!(actors.contains(&"owner@acme.example".to_owned()), "{actors:?}");

        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        let web_csv = browser.get("/o/acme/audit.csv").await;
        assert_eq!(web_csv.status, 200, "{}", web_csv.text);
        assert!(web_csv.content_type().starts_with("text/csv"), "{}", web_csv.content_type());
        let web_rows = parse(&web_csv.text);
        assert_nothing_evaluated(&web_rows);
        assert!(column(&web_rows, "actor").contains(&format!("'{email}")), "{web_rows:?}");
    }
}
