//! The guided feedback form about a partner, and the feedback the viewer received.

use crate::components::rows::{rows_of, Rows};
use crate::components::split::{SplitCode, SplitPlaceholder};
use crate::components::when::When;
use crate::sync::{storage, ConnStatus, LiveSession, Submission};
use leptos::prelude::*;
use std::collections::BTreeMap;
use tandem_core::session::{
    role_names, validate_answers, Answer, Capability, FeedbackDraft, FeedbackId, FieldError, FieldKind, FormField,
    FormSpec, ParticipantId,
};

/// What is kept in the browser while typing, per session and partner.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Draft {
    id: String,
    answers: BTreeMap<String, Answer>,
}

fn draft_key(session: &str, about: ParticipantId) -> String {
    format!("draft.{session}.{}", about.0)
}

/// Builds the feedback panel of a form: [`FeedbackPanel`]'s view.
pub type FeedbackView = fn(LiveSession, String, FormSpec) -> AnyView;

/// The feedback panel's code, in a wasm file of its own (components/split.rs): the session page fetches it the first
/// time it shows a phase with a form ([`FeedbackSlot`]), so a session that never reaches one, and every other page,
/// never download it.
#[cfg(feature = "hydrate")]
#[leptos::wasm_split::wasm_split(feedback_panel, wasm_split_path = ::leptos::wasm_split, fallible)]
fn feedback_panel() -> Result<FeedbackView, leptos::wasm_split::SplitLoaderError> {
    Ok(|live, session_id, form| view! { <FeedbackPanel live session_id form/> }.into_any())
}

/// On the server the slot never fetches (it renders in the browser only); the same function, unsplit.
#[cfg(not(feature = "hydrate"))]
async fn feedback_panel() -> Result<FeedbackView, std::convert::Infallible> {
    Ok(|live, session_id, form| view! { <FeedbackPanel live session_id form/> }.into_any())
}

/// Where a phase's feedback form goes: [`FeedbackPanel`] once its code is there (fetched once per page), a
/// "Loading" card until then, "Try again" if the fetch failed.
#[component]
pub fn FeedbackSlot(live: LiveSession, session_id: String, form: FormSpec) -> impl IntoView {
    static FETCHED: std::sync::OnceLock<FeedbackView> = std::sync::OnceLock::new();
    let split = SplitCode::fetched(&FETCHED, feedback_panel);
    let retry = Callback::new(move |_| split.retry(&FETCHED, feedback_panel));
    move || match split.code.get() {
        Some(build) => build(live, session_id.clone(), form.clone()),
        None => view! {
            <SplitPlaceholder title=form.title.clone() what="the feedback form" failed=split.failed.get() retry
                testid="feedback" class="feedback"/>
        }
        .into_any(),
    }
}

/// Feedback for each other participant the form is about (never oneself), for those whose role gives it, then what
/// the viewer received. A participant whose role receives but does not give this feedback reads who gives it.
#[component]
pub fn FeedbackPanel(live: LiveSession, session_id: String, form: FormSpec) -> impl IntoView {
    let my_role = Memo::new(move |_| {
        let me = live.me.get();
        live.participants
            .with(|ps| ps.iter().find(|p| Some(p.id) == me).and_then(|p| p.role.clone()))
    });
    let gives = {
        let form = form.clone();
        Memo::new(move |_| my_role.with(|r| form.may_give(r.as_deref())))
    };
    let partners = {
        let form = form.clone();
        Memo::new(move |_| {
            let me = live.me.get();
            live.participants.with(|ps| {
                ps.iter()
                    .filter(|p| Some(p.id) != me && p.capability != Capability::Observer)
                    .filter(|p| form.may_be_about(p.role.as_deref()))
                    .map(|p| (p.id, p.name.clone(), p.capability == Capability::Host))
                    .collect::<Vec<_>>()
            })
        })
    };
    let names_of = move |ids: &[String]| {
        live.spec
            .with(|s| role_names(s.as_ref().map_or(&[][..], |s| &s.roles), ids))
    };
    let receiver_note = {
        let form = form.clone();
        Memo::new(move |_| {
            let no_role = my_role.with(Option::is_none)
                && live.capability.get() != Some(Capability::Observer)
                && live.spec.with(|s| s.as_ref().is_some_and(|s| !s.roles.is_empty()));
            if no_role && !form.givers.is_empty() {
                "Pick your role (under “Your role”) to give feedback in this phase.".to_string()
            } else if form.receiver_note.is_empty() {
                format!(
                    "In this phase the {} gives this feedback. Feedback for you appears below when it arrives.",
                    names_of(&form.givers)
                )
            } else {
                form.receiver_note.clone()
            }
        })
    };
    let waiting = {
        let about = form.about.clone();
        Memo::new(move |_| {
            if about.is_empty() {
                "Feedback opens once someone else has joined.".to_string()
            } else {
                format!("Feedback opens when the {} has joined.", names_of(&about))
            }
        })
    };
    let chosen = RwSignal::new(None::<ParticipantId>);
    let about = Memo::new(move |_| {
        let list = partners.get();
        chosen
            .get()
            .filter(|c| list.iter().any(|(id, ..)| id == c))
            .or_else(|| list.first().map(|(id, ..)| *id))
    });
    let observer = move || live.capability.get() == Some(Capability::Observer);
    let form = StoredValue::new(form);
    let session_id = StoredValue::new(session_id);
    view! {
        <section class="card feedback" aria-labelledby="feedback-title">
            <h2 id="feedback-title">{form.with_value(|f| f.title.clone())}</h2>
            <When when=move || !observer() fallback=|| view! { <p class="hint" data-testid="feedback-watcher-note">"You are watching with the observer link, which gives no feedback. Someone who observes and gives feedback joins with the participant link and picks a role."</p> }>
              <When when=move || gives.get() fallback=move || view! { <p class="hint feedback__receiver" data-testid="feedback-receiver-note">{move || receiver_note.get()}</p> }>
                <When when=move || !partners.with(Vec::is_empty) fallback=move || view! { <p class="hint">{move || waiting.get()}</p> }>
                    <When when=move || { partners.with(|p| p.len() > 1) }>
                        <div class="partner-tabs" role="radiogroup" aria-label="Feedback about">
                            <Rows each=rows_of(move || partners.get(), |p| p.0, move |p| view! {
                                <label class="chip" class:chip--on=move || about.get() == Some(p.0)>
                                    <input type="radio" name="feedback-about" class="sr-only"
                                        prop:checked=move || about.get() == Some(p.0)
                                        on:change=move |_| chosen.set(Some(p.0))/>
                                    {format!("About {}", p.1)}
                                </label>
                            }.into_any())/>
                        </div>
                    </When>
                    {move || about.get().map(|who| {
                        let (name, host) = partners.with(|ps| ps.iter().find(|p| p.0 == who).map(|p| (p.1.clone(), p.2)).unwrap_or_default());
                        view! { <FeedbackForm live session_id=session_id.get_value() form=form.get_value() about=who name host/> }
                    })}
                </When>
              </When>
            </When>
            <Received live form=form.get_value()/>
        </section>
    }
}

#[component]
fn FeedbackForm(
    live: LiveSession,
    session_id: String,
    form: FormSpec,
    about: ParticipantId,
    name: String,
    host: bool,
) -> impl IntoView {
    let key = draft_key(&session_id, about);
    let draft = RwSignal::new(Draft::default());
    {
        let key = key.clone();
        let form_id = form.id.clone();
        let loaded = StoredValue::new(false);
        // Browser only: restore the draft, or start one with a fresh id (the id makes retries idempotent). Feedback
        // already sent (the welcome carries it) wins over a draft this browser has not sent: after a reload, or on
        // another device, the form shows what was sent and updates that same feedback. A newer version stored from
        // another device replaces answers this form had not changed (it returns the version it saw, for the next run).
        Effect::new(move |seen: Option<Option<BTreeMap<String, Answer>>>| {
            let me = live.me.get();
            let sent = live.feedback.with(|fs| {
                fs.iter()
                    .find(|f| Some(f.from) == me && f.about == about && f.form == form_id)
                    .map(|f| (f.id.0.clone(), f.answers.clone()))
            });
            let mut d: Draft = if loaded.get_value() {
                draft.get_untracked()
            } else {
                storage::load_json(&key).unwrap_or_default()
            };
            loaded.set_value(true);
            let now = sent.as_ref().map(|(_, answers)| answers.clone());
            let unchanged = seen.flatten().is_some_and(|seen| seen == clean(&d.answers));
            match sent {
                Some((id, answers)) if id != d.id => d = Draft { id, answers },
                Some((_, answers)) if d.answers.is_empty() || unchanged => d.answers = answers,
                _ => {}
            }
            if d.id.is_empty() {
                d.id = storage::new_participant_key();
            }
            if draft.with_untracked(|current| *current != d) {
                draft.set(d);
            }
            now
        });
    }
    let save = move |key: &str| {
        storage::save_json(key, &draft.get_untracked());
    };
    let local_errors = RwSignal::new(Vec::<FieldError>::new());
    let status = Memo::new(move |_| {
        let id = FeedbackId(draft.with(|d| d.id.clone()));
        live.submissions.with(|s| s.get(&id).cloned())
    });
    let errors = Memo::new(move |_| match status.get() {
        Some(Submission::Refused { errors, .. }) if local_errors.with(Vec::is_empty) => errors,
        _ => local_errors.get(),
    });
    // The answers stored for this feedback: the welcome's, or the relay's answer to a send.
    let stored = Memo::new(move |_| {
        let id = draft.with(|d| d.id.clone());
        live.feedback
            .with(|fs| fs.iter().find(|f| f.id.0 == id).map(|f| f.answers.clone()))
    });
    // Edited since it was stored (a memo: the message below is rebuilt when this flips, not at every keystroke).
    let changed = Memo::new(move |_| stored.get() != Some(draft.with(|d| clean(&d.answers))));
    // Pressed while not connected (nothing is sent), or sent on a connection that went away before the relay
    // stored it (the next welcome lists nothing, or the version before): the answers stay, and the form says so.
    let unsent = RwSignal::new(false);
    // The last send: the answers stored when it was pressed, and those it sent. It was lost if, once answered or
    // reconnected, the relay still holds the former (a newer version from another device is not a loss).
    let sent = RwSignal::new(None::<(Option<BTreeMap<String, Answer>>, BTreeMap<String, Answer>)>);
    let not_sent = move || {
        unsent.get()
            || (!matches!(status.get(), Some(Submission::Pending | Submission::Refused { .. }))
                && sent.with(|s| {
                    s.as_ref()
                        .is_some_and(|(before, mine)| stored.with(|now| now == before && now.as_ref() != Some(mine)))
                }))
    };
    let form = StoredValue::new(form);
    let submit = {
        let key = key.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            // One submission at a time (the button says "Sending…" meanwhile).
            if status.get_untracked() == Some(Submission::Pending) {
                return;
            }
            let d = draft.get_untracked();
            let result = form.with_value(|f| validate_answers(f, &clean(&d.answers)));
            match result {
                Err(errs) => {
                    // The keyboard (and the screen) go to the first answer to fix, which may be screens above.
                    if let Some(first) = errs.first() {
                        crate::components::focus_later(format!("fb-{}", first.field));
                    }
                    local_errors.set(errs);
                }
                Ok(()) => {
                    local_errors.set(Vec::new());
                    save(&key);
                    let connected = live.status.with_untracked(|s| *s == ConnStatus::Live);
                    unsent.set(!connected);
                    if !connected {
                        return;
                    }
                    let answers = clean(&d.answers);
                    sent.set(Some((stored.get_untracked(), answers.clone())));
                    live.submit_feedback(FeedbackDraft {
                        id: FeedbackId(d.id),
                        form: form.with_value(|f| f.id.clone()),
                        about,
                        answers,
                    });
                }
            }
        }
    };
    let fields = form.with_value(|f| f.fields.clone());
    let name2 = name.clone();
    view! {
        <form class="feedback-form" on:submit=submit novalidate data-testid="feedback-form">
            <p class="hint">{if host || live.capability.get_untracked() == Some(Capability::Host) {
                format!("About {name}. Only {name} sees it.")
            } else {
                format!("About {name}. Only {name} sees it, unless they choose to share it with the host.")
            }}</p>
            {fields.into_iter().map(|field| {
                let key = key.clone();
                view! { <Field field draft errors on_change=move || save(&key)/> }
            }).collect_view()}
            {move || match status.get() {
                _ if not_sent() => view! {
                    <p class="error" role="alert" data-testid="feedback-unsent">"Not sent: the connection was lost. Your answers are kept here: press the button below to send them again."</p>
                }.into_any(),
                Some(Submission::Refused { message, .. }) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                // The answer to fix is said below; a "saved" beside it would read as if the change were kept.
                _ if !local_errors.with(Vec::is_empty) => ().into_any(),
                Some(Submission::Saved) if changed.get() => view! {
                    <p class="hint" role="status" data-testid="feedback-changed">"Changed since you sent it: press Update feedback to send the changes."</p>
                }.into_any(),
                Some(Submission::Saved) => view! {
                    <p class="saved" role="status" data-testid="feedback-saved">{format!("Saved ✓ {name2} can read it. You can still edit it until the session ends.")}</p>
                }.into_any(),
                _ => ().into_any(),
            }}
            {move || (!local_errors.with(Vec::is_empty)).then(|| view! { <p class="error" role="alert">"Please check the highlighted answers."</p> })}
            // `aria-disabled`, not `disabled`, while sending: a disabled button drops the keyboard focus to the page.
            <button type="submit" class="button button--primary"
                aria-disabled=move || (status.get() == Some(Submission::Pending)).to_string()>
                {move || match status.get() {
                    Some(Submission::Pending) => "Sending…",
                    Some(Submission::Saved) => "Update feedback",
                    _ => "Send feedback",
                }}
            </button>
        </form>
    }
}

/// Drops empty text answers so that optional fields left blank are simply absent.
fn clean(answers: &BTreeMap<String, Answer>) -> BTreeMap<String, Answer> {
    // A clone and `retain`, not `collect()`: collecting into a BTreeMap compiles a sort of the pairs.
    let mut kept = answers.clone();
    kept.retain(|_, a| !matches!(a, Answer::Text(t) if t.trim().is_empty()));
    kept
}

#[component]
fn Field(
    field: FormField,
    draft: RwSignal<Draft>,
    errors: Memo<Vec<FieldError>>,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let id = field.id.clone();
    let input_id = format!("fb-{}", field.id);
    let error = {
        let id = id.clone();
        Memo::new(move |_| errors.with(|e| e.iter().find(|x| x.field == id).map(|x| x.message.clone())))
    };
    let err_id = format!("{input_id}-error");
    let label = view! {
        {field.label.clone()}
        {if field.required { view! { <span class="required" aria-hidden="true">" *"</span> }.into_any() } else { view! { <span class="optional">" (optional)"</span> }.into_any() }}
    };
    let help = (!field.help.is_empty()).then(|| view! { <span class="field__help">{field.help.clone()}</span> });
    let example = (!field.example.is_empty())
        .then(|| view! { <span class="field__example">{format!("e.g. “{}”", field.example)}</span> });
    let body = match field.kind {
        FieldKind::Text { max_chars } => {
            let text = {
                let id = id.clone();
                move || {
                    draft.with(|d| match d.answers.get(&id) {
                        Some(Answer::Text(t)) => t.clone(),
                        _ => String::new(),
                    })
                }
            };
            let count = {
                let text = text.clone();
                move || text().chars().count()
            };
            let id2 = id.clone();
            let over = {
                let count = count.clone();
                move || count() > max_chars as usize
            };
            view! {
                <label class="field__label" for=input_id.clone()>{label}</label>
                {help}
                <textarea id=input_id rows="3" required=field.required aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby=err_id.clone()
                    prop:value=text
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        draft.update(|d| { d.answers.insert(id2.clone(), Answer::Text(v)); });
                        on_change();
                    }></textarea>
                {example}
                <span class="counter" class:counter--over={move || over()} aria-live="polite">
                    {move || format!("{} / {max_chars}", count())}
                </span>
            }.into_any()
        }
        FieldKind::Rating => {
            let name = input_id.clone();
            view! {
                <fieldset class="rating" aria-describedby=err_id.clone()>
                    <legend class="field__label">{label}</legend>
                    {help}
                    <div class="rating__scale">
                        {(1..=5).map(|n| {
                            let id = id.clone();
                            let id2 = id.clone();
                            let id3 = id.clone();
                            let on_change = on_change.clone();
                            view! {
                                <label class="rating__option" class:rating__option--on=move || draft.with(|d| d.answers.get(&id) == Some(&Answer::Rating(n)))>
                                    <input type="radio" name=name.clone() value=n.to_string() id=(n == 1).then(|| name.clone())
                                        prop:checked=move || draft.with(|d| d.answers.get(&id2) == Some(&Answer::Rating(n)))
                                        on:change={let id = id3.clone(); move |_| { draft.update(|d| { d.answers.insert(id.clone(), Answer::Rating(n)); }); on_change(); }}/>
                                    <span>{n}</span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            }.into_any()
        }
    };
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some() data-field=field.id.clone()>
            {body}
            <span class="field__error" id=format!("fb-{}-error", field.id)>{move || error.get()}</span>
        </div>
    }
}

/// Feedback the viewer received, with the choice to share each with the host.
#[component]
fn Received(live: LiveSession, form: FormSpec) -> impl IntoView {
    let form = StoredValue::new(form);
    let mine = Memo::new(move |_| {
        let me = live.me.get();
        live.feedback
            .with(|fs| fs.iter().filter(|f| Some(f.about) == me).cloned().collect::<Vec<_>>())
    });
    let is_host = move || live.capability.get() == Some(Capability::Host);
    // Feedback from the host is already the host's: there is nothing to share with them.
    let from_host = move |from: ParticipantId| {
        live.participants
            .with(|ps| ps.iter().any(|p| p.id == from && p.capability == Capability::Host))
    };
    // A screen reader hears that feedback arrived ("Feedback from Ben arrived."), once; not what was there already.
    let arrived = RwSignal::new(String::new());
    Effect::new(move |before: Option<Vec<FeedbackId>>| {
        let now: Vec<FeedbackId> = mine.with(|m| m.iter().map(|f| f.id.clone()).collect());
        if let Some(before) = before {
            let new_from = mine.with(|m| m.iter().find(|f| !before.contains(&f.id)).map(|f| f.from));
            if let Some(from) = new_from {
                let name = live
                    .participants
                    .with_untracked(|ps| ps.iter().find(|p| p.id == from).map(|p| p.name.clone()))
                    .unwrap_or_default();
                arrived.set(format!("Feedback from {name} arrived."));
            }
        }
        now
    });
    view! {
        <p class="sr-only" aria-live="polite" data-testid="feedback-arrived">{move || arrived.get()}</p>
        <When when=move || !mine.with(Vec::is_empty)>
            <h3 class="received__title">"Feedback for you"</h3>
            <Rows each=rows_of(move || mine.get(), |f| (f.id.clone(), f.submitted_at, f.shared_with_host), move |f| {
                    let from = live.participants.with_untracked(|ps| ps.iter().find(|p| p.id == f.from).map(|p| p.name.clone())).unwrap_or_default();
                    let id = f.id.clone();
                    let shared = f.shared_with_host;
                    let giver = f.from;
                    view! {
                        <article class="received" data-testid="received-feedback">
                            <p class="received__from">{format!("From {from}")}</p>
                            <AnswerList form=form.get_value() answers=f.answers.clone()/>
                            <When when=move || !is_host() && !from_host(giver)>
                                <label class="choice choice--small">
                                    <input type="checkbox" prop:checked=shared
                                        on:change={let id = id.clone(); move |ev| live.share_feedback(id.clone(), event_target_checked(&ev))}/>
                                    <span>"Share with the host"</span>
                                </label>
                            </When>
                        </article>
                    }
                    .into_any()
                })/>
        </When>
    }
}

/// The answers of one feedback, labelled by the form's questions, in the form's order.
#[component]
pub fn AnswerList(form: FormSpec, answers: BTreeMap<String, Answer>) -> impl IntoView {
    view! {
        <dl>
            {form.fields.iter().filter_map(|field| answers.get(&field.id).map(|a| view! {
                <dt>{field.label.clone()}</dt>
                <dd>{match a { Answer::Text(t) => t.clone(), Answer::Rating(r) => format!("{r} / 5") }}</dd>
            })).collect_view()}
        </dl>
    }
}
