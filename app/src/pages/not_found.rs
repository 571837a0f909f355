//! The page for unknown addresses and links that do not open a session.

use crate::api::INVALID_LINK;
use crate::components::brand::Header;
use crate::page_title;
use leptos::prelude::*;

/// Shown for any address Tandem does not know (app.rs, `Route`). The relay answers it with HTTP 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    page_title("Page not found");
    view! {
        <Header/>
        <Problem title="Page not found" detail="There is nothing at this address."/>
    }
}

/// Shown for a session link with an unknown id or a wrong or missing token.
#[component]
pub fn InvalidLink() -> impl IntoView {
    page_title("Link not valid");
    view! {
        <Problem
            title=INVALID_LINK
            detail="Check that you copied the whole link, or ask the person who sent it for a new one."
        />
    }
}

/// Shown when the relay could not read the session from its storage (HTTP 503): the link may well be fine.
#[component]
pub fn Unavailable() -> impl IntoView {
    page_title("Session not available");
    view! {
        <Problem
            title="This session cannot be opened right now"
            detail="Tandem could not read it from its storage. Your link is kept in the address bar: try again in a moment."
            retry=true
        />
    }
}

/// A centred card explaining what went wrong, with a way forward: a new session, or with `retry` (a passing
/// failure) the same address again (an empty `href` is the page's own URL, query included).
#[component]
pub fn Problem(
    #[prop(into)] title: String,
    #[prop(into)] detail: String,
    #[prop(optional)] retry: bool,
) -> impl IntoView {
    let (icon, href, action) = if retry {
        ("!", "", "Try again")
    } else {
        ("?", "/", "Start a new session")
    };
    view! {
        <main class="page page--narrow">
            <section class="card problem" role="alert">
                <div class="problem__icon" aria-hidden="true">{icon}</div>
                <h1>{title}</h1>
                <p>{detail}</p>
                <a class="button button--primary" href=href rel="external">{action}</a>
            </section>
        </main>
    }
}
