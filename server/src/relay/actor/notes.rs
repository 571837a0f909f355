//! The shared notes on the actor's side: y-sync frames applied and relayed, each connection told when its frames
//! are stored, awareness (who is where) coalesced, and the document written in the background.

use super::*;
use crate::relay::notes::{NotesError, MAX_AWARENESS_CLIENTS_PER_CONN};
use axum::body::Bytes;
use tandem_core::notes::{commitments_of, Commitment};

/// Notes are written to the store at most this long after the first unsaved edit (the store then commits them with
/// the other sessions' writes of the moment: `store/notes_batch.rs`).
pub(super) const NOTES_FLUSH: Duration = Duration::from_millis(500);
/// Awareness (presence, cursors) goes out at most this often per session, all changes since the last send in one
/// message: the first change after a quiet spell goes at once, later ones wait for the end of the interval. Under
/// load this cuts the relay's frames and `send` calls (20 people renewing presence every second meant 380 frames a
/// second per room, now at most 5 per receiver; docs/performance.md).
const AWARENESS_EVERY: Duration = Duration::from_millis(200);

/// A notes write running in a task of its own, and what each connection had sent when it started.
pub(super) struct Flight {
    write: tokio::task::JoinHandle<Result<(), crate::store::StoreError>>,
    acks: Vec<(ConnId, u64)>,
}

impl Actor {
    /// Opens the notes for a connection that just joined: the relay's state vector (the client answers with the
    /// edits the relay is missing) and, if anyone is present, the current awareness states.
    pub(super) fn open_notes(&mut self, conn: ConnId) {
        self.send_to(conn, Outbound::Binary(self.notes.sync_step1().into()));
        if let Some(frame) = self.notes.awareness_frame() {
            self.send_to(conn, Outbound::Binary(frame.into()));
        }
    }

    /// A binary y-sync frame from `conn`: applied (if it may write), answered, relayed, and counted for its ack.
    pub(super) fn notes_frame(&mut self, conn: ConnId, frame: &Bytes) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.notes.frames += 1;
        let may_write = c.capability != Capability::Observer && self.ended_at.is_none();
        let refused_before = c.notes.refused;
        let known = c.notes.awareness.clone();
        // Presence that connections of other people (or other Yjs clients) speak for: never this one's to change.
        // Only an awareness frame (y-sync message 1) needs it: edits, the hot path, skip the walk.
        let me = c.participant();
        let foreign: Vec<yrs::ClientID> = if frame.first() == Some(&1) {
            self.conns
                .iter()
                .filter(|(id, other)| **id != conn && (me.is_none() || other.participant() != me))
                .flat_map(|(_, other)| other.notes.awareness.iter().copied())
                .collect()
        } else {
            Vec::new()
        };
        let result = match self
            .notes
            .handle_from(frame, may_write && !refused_before, &known, &foreign)
        {
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
            Err(e @ NotesError::Malformed) => {
                self.send_error(conn, ErrorCode::BadMessage, &e.to_string());
                self.send_to(conn, Outbound::Close(Close::MalformedNotes));
            }
            Err(e @ NotesError::UnknownSection) => {
                self.send_error(conn, ErrorCode::BadMessage, &e.to_string());
                self.send_to(conn, Outbound::Close(Close::MalformedNotes));
            }
            Err(e @ NotesError::OutOfOrder) => {
                self.send_error(conn, ErrorCode::BadMessage, &e.to_string());
                self.send_to(conn, Outbound::Close(Close::NotesOutOfOrder));
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

    /// The shared sections' texts, by section id. Private sections are never part of the shared outcome or the
    /// search (even if a Yjs client wrote such a name).
    pub(super) fn shared_texts(&self) -> std::collections::BTreeMap<String, String> {
        let sections = self
            .spec
            .phases
            .iter()
            .flat_map(|p| p.notes.iter().filter(|n| !n.private));
        self.notes.texts(sections.map(|n| n.id.as_str()))
    }

    /// The commitments in the notes document, cleaned for storage.
    pub(super) fn commitments(&self) -> Vec<Commitment> {
        let members: Vec<ParticipantId> = self.participants.iter().map(|p| p.view.id).collect();
        commitments_of(self.notes.doc())
            .into_iter()
            .map(|c| c.cleaned(&members))
            .filter(|c| !c.text.is_empty())
            .take(MAX_COMMITMENTS)
            .collect()
    }

    /// Tells a Tandem page that its frames up to `upto` (at most all it sent) are stored. (A Yjs client is told
    /// nothing: the confirmation is JSON.)
    fn ack_notes(&mut self, conn: ConnId, upto: u64) {
        let Some(c) = self.conns.get_mut(&conn).filter(|c| c.reads_json()) else {
            return;
        };
        let sent = c.notes.frames.min(upto);
        let stored = c.notes.ack_limit.map_or(sent, |limit| limit.min(sent));
        if stored <= c.notes.acked {
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
    pub(super) fn send_awareness(&mut self) {
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
    pub(super) fn forget_awareness(&mut self, clients: &[yrs::ClientID]) {
        if let Some(frame) = self.notes.remove_awareness(clients) {
            self.broadcast(Outbound::Binary(frame.into()));
        }
    }

    /// Starts writing the notes as they are now, in a task of its own: relaying goes on while the store commits
    /// (a commit waits for the disk, and for other sessions' commits: SQLite has one writer). Each connection is
    /// told its frames are stored once the write is done, up to the frames it had sent when it started.
    pub(super) fn start_flush(&mut self) {
        if self.flight.is_some() || self.notes_dirty_since.is_none() {
            return;
        }
        self.notes_dirty_since = None;
        if let Some(b) = &mut self.breakout {
            b.last_edit = Some(now_ms());
        }
        let (store, id) = (self.store.clone(), self.id.clone());
        let (state, commitments) = (self.notes.state(), self.commitments());
        let texts = self.shared_texts().into_iter().collect();
        let write =
            tokio::spawn(async move { store.save_notes_together(id, state, commitments, texts, now_ms()).await });
        let acks = self.conns.iter().map(|(id, c)| (*id, c.notes.frames)).collect();
        self.flight = Some(Flight { write, acks });
    }

    /// A write started by [`Actor::start_flush`] is done.
    pub(super) fn written(&mut self, acks: Vec<(ConnId, u64)>, written: Result<(), String>) {
        match written {
            // With nothing changed since the write started, everything received is stored (frames since then
            // were repeats); otherwise what was received before it started, and the next write does the rest.
            Ok(()) if self.notes_dirty_since.is_none() => {
                self.notes_failing = false;
                let conns: Vec<ConnId> = self.conns.keys().copied().collect();
                for conn in conns {
                    self.ack_notes(conn, u64::MAX);
                }
                self.report();
            }
            Ok(()) => {
                self.notes_failing = false;
                for (conn, frames) in acks {
                    self.ack_notes(conn, frames);
                }
                self.report();
            }
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not save notes; retrying");
                // Try again one flush interval from now, not in a tight loop.
                self.notes_dirty_since = Some(Instant::now());
                // The pages keep the edits (unconfirmed); say why once per spell of failures.
                if !self.notes_failing {
                    self.notes_failing = true;
                    let msg = Outbound::text(&ServerMsg::Error {
                        code: ErrorCode::Unavailable,
                        message: "Tandem could not save the notes just now; it keeps trying, and your text stays on \
                                  this page."
                            .into(),
                    });
                    self.broadcast(msg);
                }
            }
        }
    }

    /// Writes the notes now and waits for it (after any write in flight): session end and stop.
    pub(super) async fn flush_notes(&mut self) {
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
}

/// Whether `c` is to be told about these awareness clients: not when they are all its own.
fn wants_awareness(c: &Conn, clients: &[yrs::ClientID]) -> bool {
    !clients.iter().all(|id| c.notes.awareness.contains(id))
}

/// The end of the write in flight (never, without one): its result and acks; `flight` is then empty.
pub(super) async fn wait_for(flight: &mut Option<Flight>) -> (Result<(), String>, Vec<(ConnId, u64)>) {
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
