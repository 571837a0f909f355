//! Guided feedback about a partner: answers checked against the template's form, and the outcome of a session.

use super::ids::{Millis, ParticipantId};
use super::template::{FieldKind, FormSpec, RoleSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A client-generated id that makes a submission idempotent: the same id stored twice is one row.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeedbackId(pub String);

impl FeedbackId {
    /// 16..=64 characters of `[A-Za-z0-9_-]`.
    pub fn is_well_formed(&self) -> bool {
        super::ids::is_key_like(&self.0)
    }
}

/// One answer: free text or a 1–5 rating. On the wire and in the store a bare JSON number or string (serialized
/// like `#[serde(untagged)]`; read by hand, because serde reads an untagged enum through a buffered copy of the
/// value, code the browser bundle does not otherwise need: docs/performance.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// A rating (1–5).
    Rating(i64),
    /// Free text.
    Text(String),
}

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnswerVisitor;
        impl serde::de::Visitor<'_> for AnswerVisitor {
            type Value = Answer;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a rating (a whole number) or a text")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Answer, E> {
                Ok(Answer::Rating(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Answer, E> {
                i64::try_from(v)
                    .map(Answer::Rating)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Answer, E> {
                Ok(Answer::Text(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Answer, E> {
                Ok(Answer::Text(v))
            }
        }
        deserializer.deserialize_any(AnswerVisitor)
    }
}

/// Feedback as the giver submits it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackDraft {
    /// Idempotency key.
    pub id: FeedbackId,
    /// The form answered.
    pub form: String,
    /// Who the feedback is about.
    pub about: ParticipantId,
    /// Answers by field id.
    pub answers: BTreeMap<String, Answer>,
}

/// Feedback as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// Idempotency key.
    pub id: FeedbackId,
    /// The form answered.
    pub form: String,
    /// Who gave it.
    pub from: ParticipantId,
    /// Who it is about.
    pub about: ParticipantId,
    /// Answers by field id.
    pub answers: BTreeMap<String, Answer>,
    /// Whether the receiver chose to share it with the host.
    pub shared_with_host: bool,
    /// When it was (last) submitted.
    pub submitted_at: Millis,
}

/// A problem with one field, shown next to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field id (empty for the whole form).
    pub field: String,
    /// What to fix.
    pub message: String,
}

/// Checks answers against a form: known fields only, required ones present, texts within limits, ratings 1–5.
pub fn validate_answers(form: &FormSpec, answers: &BTreeMap<String, Answer>) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let err = |field: &str, message: String| FieldError {
        field: field.to_string(),
        message,
    };
    for id in answers.keys() {
        if !form.fields.iter().any(|f| &f.id == id) {
            errors.push(err(id, "This question is not part of the form.".into()));
        }
    }
    for field in &form.fields {
        match (&field.kind, answers.get(&field.id)) {
            (FieldKind::Text { max_chars }, Some(Answer::Text(text))) => {
                let count = text.chars().count();
                if count > *max_chars as usize {
                    errors.push(err(
                        &field.id,
                        format!("At most {max_chars} characters (this has {count})."),
                    ));
                } else if field.required && text.trim().is_empty() {
                    errors.push(err(&field.id, "This question needs an answer.".into()));
                }
            }
            (FieldKind::Rating, Some(Answer::Rating(r))) => {
                if !(1..=5).contains(r) {
                    errors.push(err(&field.id, "Pick a rating from 1 to 5.".into()));
                }
            }
            (_, None) if field.required => errors.push(err(&field.id, "This question needs an answer.".into())),
            (_, None) => {}
            (FieldKind::Text { .. }, Some(_)) => errors.push(err(&field.id, "This question takes text.".into())),
            (FieldKind::Rating, Some(_)) => errors.push(err(&field.id, "Pick a rating from 1 to 5.".into())),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Checks who gives and who receives against the roles the form names ([`FormSpec::givers`], [`FormSpec::about`]):
/// the sentence to show when the giver's role does not fill in this form, or the receiver's role is not one it is
/// about. `roles` are the session's, for their names.
pub fn check_roles(
    form: &FormSpec,
    roles: &[RoleSpec],
    giver: Option<&str>,
    about: Option<&str>,
) -> Result<(), String> {
    if !form.may_give(giver) {
        if giver.is_none() {
            return Err("Pick your role first (Your role, in the session page), then send your feedback.".into());
        }
        return Err(format!(
            "“{}” is given by the {}, not by the {}.",
            form.title,
            role_names(roles, &form.givers),
            role_names(roles, &[giver.unwrap_or_default().to_string()]),
        ));
    }
    if !form.may_be_about(about) {
        if about.is_none() {
            return Err(format!(
                "“{}” is feedback about the {}, and this person has not picked a role yet.",
                form.title,
                role_names(roles, &form.about),
            ));
        }
        return Err(format!(
            "“{}” is feedback about the {}, not about the {}.",
            form.title,
            role_names(roles, &form.about),
            role_names(roles, &[about.unwrap_or_default().to_string()]),
        ));
    }
    Ok(())
}

/// The display names of role ids, joined with "or" ("Coachee or Observer"); an unknown id stands for itself.
pub fn role_names(roles: &[RoleSpec], ids: &[String]) -> String {
    let names: Vec<&str> = ids
        .iter()
        .map(|id| {
            roles
                .iter()
                .find(|r| &r.id == id)
                .map_or(id.as_str(), |r| r.name.as_str())
        })
        .collect();
    names.join(" or ")
}

/// Planned and actual time of one phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTime {
    /// Phase title.
    pub title: String,
    /// Planned minutes, in ms.
    pub planned_ms: i64,
    /// How long its clock ran, in ms.
    pub actual_ms: i64,
}

/// One connection interval of a participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    /// Who.
    pub participant: ParticipantId,
    /// When they connected.
    pub joined_at: Millis,
    /// When they left (or the session ended).
    pub left_at: Millis,
}

/// What is kept when a session ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// When it ended.
    pub ended_at: Millis,
    /// Planned vs actual per phase (main room).
    pub phases: Vec<PhaseTime>,
    /// Connection intervals.
    pub attendance: Vec<Attendance>,
    /// Final text of each note section, by section id (sections left empty are absent).
    #[serde(default)]
    pub notes: BTreeMap<String, String>,
    /// Commitments as they stood at the end.
    #[serde(default)]
    pub commitments: Vec<crate::notes::Commitment>,
}
