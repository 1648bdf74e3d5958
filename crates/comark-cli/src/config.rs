//! Settings: command-line flags, then `COMARK_*` environment variables, then a TOML file,
//! then defaults. Clap reads the first two (a flag wins over its variable); the file fills
//! what is still missing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use comark_server::forwarded::{parse_trusted_proxy, IpNet};
use serde::Deserialize;

/// Where and how comark stores data and talks to the world.
#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// A TOML file with any of the settings below (flags and variables win over it).
    #[arg(long, env = "COMARK_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// The directory of the embedded SQLite database [default: ./comark-data].
    #[arg(long, env = "COMARK_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL URL (postgres://user:pass@host/db) to use instead of SQLite.
    #[arg(
        long,
        env = "COMARK_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Log as `text` or `json` [default: text].
    #[arg(long, env = "COMARK_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
}

/// Settings for `comark serve`.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// The address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "COMARK_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The address people reach comark at, for links in e-mails [default: http://LISTEN].
    #[arg(long, env = "COMARK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// An SMTP server for e-mail (smtp://host:25, smtps://user:pass@host:465,
    /// smtp://host:587?tls=required). Without it, invitation links are shown to the inviter.
    #[arg(long, env = "COMARK_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of comark's e-mails [default: comark <comark@localhost>].
    #[arg(long, env = "COMARK_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Send cookies without `Secure` (only for plain HTTP on an address other than localhost).
    #[arg(long, env = "COMARK_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// A reverse proxy or load balancer in front of comark, as an address or a network
    /// (10.0.0.0/8); repeat for several. Only requests from these have their
    /// `Forwarded`/`X-Forwarded-For` headers believed, for the client address that sign-in
    /// throttling, rate limits, sessions and the audit log use. Without it, the client is
    /// the TCP peer: behind a proxy, everyone would share the proxy's address.
    #[arg(
        long = "trusted-proxy",
        env = "COMARK_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ',',
        value_parser = comark_server::forwarded::parse_trusted_proxy
    )]
    pub trusted_proxies: Vec<IpNet>,
    /// Load the demo ecosystem before serving.
    #[arg(long)]
    pub demo: bool,
    /// How many job workers to run in this process [default: 2].
    #[arg(long, env = "COMARK_WORKERS")]
    pub workers: Option<usize>,
}

/// What a config file may hold.
#[derive(Deserialize, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// See `--database-url`.
    pub database_url: Option<String>,
    /// See `--log-format`.
    pub log_format: Option<String>,
    /// See `--listen`.
    pub listen: Option<SocketAddr>,
    /// See `--public-url`.
    pub public_url: Option<String>,
    /// See `--smtp-url`.
    pub smtp_url: Option<String>,
    /// See `--mail-from`.
    pub mail_from: Option<String>,
    /// See `--insecure-cookies`.
    pub insecure_cookies: Option<bool>,
    /// See `--trusted-proxy`: a list of addresses or networks.
    pub trusted_proxies: Option<Vec<String>>,
    /// See `--workers`.
    pub workers: Option<usize>,
}

/// Reads a config file; a missing file named explicitly is an error.
pub fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    parse_file(&text).with_context(|| format!("in the config file {}", path.display()))
}

/// Parses a config file's text.
pub fn parse_file(text: &str) -> anyhow::Result<FileConfig> {
    Ok(toml::from_str(text)?)
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database URL.
    pub database_url: String,
    /// The data directory (SQLite file, backups).
    pub data_dir: PathBuf,
    /// `text` or `json`.
    pub log_format: String,
    /// Serve settings.
    pub listen: SocketAddr,
    /// Public URL.
    pub public_url: String,
    /// SMTP URL.
    pub smtp_url: Option<String>,
    /// Mail sender.
    pub mail_from: String,
    /// Insecure cookies.
    pub insecure_cookies: bool,
    /// The proxies whose forwarded headers name the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Job workers.
    pub workers: usize,
}

impl Config {
    /// Merges flags and variables with the file and defaults, and checks the result.
    pub fn resolve(args: &ConfigArgs, serve: &ServeArgs) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("comark-data"));
        let database_url = match args.database_url.clone().or(file.database_url) {
            Some(url) => url,
            None => comark_store::Store::sqlite_url_in(&data_dir),
        };
        let listen = serve
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let log_format = args
            .log_format
            .clone()
            .or(file.log_format)
            .unwrap_or_else(|| "text".into());
        if !matches!(log_format.as_str(), "text" | "json") {
            bail!("--log-format must be `text` or `json`, not `{log_format}`");
        }
        let public_url = serve
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("--public-url must start with http:// or https://");
        }
        let trusted_proxies = if serve.trusted_proxies.is_empty() {
            file.trusted_proxies
                .unwrap_or_default()
                .iter()
                .map(|text| {
                    parse_trusted_proxy(text).map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?
        } else {
            serve.trusted_proxies.clone()
        };
        let workers = serve.workers.or(file.workers).unwrap_or(2);
        if workers > 64 {
            bail!("--workers must be at most 64");
        }
        Ok(Config {
            database_url,
            data_dir,
            log_format,
            listen,
            public_url,
            smtp_url: serve.smtp_url.clone().or(file.smtp_url),
            mail_from: serve
                .mail_from
                .clone()
                .or(file.mail_from)
                .unwrap_or_else(|| "comark <comark@localhost>".into()),
            insecure_cookies: serve.insecure_cookies || file.insecure_cookies.unwrap_or(false),
            trusted_proxies,
            workers,
        })
    }

    /// Whether the store is the embedded SQLite file.
    pub fn uses_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = std::env::temp_dir().join(format!("comark-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("comark.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\nworkers = 4\npublic_url = \"https://comark.example.com\"\n").expect("write");
        let args = ConfigArgs {
            config: Some(path),
            ..Default::default()
        };
        let serve = ServeArgs {
            workers: Some(1),
            ..Default::default()
        };
        let config = Config::resolve(&args, &serve).expect("valid");
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.workers, 1);
        assert_eq!(config.public_url, "https://comark.example.com");
        assert!(config.database_url.ends_with("comark-data/comark.db"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_named() {
        let error = parse_file("listne = \"127.0.0.1:1\"").expect_err("unknown key");
        assert!(format!("{error:#}").contains("listne"), "{error:#}");
    }

    #[test]
    fn trusted_proxies_come_from_the_file_unless_flags_name_some() {
        let dir = std::env::temp_dir().join(format!("comark-proxies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("comark.toml");
        std::fs::write(&path, "trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.7\"]\n")
            .expect("write");
        let args = ConfigArgs {
            config: Some(path.clone()),
            ..Default::default()
        };
        let from_file = Config::resolve(&args, &ServeArgs::default()).expect("valid");
        let names: Vec<String> = from_file
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["10.0.0.0/8", "192.0.2.7/32"]);
        let serve = ServeArgs {
            trusted_proxies: vec![parse_trusted_proxy("fd00::/8").expect("a network")],
            ..Default::default()
        };
        let from_flag = Config::resolve(&args, &serve).expect("valid");
        assert_eq!(from_flag.trusted_proxies.len(), 1);
        std::fs::write(&path, "trusted_proxies = [\"my-proxy\"]\n").expect("write");
        let error = Config::resolve(&args, &ServeArgs::default()).expect_err("not a network");
        assert!(format!("{error:#}").contains("my-proxy"), "{error:#}");
    }

    #[test]
    fn trusted_proxies_are_read_from_repeated_flags_or_a_comma_separated_list() {
        use clap::Parser;
        #[derive(Parser)]
        struct Serve {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let parsed = Serve::try_parse_from([
            "serve",
            "--trusted-proxy",
            "10.0.0.1",
            "--trusted-proxy",
            "10.1.0.0/16,::1",
        ])
        .expect("valid flags");
        assert_eq!(parsed.serve.trusted_proxies.len(), 3);
        assert!(Serve::try_parse_from(["serve", "--trusted-proxy", "nope"]).is_err());
    }

    #[test]
    fn a_bad_log_format_is_refused() {
        let args = ConfigArgs {
            log_format: Some("xml".into()),
            ..Default::default()
        };
        assert!(Config::resolve(&args, &ServeArgs::default()).is_err());
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics(text in "\\PC{0,400}") {
            let _ = parse_file(&text);
        }

        #[test]
        fn valid_files_round_trip(port in 1u16.., workers in 0usize..64) {
            let text = format!("listen = \"127.0.0.1:{port}\"\nworkers = {workers}\n");
            let parsed = parse_file(&text).expect("valid");
            prop_assert_eq!(parsed.listen.map(|l| l.port()), Some(port));
            prop_assert_eq!(parsed.workers, Some(workers));
        }
    }
}
