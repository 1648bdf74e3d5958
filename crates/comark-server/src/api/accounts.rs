//! Accounts and account mapping: CRM imports, populations, the mapping with each partner,
//! sharing, corrections and exports.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use comark_app::accounts::{
    self, CorrectionInput, ExportFormat, PopulationInput, StartImport, ValueInput, CHUNK_SIZE,
    MAX_UPLOAD_BYTES,
};
use comark_app::import::{ColumnMapping, PopulationTally, ReadAs};
use comark_app::AppError;
use comark_domain::accounts::{BasePopulation, PopulationRule, PopulationSlug};
use comark_domain::cursor::PairCursor;
use comark_domain::{AccountId, Cursor, ImportId, ValidationErrors};
use comark_store::accounts::{
    Account, AccountImport, CorrectionKind, CustomPopulation, ImportMode, PairPage, SharedMapping,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{self, Page, PageQuery};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiOrg;
use crate::error::{ApiError, Problem};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

/// An import of a CRM file: where it stands and what it did.
#[derive(Serialize, ToSchema)]
pub struct ImportOut {
    /// Its id.
    pub id: uuid::Uuid,
    /// The uploaded file's name.
    pub file_name: String,
    /// uploaded, queued, running, done or failed.
    pub status: String,
    /// update (keep accounts missing from the file) or replace (remove them).
    pub mode: String,
    /// Whether one bad row rejects the whole file.
    pub strict: bool,
    /// The file's size in bytes.
    pub bytes_total: i64,
    /// How much of it was read.
    pub bytes_done: i64,
    /// Rows read.
    pub rows_read: i64,
    /// Accounts written (each CRM id once).
    pub rows_imported: i64,
    /// Rows rejected.
    pub rows_rejected: i64,
    /// Rows merged into an earlier row with the same CRM id.
    pub rows_merged: i64,
    /// The rejected rows (the first thousand): `row` as a spreadsheet numbers it, `column`, `reason`.
    #[schema(value_type = Vec<Object>)]
    pub errors: serde_json::Value,
    /// Why it failed, when it did; nothing landed then.
    pub failure: Option<String>,
    /// What happened to its run that a person should know: a restart after the server
    /// running it stopped, or a retry after an error.
    pub note: Option<String>,
    /// The confirmed column mapping.
    #[schema(value_type = Option<Object>)]
    pub mapping: Option<serde_json::Value>,
    /// How the population column was read, once the import finished: every row lands, so
    /// each value is listed with its rows and the population they went to, most rows first.
    /// To read values otherwise, start the import again with `population_values` (and
    /// `unreadable_population`).
    pub population_readings: Option<PopulationReadingsOut>,
    /// When it was uploaded.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it finished.
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// How the population column of a file was read.
#[derive(Serialize, ToSchema)]
pub struct PopulationReadingsOut {
    /// The header of the population column; null when the mapping has none.
    pub column: Option<String>,
    /// Rows that landed per population (customer, opportunity, prospect, unclassified).
    pub rows_by_population: std::collections::BTreeMap<String, u64>,
    /// The values with the most rows (at most 50), most rows first.
    pub values: Vec<ValueReadingOut>,
    /// How many other values there were (at least that many when `all_values_told_apart`
    /// is false).
    pub more_values: u64,
    /// How many rows those other values had.
    pub more_rows: u64,
    /// Whether every distinct value was told apart (past 10,000 they are only counted).
    pub all_values_told_apart: bool,
    /// How to read a value otherwise.
    pub how_to_change: String,
}

/// One value of the population column, its rows and where they went.
#[derive(Serialize, ToSchema)]
pub struct ValueReadingOut {
    /// The value as first met (values differing only in case are one); empty for blank cells.
    pub value: String,
    /// How many rows had it.
    pub rows: u64,
    /// blank (the default population), yours (`population_values`), standard (a CRM's
    /// standard value) or unreadable (`unreadable_population`).
    pub read_as: String,
    /// The population its rows went to.
    pub population: String,
    /// The same as a sentence: `10,175 rows with Type "Other" counted as unclassified
    /// (standard reading)`.
    pub summary: String,
}

fn read_as_name(read_as: ReadAs) -> &'static str {
    match read_as {
        ReadAs::Blank => "blank",
        ReadAs::Yours => "yours",
        ReadAs::Standard => "standard",
        ReadAs::Unreadable => "unreadable",
    }
}

impl From<PopulationTally> for PopulationReadingsOut {
    fn from(tally: PopulationTally) -> Self {
        let column = tally.column.as_deref();
        PopulationReadingsOut {
            values: tally
                .values
                .iter()
                .map(|v| ValueReadingOut {
                    value: v.value.clone(),
                    rows: v.rows,
                    read_as: read_as_name(v.read_as).to_owned(),
                    population: v.population.as_str().to_owned(),
                    summary: v.describe(column),
                })
                .collect(),
            rows_by_population: tally
                .rows_by_population
                .iter()
                .map(|(population, rows)| (population.as_str().to_owned(), *rows))
                .collect(),
            more_values: tally.more_values,
            more_rows: tally.more_rows,
            all_values_told_apart: tally.all_values_told_apart,
            how_to_change: format!(
                "start the import again with population_values (value to {}) and \
                 unreadable_population for values comark does not know",
                BasePopulation::choices()
            ),
            column: tally.column,
        }
    }
}

impl From<AccountImport> for ImportOut {
    fn from(i: AccountImport) -> Self {
        let population_readings = accounts::population_tally(&i).map(PopulationReadingsOut::from);
        ImportOut {
            id: i.id.0,
            file_name: i.file_name,
            status: i.status.as_str().to_owned(),
            mode: i.mode.as_str().to_owned(),
            strict: i.strict,
            bytes_total: i.bytes_total,
            bytes_done: i.bytes_done,
            rows_read: i.rows_read,
            rows_imported: i.rows_imported,
            rows_rejected: i.rows_rejected,
            rows_merged: i.rows_merged,
            errors: i.errors,
            failure: i.failure,
            note: i.note,
            mapping: i.mapping,
            population_readings,
            created_at: i.created_at,
            finished_at: i.finished_at,
        }
    }
}

/// An upload with the first look at its content.
#[derive(Serialize, ToSchema)]
pub struct PreviewOut {
    /// The import.
    pub import: ImportOut,
    /// The encoding read or chosen (an encoding_rs name such as UTF-8 or windows-1252).
    pub encoding: String,
    /// The column delimiter found.
    pub delimiter: String,
    /// The header row.
    pub headers: Vec<String>,
    /// salesforce, hubspot or other, from the headers.
    pub format: String,
    /// The suggested column mapping: `columns` (field to header), `extra`, `default_population`, `population_values`.
    #[schema(value_type = Object)]
    pub suggested: serde_json::Value,
    /// The first rows, as cells.
    pub sample: Vec<Vec<String>>,
    /// What the suggested mapping would reject among the sample rows.
    #[schema(value_type = Vec<Object>)]
    pub sample_errors: serde_json::Value,
    /// How the suggested mapping reads the population values of every row in the first
    /// 64 KiB of the file (not only the sample), to decide `population_values` before
    /// starting; the finished import counts the whole file. Null when the suggestion has no
    /// name column.
    pub population_readings: Option<PopulationReadingsOut>,
}

fn preview_out(preview: accounts::Preview) -> PreviewOut {
    let population_readings = preview
        .populations(&preview.sniffed.suggested)
        .map(PopulationReadingsOut::from);
    let sniffed = preview.sniffed;
    PreviewOut {
        import: preview.import.into(),
        encoding: sniffed.encoding.to_owned(),
        delimiter: char::from(sniffed.delimiter).to_string(),
        headers: sniffed.headers,
        format: serde_json::to_value(sniffed.format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        suggested: serde_json::to_value(&sniffed.suggested).unwrap_or_default(),
        sample: sniffed.sample,
        sample_errors: serde_json::to_value(&sniffed.sample_errors).unwrap_or_default(),
        population_readings,
    }
}

/// Upload options.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, for the import list.
    pub file_name: Option<String>,
    /// The file's encoding when it is not detected right (windows-1252, iso-8859-1, shift_jis, utf-16le...).
    pub encoding: Option<String>,
}

/// Streams a request body into stored pieces of `CHUNK_SIZE`, never holding the whole file.
async fn store_body(
    state: &AppState,
    org: &ApiOrg,
    import: ImportId,
    body: Body,
) -> Result<(), ApiError> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK_SIZE);
    let mut seq = 0;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            AppError::Invalid(ValidationErrors::single(
                "file",
                format!("the upload broke off: {e}"),
            ))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len();
        if total > MAX_UPLOAD_BYTES {
            return Err(AppError::Invalid(ValidationErrors::single(
                "file",
                "is larger than 1 GiB",
            ))
            .into());
        }
        buffer.extend_from_slice(&data);
        while buffer.len() >= CHUNK_SIZE {
            let rest = buffer.split_off(CHUNK_SIZE);
            accounts::append_upload(&state.app, &org.scope, import, seq, &buffer).await?;
            seq += 1;
            buffer = rest;
        }
    }
    if !buffer.is_empty() {
        accounts::append_upload(&state.app, &org.scope, import, seq, &buffer).await?;
    }
    if total == 0 {
        return Err(AppError::Invalid(ValidationErrors::single("file", "is empty")).into());
    }
    Ok(())
}

/// Uploads a CSV file of accounts (the request body, any content type) and previews it:
/// encoding, delimiter, CRM recognized by its headers, a suggested column mapping and the
/// first rows with what they would be rejected for. Send `Idempotency-Key` to make a retry
/// safe. Start the import with `POST .../imports/{id}/start`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/imports", tag = "accounts", params(("org" = String, Path), UploadQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "The same key returns the same import")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = PreviewOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload_import(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let record = accounts::begin_upload(
        &state.app,
        &org.scope,
        query.file_name.as_deref().unwrap_or("accounts.csv"),
        key,
        &org.actor(),
    )
    .await?;
    // A retried request with a used key gets the first upload back, unchanged.
    if record.bytes_total == 0 {
        store_body(&state, &org, record.id, body).await?;
    }
    let preview =
        accounts::preview(&state.app, &org.scope, record.id, query.encoding.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(preview_out(preview))).into_response())
}

/// The latest imports, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports", tag = "accounts", params(("org" = String, Path)),
    responses((status = 200, body = Vec<ImportOut>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_imports(
    State(state): State<AppState>,
    org: ApiOrg,
) -> ApiResult<Json<Vec<ImportOut>>> {
    let imports = accounts::list_imports(&state.app, &org.scope).await?;
    Ok(Json(imports.into_iter().map(ImportOut::from).collect()))
}

fn import_id(raw: &str) -> Result<ImportId, ApiError> {
    raw.parse::<uuid::Uuid>()
        .map(ImportId)
        .map_err(|_| AppError::NotFound.into())
}

/// One import, with its progress or result.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports/{id}", tag = "accounts", params(("org" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ImportOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_import(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<Json<ImportOut>> {
    let import = accounts::get_import(&state.app, &org.scope, import_id(&path.1)?).await?;
    Ok(Json(import.into()))
}

/// Encoding override for a preview.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// Read the file in this encoding instead of the detected one.
    pub encoding: Option<String>,
}

/// The first look at an uploaded file again, maybe in another encoding.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/imports/{id}/preview", tag = "accounts",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path), PreviewQuery),
    responses((status = 200, body = PreviewOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn preview_import(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<PreviewOut>> {
    let preview = accounts::preview(
        &state.app,
        &org.scope,
        import_id(&path.1)?,
        query.encoding.as_deref(),
    )
    .await?;
    Ok(Json(preview_out(preview)))
}

/// What to confirm before an import runs; everything is optional.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StartImportBody {
    /// The column mapping; without it, `saved_mapping` or the suggestion.
    #[schema(value_type = Option<Object>)]
    pub mapping: Option<ColumnMapping>,
    /// The name of a saved column mapping.
    pub saved_mapping: Option<String>,
    /// Save the mapping under this name.
    pub save_mapping_as: Option<String>,
    /// The file's encoding.
    pub encoding: Option<String>,
    /// update (default) or replace.
    pub mode: Option<String>,
    /// Reject the whole file if one row is bad.
    pub strict: bool,
    /// What values of the population column mean, over the mapping's own reading: value
    /// (any case) to customer, opportunity, prospect or unclassified, e.g.
    /// `{"Other": "prospect", "Partner": "unclassified"}`. Without it a CRM's standard values
    /// are read as comark reads them (see `population_readings` on the import). Saved with
    /// `save_mapping_as`, and applied again with `saved_mapping`.
    pub population_values: std::collections::BTreeMap<String, String>,
    /// Where rows go whose value is neither in `population_values` nor a CRM's standard
    /// value: customer, opportunity, prospect or unclassified (the default). Such rows are
    /// never rejected.
    pub unreadable_population: Option<String>,
}

/// Confirms the mapping and starts the import in the background; poll the import for
/// progress. A failed or finished import may be started again, with other choices: the
/// same upload is read again, say with another `population_values`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/imports/{id}/start", tag = "accounts",
    params(("org" = String, Path), ("id" = uuid::Uuid, Path)), request_body = StartImportBody,
    responses((status = 202, body = ImportOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn start_import(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<StartImportBody>,
) -> ApiResult<Response> {
    let mode = match body.mode.as_deref() {
        None => ImportMode::Update,
        Some(mode) => ImportMode::parse(mode).ok_or_else(|| {
            AppError::Invalid(ValidationErrors::single(
                "mode",
                "must be update or replace",
            ))
        })?,
    };
    let start = StartImport {
        mapping: body.mapping,
        saved_mapping: body.saved_mapping,
        save_mapping_as: body.save_mapping_as,
        encoding: body.encoding,
        mode,
        strict: body.strict,
        population_values: body
            .population_values
            .into_iter()
            .map(|(value, population)| ValueInput {
                column: None,
                value,
                population,
            })
            .collect(),
        unreadable_population: body.unreadable_population,
    };
    let import = accounts::start(&state.app, &org.scope, import_id(&path.1)?, start).await?;
    Ok((StatusCode::ACCEPTED, Json(ImportOut::from(import))).into_response())
}

/// An account of yours.
#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    /// Its id.
    pub id: uuid::Uuid,
    /// The CRM's id.
    pub crm_id: String,
    /// The company's name.
    pub name: String,
    /// The website as imported.
    pub website: Option<String>,
    /// The registrable domain it matches by.
    pub domain: Option<String>,
    /// customer, opportunity, prospect or unclassified.
    pub population: String,
    /// The other imported fields.
    pub fields: std::collections::BTreeMap<String, String>,
}

impl From<Account> for AccountOut {
    fn from(a: Account) -> Self {
        AccountOut {
            id: a.id.0,
            crm_id: a.crm_id,
            name: a.name,
            website: a.website,
            domain: a.domain,
            population: a.population.as_str().to_owned(),
            fields: a.fields,
        }
    }
}

/// Account filters; the paging is `PageQuery`'s.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountsQuery {
    /// Part of the name or website.
    pub search: Option<String>,
    /// customer, opportunity, prospect or unclassified.
    pub population: Option<String>,
}

/// Your accounts by name, a page at a time.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/accounts", tag = "accounts", params(("org" = String, Path), AccountsQuery, PageQuery),
    responses((status = 200, body = Page<AccountOut>),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_accounts(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<AccountsQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<AccountOut>>> {
    let population = match query.population.as_deref() {
        None | Some("") => None,
        Some(p) => Some(BasePopulation::parse(p).ok_or_else(|| {
            AppError::Invalid(ValidationErrors::single(
                "population",
                format!("must be {}", BasePopulation::choices()),
            ))
        })?),
    };
    let (cursor, limit) = page.read()?;
    let limit = i64::from(limit);
    // Names sort the list; the cursor holds the last account's id and its name is read back.
    let after = match cursor {
        None => None,
        Some(cursor) => {
            let found = accounts::account(&state.app, &org.scope, AccountId(cursor.id))
                .await
                .map_err(|_| {
                    AppError::Invalid(ValidationErrors::single(
                        "cursor",
                        "is not a cursor returned by this API",
                    ))
                })?;
            Some((found.name, found.id))
        }
    };
    let mut items = accounts::list_accounts(
        &state.app,
        &org.scope,
        query.search.as_deref(),
        population,
        after,
        limit + 1,
    )
    .await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|a| {
            Cursor {
                created_at: a.updated_at,
                id: a.id.0,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Json(Page {
        items: items.into_iter().map(AccountOut::from).collect(),
        next_cursor,
    }))
}

/// A custom population: accounts selected by a rule on imported fields.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PopulationBody {
    /// Its short name (a-z, 0-9 and dashes).
    #[serde(default)]
    pub slug: String,
    /// What people call it.
    pub label: String,
    /// `base` (customer, opportunity, prospect, unclassified or null) and `all`: conditions
    /// `{field, op, value}` with op equals, not_equals, one_of, contains, at_least or at_most.
    #[schema(value_type = Object)]
    pub rule: PopulationRule,
    /// The rule in words.
    #[serde(default, skip_deserializing)]
    pub description: String,
}

impl From<CustomPopulation> for PopulationBody {
    fn from(p: CustomPopulation) -> Self {
        PopulationBody {
            slug: p.slug.as_str().to_owned(),
            label: p.label,
            description: p.rule.describe(),
            rule: p.rule,
        }
    }
}

/// Your custom populations.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/populations", tag = "accounts", params(("org" = String, Path)),
    responses((status = 200, body = Vec<PopulationBody>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_populations(
    State(state): State<AppState>,
    org: ApiOrg,
) -> ApiResult<Json<Vec<PopulationBody>>> {
    let populations = accounts::populations(&state.app, &org.scope).await?;
    Ok(Json(populations.into_iter().map(Into::into).collect()))
}

/// Defines or redefines a custom population (owners, admins, partner managers).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/populations/{slug}", tag = "accounts",
    params(("org" = String, Path), ("slug" = String, Path)), request_body = PopulationBody,
    responses((status = 200, body = PopulationBody), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_population(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PopulationBody>,
) -> ApiResult<Json<PopulationBody>> {
    let input = PopulationInput {
        slug: path.1,
        label: body.label,
        rule: body.rule,
    };
    let saved = accounts::save_population(&state.app, &org.scope, input, &org.actor()).await?;
    Ok(Json(saved.into()))
}

/// Removes a custom population and what was shared of it.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/populations/{slug}", tag = "accounts",
    params(("org" = String, Path), ("slug" = String, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_population(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    accounts::delete_population(&state.app, &org.scope, &path.1, &org.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A saved column mapping.
#[derive(Serialize, ToSchema)]
pub struct SavedMappingOut {
    /// Its name.
    pub name: String,
    /// The mapping.
    #[schema(value_type = Object)]
    pub mapping: serde_json::Value,
}

/// The column mappings saved for next time.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/column-mappings", tag = "accounts", params(("org" = String, Path)),
    responses((status = 200, body = Vec<SavedMappingOut>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_column_mappings(
    State(state): State<AppState>,
    org: ApiOrg,
) -> ApiResult<Json<Vec<SavedMappingOut>>> {
    let saved = accounts::column_mappings(&state.app, &org.scope).await?;
    Ok(Json(
        saved
            .into_iter()
            .map(|m| SavedMappingOut {
                name: m.name,
                mapping: m.mapping,
            })
            .collect(),
    ))
}

/// Forgets a saved column mapping.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/column-mappings/{name}", tag = "accounts",
    params(("org" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_column_mapping(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    accounts::delete_column_mapping(&state.app, &org.scope, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account mapping with a partner, as far as the partner allows.
#[derive(Serialize, ToSchema)]
pub struct MappingOut {
    /// The partner's handle.
    pub partner: String,
    /// `rows` (your populations), `columns` (the partner's populations it shares at least
    /// as counts), `hidden_columns`, `cells[row][col]` (distinct overlapping accounts),
    /// `shared_keys`, `review_keys` (accounts only a low-confidence match found: the same
    /// name, other websites; listed for review, never counted in a cell), `listed` (how many
    /// overlapping accounts the partner lets you see), `revealed_fields` and `accounts` (one
    /// page of them).
    #[schema(value_type = Object)]
    pub view: serde_json::Value,
    /// The cursor of the next page of accounts; null on the last.
    pub next_cursor: Option<String>,
    /// When the matches were computed.
    pub computed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// False while either side's accounts changed since.
    pub fresh: bool,
    /// Both sides' corrections.
    #[schema(value_type = Vec<Object>)]
    pub corrections: serde_json::Value,
    /// What you share with the partner, per population (unset means hidden).
    #[schema(value_type = Object)]
    pub your_sharing: serde_json::Value,
}

fn mapping_out(m: SharedMapping) -> MappingOut {
    MappingOut {
        partner: m.partner.handle,
        view: serde_json::to_value(&m.view).unwrap_or_default(),
        next_cursor: m.next.as_ref().map(PairCursor::encode),
        computed_at: m.freshness.computed_at,
        fresh: m.freshness.fresh,
        corrections: serde_json::to_value(&m.corrections).unwrap_or_default(),
        your_sharing: serde_json::to_value(&m.our_policy.by_population).unwrap_or_default(),
    }
}

/// Which page of a mapping's shared accounts to return.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MappingPageQuery {
    /// The `next_cursor` of the previous page.
    #[param(max_length = 4000)]
    pub cursor: Option<String>,
    /// How many accounts, from 1 to 200 (default 50); any other value is refused.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<String>,
    /// Only accounts of yours in this population.
    pub ours: Option<String>,
    /// Only accounts of theirs in this population.
    pub theirs: Option<String>,
}

impl MappingPageQuery {
    fn read(&self) -> Result<PairPage, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let (after, limit) =
            dto::read_page(&mut errors, &self.cursor, &self.limit, PairCursor::decode);
        let mut population =
            |name: &'static str, raw: &Option<String>| match raw.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => PopulationSlug::parse(raw)
                    .map_err(|_| errors.add(name, "is not a population"))
                    .ok(),
            };
        let ours = population("ours", &self.ours);
        let theirs = population("theirs", &self.theirs);
        errors.into_result()?;
        Ok(PairPage {
            after,
            limit,
            ours,
            theirs,
        })
    }
}

/// The overlap matrix and one page of the shared accounts with a connected partner, by the
/// name of your account; `next_cursor` gives the next page.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/mappings/{partner}", tag = "accounts",
    params(("org" = String, Path), ("partner" = String, Path), MappingPageQuery),
    responses((status = 200, body = MappingOut), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn get_mapping(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<MappingPageQuery>,
) -> ApiResult<Json<MappingOut>> {
    let page = query.read().map_err(AppError::Invalid)?;
    let mapping = accounts::mapping(&state.app, &org.scope, &path.1, &page).await?;
    Ok(Json(mapping_out(mapping)))
}

/// What a partner may see of one population.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharingBody {
    /// hidden, counts, overlaps or overlaps_with_fields.
    pub level: String,
    /// The fields shown at overlaps_with_fields (owner, stage, industry...).
    #[serde(default)]
    pub fields: Vec<String>,
}

/// Sets what the partner may see of one of your populations (owners, admins, partner managers).
/// It takes effect with the partner's next request.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/mappings/{partner}/sharing/{population}", tag = "accounts",
    params(("org" = String, Path), ("partner" = String, Path), ("population" = String, Path)), request_body = SharingBody,
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_sharing(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<SharingBody>,
) -> ApiResult<StatusCode> {
    accounts::set_sharing(
        &state.app,
        &org.scope,
        &path.1,
        &path.2,
        &body.level,
        &body.fields,
        &org.actor(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A correction of the mapping.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    /// wrong (this match is not the same company) or manual (a match the keys missed).
    pub kind: String,
    /// For wrong: the match's key, as `matched on` shows it.
    pub key: Option<String>,
    /// For manual: your account's id.
    pub account_id: Option<uuid::Uuid>,
    /// For manual: the partner's website or company name.
    pub partner_account: Option<String>,
    /// Why, for the other side.
    #[serde(default)]
    pub note: String,
}

/// The id of something created.
#[derive(Serialize, ToSchema)]
pub struct CreatedOut {
    /// Its id.
    pub id: uuid::Uuid,
}

/// Records a correction both sides see; the mapping is recomputed in the background.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/mappings/{partner}/corrections", tag = "accounts",
    params(("org" = String, Path), ("partner" = String, Path)), request_body = CorrectionBody,
    responses((status = 201, body = CreatedOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_correction(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CorrectionBody>,
) -> ApiResult<Response> {
    let kind = match body.kind.as_str() {
        "wrong" => CorrectionKind::Wrong,
        "manual" => CorrectionKind::Manual,
        _ => {
            return Err(AppError::Invalid(ValidationErrors::single(
                "kind",
                "must be wrong or manual",
            ))
            .into())
        }
    };
    let input = CorrectionInput {
        kind,
        key: body.key,
        account_id: body.account_id.map(AccountId),
        partner_account: body.partner_account,
        note: body.note,
    };
    let id = accounts::correct(&state.app, &org.scope, &path.1, input, &org.actor()).await?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id: id.0 })).into_response())
}

/// Withdraws one of your corrections.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/mappings/{partner}/corrections/{id}", tag = "accounts",
    params(("org" = String, Path), ("partner" = String, Path), ("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_correction(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let id = path
        .2
        .parse::<uuid::Uuid>()
        .map(comark_domain::CorrectionId)
        .map_err(|_| AppError::NotFound)?;
    accounts::withdraw_correction(&state.app, &org.scope, &path.1, id, &org.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Export format.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// csv (default) or xlsx.
    pub format: Option<String>,
}

/// The mapped accounts you may see, as CSV or an Excel workbook. Exports are audited.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/mappings/{partner}/export", tag = "accounts",
    params(("org" = String, Path), ("partner" = String, Path), ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn export_mapping(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let format = match query.format.as_deref() {
        None | Some("csv") => ExportFormat::Csv,
        Some("xlsx") => ExportFormat::Xlsx,
        Some(_) => {
            return Err(AppError::Invalid(ValidationErrors::single(
                "format",
                "must be csv or xlsx",
            ))
            .into())
        }
    };
    Ok(export_response(&state, &org.scope, &path.1, format, &org.actor()).await?)
}

/// The headers of an export's download.
fn download_headers(
    ours: &str,
    partner: &str,
    format: ExportFormat,
) -> [(header::HeaderName, String); 2] {
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let disposition = format!("attachment; filename=\"{ours}-{partner}-mapping.{extension}\"");
    [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ]
}

/// An export of the mapping with `partner` as a download: a CSV streams a page at a time, so
/// a million shared accounts never sit in memory; a workbook is built whole. An error before
/// the first byte (not connected, not allowed) is the caller's to show.
pub async fn export_response(
    state: &AppState,
    scope: &comark_store::OrgScope,
    partner: &str,
    format: ExportFormat,
    actor: &comark_store::Actor,
) -> Result<Response, AppError> {
    let headers = download_headers(&scope.org().handle, &partner.to_lowercase(), format);
    if format == ExportFormat::Xlsx {
        let bytes = accounts::export(&state.app, scope, partner, format, actor).await?;
        return Ok((headers, bytes).into_response());
    }
    let mut export = accounts::start_export(&state.app, scope, partner, format, actor).await?;
    // Two pages in flight at most: the reader waits for a slow client.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    tokio::spawn(async move {
        loop {
            let chunk = match export.next_csv().await {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => break,
                Err(error) => {
                    // The status is sent already: cut the file short, so the client sees an
                    // incomplete download rather than a file that looks whole.
                    tracing::error!(%error, "mapping export failed midway");
                    Err(std::io::Error::other(error.to_string()))
                }
            };
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    Ok((headers, Body::from_stream(stream)).into_response())
}
