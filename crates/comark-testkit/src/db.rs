//! A fresh database per test: a temporary SQLite file, or a PostgreSQL database copied from a
//! migrated template (made once, under an advisory lock, and named after the migrations so a
//! new migration makes a new template).

use std::path::PathBuf;

use sqlx::{Connection, Executor, PgConnection};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A database on the PostgreSQL server at `COMARK_TEST_DATABASE_URL`.
    Postgres,
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// The PostgreSQL server tests use: required, never skipped.
pub fn admin_url() -> String {
    std::env::var("COMARK_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, name: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_path(&format!("/{name}"));
            parsed.to_string()
        }
        Err(_) => panic!(
            "COMARK_TEST_DATABASE_URL is not a URL: {}",
            comark_store::redact_url(url)
        ),
    }
}

fn template_name() -> String {
    format!("comark_template_{}", comark_store::schema_fingerprint())
}

impl TestDatabase {
    /// Creates a fresh, migrated database.
    pub async fn create(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("comark-test-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir).expect("create a temporary directory");
                TestDatabase {
                    url: comark_store::Store::sqlite_url_in(&dir),
                    cleanup: Cleanup::Directory(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = admin_url();
                let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for tests: cannot reach {}: {e}",
                        comark_store::redact_url(&admin_url)
                    )
                });
                let template = template_name();
                admin
                    .execute("SELECT pg_advisory_lock(73217)")
                    .await
                    .expect("advisory lock");
                let exists: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                        .bind(&template)
                        .fetch_optional(&mut admin)
                        .await
                        .expect("look for the template");
                if exists.is_none() {
                    admin
                        .execute(format!("CREATE DATABASE {template}").as_str())
                        .await
                        .expect("create the template");
                    let store = comark_store::Store::connect(&with_database(&admin_url, &template))
                        .await
                        .expect("connect to the template");
                    store.migrate().await.expect("migrate the template");
                    store.close().await;
                }
                let name = format!("comark_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
                    .await
                    .expect("copy the template");
                admin
                    .execute("SELECT pg_advisory_unlock(73217)")
                    .await
                    .expect("advisory unlock");
                let _ = admin.close().await;
                TestDatabase {
                    url: with_database(&admin_url, &name),
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs outside async code: a small runtime on its own thread does the work.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async {
                            if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                                let _ = admin
                                    .execute(
                                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                                            .as_str(),
                                    )
                                    .await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
