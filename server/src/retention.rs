//! Keeping sessions no longer than needed: the host deletes a session (a confirmation page and a form the relay
//! serves, no code in the app's bundle), and a daily sweep deletes what has had nothing new for
//! `--retention-days`. Everything of a session goes (the schema cascades); its open pages are told and closed.

use crate::error::AppError;
use crate::relay::Relay;
use crate::workshop_files::html_escape;
use crate::{AppState, ExportQuery};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use std::time::Duration;
use tandem_core::session::{Capability, SessionId};

/// How often the retention sweep runs (and once at start).
pub const SWEEP_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Runs the retention sweep at start and every [`SWEEP_EVERY`] until the relay stops; `days` 0 keeps everything.
pub async fn sweep_daily(relay: Relay, days: u32) {
    if days == 0 {
        return;
    }
    let mut stopping = relay.stopping_signal();
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stopping.wait_for(|stop| *stop) => return,
        }
        match relay.sweep(days).await {
            Ok((0, 0)) => {}
            Ok((sessions, workshops)) => {
                tracing::info!(
                    sessions,
                    workshops,
                    days,
                    "deleted what had nothing new for the retention period"
                )
            }
            Err(e) => tracing::error!(error = %e, "the retention sweep failed; it runs again tomorrow"),
        }
    }
}

/// The form's one field: the host's token (in the body, so that the deletion is a POST a link cannot trigger).
#[derive(serde::Deserialize)]
pub struct DeleteForm {
    t: String,
}

/// The session's title and whether it has ended, if `token` is its host's and it is not part of a workshop (those
/// go with their workshop).
async fn hosts_session(state: &AppState, id: &str, token: &str) -> Result<(String, bool), Response> {
    match state.store.session(id).await {
        Ok(Some(record)) if record.capability_of(token) == Some(Capability::Host) && record.workshop_id.is_none() => {
            let goal = record.spec.goal.trim();
            let title = if goal.is_empty() {
                record.spec.template_name.clone()
            } else {
                goal.to_string()
            };
            Ok((title, record.ended_at.is_some()))
        }
        Ok(_) => Err(AppError::InvalidLink.into_response()),
        Err(e) => {
            tracing::error!(error = %e, "could not read a session");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "Tandem could not read this session right now.",
            )
                .into_response())
        }
    }
}

/// A small page in the app's style.
fn page(title: &str, body: &str) -> Response {
    crate::relay_page(
        title,
        None,
        &format!(
            r#"<main class="page page--narrow"><section class="card" data-testid="delete-page">{body}</section></main>"#
        ),
    )
}

/// `GET /s/{id}/delete?t=HOST_TOKEN`: asks the host to confirm.
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let (title, ended) = match hosts_session(&state, &id, &query.t).await {
        Ok((title, ended)) => (html_escape(&title), ended),
        Err(response) => return crate::relay_error_page(response.status(), None),
    };
    let token = html_escape(&query.t);
    // Back where the host came from: the summary once the session has ended, else the session.
    let back = format!(
        "/s/{}{}?t={token}",
        html_escape(&id),
        if ended { "/summary" } else { "" }
    );
    let keep = if ended {
        "Download the summary first if you want to keep it."
    } else {
        "The session is still running: the people in it are told it was deleted."
    };
    page(
        "Delete this session?",
        &format!(
            r#"<h1>Delete “{title}”?</h1>
<p>Everything of this session goes for good: its notes, commitments, feedback, who took part, and the links. {keep}</p>
<form method="post" class="actions">
<input type="hidden" name="t" value="{token}">
<button type="submit" class="button button--danger" data-testid="delete-confirm">Delete the session</button>
<a class="button button--quiet" href="{back}">Keep it</a>
</form>"#
        ),
    )
}

/// `POST /s/{id}/delete` with the host's token: deletes the session and says so.
pub async fn delete(State(state): State<AppState>, Path(id): Path<String>, Form(form): Form<DeleteForm>) -> Response {
    // Reloading the "deleted" page sends the form again: the session is gone by then, and the answer says so.
    if let Err(response) = hosts_session(&state, &id, &form.t).await {
        return crate::relay_error_page(response.status(), None);
    }
    match state.relay.delete_session(&SessionId(id)).await {
        Ok(_) => page(
            "Session deleted",
            r#"<h1>The session was deleted</h1>
<p>Nothing of it is kept. Its links no longer open anything.</p>
<p><a class="button button--primary" href="/">Start a new session</a></p>"#,
        ),
        Err(e) => {
            tracing::error!(error = %e, "could not delete a session");
            crate::relay_error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Tandem could not delete the session right now; nothing was deleted. Try again in a moment."),
            )
        }
    }
}
