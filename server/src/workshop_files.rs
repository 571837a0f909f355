//! Files the facilitator's page shows, opens or downloads, drawn by the relay from the stored workshop (no code for
//! them in the page): the join screen and its QR code, the record as Markdown, the chart of planned against actual
//! time, the chart of the skills wanted and offered.

use crate::error::AppError;
use crate::store::WorkshopRecord;
use crate::{AppState, ExportQuery};
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tandem_core::session::{total_minutes, Capability, ParticipantKey, SessionId};
use tandem_core::workshop::{
    closing_markdown, record_markdown, skills_chart_svg, times_chart_svg, BreakoutTime, Member,
};

/// The workshop `id` and what `token` allows in it, for the workshop pages the relay draws: 404 for a wrong link or
/// an unknown workshop, 503 when the store fails.
pub(crate) async fn workshop_for_link(
    state: &AppState,
    id: &str,
    token: &str,
) -> Result<(WorkshopRecord, Capability), Response> {
    match state.store.workshop(id).await {
        Ok(Some(record)) => match record.capability_of(token) {
            Some(capability) => Ok((record, capability)),
            None => Err(crate::relay_error_page(StatusCode::NOT_FOUND, None)),
        },
        Ok(None) => Err(crate::relay_error_page(StatusCode::NOT_FOUND, None)),
        Err(e) => {
            tracing::error!(error = %e, "could not read a workshop");
            Err(crate::relay_error_page(StatusCode::SERVICE_UNAVAILABLE, None))
        }
    }
}

/// The participant whose browser key a relay-drawn page's form sent (`key`, filled in by public/relay-forms.js), on
/// the participants' link (`capability`); `None` (answered with [`not_joined`]) for a key that never joined, was
/// removed, or is not a participant's.
pub(crate) fn joined_participant(
    record: &WorkshopRecord,
    capability: Capability,
    form: &std::collections::HashMap<String, String>,
) -> Option<(ParticipantKey, Member)> {
    let key = ParticipantKey(form.get("key").cloned().unwrap_or_default());
    let member = record.state.member_by_key(&key).filter(|m| !m.removed);
    let member = member.filter(|m| m.capability == Capability::Participant && capability == m.capability)?;
    Some((key, member.clone()))
}

/// The one 404 page for every key [`joined_participant`] does not know.
pub(crate) fn not_joined() -> Response {
    let why = "This browser has not joined this workshop, or was removed from it. Join it from the workshop's page.";
    crate::relay_error_page(StatusCode::NOT_FOUND, Some(why))
}

/// The workshop `id` if `token` is its facilitator's or observers' link; otherwise the answer to give (404 for any
/// other link or an unknown workshop, 503 when the store fails).
pub(crate) async fn facilitators_record(state: &AppState, id: &str, token: &str) -> Result<WorkshopRecord, Response> {
    match state.store.workshop(id).await {
        Ok(Some(record))
            if matches!(
                record.capability_of(token),
                Some(Capability::Host | Capability::Observer)
            ) =>
        {
            Ok(record)
        }
        Ok(_) => Err(AppError::InvalidLink.into_response()),
        Err(e) => {
            tracing::error!(error = %e, "could not read a workshop");
            Err(unavailable())
        }
    }
}

/// `GET /w/{id}/record.md?t=TOKEN`: the workshop's record as a Markdown download, for the facilitator's and the
/// observers' links (a participant's own record is their breakouts' summaries).
pub(crate) async fn record_markdown_file(
    State(state): State<AppState>,
    Path(workshop): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let record = match facilitators_record(&state, &workshop, &query.t).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    let closing = match state.store.closing_summary(&workshop).await {
        Ok(summary) => closing_markdown(&summary, record.state.participants().count()),
        Err(e) => {
            tracing::error!(workshop = %workshop, error = %e, "could not read the closing answers");
            return unavailable();
        }
    };
    let file = format!("tandem-workshop-{}.md", record.spec.format.template_id);
    (
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        record_markdown(&record.spec, &record.state) + &closing,
    )
        .into_response()
}

/// `GET /w/{id}/join?t=HOST_TOKEN`: the join screen a facilitator projects, a page of its own (opened in a window
/// of its own, to drag onto the projector): the participant link in large type, its QR code, and how many people
/// have joined, brought up to date every 5 s (by `public/relay-forms.js`, which reads this page again). Plain HTML
/// and a few lines of script: it needs no code in any page. Only the facilitator's link
/// opens it: it shows the participant link. Opened in the facilitator's own browser, it puts the workshop into their
/// history ([`person_link_form`]).
pub(crate) async fn join_screen(
    State(state): State<AppState>,
    Path(workshop): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let link = match participant_link(&state, &workshop, &query.t).await {
        Ok(link) => link,
        Err(response) => return crate::relay_error_page(response.status(), None),
    };
    // A second read (the link above comes from the backend, which knows the public address): the count.
    let (joined, ended, name) = match state.store.workshop(&workshop).await {
        Ok(Some(record)) => (
            record.state.participants().count(),
            record.state.ended_at.is_some(),
            workshop_name(&record.spec.format.template_name, &record.spec.format.goal),
        ),
        Ok(None) => return crate::relay_error_page(StatusCode::NOT_FOUND, None),
        Err(_) => return crate::relay_error_page(StatusCode::SERVICE_UNAVAILABLE, None),
    };
    let qr = html_escape(&format!("/w/{workshop}/qr.svg?t={}", query.t));
    let link = html_escape(&link);
    let people = if joined == 1 { "person has" } else { "people have" };
    // Once the workshop has ended, nobody should scan the code any more.
    let body = if ended {
        format!(
            r#"<h1>This workshop has ended</h1>
<p class="join-screen__name" data-testid="join-name">{name}</p>
<p class="join-screen__count" role="status" data-testid="join-count">{joined} {people} joined</p>"#
        )
    } else {
        format!(
            r#"<h1>Join the workshop</h1>
<p class="join-screen__name" data-testid="join-name">{name}</p>
<img class="join-screen__qr" src="{qr}" alt="QR code of the participant link" width="320" height="320">
<p class="join-screen__hint">Scan the code, or type this address:</p>
<p class="join-screen__link">{link}</p>
<p class="join-screen__count" role="status" data-testid="join-count">{joined} {people} joined</p>"#
        )
    };
    crate::relay_page(
        "Join the workshop",
        Some("relay-forms.js"),
        &format!(
            r#"<main class="join-screen" data-testid="join-screen">{body}</main>{}"#,
            person_link_form(&workshop, &query.t)
        ),
    )
}

/// Text safe to put in HTML, in an element or a quoted attribute.
pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The workshop's participant link if `token` is its facilitator's (the join screen and its QR code show it);
/// otherwise the answer to give (404, or 503 when the store fails).
async fn participant_link(state: &AppState, workshop: &str, token: &str) -> Result<String, Response> {
    match state
        .backend
        .0
        .open_workshop(workshop.to_string(), token.to_string())
        .await
    {
        Ok(link) => link
            .share
            .map(|s| s.participant_link)
            .ok_or_else(|| AppError::InvalidLink.into_response()),
        Err(app::api::BackendError::Unavailable) => Err(unavailable()),
        Err(_) => Err(AppError::InvalidLink.into_response()),
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "Tandem could not read this workshop right now.",
    )
        .into_response()
}

/// `GET /w/{id}/qr.svg?t=HOST_TOKEN`: the workshop's participant link as a QR code (SVG), for the join screen the
/// facilitator projects. Only the facilitator's link gets it: the code carries the participant link's secret.
pub(crate) async fn qr(
    State(state): State<AppState>,
    Path(workshop): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let link = match participant_link(&state, &workshop, &query.t).await {
        Ok(link) => link,
        Err(response) => return response,
    };
    match qrcode::QrCode::new(link.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(320, 320)
                .quiet_zone(true)
                .build();
            (
                [
                    (header::CONTENT_TYPE, "image/svg+xml"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                svg,
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "could not draw a QR code");
            (StatusCode::INTERNAL_SERVER_ERROR, "Tandem could not draw this QR code.").into_response()
        }
    }
}

/// `GET /w/{id}/times.svg?t=TOKEN`: planned against actual time per breakout, drawn as SVG, for the facilitator's
/// and the observers' links. A breakout's actual time is how long its clocks ran (its stored outcome), or the time
/// its round has been open while it runs.
pub(crate) async fn times(
    State(state): State<AppState>,
    Path(workshop): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let record = match facilitators_record(&state, &workshop, &query.t).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    let planned_ms = i64::from(total_minutes(&record.spec.format.phases)) * 60_000;
    let mut rows = Vec::new();
    for (r, round) in record.state.rounds.iter().enumerate() {
        for (n, b) in round.breakouts.iter().enumerate() {
            let outcome = state.store.outcome(&SessionId(b.session.clone())).await.ok().flatten();
            let actual_ms = match outcome {
                Some(o) => o.phases.iter().map(|p| p.actual_ms).sum(),
                None => round.closed_at.unwrap_or_else(crate::relay::now_ms) - round.opened_at,
            };
            rows.push(BreakoutTime {
                label: format!("Round {} · breakout {}", r + 1, n + 1),
                planned_ms,
                actual_ms,
            });
        }
    }
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        times_chart_svg(&rows),
    )
        .into_response()
}

/// `GET /w/{id}/skills.svg?t=TOKEN`: the knowledge-gap picture of the participants (issue 17) drawn as SVG, for any
/// of the workshop's links: it holds counts only, no names. A workshop without skills, like a wrong link, is 404.
pub(crate) async fn skills(
    State(state): State<AppState>,
    Path(workshop): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let record = match state.store.workshop(&workshop).await {
        Ok(Some(record)) if record.capability_of(&query.t).is_some() && !record.spec.skills.is_empty() => record,
        Ok(_) => return AppError::InvalidLink.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not read a workshop");
            return unavailable();
        }
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        skills_chart_svg(&record.state.skill_picture(&record.spec)),
    )
        .into_response()
}

/// What the join screen and the skills page call a workshop: its format and its goal, HTML-escaped ("GROW peer
/// coaching: Practise coaching").
pub(crate) fn workshop_name(format: &str, goal: &str) -> String {
    match goal.trim() {
        "" => html_escape(format),
        goal => html_escape(&format!("{format}: {goal}")),
    }
}

/// A relay page's heading for a workshop, as the workshop page has it: its goal, or "Peer-coaching workshop"
/// (HTML-escaped); the format goes in the eyebrow line above it.
pub(crate) fn workshop_heading(goal: &str) -> String {
    match goal.trim() {
        "" => "Peer-coaching workshop".to_string(),
        goal => html_escape(goal),
    }
}

/// The hidden form by which a workshop page the relay draws puts the workshop into the reader's history (issue 18):
/// public/relay-forms.js sends it at once with the browser's personal key (`k`, drawn there the first time) and its
/// key in the workshop (`w`, as the workshop page keeps it), in the body. Nothing is sent from a browser that has
/// not joined the workshop.
pub(crate) fn person_link_form(id: &str, token: &str) -> String {
    format!(
        r#"<form method="post" action="/w/{id}/person?t={token}" data-person data-member="{id}" hidden><input type="hidden" name="k"><input type="hidden" name="w"></form>"#,
        id = html_escape(id),
        token = html_escape(token)
    )
}

/// [`person_link_form`]'s fields.
#[derive(serde::Deserialize)]
pub(crate) struct PersonLinkForm {
    #[serde(default)]
    k: String,
    #[serde(default)]
    w: String,
}

/// `POST /w/{id}/person?t=TOKEN`: links the member whose browser key is `w`, who joined through this link, to the
/// person whose personal key is `k`. 204 once linked; 404 (and nothing stored) for any key or link that does not
/// fit.
pub(crate) async fn link_person(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
    Form(form): Form<PersonLinkForm>,
) -> StatusCode {
    let Some(person) = crate::me::person(&form.k) else {
        return StatusCode::NOT_FOUND;
    };
    let record = match state.store.workshop(&id).await {
        Ok(Some(record)) => record,
        Ok(None) => return StatusCode::NOT_FOUND,
        Err(e) => {
            tracing::error!(error = %e, "could not read a workshop");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    };
    let key = ParticipantKey(form.w);
    let fits = record
        .state
        .member_by_key(&key)
        .is_some_and(|m| !m.removed && record.capability_of(&query.t) == Some(m.capability));
    if !fits {
        return StatusCode::NOT_FOUND;
    }
    match state
        .store
        .link_person_workshop(&person, &id, &key, crate::relay::now_ms())
        .await
    {
        Ok(true) => StatusCode::NO_CONTENT,
        Ok(false) => StatusCode::NOT_FOUND,
        Err(e) => {
            tracing::error!(error = %e, "could not link a workshop to a history");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
