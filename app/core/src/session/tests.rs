//! Unit and property tests of the pure session core.

use super::clock::{format_remaining, ClockSync, Sample};
use super::*;
use proptest::prelude::*;

fn phase(title: &str, minutes: u32) -> PhaseSpec {
    PhaseSpec {
        title: title.into(),
        minutes,
        prompt: String::new(),
        questions: vec![],
        notes: vec![],
        form: None,
        lead_role: None,
    }
}

fn grow() -> Vec<PhaseSpec> {
    vec![
        phase("Goal", 5),
        phase("Reality", 10),
        phase("Options", 10),
        phase("Will", 5),
    ]
}

const T0: Millis = 1_700_000_000_000;

#[test]
fn new_room_waits_at_first_phase_with_its_full_time() {
    let room = RoomState::new(&grow());
    assert_eq!(room.phase, 0);
    assert_eq!(room.timer, Timer::Ready { remaining_ms: 300_000 });
    assert!(room.is_valid_for(&grow()));
}

#[test]
fn start_sets_deadline_and_remaining_follows_the_clock() {
    let agenda = grow();
    let (room, event) = RoomState::new(&agenda).apply(&agenda, TimerCommand::Start, T0).unwrap();
    assert_eq!(event, RoomEvent::Started);
    assert_eq!(room.timer, Timer::Running { deadline: T0 + 300_000 });
    assert_eq!(room.timer.remaining_ms(T0 + 100_000), 200_000);
    assert_eq!(
        room.timer.remaining_ms(T0 + 400_000),
        -100_000,
        "overtime is negative, not a new phase"
    );
}

#[test]
fn pause_holds_and_resume_restores_the_same_remaining_time() {
    let agenda = grow();
    let room = RoomState::new(&agenda);
    let (room, _) = room.apply(&agenda, TimerCommand::Start, T0).unwrap();
    let (room, _) = room.apply(&agenda, TimerCommand::Pause, T0 + 60_000).unwrap();
    assert_eq!(room.timer, Timer::Paused { remaining_ms: 240_000 });
    let (room, _) = room.apply(&agenda, TimerCommand::Resume, T0 + 600_000).unwrap();
    assert_eq!(
        room.timer,
        Timer::Running {
            deadline: T0 + 600_000 + 240_000
        }
    );
    assert_eq!(
        room.spent_at(T0 + 610_000)[0],
        70_000,
        "paused time does not count as spent"
    );
}

#[test]
fn add_time_works_in_every_clock_state() {
    let agenda = grow();
    let room = RoomState::new(&agenda);
    let one_min = TimerCommand::AddTime { seconds: 60 };
    let (ready, _) = room.apply(&agenda, one_min, T0).unwrap();
    assert_eq!(ready.timer.remaining_ms(T0), 360_000);
    let (running, _) = ready.apply(&agenda, TimerCommand::Start, T0).unwrap();
    let (running, _) = running
        .apply(&agenda, TimerCommand::AddTime { seconds: 300 }, T0 + 1)
        .unwrap();
    assert_eq!(running.timer, Timer::Running { deadline: T0 + 660_000 });
    assert_eq!(
        running.apply(&agenda, TimerCommand::AddTime { seconds: 0 }, T0),
        Err(CommandError::BadAmount)
    );
}

#[test]
fn next_keeps_a_running_clock_running_and_undo_puts_the_phase_back() {
    let agenda = grow();
    let (room, _) = RoomState::new(&agenda).apply(&agenda, TimerCommand::Start, T0).unwrap();
    let (room, event) = room
        .apply(&agenda, TimerCommand::Next { from: 0 }, T0 + 30_000)
        .unwrap();
    assert_eq!(
        event,
        RoomEvent::PhaseChanged {
            from: 0,
            to: 1,
            undo: false,
            auto: false
        }
    );
    assert_eq!(
        room.timer,
        Timer::Running {
            deadline: T0 + 30_000 + 600_000
        }
    );
    // A mis-click noticed 5 s later: undo returns to Goal with the 270 s it had left, still counting.
    let (room, event) = room.apply(&agenda, TimerCommand::Undo, T0 + 35_000).unwrap();
    assert_eq!(
        event,
        RoomEvent::PhaseChanged {
            from: 1,
            to: 0,
            undo: true,
            auto: false
        }
    );
    assert_eq!(room.phase, 0);
    assert_eq!(
        room.timer,
        Timer::Running {
            deadline: T0 + 35_000 + 270_000
        }
    );
    assert_eq!(
        room.apply(&agenda, TimerCommand::Undo, T0),
        Err(CommandError::NothingToUndo)
    );
}

#[test]
fn two_people_clicking_next_at_once_move_one_phase() {
    let agenda = grow();
    let room = RoomState::new(&agenda);
    let (room, _) = room.apply(&agenda, TimerCommand::Next { from: 0 }, T0).unwrap();
    assert_eq!(
        room.apply(&agenda, TimerCommand::Next { from: 0 }, T0),
        Err(CommandError::StalePhase)
    );
    assert_eq!(room.phase, 1);
}

#[test]
fn edges_of_the_agenda_are_refused() {
    let agenda = grow();
    let room = RoomState::new(&agenda);
    assert_eq!(
        room.apply(&agenda, TimerCommand::Previous { from: 0 }, T0),
        Err(CommandError::NoPreviousPhase)
    );
    let mut last = room.clone();
    for from in 0..3 {
        last = last.apply(&agenda, TimerCommand::Next { from }, T0).unwrap().0;
    }
    assert_eq!(
        last.apply(&agenda, TimerCommand::Next { from: 3 }, T0),
        Err(CommandError::NoNextPhase)
    );
    assert_eq!(
        room.apply(&agenda, TimerCommand::Pause, T0),
        Err(CommandError::NotRunning)
    );
    assert_eq!(
        room.apply(&agenda, TimerCommand::Resume, T0),
        Err(CommandError::NotPaused)
    );
}

#[test]
fn auto_advance_catches_up_across_several_deadlines() {
    let agenda = grow();
    let (mut room, _) = RoomState::new(&agenda).apply(&agenda, TimerCommand::Start, T0).unwrap();
    assert!(room.advance_due(&agenda, T0 + 299_999).is_none());
    // The relay was down for 16 minutes: Goal (5) and Reality (10) ended, Options started at T0 + 15 min.
    let now = T0 + 16 * 60_000;
    while let Some((next, _)) = room.advance_due(&agenda, now) {
        room = next;
    }
    assert_eq!(room.phase, 2);
    assert_eq!(
        room.timer,
        Timer::Running {
            deadline: T0 + 25 * 60_000
        }
    );
    assert_eq!(room.spent_at(now), vec![300_000, 600_000, 60_000, 0]);
}

#[test]
fn last_phase_runs_into_overtime_instead_of_advancing() {
    let agenda = vec![phase("Only", 1)];
    let (room, _) = RoomState::new(&agenda).apply(&agenda, TimerCommand::Start, T0).unwrap();
    assert!(room.advance_due(&agenda, T0 + 120_000).is_none());
    assert_eq!(room.next_deadline(&agenda), None);
    assert_eq!(format_remaining(room.timer.remaining_ms(T0 + 193_000)), "+2:13");
}

#[test]
fn remaining_time_formats_like_a_clock() {
    assert_eq!(format_remaining(300_000), "5:00");
    assert_eq!(format_remaining(299_001), "5:00");
    assert_eq!(format_remaining(9_000), "0:09");
    assert_eq!(format_remaining(0), "0:00");
    assert_eq!(format_remaining(-999), "+0:00");
    assert_eq!(format_remaining(-61_000), "+1:01");
}

#[test]
fn clock_sync_prefers_low_round_trip_samples() {
    let mut sync = ClockSync::default();
    assert_eq!(sync.offset(), None);
    // True offset +120 s. Two clean samples, one delayed on the way back (bad estimate).
    sync.add(Sample {
        sent: 1000.0,
        relay: 121_005.0,
        received: 1010.0,
    });
    sync.add(Sample {
        sent: 2000.0,
        relay: 122_004.0,
        received: 2008.0,
    });
    sync.add(Sample {
        sent: 3000.0,
        relay: 123_005.0,
        received: 3900.0,
    });
    let offset = sync.offset().unwrap();
    assert!((offset - 120_000.0).abs() < 10.0, "offset {offset}");
    assert_eq!(sync.best_rtt(), Some(8.0));
    sync.add(Sample {
        sent: 10.0,
        relay: 0.0,
        received: 5.0,
    });
    assert_eq!(sync.len(), 3, "a negative round trip is ignored");
}

#[test]
fn agenda_validation_names_the_phase() {
    assert_eq!(validate_agenda(&[]), Err(AgendaError::Empty));
    let mut agenda = grow();
    agenda[2].minutes = 0;
    let err = validate_agenda(&agenda).unwrap_err();
    assert_eq!(err.to_string(), "Phase 3: minutes must be between 1 and 240.");
    assert_eq!(total_minutes(&grow()), 30);
}

#[test]
fn names_are_trimmed_and_bounded() {
    assert_eq!(clean_name("  Ana   María "), Some("Ana María".into()));
    assert_eq!(clean_name("   "), None);
    assert_eq!(clean_name(&"x".repeat(41)), None);
}

fn command() -> impl Strategy<Value = TimerCommand> {
    prop_oneof![
        Just(TimerCommand::Start),
        Just(TimerCommand::Pause),
        Just(TimerCommand::Resume),
        (0u32..2000).prop_map(|seconds| TimerCommand::AddTime { seconds }),
        (0usize..6).prop_map(|from| TimerCommand::Next { from }),
        (0usize..6).prop_map(|from| TimerCommand::Previous { from }),
        (0usize..7, 0usize..6).prop_map(|(to, from)| TimerCommand::Goto { to, from }),
        Just(TimerCommand::Undo),
    ]
}

#[test]
fn goto_jumps_to_any_phase_with_the_same_guards_and_undo_as_next() {
    let agenda = grow();
    let (room, _) = RoomState::new(&agenda).apply(&agenda, TimerCommand::Start, T0).unwrap();
    let (jumped, event) = room
        .apply(&agenda, TimerCommand::Goto { to: 3, from: 0 }, T0 + 10_000)
        .unwrap();
    assert_eq!(
        event,
        RoomEvent::PhaseChanged {
            from: 0,
            to: 3,
            undo: false,
            auto: false
        }
    );
    assert_eq!(jumped.phase, 3);
    // A running clock keeps running with the new phase's full time.
    assert_eq!(
        jumped.timer,
        Timer::Running {
            deadline: T0 + 10_000 + 300_000
        }
    );
    assert_eq!(jumped.version, room.version + 1);
    // Someone else moved first, a phase that does not exist, the phase we are in: refused.
    assert_eq!(
        jumped.apply(&agenda, TimerCommand::Goto { to: 1, from: 0 }, T0),
        Err(CommandError::StalePhase)
    );
    assert_eq!(
        jumped.apply(&agenda, TimerCommand::Goto { to: 4, from: 3 }, T0),
        Err(CommandError::NoSuchPhase)
    );
    assert_eq!(
        jumped.apply(&agenda, TimerCommand::Goto { to: 3, from: 3 }, T0),
        Err(CommandError::SamePhase)
    );
    // Undo puts Goal back with the time it had (300 s - 10 s), still counting.
    let (back, event) = jumped.apply(&agenda, TimerCommand::Undo, T0 + 12_000).unwrap();
    assert_eq!(
        event,
        RoomEvent::PhaseChanged {
            from: 3,
            to: 0,
            undo: true,
            auto: false
        }
    );
    assert_eq!(back.phase, 0);
    assert_eq!(back.timer.remaining_ms(T0 + 12_000), 290_000);
}

#[test]
fn undo_is_offered_and_accepted_only_for_a_short_while_after_the_change() {
    let agenda = grow();
    let room = RoomState::new(&agenda);
    assert_eq!(room.undo_offer(T0), None, "nothing to undo yet");
    let changed = T0 + 1_000;
    let (room, _) = room.apply(&agenda, TimerCommand::Next { from: 0 }, changed).unwrap();
    assert_eq!(room.changed_at, Some(changed));
    assert_eq!(room.undo_offer(changed), Some(0));
    assert_eq!(room.undo_offer(changed + UNDO_WINDOW_MS - 1), Some(0));
    assert_eq!(room.undo_window_left(changed + 10_000), Some(UNDO_WINDOW_MS - 10_000));
    assert_eq!(
        room.undo_offer(changed + UNDO_WINDOW_MS),
        None,
        "gone once the window has passed"
    );
    // Past the window the relay refuses it too, and nothing changes.
    assert_eq!(
        room.apply(&agenda, TimerCommand::Undo, changed + UNDO_WINDOW_MS + 5_000),
        Err(CommandError::UndoExpired)
    );
    // Other commands do not reopen the window; the next phase change starts a new one.
    let (paused, _) = room
        .apply(&agenda, TimerCommand::AddTime { seconds: 60 }, changed + 40_000)
        .unwrap();
    assert_eq!(paused.undo_offer(changed + 40_000), None);
    let later = changed + 60_000;
    let (room, _) = paused.apply(&agenda, TimerCommand::Next { from: 1 }, later).unwrap();
    assert_eq!(room.undo_offer(later + 1), Some(1), "offers the phase just left");
    // Auto-advance starts the window at the deadline it advanced at.
    let (running, _) = RoomState::new(&agenda).apply(&agenda, TimerCommand::Start, T0).unwrap();
    let (auto, _) = running.advance_due(&agenda, T0 + 300_000 + 2_000).unwrap();
    assert_eq!(auto.changed_at, Some(T0 + 300_000));
    assert_eq!(auto.undo_offer(T0 + 300_000 + 2_000), Some(0));
}

#[test]
fn an_undo_is_not_offered_for_undo_so_a_double_click_moves_back_one_phase() {
    let agenda = grow();
    let (room, _) = RoomState::new(&agenda)
        .apply(&agenda, TimerCommand::Next { from: 0 }, T0)
        .unwrap();
    let (room, _) = room.apply(&agenda, TimerCommand::Next { from: 1 }, T0 + 1_000).unwrap();
    let (room, _) = room.apply(&agenda, TimerCommand::Undo, T0 + 2_000).unwrap();
    assert_eq!(room.phase, 1);
    assert_eq!(
        room.undo_offer(T0 + 2_001),
        None,
        "the offer lasts until the next change, not past an undo"
    );
    assert_eq!(
        room.apply(&agenda, TimerCommand::Undo, T0 + 2_100),
        Err(CommandError::UndoExpired),
        "a second click is refused"
    );
    // The next change offers undo again, of that change.
    let (room, _) = room.apply(&agenda, TimerCommand::Next { from: 1 }, T0 + 3_000).unwrap();
    assert_eq!(room.undo_offer(T0 + 3_001), Some(1));
}

#[test]
fn a_state_stored_before_the_change_time_existed_offers_no_undo() {
    let agenda = grow();
    let (room, _) = RoomState::new(&agenda)
        .apply(&agenda, TimerCommand::Next { from: 0 }, T0)
        .unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&room).unwrap();
    json.as_object_mut().unwrap().remove("changed_at");
    let old: RoomState = serde_json::from_value(json).unwrap();
    assert_eq!(old.changed_at, None);
    assert_eq!(old.undo.len(), 1);
    assert_eq!(old.undo_offer(T0), None);
    assert_eq!(
        old.apply(&agenda, TimerCommand::Undo, T0),
        Err(CommandError::UndoExpired)
    );
}

fn agenda() -> impl Strategy<Value = Vec<PhaseSpec>> {
    prop::collection::vec(1u32..30, 1..6).prop_map(|mins| mins.into_iter().map(|m| phase("P", m)).collect())
}

proptest! {
    #[test]
    fn any_command_sequence_keeps_the_room_valid(
        agenda in agenda(),
        steps in prop::collection::vec((command(), 0i64..400_000, any::<bool>()), 0..60),
    ) {
        let mut room = RoomState::new(&agenda);
        let mut now = T0;
        let mut spent_total = 0i64;
        for (cmd, wait, tick) in steps {
            now += wait;
            if tick {
                while let Some((next, event)) = room.advance_due(&agenda, now) {
                    prop_assert!(next.version > room.version);
                    prop_assert!(matches!(event, RoomEvent::PhaseChanged { auto: true, .. }), "auto-advance reports a phase change");
                    room = next;
                }
            }
            let before = room.clone();
            match room.apply(&agenda, cmd, now) {
                Ok((next, event)) => {
                    prop_assert!(next.version > before.version, "version must strictly increase");
                    prop_assert!(next.is_valid_for(&agenda));
                    if let Timer::Running { deadline } = next.timer {
                        prop_assert_eq!(next.timer.remaining_ms(now), deadline - now);
                    }
                    match (cmd, event) {
                        (TimerCommand::Undo, RoomEvent::PhaseChanged { to, .. }) => {
                            let mark = *before.undo.last().unwrap();
                            prop_assert_eq!(to, mark.phase);
                            prop_assert_eq!(next.phase, mark.phase);
                            prop_assert_eq!(next.timer.remaining_ms(now), mark.remaining_ms);
                        }
                        (TimerCommand::Next { .. } | TimerCommand::Previous { .. } | TimerCommand::Goto { .. }, RoomEvent::PhaseChanged { from, to, .. }) => {
                            if let TimerCommand::Goto { to: wanted, .. } = cmd {
                                prop_assert_eq!(to, wanted);
                            }
                            prop_assert_eq!(next.changed_at, Some(now));
                            prop_assert_eq!(next.undo_offer(now), Some(before.phase));
                            prop_assert_eq!(from, before.phase);
                            prop_assert_eq!(next.phase, to);
                            prop_assert_eq!(next.timer.remaining_ms(now), planned_ms(&agenda, to));
                            // Undo right away restores the phase just left, with the time it had.
                            let (undone, _) = next.apply(&agenda, TimerCommand::Undo, now).unwrap();
                            prop_assert_eq!(undone.phase, before.phase);
                            prop_assert_eq!(undone.timer.remaining_ms(now), before.timer.remaining_ms(now));
                        }
                        (TimerCommand::AddTime { seconds }, _) => {
                            prop_assert_eq!(
                                next.timer.remaining_ms(now),
                                before.timer.remaining_ms(now) + i64::from(seconds) * 1000
                            );
                        }
                        _ => {}
                    }
                    room = next;
                }
                Err(_) => prop_assert_eq!(&room, &before, "a refused command changes nothing"),
            }
            prop_assert!(room.phase < agenda.len());
            let spent: i64 = room.spent_at(now).iter().sum();
            prop_assert!(spent >= spent_total, "spent time never goes backwards");
            spent_total = spent;
        }
    }
}

mod feedback_rules {
    use super::super::summary::format_utc;
    use super::super::*;
    use std::collections::BTreeMap;

    fn form() -> FormSpec {
        let text = |id: &str, required| FormField {
            id: id.into(),
            label: id.into(),
            help: String::new(),
            example: String::new(),
            required,
            kind: FieldKind::Text { max_chars: 10 },
        };
        FormSpec {
            id: "f".into(),
            title: "F".into(),
            givers: Vec::new(),
            about: Vec::new(),
            receiver_note: String::new(),
            fields: vec![
                text("situation", true),
                text("extra", false),
                FormField {
                    kind: FieldKind::Rating,
                    ..text("listening", true)
                },
            ],
        }
    }

    fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn valid_answers_pass_and_optional_fields_may_be_absent() {
        let ok = answers(&[
            ("situation", Answer::Text("standup".into())),
            ("listening", Answer::Rating(5)),
        ]);
        assert_eq!(validate_answers(&form(), &ok), Ok(()));
    }

    #[test]
    fn every_problem_is_reported_at_its_field() {
        let bad = answers(&[
            ("situation", Answer::Text("   ".into())),
            ("extra", Answer::Text("x".repeat(11))),
            ("listening", Answer::Rating(0)),
            ("unknown", Answer::Rating(3)),
        ]);
        let errors = validate_answers(&form(), &bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["unknown", "situation", "extra", "listening"]);
        assert_eq!(errors[2].message, "At most 10 characters (this has 11).");
        let wrong_kind = answers(&[
            ("situation", Answer::Rating(3)),
            ("listening", Answer::Text("5".into())),
        ]);
        assert_eq!(validate_answers(&form(), &wrong_kind).unwrap_err().len(), 2);
    }

    #[test]
    fn forms_follow_the_roles_they_name() {
        let grow = FormSpec {
            givers: vec!["coachee".into(), "observer".into()],
            about: vec!["coach".into()],
            ..form()
        };
        let role = |id: &str, name: &str| RoleSpec {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            shared: false,
        };
        let roles = [
            role("coach", "Coach"),
            role("coachee", "Coachee"),
            role("observer", "Observer"),
        ];
        assert_eq!(check_roles(&grow, &roles, Some("coachee"), Some("coach")), Ok(()));
        assert_eq!(check_roles(&grow, &roles, Some("observer"), Some("coach")), Ok(()));
        assert_eq!(
            check_roles(&grow, &roles, Some("coach"), Some("coachee")),
            Err("“F” is given by the Coachee or Observer, not by the Coach.".into())
        );
        assert_eq!(
            check_roles(&grow, &roles, Some("observer"), Some("coachee")),
            Err("“F” is feedback about the Coach, not about the Coachee.".into())
        );
        // No role does not slip past a form that names roles: the giver is asked to pick one first, and feedback
        // is not about someone who has none.
        assert!(!grow.may_give(None) && !grow.may_be_about(None));
        assert_eq!(
            check_roles(&grow, &roles, None, Some("coach")),
            Err("Pick your role first (Your role, in the session page), then send your feedback.".into())
        );
        assert_eq!(
            check_roles(&grow, &roles, Some("coachee"), None),
            Err("“F” is feedback about the Coach, and this person has not picked a role yet.".into())
        );
        // An empty list is everyone, with or without a role (a session without roles).
        assert_eq!(check_roles(&form(), &roles, Some("coach"), Some("coachee")), Ok(()));
        assert_eq!(check_roles(&form(), &[], None, None), Ok(()));
        assert!(form().may_give(None) && form().may_be_about(None));
        // Forms stored before the role lists existed read as open to everyone.
        let old: FormSpec = serde_json::from_str(r#"{"id":"f","title":"F","fields":[]}"#).unwrap();
        assert!(old.givers.is_empty() && old.about.is_empty() && old.receiver_note.is_empty());
    }

    #[test]
    fn the_markdown_export_lists_answers_in_the_form_order_and_roles_by_name() {
        use super::super::summary::Summary;
        let session = SessionSpec {
            id: SessionId("s".into()),
            template_id: "t".into(),
            template_name: "T".into(),
            goal: String::new(),
            roles: vec![RoleSpec {
                id: "coachee".into(),
                name: "Coachee".into(),
                description: String::new(),
                shared: false,
            }],
            phases: vec![super::phase("Goal", 5)],
            forms: vec![form()],
            settings: SessionSettings::default(),
            created_at: 0,
            end_after_last_phase: false,
        };
        let person = |id: u32, name: &str, role: Option<&str>, capability| ParticipantView {
            id: ParticipantId(id),
            name: name.into(),
            role: role.map(String::from),
            capability,
            online: false,
        };
        let summary = Summary {
            session,
            capability: Capability::Host,
            ended_at: Some(0),
            outcome: None,
            participants: vec![
                person(1, "Ana", None, Capability::Host),
                person(2, "Ben", Some("coachee"), Capability::Participant),
            ],
            viewer: Some(ParticipantId(1)),
            feedback: vec![Feedback {
                id: FeedbackId("fb".into()),
                form: "f".into(),
                from: ParticipantId(2),
                about: ParticipantId(1),
                // Alphabetically: extra, listening, old_field, situation. The form says situation, extra, listening.
                answers: answers(&[
                    ("listening", Answer::Rating(4)),
                    ("situation", Answer::Text("standup".into())),
                    ("extra", Answer::Text("more".into())),
                    ("old_field", Answer::Text("kept".into())),
                ]),
                shared_with_host: false,
                submitted_at: 0,
            }],
        };
        let md = summary.to_markdown();
        let at = |needle: &str| md.find(needle).unwrap_or_else(|| panic!("{needle} missing in {md}"));
        assert!(at("- **situation**: standup") < at("- **extra**: more"));
        assert!(at("- **extra**: more") < at("- **listening**: 4/5"));
        assert!(
            at("- **listening**: 4/5") < at("- **old_field**: kept"),
            "unknown fields come last"
        );
        // Attendance names the role as the template does, or what the link allowed, capitalised.
        // Time present in m:ss, as the summary page shows it.
        assert!(md.contains("- Ben (Coachee) — 0:00 present"), "{md}");
        assert!(md.contains("- Ana (Host) — 0:00 present"), "{md}");
        assert_eq!(summary.role_label(&summary.participants[1]), "Coachee");
        // The export keeps UTC.
        assert!(md.contains("ended 1970-01-01 00:00 UTC"), "{md}");
    }

    #[test]
    fn answers_travel_as_plain_json_values() {
        let json = r#"{"listening":4,"situation":"standup"}"#;
        let parsed: BTreeMap<String, Answer> = serde_json::from_str(json).unwrap();
        assert_eq!(parsed["listening"], Answer::Rating(4));
        assert_eq!(parsed["situation"], Answer::Text("standup".into()));
        // Written back the same way; negative ratings and escaped text are read as such (validation, not parsing,
        // refuses out-of-range ratings).
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
        let odd: BTreeMap<String, Answer> = serde_json::from_str(r#"{"a":-2,"b":"say \"hi\"\n"}"#).unwrap();
        assert_eq!(odd["a"], Answer::Rating(-2));
        assert_eq!(odd["b"], Answer::Text("say \"hi\"\n".into()));
        // Anything else is refused, as before (the message is new): fractions, numbers past i64, lists, objects,
        // null, booleans.
        for bad in ["1.5", "9223372036854775808", "[1]", r#"{"x":1}"#, "null", "true"] {
            let err = serde_json::from_str::<Answer>(bad).unwrap_err().to_string();
            assert!(err.contains("a rating (a whole number) or a text"), "{bad}: {err}");
        }
    }

    #[test]
    fn feedback_is_private_unless_shared_with_the_host() {
        let f = Feedback {
            id: FeedbackId("x".repeat(16)),
            form: "f".into(),
            from: ParticipantId(2),
            about: ParticipantId(3),
            answers: BTreeMap::new(),
            shared_with_host: false,
            submitted_at: 0,
        };
        assert!(may_see(&f, Some(ParticipantId(2)), Capability::Participant));
        assert!(may_see(&f, Some(ParticipantId(3)), Capability::Participant));
        assert!(!may_see(&f, Some(ParticipantId(1)), Capability::Host));
        assert!(!may_see(&f, None, Capability::Host));
        let shared = Feedback {
            shared_with_host: true,
            ..f
        };
        assert!(may_see(&shared, Some(ParticipantId(1)), Capability::Host));
        assert!(!may_see(&shared, Some(ParticipantId(4)), Capability::Participant));
    }

    #[test]
    fn utc_dates_are_civil() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1795947000000), "2026-11-29 10:10 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}

/// `Timer`, `RoomEvent` and `FieldKind` are read through plain structs (room.rs) instead of serde's internally tagged
/// reader: for any JSON object, both accept the same ones and read the same values.
mod tagged_readers {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(tag = "state", rename_all = "snake_case")]
    enum TimerRef {
        Ready { remaining_ms: i64 },
        Running { deadline: i64 },
        Paused { remaining_ms: i64 },
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum RoomEventRef {
        Started,
        Paused,
        Resumed,
        TimeAdded {
            seconds: u32,
        },
        PhaseChanged {
            from: usize,
            to: usize,
            undo: bool,
            auto: bool,
        },
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum FieldKindRef {
        Text { max_chars: u32 },
        Rating,
    }

    fn timer_ref(t: Timer) -> TimerRef {
        match t {
            Timer::Ready { remaining_ms } => TimerRef::Ready { remaining_ms },
            Timer::Running { deadline } => TimerRef::Running { deadline },
            Timer::Paused { remaining_ms } => TimerRef::Paused { remaining_ms },
        }
    }

    fn event_ref(e: RoomEvent) -> RoomEventRef {
        match e {
            RoomEvent::Started => RoomEventRef::Started,
            RoomEvent::Paused => RoomEventRef::Paused,
            RoomEvent::Resumed => RoomEventRef::Resumed,
            RoomEvent::TimeAdded { seconds } => RoomEventRef::TimeAdded { seconds },
            RoomEvent::PhaseChanged { from, to, undo, auto } => RoomEventRef::PhaseChanged { from, to, undo, auto },
        }
    }

    fn kind_ref(k: FieldKind) -> FieldKindRef {
        match k {
            FieldKind::Text { max_chars } => FieldKindRef::Text { max_chars },
            FieldKind::Rating => FieldKindRef::Rating,
        }
    }

    /// A JSON value of the kinds these objects hold, valid or not.
    fn value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::json;
        prop_oneof![
            prop::sample::select(vec![
                "ready",
                "running",
                "paused",
                "started",
                "resumed",
                "time_added",
                "phase_changed",
                "text",
                "rating",
                "Ready",
                "",
            ])
            .prop_map(|s| json!(s)),
            any::<i64>().prop_map(|n| json!(n)),
            (0u64..300).prop_map(|n| json!(n)),
            Just(json!(u64::MAX)),
            Just(json!(-1)),
            Just(json!(1.5)),
            any::<bool>().prop_map(|b| json!(b)),
            Just(json!(null)),
            Just(json!([1])),
            Just(json!({"state": "ready", "remaining_ms": 1})),
            Just(json!({"a": [1, {"b": null}]})),
        ]
    }

    /// An object with some of the keys these enums use (and one they do not), each once.
    fn object() -> impl Strategy<Value = String> {
        let keys = [
            "state",
            "kind",
            "type",
            "remaining_ms",
            "deadline",
            "seconds",
            "from",
            "to",
            "undo",
            "auto",
            "max_chars",
            "extra",
        ];
        prop::collection::btree_map(prop::sample::select(keys.to_vec()), value(), 0..6).prop_map(|fields| {
            serde_json::to_string(
                &fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<serde_json::Map<_, _>>(),
            )
            .unwrap()
        })
    }

    /// The same object with a few fields that make it valid, in a random order among the rest.
    fn likely_valid() -> impl Strategy<Value = String> {
        use serde_json::json;
        let valid = prop_oneof![
            Just(vec![("state", json!("ready")), ("remaining_ms", json!(60_000))]),
            Just(vec![
                ("deadline", json!(1_700_000_000_000_i64)),
                ("state", json!("running"))
            ]),
            Just(vec![
                ("kind", json!("phase_changed")),
                ("from", json!(1)),
                ("to", json!(2)),
                ("undo", json!(false)),
                ("auto", json!(true))
            ]),
            Just(vec![("seconds", json!(60)), ("kind", json!("time_added"))]),
            Just(vec![("type", json!("text")), ("max_chars", json!(500))]),
            Just(vec![("type", json!("rating"))]),
        ];
        (
            valid,
            // Distinct extra keys: a key repeated in one object is a documented difference from serde's reader.
            prop::collection::btree_map("[a-z_]{1,10}", value(), 0..3),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(valid, extra, at)| {
                let mut fields: Vec<(String, serde_json::Value)> = extra
                    .into_iter()
                    .filter(|(k, _)| !valid.iter().any(|(v, _)| v == k))
                    .collect();
                for (k, v) in valid {
                    let i = at.index(fields.len() + 1);
                    fields.insert(i, (k.to_string(), v));
                }
                let body: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}:{}", serde_json::json!(k), v))
                    .collect();
                format!("{{{}}}", body.join(","))
            })
    }

    fn agree(json: &str) -> Result<(), TestCaseError> {
        let ours = serde_json::from_str::<Timer>(json).ok().map(timer_ref);
        prop_assert_eq!(ours, serde_json::from_str::<TimerRef>(json).ok(), "Timer {}", json);
        let ours = serde_json::from_str::<RoomEvent>(json).ok().map(event_ref);
        prop_assert_eq!(
            ours,
            serde_json::from_str::<RoomEventRef>(json).ok(),
            "RoomEvent {}",
            json
        );
        let ours = serde_json::from_str::<FieldKind>(json).ok().map(kind_ref);
        prop_assert_eq!(
            ours,
            serde_json::from_str::<FieldKindRef>(json).ok(),
            "FieldKind {}",
            json
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn any_object_is_read_as_serde_would(json in object()) {
            agree(&json)?;
        }

        #[test]
        fn valid_objects_with_fields_in_any_order_are_read_as_serde_would(json in likely_valid()) {
            agree(&json)?;
            // These carry every field of one variant (other fields are unknown to it), so one of the three reads them.
            let read = serde_json::from_str::<Timer>(&json).is_ok()
                || serde_json::from_str::<RoomEvent>(&json).is_ok()
                || serde_json::from_str::<FieldKind>(&json).is_ok();
            prop_assert!(read, "nothing read {}", json);
        }
    }

    #[test]
    fn written_forms_are_unchanged_and_read_back() {
        fn written_as<T>(value: T, json: &str)
        where
            T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
        {
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
            assert_eq!(serde_json::from_str::<T>(json).unwrap(), value);
        }
        written_as(Timer::Running { deadline: 42 }, r#"{"state":"running","deadline":42}"#);
        written_as(
            RoomEvent::TimeAdded { seconds: 60 },
            r#"{"kind":"time_added","seconds":60}"#,
        );
        written_as(FieldKind::Text { max_chars: 500 }, r#"{"type":"text","max_chars":500}"#);
        // The tag need not come first.
        assert_eq!(
            serde_json::from_str::<Timer>(r#"{"deadline":42,"state":"running"}"#).unwrap(),
            Timer::Running { deadline: 42 }
        );
        let err = serde_json::from_str::<Timer>(r#"{"state":"paused"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `remaining_ms`"), "{err}");
        // A wrong value names its field, in JSON and in a template's TOML.
        let err = serde_json::from_str::<Timer>(r#"{"state":"paused","remaining_ms":"5"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`remaining_ms`"), "{err}");
        let err =
            serde_json::from_str::<RoomEvent>(r#"{"kind":"phase_changed","from":1,"to":2,"undo":0,"auto":false}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("`undo`"), "{err}");
        #[derive(serde::Deserialize)]
        struct Field {
            kind: FieldKind,
        }
        let toml_kind = |text: &str| toml::from_str::<Field>(text).map(|f| f.kind).map_err(|e| e.to_string());
        assert_eq!(
            toml_kind("kind = { type = \"text\", max_chars = 0x1F4 }"),
            Ok(FieldKind::Text { max_chars: 500 })
        );
        assert_eq!(
            toml_kind("[kind]\ntype = \"rating\"\nmax_chars = \"ignored\""),
            Ok(FieldKind::Rating)
        );
        let err = toml_kind("kind = { type = \"text\", max_chars = -1 }").unwrap_err();
        assert!(err.contains("`max_chars`"), "{err}");
    }

    /// The two documented differences from serde's reader, for JSON that nothing writes (room.rs): kept on purpose.
    #[test]
    fn repeated_keys_and_the_array_form_differ_from_serde_on_purpose() {
        let repeated = r#"{"kind":"started","seconds":1,"seconds":2}"#;
        assert!(serde_json::from_str::<RoomEventRef>(repeated).is_ok());
        assert!(serde_json::from_str::<RoomEvent>(repeated).is_err());
        let array = r#"["running",0,123]"#;
        assert_eq!(
            serde_json::from_str::<Timer>(array).unwrap(),
            Timer::Running { deadline: 123 }
        );
        assert!(serde_json::from_str::<TimerRef>(array).is_err());
    }
}
