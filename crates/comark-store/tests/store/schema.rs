//! The schema: both migration folders describe the same database, and migrating is idempotent.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_and_postgresql_migrations_define_the_same_tables_and_columns() {
    let (sqlite, _sqlite_db) = fresh_store(Backend::Sqlite).await;
    let (postgres, _postgres_db) = fresh_store(Backend::Postgres).await;
    let sqlite_outline = sqlite.schema_outline().await.expect("SQLite outline");
    let postgres_outline = postgres.schema_outline().await.expect("PostgreSQL outline");
    assert!(
        sqlite_outline.iter().any(|(table, _)| table == "jobs"),
        "the outline should list the jobs table: {sqlite_outline:?}"
    );
    let tables = |outline: &[(String, Vec<String>)]| -> Vec<String> {
        outline.iter().map(|(table, _)| table.clone()).collect()
    };
    assert_eq!(
        tables(&sqlite_outline),
        tables(&postgres_outline),
        "the two migration folders create different tables"
    );
    for ((table, sqlite_columns), (_, postgres_columns)) in
        sqlite_outline.iter().zip(&postgres_outline)
    {
        assert_eq!(
            sqlite_columns, postgres_columns,
            "table `{table}` has different columns on SQLite and PostgreSQL"
        );
    }
    sqlite.close().await;
    postgres.close().await;
}

on_both_backends! {
    async fn migrating_twice_is_harmless(store, _db) {
        let before = store.schema_outline().await.expect("outline before");
        store.migrate().await.expect("the second migration succeeds");
        store.migrate().await.expect("and a third one too");
        assert_eq!(store.schema_outline().await.expect("outline after"), before);
        store.ping().await.expect("the database still answers");
        assert_eq!(store.count_organizations().await.expect("count"), 0);
    }

    async fn a_second_instance_migrating_the_same_database_is_harmless(store, db) {
        // Another instance starting against the same database migrates it again.
        let again = Store::connect(db.url()).await.expect("connect again");
        again.migrate().await.expect("migrate through a second handle");
        assert_eq!(
            again.schema_outline().await.expect("outline through the second handle"),
            store.schema_outline().await.expect("outline through the first handle")
        );
        again.close().await;
    }
}
