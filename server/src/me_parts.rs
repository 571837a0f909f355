//! The parts of `/me` beyond the timeline and the search (issue 18): open commitments ticked from here, the growth
//! chart, the download of the whole history, and "Forget me"; with their forms' handlers.

use crate::me::{empty, page, person, read_failed, time_element, unavailable, KeyForm};
use crate::relay::now_ms;
use crate::store::{PersonSession, TickError};
use crate::workshop_files::html_escape;
use crate::AppState;
use axum::extract::{Form, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use tandem_core::history_export::{
    Export, ExportCommitment, ExportFeedback, ExportKudos, ExportSession, ExportWorkshop,
};
use tandem_core::history_growth::{average_label, growth, growth_svg, Rating};
use tandem_core::session::summary::format_utc;
use tandem_core::session::{Answer, FieldKind, SessionId};

/// Most open commitments listed (the most pressing).
const MAX_OPEN: usize = 50;

/// The form of a tick from `/me`.
#[derive(serde::Deserialize)]
pub(crate) struct TickForm {
    #[serde(default)]
    k: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    commitment: String,
    #[serde(default)]
    done: bool,
}

/// The open commitments of a person's sessions: overdue first, then by due date, then the rest; each ended
/// session's can be ticked here.
pub(crate) fn commitments_part(html: &mut String, sessions: &[PersonSession], key: &str, note: &str) {
    let today = &format_utc(now_ms())[..10];
    let mut open: Vec<(&PersonSession, &tandem_core::notes::Commitment)> = sessions
        .iter()
        // An observer read along: the commitments of what they only watched are the others' to tick.
        .filter(|s| !s.observed)
        .flat_map(|s| s.commitments.iter().filter(|c| !c.done).map(move |c| (s, c)))
        .collect();
    open.sort_by(|(_, a), (_, b)| {
        let rank = |c: &tandem_core::notes::Commitment| match c.due.as_deref() {
            Some(due) if due < today => (0, due.to_string()),
            Some(due) => (1, due.to_string()),
            None => (2, String::new()),
        };
        rank(a).cmp(&rank(b)).then(a.at.cmp(&b.at))
    });
    let _ = write!(
        html,
        r#"<section class="card" aria-labelledby="me-commitments-title" data-testid="me-commitments">
<h2 id="me-commitments-title">Open commitments</h2>{note}"#
    );
    if open.is_empty() {
        html.push_str(r#"<p class="hint" data-testid="me-commitments-none">No open commitments: everything agreed in your sessions is done, or nothing was agreed yet.</p></section>"#);
        return;
    }
    html.push_str(r#"<ul class="me-commitments">"#);
    for (s, c) in open.iter().take(MAX_OPEN) {
        let due = match c.due.as_deref() {
            Some(due) if due < today => format!(
                r#" · <strong class="error">overdue since {}</strong>"#,
                html_escape(due)
            ),
            Some(due) => format!(" · due {}", html_escape(due)),
            None => String::new(),
        };
        let owner = match c.owner {
            Some(o) if s.me.contains(&o) => " · yours".to_string(),
            Some(o) => s
                .names
                .get(&o)
                .map(|n| format!(" · {}", html_escape(n)))
                .unwrap_or_default(),
            None => String::new(),
        };
        let action = match s.ended_at {
            Some(_) => format!(
                r#"<form method="post" action="/me/commitment" data-swap="me-commitments" data-offline="me-commitments-status" data-offline-text="You are offline: nothing was changed. Try again when the connection is back.">
<input type="hidden" name="k" value="{key}"><input type="hidden" name="session" value="{session}">
<input type="hidden" name="commitment" value="{id}"><input type="hidden" name="done" value="true">
<button class="button button--small" type="submit" data-testid="me-tick" aria-label="Mark done: {text}">Mark done</button></form>"#,
                session = html_escape(&s.spec.id.0),
                id = html_escape(&c.id),
                text = html_escape(&c.text),
            ),
            None => r#"<span class="hint">Tick it in the session's notes</span>"#.to_string(),
        };
        let _ = write!(
            html,
            r#"<li class="me-commitment" data-testid="me-commitment"><div><p class="me-commitment__text">{text}</p>
<p class="hint">{format}, {when}{due}{owner}</p></div>{action}</li>"#,
            text = html_escape(&c.text),
            format = html_escape(&s.spec.template_name),
            when = time_element(s.spec.created_at),
        );
    }
    html.push_str("</ul>");
    if open.len() > MAX_OPEN {
        let _ = write!(
            html,
            r#"<p class="hint">And {} more, older.</p>"#,
            open.len() - MAX_OPEN
        );
    }
    html.push_str(r#"<p class="hint" role="status" id="me-commitments-status"></p></section>"#);
}

/// `POST /me/commitment`: ticks one, and answers with the open commitments again (with an undo).
pub(crate) async fn me_tick(State(state): State<AppState>, Form(form): Form<TickForm>) -> Response {
    let Some(me) = person(&form.k) else { return empty() };
    let session = SessionId(form.session.clone());
    match state
        .store
        .tick_commitment(&me, &session, &form.commitment, form.done, now_ms())
        .await
    {
        Ok(()) => {}
        Err(TickError::NotYours) => {
            return page(
                StatusCode::FORBIDDEN,
                r#"<section class="card" data-testid="me-commitments"><p role="alert" class="error" data-testid="me-tick-refused">This commitment is not one of your sessions' (or its session has not ended): nothing was changed.</p></section>"#,
            );
        }
        Err(TickError::Store(e)) => {
            tracing::error!(error = %e, "could not tick a commitment");
            return unavailable();
        }
    }
    let sessions = match state.store.person_sessions(&me, false).await {
        Ok(sessions) => sessions,
        Err(e) => return read_failed(e),
    };
    let text = sessions
        .iter()
        .find(|s| s.spec.id == session)
        .and_then(|s| s.commitments.iter().find(|c| c.id == form.commitment))
        .map(|c| html_escape(&c.text))
        .unwrap_or_default();
    let note = if form.done {
        format!(
            r#"<form method="post" action="/me/commitment" data-swap="me-commitments" class="me-undo">
<p role="status" data-testid="me-ticked">Marked done: “{text}”.</p>
<input type="hidden" name="k" value="{key}"><input type="hidden" name="session" value="{session}">
<input type="hidden" name="commitment" value="{id}"><input type="hidden" name="done" value="false">
<button class="link-button" type="submit" data-testid="me-untick" data-focus>Undo</button></form>"#,
            key = html_escape(&form.k),
            session = html_escape(&form.session),
            id = html_escape(&form.commitment),
        )
    } else {
        format!(r#"<p role="status" data-testid="me-ticked">Reopened: “{text}”.</p>"#)
    };
    let mut html = String::new();
    commitments_part(&mut html, &sessions, &html_escape(&form.k), &note);
    page(StatusCode::OK, &html)
}

/// The ratings this person received, per skill, session by session: the chart and the same figures as a table.
pub(crate) fn growth_part(html: &mut String, sessions: &[PersonSession]) {
    let mut ratings = Vec::new();
    for s in sessions {
        for f in s.feedback.iter().filter(|f| s.me.contains(&f.about)) {
            let Some(form) = s.spec.forms.iter().find(|form| form.id == f.form) else {
                continue;
            };
            for field in form
                .fields
                .iter()
                .filter(|field| matches!(field.kind, FieldKind::Rating))
            {
                if let Some(Answer::Rating(value)) = f.answers.get(&field.id) {
                    ratings.push(Rating {
                        session: s.spec.id.0.clone(),
                        at: s.spec.created_at,
                        skill: field.label.clone(),
                        value: *value,
                    });
                }
            }
        }
    }
    html.push_str(
        r#"<section class="card" aria-labelledby="me-growth-title" data-testid="me-growth"><h2 id="me-growth-title">Feedback you received</h2>"#,
    );
    if ratings.is_empty() {
        html.push_str(r#"<p class="hint" data-testid="me-growth-none">No ratings yet. When a partner rates you in a feedback round, each skill's rating shows here, session by session.</p></section>"#);
        return;
    }
    let g = growth(&ratings);
    let hint = match (g.sessions.len(), g.older) {
        (1, _) => "One session with ratings so far: a trend needs at least two.".to_string(),
        (n, 0) => format!("Your average rating per skill (1 to 5) in each of {n} sessions, oldest first; a larger dot stands for more ratings."),
        (n, older) => format!("The latest {n} sessions with ratings ({older} older ones not shown), oldest first; a larger dot stands for more ratings."),
    };
    let _ = write!(
        html,
        r#"<p class="hint">{hint}</p><div class="me-growth__chart" aria-hidden="true">{}</div>
<div class="me-growth__table" tabindex="0" role="region" aria-label="Ratings per skill and session"><table class="skills-table" data-testid="me-growth-table"><caption>Average rating (and how many ratings) per skill and session</caption>
<thead><tr><th scope="col">Skill</th>"#,
        growth_svg(&g)
    );
    for at in &g.sessions {
        let _ = write!(html, r#"<th scope="col">{}</th>"#, time_element(*at));
    }
    html.push_str("</tr></thead><tbody>");
    for (skill, points) in &g.skills {
        let _ = write!(html, r#"<tr><th scope="row">{}</th>"#, html_escape(skill));
        for p in points {
            match p {
                Some(p) => {
                    let _ = write!(html, "<td>{} ({})</td>", average_label(*p), p.count);
                }
                None => html.push_str(r#"<td><span aria-label="no rating">–</span></td>"#),
            }
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div></section>");
}

/// The kudos this person received, newest first.
pub(crate) fn kudos_part(html: &mut String, sessions: &[PersonSession]) {
    let mut all: Vec<(&PersonSession, &crate::store::Kudos)> = sessions
        .iter()
        .flat_map(|s| s.kudos.iter().map(move |k| (s, k)))
        .collect();
    if all.is_empty() {
        return;
    }
    all.sort_by_key(|(_, k)| std::cmp::Reverse(k.at));
    html.push_str(
        r#"<section class="card" aria-labelledby="me-kudos-title" data-testid="me-kudos"><h2 id="me-kudos-title">Kudos you received</h2><ul class="kudos-list">"#,
    );
    for (s, k) in all {
        let from = s.names.get(&k.from).map(|n| html_escape(n)).unwrap_or_default();
        let _ = write!(
            html,
            r#"<li data-testid="me-kudos-item"><p class="kudos-list__text">“{}”</p><p class="hint">from {from} · in {}, {} · {}</p></li>"#,
            html_escape(&k.text),
            html_escape(&k.phase),
            time_element(k.at),
            html_escape(match s.spec.goal.trim() {
                "" => &s.spec.template_name,
                goal => goal,
            }),
        );
    }
    html.push_str("</ul></section>");
}

/// Download, and "Forget me".
pub(crate) fn account_part(html: &mut String, key: &str) {
    let _ = write!(
        html,
        r#"<section class="card" aria-labelledby="me-download-title"><h2 id="me-download-title">Download your history</h2>
<p class="hint">Everything on this page, with the notes of each session, in one file.</p>
<div class="me-search__row">{}{}</div><p class="hint" role="status" id="me-download-status"></p></section>"#,
        download_form(key, "md", "Download as Markdown"),
        download_form(key, "json", "Download as JSON"),
    );
    forget_part(html, key, "");
}

fn download_form(key: &str, format: &str, label: &str) -> String {
    format!(
        r#"<form method="post" action="/me/export" data-offline="me-download-status" data-offline-text="You are offline: download your history when the connection is back.">
<input type="hidden" name="k" value="{key}"><input type="hidden" name="format" value="{format}">
<button class="button" type="submit" data-testid="me-export-{format}">{label}</button></form>"#
    )
}

/// "Forget me", asked to confirm (`error`: why it was refused; the part then shows open).
fn forget_part(html: &mut String, key: &str, error: &str) {
    let open = if error.is_empty() { "" } else { " open" };
    let _ = write!(
        html,
        r#"<details class="card me-forget" data-testid="me-forget"{open}><summary>Forget me</summary>
<form method="post" action="/me/forget" data-swap="me-forget" data-offline="me-forget-status" data-offline-text="You are offline: nothing was deleted.">
<input type="hidden" name="k" value="{key}">
<p>Tandem then deletes the feedback and kudos you gave (the people who received them no longer see them), the skills you picked in workshops and your private drafts, shows you as “A former participant” in the summaries of the others and in workshops' people lists and records, and forgets which sessions and workshops were yours: this page will be empty, and they do not come back if you open them again. Shared notes stay as they are, since others wrote them too. This cannot be undone.</p>
<fieldset><legend class="sr-only">Confirm</legend><p class="field__error" role="alert" data-testid="me-forget-error">{error}</p>
<label class="choice"><input type="checkbox" name="sure" value="true" data-testid="me-forget-sure"> I understand: forget me</label></fieldset>
<button class="button button--danger" type="submit" data-testid="me-forget-confirm">Forget me</button>
<p class="hint" role="status" id="me-forget-status"></p></form></details>"#
    );
}

/// `POST /me/export` (`format`: `md` or `json`): the whole history as a file to download.
pub(crate) async fn me_export(State(state): State<AppState>, Form(form): Form<KeyForm>) -> Response {
    let Some(me) = person(&form.k) else { return empty() };
    let (sessions, workshops) = match (
        state.store.person_sessions(&me, true).await,
        state.store.person_workshops(&me).await,
    ) {
        (Ok(s), Ok(w)) if s.is_empty() && w.is_empty() => return empty(),
        (Ok(s), Ok(w)) => (s, w),
        (Err(e), _) | (_, Err(e)) => return read_failed(e),
    };
    let mut export = export_of(&sessions, now_ms());
    export.workshops = workshops
        .into_iter()
        .map(|w| ExportWorkshop {
            you: w.role().to_string(),
            id: w.id,
            format: w.format,
            goal: w.goal,
            created_at: w.created_at,
            ended_at: w.ended_at,
            rounds: w.rounds,
            people: w.people,
        })
        .collect();
    let (body, kind, name) = if form.format == "json" {
        match serde_json::to_string_pretty(&export) {
            Ok(json) => (json, "application/json; charset=utf-8", "tandem-history.json"),
            Err(_) => return unavailable(),
        }
    } else {
        (
            export.to_markdown(),
            "text/markdown; charset=utf-8",
            "tandem-history.md",
        )
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::CONTENT_DISPOSITION, format!(r#"attachment; filename="{name}""#)),
        ],
        body,
    )
        .into_response()
}

/// The export of `sessions`, as each was seen by this person.
fn export_of(sessions: &[PersonSession], now: i64) -> Export {
    let name = |s: &PersonSession, id| s.names.get(&id).cloned().unwrap_or_default();
    Export {
        exported_at: now,
        sessions: sessions
            .iter()
            .map(|s| ExportSession {
                id: s.spec.id.0.clone(),
                format: s.spec.template_name.clone(),
                created_at: s.spec.created_at,
                ended_at: s.ended_at,
                goal: s.spec.goal.clone(),
                you: s.my_name(),
                with: s
                    .names
                    .iter()
                    .filter(|(id, _)| !s.me.contains(id))
                    .map(|(_, n)| n.clone())
                    .collect(),
                notes: s
                    .spec
                    .phases
                    .iter()
                    .flat_map(|p| &p.notes)
                    .filter_map(|n| {
                        let text = s.notes.iter().find(|(id, _)| *id == n.id)?;
                        Some((n.title.clone(), text.1.clone()))
                    })
                    .collect(),
                commitments: s
                    .commitments
                    .iter()
                    .map(|c| ExportCommitment {
                        text: c.text.clone(),
                        owner: c.owner.map(|o| name(s, o)),
                        due: c.due.clone(),
                        done: c.done,
                    })
                    .collect(),
                kudos: s
                    .kudos
                    .iter()
                    .map(|k| ExportKudos {
                        from: name(s, k.from),
                        text: k.text.clone(),
                        phase: k.phase.clone(),
                        at: k.at,
                    })
                    .collect(),
                feedback: s
                    .feedback
                    .iter()
                    .map(|f| {
                        let form = s.spec.forms.iter().find(|form| form.id == f.form);
                        let label = |id: &str| {
                            form.and_then(|form| form.fields.iter().find(|field| field.id == id))
                                .map_or(id.to_string(), |field| field.label.clone())
                        };
                        ExportFeedback {
                            from: name(s, f.from),
                            about: name(s, f.about),
                            answers: ordered(form, &f.answers)
                                .into_iter()
                                .map(|(id, a)| {
                                    let value = match a {
                                        Answer::Rating(v) => format!("{v} of 5"),
                                        Answer::Text(t) => t.clone(),
                                    };
                                    (label(id), value)
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect(),
        workshops: Vec::new(),
    }
}

/// The form of "Forget me".
#[derive(serde::Deserialize)]
pub(crate) struct ForgetForm {
    #[serde(default)]
    k: String,
    #[serde(default)]
    sure: bool,
}

/// `POST /me/forget`: with the box ticked, forgets this person; the page then tells the browser to drop its key.
pub(crate) async fn me_forget(State(state): State<AppState>, Form(form): Form<ForgetForm>) -> Response {
    let Some(me) = person(&form.k) else { return empty() };
    if !form.sure {
        // Only this part answers: the rest of the page stays as it is.
        let mut html = String::new();
        forget_part(
            &mut html,
            &html_escape(&form.k),
            "Tick the box to confirm: nothing was deleted.",
        );
        return page(StatusCode::UNPROCESSABLE_ENTITY, &html);
    }
    // The workshops' own states first (their members' names and skills, through each workshop's actor): a
    // failure there leaves the person's links in place, so that asking again finishes the work.
    let workshops = match state.store.person_workshop_keys(&me).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "could not forget a person");
            return unavailable();
        }
    };
    for (workshop, key) in workshops {
        if let Err(e) = state.relay.forget_member(&workshop, key).await {
            tracing::error!(%workshop, error = %e, "could not forget a workshop's member");
            return unavailable();
        }
    }
    match state.store.forget_person(&me).await {
        Ok(done) => {
            tracing::info!(participants = done.participants, "a person was forgotten");
            page(
                StatusCode::OK,
                r#"<div data-testid="me-history"><section class="card" data-testid="me-forgotten" data-forget-key>
<h2 tabindex="-1">You are forgotten</h2>
<p>Your feedback, kudos, workshop skills and drafts are deleted, your name is gone from the others' summaries and from workshops, and this browser no longer keeps your key. Sessions you join from now on start a new history.</p>
<p><a class="button button--primary" href="/">Start a session</a></p></section></div>"#,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "could not forget a person");
            unavailable()
        }
    }
}

/// A feedback's answers in the order its form asks them (any the form no longer has, after).
fn ordered<'a>(
    form: Option<&tandem_core::session::FormSpec>,
    answers: &'a std::collections::BTreeMap<String, Answer>,
) -> Vec<(&'a String, &'a Answer)> {
    let place = |id: &str| {
        form.and_then(|f| f.fields.iter().position(|field| field.id == id))
            .unwrap_or(usize::MAX)
    };
    let mut list: Vec<(&String, &Answer)> = answers.iter().collect();
    list.sort_by_key(|(id, _)| place(id));
    list
}
