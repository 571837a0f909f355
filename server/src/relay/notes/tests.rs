//! The notes document's tests: sync, the cap, repeats and gaps, deletions of unseen items, the agenda's top-level
//! names, declared counts, presence ownership and awareness for newcomers.

use super::*;
use yrs::{GetString, Map, Text};

fn client_edit(doc: &Doc, at: u32, text: &str) -> Vec<u8> {
    let t = doc.get_or_insert_text("goal-statement");
    let before = doc.transact().state_vector();
    t.insert(&mut doc.transact_mut(), at, text);
    let update = doc.transact().encode_diff_v1(&before);
    Message::Sync(SyncMessage::Update(update)).encode_v1()
}

#[test]
fn updates_apply_and_sync_step_1_gets_what_is_missing() {
    let mut notes = Notes::load(None).unwrap();
    let alice = Doc::new();
    let handled = notes.handle(&client_edit(&alice, 0, "Lead reviews"), true).unwrap();
    assert!(handled.changed && handled.broadcast.is_some());

    let bob = Doc::new();
    let step1 = Message::Sync(SyncMessage::SyncStep1(bob.transact().state_vector())).encode_v1();
    let reply = notes.handle(&step1, true).unwrap().reply.unwrap();
    let Ok(Message::Sync(SyncMessage::SyncStep2(diff))) = Message::decode_v1(&reply) else {
        panic!()
    };
    bob.transact_mut()
        .apply_update(Update::decode_v1(&diff).unwrap())
        .unwrap();
    let text = bob.get_or_insert_text("goal-statement");
    assert_eq!(text.get_string(&bob.transact()), "Lead reviews");

    let reloaded = Notes::load(Some(&notes.state())).unwrap();
    assert_eq!(reloaded.state(), notes.state());
}

#[test]
fn garbage_and_observers_change_nothing() {
    let mut notes = Notes::load(None).unwrap();
    let before = notes.state();
    assert_eq!(notes.handle(&[0, 2, 5, 1, 2], true), Err(NotesError::Malformed));
    assert_eq!(notes.handle(&[], true), Err(NotesError::Malformed));
    assert_eq!(
        notes.handle(&client_edit(&Doc::new(), 0, "x"), false),
        Err(NotesError::ReadOnly)
    );
    let empty_step2 = Message::Sync(SyncMessage::SyncStep2(Update::EMPTY_V1.to_vec())).encode_v1();
    assert_eq!(
        notes.handle(&empty_step2, false),
        Ok(Handled::default()),
        "a reader's empty step 2 is fine"
    );
    assert_eq!(notes.state(), before);
}

#[test]
fn the_notes_cap_refuses_new_text_but_keeps_what_is_there() {
    let mut notes = Notes::load(None).unwrap();
    let writer = Doc::new();
    let chunk = "x".repeat(200 * 1024);
    for i in 0..5 {
        let edit = client_edit(&writer, i * chunk.len() as u32, &chunk);
        assert!(notes.handle(&edit, true).is_ok());
    }
    let full = notes.state();
    let refused = notes.handle(&client_edit(&writer, 0, &chunk), true);
    assert!(
        matches!(refused, Err(NotesError::Full)),
        "the sixth 200 KB chunk passes 1 MB"
    );
    assert!(full == notes.state(), "nothing already written is lost");
}

#[test]
fn repeats_change_nothing_and_gaps_are_refused_not_parked() {
    let mut notes = Notes::load(None).unwrap();
    let writer = Doc::new();
    let first = client_edit(&writer, 0, "one ");
    assert!(notes.handle(&first, true).unwrap().changed);
    let again = notes.handle(&first, true).unwrap();
    assert!(
        !again.changed && again.broadcast.is_none() && again.wants_ack,
        "a repeat is acknowledged, not relayed"
    );

    // The writer's second edit never reached the relay; its third builds on it.
    let _lost = client_edit(&writer, 4, "two ");
    let third = client_edit(&writer, 8, "three");
    let before = notes.state();
    assert_eq!(notes.handle(&third, true), Err(NotesError::OutOfOrder));
    assert!(notes.state() == before, "nothing applied");
    assert!(!notes.doc.transact().has_missing_updates(), "nothing parked in memory");
}

/// Frames the fuzzer found (server/tests/fuzz): a few bytes declaring hundreds of millions of entries (yrs
/// reserved that much before reading them), and a block clock that overflows.
#[test]
fn frames_whose_counts_cannot_fit_are_refused_before_yrs_reads_them() {
    let mut notes = Notes::load(None).unwrap();
    for frame in [
        &[0x00, 0x00, 0x04, 0xff, 0xff, 0xff, 0x7f][..],
        &[0x01, 0x04, 0xff, 0xff, 0xff, 0x7f],
        &[0x00, 0x02, 0x04, 0xff, 0xff, 0xff, 0x7f],
    ] {
        assert_eq!(notes.handle(frame, true), Err(NotesError::Malformed), "{frame:02x?}");
    }
    let overflow = [
        0x00, 0x02, 0x0a, 0x01, 0x01, 0x05, 0xf0, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x20,
    ];
    assert!(notes.handle(&overflow, true).is_err());
    assert!(notes.handle(&overflow, false).is_err());
}

#[test]
fn deletions_of_unseen_text_are_refused_not_parked() {
    let mut notes = Notes::load(None).unwrap();
    let ghost = Doc::new();
    let text = ghost.get_or_insert_text("goal-statement");
    text.insert(&mut ghost.transact_mut(), 0, &"x".repeat(1000));
    let before = ghost.transact().state_vector();
    text.remove_range(&mut ghost.transact_mut(), 0, 1000);
    let delete_only = Message::Sync(SyncMessage::Update(ghost.transact().encode_diff_v1(&before))).encode_v1();
    let stored = notes.state();
    assert_eq!(notes.handle(&delete_only, true), Err(NotesError::OutOfOrder));
    assert!(notes.state() == stored, "nothing kept");
    assert!(!notes.doc.transact().has_missing_updates(), "nothing parked in memory");

    // Deleting what the relay has is fine, even in the same update as the insertion.
    let writer = Doc::new();
    assert!(
        notes
            .handle(&client_edit(&writer, 0, "keep this"), true)
            .unwrap()
            .changed
    );
    let t = writer.get_or_insert_text("goal-statement");
    let sv = writer.transact().state_vector();
    t.remove_range(&mut writer.transact_mut(), 0, 5);
    let delete = Message::Sync(SyncMessage::Update(writer.transact().encode_diff_v1(&sv))).encode_v1();
    assert!(notes.handle(&delete, true).unwrap().changed);
    assert_eq!(notes.texts(["goal-statement"].into_iter())["goal-statement"], "this");
}

#[test]
fn updates_may_write_only_to_the_agenda_sections() {
    let mut notes = Notes::load(None)
        .unwrap()
        .only_roots(["goal-statement".to_string(), "commitments".to_string()]);
    let writer = Doc::new();
    assert!(notes.handle(&client_edit(&writer, 0, "fine"), true).unwrap().changed);
    let stored = notes.state();
    let stranger = Doc::new();
    let other = stranger.get_or_insert_text("success");
    let sv = stranger.transact().state_vector();
    other.insert(&mut stranger.transact_mut(), 0, "hidden data");
    let update = Message::Sync(SyncMessage::Update(stranger.transact().encode_diff_v1(&sv))).encode_v1();
    assert_eq!(notes.handle(&update, true), Err(NotesError::UnknownSection));
    assert!(notes.state() == stored, "nothing applied");

    // Nested types inside an allowed root name their parent by id: allowed.
    let commitments = writer.get_or_insert_map("commitments");
    let sv = writer.transact().state_vector();
    commitments.insert(&mut writer.transact_mut(), "c1", yrs::MapPrelim::default());
    let nested = Message::Sync(SyncMessage::Update(writer.transact().encode_diff_v1(&sv))).encode_v1();
    assert!(notes.handle(&nested, true).unwrap().changed);
    assert_eq!(notes.handle(&[0, 2, 3, 1, 1, 1], true), Err(NotesError::Malformed));
}

#[test]
fn presence_of_others_cannot_be_overwritten_or_grown_with_removals() {
    let mut notes = Notes::load(None).unwrap();
    let mut ana = Awareness::new(Doc::new());
    ana.set_local_state_raw(r#"{"user":{"name":"Ana"}}"#);
    let frame = Bytes::from(Message::Awareness(ana.update().unwrap()).encode_v1());
    let handled = notes.handle_from(&frame, true, &[], &[]).unwrap();
    assert_eq!(handled.awareness_claimed, vec![ana.client_id()]);

    // Someone else sends Ana's id with a higher clock: dropped.
    let mut forged = ana.update().unwrap();
    let entry = forged.clients.get_mut(&ana.client_id()).unwrap();
    entry.clock += 10;
    entry.json = r#"{"user":{"name":"Mallory"}}"#.into();
    let forged = Bytes::from(Message::Awareness(forged).encode_v1());
    let handled = notes.handle_from(&forged, true, &[], &[ana.client_id()]).unwrap();
    assert_eq!(handled, Handled::default());
    let kept = Message::decode_v1(&notes.awareness_frame().unwrap()).unwrap();
    let Message::Awareness(kept) = kept else { panic!() };
    assert!(kept.clients[&ana.client_id()].json.contains("Ana"));

    // Removals of ids nobody has are not kept (they used to pile up, owned by no connection).
    let mut ghosts = AwarenessUpdate {
        clients: Default::default(),
    };
    for id in 1..=1000u64 {
        ghosts.clients.insert(
            ClientID::new(id),
            yrs::sync::awareness::AwarenessUpdateEntry {
                clock: 1,
                json: "null".into(),
            },
        );
    }
    let ghosts = Bytes::from(Message::Awareness(ghosts).encode_v1());
    assert_eq!(notes.handle_from(&ghosts, true, &[], &[]).unwrap(), Handled::default());
    assert!((1..=1000u64).all(|id| notes.awareness.meta(ClientID::new(id)).is_none()));
}

#[test]
fn awareness_is_kept_for_newcomers_and_cleared_on_leave() {
    let mut notes = Notes::load(None).unwrap();
    assert_eq!(notes.awareness_frame(), None);
    let mut page = Awareness::new(Doc::new());
    page.set_local_state_raw(r#"{"user":{"name":"Ana"},"section":"goal"}"#);
    let frame = Message::Awareness(page.update().unwrap()).encode_v1();
    let handled = notes.handle(&frame, false).unwrap();
    assert_eq!(handled.awareness_changed, vec![page.client_id()]);
    assert_eq!(handled.awareness_claimed, vec![page.client_id()]);
    // The same frame again (an echo) changes nothing and claims nothing.
    let echo = notes.handle(&frame, false).unwrap();
    assert!(echo.awareness_changed.is_empty() && echo.awareness_claimed.is_empty());
    let relayed = notes
        .awareness_of(&handled.awareness_changed)
        .expect("observers' presence is relayed too");
    let Ok(Message::Awareness(u)) = Message::decode_v1(&relayed) else {
        panic!()
    };
    assert!(u.clients[&page.client_id()].json.contains("Ana"));
    let kept = notes.awareness_frame().expect("kept for newcomers");
    let Ok(Message::Awareness(u)) = Message::decode_v1(&kept) else {
        panic!()
    };
    assert!(u.clients[&page.client_id()].json.contains("Ana"));

    let gone = notes.remove_awareness(&[page.client_id()]).unwrap();
    let Ok(Message::Awareness(u)) = Message::decode_v1(&gone) else {
        panic!()
    };
    assert_eq!(&*u.clients[&page.client_id()].json, "null");
    assert_eq!(notes.awareness_frame(), None);
}
