//! The yardstick of account mapping as a newcomer meets it (issue 11): two messy CRM exports
//! from the generator, a Salesforce report and a HubSpot export of partly the same companies,
//! uploaded through the accounts page with the suggested mapping, and the overlap the mapping
//! page then shows held against the generator's ground truth.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use super::*;
use crate::steps::{sign_in, upload_accounts};
use comark_testkit::samples::{SampleExports, SampleSpec, TruthRow};

/// The first whole number in `text` (digits with no separator), if any.
fn first_number(text: &str) -> Option<u64> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|part| !part.is_empty())
        .and_then(|part| part.parse().ok())
}

/// What a finished import page reports, read off the page.
#[derive(Debug)]
struct Landed {
    /// The result line: `600 accounts imported from 600 rows · finished just now`.
    result: String,
    imported: u64,
    rejected: u64,
    merged: u64,
    /// The heading of the population readings: `How the column Type was read`.
    readings_heading: String,
    /// The readings' sentence: `Every row that was read landed: 120 customers, ...`.
    readings_totals: String,
}

/// Uploads `file` on `org`'s accounts page with the file field, takes the suggested mapping,
/// starts the import, lets the server's jobs run and reads the result the page shows.
async fn import_through_the_page(
    app: &TestApp,
    page: &Page,
    org: &str,
    file: &Path,
    recognized: &str,
) -> Landed {
    upload_accounts(page, org, file).await;
    page.wait_for_text(recognized).await;
    page.wait_for_text_of("main table.sample").await;
    // The suggestion is taken as it is: the newcomer changes nothing.
    page.press("Start import").await;
    page.wait_for_text("The import has started.").await;
    assert!(app.run_jobs().await >= 1, "the import ran as a job");
    // The page asks for the import's state every second and shows the result.
    page.wait_for_text("imported from").await;
    let result = page.wait_for_text_of("#import-progress .notice").await;
    let stats = page
        .wait_js(
            "the import's figures",
            "var l = [...document.querySelectorAll('#import-progress ul.stats li')]; return l.length ? l.map(li => li.innerText.trim()) : null;",
            vec![],
        )
        .await;
    let figure = |ending: &str| -> u64 {
        stats
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .find(|text| text.contains(ending))
            .and_then(first_number)
            .unwrap_or_else(|| panic!("no figure {ending:?} in {stats}"))
    };
    let readings_heading = page.wait_for_text_of("#population-readings h3").await;
    let readings_totals = page.wait_for_text_of("#population-readings h3 + p").await;
    Landed {
        imported: figure(" imported"),
        rejected: figure(" rejected"),
        merged: figure(" merged into an earlier row"),
        result,
        readings_heading,
        readings_totals,
    }
}

/// Holds what an import page showed against the file's ground truth: every data row read,
/// none rejected, only rows repeating a CRM id merged, and every landed row in a population.
fn assert_landed_whole(landed: &Landed, truth: &[TruthRow], column: &str) {
    let rows = truth.len() as u64;
    let distinct_ids = truth
        .iter()
        .map(|row| row.crm_id.as_str())
        .collect::<HashSet<_>>()
        .len() as u64;
    let merged = rows - distinct_ids;
    assert!(
        landed.result.starts_with(&format!(
            "{} accounts imported from {rows} rows",
            rows - merged
        )),
        "every data row landed: {landed:#?}"
    );
    assert_eq!(landed.imported, rows - merged, "{landed:#?}");
    assert_eq!(landed.rejected, 0, "no row is rejected: {landed:#?}");
    assert_eq!(landed.merged, merged, "{landed:#?}");
    assert_eq!(
        landed.readings_heading,
        format!("How the column {column} was read"),
        "{landed:#?}"
    );
    // `Every row that was read landed: 210 customers, 95 open opportunities, ...`.
    let totals = landed
        .readings_totals
        .strip_prefix("Every row that was read landed: ")
        .and_then(|rest| rest.strip_suffix('.'))
        .unwrap_or_else(|| panic!("the readings' totals: {landed:#?}"));
    let by_population: Vec<(u64, &str)> = totals
        .split(", ")
        .map(|part| {
            let (count, population) = part.split_once(' ').expect("a count and a population");
            (count.parse().expect("a count"), population)
        })
        .collect();
    let read: u64 = by_population.iter().map(|(count, _)| count).sum();
    assert_eq!(
        read, landed.imported,
        "every landed row is in one population: {landed:#?}"
    );
    assert!(
        by_population
            .iter()
            .any(|&(count, population)| population == "customers" && count > 0),
        "the file's customers were read as such: {landed:#?}"
    );
}

browser_journeys! {
    /// A newcomer's messy Salesforce report and its partner's messy HubSpot export, uploaded
    /// through the accounts page with the suggested mapping, land whole, and the mapping page
    /// counts about as many accounts in common as the two files truly share.
    async fn messy_crm_exports_land_whole_and_the_mapping_page_shows_the_overlap(app, browser) {
        // About 360 companies in both files: enough that a handful of misses is no more than
        // a percent or two of the count (at 600 × 500 rows, 146 shared, one miss is 0.7% and
        // some seeds miss seven), few enough that the page lists every account in common.
        let sample = SampleExports::generate(&SampleSpec::new(11, 1500, 1250));
        let dir = std::env::temp_dir()
            .join(format!("comark-accuracy-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let salesforce = dir.join("salesforce-accounts.csv");
        let hubspot = dir.join("hubspot-companies.csv");
        std::fs::write(&salesforce, &sample.salesforce).expect("write the Salesforce report");
        std::fs::write(&hubspot, &sample.hubspot).expect("write the HubSpot export");

        let acme_token = app.owner_of("acme").await;
        let globex_token = app.owner_of("globex").await;
        app.connect(&acme_token, "acme", &globex_token, "globex").await;
        let (acme, globex) =
            tokio::join!(browser.session(&app.base_url), browser.session(&app.base_url));
        sign_in(&acme, "owner@acme.example").await;
        sign_in(&globex, "owner@globex.example").await;

        // Acme imports its Salesforce report, globex its HubSpot export.
        let landed = import_through_the_page(
            app, &acme, "acme", &salesforce, "Salesforce account report recognized.",
        )
        .await;
        assert_landed_whole(&landed, &sample.truth.salesforce, "Type");
        let landed = import_through_the_page(
            app, &globex, "globex", &hubspot, "HubSpot company export recognized.",
        )
        .await;
        assert_landed_whole(&landed, &sample.truth.hubspot, "Lifecycle Stage");
        let _ = std::fs::remove_dir_all(&dir);

        // Globex lets acme see the overlap in every one of its populations.
        globex.open("/o/globex/partners/acme/mapping").await;
        globex.wait_for_heading("Account mapping with acme Inc.").await;
        let populations = globex
            .wait_js(
                "the populations to share",
                "var r = [...document.querySelectorAll('main table.sharing tbody th')]; return r.length ? r.map(th => th.textContent.trim()) : null;",
                vec![],
            )
            .await;
        for population in populations.as_array().expect("population labels") {
            let population = population.as_str().expect("a label");
            globex
                .choose(&format!("What acme Inc. sees of {population}"), "Overlapping accounts")
                .await;
        }
        globex.press("Save sharing").await;
        globex.wait_for_text("Saved. acme Inc. sees the new sharing from now on.").await;

        // The imports asked for the mapping to be recomputed: the server's jobs do it.
        app.run_jobs().await;
        acme.open("/o/acme/partners/globex/mapping").await;
        acme.wait_for_heading("Account mapping with globex Inc.").await;
        // The page looks again by itself while the matches are recomputed.
        acme.wait_js(
            "the matches computed",
            "var f = document.getElementById('freshness'); return !!f && f.textContent.trim().startsWith('Computed');",
            vec![],
        )
        .await;
        let counted = acme
            .wait_js(
                "the count of accounts in common",
                "var p = [...document.querySelectorAll('main #mapping-view p.muted')].find(p => p.textContent.includes('in common in the populations')); return p ? p.textContent.trim() : null;",
                vec![],
            )
            .await;
        let counted = counted.as_str().unwrap_or_default().to_owned();
        let shown = first_number(&counted).unwrap_or_else(|| panic!("a count in {counted:?}"));
        // Precision and recall of at least 0.98 on the shared companies keep the count of
        // accounts in common within a few percent of the true number.
        let truly_shared = sample.truth.shared_companies().len() as f64;
        eprintln!("accounts in common shown: {shown}; companies truly shared: {truly_shared}");
        assert!(truly_shared > 100.0, "the sample shares enough companies to measure: {truly_shared}");
        assert!(
            (shown as f64 - truly_shared).abs() <= 0.03 * truly_shared,
            "the page counts {shown} accounts in common, the files share {truly_shared} companies: {counted}"
        );

        // The accounts listed, a page at a time (following the page's own "next" link): the
        // low-confidence ones whose key no sure match has are those the page says are left
        // to review.
        let mut caption = None;
        let mut rows = Vec::new();
        let mut pages = 0;
        loop {
            let listed = acme
                .wait_js(
                    "the accounts in common",
                    r#"
                    const t = document.querySelector('main table.matches');
                    if (!t) { return null; }
                    const next = document.querySelector('main a[rel=next]');
                    return {
                        caption: t.caption.textContent.trim(),
                        next: next ? next.getAttribute('href') : null,
                        rows: [...t.tBodies[0].rows].map(r => [r.dataset.key, r.cells[r.cells.length - 2].innerText]),
                    };
                    "#,
                    vec![],
                )
                .await;
            pages += 1;
            caption.get_or_insert_with(|| listed["caption"].as_str().unwrap_or_default().to_owned());
            rows.extend(listed["rows"].as_array().expect("rows").iter().cloned());
            match listed["next"].as_str() {
                Some(next) => acme.open(next).await,
                None => break,
            }
        }
        let caption = caption.unwrap_or_default();
        assert!(pages > 1, "{} accounts fit one page?", rows.len());
        assert_eq!(first_number(&caption), Some(rows.len() as u64), "every account in common is listed once over {pages} pages: {caption}");
        let mut sure = BTreeSet::new();
        let mut to_check = BTreeSet::new();
        for row in &rows {
            let key = row[0].as_str().expect("a key").to_owned();
            if row[1].as_str().unwrap_or_default().contains("check it") {
                to_check.insert(key);
            } else {
                sure.insert(key);
            }
        }
        assert_eq!(sure.len() as u64, shown, "the sure matches listed are those counted: {counted}");
        let review: Vec<&String> = to_check.difference(&sure).collect();
        let note = acme
            .js("var p = document.getElementById('to-review'); return p ? p.textContent.trim() : null;", vec![])
            .await;
        eprintln!("left to review: {}; the page says: {note}", review.len());
        if review.is_empty() {
            assert_eq!(note, serde_json::Value::Null, "nothing to review, no note: {note}");
        } else {
            let note = note.as_str().unwrap_or_else(|| panic!("a note on the {} accounts to review", review.len()));
            assert_eq!(first_number(note), Some(review.len() as u64), "{note}; {review:?}");
        }
    }
}
