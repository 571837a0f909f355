//! `--attack` (Tandem only): while the honest clients run, the attacks of issue 19 run against sessions of their
//! own on the same relay, each from an address of its own (crate::address), for the whole sending window. The run's
//! report then says what the honest clients got meanwhile (latency, missing deliveries), what the relay's memory and
//! database did, and, per attack, how much was sent and how much the relay refused or cut off.
//!
//! - `outbox`: observers that ask for a ~600 KB document 200 times a second and never read;
//! - `delete_only`: y-sync updates that only delete items of authors the relay never saw;
//! - `awareness`: presence frames of 500 entries each, for ids nobody holds (null states) and others' ids;
//! - `timer`: host sockets sending "+1 min" 50 times a second;
//! - `people`: new participant keys joining over the observer link, one after the other;
//! - `create`: `create_session` calls, one after the other;
//! - `slowloris`: HTTP connections that send one header byte a second and never finish.

use crate::address::{attacker, request};
use crate::args::Phase;
use crate::page::{new_key, Page};
use crate::rooms::{create, create_request, http_post_from, socket_url, CreatedSession};
use futures::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tandem_core::protocol::ClientMsg;
use tandem_core::session::{RoomId, TimerCommand};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{interval, timeout, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::encoding::write::Write;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

/// The attacks, in the order of the report.
pub const KINDS: [&str; 7] = [
    "outbox",
    "delete_only",
    "awareness",
    "timer",
    "people",
    "create",
    "slowloris",
];

/// What one attack did.
#[derive(Default)]
pub struct Counts {
    /// Frames, joins, requests or connections sent.
    pub sent: AtomicU64,
    /// Refused with an error message, a 429, or a close with a code.
    pub refused: AtomicU64,
    /// Connections the relay cut off (closed or reset without a word).
    pub dropped: AtomicU64,
}

/// The attacks' counts, by [`KINDS`].
pub type Tally = Arc<Vec<Counts>>;

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Sets the attacks up (their sessions) and starts them; they run from the start of the run's sending window to its
/// end.
pub async fn start(
    addr: &str,
    duration: Duration,
    phase: watch::Receiver<Phase>,
) -> Result<(Tally, Vec<JoinHandle<()>>), String> {
    let tally: Tally = Arc::new(KINDS.iter().map(|_| Counts::default()).collect());
    let body = create_request(addr, None).await?;
    let mut tasks = Vec::new();
    for (n, kind) in KINDS.iter().enumerate() {
        let session = create(addr, &body).await?;
        let setup = Setup {
            addr: addr.to_string(),
            from: attacker(n as u8 + 1),
            session,
            body: body.clone(),
        };
        let (tally, mut phase) = (tally.clone(), phase.clone());
        setup.prepare(kind).await?;
        tasks.push(tokio::spawn(async move {
            let start = loop {
                if let Phase::Run { start } = *phase.borrow_and_update() {
                    break start;
                }
                if phase.changed().await.is_err() {
                    return;
                }
            };
            tokio::time::sleep_until(start).await;
            let end = start + duration;
            let counts = &tally[n];
            let _ = timeout(duration, setup.run(kind, counts, end)).await;
        }));
    }
    Ok((tally, tasks))
}

/// The report's part: per attack, what was sent, refused and cut off.
pub fn report(tally: &Tally) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (kind, c) in KINDS.iter().zip(tally.iter()) {
        out.insert(
            kind.to_string(),
            serde_json::json!({
                "sent": c.sent.load(Ordering::Relaxed),
                "refused": c.refused.load(Ordering::Relaxed),
                "dropped": c.dropped.load(Ordering::Relaxed),
            }),
        );
    }
    serde_json::Value::Object(out)
}

/// One attack's session and address.
struct Setup {
    addr: String,
    from: String,
    session: CreatedSession,
    body: String,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

impl Setup {
    /// The socket URL of the session's `link` on `endpoint` (`ws` or `yjs`).
    fn url(&self, link: &str, endpoint: &str) -> Result<String, String> {
        socket_url(&self.addr, link, "/s/", endpoint)
    }

    async fn connect(&self, url: &str) -> Result<Socket, String> {
        let (ws, _) = timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async(request(url, &self.from)?),
        )
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
        Ok(ws)
    }

    /// What an attack needs before the run: for `outbox`, a session whose notes are about 600 KB.
    async fn prepare(&self, kind: &str) -> Result<(), String> {
        if kind != "outbox" {
            return Ok(());
        }
        let mut writer = self.connect(&self.url(&self.session.participant_link, "yjs")?).await?;
        let doc = Doc::new();
        let text = doc.get_or_insert_text("goal-statement");
        text.insert(&mut doc.transact_mut(), 0, &"Plenty of notes. ".repeat(36_000));
        let update = doc.transact().encode_state_as_update_v1(&StateVector::default());
        let frame = Message::Sync(SyncMessage::Update(update)).encode_v1();
        writer.send(WsMessage::binary(frame)).await.map_err(|e| e.to_string())?;
        // The relay answers a step 1 after the update: once that answer is here, the update was applied.
        let step1 = Message::Sync(SyncMessage::SyncStep1(doc.transact().state_vector())).encode_v1();
        writer.send(WsMessage::binary(step1)).await.map_err(|e| e.to_string())?;
        loop {
            match timeout(Duration::from_secs(10), writer.next()).await {
                Ok(Some(Ok(WsMessage::Binary(b)))) => {
                    if let Ok(Message::Sync(SyncMessage::SyncStep2(_))) = Message::decode_v1(&b) {
                        break;
                    }
                }
                Ok(Some(Ok(_))) => {}
                other => return Err(format!("the outbox attack's document was not taken: {other:?}")),
            }
        }
        let _ = writer.close(None).await;
        Ok(())
    }

    async fn run(&self, kind: &str, counts: &Counts, end: Instant) {
        match kind {
            "outbox" => {
                let Ok(url) = self.url(&self.session.observer_link, "yjs") else {
                    return;
                };
                let attackers = (0..3).map(|_| self.unread_step1s(&url, counts, end));
                futures::future::join_all(attackers).await;
            }
            "delete_only" => self.frames(counts, end, 50, |_| delete_only()).await,
            "awareness" => self.frames(counts, end, 20, crowd).await,
            "timer" => {
                let floods = (0..3).map(|_| self.timer_flood(counts, end));
                futures::future::join_all(floods).await;
            }
            "people" => self.people(counts, end).await,
            "create" => {
                while Instant::now() < end {
                    add(&counts.sent);
                    match http_post_from(&self.addr, "/api/create_session", &self.body, &self.from).await {
                        Ok((status, _)) if status.contains(" 429") => add(&counts.refused),
                        Ok(_) => {}
                        Err(_) => add(&counts.dropped),
                    }
                }
            }
            _ => {
                let holds = (0..150).map(|_| self.slow_headers(counts, end));
                futures::future::join_all(holds).await;
            }
        }
    }

    /// An observer socket that sends sync step 1 with an empty state vector 200 times a second and never reads;
    /// when the relay cuts it off, another one.
    async fn unread_step1s(&self, url: &str, counts: &Counts, end: Instant) {
        let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
        // One tick paces the frames and the reconnects alike (a refused reconnect does not spin).
        let mut tick = interval(Duration::from_millis(5));
        while Instant::now() < end {
            tick.tick().await;
            let Ok(mut ws) = self.connect(url).await else {
                add(&counts.refused);
                continue;
            };
            while Instant::now() < end {
                tick.tick().await;
                add(&counts.sent);
                if ws.send(WsMessage::binary(step1.clone())).await.is_err() {
                    add(&counts.dropped);
                    break;
                }
            }
        }
    }

    /// A participant's Yjs socket sending `frame(n)` `per_second` times a second, reading what comes back; when the
    /// relay closes it (counted as refused when it gives a code), another one.
    async fn frames(&self, counts: &Counts, end: Instant, per_second: u64, frame: impl Fn(u64) -> Vec<u8>) {
        let Ok(url) = self.url(&self.session.participant_link, "yjs") else {
            return;
        };
        let mut n = 0;
        // One tick paces the frames and the reconnects alike (a refused reconnect does not spin).
        let mut tick = interval(Duration::from_micros(1_000_000 / per_second));
        while Instant::now() < end {
            tick.tick().await;
            let Ok(ws) = self.connect(&url).await else {
                add(&counts.refused);
                continue;
            };
            let (mut tx, mut rx) = ws.split();
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if Instant::now() >= end { return; }
                        n += 1;
                        add(&counts.sent);
                        if tx.send(WsMessage::binary(frame(n))).await.is_err() {
                            add(&counts.dropped);
                            break;
                        }
                    }
                    got = rx.next() => match got {
                        Some(Ok(WsMessage::Close(Some(_)))) => { add(&counts.refused); break; }
                        Some(Ok(_)) => {}
                        _ => { add(&counts.dropped); break; }
                    }
                }
            }
        }
    }

    /// The host's page socket sending "+1 min" 50 times a second; each error answer is a refusal.
    async fn timer_flood(&self, counts: &Counts, end: Instant) {
        let Ok(url) = self.url(&self.session.host_link, "ws") else {
            return;
        };
        let Ok(ws) = self.connect(&url).await else {
            add(&counts.refused);
            return;
        };
        let (mut tx, mut rx) = ws.split();
        let hello = Page::new(&new_key(), "Flood", None).hello;
        if tx.send(WsMessage::text(hello)).await.is_err() {
            return;
        }
        let command = serde_json::to_string(&ClientMsg::Timer {
            room: RoomId::MAIN,
            command: TimerCommand::AddTime { seconds: 60 },
        })
        .expect("a wire message serializes");
        let mut tick = interval(Duration::from_millis(20));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if Instant::now() >= end { return; }
                    add(&counts.sent);
                    if tx.send(WsMessage::text(command.clone())).await.is_err() {
                        add(&counts.dropped);
                        return;
                    }
                }
                got = rx.next() => match got {
                    Some(Ok(WsMessage::Text(t))) if t.starts_with(r#"{"error""#) => add(&counts.refused),
                    Some(Ok(_)) => {}
                    _ => { add(&counts.dropped); return; }
                }
            }
        }
    }

    /// New participant keys joining over the observer link, one after the other: each is welcomed or refused.
    async fn people(&self, counts: &Counts, end: Instant) {
        let Ok(url) = self.url(&self.session.observer_link, "ws") else {
            return;
        };
        while Instant::now() < end {
            add(&counts.sent);
            let Ok(mut ws) = self.connect(&url).await else {
                add(&counts.refused);
                continue;
            };
            let hello = Page::new(&new_key(), "Crowd", None).hello;
            if ws.send(WsMessage::text(hello)).await.is_err() {
                add(&counts.dropped);
                continue;
            }
            loop {
                match timeout(Duration::from_secs(5), ws.next()).await {
                    Ok(Some(Ok(WsMessage::Text(t)))) if t.starts_with(r#"{"welcome""#) => break,
                    Ok(Some(Ok(WsMessage::Text(t)))) if t.starts_with(r#"{"error""#) => {
                        add(&counts.refused);
                        break;
                    }
                    Ok(Some(Ok(WsMessage::Close(_)))) => {
                        add(&counts.refused);
                        break;
                    }
                    Ok(Some(Ok(_))) => {}
                    _ => {
                        add(&counts.dropped);
                        break;
                    }
                }
            }
            let _ = ws.close(None).await;
        }
    }

    /// An HTTP connection that sends a request's headers one byte a second; dropped when the relay closes it.
    async fn slow_headers(&self, counts: &Counts, end: Instant) {
        let Ok(mut tcp) = TcpStream::connect(&self.addr).await else {
            add(&counts.refused);
            return;
        };
        add(&counts.sent);
        let head = format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nX-Forwarded-For: {}\r\nX-Slow: ",
            self.addr, self.from
        );
        if tcp.write_all(head.as_bytes()).await.is_err() {
            add(&counts.dropped);
            return;
        }
        let mut tick = interval(Duration::from_secs(1));
        let mut buf = [0u8; 256];
        while Instant::now() < end {
            tokio::select! {
                _ = tick.tick() => {
                    if tcp.write_all(b"a").await.is_err() {
                        add(&counts.dropped);
                        return;
                    }
                }
                read = tcp.read(&mut buf) => {
                    // Closed (0) or answered (a 408): either way the relay stopped waiting.
                    let _ = read;
                    add(&counts.dropped);
                    return;
                }
            }
        }
    }
}

/// A y-sync update that only deletes 1,000 items of an author nobody saw (a random client id).
fn delete_only() -> Vec<u8> {
    let mut update = EncoderV1::new();
    update.write_var(0u32); // no new items
    update.write_var(1u32); // one author in the delete set
    update.write_var(rand::random::<u32>() as u64);
    update.write_var(1u32); // one range
    update.write_var(0u32); // from clock 0
    update.write_var(1000u32); // 1,000 items
    Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1()
}

/// A presence frame of 500 entries for random ids, most with a null state (a removal), the rest with a name.
fn crowd(n: u64) -> Vec<u8> {
    let clients = (0..500u64)
        .map(|i| {
            let json = if i % 5 == 0 {
                r#"{"user":{"name":"Crowd"}}"#
            } else {
                "null"
            };
            let entry = AwarenessUpdateEntry {
                clock: n as u32,
                json: json.into(),
            };
            (yrs::block::ClientID::new(rand::random::<u32>() as u64), entry)
        })
        .collect();
    Message::Awareness(AwarenessUpdate { clients }).encode_v1()
}
