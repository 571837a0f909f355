//! The live-session relay: WebSocket upgrade, one actor per session, bounded queues.

mod actor;
pub mod leases;
pub use actor::{MAX_COMMITMENTS, MAX_CONNS, MAX_FEEDBACK_PER_GIVER, MAX_PEOPLE, TIMER_CHANGES_BURST};
mod conn;
pub mod notes;
mod outbox;
pub mod workshop;

pub use actor::ConnId;
use actor::{Actor, ActorMsg};
pub use conn::{serve, serve_connection, Endpoint, Limits, Socket};

use crate::error::AppError;
use crate::store::Store;
use crate::AppState;
use axum::extract::ws::{Utf8Bytes, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tandem_core::protocol::Close;
use tandem_core::session::{Capability, Millis, SessionId};
use tokio::sync::mpsc;

/// A frame queued for one connection.
#[derive(Clone, Debug)]
pub enum Outbound {
    /// A JSON text frame (shared bytes).
    Text(Utf8Bytes),
    /// A binary frame (y-sync notes protocol).
    Binary(axum::body::Bytes),
    /// Close the connection, saying why (code and reason).
    Close(Close),
    /// A WebSocket ping: browsers answer it even in a background tab whose timers are throttled.
    Ping,
}

impl Outbound {
    /// The bytes of the frame's payload (what a queue of frames holds).
    pub fn payload_len(&self) -> usize {
        match self {
            Outbound::Text(text) => text.len(),
            Outbound::Binary(bytes) => bytes.len(),
            Outbound::Close(_) | Outbound::Ping => 0,
        }
    }
}

/// Relay time in ms since the epoch.
pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// Finds or starts the actor of each live session.
#[derive(Clone)]
pub struct Relay {
    store: Store,
    actors: Arc<Mutex<HashMap<SessionId, Inbox>>>,
    next_conn: Arc<AtomicU64>,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// The running workshop actors.
    workshops: workshop::Workshops,
    /// The leases of the sessions and workshops this relay runs, when several relays share PostgreSQL.
    leases: Option<Arc<leases::Leases>>,
    /// One start at a time per session or workshop: two connections arriving together take one lease, not two
    /// epochs (the second of which would fence the first).
    starting: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// Set at SIGTERM when the relay drains (`--drain-seconds`): `/healthz` says 503 so the load balancer sends new
    /// connections elsewhere before the sockets close.
    draining: Arc<std::sync::atomic::AtomicBool>,
    /// Limits applied to every connection.
    pub limits: Limits,
}

/// Most bytes of notes frames waiting in one session's inbox, from all its connections together: a reader that would
/// go past it waits (and so stops reading its socket) until the actor has worked through some. The inbox's count of
/// 1,024 messages alone would let it hold over a gigabyte of largest frames.
pub const MAX_INBOX_BYTES: usize = 8 * 1024 * 1024;

/// A session actor's inbox: its channel, and the bytes of notes frames that may still wait in it
/// ([`MAX_INBOX_BYTES`]; each notes message holds its frame's share until the actor has handled it).
#[derive(Clone)]
pub struct Inbox {
    /// The actor's channel.
    pub tx: mpsc::Sender<ActorMsg>,
    /// Bytes of notes frames that may be sent to it now.
    pub bytes: Arc<tokio::sync::Semaphore>,
}

/// Why the relay could not hand out a session actor.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The session does not exist.
    #[error("no such session")]
    NotFound,
    /// Loading failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A change could not be stored, or the actor could not be reached.
    #[error("the change could not be stored")]
    Unavailable,
    /// Another relay runs it and did not hand it over in time.
    #[error("another relay runs this session")]
    Moved,
}

impl Relay {
    /// A relay over `store`; on PostgreSQL it takes leases that lapse `lease_ttl` after their last renewal.
    pub fn new(store: Store, limits: Limits, lease_ttl: std::time::Duration) -> Self {
        let leases = (store.engine() == crate::store::Engine::Postgres)
            .then(|| Arc::new(leases::Leases::new(store.clone(), lease_ttl)));
        Relay {
            store,
            actors: Arc::default(),
            next_conn: Arc::new(AtomicU64::new(1)),
            stopping: Arc::new(tokio::sync::watch::channel(false).0),
            workshops: workshop::Workshops::default(),
            leases,
            starting: Arc::default(),
            draining: Arc::default(),
            limits,
        }
    }

    /// This relay's leases, when it shares PostgreSQL with others.
    pub fn leases(&self) -> Option<&Arc<leases::Leases>> {
        self.leases.as_ref()
    }

    /// Runs `start` (which starts `id`'s actor if it is not running yet) alone among the starts of `id`.
    pub(crate) async fn one_start<T>(&self, id: &str, start: impl std::future::Future<Output = T>) -> T {
        let gate = {
            let mut starting = self.starting.lock().unwrap_or_else(|e| e.into_inner());
            starting.entry(id.to_string()).or_default().clone()
        };
        let result = {
            let _turn = gate.lock().await;
            start.await
        };
        let mut starting = self.starting.lock().unwrap_or_else(|e| e.into_inner());
        // The map's and this one: nobody else waits.
        if Arc::strong_count(&gate) == 2 {
            starting.remove(id);
        }
        result
    }

    /// The store for the actor of `id` (a session's id, or `w:` and a workshop's): with several relays, fenced by
    /// the lease taken for it (`leases.rs`).
    pub(crate) async fn owner_store(&self, id: &str) -> Result<(Store, Option<Arc<crate::store::Lease>>), RelayError> {
        match &self.leases {
            None => Ok((self.store.clone(), None)),
            Some(leases) => {
                let lease = leases.take(id).await?;
                Ok((self.store.fenced(lease.clone()), Some(lease)))
            }
        }
    }

    /// Lets go of the lease of an actor that stopped.
    pub(crate) async fn let_go(&self, lease: Option<Arc<crate::store::Lease>>) {
        if let (Some(leases), Some(lease)) = (&self.leases, lease) {
            leases.release(&lease).await;
        }
    }

    /// A fresh connection id.
    pub fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// The inbox of `id`'s actor, starting it (from the store) if it is not running.
    pub(crate) async fn actor(&self, id: &SessionId) -> Result<Inbox, RelayError> {
        if let Some(inbox) = self.running_inbox(id) {
            return Ok(inbox);
        }
        // Boxed: the loading future (store queries) is large, and every connection task awaits this one; inline,
        // it tripled the memory each idle connection holds (docs/performance.md).
        Box::pin(self.one_start(&id.0, self.start_actor(id))).await
    }

    async fn start_actor(&self, id: &SessionId) -> Result<Inbox, RelayError> {
        // Another connection may have started it while this one waited its turn.
        if let Some(inbox) = self.running_inbox(id) {
            return Ok(inbox);
        }
        // An actor that is stopping (its inbox closed) saves its notes first: the next one starts after it, from
        // what it saved (and, with leases, without fencing its last write).
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.actors.lock().unwrap_or_else(|e| e.into_inner()).contains_key(id)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let (store, lease) = self.owner_store(&id.0).await?;
        if lease.as_ref().is_some_and(|l| l.epoch > 1) {
            // The former owner's open stays end now: it is gone, or it handed the session over.
            store.close_session_attendance(id, now_ms()).await?;
        }
        let actor = match Actor::load(store, id.clone(), self.workshops.clone()).await {
            Ok(Some(actor)) => actor,
            Ok(None) => {
                self.let_go(lease).await;
                return Err(RelayError::NotFound);
            }
            Err(e) => {
                self.let_go(lease).await;
                return Err(e.into());
            }
        };
        let (tx, rx) = mpsc::channel(1024);
        let inbox = Inbox {
            tx: tx.clone(),
            bytes: Arc::new(tokio::sync::Semaphore::new(MAX_INBOX_BYTES)),
        };
        self.actors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), inbox.clone());
        let relay = self.clone();
        let id = id.clone();
        let done = tx;
        let stopping = self.stopping();
        tokio::spawn(async move {
            actor.run(rx, stopping).await;
            {
                let mut actors = relay.actors.lock().unwrap_or_else(|e| e.into_inner());
                if actors.get(&id).is_some_and(|inbox| inbox.tx.same_channel(&done)) {
                    actors.remove(&id);
                }
            }
            relay.let_go(lease).await;
        });
        Ok(inbox)
    }

    fn running_inbox(&self, id: &SessionId) -> Option<Inbox> {
        let actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors.get(id).filter(|inbox| !inbox.tx.is_closed()).cloned()
    }

    pub(crate) fn running(&self, id: &SessionId) -> Option<mpsc::Sender<ActorMsg>> {
        self.running_inbox(id).map(|inbox| inbox.tx)
    }

    /// Deletes a session (not one of a workshop: see [`Relay::delete_workshop`]) and everything of it; its pages
    /// are told and closed. The rows go first: a page that reconnects meanwhile finds no session, and the actor's
    /// last write, if any, fails on the missing session. `false` if there was none.
    pub async fn delete_session(&self, id: &SessionId) -> Result<bool, crate::store::StoreError> {
        let deleted = self.store.delete_session(id).await?;
        if let Some(tx) = self.running(id) {
            let _ = tx.send(ActorMsg::Deleted).await;
        }
        Ok(deleted)
    }

    /// Deletes a workshop with its breakouts, closing any breakout page still open.
    pub async fn delete_workshop(&self, workshop: &str) -> Result<(), crate::store::StoreError> {
        let breakouts = self.store.breakouts_of(workshop).await?;
        self.store.delete_workshop(workshop).await?;
        for id in breakouts {
            if let Some(tx) = self.running(&id) {
                let _ = tx.send(ActorMsg::Deleted).await;
            }
        }
        Ok(())
    }

    /// Deletes what has had nothing new for `days` days (retention); returns how many sessions and workshops.
    pub async fn sweep(&self, days: u32) -> Result<(usize, usize), crate::store::StoreError> {
        self.sweep_before(now_ms() - i64::from(days) * 86_400_000).await
    }

    /// Deletes what has had nothing new since `before` ([`Relay::sweep`]).
    pub async fn sweep_before(&self, before: Millis) -> Result<(usize, usize), crate::store::StoreError> {
        let (sessions, workshops) = self.store.stale(before).await?;
        for id in &sessions {
            self.delete_session(id).await?;
        }
        for id in &workshops {
            self.delete_workshop(id).await?;
        }
        Ok((sessions.len(), workshops.len()))
    }

    /// Starts draining: `/healthz` answers 503 from now on.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Whether the relay drains.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Tells every connection the relay is going away ([`Close::ServerRestarting`]: clients reconnect).
    pub fn shut_down(&self) {
        self.stopping.send_replace(true);
    }

    /// Whether [`Relay::shut_down`] was called, for tasks beside the relay that stop with it.
    pub fn stopping_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Resolves once [`Relay::shut_down`] was called.
    pub(crate) fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Number of sessions with a running actor.
    pub fn live_sessions(&self) -> usize {
        self.actors.lock().map(|a| a.len()).unwrap_or(0)
    }
}

/// Query of the socket URL.
#[derive(serde::Deserialize)]
pub struct SocketQuery {
    /// The link's token.
    #[serde(default)]
    t: String,
}

/// Checks the link's token, then the browser origin (when there is one); returns what the link allows. The token
/// comes first: a refused origin is logged, and only someone holding a valid link can make it log anything.
async fn authorize(state: &AppState, session: &str, token: &str, headers: &HeaderMap) -> Result<Capability, AppError> {
    let record = state.store.session(session).await?.ok_or(AppError::InvalidLink)?;
    let capability = record.capability_of(token).ok_or(AppError::InvalidLink)?;
    check_origin(state, headers)?;
    Ok(capability)
}

/// A browser's socket must come from Tandem's own pages (non-browser clients send no `Origin` and rely on the token).
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    if let Some(origin) = headers.get(axum::http::header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
        if !state.allowed_origins.contains(&origin) {
            tracing::warn!(%origin, "refused a WebSocket from another origin");
            return Err(AppError::ForbiddenOrigin);
        }
    }
    Ok(())
}

/// Frames written to a connection are gathered up to this size before a `send` call; whoever writes (the session
/// actor or the connection's writer task, `outbox.rs`) flushes the rest after each batch. With 0, every frame was a system call of its own: `send` was half of
/// the relay's CPU time under load (docs/performance.md). The buffer only grows as far as a batch needs.
const WRITE_BUFFER_BYTES: usize = 4096;

/// The upgrade with the relay's frame and buffer limits.
fn limited(upgrade: WebSocketUpgrade, limits: Limits) -> WebSocketUpgrade {
    upgrade
        .max_message_size(limits.max_frame_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .read_buffer_size(limits.read_buffer_bytes)
        .write_buffer_size(WRITE_BUFFER_BYTES)
}

/// What both socket routes take from the request: the session id, the link's token, the headers (for `Origin`)
/// and the upgrade.
type SocketRequest = (
    State<AppState>,
    Path<String>,
    Query<SocketQuery>,
    HeaderMap,
    Option<axum::Extension<crate::limits::SocketSlot>>,
    WebSocketUpgrade,
);

/// Checks the origin and the link, then upgrades the request to a connection of `endpoint`.
async fn upgrade_to(endpoint: Endpoint, request: SocketRequest) -> Result<Response, AppError> {
    let (State(state), Path(session), Query(query), headers, slot, upgrade) = request;
    let capability = authorize(&state, &session, &query.t, &headers).await?;
    let relay = state.relay.clone();
    let id = SessionId(session);
    Ok(limited(upgrade, relay.limits).on_upgrade(move |socket| async move {
        // The address's place is taken as long as the socket is open.
        let _slot = slot;
        serve(endpoint, socket, relay, id, capability).await
    }))
}

/// `GET /ws/{session}?t=TOKEN`: the live session (JSON control messages, binary y-sync notes).
pub async fn socket(request: SocketRequest) -> Result<Response, AppError> {
    upgrade_to(Endpoint::Session, request).await
}

/// `GET /yjs/{session}?t=TOKEN`: the notes document for official Yjs clients (y-websocket framing).
pub async fn notes_socket(request: SocketRequest) -> Result<Response, AppError> {
    upgrade_to(Endpoint::Notes, request).await
}

/// `GET /ws/w/{workshop}?t=TOKEN`: a workshop's page (lobby, facilitator's commands, dashboard).
pub async fn workshop_socket(request: SocketRequest) -> Result<Response, AppError> {
    let (State(state), Path(id), Query(query), headers, slot, upgrade) = request;
    let record = state.store.workshop(&id).await?.ok_or(AppError::InvalidLink)?;
    let capability = record.capability_of(&query.t).ok_or(AppError::InvalidLink)?;
    check_origin(&state, &headers)?;
    let relay = state.relay.clone();
    Ok(limited(upgrade, relay.limits).on_upgrade(move |socket| async move {
        let _slot = slot;
        workshop::serve_workshop(socket, relay, id, capability).await
    }))
}
