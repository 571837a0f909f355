//! The agenda as a bar of phases, and the current phase's prompt.

use crate::reactive::memo;
use crate::session::{PhaseSpec, RoomState};
use leptos::prelude::*;

/// One segment per phase, as wide as its planned minutes; past phases ticked, the current one highlighted.
#[component]
pub fn PhaseBar(phases: Vec<PhaseSpec>, room: Memo<RoomState>) -> impl IntoView {
    let count = phases.len();
    view! {
        <nav class="phase-bar" aria-label="Agenda">
            <ol>
                {phases.into_iter().enumerate().map(|(i, p)| {
                    let state = move || {
                        let current = room.with(|r| r.phase);
                        if i < current { "done" } else if i == current { "current" } else { "todo" }
                    };
                    view! {
                        <li class=move || format!("phase-bar__item phase-bar__item--{}", state())
                            style=format!("flex-grow:{}", p.minutes.max(1))
                            aria-current=move || (state() == "current").then_some("step")
                            data-testid="phase-bar-item">
                            <span class="phase-bar__title">{p.title.clone()}</span>
                            <span class="phase-bar__min">{format!("{} min", p.minutes)}</span>
                            <span class="sr-only">{move || format!(", phase {} of {count}, {}", i + 1, match state() { "done" => "done", "current" => "current", _ => "to come" })}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// The current phase: title, prompt and guiding questions.
#[component]
pub fn PhaseCard(phases: Vec<PhaseSpec>, room: Memo<RoomState>) -> impl IntoView {
    let phases = StoredValue::new(phases);
    let current = memo(move || {
        let i = room.with(|r| r.phase);
        phases.with_value(|ps| ps.get(i).cloned().map(|p| (i, p)))
    });
    let count = phases.with_value(Vec::len);
    view! {
        <section class="card phase-card" aria-labelledby="phase-title">
            {move || current.get().map(|(i, p)| view! {
                <p class="eyebrow" data-testid="phase-position">{format!("Phase {} of {count}", i + 1)}</p>
                <h2 id="phase-title" data-testid="phase-title">{p.title.clone()}</h2>
                <p class="phase-card__prompt">{p.prompt.clone()}</p>
                {(!p.questions.is_empty()).then(|| view! {
                    <h3 class="phase-card__qhead">"Guiding questions"</h3>
                    <ul class="phase-card__questions">
                        {p.questions.iter().map(|q| view! { <li>{q.clone()}</li> }).collect_view()}
                    </ul>
                })}
                {(!p.notes.is_empty()).then(|| view! {
                    <div class="phase-card__notes">
                        <h3 class="phase-card__qhead">"Capture together"</h3>
                        <ul class="note-sections">
                            {p.notes.iter().map(|n| view! { <li><strong>{n.title.clone()}</strong>" — "{n.hint.clone()}</li> }).collect_view()}
                        </ul>
                    </div>
                })}
            })}
        </section>
    }
}
