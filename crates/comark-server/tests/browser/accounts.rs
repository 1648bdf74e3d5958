//! Account mapping, as partner managers see it: importing a CRM file, sharing a population,
//! reading the overlap with a partner and correcting a wrong match.

use super::*;
use crate::steps::{sign_in, upload_accounts};

/// A's HubSpot company export: four companies, one of them without a name (row 4), and
/// one whose site only its `Website URL` holds (row 3).
const NORTHWIND_CSV: &str = "\
Record ID,Company name,Company Domain Name,Website URL,Lifecycle Stage,Company owner
101,Initech,initech.com,,customer,Ann
102,Globex Corporation,,https://www.globex.com/en,customer,Bob
103,,nameless.com,,lead,Cy
104,Umbrella,umbrella.com,,opportunity,Di
";

/// B's file, imported through the use cases: two of A's customers and one of its own.
const CONTOSO_CSV: &str = "\
Record ID,Company name,Company Domain Name,Lifecycle Stage
9001,Initech LLC,https://www.initech.com,customer
9002,Globex,globex.com,customer
9003,Hooli,hooli.com,lead
";

/// The text of the table of accounts in common (empty when there is none).
async fn matches_text(page: &Page) -> String {
    page.js(
        "var t = document.querySelector('main table.matches'); return t ? t.innerText : '';",
        vec![],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// The text of the list of corrections, once there is one.
async fn corrections_text(page: &Page) -> String {
    page.wait_js(
        "the list of corrections",
        "var l = document.querySelector('main ul.corrections'); return l ? l.innerText : null;",
        vec![],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Keeps a picture of the page in `test-artifacts/screenshots/accounts-<name>.png`.
async fn screenshot(page: &Page, name: &str) {
    let png = page.full_page_png().await;
    let path = harness::workspace_root()
        .join("test-artifacts/screenshots")
        .join(format!("accounts-{name}.png"));
    let _ = harness::write_atomically(&path, &png);
}

browser_journeys! {
    /// Two connected partners import their accounts; contoso shares its customers; northwind
    /// sees the overlap, marks one match as not the same company, and after the recompute
    /// neither side sees that match while both see the correction.
    async fn partners_map_their_accounts_and_correct_a_wrong_match(app, browser) {
        let north_token = app.owner_of("northwind").await;
        let south_token = app.owner_of("contoso").await;
        app.connect(&north_token, "northwind", &south_token, "contoso").await;
        let (north, south) =
            tokio::join!(browser.session(&app.base_url), browser.session(&app.base_url));
        sign_in(&north, "owner@northwind.example").await;
        sign_in(&south, "owner@contoso.example").await;

        // Northwind uploads its HubSpot export through the form.
        let dir = std::env::temp_dir().join(format!("comark-upload-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let file = dir.join("northwind.csv");
        std::fs::write(&file, NORTHWIND_CSV).expect("write the CSV file");
        upload_accounts(&north, "northwind", &file).await;
        north.wait_for_text("HubSpot company export recognized.").await;
        let sample = north.wait_for_text_of("main table.sample").await;
        assert!(sample.contains("Globex Corporation"), "{sample}");
        let mapped = north
            .js("return document.getElementById('f-col_name').value;", vec![])
            .await;
        assert_eq!(mapped, json!("Company name"), "the name column is suggested");
        let also = north
            .js("var c = [...document.querySelectorAll('main input[name=also_website]')].find(c => c.value === 'Website URL'); return c ? c.checked : null;", vec![])
            .await;
        assert_eq!(also, json!(true), "Website URL is read for matching too");
        screenshot(&north, "import-preview").await;
        north.press("Start import").await;
        north.wait_for_text("The import has started.").await;
        assert!(app.run_jobs().await >= 1, "the import ran as a job");
        // The page asks for the import's state every second and shows the result.
        north.wait_for_text("3 accounts imported from 4 rows").await;
        let rejected = north
            .wait_js(
                "the rejected row",
                "var r = document.querySelector('main table.rejected tbody tr'); return r ? [...r.cells].map(c => c.textContent.trim()) : null;",
                vec![],
            )
            .await;
        assert_eq!(rejected[0], json!("4"), "the row as a spreadsheet numbers it: {rejected}");
        assert_eq!(rejected[1], json!("Company name"), "{rejected}");
        let _ = std::fs::remove_dir_all(&dir);
        screenshot(&north, "import-result").await;

        // Contoso imports through the use cases; northwind shares its customers with contoso.
        let contoso = app.store.admin_scope("contoso").await.expect("scope").expect("contoso");
        let northwind = app.store.admin_scope("northwind").await.expect("scope").expect("northwind");
        let actor = comark_store::Actor::system();
        let upload = comark_app::accounts::begin_upload(&app.app, &contoso, "contoso.csv", None, &actor)
            .await
            .expect("begin the upload");
        comark_app::accounts::append_upload(&app.app, &contoso, upload.id, 0, CONTOSO_CSV.as_bytes())
            .await
            .expect("store the file");
        comark_app::accounts::start(&app.app, &contoso, upload.id, Default::default())
            .await
            .expect("start the import");
        comark_app::accounts::set_sharing(&app.app, &northwind, "contoso", "customer", "overlaps", &[], &actor)
            .await
            .expect("northwind shares its customers");
        app.run_jobs().await;
        let done = comark_app::accounts::get_import(&app.app, &contoso, upload.id).await.expect("the import");
        assert_eq!(done.rows_imported, 3, "{done:?}");

        // Contoso shares its customers with northwind, as overlapping accounts.
        south.open("/o/contoso/partners/northwind/mapping").await;
        south.wait_for_heading("Account mapping with northwind Inc.").await;
        south.choose("What northwind Inc. sees of Customers", "Overlapping accounts").await;
        south.press("Save sharing").await;
        south.wait_for_text("Saved. northwind Inc. sees the new sharing from now on.").await;

        // Northwind sees the overlap and the two customers in common.
        north.open("/o/northwind/accounts").await;
        north.wait_for_heading("Accounts").await;
        screenshot(&north, "list").await;
        north.follow("Overlap with contoso Inc.").await;
        north.wait_for_heading("Account mapping with contoso Inc.").await;
        let cell = north
            .wait_js(
                "the Customers × Customers cell",
                r#"
                const row = [...document.querySelectorAll('main table.matrix tbody tr')]
                    .find(r => r.querySelector('th').textContent.trim() === 'Customers');
                return row ? row.cells[1].textContent.trim() : null;
                "#,
                vec![],
            )
            .await;
        assert_eq!(cell, json!("2"), "two customers in common");
        screenshot(&north, "mapping").await;
        let shared = matches_text(&north).await;
        for name in ["Initech", "Initech LLC", "Globex Corporation", "Globex"] {
            assert!(shared.contains(name), "{name} in {shared}");
        }
        assert!(!shared.contains("Umbrella"), "only customers are shared: {shared}");
        assert!(!shared.contains("Hooli"), "{shared}");

        // Globex Corporation is not contoso's Globex: northwind says so.
        north.press_in("main tr[data-key='globex.com']", "Not the same company").await;
        north.wait_for_text("Marked as not the same company.").await;
        north.wait_for_text("Recomputing: a correction changes the matches.").await;
        app.run_jobs().await;
        // The page looks again by itself once the matches are recomputed.
        north
            .wait_js(
                "the recomputed matches without Globex",
                "var t = document.querySelector('main table.matches'); return !!t && !t.innerText.includes('Globex') && t.innerText.includes('Initech');",
                vec![],
            )
            .await;
        north.wait_for_text("Computed just now").await;
        let cell = north
            .js(
                r#"
                const row = [...document.querySelectorAll('main table.matrix tbody tr')]
                    .find(r => r.querySelector('th').textContent.trim() === 'Customers');
                return row ? row.cells[1].textContent.trim() : null;
                "#,
                vec![],
            )
            .await;
        assert_eq!(cell, json!("1"), "one customer in common now");
        let corrections = corrections_text(&north).await;
        assert!(corrections.contains("Not the same company"), "{corrections}");
        assert!(corrections.contains("globex.com"), "{corrections}");
        assert!(corrections.contains("by northwind Inc. (you)"), "{corrections}");

        // Contoso no longer sees the match either, and sees northwind's correction.
        south.open("/o/contoso/partners/northwind/mapping").await;
        south.wait_for_heading("Account mapping with northwind Inc.").await;
        let shared = matches_text(&south).await;
        assert!(shared.contains("Initech"), "contoso sees northwind's shared customer: {shared}");
        assert!(!shared.contains("Globex"), "{shared}");
        let corrections = corrections_text(&south).await;
        assert!(corrections.contains("Not the same company"), "{corrections}");
        assert!(corrections.contains("by northwind Inc."), "{corrections}");
        assert!(!corrections.contains("(you)"), "{corrections}");
        let withdraw = south
            .js("return [...document.querySelectorAll('main ul.corrections button')].length;", vec![])
            .await;
        assert_eq!(withdraw, json!(0), "only northwind may withdraw its correction");
    }
}
