//! A participant's skills (issue 17), saved from the workshop's skills page (a form the relay draws:
//! server/src/workshop_skills.rs), and the facilitator's choice of pairing: both go through the workshop's actor like
//! every other change of its state (checked on a copy, the copy stored, then adopted), so that a save and the
//! facilitator's commands never overwrite each other.

use super::*;
use crate::relay::RelayError;
use tandem_core::session::FieldError;
use tandem_core::workshop::{Pairing, SkillAnswers};
use tokio::sync::oneshot;

/// The next round's proposed groups: each group's names in role order, and why it was proposed.
pub type Explained = Vec<(Vec<String>, String)>;

/// What became of the facilitator's choice of pairing: `Ok` once stored; the refusal's sentence; or `Err` when it
/// could not be stored.
pub type PairingReply = Result<Result<(), String>, RelayError>;

/// What became of a save: `Ok` once stored; the refusal per field; or `Err` when it could not be stored.
pub type SkillsReply = Result<Result<(), Vec<FieldError>>, RelayError>;

impl Relay {
    /// Asks workshop `id`'s actor (started if it does not run) the message `ask` builds around a reply channel, and
    /// waits for its answer. An actor that stops (nobody there for a while) just as the message arrives drops it:
    /// a new one is asked, once.
    async fn ask<T>(&self, id: &str, ask: impl Fn(oneshot::Sender<T>) -> WorkshopMsg) -> Result<T, RelayError> {
        for _ in 0..2 {
            let inbox = self.workshop(id).await?;
            let (reply, answer) = oneshot::channel();
            if inbox.send(ask(reply)).await.is_err() {
                continue;
            }
            if let Ok(result) = answer.await {
                return Ok(result);
            }
        }
        Err(RelayError::Unavailable)
    }

    /// Keeps the skills of the member whose browser key is `key` in workshop `id`, through its actor.
    pub async fn set_skills(&self, id: &str, key: ParticipantKey, answers: SkillAnswers) -> SkillsReply {
        self.ask(id, |reply| WorkshopMsg::SetSkills {
            key: key.clone(),
            answers: answers.clone(),
            reply,
        })
        .await?
    }
}

/// How long a participant on the skills page counts as here without their workshop page: long enough to pick, short
/// enough that someone who closed the tab there is not put into a breakout for long.
pub const VISIT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

impl Relay {
    /// A participant of workshop `id` opened their skills form: their workshop page closed to go there, and they
    /// count as here (for the proposal, the round, the facilitator's list) until they are back or [`VISIT`] has
    /// passed. Nothing happens when the workshop's actor does not run (nobody is there to see).
    pub async fn visiting(&self, id: &str, key: ParticipantKey) {
        if let Some(inbox) = self.workshops.running(id) {
            let _ = inbox.send(WorkshopMsg::Visiting { key }).await;
        }
    }

    /// The facilitator's choice of how workshop `id`'s next rounds are proposed, through its actor; the refusal's
    /// sentence when it cannot be kept.
    pub async fn set_pairing(&self, id: &str, how: Pairing) -> PairingReply {
        self.ask(id, |reply| WorkshopMsg::SetPairing { how, reply }).await?
    }

    /// "Forget me" (issue 18) in workshop `id`: the member whose browser key is `key` is renamed "A former
    /// participant" and their skills are deleted, through its actor (started if it does not run), so that its next
    /// save cannot bring them back. A workshop that no longer exists has nothing to forget.
    pub async fn forget_member(&self, id: &str, key: ParticipantKey) -> Result<(), RelayError> {
        match self
            .ask(id, |reply| WorkshopMsg::Forget {
                key: key.clone(),
                reply,
            })
            .await
        {
            Err(RelayError::NotFound) => Ok(()),
            Err(e) => Err(e),
            Ok(done) => done,
        }
    }

    /// The next round's proposal of workshop `id`, if its actor runs and has one: each group's names in role order,
    /// and why it was proposed ([`tandem_core::workshop::matching::explain`]). For the facilitator's skills page.
    pub async fn proposal_explained(&self, id: &str) -> Option<Explained> {
        let inbox = self.workshops.running(id)?;
        let (reply, answer) = oneshot::channel();
        inbox.send(WorkshopMsg::Explain { reply }).await.ok()?;
        answer.await.ok().flatten()
    }
}

impl WorkshopActor {
    pub(super) fn visiting(&mut self, key: &ParticipantKey) {
        let Some(member) = self.record.state.member_by_key(key).filter(|m| !m.removed) else {
            return;
        };
        if member.capability == Capability::Participant && !self.conns.values().any(|c| c.member == member.id) {
            self.visiting.insert(member.id, Instant::now() + VISIT);
            self.send_views();
        }
    }

    pub(super) async fn set_pairing(&mut self, how: Pairing) -> PairingReply {
        let mut next = self.record.state.clone();
        if let Err(refused) = next.set_pairing(&self.record.spec, how) {
            return Ok(Err(refused));
        }
        self.adopt(next).await.map_err(|_| RelayError::Unavailable)?;
        Ok(Ok(()))
    }

    pub(super) fn explain(&self) -> Option<Explained> {
        let Some(WorkshopServerMsg::Proposal { groups, .. }) = &self.proposal else {
            return None;
        };
        let state = &self.record.state;
        let answers = state.skill_answers();
        let name = |p: ParticipantId| {
            state
                .member(p)
                .map_or_else(|| "A former participant".into(), |m| m.name.clone())
        };
        let explained = groups
            .iter()
            .map(|g| {
                let names = g.iter().map(|p| name(*p)).collect();
                (names, tandem_core::workshop::matching::explain(g, &answers, name))
            })
            .collect();
        Some(explained)
    }

    pub(super) async fn forget(&mut self, key: &ParticipantKey) -> Result<(), RelayError> {
        let mut next = self.record.state.clone();
        if !next.forget_member(key, crate::store::FORMER) {
            return Ok(());
        }
        self.adopt(next).await.map_err(|_| RelayError::Unavailable)
    }

    pub(super) async fn set_skills(&mut self, key: &ParticipantKey, answers: &SkillAnswers) -> SkillsReply {
        let whole = |message: &str| {
            Ok(Err(vec![FieldError {
                field: String::new(),
                message: message.into(),
            }]))
        };
        let Some(member) = self.record.state.member_by_key(key).filter(|m| !m.removed) else {
            return whole("Join the workshop first: this browser has not joined it.");
        };
        let mut next = self.record.state.clone();
        if let Err(errors) = next.set_skills(&self.record.spec, member.id, answers) {
            return Ok(Err(errors));
        }
        self.adopt(next).await.map_err(|_| RelayError::Unavailable)?;
        Ok(Ok(()))
    }
}
