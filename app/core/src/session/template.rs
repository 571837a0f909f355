//! Session templates: the agenda a session starts from, shipped as TOML files in `server/templates/`.
//!
//! The schema already names what later features need: the note sections each phase offers and the feedback form it
//! shows, so that notes and feedback plug into it without a migration of the templates.

use serde::{Deserialize, Serialize};

/// A ready-made session format (GROW, SBI, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Stable id, used in URLs and stored with each session (`grow`, `sbi`, …).
    pub id: String,
    /// Human name ("GROW peer coaching").
    pub name: String,
    /// One or two sentences on when to use it.
    pub summary: String,
    /// How many people take part (a pair is 2..=2, Troika 3..=3).
    pub group: GroupSize,
    /// Roles a participant can pick when joining; empty when the format has none.
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
    /// The agenda.
    pub phases: Vec<PhaseSpec>,
    /// Feedback forms that phases refer to by id.
    #[serde(default)]
    pub forms: Vec<FormSpec>,
    /// End the session by itself once the last phase's time is up.
    #[serde(default)]
    pub end_after_last_phase: bool,
}

/// Lower and upper bound on the number of active participants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSize {
    /// Fewest people the format works with.
    pub min: u32,
    /// Most people the format works with.
    pub max: u32,
}

/// A role a participant can take (coach, coachee, observer…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// Stable id (`coach`).
    pub id: String,
    /// Display name ("Coach").
    pub name: String,
    /// What this role does, shown when picking it.
    pub description: String,
    /// Several people may hold it (a GROW observer); otherwise one person is expected to.
    #[serde(default)]
    pub shared: bool,
}

/// One timed step of the agenda.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseSpec {
    /// Short title ("Goal").
    pub title: String,
    /// Planned length in minutes.
    pub minutes: u32,
    /// What this phase is for, addressed to the participants.
    pub prompt: String,
    /// Two to four guiding questions.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Shared note sections offered in this phase.
    #[serde(default)]
    pub notes: Vec<NoteSection>,
    /// Id of the feedback form this phase shows, if any.
    #[serde(default)]
    pub form: Option<String>,
    /// Id of the role that leads this phase (Troika's client of the round): the session page names its holder
    /// ("Client this round: Ana"). None: no one role leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_role: Option<String>,
}

/// A titled area of shared notes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteSection {
    /// Stable id, unique within the session (`goal-statement`).
    pub id: String,
    /// Heading ("Goal statement").
    pub title: String,
    /// Placeholder text suggesting what to write.
    #[serde(default)]
    pub hint: String,
    /// Each person writes their own text, which only they ever receive (an SBI draft about the other person): it is
    /// not part of the shared notes document; the relay stores it per participant and returns it to its author only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

/// A guided feedback form about a partner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSpec {
    /// Stable id referred to by [`PhaseSpec::form`].
    pub id: String,
    /// Heading of the form.
    pub title: String,
    /// Role ids whose holders fill in this form (`["coachee", "observer"]`); empty: every participant.
    #[serde(default)]
    pub givers: Vec<String>,
    /// Role ids whose holders the form is about (`["coach"]`); empty: any other participant.
    #[serde(default)]
    pub about: Vec<String>,
    /// Shown instead of the form to a participant who receives but does not give this feedback ("In this phase
    /// the coachee gives you feedback on your coaching."); empty: a sentence built from the givers' role names.
    #[serde(default)]
    pub receiver_note: String,
    /// The fields, in order.
    pub fields: Vec<FormField>,
}

impl FormSpec {
    /// Whether a participant holding `role` fills in this form. A form that names its givers is for holders of
    /// those roles only: a participant without a role (who joined before picking one) does not match it until they
    /// pick one. A form without givers (every template whose session has no roles) is for everyone.
    pub fn may_give(&self, role: Option<&str>) -> bool {
        role_in(&self.givers, role)
    }

    /// Whether feedback on this form may be about a participant holding `role` (a participant without a role
    /// matches only a form that names nobody, as for [`FormSpec::may_give`]).
    pub fn may_be_about(&self, role: Option<&str>) -> bool {
        role_in(&self.about, role)
    }
}

/// Whether `role` is in `roles`, where an empty list stands for everyone (with or without a role), and no role
/// matches no list that names roles.
fn role_in(roles: &[String], role: Option<&str>) -> bool {
    roles.is_empty() || role.is_some_and(|role| roles.iter().any(|r| r == role))
}

/// One question of a feedback form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    /// Stable id within the form.
    pub id: String,
    /// The question.
    pub label: String,
    /// Helper text under the question.
    #[serde(default)]
    pub help: String,
    /// An example phrase.
    #[serde(default)]
    pub example: String,
    /// Whether an answer is needed to submit.
    #[serde(default)]
    pub required: bool,
    /// What kind of answer.
    pub kind: FieldKind,
}

/// The kind of answer a form field takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// Free text up to a number of characters.
    Text {
        /// Character limit.
        max_chars: u32,
    },
    /// A rating from 1 to 5.
    Rating,
}

/// Limits an agenda must respect, at creation and when loaded from the store.
pub mod limits {
    /// Most phases in one agenda.
    pub const MAX_PHASES: usize = 30;
    /// Longest phase, in minutes.
    pub const MAX_PHASE_MINUTES: u32 = 240;
    /// Longest phase title, in characters.
    pub const MAX_TITLE_CHARS: usize = 80;
    /// Longest prompt, in characters.
    pub const MAX_PROMPT_CHARS: usize = 1000;
    /// Longest session goal, in characters.
    pub const MAX_GOAL_CHARS: usize = 500;
    /// Most guiding questions per phase.
    pub const MAX_QUESTIONS: usize = 6;
    /// Longest display name, in characters.
    pub const MAX_NAME_CHARS: usize = 40;
    /// Longest guiding question, in characters.
    pub const MAX_QUESTION_CHARS: usize = 300;
    /// Most note sections per phase.
    pub const MAX_SECTIONS: usize = 8;
    /// Longest note section id (`a-z`, `0-9` and `-`).
    pub const MAX_SECTION_ID_CHARS: usize = 40;
}

/// Why an edited agenda was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AgendaError {
    /// No phases at all.
    #[error("The agenda needs at least one phase.")]
    Empty,
    /// Too many phases.
    #[error("An agenda can have at most {} phases.", limits::MAX_PHASES)]
    TooManyPhases,
    /// A phase field is out of bounds; the message says which.
    #[error("Phase {phase}: {problem}")]
    Phase {
        /// 1-based phase number, as the UI shows it.
        phase: usize,
        /// What is wrong.
        problem: String,
    },
    /// The goal is too long.
    #[error("The session goal can be at most {} characters.", limits::MAX_GOAL_CHARS)]
    GoalTooLong,
}

/// Checks an agenda (typically a template's, edited by the creator) against [`limits`].
pub fn validate_agenda(phases: &[PhaseSpec]) -> Result<(), AgendaError> {
    use limits::*;
    if phases.is_empty() {
        return Err(AgendaError::Empty);
    }
    if phases.len() > MAX_PHASES {
        return Err(AgendaError::TooManyPhases);
    }
    for (i, p) in phases.iter().enumerate() {
        let bad = |problem: &str| AgendaError::Phase {
            phase: i + 1,
            problem: problem.to_string(),
        };
        if p.title.trim().is_empty() {
            return Err(bad("the title is empty."));
        }
        if p.title.chars().count() > MAX_TITLE_CHARS {
            return Err(bad("the title is too long (80 characters at most)."));
        }
        if p.minutes == 0 || p.minutes > MAX_PHASE_MINUTES {
            return Err(bad("minutes must be between 1 and 240."));
        }
        if p.prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(bad("the prompt is too long (1000 characters at most)."));
        }
        if p.questions.len() > MAX_QUESTIONS {
            return Err(bad("at most 6 guiding questions."));
        }
        if p.questions.iter().any(|q| q.chars().count() > MAX_QUESTION_CHARS) {
            return Err(bad("a guiding question is too long (300 characters at most)."));
        }
        if p.notes.len() > MAX_SECTIONS {
            return Err(bad("at most 8 note sections."));
        }
        for n in &p.notes {
            let id_ok = (1..=MAX_SECTION_ID_CHARS).contains(&n.id.len())
                && n.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !id_ok || n.id == crate::notes::COMMITMENTS {
                return Err(bad(
                    "a note section's id must be 1 to 40 of a-z, 0-9 and -, and not \"commitments\".",
                ));
            }
            // Each section is a text of its own, found by its id: once per phase, and a section shown again in a later
            // phase (an SBI draft kept at hand) is the same kind of text there, shared or private.
            if p.notes.iter().filter(|o| o.id == n.id).count() > 1
                || phases
                    .iter()
                    .flat_map(|p| &p.notes)
                    .any(|o| o.id == n.id && o.private != n.private)
            {
                return Err(bad("two note sections have the same id."));
            }
            if n.title.chars().count() > MAX_TITLE_CHARS || n.hint.chars().count() > MAX_PROMPT_CHARS {
                return Err(bad("a note section's title or hint is too long."));
            }
        }
    }
    Ok(())
}

/// Total planned minutes of an agenda.
pub fn total_minutes(phases: &[PhaseSpec]) -> u32 {
    phases.iter().map(|p| p.minutes).sum()
}
