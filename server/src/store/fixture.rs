//! A database written by an older build, kept as a file (`testdata/schema-6.db`), and what it must read back as
//! after the migrations of today's build: the proof that an upgrade loses nothing.
//!
//! `contents()` builds the rows deterministically: one session per template of that build (kept, as today's code
//! reads them, in `testdata/schema-6-templates.json`, so that editing a shipped template does not change what the
//! file must hold; every form and field kind is there), rooms with the clock in each state, participants, keys, attendance, feedback with text and rating
//! answers, a private note, notes with commitments, and an ended session with its outcome. `write` stored them with
//! the build of 2026-12-06 (schema 6, internally tagged JSON: `{"state":"running",…}`, `{"type":"text",…}`); run
//! `cargo test -p server write_schema_6_fixture -- --ignored` on such a build to write the file again.

use super::*;
use std::collections::BTreeMap;
use tandem_core::session::{Answer, PhaseTime, SessionSettings, TimerCommand};

/// Everything the fixture holds, as values.
pub struct Contents {
    pub sessions: Vec<SessionRecord>,
    pub rooms: Vec<(SessionId, RoomState)>,
    pub participants: Vec<(SessionId, ParticipantRecord)>,
    pub feedback: Vec<(SessionId, Feedback)>,
    pub private_notes: Vec<(SessionId, ParticipantId, PrivateNote)>,
    pub notes: Vec<(SessionId, Vec<u8>, Vec<Commitment>)>,
    pub outcomes: Vec<(SessionId, Outcome)>,
}

/// The fixture's rows (the same on every call).
pub fn contents() -> Contents {
    let templates: Vec<tandem_core::session::Template> =
        serde_json::from_str(include_str!("testdata/schema-6-templates.json")).expect("the fixture's templates");
    let sessions: Vec<SessionRecord> = templates
        .iter()
        .enumerate()
        .map(|(i, t)| SessionRecord {
            spec: SessionSpec {
                id: SessionId(format!("fixture{i}")),
                template_id: t.id.clone(),
                template_name: t.name.clone(),
                goal: format!("Goal of {}", t.name),
                roles: t.roles.clone(),
                phases: t.phases.clone(),
                forms: t.forms.clone(),
                settings: SessionSettings {
                    auto_advance: i % 2 == 1,
                    ..SessionSettings::default()
                },
                created_at: 1_700_000_000_000 + i as i64,
                end_after_last_phase: t.end_after_last_phase,
            },
            participant_token: format!("participant-token-{i}"),
            host_token: format!("host-token-{i}"),
            observer_token: format!("observer-token-{i}"),
            ended_at: None,
            workshop_id: None,
        })
        .collect();

    // Rooms: ready, running, paused, and a later phase with undo history; the rest as created.
    let mut rooms = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        let agenda = &s.spec.phases;
        let ready = RoomState::new(agenda);
        let at = 1_700_000_100_000;
        let room = match i {
            0 => ready,
            1 => ready.apply(agenda, TimerCommand::Start, at).unwrap().0,
            2 => {
                let running = ready.apply(agenda, TimerCommand::Start, at).unwrap().0;
                running.apply(agenda, TimerCommand::Pause, at + 61_000).unwrap().0
            }
            _ => {
                let running = ready.apply(agenda, TimerCommand::Start, at).unwrap().0;
                running
                    .apply(agenda, TimerCommand::Next { from: 0 }, at + 5_000)
                    .unwrap()
                    .0
            }
        };
        rooms.push((s.spec.id.clone(), room));
    }

    let mut participants = Vec::new();
    for s in &sessions {
        for (n, (name, capability)) in [("Ana", Capability::Host), ("Ben", Capability::Participant)]
            .iter()
            .enumerate()
        {
            let role = s.spec.roles.get(n).map(|r| r.id.clone());
            participants.push((
                s.spec.id.clone(),
                ParticipantRecord {
                    view: ParticipantView {
                        id: ParticipantId(n as u32 + 1),
                        name: (*name).into(),
                        role,
                        capability: *capability,
                        online: false,
                    },
                    key: ParticipantKey(format!("{name}-key-{}", s.spec.id.0).chars().cycle().take(22).collect()),
                },
            ));
        }
    }

    // Feedback on every form of every session, from Ben about Ana, answering every field.
    let mut feedback = Vec::new();
    for s in &sessions {
        for form in &s.spec.forms {
            let answers: BTreeMap<String, Answer> = form
                .fields
                .iter()
                .enumerate()
                .map(|(k, f)| {
                    let answer = match f.kind {
                        tandem_core::session::FieldKind::Rating => Answer::Rating(1 + k as i64 % 5),
                        tandem_core::session::FieldKind::Text { .. } => Answer::Text(format!("Answer to {}", f.id)),
                    };
                    (f.id.clone(), answer)
                })
                .collect();
            feedback.push((
                s.spec.id.clone(),
                Feedback {
                    id: FeedbackId(format!("feedback-{}-{}", s.spec.id.0, form.id)),
                    form: form.id.clone(),
                    from: ParticipantId(2),
                    about: ParticipantId(1),
                    answers,
                    shared_with_host: form.id.len() % 2 == 0,
                    submitted_at: 1_700_000_200_000,
                },
            ));
        }
    }

    let private_notes = vec![(
        sessions[1].spec.id.clone(),
        ParticipantId(2),
        PrivateNote {
            section: "draft".into(),
            text: "My own words, \"quoted\" and\nmultiline".into(),
        },
    )];

    let commitments = vec![
        Commitment {
            id: "c1".into(),
            text: "Ask for feedback weekly".into(),
            owner: Some(ParticipantId(1)),
            due: Some("2026-12-24".into()),
            done: false,
            at: 1_700_000_300_000,
        },
        Commitment {
            id: "c2".into(),
            text: "Read the SBI article".into(),
            owner: None,
            due: None,
            done: true,
            at: 1_700_000_300_001,
        },
    ];
    let notes = vec![(sessions[0].spec.id.clone(), vec![1, 2, 3, 0, 255], commitments.clone())];

    let ended = &sessions[0].spec;
    let outcome = Outcome {
        ended_at: 1_700_000_400_000,
        phases: ended
            .phases
            .iter()
            .map(|p| PhaseTime {
                title: p.title.clone(),
                planned_ms: p.minutes as i64 * 60_000,
                actual_ms: p.minutes as i64 * 55_000,
            })
            .collect(),
        attendance: vec![Attendance {
            participant: ParticipantId(1),
            joined_at: 1_700_000_000_500,
            left_at: 1_700_000_400_000,
        }],
        notes: BTreeMap::from([("goal".to_string(), "Lead the retro".to_string())]),
        commitments,
    };
    let outcomes = vec![(ended.id.clone(), outcome)];

    Contents {
        sessions,
        rooms,
        participants,
        feedback,
        private_notes,
        notes,
        outcomes,
    }
}

/// Stores `c` (with the build that wrote the file).
pub async fn write(store: &Store, c: &Contents) {
    for (s, (_, room)) in c.sessions.iter().zip(&c.rooms) {
        store.create_session(s, &RoomState::new(&s.spec.phases)).await.unwrap();
        store
            .save_room(&s.spec.id, RoomId::MAIN, room, 1_700_000_150_000)
            .await
            .unwrap();
    }
    for (session, p) in &c.participants {
        store.save_participant(session, p, 1_700_000_000_100).await.unwrap();
        let row = store
            .attendance_start(session, p.view.id, 1_700_000_000_500)
            .await
            .unwrap();
        store.attendance_end(row, 1_700_000_009_000).await.unwrap();
    }
    for (session, f) in &c.feedback {
        store.save_feedback(session, f).await.unwrap();
        if f.shared_with_host {
            assert!(store.share_feedback(session, &f.id, f.about, true).await.unwrap());
        }
    }
    for (session, who, n) in &c.private_notes {
        store
            .save_private_note(session, *who, &n.section, &n.text, 1_700_000_250_000)
            .await
            .unwrap();
    }
    for (session, state, commitments) in &c.notes {
        store
            .save_notes(session, state, commitments, &[], 1_700_000_350_000)
            .await
            .unwrap();
    }
    for (session, outcome) in &c.outcomes {
        assert!(store.end_session(session, outcome).await.unwrap());
    }
}

/// Reads every row of `c` back from `store` and compares.
pub async fn check(store: &Store, c: &Contents) {
    for s in &c.sessions {
        let mut expected = s.clone();
        expected.ended_at = c
            .outcomes
            .iter()
            .find(|(id, _)| *id == s.spec.id)
            .map(|(_, o)| o.ended_at);
        let stored = store.session(&s.spec.id.0).await.unwrap().expect("session kept");
        assert_eq!(stored.spec, expected.spec);
        assert_eq!(stored.ended_at, expected.ended_at);
        assert_eq!(
            (stored.participant_token, stored.host_token, stored.observer_token),
            (expected.participant_token, expected.host_token, expected.observer_token)
        );
    }
    for (session, room) in &c.rooms {
        assert_eq!(store.rooms(session).await.unwrap(), vec![(RoomId::MAIN, room.clone())]);
    }
    for s in &c.sessions {
        let want: Vec<_> = c
            .participants
            .iter()
            .filter(|(id, _)| *id == s.spec.id)
            .map(|(_, p)| p.clone())
            .collect();
        assert_eq!(store.participants(&s.spec.id).await.unwrap(), want);
        let want: Vec<_> = c
            .feedback
            .iter()
            .filter(|(id, _)| *id == s.spec.id)
            .map(|(_, f)| f.clone())
            .collect();
        let mut got = store.feedback(&s.spec.id).await.unwrap();
        got.sort_by(|a, b| a.id.0.cmp(&b.id.0));
        let mut want = want;
        want.sort_by(|a, b| a.id.0.cmp(&b.id.0));
        assert_eq!(got, want);
    }
    for (session, who, n) in &c.private_notes {
        assert_eq!(store.private_notes(session, *who).await.unwrap(), vec![n.clone()]);
    }
    for (session, state, commitments) in &c.notes {
        assert_eq!(store.notes(session).await.unwrap().as_deref(), Some(state.as_slice()));
        assert_eq!(&store.commitments(session).await.unwrap(), commitments);
    }
    for (session, outcome) in &c.outcomes {
        assert_eq!(store.outcome(session).await.unwrap().as_ref(), Some(outcome));
    }
}
