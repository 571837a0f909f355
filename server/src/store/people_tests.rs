//! "Your history" in the store (issue 18), on both engines: the timeline, the search and who may find what,
//! the index following the notes, merging two devices' histories.

use super::test_db::on_both_engines;
use super::*;
use std::collections::BTreeMap;
use tandem_core::session::{Answer, NoteSection, PhaseSpec, SessionSettings};

fn spec(id: &str, goal: &str, created_at: Millis) -> SessionSpec {
    SessionSpec {
        id: SessionId(id.into()),
        template_id: "grow".into(),
        template_name: "GROW coaching".into(),
        goal: goal.into(),
        roles: vec![],
        phases: vec![PhaseSpec {
            title: "Goal".into(),
            minutes: 5,
            prompt: String::new(),
            questions: vec![],
            notes: vec![NoteSection {
                id: "goal-statement".into(),
                title: "Goal statement".into(),
                hint: String::new(),
                private: false,
            }],
            form: None,
            lead_role: None,
        }],
        forms: vec![],
        settings: SessionSettings::default(),
        created_at,
        end_after_last_phase: false,
    }
}

async fn session(store: &Store, id: &str, goal: &str, created_at: Millis, people: &[(&str, Capability)]) {
    let record = SessionRecord {
        spec: spec(id, goal, created_at),
        participant_token: format!("{id}-p"),
        host_token: format!("{id}-h"),
        observer_token: format!("{id}-o"),
        ended_at: None,
        workshop_id: None,
    };
    let room = RoomState::new(&record.spec.phases);
    store.create_session(&record, &room).await.unwrap();
    for (i, (name, capability)) in people.iter().enumerate() {
        let p = ParticipantRecord {
            view: ParticipantView {
                id: ParticipantId(i as u32 + 1),
                name: name.to_string(),
                role: None,
                capability: *capability,
                online: false,
            },
            key: ParticipantKey(format!("{name}-key-{id}-0123456789")),
        };
        store.save_participant(&record.spec.id, &p, created_at).await.unwrap();
    }
}

fn commitment(id: &str, text: &str, done: bool) -> Commitment {
    Commitment {
        id: id.into(),
        text: text.into(),
        owner: None,
        due: None,
        done,
        at: 5,
    }
}

fn feedback(id: &str, from: u32, about: u32, text: &str) -> Feedback {
    Feedback {
        id: FeedbackId(id.into()),
        form: "sbi".into(),
        from: ParticipantId(from),
        about: ParticipantId(about),
        answers: BTreeMap::from([
            ("impact".to_string(), Answer::Text(text.into())),
            ("clarity".to_string(), Answer::Rating(4)),
        ]),
        shared_with_host: false,
        submitted_at: 9,
    }
}

fn sid(id: &str) -> SessionId {
    SessionId(id.into())
}

async fn found(store: &Store, person: &str, words: &str) -> Vec<(String, String)> {
    let mut hits: Vec<(String, String)> = store
        .search(person, words)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.session.0, h.kind))
        .collect();
    hits.sort();
    hits
}

on_both_engines! {
async fn a_person_finds_only_what_they_may_see(db: TestDb) {
    let store = db.open().await;
    let ana = person_hash(&ParticipantKey("ana-personal-key-0123456789".into()));
    let ben = person_hash(&ParticipantKey("ben-personal-key-0123456789".into()));
    assert_eq!(ana.len(), 64, "a hex SHA-256");
    // s1: Ana hosts Cleo. s2: Ana and Ben (and Dev). s3: Ben and Cleo.
    session(
        &store,
        "s1",
        "Practise listening",
        100,
        &[("Ana", Capability::Host), ("Cleo", Capability::Participant)],
    )
    .await;
    session(
        &store,
        "s2",
        "",
        200,
        &[
            ("Ana", Capability::Participant),
            ("Ben", Capability::Participant),
            ("Dev", Capability::Participant),
        ],
    )
    .await;
    session(
        &store,
        "s3",
        "Listening better",
        300,
        &[("Ben", Capability::Participant), ("Cleo", Capability::Participant)],
    )
    .await;
    store.link_person(&sid("s1"), ParticipantId(1), &ana, 1).await.unwrap();
    store.link_person(&sid("s2"), ParticipantId(1), &ana, 1).await.unwrap();
    store.link_person(&sid("s2"), ParticipantId(2), &ben, 1).await.unwrap();
    store.link_person(&sid("s3"), ParticipantId(1), &ben, 1).await.unwrap();
    // Twice is once.
    store.link_person(&sid("s3"), ParticipantId(1), &ben, 2).await.unwrap();

    let note = |t: &str| vec![("goal-statement".to_string(), t.to_string())];
    store
        .save_notes(
            &sid("s1"),
            b"\0\0",
            &[commitment("c1", "Ask open questions", false)],
            &note("We practised listening well"),
            10,
        )
        .await
        .unwrap();
    store
        .save_notes(&sid("s3"), b"\0\0", &[], &note("Listening to silence"), 10)
        .await
        .unwrap();
    store
        .save_notes(
            &sid("s2"),
            b"\0\0",
            &[
                commitment("c2", "Pair on the rollout", true),
                commitment("c3", "Write the runbook", false),
            ],
            &note("Knowledge gaps in deploys"),
            10,
        )
        .await
        .unwrap();
    // In s2: Ben about Ana (Ana may see it), Dev about Ben (Ana may not).
    store
        .save_feedback(&sid("s2"), &feedback("f1", 2, 1, "Your listening made space"))
        .await
        .unwrap();
    store
        .save_feedback(&sid("s2"), &feedback("f2", 3, 2, "Listening was patchy"))
        .await
        .unwrap();

    // The notes of both share "listening": each finds their own sessions' only, and feedback only their own.
    assert_eq!(
        found(&store, &ana, "listening").await,
        vec![
            ("s1".into(), "goal".into()),
            ("s1".into(), "note".into()),
            ("s2".into(), "feedback".into())
        ]
    );
    assert_eq!(
        found(&store, &ben, "listening").await,
        vec![
            ("s2".into(), "feedback".into()),
            ("s2".into(), "feedback".into()),
            ("s3".into(), "goal".into()),
            ("s3".into(), "note".into())
        ]
    );
    // Prefixes, commitments, and case and accents aside.
    assert_eq!(
        found(&store, &ana, "RUNB").await,
        vec![("s2".into(), "commitment".into())]
    );
    // FTS syntax typed into the box is plain words, never an error.
    assert_eq!(
        found(&store, &ana, "\"open (questions*").await,
        vec![("s1".into(), "commitment".into())]
    );
    let hits = store.search(&ana, "practised").await.unwrap();
    assert_eq!(hits[0].place, "Goal statement");
    assert_eq!(hits[0].token, "s1-h", "the link of the capability Ana used");
    assert!(hits[0].snippet.contains("\u{2}practised\u{3}"), "{}", hits[0].snippet);
    // A stranger finds nothing.
    assert!(found(
        &store,
        &person_hash(&ParticipantKey("nobody-key-0123456789".into())),
        "listening"
    )
    .await
    .is_empty());

    // The index follows the notes: a word written over is no longer found; a removed commitment neither.
    store
        .save_notes(&sid("s1"), b"\0\0", &[], &note("We practised summarising"), 20)
        .await
        .unwrap();
    assert_eq!(
        found(&store, &ana, "listening").await,
        vec![("s1".into(), "goal".into()), ("s2".into(), "feedback".into())]
    );
    assert!(found(&store, &ana, "questions").await.is_empty());
    // An edited feedback too.
    store
        .save_feedback(&sid("s2"), &feedback("f1", 2, 1, "Your summaries helped"))
        .await
        .unwrap();
    assert_eq!(
        found(&store, &ana, "listening").await,
        vec![("s1".into(), "goal".into())]
    );

    // The timeline: newest first, partners, commitments, the link of the capability used.
    let timeline = store.timeline(&ana).await.unwrap();
    assert_eq!(
        timeline.iter().map(|e| e.session.0.as_str()).collect::<Vec<_>>(),
        ["s2", "s1"]
    );
    assert_eq!(timeline[0].partners, ["Ben", "Dev"]);
    assert_eq!((timeline[0].commitments, timeline[0].done), (2, 1));
    assert_eq!(timeline[0].token, "s2-p");
    assert_eq!(timeline[1].partners, ["Cleo"]);
    assert_eq!(timeline[1].token, "s1-h");
    assert_eq!(timeline[1].goal, "Practise listening");

    // Another device's history merged into Ana's.
    let ana_phone = person_hash(&ParticipantKey("ana-phone-key-0123456789".into()));
    store
        .link_person(&sid("s3"), ParticipantId(2), &ana_phone, 1)
        .await
        .unwrap();
    store.merge_person(&ana_phone, &ana).await.unwrap();
    assert_eq!(store.timeline(&ana).await.unwrap().len(), 3);
    assert!(store.timeline(&ana_phone).await.unwrap().is_empty());

    // Deleting a session takes its texts out of the index, and the index stays consistent.
    store.delete_session(&sid("s3")).await.unwrap();
    assert!(found(&store, &ben, "silence").await.is_empty());
    if store.engine() == Engine::Sqlite {
        sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")
            .execute(&store.pool)
            .await
            .expect("the full-text index matches its rows");
    }
}
}

on_both_engines! {
async fn ticks_from_me_and_forget_me_change_exactly_what_they_say(db: TestDb) {
    let store = db.open().await;
    let ana = person_hash(&ParticipantKey("ana-personal-key-0123456789".into()));
    let ben = person_hash(&ParticipantKey("ben-personal-key-0123456789".into()));
    session(
        &store,
        "s1",
        "",
        100,
        &[
            ("Ana", Capability::Participant),
            ("Ben", Capability::Participant),
            ("Cy", Capability::Observer),
        ],
    )
    .await;
    session(&store, "s2", "", 200, &[("Ben", Capability::Participant)]).await;
    let cy = person_hash(&ParticipantKey("cy-personal-key-0123456789".into()));
    store.link_person(&sid("s1"), ParticipantId(3), &cy, 1).await.unwrap();
    store.link_person(&sid("s1"), ParticipantId(1), &ana, 1).await.unwrap();
    store.link_person(&sid("s1"), ParticipantId(2), &ben, 1).await.unwrap();
    store.link_person(&sid("s2"), ParticipantId(1), &ben, 1).await.unwrap();
    let note = vec![("goal-statement".to_string(), "Shared words".to_string())];
    store
        .save_notes(
            &sid("s1"),
            b"\0\0",
            &[commitment("c1", "Write it up", false)],
            &note,
            10,
        )
        .await
        .unwrap();
    store
        .save_notes(&sid("s2"), b"\0\0", &[commitment("c2", "Ben's own", false)], &[], 10)
        .await
        .unwrap();
    store
        .save_feedback(&sid("s1"), &feedback("f1", 1, 2, "Anagram praise"))
        .await
        .unwrap();
    store
        .save_feedback(&sid("s1"), &feedback("f2", 2, 1, "Ben to Ana"))
        .await
        .unwrap();
    store
        .save_private_note(&sid("s1"), ParticipantId(1), "draft", "Ana's draft", 10)
        .await
        .unwrap();
    for (from, to, text) in [(1, 2, "Ana thanks Ben"), (2, 1, "Ben thanks Ana")] {
        let (s1, from, to) = (sid("s1"), ParticipantId(from), ParticipantId(to));
        assert!(store.give_kudos(&s1, from, to, text, "Goal", 11).await.unwrap());
    }

    // A live session's commitments are ticked in its notes, not here; a session one was not in, never.
    let refused = store.tick_commitment(&ana, &sid("s1"), "c1", true, 20).await;
    assert!(matches!(refused, Err(TickError::NotYours)), "s1 has not ended");
    let outcome = Outcome {
        ended_at: 50,
        phases: vec![],
        attendance: vec![],
        notes: BTreeMap::new(),
        commitments: vec![commitment("c1", "Write it up", false)],
    };
    store.end_session(&sid("s1"), &outcome).await.unwrap();
    store
        .end_session(
            &sid("s2"),
            &Outcome {
                commitments: vec![],
                ..outcome.clone()
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        store.tick_commitment(&ana, &sid("s2"), "c2", true, 20).await,
        Err(TickError::NotYours)
    ));
    assert!(matches!(
        store.tick_commitment(&ana, &sid("s1"), "nope", true, 20).await,
        Err(TickError::NotYours)
    ));
    // An observer read along: the session is in their history, its commitments are not theirs to tick.
    assert!(matches!(
        store.tick_commitment(&cy, &sid("s1"), "c1", true, 20).await,
        Err(TickError::NotYours)
    ));
    let cys = store.person_sessions(&cy, false).await.unwrap();
    assert!(cys.len() == 1 && cys[0].observed);
    assert!(!store.person_sessions(&ana, false).await.unwrap()[0].observed);
    assert_eq!(
        found(&store, &ben, "anagram").await,
        vec![("s1".into(), "feedback".into())]
    );
    store.tick_commitment(&ana, &sid("s1"), "c1", true, 30).await.unwrap();
    // The same state everywhere: Ben's history, the outcome the summary shows, the timeline's count.
    let bens = store.person_sessions(&ben, false).await.unwrap();
    assert!(bens.iter().find(|s| s.spec.id.0 == "s1").unwrap().commitments[0].done);
    assert!(store.outcome(&sid("s1")).await.unwrap().unwrap().commitments[0].done);
    assert_eq!(store.timeline(&ana).await.unwrap()[0].done, 1);
    // A later notes write of the ended session's copy does not undo the tick.
    assert!(
        store.commitments(&sid("s1")).await.unwrap().iter().all(|c| !c.done),
        "the notes' copy is as it was"
    );

    // Ana's data: her feedback both ways, the notes.
    let anas = store.person_sessions(&ana, true).await.unwrap();
    assert_eq!(anas.len(), 1);
    assert_eq!(anas[0].feedback.len(), 2);
    assert_eq!(anas[0].notes, note);
    assert_eq!(anas[0].my_name(), "Ana");

    // Forget Ana: her name, the feedback she gave, her drafts and her history go; Ben's feedback to her, the notes
    // and the commitments stay.
    let done = store.forget_person(&ana).await.unwrap();
    assert_eq!(
        done,
        Forgotten {
            participants: 1,
            feedback: 1,
            kudos: 1,
            private_notes: 1
        }
    );
    let kudos: Vec<String> = store
        .kudos(&sid("s1"))
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.text)
        .collect();
    assert_eq!(kudos, ["Ben thanks Ana"], "the kudos she gave go; Ben's to her is his");
    let people = store.participants(&sid("s1")).await.unwrap();
    assert_eq!(
        people.iter().map(|p| p.view.name.as_str()).collect::<Vec<_>>(),
        [FORMER, "Ben", "Cy"]
    );
    let left: Vec<String> = store
        .feedback(&sid("s1"))
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id.0)
        .collect();
    assert_eq!(left, ["f2"]);
    assert!(store
        .private_notes(&sid("s1"), ParticipantId(1))
        .await
        .unwrap()
        .is_empty());
    assert!(store.timeline(&ana).await.unwrap().is_empty());
    assert!(!store.knows_person(&ana).await.unwrap());
    assert_eq!(found(&store, &ben, "shared").await, vec![("s1".into(), "note".into())]);
    assert!(
        found(&store, &ben, "anagram").await.is_empty(),
        "her feedback is out of the index too"
    );
    assert_eq!(store.commitments(&sid("s1")).await.unwrap().len(), 1);
}
}
