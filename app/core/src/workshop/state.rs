//! A workshop's live state and the facilitator's commands on it, as a pure reducer: the relay's workshop actor
//! applies a command here, stores the new state, and only then tells anyone (the same order as a session's rooms).
//!
//! Each breakout is a pair session of its own (a child session, see docs/workshops.md): this state holds which
//! session each group of a round uses; the sessions hold the phases, clocks, notes and feedback.

use super::{assign_roles, propose, split_seeded, Groups, Pairing, SkillAnswers, WorkshopSettings};
use crate::session::{Capability, Millis, ParticipantId, ParticipantKey, SessionSpec};
use serde::{Deserialize, Serialize};

/// Longest broadcast message, in characters.
pub const MAX_BROADCAST_CHARS: usize = 280;
/// Shortest time between two broadcasts.
pub const BROADCAST_EVERY_MS: Millis = 5_000;
/// Most people (facilitators and observers included) in one workshop.
pub const MAX_MEMBERS: usize = 150;

/// Everything fixed when a workshop is created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkshopSpec {
    /// The workshop's id (the path segment of its links).
    pub id: String,
    /// What each breakout runs: the format's (edited) agenda, roles and forms. Its `id` is the workshop's.
    pub format: SessionSpec,
    /// The workshop's settings.
    pub settings: WorkshopSettings,
    /// The seed of the first round's draw.
    pub seed: u64,
    /// The skills the workshop is about (issue 17; none: no skills asked at join).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
}

/// Someone who opened the workshop's link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Public id inside the workshop.
    pub id: ParticipantId,
    /// Display name.
    pub name: String,
    /// The browser's key (the key of this person in every breakout too).
    pub key: ParticipantKey,
    /// Which link they came through.
    pub capability: Capability,
    /// Removed by the facilitator: their browser's key is refused from then on.
    #[serde(default)]
    pub removed: bool,
    /// When they joined.
    pub joined_at: Millis,
    /// What they can help with and want to learn (issue 17), as checked against the workshop's skills.
    #[serde(default, skip_serializing_if = "SkillAnswers::is_empty")]
    pub skills: SkillAnswers,
}

/// One breakout of a round: a session of its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakout {
    /// The breakout's session id.
    pub session: String,
    /// That session's participant token (given to its members only).
    pub token: String,
    /// That session's observer token (given to the facilitator only where the workshop allows reading notes).
    pub observer_token: String,
    /// Members in role order: the first takes the format's first role.
    pub members: Vec<ParticipantId>,
    /// How long its clocks ran, once it has ended (its outcome's actual time, told by its session).
    #[serde(default)]
    pub spent_ms: Option<Millis>,
}

/// A round: its breakouts, when it opened, and when it was called back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// The breakouts, numbered from 1 in the UI.
    pub breakouts: Vec<Breakout>,
    /// When the breakouts opened.
    pub opened_at: Millis,
    /// When everyone was called back (`None` while the round runs).
    #[serde(default)]
    pub closed_at: Option<Millis>,
}

impl Round {
    /// The round's groups (members in role order).
    pub fn groups(&self) -> Groups {
        self.breakouts.iter().map(|b| b.members.clone()).collect()
    }

    /// The breakout `who` is in, by index.
    pub fn breakout_of(&self, who: ParticipantId) -> Option<usize> {
        self.breakouts.iter().position(|b| b.members.contains(&who))
    }
}

/// Where the workshop is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// People gather; no round has opened yet.
    Lobby,
    /// A round's breakouts are open.
    Breakouts,
    /// Everyone is back after a round.
    Plenary,
    /// The facilitator ended the workshop.
    Ended,
}

/// A message the facilitator sent to every breakout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broadcast {
    /// When.
    pub at: Millis,
    /// What.
    pub text: String,
}

/// The workshop's live state, stored after every change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopState {
    /// Everyone who joined, removed people included (their names stay in the record).
    pub members: Vec<Member>,
    /// Where the workshop is.
    pub stage: Stage,
    /// Rounds so far, the current one last.
    pub rounds: Vec<Round>,
    /// Messages to every breakout, oldest first.
    #[serde(default)]
    pub broadcasts: Vec<Broadcast>,
    /// When the facilitator ended the workshop.
    #[serde(default)]
    pub ended_at: Option<Millis>,
    /// When the plenary's countdown started (the opening plenary before round 1, the closing one after the last
    /// round; see [`WorkshopState::plenary_minutes`]). `None` while no plenary clock runs.
    #[serde(default)]
    pub plenary_started_at: Option<Millis>,
    /// The facilitator's choice of how the next rounds are proposed; `None`: Tandem's ([`WorkshopState::pairing`]).
    #[serde(default)]
    pub pairing_choice: Option<Pairing>,
}

impl Default for WorkshopState {
    fn default() -> Self {
        WorkshopState {
            members: Vec::new(),
            stage: Stage::Lobby,
            rounds: Vec::new(),
            broadcasts: Vec::new(),
            ended_at: None,
            plenary_started_at: None,
            pairing_choice: None,
        }
    }
}

/// The minutes of the plenary a workshop at `stage` after `rounds_done` rounds is in: the opening one (in the
/// lobby) or the closing one (back after the last round), as set at creation; 0 otherwise.
pub fn plenary_minutes(stage: Stage, rounds_done: usize, settings: &WorkshopSettings) -> u32 {
    match stage {
        Stage::Lobby => settings.plenary_before,
        Stage::Plenary if rounds_done >= usize::from(settings.rounds) => settings.plenary_after,
        _ => 0,
    }
}

/// Why a workshop command was refused; the text is shown to the person as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkshopError {
    /// Fewer than two participants present.
    #[error("A round needs at least 2 participants present (present now: {0}).")]
    TooFewPeople(usize),
    /// A command that needs open breakouts.
    #[error("No round is open.")]
    NoRoundOpen,
    /// Open while a round is open.
    #[error("A round is already open: call everyone back first.")]
    RoundOpen,
    /// All rounds done.
    #[error("All {0} rounds of this workshop are done.")]
    NoRoundsLeft(u8),
    /// Not a person of this workshop.
    #[error("That person is not in this workshop.")]
    NoSuchPerson,
    /// A breakout number that does not exist.
    #[error("There is no breakout {0} in this round.")]
    NoSuchBreakout(usize),
    /// Proposed groups that do not hold each present participant exactly once.
    #[error("Every participant present must be in exactly one group, and each group needs 2 people or more.")]
    BadGroups,
    /// A broadcast that is empty or too long.
    #[error("A message to everyone has 1 to {MAX_BROADCAST_CHARS} characters.")]
    BadBroadcast,
    /// Broadcasts too close together.
    #[error("One message every 5 seconds: wait a moment and send it again.")]
    BroadcastTooSoon,
    /// Ended workshops are read-only.
    #[error("This workshop has ended.")]
    Ended,
    /// A name that is empty or too long.
    #[error("A name has 1 to 40 characters.")]
    BadName,
    /// The workshop is full.
    #[error("This workshop is full ({MAX_MEMBERS} people).")]
    Full,
    /// A removed person's browser.
    #[error("The facilitator removed you from this workshop.")]
    Removed,
    /// A plenary clock where the workshop set no plenary time.
    #[error("This workshop has no plenary time here: plenary minutes are set before the first round and after the last when it is created.")]
    NoPlenary,
}

impl WorkshopState {
    /// The member with `id`.
    pub fn member(&self, id: ParticipantId) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// The participants who take part (not removed; not observers or the facilitator).
    pub fn participants(&self) -> impl Iterator<Item = &Member> {
        self.members
            .iter()
            .filter(|m| m.capability == Capability::Participant && !m.removed)
    }

    /// The member a browser key belongs to.
    pub fn member_by_key(&self, key: &ParticipantKey) -> Option<&Member> {
        self.members.iter().find(|m| &m.key == key)
    }

    /// "Forget me" (issue 18): the member whose browser key is `key` keeps their place in the rounds, under `name`
    /// and without the skills they gave. Whether anything changed.
    pub fn forget_member(&mut self, key: &ParticipantKey, name: &str) -> bool {
        let Some(member) = self.members.iter_mut().find(|m| &m.key == key) else {
            return false;
        };
        let before = (member.name.clone(), member.skills.is_empty());
        member.name = name.to_string();
        member.skills = SkillAnswers::default();
        before != (member.name.clone(), true)
    }

    /// The round that is open, if any.
    pub fn open_round(&self) -> Option<&Round> {
        (self.stage == Stage::Breakouts).then(|| self.rounds.last()).flatten()
    }

    fn live(&self) -> Result<(), WorkshopError> {
        if self.stage == Stage::Ended {
            Err(WorkshopError::Ended)
        } else {
            Ok(())
        }
    }

    /// A browser joins (or comes back) with `key` under `name` through a `capability` link; returns its member id.
    /// A known key keeps its id and its name as the workshop has it (the facilitator may have renamed them; the
    /// browser's stored name is only the first one); a removed key is refused.
    pub fn join(
        &mut self,
        key: ParticipantKey,
        name: String,
        capability: Capability,
        now: Millis,
    ) -> Result<ParticipantId, WorkshopError> {
        let name = crate::session::clean_name(&name).ok_or(WorkshopError::BadName)?;
        if let Some(m) = self.members.iter_mut().find(|m| m.key == key) {
            if m.removed {
                return Err(WorkshopError::Removed);
            }
            return Ok(m.id);
        }
        self.live()?;
        if self.members.len() >= MAX_MEMBERS {
            return Err(WorkshopError::Full);
        }
        let name = self.unique_name(name);
        let id = ParticipantId(self.members.iter().map(|m| m.id.0 + 1).max().unwrap_or(1));
        self.members.push(Member {
            id,
            name,
            key,
            capability,
            removed: false,
            joined_at: now,
            skills: SkillAnswers::default(),
        });
        Ok(id)
    }

    /// `name`, or `name (2)`, `name (3)`… when someone here already goes by it: two people called Ana must not look
    /// the same in the lobby, a proposal or a dashboard.
    fn unique_name(&self, name: String) -> String {
        let taken = |candidate: &str| {
            self.members
                .iter()
                .any(|m| !m.removed && m.name.eq_ignore_ascii_case(candidate))
        };
        if !taken(&name) {
            return name;
        }
        (2..)
            .map(|n| {
                let suffix = format!(" ({n})");
                let room = crate::session::limits::MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
                let base: String = name.chars().take(room).collect();
                format!("{}{suffix}", base.trim_end())
            })
            .find(|candidate| !taken(candidate))
            .unwrap_or(name)
    }

    /// The facilitator renames someone.
    pub fn rename(&mut self, who: ParticipantId, name: &str) -> Result<(), WorkshopError> {
        let name = crate::session::clean_name(name).ok_or(WorkshopError::BadName)?;
        let m = self
            .members
            .iter_mut()
            .find(|m| m.id == who)
            .ok_or(WorkshopError::NoSuchPerson)?;
        m.name = name;
        Ok(())
    }

    /// The facilitator removes someone: their key is refused from now on, and they leave the open round.
    pub fn remove(&mut self, who: ParticipantId) -> Result<(), WorkshopError> {
        self.live()?;
        let m = self
            .members
            .iter_mut()
            .find(|m| m.id == who && m.capability == Capability::Participant)
            .ok_or(WorkshopError::NoSuchPerson)?;
        m.removed = true;
        if let Some(round) = self.rounds.last_mut().filter(|_| self.stage == Stage::Breakouts) {
            for b in &mut round.breakouts {
                b.members.retain(|&p| p != who);
            }
        }
        Ok(())
    }

    /// Participants who may be grouped (not removed), among `present`.
    pub fn groupable(&self, present: &[ParticipantId]) -> Vec<ParticipantId> {
        self.participants()
            .filter(|m| present.contains(&m.id))
            .map(|m| m.id)
            .collect()
    }

    /// The groups Tandem proposes for the next round, among the participants `present`, made `how`.
    pub fn propose(
        &self,
        spec: &WorkshopSpec,
        present: &[ParticipantId],
        how: Pairing,
    ) -> Result<Groups, WorkshopError> {
        self.can_open(spec)?;
        let people = self.groupable(present);
        if people.len() < 2 {
            return Err(WorkshopError::TooFewPeople(people.len()));
        }
        let history: Vec<Groups> = self.rounds.iter().map(Round::groups).collect();
        let round = self.rounds.len();
        Ok(match how {
            // Only the relay proposes; the browser's build has no matching.
            #[cfg(feature = "matching")]
            Pairing::Skills if !spec.skills.is_empty() => {
                super::matching::pair_by_skill(&people, &self.skill_answers(), &history)
            }
            Pairing::Random => assign_roles(
                split_seeded(&people, spec.settings.group_size, spec.seed.wrapping_add(round as u64)),
                &history,
            ),
            _ => propose(&people, spec.settings.group_size, round, &history, spec.seed),
        })
    }

    fn can_open(&self, spec: &WorkshopSpec) -> Result<(), WorkshopError> {
        self.live()?;
        if self.stage == Stage::Breakouts {
            return Err(WorkshopError::RoundOpen);
        }
        if self.rounds.len() >= usize::from(spec.settings.rounds) {
            return Err(WorkshopError::NoRoundsLeft(spec.settings.rounds));
        }
        Ok(())
    }

    /// Checks groups the facilitator confirmed (perhaps after swapping or moving people): each present participant
    /// in exactly one group of two or more, nobody else.
    pub fn check_groups(
        &self,
        spec: &WorkshopSpec,
        groups: &Groups,
        present: &[ParticipantId],
    ) -> Result<(), WorkshopError> {
        self.can_open(spec)?;
        let mut people = self.groupable(present);
        if people.len() < 2 {
            return Err(WorkshopError::TooFewPeople(people.len()));
        }
        let mut grouped: Vec<ParticipantId> = groups.iter().flatten().copied().collect();
        grouped.sort();
        people.sort();
        if grouped != people || groups.iter().any(|g| g.len() < 2) {
            return Err(WorkshopError::BadGroups);
        }
        Ok(())
    }

    /// The confirmed groups as they can open now: people no longer present (they left after the proposal) are
    /// taken out, and someone left alone joins the smallest other group. The result is then checked as usual.
    pub fn fit_groups(&self, groups: Groups, present: &[ParticipantId]) -> Groups {
        let people = self.groupable(present);
        let mut groups: Groups = groups
            .into_iter()
            .map(|g| g.into_iter().filter(|p| people.contains(p)).collect::<Vec<_>>())
            .filter(|g| !g.is_empty())
            .collect();
        while groups.len() > 1 {
            let Some(alone) = groups.iter().position(|g| g.len() == 1) else {
                break;
            };
            let lone = groups.remove(alone);
            if let Some(smallest) = (0..groups.len()).min_by_key(|&i| groups[i].len()) {
                groups[smallest].extend(lone);
            }
        }
        groups
    }

    /// Opens a round with `breakouts` (checked groups, each given its session by the relay).
    pub fn open(&mut self, breakouts: Vec<Breakout>, now: Millis) {
        self.rounds.push(Round {
            breakouts,
            opened_at: now,
            closed_at: None,
        });
        self.stage = Stage::Breakouts;
        self.plenary_started_at = None;
    }

    /// The minutes of the plenary the workshop is in: the opening one (in the lobby) or the closing one (back after
    /// the last round), as set at creation; 0 between rounds, during rounds and after the end.
    pub fn plenary_minutes(&self, settings: &WorkshopSettings) -> u32 {
        plenary_minutes(self.stage, self.rounds.len(), settings)
    }

    /// Starts (or starts again) the countdown of the plenary the workshop is in; returns its minutes.
    pub fn start_plenary(&mut self, settings: &WorkshopSettings, now: Millis) -> Result<u32, WorkshopError> {
        self.live()?;
        let minutes = self.plenary_minutes(settings);
        if minutes == 0 {
            return Err(WorkshopError::NoPlenary);
        }
        self.plenary_started_at = Some(now);
        Ok(minutes)
    }

    /// Records how long breakout `session`'s clocks ran, once it has ended; whether anything changed.
    pub fn set_spent(&mut self, session: &str, spent_ms: Millis) -> bool {
        let breakout = self
            .rounds
            .iter_mut()
            .flat_map(|r| &mut r.breakouts)
            .find(|b| b.session == session && b.spent_ms.is_none());
        match breakout {
            Some(b) => {
                b.spent_ms = Some(spent_ms.max(0));
                true
            }
            None => false,
        }
    }

    /// Moves `who` to breakout `to` (an index) of the open round; returns the breakout they left, if any.
    pub fn move_to(&mut self, who: ParticipantId, to: usize) -> Result<Option<usize>, WorkshopError> {
        self.live()?;
        let member = self.member(who).ok_or(WorkshopError::NoSuchPerson)?;
        if member.removed || member.capability != Capability::Participant {
            return Err(WorkshopError::NoSuchPerson);
        }
        let round = match self.stage {
            Stage::Breakouts => self.rounds.last_mut().ok_or(WorkshopError::NoRoundOpen)?,
            _ => return Err(WorkshopError::NoRoundOpen),
        };
        if to >= round.breakouts.len() {
            return Err(WorkshopError::NoSuchBreakout(to + 1));
        }
        let from = round.breakout_of(who);
        if from == Some(to) {
            return Ok(None);
        }
        if let Some(f) = from {
            round.breakouts[f].members.retain(|&p| p != who);
        }
        round.breakouts[to].members.push(who);
        Ok(from)
    }

    /// The open round's breakout with the fewest members (the first of those), for someone arriving late.
    pub fn smallest_breakout(&self) -> Option<usize> {
        let round = self.open_round()?;
        (0..round.breakouts.len()).min_by_key(|&i| round.breakouts[i].members.len())
    }

    /// Whether `who` is in a breakout of the open round.
    pub fn is_placed(&self, who: ParticipantId) -> bool {
        self.open_round().is_some_and(|r| r.breakout_of(who).is_some())
    }

    /// A message to every breakout.
    pub fn broadcast(&mut self, text: &str, now: Millis) -> Result<String, WorkshopError> {
        self.live()?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_BROADCAST_CHARS {
            return Err(WorkshopError::BadBroadcast);
        }
        if self.broadcasts.last().is_some_and(|b| now - b.at < BROADCAST_EVERY_MS) {
            return Err(WorkshopError::BroadcastTooSoon);
        }
        self.broadcasts.push(Broadcast {
            at: now,
            text: text.to_string(),
        });
        Ok(text.to_string())
    }

    /// Ends the open round: everyone is back in the plenary.
    pub fn call_back(&mut self, now: Millis) -> Result<(), WorkshopError> {
        self.live()?;
        let round = match self.stage {
            Stage::Breakouts => self.rounds.last_mut().ok_or(WorkshopError::NoRoundOpen)?,
            _ => return Err(WorkshopError::NoRoundOpen),
        };
        round.closed_at = Some(now);
        self.stage = Stage::Plenary;
        Ok(())
    }

    /// Ends the workshop (and the open round, if any).
    pub fn end(&mut self, now: Millis) -> Result<(), WorkshopError> {
        self.live()?;
        if let Some(round) = self.rounds.last_mut().filter(|r| r.closed_at.is_none()) {
            round.closed_at = Some(now);
        }
        self.stage = Stage::Ended;
        self.ended_at = Some(now);
        Ok(())
    }
}
