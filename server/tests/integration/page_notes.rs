//! Notes as a Tandem page keeps them (the browser's own `NotesDoc` logic over the real session socket): edits are
//! confirmed only once stored, offline edits arrive on connect, commitments are stored in a queryable table, and
//! presence per section reaches newcomers and is cleared when a page leaves, and bursts of presence are coalesced.

use crate::common::*;
use tandem_core::notes::{Commitment, CommitmentField, NotesDoc};
use tandem_core::session::ParticipantId;
use tokio_tungstenite::tungstenite::Message;
use yrs::sync::awareness::Awareness;
use yrs::sync::Message as YMessage;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, Transact};

const SECTION: &str = "goal-statement";

#[tokio::test]
async fn page_edits_are_confirmed_once_stored_and_commitments_are_queryable() {
    let (server, session) = TestServer::with_session("grow").await;

    // Ben wrote while offline, before the page ever connected.
    let mut offline = NotesDoc::new();
    offline.edit_text(SECTION, "Written on the train", None).unwrap();
    assert_eq!(offline.unsynced(), 1);
    let mut ana = server.page(&session.host_link, "Ana", 1, NotesDoc::new()).await;
    let mut ben = server.page(&session.participant_link, "Ben", 2, offline).await;
    ben.until(|p| p.notes.unsynced() == 0).await;
    ana.until(|p| p.notes.text(SECTION) == "Written on the train").await;

    ana.type_text(SECTION, "Written on the train. Lead the design review")
        .await;
    let pair = Commitment {
        id: "c1".into(),
        text: "Shadow Ana's next review".into(),
        owner: Some(ben.me),
        due: Some("2026-12-11".into()),
        done: false,
        at: 5,
    };
    let stranger = Commitment {
        id: "c2".into(),
        text: "  Write the onboarding guide  ".into(),
        owner: Some(ParticipantId(99)),
        due: Some("someday".into()),
        done: false,
        at: 6,
    };
    let f = ana.notes.add_commitment(&pair).unwrap();
    ana.send(f).await;
    let f = ana.notes.add_commitment(&stranger).unwrap();
    ana.send(f).await;
    assert_eq!(ana.notes.unsynced(), 3, "nothing is confirmed before it is stored");
    ana.until(|p| p.notes.unsynced() == 0).await;

    // Confirmed means stored: the text and a clean copy of the commitments are in the database.
    assert_eq!(
        stored_text(&server.state.store, &session.id, SECTION).await,
        "Written on the train. Lead the design review"
    );
    let rows = server.state.store.commitments(&session.id).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], pair);
    assert_eq!(rows[1].text, "Write the onboarding guide", "trimmed");
    assert_eq!(rows[1].owner, None, "not a participant of this session");
    assert_eq!(rows[1].due, None, "not a date");

    // Ben sees them live, ticks one off; Ana sees the tick and the table follows.
    ben.until(|p| p.notes.commitments().len() == 2).await;
    let f = ben.notes.update_commitment("c1", CommitmentField::Done(true)).unwrap();
    ben.send(f).await;
    ben.until(|p| p.notes.unsynced() == 0).await;
    ana.until(|p| p.notes.commitments().first().is_some_and(|c| c.done))
        .await;
    let rows = server.state.store.commitments(&session.id).await.unwrap();
    assert!(rows[0].done);

    // Removed on one page: gone everywhere, and from the table.
    let f = ana.notes.remove_commitment("c2").unwrap();
    ana.send(f).await;
    ana.until(|p| p.notes.unsynced() == 0).await;
    ben.until(|p| p.notes.commitments().len() == 1).await;
    assert_eq!(server.state.store.commitments(&session.id).await.unwrap().len(), 1);

    // The outcome carries them when the session ends.
    ana.client.send(&tandem_core::protocol::ClientMsg::EndSession).await;
    ana.client
        .recv_until(|m| matches!(m, tandem_core::protocol::ServerMsg::Ended { .. }))
        .await;
    let outcome = server.outcome(&session).await.unwrap();
    assert_eq!(outcome.commitments.len(), 1);
    assert!(outcome.commitments[0].done);
    server.stop().await;
}

/// An awareness frame saying `name` is in `section`.
fn presence(awareness: &mut Awareness, name: &str, section: Option<&str>) -> Vec<u8> {
    let state = serde_json::json!({ "user": { "name": name, "color": "#2f5d8a" }, "section": section });
    awareness.set_local_state(state).unwrap();
    let update = awareness.update_with_clients([awareness.client_id()]).unwrap();
    YMessage::Awareness(update).encode_v1()
}

/// Reads frames until an awareness update about `client` arrives; returns its JSON state.
async fn awareness_of(c: &mut Client, client: yrs::ClientID) -> String {
    loop {
        match c.next_frame().await.expect("an awareness frame within 5 s") {
            Message::Binary(b) => {
                if let Ok(YMessage::Awareness(u)) = YMessage::decode_v1(&b) {
                    if let Some(e) = u.clients.get(&client) {
                        return e.json.to_string();
                    }
                }
            }
            Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn section_presence_reaches_newcomers_and_is_cleared_when_a_page_leaves() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut ana, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let mut awareness = Awareness::new(Doc::new());
    let ana_id = awareness.client_id();
    ana.send_raw(Message::binary(presence(&mut awareness, "Ana", Some(SECTION))))
        .await;
    let _ = ana.round_trip().await;

    // Ben joins after Ana moved into the section: he learns where she is without waiting for her next move.
    let (mut ben, _) = server.join(&session.participant_link, "Ben", 2, None).await;
    let state = awareness_of(&mut ben, ana_id).await;
    assert!(state.contains(SECTION) && state.contains("Ana"), "{state}");

    // Ana's page closes: Ben is told her presence is gone.
    drop(ana);
    let state = awareness_of(&mut ben, ana_id).await;
    assert_eq!(state, "null");
    server.stop().await;
}

/// Sends a sync step 1 and waits for the relay's step 2: the relay has then handled everything `c` sent before.
async fn handled_so_far(c: &mut Client) {
    use yrs::sync::SyncMessage;
    use yrs::ReadTxn;
    let step1 = YMessage::Sync(SyncMessage::SyncStep1(Doc::new().transact().state_vector())).encode_v1();
    c.send_raw(Message::binary(step1)).await;
    loop {
        match c.next_frame().await.expect("the relay's sync step 2") {
            Message::Binary(b) if matches!(YMessage::decode_v1(&b), Ok(YMessage::Sync(SyncMessage::SyncStep2(_)))) => {
                break
            }
            Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
}

/// The awareness messages in `c`'s frames up to the answer to a ping.
async fn awareness_until_pong(c: &mut Client) -> Vec<yrs::sync::awareness::AwarenessUpdate> {
    c.send(&tandem_core::protocol::ClientMsg::Ping { sent: 9.5 }).await;
    let mut seen = Vec::new();
    loop {
        match c.next_frame().await.expect("a frame within 5 s") {
            Message::Binary(b) => {
                if let Ok(YMessage::Awareness(u)) = YMessage::decode_v1(&b) {
                    seen.push(u);
                }
            }
            Message::Text(t) if t.contains("\"pong\"") => return seen,
            Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
}

/// A server with a session that Ana (host) and Ben have joined.
async fn ana_and_ben() -> (TestServer, Client, Client) {
    let (server, session) = TestServer::with_session("grow").await;
    let (ana, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let (ben, _) = server.join(&session.participant_link, "Ben", 2, None).await;
    (server, ana, ben)
}

#[tokio::test]
async fn a_burst_of_presence_changes_reaches_the_others_coalesced_and_never_echoes() {
    use futures::SinkExt;
    let (server, mut ana, mut ben) = ana_and_ben().await;
    let mut awareness = Awareness::new(Doc::new());
    let ana_id = awareness.client_id();

    // Ana moves through ten sections in one burst (one TCP write).
    for i in 0..10 {
        let frame = presence(&mut awareness, "Ana", Some(&format!("section-{i}")));
        ana.ws.feed(Message::binary(frame)).await.unwrap();
    }
    ana.ws.flush().await.unwrap();

    // Ben sees the first move at once and the rest as one message with her latest state, not ten messages.
    let mut states = Vec::new();
    while !states.last().is_some_and(|s: &String| s.contains("section-9")) {
        states.push(awareness_of(&mut ben, ana_id).await);
    }
    assert!(
        states[0].contains("section-0"),
        "the first change goes at once: {states:?}"
    );
    assert!(states.len() <= 3, "ten changes in a burst arrive coalesced: {states:?}");

    // Ana is never sent a message that holds only her own state.
    let echoes = awareness_until_pong(&mut ana).await;
    assert!(
        echoes.is_empty(),
        "{} awareness messages echoed to their sender",
        echoes.len()
    );

    // Ben's own move reaches Ana, and Ben is not sent his own state back.
    let mut ben_awareness = Awareness::new(Doc::new());
    let ben_id = ben_awareness.client_id();
    ben.send_raw(Message::binary(presence(&mut ben_awareness, "Ben", Some("section-1"))))
        .await;
    let state = awareness_of(&mut ana, ben_id).await;
    assert!(state.contains("Ben") && state.contains("section-1"), "{state}");
    let echoes = awareness_until_pong(&mut ben).await;
    assert!(
        echoes.iter().all(|u| !u.clients.contains_key(&ben_id)),
        "Ben's own state came back to him"
    );
    server.stop().await;
}

/// The next binary frame, skipping JSON control messages.
async fn next_binary(c: &mut Client) -> YMessage {
    loop {
        match c.next_frame().await.expect("a frame within 5 s") {
            Message::Binary(b) => return YMessage::decode_v1(&b).expect("a y-sync message"),
            Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn presence_waiting_for_its_interval_rides_along_with_the_next_edit() {
    use yrs::{ReadTxn, Text};
    let (server, mut ana, mut ben) = ana_and_ben().await;
    let mut awareness = Awareness::new(Doc::new());
    let ana_id = awareness.client_id();
    ana.send_raw(Message::binary(presence(&mut awareness, "Ana", Some("section-0"))))
        .await;
    assert!(awareness_of(&mut ben, ana_id).await.contains("section-0"));
    // This move waits for the end of the 200 ms presence interval…
    ana.send_raw(Message::binary(presence(&mut awareness, "Ana", Some("section-1"))))
        .await;
    // …unless an edit goes out past half of it: then the move goes with the edit, just before it. (Sent on the
    // interval alone, it would reach Ben ~80 ms after the edit.)
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    let doc = Doc::new();
    let text = doc.get_or_insert_text(SECTION);
    text.insert(&mut doc.transact_mut(), 0, "Grow the team");
    let update = doc.transact().encode_state_as_update_v1(&yrs::StateVector::default());
    let edit = YMessage::Sync(yrs::sync::SyncMessage::Update(update.clone())).encode_v1();
    ana.send_raw(Message::binary(edit)).await;

    let YMessage::Awareness(first) = next_binary(&mut ben).await else {
        panic!("the waiting presence did not come first");
    };
    let state = first.clients.get(&ana_id).expect("Ana's state").json.to_string();
    assert!(state.contains("section-1"), "{state}");
    match next_binary(&mut ben).await {
        YMessage::Sync(yrs::sync::SyncMessage::Update(u)) => assert_eq!(u, update),
        other => panic!("expected the edit, got {other:?}"),
    }
    // Ana gets neither her own edit nor her own presence back.
    let echoes = awareness_until_pong(&mut ana).await;
    assert!(echoes.is_empty(), "{} awareness messages echoed to Ana", echoes.len());
    server.stop().await;
}

#[tokio::test]
async fn a_yjs_client_that_echoes_presence_still_receives_its_owners_changes() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut ana, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let mut ana_awareness = Awareness::new(Doc::new());
    let ana_id = ana_awareness.client_id();
    ana.send_raw(Message::binary(presence(&mut ana_awareness, "Ana", Some(SECTION))))
        .await;
    let _ = ana.round_trip().await;

    // A y-websocket client sends on every state it learns about, Ana's included (same clock: nothing new); a
    // sync step 1 after it, answered by the relay, shows the echo was handled.
    let mut yjs = Client::connect(&server.yjs(&session.participant_link)).await;
    assert!(awareness_of(&mut yjs, ana_id).await.contains(SECTION));
    let echo = YMessage::Awareness(ana_awareness.update_with_clients([ana_id]).unwrap()).encode_v1();
    yjs.send_raw(Message::binary(echo)).await;
    handled_so_far(&mut yjs).await;

    // Echoing Ana's state did not make it the Yjs client's own: Ana's next move reaches it.
    ana.send_raw(Message::binary(presence(
        &mut ana_awareness,
        "Ana",
        Some("goal-success"),
    )))
    .await;
    let state = awareness_of(&mut yjs, ana_id).await;
    assert!(state.contains("goal-success"), "{state}");
    server.stop().await;
}

#[tokio::test]
async fn a_page_that_reconnects_takes_its_presence_along_and_the_old_connection_closing_does_not_clear_it() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut old, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let (mut ben, _) = server.join(&session.participant_link, "Ben", 2, None).await;
    let mut awareness = Awareness::new(Doc::new());
    let ana_id = awareness.client_id();
    old.send_raw(Message::binary(presence(&mut awareness, "Ana", Some(SECTION))))
        .await;
    let _ = awareness_of(&mut ben, ana_id).await;

    // The same page on a new connection (same awareness client) publishes again, then asks for a sync step 2:
    // once that arrives, the relay has handled the presence.
    let (mut new, _) = server.join(&session.host_link, "Ana", 1, None).await;
    new.send_raw(Message::binary(presence(&mut awareness, "Ana", Some("goal-success"))))
        .await;
    handled_so_far(&mut new).await;
    assert!(awareness_of(&mut ben, ana_id).await.contains("goal-success"));

    // The old connection closes: Ben is told who is connected, and Ana's presence is not cleared on the way.
    drop(old);
    loop {
        match ben
            .next_frame()
            .await
            .expect("a presence message after the old connection closed")
        {
            Message::Binary(b) => {
                if let Ok(YMessage::Awareness(u)) = YMessage::decode_v1(&b) {
                    let cleared = u.clients.get(&ana_id).is_some_and(|e| &*e.json == "null");
                    assert!(!cleared, "the old connection's close cleared Ana's presence");
                }
            }
            Message::Text(t) if t.contains("\"presence\"") => break,
            Message::Close(f) => panic!("closed: {f:?}"),
            _ => {}
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn an_edit_refused_as_full_is_never_confirmed_and_a_large_paste_fits_one_frame() {
    let (server, session) = TestServer::with_session("grow").await;

    // A 300 KB paste is one frame, over the old 256 KiB limit: it is stored and confirmed.
    let mut ana = server.page(&session.host_link, "Ana", 1, NotesDoc::new()).await;
    ana.type_text(SECTION, &"p".repeat(300 * 1024)).await;
    ana.until(|p| p.notes.unsynced() == 0).await;

    // A Yjs client fills the notes close to the cap while Ana's page has not seen it yet.
    let filler = yrs::Doc::new();
    let mut yjs = Client::connect(&server.yjs(&session.participant_link)).await;
    let text = filler.get_or_insert_text("goal-success");
    for i in 0..3u32 {
        use yrs::{ReadTxn, Text};
        let before = filler.transact().state_vector();
        text.insert(&mut filler.transact_mut(), i * 230 * 1024, &"f".repeat(230 * 1024));
        let update = filler.transact().encode_diff_v1(&before);
        yjs.send_raw(Message::binary(
            YMessage::Sync(yrs::sync::SyncMessage::Update(update)).encode_v1(),
        ))
        .await;
    }
    // Wait until the relay has applied them: its answer to a sync step 1 comes after them on this connection.
    yjs.send_raw(Message::binary(
        YMessage::Sync(yrs::sync::SyncMessage::SyncStep1(yrs::StateVector::default())).encode_v1(),
    ))
    .await;
    loop {
        if let Some(Message::Binary(b)) = yjs.next_frame().await {
            if let Ok(YMessage::Sync(yrs::sync::SyncMessage::SyncStep2(_))) = YMessage::decode_v1(&b) {
                break;
            }
        }
    }

    // Ana's page, unaware, adds 100 KB: the relay refuses it as full.
    ana.type_text(
        SECTION,
        &format!("{}{}", "p".repeat(300 * 1024), "q".repeat(100 * 1024)),
    )
    .await;
    ana.until(|p| !p.texts.is_empty()).await;
    assert!(ana.texts[0].contains("notes are full"), "{:?}", ana.texts);
    assert_eq!(ana.notes.unsynced(), 1);

    // Someone else's later edit is stored (a flush): Ana's refused edit is still not confirmed.
    ana.notes.refused();
    let mut ben = server.page(&session.participant_link, "Ben", 2, NotesDoc::new()).await;
    ben.type_text("reality-facts", "small").await;
    ben.until(|p| p.notes.unsynced() == 0).await;
    ana.round_trip().await;
    assert_eq!(ana.notes.unsynced(), 1, "a refused edit is never confirmed as stored");
    let stored = server.state.store.notes(&session.id).await.unwrap().unwrap();
    assert!(stored.len() <= tandem_core::notes::MAX_NOTES_BYTES, "the cap holds");
    server.stop().await;
}

/// A notes write that cannot finish (another process holds SQLite's write lock; a slow disk looks the same) does
/// not hold up the session: edits keep reaching the others meanwhile, and are confirmed once the write is done.
#[tokio::test]
async fn edits_keep_flowing_while_a_notes_write_waits_for_the_database() {
    use sqlx::Connection;
    use std::time::Duration;
    let (server, session) = TestServer::with_session("grow").await;
    let mut ana = server.page(&session.host_link, "Ana", 1, NotesDoc::new()).await;
    let mut ben = server.page(&session.participant_link, "Ben", 2, NotesDoc::new()).await;

    // Another connection holds the write lock: SQLite's, or on PostgreSQL the one every write transaction takes.
    sqlx::any::install_default_drivers();
    let mut blocker = sqlx::AnyConnection::connect(&server.db().url()).await.unwrap();
    if server.db().is_postgres() {
        sqlx::query("BEGIN").execute(&mut blocker).await.unwrap();
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(server::store::WRITE_LOCK)
            .execute(&mut blocker)
            .await
            .unwrap();
    } else {
        sqlx::query("BEGIN IMMEDIATE").execute(&mut blocker).await.unwrap();
    }

    ana.type_text(SECTION, "line 1").await;
    ben.until(|p| p.notes.text(SECTION) == "line 1").await;
    // The relay writes the notes 500 ms after the first unsaved edit; that write now waits for the lock (up to
    // SQLite's 5 s busy timeout)…
    tokio::time::sleep(Duration::from_millis(700)).await;
    // …and the session goes on meanwhile: every edit reaches Ben well within that time.
    for i in 2..=6 {
        let line = format!("line {i}");
        ana.type_text(SECTION, &line).await;
        tokio::time::timeout(Duration::from_secs(2), ben.until(|p| p.notes.text(SECTION) == line))
            .await
            .unwrap_or_else(|_| panic!("{line} was held up by the notes write"));
    }
    // Everything the relay sent Ana so far is handled: nothing was confirmed while the database is locked.
    ana.round_trip().await;
    assert_eq!(ana.notes.unsynced(), 6, "an edit was confirmed before it was stored");

    // The lock goes: the write that started after line 1 confirms line 1 only (lines 2-6 came after it started),
    // the next one the rest; the database has her last line.
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    ana.until(|p| p.notes.unsynced() < 6).await;
    assert_eq!(ana.notes.unsynced(), 5, "the first write held line 1 only");
    ana.until(|p| p.notes.unsynced() == 0).await;
    assert_eq!(stored_text(&server.state.store, &session.id, SECTION).await, "line 6");
    server.stop().await;
}
