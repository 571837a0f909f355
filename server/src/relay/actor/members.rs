//! Members and presence: who joins (a new person, the same person again, or a person on another device), who
//! leaves, role changes, and the presence list everyone sees.

use super::*;
use tandem_core::protocol::{may_claim, PROTOCOL_VERSION};
use tandem_core::session::ParticipantView;

impl Actor {
    /// A Tandem page joins as the person its hello names: welcomed with the session, everyone's presence, its own
    /// feedback and private texts, and the notes.
    pub(super) async fn join(&mut self, conn: ConnId, handle: ConnHandle, capability: Capability, who: Joining) {
        let Joining { key, name, role, claim } = who;
        let now = now_ms();
        if let Some(at) = self.ended_at {
            // A breakout's participant arriving after the round was called back goes back to the workshop.
            let home = match capability {
                Capability::Participant => self.workshop_page().await,
                _ => None,
            };
            let msg = match home {
                Some(to) => ServerMsg::Return { to },
                None => ServerMsg::Ended { at },
            };
            let _ = handle.outbox.try_send(Outbound::text(&msg));
            let _ = handle.outbox.try_send(Outbound::Close(Close::Ended));
            return;
        }
        if let Some(to) = self.breakout_refuses(&key, capability).await {
            let _ = handle.outbox.try_send(Outbound::text(&ServerMsg::Return { to }));
            let _ = handle.outbox.try_send(Outbound::Close(Close::NotInBreakout));
            return;
        }
        if self.conns.len() >= MAX_CONNS {
            refuse_full(
                &handle,
                "This session has as many connections as it can take; close another tab and reload.",
            );
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
            None if self.participants.len() >= MAX_PEOPLE => {
                let message = format!("This session is full: at most {MAX_PEOPLE} people can join one session.");
                refuse_full(&handle, &message);
                return;
            }
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
        if capability.rank() > record.view.capability.rank() {
            record.view.capability = capability;
        }
        let record = record.clone();
        let mut store_down = false;
        if let Err(e) = self.store.save_participant(&self.id, &record, now).await {
            tracing::error!(session = %self.id, error = %e, "could not save participant");
            // Someone the store already knows comes in anyway (the session goes on, and each write says whether
            // it was kept); someone new cannot be recorded, so their page retries.
            if existing.is_none() {
                self.participants.pop();
                join_unavailable(&handle);
                return;
            }
            store_down = true;
        }
        let participant = record.view.id;
        let attendance = self.store.attendance_start(&self.id, participant, now).await.ok();
        // Only this participant's own private texts (a failed read shows an empty draft; the page keeps its copy).
        let private_notes = match self.store.private_notes(&self.id, participant).await {
            Ok(list) => list,
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not read private notes");
                Vec::new()
            }
        };
        let kind = ConnKind::Session {
            participant,
            attendance,
        };
        self.conns.insert(conn, Conn::new(kind, capability, handle));
        let welcome = ServerMsg::Welcome {
            protocol: PROTOCOL_VERSION,
            you: participant,
            capability,
            session: Box::new(self.spec.clone()),
            participants: self.presence(),
            rooms: self.room_views(),
            now,
            feedback: self
                .feedback
                .iter()
                .filter(|f| f.from == participant || f.about == participant)
                .cloned()
                .collect(),
            private_notes,
        };
        self.send_to(conn, Outbound::text(&welcome));
        if let Some(text) = self.breakout.as_ref().and_then(|b| b.notice.clone()) {
            self.send_to(conn, Outbound::text(&ServerMsg::Notice { text }));
        }
        // Someone the workshop moved or placed here is told so, once (after the facilitator's message: it shows last).
        if let Some(b) = self.breakout.as_mut() {
            if let Some(at) = b.greetings.iter().position(|(k, _)| k == &record.key) {
                let (_, text) = b.greetings.remove(at);
                self.send_to(conn, Outbound::text(&ServerMsg::Notice { text }));
            }
        }
        if store_down {
            self.send_error(
                conn,
                ErrorCode::Unavailable,
                "Tandem cannot save right now; it keeps trying. What you write stays on this page until it is saved.",
            );
        }
        self.open_notes(conn);
        self.broadcast_presence();
    }

    /// The session is gone from the store: every page is told and closed, and the actor stops (without writing:
    /// [`Actor::run`]).
    pub(super) fn deleted(&mut self) {
        self.deleted = true;
        self.notes_dirty_since = None;
        let told = Outbound::text(&ServerMsg::Error {
            code: ErrorCode::Ended,
            message: "The host deleted this session; nothing of it is kept.".into(),
        });
        for (_, c) in self.conns.drain() {
            if c.reads_json() {
                let _ = c.handle.outbox.try_send(told.clone());
            }
            let _ = c.handle.outbox.try_send(Outbound::Close(Close::Deleted));
        }
    }

    /// Another relay runs this session now, or asked for it (`relay/leases.rs`). Asked for: the notes are saved
    /// first (this relay still holds the lease). Then every page, and every join still queued, is closed with
    /// [`Close::Moved`]: they reconnect, and the load balancer sends them to the other relay.
    pub(super) async fn moved(&mut self, inbox: &mut tokio::sync::mpsc::Receiver<super::ActorMsg>) {
        if !self.store.lease().is_some_and(|l| l.is_lost()) {
            self.flush_notes().await;
        }
        tracing::info!(session = %self.id, "session moved to another relay");
        for (_, c) in self.conns.drain() {
            let _ = c.handle.outbox.try_send(Outbound::Close(Close::Moved));
        }
        while let Ok(msg) = inbox.try_recv() {
            if let super::ActorMsg::Join { handle, .. } = msg {
                let _ = handle.outbox.try_send(Outbound::Close(Close::Moved));
            }
        }
        self.notes_dirty_since = None;
    }

    /// A Yjs client joins the notes only: no participant, no presence, no JSON.
    pub(super) fn join_notes(&mut self, conn: ConnId, handle: ConnHandle, capability: Capability) {
        if self.ended_at.is_some() {
            let _ = handle.outbox.try_send(Outbound::Close(Close::Ended));
            return;
        }
        // A breakout's members are known by their browser's key, which a Yjs client does not send: a breakout's
        // participant link opens its notes to Tandem's pages only (the facilitator's observer link, where allowed,
        // works from any Yjs client).
        if self.breakout.is_some() && capability == Capability::Participant {
            let _ = handle.outbox.try_send(Outbound::Close(Close::NotInBreakout));
            return;
        }
        if self.conns.len() >= MAX_CONNS {
            let _ = handle.outbox.try_send(Outbound::Close(Close::SessionFull));
            return;
        }
        self.conns
            .insert(conn, Conn::new(ConnKind::NotesOnly, capability, handle));
        self.open_notes(conn);
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
    pub(super) async fn set_role(&mut self, conn: ConnId, role: String) {
        let Some((me, capability)) = self.member(conn) else {
            return;
        };
        if self.ended_at.is_some() {
            self.send_error(conn, ErrorCode::Ended, "This session has ended.");
            return;
        }
        if capability == Capability::Observer {
            self.send_error(conn, ErrorCode::NotAllowed, "Observers watch without a role.");
            return;
        }
        if self.breakout.is_some() {
            self.send_error(conn, ErrorCode::Refused, "In a workshop, each round gives the roles.");
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

    /// A connection ended: its awareness states are gone, its attendance closed, and everyone sees who is left.
    pub(super) async fn leave(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.remove(&conn) {
            self.forget_awareness(&c.notes.awareness);
            if let Some(row) = c.attendance() {
                if let Err(e) = self.store.attendance_end(row, now_ms()).await {
                    tracing::warn!(session = %self.id, error = %e, "could not close attendance");
                }
            }
            self.broadcast_presence();
        }
    }

    /// Everyone in the session, online when they have at least one open connection; then each Yjs client
    /// connected to the notes, so that nobody reads or writes them unseen. A Yjs client is nobody in the session
    /// (never stored, never a feedback partner): it shows as an observer named for what its link allows, with an
    /// id from the top of the range that no person gets.
    pub(super) fn presence(&self) -> Vec<ParticipantView> {
        let people = self.participants.iter().map(|p| ParticipantView {
            online: self.conns.values().any(|c| c.is(p.view.id)),
            ..p.view.clone()
        });
        let mut apps: Vec<(ConnId, Capability)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.participant().is_none())
            .map(|(id, c)| (*id, c.capability))
            .collect();
        apps.sort_unstable_by_key(|(id, _)| *id);
        let apps = apps
            .into_iter()
            .enumerate()
            .map(|(i, (_, capability))| ParticipantView {
                id: ParticipantId::app(i as u32),
                name: match capability {
                    Capability::Observer => "Notes app (Yjs, reading)".into(),
                    _ => "Notes app (Yjs, editing)".into(),
                },
                role: None,
                capability: Capability::Observer,
                online: true,
            });
        people.chain(apps).collect()
    }

    pub(super) fn broadcast_presence(&mut self) {
        let msg = Outbound::text(&ServerMsg::Presence {
            participants: self.presence(),
        });
        self.broadcast(msg);
        self.report();
    }
}

/// Refuses a join to a session at one of its bounds ([`MAX_PEOPLE`], [`MAX_CONNS`]), saying which.
fn refuse_full(handle: &ConnHandle, message: &str) {
    let _ = handle.outbox.try_send(Outbound::text(&ServerMsg::Error {
        code: ErrorCode::NotAllowed,
        message: message.into(),
    }));
    let _ = handle.outbox.try_send(Outbound::Close(Close::SessionFull));
}

/// Tells a joining connection that its join could not be stored, then closes it with 1013 (try again later): a close
/// after the message, not a kick, which would close before the message is written. The page reconnects by itself.
fn join_unavailable(handle: &ConnHandle) {
    let _ = handle.outbox.try_send(Outbound::text(&ServerMsg::Error {
        code: ErrorCode::Unavailable,
        message: "Tandem could not save your join right now. Retrying…".into(),
    }));
    let _ = handle.outbox.try_send(Outbound::Close(Close::JoinNotSaved));
}
