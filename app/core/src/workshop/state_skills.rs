//! A workshop's skills (issue 17) in its state: each participant's answers, checked against the workshop's list
//! and kept with their member record, and the knowledge-gap picture of the people taking part.

use super::skills::{check_answers, met_wants, picture, SkillAnswers, SkillGap};
use super::{Pairing, Stage, WorkshopSpec, WorkshopState};
use crate::session::{Capability, FieldError, ParticipantId};
use std::collections::BTreeMap;

impl WorkshopState {
    /// Keeps `who`'s skills, if they pass [`check_answers`] against the workshop's list; otherwise nothing changes
    /// and the errors say why, per field (`offers`, `wants`; the empty field for the whole form).
    pub fn set_skills(
        &mut self,
        spec: &WorkshopSpec,
        who: ParticipantId,
        answers: &SkillAnswers,
    ) -> Result<(), Vec<FieldError>> {
        let whole = |message: &str| {
            vec![FieldError {
                field: String::new(),
                message: message.into(),
            }]
        };
        if self.stage == Stage::Ended {
            return Err(whole("This workshop has ended."));
        }
        // The picture before the workshop is the one its rounds are paired from and its record shows.
        if !self.rounds.is_empty() {
            return Err(whole("Skills can be changed until the first round opens."));
        }
        if spec.skills.is_empty() {
            return Err(whole("This workshop lists no skills."));
        }
        let checked = check_answers(answers, &spec.skills)?;
        let Some(member) = self.members.iter_mut().find(|m| m.id == who && !m.removed) else {
            return Err(whole("That person is not in this workshop."));
        };
        if member.capability != Capability::Participant {
            return Err(whole("Only participants pick skills."));
        }
        member.skills = checked;
        Ok(())
    }

    /// Every participant's skills, by id (those who gave none included, empty).
    pub fn skill_answers(&self) -> BTreeMap<ParticipantId, SkillAnswers> {
        self.participants().map(|m| (m.id, m.skills.clone())).collect()
    }

    /// Every participant's wants (in their order), each with the first round (from 1) in which someone in their
    /// group could meet it ([`met_wants`]: an offer, at a higher level where the wanter offers it too), if any.
    pub fn wants_met(&self) -> Vec<(ParticipantId, String, Option<usize>)> {
        let meets = |p: ParticipantId, wanter: &SkillAnswers, skill: &str| {
            self.member(p)
                .is_some_and(|m| met_wants(&m.skills, wanter).contains(&skill))
        };
        let mut met = Vec::new();
        for m in self.participants() {
            for want in &m.skills.wants {
                let round = self.rounds.iter().position(|round| {
                    round.breakouts.iter().any(|b| {
                        b.members.contains(&m.id) && b.members.iter().any(|&o| o != m.id && meets(o, &m.skills, want))
                    })
                });
                met.push((m.id, want.clone(), round.map(|r| r + 1)));
            }
        }
        met
    }

    /// How the next round is proposed: as the facilitator chose ([`WorkshopState::set_pairing`]); otherwise by skill
    /// where the workshop has skills and someone has answered, else by rotation (pairing everyone on equal weights
    /// would lose the rotation's variety for nothing).
    pub fn pairing(&self, spec: &WorkshopSpec) -> Pairing {
        if let Some(choice) = self.pairing_choice {
            return choice;
        }
        if !spec.skills.is_empty() && self.participants().any(|m| !m.skills.is_empty()) {
            Pairing::Skills
        } else {
            Pairing::Rotation
        }
    }

    /// The facilitator chooses how the next rounds are proposed. By skill needs the workshop's skills; nothing can be
    /// proposed once the workshop has ended.
    pub fn set_pairing(&mut self, spec: &WorkshopSpec, how: Pairing) -> Result<(), String> {
        if self.stage == Stage::Ended {
            return Err("This workshop has ended.".into());
        }
        if how == Pairing::Skills && spec.skills.is_empty() {
            return Err("This workshop lists no skills to pair by.".into());
        }
        self.pairing_choice = Some(how);
        Ok(())
    }

    /// The knowledge-gap picture of the participants (not removed, not the facilitator or observers).
    pub fn skill_picture(&self, spec: &WorkshopSpec) -> Vec<SkillGap> {
        picture(&spec.skills, self.participants().map(|m| &m.skills))
    }
}
