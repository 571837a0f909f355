//! `/w/{id}?t=TOKEN`: a workshop (docs/workshops.md). One page for everyone, by link: the facilitator runs the
//! lobby, the rounds and the dashboard (`facilitator.rs`); a participant waits in the lobby, is sent into their
//! breakout (a session page of its own) when a round opens and comes back when it ends; an observer watches. The
//! page is a wasm file of its own (`workshop_page`), so none of it weighs on the session page.

mod facilitator;
mod socket;

use crate::api::{OpenedWorkshop, WorkshopLink, WORKSHOP_SCRIPT_ID};
use crate::components::brand::Header;
use crate::components::when::When;
use crate::page_title;
use crate::pages::not_found::{InvalidLink, Unavailable};
use crate::sync::{storage, Identity};
use leptos::prelude::*;
use socket::{connect, Link, WorkshopLive};
use tandem_core::protocol::workshop::{BreakoutView, WorkshopClientMsg, WorkshopView};
use tandem_core::protocol::PROTOCOL_VERSION;
use tandem_core::session::clock::format_remaining;
use tandem_core::session::{limits, Capability, ParticipantId, ParticipantKey};
use tandem_core::workshop::Stage;

/// The workshop page's view, in a wasm file of its own.
#[cfg(feature = "hydrate")]
#[lazy]
pub fn workshop_page() -> crate::LazyPage {
    |id, token| view! { <WorkshopPage id token/> }.into_any()
}

/// Who this browser is in a workshop: an [`Identity`] (its key and first name; no role, given per round), kept in
/// `localStorage` as `tandem.workshop.{id}`.
fn identity_key(id: &str) -> String {
    format!("workshop.{id}")
}

/// The page of workshop `id`, opened with `token`. What the link opens comes with the page, as for a session.
#[component]
pub fn WorkshopPage(id: String, token: String) -> impl IntoView {
    let (opened, json) = opened_workshop();
    let page = match opened {
        OpenedWorkshop::Open(link) => view! { <Workshop link=*link id token/> }.into_any(),
        OpenedWorkshop::Invalid => view! { <Header/><InvalidLink/> }.into_any(),
        OpenedWorkshop::Unavailable => view! { <Header/><Unavailable/> }.into_any(),
    };
    view! {
        {page}
        <script type="application/json" id=WORKSHOP_SCRIPT_ID inner_html=json></script>
    }
}

#[cfg(feature = "ssr")]
fn opened_workshop() -> (OpenedWorkshop, String) {
    let opened = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<OpenedWorkshop>().cloned())
        .unwrap_or(OpenedWorkshop::Invalid);
    let status = match opened {
        OpenedWorkshop::Open(_) => None,
        OpenedWorkshop::Invalid => Some(http::StatusCode::NOT_FOUND),
        OpenedWorkshop::Unavailable => Some(http::StatusCode::SERVICE_UNAVAILABLE),
    };
    if let (Some(status), Some(response)) = (status, use_context::<leptos_axum::ResponseOptions>()) {
        response.set_status(status);
    }
    let json = crate::api::page_json(&opened);
    (opened, json)
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn opened_workshop() -> (OpenedWorkshop, String) {
    let json = crate::api::page_script(WORKSHOP_SCRIPT_ID);
    (serde_json::from_str(&json).unwrap_or(OpenedWorkshop::Invalid), json)
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn opened_workshop() -> (OpenedWorkshop, String) {
    (OpenedWorkshop::Invalid, String::new())
}

#[component]
fn Workshop(link: WorkshopLink, id: String, token: String) -> impl IntoView {
    page_title(&format!("{} workshop", link.format));
    let live = WorkshopLive::new();
    let identity = RwSignal::new(None::<Identity>);
    let checked = RwSignal::new(false);
    {
        let id = id.clone();
        Effect::new(move |_| {
            identity.set(storage::load_json(&identity_key(&id)));
            checked.set(true);
        });
    }
    {
        let (id, token) = (id.clone(), token.clone());
        // Connect once a name is known (stored from an earlier visit, or just typed).
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            let Some(me) = identity.get() else { return false };
            let hello = WorkshopClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
                participant_key: ParticipantKey(me.key),
                name: me.name,
            };
            connect(live, &id, &token, hello);
            true
        });
    }
    let capability = link.capability;
    let role_label = match capability {
        Capability::Host => "Facilitator",
        Capability::Participant => "Participant",
        Capability::Observer => "Observer",
    };
    let goal = link.goal.clone();
    let join_id = id.clone();
    view! {
        <Header>
            <span class="badge">{role_label}</span>
        </Header>
        <main class="page workshop">
            <div class="intro">
                <p class="eyebrow">{format!("Workshop · {}", link.format)}</p>
                <h1>{if goal.is_empty() { "Peer-coaching workshop".to_string() } else { goal }}</h1>
            </div>
            <LinkStatus live/>
            <When when=move || checked.get() fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {
                    let join_id = join_id.clone();
                    let link = link.clone();
                    // Rebuilt only when the person joins or the relay stops the page (removed, ended).
                    let stopped = Memo::new(move |_| match live.link.get() {
                        Link::Stopped(why) => Some(why),
                        _ => None,
                    });
                    move || match (identity.get(), stopped.get()) {
                        (_, Some(why)) => view! { <Stopped why/> }.into_any(),
                        // The facilitator's and observers' links still lead to the record.
                        (None, None) if link.ended && capability != Capability::Participant => view! { <facilitator::Ended/> }.into_any(),
                        (None, None) if link.ended => view! { <Stopped why="This workshop has ended.".to_string()/> }.into_any(),
                        (None, None) => view! { <NameForm id=join_id.clone() capability identity/> }.into_any(),
                        (Some(_), None) => view! { <Live live link=link.clone()/> }.into_any(),
                    }
                }
            </When>
        </main>
    }
}

/// Connection trouble and the relay's refusals (a refusal goes after a while, or with the next one).
#[component]
fn LinkStatus(live: WorkshopLive) -> impl IntoView {
    let stopped = move || matches!(live.link.get(), Link::Stopped(_));
    view! {
        <div class="status" role="status" data-testid="workshop-connection">
            {move || match live.link.get() {
                Link::Reconnecting(n) => view! {
                    <span class="status__warn">{format!("Reconnecting… (attempt {n}). Your place is kept.")}</span>
                }.into_any(),
                _ => ().into_any(),
            }}
        </div>
        {move || live.error.get().filter(|_| !stopped()).map(|e| view! { <p class="notice notice--error" role="alert" data-testid="workshop-error">{e}</p> })}
    }
}

/// The page when the relay has stopped it for good: removed, or the workshop ended before this person joined.
#[component]
fn Stopped(why: String) -> impl IntoView {
    view! {
        <section class="card" role="alert" data-testid="workshop-stopped">
            <h2>{why}</h2>
            <p><a href="/" rel="external">"Start a session of your own"</a></p>
        </section>
    }
}

/// "Your name", before joining.
#[component]
fn NameForm(id: String, capability: Capability, identity: RwSignal<Option<Identity>>) -> impl IntoView {
    let name = RwSignal::new(if capability == Capability::Host {
        "Facilitator".to_string()
    } else {
        String::new()
    });
    let problem = RwSignal::new(None::<&'static str>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(clean) = tandem_core::session::clean_name(&name.get_untracked()) else {
            problem.set(Some("Please give a name of 1 to 40 characters."));
            crate::components::focus_later("workshop-name".to_string());
            return;
        };
        let me = Identity {
            key: storage::new_participant_key(),
            name: clean,
            role: None,
            claim: None,
        };
        storage::save_json(&identity_key(&id), &me);
        identity.set(Some(me));
    };
    let heading = match capability {
        Capability::Host => "You run this workshop",
        Capability::Participant => "Join the workshop",
        Capability::Observer => "Watch the workshop",
    };
    view! {
        <form class="card join" on:submit=submit novalidate>
            <h2>{heading}</h2>
            <p class="hint">"Your name is shown to the others in the workshop. Partners and roles are given per round."</p>
            <div class="field">
                <label class="field__label" for="workshop-name">"Your name"</label>
                <input id="workshop-name" type="text" class="input" autocomplete="name" maxlength=limits::MAX_NAME_CHARS.to_string()
                    prop:value=move || name.get() on:input=move |ev| { name.set(event_target_value(&ev)); problem.set(None); }
                    aria-invalid=move || problem.get().is_some().to_string() aria-describedby="workshop-name-error" autofocus/>
                <p class="field__error" id="workshop-name-error">{move || problem.get()}</p>
            </div>
            <button class="button button--primary button--big" type="submit">"Join"</button>
        </form>
    }
}

/// The workshop once joined: the facilitator's or an observer's view, or a participant's place.
#[component]
fn Live(live: WorkshopLive, link: WorkshopLink) -> impl IntoView {
    // Rebuilt when the page is welcomed or its kind changes, not on every update of the view.
    let ready = Memo::new(move |_| live.view.with(Option::is_some));
    let capability = Memo::new(move |_| live.capability.get());
    move || {
        if !ready.get() {
            return view! { <p class="loading" data-testid="workshop-loading">"Connecting to the workshop…"</p> }
                .into_any();
        }
        match capability.get() {
            Some(Capability::Participant) => view! { <ParticipantView live skills=link.skills/> }.into_any(),
            _ => facilitator::facilitator_live(live, link.clone()),
        }
    }
}

/// The address of one of the workshop's pages the relay draws, for this page's link: `skills` (issue 17;
/// server/src/workshop_skills.rs), where a participant picks theirs and every link sees the group's picture, or
/// `closing` (server/src/workshop_closing.rs), the closing question.
fn relay_href(page: &str) -> String {
    match crate::Route::current() {
        crate::Route::Workshop { id, token } => format!("/w/{id}/{page}?t={token}"),
        _ => String::new(),
    }
}

/// A way to one of the workshop's pages the relay draws ([`relay_href`]).
fn relay_link(page: &'static str, class: &'static str, label: &'static str) -> impl IntoView {
    view! { <a class=class href=relay_href(page) data-testid=format!("{page}-open")>{label}</a> }
}

/// The group's knowledge-gap picture (and on the facilitator's link why each proposed group was proposed), drawn by
/// the relay and kept current by it: a frame costs this page no code for the chart, the table or the reasons.
fn skills_frame() -> impl IntoView {
    view! { <iframe class="skills-frame" src=format!("{}&embed=true", relay_href("skills")) title="The group's knowledge gaps" data-testid="skills-frame"></iframe> }
}

/// A name for a member id.
fn name_of(view: &WorkshopView, id: ParticipantId) -> String {
    view.people
        .iter()
        .find(|p| p.id == id)
        .map_or_else(|| "A former participant".to_string(), |p| p.name.clone())
}

/// A participant's page: the lobby, their breakout (they are sent there), the plenary between rounds, the end.
#[component]
fn ParticipantView(live: WorkshopLive, skills: bool) -> impl IntoView {
    // Into the breakout as soon as the view has one for this person: the session page takes over there. Once: a
    // later view (someone else arriving) must not start the navigation again, which would cancel the first.
    let entering = StoredValue::new(false);
    Effect::new(move |_| {
        let Some(view) = live.view.get() else { return };
        if view.stage != Stage::Breakouts || entering.get_value() {
            return;
        }
        let (Some(me), Some(info)) = (live.you.get_untracked(), live.info.get_untracked()) else {
            return;
        };
        if let Some(b) = view
            .breakouts
            .iter()
            .find(|b| b.link.is_some() && b.members.contains(&me))
        {
            entering.set_value(true);
            enter_breakout(b, me, name_of(&view, me), &info.format.roles);
        }
    });
    view! {
        <facilitator::StageLine live/>
        {move || {
            let view = live.view.get()?;
            let me = live.you.get()?;
            let total = live.info.with(|i| i.as_ref().map_or(0, |i| i.settings.rounds));
            let planned = live.info.with(|i| i.as_ref().map_or(0, |i| tandem_core::session::total_minutes(&i.format.phases)));
            let people = view.people.iter().filter(|p| p.capability == Capability::Participant).count();
            Some(match view.stage {
                Stage::Lobby => view! {
                    <section class="card" data-testid="lobby">
                        <h2>"You are in"</h2>
                        <p>{format!("Waiting for the facilitator to open round 1 of {total}. {people} {} joined so far.", plural(people, "person has", "people have"))}</p>
                        {skills.then(|| relay_link("skills", "button button--primary", "Pick your skills"))}
                        {facilitator::people_list(live, view.clone())}
                    </section>
                }.into_any(),
                Stage::Breakouts => view! {
                    <section class="card" data-testid="waiting">
                        <h2>{format!("Round {} is under way", view.rounds_done)}</h2>
                        {if view.breakouts.iter().any(|b| b.link.is_some()) {
                            "Taking you to your breakout…"
                        } else {
                            "You arrived after it started: the facilitator will place you in a breakout. Stay on this page."
                        }}
                    </section>
                }.into_any(),
                Stage::Plenary => view! {
                    <section class="card" data-testid="plenary">
                        <h2>{format!("Round {} of {total} is over", view.rounds_done)}</h2>
                        <p>{if view.rounds_done >= usize::from(total) {
                            "Back in the plenary. That was the last round: the facilitator will end the workshop."
                        } else {
                            "Back in the plenary. The facilitator will open the next round or end the workshop."
                        }}</p>
                        <BreakoutList view=view.clone() me planned/>
                    </section>
                }.into_any(),
                Stage::Ended => view! {
                    <section class="card" data-testid="workshop-ended">
                        <h2>"The workshop has ended"</h2>
                        <p>"Your breakouts, round by round: open one to see its notes, commitments and the feedback you may see."</p>
                        <BreakoutList view=view.clone() me planned/>
                        <p>{relay_link("closing", "button button--primary", "Answer the closing question")}</p>
                    </section>
                }.into_any(),
            })
        }}
        // Built once, outside the part above that each view rebuilds (a frame rebuilt would load again); after the
        // lobby it shows the picture the rounds were paired from, as the facilitator's page does.
        {skills.then(skills_frame)}
    }
}

/// A participant's (`me`) breakouts round by round, "with" their partners, each with the time its clocks ran against
/// the `planned` minutes and its summary link. (The facilitator's record of every breakout is a page the relay
/// draws: server/src/workshop_record.rs.)
#[component]
fn BreakoutList(view: WorkshopView, me: ParticipantId, planned: u32) -> impl IntoView {
    let rows: Vec<_> = view
        .breakouts
        .iter()
        .map(|b| {
            let names: Vec<String> = b
                .members
                .iter()
                .filter(|&&m| m != me)
                .map(|&m| name_of(&view, m))
                .collect();
            let spent = b
                .spent_ms
                .map(|ms| format!(" · {} of {planned} min", (ms + 30_000) / 60_000))
                .unwrap_or_default();
            let text = if names.is_empty() {
                format!("Round {} · on your own{spent}", b.round)
            } else {
                format!("Round {} · with {}{spent}", b.round, and_list(&names))
            };
            (text, b.summary.clone())
        })
        .collect();
    view! {
        <When when={let empty = rows.is_empty(); move || !empty} fallback=|| view! { <p class="hint">"No breakouts yet."</p> }>
            <ol class="my-breakouts" data-testid="my-breakouts">
                {rows.clone().into_iter().map(|(text, summary)| view! {
                    <li>{text}" "{summary.map(|href| view! { <a href=href rel="external">"Open summary"</a> })}</li>
                }).collect_view()}
            </ol>
        </When>
    }
}

/// A clock that ticks every second (relay time), for countdowns.
fn ticking_now(live: WorkshopLive) -> RwSignal<i64> {
    let now = RwSignal::new(live.relay_now());
    if let Ok(handle) = set_interval_with_handle(move || now.set(live.relay_now()), std::time::Duration::from_secs(1)) {
        on_cleanup(move || handle.clear());
    }
    now
}

/// The countdown of the plenary the workshop is in, where the workshop set plenary minutes ("Plenary: 4:12 left",
/// "Plenary: 0:40 over", "Plenary: 10 min, not started"); `None` otherwise. The facilitator starts it; the closing
/// one starts by itself when everyone is called back from the last round.
fn plenary_clock(live: WorkshopLive, now: i64) -> Option<(String, bool)> {
    let settings = live.info.with(|i| i.as_ref().map(|i| i.settings))?;
    let (stage, rounds_done, started) = live
        .view
        .with(|v| v.as_ref().map(|v| (v.stage, v.rounds_done, v.plenary_started_at)))?;
    let minutes = tandem_core::workshop::plenary_minutes(stage, rounds_done, &settings);
    if minutes == 0 {
        return None;
    }
    let planned = i64::from(minutes) * 60_000;
    // Capped at the planned time: a page whose clock runs a little ahead of the relay's must not show 1:01 of 1:00.
    Some(match started.map(|at| (at + planned - now).min(planned)) {
        Some(left) if left < 0 => (format!("Plenary: {} over", format_remaining(-left)), true),
        Some(left) => (format!("Plenary: {} left", format_remaining(left)), false),
        None => (format!("Plenary: {minutes} min, not started"), false),
    })
}

/// "Ana", "Ana and Ben", "Ana, Ben and Cy".
fn and_list(names: &[String]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// `one` or `many`, as `n` asks.
fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Remembers who this person is in the breakout's session (the workshop's key, the name the workshop has for them,
/// the role the round gives them), then opens it: the session page connects without asking anything.
fn enter_breakout(b: &BreakoutView, me: ParticipantId, name: String, roles: &[tandem_core::session::RoleSpec]) {
    let Some(href) = b.link.clone() else { return };
    let Some(session) = href.strip_prefix("/s/").and_then(|rest| rest.split('?').next()) else {
        return;
    };
    let Some(mine) = storage::load_json::<Identity>(&identity_key_of_page()) else {
        return;
    };
    let position = b.members.iter().position(|&m| m == me).unwrap_or(0);
    let role = roles.get(position).or(roles.last()).map(|r| r.id.clone());
    storage::save_identity(
        session,
        &Identity {
            key: mine.key,
            // The name the workshop has now: the facilitator may have renamed this person.
            name,
            role,
            claim: None,
        },
    );
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(&href);
    }
}

/// The identity key of the workshop this page shows (from its address).
fn identity_key_of_page() -> String {
    match crate::Route::current() {
        crate::Route::Workshop { id, .. } => identity_key(&id),
        _ => String::new(),
    }
}
