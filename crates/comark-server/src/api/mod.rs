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

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
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

/// The API's router and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use handlers::*;
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(sign_up))
        .routes(routes!(confirm_sign_up))
        .routes(routes!(sign_in))
        .routes(routes!(request_unlock))
        .routes(routes!(second_factor))
        .routes(routes!(sign_out))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
        .routes(routes!(get_me))
        .routes(routes!(change_password))
        .routes(routes!(start_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(disable_totp))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(get_organization, update_organization))
        .routes(routes!(list_members))
        .routes(routes!(update_member, remove_member))
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(accept_invitation))
        .routes(routes!(list_connections, request_connection))
        .routes(routes!(get_connection))
        .routes(routes!(accept_connection))
        .routes(routes!(decline_connection))
        .routes(routes!(end_connection))
        .routes(routes!(list_connection_links, create_connection_link))
        .routes(routes!(revoke_connection_link))
        .routes(routes!(connect_via_link))
        .routes(routes!(list_audit_events))
        .routes(routes!(export_audit_events))
        .routes(routes!(profiles::get_profile, profiles::put_profile))
        .routes(routes!(profiles::get_directory))
        .routes(routes!(profiles::get_candidate))
        .routes(routes!(accounts::list_imports, accounts::upload_import))
        .routes(routes!(accounts::get_import))
        .routes(routes!(accounts::preview_import))
        .routes(routes!(accounts::start_import))
        .routes(routes!(accounts::list_accounts))
        .routes(routes!(accounts::list_populations))
        .routes(routes!(
            accounts::put_population,
            accounts::delete_population
        ))
        .routes(routes!(accounts::list_column_mappings))
        .routes(routes!(accounts::delete_column_mapping))
        .routes(routes!(accounts::get_mapping))
        .routes(routes!(accounts::put_sharing))
        .routes(routes!(accounts::create_correction))
        .routes(routes!(accounts::delete_correction))
        .routes(routes!(accounts::export_mapping))
        .routes(routes!(
            partnerships::list_partnerships,
            partnerships::create_partnership
        ))
        .routes(routes!(partnerships::get_partnership))
        .routes(routes!(partnerships::add_evidence))
        .routes(routes!(
            partnerships::set_evidence,
            partnerships::remove_evidence
        ))
        .routes(routes!(partnerships::advance_partnership))
        .routes(routes!(partnerships::add_risk))
        .routes(routes!(partnerships::get_performance))
        .routes(routes!(
            partnerships::get_exit,
            partnerships::run_exit,
            partnerships::withdraw_exit_notice
        ))
        .routes(routes!(partnerships::put_exit_strategy))
        .routes(routes!(partnerships::report_breach))
        .routes(routes!(partnerships::get_engagement))
        .routes(routes!(partnerships::put_role))
        .routes(routes!(partnerships::put_raci))
        .routes(routes!(partnerships::put_rules))
        .routes(routes!(partnerships::approve_rules))
        .routes(routes!(partnerships::add_goal))
        .routes(routes!(partnerships::record_reading))
        .routes(routes!(partnerships::set_commitment))
        .routes(routes!(partnerships::record_contribution))
        .routes(routes!(maturity::get_maturity, maturity::assess))
        .routes(routes!(intake::get_public_form, intake::submit_request))
        .routes(routes!(intake::list_sent_requests, intake::send_request))
        .routes(routes!(intake::get_intake, intake::put_intake))
        .routes(routes!(intake::list_requests))
        .routes(routes!(intake::get_request))
        .routes(routes!(intake::put_assignee))
        .routes(routes!(intake::check_request))
        .routes(routes!(intake::decide_request))
        .routes(routes!(intake::start_partnership))
        .routes(routes!(
            assessment::get_gate_templates,
            assessment::put_gate_templates
        ))
        .routes(routes!(
            assessment::get_internal_assessment,
            assessment::save_internal_assessment
        ))
        .routes(routes!(partnerships::update_risk))
        .split_for_parts();
    openapi.openapi = utoipa::openapi::OpenApiVersion::Version31;
    let document = openapi.clone();
    let router = router.route(
        "/api/v1/openapi.json",
        get(move || {
            let document = document.clone();
            async move { Json(document) }
        }),
    );
    (router, openapi)
}

/// The OpenAPI document alone (for the reference page and tests).
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().1
}
