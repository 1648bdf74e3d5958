//! The browser harness: ChromeDriver as a child process, headless Chromium sessions driven
//! through fantoccini, and waits that poll the page instead of sleeping.
//!
//! Every step is bounded: starting the driver, opening a session, each WebDriver command and
//! each wait has a time limit, and a failure names what it waited for, where the page was and
//! what it showed.

use std::future::Future;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

/// How long ChromeDriver may take to answer `/status` after it starts.
const DRIVER_READY: Duration = Duration::from_secs(15);
/// How long a new browser session (starting Chromium) may take.
const SESSION_START: Duration = Duration::from_secs(30);
/// How long one WebDriver command may take.
const COMMAND: Duration = Duration::from_secs(20);
/// How long a wait for something on the page may take.
const WAIT: Duration = Duration::from_secs(10);
/// How often waits look again.
const POLL: Duration = Duration::from_millis(40);
/// The key WebDriver names an element by in script results.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// A script that finds the visible form control whose label reads `arguments[0]`, or else
/// whose label starts with it.
const LABELLED: &str = r#"
    const labels = [...document.querySelectorAll('main label[for]')];
    const visible = (label) => {
        const control = document.getElementById(label.htmlFor);
        return control && control.offsetParent !== null ? control : null;
    };
    for (const exact of [true, false]) {
        for (const label of labels) {
            const text = label.textContent.trim();
            const control = visible(label);
            if (control && (exact ? text === arguments[0] : text.startsWith(arguments[0]))) {
                return control;
            }
        }
    }
    return null;
"#;

/// The ChromeDriver binary: `COMARK_CHROMEDRIVER`, or Debian's.
fn chromedriver_path() -> String {
    std::env::var("COMARK_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// The Chromium binary: `COMARK_CHROMIUM`, or Debian's.
fn chromium_path() -> String {
    std::env::var("COMARK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Runs `future` for at most `limit`, panicking with `what` if it takes longer.
pub async fn bounded<T>(limit: Duration, what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

/// One ChromeDriver process, and the Chromium sessions it runs. Dropping it kills ChromeDriver
/// and every browser it started (they share its process group) and removes the profiles.
pub struct Browser {
    driver: Child,
    url: String,
    dir: PathBuf,
    http: reqwest::Client,
    sessions: Mutex<Vec<Client>>,
    profiles: Mutex<usize>,
    started: Instant,
}

impl Browser {
    /// Starts ChromeDriver on a free loopback port and waits until it is ready.
    pub async fn launch() -> Browser {
        let dir =
            std::env::temp_dir().join(format!("comark-browser-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create the browser's temporary directory");
        let http = reqwest::Client::builder()
            .timeout(COMMAND)
            .build()
            .expect("an HTTP client for ChromeDriver");
        let mut last_error = String::new();
        // A port found free can be taken before ChromeDriver binds it: try a few.
        for attempt in 0..3 {
            let port = free_port();
            let log = dir.join(format!("chromedriver-{attempt}.log"));
            let driver = Command::new(chromedriver_path())
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own process group, so that dropping it can end the browsers too.
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start {} (set COMARK_CHROMEDRIVER): {e}",
                        chromedriver_path()
                    )
                });
            let mut browser = Browser {
                driver,
                url: format!("http://127.0.0.1:{port}"),
                dir: dir.clone(),
                http: http.clone(),
                sessions: Mutex::new(Vec::new()),
                profiles: Mutex::new(0),
                started: Instant::now(),
            };
            match browser.wait_until_ready().await {
                Ok(()) => {
                    step(browser.started, "browser", "ChromeDriver is ready");
                    return browser;
                }
                Err(error) => {
                    last_error = format!("{error}\n{}", read_tail(&log));
                    // Dropping `browser` ends the process; the directory is made again.
                    drop(browser);
                    std::fs::create_dir_all(&dir).expect("create the temporary directory");
                }
            }
        }
        panic!("ChromeDriver did not become ready: {last_error}");
    }

    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + DRIVER_READY;
        let status = format!("{}/status", self.url);
        loop {
            if let Ok(Some(exit)) = self.driver.try_wait() {
                return Err(format!("ChromeDriver exited at start: {exit}"));
            }
            if let Ok(reply) = self.http.get(&status).send().await {
                if let Ok(body) = reply.json::<Value>().await {
                    if body["value"]["ready"] == Value::Bool(true) {
                        return Ok(());
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(format!("no ready answer from {status} in {DRIVER_READY:?}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a new Chromium with a fresh profile (its own cookies): one person at one
    /// computer, looking at the server at `base_url`.
    pub async fn session(&self, base_url: &str) -> Page {
        let number = {
            let mut count = self.profiles.lock().expect("profile counter");
            *count += 1;
            *count
        };
        let profile = self.dir.join(format!("profile-{number}"));
        std::fs::create_dir_all(&profile).expect("create a browser profile directory");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("pageLoadStrategy".into(), json!("normal"));
        capabilities.insert(
            "timeouts".into(),
            json!({ "pageLoad": 15_000, "script": 10_000, "implicit": 0 }),
        );
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium_path(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--window-size=1200,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let client = bounded(
            SESSION_START,
            "starting a Chromium session",
            ClientBuilder::native()
                .capabilities(capabilities)
                .connect(&self.url),
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot start Chromium ({}) through ChromeDriver: {e}",
                chromium_path()
            )
        });
        self.sessions
            .lock()
            .expect("session list")
            .push(client.clone());
        let name = format!("session {number}");
        step(self.started, &name, "Chromium is ready");
        Page {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            driver_url: self.url.clone(),
            http: self.http.clone(),
            name,
            started: self.started,
        }
    }

    /// Ends every session politely; dropping the browser afterwards ends the rest.
    pub async fn shut_down(self) {
        let sessions = std::mem::take(&mut *self.sessions.lock().expect("session list"));
        for client in sessions {
            let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole process group: ChromeDriver and the Chromiums it started.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Prints one step of a journey with the time since the browser started; the test runner
/// shows it when the test fails.
fn step(started: Instant, who: &str, what: &str) {
    eprintln!("[{:6.2}s] {who}: {what}", started.elapsed().as_secs_f64());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

fn read_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(4000);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}

/// One browser session looking at the app: navigation, forms, and waits.
pub struct Page {
    client: Client,
    base_url: String,
    driver_url: String,
    http: reqwest::Client,
    name: String,
    started: Instant,
}

impl Page {
    /// Notes a step in the test's output (shown when it fails), with the time since launch.
    fn step(&self, what: &str) {
        step(self.started, &self.name, what);
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `path` of the app (as typing it into the address bar) and waits for the load.
    pub async fn open(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base_url)
        };
        self.step(&format!("open {url}"));
        bounded(COMMAND, &format!("opening {url}"), self.client.goto(&url))
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        bounded(
            COMMAND,
            "running a script in the page",
            self.client.execute(script, args),
        )
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until htmx is quiet (no request, swap or settle under way: the page is the one a
    /// person would act on, and the focus has moved where it goes) and `script` returns
    /// something truthy; returns that. Script errors while the page changes count as "not yet".
    pub async fn wait_js(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        let guarded = format!(
            "if (document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')) {{ return null; }}\n\
             return (function () {{ {script} }}).apply(null, arguments);"
        );
        let deadline = Instant::now() + WAIT;
        let mut last_error = None;
        loop {
            match tokio::time::timeout(COMMAND, self.client.execute(&guarded, args.clone())).await {
                Ok(Ok(value)) if truthy(&value) => {
                    self.step(&format!("saw {what}"));
                    return value;
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => last_error = Some(error.to_string()),
                Err(_) => last_error = Some(format!("no answer in {COMMAND:?}")),
            }
            if Instant::now() > deadline {
                let error = last_error
                    .map(|e| format!(" (last script error: {e})"))
                    .unwrap_or_default();
                self.fail(&format!("waited {WAIT:?} for {what}{error}"))
                    .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Panics with `message` and a description of where the page is and what it shows.
    pub async fn fail(&self, message: &str) -> ! {
        let here = tokio::time::timeout(Duration::from_secs(5), self.client.current_url())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|url| url.to_string())
            .unwrap_or_else(|| "(unknown)".into());
        let text = tokio::time::timeout(
            Duration::from_secs(5),
            self.client.execute(
                "return document.body ? document.body.innerText : document.documentElement.outerHTML",
                vec![],
            ),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
        let picture = self.save_failure_screenshot().await;
        panic!("{message}\n  at: {here}{picture}\n  page text:\n{text}");
    }

    /// Saves what the page looks like to `test-artifacts/screenshots/failed-<test>.png`, and
    /// says where (or nothing, if it could not).
    async fn save_failure_screenshot(&self) -> String {
        let test = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .replace("::", "-");
        let path = workspace_root()
            .join("test-artifacts/screenshots")
            .join(format!("failed-{test}.png"));
        let png = tokio::time::timeout(Duration::from_secs(10), self.client.screenshot()).await;
        match png {
            Ok(Ok(png)) if write_atomically(&path, &png).is_ok() => {
                format!("\n  screenshot: {}", path.display())
            }
            _ => String::new(),
        }
    }

    /// Waits until the page's main heading reads `text`.
    pub async fn wait_for_heading(&self, text: &str) {
        self.wait_js(
            &format!("the heading {text:?}"),
            "var h = document.querySelector('main h1'); return !!h && h.textContent.trim() === arguments[0];",
            vec![json!(text)],
        )
        .await;
    }

    /// Waits until the address bar shows `path` (and, with hx-boost, the swapped page).
    pub async fn wait_for_path(&self, path: &str) {
        self.wait_js(
            &format!("the path {path:?}"),
            "return location.pathname === arguments[0];",
            vec![json!(path)],
        )
        .await;
    }

    /// Waits until an element matching `selector` exists, and returns its text.
    pub async fn wait_for_text_of(&self, selector: &str) -> String {
        let value = self
            .wait_js(
                &format!("an element {selector:?}"),
                "var e = document.querySelector(arguments[0]); return e ? e.textContent.trim() || ' ' : null;",
                vec![json!(selector)],
            )
            .await;
        value.as_str().unwrap_or_default().trim().to_owned()
    }

    /// Waits until the visible text of `<main>` contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        self.wait_js(
            &format!("the text {text:?}"),
            "var m = document.querySelector('main'); return !!m && m.innerText.includes(arguments[0]);",
            vec![json!(text)],
        )
        .await;
    }

    /// The visible text of `<main>`.
    pub async fn main_text(&self) -> String {
        self.js(
            "var m = document.querySelector('main'); return m ? m.innerText : '';",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Waits until `script` returns an element, and returns it.
    pub async fn wait_for_element(
        &self,
        what: &str,
        script: &str,
        args: Vec<Value>,
    ) -> fantoccini::elements::Element {
        let found = self.wait_js(what, script, args).await;
        let id = found
            .as_object()
            .and_then(|o| o.get(ELEMENT_KEY))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match id {
            Some(id) => {
                fantoccini::elements::Element::from_element_id(self.client.clone(), id.into())
            }
            None => self.fail(&format!("{what}: not an element: {found}")).await,
        }
    }

    /// Types `value` into the visible field whose `<label>` text starts with `label`, as a
    /// person finds a field: by its label.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self
            .wait_for_element(
                &format!("a field labelled {label:?}"),
                LABELLED,
                vec![json!(label)],
            )
            .await;
        bounded(COMMAND, "clearing a field", field.clear())
            .await
            .unwrap_or_else(|e| panic!("cannot clear {label:?}: {e}"));
        self.step(&format!("type into {label:?}"));
        bounded(COMMAND, "typing into a field", field.send_keys(value))
            .await
            .unwrap_or_else(|e| panic!("cannot type into {label:?}: {e}"));
    }

    /// Chooses the option labelled `option` in the select labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        let select = self
            .wait_for_element(
                &format!("a select labelled {label:?}"),
                LABELLED,
                vec![json!(label)],
            )
            .await;
        bounded(
            COMMAND,
            "choosing an option",
            select.select_by_label(option),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot choose {option:?} in {label:?}: {e}"));
    }

    /// Clicks the visible button reading `text` in `<main>`.
    pub async fn press(&self, text: &str) {
        self.press_in("main", text).await;
    }

    /// Clicks the visible button reading `text` inside the first element matching the CSS
    /// selector `scope`.
    pub async fn press_in(&self, scope: &str, text: &str) {
        let button = self
            .wait_for_element(
                &format!("a button {text:?} in {scope:?}"),
                r#"
                const root = document.querySelector(arguments[0]);
                if (!root) { return null; }
                return [...root.querySelectorAll('button')]
                    .find(b => b.textContent.trim() === arguments[1] && b.offsetParent !== null) || null;
                "#,
                vec![json!(scope), json!(text)],
            )
            .await;
        self.step(&format!("press {text:?}"));
        bounded(COMMAND, "clicking a button", button.click())
            .await
            .unwrap_or_else(|e| panic!("cannot click {text:?}: {e}"));
    }

    /// Follows the visible link reading `text` in `<main>`.
    pub async fn follow(&self, text: &str) {
        let link = self
            .wait_for_element(
                &format!("a link {text:?}"),
                r#"
                return [...document.querySelectorAll('main a')]
                    .find(a => a.textContent.trim() === arguments[0] && a.offsetParent !== null) || null;
                "#,
                vec![json!(text)],
            )
            .await;
        self.step(&format!("follow {text:?}"));
        bounded(COMMAND, "following a link", link.click())
            .await
            .unwrap_or_else(|e| panic!("cannot follow {text:?}: {e}"));
    }

    /// Presses and releases `key` on the keyboard, wherever the focus is.
    pub async fn key(&self, key: fantoccini::key::Key) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let press = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key.into() })
            .then(KeyAction::Up { value: key.into() });
        bounded(
            COMMAND,
            "pressing a key",
            self.client.perform_actions(press),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot press a key: {e}"));
    }

    /// The value and flags of one cookie, if the browser holds it.
    pub async fn cookie(&self, name: &str) -> Option<fantoccini::cookies::Cookie<'static>> {
        bounded(COMMAND, "reading cookies", self.client.get_all_cookies())
            .await
            .expect("read cookies")
            .into_iter()
            .find(|c| c.name() == name)
    }

    /// A PNG of the whole page (beyond the window), through the DevTools protocol; falls back
    /// to the visible part.
    pub async fn full_page_png(&self) -> Vec<u8> {
        if let Some(png) = self.devtools_full_page_png().await {
            return png;
        }
        bounded(COMMAND, "taking a screenshot", self.client.screenshot())
            .await
            .expect("screenshot")
    }

    async fn devtools_full_page_png(&self) -> Option<Vec<u8>> {
        let session = self.client.session_id().await.ok().flatten()?;
        let metrics = self
            .cdp(&session, "Page.getLayoutMetrics", json!({}))
            .await?;
        let size = &metrics["cssContentSize"];
        let width = size["width"].as_f64()?.ceil();
        let height = size["height"].as_f64()?.ceil();
        let shot = self
            .cdp(
                &session,
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                }),
            )
            .await?;
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str()?)
            .ok()
    }

    async fn cdp(&self, session: &str, command: &str, params: Value) -> Option<Value> {
        let reply = self
            .http
            .post(format!(
                "{}/session/{session}/goog/cdp/execute",
                self.driver_url
            ))
            .json(&json!({ "cmd": command, "params": params }))
            .send()
            .await
            .ok()?;
        if !reply.status().is_success() {
            return None;
        }
        let body: Value = reply.json().await.ok()?;
        Some(body["value"].clone())
    }
}

/// The workspace's root directory (where `test-artifacts/` and `docs/` are).
pub fn workspace_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .nth(2)
        .unwrap_or(crate_dir)
        .to_path_buf()
}

/// Writes `bytes` to `path` (making its directory) through a temporary file, so that two
/// tests writing the same file never leave half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4().simple()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::Array(_) | Value::Object(_) => true,
    }
}
