//! What each page may see: a participant the people and their own breakouts (with the link into the open one); the
//! facilitator and observers every breakout, and the facilitator the breakouts' observer links only where the
//! workshop lets them read notes. The dashboard carries progress, never content.

use super::*;
use tandem_core::protocol::workshop::{BreakoutStatus, BreakoutView, WorkshopInfo, WorkshopView};
use tandem_core::session::ParticipantView;
use tandem_core::workshop::Stage;

impl WorkshopActor {
    pub(super) fn info(&self) -> WorkshopInfo {
        WorkshopInfo {
            format: self.record.spec.format.clone(),
            settings: self.record.spec.settings,
        }
    }

    /// Everyone not removed, with presence: the same for every page, so computed once per update ([`Self::view_for`]).
    pub(super) fn people(&self) -> Vec<ParticipantView> {
        let present = self.present();
        self.record
            .state
            .members
            .iter()
            .filter(|m| !m.removed)
            .map(|m| ParticipantView {
                id: m.id,
                name: m.name.clone(),
                role: None,
                capability: m.capability,
                online: present.contains(&m.id),
            })
            .collect()
    }

    /// The workshop as `member` (holding a `capability` link) may see it, with `people` from [`Self::people`].
    pub(super) fn view_for(
        &self,
        member: ParticipantId,
        capability: Capability,
        people: &[ParticipantView],
    ) -> WorkshopView {
        let state = &self.record.state;
        let people = people.to_vec();
        let reads_notes = self.record.spec.settings.facilitator_reads_notes && capability == Capability::Host;
        let mut breakouts = Vec::new();
        for (r, round) in state.rounds.iter().enumerate() {
            let open = state.stage == Stage::Breakouts && r + 1 == state.rounds.len();
            for (n, b) in round.breakouts.iter().enumerate() {
                let mine = b.members.contains(&member);
                if capability == Capability::Participant && !mine {
                    continue;
                }
                let (link, summary) = if capability == Capability::Participant {
                    (
                        open.then(|| format!("/s/{}?t={}", b.session, b.token)),
                        Some(format!("/s/{}/summary?t={}", b.session, b.token)),
                    )
                } else if reads_notes {
                    (
                        open.then(|| format!("/s/{}?t={}", b.session, b.observer_token)),
                        Some(format!("/s/{}/summary?t={}", b.session, b.observer_token)),
                    )
                } else {
                    (None, None)
                };
                breakouts.push(BreakoutView {
                    round: r + 1,
                    number: n + 1,
                    members: b.members.clone(),
                    link,
                    summary,
                    opened_at: round.opened_at,
                    closed_at: round.closed_at,
                    spent_ms: b.spent_ms,
                });
            }
        }
        WorkshopView {
            stage: state.stage,
            rounds_done: state.rounds.len(),
            people,
            breakouts,
            broadcasts: state.broadcasts.iter().map(|b| b.text.clone()).collect(),
            plenary_started_at: state.plenary_started_at,
        }
    }

    /// The open round's breakouts as their reports tell (a breakout nobody has opened yet has no report).
    pub(super) fn dashboard(&self) -> Vec<BreakoutStatus> {
        let Some(round) = self.record.state.open_round() else {
            return Vec::new();
        };
        round
            .breakouts
            .iter()
            .enumerate()
            .map(|(n, b)| {
                let report = self.reports.get(&b.session);
                BreakoutStatus {
                    number: n + 1,
                    present: report
                        .map(|r| {
                            r.present
                                .iter()
                                .filter_map(|k| self.record.state.member_by_key(k).map(|m| m.id))
                                .collect()
                        })
                        .unwrap_or_default(),
                    room: report.and_then(|r| r.room.clone()),
                    notes_chars: report.map_or(0, |r| r.notes_chars),
                    last_edit: report.and_then(|r| r.last_edit),
                    feedback: report.map_or(0, |r| r.feedback),
                }
            })
            .collect()
    }
}
