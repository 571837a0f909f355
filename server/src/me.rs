//! `/me`, "Your history" (issue 18): every session this browser's person joined, newest first, and a search over
//! what they may see in them, without an account. Drawn by the relay like the workshop's skills and closing pages
//! (no page code to download: docs/history.md says why).
//!
//! - `GET /me`: the page, which public/relay-forms.js fills. It reads the browser's personal key (`tandem.person`,
//!   drawn by the session page when it first joins) and sends it in a form's body, never in the address, so that it
//!   never lands in a log or a referrer. A page opened as `/me#k=KEY` (the link of "Use Tandem on another device";
//!   browsers never send the fragment) keeps that key first, and the key this browser had is merged into it.
//! - `POST /me` (`k`, and `also`: a previous key to merge): the history. `POST /me/search` (`k`, `q`): the results.
//! - A key that is missing, malformed, or has no session gets the same 404 with the empty state: nothing tells a
//!   guessed key from a real one without history. The store unreachable: 503, and the page says to try again.

use crate::me_parts::{account_part, commitments_part, growth_part, kudos_part};
use crate::me_timeline::{timeline, timeline_count};
use crate::store::{person_hash, SearchHit, MAX_HITS};
use crate::workshop_files::html_escape;
use crate::AppState;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write as _;
use tandem_core::history::{marked, search_words, MAX_QUERY_CHARS};
use tandem_core::session::summary::format_utc;
use tandem_core::session::{Millis, ParticipantKey};

/// What the page's forms send.
#[derive(serde::Deserialize)]
pub(crate) struct KeyForm {
    /// The personal key.
    #[serde(default)]
    pub(crate) k: String,
    /// A key this browser had before it took `k` (merged into `k`'s history).
    #[serde(default)]
    also: String,
    /// The search, for `/me/search`.
    #[serde(default)]
    q: String,
    /// The export's format, for `/me/export`: `md` or `json`.
    #[serde(default)]
    pub(crate) format: String,
}

/// The hash of a well-formed key.
pub(crate) fn person(key: &str) -> Option<String> {
    let key = ParticipantKey(key.to_string());
    key.is_well_formed().then(|| person_hash(&key))
}

/// `GET /me`.
pub(crate) async fn me_page() -> Response {
    page(
        StatusCode::OK,
        &format!(
            r#"<div data-testid="me-history">
<form method="post" action="/me" data-person data-swap="me-history" data-offline="me-status"
 data-failed="Tandem could not be reached. Check your connection, then reload this page." hidden>
<input type="hidden" name="k"><input type="hidden" name="also"></form>
<p class="loading" role="status" id="me-status" data-testid="me-loading">Loading your history…</p>
{}</div>"#,
            EMPTY.replacen("<section ", "<section hidden ", 1)
        ),
    )
}

/// `POST /me`: the history of the key in the body.
pub(crate) async fn me_history(State(state): State<AppState>, Form(form): Form<KeyForm>) -> Response {
    let Some(me) = person(&form.k) else { return empty() };
    if let Some(old) = person(&form.also).filter(|old| *old != me) {
        if let Err(e) = state.store.merge_person(&old, &me).await {
            tracing::error!(error = %e, "could not merge two histories");
            return unavailable();
        }
    }
    let (entries, workshops) = match (state.store.timeline(&me).await, state.store.person_workshops(&me).await) {
        (Ok(entries), Ok(workshops)) if entries.is_empty() && workshops.is_empty() => return empty(),
        (Ok(entries), Ok(workshops)) => (entries, workshops),
        (Err(e), _) | (_, Err(e)) => return read_failed(e),
    };
    let sessions = match state.store.person_sessions(&me, false).await {
        Ok(sessions) => sessions,
        Err(e) => return read_failed(e),
    };
    let key = html_escape(&form.k);
    let mut commitments = String::new();
    commitments_part(&mut commitments, &sessions, &key, "");
    let mut html = String::with_capacity(2048 + entries.len() * 600);
    let count = timeline_count(&entries, &workshops);
    let _ = write!(
        html,
        r#"<div data-testid="me-history">
<p class="hint">{count}. Each opens as you saw it. Only this browser (and the devices you give its link to) can show this page.</p>
<section class="card" aria-labelledby="me-search-title">
<h2 id="me-search-title">Search your sessions</h2>
<form method="post" action="/me/search" class="me-search" data-swap="me-results" data-offline="me-search-status" role="search">
<input type="hidden" name="k" value="{key}">
<label for="me-q">Words in your notes, goals, commitments or feedback</label>
<div class="me-search__row"><input id="me-q" name="q" type="search" maxlength="{MAX_QUERY_CHARS}" autocomplete="off" data-testid="me-q">
<button class="button button--primary" type="submit" data-testid="me-search">Search</button></div>
<p class="hint" id="me-search-status" role="status"></p>
</form>
<div data-testid="me-results"></div>
</section>
{commitments}<section aria-labelledby="me-sessions-title"><h2 id="me-sessions-title">Your sessions</h2>
<ol class="me-timeline">"#
    );
    timeline(&mut html, &entries, &workshops);
    html.push_str("</ol></section>\n");
    growth_part(&mut html, &sessions);
    kudos_part(&mut html, &sessions);
    device_part(&mut html, &state, &form.k);
    account_part(&mut html, &key);
    html.push_str("</div>");
    page(StatusCode::OK, &html)
}

/// `POST /me/search`: what matches, among what this person may see.
pub(crate) async fn me_search(State(state): State<AppState>, Form(form): Form<KeyForm>) -> Response {
    let Some(me) = person(&form.k) else { return empty() };
    match state.store.knows_person(&me).await {
        Ok(true) => {}
        Ok(false) => return empty(),
        Err(e) => return search_failed(e),
    }
    let shown: String = form.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    if search_words(&form.q).is_empty() {
        return results(r#"<p role="status" class="hint">Type a word to search for.</p>"#);
    }
    let hits = match state.store.search(&me, &form.q).await {
        Ok(hits) => hits,
        Err(e) => return search_failed(e),
    };
    let shown = html_escape(&shown);
    let cut = if form.q.trim().chars().count() > MAX_QUERY_CHARS {
        format!(r#"<p class="hint">Only the first {MAX_QUERY_CHARS} characters were searched.</p>"#)
    } else {
        String::new()
    };
    if hits.is_empty() {
        return results(&format!(
            r#"<h3 tabindex="-1" class="me-results__count" data-testid="me-results-count">Nothing matches “{shown}”</h3>{cut}
<p class="hint">Every word must appear. Words of two letters or more also find the words they start (“list” finds “listening”), in every session of your history.</p>"#
        ));
    }
    let count = match hits.len() {
        1 => "One result".to_string(),
        n if n as i64 >= MAX_HITS => format!("The first {n} results"),
        n => format!("{n} results"),
    };
    let mut html = format!(
        r#"<h3 tabindex="-1" class="me-results__count" data-testid="me-results-count">{count} for “{shown}”</h3>{cut}<ol class="me-hits">"#
    );
    for hit in &hits {
        search_hit(&mut html, hit);
    }
    html.push_str("</ol>");
    results(&html)
}

/// The store failed during a search: said where the results go.
fn search_failed(e: crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "could not search a history");
    results(r#"<p role="alert" class="error">Tandem could not search right now. Try again in a moment.</p>"#)
}

/// One search result.
fn search_hit(html: &mut String, hit: &SearchHit) {
    let place = match hit.kind.as_str() {
        "goal" => "Goal".to_string(),
        "note" => format!("Notes: {}", html_escape(&hit.place)),
        "commitment" => "Commitment".to_string(),
        _ => "Feedback".to_string(),
    };
    let mut snippet = String::new();
    for (matched, text) in marked(&hit.snippet) {
        let text = html_escape(&text);
        if matched {
            let _ = write!(snippet, "<mark>{text}</mark>");
        } else {
            snippet.push_str(&text);
        }
    }
    let href = format!("/s/{}/summary?t={}", hit.session.0, hit.token);
    let _ = write!(
        html,
        r#"<li class="me-hit" data-testid="me-hit"><p class="me-hit__text">{snippet}</p>
<p class="hint">{place} · <a href="{href}">{format}, {when}</a></p></li>"#,
        href = html_escape(&href),
        format = html_escape(&hit.format),
        when = time_element(hit.created_at),
    );
}

/// "Use Tandem on another device": the link that carries the key in its fragment, and its QR code.
fn device_part(html: &mut String, state: &AppState, key: &str) {
    let link = format!("{}/me#k={key}", state.public_url.trim_end_matches('/'));
    let qr = qrcode::QrCode::new(link.as_bytes())
        .map(|code| {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            // The element alone (without the XML declaration), labelled for screen readers.
            let svg = svg.find("<svg").map_or(String::new(), |at| svg[at..].to_string());
            svg.replacen(
                "<svg",
                r#"<svg role="img" aria-label="QR code of the link" class="me-device__qr""#,
                1,
            )
        })
        .unwrap_or_default();
    let _ = write!(
        html,
        r#"<details class="card me-device" data-testid="me-device"><summary>Use Tandem on another device</summary>
<p>Open this link on your phone or another computer: it shows your history there, and sessions you join there come here too.
It is your key to this page: do not share it with anyone else.</p>
<label for="me-device-link">Your personal link</label>
<div class="me-search__row"><input id="me-device-link" readonly value="{link}" data-testid="me-device-link">
<button class="button" type="button" data-copy="me-device-link">Copy link</button><span class="hint" role="status"></span></div>
{qr}
</details>"#,
        link = html_escape(&link),
    );
}

/// What a browser without history is told will appear here (shown at once where the browser has no key).
const EMPTY: &str = r#"<section class="card" data-testid="me-empty" data-empty>
<h2>Nothing here yet</h2>
<p>When you join a pair session or a workshop in this browser, it appears here: when it was, who you met, its goal and your commitments, with a link to its summary. No account is needed: this browser remembers you.</p>
<p>Used Tandem on another device? Open “Your history” there, choose “Use Tandem on another device”, and open its link here.</p>
<p><a class="button button--primary" href="/">Start a session</a></p></section>"#;

/// The same 404 for a missing, malformed or unknown key, and a key without sessions: what will appear here.
pub(crate) fn empty() -> Response {
    page(
        StatusCode::NOT_FOUND,
        &format!(r#"<div data-testid="me-history">{EMPTY}</div>"#),
    )
}

/// A read of the history failed: logged, and the page says to try again.
pub(crate) fn read_failed(e: crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "could not read a history");
    unavailable()
}

/// The store could not be read.
pub(crate) fn unavailable() -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        r#"<div data-testid="me-history"><section class="card"><p role="alert" class="error" data-testid="me-unavailable">Tandem cannot read your history right now. Nothing was changed: reload this page in a moment.</p></section></div>"#,
    )
}

/// A search's answer: its results part.
fn results(part: &str) -> Response {
    page(
        StatusCode::OK,
        &format!(r#"<div data-testid="me-results">{part}</div>"#),
    )
}

/// The page around a part.
pub(crate) fn page(status: StatusCode, part: &str) -> Response {
    let mut response = crate::relay_page(
        "Your history",
        Some("relay-forms.js"),
        &format!(
            r#"<main class="page" id="main"><p class="eyebrow">Tandem</p><h1>Your history</h1>
{part}</main>"#
        ),
    );
    *response.status_mut() = status;
    response
}

/// A time as UTC text, which the page's script shows in the reader's own time zone.
pub(crate) fn time_element(ms: Millis) -> String {
    let utc = format_utc(ms);
    let iso = format!("{}Z", utc.trim_end_matches(" UTC").replacen(' ', "T", 1));
    format!(r#"<time datetime="{iso}" data-local>{utc}</time>"#)
}

pub(crate) fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
