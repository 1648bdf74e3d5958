//! What a recompute reads back of every account, packed in one column: new rows with all
//! their keys, and rows imported before accounts kept every key.

use comark_domain::connection::ConnectionTransition;
use comark_store::Actor;
use sqlx::Connection;

use super::*;

/// One account row written straight into the table, as an older comark or an import left it:
/// (crm id, name, domains, name key, country, key kind, match key, population).
type Row = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

const INSERT: &str = "INSERT INTO accounts (org_id, id, crm_id, name, domains, name_key, country,
    key_kind, match_key, population, fields, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '{}', $11)";

async fn insert(db: &TestDatabase, org: uuid::Uuid, rows: &[Row]) {
    macro_rules! write_rows {
        ($conn:expr) => {
            for (n, (crm, name, domains, name_key, country, kind, key, population)) in
                rows.iter().enumerate()
            {
                sqlx::query(INSERT)
                    .bind(org)
                    .bind(uuid::Uuid::from_u128(org.as_u128() ^ (n as u128 + 1)))
                    .bind(crm)
                    .bind(name)
                    .bind(domains)
                    .bind(name_key)
                    .bind(country)
                    .bind(kind)
                    .bind(key)
                    .bind(population)
                    .bind(comark_store::now())
                    .execute(&mut $conn)
                    .await
                    .expect("an account row");
            }
        };
    }
    if db.url().starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(db.url())
            .await
            .expect("open SQLite");
        write_rows!(conn);
        let _ = conn.close().await;
    } else {
        let mut conn = sqlx::PgConnection::connect(db.url())
            .await
            .expect("connect");
        write_rows!(conn);
        let _ = conn.close().await;
    }
}

on_both_backends! {
    async fn every_key_of_new_and_old_account_rows_is_read_back_for_matching(store, db) {
        let actor = Actor::system();
        let user = store.create_user("owner@acme.example", "Owner", "not a hash").await.expect("user");
        let acme = store.create_organization("Acme", "acme", user.id, &actor).await.expect("acme");
        let globex = store.create_organization("Globex", "globex", user.id, &actor).await.expect("globex");
        let acme_scope = store.admin_scope("acme").await.expect("read").expect("acme");
        let globex_scope = store.admin_scope("globex").await.expect("read").expect("globex");
        let asked = store.org(&acme_scope).request_connection(&globex, None, &actor).await.expect("ask");
        store
            .org(&globex_scope)
            .transition_connection(asked.id, ConnectionTransition::Accept, &actor)
            .await
            .expect("accept");
        let old_and_new: [Row; 4] = [
            // Before every key was kept: one domain key, or one name key, and no domains.
            ("1", "Initrode GmbH", None, None, None, Some("domain"), Some("initrode.de"), "customer"),
            ("2", "Hooli", None, None, Some("US"), Some("name"), Some("hooli"), "prospect"),
            // Now: every domain, the folded name, the country.
            ("3", "Massive Dynamic", Some("massive.com massive.de"), Some("massive dynamic"), Some("DE"), Some("domain"), Some("massive.com"), "opportunity"),
            ("4", "No Website Ltd", Some(""), Some("no website"), None, Some("name"), Some("no website"), "unclassified"),
        ];
        insert(db, acme.id.0, &old_and_new).await;
        insert(db, globex.id.0, &old_and_new[2..]).await;

        let sides = store.mapping_sides(asked.id).await.expect("read").expect("accepted");
        let (ours, theirs) = if sides.low.len() == 4 { (&sides.low, &sides.high) } else { (&sides.high, &sides.low) };
        assert_eq!((ours.len(), theirs.len()), (4, 2));
        let mut ours = ours.clone();
        ours.sort_by_key(|a| a.population.clone());
        let read: Vec<_> = ours
            .iter()
            .map(|a| (
                a.population.as_str(),
                a.domains.as_deref(),
                a.name_key.as_deref(),
                a.name.as_deref(),
                a.country.as_deref(),
                a.key_kind.as_deref(),
                a.match_key.as_deref(),
            ))
            .collect();
        assert_eq!(
            read,
            [
                ("customer", None, None, Some("Initrode GmbH"), None, Some("domain"), Some("initrode.de")),
                ("opportunity", Some("massive.com massive.de"), Some("massive dynamic"), None, Some("DE"), None, None),
                ("prospect", None, None, Some("Hooli"), Some("US"), Some("name"), Some("hooli")),
                ("unclassified", Some(""), Some("no website"), None, None, None, None),
            ]
        );
    }
}

/// PostgreSQL's estimate of the accounts table's rows, as the planner reads it.
async fn planned_accounts(db: &TestDatabase) -> f32 {
    let mut conn = sqlx::PgConnection::connect(db.url())
        .await
        .expect("connect");
    let rows: f32 = sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'accounts'")
        .fetch_one(&mut conn)
        .await
        .expect("pg_class");
    let _ = conn.close().await;
    rows
}

/// A replacement that empties a large book refreshes the planner's statistics as a large
/// import does: on the old size, the next mapping page would be planned as a sort of every
/// account instead of a walk of the name index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_that_drops_most_of_a_large_book_refreshes_the_statistics() {
    use comark_store::accounts::{ImportMode, ImportTally, NewAccount, NewImport};
    let db = TestDatabase::create(Backend::Postgres).await;
    let store = migrated_store(&db).await;
    let actor = Actor::system();
    let user = store
        .create_user("owner@acme.example", "Owner", "not a hash")
        .await
        .expect("user");
    store
        .create_organization("Acme", "acme", user.id, &actor)
        .await
        .expect("acme");
    let scope = store
        .admin_scope("acme")
        .await
        .expect("read")
        .expect("acme");
    let org = store.org(&scope);
    let account = |n: usize| NewAccount {
        crm_id: format!("crm-{n}"),
        name: format!("Company {n}"),
        website: None,
        domains: vec![format!("company{n}.example")],
        name_key: Some(format!("company {n}")),
        country: None,
        population: comark_domain::accounts::BasePopulation::Customer,
        fields: Default::default(),
    };
    for (mode, rows) in [(ImportMode::Update, 12_000), (ImportMode::Replace, 5)] {
        let new = NewImport {
            file_name: "accounts.csv".into(),
            idempotency_key: None,
        };
        let import = org.create_import(&new, &actor).await.expect("import");
        let mut writer = org.account_writer(import.id).await.expect("writer");
        for n in 0..rows {
            writer.push(account(n)).await.expect("push");
        }
        let book = writer
            .finish(mode, &ImportTally::default(), rows as i64, &actor)
            .await
            .expect("finish");
        assert_eq!(book.accounts, rows as i64);
        let planned = planned_accounts(&db).await;
        let rows = rows as f32;
        assert!(
            (planned - rows).abs() <= rows * 0.1 + 1.0,
            "after a {mode:?} import of {rows} rows the planner expects {planned}"
        );
    }
    store.close().await;
}
