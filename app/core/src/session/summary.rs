//! What a viewer may see of an ended session, and its Markdown export.

use super::clock::format_remaining;
use super::feedback::{Answer, Feedback, Outcome};
use super::ids::{Capability, Millis, ParticipantId};
use super::{ParticipantView, SessionSpec};
use serde::{Deserialize, Serialize};

/// The summary of a session as one viewer may see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The session as created.
    pub session: SessionSpec,
    /// What the viewer's link allows.
    pub capability: Capability,
    /// When it ended (`None`: still running).
    pub ended_at: Option<Millis>,
    /// The stored outcome, once ended.
    pub outcome: Option<Outcome>,
    /// Everyone who joined.
    pub participants: Vec<ParticipantView>,
    /// The viewer, when their browser key is known.
    pub viewer: Option<ParticipantId>,
    /// Feedback the viewer may see.
    pub feedback: Vec<Feedback>,
}

/// Feedback is private to giver and receiver; the host also sees what the receiver chose to share.
pub fn may_see(f: &Feedback, viewer: Option<ParticipantId>, capability: Capability) -> bool {
    let Some(me) = viewer else { return false };
    f.from == me || f.about == me || (capability == Capability::Host && f.shared_with_host)
}

impl Summary {
    /// A participant's display name.
    pub fn name_of(&self, id: ParticipantId) -> String {
        self.participants
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| format!("Participant {}", id.0), |p| p.name.clone())
    }

    /// What a participant was in the session, for the attendance: their role's display name ("Coachee"), or
    /// without a role what their link allowed, capitalised ("Observer").
    pub fn role_label(&self, p: &ParticipantView) -> String {
        if let Some(role) = p.role.as_deref().and_then(|r| self.session.role(r)) {
            return role.name.clone();
        }
        let label = p.capability.label();
        let mut chars = label.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    }

    /// The summary as a Markdown document. Everything people typed (goal, titles, notes, names, answers) is
    /// escaped ([`crate::markdown`]): it reads as text in any renderer, never as markup.
    pub fn to_markdown(&self) -> String {
        use crate::markdown::{block, text as t};
        let s = &self.session;
        let mut md = String::new();
        let title = if s.goal.trim().is_empty() {
            s.template_name.clone()
        } else {
            s.goal.clone()
        };
        md.push_str(&format!("# {}\n\n", t(&title)));
        md.push_str(&format!("*{}*", t(&s.template_name)));
        if let Some(at) = self.ended_at {
            md.push_str(&format!(" · ended {}", format_utc(at)));
        }
        md.push_str("\n\n## Agenda: planned and actual\n\n| Phase | Planned | Actual |\n| --- | ---: | ---: |\n");
        match &self.outcome {
            Some(o) => {
                for p in &o.phases {
                    md.push_str(&format!(
                        "| {} | {} | {} |\n",
                        t(&p.title),
                        format_remaining(p.planned_ms),
                        format_remaining(p.actual_ms)
                    ));
                }
            }
            None => {
                for p in &s.phases {
                    md.push_str(&format!("| {} | {} min | – |\n", t(&p.title), p.minutes));
                }
            }
        }
        md.push_str("\n## Notes\n\n");
        let notes = self.outcome.as_ref().map(|o| &o.notes);
        let mut any = false;
        for p in &s.phases {
            let written: Vec<(&str, &String)> = p
                .notes
                .iter()
                .filter_map(|n| notes.and_then(|all| all.get(&n.id)).map(|t| (n.title.as_str(), t)))
                .collect();
            if written.is_empty() {
                continue;
            }
            any = true;
            md.push_str(&format!("### {}\n\n", t(&p.title)));
            for (title, text) in written {
                md.push_str(&format!("**{}**\n\n{}\n\n", t(title), block(text)));
            }
        }
        if !any {
            md.push_str("_No shared notes were taken._\n\n");
        }
        md.push_str("## Commitments\n\n");
        let commitments = self.outcome.as_ref().map_or(&[][..], |o| &o.commitments[..]);
        if commitments.is_empty() {
            md.push_str("_None recorded._\n\n");
        } else {
            for c in commitments {
                md.push_str(&format!("- [{}] {}", if c.done { "x" } else { " " }, t(&c.text)));
                let owner = c.owner.map(|o| t(&self.name_of(o)));
                match (owner, &c.due) {
                    (Some(o), Some(d)) => md.push_str(&format!(" — {o}, due {d}")),
                    (Some(o), None) => md.push_str(&format!(" — {o}")),
                    (None, Some(d)) => md.push_str(&format!(" — due {d}")),
                    (None, None) => {}
                }
                md.push('\n');
            }
            md.push('\n');
        }
        md.push_str("## Feedback\n\n");
        if self.feedback.is_empty() {
            md.push_str("_No feedback visible to you._\n\n");
        }
        for f in &self.feedback {
            md.push_str(&format!(
                "### From {} to {}\n\n",
                t(&self.name_of(f.from)),
                t(&self.name_of(f.about))
            ));
            let form = s.forms.iter().find(|x| x.id == f.form);
            // In the form's order, as the summary page shows them; answers to fields the form no longer has last.
            let fields = form.map_or(&[][..], |x| &x.fields[..]);
            let known = fields
                .iter()
                .filter_map(|y| f.answers.get(&y.id).map(|a| (y.label.as_str(), a)));
            let unknown = f
                .answers
                .iter()
                .filter(|(id, _)| !fields.iter().any(|y| &y.id == *id))
                .map(|(id, a)| (id.as_str(), a));
            for (label, answer) in known.chain(unknown) {
                let value = match answer {
                    Answer::Text(text) if text.trim().is_empty() => continue,
                    Answer::Text(text) => t(text),
                    Answer::Rating(r) => format!("{r}/5"),
                };
                md.push_str(&format!("- **{}**: {value}\n", t(label)));
            }
            md.push('\n');
        }
        md.push_str("## Attendance\n\n");
        for p in &self.participants {
            let present_ms: i64 = self
                .outcome
                .iter()
                .flat_map(|o| o.attendance.iter())
                .filter(|a| a.participant == p.id)
                .map(|a| (a.left_at - a.joined_at).max(0))
                .sum::<i64>();
            let role = format!(" ({})", t(&self.role_label(p)));
            let secs = present_ms / 1000;
            md.push_str(&format!(
                "- {}{} — {}:{:02} present\n",
                t(&p.name),
                role,
                secs / 60,
                secs % 60
            ));
        }
        md
    }
}

/// `YYYY-MM-DD HH:MM UTC` from epoch milliseconds (civil-from-days, no date library needed).
pub fn format_utc(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}
