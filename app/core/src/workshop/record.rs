//! The workshop's record as Markdown, for the facilitator's download: the rounds and their groups with planned and
//! actual minutes, the messages sent to every breakout, and who took part. Never a breakout's content: each
//! breakout's own summary (and its Markdown) holds that, for those who may see it.

use super::{picture_markdown, Stage, WorkshopSpec, WorkshopState};
use crate::markdown::text as markdown_text;
use crate::session::summary::format_utc;
use crate::session::{total_minutes, ParticipantId};
use std::fmt::Write;

/// The record of `state` (of the workshop `spec`) as Markdown.
pub fn record_markdown(spec: &WorkshopSpec, state: &WorkshopState) -> String {
    let name = |id: ParticipantId| {
        state
            .member(id)
            .map_or_else(|| "A former participant".to_string(), |m| markdown_text(&m.name))
    };
    let planned = total_minutes(&spec.format.phases);
    let mut md = String::new();
    let _ = writeln!(md, "# Workshop: {}", markdown_text(&spec.format.template_name));
    if !spec.format.goal.trim().is_empty() {
        let _ = writeln!(md, "\n{}", markdown_text(&spec.format.goal));
    }
    let status = match (state.stage, state.ended_at) {
        (Stage::Ended, Some(at)) => format!("Ended {}", format_utc(at)),
        _ => "Still running".to_string(),
    };
    let _ = writeln!(
        md,
        "\n{status} · {} of {} rounds · each breakout planned for {planned} min",
        state.rounds.len(),
        spec.settings.rounds
    );
    for (r, round) in state.rounds.iter().enumerate() {
        let actual = round.closed_at.map_or_else(
            || "still open".to_string(),
            |c| format!("{} min", (c - round.opened_at) / 60_000),
        );
        let _ = writeln!(md, "\n## Round {} ({actual}, planned {planned} min)\n", r + 1);
        for (n, b) in round.breakouts.iter().enumerate() {
            let names: Vec<String> = b.members.iter().map(|&m| name(m)).collect();
            let _ = writeln!(md, "- Breakout {}: {}", n + 1, names.join(", "));
        }
    }
    let _ = writeln!(md, "\n## Messages to every breakout\n");
    if state.broadcasts.is_empty() {
        let _ = writeln!(md, "None.");
    }
    for b in &state.broadcasts {
        let _ = writeln!(md, "- {} {}", format_utc(b.at), markdown_text(&b.text));
    }
    if !spec.skills.is_empty() {
        skills_section(&mut md, spec, state, &name);
    }
    let people: Vec<String> = state.participants().map(|m| markdown_text(&m.name)).collect();
    let _ = writeln!(md, "\n## Who took part ({})\n\n{}", people.len(), people.join(", "));
    md
}

/// The skills (issue 17): the group's picture as answered, then which wants some round met (someone in the wanter's
/// group offered it) and which none did.
fn skills_section(md: &mut String, spec: &WorkshopSpec, state: &WorkshopState, name: &dyn Fn(ParticipantId) -> String) {
    let _ = writeln!(md, "\n## Skills\n");
    let picture = state.skill_picture(spec);
    md.push_str(&picture_markdown(&picture));
    let wants = state.wants_met();
    let met = wants.iter().filter(|(_, _, round)| round.is_some()).count();
    let _ = writeln!(md, "\n### Wants met in some round: {met} of {}\n", wants.len());
    if wants.is_empty() {
        let _ = writeln!(md, "Nobody named a skill they want to learn.");
    }
    for (who, skill, round) in &wants {
        let status = round.map_or_else(|| "not met".to_string(), |r| format!("met in round {r}"));
        let _ = writeln!(md, "- {} wanted {}: {status}", name(*who), markdown_text(skill));
    }
}
