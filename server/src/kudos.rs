//! `/s/{id}/kudos?t=TOKEN`: kudos (issue 18), a part of the session page's framed history part
//! (server/src/follow_up.rs) and of the summary's. Anyone in a running session (not an observer link) gives a short
//! thanks to someone else in it, for something they did, tied to the phase it was given in and the time; at most five
//! each. Each person reads the kudos they received, and may share one with the host, who then reads it too.
//!
//! The frame's script sends this browser's participant key of the session in the body (`p`); `step` is empty
//! (show), `give` (`to`, `text`) or `share` (`id`, `shared`). Refusals name what to change and keep the text (422).

use crate::follow_up::OFFLINE;
use crate::me::time_element;
use crate::relay::now_ms;
use crate::store::{Kudos, ParticipantRecord, SessionRecord, MAX_KUDOS, MAX_KUDOS_CHARS};
use crate::workshop_files::html_escape;
use crate::{AppState, ExportQuery};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write as _;
use tandem_core::session::{Capability, ParticipantId, RoomId, SessionId};

/// The part's form.
#[derive(serde::Deserialize, Default)]
pub(crate) struct KudosForm {
    /// This browser's participant key in the session.
    #[serde(default)]
    p: String,
    /// The personal key: who the reader is where this browser has no participant key of the session (a summary
    /// opened from `/me` on another device).
    #[serde(default)]
    k: String,
    #[serde(default)]
    step: String,
    /// The receiver's participant id.
    #[serde(default)]
    to: String,
    #[serde(default)]
    text: String,
    /// The kudos to share, and whether.
    #[serde(default)]
    id: String,
    #[serde(default)]
    shared: bool,
}

/// What the part says after a request.
#[derive(Default)]
struct Said {
    error: String,
    status: String,
    /// The text and receiver to show again after a refusal.
    kept: Option<(String, String)>,
}

/// The keys the part was asked with, sent again by its forms.
struct Keys<'a> {
    p: &'a str,
    k: &'a str,
}

/// `GET`: the summary's frame of this part (the session page frames it with the follow-up: follow_up.rs), whose
/// script sends its form at once with this browser's keys.
pub(crate) async fn kudos_page(Path(id): Path<String>, Query(query): Query<ExportQuery>) -> Response {
    let html = crate::follow_up::person_form(&id, &query.t, "kudos", "");
    crate::relay_embed("Kudos", Some("relay-forms.js"), &html)
}

/// `POST`.
pub(crate) async fn kudos(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
    Form(form): Form<KudosForm>,
) -> Response {
    let session = SessionId(id);
    let record = match state.store.session(&session.0).await {
        Ok(Some(record)) => record,
        Ok(None) => return part(StatusCode::NOT_FOUND, ""),
        Err(e) => return failed(e),
    };
    if record.capability_of(&query.t).is_none() {
        return part(StatusCode::NOT_FOUND, "");
    }
    let by_key = match state.store.participant_by_key(&session, &form.p).await {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let me = match (by_key, crate::me::person(&form.k)) {
        (Some(me), _) => me,
        (None, Some(person)) => match state.store.person_participant(&session, &person).await {
            Ok(Some(me)) => me,
            Ok(None) => return part(StatusCode::NOT_FOUND, ""),
            Err(e) => return failed(e),
        },
        (None, None) => return part(StatusCode::NOT_FOUND, ""),
    };
    let people = match state.store.participants(&session).await {
        Ok(people) => people,
        Err(e) => return failed(e),
    };
    let mut said = Said::default();
    let mut status = StatusCode::OK;
    match form.step.as_str() {
        "give" => match give(&state, &record, me, &people, &form).await {
            Ok(name) => said.status = format!("Kudos sent to {}.", html_escape(&name)),
            Err(Refusal::Said(error)) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                said.error = error.to_string();
                said.kept = Some((form.text.clone(), form.to.clone()));
            }
            Err(Refusal::Store(e)) => return failed(e),
        },
        "share" => {
            let id = form.id.parse().unwrap_or(-1);
            match state.store.share_kudos(&session, id, me, form.shared).await {
                Ok(true) if form.shared => said.status = "Shared with the host.".to_string(),
                Ok(true) => said.status = "No longer shared with the host.".to_string(),
                Ok(false) => {
                    status = StatusCode::UNPROCESSABLE_ENTITY;
                    said.error = "That kudos is not one of yours to share: nothing was changed.".to_string();
                }
                Err(e) => return failed(e),
            }
        }
        _ => {}
    }
    let all = match state.store.kudos(&session).await {
        Ok(all) => all,
        Err(e) => return failed(e),
    };
    let keys = Keys { p: &form.p, k: &form.k };
    part(status, &render(&query.t, &record, me, &people, &all, &keys, &said))
}

enum Refusal {
    Said(String),
    Store(crate::store::StoreError),
}

/// Checks and stores a kudos; the receiver's name.
async fn give(
    state: &AppState,
    record: &SessionRecord,
    me: ParticipantId,
    people: &[ParticipantRecord],
    form: &KudosForm,
) -> Result<String, Refusal> {
    let said = |s: &str| Err(Refusal::Said(s.to_string()));
    if record.ended_at.is_some() {
        return said("This session has ended: kudos are given while it runs.");
    }
    let giver = people.iter().find(|p| p.view.id == me);
    if giver.is_none_or(|p| p.view.capability == Capability::Observer) {
        return said("An observer link gives no kudos.");
    }
    let to = form.to.parse::<u32>().ok().map(ParticipantId);
    if to == Some(me) {
        return said("Kudos go to someone else: pick another person.");
    }
    let Some(receiver) = people
        .iter()
        .find(|p| Some(p.view.id) == to && p.view.capability != Capability::Observer)
    else {
        return said("Pick someone in this session.");
    };
    let text = form.text.trim();
    let chars = text.chars().count();
    if chars == 0 {
        return said("Write what they did.");
    }
    if chars > MAX_KUDOS_CHARS {
        return Err(Refusal::Said(format!(
            "At most {MAX_KUDOS_CHARS} characters: this one has {chars}."
        )));
    }
    // The phase the session is in now, by its title.
    let rooms = state.store.rooms(&record.spec.id).await.map_err(Refusal::Store)?;
    let phase = rooms
        .iter()
        .find(|(room, _)| *room == RoomId::MAIN)
        .and_then(|(_, r)| record.spec.phases.get(r.phase))
        .map(|p| p.title.clone())
        .unwrap_or_default();
    match state
        .store
        .give_kudos(&record.spec.id, me, receiver.view.id, text, &phase, now_ms())
        .await
    {
        Ok(true) => Ok(receiver.view.name.clone()),
        Ok(false) => Err(Refusal::Said(format!(
            "You have given {MAX_KUDOS} kudos in this session: the most one person gives."
        ))),
        Err(e) => Err(Refusal::Store(e)),
    }
}

/// The part: the kudos this person received (each shareable with the host), those shared with the host (for the
/// host), and the form to give one while the session runs. Empty where there is nothing to show.
fn render(
    token: &str,
    record: &SessionRecord,
    me: ParticipantId,
    people: &[ParticipantRecord],
    all: &[Kudos],
    keys: &Keys,
    said: &Said,
) -> String {
    let name = |id: ParticipantId| {
        people
            .iter()
            .find(|p| p.view.id == id)
            .map_or_else(|| "Someone".to_string(), |p| html_escape(&p.view.name))
    };
    let mine = people.iter().find(|x| x.view.id == me);
    let host = mine.is_some_and(|x| x.view.capability == Capability::Host);
    let action = format!("/s/{}/kudos?t={}", html_escape(&record.spec.id.0), html_escape(token));
    let p = format!(
        r#"<input type="hidden" name="p" value="{}"><input type="hidden" name="k" value="{}">"#,
        html_escape(keys.p),
        html_escape(keys.k)
    );
    let mut body = String::new();
    let received: Vec<&Kudos> = all.iter().filter(|k| k.to == me).collect();
    if !received.is_empty() {
        body.push_str(r#"<h3>Kudos you received</h3><ul class="kudos-list">"#);
        for k in &received {
            let share = if host {
                String::new()
            } else {
                let (label, next) = if k.shared {
                    ("Stop sharing with the host", false)
                } else {
                    ("Share with the host", true)
                };
                format!(
                    r#"<form method="post" action="{action}" data-swap="kudos" data-offline="kudos-share-status" data-offline-text="{OFFLINE}">{p}
<input type="hidden" name="step" value="share"><input type="hidden" name="id" value="{}"><input type="hidden" name="shared" value="{next}">
<button class="link-button" type="submit" data-testid="kudos-share">{label}</button>{}</form>"#,
                    k.id,
                    if k.shared {
                        r#" <span class="hint">(shared)</span>"#
                    } else {
                        ""
                    }
                )
            };
            let _ = write!(
                body,
                r#"<li data-testid="kudos-received"><p class="kudos-list__text">“{}”</p><p class="hint">from {} · in {}, {}</p>{share}</li>"#,
                html_escape(&k.text),
                name(k.from),
                html_escape(&k.phase),
                time_element(k.at)
            );
        }
        body.push_str(r#"</ul><p class="hint" role="status" id="kudos-share-status"></p>"#);
    }
    if host {
        let shared: Vec<&Kudos> = all.iter().filter(|k| k.shared && k.to != me).collect();
        if !shared.is_empty() {
            body.push_str(r#"<h3>Shared with you</h3><ul class="kudos-list">"#);
            for k in shared {
                let _ = write!(
                    body,
                    r#"<li data-testid="kudos-shared"><p class="kudos-list__text">“{}”</p><p class="hint">{} to {} · in {}</p></li>"#,
                    html_escape(&k.text),
                    if k.from == me { "You".to_string() } else { name(k.from) },
                    name(k.to),
                    html_escape(&k.phase)
                );
            }
            body.push_str("</ul>");
        }
    }
    let others: Vec<&ParticipantRecord> = people
        .iter()
        .filter(|x| x.view.id != me && x.view.capability != Capability::Observer)
        .collect();
    let may_give = record.ended_at.is_none()
        && mine.is_some_and(|x| x.view.capability != Capability::Observer)
        && !others.is_empty();
    if may_give {
        let given = all.iter().filter(|k| k.from == me).count();
        let (kept_text, kept_to) = said.kept.clone().unwrap_or_default();
        let mut options = String::new();
        for o in &others {
            let selected = if kept_to == o.view.id.0.to_string() {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                options,
                r#"<option value="{}"{selected}>{}</option>"#,
                o.view.id.0,
                html_escape(&o.view.name)
            );
        }
        let open = if said.error.is_empty() && said.status.is_empty() {
            ""
        } else {
            " open"
        };
        // No `maxlength` on the text: a longer paste is refused with its length and kept to be shortened, rather
        // than cut without a word.
        let _ = write!(
            body,
            r#"<details class="kudos-give"{open}><summary data-testid="kudos-give">Give kudos</summary>
<form method="post" action="{action}" data-swap="kudos" data-offline="kudos-status">{p}<input type="hidden" name="step" value="give">
<label for="kudos-to">To</label> <select id="kudos-to" name="to" data-testid="kudos-to">{options}</select>
<fieldset class="kudos-field"><legend class="sr-only">Kudos</legend><label for="kudos-text">For what they did <span class="optional">(up to {MAX_KUDOS_CHARS} characters)</span></label>
<textarea id="kudos-text" name="text" rows="2" data-testid="kudos-text">{}</textarea>
<p class="field__error" role="alert" data-testid="kudos-error">{}</p></fieldset>
<div class="me-search__row"><button class="button button--primary" type="submit" data-testid="kudos-send">Give kudos</button>
<span class="hint">{given} of {MAX_KUDOS} given</span></div>
<p role="status" id="kudos-status" data-testid="kudos-status">{}</p></form></details>"#,
            html_escape(&kept_text),
            said.error,
            said.status,
        );
    } else if !said.error.is_empty() || !said.status.is_empty() {
        let _ = write!(
            body,
            r#"<p role="status" data-testid="kudos-status">{}{}</p>"#,
            said.error, said.status
        );
    }
    if body.is_empty() {
        return String::new();
    }
    format!(
        r#"<section class="card kudos-card" aria-labelledby="kudos-title"><h2 id="kudos-title">Kudos</h2>{body}</section>"#
    )
}

fn failed(e: crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "could not read or write kudos");
    part(
        StatusCode::SERVICE_UNAVAILABLE,
        r#"<p role="alert" class="error">Tandem cannot reach its storage right now: try again in a moment.</p>"#,
    )
}

fn part(status: StatusCode, html: &str) -> Response {
    let mut response = crate::relay_embed(
        "Kudos",
        Some("relay-forms.js"),
        &format!(r#"<div class="follow-up-part" data-testid="kudos">{html}</div>"#),
    );
    *response.status_mut() = status;
    response
}

/// The summary's Markdown part for kudos: those its viewer received, and for the host those shared with them
/// (nothing when there are none, or the store cannot be read: the rest of the summary still downloads).
pub(crate) async fn summary_markdown(state: &AppState, summary: &tandem_core::session::Summary) -> String {
    use tandem_core::markdown::text;
    let Ok(all) = state.store.kudos(&summary.session.id).await else {
        return String::new();
    };
    let host = summary.capability == Capability::Host;
    let name = |id: ParticipantId| {
        summary
            .participants
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| "Someone".to_string(), |p| p.name.clone())
    };
    let mut md = String::new();
    for k in all
        .iter()
        .filter(|k| Some(k.to) == summary.viewer || (host && k.shared))
    {
        let _ = writeln!(
            md,
            "- “{}” (from {} to {}, in {}, {})",
            text(&k.text),
            text(&name(k.from)),
            text(&name(k.to)),
            text(&k.phase),
            tandem_core::session::summary::format_utc(k.at)
        );
    }
    if md.is_empty() {
        return md;
    }
    format!("\n## Kudos\n\n{md}")
}
