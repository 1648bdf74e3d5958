//! comark's HTTP server: `/api/v1` (JSON, OpenAPI generated from the handlers), the
//! server-rendered web UI, and the operational endpoints.
//!
//! Handlers are thin: extract (the [`auth`] extractors prove who is asking and in which
//! organization), call one `comark-app` function, render. Errors become responses in
//! [`error`] only.

pub mod api;
pub mod auth;
pub mod boundary;
pub mod error;
pub mod forwarded;
pub mod ops;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use comark_app::App;
use tokio::net::TcpListener;

/// Server settings that do not concern the use cases.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Whether cookies get the `Secure` flag and the `__Host-` prefix. Browsers accept
    /// secure cookies on `http://localhost` and `http://127.0.0.1`, so this stays on
    /// unless comark is served over plain HTTP on another address.
    pub secure_cookies: bool,
    /// The reverse proxies (load balancers) whose forwarded headers name the client. From
    /// any other peer the headers are ignored: see [`forwarded::client_address`].
    pub trusted_proxies: Vec<forwarded::IpNet>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            secure_cookies: true,
            trusted_proxies: Vec::new(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Server settings.
    pub settings: Arc<ServerSettings>,
    /// Request counters for `/metrics`.
    pub metrics: Arc<ops::Metrics>,
    /// The key of the form tokens of browsers without a session, read once.
    pre_session_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
}

impl AppState {
    /// State for `app`.
    pub fn new(app: App, settings: ServerSettings) -> AppState {
        AppState {
            app,
            settings: Arc::new(settings),
            metrics: Arc::default(),
            pre_session_key: Arc::default(),
        }
    }

    /// The key of the form tokens of browsers without a session. It never changes, so one
    /// read per process is enough.
    pub async fn pre_session_key(&self) -> Result<&[u8], comark_app::AppError> {
        self.pre_session_key
            .get_or_try_init(|| comark_app::auth::pre_session_key(&self.app))
            .await
            .map(Vec::as_slice)
    }
}

/// The whole application: API, web UI, operations, and the middleware around them.
pub fn router(state: AppState) -> Router {
    let (api_router, _openapi) = api::router();
    Router::new()
        .merge(api_router)
        .merge(web::router(state.clone()))
        .merge(ops::router())
        .fallback(web::not_found_fallback)
        .layer(axum::middleware::from_fn(
            boundary::refuse_control_characters,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::observe,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes in-flight requests
/// for at most [`SHUTDOWN_GRACE`]: a client that never finishes its request cannot keep the
/// process from stopping.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    let graceful = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = signalled.send(true);
    });
    let deadline = async move {
        let _ = on_signal.wait_for(|fired| *fired).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = graceful => served,
        () = deadline => {
            tracing::warn!("requests still in flight after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// How long graceful shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
