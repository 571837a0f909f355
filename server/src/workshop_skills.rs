//! `/w/{id}/skills?t=TOKEN`: a workshop's skills page (issue 17), drawn by the relay like the record page: plain HTML
//! forms, no page code of its own, so that it weighs nothing on the workshop page's size budget
//! (docs/workshops.md, "Skills").
//!
//! - `GET`, any of the workshop's links: the group's knowledge-gap picture (the chart, the same figures as a table,
//!   the skills nobody offers, the Markdown to copy), kept current by public/relay-forms.js. Counts only, never who
//!   picked what; on the facilitator's link also how the next round is proposed (by skill, rotation or at random:
//!   `step=pairing`) and the next round's proposal with why each group was proposed. On the participants' link,
//!   "Pick your skills": a form the script fills with the browser's key, which the workshop page keeps in
//!   localStorage. After a save (`saved=1`) it says so, with the way back to the lobby.
//! - `POST` with `step=open` and the browser's `key` (in the body, never in the address, so that it reaches no log
//!   or referrer): the participant's form, filled with their answers.
//! - `POST` with `step=visit` and the key (sent by the script as the page shows): the participant, whose workshop
//!   page closed to come here, counts as in the lobby meanwhile (`Relay::visiting`); 204.
//! - `POST` with `step=save`: the answers go through the workshop's actor (checked, stored, the pages told); saved,
//!   the browser goes to this page again, which says so (303); refused, the form comes back with each message at its field and the
//!   choices as sent (422); nothing is partly kept.
//!
//! Only a participant who joined in that browser (their key, on the participants' link) gets a form; any other key
//! or link is the same 404 as a wrong link.

use crate::relay::RelayError;
use crate::store::WorkshopRecord;
use crate::workshop_files::{
    html_escape, joined_participant, not_joined, workshop_for_link, workshop_heading, workshop_name,
};
use crate::AppState;
use crate::ExportQuery;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::Write as _;
use tandem_core::session::{Capability, FieldError, ParticipantKey};
use tandem_core::workshop::{
    picture_markdown, skills_chart_size, Level, Offer, Pairing, SkillAnswers, SkillGap, Stage, MAX_PICKS,
};

/// The levels a participant picks from for a skill they can help with: form value, label, level.
const LEVELS: [(&str, &str, Option<Level>); 4] = [
    ("any", "Can help (level not given)", None),
    ("some", "Some experience", Some(Level::Some)),
    ("solid", "Solid", Some(Level::Solid)),
    ("expert", "Expert", Some(Level::Expert)),
];

/// The workshop `id` if it lists skills, and what `token` allows in it; a wrong link and a workshop without skills
/// get the same 404 page.
async fn workshop(state: &AppState, id: &str, token: &str) -> Result<(WorkshopRecord, Capability), Response> {
    match workshop_for_link(state, id, token).await? {
        (record, _) if record.spec.skills.is_empty() => Err(not_found()),
        found => Ok(found),
    }
}

fn not_found() -> Response {
    crate::relay_error_page(StatusCode::NOT_FOUND, None)
}

/// The skills page's address: the link's token, and what was just done there.
#[derive(serde::Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    t: String,
    /// A participant's skills were saved.
    #[serde(default)]
    saved: bool,
    /// … with nothing picked.
    #[serde(default)]
    empty: bool,
    /// The facilitator chose how rounds are proposed.
    #[serde(default)]
    chosen: bool,
    /// Only the picture (and, for the facilitator, the proposal's reasons), for the workshop page's frame.
    #[serde(default)]
    embed: bool,
}

/// `GET /w/{id}/skills?t=TOKEN`: the picture, for any of the workshop's links.
pub(crate) async fn skills_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let (record, capability) = match workshop(&state, &id, &query.t).await {
        Ok(found) => found,
        // In the workshop page's frame, a sentence the frame may show (an error page may not be framed).
        Err(response) if query.embed => {
            let status = response.status();
            let mut part = crate::relay_embed(
                "Skills",
                None,
                r#"<p class="embed__main" data-testid="skills-frame-error">The skills picture cannot be shown right now.</p>"#,
            );
            *part.status_mut() = status;
            return part;
        }
        Err(response) => return response,
    };
    let reasons = match capability {
        Capability::Host => proposal_html(&state, &id).await,
        _ => String::new(),
    };
    if query.embed {
        // The workshop page's frame: the picture and the reasons, kept current by public/relay-forms.js.
        let main = format!(
            r#"<div class="embed__main"><div data-live="reasons"{}>{reasons}</div>{}{}</div>"#,
            if capability == Capability::Host {
                r#" data-every="2000""#
            } else {
                ""
            },
            picture_section(&record, &id, &query.t, false),
            crate::workshop_files::person_link_form(&id, &query.t)
        );
        let title = workshop_name(&record.spec.format.template_name, &record.spec.format.goal);
        return crate::relay_embed(&format!("Skills: {title}"), Some("relay-forms.js"), &main);
    }
    let mut body = String::new();
    // The facilitator's link: how the next round is proposed, the proposal if there is one, and why each group was
    // proposed.
    if capability == Capability::Host && record.state.stage != Stage::Ended {
        pairing_html(&mut body, &record, &id, &query.t, query.chosen);
    }
    body.push_str(&reasons);
    if capability == Capability::Participant {
        // public/relay-forms.js puts this browser's key (kept by the workshop page) into the form and shows it; a
        // browser that has not joined sees the hint instead.
        let saved = match query.saved {
            true => format!(
                r#"<p class="saved" role="status" data-testid="skills-saved">{}</p>
<p><a class="button button--primary" href="/w/{}?t={}" data-testid="skills-lobby">Back to the lobby</a></p>"#,
                match query.empty {
                    false => "Your skills are saved: the facilitator's next proposal uses them.",
                    true => "Saved, with nothing picked: the picture counts you once you pick a skill.",
                },
                html_escape(&id),
                html_escape(&query.t)
            ),
            false => String::new(),
        };
        let (what, button) = match record.state.rounds.is_empty() && record.state.stage != Stage::Ended {
            true if query.saved => ("You can change them until the first round opens.", "Change your skills"),
            true => (
                "Mark what you can help with and what you want to learn: Tandem pairs people by it.",
                "Pick your skills",
            ),
            false => (
                "The first round has opened: skills can no longer be changed.",
                "See your skills",
            ),
        };
        // From the lobby, the form opens at once; after a save, the page says so first.
        let open = if query.saved { "" } else { " data-open" };
        let how = match record.state.stage {
            Stage::Ended => "This workshop has ended.",
            _ => "Join the workshop in this browser first (“Back to the workshop”), then come back here to pick your skills.",
        };
        let _ = write!(
            body,
            r#"<section class="card" data-testid="skills-mine"><h2>Your skills</h2>{saved}
<form method="post" action="/w/{}/skills?t={}" id="skills-open" data-workshop="{}" data-ask="visit" data-swap="skills-mine"{open} hidden>
<input type="hidden" name="key" value=""><input type="hidden" name="step" value="open">
<p>{what}</p>
<button type="submit" class="button" data-testid="skills-pick">{button}</button></form>
<p class="hint" data-join-hint data-testid="skills-how">{how}</p></section>"#,
            html_escape(&id),
            html_escape(&query.t),
            html_escape(&id),
        );
    }
    page(&record, &id, &query.t, &body, StatusCode::OK)
}

/// `POST /w/{id}/skills?t=TOKEN`: a participant's form (`step=open`) or their save (`step=save`).
pub(crate) async fn skills_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (record, capability) = match workshop(&state, &id, &query.t).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if form.get("step").map(String::as_str) == Some("pairing") {
        return choose_pairing(&state, &id, &query.t, capability, &form).await;
    }
    let Some((key, member)) = joined_participant(&record, capability, &form) else {
        return not_joined();
    };
    // Their workshop page closed to come here: they still count as in the lobby (public/relay-forms.js says so as
    // soon as the page shows, `step=visit`).
    state.relay.visiting(&id, key.clone()).await;
    if form.get("step").map(String::as_str) == Some("visit") {
        return StatusCode::NO_CONTENT.into_response();
    }
    let ended = record.state.stage == Stage::Ended;
    let open = record.state.rounds.is_empty() && !ended;
    let saving = form.get("step").map(String::as_str) == Some("save");
    if !saving || !open {
        // A save that comes too late is answered as a conflict, with the answers as they stay.
        let (late, status) = match (saving, ended) {
            (false, _) => (Vec::new(), StatusCode::OK),
            (true, true) => (
                vec![field_error(
                    "",
                    "This workshop has ended: skills can no longer be changed.",
                )],
                StatusCode::CONFLICT,
            ),
            (true, false) => (
                vec![field_error(
                    "",
                    "The first round has opened: skills can no longer be changed.",
                )],
                StatusCode::CONFLICT,
            ),
        };
        let form = answers_html(&record, &id, &query.t, &key, &member.name, &member.skills, &late, open);
        return page(&record, &id, &query.t, &form, status);
    }
    let answers = read_answers(&record.spec.skills, &form);
    let refused = match state.relay.set_skills(&id, key.clone(), answers.clone()).await {
        Ok(Ok(())) => {
            let empty = if answers.offers.is_empty() && answers.wants.is_empty() {
                "&empty=true"
            } else {
                ""
            };
            let saved = format!("/w/{id}/skills?t={}&saved=true{empty}", query.t);
            return (StatusCode::SEE_OTHER, [(header::LOCATION, saved)]).into_response();
        }
        Ok(Err(refused)) => (refused, StatusCode::UNPROCESSABLE_ENTITY),
        // Deleted meanwhile.
        Err(RelayError::NotFound) => return not_found(),
        Err(e) => {
            tracing::error!(workshop = %id, error = %e, "could not save skills");
            let message = "Tandem could not save your skills right now; nothing was changed. Please try again.";
            (vec![field_error("", message)], StatusCode::SERVICE_UNAVAILABLE)
        }
    };
    let form = answers_html(&record, &id, &query.t, &key, &member.name, &answers, &refused.0, open);
    page(&record, &id, &query.t, &form, refused.1)
}

/// The ways to propose a round, as the facilitator's form sends and labels them.
const PAIRINGS: [(&str, &str, Pairing); 3] = [
    (
        "skills",
        "By skill: someone who can help with someone who wants to learn",
        Pairing::Skills,
    ),
    ("rotation", "By rotation: a new partner each round", Pairing::Rotation),
    ("random", "At random, drawn anew each round", Pairing::Random),
];

/// The facilitator's choice of how the next rounds are proposed (`step=pairing`; the facilitator's link only).
async fn choose_pairing(
    state: &AppState,
    id: &str,
    token: &str,
    capability: Capability,
    form: &HashMap<String, String>,
) -> Response {
    if capability != Capability::Host {
        return not_found();
    }
    let chosen = form
        .get("how")
        .and_then(|how| PAIRINGS.iter().find(|(value, _, _)| value == how));
    let Some((_, _, how)) = chosen else {
        return crate::relay_error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Pick one of the ways to pair people."),
        );
    };
    match state.relay.set_pairing(id, *how).await {
        Ok(Ok(())) => {
            let back = format!("/w/{id}/skills?t={token}&chosen=true#pairing");
            (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response()
        }
        Ok(Err(refused)) => crate::relay_error_page(StatusCode::UNPROCESSABLE_ENTITY, Some(&html_escape(&refused))),
        Err(e) => {
            tracing::error!(workshop = %id, error = %e, "could not save the pairing");
            crate::relay_error_page(StatusCode::SERVICE_UNAVAILABLE, None)
        }
    }
}

/// The facilitator's form: how the next rounds are proposed, the current way checked.
fn pairing_html(body: &mut String, record: &WorkshopRecord, id: &str, token: &str, chosen: bool) {
    let now = record.state.pairing(&record.spec);
    let saved = match chosen {
        true => {
            r#"<p class="saved" role="status" data-testid="pairing-saved">Saved: the next “Propose groups” uses it.</p>"#
        }
        false => "",
    };
    let _ = write!(
        body,
        r#"<section class="card" id="pairing" data-testid="skills-pairing"><h2>How Tandem proposes the next round</h2>{saved}
<form method="post" action="/w/{}/skills?t={}" class="skills-form"><input type="hidden" name="step" value="pairing">
<fieldset><legend>Pair people</legend>"#,
        html_escape(id),
        html_escape(token)
    );
    for (value, label, how) in PAIRINGS {
        let checked = if how == now { " checked" } else { "" };
        let _ = write!(
            body,
            r#"<label class="choice"><input type="radio" name="how" value="{value}"{checked} data-testid="pairing-{value}"> {label}</label>"#
        );
    }
    body.push_str(
        r#"</fieldset><button type="submit" class="button" data-testid="pairing-save">Use this</button></form>
<p class="hint">Then propose groups on the workshop page (again, if you already did). You can still move people.</p></section>"#,
    );
}

/// "SQL (Expert)", or "SQL" without a level.
fn offer_label(offer: &Offer) -> String {
    match LEVELS
        .iter()
        .find(|(_, _, level)| offer.level.is_some() && *level == offer.level)
    {
        Some((_, label, _)) => format!("{} ({label})", offer.skill),
        None => offer.skill.clone(),
    }
}

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// The answers as the form sends them: `level{i}` for the i-th skill one can help with (absent or `no`: not
/// offered), `want{i}` for one to learn. Unknown values count as not picked.
fn read_answers(skills: &[String], form: &HashMap<String, String>) -> SkillAnswers {
    let mut answers = SkillAnswers::default();
    for (i, skill) in skills.iter().enumerate() {
        let level = form.get(&format!("level{i}")).map(String::as_str);
        if let Some((_, _, level)) = LEVELS.iter().find(|(value, _, _)| Some(*value) == level) {
            answers.offers.push(Offer {
                skill: skill.clone(),
                level: *level,
            });
        }
        if form.contains_key(&format!("want{i}")) {
            answers.wants.push(skill.clone());
        }
    }
    answers
}

/// The participant's form, filled with `answers`, with `errors` at their fields; read-only once rounds have begun.
#[allow(clippy::too_many_arguments)]
fn answers_html(
    record: &WorkshopRecord,
    id: &str,
    token: &str,
    key: &ParticipantKey,
    name: &str,
    answers: &SkillAnswers,
    errors: &[FieldError],
    open: bool,
) -> String {
    let (id, token) = (html_escape(id), html_escape(token));
    let error = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| html_escape(&e.message))
            .unwrap_or_default()
    };
    let mut html = format!(
        r#"<section class="card" data-testid="skills-mine"><h2>Your skills, {}</h2>"#,
        html_escape(name)
    );
    if !open {
        let list = |names: Vec<String>| match names.is_empty() {
            true => "nothing picked".to_string(),
            false => html_escape(&names.join(", ")),
        };
        let _ = write!(
            html,
            r#"<p class="field__error" role="alert" data-testid="skills-error">{}</p><p>You can help with: {}.</p><p>You want to learn: {}.</p>
<p class="hint">{}</p><a class="button" href="/w/{id}?t={token}">Back to the workshop</a></section>"#,
            error(""),
            list(answers.offers.iter().map(offer_label).collect()),
            list(answers.wants.iter().map(String::clone).collect()),
            match record.state.stage {
                Stage::Ended => "The workshop has ended: skills can no longer be changed.",
                _ => "The first round has opened: skills can no longer be changed.",
            },
        );
        return html;
    }
    let _ = write!(
        html,
        r#"<p>Tandem pairs people so that someone who can help meets someone who wants to learn. Other participants see only how many picked each skill; the facilitator sees who can help whom in the groups Tandem proposes.</p>
<p class="field__error" role="alert" id="form-error" data-testid="skills-error">{}</p>
<form method="post" action="/w/{id}/skills?t={token}" class="skills-form" data-offline="form-error" data-swap="skills-mine" data-testid="skills-form">
<input type="hidden" name="key" value="{}"><input type="hidden" name="step" value="save">
<fieldset aria-describedby="offers-hint offers-error"><legend>I can help with</legend>
<p class="hint" id="offers-hint">Up to {MAX_PICKS} skills, each with your level.</p>
<p class="field__error" id="offers-error" data-testid="offers-error">{}</p><ul class="skill-picks">"#,
        error(""),
        html_escape(&key.0),
        error("offers"),
    );
    for (i, skill) in record.spec.skills.iter().enumerate() {
        let offer = answers.offers.iter().find(|o| &o.skill == skill);
        let _ = write!(
            html,
            r#"<li class="skill-pick"><label for="level{i}">{}</label><select class="input input--small" id="level{i}" name="level{i}" data-testid="skill-level"><option value="no">No</option>"#,
            html_escape(skill)
        );
        for (value, label, level) in LEVELS {
            let selected = if offer.is_some_and(|o| o.level == level) {
                " selected"
            } else {
                ""
            };
            let _ = write!(html, r#"<option value="{value}"{selected}>{label}</option>"#);
        }
        html.push_str("</select></li>");
    }
    let _ = write!(
        html,
        r#"</ul></fieldset><fieldset aria-describedby="wants-hint wants-error"><legend>I want to learn</legend>
<p class="hint" id="wants-hint">Up to {MAX_PICKS} skills.</p><p class="field__error" id="wants-error" data-testid="wants-error">{}</p><ul class="skill-picks">"#,
        error("wants")
    );
    for (i, skill) in record.spec.skills.iter().enumerate() {
        let checked = if answers.wants.contains(skill) { " checked" } else { "" };
        let _ = write!(
            html,
            r#"<li class="skill-pick"><input type="checkbox" id="want{i}" name="want{i}"{checked} data-testid="skill-want"><label for="want{i}">{}</label></li>"#,
            html_escape(skill)
        );
    }
    let _ = write!(
        html,
        r#"</ul></fieldset><div class="actions"><button type="submit" class="button button--primary" data-testid="skills-save">Save my skills</button>
<a class="button button--quiet" href="/w/{id}?t={token}">Back without saving</a></div></form></section>"#
    );
    html
}

/// The facilitator's: the next round's proposal, if there is one, with why each group was proposed.
async fn proposal_html(state: &AppState, id: &str) -> String {
    let Some(groups) = state.relay.proposal_explained(id).await else {
        return String::new();
    };
    let mut html = String::from(
        r#"<section class="card" data-testid="skills-proposal"><h2>The proposed groups, and why</h2><ol>"#,
    );
    for (names, why) in groups {
        let _ = write!(
            html,
            "<li><strong>{}</strong>: {}</li>",
            html_escape(&names.join(", ")),
            html_escape(&why)
        );
    }
    html.push_str(
        r#"</ol><p class="hint">As proposed, with the skills as they are now: if people changed theirs since, propose again. You can still move people before you open the round.</p></section>"#,
    );
    html
}

/// The page: the workshop's name, `mine` (the participant's part, or a hint), and the picture.
fn page(record: &WorkshopRecord, id: &str, token: &str, mine: &str, status: StatusCode) -> Response {
    let title = workshop_name(&record.spec.format.template_name, &record.spec.format.goal);
    let main = format!(
        r#"<main class="page skills-page"><p class="eyebrow">Workshop skills · {}</p><h1>{}</h1>
<p><a href="/w/{}?t={}" data-testid="skills-back">← Back to the workshop</a></p>{mine}{}{}</main>"#,
        html_escape(&record.spec.format.template_name),
        workshop_heading(&record.spec.format.goal),
        html_escape(id),
        html_escape(token),
        picture_section(record, id, token, true),
        crate::workshop_files::person_link_form(id, token)
    );
    let mut response = crate::relay_page(&format!("Skills: {title}"), Some("relay-forms.js"), &main);
    *response.status_mut() = status;
    response
}

/// The group's knowledge gaps: how many picked, the picture, and (`markdown`) the table as Markdown to copy.
fn picture_section(record: &WorkshopRecord, id: &str, token: &str, markdown: bool) -> String {
    let spec = &record.spec;
    let (joined, answered) =
        (record.state.participants()).fold((0, 0), |(j, a), m| (j + 1, a + usize::from(!m.skills.is_empty())));
    let mut html = format!(
        r#"<section class="card" data-testid="skills-picture" data-live="picture"><h2>The group's knowledge gaps</h2>
<p class="hint" data-testid="skills-answered">{}</p>"#,
        match joined {
            0 => "Nobody has joined yet.".to_string(),
            _ => format!("{answered} of {joined} participants have picked their skills."),
        }
    );
    let picture = record.state.skill_picture(spec);
    if answered == 0 {
        html.push_str(
            r#"<p data-testid="skills-empty">Nobody has picked skills yet: the picture appears as people do.</p>"#,
        );
    } else {
        picture_html(&mut html, &picture, &html_escape(id), &html_escape(token));
        if markdown {
            let text = picture_markdown(&picture);
            let _ = write!(
                html,
                r#"<label class="field"><span class="field__label">The table as Markdown, to copy</span><textarea class="input" rows="{}" readonly id="skills-markdown" data-testid="skills-markdown">{}</textarea></label>
<p><button type="button" class="button button--small" data-copy="skills-markdown" data-testid="skills-copy">Copy as Markdown</button> <span role="status" class="saved" data-testid="skills-copied"></span></p>"#,
                text.lines().count().clamp(4, 16),
                html_escape(&text)
            );
        }
    }
    html.push_str("</section>");
    html
}

/// The picture (issue 17): the chart the relay draws, the same figures as a table for screen readers and anyone who
/// wants numbers, and the skills nobody offers. `id` and `token` are HTML-escaped.
pub(crate) fn picture_html(body: &mut String, picture: &[SkillGap], id: &str, token: &str) {
    let (width, height) = skills_chart_size(picture.len());
    let _ = write!(
        body,
        r#"<img class="skills-chart" src="/w/{id}/skills.svg?t={token}" width="{width}" height="{height}" alt="Bar chart: how many want to learn and how many can help with each skill; the table below has the same figures." data-testid="skills-chart">
<table class="skills-table" data-testid="skills-table"><caption>Skills wanted and offered, the largest gap first</caption>
<thead><tr><th scope="col">Skill</th><th scope="col">Want to learn</th><th scope="col">Can help</th><th scope="col">Gap</th></tr></thead><tbody>"#
    );
    for l in picture {
        let _ = write!(
            body,
            r#"<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            html_escape(&l.skill),
            l.want,
            l.offer,
            i64::from(l.want) - i64::from(l.offer)
        );
    }
    body.push_str("</tbody></table>");
    for l in picture.iter().filter(|l| l.uncovered()) {
        let _ = write!(
            body,
            r#"<p class="broadcast" data-testid="skills-gap">{}</p>"#,
            html_escape(&l.callout())
        );
    }
}
