//! The workshop reducer: joins, the facilitator's commands and their refusals.

use super::*;
use crate::session::{Capability, ParticipantId, ParticipantKey, SessionSettings, SessionSpec};

fn spec(rounds: u8) -> WorkshopSpec {
    WorkshopSpec {
        id: "w".into(),
        format: SessionSpec {
            id: crate::session::SessionId("w".into()),
            template_id: "grow".into(),
            template_name: "GROW".into(),
            goal: String::new(),
            roles: Vec::new(),
            phases: Vec::new(),
            forms: Vec::new(),
            settings: SessionSettings::default(),
            created_at: 0,
            end_after_last_phase: false,
        },
        settings: WorkshopSettings {
            rounds,
            ..WorkshopSettings::default()
        },
        seed: 7,
        skills: Vec::new(),
    }
}

fn key(i: u32) -> ParticipantKey {
    ParticipantKey(format!("key-{i:0>14}"))
}

/// A workshop with a facilitator (id 1) and `n` participants (ids 2..).
fn with_people(n: u32) -> (WorkshopState, Vec<ParticipantId>) {
    let mut w = WorkshopState::default();
    w.join(key(0), "Fay".into(), Capability::Host, 0).unwrap();
    let people = (1..=n)
        .map(|i| w.join(key(i), format!("P{i}"), Capability::Participant, 0).unwrap())
        .collect();
    (w, people)
}

fn breakouts(groups: &Groups) -> Vec<Breakout> {
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| Breakout {
            session: format!("s{i}"),
            token: "t".into(),
            observer_token: "o".into(),
            members: g.clone(),
            spent_ms: None,
        })
        .collect()
}

#[test]
fn a_known_key_keeps_its_id_and_a_removed_one_is_refused() {
    let (mut w, people) = with_people(3);
    w.rename(people[0], "Renamed").unwrap();
    // Coming back with the name the browser kept does not undo the facilitator's rename.
    assert_eq!(w.join(key(1), "P1".into(), Capability::Participant, 5), Ok(people[0]));
    assert_eq!(w.member(people[0]).unwrap().name, "Renamed");
    w.remove(people[0]).unwrap();
    assert_eq!(
        w.join(key(1), "Back".into(), Capability::Participant, 6),
        Err(WorkshopError::Removed)
    );
    assert_eq!(
        w.join(key(9), "  ".into(), Capability::Participant, 6),
        Err(WorkshopError::BadName)
    );
    // The facilitator cannot be removed.
    assert_eq!(w.remove(ParticipantId(1)), Err(WorkshopError::NoSuchPerson));
}

#[test]
fn a_round_needs_two_people_present_and_valid_groups() {
    let (w, people) = with_people(5);
    let spec = spec(2);
    assert_eq!(
        w.propose(&spec, &people[..1], Pairing::Rotation),
        Err(WorkshopError::TooFewPeople(1))
    );
    let groups = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    assert_eq!(groups.len(), 2, "two pairs and a trio make 2 groups of 5: {groups:?}");
    assert!(w.check_groups(&spec, &groups, &people).is_ok());
    // Someone missing, someone twice, a group of one: refused.
    let mut missing = groups.clone();
    missing[0].pop();
    assert_eq!(w.check_groups(&spec, &missing, &people), Err(WorkshopError::BadGroups));
    let mut twice = groups.clone();
    twice[1].push(groups[0][0]);
    assert_eq!(w.check_groups(&spec, &twice, &people), Err(WorkshopError::BadGroups));
    let alone = vec![vec![people[0]], people[1..].to_vec()];
    assert_eq!(w.check_groups(&spec, &alone, &people), Err(WorkshopError::BadGroups));
    // The facilitator is never grouped.
    let with_host = vec![vec![ParticipantId(1), people[0]], people[1..].to_vec()];
    assert_eq!(
        w.check_groups(&spec, &with_host, &people),
        Err(WorkshopError::BadGroups)
    );
}

#[test]
fn rounds_open_move_close_and_run_out() {
    let (mut w, people) = with_people(4);
    let spec = spec(1);
    let groups = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    w.open(breakouts(&groups), 10);
    assert_eq!(w.stage, Stage::Breakouts);
    assert_eq!(
        w.propose(&spec, &people, Pairing::Rotation),
        Err(WorkshopError::RoundOpen)
    );
    let who = groups[0][0];
    assert_eq!(w.move_to(who, 1), Ok(Some(0)));
    assert_eq!(w.open_round().unwrap().breakout_of(who), Some(1));
    assert_eq!(w.move_to(who, 5), Err(WorkshopError::NoSuchBreakout(6)));
    assert_eq!(w.move_to(ParticipantId(99), 0), Err(WorkshopError::NoSuchPerson));
    w.call_back(20).unwrap();
    assert_eq!(w.stage, Stage::Plenary);
    assert_eq!(w.rounds[0].closed_at, Some(20));
    assert_eq!(w.call_back(21), Err(WorkshopError::NoRoundOpen));
    assert_eq!(w.move_to(who, 0), Err(WorkshopError::NoRoundOpen));
    assert_eq!(
        w.propose(&spec, &people, Pairing::Rotation),
        Err(WorkshopError::NoRoundsLeft(1))
    );
    w.end(30).unwrap();
    assert_eq!(w.end(31), Err(WorkshopError::Ended));
    assert_eq!(
        w.join(key(50), "Late".into(), Capability::Participant, 40),
        Err(WorkshopError::Ended)
    );
}

#[test]
fn broadcasts_are_short_and_spaced() {
    let (mut w, _) = with_people(2);
    assert_eq!(w.broadcast("  ", 0), Err(WorkshopError::BadBroadcast));
    assert_eq!(w.broadcast(&"x".repeat(281), 0), Err(WorkshopError::BadBroadcast));
    assert_eq!(w.broadcast(&"é".repeat(280), 0).map(|t| t.chars().count()), Ok(280));
    assert_eq!(w.broadcast("again", 4_999), Err(WorkshopError::BroadcastTooSoon));
    assert!(w.broadcast("again", 5_000).is_ok());
    assert_eq!(w.broadcasts.len(), 2);
}

#[test]
fn round_two_repeats_nobody_from_round_one() {
    let (mut w, people) = with_people(6);
    let spec = spec(3);
    let first = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    w.open(breakouts(&first), 0);
    w.call_back(1).unwrap();
    let second = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    assert_eq!(repeats(&second, &[first]), 0);
}

#[test]
fn a_round_the_facilitator_changed_counts_as_it_ran() {
    // Round 1 as the circle drew it, then one person moved into another pair: a trio, a pair, and one alone.
    let (mut w, people) = with_people(6);
    let spec = spec(3);
    let drawn = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    w.open(breakouts(&drawn), 0);
    let mover = drawn[0][0];
    w.move_to(mover, 1).unwrap();
    w.call_back(1).unwrap();
    let ran = w.rounds[0].groups();
    let second = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    assert_eq!(
        repeats(&second, &[ran]),
        0,
        "nobody meets anyone they were with, the move included"
    );
}

#[test]
fn a_late_joiner_goes_to_the_smallest_breakout() {
    let (mut w, people) = with_people(5);
    let spec = spec(2);
    let groups = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    w.open(breakouts(&groups), 0);
    let late = w.join(key(30), "Late".into(), Capability::Participant, 5).unwrap();
    assert!(!w.is_placed(late));
    let smallest = w.smallest_breakout().unwrap();
    assert_eq!(
        w.rounds[0].breakouts[smallest].members.len(),
        2,
        "the pair, not the trio"
    );
    w.move_to(late, smallest).unwrap();
    assert!(w.is_placed(late));
    assert_eq!(w.rounds[0].breakouts[smallest].members.len(), 3);
}

#[test]
fn a_proposal_fits_the_people_still_here() {
    let (w, people) = with_people(5);
    let spec = spec(2);
    let groups = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    // Two people leave after the proposal: whoever is left alone joins another group.
    let gone = [groups[0][0], groups[1][0]];
    let here: Vec<ParticipantId> = people.iter().copied().filter(|p| !gone.contains(p)).collect();
    let fitted = w.fit_groups(groups, &here);
    assert!(w.check_groups(&spec, &fitted, &here).is_ok(), "{fitted:?}");
    assert!(fitted.iter().all(|g| g.len() >= 2));
}

#[test]
fn two_people_with_one_name_are_told_apart() {
    let mut w = WorkshopState::default();
    let a = w.join(key(1), "Ana".into(), Capability::Participant, 0).unwrap();
    let b = w.join(key(2), "ana".into(), Capability::Participant, 0).unwrap();
    let c = w.join(key(3), "Ana".into(), Capability::Participant, 0).unwrap();
    assert_eq!(w.member(a).unwrap().name, "Ana");
    assert_eq!(w.member(b).unwrap().name, "ana (2)");
    assert_eq!(w.member(c).unwrap().name, "Ana (3)");
    let long = "x".repeat(40);
    let d = w.join(key(4), long.clone(), Capability::Participant, 0).unwrap();
    let e = w.join(key(5), long, Capability::Participant, 0).unwrap();
    assert_eq!(w.member(d).unwrap().name.chars().count(), 40);
    let second = &w.member(e).unwrap().name;
    assert!(second.ends_with(" (2)") && second.chars().count() == 40, "{second}");
}

#[test]
fn plenary_clocks_run_before_the_first_round_and_after_the_last_only() {
    let (mut w, people) = with_people(2);
    let mut spec = spec(2);
    spec.settings.plenary_before = 10;
    spec.settings.plenary_after = 5;
    let settings = spec.settings;
    assert_eq!(w.start_plenary(&settings, 100), Ok(10));
    assert_eq!(w.plenary_started_at, Some(100));
    // A round opening stops it; none runs between rounds.
    let groups = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    w.open(breakouts(&groups), 200);
    assert_eq!(w.plenary_started_at, None);
    assert_eq!(w.start_plenary(&settings, 300), Err(WorkshopError::NoPlenary));
    w.call_back(400).unwrap();
    assert_eq!(w.plenary_minutes(&settings), 0, "between rounds");
    assert_eq!(w.start_plenary(&settings, 450), Err(WorkshopError::NoPlenary));
    // After the last round: the closing plenary.
    let groups = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    w.open(breakouts(&groups), 500);
    w.call_back(600).unwrap();
    assert_eq!(w.start_plenary(&settings, 700), Ok(5));
    // Without plenary minutes there is nothing to start.
    let none = WorkshopSettings::default();
    assert_eq!(w.start_plenary(&none, 800), Err(WorkshopError::NoPlenary));
    w.end(900).unwrap();
    assert_eq!(w.start_plenary(&settings, 950), Err(WorkshopError::Ended));
}

#[test]
fn a_breakouts_clock_time_is_recorded_once() {
    let (mut w, people) = with_people(4);
    let spec = spec(1);
    let groups = w.propose(&spec, &people, Pairing::Rotation).unwrap();
    w.open(breakouts(&groups), 0);
    assert!(w.set_spent("s1", 61_000));
    assert!(!w.set_spent("s1", 99_000), "kept as first told");
    assert!(!w.set_spent("nope", 1));
    assert!(w.set_spent("s0", -5));
    let spent: Vec<_> = w.rounds[0].breakouts.iter().map(|b| b.spent_ms).collect();
    assert_eq!(spent, vec![Some(0), Some(61_000)]);
}

#[test]
fn random_pairing_draws_each_round_anew_from_the_seed() {
    let spec = spec(3);
    let (w, people) = with_people(8);
    let first = w.propose(&spec, &people, Pairing::Random).unwrap();
    assert_eq!(
        first,
        w.propose(&spec, &people, Pairing::Random).unwrap(),
        "the same round draws the same"
    );
    let mut all: Vec<ParticipantId> = first.iter().flatten().copied().collect();
    all.sort();
    assert_eq!(all, people);
    assert!(first.iter().all(|g| g.len() == 2));
    assert_eq!(w.pairing(&spec), Pairing::Rotation, "no skills: rotation");
    let mut next = w.clone();
    next.open(breakouts(&first), 0);
    next.call_back(1).unwrap();
    let second = next.propose(&spec, &people, Pairing::Random).unwrap();
    assert_ne!(second, first, "the next round is drawn anew");
}

#[test]
fn skills_are_kept_on_the_member_and_the_record_says_which_wants_a_round_met() {
    let mut spec = spec(2);
    spec.skills = vec!["SQL".into(), "Kubernetes".into(), "Facilitation".into()];
    let (mut w, people) = with_people(4);
    let (ana, ben, cem, dia) = (people[0], people[1], people[2], people[3]);
    let skills = |offers: &[&str], wants: &[&str]| {
        let offers: Vec<(&str, Option<crate::workshop::Level>)> = offers.iter().map(|s| (*s, None)).collect();
        SkillAnswers::from_names(&offers, wants)
    };
    w.set_skills(&spec, ana, &skills(&["sql"], &["Kubernetes"])).unwrap();
    w.set_skills(&spec, ben, &skills(&[], &["SQL", "Facilitation"]))
        .unwrap();
    w.set_skills(&spec, cem, &skills(&["Facilitation"], &[])).unwrap();
    // Refused: nothing changes, and the facilitator (id 1) has no member record among participants.
    let before = w.clone();
    let errors = w.set_skills(&spec, dia, &skills(&["Cooking"], &[])).unwrap_err();
    assert_eq!(errors[0].field, "offers");
    assert_eq!(w, before);
    assert_eq!(
        w.member(ana).unwrap().skills,
        skills(&["SQL"], &["Kubernetes"]),
        "as the list spells it"
    );

    let host = ParticipantId(1);
    assert_eq!(w.member(host).unwrap().capability, Capability::Host);
    let errors = w.set_skills(&spec, host, &skills(&["SQL"], &[])).unwrap_err();
    assert!(errors[0].message.contains("Only participants"), "{errors:?}");
    assert_eq!(w.pairing(&spec), Pairing::Skills, "someone answered");

    w.open(breakouts(&vec![vec![ana, ben], vec![cem, dia]]), 0);
    let errors = w.set_skills(&spec, dia, &skills(&["SQL"], &[])).unwrap_err();
    assert!(errors[0].message.contains("until the first round opens"), "{errors:?}");
    w.call_back(1).unwrap();
    w.open(breakouts(&vec![vec![ben, cem], vec![ana, dia]]), 2);
    let met = w.wants_met();
    assert_eq!(
        met,
        vec![
            (ana, "Kubernetes".to_string(), None),
            (ben, "SQL".to_string(), Some(1)),
            (ben, "Facilitation".to_string(), Some(2)),
        ]
    );
    let md = crate::workshop::record_markdown(&spec, &w);
    assert!(
        md.contains("## Skills\n\n| Skill | Want to learn | Can help | Gap |"),
        "{md}"
    );
    assert!(md.contains("| Kubernetes | 1 | 0 | 1 |"), "{md}");
    assert!(
        md.contains("- 1 person wants Kubernetes; nobody here offers it."),
        "{md}"
    );
    assert!(md.contains("### Wants met in some round: 2 of 3"), "{md}");
    assert!(md.contains("- P1 wanted Kubernetes: not met"), "{md}");
    assert!(md.contains("- P2 wanted Facilitation: met in round 2"), "{md}");
    // A workshop without skills has no such section.
    spec.skills.clear();
    assert!(!crate::workshop::record_markdown(&spec, &w).contains("## Skills"));
}

#[test]
fn the_facilitators_choice_of_pairing_wins_over_tandems() {
    let mut spec = spec(2);
    let (mut w, people) = with_people(4);
    assert_eq!(w.pairing(&spec), Pairing::Rotation, "no skills");
    let refused = w.set_pairing(&spec, Pairing::Skills).unwrap_err();
    assert!(refused.contains("no skills"), "{refused}");
    assert_eq!(w.pairing_choice, None, "nothing kept of a refusal");
    spec.skills = vec!["SQL".into()];
    w.set_skills(&spec, people[0], &SkillAnswers::from_names(&[("SQL", None)], &[]))
        .unwrap();
    assert_eq!(w.pairing(&spec), Pairing::Skills, "someone answered");
    w.set_pairing(&spec, Pairing::Random).unwrap();
    assert_eq!(w.pairing(&spec), Pairing::Random);
    w.set_pairing(&spec, Pairing::Rotation).unwrap();
    assert_eq!(w.pairing(&spec), Pairing::Rotation);
    // Stored with the state; a state stored before the choice existed reads as no choice.
    let json = serde_json::to_string(&w).unwrap();
    assert_eq!(serde_json::from_str::<WorkshopState>(&json).unwrap(), w);
    let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
    old.as_object_mut().unwrap().remove("pairing_choice");
    let old: WorkshopState = serde_json::from_value(old).unwrap();
    assert_eq!(old.pairing_choice, None);
    w.end(10).unwrap();
    assert!(w.set_pairing(&spec, Pairing::Random).unwrap_err().contains("ended"));
}

#[test]
fn a_forgotten_member_keeps_their_place_without_their_name_or_skills() {
    let mut spec = spec(2);
    spec.skills = vec!["SQL".into(), "Rust".into()];
    let (mut w, people) = with_people(2);
    let answers = SkillAnswers::from_names(&[("SQL", None)], &["Rust"]);
    w.set_skills(&spec, people[0], &answers).unwrap();
    assert!(w.forget_member(&key(1), "A former participant"));
    let member = w.member(people[0]).unwrap();
    assert_eq!(
        (member.name.as_str(), member.skills.is_empty()),
        ("A former participant", true)
    );
    assert_eq!(
        w.member_by_key(&key(1)).map(|m| m.id),
        Some(people[0]),
        "the same member, in the same rounds"
    );
    assert!(
        !w.forget_member(&key(1), "A former participant"),
        "twice changes nothing"
    );
    assert!(
        !w.forget_member(&key(9), "A former participant"),
        "nobody with that key"
    );
    assert_eq!(w.member(people[1]).unwrap().name, "P2");
}
