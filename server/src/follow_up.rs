//! `/s/{id}/follow-up?t=TOKEN`: the session page's part of "Your history" (issue 18), framed by the page once it is
//! live (like the workshop's skills picture: no code for it in the page).
//!
//! - Its script sends the browser's personal key (`tandem.person`, drawn there the first time) and its participant
//!   key of this session, in the body: the relay links the two, and this session is in that person's history.
//!   (Not in the hello: the session page's code had no room for it within its size budget; docs/history.md.)
//! - It shows "From your last session together": the commitments of the last ended session this person had with
//!   someone here, with the same tick as `/me` (the commitment's follow-up).
//!
//! Without a key, with a link that is not valid, or where nobody here met before, the part is empty and the frame
//! takes no room.

use crate::me::{person, time_element};
use crate::relay::now_ms;
use crate::store::TickError;
use crate::workshop_files::html_escape;
use crate::{AppState, ExportQuery};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write as _;
use tandem_core::session::{Capability, SessionId};

/// What a form of these parts says when it is sent offline.
pub(crate) const OFFLINE: &str = "You are offline: nothing was changed. Try again when the connection is back.";

/// The frame's form.
#[derive(serde::Deserialize)]
pub(crate) struct FollowUpForm {
    /// The personal key.
    #[serde(default)]
    k: String,
    /// This browser's participant key in the session.
    #[serde(default)]
    p: String,
    /// A commitment of the earlier session to tick.
    #[serde(default)]
    tick: String,
    #[serde(default)]
    done: bool,
}

/// `GET`: the frame's page, whose script sends its forms at once with the keys: the follow-up (asked again while
/// it has nothing to show) and the kudos (asked again while the session runs, to show new ones).
pub(crate) async fn follow_up_page(Path(id): Path<String>, Query(query): Query<ExportQuery>) -> Response {
    let html = person_form(&id, &query.t, "follow-up", r#" data-every="10000""#)
        + &person_form(&id, &query.t, "kudos", r#" data-every="15000" data-keep"#);
    crate::relay_embed("Your history in this session", Some("relay-forms.js"), &html)
}

/// A framed part's form that public/relay-forms.js sends at once with this browser's personal key (`k`) and its
/// participant key of session `id` (`p`), and then with `every` (attributes: how often it asks again).
pub(crate) fn person_form(id: &str, token: &str, part: &str, every: &str) -> String {
    let (id, token) = (html_escape(id), html_escape(token));
    format!(
        r#"<div class="follow-up-part" data-testid="{part}"><form method="post" action="/s/{id}/{part}?t={token}" data-person data-session="{id}" data-swap="{part}"{every} hidden>
<input type="hidden" name="k"><input type="hidden" name="p"></form></div>"#
    )
}

/// `POST`: the part, after a tick if one was asked for.
pub(crate) async fn follow_up(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
    Form(form): Form<FollowUpForm>,
) -> Response {
    let session = SessionId(id.clone());
    let record = match state.store.session(&id).await {
        Ok(Some(record)) => record,
        Ok(None) => return part(StatusCode::NOT_FOUND, ""),
        Err(e) => return failed(e),
    };
    let Some(capability) = record.capability_of(&query.t) else {
        return part(StatusCode::NOT_FOUND, "");
    };
    let Some(me) = person(&form.k) else {
        return part(StatusCode::NOT_FOUND, "");
    };
    // Into this person's history: the participant this browser joined as (once joined; twice is once).
    match state.store.participant_by_key(&session, &form.p).await {
        Ok(Some(participant)) => {
            if let Err(e) = state.store.link_person(&session, participant, &me, now_ms()).await {
                return failed(e);
            }
        }
        Ok(None) => return part(StatusCode::NOT_FOUND, ""),
        Err(e) => return failed(e),
    }
    // Observers have no commitments to tick.
    if capability == Capability::Observer {
        return part(StatusCode::OK, "");
    }
    let found = match state.store.last_together(&me, &session).await {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let Some(together) = found else {
        return part(StatusCode::OK, "");
    };
    let (before, at, mut commitments) = (together.session, together.ended_at, together.commitments);
    let names = match state.store.participants(&before).await {
        Ok(people) => people,
        Err(e) => return failed(e),
    };
    let mut note = String::new();
    if !form.tick.is_empty() {
        match state
            .store
            .tick_commitment(&me, &before, &form.tick, form.done, now_ms())
            .await
        {
            Ok(()) => {
                if let Some(c) = commitments.iter_mut().find(|c| c.id == form.tick) {
                    c.done = form.done;
                    note = if form.done {
                        format!(
                            r#"<p role="status" data-testid="follow-up-ticked">Marked done: “{}”.</p>"#,
                            html_escape(&c.text)
                        )
                    } else {
                        format!(
                            r#"<p role="status" data-testid="follow-up-ticked">Reopened: “{}”.</p>"#,
                            html_escape(&c.text)
                        )
                    };
                }
            }
            Err(TickError::NotYours) => {
                note = r#"<p role="alert" class="error">That commitment could not be ticked: nothing was changed.</p>"#
                    .to_string();
            }
            Err(TickError::Store(e)) => return failed(e),
        }
    }
    if commitments.is_empty() {
        return part(StatusCode::OK, "");
    }
    let open = commitments.iter().filter(|c| !c.done).count();
    let done = commitments.len() - open;
    let count = match (open, done) {
        (0, 1) => "its commitment is done".to_string(),
        (0, n) => format!("all {n} commitments done"),
        (1, 0) => "1 open commitment".to_string(),
        (n, 0) => format!("{n} open commitments"),
        (1, d) => format!("1 open commitment, {d} done"),
        (n, d) => format!("{n} open commitments, {d} done"),
    };
    let today = &tandem_core::session::summary::format_utc(now_ms())[..10];
    let action = format!("/s/{}/follow-up?t={}", html_escape(&id), html_escape(&query.t));
    let (key, p) = (html_escape(&form.k), html_escape(&form.p));
    let mut html = format!(
        r#"<section class="card follow-up" aria-labelledby="follow-up-title"><h2 id="follow-up-title" data-testid="follow-up-title">From your last session together ({}): {count}</h2>{note}<ul class="me-commitments">"#,
        time_element(at)
    );
    for c in &commitments {
        let (label, done) = if c.done { ("Reopen", false) } else { ("Mark done", true) };
        let _ = write!(
            html,
            r#"<li class="me-commitment" data-testid="follow-up-commitment"><div><p class="me-commitment__text{}">{text}</p><p class="hint">{state}{owner}{due}</p></div>
<form method="post" action="{action}" data-swap="follow-up" data-offline="follow-up-status" data-offline-text="{OFFLINE}"><input type="hidden" name="k" value="{key}"><input type="hidden" name="p" value="{p}">
<input type="hidden" name="tick" value="{id}"><input type="hidden" name="done" value="{done}">
<button class="button button--small" type="submit" data-testid="follow-up-tick" aria-label="{label}: {text}">{label}</button></form></li>"#,
            if c.done { " me-commitment__text--done" } else { "" },
            text = html_escape(&c.text),
            state = if c.done { "Done" } else { "Open" },
            owner = match c.owner {
                Some(o) if together.me.contains(&o) => " · yours".to_string(),
                Some(o) => names
                    .iter()
                    .find(|p| p.view.id == o)
                    .map(|p| format!(" · {}", html_escape(&p.view.name)))
                    .unwrap_or_default(),
                None => String::new(),
            },
            due = match c.due.as_deref() {
                Some(d) if !c.done && d < today => {
                    format!(r#" · <strong class="error">overdue since {}</strong>"#, html_escape(d))
                }
                Some(d) => format!(" · due {}", html_escape(d)),
                None => String::new(),
            },
            id = html_escape(&c.id),
        );
    }
    html.push_str(r#"</ul><p class="hint" role="status" id="follow-up-status"></p><p class="hint">Ticked here, a commitment is ticked in your history and the earlier session's summary too.</p></section>"#);
    part(StatusCode::OK, &html)
}

/// The store failed: the part stays empty (the session page goes on without it).
fn failed(e: crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "could not read a follow-up");
    part(StatusCode::SERVICE_UNAVAILABLE, "")
}

fn part(status: StatusCode, html: &str) -> Response {
    let mut response = crate::relay_embed(
        "From your last session together",
        Some("relay-forms.js"),
        &format!(r#"<div class="follow-up-part" data-testid="follow-up">{html}</div>"#),
    );
    *response.status_mut() = status;
    response
}
