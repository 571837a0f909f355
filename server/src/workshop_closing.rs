//! `/w/{id}/closing?t=TOKEN`: the workshop's closing question (issue 17), drawn by the relay like the skills page:
//! "How useful was your pairing?" (1 to 5) and "What will you try next?", answered once by each participant,
//! anonymously (tandem_core::workshop::closing, and the store's `closing` module, which keeps answers apart from who
//! gave them).
//!
//! - `GET` on the participants' link: the form, which public/relay-forms.js shows once it has put the browser's key
//!   (kept by the workshop page) in it, after asking whether this person answered already (`step=check`: 204, or 200
//!   "answered" and the page says so). Open once the first round has opened. After an answer (`answered=true`): thanks.
//! - `GET` on the facilitator's and the observers' links: how many answered; once the facilitator has closed the
//!   question (`step=close`, the facilitator's link only, with a box ticked), the aggregate, if at least three
//!   answered (the same part the record page shows). Never an answer on its own, never who gave which, and never the
//!   figures while answers still come in, where each new answer would show as their change.
//! - `POST` with `step=save`, the key, `rating` and `next`: stored (303 to the thanks), refused at its fields (422,
//!   the answer as sent), a second answer (409: nothing changes), the store unreachable (503, the answer kept in the
//!   form).
//!
//! A key that never joined, was removed, or is not a participant's gets the same 404 as a wrong link.

use crate::store::Answered;
use crate::store::WorkshopRecord;
use crate::workshop_files::{
    html_escape, joined_participant, not_joined, workshop_for_link, workshop_heading, workshop_name,
};
use crate::{AppState, ExportQuery};
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::Write as _;
use tandem_core::session::{Capability, FieldError};
use tandem_core::workshop::{ClosingAnswer, ClosingSummary, MAX_NEXT_CHARS, MIN_ANSWERS};

/// The closing page's address: the link's token, and whether an answer was just stored.
#[derive(serde::Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    t: String,
    #[serde(default)]
    answered: bool,
}

/// The participant's page once the facilitator has closed the question.
const CLOSED: &str = "The closing question has closed: it takes no more answers.";

/// A late answer's refusal.
const CLOSED_LATE: &str = "The closing question has closed: your answer was not recorded.";

/// A second answer's refusal.
const ANSWERED: &str =
    "You have answered already: thank you. Answers are kept without names, so they cannot be changed.";

/// The labels of the five ratings.
const RATINGS: [&str; 5] = [
    "Not useful",
    "A little useful",
    "Useful",
    "Very useful",
    "Extremely useful",
];

/// `GET /w/{id}/closing?t=TOKEN`.
pub(crate) async fn closing_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let (record, capability) = match workshop_for_link(&state, &id, &query.t).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let body = match capability {
        Capability::Participant if query.answered => thanks(&id, &query.t),
        Capability::Participant if record.state.rounds.is_empty() => format!(
            r#"<section class="card" data-testid="closing-not-yet"><p>The closing question opens once the first round has opened: the workshop page offers it at the end.</p>
<p><a class="button" href="/w/{}?t={}">Back to the workshop</a></p></section>"#,
            html_escape(&id),
            html_escape(&query.t)
        ),
        Capability::Participant => match state.store.closing_closed(&id).await {
            Ok(true) => format!(
                r#"<section class="card" data-testid="closing-mine"><p data-testid="closing-closed">{CLOSED}</p>
<p><a class="button" href="/w/{}?t={}">Back to the workshop</a></p></section>"#,
                html_escape(&id),
                html_escape(&query.t)
            ),
            Ok(false) => answer_form(&id, &query.t, "", None, "", &[]),
            Err(e) => {
                tracing::error!(workshop = %id, error = %e, "could not read the closing question");
                return crate::relay_error_page(StatusCode::SERVICE_UNAVAILABLE, None);
            }
        },
        _ => match results_section(&state, &record, &id, &query.t, capability, "").await {
            Ok(html) => html,
            Err(response) => return response,
        },
    };
    page(&record, &id, &query.t, &body, StatusCode::OK)
}

/// `POST /w/{id}/closing?t=TOKEN`: `step=check` (has this key answered?) or `step=save`.
pub(crate) async fn closing_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (record, capability) = match workshop_for_link(&state, &id, &query.t).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if form.get("step").map(String::as_str) == Some("close") {
        return close(&state, &record, &id, &query.t, capability, &form).await;
    }
    let Some((key, member)) = joined_participant(&record, capability, &form) else {
        return not_joined();
    };
    let answered = match state.store.closing_answered(&id, member.id).await {
        Ok(answered) => answered,
        Err(e) => {
            tracing::error!(workshop = %id, error = %e, "could not read the closing answers");
            return crate::relay_error_page(StatusCode::SERVICE_UNAVAILABLE, None);
        }
    };
    let step = form.get("step").map(String::as_str);
    if step == Some("check") {
        return match answered {
            // Not a conflict (which the browser would log as an error): the question, answered.
            true => (StatusCode::OK, "answered").into_response(),
            false => StatusCode::NO_CONTENT.into_response(),
        };
    }
    if step != Some("save") {
        return crate::relay_error_page(StatusCode::UNPROCESSABLE_ENTITY, Some("This form was not understood."));
    }
    let (rating, next) = (
        form.get("rating").map(String::as_str),
        form.get("next").map_or("", String::as_str),
    );
    let late = |message: &str| {
        let body = format!(
            r#"<section class="card" data-testid="closing-mine"><p role="alert" data-testid="closing-late">{message}</p>
<p><a class="button" href="/w/{}?t={}">Back to the workshop</a></p></section>"#,
            html_escape(&id),
            html_escape(&query.t)
        );
        page(&record, &id, &query.t, &body, StatusCode::CONFLICT)
    };
    if answered {
        return late(ANSWERED);
    }
    if record.state.rounds.is_empty() {
        return late(
            "The closing question opens once the first round has opened: the workshop page offers it at the end.",
        );
    }
    let (errors, status) = match ClosingAnswer::parse(rating, next) {
        Err(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        Ok(answer) => match state.store.answer_closing(&id, member.id, &answer).await {
            Ok(Answered::Stored) => {
                let thanks = format!("/w/{id}/closing?t={}&answered=true", query.t);
                return (StatusCode::SEE_OTHER, [(header::LOCATION, thanks)]).into_response();
            }
            // Answered meanwhile (a double submit): the first answer stands.
            Ok(Answered::Already) => return late(ANSWERED),
            Ok(Answered::Closed) => return late(CLOSED_LATE),
            Err(e) => {
                tracing::error!(workshop = %id, error = %e, "could not store a closing answer");
                let message = "Tandem could not save your answer right now; it is still here. Please send it again.";
                (
                    vec![FieldError {
                        field: String::new(),
                        message: message.into(),
                    }],
                    StatusCode::SERVICE_UNAVAILABLE,
                )
            }
        },
    };
    let body = answer_form(&id, &query.t, &key.0, rating, next, &errors);
    page(&record, &id, &query.t, &body, status)
}

/// `step=close` (the facilitator's link only; observers and participants: 404): no more answers, and the answers are
/// shown together. Only with the box ticked that says so (422 otherwise); closing twice changes nothing.
async fn close(
    state: &AppState,
    record: &WorkshopRecord,
    id: &str,
    token: &str,
    capability: Capability,
    form: &HashMap<String, String>,
) -> Response {
    if capability != Capability::Host {
        return crate::relay_error_page(StatusCode::NOT_FOUND, None);
    }
    if !form.contains_key("sure") {
        let why = "Tick the box first: once closed, the question takes no more answers.";
        return match results_section(state, record, id, token, capability, why).await {
            Ok(html) => page(record, id, token, &html, StatusCode::UNPROCESSABLE_ENTITY),
            Err(response) => response,
        };
    }
    match state.store.close_closing(id, crate::relay::now_ms()).await {
        Ok(()) => {
            let back = format!("/w/{id}/closing?t={token}");
            (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response()
        }
        Err(e) => {
            tracing::error!(workshop = %id, error = %e, "could not close the closing question");
            crate::relay_error_page(StatusCode::SERVICE_UNAVAILABLE, None)
        }
    }
}

/// The facilitator's and observers' part of the closing page: the answers as they may see them, and for the
/// facilitator while the question is open the form that closes it, with `error` at its box.
async fn results_section(
    state: &AppState,
    record: &WorkshopRecord,
    id: &str,
    token: &str,
    capability: Capability,
    error: &str,
) -> Result<String, Response> {
    let summary = state.store.closing_summary(id).await.map_err(|e| {
        tracing::error!(workshop = %id, error = %e, "could not read the closing answers");
        crate::relay_error_page(StatusCode::SERVICE_UNAVAILABLE, None)
    })?;
    let mut html = String::from(r#"<section class="card" data-testid="closing-results">"#);
    results_html(&mut html, record, &summary);
    if capability == Capability::Host && matches!(summary, ClosingSummary::Open { .. }) {
        close_form(&mut html, id, token, error);
    }
    html.push_str("</section>");
    Ok(html)
}

/// The facilitator's form that closes the question, with `error` (HTML) at its box.
fn close_form(html: &mut String, id: &str, token: &str, error: &str) {
    let _ = write!(
        html,
        r#"<form method="post" action="/w/{}/closing?t={}" class="skills-form" data-swap="closing-results" data-testid="closing-close-form">
<input type="hidden" name="step" value="close">
<fieldset><legend class="sr-only">Close the question</legend><label class="choice"><input type="checkbox" name="sure" aria-describedby="sure-error" data-testid="closing-sure"> No more answers after this: show the answers now</label>
<p class="field__error" id="sure-error">{error}</p></fieldset>
<button type="submit" class="button" data-testid="closing-close">Close the question and show the answers</button></form>"#,
        html_escape(id),
        html_escape(token)
    );
}

fn thanks(id: &str, token: &str) -> String {
    format!(
        r#"<section class="card" data-testid="closing-thanks"><p class="saved" role="status">Thank you: your answer is in.</p>
<p>It is kept without your name. The facilitator and the observers see the answers together once the facilitator closes the question, and only if at least {MIN_ANSWERS} people answered.</p>
<p><a class="button button--primary" href="/w/{}?t={}" data-testid="closing-back">Back to the workshop</a></p></section>"#,
        html_escape(id),
        html_escape(token)
    )
}

/// The participant's form, with `rating` and `next` as sent and `errors` at their fields. Without a `key` (the page
/// as first sent), hidden until public/relay-forms.js puts this browser's key in it.
fn answer_form(id: &str, token: &str, key: &str, rating: Option<&str>, next: &str, errors: &[FieldError]) -> String {
    let (id, token) = (html_escape(id), html_escape(token));
    let error = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| html_escape(&e.message))
            .unwrap_or_default()
    };
    let (hidden, ask) = match key.is_empty() {
        true => (" hidden", r#" data-ask="check" data-done="closing-done""#),
        false => ("", ""),
    };
    let mut html = format!(
        r#"<section class="card" data-testid="closing-mine"><h2>Before you go</h2>
<p class="field__error" role="alert" id="form-error" data-testid="closing-error">{}</p>
<form method="post" action="/w/{id}/closing?t={token}" class="skills-form" data-workshop="{id}"{ask} data-offline="form-error" data-swap="closing-mine" data-testid="closing-form"{hidden}>
<input type="hidden" name="key" value="{}"><input type="hidden" name="step" value="save">
<fieldset class="rating" aria-describedby="rating-error"><legend class="field__label">How useful was your pairing?</legend>
<div class="rating__scale">"#,
        error(""),
        html_escape(key),
    );
    for (n, label) in (1..=5).zip(RATINGS) {
        let checked = if rating == Some(n.to_string().as_str()) {
            " checked"
        } else {
            ""
        };
        let _ = write!(
            html,
            r#"<label class="rating__option" title="{label}"><input type="radio" name="rating" value="{n}"{checked} aria-label="{n}: {label}" data-testid="closing-rating"><span>{n}</span></label>"#
        );
    }
    let _ = write!(
        html,
        r#"</div><p class="hint">1 is not useful, 5 is extremely useful.</p><p class="field__error" id="rating-error" data-testid="rating-error">{}</p></fieldset>
<label class="field"><span class="field__label">What will you try next? (optional)</span>
<textarea class="input" name="next" rows="3" maxlength="{MAX_NEXT_CHARS}" aria-describedby="next-error" data-testid="closing-next">{}</textarea>
<span class="field__error" id="next-error" data-testid="next-error">{}</span></label>
<p class="hint">Anonymous: the facilitator and the workshop's observers see only all answers together, once the facilitator closes the question and only if at least {MIN_ANSWERS} people answered, never who gave which.</p>
<div class="actions"><button type="submit" class="button button--primary" data-testid="closing-send">Send my answer</button>
<a class="button button--quiet" href="/w/{id}?t={token}" data-testid="closing-cancel">Back without answering</a></div></form>"#,
        error("rating"),
        html_escape(next),
        error("next"),
    );
    if key.is_empty() {
        let _ = write!(
            html,
            r#"<p id="closing-done" data-testid="closing-done" hidden>You have answered already: thank you. <a href="/w/{id}?t={token}">Back to the workshop</a></p>
<p class="hint" data-join-hint data-testid="closing-how">The closing question is for the workshop's participants, in the browser they joined it with.</p>"#
        );
    }
    html.push_str("</section>");
    html
}

/// The answers as the facilitator and the observers may see them (`summary`, from the store); shared with the record
/// page.
pub(crate) fn results_html(body: &mut String, record: &WorkshopRecord, summary: &ClosingSummary) {
    let joined = record.state.participants().count();
    body.push_str(r#"<div data-testid="closing-results-part"><h2>Closing question</h2>"#);
    match summary {
        ClosingSummary::Open { answered } => {
            let _ = write!(
                body,
                r#"<p data-testid="closing-open-count">{answered} of {joined} participants have answered so far. The answers are shown together once the facilitator closes the question (no more answers after that), and only if at least {MIN_ANSWERS} answered: shown as they come in, each new answer could be told apart.</p>"#
            );
        }
        ClosingSummary::TooFew { answered } => {
            let _ = write!(
                body,
                r#"<p data-testid="closing-too-few">{answered} of {joined} participants have answered. The question is closed. Not enough answers to show without revealing who: at least {MIN_ANSWERS} were needed.</p>"#
            );
        }
        ClosingSummary::Shown {
            answered,
            average,
            by_rating,
            next,
        } => {
            let _ = write!(
                body,
                r#"<p data-testid="closing-average">{answered} of {joined} participants answered “How useful was your pairing?”: <strong>{average:.1} of 5</strong> on average.</p>
<table class="skills-table" data-testid="closing-table"><caption>Answers by rating</caption><thead><tr><th scope="col">Rating</th><th scope="col">Answers</th></tr></thead><tbody>"#
            );
            for ((n, label), count) in (1..=5).zip(RATINGS).zip(by_rating) {
                let _ = write!(body, r#"<tr><th scope="row">{n}: {label}</th><td>{count}</td></tr>"#);
            }
            body.push_str(r#"</tbody></table><h3>What people will try next</h3><ul data-testid="closing-next-list">"#);
            if next.is_empty() {
                body.push_str("<li>Nobody wrote what they will try next.</li>");
            }
            for text in next {
                let _ = write!(body, "<li>{}</li>", html_escape(text));
            }
            body.push_str(r#"</ul><p class="hint">In alphabetical order, without names: Tandem does not keep who wrote which.</p>"#);
        }
    }
    if !matches!(summary, ClosingSummary::Open { .. }) {
        // Closed: nothing to say about how to answer.
    } else if record.state.rounds.is_empty() {
        body.push_str(r#"<p class="hint">Participants can answer once the first round has opened.</p>"#);
    } else {
        body.push_str(r#"<p class="hint">Participants answer from the workshop page once it has ended (“Answer the closing question”).</p>"#);
    }
    body.push_str("</div>");
}

fn page(record: &WorkshopRecord, id: &str, token: &str, body: &str, status: StatusCode) -> Response {
    let title = workshop_name(&record.spec.format.template_name, &record.spec.format.goal);
    let main = format!(
        r#"<main class="page page--narrow"><p class="eyebrow">Closing question · {}</p><h1>{}</h1>
<p><a href="/w/{}?t={}" data-testid="closing-workshop">← Back to the workshop</a></p>{body}{}</main>"#,
        html_escape(&record.spec.format.template_name),
        workshop_heading(&record.spec.format.goal),
        html_escape(id),
        html_escape(token),
        crate::workshop_files::person_link_form(id, token)
    );
    let mut response = crate::relay_page(&format!("Closing question: {title}"), Some("relay-forms.js"), &main);
    *response.status_mut() = status;
    response
}
