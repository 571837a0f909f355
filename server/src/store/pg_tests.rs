//! What only PostgreSQL has: its schema kept equal to SQLite's, and the copy of an installation into it. These run
//! when `TANDEM_TEST_PG` names a cluster (`make test` starts one); see `test_db.rs`.

use super::test_db::{fresh_postgres_database, TestDb};
use super::*;
use std::collections::BTreeMap;

/// Every table's columns: name → (column → nullable).
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

async fn sqlite_schema(store: &Store) -> Schema {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' \
         AND name NOT LIKE 'search_fts%' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let rows = sqlx::query(&format!(
            "SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"
        ))
        .fetch_all(&store.pool)
        .await
        .unwrap();
        let columns = rows
            .iter()
            .map(|r| {
                // SQLite lets a primary key's column hold NULL unless it says NOT NULL; Tandem never writes one.
                let not_null = r.get::<i64, _>("notnull") != 0 || r.get::<i64, _>("pk") != 0;
                (r.get::<String, _>("name"), !not_null)
            })
            .collect();
        schema.insert(table, columns);
    }
    schema
}

async fn postgres_schema(store: &Store) -> Schema {
    let rows = sqlx::query(
        "SELECT table_name::TEXT AS t, column_name::TEXT AS c, is_nullable::TEXT AS n FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%' ESCAPE '\\'",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for r in rows {
        schema
            .entry(r.get("t"))
            .or_default()
            .insert(r.get("c"), r.get::<String, _>("n") == "YES");
    }
    schema
}

/// The two migration folders describe the same tables and columns (and which may be empty), but for what each
/// engine does its own way: SQLite's row id of attendance is a column on PostgreSQL, and the search's words are a
/// column there instead of FTS5's tables.
#[tokio::test]
async fn both_engines_have_the_same_tables_and_columns() {
    let Some(pg) = TestDb::new(Engine::Postgres).await else {
        return;
    };
    let sqlite = TestDb::new(Engine::Sqlite).await.unwrap();
    let mut want = sqlite_schema(&sqlite.open().await).await;
    want.get_mut("attendance").unwrap().insert("id".into(), false);
    want.get_mut("search_texts").unwrap().insert("tsv".into(), true);
    let got = postgres_schema(&pg.open().await).await;
    assert_eq!(got, want);
}

/// The database of the build of 2026-12-06 (the schema-6 fixture, upgraded at open) moves into PostgreSQL with every
/// row, reads back there as it was written, and is not copied a second time over the first.
#[tokio::test]
async fn an_installation_moves_to_postgres_with_every_row() {
    let Ok(server) = std::env::var("TANDEM_TEST_PG") else {
        eprintln!("TANDEM_TEST_PG is not set: this test did not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tandem.db");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/testdata/schema-6.db");
    std::fs::copy(&fixture, &path).unwrap();
    let from = format!("sqlite://{}", path.display());
    let to = fresh_postgres_database(&server).await;
    let counts = copy_to_postgres(&from, &to).await.unwrap();
    assert_eq!(counts.len(), 20, "every table");
    for c in &counts {
        assert_eq!(c.from, c.to, "{}", c.table);
    }
    let rows = |table: &str| counts.iter().find(|c| c.table == table).unwrap().to;
    assert!(rows("sessions") > 0 && rows("participants") > 0 && rows("feedback") > 0 && rows("notes") > 0);
    let moved = Store::open(&to).await.unwrap();
    super::fixture::check(&moved, &super::fixture::contents()).await;
    // The search finds the copied goals (written again by PostgreSQL's trigger).
    let hits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_texts WHERE kind = 'goal'")
        .fetch_one(&moved.pool)
        .await
        .unwrap();
    assert_eq!(hits, rows("sessions"), "one goal per fixture session");
    // A second copy into the same database is refused, and changes nothing.
    let again = copy_to_postgres(&from, &to).await.unwrap_err();
    assert!(matches!(again, CopyError::NotEmpty(_)), "{again}");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&moved.pool)
        .await
        .unwrap();
    assert_eq!(sessions, rows("sessions"));
    // The copy goes one way only.
    assert!(matches!(copy_to_postgres(&to, &from).await, Err(CopyError::Engines)));
}
