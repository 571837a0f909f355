//! A client that stops reading is dropped; the rest of the room keeps getting every update.
//! Drives `serve_connection` with in-memory sockets so the stuck client is exactly stuck.

use crate::common::*;
use axum::extract::ws::Message;
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::{Sink, Stream, StreamExt};
use server::relay::{serve_connection, Limits, Relay};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg, PROTOCOL_VERSION};
use tandem_core::session::{Capability, ParticipantKey, RoomId, TimerCommand};

/// An in-memory socket; with `outgoing: None` every write waits forever, like a client that stopped reading.
struct TestSocket {
    incoming: UnboundedReceiver<Result<Message, String>>,
    outgoing: Option<UnboundedSender<Message>>,
}

impl Stream for TestSocket {
    type Item = Result<Message, String>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.incoming).poll_next(cx)
    }
}

impl Sink<Message> for TestSocket {
    type Error = String;
    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        if self.outgoing.is_some() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), String> {
        match &self.outgoing {
            Some(tx) => tx.unbounded_send(item).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        if self.outgoing.is_some() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        Poll::Ready(Ok(()))
    }
}

fn hello(key: &str, name: &str) -> Result<Message, String> {
    let msg = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        participant_key: ParticipantKey(key.into()),
        name: name.into(),
        role: None,
        claim: None,
    };
    Ok(Message::text(serde_json::to_string(&msg).unwrap()))
}

async fn next_msg(rx: &mut UnboundedReceiver<Message>) -> ServerMsg {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), rx.next())
            .await
            .expect("message in time")
            .expect("open");
        if let Message::Text(t) = frame {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_never_stalls_the_room() {
    let (server, session) = TestServer::with_session("grow").await;
    let relay = Relay::new(
        server.state.store.clone(),
        Limits {
            outbox: 4,
            ..Limits::default()
        },
        std::time::Duration::from_secs(3),
    );

    let (fast_in, fast_in_rx) = unbounded();
    let (fast_out, mut fast_out_rx) = unbounded();
    let fast = TestSocket {
        incoming: fast_in_rx,
        outgoing: Some(fast_out),
    };
    tokio::spawn(serve_connection(
        fast,
        relay.clone(),
        session.id.clone(),
        Capability::Host,
    ));
    fast_in.unbounded_send(hello(&key(1), "Ana")).unwrap();
    assert!(matches!(next_msg(&mut fast_out_rx).await, ServerMsg::Welcome { .. }));

    let (slow_in, slow_in_rx) = unbounded();
    let slow = TestSocket {
        incoming: slow_in_rx,
        outgoing: None,
    };
    let slow_task = tokio::spawn(serve_connection(
        slow,
        relay.clone(),
        session.id.clone(),
        Capability::Participant,
    ));
    slow_in.unbounded_send(hello(&key(2), "Ben")).unwrap();

    let updates = 20;
    for _ in 0..updates {
        let cmd = ClientMsg::Timer {
            room: RoomId::MAIN,
            command: TimerCommand::AddTime { seconds: 60 },
        };
        fast_in
            .unbounded_send(Ok(Message::text(serde_json::to_string(&cmd).unwrap())))
            .unwrap();
    }
    // The session stores a burst of timer changes and refuses the rest (TIMER_CHANGES_BURST): still many more
    // frames than the slow client's queue holds.
    let (mut rooms, mut refused) = (0, 0);
    let mut ben_dropped = false;
    while rooms + refused < updates || !ben_dropped {
        match next_msg(&mut fast_out_rx).await {
            ServerMsg::Room { .. } => rooms += 1,
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                ..
            } => refused += 1,
            ServerMsg::Presence { participants } => {
                ben_dropped |= participants.iter().any(|p| p.name == "Ben" && !p.online);
            }
            _ => {}
        }
    }
    assert!(
        rooms >= server::relay::TIMER_CHANGES_BURST as usize,
        "the fast client got every update that was stored: {rooms}"
    );
    tokio::time::timeout(Duration::from_secs(5), slow_task)
        .await
        .expect("the stuck connection ended")
        .unwrap();
    drop(slow_in);
    server.stop().await;
}
