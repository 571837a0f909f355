//! The pure session model: templates, agendas, a room's phase and timer, clock-offset estimation.
//! No I/O and no Leptos here, so the relay, the browser and the tests share it.

pub mod clock;
pub mod feedback;
pub mod ids;
pub mod room;
pub mod summary;
pub mod template;

#[cfg(test)]
mod tests;

pub use feedback::*;
pub use ids::*;
pub use room::*;
pub use summary::{may_see, Summary};
pub use template::*;

use serde::{Deserialize, Serialize};

/// Who may drive the phase and timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimerControl {
    /// Only the host link.
    #[default]
    Host,
    /// The host and every participant (not observers).
    Everyone,
}

/// Choices made when creating a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SessionSettings {
    /// Who drives the timer.
    #[serde(default)]
    pub timer_control: TimerControl,
    /// Move to the next phase by itself when time is up (otherwise the clock shows overtime).
    #[serde(default)]
    pub auto_advance: bool,
    /// A breakout of a workshop: the round gives each member's role, and with `timer_control: host` the
    /// facilitator drives the clock (nobody holds a breakout's host link). Set by the relay only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub breakout: bool,
}

/// Everything fixed at creation: the template used, the (edited) agenda, the goal and settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionSpec {
    /// The session's id.
    pub id: SessionId,
    /// The template it was made from.
    pub template_id: String,
    /// The template's name, kept in case the template changes later.
    pub template_name: String,
    /// What the session is for, in the creator's words (may be empty).
    #[serde(default)]
    pub goal: String,
    /// Roles offered on joining.
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
    /// The agenda.
    pub phases: Vec<PhaseSpec>,
    /// Feedback forms the phases refer to.
    #[serde(default)]
    pub forms: Vec<FormSpec>,
    /// Settings chosen at creation.
    #[serde(default)]
    pub settings: SessionSettings,
    /// Creation time (relay clock).
    pub created_at: Millis,
    /// End the session by itself when the last phase's time is up (from the template).
    #[serde(default)]
    pub end_after_last_phase: bool,
}

impl SessionSpec {
    /// Whether a holder of `capability` may send timer commands in this session.
    pub fn may_drive_timer(&self, capability: Capability) -> bool {
        match capability {
            Capability::Host => true,
            Capability::Participant => self.settings.timer_control == TimerControl::Everyone,
            Capability::Observer => false,
        }
    }

    /// The role called `id`, if the session offers it.
    pub fn role(&self, id: &str) -> Option<&RoleSpec> {
        self.roles.iter().find(|r| r.id == id)
    }
}

/// A participant as everyone in the session sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantView {
    /// Public id.
    pub id: ParticipantId,
    /// Display name.
    pub name: String,
    /// Role id picked on joining, if the session has roles.
    #[serde(default)]
    pub role: Option<String>,
    /// What their link allows.
    pub capability: Capability,
    /// Whether at least one of their tabs is connected.
    pub online: bool,
}

/// Trims a display name and checks its length; `None` when empty or too long.
pub fn clean_name(raw: &str) -> Option<String> {
    let name: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = name.chars().count();
    (count > 0 && count <= limits::MAX_NAME_CHARS).then_some(name)
}
