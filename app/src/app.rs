//! The HTML shell and the router.

use crate::pages::{create::CreateRoute, not_found::NotFound, session::SessionPage, summary::SummaryRoute};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: routes to the create page and the session page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Tests and styles key off this: interactive controls work only once the page has hydrated.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = leptos::prelude::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/tandem.css"/>
        <Title formatter=|text: String| if text.is_empty() { "Tandem".to_string() } else { format!("{text} · Tandem") }/>
        <Meta name="description" content="Live peer-coaching sessions: timed phases, shared notes, feedback."/>
        <Meta name="referrer" content="no-referrer"/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                // The create and summary pages are lazy: their code is split into wasm files of their own
                // (`cargo leptos build --split`), so the session page does not download it (docs/performance.md).
                // Links into them are `rel="external"`, full page loads: a tab left open across a deploy would
                // otherwise fetch the new build's chunk into its old main module.
                <Route path=path!("/") view={Lazy::<CreateRoute>::new()}/>
                <Route path=path!("/s/:id") view=SessionPage ssr=SsrMode::Async/>
                <Route path=path!("/s/:id/summary") view={Lazy::<SummaryRoute>::new()} ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
