use super::*;
use proptest::prelude::*;

/// Applies an edit to `old` the way the document does (UTF-16 offsets).
fn apply(old: &str, edit: &TextEdit) -> String {
    let units: Vec<u16> = old.encode_utf16().collect();
    let at = edit.at as usize;
    let mut out: Vec<u16> = units[..at].to_vec();
    out.extend(edit.insert.encode_utf16());
    out.extend_from_slice(&units[at + edit.delete as usize..]);
    String::from_utf16(&out).expect("the edit split a surrogate pair")
}

/// The relay's sync step 1 for an empty relay document.
fn relay_step1(sv: StateVector) -> Vec<u8> {
    Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1()
}

/// Connects a browser document to a "relay" that is just another document, as the real handshake does.
fn handshake(browser: &mut NotesDoc, relay: &Doc) {
    browser.connection_opened();
    let reply = browser
        .receive(&relay_step1(relay.transact().state_vector()), None)
        .unwrap()
        .reply
        .unwrap();
    let Ok(Message::Sync(SyncMessage::SyncStep2(diff))) = Message::decode_v1(&reply) else {
        panic!("step 1 is answered with step 2")
    };
    relay
        .transact_mut()
        .apply_update(Update::decode_v1(&diff).unwrap())
        .unwrap();
}

/// Inserts `ins` at `pos` (clamped) and maybe deletes the character after it; returns the frame sent.
fn random_edit(doc: &mut NotesDoc, (pos, ins, del): &(usize, String, bool)) -> Option<Vec<u8>> {
    let units: Vec<u16> = doc.text("s").encode_utf16().collect();
    let at = (*pos).min(units.len());
    let mut new_units = units[..at].to_vec();
    new_units.extend(ins.encode_utf16());
    let rest = if *del && at < units.len() { at + 1 } else { at };
    new_units.extend_from_slice(&units[rest..]);
    let new = String::from_utf16(&new_units).unwrap();
    doc.edit_text("s", &new, None).unwrap()
}

fn forward(frame: &[u8], to: &mut NotesDoc, keep: Option<(&str, u32, u32)>) -> Received {
    to.receive(frame, keep).unwrap()
}

#[test]
fn typing_becomes_the_smallest_edit() {
    assert_eq!(diff_utf16("abc", "abc", None), None);
    let e = diff_utf16("Goal", "Goals", Some(5)).unwrap();
    assert_eq!((e.at, e.delete, e.insert.as_str()), (4, 0, "s"));
    let e = diff_utf16("Goals", "Gols", Some(2)).unwrap();
    assert_eq!((e.at, e.delete, e.insert.as_str()), (2, 1, ""));
    // "a" typed between the two a's of "aa": the caret says where.
    let e = diff_utf16("aa", "aaa", Some(1)).unwrap();
    assert_eq!((e.at, e.delete, e.insert.as_str()), (0, 0, "a"));
    let e = diff_utf16("aa", "aaa", Some(3)).unwrap();
    assert_eq!((e.at, e.delete, e.insert.as_str()), (2, 0, "a"));
    // Emoji are two UTF-16 units; an edit never lands between them.
    let e = diff_utf16("x😀y", "x😃y", None).unwrap();
    assert_eq!((e.at, e.delete, e.insert.as_str()), (1, 2, "😃"));
    assert_eq!(apply("x😀y", &e), "x😃y");
}

proptest! {
    #[test]
    fn any_edit_turns_old_into_new(old in "[ab😀\n]{0,12}", new in "[ab😀\n]{0,12}", caret in proptest::option::of(0u32..30)) {
        let caret = caret.map(|c| c.min(new.encode_utf16().count() as u32));
        match diff_utf16(&old, &new, caret) {
            None => prop_assert_eq!(&old, &new),
            Some(edit) => prop_assert_eq!(apply(&old, &edit), new),
        }
    }

    #[test]
    fn two_editors_converge_whatever_the_order(
        a_edits in proptest::collection::vec((0usize..40, "[xy ]{0,3}", any::<bool>()), 1..8),
        b_edits in proptest::collection::vec((0usize..40, "[pq ]{0,3}", any::<bool>()), 1..8),
    ) {
        let relay = Doc::new();
        let mut a = NotesDoc::new();
        let mut b = NotesDoc::new();
        handshake(&mut a, &relay);
        handshake(&mut b, &relay);
        let a_frames: Vec<Vec<u8>> = a_edits.iter().filter_map(|e| random_edit(&mut a, e)).collect();
        let b_frames: Vec<Vec<u8>> = b_edits.iter().filter_map(|e| random_edit(&mut b, e)).collect();
        // Deliver concurrently: each side gets the other's frames after making its own.
        for f in &a_frames { forward(f, &mut b, None); }
        for f in &b_frames { forward(f, &mut a, None); }
        prop_assert_eq!(a.text("s"), b.text("s"));
    }
}

#[test]
fn a_remote_edit_keeps_the_caret_on_the_same_characters() {
    let relay = Doc::new();
    let mut alice = NotesDoc::new();
    let mut bob = NotesDoc::new();
    handshake(&mut alice, &relay);
    handshake(&mut bob, &relay);
    let first = alice.edit_text("goal", "Ship the review guide", None).unwrap().unwrap();
    forward(&first, &mut bob, None);
    // Bob's caret is after "Ship the " (9) with "review" selected (9..15).
    let before = alice
        .edit_text("goal", "Please ship the review guide", Some(7))
        .unwrap()
        .unwrap();
    // Alice replaced "S" by "Please s": that is before Bob's selection.
    let got = forward(&before, &mut bob, Some(("goal", 9, 15)));
    assert_eq!(bob.text("goal"), "Please ship the review guide");
    let (start, end) = got.selection.unwrap();
    assert_eq!(
        &bob.text("goal")[start as usize..end as usize],
        "review",
        "selection moved with its text"
    );

    // An edit after the selection leaves it alone.
    let after = alice
        .edit_text("goal", "Please ship the review guide today", None)
        .unwrap()
        .unwrap();
    let got = forward(&after, &mut bob, Some(("goal", start, end)));
    assert_eq!(got.selection, Some((start, end)));

    // Text inserted right at Bob's caret lands after it: the caret does not move.
    let text = bob.text("goal");
    let caret = text.len() as u32; // at the very end
    let at_caret = alice.edit_text("goal", &format!("{text}!"), None).unwrap().unwrap();
    let got = forward(&at_caret, &mut bob, Some(("goal", caret, caret)));
    assert_eq!(got.selection, Some((caret, caret)));
}

#[test]
fn offline_edits_stay_pending_until_the_relay_confirms_them() {
    let relay = Doc::new();
    let mut notes = NotesDoc::new();
    // Typed before any connection: kept, not sent.
    assert_eq!(notes.edit_text("goal", "Offline one", None).unwrap(), None);
    assert_eq!(notes.edit_text("goal", "Offline one two", None).unwrap(), None);
    assert_eq!(notes.unsynced(), 2);

    // Reload: the browser's copy has the text and both pending edits.
    let mut notes = NotesDoc::restore(&notes.stored());
    assert_eq!(notes.text("goal"), "Offline one two");
    assert_eq!(notes.unsynced(), 2);

    handshake(&mut notes, &relay);
    assert_eq!(
        section_text(&relay, "goal"),
        "Offline one two",
        "the step 2 answer carries the offline edits"
    );
    // The step 2 answer was frame 1; a live edit afterwards is frame 2.
    let frame = notes.edit_text("goal", "Offline one two three", None).unwrap();
    assert!(frame.is_some(), "after the handshake edits go out at once");
    assert_eq!(notes.unsynced(), 3);
    notes.confirmed(1);
    assert_eq!(notes.unsynced(), 1, "frame 2 is not confirmed yet");
    notes.confirmed(2);
    assert_eq!(notes.unsynced(), 0);

    // A reconnect before confirmation resends: pending edits are tied to the new connection's step 2.
    notes.edit_text("goal", "Offline one two three four", None).unwrap();
    notes.connection_closed();
    let fresh_relay = Doc::new();
    handshake(&mut notes, &fresh_relay);
    notes.confirmed(0);
    assert_eq!(notes.unsynced(), 1);
    notes.confirmed(1);
    assert_eq!(notes.unsynced(), 0);
    assert_eq!(section_text(&fresh_relay, "goal"), "Offline one two three four");
}

#[test]
fn commitments_are_added_edited_ticked_and_removed() {
    let relay = Doc::new();
    let mut a = NotesDoc::new();
    let mut b = NotesDoc::new();
    handshake(&mut a, &relay);
    handshake(&mut b, &relay);
    let c = Commitment {
        id: "c1".into(),
        text: "Pair on the next review".into(),
        owner: Some(ParticipantId(2)),
        due: Some("2026-12-15".into()),
        done: false,
        at: 1_000,
    };
    let f = a.add_commitment(&c).unwrap().unwrap();
    forward(&f, &mut b, None);
    assert_eq!(b.commitments(), vec![c.clone()]);

    // Two people change different fields at the same moment: both changes stay.
    let fa = a.update_commitment("c1", CommitmentField::Done(true)).unwrap().unwrap();
    let fb = b
        .update_commitment("c1", CommitmentField::Text("Pair on two reviews".into()))
        .unwrap()
        .unwrap();
    forward(&fa, &mut b, None);
    forward(&fb, &mut a, None);
    assert_eq!(a.commitments(), b.commitments());
    let now = &a.commitments()[0];
    assert!(now.done);
    assert_eq!(now.text, "Pair on two reviews");

    let f = b
        .update_commitment("c1", CommitmentField::Owner(None))
        .unwrap()
        .unwrap();
    forward(&f, &mut a, None);
    assert_eq!(a.commitments()[0].owner, None);

    let removed = a.commitments()[0].clone();
    let f = a.remove_commitment("c1").unwrap().unwrap();
    forward(&f, &mut b, None);
    assert!(b.commitments().is_empty());
    assert_eq!(a.remove_commitment("c1").unwrap(), None, "removing twice is nothing");
    // Undo puts it back as it was.
    let f = a.add_commitment(&removed).unwrap().unwrap();
    forward(&f, &mut b, None);
    assert_eq!(b.commitments(), vec![removed]);
}

#[test]
fn commitments_are_cleaned_for_storage() {
    let c = Commitment {
        id: "x".into(),
        text: format!("  {}  ", "y".repeat(400)),
        owner: Some(ParticipantId(9)),
        due: Some("2026-02-30".into()),
        done: false,
        at: 0,
    }
    .cleaned(&[ParticipantId(1)]);
    assert_eq!(c.text.chars().count(), MAX_COMMITMENT_CHARS);
    assert_eq!(c.owner, None, "not a participant");
    assert_eq!(c.due, None, "not a date");
    assert!(is_date("2028-02-29") && !is_date("2027-02-29") && !is_date("2026-13-01") && !is_date("26-01-01"));
}

#[test]
fn the_browser_refuses_text_past_the_cap_and_keeps_what_is_there() {
    let mut notes = NotesDoc::new();
    let chunk = "x".repeat(200 * 1024);
    let mut text = String::new();
    for _ in 0..5 {
        text.push_str(&chunk);
        notes.edit_text("goal", &text, None).unwrap();
    }
    let kept = notes.text("goal");
    text.push_str(&chunk);
    assert_eq!(notes.edit_text("goal", &text, None), Err(EditError::Full));
    assert_eq!(notes.text("goal"), kept);
    // Deleting is always possible.
    assert!(notes.edit_text("goal", "short", None).is_ok());
}

#[test]
fn garbage_from_the_relay_is_an_error_and_changes_nothing() {
    let mut notes = NotesDoc::new();
    notes.edit_text("goal", "kept", None).unwrap();
    assert_eq!(notes.receive(&[0, 2, 9, 9], None), Err(EditError::Malformed));
    assert_eq!(notes.text("goal"), "kept");
}

#[test]
fn unsynced_changes_count_places_not_keystrokes() {
    let mut notes = NotesDoc::new();
    // One sentence typed offline, key by key: 52 edits, one section.
    let sentence = "We agreed to pair on the release checklist on Friday";
    for end in 1..=sentence.len() {
        notes.edit_text("goal", &sentence[..end], None).unwrap();
    }
    assert_eq!(notes.unsynced(), sentence.len());
    assert_eq!(notes.unsynced_places(), 1);
    notes.edit_text("reality", "Facts", None).unwrap();
    let c = Commitment {
        id: "c1".into(),
        text: "Send the checklist".into(),
        owner: None,
        due: None,
        done: false,
        at: 1,
    };
    notes.add_commitment(&c).unwrap();
    notes.update_commitment("c1", CommitmentField::Done(true)).unwrap();
    assert_eq!(notes.unsynced_places(), 3, "two sections and the commitments");
    // The places survive a reload.
    let notes = NotesDoc::restore(&notes.stored());
    assert_eq!(notes.unsynced_places(), 3);
    assert_eq!(NotesDoc::new().unsynced_places(), 0);
}

/// Two tabs of one session share one stored copy: each writes it over what the other kept, so neither tab's
/// offline edits are lost, both tabs' unconfirmed edits are still sent after the next visit, and an edit confirmed
/// to the tab that made it leaves the copy.
#[test]
fn two_tabs_keep_each_others_offline_edits() {
    let relay = Doc::new();
    let base = NotesDoc::new().stored();
    let mut one = NotesDoc::restore(&base);
    let mut two = NotesDoc::restore(&base);
    one.edit_text("goal", "From tab one.", None).unwrap();
    two.edit_text("success", "From tab two.", None).unwrap();
    two.edit_text("goal", "Tab two's goal.", None).unwrap();

    // Tab one writes, then tab two over it, then tab one again (it closes last).
    let (one_before, two_before) = (one.pending().to_vec(), two.pending().to_vec());
    let by_one = one.stored_over(&base, &[]);
    let by_two = two.stored_over(&by_one, &[]);
    let kept = one.stored_over(&by_two, &one_before);
    assert_eq!(kept.pending.len(), 3, "{kept:?}");
    let mut next = NotesDoc::restore(&kept);
    assert!(next.text("goal").contains("From tab one."), "{}", next.text("goal"));
    assert!(next.text("goal").contains("Tab two's goal."), "{}", next.text("goal"));
    assert_eq!(next.text("success"), "From tab two.");
    assert_eq!(next.unsynced(), 3);

    // Writing over one's own copy changes nothing; the next visit sends everything to the relay.
    assert_eq!(next.stored_over(&kept, next.pending()), next.stored());
    handshake(&mut next, &relay);
    assert_eq!(section_text(&relay, "success"), "From tab two.");
    assert_eq!(section_text(&relay, "goal"), next.text("goal"));

    // Tab two's edits are confirmed (it is online again): its next write drops them, and tab one's after it
    // does not bring them back.
    handshake(&mut two, &relay);
    two.confirmed(1);
    assert_eq!(two.unsynced(), 0);
    let by_two = two.stored_over(&kept, &two_before);
    assert_eq!(by_two.pending.len(), 1, "only tab one's edit is left: {by_two:?}");
    let by_one = one.stored_over(&by_two, &one_before);
    assert_eq!(by_one.pending, one.stored().pending);
    assert!(NotesDoc::restore(&by_one).text("success") == "From tab two.");
}

/// A tab closed while offline leaves its edits in the browser's copy only: the tab still open takes them in and
/// sends them as its own, at once when its connection is ready, or with its next handshake.
#[test]
fn the_open_tab_sends_what_a_closed_tab_kept() {
    let relay = Doc::new();
    let base = NotesDoc::new().stored();
    let mut closed = NotesDoc::restore(&base);
    closed
        .edit_text("goal", "Written offline in a closed tab.", None)
        .unwrap();
    let kept = closed.stored();

    // Online: the edit goes out in one frame, and its confirmation clears it.
    let mut open = NotesDoc::restore(&base);
    handshake(&mut open, &relay);
    let adopted = open.adopt(&kept, &mut Vec::new(), None).expect("something new");
    assert!(adopted.changed);
    let Ok(Message::Sync(SyncMessage::Update(update))) = Message::decode_v1(&adopted.reply.expect("connection ready"))
    else {
        panic!("an update frame")
    };
    relay
        .transact_mut()
        .apply_update(Update::decode_v1(&update).unwrap())
        .unwrap();
    assert_eq!(section_text(&relay, "goal"), "Written offline in a closed tab.");
    assert_eq!(open.text("goal"), "Written offline in a closed tab.");
    assert_eq!(open.unsynced_places(), 1);
    open.confirmed(2);
    assert_eq!(open.unsynced(), 0);
    // Taking the same copy in again changes nothing, and its confirmed edit does not come back.
    assert_eq!(open.adopt(&kept, &mut Vec::new(), None), None);
    assert_eq!(open.unsynced(), 0);

    // Offline: the edit waits in the document and goes with the next handshake.
    let relay = Doc::new();
    let mut offline = NotesDoc::restore(&base);
    let adopted = offline.adopt(&kept, &mut Vec::new(), None).expect("something new");
    assert_eq!(adopted.reply, None);
    assert_eq!(offline.unsynced(), 1);
    handshake(&mut offline, &relay);
    assert_eq!(section_text(&relay, "goal"), "Written offline in a closed tab.");
}

/// Text taken in from the other tab moves the focused textarea's selection with the characters it was on.
#[test]
fn adopting_keeps_the_selection_on_its_characters() {
    let base = NotesDoc::new().stored();
    let mut one = NotesDoc::restore(&base);
    one.edit_text("goal", "hello world", None).unwrap();
    let mut two = NotesDoc::restore(&one.stored());
    two.edit_text("goal", ">> hello world", None).unwrap();
    // "world" is selected in tab one.
    let adopted = one
        .adopt(&two.stored(), &mut Vec::new(), Some(("goal", 6, 11)))
        .unwrap();
    assert_eq!(one.text("goal"), ">> hello world");
    assert_eq!(adopted.selection, Some((9, 14)));
}

/// An edit this tab wrote to the copy that the copy no longer lists was confirmed to another tab: this tab stops
/// counting it as unsynced (and stops asking before the page closes).
#[test]
fn an_edit_another_tab_got_confirmed_is_no_longer_pending() {
    let relay = Doc::new();
    let base = NotesDoc::new().stored();
    let mut offline = NotesDoc::restore(&base);
    offline.edit_text("goal", "Typed in the offline tab.", None).unwrap();
    let mut written = offline.pending().to_vec();
    let copy = offline.stored();

    // The online tab takes it in, sends it, has it confirmed (before its next write) and writes the copy
    // without it.
    let mut online = NotesDoc::restore(&base);
    handshake(&mut online, &relay);
    let mut online_written = Vec::new();
    online.adopt(&copy, &mut online_written, None).unwrap();
    assert_eq!(online_written.len(), 1, "what it took in is its own now");
    online.confirmed(2);
    let copy = online.stored_over(&copy, &online_written);
    assert!(copy.pending.is_empty(), "{copy:?}");

    // The offline tab sees the copy change: nothing of its own is left unsynced.
    assert_eq!(offline.unsynced(), 1);
    let adopted = offline
        .adopt(&copy, &mut written, None)
        .expect("the pending list changed");
    assert!(!adopted.changed);
    assert_eq!(offline.unsynced(), 0);
    // An edit it made since, not yet in the copy, stays.
    offline
        .edit_text("goal", "Typed in the offline tab. More.", None)
        .unwrap();
    assert_eq!(offline.adopt(&copy, &mut written, None), None);
    assert_eq!(offline.unsynced(), 1);
}
