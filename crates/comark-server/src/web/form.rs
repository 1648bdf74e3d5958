//! Helpers the pages share for reading posted forms and showing times.

use axum::body::Bytes;
use axum::response::Response;
use chrono::{DateTime, Utc};
use comark_app::AppError;

use super::layout::error_page;
use super::org::plural;

/// The page for a member whose role does not allow the action.
pub(super) fn forbidden() -> Response {
    error_page(AppError::Forbidden)
}

/// The id a changing request's path names (a partnership, a request...), once the role
/// allows `action`: a path that names nothing is not found, a role without the right is
/// forbidden.
// The error is the page sent back at once; boxing it would only add an allocation.
#[allow(clippy::result_large_err)]
pub(super) fn managed<T: std::str::FromStr>(
    org: &crate::auth::WebOrg,
    raw: &str,
    action: comark_domain::Action,
) -> Result<T, Response> {
    let id = raw
        .parse::<T>()
        .map_err(|_| super::layout::not_found_page())?;
    if !org.scope.can(action) {
        return Err(forbidden());
    }
    Ok(id)
}

/// A form's name/value pairs, in order; a ticked box sends its name once per box.
pub(super) fn pairs(body: &Bytes) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The first value sent under `name`, if any.
pub(super) fn value_of(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

/// The first value sent under `name`, or "" when none was.
pub(super) fn text_of(pairs: &[(String, String)], name: &str) -> String {
    value_of(pairs, name).unwrap_or_default()
}

/// Every value sent under `name`, in order.
pub(super) fn values_of(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .collect()
}

/// A day as people write it: 2027-01-31.
pub(super) fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// An exact moment: 2027-01-31 14:05 UTC.
pub(super) fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// How long ago, in words, falling back to the day after a day.
pub(super) fn ago(at: DateTime<Utc>) -> String {
    let seconds = (Utc::now() - at).num_seconds().max(0);
    match seconds {
        0..=59 => "just now".to_owned(),
        60..=3599 => {
            let minutes = seconds / 60;
            format!("{minutes} {} ago", plural(minutes, "minute", "minutes"))
        }
        3600..=86_399 => {
            let hours = seconds / 3600;
            format!("{hours} {} ago", plural(hours, "hour", "hours"))
        }
        _ => format!("on {}", day(at)),
    }
}

/// `s` with its first letter in upper case, for messages written to follow other words.
pub(super) fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
