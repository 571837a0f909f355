//! `/`: pick a template, adjust the agenda, write a goal, choose settings, create the session.

use crate::api::{list_templates, CreateSession, CreatedSession, NewSession};
use crate::components::agenda_editor::{AgendaEditor, EditablePhase};
use crate::components::brand::Header;
use crate::components::links::LinkList;
use crate::page_title;
use crate::session::{limits, total_minutes, SessionSettings, Template, TimerControl};
use leptos::prelude::*;

/// The create page's view, in a wasm file of its own (`cargo leptos build --split`): only this page fetches it
/// (`lib.rs`, before it hydrates).
#[cfg(feature = "hydrate")]
#[lazy]
pub fn create_page() -> crate::LazyPage {
    |_, _| view! { <CreatePage/> }.into_any()
}

/// The create page.
#[component]
pub fn CreatePage() -> impl IntoView {
    let templates = Resource::new(|| (), |_| list_templates());
    let created = RwSignal::new(None::<CreatedSession>);
    page_title("New session");
    view! {
        <Header/>
        <main class="page">
            <Show
                when=move || created.get().is_none()
                fallback=move || view! { <Created created=created/> }
            >
                <section class="intro">
                    <h1>"Start a peer-coaching session"</h1>
                    <p class="lead">
                        "Pick a format, shape the agenda, and send one link to your peer. "
                        "Tandem keeps the time so you can keep the conversation."
                    </p>
                </section>
                <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading formats…"</p> }>
                    {move || Suspend::new(async move {
                        match templates.await {
                            Ok(list) if !list.is_empty() => view! { <CreateForm templates=list created=created/> }.into_any(),
                            Ok(_) => view! { <p class="error">"No session formats are installed."</p> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">"Could not load the formats: " {e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </Show>
        </main>
    }
}

#[component]
fn CreateForm(templates: Vec<Template>, created: RwSignal<Option<CreatedSession>>) -> impl IntoView {
    let templates = StoredValue::new(templates);
    let selected = RwSignal::new(templates.with_value(|t| t[0].id.clone()));
    let phases = RwSignal::new(EditablePhase::from_template(&templates.with_value(|t| t[0].clone())));
    let goal = RwSignal::new(String::new());
    let control = RwSignal::new(TimerControl::Host);
    let auto_advance = RwSignal::new(false);
    let create = ServerAction::<CreateSession>::new();
    let error = RwSignal::new(None::<String>);

    let pick = move |id: String| {
        if let Some(t) = templates.with_value(|ts| ts.iter().find(|t| t.id == id).cloned()) {
            phases.set(EditablePhase::from_template(&t));
            selected.set(id);
        }
    };
    let current = Memo::new(move |_| {
        let id = selected.get();
        templates.with_value(|ts| ts.iter().find(|t| t.id == id).cloned())
    });

    Effect::new(move |_| match create.value().get() {
        Some(Ok(links)) => created.set(Some(links)),
        Some(Err(e)) => error.set(Some(clean_error(&e.to_string()))),
        None => {}
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Some(template) = current.get_untracked() else {
            return;
        };
        create.dispatch(CreateSession {
            request: NewSession {
                template_id: template.id,
                goal: goal.get_untracked(),
                phases: phases.get_untracked().into_iter().map(|p| p.phase).collect(),
                settings: SessionSettings {
                    timer_control: control.get_untracked(),
                    auto_advance: auto_advance.get_untracked(),
                },
            },
        });
    };

    view! {
        <form class="create" on:submit=submit novalidate>
            <fieldset class="card">
                <legend class="step"><span class="step__n">"1"</span>"Pick a format"</legend>
                <div class="templates" role="radiogroup" aria-label="Session format">
                    {templates.with_value(|ts| ts.iter().map(|t| {
                        let id = t.id.clone();
                        let id_check = t.id.clone();
                        let minutes = total_minutes(&t.phases);
                        let group = if t.group.min == t.group.max { format!("{} people", t.group.min) } else { format!("{}–{} people", t.group.min, t.group.max) };
                        view! {
                            <label class="template" class:template--on=move || selected.get() == id_check>
                                // `checked` too, so that the server-rendered page shows the choice before it hydrates.
                                <input type="radio" name="template" value=t.id.clone()
                                    checked=selected.get_untracked() == t.id
                                    prop:checked={let id = t.id.clone(); move || selected.get() == id}
                                    on:change=move |_| pick(id.clone())/>
                                <span class="template__name">{t.name.clone()}</span>
                                <span class="template__meta">{format!("{minutes} min · {group} · {} phases", t.phases.len())}</span>
                                <span class="template__summary">{t.summary.clone()}</span>
                            </label>
                        }
                    }).collect_view())}
                </div>
            </fieldset>

            <fieldset class="card">
                <legend class="step"><span class="step__n">"2"</span>"Shape the agenda"</legend>
                <p class="hint">
                    {move || format!("{} phases · {} minutes in all. Change titles, minutes and prompts as you like.",
                        phases.with(|p| p.len()),
                        phases.with(|p| p.iter().map(|x| x.phase.minutes).sum::<u32>()))}
                </p>
                <AgendaEditor phases=phases on_reset=move || pick(selected.get_untracked())/>
            </fieldset>

            <fieldset class="card">
                <legend class="step"><span class="step__n">"3"</span>"Goal and settings"</legend>
                <label class="field">
                    <span class="field__label">"Session goal " <span class="optional">"(optional)"</span></span>
                    <textarea rows="2" maxlength=limits::MAX_GOAL_CHARS
                        placeholder="e.g. Ben wants to get confident leading design reviews"
                        prop:value=move || goal.get()
                        on:input=move |ev| goal.set(event_target_value(&ev))></textarea>
                </label>
                <div class="field" role="radiogroup" aria-labelledby="control-label">
                    <span class="field__label" id="control-label">"Who runs the timer"</span>
                    <label class="choice">
                        <input type="radio" name="control" checked=control.get_untracked() == TimerControl::Host
                            prop:checked=move || control.get() == TimerControl::Host
                            on:change=move |_| control.set(TimerControl::Host)/>
                        "Only the host (you)"
                    </label>
                    <label class="choice">
                        <input type="radio" name="control" checked=control.get_untracked() == TimerControl::Everyone
                            prop:checked=move || control.get() == TimerControl::Everyone
                            on:change=move |_| control.set(TimerControl::Everyone)/>
                        "Everyone taking part"
                    </label>
                </div>
                <label class="choice">
                    <input type="checkbox" prop:checked=move || auto_advance.get()
                        on:change=move |ev| auto_advance.set(event_target_checked(&ev))/>
                    <span>
                        "Move to the next phase by itself when time is up"
                        <span class="hint">" (otherwise the clock counts overtime)"</span>
                    </span>
                </label>
            </fieldset>

            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <div class="actions">
                <button type="submit" class="button button--primary button--big" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create session" }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn Created(created: RwSignal<Option<CreatedSession>>) -> impl IntoView {
    let links = move || created.get();
    view! {
        {move || links().map(|l| view! {
            <section class="card created" aria-labelledby="created-title">
                <h1 id="created-title">"Your session is ready"</h1>
                <p class="lead">"Send the participant link to your peer. Keep the host link for yourself: it carries the controls."</p>
                <LinkList participant=l.participant_link.clone() host=Some(l.host_link.clone()) observer=l.observer_link.clone()/>
                <div class="actions">
                    <a class="button button--primary button--big" href=l.host_link.clone() rel="external" data-testid="open-host">"Open the session as host"</a>
                    <button type="button" class="button" on:click=move |_| created.set(None)>"Create another"</button>
                </div>
            </section>
        })}
    }
}

/// Server function errors arrive as "error running server function: …"; keep the sentence meant for people.
pub fn clean_error(raw: &str) -> String {
    raw.split_once("server function: ")
        .map_or(raw, |(_, msg)| msg)
        .to_string()
}
