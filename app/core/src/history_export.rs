//! "Download your history" (issue 18): everything a person may see of their sessions, as one JSON document (their
//! data, portable) or one Markdown file. The relay fills [`Export`]; this writes it.

use crate::markdown::{block, text};
use crate::session::summary::format_utc;
use crate::session::Millis;
use serde::{Deserialize, Serialize};

/// A person's whole history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// When it was made (relay clock).
    pub exported_at: Millis,
    /// Newest first.
    pub sessions: Vec<ExportSession>,
    /// The workshops, newest first (their breakouts are among the sessions).
    #[serde(default)]
    pub workshops: Vec<ExportWorkshop>,
}

/// One workshop the person took part in, facilitated or observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportWorkshop {
    /// Its id.
    pub id: String,
    /// The breakouts' format.
    pub format: String,
    /// Its goal (may be empty).
    pub goal: String,
    /// When it was created.
    pub created_at: Millis,
    /// When it ended.
    pub ended_at: Option<Millis>,
    /// "facilitated", "took part" or "observed".
    pub you: String,
    /// Rounds held.
    pub rounds: usize,
    /// The others who took part.
    pub people: Vec<String>,
}

/// One session as its participant may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSession {
    /// The session's id.
    pub id: String,
    /// The format (template's name).
    pub format: String,
    /// When it was created.
    pub created_at: Millis,
    /// When it ended, if it did.
    pub ended_at: Option<Millis>,
    /// Its goal.
    pub goal: String,
    /// The name this person had in it.
    pub you: String,
    /// The others, by name.
    pub with: Vec<String>,
    /// The shared notes: section title, text (empty sections left out).
    pub notes: Vec<(String, String)>,
    /// The commitments.
    pub commitments: Vec<ExportCommitment>,
    /// Feedback this person gave or received.
    pub feedback: Vec<ExportFeedback>,
    /// Kudos this person received.
    #[serde(default)]
    pub kudos: Vec<ExportKudos>,
}

/// A kudos received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportKudos {
    /// Who gave it.
    pub from: String,
    /// What for.
    pub text: String,
    /// The phase it was given in.
    pub phase: String,
    /// When.
    pub at: Millis,
}

/// A commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCommitment {
    /// What was committed to.
    pub text: String,
    /// Whose it is, by name.
    pub owner: Option<String>,
    /// Due date, `YYYY-MM-DD`.
    pub due: Option<String>,
    /// Done.
    pub done: bool,
}

/// A feedback given or received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFeedback {
    /// Who gave it.
    pub from: String,
    /// Whom it is about.
    pub about: String,
    /// The answers: question, answer (a rating as "4 of 5").
    pub answers: Vec<(String, String)>,
}

impl Export {
    /// The whole history as one Markdown file; what people typed stays text ([`crate::markdown`]).
    pub fn to_markdown(&self) -> String {
        let mut md = format!(
            "# Your Tandem history\n\nExported {}. {} {}, newest first.\n",
            format_utc(self.exported_at),
            self.sessions.len(),
            if self.sessions.len() == 1 {
                "session"
            } else {
                "sessions"
            }
        );
        if !self.workshops.is_empty() {
            md.push_str("\n## Workshops\n\n");
            for w in &self.workshops {
                let goal = match w.goal.trim() {
                    "" => "Peer-coaching workshop",
                    goal => goal,
                };
                md.push_str(&format!(
                    "- {} ({}), {}: you {}; {} {}; {}\n",
                    text(goal),
                    text(&w.format),
                    format_utc(w.created_at),
                    w.you,
                    w.rounds,
                    if w.rounds == 1 { "round" } else { "rounds" },
                    match w.people.is_empty() {
                        true => "nobody else took part".to_string(),
                        false => format!("with {}", text(&w.people.join(", "))),
                    }
                ));
            }
        }
        for s in &self.sessions {
            md.push_str(&format!("\n## {}, {}\n\n", text(&s.format), format_utc(s.created_at)));
            if !s.goal.trim().is_empty() {
                md.push_str(&format!("- Goal: {}\n", text(&s.goal)));
            }
            md.push_str(&format!("- You: {}\n", text(&s.you)));
            let with = if s.with.is_empty() {
                "nobody else joined".to_string()
            } else {
                text(&s.with.join(", "))
            };
            md.push_str(&format!("- With: {with}\n"));
            if let Some(end) = s.ended_at {
                md.push_str(&format!("- Ended: {}\n", format_utc(end)));
            }
            for (title, body) in &s.notes {
                md.push_str(&format!("\n### {}\n\n{}\n", text(title), block(body)));
            }
            if !s.commitments.is_empty() {
                md.push_str("\n### Commitments\n\n");
                for c in &s.commitments {
                    let mut line = format!("- [{}] {}", if c.done { "x" } else { " " }, text(&c.text));
                    if let Some(owner) = &c.owner {
                        line.push_str(&format!(" ({})", text(owner)));
                    }
                    if let Some(due) = &c.due {
                        line.push_str(&format!(", due {}", text(due)));
                    }
                    md.push_str(&line);
                    md.push('\n');
                }
            }
            if !s.kudos.is_empty() {
                md.push_str("\n### Kudos you received\n\n");
                for k in &s.kudos {
                    md.push_str(&format!(
                        "- {} (from {}, in {}, {})\n",
                        text(&k.text),
                        text(&k.from),
                        text(&k.phase),
                        format_utc(k.at)
                    ));
                }
            }
            for f in &s.feedback {
                md.push_str(&format!(
                    "\n### Feedback from {} to {}\n\n",
                    text(&f.from),
                    text(&f.about)
                ));
                for (question, answer) in &f.answers {
                    md.push_str(&format!("- {}: {}\n", text(question), text(answer)));
                }
            }
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markdown_keeps_typed_text_as_text() {
        let export = Export {
            exported_at: 0,
            sessions: vec![ExportSession {
                id: "s1".into(),
                format: "GROW".into(),
                created_at: 0,
                ended_at: None,
                goal: "# not a heading".into(),
                you: "Ana".into(),
                with: vec![],
                notes: vec![("Goal statement".into(), "line one\n<img src=x>".into())],
                commitments: vec![ExportCommitment {
                    text: "Ship *it*".into(),
                    owner: Some("Ben".into()),
                    due: Some("2026-12-24".into()),
                    done: true,
                }],
                feedback: vec![ExportFeedback {
                    from: "Ben".into(),
                    about: "Ana".into(),
                    answers: vec![("Clarity".into(), "4 of 5".into())],
                }],
                kudos: vec![ExportKudos {
                    from: "Ben".into(),
                    text: "Great *question*".into(),
                    phase: "Options".into(),
                    at: 60_000,
                }],
            }],
            workshops: vec![ExportWorkshop {
                id: "w1".into(),
                format: "GROW".into(),
                goal: String::new(),
                created_at: 0,
                ended_at: Some(60_000),
                you: "facilitated".into(),
                rounds: 2,
                people: vec!["Ana".into(), "B*n".into()],
            }],
        };
        let md = export.to_markdown();
        assert!(
            md.contains("## Workshops\n\n- Peer-coaching workshop (GROW), 1970-01-01 00:00 UTC: you facilitated; 2 rounds; with Ana, B\\*n\n"),
            "{md}"
        );
        assert!(md.starts_with("# Your Tandem history\n\nExported 1970-01-01 00:00 UTC. 1 session"));
        assert!(md.contains("- Goal: \\# not a heading"), "{md}");
        assert!(md.contains("\\<img src=x\\>"), "{md}");
        assert!(md.contains("- [x] Ship \\*it\\* (Ben), due 2026-12-24"), "{md}");
        assert!(md.contains("### Feedback from Ben to Ana\n\n- Clarity: 4 of 5"), "{md}");
        assert!(md.contains("- With: nobody else joined"));
        assert!(
            md.contains("- Great \\*question\\* (from Ben, in Options, 1970-01-01 00:01 UTC)"),
            "{md}"
        );
    }
}
