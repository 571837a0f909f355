//! One task per live session: owns its participants, rooms and connections; applies commands through the pure
//! reducer, persists, then broadcasts.
//!
//! This file holds the actor's state, its loop and the dispatch of messages. Each concern has a file of its own,
//! an `impl Actor` block each: `members` (join, leave, roles, claims, presence), `timer` (timer commands,
//! auto-advance, deadlines, the end), `feedback`, `private_notes`, `notes` (y-sync frames, acks, awareness, writes)
//! and `fanout` (frames queued for connections, slow clients dropped).

mod breakout;
mod fanout;
mod feedback;
mod members;
mod notes;
mod private_notes;
mod timer;

use super::notes::Notes;
use super::outbox::Outbox;
use super::{now_ms, Outbound};
use crate::store::{ParticipantRecord, Store};
use breakout::BreakoutOf;
pub use breakout::FromWorkshop;
use notes::{wait_for, Flight, NOTES_FLUSH};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tandem_core::protocol::{Close, ErrorCode, ServerMsg};
use tandem_core::session::{
    Capability, Feedback, FeedbackDraft, FeedbackId, Millis, ParticipantId, ParticipantKey, RoomId, RoomState,
    SessionId, SessionSpec, TimerCommand,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long an actor lives on with nobody connected before it stops (its state is in the store).
const LINGER: Duration = Duration::from_secs(30);
/// Messages handled in one go before the frames they produced are written.
const BURST: usize = 32;

/// Most people (browser keys) one session records, participants and observers together: a join past it is refused
/// with a message. Every join sends the whole list to everyone, so a link pasted where it should not be cannot turn
/// each new key into a new row and a quadratic broadcast.
pub const MAX_PEOPLE: usize = 60;
/// Most connections at once to one session: pages (a person may have several tabs and devices) and Yjs clients.
pub const MAX_CONNS: usize = 120;
/// Most feedback submissions one person stores in one session (an edit reuses its submission's id).
pub const MAX_FEEDBACK_PER_GIVER: usize = 20;
/// Most commitments of one session copied to the `commitments` table at each notes write (the notes keep all).
pub const MAX_COMMITMENTS: usize = 100;

/// Timer changes (start, pause, add time, next phase...) one session stores per second, in bursts of up to
/// [`TIMER_CHANGES_BURST`]: a person clicks far less often.
pub const TIMER_CHANGES_PER_SECOND: u32 = 5;
/// See [`TIMER_CHANGES_PER_SECOND`].
pub const TIMER_CHANGES_BURST: u32 = 10;

/// Identifies one WebSocket connection.
pub type ConnId = u64;

/// A connection as the actor sees it.
pub struct ConnHandle {
    /// Messages to this connection; bounded, and a full queue means the client is too slow (then `kick` it).
    pub outbox: Outbox,
}

/// Messages to a session actor.
pub enum ActorMsg {
    /// A connection joins: a Tandem page after a valid hello, or a Yjs client.
    Join {
        /// The connection.
        conn: ConnId,
        /// Its queue and kick switch.
        handle: ConnHandle,
        /// What its link allows.
        capability: Capability,
        /// As whom.
        joining: JoinAs,
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
        /// The frame's share of the inbox's bytes ([`crate::relay::MAX_INBOX_BYTES`]), given back once handled.
        held: Option<tokio::sync::OwnedSemaphorePermit>,
    },
    /// From the workshop this session is a breakout of.
    Workshop(FromWorkshop),
    /// The session was deleted from the store: tell everyone, close, and stop without writing anything.
    Deleted,
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
}

/// Whom a connection joins as (see [`ActorMsg::Join`]).
#[derive(Clone)]
pub enum JoinAs {
    /// A Tandem page: the person its hello names.
    Session(Joining),
    /// An official Yjs client (`/yjs`): the notes only.
    NotesOnly,
}

/// Who a hello says is joining.
#[derive(Clone)]
pub struct Joining {
    /// The browser's key.
    pub key: ParticipantKey,
    /// Cleaned display name.
    pub name: String,
    /// Role, checked against the session's roles.
    pub role: Option<String>,
    /// "This is me on another device": the participant a new key is to stand for.
    pub claim: Option<ParticipantId>,
}

/// What kind of client a connection is.
enum ConnKind {
    /// A Tandem page: a participant, and the attendance row of this stay (if it could be stored).
    Session {
        /// Who the page is.
        participant: ParticipantId,
        /// The attendance row this stay is recorded in, closed when the connection goes.
        attendance: Option<i64>,
    },
    /// An official Yjs client: shares the notes document, is nobody in the session, and reads no JSON.
    NotesOnly,
}

/// A connection as the actor keeps it.
struct Conn {
    kind: ConnKind,
    capability: Capability,
    handle: ConnHandle,
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
    fn new(kind: ConnKind, capability: Capability, handle: ConnHandle) -> Conn {
        Conn {
            kind,
            capability,
            handle,
            notes: ConnNotes::default(),
        }
    }

    /// The participant a Tandem page is; `None` for a Yjs client.
    fn participant(&self) -> Option<ParticipantId> {
        match self.kind {
            ConnKind::Session { participant, .. } => Some(participant),
            ConnKind::NotesOnly => None,
        }
    }

    /// Whether this is a connection of `who`.
    fn is(&self, who: ParticipantId) -> bool {
        self.participant() == Some(who)
    }

    /// Whether the client reads JSON control messages (Yjs clients speak binary y-sync only).
    fn reads_json(&self) -> bool {
        matches!(self.kind, ConnKind::Session { .. })
    }

    /// The attendance row to close when this connection goes.
    fn attendance(&self) -> Option<i64> {
        match self.kind {
            ConnKind::Session { attendance, .. } => attendance,
            ConnKind::NotesOnly => None,
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
    /// The workshop this session is a breakout of, if it is one.
    breakout: Option<BreakoutOf>,
    /// Timer changes stored lately ([`TIMER_CHANGES_PER_SECOND`]).
    timer_writes: governor::DefaultDirectRateLimiter,
    /// The session was deleted: nothing more is written, and the actor stops.
    deleted: bool,
    /// The last notes write failed (the pages were told; they are told again after a write succeeds and fails).
    notes_failing: bool,
}

impl Actor {
    /// Loads a session's live state from the store, catching up on deadlines passed while no relay ran it.
    pub async fn load(
        store: Store,
        id: SessionId,
        workshops: crate::relay::workshop::Workshops,
    ) -> Result<Option<Actor>, crate::store::StoreError> {
        let Some(record) = store.session(&id.0).await? else {
            return Ok(None);
        };
        let participants = store.participants(&id).await?;
        let aliases = store.participant_keys(&id).await?;
        let feedback = store.feedback(&id).await?;
        let spec = record.spec.clone();
        // The shared sections of the agenda and the commitments: the only names an update may write to.
        let roots = spec
            .phases
            .iter()
            .flat_map(|p| &p.notes)
            .filter(|n| !n.private)
            .map(|n| n.id.clone());
        let notes = Notes::load(store.notes(&id).await?.as_deref())
            .map_err(|e| crate::store::StoreError::Notes(e.to_string()))?
            .only_roots(roots.chain([tandem_core::notes::COMMITMENTS.to_string()]));
        let mut rooms: BTreeMap<RoomId, RoomState> = store.rooms(&id).await?.into_iter().collect();
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
            breakout: record.workshop_id.map(|workshop| BreakoutOf {
                workshop,
                workshops,
                notice: None,
                last_edit: None,
                greetings: Vec::new(),
            }),
            timer_writes: governor::RateLimiter::direct(
                governor::Quota::per_second(std::num::NonZeroU32::new(TIMER_CHANGES_PER_SECOND).expect("not 0"))
                    .allow_burst(std::num::NonZeroU32::new(TIMER_CHANGES_BURST).expect("not 0")),
            ),
            deleted: false,
            notes_failing: false,
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
                _ = crate::relay::leases::changed(self.store.lease()) => Event::Lease,
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
                    if self.deleted {
                        inbox.close();
                        while let Ok(msg) = inbox.try_recv() {
                            if let ActorMsg::Join { handle, .. } = msg {
                                let _ = handle.outbox.try_send(Outbound::Close(Close::Deleted));
                            }
                        }
                        break;
                    }
                    empty_since = if self.conns.is_empty() {
                        empty_since.or(Some(Instant::now()))
                    } else {
                        None
                    };
                }
                Event::Due => self.advance_due().await,
                Event::Lease => {
                    // Asked for by another relay: save, then send everyone there. Taken by one: stop at once,
                    // writing nothing (the pages hold what was not saved, and send it again there).
                    inbox.close();
                    self.moved(&mut inbox).await;
                    break;
                }
                Event::Linger => {
                    // Close the inbox first so a join racing with shutdown fails and the relay starts a fresh actor.
                    inbox.close();
                    // Nobody is connected, so only joins can be queued: send them to a fresh actor.
                    while let Ok(msg) = inbox.try_recv() {
                        if let ActorMsg::Join { handle, .. } = msg {
                            let _ = handle.outbox.try_send(Outbound::Close(Close::SessionRestarting));
                        }
                    }
                    break;
                }
            }
            self.write_queued();
        }
        // Always on the way out: graceful shutdown and idle stop keep every edit (a deleted session keeps nothing,
        // and one that another relay took can write nothing).
        if !self.deleted && !self.store.lease().is_some_and(|l| l.is_lost()) {
            self.flush_notes().await;
        }
        self.write_queued();
        tracing::debug!(session = %self.id, "session actor stopped");
    }

    /// The participant and link capability of a Tandem page's connection (`None` for a Yjs client or a connection
    /// that is gone).
    fn member(&self, conn: ConnId) -> Option<(ParticipantId, Capability)> {
        let c = self.conns.get(&conn)?;
        Some((c.participant()?, c.capability))
    }

    async fn handle(&mut self, msg: ActorMsg) {
        match msg {
            ActorMsg::Join {
                conn,
                handle,
                capability,
                joining,
            } => match joining {
                JoinAs::Session(who) => self.join(conn, handle, capability, who).await,
                JoinAs::NotesOnly => self.join_notes(conn, handle, capability),
            },
            ActorMsg::SetRole { conn, role } => self.set_role(conn, role).await,
            ActorMsg::Leave { conn } => self.leave(conn).await,
            ActorMsg::Timer { conn, room, command } => self.timer(conn, room, command).await,
            ActorMsg::Feedback { conn, draft } => self.submit_feedback(conn, draft).await,
            ActorMsg::Share { conn, id, shared } => self.share_feedback(conn, id, shared).await,
            ActorMsg::Notes { conn, frame, held: _ } => self.notes_frame(conn, &frame),
            ActorMsg::PrivateNote {
                conn,
                section,
                text,
                rev,
            } => self.private_note(conn, section, text, rev).await,
            ActorMsg::End { conn } => self.end_by(conn).await,
            ActorMsg::Workshop(msg) => self.workshop_command(msg).await,
            ActorMsg::Deleted => self.deleted(),
        }
    }
}

/// What woke the actor.
enum Event {
    Stopping(bool),
    Written(Result<(), String>, Vec<(ConnId, u64)>),
    Flush,
    Awareness,
    Msg(Option<ActorMsg>),
    Due,
    Linger,
    Lease,
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
