//! Attacks from issue 19 that the other files do not already make (limits.rs, notes.rs, http_limits.rs,
//! storage_full.rs and the fuzzer cover the rest): each as the issue describes it, with what it costs measured.

use crate::common::*;
use futures::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::CLOSE_TOO_SLOW;
use tokio_tungstenite::tungstenite::Message;
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::StateVector;

/// "An observer that sends sync step 1 with an empty state vector 200 times a second and never reads makes the relay
/// hold up to 256 copies of the whole document per socket." Now the relay holds at most 4 MiB for it, then drops it
/// (4003), and the people writing in the session go on: their edits arrive.
#[tokio::test]
async fn an_observer_asking_for_the_whole_document_and_never_reading_is_dropped() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut ana = server.page(&session.host_link, "Ana", 1, NotesDoc::new()).await;
    let mut ben = server.page(&session.participant_link, "Ben", 2, NotesDoc::new()).await;
    // A document of about 600 KB, so that each answer to the attacker is that big.
    let big = "Plenty of notes. ".repeat(36_000);
    ana.type_text("goal-statement", &big).await;
    ana.until(|p| p.notes.unsynced() == 0).await;
    ben.until(|p| p.notes.text("goal-statement").len() == big.len()).await;

    let (socket, _) = tokio_tungstenite::connect_async(server.yjs(&session.observer_link))
        .await
        .unwrap();
    let (mut send, mut receive) = socket.split();
    let step1 = YMessage::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
    let started = Instant::now();
    let mut sent = 0;
    // 200 a second, for at most 5 s: the relay drops the socket long before.
    while sent < 1000 && send.send(Message::binary(step1.clone())).await.is_ok() {
        sent += 1;
        // Meanwhile Ben's edits reach Ana.
        if sent % 50 == 0 {
            let text = format!("{}{sent} ", ben.notes.text("goal-statement"));
            ben.type_text("goal-statement", &text).await;
            ana.until(|p| p.notes.text("goal-statement").ends_with(&format!("{sent} ")))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Reading now, the attacker finds its answers and then the relay's close: too slow.
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = receive.next().await {
            match frame {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the socket ends");
    println!(
        "attacker: {sent} requests in {:?} before the relay stopped taking them; close {close:?}",
        started.elapsed()
    );
    assert!(sent < 1000, "the relay took the whole flood");
    assert!(matches!(close, Some(CLOSE_TOO_SLOW) | None), "{close:?}");
    // The session goes on for the people in it.
    ben.type_text("goal-statement", &format!("{}after ", ben.notes.text("goal-statement")))
        .await;
    ana.until(|p| p.notes.text("goal-statement").ends_with("after ")).await;
}
