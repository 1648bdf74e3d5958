//! Signing up, in and out; passwords, resets and the TOTP second factor.

use chrono::Duration;
use comark_domain::{
    AuditAction, Email, JobId, Password, PersonName, Scope, UserId, ValidationErrors,
};
use comark_store::{now, Backoff, NewJob, NewSession, User};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::mail::Email as Mail;
use crate::secrets::{hash_password, hash_token, new_token, verify_password, DUMMY_HASH};
use crate::{App, AppError, Result};

/// How long a session lasts at most.
pub const SESSION_LIFETIME: Duration = Duration::days(14);
/// How long a password reset link works.
pub const RESET_LIFETIME: Duration = Duration::hours(1);
/// How long an e-mailed unlock link works.
pub const UNLOCK_LIFETIME: Duration = Duration::hours(1);
/// Failed sign-ins per account that cost nothing; past them, each failure doubles the wait
/// before the next attempt. Nothing ever locks an account: see [`sign_in`].
pub const FREE_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed sign-ins per client address that cost nothing. More than per account, because
/// an office or a mobile network puts many people behind one address.
pub const FREE_FAILURES_PER_ADDRESS: i64 = 20;
/// The wait after the last free failure; it doubles with each further one.
pub const FIRST_WAIT: Duration = Duration::seconds(1);
/// The longest wait between two attempts.
pub const MAX_WAIT: Duration = Duration::minutes(15);
/// Failures are forgotten after this long without one. It is longer than [`MAX_WAIT`], so
/// an attacker who paces their guesses at the longest wait never starts afresh.
pub const THROTTLE_WINDOW: Duration = Duration::hours(1);

/// How failed sign-ins slow down one account.
pub const ACCOUNT_BACKOFF: Backoff = Backoff {
    free: FREE_FAILURES_PER_ACCOUNT,
    first_wait: FIRST_WAIT,
    max_wait: MAX_WAIT,
    forget_after: THROTTLE_WINDOW,
};
/// How failed sign-ins slow down one client address.
pub const ADDRESS_BACKOFF: Backoff = Backoff {
    free: FREE_FAILURES_PER_ADDRESS,
    ..ACCOUNT_BACKOFF
};

/// Where a request comes from, for throttling, sessions and the audit log.
#[derive(Clone, Debug, Default)]
pub struct Client {
    /// The client's address.
    pub ip: Option<String>,
    /// The browser or tool.
    pub user_agent: Option<String>,
}

/// A fresh session: the secret token goes into a cookie or the API response, once.
#[derive(Debug)]
pub struct SignedIn {
    /// The bearer or cookie token.
    pub token: String,
    /// The token state-changing forms must echo.
    pub csrf_token: String,
    /// Who signed in.
    pub user: User,
    /// True when a TOTP code is still owed before anything else is allowed.
    pub second_factor_pending: bool,
}

/// The person behind a request, and what their credential allows.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// The person.
    pub user: User,
    /// The session's token hash, when signed in with a session.
    pub session_token_hash: Option<String>,
    /// The session's CSRF token.
    pub csrf_token: Option<String>,
    /// The personal token's scope; sessions have every scope.
    pub scope: Scope,
    /// Whether the second factor is still owed (only the TOTP step is allowed).
    pub second_factor_pending: bool,
}

impl CurrentUser {
    /// An actor for the audit log.
    pub fn actor(&self, client: &Client) -> comark_store::Actor {
        comark_store::Actor {
            user_id: Some(self.user.id),
            label: self.user.email.clone(),
            ip: client.ip.clone(),
        }
    }

    /// Fails unless the credential's scope covers `needed`.
    pub fn require_scope(&self, needed: Scope) -> Result<()> {
        if self.scope.covers(needed) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// What a sign-up form holds.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SignUp {
    /// The person's name.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
    /// Their chosen password.
    pub password: String,
}

const BAD_CREDENTIALS: &str = "the e-mail address or password is not right";

async fn start_session(app: &App, user: User, pending: bool, client: &Client) -> Result<SignedIn> {
    let token = new_token("cmk_ses_");
    let csrf_token = new_token("");
    app.store
        .create_session(NewSession {
            token_hash: &hash_token(&token),
            user_id: user.id,
            csrf_token: &csrf_token,
            second_factor_pending: pending,
            expires_at: now() + SESSION_LIFETIME,
            user_agent: client.user_agent.as_deref(),
            ip: client.ip.as_deref(),
        })
        .await?;
    Ok(SignedIn {
        token,
        csrf_token,
        user,
        second_factor_pending: pending,
    })
}

/// How long a sign-up confirmation link works.
pub const SIGNUP_LIFETIME: Duration = Duration::hours(24);

/// What happened to a sign-up.
#[derive(Debug)]
pub enum SignUpOutcome {
    /// The account exists and is signed in (an instance without e-mail).
    SignedIn(SignedIn),
    /// A link went to the address; the account exists once it is opened. The answer is the
    /// same whether or not the address already had an account.
    CheckInbox,
}

/// Signs up. With e-mail, the address must be confirmed through a link first, and the
/// answer never reveals whether it already has an account (its owner gets a reminder
/// instead). Without e-mail, the account is made and signed in at once.
pub async fn sign_up(app: &App, form: SignUp, client: &Client) -> Result<SignUpOutcome> {
    let mut errors = ValidationErrors::default();
    let name = errors.check("name", PersonName::parse(&form.name));
    let email = errors.check("email", Email::parse(&form.email));
    let password = errors.check("password", Password::parse(&form.password));
    errors.clone().into_result()?;
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(errors.into());
    };
    let hash = hash_password(password.expose().to_owned()).await?;
    if app.settings.mail_enabled {
        if !mail_allowed(app, email.as_str()).await? {
            // Same answer as ever: the address's inbox is simply spared another message.
            return Ok(SignUpOutcome::CheckInbox);
        }
        if let Some(existing) = app.store.user_by_email(email.as_str()).await? {
            Mail {
                to: existing.email.clone(),
                subject: "You already have a comark account".into(),
                body: format!(
                    "Hello {},\n\nSomeone (hopefully you) tried to sign up to comark with this address, \
                     which already has an account.\nSign in at {} or reset your password at {}.\n\n\
                     If it was not you, ignore this message.\n",
                    existing.name,
                    app.link("/sign-in"),
                    app.link("/forgot-password"),
                ),
            }
            .queue(app)
            .await?;
            return Ok(SignUpOutcome::CheckInbox);
        }
        let token = new_token("");
        let email_job = Mail {
            to: email.as_str().to_owned(),
            subject: "Confirm your comark account".into(),
            body: format!(
                "Hello {},\n\nOpen this link within 24 hours to finish creating your comark account:\n\n{}\n\n\
                 If you did not sign up, ignore this message.\n",
                name.as_str(),
                app.link(&format!("/sign-up/confirm/{token}")),
            ),
        }
        .job();
        app.store
            .create_signup_confirmation(
                comark_store::NewSignup {
                    token_hash: &hash_token(&token),
                    email: email.as_str(),
                    name: name.as_str(),
                    password_hash: &hash,
                    expires_at: now() + SIGNUP_LIFETIME,
                },
                email_job,
            )
            .await?;
        return Ok(SignUpOutcome::CheckInbox);
    }
    let user = app
        .store
        .create_user(email.as_str(), name.as_str(), &hash)
        .await
        .map_err(|error| match AppError::from(error) {
            // Without e-mail there is no private channel to say "you already have an
            // account"; the instance's admin chose that trade-off by not configuring SMTP.
            AppError::Conflict { .. } => AppError::Invalid(ValidationErrors::single(
                "email",
                "cannot be used to sign up; if it is yours, sign in or reset your password",
            )),
            other => other,
        })?;
    tracing::info!(user.id = %user.id, "user signed up");
    Ok(SignUpOutcome::SignedIn(
        start_session(app, user, false, client).await?,
    ))
}

/// Finishes a sign-up through the e-mailed link and signs the new account in.
pub async fn confirm_sign_up(app: &App, token: &str, client: &Client) -> Result<SignedIn> {
    let user =
        app.store.confirm_signup(&hash_token(token)).await.map_err(
            |error| match AppError::from(error) {
                AppError::NotFound => {
                    AppError::Rule("this link is not valid any more; sign up again".into())
                }
                AppError::Conflict { .. } => {
                    AppError::Rule("this address already has an account; sign in instead".into())
                }
                other => other,
            },
        )?;
    tracing::info!(user.id = %user.id, "user confirmed sign-up");
    start_session(app, user, false, client).await
}

fn throttled(until: chrono::DateTime<chrono::Utc>) -> AppError {
    // Rounded up: a client that waits `Retry-After` seconds must find the wait over.
    let millis = (until - now()).num_milliseconds();
    AppError::Throttled {
        retry_after_secs: ((millis + 999) / 1000).max(1),
    }
}

/// What a person brings to sign in.
#[derive(Clone, Copy, Debug, Default)]
pub struct Credentials<'a> {
    /// Their e-mail address.
    pub email: &'a str,
    /// Their password.
    pub password: &'a str,
    /// A TOTP or recovery code sent with the password: it completes the second factor at
    /// once, and gets a right password through while the account must wait.
    pub code: Option<&'a str>,
    /// The secret of an e-mailed unlock link, which gets a right password through the wait.
    pub unlock: Option<&'a str>,
}

impl<'a> Credentials<'a> {
    /// An e-mail address and a password, nothing more.
    pub fn new(email: &'a str, password: &'a str) -> Credentials<'a> {
        Credentials {
            email,
            password,
            ..Default::default()
        }
    }
}

/// The throttle key of a client address. An IPv6 client usually holds a whole /64, so its
/// addresses count as one.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let [a, b, c, d, ..] = v6.segments();
            format!("address:{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        Ok(std::net::IpAddr::V6(v6)) => format!("address:{}", v6.to_canonical()),
        _ => format!("address:{ip}"),
    }
}

fn account_key(email: &str) -> String {
    format!("account:{email}")
}

/// Until when the first of `keys` that must wait does, if any must.
async fn wait_of(app: &App, keys: &[&str]) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let mut until = None;
    for key in keys {
        until = until.max(app.store.sign_in_locked_until(key).await?);
    }
    Ok(until)
}

async fn record_failure(app: &App, account_key: &str, address_key: Option<&str>) -> Result<()> {
    app.store
        .record_failed_attempt(account_key, &ACCOUNT_BACKOFF)
        .await?;
    if let Some(key) = address_key {
        app.store
            .record_failed_attempt(key, &ADDRESS_BACKOFF)
            .await?;
    }
    Ok(())
}

/// Checks an e-mail address and password and starts a session (pending the TOTP code if
/// the account has one and none came with the password). Unknown addresses and wrong
/// passwords answer alike, in like time.
///
/// Failures slow an account and a client address down (see [`ACCOUNT_BACKOFF`]) but never
/// lock them, so an attacker's guesses cannot keep the owner out. While a wait is on, the
/// password is not checked at all (the answer tells nothing about it), with two ways
/// through for a person who proves more than the password: a valid TOTP or recovery code
/// sent with it, or an e-mailed unlock link ([`request_unlock`]). A wrong password or code
/// gets the same "wait" answer as any other attempt.
pub async fn sign_in(app: &App, credentials: Credentials<'_>, client: &Client) -> Result<SignedIn> {
    let email = credentials.email;
    let normalized = Email::parse(email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|_| email.trim().to_lowercase());
    let account_key = account_key(&normalized);
    let address_key = client.ip.as_deref().map(address_key);
    let user = app.store.user_by_email(&normalized).await?;
    let code = credentials
        .code
        .map(str::trim)
        .filter(|code| !code.is_empty());
    // Looked up whether or not the address has an account, so the time taken tells nothing.
    let unlock = match credentials.unlock.filter(|token| !token.is_empty()) {
        Some(token) => {
            let hash = hash_token(token);
            let holder = app.store.sign_in_unlock_user(&hash).await?;
            (holder.is_some() && holder == user.as_ref().map(|u| u.id)).then_some(hash)
        }
        None => None,
    };
    let keys: Vec<&str> = std::iter::once(account_key.as_str())
        .chain(address_key.as_deref())
        .collect();
    let wait = wait_of(app, &keys).await?;
    if let (Some(until), None) = (wait, &unlock) {
        return match code {
            Some(code) => {
                past_the_wait_with_code(app, user, credentials.password, code, until, client).await
            }
            None => Err(throttled(until)),
        };
    }
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let matches = verify_password(credentials.password.to_owned(), hash).await?;
    let Some(user) = user.filter(|_| matches) else {
        record_failure(app, &account_key, address_key.as_deref()).await?;
        tracing::info!("failed sign-in");
        return Err(AppError::Unauthenticated(BAD_CREDENTIALS));
    };
    if let Some(unlock) = &unlock {
        // A link works once. Of two sign-ins racing with it, the one that lost waits.
        if !app.store.use_sign_in_unlock(unlock, user.id).await? {
            if let Some(until) = wait {
                return Err(throttled(until));
            }
        } else {
            tracing::info!(user.id = %user.id, "signed in with an unlock link");
        }
    }
    let mut pending = user.has_second_factor();
    if let (true, Some(code)) = (pending, code) {
        if !second_factor_matches(app, &user, code).await? {
            app.store
                .record_failed_attempt(&account_key, &ACCOUNT_BACKOFF)
                .await?;
            return Err(ValidationErrors::single("code", "is not the current code").into());
        }
        pending = false;
    }
    app.store.clear_sign_in_failures(&account_key).await?;
    start_session(app, user, pending, client).await
}

/// A sign-in while the account or the address must wait, with a code: it gets through
/// when the code and the password are both right. The code is used up before the password
/// is checked, so one code buys one guess, however many are sent while it is valid.
async fn past_the_wait_with_code(
    app: &App,
    user: Option<User>,
    password: &str,
    code: &str,
    until: chrono::DateTime<chrono::Utc>,
    client: &Client,
) -> Result<SignedIn> {
    let user = match user {
        Some(user) if user.has_second_factor() => user,
        _ => {
            // The same look-up as for an account with a second factor, so the time taken
            // tells neither whether the address has an account nor whether it has one.
            app.store
                .use_recovery_code(UserId(uuid::Uuid::nil()), &hash_token(code))
                .await?;
            return Err(throttled(until));
        }
    };
    if !second_factor_matches(app, &user, code).await? {
        return Err(throttled(until));
    }
    if !verify_password(password.to_owned(), user.password_hash.clone()).await? {
        let address_key = client.ip.as_deref().map(address_key);
        record_failure(app, &account_key(&user.email), address_key.as_deref()).await?;
        return Err(throttled(until));
    }
    app.store
        .clear_sign_in_failures(&account_key(&user.email))
        .await?;
    tracing::info!(user.id = %user.id, "signed in past the wait with a second factor");
    start_session(app, user, false, client).await
}

/// Whether `code` is the user's current TOTP code or one of their recovery codes, using it
/// up if so.
async fn second_factor_matches(app: &App, user: &User, code: &str) -> Result<bool> {
    let Some(secret) = user.totp_secret.as_deref() else {
        return Ok(false);
    };
    let totp = totp_for(user, secret)?;
    Ok(use_code(app, user, &totp, code).await?
        || app
            .store
            .use_recovery_code(user.id, &hash_token(&normalize_recovery_code(code)))
            .await?)
}

fn totp_for(user: &User, secret_base32: &str) -> Result<TOTP> {
    let secret = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|e| AppError::Internal(format!("stored TOTP secret: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        Some("comark".into()),
        user.email.clone(),
    )
    .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

/// The time step (30-second window) whose code `code` is, allowing one step of clock drift
/// either way; `None` when it matches none.
fn matching_step(totp: &TOTP, code: &str) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 {
        return None;
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).ok()?;
    [now.saturating_sub(30), now, now + 30]
        .into_iter()
        .find(|time| totp.generate(*time) == code)
        .and_then(|time| i64::try_from(time / 30).ok())
}

/// Whether `code` is valid now and was not used before: each code works once.
async fn use_code(app: &App, user: &User, totp: &TOTP, code: &str) -> Result<bool> {
    match matching_step(totp, code) {
        Some(step) => Ok(app.store.use_totp_step(user.id, step).await?),
        None => Ok(false),
    }
}

/// Completes a sign-in with a TOTP code or a recovery code.
pub async fn verify_second_factor(
    app: &App,
    current: &CurrentUser,
    code: &str,
    client: &Client,
) -> Result<()> {
    let token_hash = current
        .session_token_hash
        .as_deref()
        .ok_or(AppError::Forbidden)?;
    let account_key = account_key(&current.user.email);
    if let Some(until) = app.store.sign_in_locked_until(&account_key).await? {
        return Err(throttled(until));
    }
    if current.user.totp_secret.is_none() {
        return Err(AppError::Forbidden);
    }
    if second_factor_matches(app, &current.user, code).await? {
        app.store.complete_second_factor(token_hash).await?;
        app.store.clear_sign_in_failures(&account_key).await?;
        Ok(())
    } else {
        app.store
            .record_failed_attempt(&account_key, &ACCOUNT_BACKOFF)
            .await?;
        let _ = client;
        Err(AppError::Invalid(ValidationErrors::single(
            "code",
            "is not the current code",
        )))
    }
}

fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// The user behind a session token, if it is live.
pub async fn authenticate_session(app: &App, token: &str) -> Result<Option<CurrentUser>> {
    let token_hash = hash_token(token);
    let Some(session) = app.store.session(&token_hash).await? else {
        return Ok(None);
    };
    if now() - session.last_seen_at > Duration::minutes(1) {
        app.store.touch_session(&token_hash).await?;
    }
    let Some(user) = app.store.user_by_id(session.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        user,
        session_token_hash: Some(token_hash),
        csrf_token: Some(session.csrf_token),
        scope: Scope::Admin,
        second_factor_pending: session.second_factor_pending,
    }))
}

/// The user behind an `Authorization: Bearer` token: a personal token or a session token.
pub async fn authenticate_bearer(app: &App, token: &str) -> Result<Option<CurrentUser>> {
    if token.starts_with("cmk_ses_") {
        return authenticate_session(app, token).await;
    }
    if !token.starts_with("cmk_pat_") {
        return Ok(None);
    }
    let Some(api_token) = app.store.use_api_token(&hash_token(token)).await? else {
        return Ok(None);
    };
    let Some(user) = app.store.user_by_id(api_token.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        user,
        session_token_hash: None,
        csrf_token: None,
        scope: api_token.scope,
        second_factor_pending: false,
    }))
}

/// Ends the current session.
pub async fn sign_out(app: &App, current: &CurrentUser) -> Result<()> {
    if let Some(token_hash) = &current.session_token_hash {
        app.store.delete_session(token_hash).await?;
    }
    Ok(())
}

/// Changes the password after checking the current one; every other session ends.
pub async fn change_password(app: &App, current: &CurrentUser, old: &str, new: &str) -> Result<()> {
    let new = Password::parse(new)
        .map_err(|e| ValidationErrors::single("new_password", e.to_string()))?;
    if !verify_password(old.to_owned(), current.user.password_hash.clone()).await? {
        return Err(
            ValidationErrors::single("current_password", "is not your current password").into(),
        );
    }
    let hash = hash_password(new.expose().to_owned()).await?;
    app.store
        .set_password(
            current.user.id,
            &hash,
            current.session_token_hash.as_deref(),
        )
        .await?;
    let actor = self_actor(&current.user);
    app.store
        .record_user_event(current.user.id, AuditAction::PasswordChanged, &actor)
        .await?;
    Ok(())
}

fn self_actor(user: &User) -> comark_store::Actor {
    comark_store::Actor {
        user_id: Some(user.id),
        label: user.email.clone(),
        ip: None,
    }
}

/// Finds the token in an `Authorization` header value (`Bearer <token>`, any case).
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && !token.contains(char::is_whitespace))
    .then_some(token)
}

/// The job that e-mails a reset link when the address has an account.
pub const PASSWORD_RESET_JOB: &str = "auth.password_reset";
/// The job that e-mails an unlock link when the address has an account.
pub const UNLOCK_LINK_JOB: &str = "auth.unlock_link";

/// Asks for a reset link to be e-mailed if the address has an account; answers the same
/// either way, after the same work: whether the address has an account is only looked up
/// by the job ([`PASSWORD_RESET_JOB`]), so not even the time taken tells.
pub async fn request_password_reset(app: &App, email: &str) -> Result<()> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    queue_unasked_mail(app, PASSWORD_RESET_JOB, &email).await
}

/// Why an unlock link cannot be had on an instance that sends no e-mail.
pub const NO_MAIL_FOR_UNLOCK: &str = "this server does not send e-mail, so it cannot send an \
    unlock link; wait until the time is up, or sign in with your second factor's code";

/// Asks for an unlock link to be e-mailed if the address has an account: the link lets
/// its holder sign in with the right password without waiting out failed attempts (see
/// [`sign_in`]). Answers the same for every address, after the same work, and counts
/// against the same hourly allowance as reset links.
pub async fn request_unlock(app: &App, email: &str) -> Result<()> {
    if !app.settings.mail_enabled {
        return Err(AppError::Rule(NO_MAIL_FOR_UNLOCK.into()));
    }
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    queue_unasked_mail(app, UNLOCK_LINK_JOB, &email).await
}

/// Counts an e-mail a stranger asked for and queues the job that decides whether to send
/// it, in one transaction, whoever the address belongs to.
async fn queue_unasked_mail(app: &App, kind: &'static str, email: &Email) -> Result<()> {
    let job = NewJob {
        kind,
        org_id: None,
        payload: serde_json::json!({ "email": email.as_str() }),
        max_attempts: 8,
    };
    let queued = app
        .store
        .count_and_enqueue(
            &mail_key(email.as_str()),
            MAX_UNASKED_MAILS_PER_HOUR,
            Duration::hours(1),
            job,
        )
        .await?;
    // The inbox is simply spared another message; the answer stays the same.
    tracing::info!(kind, queued, "e-mail asked for");
    Ok(())
}

/// Runs [`PASSWORD_RESET_JOB`]: makes a reset link and queues its e-mail, when the address
/// has an account. Running it twice makes one link.
pub async fn send_reset_link(app: &App, job: JobId, email: &str) -> Result<()> {
    let Some(user) = app.store.user_by_email(email).await? else {
        return Ok(());
    };
    let token = new_token("");
    let link = app.link(&format!("/reset-password/{token}"));
    let email_job = Mail {
        to: user.email.clone(),
        subject: "Reset your comark password".into(),
        body: format!(
            "Hello {},\n\nSomeone (hopefully you) asked to reset your comark password.\n\
             Open this link within an hour to choose a new one:\n\n{link}\n\n\
             If it was not you, ignore this message: your password stays as it is.\n",
            user.name
        ),
    }
    .job();
    app.store
        .create_password_reset(
            user.id,
            job,
            &hash_token(&token),
            now() + RESET_LIFETIME,
            email_job,
        )
        .await?;
    Ok(())
}

/// Runs [`UNLOCK_LINK_JOB`]: makes an unlock link and queues its e-mail, when the address
/// has an account. Running it twice makes one link.
pub async fn send_unlock_link(app: &App, job: JobId, email: &str) -> Result<()> {
    let Some(user) = app.store.user_by_email(email).await? else {
        return Ok(());
    };
    let token = new_token("");
    let link = app.link(&format!("/sign-in/unlock/{token}"));
    let email_job = Mail {
        to: user.email.clone(),
        subject: "Sign in to comark without waiting".into(),
        body: format!(
            "Hello {},\n\nAfter several wrong passwords, signing in to your comark account \
             asks for a wait between attempts. Someone (hopefully you) asked for this link to \
             sign in without waiting.\n\
             Open it within an hour and sign in with your password; it works once:\n\n{link}\n\n\
             If it was not you, ignore this message. Someone may be guessing your password: \
             a second factor (under Account in comark) keeps them out even if they guess it.\n",
            user.name
        ),
    }
    .job();
    app.store
        .create_sign_in_unlock(
            user.id,
            job,
            &hash_token(&token),
            now() + UNLOCK_LIFETIME,
            email_job,
        )
        .await?;
    Ok(())
}

fn mail_key(address: &str) -> String {
    format!("mail:{address}")
}

/// E-mails that anyone can trigger (resets, unlock and sign-up links) per address per hour: enough for
/// a person who lost a message, too few to flood someone's inbox.
pub const MAX_UNASKED_MAILS_PER_HOUR: i64 = 3;

/// Counts one e-mail to `address` that a stranger could have asked for; false once the
/// hourly allowance is spent. Known and unknown addresses count alike.
async fn mail_allowed(app: &App, address: &str) -> Result<bool> {
    // The sign-in throttle's table keeps any per-key counter with a window and a lock.
    let key = mail_key(address);
    if app.store.sign_in_locked_until(&key).await?.is_some() {
        return Ok(false);
    }
    let locked = app
        .store
        .record_sign_in_failure(
            &key,
            MAX_UNASKED_MAILS_PER_HOUR + 1,
            Duration::hours(1),
            Duration::hours(1),
        )
        .await?;
    Ok(locked.is_none())
}

/// Sets a new password through a reset link; all sessions end.
pub async fn reset_password(app: &App, token: &str, new: &str) -> Result<()> {
    let new =
        Password::parse(new).map_err(|e| ValidationErrors::single("password", e.to_string()))?;
    let hash = hash_password(new.expose().to_owned()).await?;
    let user = app
        .store
        .reset_password(&hash_token(token), &hash)
        .await
        .map_err(|error| match AppError::from(error) {
            AppError::NotFound => {
                AppError::Rule("this reset link is not valid any more; ask for a new one".into())
            }
            other => other,
        })?;
    let actor = comark_store::Actor {
        user_id: Some(user),
        label: "password reset link".into(),
        ip: None,
    };
    app.store
        .record_user_event(user, AuditAction::PasswordReset, &actor)
        .await?;
    Ok(())
}

/// The instance's key for the form tokens of browsers without a session (see
/// [`crate::secrets::pre_session_token`]), the same for every instance on the database.
pub async fn pre_session_key(app: &App) -> Result<Vec<u8>> {
    let fresh: [u8; 32] = rand::random();
    Ok(app
        .store
        .instance_secret("csrf-pre-session", &fresh)
        .await?)
}

/// A second factor being set up: show the secret (and its QR URL) to the user.
#[derive(Debug, serde::Serialize)]
pub struct TotpSetup {
    /// The base32 secret to type into an authenticator app.
    pub secret: String,
    /// The `otpauth://` URL an authenticator app scans.
    pub otpauth_url: String,
}

/// Starts setting up TOTP: stores a new secret, not yet active.
pub async fn start_totp(app: &App, current: &CurrentUser) -> Result<TotpSetup> {
    let secret = Secret::generate_secret().to_encoded().to_string();
    let totp = totp_for(&current.user, &secret)?;
    app.store.set_pending_totp(current.user.id, &secret).await?;
    Ok(TotpSetup {
        otpauth_url: totp.get_url(),
        secret,
    })
}

/// Confirms TOTP with a first code; returns ten recovery codes, shown once.
pub async fn enable_totp(app: &App, current: &CurrentUser, code: &str) -> Result<Vec<String>> {
    let user = app
        .store
        .user_by_id(current.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let secret = user
        .totp_secret
        .as_deref()
        .ok_or_else(|| AppError::Rule("start the set-up first".into()))?;
    if !use_code(app, &user, &totp_for(&user, secret)?, code).await? {
        return Err(ValidationErrors::single("code", "is not the current code").into());
    }
    let codes: Vec<String> = (0..10)
        .map(|_| {
            let raw = new_token("").to_lowercase().replace(['-', '_'], "");
            format!("{}-{}", &raw[..5], &raw[5..10])
        })
        .collect();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| hash_token(&normalize_recovery_code(c)))
        .collect();
    app.store.enable_totp(user.id, &hashes).await?;
    app.store
        .record_user_event(
            user.id,
            AuditAction::SecondFactorEnabled,
            &self_actor(&user),
        )
        .await?;
    Ok(codes)
}

/// Turns TOTP off after checking the password.
pub async fn disable_totp(app: &App, current: &CurrentUser, password: &str) -> Result<()> {
    if !verify_password(password.to_owned(), current.user.password_hash.clone()).await? {
        return Err(ValidationErrors::single("password", "is not your current password").into());
    }
    app.store.disable_totp(current.user.id).await?;
    app.store
        .record_user_event(
            current.user.id,
            AuditAction::SecondFactorDisabled,
            &self_actor(&current.user),
        )
        .await?;
    Ok(())
}

/// The code for a secret at a Unix time (tests use the next window's code, since the
/// current one may have been used already).
pub fn totp_code_at(secret_base32: &str, unix_secs: u64) -> Result<String> {
    let secret = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|e| AppError::Internal(format!("{e:?}")))?;
    Ok(
        TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret, None, String::new())
            .generate(unix_secs),
    )
}

/// The next 30-second window's code, accepted now thanks to the allowed drift.
pub fn next_totp_code(secret_base32: &str) -> Result<String> {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
    totp_code_at(secret_base32, now + 30)
}

/// The current code for a secret (the test kit and the CLI use this).
pub fn current_totp_code(secret_base32: &str) -> Result<String> {
    let secret = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|e| AppError::Internal(format!("{e:?}")))?;
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret, None, String::new());
    totp.generate_current()
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Sets a user's password from the command line (an administrator's recovery path).
pub async fn admin_reset_password(app: &App, email: &str, new: &str) -> Result<()> {
    let email =
        Email::parse(email).map_err(|e| ValidationErrors::single("email", e.to_string()))?;
    let user = app
        .store
        .user_by_email(email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let new =
        Password::parse(new).map_err(|e| ValidationErrors::single("password", e.to_string()))?;
    let hash = hash_password(new.expose().to_owned()).await?;
    app.store.set_password(user.id, &hash, None).await?;
    let actor = comark_store::Actor {
        user_id: None,
        label: "administrator (command line)".into(),
        ip: None,
    };
    app.store
        .record_user_event(user.id, AuditAction::PasswordReset, &actor)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bearer_token;
    use proptest::prelude::*;

    #[test]
    fn the_bearer_scheme_is_found_in_any_case() {
        assert_eq!(bearer_token("Bearer cmk_pat_abc"), Some("cmk_pat_abc"));
        assert_eq!(bearer_token("bearer  cmk_ses_x "), Some("cmk_ses_x"));
        assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer a b"), None);
    }

    proptest! {
        #[test]
        fn any_header_value_parses_without_panicking(raw in "\\PC{0,200}") {
            if let Some(token) = bearer_token(&raw) {
                prop_assert!(!token.is_empty());
                prop_assert!(!token.contains(char::is_whitespace));
            }
        }

        #[test]
        fn a_token_sent_as_bearer_is_read_back(token in "[A-Za-z0-9_-]{1,80}") {
            let header = format!("Bearer {token}");
            prop_assert_eq!(bearer_token(&header), Some(token.as_str()));
        }
    }
}
