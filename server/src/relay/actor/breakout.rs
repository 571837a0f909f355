//! A session that is a breakout of a workshop (docs/workshops.md): only the people the workshop put in it may join
//! with the participant link; it takes the facilitator's commands (a message to everyone, more time, call back) and
//! reports its progress (presence, phase and clock, notes activity, feedback count, never content) to the
//! workshop's actor, which draws the dashboard from it.

use super::*;
use crate::relay::workshop::{BreakoutReport, WorkshopMsg, Workshops};
use tandem_core::protocol::workshop::ClockOp;

/// What a workshop's actor tells one of its breakouts.
#[derive(Clone, Debug)]
pub enum FromWorkshop {
    /// The facilitator's message to every breakout.
    Notice(String),
    /// Add time to the current phase.
    AddTime(u32),
    /// The facilitator's clock, with one clock for all breakouts.
    Clock(ClockOp),
    /// Send this person's pages back to the workshop page at `to` (moved to another breakout, or removed).
    Return {
        /// Whose pages.
        key: ParticipantKey,
        /// The workshop page's path and query.
        to: String,
    },
    /// The round is over: every page goes back to the workshop page at `to`, and the breakout ends.
    CallBack {
        /// The workshop page's path and query.
        to: String,
    },
    /// Send a report now (the workshop's actor just started).
    Report,
    /// Greet this person with `text` (a notice to their pages only) when they arrive: they were moved or placed here.
    Greet {
        /// Whose pages.
        key: ParticipantKey,
        /// What to tell them.
        text: String,
    },
}

/// The workshop a breakout belongs to.
pub struct BreakoutOf {
    /// The workshop's id.
    pub workshop: String,
    /// Running workshop actors, to report to.
    pub workshops: Workshops,
    /// The facilitator's latest message, shown to whoever joins later.
    pub notice: Option<String>,
    /// When the notes last changed.
    pub last_edit: Option<Millis>,
    /// Notices for people the workshop moved or placed here, given when their page arrives (by browser key).
    pub greetings: Vec<(ParticipantKey, String)>,
}

impl Actor {
    /// A command from the breakout's workshop.
    pub(super) async fn workshop_command(&mut self, msg: FromWorkshop) {
        match msg {
            FromWorkshop::Notice(text) => {
                if let Some(b) = &mut self.breakout {
                    b.notice = Some(text.clone());
                }
                self.broadcast(Outbound::text(&ServerMsg::Notice { text }));
            }
            FromWorkshop::AddTime(seconds) => {
                let now = now_ms();
                if self.ended_at.is_some() {
                    return;
                }
                let Some(room) = self.rooms.get(&RoomId::MAIN) else {
                    return;
                };
                if let Ok((next, event)) = room.apply(&self.spec.phases, TimerCommand::AddTime { seconds }, now) {
                    self.commit(RoomId::MAIN, next, event, None, now).await;
                }
            }
            FromWorkshop::Clock(op) => {
                let now = now_ms();
                let Some(room) = self.rooms.get(&RoomId::MAIN).filter(|_| self.ended_at.is_none()) else {
                    return;
                };
                let command = match op {
                    ClockOp::Start => TimerCommand::Start,
                    ClockOp::Pause => TimerCommand::Pause,
                    ClockOp::Resume => TimerCommand::Resume,
                    ClockOp::Next => TimerCommand::Next { from: room.phase },
                };
                // A breakout where it does not apply (already started, on its last phase) stays as it is.
                if let Ok((next, event)) = room.apply(&self.spec.phases, command, now) {
                    self.commit(RoomId::MAIN, next, event, None, now).await;
                }
            }
            FromWorkshop::Return { key, to } => {
                for conn in self.pages_of(&key) {
                    self.send_to(conn, Outbound::text(&ServerMsg::Return { to: to.clone() }));
                    self.send_to(conn, Outbound::Close(Close::NotInBreakout));
                }
            }
            FromWorkshop::CallBack { to } => {
                // Pages go first, so that they return to the workshop instead of showing the ended breakout.
                self.broadcast(Outbound::text(&ServerMsg::Return { to }));
                self.write_queued();
                if self.ended_at.is_none() {
                    self.end(now_ms()).await;
                } else {
                    self.report();
                }
            }
            FromWorkshop::Report => self.report(),
            FromWorkshop::Greet { key, text } => {
                let here = self.pages_of(&key);
                if here.is_empty() {
                    if let Some(b) = &mut self.breakout {
                        b.greetings.retain(|(k, _)| k != &key);
                        b.greetings.push((key, text));
                    }
                } else {
                    for conn in here {
                        self.send_to(conn, Outbound::text(&ServerMsg::Notice { text: text.clone() }));
                    }
                }
            }
        }
    }

    /// The connections of the person whose browser has `key`.
    fn pages_of(&self, key: &ParticipantKey) -> Vec<ConnId> {
        let who = self.participants.iter().find(|p| &p.key == key).map(|p| p.view.id);
        self.conns
            .iter()
            .filter(|(_, c)| who.is_some_and(|w| c.is(w)))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Whether a page may join this breakout with `key` through a `capability` link: anyone in a session that is no
    /// breakout; in a breakout, observers (the facilitator, where the workshop lets them read notes) and the
    /// participants the workshop put in it. Otherwise the workshop page's address to send the page back to.
    pub(super) async fn breakout_refuses(&self, key: &ParticipantKey, capability: Capability) -> Option<String> {
        let b = self.breakout.as_ref()?;
        if capability != Capability::Participant {
            return None;
        }
        let record = match self.store.workshop(&b.workshop).await {
            Ok(Some(record)) => record,
            // Without the workshop nothing can be checked; the store error shows up in the join itself.
            _ => return None,
        };
        let member = record.state.member_by_key(key).filter(|m| !m.removed).map(|m| m.id);
        let placed = record
            .state
            .rounds
            .iter()
            .flat_map(|r| &r.breakouts)
            .find(|br| br.session == self.id.0)
            .is_some_and(|br| member.is_some_and(|m| br.members.contains(&m)));
        let open = record
            .state
            .open_round()
            .is_some_and(|r| r.breakouts.iter().any(|br| br.session == self.id.0));
        (!(placed && open)).then(|| format!("/w/{}?t={}", b.workshop, record.participant_token))
    }

    /// The workshop page a breakout's participant goes back to (`None` for a session that is no breakout, or when
    /// the workshop cannot be read).
    pub(super) async fn workshop_page(&self) -> Option<String> {
        let b = self.breakout.as_ref()?;
        let record = self.store.workshop(&b.workshop).await.ok()??;
        Some(format!("/w/{}?t={}", b.workshop, record.participant_token))
    }

    /// Tells the workshop's actor, if it runs, how this breakout is doing.
    pub(super) fn report(&self) {
        let Some(b) = &self.breakout else { return };
        let Some(tx) = b.workshops.running(&b.workshop) else {
            return;
        };
        let online: Vec<ParticipantId> = self.conns.values().filter_map(Conn::participant).collect();
        let present = self
            .participants
            .iter()
            .filter(|p| p.view.capability == Capability::Participant && online.contains(&p.view.id))
            .map(|p| p.key.clone())
            .collect();
        let sections = self.spec.phases.iter().flat_map(|p| &p.notes).filter(|n| !n.private);
        let notes_chars = self
            .notes
            .texts(sections.map(|n| n.id.as_str()))
            .values()
            .map(|t| t.chars().count() as u32)
            .sum();
        let room = self.rooms.get(&RoomId::MAIN).cloned();
        let spent_ms = room
            .as_ref()
            .map_or(0, |r| r.spent_at(self.ended_at.unwrap_or_else(now_ms)).iter().sum());
        let report = BreakoutReport {
            spent_ms,
            session: self.id.0.clone(),
            present,
            room,
            notes_chars,
            last_edit: b.last_edit,
            feedback: self.feedback.len() as u32,
            ended: self.ended_at.is_some(),
        };
        let _ = tx.try_send(WorkshopMsg::Report(Box::new(report)));
    }
}
