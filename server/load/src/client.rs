//! The bench client: a y-websocket client (y-protocols v1) that syncs, then sends edits carrying unique markers
//! and awareness frames on the plan's timers, and times every marker it receives against the shared send times.

use crate::args::{Phase, Plan, Target};
use crate::page::{Join, Page, PING_EVERY};
use crate::shared::Shared;
use futures::{SinkExt, StreamExt};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

/// The notes section the clients type in: one of GROW's shared sections, since the relay refuses updates to any
/// other top-level name (issue 19).
const SECTION: &str = "goal-statement";

/// A bench client: connect, sync, then edits and awareness until the run is done. On the page socket it sends its
/// hello first, pings as a page does, and makes its breakout's phase changes if it has that duty.
pub async fn client(
    shared: Arc<Shared>,
    plan: Plan,
    global: usize,
    join: Join,
    gate: Arc<Semaphore>,
    ready: tokio::sync::mpsc::Sender<Result<(), String>>,
    phase: watch::Receiver<Phase>,
) {
    let doc = Doc::new();
    let text = doc.get_or_insert_text(SECTION);
    // tungstenite zero-fills its read buffer before every read: keep it small (frames here are under 200 bytes).
    let config = WebSocketConfig::default().read_buffer_size(1024).write_buffer_size(0);
    let permit = gate.acquire().await;
    let request = match crate::address::request(&join.url, &crate::address::honest()) {
        Ok(request) => request,
        Err(e) => {
            let _ = ready.send(Err(e)).await;
            return;
        }
    };
    let connected = timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async_with_config(request, Some(config), true),
    )
    .await;
    let (page, mut duty) = match join.page {
        Some(Page { hello, duty }) => (Some(hello), duty),
        None => (None, None),
    };
    let mut ws = match connected {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => {
            let _ = ready.send(Err(format!("connect: {e}"))).await;
            return;
        }
        Err(_) => {
            let _ = ready.send(Err("connect: timed out".into())).await;
            return;
        }
    };
    // A page says hello first (the relay then sends its welcome and its sync step 1).
    if let Some(hello) = &page {
        if ws.send(WsMessage::text(hello.as_str())).await.is_err() {
            let _ = ready.send(Err("send hello".into())).await;
            return;
        }
    }
    // The y-websocket client's opening: its sync step 1; the server answers with step 2, and sends its own step 1.
    let handshake = plan.target != Target::Bare;
    if handshake {
        let step1 = Message::Sync(SyncMessage::SyncStep1(doc.transact().state_vector())).encode_v1();
        if ws.send(WsMessage::Binary(step1.into())).await.is_err() {
            let _ = ready.send(Err("send sync step 1".into())).await;
            return;
        }
        let synced = timeout(Duration::from_secs(30), async {
            while let Some(Ok(msg)) = ws.next().await {
                match msg {
                    WsMessage::Binary(frame) => match frame.get(..2) {
                        Some([0, 0]) => reply_step1(&mut ws, &doc, &frame).await?,
                        Some([0, 1]) => return Ok(()),
                        _ => {}
                    },
                    WsMessage::Text(text) => {
                        if let Some(duty) = duty.as_mut() {
                            duty.observe(&text);
                        }
                    }
                    _ => {}
                }
            }
            Err("closed during the sync handshake".to_string())
        })
        .await;
        match synced {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = ready.send(Err(e)).await;
                return;
            }
            Err(_) => {
                let _ = ready.send(Err("sync handshake timed out".into())).await;
                return;
            }
        }
    }
    drop(permit);
    shared.connected.fetch_add(1, Ordering::Relaxed);
    let _ = ready.send(Ok(())).await;

    let room = global / shared.clients_per_room;
    let mut next_seq = vec![0usize; shared.clients_per_room];
    let mut seq = 0usize;
    let mut aware_clock = 0u32;
    let client_id = doc.client_id();
    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    let (mut next_edit, mut next_aware, mut next_ping, mut send_end) = (far, far, far, far);
    // A page pings from the start: the relay closes sockets silent for 10 s.
    let ping_every = if page.is_some() { PING_EVERY } else { plan.ping_interval };
    if page.is_some() {
        next_ping = Instant::now() + ping_every.mul_f64(rand::random::<f64>());
    }
    let period = Duration::from_secs_f64(1.0 / plan.rate.max(1e-9));
    // Timers live across loop turns (re-created per turn they would cost three timer registrations per frame).
    let edit_timer = tokio::time::sleep_until(far);
    let aware_timer = tokio::time::sleep_until(far);
    let ping_timer = tokio::time::sleep_until(next_ping);
    let change_timer = tokio::time::sleep_until(far);
    let mut run_start = None;
    // Likewise the wait for the next phase: a fresh `changed()` per turn would lock the channel's waiter list.
    let phase_change = next_phase(phase);
    tokio::pin!(edit_timer, aware_timer, ping_timer, change_timer, phase_change);
    loop {
        tokio::select! {
            (rx, changed) = &mut phase_change => {
                phase_change.set(next_phase(rx));
                match changed {
                    Some(Phase::Connect) => {}
                    None | Some(Phase::Done) => break,
                    Some(Phase::Run { start }) => {
                        send_end = start + plan.duration;
                        run_start = Some(start);
                        if let Some(at) = duty.as_ref().and_then(|d| d.due(start)) {
                            change_timer.as_mut().reset(at);
                        }
                        if plan.idle {
                            // A page pings on its own clock already.
                            if page.is_none() {
                                next_ping = start + plan.ping_interval.mul_f64(rand::random::<f64>());
                                ping_timer.as_mut().reset(next_ping);
                            }
                        } else {
                            next_edit = start + period.mul_f64(rand::random::<f64>());
                            edit_timer.as_mut().reset(next_edit);
                            if let Some(every) = plan.awareness_interval {
                                next_aware = start + every.mul_f64(rand::random::<f64>());
                                aware_timer.as_mut().reset(next_aware);
                            }
                        }
                    }
                }
            }
            msg = ws.next() => {
                let frame = match msg {
                    Some(Ok(WsMessage::Binary(frame))) => frame,
                    Some(Ok(WsMessage::Close(close))) => {
                        lost(&shared, global, &format!("closed by the server: {close:?}"));
                        break;
                    }
                    Some(Ok(WsMessage::Text(text))) => {
                        if let Some(duty) = duty.as_mut() {
                            duty.observe(&text);
                        }
                        continue;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        lost(&shared, global, &e.to_string());
                        break;
                    }
                    None => {
                        lost(&shared, global, "connection ended");
                        break;
                    }
                };
                shared.frames_in.fetch_add(1, Ordering::Relaxed);
                match frame.get(..2) {
                    Some([0, 2]) => count_markers(&shared, global, room, &frame, &mut next_seq),
                    Some([0, 0]) => {
                        if reply_step1(&mut ws, &doc, &frame).await.is_err() {
                            lost(&shared, global, "could not answer sync step 1");
                            break;
                        }
                    }
                    Some([1, _]) => {
                        shared.awareness_in.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
            _ = &mut edit_timer => {
                if next_edit >= send_end || seq + 1 >= shared.max_seq {
                    edit_timer.as_mut().reset(far);
                    continue;
                }
                let frame = edit(&doc, &text, global, seq);
                let slot = global * shared.max_seq + seq;
                shared.sent_at[slot].store(shared.now_ns() + 1, Ordering::Relaxed);
                shared.sent.fetch_add(1, Ordering::Relaxed);
                shared.expected.fetch_add(shared.clients_per_room as u64 - 1, Ordering::Relaxed);
                seq += 1;
                next_edit += period;
                edit_timer.as_mut().reset(next_edit);
                if ws.send(WsMessage::Binary(frame.into())).await.is_err() {
                    lost(&shared, global, "send failed");
                    break;
                }
            }
            _ = &mut aware_timer => {
                let Some(every) = plan.awareness_interval.filter(|_| next_aware < send_end) else {
                    aware_timer.as_mut().reset(far);
                    continue;
                };
                next_aware += every;
                aware_timer.as_mut().reset(next_aware);
                aware_clock += 1;
                let json = format!(r##"{{"user":{{"name":"bench {global}","color":"#3366cc"}},"cursor":null}}"##);
                let update = AwarenessUpdate {
                    clients: [(client_id, AwarenessUpdateEntry { clock: aware_clock, json: json.into() })].into(),
                };
                shared.awareness_out.fetch_add(1, Ordering::Relaxed);
                if ws.send(WsMessage::Binary(Message::Awareness(update).encode_v1().into())).await.is_err() {
                    lost(&shared, global, "send failed");
                    break;
                }
            }
            _ = &mut ping_timer => {
                next_ping += ping_every;
                ping_timer.as_mut().reset(next_ping);
                let ping = match page {
                    Some(_) => WsMessage::text(Page::ping(shared.now_ns() as f64 / 1e6)),
                    None => WsMessage::Ping(Vec::new().into()),
                };
                if ws.send(ping).await.is_err() {
                    lost(&shared, global, "ping failed");
                    break;
                }
            }
            _ = &mut change_timer => {
                let (Some(duty), Some(start)) = (duty.as_mut(), run_start) else {
                    change_timer.as_mut().reset(far);
                    continue;
                };
                let command = duty.command(&shared);
                change_timer.as_mut().reset(duty.due(start).unwrap_or(far));
                if let Some(command) = command {
                    if ws.send(WsMessage::text(command)).await.is_err() {
                        lost(&shared, global, "send failed");
                        break;
                    }
                }
            }
        }
    }
    let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
}

/// Waits for the next phase; gives the receiver back for the wait after it (`None`: the run is over).
async fn next_phase(mut rx: watch::Receiver<Phase>) -> (watch::Receiver<Phase>, Option<Phase>) {
    let phase = match rx.changed().await {
        Ok(()) => Some(*rx.borrow_and_update()),
        Err(_) => None,
    };
    (rx, phase)
}

/// Counts a connection lost before the end of the run (and says why, for the first few).
fn lost(shared: &Shared, global: usize, why: &str) {
    let n = shared.disconnects.fetch_add(1, Ordering::Relaxed);
    if n < 5 {
        eprintln!("tandem-load: client {global} lost its connection: {why}");
    }
}

/// Answers a sync step 1 with what this client has that the sender lacks (sync step 2).
async fn reply_step1<S>(ws: &mut S, doc: &Doc, frame: &[u8]) -> Result<(), String>
where
    S: futures::Sink<WsMessage> + Unpin,
{
    let sv = match Message::decode_v1(frame) {
        Ok(Message::Sync(SyncMessage::SyncStep1(sv))) => sv,
        _ => StateVector::default(),
    };
    let diff = doc.transact().encode_diff_v1(&sv);
    let step2 = Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1();
    ws.send(WsMessage::Binary(step2.into()))
        .await
        .map_err(|_| "send sync step 2".to_string())
}

/// One edit: appends the marker of (client, seq) to the client's text; the y-sync `Update` frame carrying it.
pub fn edit(doc: &Doc, text: &yrs::TextRef, global: usize, seq: usize) -> Vec<u8> {
    let mut txn = doc.transact_mut();
    text.push(&mut txn, &format!("#{global}:{seq};"));
    let update = txn.encode_update_v1();
    drop(txn);
    Message::Sync(SyncMessage::Update(update)).encode_v1()
}

/// Finds the `#client:seq;` markers in an update frame and records each delivery.
pub fn count_markers(shared: &Shared, me: usize, room: usize, frame: &[u8], next_seq: &mut [usize]) {
    let now = shared.now_ns();
    let mut i = 0;
    while let Some(pos) = frame[i..].iter().position(|&b| b == b'#') {
        i += pos + 1;
        let Some((client, after)) = number(frame, i) else {
            continue;
        };
        if frame.get(after) != Some(&b':') {
            continue;
        }
        let Some((seq, end)) = number(frame, after + 1) else {
            continue;
        };
        if frame.get(end) != Some(&b';') {
            continue;
        }
        i = end + 1;
        if client >= shared.total_clients || seq >= shared.max_seq || client / shared.clients_per_room != room {
            shared.unknown.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if client == me {
            shared.echoes.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let sent = shared.sent_at[client * shared.max_seq + seq].load(Ordering::Relaxed);
        if sent == 0 {
            shared.unknown.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let member = client % shared.clients_per_room;
        if seq < next_seq[member] {
            shared.duplicates.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        next_seq[member] = seq + 1;
        shared.received.fetch_add(1, Ordering::Relaxed);
        shared.hist.record(now.saturating_sub(sent - 1) / 1000);
    }
}

/// A decimal number at `at`: its value and the index after it.
fn number(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let digits = bytes.get(at..)?.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let text = std::str::from_utf8(&bytes[at..at + digits]).ok()?;
    Some((text.parse().ok()?, at + digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_survive_the_v1_encoding_and_are_counted_once() {
        let shared = Shared::new(2, 4, 4);
        for at in &shared.sent_at {
            at.store(1, Ordering::Relaxed);
        }
        let doc = Doc::new();
        let text = doc.get_or_insert_text(SECTION);
        let first = edit(&doc, &text, 3, 0);
        let second = edit(&doc, &text, 3, 1);
        let mut next = vec![0; 2];
        // Client 2 is in room 1 with client 3; client 1 (room 0) sees a marker from another room.
        count_markers(&shared, 2, 1, &first, &mut next);
        count_markers(&shared, 2, 1, &second, &mut next);
        count_markers(&shared, 2, 1, &first, &mut next);
        count_markers(&shared, 3, 1, &second, &mut next);
        count_markers(&shared, 1, 0, &second, &mut [0; 2]);
        assert_eq!(shared.received.load(Ordering::Relaxed), 2);
        assert_eq!(shared.duplicates.load(Ordering::Relaxed), 1);
        assert_eq!(shared.echoes.load(Ordering::Relaxed), 1);
        assert_eq!(shared.unknown.load(Ordering::Relaxed), 1);
    }
}
