//! Operations: health, readiness, metrics, request ids, logs and security headers.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tracing::Instrument;

use crate::AppState;

/// A request's method, matched route and status.
type RequestKey = (String, String, u16);

/// Counts of requests by method, route and status, and their total duration in seconds.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<RequestKey, (u64, f64)>>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut requests) = self.requests.lock() {
            let entry = requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default();
            entry.0 += 1;
            entry.1 += seconds;
        }
    }
}

/// The operational routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable\n").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    out.push_str("# HELP comark_http_requests_total HTTP requests by method, route and status.\n");
    out.push_str("# TYPE comark_http_requests_total counter\n");
    let snapshot: Vec<_> = state
        .metrics
        .requests
        .lock()
        .map(|requests| requests.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default();
    for ((method, route, status), (count, _)) in &snapshot {
        out.push_str(&format!(
            "comark_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}\n"
        ));
    }
    out.push_str(
        "# HELP comark_http_request_duration_seconds_sum Time spent answering, by route.\n",
    );
    out.push_str("# TYPE comark_http_request_duration_seconds_sum counter\n");
    for ((method, route, status), (_, seconds)) in &snapshot {
        out.push_str(&format!(
            "comark_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {seconds:.6}\n"
        ));
    }
    if let Ok(counts) = state.app.job_counts().await {
        out.push_str("# HELP comark_jobs Jobs in the queue by status.\n# TYPE comark_jobs gauge\n");
        out.push_str(&format!(
            "comark_jobs{{status=\"queued\"}} {}\n",
            counts.queued
        ));
        out.push_str(&format!("comark_jobs{{status=\"done\"}} {}\n", counts.done));
        out.push_str(&format!(
            "comark_jobs{{status=\"failed\"}} {}\n",
            counts.failed
        ));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Content-Security-Policy: nothing runs or loads that is not ours, and nothing inline.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Around every request: a request id, a span with the matched route, metrics and security headers.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // Decided once here, so the sign-in throttle, the request form's rate limit, sessions
    // and the audit log all see the same client.
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|connected| connected.0.ip());
    if let Some(peer) = peer {
        let client = crate::forwarded::client_address(
            peer,
            request.headers(),
            &state.settings.trusted_proxies,
        );
        request
            .extensions_mut()
            .insert(crate::auth::ClientAddress(client));
    }
    let started = Instant::now();
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let span = tracing::info_span!("request", request.id = %request_id, http.method = %method, http.route = %route);
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.record(&method, &route, status, seconds);
    span.in_scope(|| {
        tracing::info!(
            http.status = status,
            elapsed_ms = (seconds * 1000.0) as u64,
            "request"
        )
    });
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if state.app.settings.public_url.starts_with("https://") {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
