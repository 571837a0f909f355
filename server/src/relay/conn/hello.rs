//! A page's first frame, which must be a hello of this protocol version, and the refusal of a connection that
//! could not join.

use super::reader::error;
use crate::relay::actor::Joining;
use crate::relay::outbox::close_frame;
use crate::relay::Outbound;
use axum::extract::ws::Message;
use futures::{Sink, SinkExt, Stream, StreamExt};
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, Close, ErrorCode, PROTOCOL_VERSION};
use tandem_core::session::clean_name;
use tokio::time::timeout;

/// The first frame, which must be a valid hello of this protocol version.
pub(super) async fn read_hello<S, E>(stream: &mut S, wait: Duration) -> Result<Joining, (ErrorCode, Close)>
where
    S: Stream<Item = Result<Message, E>> + Unpin,
{
    let first = match timeout(wait, stream.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => Some(text),
        _ => None,
    };
    let hello = first
        .as_ref()
        .and_then(|text| serde_json::from_str::<ClientMsg>(text).ok());
    let Some(ClientMsg::Hello {
        protocol,
        participant_key,
        name,
        role,
        claim,
    }) = hello
    else {
        if first.is_some_and(|text| is_protocol_1_hello(&text)) {
            return Err((ErrorCode::ProtocolMismatch, Close::Reload));
        }
        return Err((ErrorCode::HelloFirst, Close::NoHello));
    };
    if protocol != PROTOCOL_VERSION {
        return Err((ErrorCode::ProtocolMismatch, Close::Reload));
    }
    let Some(name) = clean_name(&name) else {
        return Err((ErrorCode::BadHello, Close::BadName));
    };
    if !participant_key.is_well_formed() {
        return Err((ErrorCode::BadHello, Close::BadKey));
    }
    Ok(Joining {
        key: participant_key,
        name,
        role,
        claim,
    })
}

/// Whether `text` is a hello of protocol 1, whose messages named themselves in a `"type"` field: a page loaded
/// before the update, to be told to reload rather than that it sent no hello.
fn is_protocol_1_hello(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .is_ok_and(|v| v.get("type").and_then(|t| t.as_str()) == Some("hello"))
}

/// Refuses a connection before it joined: the error (to a client that reads JSON), then the close.
pub(in crate::relay) async fn refuse<K: Sink<Message> + Unpin>(sink: &mut K, json: Option<ErrorCode>, close: Close) {
    let mut sent = true;
    if let Some(Outbound::Text(text)) = json.map(|code| error(code, close.reason())) {
        sent = sink.send(Message::Text(text)).await.is_ok();
    }
    if !sent || sink.send(close_frame(close)).await.is_err() {
        // The client closed first (its close was the "hello"): the socket takes no frame of ours, but still owes
        // the protocol's answer to that close, which closing sends.
        let _ = sink.close().await;
    }
}
