//! `/s/:id?t=TOKEN`: the live session. An invalid link renders [`InvalidLink`] with HTTP 404.

use crate::api::{summary_path, LinkInfo, OpenedLink, LINK_SCRIPT_ID};
use crate::components::brand::Header;
use crate::components::feedback::FeedbackSlot;
use crate::components::join::JoinSlot;
use crate::components::links::LinkList;
use crate::components::notes::{CommitmentsCard, NotesPanel};
use crate::components::phase_bar::{PhaseBar, PhaseCard, PhasePreview};
use crate::components::presence::{use_presence_news, ArrivalToast, PresenceList};
use crate::components::timer::{use_remaining, Announcer, TimerCard};
use crate::components::when::When;
use crate::page_title;
use crate::pages::not_found::{InvalidLink, Unavailable};
use crate::sync::{storage, use_live_session, ConnStatus, Identity, LiveSession};
use leptos::prelude::*;
use tandem_core::session::{total_minutes, Capability, RoomState};

/// The page of session `id`, opened with the link token `token`. What the link opens comes with the page
/// ([`OpenedLink`]), so it renders at once, on the server and in the browser alike, with no request of its own.
#[component]
pub fn SessionPage(id: String, token: String) -> impl IntoView {
    let (opened, json) = opened_link();
    let page = match opened {
        OpenedLink::Open(info) => view! { <SessionView info=*info id token/> }.into_any(),
        OpenedLink::Invalid => view! { <Header/><InvalidLink/> }.into_any(),
        OpenedLink::Unavailable => view! { <Header/><Unavailable/> }.into_any(),
    };
    view! {
        {page}
        <script type="application/json" id=LINK_SCRIPT_ID inner_html=json></script>
    }
    .into_any()
}

/// On the server: the link as the relay looked it up for this request (and the HTTP status to answer with), and
/// its JSON for the page, `<` escaped so that no text in it can close the script element.
#[cfg(feature = "ssr")]
pub(crate) fn opened_link() -> (OpenedLink, String) {
    let looked_up = use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<OpenedLink>().cloned());
    // Without a lookup (the middleware did not run: tests rendering the app directly) it renders as invalid.
    let opened = looked_up.unwrap_or(OpenedLink::Invalid);
    let status = match opened {
        OpenedLink::Open(_) => None,
        OpenedLink::Invalid => Some(http::StatusCode::NOT_FOUND),
        OpenedLink::Unavailable => Some(http::StatusCode::SERVICE_UNAVAILABLE),
    };
    if let (Some(status), Some(response)) = (status, use_context::<leptos_axum::ResponseOptions>()) {
        response.set_status(status);
    }
    let json = crate::api::page_json(&opened);
    (opened, json)
}

/// In the browser: read back from the server-rendered page, which the browser only ever hydrates (there is no
/// client-side navigation: app.rs).
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
pub(crate) fn opened_link() -> (OpenedLink, String) {
    let json = crate::api::page_script(LINK_SCRIPT_ID);
    (serde_json::from_str(&json).unwrap_or(OpenedLink::Invalid), json)
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
pub(crate) fn opened_link() -> (OpenedLink, String) {
    (OpenedLink::Invalid, String::new())
}

#[component]
fn SessionView(info: LinkInfo, id: String, token: String) -> impl IntoView {
    let identity = RwSignal::new(None::<Identity>);
    let checked = RwSignal::new(false);
    {
        let id = id.clone();
        // Runs in the browser only: the stored identity decides between the join form and the live view.
        Effect::new(move |_| {
            identity.set(storage::load_identity(&id));
            checked.set(true);
        });
    }
    let spec = info.session.clone();
    let title = spec.template_name.clone();
    let capability = info.capability;
    let info = StoredValue::new(info);
    page_title(&title);
    let on_join = {
        let id = id.clone();
        Callback::new(move |who: Identity| {
            storage::save_identity(&id, &who);
            identity.set(Some(who));
            // The join form goes: the keyboard moves on to where the session stands.
            crate::components::focus_later("phase-title".to_string());
        })
    };
    view! {
        // First on the page for the keyboard, shown when focused: straight to the clock and its controls.
        {move || identity.get().is_some().then(|| view! { <a class="skip-link" href="#timer">"Skip to the timer"</a> })}
        <Header>
            <span class="badge" data-testid="capability">{capability.label()}</span>
        </Header>
        <main class="page page--session">
            <section class="session-head">
                // Without a goal the heading is the format's name: the line above it then says only the length.
                <p class="eyebrow">{if spec.goal.trim().is_empty() {
                    format!("{} min · {} phases", total_minutes(&spec.phases), spec.phases.len())
                } else {
                    format!("{} · {} min", spec.template_name, total_minutes(&spec.phases))
                }}</p>
                <h1>{if spec.goal.trim().is_empty() { title.clone() } else { spec.goal.clone() }}</h1>
            </section>
            {move || {
                if info.with_value(|i| i.ended_at.is_some()) {
                    let href = info.with_value(|i| summary_path(&i.session.id.0, &token));
                    return view! {
                        <section class="card ended" role="status">
                            <h2>"This session has ended"</h2>
                            <p>"Its notes, feedback and timings are kept in the summary."</p>
                            <a class="button button--primary" href=href rel="external" data-testid="summary-link">"See the summary"</a>
                        </section>
                    }.into_any();
                }
                if !checked.get() {
                    return view! { <p class="loading" aria-busy="true">"Loading…"</p> }.into_any();
                }
                match identity.get() {
                    None => {
                        info.with_value(|i| view! { <JoinSlot info=i.clone() on_join/> }).into_any()
                    }
                    Some(who) => info
                        .with_value(|i| view! { <LiveView info=i.clone() id=id.clone() token=token.clone() identity=who/> })
                        .into_any(),
                }
            }}
        </main>
    }
}

#[component]
fn LiveView(info: LinkInfo, id: String, token: String, identity: Identity) -> impl IntoView {
    let summary_href = summary_path(&id, &token);
    // "From your last session together" (server/src/follow_up.rs): a part the relay draws, framed once live.
    let follow_up = format!("/s/{id}/follow-up?t={token}");
    let session_id = id.clone();
    let live = use_live_session(id, token, identity);
    // When the session ends, every open page turns into the summary.
    Effect::new(move |_| {
        if live.ended.get().is_some() {
            go_to(&summary_href);
        }
    });
    let spec = StoredValue::new(info.session.clone());
    // Until the welcome arrives, show the agenda at its start.
    let room = Memo::new(move |_| {
        live.room
            .get()
            .unwrap_or_else(|| spec.with_value(|s| RoomState::new(&s.phases)))
    });
    let may_drive = Memo::new(move |_| {
        let cap = live.capability.get().unwrap_or(info.capability);
        spec.with_value(|s| s.may_drive_timer(cap))
    });
    let remaining = use_remaining(live, room);
    // The phase opened from the phase bar, if any (a preview; the session stays where it is).
    let preview = RwSignal::new(None::<usize>);
    let news = use_presence_news(live);
    let share = info.share.clone();
    let read_only = Signal::derive(move || live.capability.get().unwrap_or(info.capability) == Capability::Observer);
    let sections = Memo::new(move |_| {
        let phase = room.with(|r| r.phase);
        spec.with_value(|s| s.phases.get(phase).map(|p| p.notes.clone()).unwrap_or_default())
    });
    view! {
        <StatusBanner live/>
        {move || live.broadcast.get().map(|text| view! {
            <p class="broadcast" role="alert" data-testid="broadcast"><strong>"From the facilitator: "</strong>{text}</p>
        })}
        <PhaseBar phases=spec.get_value().phases room=room preview/>
        <PhasePreview live phases=spec.get_value().phases room=room preview may_drive/>
        <div class="session-grid">
            <div class="session-grid__phase">
                <PhaseCard live phases=spec.get_value().phases room=room/>
                <When when=move || sections.with(|s| !s.is_empty())>
                    <NotesPanel live sections read_only/>
                </When>
                {move || {
                    let form = spec.with_value(|s| {
                        let id = s.phases.get(room.with(|r| r.phase)).and_then(|p| p.form.clone())?;
                        s.forms.iter().find(|f| f.id == id).cloned()
                    });
                    form.map(|form| view! { <FeedbackSlot live session_id=session_id.clone() form/> })
                }}
                <CommitmentsCard live read_only/>
                <When when=move || live.me.get().is_some()>
                    <iframe class="follow-up-frame" src=follow_up.clone() title="From your last session together" data-testid="follow-up-frame"></iframe>
                </When>
            </div>
            <div class="session-grid__timer">
                <TimerCard live spec=spec.get_value() room=room remaining=remaining may_drive=may_drive/>
                <When when=move || live.capability.get() == Some(Capability::Host)>
                    <EndSession live/>
                </When>
            </div>
            <div class="session-grid__people">
                <PresenceList live roles=spec.get_value().roles news/>
                <crate::components::role::RolePicker live roles=spec.get_value().roles locked=spec.with_value(|s| s.settings.breakout)/>
                {share.filter(|_| info.capability == Capability::Host).map(|s| view! {
                    <details class="card share">
                        <summary>"Invite people"</summary>
                        <LinkList participant=s.participant_link observer=s.observer_link host=None/>
                    </details>
                })}
            </div>
        </div>
        <Announcer live spec=spec.get_value() room=room remaining=remaining news/>
        <ArrivalToast news/>
    }
}

#[component]
fn StatusBanner(live: LiveSession) -> impl IntoView {
    view! {
        <div class="status" role="status" data-testid="connection">
            {move || match live.status.get() {
                ConnStatus::Live => view! { <span class="status__live"><span class="dot dot--on"></span>"Live"</span> }.into_any(),
                ConnStatus::Connecting => view! { <span class="status__busy">"Connecting…"</span> }.into_any(),
                ConnStatus::Reconnecting(n) => view! {
                    <span class="status__warn">{if browser_offline() {
                        "Offline. Reconnecting when the network is back; your notes are kept in this browser.".to_string()
                    } else {
                        format!("Reconnecting… (attempt {n}). Your place and notes are kept.")
                    }}</span>
                }.into_any(),
                ConnStatus::Stopped(text) => view! {
                    <span class="status__error">{text}" "<button class="link-button" on:click=|_| reload()>"Reload"</button></span>
                }.into_any(),
            }}
        </div>
    }
}

/// The host's "End session" button, with a confirmation step.
#[component]
fn EndSession(live: LiveSession) -> impl IntoView {
    view! {
        <div class="card end-session">
            <crate::components::confirm::Confirm ask="End session…" ask_class="button button--danger-quiet"
                id="end-session-open".to_string() testid="end-session"
                question="End the session for everyone?".to_string() detail="Feedback and timings are saved and the session becomes read-only."
                yes="End session" yes_class="button button--danger" back="Keep going" back_id="end-session-keep".to_string()
                on_yes=Callback::new(move |()| live.end_session())/>
        </div>
    }
}

fn go_to(href: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(href);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}

/// Whether the browser says it has no network.
fn browser_offline() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().is_some_and(|w| !w.navigator().on_line())
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

fn reload() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}
