//! The ended workshop as the facilitator (and observers) see it: the rounds and groups with their minutes, the
//! messages sent, and who took part.

use super::BreakoutList;
use leptos::prelude::*;
use tandem_core::protocol::workshop::WorkshopView;
use tandem_core::session::Capability;

/// The ended workshop: rounds and groups with their time, messages, and who took part. Each breakout links to its
/// summary where the workshop let the facilitator read notes.
#[component]
pub fn Record(view: WorkshopView, planned: u32) -> impl IntoView {
    let people: Vec<&str> = view
        .people
        .iter()
        .filter(|p| p.capability == Capability::Participant)
        .map(|p| p.name.as_str())
        .collect();
    let messages: Vec<&str> = view.broadcasts.iter().map(String::as_str).collect();
    let messages = if messages.is_empty() {
        "None.".to_string()
    } else {
        messages.join(" · ")
    };
    let (markdown, times) = match crate::Route::current() {
        crate::Route::Workshop { id, token } => (
            format!("/w/{id}/record.md?t={token}"),
            format!("/w/{id}/times.svg?t={token}"),
        ),
        _ => (String::new(), String::new()),
    };
    view! {
        <section class="card record" data-testid="workshop-record">
            <h2>"Rounds"</h2>
            <BreakoutList view=view.clone() me=None planned/>
            <h2>"Planned and actual time"</h2>
            <img class="times-chart" src=times alt="Bar chart: planned and actual time of each breakout, red where it ran over." data-testid="times-chart"/>
            <h2>"Messages to every breakout"</h2>
            <p>{messages}</p>
            <h2>{format!("Who took part ({})", people.len())}</h2>
            <p>{people.join(", ")}</p>
            <p class="controls">
                <a class="button" href=markdown download data-testid="record-markdown">"Download as Markdown"</a>
                <button class="button" type="button" data-testid="record-print" on:click=|_| print()>"Print"</button>
            </p>
        </section>
    }
}

fn print() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}
