//! The choices made when creating a workshop (its settings, checked) and how its rounds are proposed.

use super::GroupSize;
use serde::{Deserialize, Serialize};

/// Most rounds a workshop may have.
pub const MAX_ROUNDS: u8 = 8;
/// Longest optional plenary, in minutes.
pub const MAX_PLENARY_MINUTES: u32 = 120;

/// Choices made when creating a workshop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopSettings {
    /// Rounds, 1..=[`MAX_ROUNDS`].
    pub rounds: u8,
    /// Pairs or trios.
    pub group_size: GroupSize,
    /// Plenary before the first round, in minutes (0: none).
    #[serde(default)]
    pub plenary_before: u32,
    /// Plenary after the last round, in minutes (0: none).
    #[serde(default)]
    pub plenary_after: u32,
    /// Whether the facilitator may read the breakouts' notes (off by default: peer coaching is often confidential).
    #[serde(default)]
    pub facilitator_reads_notes: bool,
    /// One clock for all breakouts, driven by the facilitator (otherwise each breakout's members drive their own).
    #[serde(default)]
    pub one_clock: bool,
    /// Someone who arrives while a round runs goes into the smallest breakout by themselves (otherwise they wait in
    /// the plenary until the facilitator places them).
    #[serde(default)]
    pub place_late_joiners: bool,
}

/// How Tandem proposes a round's groups (the facilitator can still swap and move people).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// A random first round, then partners rotate: nobody meets the same partner twice while it can be helped.
    #[default]
    Rotation,
    /// Every round drawn at random (earlier partners may meet again).
    Random,
    /// Pairs in which wants meet offers (issue 17): needs the workshop's skills, and pairs.
    Skills,
}

impl Default for WorkshopSettings {
    fn default() -> Self {
        WorkshopSettings {
            rounds: 3,
            group_size: GroupSize::Pairs,
            plenary_before: 0,
            plenary_after: 0,
            facilitator_reads_notes: false,
            one_clock: false,
            place_late_joiners: false,
        }
    }
}

impl WorkshopSettings {
    /// The settings' problem, in a sentence, if any.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_ROUNDS).contains(&self.rounds) {
            return Err(format!("A workshop has between 1 and {MAX_ROUNDS} rounds."));
        }
        if self.plenary_before > MAX_PLENARY_MINUTES || self.plenary_after > MAX_PLENARY_MINUTES {
            return Err(format!("A plenary lasts at most {MAX_PLENARY_MINUTES} minutes."));
        }
        Ok(())
    }
}
