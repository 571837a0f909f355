//! Store tests: most on both engines (`test_db.rs`), those about SQLite itself on SQLite.

use super::test_db::on_both_engines;
use super::*;
use tandem_core::session::{PhaseSpec, SessionSettings, TimerCommand};
use tandem_core::workshop::{ClosingAnswer, ClosingSummary};

fn spec(id: &str) -> SessionSpec {
    SessionSpec {
        id: SessionId(id.into()),
        template_id: "grow".into(),
        template_name: "GROW".into(),
        goal: "Practise".into(),
        roles: vec![],
        phases: vec![PhaseSpec {
            title: "Goal".into(),
            minutes: 5,
            prompt: String::new(),
            questions: vec![],
            notes: vec![],
            form: None,
            lead_role: None,
        }],
        forms: vec![],
        settings: SessionSettings::default(),
        created_at: 1,
        end_after_last_phase: false,
    }
}

pub(super) fn record(id: &str) -> SessionRecord {
    SessionRecord {
        spec: spec(id),
        participant_token: format!("{id}-p"),
        host_token: format!("{id}-h"),
        observer_token: format!("{id}-o"),
        ended_at: None,
        workshop_id: None,
    }
}

on_both_engines! {
async fn sessions_rooms_and_participants_survive_a_reopen(db: TestDb) {
    let url = db.url.clone();
    let store = Store::open(&url).await.unwrap();
    let r = record("abc");
    let room = RoomState::new(&r.spec.phases);
    store.create_session(&r, &room).await.unwrap();
    let (running, _) = room.apply(&r.spec.phases, TimerCommand::Start, 1000).unwrap();
    store.save_room(&r.spec.id, RoomId::MAIN, &running, 1000).await.unwrap();
    let who = ParticipantRecord {
        view: ParticipantView {
            id: ParticipantId(1),
            name: "Ana".into(),
            role: Some("coach".into()),
            capability: Capability::Host,
            online: true,
        },
        key: ParticipantKey("k".repeat(22)),
    };
    store.save_participant(&r.spec.id, &who, 5).await.unwrap();
    let renamed = ParticipantRecord {
        view: ParticipantView {
            name: "Ana B".into(),
            ..who.view.clone()
        },
        ..who.clone()
    };
    store.save_participant(&r.spec.id, &renamed, 6).await.unwrap();
    store.close().await;

    let store = Store::open(&url).await.unwrap();
    let loaded = store.session("abc").await.unwrap().unwrap();
    assert_eq!(loaded.spec, r.spec);
    assert_eq!(loaded.capability_of("abc-h"), Some(Capability::Host));
    assert_eq!(loaded.capability_of("abc-o"), Some(Capability::Observer));
    assert_eq!(loaded.capability_of("abc-x"), None);
    assert_eq!(loaded.capability_of(""), None);
    assert_eq!(store.rooms(&r.spec.id).await.unwrap(), vec![(RoomId::MAIN, running)]);
    let people = store.participants(&r.spec.id).await.unwrap();
    assert_eq!(people.len(), 1, "same id: updated, not duplicated");
    assert_eq!(people[0].view.name, "Ana B");
    assert_eq!(people[0].view.capability, Capability::Host);
    assert!(!people[0].view.online, "presence is not stored");
    assert!(store.session("nope").await.unwrap().is_none());
}
}

#[tokio::test]
async fn the_database_runs_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = Store::open(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
}

#[test]
fn sqlite_paths_are_found_in_urls() {
    assert_eq!(
        sqlite_file_path("sqlite://data/tandem.db"),
        Some("data/tandem.db".into())
    );
    assert_eq!(
        sqlite_file_path("sqlite:///tmp/x.db?mode=rwc"),
        Some("/tmp/x.db".into())
    );
    assert_eq!(sqlite_file_path("sqlite::memory:"), None);
}

on_both_engines! {
async fn feedback_is_one_row_per_id_and_ending_is_once(db: TestDb) {
    use tandem_core::session::{Answer, Attendance, Feedback, FeedbackId, Outcome, PhaseTime};
    let url = db.url.clone();
    let store = Store::open(&url).await.unwrap();
    let r = record("s1");
    store.create_session(&r, &RoomState::new(&r.spec.phases)).await.unwrap();
    let mut f = Feedback {
        id: FeedbackId("fb-000000000000001".into()),
        form: "form".into(),
        from: ParticipantId(1),
        about: ParticipantId(2),
        answers: [("impact".to_string(), Answer::Text("clear".into()))]
            .into_iter()
            .collect(),
        shared_with_host: false,
        submitted_at: 10,
    };
    for _ in 0..3 {
        assert!(store.save_feedback(&r.spec.id, &f).await.unwrap().is_some());
    }
    f.answers.insert("impact".into(), Answer::Text("clearer".into()));
    store.save_feedback(&r.spec.id, &f).await.unwrap();
    let other_giver = Feedback {
        from: ParticipantId(3),
        ..f.clone()
    };
    assert!(
        store.save_feedback(&r.spec.id, &other_giver).await.unwrap().is_none(),
        "an id is bound to its giver"
    );
    assert!(
        !store
            .share_feedback(&r.spec.id, &f.id, ParticipantId(1), true)
            .await
            .unwrap(),
        "giver can't share"
    );
    assert!(store
        .share_feedback(&r.spec.id, &f.id, ParticipantId(2), true)
        .await
        .unwrap());
    store.close().await;

    let store = Store::open(&url).await.unwrap();
    let rows = store.feedback(&r.spec.id).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].answers["impact"], Answer::Text("clearer".into()));
    assert!(rows[0].shared_with_host);

    // Commitments are copied out of the notes document with each flush; the latest copy replaces the last.
    let first = tandem_core::notes::Commitment {
        id: "c1".into(),
        text: "Shadow a review".into(),
        owner: Some(ParticipantId(1)),
        due: Some("2026-12-04".into()),
        done: false,
        at: 10,
    };
    let second = tandem_core::notes::Commitment {
        id: "c2".into(),
        text: "Write the guide".into(),
        owner: None,
        due: None,
        done: true,
        at: 20,
    };
    store
        .save_notes(&r.spec.id, b"\0\0", &[second.clone(), first.clone()], &[], 30)
        .await
        .unwrap();
    assert_eq!(
        store.commitments(&r.spec.id).await.unwrap(),
        vec![first.clone(), second]
    );
    store
        .save_notes(&r.spec.id, b"\0\0", std::slice::from_ref(&first), &[], 40)
        .await
        .unwrap();
    assert_eq!(store.commitments(&r.spec.id).await.unwrap(), vec![first.clone()]);

    let outcome = Outcome {
        notes: [("goal".to_string(), "Lead reviews".to_string())].into_iter().collect(),
        commitments: vec![first],
        ended_at: 99,
        phases: vec![PhaseTime {
            title: "Goal".into(),
            planned_ms: 300_000,
            actual_ms: 280_000,
        }],
        attendance: vec![Attendance {
            participant: ParticipantId(1),
            joined_at: 1,
            left_at: 99,
        }],
    };
    assert!(store.end_session(&r.spec.id, &outcome).await.unwrap());
    assert!(!store.end_session(&r.spec.id, &outcome).await.unwrap(), "ends once");
    assert_eq!(store.outcome(&r.spec.id).await.unwrap(), Some(outcome));
    assert_eq!(store.session("s1").await.unwrap().unwrap().ended_at, Some(99));
}
}

on_both_engines! {
/// Writes `testdata/schema-6.db` (see `fixture`): run by hand on the build whose format the file should hold.
/// Notes writes asked for together share a transaction; one that fails (its session is gone: the foreign key) is
/// told so, and the others are stored anyway.
async fn notes_written_together_are_stored_and_one_failing_write_fails_alone(db: TestDb) {
    let store = db.open().await;
    let ids = ["s1", "s2", "s3"];
    for id in ids {
        let r = record(id);
        store.create_session(&r, &RoomState::new(&r.spec.phases)).await.unwrap();
    }
    let commitment = |id: &str| tandem_core::notes::Commitment {
        id: id.into(),
        text: format!("Commitment of {id}"),
        owner: None,
        due: None,
        done: false,
        at: 5,
    };
    let write = |id: &str| {
        store.save_notes_together(
            SessionId(id.into()),
            id.as_bytes().to_vec(),
            vec![commitment(id)],
            vec![],
            10,
        )
    };
    // Asked for at the same moment: one batch, the unknown session's write in the middle of it.
    let (a, gone, b, c) = tokio::join!(write("s1"), write("no-such-session"), write("s2"), write("s3"));
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "{a:?} {b:?} {c:?}");
    let error = gone.expect_err("a write for a session that does not exist fails");
    assert!(error.to_string().to_lowercase().contains("foreign key"), "{error}");
    for id in ids {
        let session = SessionId(id.into());
        assert_eq!(store.notes(&session).await.unwrap().as_deref(), Some(id.as_bytes()));
        assert_eq!(store.commitments(&session).await.unwrap(), vec![commitment(id)]);
    }
    assert_eq!(store.notes(&SessionId("no-such-session".into())).await.unwrap(), None);
}
}

#[tokio::test]
#[ignore = "writes the upgrade fixture; run by hand"]
async fn write_schema_6_fixture() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/testdata/schema-6.db");
    let _ = std::fs::remove_file(&path);
    let store = Store::open(&format!("sqlite://{}", path.display())).await.unwrap();
    let contents = super::fixture::contents();
    super::fixture::write(&store, &contents).await;
    super::fixture::check(&store, &contents).await;
    // One self-contained file: the log folded in, then no log.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&store.pool)
        .await
        .unwrap();
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&store.pool)
        .await
        .unwrap();
    sqlx::query("VACUUM").execute(&store.pool).await.unwrap();
    store.close().await;
}

/// A database written by the build of 2026-12-06 (schema 6) opens with today's migrations and reads back every row
/// as it was written: sessions of every template (forms and field kinds), rooms with the clock in each state,
/// participants, feedback, private notes, notes, commitments, an outcome.
#[tokio::test]
async fn a_schema_6_database_upgrades_and_reads_back_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tandem.db");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/testdata/schema-6.db");
    std::fs::copy(&fixture, &path).unwrap();
    let store = Store::open(&format!("sqlite://{}", path.display())).await.unwrap();
    super::fixture::check(&store, &super::fixture::contents()).await;
}

/// sqlx stores a SHA-384 of every migration it applied, comments included, and refuses to start when a file no longer
/// matches: a released migration is never edited (a comment too), a change is a new migration. These are the
/// released files' hashes.
#[test]
fn released_migrations_are_never_edited() {
    const RELEASED: [(i64, &str); 8] = [
        (
            1,
            "48c87f095154b08ce8eac7e61bad19b8fc97523a4f256a2f4d4655fe083873dd4816dfdf7ecf6f634b0a4d440e31c23f",
        ),
        (
            2,
            "283b980a00fb7496940af0d28cf8024e7f73304d18bdddfa15fbafbbf9c3bfec45eb897135a45b8e833a64caaeb82538",
        ),
        (
            3,
            "e5582e3b51ff7c9dc1e449197b4b8b36a79e339c21af649ad9b593e01d08eaa50ad60f35c1facab62cbae2372c46e036",
        ),
        (
            4,
            "3bd60e6773f933405703b30e582c3e9ac51d41f4478d2cd21480297547c634ffbd3db47803fc20b7296627bd754a6165",
        ),
        (
            5,
            "d9cda6291f5fb8eedcaeefbf133420731cf05094a6ce5e580a1143d6c0e96e813d6a84a07763bf1fcf66be2e89a0de04",
        ),
        (
            6,
            "03250b3e879690fd9f2b0e3e3b83158b41bcdd58360447e557ea869f773daf48e86177a4002b3d935f95cdacae839e3a",
        ),
        (
            7,
            "6a9f5a074f4c3be311723b512f0a1807fcde94282df728ee8199108328eb1a99d777d551651a5543ac910fdabb26c2b8",
        ),
        (
            8,
            "40bc0d61c31b7b55adc1522c7cf974a4942a6ddedd1500d8aa85b3f57cfa6d979d7df3edbca62ce409072828fd6b2adf",
        ),
    ];
    let migrator = sqlx::migrate!("./migrations");
    for (version, want) in RELEASED {
        let m = migrator
            .iter()
            .find(|m| m.version == version)
            .expect("released migration kept");
        let got: String = m.checksum.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, want, "migration {version} ({}) was edited", m.description);
    }
}

on_both_engines! {
/// Writers that read first (feedback checks who owns an id) used to start deferred transactions: one that read while
/// another wrote failed at once with SQLITE_BUSY (the busy timeout does not apply to that upgrade).
async fn concurrent_feedback_writers_wait_their_turn_instead_of_failing(db: TestDb) {
    use tandem_core::session::{Answer, Feedback, FeedbackId};
    let store = db.open().await;
    let r = record("s1");
    store.create_session(&r, &RoomState::new(&r.spec.phases)).await.unwrap();
    let writers = (0..64).map(|i| {
        let store = store.clone();
        let id = r.spec.id.clone();
        tokio::spawn(async move {
            let f = Feedback {
                id: FeedbackId(format!("fb-{i:015}")),
                form: "form".into(),
                from: ParticipantId(1),
                about: ParticipantId(2),
                answers: [("impact".to_string(), Answer::Text(format!("answer {i}")))]
                    .into_iter()
                    .collect(),
                shared_with_host: false,
                submitted_at: i,
            };
            store.save_feedback(&id, &f).await
        })
    });
    for writer in futures::future::join_all(writers).await {
        assert!(writer.unwrap().unwrap().is_some(), "every submission is stored");
    }
    assert_eq!(store.feedback(&r.spec.id).await.unwrap().len(), 64);
}
}

on_both_engines! {
/// After a crash, attendance left open ends when the relay was last known alive, not at the restart (which used to
/// count the whole outage as time present).
async fn attendance_left_open_by_a_crash_ends_at_the_last_heartbeat(db: TestDb) {
    let store = db.open().await;
    let r = record("s1");
    store.create_session(&r, &RoomState::new(&r.spec.phases)).await.unwrap();
    let id = &r.spec.id;
    let restart = 10_000_000;
    // Without any heartbeat (a database from before them): the restart time, as before.
    store.attendance_start(id, ParticipantId(1), 1_000).await.unwrap();
    store.close_open_attendance(restart).await.unwrap();
    assert_eq!(store.attendance(id, restart).await.unwrap()[0].left_at, restart);

    let hb = HEARTBEAT.as_millis() as i64;
    store.attendance_start(id, ParticipantId(1), 2_000_000).await.unwrap();
    store.heartbeat(3_000_000).await.unwrap();
    store.heartbeat(4_000_000).await.unwrap();
    // Joined after the last heartbeat, just before the crash: present from joining, no less.
    store
        .attendance_start(id, ParticipantId(2), 4_000_000 + hb + 5)
        .await
        .unwrap();
    store.close_open_attendance(restart).await.unwrap();
    let rows = store.attendance(id, restart).await.unwrap();
    assert_eq!(rows[1].left_at, 4_000_000 + hb, "the last heartbeat plus one interval");
    assert_eq!(rows[2].left_at, rows[2].joined_at, "never before the join");
}
}

/// A workshop row with nothing in it but its id (and tokens made of it): what the closing question's rows refer to.
async fn bare_workshop(store: &Store, id: &str) {
    sqlx::query(
        "INSERT INTO workshops (id, created_at, spec, state, participant_token, host_token, observer_token) \
         VALUES ($1, 0, '{}', '{}', $2 || '-p', $3 || '-h', $4 || '-o')",
    )
    .bind(id)
    .bind(id)
    .bind(id)
    .bind(id)
    .execute(&store.pool)
    .await
    .unwrap();
}

on_both_engines! {
/// The closing question (issue 17): one answer per person, nothing but a count below three answers, and nothing in
/// the answers' table that says whose an answer is.
async fn closing_answers_are_kept_apart_from_who_gave_them(db: TestDb) {
    let store = db.open().await;
    bare_workshop(&store, "w").await;
    let answer = |rating, next: &str| ClosingAnswer {
        rating,
        next: next.into(),
    };
    let give = |n: u32, rating: u8, next: &'static str| {
        let store = &store;
        async move {
            store
                .answer_closing("w", ParticipantId(n), &answer(rating, next))
                .await
                .unwrap()
        }
    };
    assert_eq!(give(1, 5, "Ask more").await, Answered::Stored);
    assert_eq!(give(1, 1, "again").await, Answered::Already, "a second answer");
    assert_eq!(give(2, 3, "").await, Answered::Stored);
    assert!(store.closing_answered("w", ParticipantId(1)).await.unwrap());
    assert!(!store.closing_answered("w", ParticipantId(3)).await.unwrap());
    assert_eq!(give(3, 4, "Pair again").await, Answered::Stored);
    // Open: a count and nothing else, whatever the count.
    assert_eq!(
        store.closing_summary("w").await.unwrap(),
        ClosingSummary::Open { answered: 3 }
    );
    store.close_closing("w", 10).await.unwrap();
    store.close_closing("w", 20).await.unwrap();
    assert!(store.closing_closed("w").await.unwrap());
    assert_eq!(give(4, 1, "late").await, Answered::Closed, "closed: no more answers");
    let ClosingSummary::Shown {
        answered,
        by_rating,
        next,
        ..
    } = store.closing_summary("w").await.unwrap()
    else {
        panic!("three answers are shown once closed");
    };
    assert_eq!((answered, by_rating), (3, [0, 0, 1, 1, 1]));
    assert_eq!(
        next,
        vec!["Ask more".to_string(), "Pair again".to_string()],
        "neither the second answer nor the late one was kept"
    );
    // Closed with fewer than three answers: still nothing but the count.
    bare_workshop(&store, "v").await;
    store
        .answer_closing("v", ParticipantId(1), &answer(2, "x"))
        .await
        .unwrap();
    store.close_closing("v", 10).await.unwrap();
    assert_eq!(
        store.closing_summary("v").await.unwrap(),
        ClosingSummary::TooFew { answered: 1 }
    );
    // The answers' table has no column that could name a person.
    let columns: Vec<String> = sqlx::query_scalar(match store.engine() {
        Engine::Sqlite => "SELECT name FROM pragma_table_info('closing_answers')",
        Engine::Postgres => {
            "SELECT column_name::TEXT FROM information_schema.columns WHERE table_name = 'closing_answers' \
             ORDER BY ordinal_position"
        }
    })
    .fetch_all(&store.pool)
    .await
    .unwrap();
    assert_eq!(columns, ["id", "workshop_id", "rating", "next"]);
    // Deleting the workshop deletes both.
    store.delete_workshop("w").await.unwrap();
    store.delete_workshop("v").await.unwrap();
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM closing_answers) + (SELECT COUNT(*) FROM closing_answered) \
         + (SELECT COUNT(*) FROM closing_closed)",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
}
}
