//! The rooms' timers: commands through the pure reducer, each new state stored before it is adopted and
//! broadcast; auto-advance and the session's end at their deadlines; the end itself (the outcome stored, everyone
//! told and closed).

use super::*;
use tandem_core::protocol::RoomView;
use tandem_core::session::{planned_ms, Outcome, PhaseTime, RoomEvent, Timer};

impl Actor {
    /// A timer command from `conn`, for a room: applied if its link may drive the timer.
    pub(super) async fn timer(&mut self, conn: ConnId, room_id: RoomId, command: TimerCommand) {
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
        // Each change is a write to the store: a few sockets sending them as fast as they may would keep the
        // database busy for every other session.
        if self.timer_writes.check().is_err() {
            self.send_error(
                conn,
                ErrorCode::RateLimited,
                "Too many timer changes at once; wait a moment and try again.",
            );
            return;
        }
        let now = now_ms();
        match room.apply(&self.spec.phases, command, now) {
            Ok((next, event)) => {
                let by = self.conns.get(&conn).and_then(Conn::participant);
                self.commit(room_id, next, event, by, now).await;
            }
            Err(e) => self.send_to(conn, Outbound::text(&ServerMsg::refused(e))),
        }
    }

    /// Persists a room's new state, and only then adopts and broadcasts it.
    pub(super) async fn commit(
        &mut self,
        room_id: RoomId,
        next: RoomState,
        event: RoomEvent,
        by: Option<ParticipantId>,
        now: i64,
    ) {
        if let Err(e) = self.store.save_room(&self.id, room_id, &next, now).await {
            tracing::error!(session = %self.id, error = %e, "could not save room state");
            if let Some(conn) = by.and_then(|p| self.conns.iter().find(|(_, c)| c.is(p)).map(|(id, _)| *id)) {
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
        self.report();
    }

    /// Every room as the welcome shows it.
    pub(super) fn room_views(&self) -> Vec<RoomView> {
        self.rooms
            .iter()
            .map(|(id, state)| RoomView {
                id: *id,
                state: state.clone(),
            })
            .collect()
    }

    /// What is due now: the end after the last phase, or (with auto-advance) the next phase of each room.
    pub(super) async fn advance_due(&mut self) {
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
            Timer::Running { deadline } => Some(deadline),
            _ => None,
        }
    }

    /// When [`Actor::advance_due`] has something to do next.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
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

    /// `conn` asks to end the session: only the host may.
    pub(super) async fn end_by(&mut self, conn: ConnId) {
        match self.conns.get(&conn).map(|c| c.capability) {
            Some(Capability::Host) => self.end(now_ms()).await,
            Some(_) => self.send_error(conn, ErrorCode::NotAllowed, "Only the host can end the session."),
            None => {}
        }
    }

    /// Stores the outcome, marks the session ended, tells everyone, and closes every connection.
    pub(super) async fn end(&mut self, now: Millis) {
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
        let outcome = Outcome {
            ended_at: now,
            phases,
            attendance,
            notes: self.shared_texts(),
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
        self.broadcast(Outbound::Close(Close::Ended));
        // Each connection sends the two frames above and stops; attendance was closed by `end_session`.
        self.write_queued();
        self.conns.clear();
        // A breakout's workshop learns that it ended and how long its clocks ran.
        self.report();
    }
}
