//! One task per live workshop (docs/workshops.md): its lobby, the facilitator's commands, and the dashboard drawn
//! from its breakouts' reports. The state is the pure `tandem_core::workshop::WorkshopState`: each command is applied
//! to a copy, the copy is stored, and only then adopted and told to anyone. Each breakout is a session of its own,
//! run by a session actor; this actor talks to them through the relay ([`FromWorkshop`]) and they report back
//! ([`WorkshopMsg::Report`]).
//!
//! `conn` serves the workshop's sockets; `views` builds what each page may see.

mod commands;
mod conn;
mod skills;
mod views;

pub use conn::serve_workshop;

use super::actor::{ActorMsg, ConnId, FromWorkshop};
use super::outbox::Outbox;
use super::{now_ms, Outbound, Relay};
use crate::store::WorkshopRecord;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tandem_core::protocol::workshop::{WorkshopClientMsg, WorkshopServerMsg};
use tandem_core::protocol::{Close, ErrorCode, PROTOCOL_VERSION};
use tandem_core::session::{Capability, Millis, ParticipantId, ParticipantKey, RoomState, SessionId};
use tandem_core::workshop::WorkshopError;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long a workshop's actor lives on with nobody connected (its state is in the store).
const LINGER: Duration = Duration::from_secs(30);
/// The dashboard goes out at most this often: breakouts' reports in between are merged.
pub const DASHBOARD_EVERY: Duration = Duration::from_millis(250);

/// The running workshop actors, by workshop id (shared with the session actors, which report to them).
#[derive(Clone, Default)]
pub struct Workshops(Arc<Mutex<HashMap<String, mpsc::Sender<WorkshopMsg>>>>);

impl Workshops {
    /// The inbox of `id`'s actor if it runs.
    pub fn running(&self, id: &str) -> Option<mpsc::Sender<WorkshopMsg>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id).filter(|tx| !tx.is_closed()).cloned()
    }
}

/// A breakout's progress, as its session actor reports it. Never content: counts, the clock, who is there.
#[derive(Clone, Debug)]
pub struct BreakoutReport {
    /// The breakout's session id.
    pub session: String,
    /// Keys of the participants whose page is connected.
    pub present: Vec<ParticipantKey>,
    /// Phase and clock.
    pub room: Option<RoomState>,
    /// Characters in the shared notes.
    pub notes_chars: u32,
    /// When the notes last changed.
    pub last_edit: Option<Millis>,
    /// Feedback forms submitted.
    pub feedback: u32,
    /// The breakout has ended.
    pub ended: bool,
    /// How long its clocks ran (kept in the workshop's record once it has ended).
    pub spent_ms: Millis,
}

/// Messages to a workshop's actor.
pub enum WorkshopMsg {
    /// A page joins after a valid hello.
    Join {
        /// The connection.
        conn: ConnId,
        /// Its queue.
        outbox: Outbox,
        /// What its link allows.
        capability: Capability,
        /// The browser's key.
        key: ParticipantKey,
        /// The cleaned name.
        name: String,
    },
    /// A connection ended.
    Leave {
        /// The connection.
        conn: ConnId,
    },
    /// A command from a page.
    Command {
        /// The connection.
        conn: ConnId,
        /// The command.
        msg: WorkshopClientMsg,
    },
    /// A breakout's progress.
    Report(Box<BreakoutReport>),
    /// A participant's skills, from the skills page (`skills.rs`).
    SetSkills {
        /// Their browser's key.
        key: ParticipantKey,
        /// Their answers.
        answers: tandem_core::workshop::SkillAnswers,
        /// Where the outcome goes.
        reply: tokio::sync::oneshot::Sender<skills::SkillsReply>,
    },
    /// A participant opened their skills form (`skills.rs`): counted as here meanwhile.
    Visiting {
        /// Their browser's key.
        key: ParticipantKey,
    },
    /// The facilitator's choice of pairing, from the skills page (`skills.rs`).
    SetPairing {
        /// How the next rounds are proposed.
        how: tandem_core::workshop::Pairing,
        /// Where the outcome goes.
        reply: tokio::sync::oneshot::Sender<skills::PairingReply>,
    },
    /// "Forget me" (issue 18): the member with this browser key, renamed and without their skills (`skills.rs`).
    Forget {
        /// Their browser's key.
        key: ParticipantKey,
        /// Where the outcome goes.
        reply: tokio::sync::oneshot::Sender<Result<(), super::RelayError>>,
    },
    /// The next round's proposal with why each group was proposed, for the skills page (`skills.rs`).
    Explain {
        /// Where the answer goes: `None` without a proposal.
        reply: tokio::sync::oneshot::Sender<Option<skills::Explained>>,
    },
}

/// A page connected to the workshop.
struct WConn {
    member: ParticipantId,
    capability: Capability,
    outbox: Outbox,
}

/// The actor's state.
pub struct WorkshopActor {
    relay: Relay,
    /// The store, fenced by this relay's lease on the workshop when several relays share PostgreSQL.
    store: crate::store::Store,
    id: String,
    record: WorkshopRecord,
    conns: HashMap<ConnId, WConn>,
    /// The latest report of each breakout session.
    reports: HashMap<String, BreakoutReport>,
    /// When the next dashboard message is due, if a report arrived since the last.
    dashboard_due: Option<Instant>,
    dashboard_sent: Option<Instant>,
    /// Ended breakouts' clock times not yet in the record: stored together at the next dashboard tick.
    spent: HashMap<String, Millis>,
    /// The next round's proposal (a [`WorkshopServerMsg::Proposal`]) until the round opens: a facilitator's page
    /// that joins gets it, so a reload keeps it and several facilitators see the same.
    proposal: Option<WorkshopServerMsg>,
    /// Participants on the skills page (their workshop page closed to go there), until when they count as here.
    visiting: HashMap<ParticipantId, Instant>,
}

impl Relay {
    /// The inbox of workshop `id`'s actor, starting it (from the store) if it is not running.
    pub(crate) async fn workshop(&self, id: &str) -> Result<mpsc::Sender<WorkshopMsg>, super::RelayError> {
        if let Some(tx) = self.workshops.running(id) {
            return Ok(tx);
        }
        Box::pin(self.one_start(&lease_id(id), self.start_workshop(id))).await
    }

    async fn start_workshop(&self, id: &str) -> Result<mpsc::Sender<WorkshopMsg>, super::RelayError> {
        // Another page may have started it while this one waited its turn; one that is stopping ends first.
        if let Some(tx) = self.workshops.running(id) {
            return Ok(tx);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self
            .workshops
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(id)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (store, lease) = self.owner_store(&lease_id(id)).await?;
        let record = match store.workshop(id).await {
            Ok(Some(record)) => record,
            found => {
                self.let_go(lease).await;
                return Err(match found {
                    Err(e) => e.into(),
                    Ok(_) => super::RelayError::NotFound,
                });
            }
        };
        let (tx, rx) = mpsc::channel(1024);
        self.workshops
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), tx.clone());
        let actor = WorkshopActor {
            relay: self.clone(),
            store,
            id: id.to_string(),
            record,
            conns: HashMap::new(),
            reports: HashMap::new(),
            dashboard_due: None,
            dashboard_sent: None,
            spent: HashMap::new(),
            proposal: None,
            visiting: HashMap::new(),
        };
        let relay = self.clone();
        let (id, done) = (id.to_string(), tx.clone());
        let stopping = self.stopping();
        tokio::spawn(async move {
            actor.run(rx, stopping).await;
            {
                let mut map = relay.workshops.0.lock().unwrap_or_else(|e| e.into_inner());
                if map.get(&id).is_some_and(|tx| tx.same_channel(&done)) {
                    map.remove(&id);
                }
            }
            relay.let_go(lease).await;
        });
        Ok(tx)
    }
}

/// The lease of workshop `id` (sessions' leases are their ids).
fn lease_id(id: &str) -> String {
    format!("w:{id}")
}

impl WorkshopActor {
    async fn run(mut self, mut inbox: mpsc::Receiver<WorkshopMsg>, mut stopping: tokio::sync::watch::Receiver<bool>) {
        // The breakouts that run already report now, so the dashboard is whole from the start.
        if let Some(round) = self.record.state.open_round() {
            for b in &round.breakouts {
                self.tell_running(&b.session, FromWorkshop::Report);
            }
        }
        let mut empty_since = Some(Instant::now());
        loop {
            let linger_until = empty_since.map(|t| t + LINGER);
            tokio::select! {
                changed = stopping.changed() => {
                    if changed.is_err() || *stopping.borrow() {
                        break;
                    }
                }
                msg = inbox.recv() => {
                    let Some(msg) = msg else { break };
                    self.handle(msg).await;
                    empty_since = if self.conns.is_empty() { empty_since.or(Some(Instant::now())) } else { None };
                }
                _ = sleep_until_opt(self.dashboard_due) => {
                    self.record_spent().await;
                    self.send_dashboard();
                }
                _ = sleep_until_opt(linger_until) => {
                    inbox.close();
                    while let Ok(msg) = inbox.try_recv() {
                        if let WorkshopMsg::Join { outbox, .. } = msg {
                            let _ = outbox.try_send(Outbound::Close(Close::SessionRestarting));
                        }
                    }
                    break;
                }
                _ = super::leases::changed(self.store.lease()) => {
                    // Another relay took or asked for the workshop: everything is stored at each command, so its
                    // pages go there now.
                    inbox.close();
                    tracing::info!(workshop = %self.id, "workshop moved to another relay");
                    for (_, c) in self.conns.drain() {
                        let _ = c.outbox.try_send(Outbound::Close(Close::Moved));
                    }
                    while let Ok(msg) = inbox.try_recv() {
                        if let WorkshopMsg::Join { outbox, .. } = msg {
                            let _ = outbox.try_send(Outbound::Close(Close::Moved));
                        }
                    }
                    break;
                }
            }
        }
        tracing::debug!(workshop = %self.id, "workshop actor stopped");
    }

    async fn handle(&mut self, msg: WorkshopMsg) {
        match msg {
            WorkshopMsg::Join {
                conn,
                outbox,
                capability,
                key,
                name,
            } => self.join(conn, outbox, capability, key, name).await,
            WorkshopMsg::Leave { conn } => {
                if self.conns.remove(&conn).is_some() {
                    self.send_views();
                }
            }
            WorkshopMsg::Command { conn, msg } => self.command(conn, msg).await,
            WorkshopMsg::Report(report) => self.report(*report),
            WorkshopMsg::SetSkills { key, answers, reply } => {
                let _ = reply.send(self.set_skills(&key, &answers).await);
            }
            WorkshopMsg::Visiting { key } => self.visiting(&key),
            WorkshopMsg::SetPairing { how, reply } => {
                let _ = reply.send(self.set_pairing(how).await);
            }
            WorkshopMsg::Forget { key, reply } => {
                let _ = reply.send(self.forget(&key).await);
            }
            WorkshopMsg::Explain { reply } => {
                let _ = reply.send(self.explain());
            }
        }
    }

    async fn join(&mut self, conn: ConnId, outbox: Outbox, capability: Capability, key: ParticipantKey, name: String) {
        let now = now_ms();
        let mut next = self.record.state.clone();
        let member = match next.join(key.clone(), name, capability, now) {
            Ok(member) => member,
            Err(e) => {
                let (code, close) = match e {
                    WorkshopError::Removed => (ErrorCode::NotAllowed, Close::Removed),
                    WorkshopError::Ended => (ErrorCode::Ended, Close::Ended),
                    WorkshopError::BadName => (ErrorCode::BadHello, Close::BadName),
                    _ => (ErrorCode::Refused, Close::Ended),
                };
                let _ = outbox.try_send(error(code, &e.to_string()));
                let _ = outbox.try_send(Outbound::Close(close));
                return;
            }
        };
        // Arriving while a round runs: into the smallest breakout, where the workshop says so.
        let mut placed = None;
        if capability == Capability::Participant
            && self.record.spec.settings.place_late_joiners
            && !next.is_placed(member)
        {
            if let Some(to) = next.smallest_breakout() {
                placed = next.move_to(member, to).ok().map(|_| to);
            }
        }
        if next != self.record.state {
            if let Err(e) = self.store.save_workshop_state(&self.id, &next).await {
                tracing::error!(workshop = %self.id, error = %e, "could not save a join");
                let _ = outbox.try_send(error(
                    ErrorCode::Unavailable,
                    "Tandem could not save your join; retrying…",
                ));
                let _ = outbox.try_send(Outbound::Close(Close::JoinNotSaved));
                return;
            }
            self.record.state = next;
        }
        self.visiting.remove(&member);
        self.conns.insert(
            conn,
            WConn {
                member,
                capability,
                outbox,
            },
        );
        if let Some(to) = placed {
            let text = format!("You arrived during the round: you were placed in breakout {}.", to + 1);
            self.greet(member, key, text);
        }
        let welcome = WorkshopServerMsg::Welcome {
            protocol: PROTOCOL_VERSION,
            you: member,
            capability,
            info: Box::new(self.info()),
            view: self.view_for(member, capability, &self.people()),
            now,
        };
        self.send(conn, &welcome);
        if let Some(proposal) = self.proposal.clone().filter(|_| capability == Capability::Host) {
            self.send(conn, &proposal);
        }
        self.send_views();
        if capability != Capability::Participant {
            self.dashboard_due = Some(Instant::now());
        }
    }

    /// A breakout's report: kept, the dashboard scheduled, and everyone's view updated when who is present changed.
    /// An ended breakout's clock time goes into the record at the next tick (a call back ends them all at once).
    fn report(&mut self, report: BreakoutReport) {
        if report.ended {
            self.spent.insert(report.session.clone(), report.spent_ms);
        }
        let presence_changed = self
            .reports
            .get(&report.session)
            .is_none_or(|old| old.present != report.present);
        self.reports.insert(report.session.clone(), report);
        if self.dashboard_due.is_none() {
            let earliest = self.dashboard_sent.map_or_else(Instant::now, |t| t + DASHBOARD_EVERY);
            self.dashboard_due = Some(earliest.max(Instant::now()));
        }
        if presence_changed {
            self.send_views();
        }
    }

    /// Stores the clock times of breakouts that ended since the last tick, in one write; every page then sees them.
    async fn record_spent(&mut self) {
        if self.spent.is_empty() {
            return;
        }
        let mut next = self.record.state.clone();
        let mut changed = false;
        for (session, ms) in &self.spent {
            changed |= next.set_spent(session, *ms);
        }
        if !changed {
            self.spent.clear();
            return;
        }
        match self.store.save_workshop_state(&self.id, &next).await {
            Ok(()) => {
                self.spent.clear();
                self.record.state = next;
                self.send_views();
            }
            // Kept for the next tick; the times chart reads the breakouts' outcomes meanwhile.
            Err(e) => tracing::warn!(workshop = %self.id, error = %e, "could not record breakout times"),
        }
    }

    /// Queues `msg` for one connection; a connection that cannot take it is closed (it reconnects and catches up).
    fn send(&mut self, conn: ConnId, msg: &WorkshopServerMsg) {
        if let Some(c) = self.conns.get(&conn) {
            if c.outbox.try_send(text(msg)).is_err() {
                c.outbox.kick();
                self.conns.remove(&conn);
            }
        }
    }

    fn send_error(&mut self, conn: ConnId, code: ErrorCode, message: &str) {
        self.send(
            conn,
            &WorkshopServerMsg::Error {
                code,
                message: message.to_string(),
            },
        );
    }

    /// Everyone's view, each as they may see it.
    fn send_views(&mut self) {
        let targets: Vec<(ConnId, ParticipantId, Capability)> =
            self.conns.iter().map(|(id, c)| (*id, c.member, c.capability)).collect();
        let people = self.people();
        for (conn, member, capability) in targets {
            let view = self.view_for(member, capability, &people);
            self.send(conn, &WorkshopServerMsg::View { view });
        }
    }

    /// The dashboard to the facilitator's and observers' pages.
    fn send_dashboard(&mut self) {
        self.dashboard_due = None;
        self.dashboard_sent = Some(Instant::now());
        let msg = WorkshopServerMsg::Dashboard {
            breakouts: self.dashboard(),
            now: now_ms(),
        };
        let targets: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.capability != Capability::Participant)
            .map(|(id, _)| *id)
            .collect();
        for conn in targets {
            self.send(conn, &msg);
        }
    }

    /// Sends `msg` to a breakout's actor, starting it if needed (a call back ends even a breakout nobody is in).
    fn tell(&self, session: &str, msg: FromWorkshop) {
        let relay = self.relay.clone();
        let id = SessionId(session.to_string());
        tokio::spawn(async move {
            match relay.actor(&id).await {
                Ok(inbox) => {
                    let _ = inbox.tx.send(ActorMsg::Workshop(msg)).await;
                }
                Err(e) => tracing::warn!(session = %id, error = %e, "could not reach a breakout"),
            }
        });
    }

    /// Sends `msg` to a breakout's actor if it runs (nobody is there otherwise, so there is nobody to tell).
    fn tell_running(&self, session: &str, msg: FromWorkshop) {
        if let Some(tx) = self.relay.running(&SessionId(session.to_string())) {
            let _ = tx.try_send(ActorMsg::Workshop(msg));
        }
    }

    /// The workshop page's address for participants (where breakouts send people back to).
    fn participant_page(&self) -> String {
        format!("/w/{}?t={}", self.id, self.record.participant_token)
    }
}

fn text(msg: &WorkshopServerMsg) -> Outbound {
    match serde_json::to_string(msg) {
        Ok(text) => Outbound::Text(axum::extract::ws::Utf8Bytes::from(text)),
        Err(_) => Outbound::Text(axum::extract::ws::Utf8Bytes::from_static(
            r#"{"error":{"code":"unavailable","message":"internal error"}}"#,
        )),
    }
}

fn error(code: ErrorCode, message: &str) -> Outbound {
    text(&WorkshopServerMsg::Error {
        code,
        message: message.to_string(),
    })
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
