//! Editing a template's agenda before creating the session: titles, minutes, prompts; add, remove, reorder.
//!
//! A signal is never read inside its own `update` (that panics: the value is locked for writing, and the release
//! build aborts the whole page): every handler works on the `&mut` value it is given, or reads first and writes after.

use super::focus_later;
use crate::components::rows::{rows_of, Rows};
use crate::components::when::When;
use leptos::prelude::*;
use tandem_core::session::{limits, PhaseSpec, Template};

/// A phase being edited, with a stable key for the list.
#[derive(Clone, Debug, PartialEq)]
pub struct EditablePhase {
    /// Stable key while editing (unique within the list; ids of the row's fields are built from it).
    pub key: u32,
    /// The phase. Its `minutes` is the last valid value typed; see `minutes_text`.
    pub phase: PhaseSpec,
    /// The minutes as typed, which may be invalid (empty, `2.5`, `-3`): [`minutes_problem`] says why.
    pub minutes_text: String,
}

impl EditablePhase {
    /// The template's agenda, ready to edit, with keys from `first_key` on (a new agenda gets keys the current
    /// list does not use, so that its rows are built afresh).
    pub fn from_template(t: &Template, first_key: u32) -> Vec<EditablePhase> {
        t.phases
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, phase)| EditablePhase {
                key: first_key + i as u32,
                minutes_text: phase.minutes.to_string(),
                phase,
            })
            .collect()
    }

    /// What is wrong with this phase as typed, if anything: (which field, the sentence for people).
    pub fn problem(&self) -> Option<(Field, &'static str)> {
        title_problem(&self.phase.title)
            .map(|m| (Field::Title, m))
            .or_else(|| minutes_problem(&self.minutes_text).map(|m| (Field::Minutes, m)))
    }

    /// The minutes if valid as typed.
    pub fn valid_minutes(&self) -> Option<u32> {
        minutes_problem(&self.minutes_text)
            .is_none()
            .then_some(self.phase.minutes)
    }

    /// The id of this row's input for `field`.
    pub fn field_id(&self, field: Field) -> String {
        field_id(self.key, field)
    }
}

/// An input of a phase row that can be wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The phase's title.
    Title,
    /// The phase's minutes.
    Minutes,
}

fn field_id(key: u32, field: Field) -> String {
    match field {
        Field::Title => format!("phase-{key}-title"),
        Field::Minutes => format!("phase-{key}-minutes"),
    }
}

/// The next key that no phase in `phases` uses.
pub fn next_key(phases: &[EditablePhase]) -> u32 {
    phases.iter().map(|p| p.key).max().map_or(0, |k| k + 1)
}

/// Whether `phases` is the template's agenda unchanged.
pub fn is_unchanged(phases: &[EditablePhase], t: &Template) -> bool {
    phases.len() == t.phases.len()
        && phases
            .iter()
            .zip(&t.phases)
            .all(|(p, tp)| &p.phase == tp && p.minutes_text == tp.minutes.to_string())
}

/// Why `text` is not a valid number of minutes for a phase, or `None`.
pub fn minutes_problem(text: &str) -> Option<&'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Some("Enter the minutes: a whole number from 1 to 240.");
    }
    let digits = text.strip_prefix('+').unwrap_or(text);
    if text.starts_with('-') {
        return Some("Minutes cannot be negative: enter a whole number from 1 to 240.");
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) || digits.is_empty() {
        return Some("Use whole minutes: a number from 1 to 240, without decimals.");
    }
    match digits.parse::<u32>() {
        Ok(0) => Some("A phase needs at least 1 minute."),
        Ok(m) if m <= limits::MAX_PHASE_MINUTES => None,
        _ => Some("A phase can last at most 240 minutes."),
    }
}

/// Why `title` is not a valid phase title, or `None` (the input's `maxlength` keeps it short enough).
pub fn title_problem(title: &str) -> Option<&'static str> {
    title.trim().is_empty().then_some("Give this phase a title.")
}

/// The agenda as an editable list. `removed` holds the last removed phase and where it was (for its undo); the
/// page clears it when it replaces the whole agenda.
#[component]
pub fn AgendaEditor(
    phases: RwSignal<Vec<EditablePhase>>,
    removed: RwSignal<Option<(usize, EditablePhase)>>,
    on_reset: impl Fn() + 'static,
) -> impl IntoView {
    // What the last move did, for screen readers (the row moves, the focus stays on its button).
    let moved = RwSignal::new(String::new());
    let edit = move |key: u32, f: &dyn Fn(&mut EditablePhase)| {
        phases.update(|ps| {
            if let Some(p) = ps.iter_mut().find(|p| p.key == key) {
                f(p);
            }
        })
    };
    // Moves the phase `key` one place up or down; works on the list it is given (never reads `phases` inside).
    let move_phase = move |key: u32, up: bool| {
        let mut done = None;
        phases.update(|ps| {
            let Some(i) = ps.iter().position(|p| p.key == key) else {
                return;
            };
            let j = if up {
                i.checked_sub(1)
            } else {
                Some(i + 1).filter(|j| *j < ps.len())
            };
            if let Some(j) = j {
                ps.swap(i, j);
                done = Some((ps[j].phase.title.clone(), j, ps.len()));
            }
        });
        if let Some((title, at, len)) = done {
            moved.set(format!("Moved “{title}” to position {} of {len}.", at + 1));
            // The clicked button moved with its row; keep the focus on it, or on its twin when it is now disabled.
            let edge = if up { at == 0 } else { at + 1 == len };
            let which = if up != edge { "up" } else { "down" };
            focus_later(format!("phase-{key}-{which}"));
        }
    };
    let add = move |_| {
        let mut new_key = None;
        phases.update(|ps| {
            if ps.len() >= limits::MAX_PHASES {
                return;
            }
            let key = next_key(ps);
            ps.push(EditablePhase {
                key,
                phase: PhaseSpec {
                    title: "New phase".into(),
                    minutes: 5,
                    prompt: String::new(),
                    questions: vec![],
                    notes: vec![],
                    form: None,
                    lead_role: None,
                },
                minutes_text: "5".into(),
            });
            new_key = Some(key);
        });
        if let Some(key) = new_key {
            focus_later(field_id(key, Field::Title));
        }
    };
    let remove = move |key: u32| {
        let mut taken = None;
        phases.update(|ps| {
            if ps.len() > 1 {
                if let Some(i) = ps.iter().position(|p| p.key == key) {
                    taken = Some((i, ps.remove(i)));
                }
            }
        });
        if taken.is_some() {
            removed.set(taken);
            // The removed row's buttons are gone: keep the keyboard in the same place, on the way back.
            focus_later("agenda-undo-remove".to_string());
        }
    };
    let undo_remove = move |_| {
        if let Some((at, p)) = removed.get_untracked() {
            let key = p.key;
            phases.update(|ps| ps.insert(at.min(ps.len()), p));
            removed.set(None);
            focus_later(field_id(key, Field::Title));
        }
    };
    view! {
        <ol class="agenda-edit">
            <Rows each=rows_of(move || phases.get(), |p| p.key, move |item| {
                    let key = item.key;
                    let index = move || phases.with(|ps| ps.iter().position(|p| p.key == key).unwrap_or(0));
                    let field = move |f: fn(&EditablePhase) -> String| move || phases.with(|ps| ps.iter().find(|p| p.key == key).map(f).unwrap_or_default());
                    let title_id = field_id(key, Field::Title);
                    let minutes_id = field_id(key, Field::Minutes);
                    let title_error_id = format!("{title_id}-error");
                    let minutes_error_id = format!("{minutes_id}-error");
                    let title_error = move || phases.with(|ps| ps.iter().find(|p| p.key == key).and_then(|p| title_problem(&p.phase.title)));
                    let minutes_error = move || phases.with(|ps| ps.iter().find(|p| p.key == key).and_then(|p| minutes_problem(&p.minutes_text)));
                    // Also as attributes, so that the server-rendered page shows the agenda before it hydrates. The
                    // minutes keep what the person typed (a row is built afresh when the whole agenda changes).
                    let first_title = item.phase.title.clone();
                    let first_minutes = item.minutes_text.clone();
                    view! {
                        <li class="agenda-edit__row">
                            <span class="agenda-edit__n" aria-hidden="true">{move || index() + 1}</span>
                            <div class="agenda-edit__main">
                                <div class="agenda-edit__line">
                                    <label class="sr-only" for=title_id.clone()>{move || format!("Title of phase {}", index() + 1)}</label>
                                    <input id=title_id class="agenda-edit__title" type="text" maxlength=limits::MAX_TITLE_CHARS
                                        value=first_title prop:value=field(|p| p.phase.title.clone())
                                        aria-invalid=move || title_error().map(|_| "true")
                                        aria-describedby=title_error_id.clone()
                                        on:input=move |ev| { let v = event_target_value(&ev); edit(key, &|p| p.phase.title = v.clone()) }/>
                                    <label class="sr-only" for=minutes_id.clone()>{move || format!("Minutes for phase {}", index() + 1)}</label>
                                    <input id=minutes_id class="agenda-edit__minutes" type="number" min="1" max=limits::MAX_PHASE_MINUTES step="1" inputmode="numeric"
                                        value=first_minutes
                                        aria-invalid=move || minutes_error().map(|_| "true")
                                        aria-describedby=minutes_error_id.clone()
                                        on:input=move |ev| {
                                            let v = event_target_value(&ev);
                                            edit(key, &|p| {
                                                if minutes_problem(&v).is_none() {
                                                    p.phase.minutes = v.trim().trim_start_matches('+').parse().unwrap_or(p.phase.minutes);
                                                }
                                                p.minutes_text = v.clone();
                                            })
                                        }/>
                                    <span class="agenda-edit__unit" aria-hidden="true">"min"</span>
                                </div>
                                <p class="field-error" id=title_error_id data-testid="title-error">{title_error}</p>
                                <p class="field-error" id=minutes_error_id data-testid="minutes-error">{minutes_error}</p>
                                <details class="agenda-edit__more">
                                    <summary>"Prompt and questions"</summary>
                                    <label class="field">
                                        <span class="field__label">"Prompt"</span>
                                        <textarea rows="2" maxlength=limits::MAX_PROMPT_CHARS
                                            prop:value=field(|p| p.phase.prompt.clone())
                                            on:input=move |ev| { let v = event_target_value(&ev); edit(key, &|p| p.phase.prompt = v.clone()) }></textarea>
                                    </label>
                                    <label class="field">
                                        <span class="field__label">"Guiding questions, one per line"</span>
                                        <textarea rows="3"
                                            prop:value=field(|p| p.phase.questions.join("\n"))
                                            on:input=move |ev| {
                                                let v = event_target_value(&ev);
                                                edit(key, &|p| p.phase.questions = v.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
                                            }></textarea>
                                    </label>
                                </details>
                            </div>
                            <div class="agenda-edit__tools">
                                <button type="button" class="icon-button" id=format!("phase-{key}-up")
                                    aria-label=move || format!("Move phase {} up", index() + 1)
                                    disabled=move || index() == 0
                                    on:click=move |_| move_phase(key, true)>"↑"</button>
                                <button type="button" class="icon-button" id=format!("phase-{key}-down")
                                    aria-label=move || format!("Move phase {} down", index() + 1)
                                    disabled={move || index() + 1 >= phases.with(|p| p.len())}
                                    on:click=move |_| move_phase(key, false)>"↓"</button>
                                <button type="button" class="icon-button icon-button--danger" aria-label=move || format!("Remove phase {}", index() + 1)
                                    disabled={move || phases.with(|p| p.len() <= 1)}
                                    on:click=move |_| remove(key)>"✕"</button>
                            </div>
                        </li>
                    }.into_any()
            })/>
        </ol>
        <p class="sr-only" role="status">{move || moved.get()}</p>
        <div class="agenda-edit__footer">
            <button type="button" class="button button--small" on:click=add
                disabled=move || phases.with(|p| p.len() >= limits::MAX_PHASES)>"+ Add a phase"</button>
            <button type="button" class="button button--small button--quiet" id="agenda-reset"
                on:click=move |_| { removed.set(None); on_reset() }>"Reset to the template"</button>
            <When when=move || removed.get().is_some()>
                <span class="undo-note" role="status">
                    {move || removed.get().map(|(_, p)| format!("Removed “{}”.", p.phase.title))}
                    " "
                    <button type="button" class="link-button" id="agenda-undo-remove" on:click=undo_remove>"Undo"</button>
                </span>
            </When>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_as_typed_are_checked() {
        assert_eq!(minutes_problem("5"), None);
        assert_eq!(minutes_problem(" 240 "), None);
        for bad in ["", " ", "2.5", "-3", "0", "241", "abc", "1e2", "99999999999"] {
            assert!(minutes_problem(bad).is_some(), "{bad:?}");
        }
        assert!(minutes_problem("-3").is_some_and(|m| m.contains("negative")));
        assert!(minutes_problem("2.5").is_some_and(|m| m.contains("whole")));
    }
}
