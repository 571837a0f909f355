//! Files the facilitator's page shows or downloads, drawn by the relay from the stored workshop (no code for them in
//! the page): the record as Markdown, the join screen's QR code, the chart of planned against actual time.

use crate::error::AppError;
use crate::store::WorkshopRecord;
use crate::{AppState, ExportQuery};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tandem_core::session::{total_minutes, Capability, SessionId};
use tandem_core::workshop::{record_markdown, times_chart_svg, BreakoutTime};

/// The workshop `id` if `token` is its facilitator's or observers' link; otherwise the answer to give (404 for any
/// other link or an unknown workshop, 503 when the store fails).
async fn facilitators_record(state: &AppState, id: &str, token: &str) -> Result<WorkshopRecord, Response> {
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
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "Tandem could not read this workshop right now.",
            )
                .into_response())
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
    let file = format!("tandem-workshop-{}.md", record.spec.format.template_id);
    (
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        record_markdown(&record.spec, &record.state),
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
    let link = match state.backend.0.open_workshop(workshop, query.t).await {
        Ok(link) => link.share.map(|s| s.participant_link),
        Err(app::api::BackendError::Unavailable) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Tandem could not read this workshop right now.",
            )
                .into_response()
        }
        Err(_) => None,
    };
    let Some(link) = link else {
        return AppError::InvalidLink.into_response();
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
