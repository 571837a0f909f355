//! What only PostgreSQL has: its schema kept equal to SQLite's, and the copy of an installation into it. These run
//! when `TANDEM_TEST_PG` names a cluster (`make test` starts one); see `test_db.rs`.

use super::test_db::{fresh_postgres_database, TestDb};
use super::*;
use std::collections::BTreeMap;
use tandem_core::session::{ParticipantKey, ParticipantView};

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
/// engine does its own way: SQLite's row id of attendance is a column on PostgreSQL, the search's words are a
/// column there instead of FTS5's tables, and only PostgreSQL has the leases of several relays.
#[tokio::test]
async fn both_engines_have_the_same_tables_and_columns() {
    let Some(pg) = TestDb::new(Engine::Postgres).await else {
        return;
    };
    let sqlite = TestDb::new(Engine::Sqlite).await.unwrap();
    let mut want = sqlite_schema(&sqlite.open().await).await;
    want.get_mut("attendance").unwrap().insert("id".into(), false);
    want.get_mut("search_texts").unwrap().insert("tsv".into(), true);
    let mut got = postgres_schema(&pg.open().await).await;
    // Leases exist where several relays share the database: on PostgreSQL only.
    assert!(got.remove("leases").is_some());
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

/// The lease of a session (issue 20): one owner at a time; another takes it only once it lapsed (or was let go),
/// with the next epoch; from then on every write of the former owner is refused (the room, a participant, the notes
/// through the batch, feedback) and leaves the new owner's state as it was. Renewal tells the owner who asks for it.
#[tokio::test]
async fn a_former_owner_can_write_nothing_after_a_takeover() {
    use tandem_core::session::TimerCommand;
    let Some(db) = TestDb::new(Engine::Postgres).await else {
        return;
    };
    let (a, b) = (db.open().await, db.open().await);
    let r = super::tests::record("s1");
    let room = RoomState::new(&r.spec.phases);
    a.create_session(&r, &room).await.unwrap();
    let id = &r.spec.id;
    let ttl = 3_000;
    let Taken::Mine(lease_a) = a.take_lease("s1", "relay-a", ttl, 1_000).await.unwrap() else {
        panic!("the first relay takes it")
    };
    assert_eq!(lease_a.epoch, 1);
    let a = a.fenced(lease_a.clone());
    let (started, _) = room.apply(&r.spec.phases, TimerCommand::Start, 1_000).unwrap();
    a.save_room(id, RoomId::MAIN, &started, 1_000).await.unwrap();
    // Held: B cannot take it before it lapses; it asks, and A's renewal hears it.
    match b.take_lease("s1", "relay-b", ttl, 2_000).await.unwrap() {
        Taken::Held { owner, expires_at } => assert_eq!((owner.as_str(), expires_at), ("relay-a", 4_000)),
        Taken::Mine(_) => panic!("held by A"),
    }
    b.want_lease("s1", 2_000).await.unwrap();
    assert_eq!(
        a.renew_leases("relay-a", ttl, 2_500).await.unwrap(),
        vec![("s1".to_string(), 1, true)]
    );
    // A is frozen past its lapse; B takes it over with the next epoch.
    let Taken::Mine(lease_b) = b.take_lease("s1", "relay-b", ttl, 6_000).await.unwrap() else {
        panic!("lapsed: B takes it")
    };
    assert_eq!(lease_b.epoch, 2);
    let b = b.fenced(lease_b);
    let (paused, _) = started.apply(&r.spec.phases, TimerCommand::Pause, 6_000).unwrap();
    b.save_room(id, RoomId::MAIN, &paused, 6_000).await.unwrap();
    // A wakes up: each of its writes is refused, and nothing of it lands.
    assert!(!lease_a.is_lost());
    let stale = RoomState::new(&r.spec.phases);
    assert!(matches!(
        a.save_room(id, RoomId::MAIN, &stale, 7_000).await,
        Err(StoreError::Fenced)
    ));
    assert!(lease_a.is_lost(), "the refusal marks A's lease lost");
    let someone = ParticipantRecord {
        view: ParticipantView {
            id: ParticipantId(9),
            name: "Stale".into(),
            role: None,
            capability: Capability::Participant,
            online: false,
        },
        key: ParticipantKey("s".repeat(22)),
    };
    assert!(matches!(
        a.save_participant(id, &someone, 7_000).await,
        Err(StoreError::Fenced)
    ));
    let notes = a
        .save_notes_together(id.clone(), b"stale".to_vec(), vec![], vec![], 7_000)
        .await;
    assert!(matches!(notes, Err(StoreError::Fenced)), "{notes:?}");
    assert!(matches!(
        a.attendance_start(id, ParticipantId(1), 7_000).await,
        Err(StoreError::Fenced)
    ));
    assert_eq!(b.rooms(id).await.unwrap(), vec![(RoomId::MAIN, paused)]);
    assert!(b.participants(id).await.unwrap().is_empty());
    assert_eq!(b.notes(id).await.unwrap(), None);
    // A's renewal no longer returns it; B's does. B lets go: anyone may take it at once.
    assert!(a.renew_leases("relay-a", ttl, 7_000).await.unwrap().is_empty());
    b.release_lease(b.lease().unwrap(), "relay-b").await.unwrap();
    let Taken::Mine(again) = a.take_lease("s1", "relay-a", ttl, 7_100).await.unwrap() else {
        panic!("let go: A takes it back without waiting")
    };
    assert_eq!(again.epoch, 3);
}
