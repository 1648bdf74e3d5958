//! `/api/v1`: JSON over HTTP. Every route is registered through utoipa, so the OpenAPI
//! document served at `/api/v1/openapi.json` cannot drift from the router.

pub(crate) mod accounts;
mod assessment;
pub mod dto;
pub mod extract;
mod handlers;
mod intake;
mod maturity;
mod partnerships;
mod profiles;

use std::collections::{BTreeMap, BTreeSet};

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "comark API",
        description = "The co-marketing platform for partner ecosystems. Authenticate with \
            `Authorization: Bearer <token>`: a personal API token (`cmk_pat_...`) or the token \
            returned by signing in. Errors are RFC 9457 problem documents.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::Problem))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Documents, on every operation, the problems that come from the extractors rather than
/// from the handler, so that ninety annotations need not repeat them (and cannot forget
/// them):
/// - an operation that needs a bearer token (every one not marked `security(())`) states
///   the requirement and answers 401 without a valid one, and, when it changes something,
///   403 for a read-only token;
/// - a path parameter that names nothing (or nothing of yours) answers 404;
/// - a query that cannot be read answers 400;
/// - a JSON body answers 400 when it is not JSON, 413 over 2 MiB, 415 when it is not sent
///   as `application/json`, and 422 when its fields are wrong.
///
/// Responses an annotation states already are left as they are, except that an empty
/// description gets the status's meaning.
struct ProblemResponses;

impl ProblemResponses {
    /// What each status means, for responses the annotations leave undescribed.
    fn description(status: &str) -> &'static str {
        match status {
            "200" => "OK",
            "201" => "Created",
            "202" => "Accepted: the work goes on in the background",
            "204" => "Done; no content",
            "400" => "Bad request: the body or the query could not be read",
            "401" => "Sign-in required: no valid bearer token was sent",
            "403" => "Not allowed: your role or the token's scope does not allow this",
            "404" => "Not found (the same answer for what does not exist and what is not yours)",
            "409" => "Not possible in the current state",
            "413" => "Request too large: a JSON body may be at most 2 MiB",
            "415" => "Unsupported content type: send the body as application/json",
            "422" => "Invalid input: `errors` names each field that is wrong",
            "429" => "Too many attempts: wait for `Retry-After` seconds",
            _ => "",
        }
    }

    fn problem(status: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
        utoipa::openapi::ResponseBuilder::new()
            .description(Self::description(status))
            .content(
                "application/problem+json",
                utoipa::openapi::Content::new(Some(utoipa::openapi::Ref::from_schema_name(
                    "Problem",
                ))),
            )
            .build()
            .into()
    }
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterIn};
        use utoipa::openapi::security::SecurityRequirement;
        use utoipa::openapi::RefOr;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations: [(bool, &mut Option<Operation>); 5] = [
                (false, &mut item.get),
                (true, &mut item.post),
                (true, &mut item.put),
                (true, &mut item.patch),
                (true, &mut item.delete),
            ];
            for (changes, operation) in operations {
                let Some(operation) = operation else { continue };
                let public = operation
                    .security
                    .as_ref()
                    .is_some_and(|s| s.iter().all(|r| *r == SecurityRequirement::default()));
                let parameters = operation.parameters.iter().flatten();
                let takes_query = parameters
                    .clone()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query));
                let takes_json = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.contains_key("application/json"));
                let mut statuses: Vec<&str> = Vec::new();
                if !public {
                    operation.security = Some(vec![SecurityRequirement::new(
                        "bearer",
                        Vec::<String>::new(),
                    )]);
                    statuses.push("401");
                    if changes {
                        statuses.push("403");
                    }
                }
                if path.contains('{') {
                    statuses.push("404");
                }
                if takes_query {
                    statuses.push("400");
                }
                if takes_json {
                    statuses.extend(["400", "413", "415", "422"]);
                }
                let responses = &mut operation.responses.responses;
                for status in statuses {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| Self::problem(status));
                }
                for (status, response) in responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        if response.description.is_empty() {
                            response.description = Self::description(status).to_owned();
                        }
                    }
                }
            }
        }
    }
}

/// The API's router and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, openapi, _) = build();
    (router, openapi)
}

/// The schema names that two different schemas were registered under. utoipa keeps the
/// schema registered last under a name, so a clash silently documents one type with
/// another's fields; this is empty when each name belongs to one type.
pub fn schema_clashes() -> Vec<String> {
    build().2
}

/// The schema registered under each name so far, to notice a second, different one.
#[derive(Default)]
struct SchemaNames {
    first: BTreeMap<String, serde_json::Value>,
    clashes: BTreeSet<String>,
}

impl SchemaNames {
    fn record<'a>(&mut self, schemas: impl IntoIterator<Item = (&'a String, serde_json::Value)>) {
        for (name, schema) in schemas {
            match self.first.get(name) {
                Some(first) if *first != schema => {
                    self.clashes.insert(name.clone());
                }
                Some(_) => {}
                None => {
                    self.first.insert(name.clone(), schema);
                }
            }
        }
    }
}

fn build() -> (Router<AppState>, utoipa::openapi::OpenApi, Vec<String>) {
    use handlers::*;
    let every_route: Vec<UtoipaMethodRouter<AppState>> = vec![
        routes!(sign_up),
        routes!(confirm_sign_up),
        routes!(sign_in),
        routes!(request_unlock),
        routes!(second_factor),
        routes!(sign_out),
        routes!(request_password_reset),
        routes!(confirm_password_reset),
        routes!(get_me),
        routes!(change_password),
        routes!(start_totp),
        routes!(confirm_totp),
        routes!(disable_totp),
        routes!(list_tokens, create_token),
        routes!(revoke_token),
        routes!(list_organizations, create_organization),
        routes!(get_organization, update_organization),
        routes!(list_members),
        routes!(update_member, remove_member),
        routes!(list_invitations, create_invitation),
        routes!(revoke_invitation),
        routes!(accept_invitation),
        routes!(list_connections, request_connection),
        routes!(get_connection),
        routes!(accept_connection),
        routes!(decline_connection),
        routes!(end_connection),
        routes!(list_connection_links, create_connection_link),
        routes!(revoke_connection_link),
        routes!(connect_via_link),
        routes!(list_audit_events),
        routes!(export_audit_events),
        routes!(profiles::get_profile, profiles::put_profile),
        routes!(profiles::get_directory),
        routes!(profiles::get_candidate),
        routes!(accounts::list_imports, accounts::upload_import),
        routes!(accounts::get_import),
        routes!(accounts::preview_import),
        routes!(accounts::start_import),
        routes!(accounts::list_accounts),
        routes!(accounts::list_populations),
        routes!(accounts::put_population, accounts::delete_population),
        routes!(accounts::list_column_mappings),
        routes!(accounts::delete_column_mapping),
        routes!(accounts::get_mapping),
        routes!(accounts::put_sharing),
        routes!(accounts::create_correction),
        routes!(accounts::delete_correction),
        routes!(accounts::export_mapping),
        routes!(
            partnerships::list_partnerships,
            partnerships::create_partnership
        ),
        routes!(partnerships::get_partnership),
        routes!(partnerships::add_evidence),
        routes!(partnerships::set_evidence, partnerships::remove_evidence),
        routes!(partnerships::advance_partnership),
        routes!(partnerships::add_risk),
        routes!(partnerships::get_performance),
        routes!(
            partnerships::get_exit,
            partnerships::run_exit,
            partnerships::withdraw_exit_notice
        ),
        routes!(partnerships::put_exit_strategy),
        routes!(partnerships::report_breach),
        routes!(partnerships::get_engagement),
        routes!(partnerships::put_role),
        routes!(partnerships::put_raci),
        routes!(partnerships::put_rules),
        routes!(partnerships::approve_rules),
        routes!(partnerships::add_goal),
        routes!(partnerships::record_reading),
        routes!(partnerships::set_commitment),
        routes!(partnerships::record_contribution),
        routes!(maturity::get_maturity, maturity::assess),
        routes!(intake::get_public_form, intake::submit_request),
        routes!(intake::list_sent_requests, intake::send_request),
        routes!(intake::get_intake, intake::put_intake),
        routes!(intake::list_requests),
        routes!(intake::get_request),
        routes!(intake::put_assignee),
        routes!(intake::check_request),
        routes!(intake::decide_request),
        routes!(intake::start_partnership),
        routes!(
            assessment::get_gate_templates,
            assessment::put_gate_templates
        ),
        routes!(
            assessment::get_internal_assessment,
            assessment::save_internal_assessment
        ),
        routes!(partnerships::update_risk),
    ];
    let document = ApiDoc::openapi();
    let mut names = SchemaNames::default();
    if let Some(components) = &document.components {
        names.record(
            components
                .schemas
                .iter()
                .map(|(name, schema)| (name, json_of(schema))),
        );
    }
    let mut router = OpenApiRouter::with_openapi(document);
    for routes in every_route {
        names.record(
            routes
                .0
                .iter()
                .map(|(name, schema)| (name, json_of(schema))),
        );
        router = router.routes(routes);
    }
    let (router, mut openapi) = router.split_for_parts();
    // After the routes, which the document's own modifiers run before.
    ProblemResponses.modify(&mut openapi);
    openapi.openapi = utoipa::openapi::OpenApiVersion::Version31;
    let document = openapi.clone();
    let router = router.route(
        "/api/v1/openapi.json",
        get(move || {
            let document = document.clone();
            async move { Json(document) }
        }),
    );
    (router, openapi, names.clashes.into_iter().collect())
}

fn json_of(schema: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(schema).unwrap_or_default()
}

/// The OpenAPI document alone (for the reference page and tests).
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().1
}
