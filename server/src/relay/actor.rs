//! One task per live session: owns its participants, rooms and connections; applies commands through the pure
//! reducer, persists, then broadcasts.

mod feedback;
mod private_notes;

use super::notes::{Notes, NotesError, MAX_AWARENESS_CLIENTS_PER_CONN};
use super::outbox::Outbox;
use super::{now_ms, Outbound};
use crate::store::{ParticipantRecord, Store};
use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tandem_core::notes::{commitments_of, Commitment};
use tandem_core::protocol::{
    may_claim, ErrorCode, RoomView, ServerMsg, CLOSE_GONE, MAX_PRIVATE_NOTE_CHARS, PROTOCOL_VERSION,
};
use tandem_core::session::{
    check_roles, planned_ms, validate_answers, Capability, Feedback, FeedbackDraft, FeedbackId, Millis, Outcome,
    ParticipantId, ParticipantKey, ParticipantView, PhaseTime, RoomEvent, RoomId, RoomState, SessionId, SessionSpec,
    TimerCommand,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long an actor lives on with nobody connected before it stops (its state is in the store).
const LINGER: Duration = Duration::from_secs(30);
/// Notes are written to the store at most this long after the first unsaved edit.
const NOTES_FLUSH: Duration = Duration::from_millis(500);
/// Awareness (presence, cursors) goes out at most this often per session, all changes since the last send in one
/// message: the first change after a quiet spell goes at once, later ones wait for the end of the interval. Under
/// load this cuts the relay's frames and `send` calls (20 people renewing presence every second meant 380 frames a
/// second per room, now at most 5 per receiver; docs/performance.md).
const AWARENESS_EVERY: Duration = Duration::from_millis(200);
/// Stands for the connections of official Yjs clients, which share the notes but are not participants.
const NOTES_ONLY: ParticipantId = ParticipantId(0);

/// Identifies one WebSocket connection.
pub type ConnId = u64;

/// A connection as the actor sees it.
pub struct ConnHandle {
    /// Messages to this connection; bounded, and a full queue means the client is too slow (then `kick` it).
    pub outbox: Outbox,
}

/// Messages to a session actor.
pub enum ActorMsg {
    /// A connection sent a valid hello.
    Join {
        /// The connection.
        conn: ConnId,
        /// Its queue and kick switch.
        handle: ConnHandle,
        /// What its link allows.
        capability: Capability,
        /// The browser's key.
        key: ParticipantKey,
        /// Cleaned display name.
        name: String,
        /// Role, checked against the session's roles.
        role: Option<String>,
        /// "This is me on another device": the participant a new key is to stand for.
        claim: Option<ParticipantId>,
    },
    /// A participant takes another role.
    SetRole {
        /// The connection.
        conn: ConnId,
        /// The role id.
        role: String,
    },
    /// A connection ended.
    Leave {
        /// The connection.
        conn: ConnId,
    },
    /// A timer command from a connection.
    Timer {
        /// The connection.
        conn: ConnId,
        /// The room.
        room: RoomId,
        /// The command.
        command: TimerCommand,
    },
    /// Feedback submitted (or edited) by a connection's participant.
    Feedback {
        /// The connection.
        conn: ConnId,
        /// The submission.
        draft: FeedbackDraft,
    },
    /// The receiver shares feedback with the host, or stops sharing it.
    Share {
        /// The connection.
        conn: ConnId,
        /// Which feedback.
        id: FeedbackId,
        /// Share or not.
        shared: bool,
    },
    /// The host ends the session.
    End {
        /// The connection.
        conn: ConnId,
    },
    /// A binary y-sync frame for the notes document.
    Notes {
        /// The connection.
        conn: ConnId,
        /// The frame.
        frame: axum::body::Bytes,
    },
    /// A participant's text of a private note section.
    PrivateNote {
        /// The connection.
        conn: ConnId,
        /// The section.
        section: String,
        /// The whole text.
        text: String,
        /// The page's version number, echoed in the confirmation.
        rev: u64,
    },
    /// A y-websocket client joins the notes only.
    JoinNotes {
        /// The connection.
        conn: ConnId,
        /// Its queue and kick switch.
        handle: ConnHandle,
        /// What its link allows.
        capability: Capability,
    },
}

struct Conn {
    participant: ParticipantId,
    capability: Capability,
    handle: ConnHandle,
    attendance: Option<i64>,
    notes: ConnNotes,
}

/// Notes bookkeeping of one connection.
#[derive(Default)]
struct ConnNotes {
    /// Binary frames received (the browser counts the frames it sends the same way).
    frames: u64,
    /// The last `frames` confirmed to the client as stored.
    acked: u64,
    /// An edit of this connection was refused (notes full): its later edits build on it and are refused too.
    refused: bool,
    /// Frames after this one were refused: never confirm them as stored.
    ack_limit: Option<u64>,
    /// Awareness client ids this connection spoke for.
    awareness: Vec<yrs::ClientID>,
}

impl Conn {
    fn new(participant: ParticipantId, capability: Capability, handle: ConnHandle, attendance: Option<i64>) -> Conn {
        Conn {
            participant,
            capability,
            handle,
            attendance,
            notes: ConnNotes::default(),
        }
    }
}

/// The actor's state.
pub struct Actor {
    id: SessionId,
    store: Store,
    spec: SessionSpec,
    participants: Vec<ParticipantRecord>,
    /// Browser keys bound to a participant besides their first ("this is me on another device").
    aliases: Vec<(ParticipantKey, ParticipantId)>,
    rooms: BTreeMap<RoomId, RoomState>,
    conns: HashMap<ConnId, Conn>,
    feedback: Vec<Feedback>,
    ended_at: Option<Millis>,
    notes: Notes,
    notes_dirty_since: Option<Instant>,
    /// The notes write in progress, if any (at most one, so writes land in order).
    flight: Option<Flight>,
    /// Awareness clients whose state changed since the last awareness message went out.
    awareness_pending: Vec<yrs::ClientID>,
    /// When the last awareness message went out, and when the next one is due (if any is pending).
    awareness_sent: Option<Instant>,
    awareness_due: Option<Instant>,
}

impl Actor {
    /// Loads a session's live state from the store, catching up on deadlines passed while no relay ran it.
    pub async fn load(store: Store, id: SessionId) -> Result<Option<Actor>, crate::store::StoreError> {
        let Some(record) = store.session(&id.0).await? else {
            return Ok(None);
        };
        let participants = store.participants(&id).await?;
        let aliases = store.participant_keys(&id).await?;
        let feedback = store.feedback(&id).await?;
        let notes = Notes::load(store.notes(&id).await?.as_deref())
            .map_err(|e| crate::store::StoreError::Notes(e.to_string()))?;
        let mut rooms: BTreeMap<RoomId, RoomState> = store.rooms(&id).await?.into_iter().collect();
        let spec = record.spec;
        rooms.retain(|_, r| r.is_valid_for(&spec.phases));
        rooms
            .entry(RoomId::MAIN)
            .or_insert_with(|| RoomState::new(&spec.phases));
        let mut actor = Actor {
            id,
            store,
            spec,
            participants,
            aliases,
            rooms,
            conns: HashMap::new(),
            feedback,
            ended_at: record.ended_at,
            notes,
            notes_dirty_since: None,
            flight: None,
            awareness_pending: Vec::new(),
            awareness_sent: None,
            awareness_due: None,
        };
        actor.advance_due().await;
        Ok(Some(actor))
    }

    /// Runs until nobody has been connected for [`LINGER`] or every sender is gone.
    pub async fn run(mut self, mut inbox: mpsc::Receiver<ActorMsg>, mut stopping: tokio::sync::watch::Receiver<bool>) {
        let mut empty_since = Some(Instant::now());
        loop {
            let wake = self.next_deadline();
            let linger_until = empty_since.map(|t| t + LINGER);
            // One write at a time: the next starts when the one in flight is done.
            let flush_at = self
                .notes_dirty_since
                .filter(|_| self.flight.is_none())
                .map(|t| t + NOTES_FLUSH);
            // The write in flight is polled from here, outside `self`, so that every handler below has all of it.
            let mut flight = self.flight.take();
            let event = tokio::select! {
                changed = stopping.changed() => Event::Stopping(changed.is_err() || *stopping.borrow()),
                (written, acks) = wait_for(&mut flight) => Event::Written(written, acks),
                _ = sleep_until_opt(flush_at) => Event::Flush,
                _ = sleep_until_opt(self.awareness_due) => Event::Awareness,
                msg = inbox.recv() => Event::Msg(msg),
                _ = sleep_until_opt(wake) => Event::Due,
                _ = sleep_until_opt(linger_until) => Event::Linger,
            };
            // Still in flight unless that is what ended (`wait_for` then took it).
            self.flight = flight;
            match event {
                Event::Stopping(true) => break,
                Event::Stopping(false) => {}
                Event::Written(written, acks) => self.written(acks, written),
                Event::Flush => self.start_flush(),
                Event::Awareness => self.send_awareness(),
                Event::Msg(None) => break,
                Event::Msg(Some(msg)) => {
                    self.handle(msg).await;
                    // What else has arrived is handled before anything is written, so that a burst reaches each
                    // client in one write per client instead of one per message.
                    for _ in 1..BURST {
                        let Ok(msg) = inbox.try_recv() else { break };
                        // Only notes frames are handled without waiting for the store; what is queued goes out
                        // before anything that may wait (a join, a timer command, feedback).
                        if !matches!(msg, ActorMsg::Notes { .. }) {
                            self.write_queued();
                        }
                        self.handle(msg).await;
                    }
                    empty_since = if self.conns.is_empty() {
                        empty_since.or(Some(Instant::now()))
                    } else {
                        None
                    };
                }
                Event::Due => self.advance_due().await,
                Event::Linger => {
                    // Close the inbox first so a join racing with shutdown fails and the relay starts a fresh actor.
                    inbox.close();
                    // Nobody is connected, so only joins can be queued: send them to a fresh actor.
                    while let Ok(msg) = inbox.try_recv() {
                        if let ActorMsg::Join { handle, .. } | ActorMsg::JoinNotes { handle, .. } = msg {
                            let _ = handle
                                .outbox
                                .try_send(Outbound::Close(1012, "Session restarting; reconnecting.".into()));
                        }
                    }
                    break;
                }
            }
            self.write_queued();
        }
        // Always on the way out: graceful shutdown and idle stop keep every edit.
        self.flush_notes().await;
        self.write_queued();
        tracing::debug!(session = %self.id, "session actor stopped");
    }

    async fn handle(&mut self, msg: ActorMsg) {
        match msg {
            ActorMsg::Join {
                conn,
                handle,
                capability,
                key,
                name,
                role,
                claim,
            } => {
                let who = Joining { key, name, role, claim };
                self.join(conn, handle, capability, who).await
            }
            ActorMsg::SetRole { conn, role } => self.set_role(conn, role).await,
            ActorMsg::Leave { conn } => self.leave(conn).await,
            ActorMsg::Timer { conn, room, command } => self.timer(conn, room, command).await,
            ActorMsg::Feedback { conn, draft } => self.submit_feedback(conn, draft).await,
            ActorMsg::Share { conn, id, shared } => self.share_feedback(conn, id, shared).await,
            ActorMsg::Notes { conn, frame } => self.notes_frame(conn, &frame),
            ActorMsg::PrivateNote {
                conn,
                section,
                text,
                rev,
            } => self.private_note(conn, section, text, rev).await,
            ActorMsg::JoinNotes {
                conn,
                handle,
                capability,
            } => {
                if self.ended_at.is_some() {
                    let _ = handle
                        .outbox
                        .try_send(Outbound::Close(CLOSE_GONE, "The session has ended.".into()));
                    return;
                }
                let step1 = Outbound::Binary(self.notes.sync_step1().into());
                let _ = handle.outbox.try_send(step1);
                if let Some(frame) = self.notes.awareness_frame() {
                    let _ = handle.outbox.try_send(Outbound::Binary(frame.into()));
                }
                self.conns.insert(conn, Conn::new(NOTES_ONLY, capability, handle, None));
            }
            ActorMsg::End { conn } => match self.conns.get(&conn).map(|c| c.capability) {
                Some(Capability::Host) => self.end(now_ms()).await,
                Some(_) => self.send_error(conn, ErrorCode::NotAllowed, "Only the host can end the session."),
                None => {}
            },
        }
    }

    async fn join(&mut self, conn: ConnId, handle: ConnHandle, capability: Capability, who: Joining) {
        let Joining { key, name, role, claim } = who;
        let now = now_ms();
        if let Some(at) = self.ended_at {
            let _ = handle.outbox.try_send(Outbound::text(&ServerMsg::Ended { at }));
            let _ = handle
                .outbox
                .try_send(Outbound::Close(CLOSE_GONE, "The session has ended.".into()));
            return;
        }
        let role = if capability == Capability::Observer {
            None
        } else {
            role.filter(|r| self.spec.role(r).is_some())
        };
        let known = self.participant_of_key(&key);
        // "This is me on another device": a key new to the session takes over a participant with the same name who
        // is the only one holding this kind of link ([`may_claim`]). The other device's key stays theirs too, so
        // both are that one person.
        let people: Vec<ParticipantView> = self.participants.iter().map(|p| p.view.clone()).collect();
        let claimed = match claim.filter(|_| known.is_none()) {
            Some(id) if may_claim(&people, capability, &name, id) => {
                if let Err(e) = self.store.add_participant_key(&self.id, id, &key, now).await {
                    tracing::error!(session = %self.id, error = %e, "could not bind a second device");
                    join_unavailable(&handle);
                    return;
                }
                self.aliases.push((key.clone(), id));
                Some(id)
            }
            Some(id) => {
                let shared = people.iter().filter(|p| p.capability == capability).count() > 1;
                let message = if shared && people.iter().any(|p| p.id == id && p.capability == capability) {
                    format!(
                        "Several people joined with this link, so Tandem cannot move {name} to this device yet: you \
                         joined as someone new. Keep using the device you joined with first."
                    )
                } else {
                    "Tandem could not continue as that person here, so you joined as someone new.".to_string()
                };
                let _ = handle.outbox.try_send(Outbound::text(&ServerMsg::Error {
                    code: ErrorCode::BadHello,
                    message,
                }));
                None
            }
            None => None,
        };
        let existing = known
            .or(claimed)
            .and_then(|id| self.participants.iter().position(|p| p.view.id == id));
        let index = match existing {
            Some(i) => i,
            None => {
                let id = ParticipantId(self.participants.iter().map(|p| p.view.id.0 + 1).max().unwrap_or(1));
                self.participants.push(ParticipantRecord {
                    view: ParticipantView {
                        id,
                        name: name.clone(),
                        role: role.clone(),
                        capability,
                        online: false,
                    },
                    key,
                });
                self.participants.len() - 1
            }
        };
        let record = &mut self.participants[index];
        record.view.name = name;
        // The role picked on joining; later a person changes it in the session ([`Actor::set_role`]), and a tab
        // or device that joins again keeps that.
        if record.view.role.is_none() {
            record.view.role = role;
        }
        // A person keeps the strongest link they have used in this session.
        if rank(capability) > rank(record.view.capability) {
            record.view.capability = capability;
        }
        let record = record.clone();
        if let Err(e) = self.store.save_participant(&self.id, &record, now).await {
            tracing::error!(session = %self.id, error = %e, "could not save participant");
            join_unavailable(&handle);
            return;
        }
        let attendance = self.store.attendance_start(&self.id, record.view.id, now).await.ok();
        // Only this participant's own private texts (a failed read shows an empty draft; the page keeps its copy).
        let private_notes = match self.store.private_notes(&self.id, record.view.id).await {
            Ok(list) => list,
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not read private notes");
                Vec::new()
            }
        };
        self.conns
            .insert(conn, Conn::new(record.view.id, capability, handle, attendance));
        let welcome = ServerMsg::Welcome {
            protocol: PROTOCOL_VERSION,
            you: record.view.id,
            capability,
            session: Box::new(self.spec.clone()),
            participants: self.presence(),
            rooms: self.room_views(),
            now,
            feedback: self
                .feedback
                .iter()
                .filter(|f| f.from == record.view.id || f.about == record.view.id)
                .cloned()
                .collect(),
            private_notes,
        };
        self.send_to(conn, Outbound::text(&welcome));
        // The relay's state vector: the client answers with the notes edits the relay is missing.
        self.send_to(conn, Outbound::Binary(self.notes.sync_step1().into()));
        if let Some(frame) = self.notes.awareness_frame() {
            self.send_to(conn, Outbound::Binary(frame.into()));
        }
        self.broadcast_presence();
    }

    /// The participant a browser key stands for: its first key or one bound to it later.
    fn participant_of_key(&self, key: &ParticipantKey) -> Option<ParticipantId> {
        self.participants
            .iter()
            .find(|p| &p.key == key)
            .map(|p| p.view.id)
            .or_else(|| self.aliases.iter().find(|(k, _)| k == key).map(|(_, id)| *id))
    }

    /// A participant takes another role the session offers. Observer links take no role. Two people may hold one
    /// role for a moment (a pair swapping roles goes through that); everyone sees who holds which.
    async fn set_role(&mut self, conn: ConnId, role: String) {
        let Some((me, capability)) = self.conns.get(&conn).map(|c| (c.participant, c.capability)) else {
            return;
        };
        if me == NOTES_ONLY {
            return;
        }
        if self.ended_at.is_some() {
            self.send_error(conn, ErrorCode::Ended, "This session has ended.");
            return;
        }
        if capability == Capability::Observer {
            self.send_error(conn, ErrorCode::NotAllowed, "Observers watch without a role.");
            return;
        }
        if self.spec.role(&role).is_none() {
            self.send_error(conn, ErrorCode::Refused, "This session has no such role.");
            return;
        }
        let Some(index) = self.participants.iter().position(|p| p.view.id == me) else {
            return;
        };
        if self.participants[index].view.role.as_deref() == Some(role.as_str()) {
            return;
        }
        let mut record = self.participants[index].clone();
        record.view.role = Some(role);
        if let Err(e) = self.store.save_participant(&self.id, &record, now_ms()).await {
            tracing::error!(session = %self.id, error = %e, "could not save a role change");
            self.send_error(
                conn,
                ErrorCode::Unavailable,
                "Tandem could not save that change. Please try again.",
            );
            return;
        }
        self.participants[index] = record;
        self.broadcast_presence();
    }

    async fn leave(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.remove(&conn) {
            self.forget_awareness(&c.notes.awareness);
            if let Some(row) = c.attendance {
                if let Err(e) = self.store.attendance_end(row, now_ms()).await {
                    tracing::warn!(session = %self.id, error = %e, "could not close attendance");
                }
            }
            self.broadcast_presence();
        }
    }

    async fn timer(&mut self, conn: ConnId, room_id: RoomId, command: TimerCommand) {
        let Some(capability) = self.conns.get(&conn).map(|c| c.capability) else {
            return;
        };
        if self.ended_at.is_some() {
            self.send_error(conn, ErrorCode::Ended, "This session has ended.");
            return;
        }
        if !self.spec.may_drive_timer(capability) {
            let message = if capability == Capability::Observer {
                "Observers can watch but not change the session."
            } else {
                "Only the host runs the timer in this session."
            };
            self.send_error(conn, ErrorCode::NotAllowed, message);
            return;
        }
        let Some(room) = self.rooms.get(&room_id) else {
            self.send_error(conn, ErrorCode::UnknownRoom, "There is no such room in this session.");
            return;
        };
        let now = now_ms();
        match room.apply(&self.spec.phases, command, now) {
            Ok((next, event)) => {
                let by = self.conns.get(&conn).map(|c| c.participant);
                self.commit(room_id, next, event, by, now).await;
            }
            Err(e) => self.send_to(conn, Outbound::text(&ServerMsg::refused(e))),
        }
    }

    /// Persists a room's new state, and only then adopts and broadcasts it.
    async fn commit(
        &mut self,
        room_id: RoomId,
        next: RoomState,
        event: RoomEvent,
        by: Option<ParticipantId>,
        now: i64,
    ) {
        if let Err(e) = self.store.save_room(&self.id, room_id, &next, now).await {
            tracing::error!(session = %self.id, error = %e, "could not save room state");
            if let Some(conn) = by.and_then(|p| self.conns.iter().find(|(_, c)| c.participant == p).map(|(id, _)| *id))
            {
                self.send_error(
                    conn,
                    ErrorCode::Unavailable,
                    "Tandem could not save that change. Please try again.",
                );
            }
            return;
        }
        let msg = ServerMsg::Room {
            room: RoomView {
                id: room_id,
                state: next.clone(),
            },
            event,
            by,
        };
        self.rooms.insert(room_id, next);
        self.broadcast(Outbound::text(&msg));
    }

    async fn advance_due(&mut self) {
        let now = now_ms();
        if self.ended_at.is_some() {
            return;
        }
        if self.last_phase_over(now) {
            self.end(now).await;
            return;
        }
        if !self.spec.settings.auto_advance {
            return;
        }
        let ids: Vec<RoomId> = self.rooms.keys().copied().collect();
        for id in ids {
            while let Some((next, event)) = self.rooms.get(&id).and_then(|r| r.advance_due(&self.spec.phases, now)) {
                let before = self.rooms.get(&id).map(|r| r.version);
                self.commit(id, next, event, None, now).await;
                if self.rooms.get(&id).map(|r| r.version) == before {
                    break; // not stored: try again at the next wake-up
                }
            }
        }
    }

    /// With `end_after_last_phase`: the main room's last phase has run out of time.
    fn last_phase_over(&self, now: Millis) -> bool {
        self.last_phase_deadline().is_some_and(|deadline| deadline <= now)
    }

    fn last_phase_deadline(&self) -> Option<Millis> {
        let room = self.rooms.get(&RoomId::MAIN)?;
        if !self.spec.end_after_last_phase || room.phase + 1 != self.spec.phases.len() {
            return None;
        }
        match room.timer {
            tandem_core::session::Timer::Running { deadline } => Some(deadline),
            _ => None,
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        if self.ended_at.is_some() {
            return None;
        }
        let advance = self
            .rooms
            .values()
            .filter(|_| self.spec.settings.auto_advance)
            .filter_map(|r| r.next_deadline(&self.spec.phases))
            .min();
        let deadline = self.last_phase_deadline().into_iter().chain(advance).min()?;
        let wait = (deadline - now_ms()).max(0) as u64;
        Some(Instant::now() + Duration::from_millis(wait))
    }

    /// Stores the outcome, marks the session ended, tells everyone, and closes every connection.
    async fn end(&mut self, now: Millis) {
        if self.ended_at.is_some() {
            return;
        }
        let main = self
            .rooms
            .get(&RoomId::MAIN)
            .cloned()
            .unwrap_or_else(|| RoomState::new(&self.spec.phases));
        let spent = main.spent_at(now);
        let phases = self
            .spec
            .phases
            .iter()
            .enumerate()
            .map(|(i, p)| PhaseTime {
                title: p.title.clone(),
                planned_ms: planned_ms(&self.spec.phases, i),
                actual_ms: spent.get(i).copied().unwrap_or(0),
            })
            .collect();
        let attendance = match self.store.attendance(&self.id, now).await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not read attendance");
                return;
            }
        };
        self.flush_notes().await;
        let sections: Vec<String> = self
            .spec
            .phases
            .iter()
            // Private sections are never part of the shared outcome (even if a Yjs client wrote such a name).
            .flat_map(|p| p.notes.iter().filter(|n| !n.private).map(|n| n.id.clone()))
            .collect();
        let outcome = Outcome {
            ended_at: now,
            phases,
            attendance,
            notes: self.notes.texts(sections.iter().map(String::as_str)),
            commitments: self.commitments(),
        };
        match self.store.end_session(&self.id, &outcome).await {
            Ok(_) => {}
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not end the session");
                let msg = Outbound::text(&ServerMsg::Error {
                    code: ErrorCode::Unavailable,
                    message: "Tandem could not end the session right now. Please try again.".into(),
                });
                self.broadcast(msg);
                return;
            }
        }
        self.ended_at = Some(now);
        tracing::info!(session = %self.id, "session ended");
        self.broadcast(Outbound::text(&ServerMsg::Ended { at: now }));
        self.broadcast(Outbound::Close(CLOSE_GONE, "The session has ended.".into()));
        // Each connection sends the two frames above and stops; attendance was closed by `end_session`.
        self.write_queued();
        self.conns.clear();
    }

    fn notes_frame(&mut self, conn: ConnId, frame: &axum::body::Bytes) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.notes.frames += 1;
        let may_write = c.capability != Capability::Observer && self.ended_at.is_none();
        let refused_before = c.notes.refused;
        let known = c.notes.awareness.clone();
        let result = match self.notes.handle_from(frame, may_write && !refused_before, &known) {
            // After a refusal, later edits build on the refused one: refuse them the same way.
            Err(NotesError::ReadOnly) if refused_before && may_write => Err(NotesError::Full),
            other => other,
        };
        match result {
            Ok(handled) => {
                if let Some(reply) = handled.reply {
                    self.send_to(conn, Outbound::Binary(reply.into()));
                }
                if let Some(frame) = handled.broadcast {
                    self.broadcast_update(conn, frame);
                }
                if !handled.awareness_claimed.is_empty() {
                    self.credit_awareness(conn, &handled.awareness_claimed);
                }
                if !handled.awareness_changed.is_empty() {
                    self.queue_awareness(&handled.awareness_changed);
                }
                if handled.changed {
                    self.notes_dirty_since.get_or_insert_with(Instant::now);
                } else if handled.wants_ack && self.notes_dirty_since.is_none() && self.flight.is_none() {
                    // Nothing new and nothing waiting to be written: it is stored already. (With a write in
                    // flight, its end confirms this frame.)
                    self.ack_notes(conn, u64::MAX);
                }
            }
            Err(NotesError::Malformed) => {
                self.send_error(conn, ErrorCode::BadMessage, &NotesError::Malformed.to_string());
                self.send_to(conn, Outbound::Close(1007, "Malformed notes update".into()));
            }
            Err(e @ NotesError::OutOfOrder) => {
                self.send_error(conn, ErrorCode::BadMessage, &e.to_string());
                self.send_to(
                    conn,
                    Outbound::Close(1008, "Notes out of order; reconnect to resync.".into()),
                );
            }
            Err(e @ NotesError::Full) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.notes.refused = true;
                    c.notes.ack_limit.get_or_insert(c.notes.frames - 1);
                }
                if !refused_before {
                    self.send_error(conn, ErrorCode::NotesFull, &e.to_string());
                }
            }
            Err(e @ NotesError::ReadOnly) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.notes.ack_limit.get_or_insert(c.notes.frames - 1);
                }
                self.send_error(conn, ErrorCode::NotAllowed, &e.to_string())
            }
        }
    }

    /// The commitments in the notes document, cleaned for storage.
    fn commitments(&self) -> Vec<Commitment> {
        let members: Vec<ParticipantId> = self.participants.iter().map(|p| p.view.id).collect();
        commitments_of(self.notes.doc())
            .into_iter()
            .map(|c| c.cleaned(&members))
            .filter(|c| !c.text.is_empty())
            .collect()
    }

    /// Tells a Tandem page that its frames up to `upto` (at most all it sent) are stored.
    fn ack_notes(&mut self, conn: ConnId, upto: u64) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let sent = c.notes.frames.min(upto);
        let stored = c.notes.ack_limit.map_or(sent, |limit| limit.min(sent));
        if c.participant == NOTES_ONLY || stored <= c.notes.acked {
            return;
        }
        c.notes.acked = stored;
        let msg = Outbound::text(&ServerMsg::NotesSaved { frames: stored });
        self.send_to(conn, msg);
    }

    /// `conn` now speaks for these awareness clients (it published a newer state for them): they move to it from
    /// any other connection, so that only its closing clears them. A page that reconnects before its old connection
    /// is closed takes its id along; a Yjs client that echoes others' states never claims them (an echo does not
    /// raise the clock).
    fn credit_awareness(&mut self, conn: ConnId, ids: &[yrs::ClientID]) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let mut taken = Vec::new();
        for id in ids {
            if !c.notes.awareness.contains(id) && c.notes.awareness.len() < MAX_AWARENESS_CLIENTS_PER_CONN {
                c.notes.awareness.push(*id);
                taken.push(*id);
            }
        }
        for (other, c) in self.conns.iter_mut() {
            if *other != conn {
                c.notes.awareness.retain(|id| !taken.contains(id));
            }
        }
    }

    /// Sends awareness changes now if none went out within [`AWARENESS_EVERY`], else at the end of that interval.
    fn queue_awareness(&mut self, clients: &[yrs::ClientID]) {
        for id in clients {
            if !self.awareness_pending.contains(id) {
                self.awareness_pending.push(*id);
            }
        }
        if self.awareness_due.is_some() {
            return;
        }
        match self.awareness_sent.map(|t| t + AWARENESS_EVERY) {
            Some(next) if next > Instant::now() => self.awareness_due = Some(next),
            _ => self.send_awareness(),
        }
    }

    /// One message with the latest state of every awareness client that changed, to every connection but those
    /// whose own states are all it holds.
    fn send_awareness(&mut self) {
        if let Some((frame, clients)) = self.take_awareness() {
            self.broadcast_to(Outbound::Binary(frame), |_, c| wants_awareness(c, &clients));
        }
    }

    /// The awareness message for the pending changes, and whose they are; counts as sent.
    fn take_awareness(&mut self) -> Option<(Bytes, Vec<yrs::ClientID>)> {
        self.awareness_due = None;
        let clients = std::mem::take(&mut self.awareness_pending);
        let frame = self.notes.awareness_of(&clients)?;
        self.awareness_sent = Some(Instant::now());
        Some((frame, clients))
    }

    /// Relays a notes update to every connection but its sender. Presence changes waiting for their interval go
    /// out with it: each receiver gets both frames in one push, and its writer sends them in one write. A send is
    /// the relay's main cost (docs/performance.md), and under steady editing this makes presence ride along
    /// with edits instead of costing sends of its own.
    fn broadcast_update(&mut self, from: ConnId, update: Bytes) {
        // Not before half the interval: presence changes about as often as edits, and a frame per edit for it
        // would double the frames for little gain.
        let half_way = self
            .awareness_sent
            .is_none_or(|t| t + AWARENESS_EVERY / 2 <= Instant::now());
        let presence = if self.awareness_due.is_some() && half_way {
            self.take_awareness()
        } else {
            None
        };
        self.fan_out(|id, c| {
            let presence = presence
                .as_ref()
                .filter(|(_, clients)| wants_awareness(c, clients))
                .map(|(frame, _)| Outbound::Binary(frame.clone()));
            [presence, (id != from).then(|| Outbound::Binary(update.clone()))]
        });
    }

    /// Tells the others that these awareness clients are gone.
    fn forget_awareness(&mut self, clients: &[yrs::ClientID]) {
        if let Some(frame) = self.notes.remove_awareness(clients) {
            self.broadcast(Outbound::Binary(frame.into()));
        }
    }

    /// Starts writing the notes as they are now, in a task of its own: relaying goes on while the store commits
    /// (a commit waits for the disk, and for other sessions' commits: SQLite has one writer). Each connection is
    /// told its frames are stored once the write is done, up to the frames it had sent when it started.
    fn start_flush(&mut self) {
        if self.flight.is_some() || self.notes_dirty_since.is_none() {
            return;
        }
        self.notes_dirty_since = None;
        let (store, id) = (self.store.clone(), self.id.clone());
        let (state, commitments) = (self.notes.state(), self.commitments());
        let write = tokio::spawn(async move { store.save_notes(&id, &state, &commitments, now_ms()).await });
        let acks = self.conns.iter().map(|(id, c)| (*id, c.notes.frames)).collect();
        self.flight = Some(Flight { write, acks });
    }

    /// A write started by [`Actor::start_flush`] is done.
    fn written(&mut self, acks: Vec<(ConnId, u64)>, written: Result<(), String>) {
        match written {
            // With nothing changed since the write started, everything received is stored (frames since then
            // were repeats); otherwise what was received before it started, and the next write does the rest.
            Ok(()) if self.notes_dirty_since.is_none() => {
                let conns: Vec<ConnId> = self.conns.keys().copied().collect();
                for conn in conns {
                    self.ack_notes(conn, u64::MAX);
                }
            }
            Ok(()) => {
                for (conn, frames) in acks {
                    self.ack_notes(conn, frames);
                }
            }
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not save notes; retrying");
                // Try again one flush interval from now, not in a tight loop.
                self.notes_dirty_since = Some(Instant::now());
            }
        }
    }

    /// Writes the notes now and waits for it (after any write in flight): session end and stop.
    async fn flush_notes(&mut self) {
        self.land().await;
        self.start_flush();
        self.land().await;
    }

    /// Waits for the write in flight, if any, and takes in its result.
    async fn land(&mut self) {
        if self.flight.is_some() {
            let (written, acks) = wait_for(&mut self.flight).await;
            self.written(acks, written);
        }
    }

    fn send_to_participant(&mut self, who: ParticipantId, msg: &ServerMsg) {
        let out = Outbound::text(msg);
        let targets: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.participant == who)
            .map(|(id, _)| *id)
            .collect();
        for id in targets {
            self.send_to(id, out.clone());
        }
    }

    fn room_views(&self) -> Vec<RoomView> {
        self.rooms
            .iter()
            .map(|(id, state)| RoomView {
                id: *id,
                state: state.clone(),
            })
            .collect()
    }

    fn presence(&self) -> Vec<ParticipantView> {
        self.participants
            .iter()
            .map(|p| ParticipantView {
                online: self.conns.values().any(|c| c.participant == p.view.id),
                ..p.view.clone()
            })
            .collect()
    }

    fn broadcast_presence(&mut self) {
        let msg = Outbound::text(&ServerMsg::Presence {
            participants: self.presence(),
        });
        self.broadcast(msg);
    }

    fn send_error(&mut self, conn: ConnId, code: ErrorCode, message: &str) {
        if self.conns.get(&conn).is_some_and(|c| c.participant == NOTES_ONLY) {
            tracing::debug!(session = %self.id, conn, reason = message, "refused a message from a Yjs client");
            return;
        }
        self.send_to(
            conn,
            Outbound::text(&ServerMsg::Error {
                code,
                message: message.into(),
            }),
        );
    }

    fn send_to(&mut self, conn: ConnId, msg: Outbound) {
        let full = match self.conns.get(&conn) {
            Some(c) => c.handle.outbox.queue_all([Some(msg)]).is_err(),
            None => false,
        };
        if full {
            self.drop_slow(&[conn]);
        }
    }

    /// Queues `msg` for every connection; one that cannot take it is dropped (it resyncs when it reconnects).
    fn broadcast(&mut self, msg: Outbound) {
        self.broadcast_to(msg, |_, _| true);
    }

    /// [`Actor::broadcast`] to the connections `to` accepts. Yjs clients speak binary y-sync only: JSON control
    /// messages are never for them.
    fn broadcast_to(&mut self, msg: Outbound, to: impl Fn(ConnId, &Conn) -> bool) {
        let json = matches!(msg, Outbound::Text(_));
        self.fan_out(|id, c| [(!(json && c.participant == NOTES_ONLY) && to(id, c)).then(|| msg.clone())]);
    }

    /// Writes what each connection has queued (see [`Actor::fan_out`]), once per event or burst of messages.
    fn write_queued(&self) {
        for c in self.conns.values() {
            c.handle.outbox.write_queued();
        }
    }

    /// The one fan-out: queues what `frames` gives each connection (all of it or, for a connection whose queue
    /// cannot take it all, nothing: that one is dropped and resyncs when it reconnects).
    fn fan_out<const N: usize>(&mut self, frames: impl Fn(ConnId, &Conn) -> [Option<Outbound>; N]) {
        let slow: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(id, c)| c.handle.outbox.queue_all(frames(**id, c)).is_err())
            .map(|(id, _)| *id)
            .collect();
        self.drop_slow(&slow);
    }

    fn drop_slow(&mut self, ids: &[ConnId]) {
        if ids.is_empty() {
            return;
        }
        let mut gone_awareness = Vec::new();
        for id in ids {
            if let Some(c) = self.conns.remove(id) {
                tracing::info!(session = %self.id, conn = id, "dropping a client that fell behind");
                if let Some(frame) = self.notes.remove_awareness(&c.notes.awareness) {
                    gone_awareness.push(frame);
                }
                c.handle.outbox.kick();
                if let Some(row) = c.attendance {
                    let store = self.store.clone();
                    tokio::spawn(async move {
                        if let Err(e) = store.attendance_end(row, now_ms()).await {
                            tracing::warn!(error = %e, "could not close attendance");
                        }
                    });
                }
            }
        }
        self.broadcast_presence();
        for frame in gone_awareness {
            self.broadcast(Outbound::Binary(frame.into()));
        }
    }
}

/// Who a hello says is joining (see [`ActorMsg::Join`]).
struct Joining {
    key: ParticipantKey,
    name: String,
    role: Option<String>,
    claim: Option<ParticipantId>,
}

/// Whether `c` is to be told about these awareness clients: not when they are all its own.
/// Tells a joining connection that its join could not be stored, then closes it with 1013 (try again later): a close
/// after the message, not a kick, which would close before the message is written. The page reconnects by itself.
fn join_unavailable(handle: &ConnHandle) {
    let _ = handle.outbox.try_send(Outbound::text(&ServerMsg::Error {
        code: ErrorCode::Unavailable,
        message: "Tandem could not save your join right now. Retrying…".into(),
    }));
    let _ = handle
        .outbox
        .try_send(Outbound::Close(1013, "Could not save the join; try again.".into()));
}

fn wants_awareness(c: &Conn, clients: &[yrs::ClientID]) -> bool {
    !clients.iter().all(|id| c.notes.awareness.contains(id))
}

fn rank(c: Capability) -> u8 {
    match c {
        Capability::Observer => 0,
        Capability::Participant => 1,
        Capability::Host => 2,
    }
}

/// A notes write running in a task of its own, and what each connection had sent when it started.
struct Flight {
    write: tokio::task::JoinHandle<Result<(), crate::store::StoreError>>,
    acks: Vec<(ConnId, u64)>,
}

/// Messages handled in one go before the frames they produced are written.
const BURST: usize = 32;

/// What woke the actor.
enum Event {
    Stopping(bool),
    Written(Result<(), String>, Vec<(ConnId, u64)>),
    Flush,
    Awareness,
    Msg(Option<ActorMsg>),
    Due,
    Linger,
}

/// The end of the write in flight (never, without one): its result and acks; `flight` is then empty.
async fn wait_for(flight: &mut Option<Flight>) -> (Result<(), String>, Vec<(ConnId, u64)>) {
    let Some(f) = flight else {
        return std::future::pending().await;
    };
    let written = match (&mut f.write).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let acks = std::mem::take(&mut f.acks);
    *flight = None;
    (written, acks)
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Outbound {
    /// Serializes a message once; clones share the bytes.
    pub fn text(msg: &ServerMsg) -> Outbound {
        match serde_json::to_string(msg) {
            Ok(text) => Outbound::Text(Utf8Bytes::from(text)),
            Err(_) => Outbound::Text(Utf8Bytes::from_static(
                r#"{"error":{"code":"unavailable","message":"internal error"}}"#,
            )),
        }
    }
}
