//! The API's handlers: extract, call one use case, render JSON.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use comark_app::auth::{self, SignUp};
use comark_app::{connections, orgs, tokens, AppError};
use comark_domain::{
    ApiTokenId, ConnectionId, ConnectionLinkId, ConnectionTransition, Cursor, InvitationId, Scope,
    UserId,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::*;
use super::extract::{ApiJson, ApiJsonOrEmpty, ApiPath, ApiQuery};
use crate::auth::{ApiOrg, ApiUser, ClientInfo};
use crate::error::{ApiError, Problem};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

/// Signing up.
#[derive(Deserialize, ToSchema)]
pub struct SignUpIn {
    /// Your name.
    pub name: String,
    /// Your e-mail address.
    pub email: String,
    /// At least 10 characters.
    pub password: String,
}

/// Signing in.
#[derive(Deserialize, ToSchema)]
pub struct SignInIn {
    /// Your e-mail address.
    pub email: String,
    /// Your password.
    pub password: String,
    /// Your TOTP or recovery code, if your account has a second factor: it completes the
    /// sign-in at once, and gets the right password through while sign-in asks to wait.
    #[serde(default)]
    pub code: Option<String>,
    /// The token at the end of an e-mailed unlock link: it gets the right password through
    /// while sign-in asks to wait, once.
    #[serde(default)]
    pub unlock_token: Option<String>,
}

/// A TOTP or recovery code.
#[derive(Deserialize, ToSchema)]
pub struct CodeIn {
    /// The six-digit code from the authenticator app, or a recovery code.
    pub code: String,
}

/// Asking for a password reset e-mail.
#[derive(Deserialize, ToSchema)]
pub struct ResetRequestIn {
    /// The account's e-mail address.
    pub email: String,
}

/// Choosing a new password through a reset link.
#[derive(Deserialize, ToSchema)]
pub struct ResetConfirmIn {
    /// The token from the reset link.
    pub token: String,
    /// The new password.
    pub password: String,
}

/// Changing the password.
#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordIn {
    /// The password now.
    pub current_password: String,
    /// The new one.
    pub new_password: String,
}

/// Confirming a password.
#[derive(Deserialize, ToSchema)]
pub struct PasswordIn {
    /// Your password.
    pub password: String,
}

/// A TOTP set-up in progress.
#[derive(serde::Serialize, ToSchema)]
pub struct TotpSetupOut {
    /// The base32 secret.
    pub secret: String,
    /// The `otpauth://` URL for authenticator apps.
    pub otpauth_url: String,
}

/// Recovery codes, shown once.
#[derive(serde::Serialize, ToSchema)]
pub struct RecoveryCodesOut {
    /// Each works once in place of a TOTP code.
    pub recovery_codes: Vec<String>,
}

/// A new personal API token.
#[derive(Deserialize, ToSchema)]
pub struct NewTokenIn {
    /// A name to recognize it by.
    pub name: String,
    /// What it may do; no wider than the credential creating it.
    pub scope: ScopeOut,
    /// Days until it expires (1 to 3650); never when absent.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A new organization.
#[derive(Deserialize, ToSchema)]
pub struct NewOrgIn {
    /// Its name.
    pub name: String,
    /// Its handle; suggested from the name when absent.
    #[serde(default)]
    pub handle: Option<String>,
}

/// Changes to an organization.
#[derive(Deserialize, ToSchema)]
pub struct UpdateOrgIn {
    /// The new name.
    pub name: String,
}

/// A member's new role.
#[derive(Deserialize, ToSchema)]
pub struct UpdateMemberIn {
    /// The role.
    pub role: RoleOut,
}

/// A new invitation.
#[derive(Deserialize, ToSchema)]
pub struct NewInvitationIn {
    /// Whom to invite, by address (only the account with it may accept); absent for a link
    /// for anyone who holds it, which works once and cannot make an owner or admin.
    #[serde(default)]
    pub email: Option<String>,
    /// The role the invitee gets.
    pub role: RoleOut,
}

/// A connection request.
#[derive(Deserialize, ToSchema)]
pub struct NewConnectionIn {
    /// The handle of the organization to connect with.
    pub handle: String,
    /// A note for them.
    #[serde(default)]
    pub message: Option<String>,
}

/// Using a partner's connection link.
#[derive(Deserialize, ToSchema)]
pub struct ConnectViaLinkIn {
    /// The token at the end of the link.
    pub token: String,
}

/// The choices for a new connection invite link; every field may be left out.
#[derive(Deserialize, ToSchema, Default)]
pub struct NewConnectionLinkIn {
    /// How many organizations may use it (1 to 100, default 1).
    #[serde(default)]
    pub max_uses: Option<i64>,
    /// How many days it works (1 to 90, default 7).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// Connect at once; by default an organization using it waits for your acceptance.
    #[serde(default)]
    pub auto_accept: bool,
    /// What to remember it by (at most 200 characters).
    #[serde(default)]
    pub note: Option<String>,
}

fn created<T: serde::Serialize>(body: T) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

fn session_out(signed_in: auth::SignedIn) -> SessionOut {
    SessionOut {
        second_factor_required: signed_in.second_factor_pending,
        user: UserOut::from(&signed_in.user),
        token: signed_in.token,
    }
}

/// The answer to a sign-up that waits for its e-mail address to be confirmed.
#[derive(serde::Serialize, ToSchema)]
pub struct SignUpPendingOut {
    /// What to do next.
    pub detail: String,
}

/// Confirming a sign-up with the token from the e-mailed link.
#[derive(Deserialize, ToSchema)]
pub struct ConfirmSignUpIn {
    /// The token at the end of the link.
    pub token: String,
}

/// Signs up. Without e-mail on this instance, the account is made at once and a session
/// token returned (201). With e-mail, a confirmation link is sent and the answer (202) is
/// the same whether or not the address already has an account.
#[utoipa::path(post, path = "/api/v1/auth/sign-up", tag = "auth", security(()), request_body = SignUpIn,
    responses((status = 201, body = SessionOut), (status = 202, body = SignUpPendingOut),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(body): ApiJson<SignUpIn>,
) -> ApiResult<Response> {
    let form = SignUp {
        name: body.name,
        email: body.email,
        password: body.password,
    };
    match auth::sign_up(&state.app, form, &client).await? {
        auth::SignUpOutcome::SignedIn(signed_in) => Ok(created(session_out(signed_in))),
        auth::SignUpOutcome::CheckInbox => Ok((
            StatusCode::ACCEPTED,
            Json(SignUpPendingOut {
                detail: "check your inbox for a link to finish signing up".into(),
            }),
        )
            .into_response()),
    }
}

/// Finishes a sign-up with the token from the e-mailed link and returns a session token.
#[utoipa::path(post, path = "/api/v1/auth/sign-up/confirm", tag = "auth", security(()), request_body = ConfirmSignUpIn,
    responses((status = 201, body = SessionOut), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn confirm_sign_up(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(body): ApiJson<ConfirmSignUpIn>,
) -> ApiResult<Response> {
    let signed_in = auth::confirm_sign_up(&state.app, body.token.trim(), &client).await?;
    Ok(created(session_out(signed_in)))
}

/// Signs in and returns a session token (which may still need the second factor, unless
/// its code came along). After several failed attempts for the account or from the client's
/// address, each attempt must wait longer (429 with `Retry-After`, the password unchecked);
/// the right password still gets through at once with a valid `code` or `unlock_token`.
#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "auth", security(()), request_body = SignInIn,
    responses((status = 200, body = SessionOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
               headers(("Retry-After" = u64, description = "Seconds until the next attempt is checked")))))]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    ApiJson(body): ApiJson<SignInIn>,
) -> ApiResult<Json<SessionOut>> {
    let credentials = auth::Credentials {
        email: &body.email,
        password: &body.password,
        code: body.code.as_deref(),
        unlock: body.unlock_token.as_deref(),
    };
    let signed_in = auth::sign_in(&state.app, credentials, &client).await?;
    Ok(Json(session_out(signed_in)))
}

/// Asking for an unlock link.
#[derive(Deserialize, ToSchema)]
pub struct UnlockRequestIn {
    /// The account's e-mail address.
    pub email: String,
}

/// E-mails a link that lets the account's owner sign in with the right password without
/// waiting out failed attempts, if the address has an account; answers the same either
/// way. 409 when this server sends no e-mail.
#[utoipa::path(post, path = "/api/v1/auth/unlock", tag = "auth", security(()), request_body = UnlockRequestIn,
    responses((status = 202), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn request_unlock(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<UnlockRequestIn>,
) -> ApiResult<StatusCode> {
    auth::request_unlock(&state.app, &body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Completes sign-in with a TOTP or recovery code.
#[utoipa::path(post, path = "/api/v1/auth/second-factor", tag = "auth", request_body = CodeIn,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn second_factor(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<CodeIn>,
) -> ApiResult<StatusCode> {
    auth::verify_second_factor(&state.app, &user.current, &body.code, &user.client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the session whose token signs this request.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", responses((status = 204)))]
pub async fn sign_out(State(state): State<AppState>, user: ApiUser) -> ApiResult<StatusCode> {
    auth::sign_out(&state.app, &user.current).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// E-mails a reset link if the address has an account; answers the same either way.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", security(()), request_body = ResetRequestIn,
    responses((status = 202)))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetRequestIn>,
) -> ApiResult<StatusCode> {
    auth::request_password_reset(&state.app, &body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sets a new password with a reset token; every session ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", security(()), request_body = ResetConfirmIn,
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetConfirmIn>,
) -> ApiResult<StatusCode> {
    auth::reset_password(&state.app, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in person and their organizations.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = MeOut)))]
pub async fn get_me(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<MeOut>> {
    let organizations = state.app.organizations_of(user.current.user.id).await?;
    Ok(Json(MeOut {
        user: UserOut::from(&user.current.user),
        organizations: organizations.into_iter().map(org_out).collect(),
    }))
}

fn org_out(o: comark_store::UserOrganization) -> OrgOut {
    OrgOut {
        id: o.org.id.0,
        handle: o.org.handle,
        name: o.org.name,
        role: o.role.into(),
        created_at: o.org.created_at,
    }
}

/// Changes your password; your other sessions end.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "me", request_body = ChangePasswordIn,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<ChangePasswordIn>,
) -> ApiResult<StatusCode> {
    user.current.require_scope(Scope::Admin)?;
    auth::change_password(
        &state.app,
        &user.current,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts setting up a TOTP second factor.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "me", responses((status = 200, body = TotpSetupOut)))]
pub async fn start_totp(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<TotpSetupOut>> {
    user.current.require_scope(Scope::Admin)?;
    let setup = auth::start_totp(&state.app, &user.current).await?;
    Ok(Json(TotpSetupOut {
        secret: setup.secret,
        otpauth_url: setup.otpauth_url,
    }))
}

/// Switches TOTP on with a first code; returns recovery codes, once.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "me", request_body = CodeIn,
    responses((status = 200, body = RecoveryCodesOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<CodeIn>,
) -> ApiResult<Json<RecoveryCodesOut>> {
    user.current.require_scope(Scope::Admin)?;
    let recovery_codes = auth::enable_totp(&state.app, &user.current, &body.code).await?;
    Ok(Json(RecoveryCodesOut { recovery_codes }))
}

/// Switches TOTP off.
#[utoipa::path(post, path = "/api/v1/me/totp/disable", tag = "me", request_body = PasswordIn,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn disable_totp(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<PasswordIn>,
) -> ApiResult<StatusCode> {
    user.current.require_scope(Scope::Admin)?;
    auth::disable_totp(&state.app, &user.current, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your personal API tokens (with a session or an admin-scoped token).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", params(PageQuery),
    responses((status = 200, body = Page<TokenOut>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_tokens(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<TokenOut>>> {
    user.current.require_scope(Scope::Admin)?;
    let tokens = tokens::list(&state.app, &user.current).await?;
    let items = tokens.into_iter().map(TokenOut::from).collect();
    Ok(Json(Page::of(items, |t| (t.created_at, t.id), &query)?))
}

/// Creates a personal API token; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = NewTokenIn,
    responses((status = 201, body = CreatedTokenOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_token(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<NewTokenIn>,
) -> ApiResult<Response> {
    user.current.require_scope(Scope::Admin)?;
    let scope: Scope = match body.scope {
        ScopeOut::Read => Scope::Read,
        ScopeOut::Write => Scope::Write,
        ScopeOut::Admin => Scope::Admin,
    };
    let form = tokens::NewToken {
        name: body.name,
        scope: scope.as_str().into(),
        expires_in_days: body.expires_in_days,
    };
    let created_token = tokens::create(&state.app, &user.current, form, &user.actor()).await?;
    Ok(created(CreatedTokenOut {
        record: created_token.record.into(),
        token: created_token.token,
    }))
}

/// Revokes one of your tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{token_id}", tag = "me", params(("token_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_token(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(token_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    user.current.require_scope(Scope::Admin)?;
    tokens::revoke(
        &state.app,
        &user.current,
        ApiTokenId(token_id),
        &user.actor(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organizations you belong to.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "organizations", params(PageQuery),
    responses((status = 200, body = Page<OrgOut>), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_organizations(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<OrgOut>>> {
    let organizations = state.app.organizations_of(user.current.user.id).await?;
    let items = organizations.into_iter().map(org_out).collect();
    Ok(Json(Page::of(items, |o| (o.created_at, o.id), &query)?))
}

/// Creates an organization with you as owner.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "organizations", request_body = NewOrgIn,
    responses((status = 201, body = OrgOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_organization(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<NewOrgIn>,
) -> ApiResult<Response> {
    let form = orgs::NewOrganization {
        name: body.name,
        handle: body.handle,
    };
    let org = orgs::create_organization(&state.app, &user.current, form, &user.actor()).await?;
    Ok(created(OrgOut {
        id: org.id.0,
        handle: org.handle,
        name: org.name,
        role: RoleOut::Owner,
        created_at: org.created_at,
    }))
}

fn scope_org_out(org: &ApiOrg) -> OrgOut {
    let o = org.scope.org();
    OrgOut {
        id: o.id.0,
        handle: o.handle.clone(),
        name: o.name.clone(),
        role: org.scope.role().into(),
        created_at: o.created_at,
    }
}

/// One of your organizations.
#[utoipa::path(get, path = "/api/v1/orgs/{org}", tag = "organizations", params(("org" = String, Path, description = "The organization's handle")),
    responses((status = 200, body = OrgOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_organization(org: ApiOrg) -> ApiResult<Json<OrgOut>> {
    Ok(Json(scope_org_out(&org)))
}

/// Renames an organization (owners and admins).
#[utoipa::path(patch, path = "/api/v1/orgs/{org}", tag = "organizations", params(("org" = String, Path)), request_body = UpdateOrgIn,
    responses((status = 200, body = OrgOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_organization(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<UpdateOrgIn>,
) -> ApiResult<Json<OrgOut>> {
    org.user.current.require_scope(Scope::Admin)?;
    orgs::rename(&state.app, &org.scope, &body.name, &org.actor()).await?;
    let mut out = scope_org_out(&org);
    out.name = body.name.trim().to_owned();
    Ok(Json(out))
}

/// The members of an organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", tag = "members", params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<MemberOut>), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_members(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<MemberOut>>> {
    let members = orgs::members(&state.app, &org.scope).await?;
    let items = members.into_iter().map(MemberOut::from).collect();
    Ok(Json(Page::of(items, |m| (m.joined_at, m.user_id), &query)?))
}

/// Changes a member's role (owners and admins; only owners touch ownership).
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/members/{user_id}", tag = "members", params(("org" = String, Path), ("user_id" = Uuid, Path)),
    request_body = UpdateMemberIn,
    responses((status = 200, body = MemberOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update_member(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<UpdateMemberIn>,
) -> ApiResult<Json<MemberOut>> {
    let user_id = path.1;
    org.user.current.require_scope(Scope::Admin)?;
    let member = orgs::change_role(
        &state.app,
        &org.scope,
        UserId(user_id),
        body.role.into(),
        &org.actor(),
    )
    .await?;
    Ok(Json(member.into()))
}

/// Removes a member, or leaves when it is you. The last owner cannot go.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{user_id}", tag = "members", params(("org" = String, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_member(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    let user_id = path.1;
    org.user.current.require_scope(Scope::Admin)?;
    orgs::remove_member(&state.app, &org.scope, UserId(user_id), &org.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Open invitations (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/invitations", tag = "members", params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<InvitationOut>), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_invitations(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<InvitationOut>>> {
    let invitations = orgs::open_invitations(&state.app, &org.scope).await?;
    let items = invitations.into_iter().map(InvitationOut::from).collect();
    Ok(Json(Page::of(items, |i| (i.created_at, i.id), &query)?))
}

/// Invites someone by address (e-mailed when this instance sends e-mail; otherwise the link
/// is in the answer), or makes a link for anyone who holds it, which works once and cannot
/// make an owner or admin (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations", tag = "members", params(("org" = String, Path)), request_body = NewInvitationIn,
    responses((status = 201, body = CreatedInvitationOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_invitation(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<NewInvitationIn>,
) -> ApiResult<Response> {
    org.user.current.require_scope(Scope::Admin)?;
    let role: comark_domain::Role = body.role.into();
    let form = orgs::NewInvitation {
        email: body.email,
        role: role.as_str().into(),
    };
    let invitation = orgs::invite(&state.app, &org.scope, form, &org.actor()).await?;
    Ok(created(CreatedInvitationOut {
        invitation: invitation.invitation.into(),
        link: invitation.link,
        emailed: invitation.emailed,
    }))
}

/// Withdraws an invitation.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/invitations/{invitation_id}", tag = "members",
    params(("org" = String, Path), ("invitation_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_invitation(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    let id = path.1;
    org.user.current.require_scope(Scope::Admin)?;
    orgs::revoke_invitation(&state.app, &org.scope, InvitationId(id), &org.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Joins the organization an invitation is for. An invitation for an address is refused
/// (409, nothing changes) to any account with another address, and, where this instance sends
/// e-mail, to one that never proved the address unless the invitation was mailed to it.
#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", tag = "members", params(("token" = String, Path)),
    responses((status = 200, body = OrgOut), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Json<OrgOut>> {
    let org = orgs::accept_invitation(&state.app, &user.current, &token, &user.actor()).await?;
    let role = state
        .app
        .member_scope(user.current.user.id, &org.handle)
        .await?
        .map(|s| s.role())
        .ok_or(AppError::NotFound)?;
    Ok(Json(OrgOut {
        id: org.id.0,
        handle: org.handle,
        name: org.name,
        role: role.into(),
        created_at: org.created_at,
    }))
}

/// Your organization's partner connections and requests.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/connections", tag = "connections", params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<ConnectionOut>), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_connections(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ConnectionOut>>> {
    let list = connections::list(&state.app, &org.scope).await?;
    let items = list.into_iter().map(ConnectionOut::from).collect();
    Ok(Json(Page::of(items, |c| (c.created_at, c.id), &query)?))
}

/// Asks another organization, by handle, to connect as partners.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/connections", tag = "connections", params(("org" = String, Path)), request_body = NewConnectionIn,
    responses((status = 201, body = ConnectionOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn request_connection(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<NewConnectionIn>,
) -> ApiResult<Response> {
    let connection = connections::request(
        &state.app,
        &org.scope,
        &body.handle,
        body.message.as_deref(),
        &org.actor(),
    )
    .await?;
    Ok(created(ConnectionOut::from(connection)))
}

/// One connection.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/connections/{connection_id}", tag = "connections",
    params(("org" = String, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = ConnectionOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_connection(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ConnectionOut>> {
    let id = path.1;
    Ok(Json(
        connections::get(&state.app, &org.scope, ConnectionId(id))
            .await?
            .into(),
    ))
}

async fn transition(
    state: &AppState,
    org: &ApiOrg,
    id: Uuid,
    change: ConnectionTransition,
) -> ApiResult<Json<ConnectionOut>> {
    Ok(Json(
        connections::transition(
            &state.app,
            &org.scope,
            ConnectionId(id),
            change,
            &org.actor(),
        )
        .await?
        .into(),
    ))
}

/// Accepts a connection request sent to your organization.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/connections/{connection_id}/accept", tag = "connections",
    params(("org" = String, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = ConnectionOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn accept_connection(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ConnectionOut>> {
    let id = path.1;
    transition(&state, &org, id, ConnectionTransition::Accept).await
}

/// Declines a connection request sent to your organization.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/connections/{connection_id}/decline", tag = "connections",
    params(("org" = String, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = ConnectionOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn decline_connection(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ConnectionOut>> {
    let id = path.1;
    transition(&state, &org, id, ConnectionTransition::Decline).await
}

/// Ends a connection (or withdraws your request): all sharing stops at once.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/connections/{connection_id}/end", tag = "connections",
    params(("org" = String, Path), ("connection_id" = Uuid, Path)),
    responses((status = 200, body = ConnectionOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn end_connection(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ConnectionOut>> {
    let id = path.1;
    transition(&state, &org, id, ConnectionTransition::End).await
}

/// Makes an invite link for partners: by default it works once, for seven days, and an
/// organization using it waits for your acceptance. The link is in this response only.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/connection-links", tag = "connections", params(("org" = String, Path)),
    request_body(content = NewConnectionLinkIn, description = "May be left out for the defaults"),
    responses((status = 201, body = CreatedConnectionLinkOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_connection_link(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJsonOrEmpty(body): ApiJsonOrEmpty<NewConnectionLinkIn>,
) -> ApiResult<Response> {
    let new = connections::NewLink {
        max_uses: body.max_uses,
        expires_in_days: body.expires_in_days,
        auto_accept: body.auto_accept,
        note: body.note,
    };
    let link = connections::create_link(&state.app, &org.scope, new, &org.actor()).await?;
    Ok(created(CreatedConnectionLinkOut {
        record: link.record.into(),
        link: link.link,
    }))
}

/// Your invite links for partners: the open ones, and those closed in the last 30 days, with
/// their uses (owners, admins and partner managers).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/connection-links", tag = "connections", params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<ConnectionLinkOut>), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_connection_links(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ConnectionLinkOut>>> {
    let links = connections::links(&state.app, &org.scope).await?;
    let items = links.into_iter().map(ConnectionLinkOut::from).collect();
    Ok(Json(Page::of(items, |l| (l.created_at, l.id), &query)?))
}

/// Withdraws an invite link: from now on it answers like an unknown one. Connections already
/// made through it stay as they are.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/connection-links/{link_id}", tag = "connections",
    params(("org" = String, Path), ("link_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_connection_link(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiPath(path): ApiPath<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    connections::revoke_link(
        &state.app,
        &org.scope,
        ConnectionLinkId(path.1),
        &org.actor(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asks the organization that issued a connection link to connect, counting one of its uses;
/// it connects at once only if its creator chose so. A used-up, expired or revoked link
/// answers like an unknown one.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/connections/via-link", tag = "connections", params(("org" = String, Path)),
    request_body = ConnectViaLinkIn,
    responses((status = 201, body = ConnectionOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn connect_via_link(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<ConnectViaLinkIn>,
) -> ApiResult<Response> {
    let connection =
        connections::accept_link(&state.app, &org.scope, body.token.trim(), &org.actor()).await?;
    Ok(created(ConnectionOut::from(connection)))
}

/// The audit log, newest first (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit-events", tag = "audit", params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<AuditEventOut>), (status = 422, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_audit_events(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<AuditEventOut>>> {
    org.user.current.require_scope(Scope::Admin)?;
    let (cursor, limit) = query.read()?;
    let events = orgs::audit_events(&state.app, &org.scope, cursor, limit).await?;
    let next_cursor = (events.len() == limit as usize)
        .then(|| {
            events.last().map(|e| {
                Cursor {
                    created_at: e.occurred_at,
                    id: e.id.0,
                }
                .encode()
            })
        })
        .flatten();
    Ok(Json(Page {
        items: events.into_iter().map(AuditEventOut::from).collect(),
        next_cursor,
    }))
}

/// The whole audit log as CSV (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit-events.csv", tag = "audit", params(("org" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn export_audit_events(
    State(state): State<AppState>,
    org: ApiOrg,
) -> ApiResult<Response> {
    org.user.current.require_scope(Scope::Admin)?;
    let csv = orgs::audit_csv(&state.app, &org.scope).await?;
    let filename = format!(
        "attachment; filename=\"{}-audit.csv\"",
        org.scope.org().handle
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        csv,
    )
        .into_response())
}
