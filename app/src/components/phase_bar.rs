//! The agenda as a bar of phases, and the current phase's prompt.

use crate::components::when::When;
use crate::sync::LiveSession;
use leptos::prelude::*;
use tandem_core::session::{PhaseSpec, RoomState, TimerCommand};

/// One tab per phase, all about as wide (titles stay readable; the bar scrolls sideways when they do not fit, with
/// the current phase scrolled into view). Past phases ticked, the current one highlighted. Clicking a tab previews
/// that phase in [`PhasePreview`] (`preview`); clicking the current one closes the preview.
#[component]
pub fn PhaseBar(phases: Vec<PhaseSpec>, room: Memo<RoomState>, preview: RwSignal<Option<usize>>) -> impl IntoView {
    let count = phases.len();
    let list = NodeRef::<leptos::html::Ol>::new();
    // Keep the current phase (or the one previewed) in view in a bar that scrolls (a phone, or many phases), also
    // when the window changes width (a phone turned).
    let reveal = move || {
        #[cfg(feature = "hydrate")]
        if let Some(ol) = list.get_untracked() {
            let selector = if preview.get_untracked().is_some() {
                "[aria-expanded=true]"
            } else {
                "[aria-current]"
            };
            if let Ok(Some(tab)) = ol.query_selector(selector) {
                scroll_into_view_nearest(&tab);
            }
        }
    };
    Effect::new(move |_| {
        room.with(|r| r.phase);
        preview.track();
        reveal();
    });
    #[cfg(feature = "hydrate")]
    {
        let resize = window_event_listener_untyped("resize", move |_| reveal());
        on_cleanup(move || resize.remove());
    }
    view! {
        <nav class="phase-bar" aria-label="Agenda">
            <ol node_ref=list>
                {phases.into_iter().enumerate().map(|(i, p)| {
                    let state = move || {
                        let current = room.with(|r| r.phase);
                        if i < current { "done" } else if i == current { "current" } else { "todo" }
                    };
                    let title = p.title.clone();
                    view! {
                        <li class=move || format!("phase-bar__item phase-bar__item--{}", state())
                            class:phase-bar__item--previewed=move || preview.get() == Some(i)
                            data-testid="phase-bar-item">
                            <button type="button" class="phase-bar__tab" title=title.clone()
                                aria-current=move || (state() == "current").then_some("step")
                                aria-expanded=move || (preview.get() == Some(i)).to_string()
                                aria-controls="phase-preview"
                                on:click=move |_| {
                                    let current = room.with_untracked(|r| r.phase);
                                    preview.update(|p| *p = if i == current || *p == Some(i) { None } else { Some(i) });
                                }>
                                <span class="phase-bar__title">{title.clone()}</span>
                                <span class="phase-bar__min">{format!("{} min", p.minutes)}</span>
                                <span class="sr-only">{move || format!(", phase {} of {count}, {}", i + 1, match state() { "done" => "done", "current" => "current", _ => "to come" })}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// Scrolls `el` into view along the bar only as far as needed, without moving the page up or down.
#[cfg(feature = "hydrate")]
fn scroll_into_view_nearest(el: &web_sys::Element) {
    use wasm_bindgen::JsCast;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"block".into(), &"nearest".into());
    let _ = js_sys::Reflect::set(&options, &"inline".into(), &"nearest".into());
    if let Ok(f) = js_sys::Reflect::get(el, &"scrollIntoView".into()) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call1(el, &options);
        }
    }
}

/// A phase other than the current one, opened from the phase bar: its prompt and questions, "Back to the current
/// phase", and for whoever may drive the timer "Go to this phase" (undoable like next and previous).
#[component]
pub fn PhasePreview(
    live: LiveSession,
    phases: Vec<PhaseSpec>,
    room: Memo<RoomState>,
    preview: RwSignal<Option<usize>>,
    may_drive: Memo<bool>,
) -> impl IntoView {
    let phases = StoredValue::new(phases);
    let count = phases.with_value(Vec::len);
    // A preview of the phase the session has just moved to is no preview any more.
    Effect::new(move |_| {
        let current = room.with(|r| r.phase);
        if preview.get_untracked() == Some(current) {
            preview.set(None);
        }
    });
    let shown = Memo::new(move |_| {
        let i = preview.get()?;
        phases.with_value(|ps| ps.get(i).cloned().map(|p| (i, p)))
    });
    view! {
        <div id="phase-preview">
            {move || shown.get().map(|(i, p)| {
                let current_title = phases.with_value(|ps| ps.get(room.with_untracked(|r| r.phase)).map(|x| x.title.clone()).unwrap_or_default());
                view! {
                    <section class="card phase-card phase-preview" aria-labelledby="phase-preview-title" data-testid="phase-preview">
                        <p class="eyebrow">{format!("Preview · phase {} of {count}", i + 1)}</p>
                        <h2 id="phase-preview-title" data-testid="phase-preview-title">{p.title.clone()}</h2>
                        <LeadLine live lead_role=p.lead_role.clone() testid="phase-preview-lead"/>
                        <p class="hint">{move || {
                            let now = room.with(|r| r.phase);
                            let when = if i < now { "came earlier" } else { "comes later" };
                            format!("This phase {when}; the session is in “{current_title}”.")
                        }}</p>
                        <p class="phase-card__prompt">{p.prompt.clone()}</p>
                        <GuidingQuestions questions=p.questions.clone()/>
                        <div class="controls">
                            <button type="button" class="button" on:click=move |_| preview.set(None)>"Back to the current phase"</button>
                            <When when=move || may_drive.get()>
                                <button type="button" class="button button--primary"
                                    on:click=move |_| live.send_timer(TimerCommand::Goto { to: i, from: room.with_untracked(|r| r.phase) })>
                                    "Go to this phase"
                                </button>
                            </When>
                        </div>
                        <When when=move || !may_drive.get()>
                            <p class="hint">"The host moves everyone between phases."</p>
                        </When>
                    </section>
                }
            })}
        </div>
    }
}

/// Who leads a phase, for a phase whose template names the role that leads it (Troika's client of the round):
/// "First client: Ana", "First client: Ana (you)" or "First client: nobody yet". Nothing for a phase without one.
#[component]
fn LeadLine(live: LiveSession, lead_role: Option<String>, testid: &'static str) -> impl IntoView {
    let line = Memo::new(move |_| {
        let role = lead_role.as_deref()?;
        let name = live.spec.with(|s| {
            s.as_ref()
                .and_then(|s| s.roles.iter().find(|r| r.id == role))
                .map(|r| r.name.clone())
        })?;
        let me = live.me.get();
        let holders: Vec<String> = live.participants.with(|ps| {
            ps.iter()
                .filter(|p| p.role.as_deref() == Some(role))
                .map(|p| {
                    if Some(p.id) == me {
                        format!("{} (you)", p.name)
                    } else {
                        p.name.clone()
                    }
                })
                .collect()
        });
        Some(if holders.is_empty() {
            format!("{name}: nobody yet")
        } else {
            format!("{name}: {}", holders.join(" and "))
        })
    });
    move || {
        line.get()
            .map(|text| view! { <p class="phase-card__lead" data-testid=testid>{text}</p> })
    }
}

/// The current phase: title, prompt and guiding questions.
#[component]
pub fn PhaseCard(live: LiveSession, phases: Vec<PhaseSpec>, room: Memo<RoomState>) -> impl IntoView {
    let phases = StoredValue::new(phases);
    let current = Memo::new(move |_| {
        let i = room.with(|r| r.phase);
        phases.with_value(|ps| ps.get(i).cloned().map(|p| (i, p)))
    });
    let count = phases.with_value(Vec::len);
    view! {
        <section class="card phase-card" aria-labelledby="phase-title">
            {move || current.get().map(|(i, p)| view! {
                <p class="eyebrow" data-testid="phase-position">{format!("Phase {} of {count}", i + 1)}</p>
                <h2 id="phase-title" tabindex="-1" data-testid="phase-title">{p.title.clone()}</h2>
                <LeadLine live lead_role=p.lead_role.clone() testid="phase-lead"/>
                <p class="phase-card__prompt">{p.prompt.clone()}</p>
                <GuidingQuestions questions=p.questions.clone()/>
                {(!p.notes.is_empty()).then(|| view! {
                    <div class="phase-card__notes">
                        // A phase of private drafts only (SBI "Prepare") is not captured together.
                        <h3 class="phase-card__qhead">{if p.notes.iter().all(|n| n.private) { "Write for yourself" } else { "Capture together" }}</h3>
                        <ul class="note-sections">
                            {p.notes.iter().map(|n| view! { <li><strong>{n.title.clone()}</strong>" — "{n.hint.clone()}{n.private.then_some(" (private: only you see yours)")}</li> }).collect_view()}
                        </ul>
                    </div>
                })}
            })}
        </section>
    }
}

/// A phase's guiding questions under their heading (nothing when it has none): the phase card and the preview.
#[component]
fn GuidingQuestions(questions: Vec<String>) -> impl IntoView {
    (!questions.is_empty()).then(|| {
        view! {
            <h3 class="phase-card__qhead">"Guiding questions"</h3>
            <ul class="phase-card__questions">
                {questions.into_iter().map(|q| view! { <li>{q}</li> }).collect_view()}
            </ul>
        }
    })
}
