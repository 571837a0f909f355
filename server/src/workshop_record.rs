//! The record of a workshop as a page of its own, drawn by the relay from the stored workshop for the facilitator's
//! and the observers' links: the rounds and their groups with the time each breakout's clocks ran (and its summary,
//! where the workshop lets the facilitator read notes), the chart of planned against actual time, the messages
//! sent to every breakout, where the workshop has skills its knowledge-gap picture and the wants met, the closing
//! question's answers (aggregated, from three on), who took part,
//! and the Markdown download and Print. Plain HTML and the relay pages' script
//! (Print, and putting the workshop into the reader's history): none of it weighs on the workshop page's code.

use crate::store::WorkshopRecord;
use crate::workshop_files::{facilitators_record, html_escape};
use crate::{AppState, ExportQuery};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::fmt::Write;
use tandem_core::session::summary::format_utc;
use tandem_core::session::{total_minutes, Capability, ParticipantId};
use tandem_core::workshop::Stage;

/// `GET /w/{id}/record?t=TOKEN`: the record page (facilitator and observers; 404 for any other link).
pub(crate) async fn record_page(
    State(state): State<AppState>,
    Path(workshop): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let record = match facilitators_record(&state, &workshop, &query.t).await {
        Ok(record) => record,
        Err(response) => return crate::relay_error_page(response.status(), None),
    };
    let (spec, wstate) = (&record.spec, &record.state);
    let reads_notes = spec.settings.facilitator_reads_notes && record.capability_of(&query.t) == Some(Capability::Host);
    let name = |id: ParticipantId| {
        wstate
            .member(id)
            .map_or_else(|| "A former participant".to_string(), |m| html_escape(&m.name))
    };
    let planned = total_minutes(&spec.format.phases);
    let token = html_escape(&query.t);
    let id = html_escape(&workshop);
    let mut body = String::new();
    let title = html_escape(&spec.format.template_name);
    let _ = write!(body, "<h1>Record: {title}</h1>");
    if !spec.format.goal.trim().is_empty() {
        let _ = write!(body, "<p>{}</p>", html_escape(spec.format.goal.trim()));
    }
    let status = match (wstate.stage, wstate.ended_at) {
        (Stage::Ended, Some(at)) => format!("Ended {}", format_utc(at)),
        _ => "Still running".to_string(),
    };
    let _ = write!(
        body,
        r#"<p class="hint">{status} · {} of {} rounds · each breakout planned for {planned} min</p><h2>Rounds</h2>"#,
        wstate.rounds.len(),
        spec.settings.rounds
    );
    if wstate.rounds.is_empty() {
        body.push_str(r#"<p class="hint">No breakouts yet.</p>"#);
    }
    body.push_str(r#"<ol class="my-breakouts" data-testid="record-rounds">"#);
    for (r, round) in wstate.rounds.iter().enumerate() {
        for (n, b) in round.breakouts.iter().enumerate() {
            let names: Vec<String> = b.members.iter().map(|&m| name(m)).collect();
            let spent = b
                .spent_ms
                .map(|ms| format!(" · {} of {planned} min", (ms + 30_000) / 60_000))
                .unwrap_or_default();
            let summary = if reads_notes {
                format!(
                    r#" <a href="/s/{}/summary?t={}">Open summary</a>"#,
                    html_escape(&b.session),
                    html_escape(&b.observer_token)
                )
            } else {
                String::new()
            };
            let _ = write!(
                body,
                "<li>Round {} · breakout {}: {}{spent}{summary}</li>",
                r + 1,
                n + 1,
                names.join(", ")
            );
        }
    }
    body.push_str("</ol>");
    let _ = write!(
        body,
        r#"<h2>Planned and actual time</h2>
<div class="chart-scroll" tabindex="0" role="region" aria-label="Chart, scrolls sideways on narrow screens"><img class="times-chart" src="/w/{id}/times.svg?t={token}" alt="Bar chart: planned and actual time of each breakout, red where it ran over." data-testid="times-chart"></div>
<p class="hint chart-scroll__hint" aria-hidden="true">Scroll the chart sideways to see all of it →</p>
<h2>Messages to every breakout</h2><p>{}</p>"#,
        if wstate.broadcasts.is_empty() {
            "None.".to_string()
        } else {
            wstate
                .broadcasts
                .iter()
                .map(|b| html_escape(&b.text))
                .collect::<Vec<_>>()
                .join(" · ")
        }
    );
    if !spec.skills.is_empty() {
        skills_html(&mut body, &record, &id, &token, &name);
    }
    match state.store.closing_summary(&workshop).await {
        Ok(summary) => {
            crate::workshop_closing::results_html(&mut body, &record, &summary);
            let _ = write!(
                body,
                r#"<p><a href="/w/{id}/closing?t={token}" data-testid="record-closing">The closing question's page</a></p>"#
            );
        }
        Err(e) => {
            tracing::error!(workshop = %workshop, error = %e, "could not read the closing answers");
            return crate::relay_error_page(axum::http::StatusCode::SERVICE_UNAVAILABLE, None);
        }
    }
    let people: Vec<String> = wstate.participants().map(|m| html_escape(&m.name)).collect();
    let _ = write!(
        body,
        r#"<h2>Who took part ({})</h2><p>{}</p>
<p class="controls">
<a class="button" href="/w/{id}/record.md?t={token}" download data-testid="record-markdown">Download as Markdown</a>
<button class="button" type="button" data-print data-testid="record-print">Print</button>
<a class="button button--quiet" href="/w/{id}?t={token}" data-testid="record-back">Back to the workshop</a>
</p>"#,
        people.len(),
        people.join(", ")
    );
    crate::relay_page(
        &format!("Record: {title}"),
        Some("relay-forms.js"),
        &format!(
            r#"<main class="page"><section class="card record" data-testid="workshop-record">{body}</section>{}</main>"#,
            crate::workshop_files::person_link_form(&workshop, &query.t)
        ),
    )
}

/// The skills (issue 17): the chart the relay draws, the same figures as a table for screen readers and anyone who
/// wants numbers, the skills nobody offers, and which wants some round met.
fn skills_html(
    body: &mut String,
    record: &WorkshopRecord,
    id: &str,
    token: &str,
    name: &dyn Fn(ParticipantId) -> String,
) {
    body.push_str("<h2>Skills</h2>");
    crate::workshop_skills::picture_html(body, &record.state.skill_picture(&record.spec), id, token);
    let wants = record.state.wants_met();
    let met = wants.iter().filter(|(_, _, round)| round.is_some()).count();
    let _ = write!(
        body,
        r#"<h3>Wants met in some round: {met} of {}</h3><ul data-testid="skills-met">"#,
        wants.len()
    );
    if wants.is_empty() {
        body.push_str("<li>Nobody named a skill they want to learn.</li>");
    }
    for (who, skill, round) in &wants {
        let status = round.map_or_else(|| "not met".to_string(), |r| format!("met in round {r}"));
        let _ = write!(body, "<li>{} wanted {}: {status}</li>", name(*who), html_escape(skill));
    }
    body.push_str("</ul>");
}
