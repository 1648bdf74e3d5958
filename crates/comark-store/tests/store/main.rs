//! The store suite: the schema and the job queue, each test on SQLite and on PostgreSQL.

use comark_store::Store;
use comark_testkit::{Backend, TestDatabase};

/// Writes a store test once and runs it on both backends:
/// `on_both_backends! { async fn name(store, db) { ... } }` makes `name::sqlite` and
/// `name::postgres`, each with a fresh, migrated database (`db` keeps it alive and gives its URL).
macro_rules! on_both_backends {
    ($( $(#[$meta:meta])* async fn $name:ident($store:ident, $db:ident) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($store: comark_store::Store, $db: &comark_testkit::TestDatabase) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let database = comark_testkit::TestDatabase::create(comark_testkit::Backend::Sqlite).await;
                let store = $crate::migrated_store(&database).await;
                run(store.clone(), &database).await;
                store.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let database = comark_testkit::TestDatabase::create(comark_testkit::Backend::Postgres).await;
                let store = $crate::migrated_store(&database).await;
                run(store.clone(), &database).await;
                store.close().await;
            }
        }
    )*};
}

mod jobs;
mod mapping;
mod parity;
mod schema;

/// Connects to a test database and brings its schema up to date.
pub async fn migrated_store(database: &TestDatabase) -> Store {
    let store = Store::connect(database.url())
        .await
        .expect("connect to the test database");
    store.migrate().await.expect("migrate the test database");
    store
}

/// A fresh, migrated store of `backend`, with the database that must outlive it.
pub async fn fresh_store(backend: Backend) -> (Store, TestDatabase) {
    let database = TestDatabase::create(backend).await;
    let store = migrated_store(&database).await;
    (store, database)
}
