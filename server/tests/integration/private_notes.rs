//! Private note sections (SBI "My SBI draft"): each person's text reaches only its author, on the wire. It is not in
//! the shared notes document, never sent to another participant, an observer or a Yjs client, survives a relay
//! restart, and is refused for observers and for sections that are not private.

use crate::common::*;
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, ErrorCode, PrivateNote, ServerMsg, MAX_PRIVATE_NOTE_CHARS};
use tokio_tungstenite::tungstenite::Message;

const SECTION: &str = "sbi-prep";
const ANA_SECRET: &str = "ANA-SECRET: in Tuesday's review Ben interrupted twice";
const BEN_SECRET: &str = "BEN-SECRET: Ana's summary calmed the meeting";

/// A server with an SBI session, whose draft section is private.
async fn sbi_session() -> (TestServer, Session) {
    let (server, session) = TestServer::with_session("sbi").await;
    let templates = server.state.backend.0.templates();
    let sbi = templates.iter().find(|t| t.id == "sbi").unwrap();
    assert!(
        sbi.phases[0].notes.iter().any(|n| n.id == SECTION && n.private),
        "the SBI template's draft is private"
    );
    (server, session)
}

fn private_of(welcome: &ServerMsg) -> Vec<PrivateNote> {
    match welcome {
        ServerMsg::Welcome { private_notes, .. } => private_notes.clone(),
        other => panic!("not a welcome: {other:?}"),
    }
}

fn note(text: &str) -> Vec<PrivateNote> {
    vec![PrivateNote {
        section: SECTION.into(),
        text: text.into(),
    }]
}

/// Sends `text` as the private draft and waits for the relay's confirmation of `rev`.
async fn write(c: &mut Client, text: &str, rev: u64) {
    c.send(&ClientMsg::PrivateNote {
        section: SECTION.into(),
        text: text.into(),
        rev,
    })
    .await;
    let saved = c
        .recv_until(|m| {
            matches!(
                m,
                ServerMsg::PrivateNoteSaved { .. } | ServerMsg::PrivateNoteRefused { .. } | ServerMsg::Error { .. }
            )
        })
        .await;
    assert_eq!(
        saved,
        ServerMsg::PrivateNoteSaved {
            section: SECTION.into(),
            rev
        }
    );
}

/// Every frame that arrives within `quiet` of the last one, as bytes (text and binary alike).
async fn drain(c: &mut Client, quiet: Duration) -> Vec<Vec<u8>> {
    use futures::StreamExt;
    let mut frames = Vec::new();
    while let Ok(Some(Ok(m))) = tokio::time::timeout(quiet, c.ws.next()).await {
        match m {
            Message::Text(t) => frames.push(t.as_bytes().to_vec()),
            Message::Binary(b) => frames.push(b.to_vec()),
            _ => {}
        }
    }
    frames
}

fn contains(frames: &[Vec<u8>], needle: &str) -> bool {
    frames
        .iter()
        .any(|f| f.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

/// The refusal the relay answers to a private note from `c`: named by section and rev, so that the page stops
/// sending that text.
async fn refused(c: &mut Client, section: &str, text: String) -> ErrorCode {
    c.send(&ClientMsg::PrivateNote {
        section: section.into(),
        text,
        rev: 7,
    })
    .await;
    match c
        .recv_until(|m| {
            matches!(
                m,
                ServerMsg::PrivateNoteSaved { .. } | ServerMsg::PrivateNoteRefused { .. } | ServerMsg::Error { .. }
            )
        })
        .await
    {
        ServerMsg::PrivateNoteRefused {
            section: s,
            rev,
            code,
            message,
        } => {
            assert_eq!((s.as_str(), rev), (section, 7), "names what it refused");
            assert!(!message.is_empty());
            code
        }
        other => panic!("stored although it must be refused: {other:?}"),
    }
}

#[tokio::test]
async fn a_private_draft_reaches_only_its_author_survives_a_restart_and_is_refused_for_observers() {
    let (server, session) = sbi_session().await;

    let (mut ana, welcome) = server.join(&session.host_link, "Ana", 1, Some("giver")).await;
    assert!(private_of(&welcome).is_empty());
    let (mut ben, _) = server.join(&session.participant_link, "Ben", 2, Some("receiver")).await;
    let (mut olga, _) = server.join(&session.observer_link, "Olga", 3, None).await;
    // An official Yjs client on the shared notes of the same session.
    let mut yjs = Client::connect(&server.yjs(&session.participant_link)).await;
    drain(&mut yjs, Duration::from_millis(200)).await;
    drain(&mut olga, Duration::from_millis(200)).await;
    drain(&mut ben, Duration::from_millis(200)).await;

    // Both write, several versions each (as the page's debounced sends would).
    write(&mut ana, "ANA-SECRET: in Tuesday", 1).await;
    write(&mut ana, ANA_SECRET, 2).await;
    write(&mut ben, BEN_SECRET, 1).await;

    // Nobody else received a byte of either draft.
    let ben_frames = drain(&mut ben, Duration::from_millis(400)).await;
    let olga_frames = drain(&mut olga, Duration::from_millis(100)).await;
    let yjs_frames = drain(&mut yjs, Duration::from_millis(100)).await;
    let ana_frames = drain(&mut ana, Duration::from_millis(100)).await;
    assert!(!contains(&ben_frames, "ANA-SECRET"), "Ben received Ana's draft");
    assert!(!contains(&olga_frames, "SECRET"), "the observer received a draft");
    assert!(!contains(&yjs_frames, "SECRET"), "a Yjs client received a draft");
    assert!(!contains(&ana_frames, "BEN-SECRET"), "Ana received Ben's draft");

    // Refusals: observers, non-private or unknown sections, oversized texts. Nothing is stored.
    assert_eq!(
        refused(&mut olga, SECTION, "observer".into()).await,
        ErrorCode::NotAllowed
    );
    assert_eq!(
        refused(&mut ana, "sbi-round-1", "shared".into()).await,
        ErrorCode::BadMessage
    );
    assert_eq!(refused(&mut ana, "no-such", "x".into()).await, ErrorCode::BadMessage);
    let long = "x".repeat(MAX_PRIVATE_NOTE_CHARS + 1);
    assert_eq!(refused(&mut ana, SECTION, long).await, ErrorCode::TooLarge);

    // A late joiner's welcome (a fresh socket) carries only their own drafts.
    let (mut ben2, welcome) = server.join(&session.participant_link, "Ben", 2, Some("receiver")).await;
    assert_eq!(private_of(&welcome), note(BEN_SECRET));
    assert!(!contains(
        &drain(&mut ben2, Duration::from_millis(300)).await,
        "ANA-SECRET"
    ));
    drop((ana, ben, ben2, olga, yjs));

    // After a restart each person gets their own draft back, and only theirs.
    let server = server.restart().await;
    let (_, welcome) = server.join(&session.host_link, "Ana", 1, Some("giver")).await;
    assert_eq!(private_of(&welcome), note(ANA_SECRET));
    let (_, welcome) = server.join(&session.participant_link, "Ben", 2, Some("receiver")).await;
    assert_eq!(private_of(&welcome), note(BEN_SECRET));
    let (_, welcome) = server.join(&session.observer_link, "Olga", 3, None).await;
    assert!(private_of(&welcome).is_empty(), "observers have no drafts");
    server.stop().await;
}

#[tokio::test]
async fn private_drafts_stay_out_of_the_shared_outcome() {
    let (server, session) = sbi_session().await;
    let (mut ana, _) = server.join(&session.host_link, "Ana", 1, Some("giver")).await;
    write(&mut ana, ANA_SECRET, 1).await;
    ana.send(&ClientMsg::EndSession).await;
    ana.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    let outcome = server.outcome(&session).await.expect("an outcome");
    assert!(!outcome.notes.contains_key(SECTION));
    assert!(!serde_json::to_string(&outcome).unwrap().contains("ANA-SECRET"));
    server.stop().await;
}

#[tokio::test]
async fn a_draft_written_on_one_device_reaches_the_same_persons_other_devices_only() {
    let (server, session) = sbi_session().await;
    let host = server.ws(&session.host_link);
    // Ana on her desk and her laptop (the same key: the same person), Ben, and an observer.
    let (mut desk, _) = Client::join(&host, "Ana", &key(1), Some("giver")).await;
    let (mut laptop, _) = Client::join(&host, "Ana", &key(1), Some("giver")).await;
    let (mut ben, _) = server.join(&session.participant_link, "Ben", 2, Some("receiver")).await;
    let (mut olga, _) = server.join(&session.observer_link, "Olga", 3, None).await;
    for c in [&mut desk, &mut laptop, &mut ben, &mut olga] {
        drain(c, Duration::from_millis(200)).await;
    }

    write(&mut desk, ANA_SECRET, 1).await;
    // The laptop gets the stored text (its page shows it unless it has unsaved edits of its own)…
    let changed = laptop
        .recv_until(|m| matches!(m, ServerMsg::PrivateNoteChanged { .. }))
        .await;
    assert_eq!(
        changed,
        ServerMsg::PrivateNoteChanged {
            section: SECTION.into(),
            text: ANA_SECRET.into()
        }
    );
    // …the writer only its confirmation, and nobody else a byte of it.
    assert!(!contains(
        &drain(&mut desk, Duration::from_millis(300)).await,
        "ANA-SECRET"
    ));
    assert!(!contains(&drain(&mut ben, Duration::from_millis(100)).await, "SECRET"));
    assert!(!contains(&drain(&mut olga, Duration::from_millis(100)).await, "SECRET"));

    // And the other way round: the laptop's later text reaches the desk.
    write(&mut laptop, "ANA-SECRET v2", 1).await;
    let changed = desk
        .recv_until(|m| matches!(m, ServerMsg::PrivateNoteChanged { .. }))
        .await;
    assert!(matches!(changed, ServerMsg::PrivateNoteChanged { text, .. } if text == "ANA-SECRET v2"));
    assert!(!contains(&drain(&mut ben, Duration::from_millis(300)).await, "SECRET"));
    server.stop().await;
}
