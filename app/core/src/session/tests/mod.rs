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
fn agenda_validation_bounds_questions_and_note_sections() {
    let problem = |change: &dyn Fn(&mut Vec<PhaseSpec>)| {
        let mut agenda = grow();
        change(&mut agenda);
        validate_agenda(&agenda).map_err(|e| e.to_string())
    };
    assert_eq!(problem(&|_| {}), Ok(()));
    assert_eq!(
        problem(&|a| a[0].questions.push("x".repeat(301))),
        Err("Phase 1: a guiding question is too long (300 characters at most).".into())
    );
    let section = |id: &str| NoteSection {
        id: id.into(),
        title: "T".into(),
        hint: String::new(),
        private: false,
    };
    // The commitments map's name, a repeated id, an id the document could not hold as a plain name.
    for id in ["commitments", "Goal Statement", "", "é"] {
        let bad = problem(&|a| a[1].notes.push(section(id)));
        assert!(bad.unwrap_err().starts_with("Phase 2: a note section's id"), "{id:?}");
    }
    assert_eq!(
        problem(&|a| {
            a[0].notes.push(section("plan"));
            a[0].notes.push(section("plan"));
        }),
        Err("Phase 1: two note sections have the same id.".into())
    );
    // Shown again in a later phase: the same text, so the same kind (shared here, private there is refused).
    assert_eq!(
        problem(&|a| {
            a[0].notes.push(section("plan"));
            a[3].notes.push(section("plan"));
        }),
        Ok(())
    );
    assert!(problem(&|a| {
        a[0].notes.push(section("plan"));
        a[3].notes.push(NoteSection {
            private: true,
            ..section("plan")
        });
    })
    .is_err());
    assert_eq!(
        problem(&|a| a[0].notes.extend((0..9).map(|i| section(&format!("extra-{i}"))))),
        Err("Phase 1: at most 8 note sections.".into())
    );
    let mut long = section("long");
    long.hint = "x".repeat(1001);
    assert!(problem(&|a| a[0].notes.push(long.clone())).is_err());
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

mod feedback_rules;

mod stored_forms;
