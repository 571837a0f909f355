//! A joined connection's reading side: each frame from the client becomes a message for the session's actor, an
//! answer, or the end of the connection; rate limits per second; read errors told apart by type.

use super::Endpoint;
use crate::relay::actor::{ActorMsg, ConnId};
use crate::relay::outbox::Outbox;
use crate::relay::Outbound;
use axum::extract::ws::Message;
use std::any::Any;
use std::fmt::Display;
use std::ops::ControlFlow;
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, Close, ErrorCode, ServerMsg};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};

/// A joined connection's reading side: where the client's frames go, and the rates it is held to.
pub(super) struct Reader {
    /// The protocol it speaks.
    pub(super) endpoint: Endpoint,
    /// The connection, as the actor knows it.
    pub(super) conn: ConnId,
    /// Frames to the client.
    pub(super) out: Outbox,
    /// The session's actor.
    pub(super) actor: mpsc::Sender<ActorMsg>,
    /// The bytes of notes frames the actor's inbox may still take ([`crate::relay::MAX_INBOX_BYTES`]).
    pub(super) inbox_bytes: std::sync::Arc<tokio::sync::Semaphore>,
    /// JSON control messages (and WebSocket control frames) per second.
    pub(super) control: RateWindow,
    /// Binary notes frames per second.
    pub(super) notes: RateWindow,
    /// The frame size limit, told to a page whose frame went over it.
    pub(super) max_frame_bytes: usize,
}

impl Reader {
    /// Handles one frame from the client: `Continue` with a message for the actor, if any; `Break` ends the
    /// connection.
    pub(super) fn frame(&mut self, frame: Message) -> ControlFlow<(), Option<ActorMsg>> {
        if matches!(frame, Message::Binary(_)) {
            // A dropped notes update would leave the client's later edits unappliable: close instead, and the
            // reconnect resyncs everything (sync step 1/2) without losing an edit.
            if self.notes.admit() != Admit::Yes {
                self.close(Close::TooManyMessages);
                return ControlFlow::Break(());
            }
        } else if self.endpoint.speaks_json() {
            match self.control.admit() {
                Admit::Yes => {}
                Admit::FirstRefusal => {
                    let refused = error(ErrorCode::RateLimited, "Too many messages; some were ignored.");
                    return ControlFlow::Continue(self.say(refused));
                }
                Admit::No => return ControlFlow::Continue(None),
            }
        }
        match frame {
            Message::Binary(frame) => ControlFlow::Continue(Some(ActorMsg::Notes {
                conn: self.conn,
                frame,
                held: None,
            })),
            Message::Text(text) if self.endpoint.speaks_json() => ControlFlow::Continue(self.control_msg(&text)),
            Message::Close(_) => ControlFlow::Break(()),
            // WebSocket pings and pongs; text from a Yjs client.
            _ => ControlFlow::Continue(None),
        }
    }

    /// A JSON control message: answered here (a ping, a message it cannot take), or the message for the actor.
    fn control_msg(&self, text: &str) -> Option<ActorMsg> {
        let conn = self.conn;
        let msg = match serde_json::from_str::<ClientMsg>(text) {
            Ok(ClientMsg::Ping { sent }) => {
                let now = crate::relay::now_ms();
                return self.say(Outbound::text(&ServerMsg::Pong { sent, now }));
            }
            Ok(ClientMsg::Hello { .. }) => {
                return self.say(error(ErrorCode::BadMessage, "Already joined on this connection."))
            }
            Err(_) => return self.say(error(ErrorCode::BadMessage, "Tandem did not understand that message.")),
            Ok(ClientMsg::Timer { room, command }) => ActorMsg::Timer { conn, room, command },
            Ok(ClientMsg::SubmitFeedback { feedback }) => ActorMsg::Feedback { conn, draft: feedback },
            Ok(ClientMsg::ShareFeedback { id, shared }) => ActorMsg::Share { conn, id, shared },
            Ok(ClientMsg::SetRole { role }) => ActorMsg::SetRole { conn, role },
            Ok(ClientMsg::EndSession) => ActorMsg::End { conn },
            Ok(ClientMsg::PrivateNote { section, text, rev }) => ActorMsg::PrivateNote {
                conn,
                section,
                text,
                rev,
            },
        };
        Some(msg)
    }

    /// A read failed: a frame over the size limit is refused (with a message, to a page) and closed with
    /// [`Close::TooLarge`]; a frame that breaks the protocol or text that is not UTF-8 is closed with its reason;
    /// any other error (the connection is gone) just ends it.
    pub(super) fn read_error<E: Display + 'static>(&self, e: &E) {
        match refusal(e) {
            Some(Close::TooLarge) => {}
            Some(close) => return self.close(close),
            None => {
                tracing::debug!(error = %e, "websocket read error");
                return;
            }
        }
        if self.endpoint.speaks_json() {
            let kib = self.max_frame_bytes / 1024;
            let message = format!("That message was larger than {kib} KiB and was refused.");
            let _ = self.out.try_send(Outbound::text(&ServerMsg::Error {
                code: ErrorCode::TooLarge,
                message,
            }));
        }
        self.close(Close::TooLarge);
    }

    /// Sends `msg` to the client; nothing for the actor.
    fn say(&self, msg: Outbound) -> Option<ActorMsg> {
        let _ = self.out.try_send(msg);
        None
    }

    /// Closes the connection with `close` (once the frames before it are written).
    pub(super) fn close(&self, close: Close) {
        let _ = self.out.try_send(Outbound::Close(close));
    }
}

/// Whether a message fits in the current one-second window.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::relay) enum Admit {
    /// Within the limit.
    Yes,
    /// The first one over the limit in this window.
    FirstRefusal,
    /// Further ones over the limit.
    No,
}

/// Counts messages per one-second window.
pub(in crate::relay) struct RateWindow {
    started: Instant,
    count: u32,
    limit: u32,
}

impl RateWindow {
    pub(in crate::relay) fn new(limit: u32) -> Self {
        RateWindow {
            started: Instant::now(),
            count: 0,
            limit,
        }
    }

    pub(in crate::relay) fn admit(&mut self) -> Admit {
        if self.started.elapsed() >= Duration::from_secs(1) {
            self.started = Instant::now();
            self.count = 0;
        }
        self.count += 1;
        match self.count.checked_sub(self.limit) {
            None | Some(0) => Admit::Yes,
            Some(1) => Admit::FirstRefusal,
            Some(_) => Admit::No,
        }
    }
}

/// How to close a connection whose read failed on what the client sent: a frame over the size limit, a frame that
/// breaks the protocol, text that is not UTF-8. `None` when the connection is simply gone. Told by the error's type:
/// axum's socket wraps tungstenite's error (found along the source chain), a tokio-tungstenite stream gives it as it
/// is. The errors of any other stream (tests drive connections with their own) are never one of these.
pub(in crate::relay) fn refusal<E: 'static>(e: &E) -> Option<Close> {
    match ws_error(e)? {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => Some(Close::TooLarge),
        WsError::Protocol(_) => Some(Close::ProtocolViolation),
        WsError::Utf8(_) => Some(Close::InvalidText),
        _ => None,
    }
}

/// The tungstenite error behind a read error, if it is one (see [`refusal`]).
fn ws_error<E: 'static>(e: &E) -> Option<&WsError> {
    let any: &dyn Any = e;
    let first: Option<&(dyn std::error::Error + 'static)> = match any.downcast_ref::<axum::Error>() {
        Some(e) => Some(e),
        None => any.downcast_ref::<WsError>().map(|e| e as _),
    };
    std::iter::successors(first, |e| e.source()).find_map(|e| e.downcast_ref::<WsError>())
}

pub(in crate::relay) fn error(code: ErrorCode, message: &str) -> Outbound {
    Outbound::text(&ServerMsg::Error {
        code,
        message: message.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_admits_up_to_its_limit_then_refuses_once_loudly() {
        let mut w = RateWindow::new(3);
        let seen: Vec<Admit> = (0..6).map(|_| w.admit()).collect();
        assert_eq!(
            seen,
            [
                Admit::Yes,
                Admit::Yes,
                Admit::Yes,
                Admit::FirstRefusal,
                Admit::No,
                Admit::No
            ]
        );
    }

    #[test]
    fn a_refused_frame_is_told_by_the_error_type_not_its_text() {
        let too_long = || WsError::Capacity(CapacityError::MessageTooLong { size: 2, max_size: 1 });
        let too_large = Some(Close::TooLarge);
        assert_eq!(
            refusal(&axum::Error::new(too_long())),
            too_large,
            "as axum's socket reports it"
        );
        assert_eq!(
            refusal(&too_long()),
            too_large,
            "as a tokio-tungstenite stream reports it"
        );
        let headers = WsError::Capacity(CapacityError::TooManyHeaders);
        assert_eq!(refusal(&axum::Error::new(headers)), None);
        assert_eq!(refusal(&axum::Error::new(WsError::ConnectionClosed)), None);
        let stray = WsError::Protocol(tokio_tungstenite::tungstenite::error::ProtocolError::UnexpectedContinueFrame);
        assert_eq!(refusal(&axum::Error::new(stray)), Some(Close::ProtocolViolation));
        assert_eq!(
            refusal(&too_long().to_string()),
            None,
            "another stream's error with the same text"
        );
    }
}
