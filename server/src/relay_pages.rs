//! The pages the relay draws itself (join screen, record, delete, skills, closing, "Your history"): one document in
//! the app's style, a part of one that Tandem's own pages frame, and a refusal as a page.

use crate::DEFAULT_CSP;
use axum::http::header;

/// A page the relay draws itself (join screen, record, delete, skills): HTML in the app's style with its top bar (the
/// app's `Header`) and the relay pages' own rules (public/relay.css), never cached, under [`DEFAULT_CSP`] (its
/// scripts and styles are files). `title` is HTML-escaped text;
/// `script` a file in `public/`; `main` the page's `<main>` element.
pub(crate) fn relay_page(title: &str, script: Option<&str>, main: &str) -> axum::response::Response {
    use leptos::prelude::*;
    // The app's own top bar, rendered here as the app's pages render it.
    let topbar = view! { <app::components::brand::Header/> }.to_html();
    relay_document(
        title,
        script,
        &format!("<body>{topbar}\n{main}</body>"),
        DEFAULT_CSP,
        "DENY",
    )
}

/// [`DEFAULT_CSP`] for a part of a relay page that Tandem's own pages show in a frame ([`relay_embed`]).
const EMBED_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

/// A part of a relay page that the workshop page shows in a frame (the skills picture in its lobby): no top bar, and
/// framed by Tandem's own pages only.
pub(crate) fn relay_embed(title: &str, script: Option<&str>, main: &str) -> axum::response::Response {
    relay_document(
        title,
        script,
        &format!(r#"<body class="embed">{main}</body>"#),
        EMBED_CSP,
        "SAMEORIGIN",
    )
}

fn relay_document(
    title: &str,
    script: Option<&str>,
    body: &str,
    policy: &'static str,
    framing: &'static str,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let script = script
        .map(|s| format!(r#"<script src="/{s}" defer></script>"#))
        .unwrap_or_default();
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">{script}<title>{title} · Tandem</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/pkg/tandem.css">
<link rel="stylesheet" href="/relay.css"></head>
{body}</html>
"#
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::X_FRAME_OPTIONS, framing),
        ],
        html,
    )
        .into_response()
}

/// A relay page's refusal (an unknown or wrong link, the store unreachable) as a page in the app's style, with its
/// status kept: a person who mistyped a join screen's address or reloads a deleted session's page gets a sentence
/// and a way on, not a line of plain text. `message` replaces the sentence for the status.
pub(crate) fn relay_error_page(status: axum::http::StatusCode, message: Option<&str>) -> axum::response::Response {
    use axum::http::StatusCode;
    let (title, text) = match status {
        StatusCode::NOT_FOUND => (
            "Link not valid",
            "This link is not valid: it may be mistyped or cut short, or what it opened was deleted.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Try again in a moment",
            "Tandem cannot reach its storage right now. Nothing was changed; please try again in a moment.",
        ),
        _ => (
            "Something went wrong",
            "Tandem could not answer this request. Please try again.",
        ),
    };
    let text = message.unwrap_or(text);
    let mut response = relay_page(
        title,
        None,
        &format!(
            r#"<main class="page page--narrow"><section class="card" data-testid="relay-error"><h1>{title}</h1>
<p>{text}</p><p><a class="button button--primary" href="/">Start a new session</a></p></section></main>"#
        ),
    );
    *response.status_mut() = status;
    response
}
