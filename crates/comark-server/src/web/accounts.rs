//! Account mapping's pages: the account list and CRM imports, populations, and the mapping
//! with each partner (the overlap, the accounts in common, corrections, sharing, exports).

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use comark_app::accounts::{
    self, CorrectionInput, ExportFormat, PopulationInput, StartImport, ValueInput, CHUNK_SIZE,
    MAX_UPLOAD_BYTES,
};
use comark_app::import::{
    value_key, ColumnMapping, CrmFormat, PopulationTally, RowError, KNOWN_FIELDS,
};
use comark_app::{connections, AppError};
use comark_domain::accounts::{
    BasePopulation, Condition, ConditionOp, MatchConfidence, PopulationInfo, PopulationRule,
    PopulationSlug, SharingLevel,
};
use comark_domain::cursor::PairCursor;
use comark_domain::{
    AccountId, Action, ConnectionStatus, CorrectionId, FieldError, ImportId, ValidationErrors,
};
use comark_store::accounts::{
    AccountImport, Correction, CorrectionKind, ImportMode, ImportStatus, PairPage, SharedMapping,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::form::{ago, capitalized, forbidden, pairs, value_of, values_of, when};
use super::layout::{csrf_field, error_page, field, not_found_page, page};
use super::org::{base, plural, secure, shell};
use super::session::{alert, error_for, form_response, general_error};
use super::{redirect_with_flash, CheckedMultipart, Csrf, Flash, WebRoutes};
use crate::auth::{url_encode, WebOrg};
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/o/{org}/accounts", accounts_page)
        .post("/o/{org}/accounts/imports", upload)
        .get("/o/{org}/accounts/imports/{import_id}", import_page)
        .get(
            "/o/{org}/accounts/imports/{import_id}/progress",
            import_progress,
        )
        .post("/o/{org}/accounts/imports/{import_id}/start", start_import)
        .get("/o/{org}/accounts/populations", populations_page)
        .post("/o/{org}/accounts/populations", save_population)
        .post(
            "/o/{org}/accounts/populations/{slug}/delete",
            delete_population,
        )
        .get("/o/{org}/partners/{partner}/mapping", mapping_page)
        .get("/o/{org}/partners/{partner}/mapping.csv", export_csv)
        .get("/o/{org}/partners/{partner}/mapping.xlsx", export_xlsx)
        .post("/o/{org}/partners/{partner}/corrections", correct)
        .post(
            "/o/{org}/partners/{partner}/corrections/{correction_id}/withdraw",
            withdraw_correction,
        )
        .post("/o/{org}/partners/{partner}/sharing", save_sharing)
}

/// Accounts listed per page.
const PAGE_SIZE: usize = 50;

/// The encodings the upload form offers: (label for the preview, name for people).
const ENCODINGS: [(&str, &str); 8] = [
    ("", "Detect automatically"),
    ("UTF-8", "UTF-8"),
    ("windows-1252", "Western European, Windows (windows-1252)"),
    ("ISO-8859-1", "Western European, Latin-1 (ISO-8859-1)"),
    (
        "ISO-8859-15",
        "Western European with euro sign (ISO-8859-15)",
    ),
    ("UTF-16LE", "UTF-16LE (Excel Unicode text)"),
    ("Shift_JIS", "Japanese (Shift_JIS)"),
    ("GBK", "Simplified Chinese (GBK)"),
];

/// How a custom population's condition compares, with its words.
const OPS: [(ConditionOp, &str, &str); 6] = [
    (ConditionOp::Equals, "equals", "is"),
    (ConditionOp::NotEquals, "not_equals", "is not"),
    (
        ConditionOp::OneOf,
        "one_of",
        "is one of (separate with commas)",
    ),
    (ConditionOp::Contains, "contains", "contains"),
    (ConditionOp::AtLeast, "at_least", "is at least"),
    (ConditionOp::AtMost, "at_most", "is at most"),
];

/// How many condition rows the population form offers.
const CONDITION_ROWS: usize = 3;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid(ValidationErrors::single(field, message))
}

fn field_label(field: &str) -> &str {
    match field {
        "crm_id" => "CRM id",
        "name" => "Company name",
        "website" => "Website",
        "email" => "E-mail (its company domain helps matching; the address is not kept)",
        "population" => "Population (customer, opportunity, prospect or unclassified)",
        "owner" => "Owner",
        "stage" => "Stage",
        "industry" => "Industry",
        "country" => "Country",
        "region" => "Region",
        "employees" => "Employees",
        "annual_revenue" => "Annual revenue",
        other => other,
    }
}

fn status_label(status: ImportStatus) -> &'static str {
    match status {
        ImportStatus::Uploaded => "Waiting for the columns to be checked",
        ImportStatus::Queued => "Waiting to start",
        ImportStatus::Running => "Importing",
        ImportStatus::Done => "Done",
        ImportStatus::Failed => "Failed",
    }
}

fn import_url(org: &WebOrg, id: ImportId) -> String {
    format!("{}/accounts/imports/{id}", base(org))
}

fn mapping_url(org: &WebOrg, partner: &str) -> String {
    format!("{}/partners/{}/mapping", base(org), url_encode(partner))
}

/// A select with its label and error.
fn select_field(
    label: &str,
    name: &str,
    options: &[(String, String)],
    selected: &str,
    error: Option<&str>,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")] {
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
            @if let Some(error) = error { p.error { (error) } }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The account list, the imports and the upload form.

#[derive(Deserialize, Default)]
#[serde(default)]
struct AccountsQuery {
    search: String,
    population: String,
    after: String,
}

async fn accounts_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Query(query): Query<AccountsQuery>,
) -> Response {
    render_accounts(&state, &org, &csrf, flash.as_deref(), &query, None).await
}

async fn render_accounts(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    query: &AccountsQuery,
    error: Option<AppError>,
) -> Response {
    let app = &state.app;
    let population = BasePopulation::parse(&query.population);
    let search = Some(query.search.trim()).filter(|s| !s.is_empty());
    let after = match query.after.parse::<AccountId>() {
        Ok(id) => match accounts::account(app, &org.scope, id).await {
            Ok(account) => Some((account.name, account.id)),
            Err(AppError::NotFound) => None,
            Err(error) => return error_page(error),
        },
        Err(_) => None,
    };
    let book = match accounts::book(app, &org.scope).await {
        Ok(book) => book,
        Err(error) => return error_page(error),
    };
    let mut list = match accounts::list_accounts(
        app,
        &org.scope,
        search,
        population,
        after,
        PAGE_SIZE as i64 + 1,
    )
    .await
    {
        Ok(list) => list,
        Err(error) => return error_page(error),
    };
    let next = if list.len() > PAGE_SIZE {
        list.truncate(PAGE_SIZE);
        list.last().map(|a| a.id)
    } else {
        None
    };
    let imports = match accounts::list_imports(app, &org.scope).await {
        Ok(imports) => imports,
        Err(error) => return error_page(error),
    };
    let partners: Vec<_> = match connections::list(app, &org.scope).await {
        Ok(list) => list
            .into_iter()
            .filter(|c| c.status == ConnectionStatus::Accepted)
            .collect(),
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManageAccounts);
    let base = base(org);
    let error_ref = &error;
    let filtered = search.is_some() || population.is_some();
    let next_link = next.map(|id| {
        format!(
            "{base}/accounts?search={}&population={}&after={id}",
            url_encode(&query.search),
            url_encode(population.map(BasePopulation::as_str).unwrap_or("")),
        )
    });
    let population_options: Vec<(String, String)> =
        std::iter::once((String::new(), "All populations".to_owned()))
            .chain(
                BasePopulation::ALL
                    .iter()
                    .map(|p| (p.as_str().to_owned(), p.label().to_owned())),
            )
            .collect();
    let markup = page(
        shell(org, "Accounts", "accounts", csrf, flash),
        html! {
            h1 { "Accounts" }
            p {
                strong { (book.accounts) } " " (plural(book.accounts, "account", "accounts"))
                @if let Some(last) = imports.first() {
                    " · last import: "
                    a href=(import_url(org, last.id)) { (last.file_name) }
                    " on " (when(last.created_at)) " (" (status_label(last.status).to_lowercase()) ")"
                } @else {
                    " · nothing imported yet"
                }
            }
            p {
                a href={ (base) "/accounts/populations" } { "Populations" }
                " — the groups of accounts you decide to share, or not, with each partner."
            }
            @if !partners.is_empty() {
                h2 { "Account mapping with your partners" }
                ul {
                    @for c in &partners {
                        li { a href=(mapping_url(org, &c.partner_handle)) { "Overlap with " (c.partner_name) } }
                    }
                }
            }
            (alert(general_error(error_ref)))
            h2 { "Your accounts" }
            form.filters method="get" action={ (base) "/accounts" } role="search" {
                div.field {
                    label for="f-search" { "Search by name or website" }
                    input #f-search type="search" name="search" value=(query.search);
                }
                (select_field("Population", "population", &population_options, population.map(BasePopulation::as_str).unwrap_or(""), None))
                button.secondary type="submit" { "Search" }
            }
            @if list.is_empty() {
                p.empty {
                    @if book.accounts == 0 { "No accounts yet. Import a CSV export of your CRM to get started." }
                    @else if filtered { "No account matches. " a href={ (base) "/accounts" } { "Show all accounts" } }
                    @else { "No more accounts." }
                }
            } @else {
                div.table-scroll {
                    table {
                        caption { @if filtered { "Accounts that match, by name" } @else { "Your accounts, by name" } }
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Website" } th scope="col" { "Population" } th scope="col" { "CRM id" } } }
                        tbody {
                            @for account in &list {
                                tr {
                                    td { (account.name) }
                                    td { (account.website.as_deref().unwrap_or("")) }
                                    td { (account.population.label()) }
                                    td { code { (account.crm_id) } }
                                }
                            }
                        }
                    }
                }
                @if let Some(link) = &next_link { p { a href=(link) rel="next" { "Next page" } } }
            }
            @if manage {
                h2 #import { "Import accounts" }
                p { "Upload a CSV export of your companies from Salesforce, HubSpot or a spreadsheet. You check how its columns map before anything is imported." }
                (upload_form(org, csrf, error_ref))
            }
            h2 { "Recent imports" }
            @if imports.is_empty() {
                p.empty { "No imports yet." }
            } @else {
                div.table-scroll {
                    table {
                        caption { "Recent imports, newest first" }
                        thead { tr {
                            th scope="col" { "File" } th scope="col" { "Uploaded" } th scope="col" { "Status" }
                            th scope="col" { "Imported" } th scope="col" { "Rejected" } th scope="col" { "Merged" }
                        } }
                        tbody {
                            @for import in &imports {
                                tr {
                                    td { a href=(import_url(org, import.id)) { (import.file_name) } }
                                    td { (when(import.created_at)) }
                                    td { (status_label(import.status)) }
                                    td.number { (import.rows_imported) }
                                    td.number { (import.rows_rejected) }
                                    td.number { (import.rows_merged) }
                                }
                            }
                        }
                    }
                }
            }
        },
    );
    form_response(&error, markup)
}

fn upload_form(org: &WebOrg, csrf: &str, error: &Option<AppError>) -> Markup {
    let file_error = error_for(error, "file");
    let options: Vec<(String, String)> = ENCODINGS
        .iter()
        .map(|(value, text)| ((*value).to_owned(), (*text).to_owned()))
        .collect();
    html! {
        form.stack method="post" action={ (base(org)) "/accounts/imports" } enctype="multipart/form-data" {
            // The guard reads the CSRF field first, before the file streams in.
            (csrf_field(csrf))
            input type="hidden" name="upload_key" value=(comark_app::secrets::new_token_plain());
            div.field {
                label for="f-file" { "CSV file" }
                input #f-file type="file" name="file" accept=".csv,text/csv"
                    aria-invalid=[file_error.map(|_| "true")] aria-describedby=[file_error.map(|_| "f-file-error")];
                @if let Some(message) = file_error { p.error #f-file-error { (message) } }
            }
            (select_field("Encoding", "encoding", &options, "", error_for(error, "encoding")))
            button type="submit" { "Upload" }
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    form: CheckedMultipart,
) -> Response {
    if !org.scope.can(Action::ManageAccounts) {
        return forbidden();
    }
    match receive_upload(&state, &org, form).await {
        Ok((id, encoding)) => {
            let mut to = import_url(&org, id);
            if let Some(encoding) = encoding {
                to = format!("{to}?encoding={}", url_encode(&encoding));
            }
            redirect_with_flash(
                &to,
                "Uploaded. Check how the columns map, then start the import.",
                secure(&state),
            )
        }
        Err(AppError::NotFound) => not_found_page(),
        Err(AppError::Forbidden) => forbidden(),
        Err(error) => {
            render_accounts(
                &state,
                &org,
                &csrf,
                None,
                &AccountsQuery::default(),
                Some(error),
            )
            .await
        }
    }
}

/// Reads the upload form as it streams in: the file goes to the store piece by piece.
async fn receive_upload(
    state: &AppState,
    org: &WebOrg,
    form: CheckedMultipart,
) -> Result<(ImportId, Option<String>), AppError> {
    let Some(mut multipart) = form.take() else {
        return Err(invalid("file", "choose a CSV file to upload"));
    };
    let mut encoding = None;
    let mut key = None;
    let mut stored = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err(broken(error)),
        };
        match field.name().unwrap_or_default() {
            "encoding" => {
                encoding = field.text().await.map_err(broken)?.trim().to_owned().into();
            }
            "upload_key" => key = Some(field.text().await.map_err(broken)?),
            "file" if stored.is_none() => {
                stored = Some(store_file(state, org, field, key.as_deref()).await?);
            }
            // Anything else is skipped with the rest of its content.
            _ => {}
        }
    }
    let id = stored.ok_or_else(|| invalid("file", "choose a CSV file to upload"))?;
    Ok((id, encoding.filter(|e: &String| !e.is_empty())))
}

fn broken(error: MultipartError) -> AppError {
    invalid("file", format!("the upload broke off: {error}"))
}

async fn store_file(
    state: &AppState,
    org: &WebOrg,
    mut field: Field<'_>,
    key: Option<&str>,
) -> Result<ImportId, AppError> {
    let file_name = field.file_name().unwrap_or_default().to_owned();
    // An empty file input still sends a part, with no name and no content.
    let first = loop {
        match field.chunk().await.map_err(broken)? {
            Some(chunk) if chunk.is_empty() => continue,
            other => break other,
        }
    };
    let Some(first) = first else {
        return Err(if file_name.is_empty() {
            invalid("file", "choose a CSV file to upload")
        } else {
            invalid("file", "is empty")
        });
    };
    let key = key
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200);
    let record =
        accounts::begin_upload(&state.app, &org.scope, &file_name, key, &org.actor()).await?;
    if record.bytes_total > 0 {
        // The same form sent twice: the first upload stands.
        return Ok(record.id);
    }
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK_SIZE);
    let mut total = first.len();
    buffer.extend_from_slice(&first);
    let mut seq = 0;
    loop {
        while buffer.len() >= CHUNK_SIZE {
            let rest = buffer.split_off(CHUNK_SIZE);
            accounts::append_upload(&state.app, &org.scope, record.id, seq, &buffer).await?;
            seq += 1;
            buffer = rest;
        }
        match field.chunk().await.map_err(broken)? {
            Some(chunk) => {
                total += chunk.len();
                if total > MAX_UPLOAD_BYTES {
                    return Err(invalid("file", "is larger than 1 GiB"));
                }
                buffer.extend_from_slice(&chunk);
            }
            None => break,
        }
    }
    if !buffer.is_empty() {
        accounts::append_upload(&state.app, &org.scope, record.id, seq, &buffer).await?;
    }
    Ok(record.id)
}

// ---------------------------------------------------------------------------------------
// One import: the preview and column mapping, the progress, the result.

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportQuery {
    encoding: String,
    saved: String,
}

/// The confirmation form as it was sent, to show again with its errors.
struct StartDraft {
    mapping: ColumnMapping,
    saved: String,
    encoding: String,
    mode: ImportMode,
    strict: bool,
    save_as: String,
    /// The free "value = population" lines, as typed.
    more_values: String,
}

/// Where the value mapping is, to link to from an import's result. The query makes the link
/// load the page again, so the form is there even when the result came in by polling.
fn value_mapping_url(org: &WebOrg, id: ImportId) -> String {
    format!("{}?again=values#value-mapping", import_url(org, id))
}

/// The messages of errors about population values, with the value they are about.
fn value_errors(error: &Option<AppError>) -> Vec<String> {
    let Some(AppError::Invalid(errors)) = error else {
        return Vec::new();
    };
    errors
        .0
        .iter()
        .filter_map(|e| match e.field.strip_prefix("population_values") {
            Some("") => Some(e.message.clone()),
            Some(rest) => Some(format!("“{}”: {}", rest.trim_start_matches('.'), e.message)),
            None => None,
        })
        .collect()
}

/// How an import read its population column: every value, its rows and where they went.
fn population_readings(org: &WebOrg, import: &AccountImport, tally: &PopulationTally) -> Markup {
    let column = tally.column.as_deref();
    let landed = import.status == ImportStatus::Done;
    let totals: Vec<String> = tally
        .rows_by_population
        .iter()
        .map(|(population, rows)| format!("{rows} {}", population.label().to_lowercase()))
        .collect();
    let may_change = org.scope.can(Action::ManageAccounts) && column.is_some();
    html! {
        section #population-readings {
            h3 {
                @match column {
                    Some(column) => { "How the column " strong { (column) } @if landed { " was read" } @else { " would have been read" } }
                    None => { "Populations" }
                }
            }
            @if !totals.is_empty() {
                p { @if landed { "Every row that was read landed: " } @else { "Rows read: " } (totals.join(", ")) "." }
            }
            @if !tally.values.is_empty() {
                div.table-scroll {
                    table.readings {
                        caption { "Each value, most rows first, and where its rows went" }
                        thead { tr { th scope="col" { "Value" } th scope="col" { "Rows" } th scope="col" { "Counted as" } th scope="col" { "Why" } } }
                        tbody {
                            @for v in &tally.values {
                                tr data-value=(v.value) {
                                    td { @if v.value.is_empty() { em { "blank" } } @else { (v.value) } }
                                    td.number { (v.rows) }
                                    td { (v.population.label()) }
                                    td { (capitalized(v.read_as.reason())) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(rest) = tally.describe_rest() { p.muted { (capitalized(&rest)) "." } }
            @if may_change {
                p { a href=(value_mapping_url(org, import.id)) { "Read these values otherwise" } " and import the file again: choose what each value means." }
            }
        }
    }
}

fn import_id(raw: &str) -> Option<ImportId> {
    raw.parse().ok()
}

async fn import_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ImportQuery>,
) -> Response {
    let Some(id) = import_id(&id) else {
        return not_found_page();
    };
    render_import(
        &state,
        &org,
        &csrf,
        flash.as_deref(),
        id,
        &query,
        None,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_import(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    id: ImportId,
    query: &ImportQuery,
    draft: Option<&StartDraft>,
    error: Option<AppError>,
) -> Response {
    let import = match accounts::get_import(&state.app, &org.scope, id).await {
        Ok(import) => import,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManageAccounts);
    // A finished import can be read again with other choices (say, another reading of its
    // population values): its upload is kept.
    let confirm = manage
        && matches!(
            import.status,
            ImportStatus::Uploaded | ImportStatus::Failed | ImportStatus::Done
        );
    let confirm_form = if confirm {
        match confirmation(state, org, csrf, &import, query, draft, &error).await {
            Ok(markup) => Some(markup),
            Err(error) => return error_page(error),
        }
    } else {
        None
    };
    let base = base(org);
    let title = format!("Import of {}", import.file_name);
    let error_ref = &error;
    let markup = page(
        shell(org, &title, "accounts", csrf, flash),
        html! {
            p { a href={ (base) "/accounts" } { "← Accounts" } }
            h1 { "Import of " (import.file_name) }
            p.muted { "Uploaded " (when(import.created_at)) " · " (import.bytes_total) " " (plural(import.bytes_total, "byte", "bytes")) }
            (alert(general_error(error_ref)))
            @if import.status == ImportStatus::Uploaded && !manage {
                p.notice { "This file waits for an owner, admin or partner manager to check its columns and start the import." }
            }
            @if import.status != ImportStatus::Uploaded {
                (import_state(org, &import))
            }
            @if let Some(form) = &confirm_form {
                @if import.status == ImportStatus::Failed { h2 { "Try again" } }
                @if import.status == ImportStatus::Done {
                    h2 { "Import this file again" }
                    p.muted { "Read its values otherwise, or map its columns differently; the accounts it holds are updated." }
                }
                (form)
            }
        },
    );
    form_response(&error, markup)
}

/// Where an import stands. While it runs, it asks for itself again every second (htmx),
/// and stops once the import has finished.
fn import_state(org: &WebOrg, import: &AccountImport) -> Markup {
    let running = !import.status.is_finished() && import.status != ImportStatus::Uploaded;
    let poll = running.then(|| format!("{}/progress", import_url(org, import.id)));
    let errors: Vec<RowError> = serde_json::from_value(import.errors.clone()).unwrap_or_default();
    let readings = accounts::population_tally(import);
    let percent = if import.bytes_total > 0 {
        import.bytes_done.saturating_mul(100) / import.bytes_total
    } else {
        0
    };
    html! {
        div #import-progress hx-get=[poll.as_deref()] hx-trigger=[poll.as_ref().map(|_| "load delay:1s")]
            hx-swap=[poll.as_ref().map(|_| "outerHTML")] {
            @match import.status {
                ImportStatus::Queued | ImportStatus::Running => {
                    h2 #import-status {
                        @if import.status == ImportStatus::Queued { "Waiting to start…" }
                        @else if import.bytes_done == 0 { "Starting…" }
                        @else { "Importing…" }
                    }
                    @if import.bytes_done > 0 && import.bytes_total > 0 {
                        progress aria-labelledby="import-status" max=(import.bytes_total) value=(import.bytes_done) { (percent) "%" }
                        p { (percent) "% of the file read · " (import.rows_read) " " (plural(import.rows_read, "row", "rows")) " so far" }
                    } @else {
                        progress aria-labelledby="import-status" {}
                    }
                    @if let Some(note) = &import.note { p.notice role="status" { (capitalized(note)) "." } }
                    p { "You can leave this page; the import goes on. " a href=(import_url(org, import.id)) { "Refresh" } }
                }
                ImportStatus::Done => {
                    h2 { "Imported" }
                    div.notice role="status" {
                        strong { (import.rows_imported) " " (plural(import.rows_imported, "account", "accounts")) } " imported from " (import.rows_read) " " (plural(import.rows_read, "row", "rows"))
                        @if let Some(at) = import.finished_at { " · finished " (when(at)) }
                    }
                    ul.stats.plain {
                        li { strong { (import.rows_imported) } " imported" }
                        li { strong { (import.rows_rejected) } " rejected" }
                        li { strong { (import.rows_merged) } " merged into an earlier row with the same CRM id" }
                    }
                    @if import.mode == ImportMode::Replace { p.muted { "Accounts missing from this file were removed." } }
                    @if let Some(note) = &import.note { p.muted { (capitalized(note)) "." } }
                    @if let Some(readings) = &readings { (population_readings(org, import, readings)) }
                    (rejected_rows(import, &errors))
                    p { a href={ (base(org)) "/accounts" } { "See your accounts" } }
                }
                ImportStatus::Failed => {
                    h2 { "The import failed" }
                    div.alert role="alert" {
                        (capitalized(import.failure.as_deref().unwrap_or("the import stopped"))) ". Nothing was imported."
                    }
                    @if let Some(readings) = &readings { (population_readings(org, import, readings)) }
                    (rejected_rows(import, &errors))
                    @if org.scope.can(Action::ManageAccounts) {
                        p { a href=(import_url(org, import.id)) { "Check the columns and try again" } }
                    }
                }
                ImportStatus::Uploaded => {}
            }
        }
    }
}

fn rejected_rows(import: &AccountImport, errors: &[RowError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.table-scroll {
                table.rejected {
                    caption {
                        "Rejected rows"
                        @if import.rows_rejected > errors.len() as i64 { " (the first " (errors.len()) " of " (import.rows_rejected) ")" }
                    }
                    thead { tr { th scope="col" { "Row" } th scope="col" { "Column" } th scope="col" { "Why" } } }
                    tbody {
                        @for error in errors {
                            tr { td.number { (error.row) } td { (error.column.as_deref().unwrap_or("")) } td { (error.reason) } }
                        }
                    }
                }
            }
        }
    }
}

/// The preview of the file and the form that confirms its column mapping.
async fn confirmation(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    import: &AccountImport,
    query: &ImportQuery,
    draft: Option<&StartDraft>,
    error: &Option<AppError>,
) -> Result<Markup, AppError> {
    let url = import_url(org, import.id);
    let encoding = draft
        .map(|d| d.encoding.clone())
        .unwrap_or_else(|| query.encoding.trim().to_owned());
    let saved_name = draft
        .map(|d| d.saved.clone())
        .unwrap_or_else(|| query.saved.trim().to_owned());
    let saved = accounts::column_mappings(&state.app, &org.scope).await?;
    let chosen: Option<ColumnMapping> = saved
        .iter()
        .find(|m| !saved_name.is_empty() && m.name == saved_name)
        .and_then(|m| serde_json::from_value(m.mapping.clone()).ok());
    let preview = match accounts::preview(
        &state.app,
        &org.scope,
        import.id,
        Some(encoding.as_str()).filter(|e| !e.is_empty()),
    )
    .await
    {
        Ok(preview) => preview,
        Err(AppError::Invalid(errors)) => {
            let message = errors.to_string();
            return Ok(html! {
                div.alert role="alert" { "This file cannot be read: " (message) }
                (encoding_form(&url, &encoding, &saved_name))
            });
        }
        Err(error) => return Err(error),
    };
    let sniffed = &preview.sniffed;
    // What was typed, else the saved mapping chosen, else the mapping this upload last ran
    // with (to read it again), else the suggestion.
    let last_run: Option<ColumnMapping> = import
        .mapping
        .clone()
        .and_then(|m| serde_json::from_value(m).ok());
    let mapping = draft
        .map(|d| d.mapping.clone())
        .or(chosen.clone())
        .or(last_run)
        .unwrap_or_else(|| sniffed.suggested.clone());
    let mode = draft.map(|d| d.mode).unwrap_or_default();
    let strict = draft.is_some_and(|d| d.strict);
    let save_as = draft.map(|d| d.save_as.as_str()).unwrap_or("");
    let recognized = match sniffed.format {
        CrmFormat::Salesforce => "Salesforce account report recognized.",
        CrmFormat::Hubspot => "HubSpot company export recognized.",
        CrmFormat::Other => "Columns matched by their names.",
    };
    let delimiter = match sniffed.delimiter {
        b',' => "commas",
        b';' => "semicolons",
        b'\t' => "tabs",
        b'|' => "vertical bars",
        _ => "an unusual character",
    };
    // The population column's values, to say what each means: those of every row in the
    // preview's bytes, those the last run of this upload counted in the whole file, and those
    // the mapping already reads.
    let population_header = mapping
        .columns
        .get("population")
        .cloned()
        .unwrap_or_default();
    let crm_values = known_values(&preview, &mapping, import, &population_header);
    let more_values = draft.map(|d| d.more_values.as_str()).unwrap_or("");
    let value_errors = value_errors(error);
    let used: BTreeSet<&String> = mapping.columns.values().collect();
    let extras: Vec<&String> = sniffed
        .headers
        .iter()
        .filter(|h| !used.contains(h))
        .collect();
    let header_options: Vec<(String, String)> =
        std::iter::once((String::new(), "— not in this file —".to_owned()))
            .chain(sniffed.headers.iter().map(|h| (h.clone(), h.clone())))
            .collect();
    let population_options: Vec<(String, String)> = BasePopulation::ALL
        .iter()
        .map(|p| (p.as_str().to_owned(), p.label().to_owned()))
        .collect();
    let unreadable_options: Vec<(String, String)> = BasePopulation::ALL
        .iter()
        .map(|p| (p.as_str().to_owned(), p.label().to_owned()))
        .collect();
    Ok(html! {
        h2 { "What the file holds" }
        p {
            strong { (recognized) }
            " Read as " (sniffed.encoding) @if sniffed.had_bom { " (marked in the file)" } ", columns separated by " (delimiter) "."
        }
        (encoding_form(&url, &encoding, &saved_name))
        @if sniffed.sample.is_empty() {
            p.empty { "The file has column names but no rows." }
        } @else {
            div.table-scroll {
                table.sample {
                    caption { "The first " (sniffed.sample.len()) " " (plural(sniffed.sample.len(), "row", "rows")) " of the file" }
                    thead { tr { @for header in &sniffed.headers { th scope="col" { (header) } } } }
                    tbody {
                        @for row in &sniffed.sample {
                            tr { @for cell in row { td { (cell) } } }
                        }
                    }
                }
            }
        }
        @if !sniffed.sample_errors.is_empty() {
            h3 { "Rows that would be rejected" }
            ul.errors {
                @for e in &sniffed.sample_errors {
                    li { "Row " (e.row) @if let Some(column) = &e.column { ", column " strong { (column) } } ": " (e.reason) }
                }
            }
        }
        h2 { "Which column is which" }
        @if !saved.is_empty() {
            form.filters method="get" action=(url) {
                @if !encoding.is_empty() { input type="hidden" name="encoding" value=(encoding); }
                div.field {
                    label for="f-saved" { "Use a saved mapping" }
                    select #f-saved name="saved" {
                        option value="" { "The suggestion for this file" }
                        @for m in &saved { option value=(m.name) selected[m.name == saved_name] { (m.name) } }
                    }
                }
                button.secondary type="submit" { "Use" }
            }
            @if !saved_name.is_empty() && chosen.is_none() { p.error { "No saved mapping has this name any more." } }
        }
        @if let Some(message) = error_for(error, "saved_mapping") { p.error { (message) } }
        form.stack.mapping method="post" action={ (url) "/start" } {
            (csrf_field(csrf))
            input type="hidden" name="encoding" value=(encoding);
            input type="hidden" name="saved_mapping" value=(saved_name);
            fieldset {
                legend { "Columns for the fields comark knows" }
                @for known in KNOWN_FIELDS {
                    @let label = if *known == "name" { format!("{} (required)", field_label(known)) } else { field_label(known).to_owned() };
                    (select_field(&label, &format!("col_{known}"), &header_options,
                        mapping.columns.get(*known).map(String::as_str).unwrap_or(""),
                        error_for(error, &format!("mapping.{known}"))))
                }
            }
            @if !extras.is_empty() {
                fieldset {
                    legend { "Other columns that may hold the company's website or domain (read for matching only)" }
                    @for (i, header) in extras.iter().enumerate() {
                        label.check for={ "also-" (i) } {
                            input id={ "also-" (i) } type="checkbox" name="also_website" value=(header) checked[mapping.also_websites.contains(header)];
                            " " (header)
                        }
                    }
                    @if let Some(message) = error_for(error, "mapping.also_websites") { p.error { (message) } }
                }
                fieldset {
                    legend { "Keep other columns as fields (partners see fields only if you share them)" }
                    @for (i, header) in extras.iter().enumerate() {
                        label.check for={ "extra-" (i) } {
                            input id={ "extra-" (i) } type="checkbox" name="extra" value=(header) checked[mapping.extra.contains(header)];
                            " " (header)
                        }
                    }
                    @if let Some(message) = error_for(error, "mapping.extra") { p.error { (message) } }
                }
            }
            (select_field("Population of rows that name none", "default_population", &population_options, mapping.default_population.as_str(), None))
            @if !population_header.is_empty() {
                fieldset #value-mapping {
                    legend { "What the values of the column " strong { (population_header) } " mean" }
                    p.muted { "Every row lands. Salesforce's and HubSpot's standard values are read for you: customers, open deals, leads and prospects as such; partners, resellers, competitors, analysts, the press, investors and “Other” as unclassified, which you share or hide per partner like any population." }
                    @for (i, known) in crm_values.iter().enumerate() {
                        @let read = match BasePopulation::from_crm_value(&known.value) {
                            Some(population) => format!("As comark reads it: {} (standard value)", population.label()),
                            None => format!("As comark reads it: a value it does not know, so {}", mapping.unreadable_population.label().to_lowercase()),
                        };
                        @let chosen = mapping.population_values.get(&value_key(&known.value)).map_or("", |p| p.as_str());
                        @let options: Vec<(String, String)> = std::iter::once((String::new(), read))
                            .chain(BasePopulation::ALL.iter().map(|p| (p.as_str().to_owned(), p.label().to_owned())))
                            .collect();
                        input type="hidden" name={ "pv_value_" (i) } value=(known.value);
                        (select_field(&format!("“{}”{}", known.value, known.rows), &format!("pv_{i}"), &options, chosen, None))
                    }
                    (select_field("Rows whose value comark does not know", "unreadable_population", &unreadable_options, mapping.unreadable_population.as_str(), error_for(error, "unreadable_population")))
                    div.field {
                        label for="f-more-values" { "Other values, one per line: " code { "value = population" } }
                        textarea #f-more-values name="more_values" rows="3" aria-describedby="f-more-values-help"
                            aria-invalid=[(!value_errors.is_empty()).then_some("true")] { (more_values) }
                        p.muted #f-more-values-help { "For values further down the file, e.g. " code { "Gold Partner = unclassified" } ". Populations: " (BasePopulation::choices()) "." }
                        @for message in &value_errors { p.error { (message) } }
                    }
                }
            }
            fieldset {
                legend { "Accounts missing from this file" }
                label.check for="mode-update" { input #mode-update type="radio" name="mode" value="update" checked[mode == ImportMode::Update]; " Keep them (update)" }
                label.check for="mode-replace" { input #mode-replace type="radio" name="mode" value="replace" checked[mode == ImportMode::Replace]; " Remove accounts missing from this file (replace)" }
            }
            label.check for="f-strict" {
                input #f-strict type="checkbox" name="strict" value="yes" checked[strict];
                " Import nothing if any row is rejected"
            }
            (field("Save this mapping as (optional)", "save_mapping_as", "text", save_as, error_for(error, "save_mapping_as"), "off"))
            button type="submit" { "Start import" }
        }
    })
}

/// A value of the population column to offer in the value mapping, with how many rows have it.
struct KnownValue {
    value: String,
    /// " — 1,234 rows in the file", or in the preview's rows, or "" when not counted.
    rows: String,
}

/// The values to offer in the value mapping, most rows first: those the last run of this
/// upload counted in the whole file, those of every row in the preview's bytes, then those the
/// mapping reads already. Blank cells are left out: they take the default population.
fn known_values(
    preview: &accounts::Preview,
    mapping: &ColumnMapping,
    import: &AccountImport,
    header: &str,
) -> Vec<KnownValue> {
    if header.is_empty() {
        return Vec::new();
    }
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let mut known = Vec::new();
    let mut offer = |value: &str, rows: String| {
        if !value.is_empty() && seen.insert(value_key(value), ()).is_none() {
            known.push(KnownValue {
                value: value.to_owned(),
                rows,
            });
        }
    };
    let whole_file =
        accounts::population_tally(import).filter(|t| t.column.as_deref() == Some(header));
    if let Some(tally) = &whole_file {
        for v in &tally.values {
            offer(
                &v.value,
                format!(
                    " — {} {} in the file",
                    v.rows,
                    plural(v.rows, "row", "rows")
                ),
            );
        }
    }
    if let Some(tally) = preview.populations(mapping) {
        for v in &tally.values {
            offer(
                &v.value,
                format!(
                    " — {} {} in the first rows",
                    v.rows,
                    plural(v.rows, "row", "rows")
                ),
            );
        }
    }
    for value in mapping.population_values.keys() {
        offer(value, String::new());
    }
    known
}

fn encoding_form(url: &str, encoding: &str, saved: &str) -> Markup {
    let options: Vec<(String, String)> = ENCODINGS
        .iter()
        .map(|(value, text)| ((*value).to_owned(), (*text).to_owned()))
        .collect();
    html! {
        details {
            summary { "Letters look wrong? Read the file in another encoding" }
            form.filters method="get" action=(url) {
                @if !saved.is_empty() { input type="hidden" name="saved" value=(saved); }
                (select_field("Encoding", "encoding", &options, encoding, None))
                button.secondary type="submit" { "Read again" }
            }
        }
    }
}

async fn import_progress(
    State(state): State<AppState>,
    org: WebOrg,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let Some(id) = import_id(&id) else {
        return not_found_page();
    };
    match accounts::get_import(&state.app, &org.scope, id).await {
        Ok(import) => import_state(&org, &import).into_response(),
        Err(error) => error_page(error),
    }
}

async fn start_import(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManageAccounts) {
        return forbidden();
    }
    let Some(id) = import_id(&id) else {
        return not_found_page();
    };
    let pairs = pairs(&body);
    let text = |name: &str| value_of(&pairs, name).unwrap_or_default();
    let mut mapping = ColumnMapping::default();
    for known in KNOWN_FIELDS {
        let header = text(&format!("col_{known}"));
        if !header.is_empty() {
            mapping.columns.insert((*known).to_owned(), header);
        }
    }
    mapping.extra = values_of(&pairs, "extra");
    mapping.also_websites = values_of(&pairs, "also_website");
    if let Some(population) = BasePopulation::parse(&text("default_population")) {
        mapping.default_population = population;
    }
    let unreadable = text("unreadable_population");
    if let Some(population) = BasePopulation::parse(&unreadable) {
        mapping.unreadable_population = population;
    }
    // The free lines, `value = population`: the use case checks them with the mapping.
    let more_values = text("more_values");
    let typed_values: Vec<ValueInput> = more_values
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (value, population) = line.rsplit_once('=').unwrap_or((line, ""));
            ValueInput {
                column: None,
                value: value.trim().to_owned(),
                population: population.trim().to_owned(),
            }
        })
        .collect();
    let saved = text("saved_mapping").trim().to_owned();
    if !saved.is_empty() {
        // The saved mapping's own reading of CRM values comes along.
        if let Ok(list) = accounts::column_mappings(&state.app, &org.scope).await {
            if let Some(found) = list.into_iter().find(|m| m.name == saved) {
                if let Ok(found) = serde_json::from_value::<ColumnMapping>(found.mapping) {
                    mapping.population_values = found.population_values;
                }
            }
        }
    }
    // The form's reading of CRM values wins over the saved one.
    for i in 0.. {
        let Some(value) = value_of(&pairs, &format!("pv_value_{i}")) else {
            break;
        };
        let value = value_key(&value);
        match BasePopulation::parse(&text(&format!("pv_{i}"))) {
            Some(population) => {
                mapping.population_values.insert(value, population);
            }
            None => {
                mapping.population_values.remove(&value);
            }
        }
    }
    let draft = StartDraft {
        mapping,
        saved,
        encoding: text("encoding").trim().to_owned(),
        mode: ImportMode::parse(&text("mode")).unwrap_or_default(),
        strict: !text("strict").is_empty(),
        save_as: text("save_mapping_as"),
        more_values,
    };
    let start = StartImport {
        mapping: Some(draft.mapping.clone()),
        saved_mapping: None,
        save_mapping_as: Some(draft.save_as.clone()).filter(|s| !s.trim().is_empty()),
        encoding: Some(draft.encoding.clone()).filter(|e| !e.is_empty()),
        mode: draft.mode,
        strict: draft.strict,
        population_values: typed_values,
        unreadable_population: Some(unreadable).filter(|u| !u.trim().is_empty()),
    };
    match accounts::start(&state.app, &org.scope, id, start).await {
        Ok(_) => redirect_with_flash(
            &import_url(&org, id),
            "The import has started.",
            secure(&state),
        ),
        Err(AppError::NotFound) => not_found_page(),
        Err(AppError::Forbidden) => forbidden(),
        Err(error) => {
            render_import(
                &state,
                &org,
                &csrf,
                None,
                id,
                &ImportQuery::default(),
                Some(&draft),
                Some(error),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Populations.

/// The population form as sent: slug, label, base, and (field, op, value) per condition row.
#[derive(Default)]
struct PopulationDraft {
    slug: String,
    label: String,
    base: String,
    conditions: Vec<(String, String, String)>,
}

async fn populations_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render_populations(
        &state,
        &org,
        &csrf,
        flash.as_deref(),
        &PopulationDraft::default(),
        None,
    )
    .await
}

async fn render_populations(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    draft: &PopulationDraft,
    error: Option<AppError>,
) -> Response {
    let custom = match accounts::populations(&state.app, &org.scope).await {
        Ok(custom) => custom,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManageAccounts);
    let base = base(org);
    let error_ref = &error;
    let base_options: Vec<(String, String)> =
        std::iter::once((String::new(), "Any account".to_owned()))
            .chain(
                BasePopulation::ALL
                    .iter()
                    .map(|p| (p.as_str().to_owned(), p.label().to_owned())),
            )
            .collect();
    let markup = page(
        shell(org, "Populations", "accounts", csrf, flash),
        html! {
            p { a href={ (base) "/accounts" } { "← Accounts" } }
            h1 { "Populations" }
            p { "Populations group your accounts. For each partner you decide, population by population, whether they see nothing, only how many accounts you have in common, or which ones." }
            (alert(general_error(error_ref)))
            table {
                caption { "Built-in populations, from your CRM's account type or lifecycle stage" }
                thead { tr { th scope="col" { "Population" } th scope="col" { "Short name" } } }
                tbody {
                    @for p in BasePopulation::ALL {
                        tr { th scope="row" { (p.label()) } td { code { (p.as_str()) } } }
                    }
                }
            }
            h2 { "Your own populations" }
            @if custom.is_empty() {
                p.empty { "None yet. Define one to share, say, only your customers in one region." }
            } @else {
                table {
                    caption { "Populations you defined" }
                    thead { tr { th scope="col" { "Population" } th scope="col" { "Short name" } th scope="col" { "Who is in it" } @if manage { th scope="col" { span.sr-only { "Actions" } } } } }
                    tbody {
                        @for p in &custom {
                            tr {
                                th scope="row" { (p.label) }
                                td { code { (p.slug) } }
                                td { (p.rule.describe()) }
                                @if manage {
                                    td {
                                        form.inline method="post" action={ (base) "/accounts/populations/" (p.slug) "/delete" } {
                                            (csrf_field(csrf))
                                            button.link type="submit" aria-label={ "Remove " (p.label) } { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if manage {
                h2 { "Define a population" }
                form.stack method="post" action={ (base) "/accounts/populations" } {
                    (csrf_field(csrf))
                    (field("Name", "label", "text", &draft.label, error_for(error_ref, "label"), "off"))
                    (field("Short name (letters a-z, digits and hyphens)", "slug", "text", &draft.slug, error_for(error_ref, "slug"), "off"))
                    (select_field("Among", "base", &base_options, &draft.base, error_for(error_ref, "base")))
                    datalist #known-fields { @for known in KNOWN_FIELDS { option value=(known) {} } }
                    @for row in 0..CONDITION_ROWS {
                        @let (field_value, op_value, value_value) = draft.conditions.get(row).cloned().unwrap_or_default();
                        fieldset.condition {
                            legend { "Condition " (row + 1) @if row > 0 { " (optional)" } }
                            div.field {
                                label for={ "f-field-" (row) } { "Field" }
                                input id={ "f-field-" (row) } type="text" name={ "field_" (row) } value=(field_value) list="known-fields"
                                    aria-invalid=[error_for(error_ref, &format!("all[{row}].field")).map(|_| "true")];
                                @if let Some(message) = error_for(error_ref, &format!("all[{row}].field")) { p.error { (message) } }
                            }
                            div.field {
                                label for={ "f-op-" (row) } { "Comparison" }
                                select id={ "f-op-" (row) } name={ "op_" (row) } {
                                    @for (_, value, text) in OPS { option value=(value) selected[value == op_value] { (text) } }
                                }
                            }
                            div.field {
                                label for={ "f-value-" (row) } { "Value" }
                                input id={ "f-value-" (row) } type="text" name={ "value_" (row) } value=(value_value)
                                    aria-invalid=[error_for(error_ref, &format!("all[{row}].value")).map(|_| "true")];
                                @if let Some(message) = error_for(error_ref, &format!("all[{row}].value")) { p.error { (message) } }
                            }
                        }
                    }
                    @if let Some(message) = error_for(error_ref, "all") { p.error { (message) } }
                    button type="submit" { "Save population" }
                }
            }
        },
    );
    form_response(&error, markup)
}

async fn save_population(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManageAccounts) {
        return forbidden();
    }
    let pairs = pairs(&body);
    let text = |name: &str| value_of(&pairs, name).unwrap_or_default();
    let draft = PopulationDraft {
        slug: text("slug"),
        label: text("label"),
        base: text("base"),
        conditions: (0..CONDITION_ROWS)
            .map(|row| {
                (
                    text(&format!("field_{row}")),
                    text(&format!("op_{row}")),
                    text(&format!("value_{row}")),
                )
            })
            .collect(),
    };
    // Rows left empty are not conditions; remember which form row each condition came from.
    let mut rows = Vec::new();
    let mut all = Vec::new();
    for (row, (field, op, value)) in draft.conditions.iter().enumerate() {
        if field.trim().is_empty() && value.trim().is_empty() {
            continue;
        }
        let op = OPS
            .iter()
            .find(|(_, name, _)| name == op)
            .map_or(ConditionOp::Equals, |(op, _, _)| *op);
        rows.push(row);
        all.push(Condition {
            field: field.trim().to_owned(),
            op,
            value: value.trim().to_owned(),
        });
    }
    let input = PopulationInput {
        slug: draft.slug.clone(),
        label: draft.label.clone(),
        rule: PopulationRule {
            base: BasePopulation::parse(&draft.base),
            all,
        },
    };
    match accounts::save_population(&state.app, &org.scope, input, &org.actor()).await {
        Ok(saved) => redirect_with_flash(
            &format!("{}/accounts/populations", base(&org)),
            &format!(
                "Saved {}: {}. It is hidden from every partner until you share it.",
                saved.label,
                saved.rule.describe()
            ),
            secure(&state),
        ),
        Err(AppError::Forbidden) => forbidden(),
        Err(AppError::Invalid(errors)) => {
            // Errors name conditions by their place in the rule; the form by its row.
            let errors = ValidationErrors(
                errors
                    .0
                    .into_iter()
                    .map(|e| FieldError {
                        field: renumber(&e.field, &rows),
                        message: e.message,
                    })
                    .collect(),
            );
            render_populations(
                &state,
                &org,
                &csrf,
                None,
                &draft,
                Some(AppError::Invalid(errors)),
            )
            .await
        }
        Err(error) => render_populations(&state, &org, &csrf, None, &draft, Some(error)).await,
    }
}

/// `all[i].field` of the rule as `all[row].field` of the form.
fn renumber(field: &str, rows: &[usize]) -> String {
    let Some(rest) = field.strip_prefix("all[") else {
        return field.to_owned();
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return field.to_owned();
    };
    match index.parse::<usize>().ok().and_then(|i| rows.get(i)) {
        Some(row) => format!("all[{row}]{tail}"),
        None => field.to_owned(),
    }
}

async fn delete_population(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, slug)): Path<(String, String)>,
) -> Response {
    if !org.scope.can(Action::ManageAccounts) {
        return forbidden();
    }
    match accounts::delete_population(&state.app, &org.scope, &slug, &org.actor()).await {
        Ok(()) => redirect_with_flash(
            &format!("{}/accounts/populations", base(&org)),
            &format!("The population {slug} was removed, and with it what you shared of it."),
            secure(&state),
        ),
        Err(AppError::NotFound) => not_found_page(),
        Err(AppError::Forbidden) => forbidden(),
        Err(error) => {
            render_populations(
                &state,
                &org,
                &csrf,
                None,
                &PopulationDraft::default(),
                Some(error),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// The mapping with one partner.

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct MappingQuery {
    ours: String,
    theirs: String,
    /// Where the page of shared accounts starts: a cursor from the page before.
    after: String,
}

/// Which form on the mapping page an error belongs to, with what was typed.
#[derive(Default)]
struct MappingForms {
    error: Option<AppError>,
    /// The manual match form: (our account, their account, note).
    manual: Option<(String, String, String)>,
}

/// Answers a mapping form that was refused: the page again with the error beside its form,
/// or the not-found and forbidden pages.
async fn refused(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    partner: &str,
    error: AppError,
    manual: Option<(String, String, String)>,
) -> Response {
    match error {
        AppError::NotFound => not_found_page(),
        AppError::Forbidden => forbidden(),
        error => {
            let forms = MappingForms {
                error: Some(error),
                manual,
            };
            render_mapping(
                state,
                org,
                csrf,
                None,
                partner,
                &MappingQuery::default(),
                forms,
            )
            .await
        }
    }
}

async fn mapping_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
    Path((_, partner)): Path<(String, String)>,
    Query(query): Query<MappingQuery>,
) -> Response {
    render_mapping(
        &state,
        &org,
        &csrf,
        flash.as_deref(),
        &partner,
        &query,
        MappingForms::default(),
    )
    .await
}

fn confidence_label(confidence: MatchConfidence) -> &'static str {
    match confidence {
        MatchConfidence::High => "domain",
        MatchConfidence::Medium => "name, one side without a website",
        MatchConfidence::Low => "name, different websites: check it",
    }
}

/// A match key for people: a domain as is, a folded name in quotes.
fn key_label(key: &str) -> String {
    match key.strip_prefix("name:") {
        Some(name) => format!("the name “{name}”"),
        None => key.to_owned(),
    }
}

fn labels_of(slugs: &[PopulationSlug], known: &[PopulationInfo]) -> String {
    slugs
        .iter()
        .filter_map(|slug| known.iter().find(|p| &p.slug == slug))
        .map(|p| p.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn render_mapping(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    partner: &str,
    query: &MappingQuery,
    forms: MappingForms,
) -> Response {
    let slug = |raw: &str| PopulationSlug::parse(raw.trim()).ok();
    let after = match query.after.trim() {
        "" => None,
        raw => match PairCursor::decode(raw) {
            Ok(cursor) => Some(cursor),
            Err(e) => {
                return error_page(AppError::Invalid(ValidationErrors::single(
                    "after",
                    e.to_string(),
                )))
            }
        },
    };
    let page = PairPage {
        after,
        limit: accounts::MAPPING_PAGE,
        ours: slug(&query.ours),
        theirs: slug(&query.theirs),
    };
    let mapping = match accounts::mapping(&state.app, &org.scope, partner, &page).await {
        Ok(mapping) => mapping,
        Err(error) => return error_page(error),
    };
    let markup = mapping_markup(org, csrf, flash, &mapping, query, &forms);
    form_response(&forms.error, markup)
}

fn mapping_markup(
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    mapping: &SharedMapping,
    query: &MappingQuery,
    forms: &MappingForms,
) -> Markup {
    let partner = &mapping.partner;
    let view = &mapping.view;
    let url = mapping_url(org, &partner.handle);
    let manage = org.scope.can(Action::ManageSharing);
    let error = &forms.error;
    let title = format!("Account mapping with {}", partner.name);
    let ours = view
        .rows
        .iter()
        .find(|p| p.slug.as_str() == query.ours.trim());
    let theirs = view
        .columns
        .iter()
        .find(|p| p.slug.as_str() == query.theirs.trim());
    // The store filtered the page by the cell chosen.
    let shown = &view.accounts;
    let filtered = ours.is_some() || theirs.is_some();
    let self_url = if filtered {
        format!(
            "{url}?ours={}&theirs={}",
            url_encode(ours.map(|p| p.slug.as_str()).unwrap_or("")),
            url_encode(theirs.map(|p| p.slug.as_str()).unwrap_or(""))
        )
    } else {
        url.clone()
    };
    let next_url = mapping.next.as_ref().map(|next| {
        let join = if filtered { '&' } else { '?' };
        format!("{self_url}{join}after={}", url_encode(&next.encode()))
    });
    let paged = !query.after.trim().is_empty();
    let their_fields = &view.revealed_fields;
    // A correction made since the matches were computed is not applied yet either.
    let corrected = mapping.corrections.iter().any(|c| {
        mapping
            .freshness
            .computed_at
            .is_none_or(|at| c.created_at > at)
    });
    let fresh = mapping.freshness.fresh && !corrected;
    let corrections = corrections_url(org, &partner.handle);
    let (manual_ours, manual_theirs, manual_note) = forms.manual.clone().unwrap_or_default();
    page(
        shell(org, &title, "accounts", csrf, flash),
        html! {
            p { a href={ (base(org)) "/accounts" } { "← Accounts" } }
            h1 { "Account mapping with " (partner.name) }
            p.actions {
                a.button.secondary href={ (url) ".csv" } download hx-boost="false" { "Export as CSV" }
                a.button.secondary href={ (url) ".xlsx" } download hx-boost="false" { "Export as Excel" }
            }
            (alert(general_error(error)))
            div #mapping-view {
                @if fresh {
                    p #freshness .badge {
                        @match mapping.freshness.computed_at {
                            Some(at) => { "Computed " (ago(at)) }
                            None => { "Not computed yet" }
                        }
                    }
                } @else {
                    // While the matches are recomputed, look again every few seconds.
                    p #freshness .badge.stale role="status" hx-get=(self_url) hx-select="#mapping-view"
                        hx-target="#mapping-view" hx-swap="outerHTML" hx-trigger="load delay:3s" {
                        @if corrected { "Recomputing: a correction changes the matches. " }
                        @else { "Recomputing: your or your partner's accounts changed. " }
                        a href=(self_url) { "Refresh" }
                    }
                }
                h2 { "Overlap" }
                @if view.columns.is_empty() {
                    p.empty { (partner.name) " shares none of their populations with you yet, so there is nothing to count." }
                } @else {
                    div.table-scroll {
                        table.matrix {
                            caption { "Accounts you have in common: your populations (rows) against " (partner.name) "'s (columns)" }
                            thead {
                                tr {
                                    th scope="col" { "Your populations" }
                                    @for column in &view.columns { th scope="col" { (column.label) } }
                                }
                            }
                            tbody {
                                @for (r, row) in view.rows.iter().enumerate() {
                                    tr {
                                        th scope="row" { (row.label) }
                                        @for (c, column) in view.columns.iter().enumerate() {
                                            @let count = view.cells.get(r).and_then(|cells| cells.get(c)).copied().unwrap_or(0);
                                            td.number {
                                                @if count > 0 {
                                                    a href={ (url) "?ours=" (url_encode(row.slug.as_str())) "&theirs=" (url_encode(column.slug.as_str())) }
                                                        aria-label={ (count) " " (plural(count, "account", "accounts")) ": " (row.label) " for you, " (column.label) " for " (partner.name) } { (count) }
                                                } @else { "0" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    p.muted { (view.shared_keys) " " (plural(view.shared_keys, "account", "accounts")) " in common in the populations " (partner.name) " lets you count." }
                }
                @if view.hidden_columns > 0 {
                    p.muted { (view.hidden_columns) " of their populations " (plural(view.hidden_columns, "is", "are")) " hidden from you." }
                }
                @if view.review_keys > 0 {
                    p.muted #to-review { (view.review_keys) " more " (plural(view.review_keys, "account has", "accounts have")) " the same name as one of theirs but another website: listed below as low confidence, to check, and not counted above." }
                }
                h2 { "Accounts in common" }
                @if filtered {
                    p {
                        "Showing accounts that are "
                        @if let Some(p) = ours { strong { (p.label) } " for you" } @else { "in any population for you" }
                        " and "
                        @if let Some(p) = theirs { strong { (p.label) } " for " (partner.name) } @else { "in any population for " (partner.name) }
                        ". " a href=(url) { "Show all" }
                    }
                }
                @if view.listed == 0 {
                    p.empty {
                        @if view.shared_keys > 0 { (partner.name) " lets you count the accounts you have in common, but not see which they are." }
                        @else { "No accounts in common that " (partner.name) " lets you see." }
                    }
                } @else if shown.is_empty() {
                    p.empty { "None of the accounts " (partner.name) " lets you see are in both populations." }
                } @else {
                    div.table-scroll {
                        table.matches {
                            caption {
                                @if filtered {
                                    "Accounts in common in this cell that " (partner.name) " lets you see"
                                } @else {
                                    (view.listed) " " (plural(view.listed, "account", "accounts")) " in common that " (partner.name) " lets you see"
                                }
                                @if next_url.is_some() || paged { " (" (shown.len()) " on this page, by the name of your account; the export has all)" }
                            }
                            thead {
                                tr {
                                    th scope="col" { "Your account" }
                                    th scope="col" { "Your populations" }
                                    th scope="col" { (partner.name) "'s account" }
                                    th scope="col" { "Their populations" }
                                    @if !their_fields.is_empty() { th scope="col" { "Their fields" } }
                                    th scope="col" { "Matched on" }
                                    @if manage { th scope="col" { span.sr-only { "Actions" } } }
                                }
                            }
                            tbody {
                                @for shared in shown {
                                    tr data-key=(shared.key) {
                                        td { (shared.ours.name) @if let Some(domain) = &shared.ours.domain { br; span.muted { (domain) } } }
                                        td { (labels_of(&shared.ours.populations, &view.rows)) }
                                        td { (shared.theirs.name) @if let Some(domain) = &shared.theirs.domain { br; span.muted { (domain) } } }
                                        td { (labels_of(&shared.theirs.populations, &view.columns)) }
                                        @if !their_fields.is_empty() {
                                            td {
                                                @for (name, value) in &shared.theirs.fields {
                                                    span.kv { (field_label(name)) ": " (value) } " "
                                                }
                                            }
                                        }
                                        td {
                                            (key_label(&shared.key)) br;
                                            span.muted title=(shared.reason) { (confidence_label(shared.confidence)) @if shared.manual { ", added by hand" } }
                                        }
                                        @if manage {
                                            td {
                                                form.inline method="post" action=(corrections) {
                                                    (csrf_field(csrf))
                                                    input type="hidden" name="kind" value="wrong";
                                                    input type="hidden" name="key" value=(shared.key);
                                                    button.small.secondary type="submit" aria-label={ "Not the same company: " (shared.ours.name) " and " (shared.theirs.name) } { "Not the same company" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if next_url.is_some() || paged {
                nav.pager aria-label="Pages of accounts in common" {
                    @if paged { a href=(self_url) { "← First page" } " " }
                    @if let Some(next) = &next_url { a rel="next" href=(next) { "Next " (accounts::MAPPING_PAGE) " accounts →" } }
                }
            }
            h2 { "Corrections" }
            p.muted { "You and " (partner.name) " both see every correction. The matches change for both sides once they are recomputed." }
            @if mapping.corrections.is_empty() {
                p.empty { "No corrections yet." }
            } @else {
                ul.cards.corrections {
                    @for c in &mapping.corrections { (correction_item(csrf, &corrections, c, manage)) }
                }
            }
            @if manage {
                h3 { "Add a match the keys missed" }
                p { "When one of your accounts is the same company as one of theirs but the websites or names differ." }
                form.stack method="post" action=(corrections) {
                    (csrf_field(csrf))
                    input type="hidden" name="kind" value="manual";
                    (field("Your account: its CRM id or exact name", "crm_id", "text", &manual_ours, error_for(error, "crm_id").or(error_for(error, "account_id")), "off"))
                    (field("Their website or company name", "partner_account", "text", &manual_theirs, error_for(error, "partner_account"), "off"))
                    div.field {
                        label for="f-note" { "A note for " (partner.name) " (optional)" }
                        textarea #f-note name="note" rows="2" { (manual_note) }
                        @if let Some(message) = error_for(error, "note") { p.error { (message) } }
                    }
                    button type="submit" { "Add the match" }
                }
                h2 #sharing { "What " (partner.name) " sees of your accounts" }
                p { "Nothing is shared until you choose. A change applies to " (partner.name) "'s next look at the mapping." }
                @if let Some(message) = error_for(error, "level").or(error_for(error, "fields")).or(error_for(error, "population")) {
                    p.error role="alert" { (message) }
                }
                form method="post" action={ (base(org)) "/partners/" (url_encode(&partner.handle)) "/sharing" } {
                    (csrf_field(csrf))
                    div.table-scroll {
                        table.sharing {
                            caption { "Your populations and what " (partner.name) " sees of each" }
                            thead { tr { th scope="col" { "Population" } th scope="col" { "They see" } th scope="col" { "Fields they see (with “Overlapping accounts with fields”)" } } }
                            tbody {
                                @for p in &view.rows {
                                    @let share = mapping.our_policy.share(&p.slug);
                                    @let id = format!("level-{}", p.slug);
                                    tr {
                                        th scope="row" { (p.label) }
                                        td {
                                            label.sr-only for=(id) { "What " (partner.name) " sees of " (p.label) }
                                            select id=(id) name={ "level_" (p.slug) } {
                                                @for level in SharingLevel::ALL { option value=(level.as_str()) selected[level == share.level] { (level.label()) } }
                                            }
                                        }
                                        td {
                                            @for f in comark_app::import::shareable_fields() {
                                                @let box_id = format!("share-{}-{f}", p.slug);
                                                label.check for=(box_id) {
                                                    input id=(box_id) type="checkbox" name={ "fields_" (p.slug) } value=(f) checked[share.fields.iter().any(|s| s == f)];
                                                    " " (field_label(f))
                                                    span.sr-only { " for " (p.label) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    p { button type="submit" { "Save sharing" } }
                }
            } @else {
                h2 { "What " (partner.name) " sees of your accounts" }
                ul {
                    @for p in &view.rows {
                        @let share = mapping.our_policy.share(&p.slug);
                        li { (p.label) ": " (share.level.label())
                            @if share.level == SharingLevel::OverlapsWithFields && !share.fields.is_empty() { " (" (share.fields.join(", ")) ")" } }
                    }
                }
                p.muted { "Owners, admins and partner managers decide what is shared." }
            }
        },
    )
}

fn corrections_url(org: &WebOrg, partner: &str) -> String {
    format!("{}/partners/{}/corrections", base(org), url_encode(partner))
}

fn correction_item(csrf: &str, corrections: &str, c: &Correction, manage: bool) -> Markup {
    html! {
        li {
            @match c.kind {
                CorrectionKind::Wrong => { strong { "Not the same company" } " — the match on " (key_label(&c.key)) }
                CorrectionKind::Manual => {
                    strong { "Same company" } " — "
                    @if let Some(name) = &c.account_name { (name) } @else { "an account" }
                    " is " (key_label(&c.key))
                }
            }
            br;
            span.muted { "by " (c.by) @if c.ours { " (you)" } " · " (when(c.created_at)) }
            @if !c.note.is_empty() { blockquote { (c.note) } }
            @if c.ours && manage {
                form.inline method="post" action={ (corrections) "/" (c.id) "/withdraw" } {
                    (csrf_field(csrf))
                    button.small.secondary type="submit" aria-label={ "Withdraw the correction on " (key_label(&c.key)) } { "Withdraw" }
                }
            }
        }
    }
}

async fn export(state: AppState, org: WebOrg, partner: String, format: ExportFormat) -> Response {
    match crate::api::accounts::export_response(&state, &org.scope, &partner, format, &org.actor())
        .await
    {
        Ok(response) => response,
        Err(error) => error_page(error),
    }
}

async fn export_csv(
    State(state): State<AppState>,
    org: WebOrg,
    Path((_, partner)): Path<(String, String)>,
) -> Response {
    export(state, org, partner, ExportFormat::Csv).await
}

async fn export_xlsx(
    State(state): State<AppState>,
    org: WebOrg,
    Path((_, partner)): Path<(String, String)>,
) -> Response {
    export(state, org, partner, ExportFormat::Xlsx).await
}

async fn correct(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, partner)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManageSharing) {
        return forbidden();
    }
    let pairs = pairs(&body);
    let text = |name: &str| value_of(&pairs, name).unwrap_or_default();
    let kind = text("kind");
    let manual =
        (kind == "manual").then(|| (text("crm_id"), text("partner_account"), text("note")));
    let input = match kind.as_str() {
        "wrong" => Ok(CorrectionInput {
            kind: CorrectionKind::Wrong,
            key: Some(text("key")),
            account_id: None,
            partner_account: None,
            note: text("note"),
        }),
        "manual" => accounts::find_account(&state.app, &org.scope, &text("crm_id"))
            .await
            .map(|account| CorrectionInput {
                kind: CorrectionKind::Manual,
                key: None,
                account_id: Some(account.id),
                partner_account: Some(text("partner_account")),
                note: text("note"),
            }),
        _ => Err(invalid("kind", "must be wrong or manual")),
    };
    let outcome = match input {
        Ok(input) => accounts::correct(&state.app, &org.scope, &partner, input, &org.actor())
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => {
            let message = if kind == "wrong" {
                "Marked as not the same company. Both of you see the correction; the matches are recomputed in a moment."
            } else {
                "Match added. Both of you see it; the matches are recomputed in a moment."
            };
            redirect_with_flash(&mapping_url(&org, &partner), message, secure(&state))
        }
        Err(error) => refused(&state, &org, &csrf, &partner, error, manual).await,
    }
}

async fn withdraw_correction(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, partner, id)): Path<(String, String, String)>,
) -> Response {
    if !org.scope.can(Action::ManageSharing) {
        return forbidden();
    }
    let Ok(id) = id.parse::<CorrectionId>() else {
        return not_found_page();
    };
    match accounts::withdraw_correction(&state.app, &org.scope, &partner, id, &org.actor()).await {
        Ok(()) => redirect_with_flash(
            &mapping_url(&org, &partner),
            "Correction withdrawn; the matches are recomputed in a moment.",
            secure(&state),
        ),
        Err(error) => refused(&state, &org, &csrf, &partner, error, None).await,
    }
}

async fn save_sharing(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, partner)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManageSharing) {
        return forbidden();
    }
    let mapping =
        match accounts::mapping(&state.app, &org.scope, &partner, &PairPage::first(0)).await {
            Ok(mapping) => mapping,
            Err(error) => return error_page(error),
        };
    let pairs = pairs(&body);
    let mut changed = 0;
    for population in &mapping.view.rows {
        let slug = population.slug.as_str();
        // A population the form did not send stays as it is.
        let Some(level) = value_of(&pairs, &format!("level_{slug}")) else {
            continue;
        };
        let fields = if SharingLevel::parse(&level) == Some(SharingLevel::OverlapsWithFields) {
            values_of(&pairs, &format!("fields_{slug}"))
        } else {
            Vec::new()
        };
        let current = mapping.our_policy.share(&population.slug);
        let same_fields = current
            .fields
            .iter()
            .map(|f| f.to_lowercase())
            .collect::<BTreeSet<_>>()
            == fields
                .iter()
                .map(|f| f.trim().to_lowercase())
                .collect::<BTreeSet<_>>();
        if SharingLevel::parse(&level) == Some(current.level) && same_fields {
            continue;
        }
        if let Err(error) = accounts::set_sharing(
            &state.app,
            &org.scope,
            &partner,
            slug,
            &level,
            &fields,
            &org.actor(),
        )
        .await
        {
            return refused(&state, &org, &csrf, &partner, error, None).await;
        }
        changed += 1;
    }
    let message = if changed == 0 {
        "Nothing changed.".to_owned()
    } else {
        format!(
            "Saved. {} sees the new sharing from now on.",
            mapping.partner.name
        )
    };
    redirect_with_flash(
        &format!("{}#sharing", mapping_url(&org, &partner)),
        &message,
        secure(&state),
    )
}
