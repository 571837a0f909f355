//! A workshop page's socket: the hello, the join, then a reader loop that hands commands to the workshop's actor,
//! with the same limits as a session's socket (frame size, messages per second, silence, relay pings).

use super::*;
use crate::relay::conn::hello::refuse;
use crate::relay::conn::reader::{refusal, Admit, RateWindow};
use crate::relay::conn::wire;
use crate::relay::outbox::{outbox, write_loop};
use axum::extract::ws::{Message, WebSocket};
use futures::StreamExt;
use tandem_core::session::clean_name;

/// Serves one workshop socket until either side ends it.
pub async fn serve_workshop(socket: WebSocket, relay: Relay, id: String, capability: Capability) {
    let limits = relay.limits;
    let (mut sink, mut stream) = socket.split();
    let hello = match tokio::time::timeout(limits.hello_timeout, stream.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<WorkshopClientMsg>(&text).ok(),
        _ => None,
    };
    let (key, name) = match hello {
        Some(WorkshopClientMsg::Hello {
            protocol,
            participant_key,
            name,
        }) => {
            if protocol != PROTOCOL_VERSION {
                refuse(&mut sink, Some(ErrorCode::ProtocolMismatch), Close::Reload).await;
                return;
            }
            let Some(name) = clean_name(&name) else {
                refuse(&mut sink, Some(ErrorCode::BadHello), Close::BadName).await;
                return;
            };
            if !participant_key.is_well_formed() {
                refuse(&mut sink, Some(ErrorCode::BadHello), Close::BadKey).await;
                return;
            }
            (participant_key, name)
        }
        _ => {
            let _ = refuse(&mut sink, Some(ErrorCode::HelloFirst), Close::NoHello).await;
            return;
        }
    };
    let Ok(actor) = relay.workshop(&id).await else {
        let _ = refuse(&mut sink, Some(ErrorCode::Unavailable), Close::Unavailable).await;
        return;
    };
    let conn = relay.next_conn_id();
    let (out, out_rx) = outbox(limits.outbox);
    let join = WorkshopMsg::Join {
        conn,
        outbox: out.clone(),
        capability,
        key,
        name,
    };
    if actor.send(join).await.is_err() {
        let _ = refuse(&mut sink, Some(ErrorCode::Unavailable), Close::SessionRestarting).await;
        return;
    }
    let mut writer = tokio::spawn(write_loop(wire(sink), out_rx));
    let mut stopping = relay.stopping();
    let mut pinger = tokio::time::interval_at(Instant::now() + limits.idle / 2, limits.idle / 2);
    pinger.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rate = RateWindow::new(limits.max_msgs_per_sec);
    let mut heard = Instant::now();
    let mut writer_done = false;
    // The connection ends because of what the client sent: read on for a moment (as a session's socket does).
    let mut refused = false;
    loop {
        let next = tokio::select! {
            _ = &mut writer => {
                writer_done = true;
                break;
            }
            _ = pinger.tick() => {
                let _ = out.try_send(Outbound::Ping);
                continue;
            }
            _ = stopping.wait_for(|stop| *stop) => {
                let _ = out.try_send(Outbound::Close(Close::ServerRestarting));
                break;
            }
            _ = actor.closed() => {
                let _ = out.try_send(Outbound::Close(Close::SessionRestarting));
                break;
            }
            next = tokio::time::timeout_at(heard + limits.idle, stream.next()) => next,
        };
        heard = Instant::now();
        let frame = match next {
            Err(_) => {
                let _ = out.try_send(Outbound::Close(Close::Idle));
                break;
            }
            Ok(None) => break,
            Ok(Some(Ok(Message::Close(_)))) => {
                // Reading on sends tungstenite's answer to the close (see below).
                refused = true;
                break;
            }
            Ok(Some(Err(e))) => {
                match refusal(&e) {
                    Some(Close::TooLarge) => {
                        let kib = limits.max_frame_bytes / 1024;
                        let message = format!("That message was larger than {kib} KiB and was refused.");
                        let _ = out.try_send(error(ErrorCode::TooLarge, &message));
                        let _ = out.try_send(Outbound::Close(Close::TooLarge));
                    }
                    Some(close) => {
                        let _ = out.try_send(Outbound::Close(close));
                    }
                    None => {}
                }
                refused = true;
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        match rate.admit() {
            Admit::Yes => {}
            Admit::FirstRefusal => {
                let _ = out.try_send(error(ErrorCode::RateLimited, "Too many messages; some were ignored."));
                continue;
            }
            Admit::No => continue,
        }
        let Message::Text(text) = frame else {
            if matches!(frame, Message::Binary(_)) {
                let _ = out.try_send(error(
                    ErrorCode::BadMessage,
                    "A workshop's socket takes text messages only.",
                ));
            }
            continue;
        };
        match serde_json::from_str::<WorkshopClientMsg>(&text) {
            Ok(WorkshopClientMsg::Ping { sent }) => {
                let _ = out.try_send(text_msg(&WorkshopServerMsg::Pong { sent, now: now_ms() }));
            }
            Ok(WorkshopClientMsg::Hello { .. }) => {
                let _ = out.try_send(error(ErrorCode::BadMessage, "Already joined on this connection."));
            }
            Ok(msg) => {
                if actor.send(WorkshopMsg::Command { conn, msg }).await.is_err() {
                    break;
                }
            }
            Err(_) => {
                let _ = out.try_send(error(ErrorCode::BadMessage, "Tandem did not understand that message."));
            }
        }
    }
    if refused {
        let drain = async { while let Some(Ok(_)) = stream.next().await {} };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    }
    let _ = actor.send(WorkshopMsg::Leave { conn }).await;
    drop(out);
    if !writer_done && tokio::time::timeout(Duration::from_secs(5), &mut writer).await.is_err() {
        writer.abort();
    }
}

fn text_msg(msg: &WorkshopServerMsg) -> Outbound {
    super::text(msg)
}
