//! The test kit: everything a test needs to talk to the real thing.
//!
//! [`TestApp::spawn`] starts the real server on 127.0.0.1 port 0 with a fresh database of
//! either backend; [`both_backends!`] writes a test once and runs it on SQLite and on
//! PostgreSQL. [`Api`] and [`Browser`] are HTTP clients for the API and the web UI;
//! [`Mailbox`] is a real SMTP server that keeps what it receives. [`samples`] makes messy
//! Salesforce and HubSpot exports of the same companies with their ground truth.

mod clients;
mod db;
mod mailbox;

use std::time::Duration;

use comark_app::{App, Settings};
use comark_server::{AppState, ServerSettings};
use comark_store::Store;

pub use clients::{Api, Browser, Reply};
pub use db::{Backend, TestDatabase};
pub use mailbox::{Mailbox, ReceivedMail};

/// Sample CRM exports with a ground truth; they live in `comark-app` so that the `comark`
/// binary's benchmark uses the same ones.
pub use comark_app::samples;

/// A password every fixture account uses.
pub const PASSWORD: &str = "correct horse battery staple";

/// The server under test, with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The use cases, for arranging state directly.
    pub app: App,
    /// The store underneath.
    pub store: Store,
    /// The SMTP server e-mail goes to, when the app was spawned with mail.
    pub mailbox: Option<Mailbox>,
    /// How the server was set up.
    pub server_settings: ServerSettings,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _database: TestDatabase,
}

/// Options for [`TestApp::spawn_with`].
#[derive(Default, Clone, Copy)]
pub struct Options {
    /// Start an SMTP server and send e-mail to it.
    pub mail: bool,
    /// The proxies whose forwarded headers name the client (`"127.0.0.1/32"` makes the
    /// tests' own requests count as coming through a proxy).
    pub trusted_proxies: &'static [&'static str],
    /// Serve cookies without `Secure` and without the `__Host-` prefix, as
    /// `--insecure-cookies` does.
    pub insecure_cookies: bool,
}

impl Options {
    /// The server settings these options ask for.
    fn server_settings(&self) -> ServerSettings {
        ServerSettings {
            secure_cookies: !self.insecure_cookies,
            trusted_proxies: self
                .trusted_proxies
                .iter()
                .map(|net| {
                    comark_server::forwarded::parse_trusted_proxy(net).expect("a trusted proxy")
                })
                .collect(),
        }
    }
}

impl TestApp {
    /// Starts the server on a fresh database of `backend`.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    /// Starts the server with options.
    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        let database = TestDatabase::create(backend).await;
        let store = Store::connect(database.url())
            .await
            .expect("connect to the test database");
        store.migrate().await.expect("migrate the test database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let address = listener.local_addr().expect("local address");
        let base_url = format!("http://{address}");
        let mailbox = options.mail.then(Mailbox::start);
        let app = App::new(
            store.clone(),
            Settings {
                public_url: base_url.clone(),
                mail_enabled: mailbox.is_some(),
                mail_from: "comark <comark@test.example>".into(),
            },
        );
        let server_settings = options.server_settings();
        let shutdown = serve_in_background(listener, app.clone(), server_settings.clone());
        TestApp {
            base_url,
            app,
            store,
            mailbox,
            server_settings,
            shutdown: Some(shutdown),
            _database: database,
        }
    }

    /// Starts a second server on the same database, as a second instance behind a load
    /// balancer would run. It stops when the returned instance is dropped.
    pub async fn another_instance(&self) -> Instance {
        let store = Store::connect(self._database.url())
            .await
            .expect("connect the second instance");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let app = App::new(store.clone(), (*self.app.settings).clone());
        let shutdown = serve_in_background(listener, app.clone(), self.server_settings.clone());
        Instance {
            base_url,
            app,
            _shutdown: shutdown,
        }
    }

    /// An API client without credentials.
    pub fn api(&self) -> Api {
        Api::new(&self.base_url, None)
    }

    /// An API client with a bearer token.
    pub fn api_as(&self, token: &str) -> Api {
        Api::new(&self.base_url, Some(token.to_owned()))
    }

    /// A browser-like client with its own cookies.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base_url, self.server_settings.secure_cookies)
    }

    /// Signs up a person through the API and returns their session token.
    pub async fn sign_up(&self, name: &str, email: &str) -> String {
        let reply = self
            .api()
            .post(
                "/api/v1/auth/sign-up",
                serde_json::json!({ "name": name, "email": email, "password": PASSWORD }),
            )
            .await;
        if reply.status == 202 {
            // This instance sends e-mail: finish through the confirmation link, as a person would.
            self.run_jobs().await;
            let mailbox = self.mailbox.as_ref().expect("mail is on");
            let link = mailbox
                .messages_to(&email.trim().to_lowercase())
                .iter()
                .rev()
                .find_map(|mail| {
                    mail.first_link()
                        .filter(|link| link.contains("/sign-up/confirm/"))
                })
                .expect("a confirmation link");
            let secret = link.rsplit('/').next().expect("token").to_owned();
            let confirmed = self
                .api()
                .post(
                    "/api/v1/auth/sign-up/confirm",
                    serde_json::json!({ "token": secret }),
                )
                .await;
            assert_eq!(
                confirmed.status, 201,
                "confirming failed: {}",
                confirmed.text
            );
            return confirmed.json["token"].as_str().expect("token").to_owned();
        }
        assert_eq!(reply.status, 201, "sign-up failed: {}", reply.text);
        reply.json["token"].as_str().expect("token").to_owned()
    }

    /// Signs up a person and creates an organization they own; returns their token.
    pub async fn owner_of(&self, handle: &str) -> String {
        let token = self
            .sign_up(
                &format!("Owner of {handle}"),
                &format!("owner@{handle}.example"),
            )
            .await;
        let reply = self
            .api_as(&token)
            .post(
                "/api/v1/orgs",
                serde_json::json!({ "name": format!("{handle} Inc."), "handle": handle }),
            )
            .await;
        assert_eq!(
            reply.status, 201,
            "creating {handle} failed: {}",
            reply.text
        );
        token
    }

    /// Adds a member with `role` to the organization `handle` (through an invitation to
    /// their address, as any role may be invited that way), and returns their token.
    pub async fn member_of(&self, owner_token: &str, handle: &str, role: &str) -> String {
        let email = format!("{role}-{}@{handle}.example", uuid::Uuid::new_v4().simple());
        let token = self.sign_up(&format!("{role} at {handle}"), &email).await;
        let invitation = self
            .api_as(owner_token)
            .post(
                &format!("/api/v1/orgs/{handle}/invitations"),
                serde_json::json!({ "email": email, "role": role }),
            )
            .await;
        assert_eq!(invitation.status, 201, "{}", invitation.text);
        let link = self.invitation_link(&invitation, &email).await;
        let secret = link.rsplit('/').next().expect("token in link");
        let accepted = self
            .api_as(&token)
            .post(
                &format!("/api/v1/invitations/{secret}/accept"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        token
    }

    /// The link of a new invitation to `email`: in the answer when this instance sends no
    /// e-mail, else in the invitee's inbox (the answer never shows a mailed link).
    pub async fn invitation_link(&self, created: &Reply, email: &str) -> String {
        if let Some(link) = created.json["link"].as_str() {
            return link.to_owned();
        }
        self.run_jobs().await;
        self.mailbox
            .as_ref()
            .expect("an e-mailed invitation needs the mailbox")
            .messages_to(&email.trim().to_lowercase())
            .iter()
            .rev()
            .find_map(|mail| {
                mail.first_link()
                    .filter(|link| link.contains("/invitations/"))
            })
            .expect("an invitation link in the inbox")
    }

    /// Connects two organizations as partners (the first asks, the second accepts).
    pub async fn connect(&self, from_token: &str, from: &str, to_token: &str, to: &str) -> String {
        let request = self
            .api_as(from_token)
            .post(
                &format!("/api/v1/orgs/{from}/connections"),
                serde_json::json!({ "handle": to }),
            )
            .await;
        assert_eq!(request.status, 201, "{}", request.text);
        let id = request.json["id"].as_str().expect("id").to_owned();
        let accepted = self
            .api_as(to_token)
            .post(
                &format!("/api/v1/orgs/{to}/connections/{id}/accept"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        id
    }

    /// Runs every due job now (e-mail, ...), returning how many ran.
    pub async fn run_jobs(&self) -> usize {
        let mailer = self.mailbox.as_ref().map(|mailbox| {
            comark_app::mail::Mailer::new(&mailbox.smtp_url(), "comark <comark@test.example>")
                .expect("mailer")
        });
        comark_app::jobs::drain(&self.app, mailer.as_ref())
            .await
            .expect("run jobs")
    }

    /// Runs `count` job workers in the background on this runtime, as `comark serve` does
    /// (tests usually run jobs with [`TestApp::run_jobs`] instead). They stop when the
    /// returned value is dropped.
    pub fn start_workers(&self, count: usize) -> Workers {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        for index in 0..count {
            tokio::spawn(comark_app::jobs::run_worker(
                self.app.clone(),
                None,
                format!("test-worker-{index}"),
                stopped.clone(),
            ));
        }
        Workers(stop)
    }

    /// Waits until `check` holds, for at most five seconds.
    pub async fn eventually<F: FnMut() -> bool>(mut check: F) -> bool {
        for _ in 0..100 {
            if check() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        check()
    }
}

/// Serves `app` on `listener` until the returned sender is dropped or fired.
fn serve_in_background(
    listener: tokio::net::TcpListener,
    app: App,
    settings: ServerSettings,
) -> tokio::sync::oneshot::Sender<()> {
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(app, settings);
    tokio::spawn(async move {
        let _ = comark_server::serve(listener, state, async move {
            let _ = stopped.await;
        })
        .await;
    });
    shutdown
}

/// Job workers started by [`TestApp::start_workers`]; dropping this stops them.
pub struct Workers(tokio::sync::watch::Sender<bool>);

impl Drop for Workers {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

/// A GET on plain threads and sockets, with a deadline: it answers even when the runtime
/// that serves the app is stuck, so a test can tell "slow" from "frozen". Returns the
/// status and the body, or `None` when nothing came back in time.
pub fn blocking_get(
    base_url: &str,
    path: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let address = base_url.strip_prefix("http://")?;
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    // HTTP/1.0: the server closes the connection and sends no chunked encoding.
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {address}\r\n{auth}\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// Sends `head` (the request line and headers, without the blank line) and `body` over a
/// plain socket while reading the answer, so an answer the server gives before it has read
/// the whole body (413 for a body over the limit) is seen even though the server then closes
/// the connection on the unread rest. Returns the status and body of the answer.
pub fn raw_request(base_url: &str, head: &str, body: Vec<u8>) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let address = base_url.strip_prefix("http://")?;
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut writer = stream.try_clone().ok()?;
    let head = format!(
        "{head}\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let sending = std::thread::spawn(move || {
        // The server may stop reading early: a failed write is expected then.
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
    });
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let _ = sending.join();
    let text = String::from_utf8_lossy(&raw);
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// A second server on the same database.
pub struct Instance {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Its use cases.
    pub app: App,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Instance {
    /// An API client with a bearer token.
    pub fn api_as(&self, token: &str) -> Api {
        Api::new(&self.base_url, Some(token.to_owned()))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Like [`both_backends!`], with [`Options`] for every test in the block:
/// `both_backends_with! { Options { mail: true, ..Default::default() }; async fn name(app) { ... } }`.
#[macro_export]
macro_rules! both_backends_with {
    ($options:expr; $( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::TestApp::spawn_with($crate::Backend::Sqlite, $options).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::TestApp::spawn_with($crate::Backend::Postgres, $options).await).await;
            }
        }
    )*};
}

/// Writes each test once and runs it against SQLite and against PostgreSQL:
/// `both_backends! { async fn name(app) { ... } }` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::TestApp::spawn($crate::Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::TestApp::spawn($crate::Backend::Postgres).await).await;
            }
        }
    )*};
}
