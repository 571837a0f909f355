//! `/`: pick a template, adjust the agenda, write a goal, choose settings, create the session; and the sessions
//! created on this device. Creating leads to the session's ready page (`ready.rs`), which has an address of its own.

use crate::api::{CreateSession, NewSession};
use crate::components::agenda_editor::{is_unchanged, next_key, AgendaEditor, EditablePhase};
use crate::components::brand::Header;
use crate::components::focus_later;
use crate::components::rows::{rows_of, Rows};
use crate::components::when::When;
use crate::page_title;
use crate::pages::ready::{load_recent, ready_path, save_recent, RecentSession};
use leptos::prelude::*;
use tandem_core::session::{limits, total_minutes, Millis, SessionSettings, Template, TimerControl};

/// The create page's view, in a wasm file of its own (`cargo leptos build --split`): only this page and the ready
/// page (an empty `id` is the create page) fetch it (`lib.rs`, before it hydrates).
#[cfg(feature = "hydrate")]
#[lazy]
pub fn create_page() -> crate::LazyPage {
    |_, _| view! { <CreatePage/> }.into_any()
}

/// Id of the `<script type="application/json">` holding the shipped formats in the create page's HTML.
const TEMPLATES_SCRIPT_ID: &str = "tandem-templates";

/// The create page. The formats come with the page, like the session page's link data: the server writes them into
/// the HTML as JSON ([`TEMPLATES_SCRIPT_ID`]) and the browser reads them back when it hydrates, so the form is there
/// at once, with no request and no loading state. (`list_templates` stays, for other clients: the load generator.)
#[component]
pub fn CreatePage() -> impl IntoView {
    let (templates, json) = templates_in_page();
    page_title("New session");
    view! {
        <Header>
            <a class="button button--quiet button--small" href="/me" rel="external" data-testid="history-link">
                "Your history"
            </a>
        </Header>
        <main class="page">
            <section class="intro">
                <h1>"Start a peer-coaching session"</h1>
                <p class="lead">
                    "Pick a format, shape the agenda, and send one link to the people taking part. "
                    "Tandem keeps the time so you can keep the conversation."
                </p>
            </section>
            <RecentSessions/>
            {if templates.is_empty() {
                view! { <p class="error" role="alert">"No session formats are installed."</p> }.into_any()
            } else {
                view! { <CreateForm templates/> }.into_any()
            }}
        </main>
        <script type="application/json" id=TEMPLATES_SCRIPT_ID inner_html=json></script>
    }
}

/// On the server: the shipped formats, and the same as JSON for the page (`<` escaped, so no text can close the
/// script).
#[cfg(feature = "ssr")]
fn templates_in_page() -> (Vec<Template>, String) {
    let list = use_context::<crate::api::BackendHandle>()
        .map(|b| b.0.templates())
        .unwrap_or_default();
    let json = crate::api::page_json(&list);
    (list, json)
}

/// In the browser: read back from the server-rendered page.
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn templates_in_page() -> (Vec<Template>, String) {
    let json = crate::api::page_script(TEMPLATES_SCRIPT_ID);
    (serde_json::from_str(&json).unwrap_or_default(), json)
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn templates_in_page() -> (Vec<Template>, String) {
    (Vec::new(), String::new())
}

/// The agenda as it was before a template switch or a reset replaced it, for its undo.
#[derive(Clone, Debug, PartialEq)]
struct Replaced {
    /// The template chosen before.
    template_id: String,
    /// The agenda before, as edited.
    phases: Vec<EditablePhase>,
    /// What happened, for the note with the Undo button.
    message: String,
    /// A reset (the note shows under the agenda) rather than a switch (under the formats).
    via_reset: bool,
}

#[component]
fn CreateForm(templates: Vec<Template>) -> impl IntoView {
    let templates = StoredValue::new(templates);
    let selected = RwSignal::new(templates.with_value(|t| t[0].id.clone()));
    let phases = RwSignal::new(EditablePhase::from_template(&templates.with_value(|t| t[0].clone()), 0));
    let goal = RwSignal::new(String::new());
    let control = RwSignal::new(TimerControl::Host);
    let auto_advance = RwSignal::new(false);
    let workshop = RwSignal::new(None::<tandem_core::workshop::WorkshopSettings>);
    let skills = RwSignal::new(String::new());
    let create = ServerAction::<CreateSession>::new();
    let error = RwSignal::new(None::<String>);
    // Set by the first "Create session": from then on the agenda's first problem is also said under the button.
    let attempted = RwSignal::new(false);
    let removed = RwSignal::new(None::<(usize, EditablePhase)>);
    let replaced = RwSignal::new(None::<Replaced>);
    let navigating = RwSignal::new(false);
    // Coming back to this page from the ready page (the back button may restore it as it was left), it is ready
    // for another session.
    #[cfg(feature = "hydrate")]
    {
        let shown = window_event_listener_untyped("pageshow", move |_| navigating.set(false));
        on_cleanup(move || shown.remove());
    }

    let template = move |id: &str| templates.with_value(|ts| ts.iter().find(|t| t.id == id).cloned());
    // Replaces the agenda (and the template choice); when the agenda it replaces was edited, it stays available
    // for Undo. An unedited agenda replaced while an undo is pending keeps that undo (it still brings the edits back).
    let swap_in = move |id: String, new: Vec<EditablePhase>, message: String, via_reset: bool| {
        let before = phases.get_untracked();
        let before_id = selected.get_untracked();
        let edited = template(&before_id).is_none_or(|t| !is_unchanged(&before, &t));
        if edited {
            replaced.set(Some(Replaced {
                template_id: before_id,
                phases: before,
                message,
                via_reset,
            }));
        } else if replaced.with_untracked(Option::is_some) {
            replaced.update(|r| {
                if let Some(r) = r {
                    r.message = message;
                    r.via_reset = via_reset;
                }
            });
        }
        removed.set(None);
        phases.set(new);
        selected.set(id);
    };
    let load = move |id: String, via_reset: bool| {
        let Some(t) = template(&id) else {
            return;
        };
        let first_key = phases.with_untracked(|ps| next_key(ps));
        let message = if via_reset {
            format!("Agenda reset to “{}”.", t.name)
        } else {
            format!("Agenda replaced by “{}”.", t.name)
        };
        swap_in(id, EditablePhase::from_template(&t, first_key), message, via_reset);
    };
    let undo_replace = move |_| {
        let Some(r) = replaced.get_untracked() else {
            return;
        };
        replaced.set(None);
        let name = template(&r.template_id).map(|t| t.name).unwrap_or_default();
        let focus = if r.via_reset {
            "agenda-reset".to_string()
        } else {
            format!("template-{}", r.template_id)
        };
        swap_in(
            r.template_id,
            r.phases,
            format!("Your edited “{name}” agenda is back."),
            r.via_reset,
        );
        focus_later(focus);
    };
    let current = Memo::new(move |_| {
        let id = selected.get();
        template(&id)
    });
    // The first phase with a problem: (its number, the id of the field to fix, what is wrong), and how many have one.
    let first_problem = Memo::new(move |_| {
        phases.with(|ps| {
            let bad: Vec<_> = ps
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.problem().map(|(f, m)| (i + 1, p.field_id(f), m)))
                .collect();
            bad.first().cloned().map(|first| (first, bad.len()))
        })
    });

    Effect::new(move |_| match create.value().get() {
        Some(Ok(links)) => {
            let token = links
                .host_link
                .split_once('?')
                .and_then(|(_, q)| crate::query_param(q, "t"))
                .unwrap_or_default();
            navigating.set(true);
            // A full page load: the ready page has an address of its own, so a reload or a bookmark keeps it. A
            // workshop opens on the facilitator's page, which lists its links.
            let next = if workshop.with_untracked(Option::is_some) {
                links.host_link.clone()
            } else {
                ready_path(&links.id, &token)
            };
            #[cfg(feature = "hydrate")]
            let _ = window().location().assign(&next);
            #[cfg(not(feature = "hydrate"))]
            let _ = (next, navigating);
        }
        Some(Err(e)) => error.set(Some(clean_error(&e.to_string()))),
        None => {}
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        attempted.set(true);
        // Nothing is sent while a field is wrong: the first one gets the focus (its message is tied to it).
        if let Some(((_, field, _), _)) = first_problem.get_untracked() {
            focus_later(field);
            return;
        }
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
                    breakout: false,
                },
                workshop: workshop.get_untracked(),
                // One skill a line; only a workshop has skills.
                skills: match workshop.with_untracked(Option::is_some) {
                    true => skills.with_untracked(|s| {
                        s.lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(String::from)
                            .collect()
                    }),
                    false => Vec::new(),
                },
            },
        });
    };
    let replaced_note = move |reset_note: bool| {
        view! {
            <When when=move || replaced.with(|r| r.as_ref().is_some_and(|r| r.via_reset == reset_note))>
                <p class="undo-note undo-note--block" role="status" data-testid="replaced-note">
                    {move || replaced.with(|r| r.as_ref().map(|r| r.message.clone()))}
                    " "
                    <button type="button" class="link-button" on:click=undo_replace>"Undo"</button>
                </p>
            </When>
        }
    };
    let agenda_error = move || {
        if !attempted.get() {
            return None;
        }
        first_problem.get().map(|((n, _, msg), count)| {
            if count == 1 {
                format!("Phase {n} needs a fix before the session can be created: {msg}")
            } else {
                format!("{count} phases need a fix before the session can be created (marked in red). Phase {n}: {msg}")
            }
        })
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
                                <input type="radio" name="template" value=t.id.clone() id=format!("template-{}", t.id)
                                    checked=selected.get_untracked() == t.id
                                    prop:checked={let id = t.id.clone(); move || selected.get() == id}
                                    on:change=move |_| load(id.clone(), false)/>
                                <span class="template__name">{t.name.clone()}</span>
                                <span class="template__meta">{format!("{minutes} min · {group} · {} phases", t.phases.len())}</span>
                                <span class="template__summary">{t.summary.clone()}</span>
                            </label>
                        }
                    }).collect_view())}
                </div>
                {replaced_note(false)}
            </fieldset>

            <fieldset class="card">
                <legend class="step"><span class="step__n">"2"</span>"Shape the agenda"</legend>
                <p class="hint" data-testid="agenda-total">
                    {move || phases.with(|ps| {
                        let total: u32 = ps.iter().filter_map(EditablePhase::valid_minutes).sum();
                        let bad = ps.iter().filter(|p| p.valid_minutes().is_none()).count();
                        let phases_word = if ps.len() == 1 { "phase" } else { "phases" };
                        let minutes_word = if total == 1 { "minute" } else { "minutes" };
                        match bad {
                            0 => format!("{} {phases_word} · {total} {minutes_word} in all. Change titles, minutes and prompts as you like.", ps.len()),
                            1 => format!("{} {phases_word} · {total} {minutes_word} in all, not counting 1 phase with invalid minutes.", ps.len()),
                            n => format!("{} {phases_word} · {total} {minutes_word} in all, not counting {n} phases with invalid minutes.", ps.len()),
                        }
                    })}
                </p>
                <AgendaEditor phases=phases removed=removed on_reset=move || load(selected.get_untracked(), true)/>
                {replaced_note(true)}
            </fieldset>

            <fieldset class="card">
                <legend class="step"><span class="step__n">"3"</span>"Goal and settings"</legend>
                <crate::components::workshop_options::WorkshopOptions workshop skills/>
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

            <p class="error" role="alert" data-testid="create-error">{move || agenda_error().or_else(|| error.get())}</p>
            <div class="actions">
                <button type="submit" class="button button--primary button--big" disabled=move || create.pending().get() || navigating.get()>
                    {move || if create.pending().get() || navigating.get() { "Creating…" } else if workshop.with(Option::is_some) { "Create workshop" } else { "Create session" }}
                </button>
            </div>
        </form>
    }
}

/// "Recent sessions on this device": each leads to its ready page; each can be removed from the list (with undo).
/// Read from `localStorage` once the page runs in the browser; hidden while empty.
#[component]
fn RecentSessions() -> impl IntoView {
    let recent = RwSignal::new(Vec::<RecentSession>::new());
    let removed = RwSignal::new(None::<(usize, RecentSession)>);
    Effect::new(move |_| recent.set(load_recent()));
    // The back button may restore this page as it was left, before the session just created was listed.
    #[cfg(feature = "hydrate")]
    {
        let shown = window_event_listener_untyped("pageshow", move |_| recent.set(load_recent()));
        on_cleanup(move || shown.remove());
    }
    let remove = move |id: String| {
        let mut taken = None;
        recent.update(|list| {
            if let Some(i) = list.iter().position(|s| s.id == id) {
                taken = Some((i, list.remove(i)));
            }
        });
        if taken.is_some() {
            recent.with_untracked(|list| save_recent(list));
            removed.set(taken);
            focus_later("recent-undo".into());
        }
    };
    let undo = move |_| {
        if let Some((at, s)) = removed.get_untracked() {
            recent.update(|list| list.insert(at.min(list.len()), s));
            recent.with_untracked(|list| save_recent(list));
            removed.set(None);
        }
    };
    view! {
        <When when=move || recent.with(|r| !r.is_empty()) || removed.with(Option::is_some)>
            <section class="card recent" aria-labelledby="recent-title">
                <h2 id="recent-title">"Recent sessions on this device"</h2>
                <ul class="recent__list">
                    <Rows each=rows_of(move || recent.get(), |s| s.id.clone(), move |s| {
                            let when = local_time(s.created_at);
                            let label = format!("Remove {} of {when} from this list", s.template_name);
                            let id = s.id.clone();
                            let goal = s.goal.trim().to_string();
                            view! {
                                <li class="recent__item" data-testid="recent-session">
                                    <a class="recent__link" href=s.ready_path.clone() rel="external">
                                        <span class="recent__name">{s.template_name.clone()}</span>
                                        {(!goal.is_empty()).then(|| view! { <span class="recent__goal">{goal}</span> })}
                                        <span class="recent__when">{format!("Created {when}")}</span>
                                    </a>
                                    <button type="button" class="button button--small button--quiet" aria-label=label
                                        on:click=move |_| remove(id.clone())>"Remove"</button>
                                </li>
                            }.into_any()
                    })/>
                </ul>
                <When when=move || removed.with(Option::is_some)>
                    <p class="undo-note undo-note--block" role="status">
                        {move || removed.with(|r| r.as_ref().map(|(_, s)| format!("Removed “{}” from this list.", s.template_name)))}
                        " "
                        <button type="button" class="link-button" id="recent-undo" on:click=undo>"Undo"</button>
                    </p>
                </When>
            </section>
        </When>
    }
}

/// `at` as the browser's local date and time ("6 Dec 2026, 04:05"); the server never renders the list.
fn local_time(at: Millis) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
        let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
        let locale = window().navigator().language().unwrap_or_else(|| "en".into());
        String::from(date.to_locale_string(&locale, &options))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = at;
        String::new()
    }
}

/// Server function errors arrive as "error running server function: …"; keep the sentence meant for people.
pub fn clean_error(raw: &str) -> String {
    raw.split_once("server function: ")
        .map_or(raw, |(_, msg)| msg)
        .to_string()
}
