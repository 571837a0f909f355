//! Shared notes of the current phase and the session's commitments, edited live by everyone.

use crate::components::presence::COLOURS;
use crate::components::rows::{rows_of, Rows};
use crate::components::when::When;
use crate::sync::{storage, LiveSession, NotesStatus};
use leptos::prelude::*;
use tandem_core::notes::{clean_text, is_date, Commitment, CommitmentField, MAX_COMMITMENT_CHARS};
use tandem_core::session::{Capability, NoteSection, ParticipantId};

/// The note sections of the current phase, with who is in each and whether everything is saved.
#[component]
pub fn NotesPanel(
    live: LiveSession,
    /// The sections to show.
    #[prop(into)]
    sections: Signal<Vec<NoteSection>>,
    /// Observers read only.
    #[prop(into)]
    read_only: Signal<bool>,
) -> impl IntoView {
    // A phase whose sections are all private (SBI "Prepare") has no shared notes to speak of.
    let all_private = Memo::new(move |_| sections.with(|list| !list.is_empty() && list.iter().all(|s| s.private)));
    view! {
        <section class="card notes" aria-labelledby="notes-title">
            <h2 id="notes-title" class="card__title">
                {move || match (all_private.get(), read_only.get()) {
                    (true, false) => "Your private notes",
                    (true, true) => "Private drafts",
                    _ => "Shared notes",
                }}
                // Observers write nothing, so "Saved" would claim something about their own edits that is not there.
                <When when=move || !read_only.get() && !all_private.get()>
                    <SaveStatus live/>
                </When>
            </h2>
            <When when=move || live.notes_full.get()>
                <p class="notes__full" role="alert">
                    {tandem_core::notes::FULL_MESSAGE}" "
                    // Only the relay's refusal leaves edits waiting; a keystroke this browser refused was undone.
                    <When when=move || live.notes_unsynced.get() != 0>
                        <button class="link-button" on:click=move |_| live.retry_notes()>"Send again"</button>
                    </When>
                </p>
            </When>
            <Rows each=rows_of(move || sections.get(), |s| s.id.clone(), move |section| if section.private {
                view! { <PrivateSectionEditor live section read_only/> }.into_any()
            } else {
                view! { <SectionEditor live section read_only/> }.into_any()
            })/>
        </section>
    }
}

/// "Saved", "Syncing…" or "Offline — N sections not synced" (a section, or the commitments, counts once however many
/// keystrokes it took).
#[component]
pub fn SaveStatus(live: LiveSession) -> impl IntoView {
    let status = move || live.notes_status();
    view! {
        <span class="save-status" data-testid="notes-status" data-state=move || match status() {
            NotesStatus::Saved => "saved",
            NotesStatus::Syncing(_) => "syncing",
            NotesStatus::Offline(_) => "offline",
        } role="status">
            {move || match status() {
                NotesStatus::Saved => "✓ Saved".to_string(),
                NotesStatus::Syncing(_) => "Syncing…".to_string(),
                NotesStatus::Offline(1) => "Offline — 1 section not synced".to_string(),
                NotesStatus::Offline(n) => format!("Offline — {n} sections not synced"),
            }}
        </span>
    }
}

/// One section: its title, who else is in it, and the shared text.
#[component]
fn SectionEditor(live: LiveSession, section: NoteSection, read_only: Signal<bool>) -> impl IntoView {
    let id = section.id.clone();
    let input_id = format!("note-{id}");
    let node = NodeRef::<leptos::html::Textarea>::new();
    {
        let id = id.clone();
        Effect::new(move |_| {
            if let Some(el) = node.get() {
                live.bind_editor(&id, el);
            }
        });
    }
    {
        let id = id.clone();
        on_cleanup(move || live.unbind_editor(&id));
    }
    let peers = {
        let id = id.clone();
        Memo::new(move |_| {
            live.section_peers
                .get()
                .into_iter()
                .filter(|p| p.section == id)
                .collect::<Vec<_>>()
        })
    };
    let on_input = {
        let id = id.clone();
        move |_| live.notes_input(&id)
    };
    // Observers read along without showing up as "writing here".
    let on_focus = {
        let id = id.clone();
        move |_| {
            if !read_only.get_untracked() {
                live.focus_section(Some(id.clone()));
            }
        }
    };
    view! {
        <div class="note-section" data-testid="note-section" data-section=id.clone()>
            <div class="note-section__head">
                <label class="field__label" for=input_id.clone()>{section.title.clone()}</label>
                <ul class="note-section__peers" data-testid="section-peers" aria-label="Also writing here">
                    <Rows each=rows_of(move || peers.get(), |p| (p.pid, p.name.clone()), |peer| view! {
                        <li class=format!("peer-chip avatar--c{}", peer.colour % COLOURS) title=format!("{} is writing here", peer.name)>
                            {peer.name.clone()}
                        </li>
                    }.into_any())/>
                </ul>
            </div>
            <textarea
                id=input_id
                node_ref=node
                rows="4"
                placeholder=section.hint.clone()
                readonly=move || read_only.get()
                data-testid=format!("notes-{id}")
                on:input=on_input
                on:focus=on_focus
                on:blur=move |_| live.focus_section(None)
            ></textarea>
        </div>
    }
}

/// A private section: the viewer's own text, which only they receive (observers see why there is nothing to write).
#[component]
fn PrivateSectionEditor(live: LiveSession, section: NoteSection, read_only: Signal<bool>) -> impl IntoView {
    let id = StoredValue::new(section.id.clone());
    let input_id = format!("note-{}", section.id);
    let hint_id = format!("note-{}-hint", section.id);
    let draft = Memo::new(move |_| {
        live.private_drafts
            .with(|list| id.with_value(|id| list.iter().find(|d| &d.section == id).cloned()))
    });
    let text = Memo::new(move |_| draft.with(|d| d.as_ref().map(|d| d.text.clone()).unwrap_or_default()));
    let saved = Memo::new(move |_| draft.with(|d| d.as_ref().is_none_or(|d| d.saved)));
    let refused = Memo::new(move |_| id.with_value(|id| live.private_refused.with(|r| r.contains(id))));
    let online = Memo::new(move |_| live.status.get() == crate::sync::ConnStatus::Live);
    view! {
        <div class="note-section note-section--private" data-testid="note-section" data-section=section.id.clone()>
            <div class="note-section__head">
                <label class="field__label" for=input_id.clone()>{section.title.clone()}</label>
                <When when=move || !read_only.get()>
                    <span class="save-status" data-testid="private-status" role="status"
                        data-state=move || if saved.get() { "saved" } else if refused.get() { "refused" } else if online.get() { "syncing" } else { "offline" }>
                        {move || if saved.get() {
                            "✓ Saved"
                        } else if refused.get() {
                            "Not saved — change the text to try again"
                        } else if online.get() {
                            "Saving…"
                        } else {
                            "Offline — kept in this browser"
                        }}
                    </span>
                </When>
            </div>
            {move || if read_only.get() {
                view! {
                    <p class="hint" data-testid="private-observer">
                        "Each participant writes a private draft here; observers don't see them."
                    </p>
                }.into_any()
            } else {
                view! {
                    <p id=hint_id.clone() class="hint note-section__private-hint">"Only you can see this draft. Share it in your own words when it is your turn."</p>
                    <textarea
                        id=input_id.clone()
                        rows="4"
                        placeholder=section.hint.clone()
                        aria-describedby=hint_id.clone()
                        maxlength=tandem_core::protocol::MAX_PRIVATE_NOTE_CHARS.to_string()
                        prop:value=move || text.get()
                        data-testid=id.with_value(|id| format!("private-{id}"))
                        on:input=move |ev| id.with_value(|id| live.private_input(id, event_target_value(&ev)))
                        on:blur=move |_| live.private_flush()
                    ></textarea>
                }.into_any()
            }}
        </div>
    }
}

/// The commitments everyone agreed on: add, edit, tick, remove (with undo).
#[component]
pub fn CommitmentsCard(
    live: LiveSession,
    /// Observers read only.
    #[prop(into)]
    read_only: Signal<bool>,
) -> impl IntoView {
    let removed = RwSignal::new(None::<Commitment>);
    let remove = move |c: Commitment| {
        live.remove_commitment(&c.id);
        removed.set(Some(c));
    };
    view! {
        <section class="card commitments" aria-labelledby="commitments-title">
            <h2 id="commitments-title" class="card__title">
                "Commitments"
                <span class="count">{move || {
                    let list = live.commitments.get();
                    let done = list.iter().filter(|c| c.done).count();
                    if list.is_empty() { String::new() } else { format!("{done} of {} done", list.len()) }
                }}</span>
            </h2>
            <When when=move || live.commitments.with(Vec::is_empty)>
                <p class="hint" data-testid="commitments-empty">{move || if read_only.get() {
                    "No commitments yet."
                } else {
                    "No commitments yet. Agree on a next step, give it an owner and add it here."
                }}</p>
            </When>
            <ul class="commitment-list" data-testid="commitments">
                <Rows each=rows_of(move || live.commitments.get(), |c| c.id.clone(), move |c| view! {
                    <CommitmentRow live c read_only on_remove=remove/>
                }.into_any())/>
            </ul>
            {move || removed.get().map(|c| view! {
                <p class="undo" role="status">
                    {format!("Removed “{}”. ", c.text)}
                    <button class="link-button" data-testid="undo-remove" on:click=move |_| {
                        live.add_commitment(c.clone());
                        removed.set(None);
                    }>"Undo"</button>
                </p>
            })}
            <When when=move || !read_only.get()>
                <AddCommitment live/>
            </When>
        </section>
    }
}

fn owner_options(live: LiveSession, selected: Option<ParticipantId>) -> impl IntoView {
    let people = live.participants.get();
    let me = live.me.get_untracked();
    view! {
        <option value="" selected=selected.is_none()>"No owner"</option>
        // Observers only read along: nobody makes them own a commitment (one already theirs stays shown).
        {people.into_iter().filter(|p| p.capability != Capability::Observer || selected == Some(p.id)).map(|p| {
            let label = if Some(p.id) == me { format!("{} (you)", p.name) } else { p.name.clone() };
            view! { <option value=p.id.0.to_string() selected=selected == Some(p.id)>{label}</option> }
        }).collect_view()}
    }
}

fn parse_owner(value: &str) -> Option<ParticipantId> {
    value.parse().ok().filter(|n| *n > 0).map(ParticipantId)
}

#[component]
fn CommitmentRow(
    live: LiveSession,
    c: Commitment,
    read_only: Signal<bool>,
    on_remove: impl Fn(Commitment) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = StoredValue::new(c.id.clone());
    // The row stays while its fields follow the live document (so a field being edited keeps its focus).
    let current = Memo::new(move |_| {
        live.commitments
            .with(|list| id.with_value(|id| list.iter().find(|x| &x.id == id).cloned()))
            .unwrap_or_else(|| c.clone())
    });
    let done = Memo::new(move |_| current.with(|c| c.done));
    let text = Memo::new(move |_| current.with(|c| c.text.clone()));
    let owner = Memo::new(move |_| current.with(|c| c.owner));
    let due = Memo::new(move |_| current.with(|c| c.due.clone().unwrap_or_default()));
    let field_id = move |what: &str| id.with_value(|id| format!("{what}-{id}"));
    let update = move |field: CommitmentField| id.with_value(|id| live.update_commitment(id, field));
    view! {
        <li class="commitment" class:commitment--done=move || done.get() data-testid="commitment" data-done=move || done.get().to_string()>
            <input type="checkbox" class="commitment__done" prop:checked=move || done.get() disabled=move || read_only.get()
                aria-label=move || format!("Done: {}", text.get()) data-testid="commitment-done"
                on:change=move |ev| update(CommitmentField::Done(event_target_checked(&ev)))/>
            <div class="commitment__body">
                // A one-row textarea that grows with its text (CSS field-sizing), so that a long commitment wraps on a
                // phone instead of being cut; Enter saves like a single-line field.
                <textarea class="commitment__text" rows="1" prop:value=move || text.get() maxlength=MAX_COMMITMENT_CHARS.to_string()
                    aria-label="What will be done" readonly=move || read_only.get() data-testid="commitment-text"
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            blur_target(&ev);
                        }
                    }
                    on:change=move |ev| {
                        let new = clean_text(&event_target_value(&ev).replace(['\n', '\r'], " "));
                        if new.is_empty() {
                            // An empty commitment would be a removal in disguise: keep the text (the ✕ removes).
                            set_input_value(&ev, &text.get_untracked());
                        } else {
                            update(CommitmentField::Text(new));
                        }
                    }></textarea>
                <div class="commitment__meta">
                    <label class="sr-only" for=field_id("owner")>"Owner"</label>
                    <select id=field_id("owner") data-testid="commitment-owner" disabled=move || read_only.get()
                        on:change=move |ev| update(CommitmentField::Owner(parse_owner(&event_target_value(&ev))))>
                        {move || owner_options(live, owner.get())}
                    </select>
                    <label class="sr-only" for=field_id("due")>"Due date"</label>
                    <input type="date" id=field_id("due") prop:value=move || due.get()
                        disabled=move || read_only.get() data-testid="commitment-due"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            update(CommitmentField::Due(is_date(&v).then_some(v)));
                        }/>
                </div>
            </div>
            <When when=move || !read_only.get()>
                <button class="icon-button icon-button--danger" title="Remove" aria-label=move || format!("Remove: {}", text.get())
                    data-testid="commitment-remove" on:click=move |_| on_remove(current.get_untracked())>"✕"</button>
            </When>
        </li>
    }
}

#[component]
fn AddCommitment(live: LiveSession) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let error = RwSignal::new(None::<&'static str>);
    // New commitments are owned by the person adding them, until they pick someone else.
    Effect::new(move |_| {
        if let Some(me) = live.me.get() {
            if owner.get_untracked().is_empty() {
                owner.set(me.0.to_string());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = clean_text(&text.get_untracked());
        if t.is_empty() {
            error.set(Some("Write what will be done."));
            return;
        }
        let d = due.get_untracked();
        live.add_commitment(Commitment {
            id: storage::new_participant_key(),
            text: t,
            owner: parse_owner(&owner.get_untracked()),
            due: is_date(&d).then_some(d),
            done: false,
            at: live.relay_now() as tandem_core::session::Millis,
        });
        // Refused (notes full): keep what was typed; the notes card says why.
        if !live.notes_full.get_untracked() {
            text.set(String::new());
            due.set(String::new());
        }
        error.set(None);
    };
    view! {
        <form class="add-commitment" on:submit=submit data-testid="add-commitment">
            <label class="sr-only" for="new-commitment">"New commitment"</label>
            <input id="new-commitment" type="text" placeholder="Add a commitment, e.g. “Shadow a code review by Friday”"
                maxlength=MAX_COMMITMENT_CHARS.to_string() prop:value=move || text.get()
                aria-invalid=move || error.get().is_some().to_string() aria-describedby="new-commitment-error"
                on:input=move |ev| { text.set(event_target_value(&ev)); error.set(None); }/>
            <div class="add-commitment__row">
                <label class="sr-only" for="new-commitment-owner">"Owner"</label>
                <select id="new-commitment-owner" prop:value=move || owner.get() on:change=move |ev| owner.set(event_target_value(&ev))>
                    {move || owner_options(live, parse_owner(&owner.get()))}
                </select>
                <label class="sr-only" for="new-commitment-due">"Due date (optional)"</label>
                <input id="new-commitment-due" type="date" prop:value=move || due.get() on:change=move |ev| due.set(event_target_value(&ev))/>
                <button type="submit" class="button button--primary button--small">"Add"</button>
            </div>
            <p id="new-commitment-error" class="field__error" role="alert">{move || error.get()}</p>
        </form>
    }
}

fn set_input_value(ev: &leptos::ev::Event, value: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlTextAreaElement>().ok())
    {
        input.set_value(value);
    }
}

fn blur_target(ev: &leptos::ev::KeyboardEvent) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    {
        let _ = el.blur();
    }
}
