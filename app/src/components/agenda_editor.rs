//! Editing a template's agenda before creating the session: titles, minutes, prompts; add, remove, reorder.

use crate::components::when::When;
use crate::session::{limits, PhaseSpec, Template};
use leptos::prelude::*;

/// A phase being edited, with a stable key for the list.
#[derive(Clone, Debug, PartialEq)]
pub struct EditablePhase {
    /// Stable key while editing.
    pub key: u32,
    /// The phase.
    pub phase: PhaseSpec,
}

impl EditablePhase {
    /// The template's agenda, ready to edit.
    pub fn from_template(t: &Template) -> Vec<EditablePhase> {
        t.phases
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, phase)| EditablePhase { key: i as u32, phase })
            .collect()
    }
}

/// The agenda as an editable list.
#[component]
pub fn AgendaEditor(phases: RwSignal<Vec<EditablePhase>>, on_reset: impl Fn() + 'static) -> impl IntoView {
    let removed = RwSignal::new(None::<(usize, EditablePhase)>);
    let edit = move |key: u32, f: &dyn Fn(&mut PhaseSpec)| {
        phases.update(|ps| {
            if let Some(p) = ps.iter_mut().find(|p| p.key == key) {
                f(&mut p.phase);
            }
        })
    };
    let add = move |_| {
        phases.update(|ps| {
            let key = ps.iter().map(|p| p.key).max().map_or(0, |k| k + 1);
            ps.push(EditablePhase {
                key,
                phase: PhaseSpec {
                    title: "New phase".into(),
                    minutes: 5,
                    prompt: String::new(),
                    questions: vec![],
                    notes: vec![],
                    form: None,
                },
            });
        })
    };
    let undo_remove = move |_| {
        if let Some((at, p)) = removed.get_untracked() {
            phases.update(|ps| ps.insert(at.min(ps.len()), p));
            removed.set(None);
        }
    };
    view! {
        <ol class="agenda-edit">
            <For each=move || phases.get() key=|p| p.key let:item>
                {
                    let key = item.key;
                    let index = move || phases.with(|ps| ps.iter().position(|p| p.key == key).unwrap_or(0));
                    let field = move |f: fn(&PhaseSpec) -> String| move || phases.with(|ps| ps.iter().find(|p| p.key == key).map(|p| f(&p.phase)).unwrap_or_default());
                    let title_id = format!("phase-{key}-title");
                    let minutes_id = format!("phase-{key}-minutes");
                    // Also as attributes, so that the server-rendered page shows the agenda before it hydrates.
                    let (first_title, first_minutes) = untrack(|| (field(|p| p.title.clone())(), field(|p| p.minutes.to_string())()));
                    view! {
                        <li class="agenda-edit__row">
                            <span class="agenda-edit__n" aria-hidden="true">{move || index() + 1}</span>
                            <div class="agenda-edit__main">
                                <div class="agenda-edit__line">
                                    <label class="sr-only" for=title_id.clone()>{move || format!("Title of phase {}", index() + 1)}</label>
                                    <input id=title_id class="agenda-edit__title" type="text" maxlength=limits::MAX_TITLE_CHARS
                                        value=first_title prop:value=field(|p| p.title.clone())
                                        on:input=move |ev| { let v = event_target_value(&ev); edit(key, &|p| p.title = v.clone()) }/>
                                    <label class="sr-only" for=minutes_id.clone()>{move || format!("Minutes for phase {}", index() + 1)}</label>
                                    <input id=minutes_id class="agenda-edit__minutes" type="number" min="1" max=limits::MAX_PHASE_MINUTES inputmode="numeric"
                                        value=first_minutes prop:value=field(|p| p.minutes.to_string())
                                        on:input=move |ev| {
                                            let v = event_target_value(&ev).parse::<u32>().unwrap_or(0);
                                            edit(key, &|p| p.minutes = v)
                                        }/>
                                    <span class="agenda-edit__unit" aria-hidden="true">"min"</span>
                                </div>
                                <details class="agenda-edit__more">
                                    <summary>"Prompt and questions"</summary>
                                    <label class="field">
                                        <span class="field__label">"Prompt"</span>
                                        <textarea rows="2" maxlength=limits::MAX_PROMPT_CHARS
                                            prop:value=field(|p| p.prompt.clone())
                                            on:input=move |ev| { let v = event_target_value(&ev); edit(key, &|p| p.prompt = v.clone()) }></textarea>
                                    </label>
                                    <label class="field">
                                        <span class="field__label">"Guiding questions, one per line"</span>
                                        <textarea rows="3"
                                            prop:value=field(|p| p.questions.join("\n"))
                                            on:input=move |ev| {
                                                let v = event_target_value(&ev);
                                                edit(key, &|p| p.questions = v.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
                                            }></textarea>
                                    </label>
                                </details>
                            </div>
                            <div class="agenda-edit__tools">
                                <button type="button" class="icon-button" aria-label=move || format!("Move phase {} up", index() + 1)
                                    disabled=move || index() == 0
                                    on:click={move |_| phases.update(|ps| { let i = index(); if i > 0 { ps.swap(i, i - 1) } })}>"↑"</button>
                                <button type="button" class="icon-button" aria-label=move || format!("Move phase {} down", index() + 1)
                                    disabled={move || index() + 1 >= phases.with(|p| p.len())}
                                    on:click={move |_| phases.update(|ps| { let i = index(); if i + 1 < ps.len() { ps.swap(i, i + 1) } })}>"↓"</button>
                                <button type="button" class="icon-button icon-button--danger" aria-label=move || format!("Remove phase {}", index() + 1)
                                    disabled={move || phases.with(|p| p.len() <= 1)}
                                    on:click=move |_| {
                                        let i = index();
                                        phases.update(|ps| { if ps.len() > 1 { removed.set(Some((i, ps.remove(i)))); } })
                                    }>"✕"</button>
                            </div>
                        </li>
                    }
                }
            </For>
        </ol>
        <div class="agenda-edit__footer">
            <button type="button" class="button button--small" on:click=add>"+ Add a phase"</button>
            <button type="button" class="button button--small button--quiet" on:click=move |_| { removed.set(None); on_reset() }>"Reset to the template"</button>
            <When when=move || removed.get().is_some()>
                <span class="undo-note" role="status">
                    {move || removed.get().map(|(_, p)| format!("Removed “{}”.", p.phase.title))}
                    " "
                    <button type="button" class="link-button" on:click=undo_remove>"Undo"</button>
                </span>
            </When>
        </div>
    }
}
