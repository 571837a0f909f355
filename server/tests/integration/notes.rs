//! Shared notes through the real relay: seeded convergence with offline edits and reconnects, persistence,
//! bad updates and observers.

use crate::common::*;
use futures::{FutureExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, ServerMsg};
use tokio_tungstenite::tungstenite::Message;
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update};

const SECTION: &str = "goal-statement";

/// Applies a y-sync frame to `doc`; `Some(true)` for a sync step 2.
fn apply(doc: &Doc, frame: &[u8]) -> Option<bool> {
    match YMessage::decode_v1(frame).ok()? {
        YMessage::Sync(SyncMessage::SyncStep2(u)) => {
            doc.transact_mut().apply_update(Update::decode_v1(&u).ok()?).ok()?;
            Some(true)
        }
        YMessage::Sync(SyncMessage::Update(u)) => {
            doc.transact_mut().apply_update(Update::decode_v1(&u).ok()?).ok()?;
            Some(false)
        }
        _ => Some(false),
    }
}

/// A simulated editor: a yrs document and, when online, a socket to the relay.
pub(crate) struct Editor {
    doc: Doc,
    url: String,
    ws: Option<Client>,
    typed: Vec<String>,
}

impl Editor {
    pub(crate) fn new(url: String) -> Self {
        Editor {
            doc: Doc::new(),
            url,
            ws: None,
            typed: Vec::new(),
        }
    }

    pub(crate) fn text(&self) -> String {
        self.doc.get_or_insert_text(SECTION).get_string(&self.doc.transact())
    }

    pub(crate) async fn connect(&mut self) {
        let mut c = Client::connect(&self.url).await;
        if self.url.contains("/ws/") {
            c.hello("Editor", &format!("editor-key-{:016}", self.doc.client_id()), None)
                .await;
        }
        // Push everything written offline; the relay merges what it already has idempotently.
        let state = self.doc.transact().encode_state_as_update_v1(&StateVector::default());
        c.send_raw(Message::binary(YMessage::Sync(SyncMessage::Update(state)).encode_v1()))
            .await;
        self.ws = Some(c);
    }

    fn apply(&self, frame: &[u8]) -> Option<bool> {
        apply(&self.doc, frame)
    }

    /// Applies whatever has already arrived, without waiting.
    fn drain(&mut self) {
        let mut frames = Vec::new();
        if let Some(c) = self.ws.as_mut() {
            while let Some(Some(Ok(msg))) = c.ws.next().now_or_never() {
                if let Message::Binary(b) = msg {
                    frames.push(b);
                }
            }
        }
        for f in frames {
            self.apply(&f);
        }
    }

    async fn type_at_random(&mut self, rng: &mut StdRng, token: String) {
        self.drain();
        let text = self.doc.get_or_insert_text(SECTION);
        // Insert between whole tokens (after any '>'), so that each typed token stays findable.
        let current = text.get_string(&self.doc.transact());
        let boundaries: Vec<u32> = std::iter::once(0)
            .chain(current.match_indices('>').map(|(i, _)| i as u32 + 1))
            .collect();
        let at = boundaries[rng.gen_range(0..boundaries.len())];
        let before = self.doc.transact().state_vector();
        text.insert(&mut self.doc.transact_mut(), at, &token);
        let update = self.doc.transact().encode_diff_v1(&before);
        self.typed.push(token);
        if let Some(c) = self.ws.as_mut() {
            c.send_raw(Message::binary(YMessage::Sync(SyncMessage::Update(update)).encode_v1()))
                .await;
        }
    }

    /// Asks the relay for everything this editor is missing and applies it.
    pub(crate) async fn pull(&mut self) {
        let sv = self.doc.transact().state_vector();
        let c = self.ws.as_mut().expect("online");
        c.send_raw(Message::binary(YMessage::Sync(SyncMessage::SyncStep1(sv)).encode_v1()))
            .await;
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), c.ws.next())
                .await
                .expect("step 2 in time");
            match frame {
                Some(Ok(Message::Binary(b))) => {
                    if apply(&self.doc, &b) == Some(true) {
                        break;
                    }
                }
                // A closed socket answers `None` at once, for ever: fail rather than spin.
                Some(Ok(Message::Close(f))) => panic!("the relay closed the socket during a pull: {f:?}"),
                None | Some(Err(_)) => panic!("the socket ended during a pull: {frame:?}"),
                Some(Ok(_)) => {}
            }
        }
    }
}

async fn run_seed(server: &TestServer, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let session = server.session("grow").await;
    let link = &session.participant_link;
    let n = rng.gen_range(3..=5);
    let mut editors: Vec<Editor> = (0..n)
        .map(|i| {
            // One editor speaks Tandem's own socket, the others the y-websocket endpoint.
            Editor::new(if i == 0 { server.ws(link) } else { server.yjs(link) })
        })
        .collect();
    for e in editors.iter_mut() {
        e.connect().await;
    }
    for step in 0..30 {
        let who = rng.gen_range(0..n);
        match rng.gen_range(0..10) {
            0 => editors[who].ws = None, // the network drops
            1 if editors[who].ws.is_none() => editors[who].connect().await,
            _ => {
                let token = format!("<{who}.{step}>");
                editors[who].type_at_random(&mut rng, token).await;
            }
        }
    }
    for e in editors.iter_mut() {
        if e.ws.is_none() {
            e.connect().await;
        }
    }
    // Everything pushed; a round trip on each socket proves the relay has handled it.
    for e in editors.iter_mut() {
        e.pull().await;
    }
    for e in editors.iter_mut() {
        e.pull().await;
    }
    let mut relay_view = Editor::new(server.yjs(link));
    relay_view.connect().await;
    relay_view.pull().await;
    let expected = relay_view.text();
    for (i, e) in editors.iter().enumerate() {
        assert_eq!(e.text(), expected, "seed {seed}: editor {i} diverged from the relay");
    }
    for e in &editors {
        for token in &e.typed {
            assert_eq!(
                expected.matches(token.as_str()).count(),
                1,
                "seed {seed}: {token} lost or doubled in {expected:?}"
            );
        }
    }
}

#[tokio::test]
async fn notes_converge_across_offline_edits_and_reconnects() {
    let server = TestServer::start().await;
    let seeds: u64 = std::env::var("TANDEM_NOTES_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    for seed in 0..seeds {
        run_seed(&server, seed).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn notes_are_persisted_within_a_second_and_survive_a_restart() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut e = Editor::new(server.yjs(&session.participant_link));
    e.connect().await;
    let mut rng = StdRng::seed_from_u64(1);
    e.type_at_random(&mut rng, "Lead design reviews".into()).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        if server.state.store.notes(&session.id).await.unwrap().is_some() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "notes not stored within 1 s of the edit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(e);
    let server = server.restart().await;
    let mut fresh = Editor::new(server.yjs(&session.participant_link));
    fresh.connect().await;
    fresh.pull().await;
    assert_eq!(fresh.text(), "Lead design reviews");
    server.stop().await;
}

#[tokio::test]
async fn undecodable_updates_and_observer_edits_are_refused_and_change_nothing() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut writer = Editor::new(server.yjs(&session.participant_link));
    writer.connect().await;
    let mut rng = StdRng::seed_from_u64(2);
    writer.type_at_random(&mut rng, "kept".into()).await;
    writer.pull().await;

    // Garbage in a sync update frame over Tandem's socket: an error, then a close with a reason.
    let (mut bad, _) = server.join(&session.participant_link, "Eve", 9, None).await;
    bad.send_raw(Message::binary(vec![0u8, 2, 4, 0xff, 0xff, 0xff, 0xff]))
        .await;
    let mut saw_error = false;
    let code = loop {
        match bad.next_frame().await {
            Some(Message::Text(t)) => saw_error |= matches!(serde_json::from_str(&t), Ok(ServerMsg::Error { .. })),
            Some(Message::Close(f)) => break f.map(|f| u16::from(f.code)),
            Some(_) => {}
            None => break None,
        }
    };
    assert!(saw_error);
    assert_eq!(code, Some(1007));

    // An observer's edit is refused by the relay.
    let (mut watcher, _) = server.join(&session.observer_link, "Cy", 3, None).await;
    let other = Doc::new();
    let t = other.get_or_insert_text(SECTION);
    t.insert(&mut other.transact_mut(), 0, "observer text");
    let update = other.transact().encode_state_as_update_v1(&StateVector::default());
    watcher
        .send_raw(Message::binary(YMessage::Sync(SyncMessage::Update(update)).encode_v1()))
        .await;
    assert_eq!(watcher.error().await.0, tandem_core::protocol::ErrorCode::NotAllowed);

    let mut check = Editor::new(server.yjs(&session.participant_link));
    check.connect().await;
    check.pull().await;
    assert_eq!(check.text(), "kept");
    let _ = writer.ws.as_mut().unwrap().ws.close(None).await;
    server.stop().await;
}

#[tokio::test]
async fn notes_written_by_a_yjs_client_are_in_the_stored_outcome() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut e = Editor::new(server.yjs(&session.participant_link));
    e.connect().await;
    let mut rng = StdRng::seed_from_u64(3);
    e.type_at_random(&mut rng, "Ben leads the next review".into()).await;
    e.pull().await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, None).await;
    host.send(&ClientMsg::EndSession).await;
    host.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    let outcome = server.outcome(&session).await.unwrap();
    assert_eq!(
        outcome.notes.get(SECTION).map(String::as_str),
        Some("Ben leads the next review")
    );
    server.stop().await;
}

/// A Yjs client neither pings nor is pinged, so nothing else would carry the end's close frame to it: it must be
/// written when the session ends (it once waited in the queue until the 30 s idle timeout).
#[tokio::test]
async fn ending_the_session_closes_a_yjs_client_at_once() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut yjs = Client::connect(&server.yjs(&session.participant_link)).await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, None).await;
    host.send(&ClientMsg::EndSession).await;
    host.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    assert_eq!(host.closed().await, Some(tandem_core::protocol::CLOSE_GONE));
    // `closed` waits at most 5 s for each frame.
    assert_eq!(yjs.closed().await, Some(tandem_core::protocol::CLOSE_GONE));
    server.stop().await;
}

#[tokio::test]
async fn a_notes_flood_closes_the_connection_instead_of_dropping_edits() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut c = Client::connect(&server.yjs(&session.participant_link)).await;
    let empty = YMessage::Sync(SyncMessage::Update(Update::EMPTY_V1.to_vec())).encode_v1();
    for _ in 0..300 {
        // The relay may close while frames are still being sent: stop at the first refused write.
        if futures::SinkExt::send(&mut c.ws, Message::binary(empty.clone()))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(
        c.closed().await,
        Some(1008),
        "policy close; the client reconnects and resyncs"
    );
    // The session is still served.
    let mut again = Editor::new(server.yjs(&session.participant_link));
    again.connect().await;
    again.pull().await;
    server.stop().await;
}

/// Nobody reads or writes the notes unseen: a Yjs client shows in everyone's presence (as what its link allows),
/// and leaves it when it goes. It is nobody in the session: not stored, and not someone to give feedback to.
#[tokio::test]
async fn a_yjs_client_is_seen_in_presence_while_connected() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let yjs = Client::connect(&server.yjs(&session.observer_link)).await;
    let seen = host
        .recv_until(|m| matches!(m, ServerMsg::Presence { participants } if participants.len() == 2))
        .await;
    let ServerMsg::Presence { participants } = seen else {
        unreachable!()
    };
    let app = &participants[1];
    assert_eq!(app.name, "Notes app (Yjs, reading)");
    assert!(app.online && app.capability == tandem_core::session::Capability::Observer);
    assert!(app.id.is_app() && !participants[0].id.is_app());
    drop(yjs);
    host.recv_until(|m| matches!(m, ServerMsg::Presence { participants } if participants.len() == 1))
        .await;
    assert_eq!(server.state.store.participants(&session.id).await.unwrap().len(), 1);
}
