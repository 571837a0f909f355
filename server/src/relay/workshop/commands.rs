//! The facilitator's commands: each applied to a copy of the state, the copy stored, then adopted; the breakouts
//! are told after that.

use super::*;
use crate::backend::random_token;
use crate::store::SessionRecord;
use tandem_core::protocol::workshop::ClockOp;
use tandem_core::session::TimerControl;
use tandem_core::workshop::{repeats, Breakout, Groups, Round, Stage, WorkshopState, MAX_MEMBERS};

impl WorkshopActor {
    pub(super) async fn command(&mut self, conn: ConnId, msg: WorkshopClientMsg) {
        let Some(capability) = self.conns.get(&conn).map(|c| c.capability) else {
            return;
        };
        if capability != Capability::Host {
            let message = match capability {
                Capability::Observer => "Observers can watch but not change the workshop.",
                _ => "Only the facilitator can do that.",
            };
            self.send_error(conn, ErrorCode::NotAllowed, message);
            return;
        }
        let now = now_ms();
        let result = match msg {
            WorkshopClientMsg::Hello { .. } | WorkshopClientMsg::Ping { .. } => Ok(()),
            WorkshopClientMsg::Propose => self.propose(),
            WorkshopClientMsg::Draft { groups } => self.draft(groups),
            WorkshopClientMsg::Open { groups } => self.open(groups, now).await,
            WorkshopClientMsg::Move { who, to } => self.move_to(who, to).await,
            WorkshopClientMsg::Rename { who, name } => {
                let mut next = self.record.state.clone();
                match next.rename(who, &name) {
                    Ok(()) => self.adopt(next).await,
                    Err(e) => Err(e.into()),
                }
            }
            WorkshopClientMsg::Remove { who } => self.remove(who).await,
            WorkshopClientMsg::Broadcast { text } => self.broadcast(&text, now).await,
            WorkshopClientMsg::AddTime { minutes } => self.add_time(minutes),
            WorkshopClientMsg::Clock { op } => self.clock(op),
            WorkshopClientMsg::StartPlenary => {
                let mut next = self.record.state.clone();
                match next.start_plenary(&self.record.spec.settings, now) {
                    Ok(_) => self.adopt(next).await,
                    Err(e) => Err(e.into()),
                }
            }
            WorkshopClientMsg::CallBack => self.call_back(now).await,
            WorkshopClientMsg::End => self.end(now).await,
        };
        if let Err(Refusal(code, message)) = result {
            self.send_error(conn, code, &message);
        }
    }

    /// Members whose page is connected, to the workshop or to their breakout.
    pub(super) fn present(&self) -> Vec<ParticipantId> {
        let mut present: Vec<ParticipantId> = self.conns.values().map(|c| c.member).collect();
        for report in self.reports.values().filter(|r| !r.ended) {
            for key in &report.present {
                if let Some(m) = self.record.state.member_by_key(key) {
                    present.push(m.id);
                }
            }
        }
        // Someone on the skills page left the workshop page to go there and comes back to it.
        let now = Instant::now();
        present.extend(self.visiting.iter().filter(|(_, until)| **until > now).map(|(m, _)| *m));
        present.sort();
        present.dedup();
        present
    }

    fn propose(&mut self) -> Result<(), Refusal> {
        let how = self.record.state.pairing(&self.record.spec);
        let groups = self.record.state.propose(&self.record.spec, &self.present(), how)?;
        self.keep_proposal(groups);
        Ok(())
    }

    /// The facilitator moved people in the proposal: kept as the proposal (it is checked when the round opens).
    fn draft(&mut self, groups: Groups) -> Result<(), Refusal> {
        if self.proposal.is_none() || self.record.state.stage == Stage::Breakouts {
            return Err(Refusal(
                ErrorCode::Refused,
                "There is no proposal to change: propose groups first.".into(),
            ));
        }
        let known = |p: &ParticipantId| self.record.state.member(*p).is_some();
        // At most everyone once: a draft is echoed to every facilitator's page, so it must stay small.
        if groups.iter().map(Vec::len).sum::<usize>() > MAX_MEMBERS || !groups.iter().flatten().all(known) {
            return Err(WorkshopError::BadGroups.into());
        }
        self.keep_proposal(groups);
        Ok(())
    }

    /// Keeps `groups` as the next round's proposal and shows it on every facilitator's page.
    fn keep_proposal(&mut self, groups: Groups) {
        let history: Vec<Groups> = self.record.state.rounds.iter().map(Round::groups).collect();
        let repeats = repeats(&groups, &history);
        let msg = WorkshopServerMsg::Proposal { groups, repeats };
        let hosts: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.capability == Capability::Host)
            .map(|(id, _)| *id)
            .collect();
        for conn in hosts {
            self.send(conn, &msg);
        }
        self.proposal = Some(msg);
    }

    /// Opens the next round: a session per group, stored with the state in one transaction.
    async fn open(&mut self, groups: Groups, now: Millis) -> Result<(), Refusal> {
        let present = self.present();
        let groups = self.record.state.fit_groups(groups, &present);
        self.record.state.check_groups(&self.record.spec, &groups, &present)?;
        let round = self.record.state.rounds.len() + 1;
        let records: Vec<SessionRecord> = (1..=groups.len())
            .map(|n| self.breakout_record(now, round, n))
            .collect();
        let breakouts = groups
            .into_iter()
            .zip(&records)
            .map(|(members, r)| Breakout {
                session: r.spec.id.0.clone(),
                token: r.participant_token.clone(),
                observer_token: r.observer_token.clone(),
                members,
                spent_ms: None,
            })
            .collect();
        let mut next = self.record.state.clone();
        next.open(breakouts, now);
        if let Err(e) = self.store.open_round(&self.id, &records, &next).await {
            tracing::error!(workshop = %self.id, error = %e, "could not open a round");
            return Err(unavailable());
        }
        self.record.state = next;
        self.proposal = None;
        self.reports.clear();
        self.send_views();
        self.dashboard_due = Some(Instant::now());
        Ok(())
    }

    /// A new breakout session, breakout `number` of `round`: the workshop's format, its clock driven by its members
    /// (self-paced). Its format's name carries the round and breakout ("GROW coaching, round 2 · breakout 3"): the
    /// breakout's page, its summary and anyone's history then say where it belongs.
    fn breakout_record(&self, now: Millis, round: usize, number: usize) -> SessionRecord {
        let mut spec = self.record.spec.format.clone();
        // The workshop's id first: a load balancer that places sessions by the id before the dot puts every
        // breakout on the relay that runs its workshop, which talks to them in memory (deploy/haproxy.cfg).
        spec.id = SessionId(format!("{}.{}", self.id, random_token(10)));
        spec.created_at = now;
        spec.template_name = format!("{}, round {round} · breakout {number}", spec.template_name);
        spec.settings.breakout = true;
        // Self-paced: the members drive their breakout's clock; with one clock, only the facilitator does (through
        // the workshop: nobody holds a breakout's host link).
        spec.settings.timer_control = if self.record.spec.settings.one_clock {
            TimerControl::Host
        } else {
            TimerControl::Everyone
        };
        SessionRecord {
            spec,
            participant_token: random_token(16),
            host_token: random_token(16),
            observer_token: random_token(16),
            ended_at: None,
            workshop_id: Some(self.id.clone()),
        }
    }

    async fn move_to(&mut self, who: ParticipantId, to: usize) -> Result<(), Refusal> {
        let mut next = self.record.state.clone();
        let from = next.move_to(who, to)?;
        let left = from.and_then(|f| self.record.state.rounds.last().map(|r| r.breakouts[f].session.clone()));
        self.adopt(next).await?;
        let Some(key) = self.record.state.member(who).map(|m| m.key.clone()) else {
            return Ok(());
        };
        if let Some(session) = left {
            let msg = FromWorkshop::Return {
                key: key.clone(),
                to: self.participant_page(),
            };
            self.tell_running(&session, msg);
        }
        let text = if from.is_some() {
            format!("You were moved to breakout {}.", to + 1)
        } else {
            format!("You were placed in breakout {}.", to + 1)
        };
        self.greet(who, key, text);
        Ok(())
    }

    /// Has breakout of `who` (in the open round) greet them with `text` when their page arrives there: someone moved
    /// or placed late lands in a breakout they did not expect, and is told why.
    pub(super) fn greet(&self, who: ParticipantId, key: ParticipantKey, text: String) {
        let session = self
            .record
            .state
            .open_round()
            .and_then(|r| r.breakout_of(who).map(|b| r.breakouts[b].session.clone()));
        if let Some(session) = session {
            self.tell(&session, FromWorkshop::Greet { key, text });
        }
    }

    async fn remove(&mut self, who: ParticipantId) -> Result<(), Refusal> {
        let was_in = self
            .record
            .state
            .open_round()
            .and_then(|r| r.breakout_of(who).map(|b| r.breakouts[b].session.clone()));
        let mut next = self.record.state.clone();
        next.remove(who)?;
        self.adopt(next).await?;
        let Some(member) = self.record.state.member(who).cloned() else {
            return Ok(());
        };
        if let Some(session) = was_in {
            let to = self.participant_page();
            self.tell_running(&session, FromWorkshop::Return { key: member.key, to });
        }
        let theirs: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.member == who)
            .map(|(id, _)| *id)
            .collect();
        for conn in theirs {
            if let Some(c) = self.conns.remove(&conn) {
                let _ = c.outbox.try_send(error(ErrorCode::NotAllowed, Close::Removed.reason()));
                let _ = c.outbox.try_send(Outbound::Close(Close::Removed));
            }
        }
        self.send_views();
        Ok(())
    }

    async fn broadcast(&mut self, text: &str, now: Millis) -> Result<(), Refusal> {
        let mut next = self.record.state.clone();
        let text = next.broadcast(text, now)?;
        self.adopt(next).await?;
        for session in self.open_sessions() {
            self.tell_running(&session, FromWorkshop::Notice(text.clone()));
        }
        Ok(())
    }

    fn add_time(&mut self, minutes: u32) -> Result<(), Refusal> {
        if !(1..=30).contains(&minutes) {
            return Err(Refusal(ErrorCode::Refused, "Add between 1 and 30 minutes.".into()));
        }
        let sessions = self.open_sessions();
        if sessions.is_empty() {
            return Err(WorkshopError::NoRoundOpen.into());
        }
        for session in sessions {
            self.tell(&session, FromWorkshop::AddTime(minutes * 60));
        }
        Ok(())
    }

    fn clock(&mut self, op: ClockOp) -> Result<(), Refusal> {
        if !self.record.spec.settings.one_clock {
            let message = "In this workshop each breakout runs its own clock.";
            return Err(Refusal(ErrorCode::Refused, message.into()));
        }
        let sessions = self.open_sessions();
        if sessions.is_empty() {
            return Err(WorkshopError::NoRoundOpen.into());
        }
        for session in sessions {
            self.tell(&session, FromWorkshop::Clock(op));
        }
        Ok(())
    }

    async fn call_back(&mut self, now: Millis) -> Result<(), Refusal> {
        let sessions = self.open_sessions();
        let mut next = self.record.state.clone();
        next.call_back(now)?;
        // Back after the last round: the closing plenary's clock starts by itself, where the workshop has one.
        let _ = next.start_plenary(&self.record.spec.settings, now);
        self.adopt(next).await?;
        let to = self.participant_page();
        for session in sessions {
            self.tell(&session, FromWorkshop::CallBack { to: to.clone() });
        }
        Ok(())
    }

    async fn end(&mut self, now: Millis) -> Result<(), Refusal> {
        let sessions = self.open_sessions();
        let mut next = self.record.state.clone();
        next.end(now)?;
        self.adopt(next).await?;
        let to = self.participant_page();
        for session in sessions {
            self.tell(&session, FromWorkshop::CallBack { to: to.clone() });
        }
        Ok(())
    }

    /// The sessions of the open round's breakouts.
    fn open_sessions(&self) -> Vec<String> {
        self.record
            .state
            .open_round()
            .map(|r| r.breakouts.iter().map(|b| b.session.clone()).collect())
            .unwrap_or_default()
    }

    /// Stores `next`, then adopts it and tells every page.
    pub(super) async fn adopt(&mut self, next: WorkshopState) -> Result<(), Refusal> {
        if let Err(e) = self.store.save_workshop_state(&self.id, &next).await {
            tracing::error!(workshop = %self.id, error = %e, "could not save the workshop");
            return Err(unavailable());
        }
        self.record.state = next;
        self.send_views();
        Ok(())
    }
}

/// A refused command: the code and the sentence for the facilitator.
pub(super) struct Refusal(ErrorCode, String);

impl From<WorkshopError> for Refusal {
    fn from(e: WorkshopError) -> Self {
        let code = match e {
            WorkshopError::Ended => ErrorCode::Ended,
            WorkshopError::NoSuchBreakout(_) => ErrorCode::UnknownRoom,
            _ => ErrorCode::Refused,
        };
        Refusal(code, e.to_string())
    }
}

fn unavailable() -> Refusal {
    Refusal(
        ErrorCode::Unavailable,
        "Tandem could not save that change; nothing changed. Please try again.".into(),
    )
}
