//! The browser suite: the main journeys through the web UI in real headless Chromium, driven
//! over WebDriver (fantoccini + ChromeDriver), against the real server on a random port, on
//! SQLite and on PostgreSQL.
//!
//! Binaries: `COMARK_CHROMEDRIVER` and `COMARK_CHROMIUM` (default: Debian's
//! `/usr/bin/chromedriver` and `/usr/bin/chromium`). Chromium runs with no network beyond
//! loopback. Screenshots of the overview and the demo directory go to
//! `test-artifacts/screenshots/`; with `COMARK_UPDATE_SCREENSHOT=1` the directory's also
//! replaces `docs/screenshot.png`, the README's picture.

pub use comark_testkit::{Backend, TestApp, PASSWORD};
pub use harness::{Browser, Page};
pub use serde_json::json;

/// The most one journey may take, start to end (each step has its own, shorter limit).
pub const JOURNEY_LIMIT: std::time::Duration = std::time::Duration::from_secs(90);

/// Writes each journey once and runs it in a fresh browser against a fresh server on SQLite
/// and on PostgreSQL, like `comark_testkit::both_backends!`:
/// `browser_journeys! { async fn name(app, browser) { ... } }` makes `name::sqlite` and
/// `name::postgres`, where `app` is the [`TestApp`] and `browser` the [`Browser`] (open
/// sessions with `browser.session(&app.base_url)`). Attributes (`#[ignore = ".."]`) apply to
/// both tests.
macro_rules! browser_journeys {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident, $browser:ident) $body:block )*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: &$crate::TestApp, $browser: &$crate::Browser) $body

            async fn journey(backend: $crate::Backend) {
                let app = $crate::TestApp::spawn(backend).await;
                let browser = $crate::Browser::launch().await;
                $crate::harness::bounded(
                    $crate::JOURNEY_LIMIT,
                    concat!("the journey ", stringify!($name)),
                    run(&app, &browser),
                )
                .await;
                browser.shut_down().await;
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                journey($crate::Backend::Sqlite).await;
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                journey($crate::Backend::Postgres).await;
            }
        }
    )*};
}

mod accounts;
mod accuracy;
mod assessment;
mod engagement;
mod harness;
mod intake;
mod journeys;
mod maturity;
mod partnerships;
mod regressions;
mod steps;
