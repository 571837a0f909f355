//! The facilitator's page (observers see the same without the controls): invite, the lobby, the next round's
//! groups to adjust and open, the dashboard of the open round, and the record once the workshop has ended.

use super::socket::WorkshopLive;
use super::{name_of, plenary_clock, plural, ticking_now};
use crate::api::ShareLinks;
use crate::components::confirm::Confirm;
use crate::components::focus_later;
use crate::components::links::LinkList;
use crate::components::when::When;
use leptos::prelude::*;
use tandem_core::protocol::workshop::{BreakoutStatus, ClockOp, WorkshopClientMsg, WorkshopView};
use tandem_core::session::clock::format_remaining;
use tandem_core::session::{Capability, ParticipantId, Timer};
use tandem_core::workshop::{GroupSize, Groups, Stage, MAX_BROADCAST_CHARS};

/// The facilitator's or an observer's view of the workshop, once joined.
pub fn facilitator_live(live: WorkshopLive, link: crate::api::WorkshopLink) -> AnyView {
    view! { <Facilitator live share=link.share host_link=link.host_link skills=link.skills/> }.into_any()
}

#[component]
fn Facilitator(
    live: WorkshopLive,
    share: Option<ShareLinks>,
    host_link: Option<String>,
    skills: bool,
) -> impl IntoView {
    let host = move || live.capability.get() == Some(Capability::Host);
    // The join screen is a page the relay serves (server/src/workshop_files.rs), for the facilitator's link only.
    let join_screen = match crate::Route::current() {
        crate::Route::Workshop { id, token } => format!("/w/{id}/join?t={token}"),
        _ => String::new(),
    };
    // The parts below are rebuilt when the stage changes, not on every update of the view (someone arriving must
    // not wipe a message being typed or a filter that is on): each reads what changes from `live` itself.
    let stage = Memo::new(move |_| live.view.with(|v| v.as_ref().map(|v| (v.stage, v.rounds_done))));
    view! {
        <StageLine live/>
        {share.map(|links| view! {
            // Open in the lobby, folded during rounds, gone once the workshop has ended.
            <details class="card share" open=move || matches!(stage.get(), Some((Stage::Lobby, _)))
                hidden=move || matches!(stage.get(), Some((Stage::Ended, _)))>
                <summary>"Invite people"</summary>
                <p class="hint">"One participant link for everyone. Keep your own link: it carries the facilitator's controls."</p>
                <LinkList participant=links.participant_link observer=links.observer_link host=host_link.clone() workshop=true/>
                <a class="button" href=join_screen.clone() target="_blank" rel="external" data-testid="show-join-screen">
                    "Show join screen"<span class="sr-only">" (opens a new window, to project)"</span>
                </a>
                {skills.then(|| super::relay_link("skills", "button", "Skills picture"))}
            </details>
        })}
        {move || {
            let (now, rounds_done) = stage.get()?;
            Some(match now {
                Stage::Lobby | Stage::Plenary => view! { <NextRound live rounds_done/> }.into_any(),
                Stage::Breakouts => view! { <Dashboard live round=rounds_done/> }.into_any(),
                Stage::Ended => view! { <Ended/> }.into_any(),
            })
        }}
        {skills.then(super::skills_frame)}
        <When when=move || host() && stage.get().is_some_and(|(s, _)| s != Stage::Ended)>
            <EndWorkshop live/>
        </When>
    }
}

/// The ended workshop: its record is a page the relay draws (server/src/workshop_record.rs), one click away, and
/// a Markdown file.
#[component]
pub(super) fn Ended() -> impl IntoView {
    let (record, markdown) = match crate::Route::current() {
        crate::Route::Workshop { id, token } => (
            format!("/w/{id}/record?t={token}"),
            format!("/w/{id}/record.md?t={token}"),
        ),
        _ => Default::default(),
    };
    view! {
        <section class="card record" data-testid="workshop-record">
            <h2>"Record"</h2>
            <p>"Rounds, groups and their times, messages sent, who took part, the closing answers."</p>
            <p class="controls">
                <a class="button button--primary" href=record rel="external" data-testid="record-open">"Open the record"</a>
                <a class="button" href=markdown download data-testid="record-markdown">"Download as Markdown"</a>
            </p>
        </section>
    }
}

/// Where the workshop is, in one line, with the plenary's clock where there is one (everyone's page shows it).
#[component]
pub(super) fn StageLine(live: WorkshopLive) -> impl IntoView {
    let now = ticking_now(live);
    move || {
        let view = live.view.get()?;
        let total = live.info.with(|i| i.as_ref().map_or(0, |i| i.settings.rounds));
        let present = view
            .people
            .iter()
            .filter(|p| p.capability == Capability::Participant && p.online)
            .count();
        let here = format!("{present} {} here", plural(present, "participant", "participants"));
        let text = match view.stage {
            Stage::Lobby => format!("Lobby · {here}"),
            Stage::Breakouts => format!("Round {} of {total} · breakouts open · {here}", view.rounds_done),
            Stage::Plenary => format!("Plenary after round {} of {total} · {here}", view.rounds_done),
            // A participant's page says so in its card.
            Stage::Ended if live.capability.get() == Some(Capability::Participant) => return None,
            Stage::Ended => "The workshop has ended".to_string(),
        };
        let (text, class) = match plenary_clock(live, now.get()) {
            Some((clock, over)) => (
                format!("{text} · {clock}"),
                if over {
                    "stage-line stage-line--over"
                } else {
                    "stage-line"
                },
            ),
            None => (text, "stage-line"),
        };
        Some(view! { <p class=class data-testid="stage-line">{text}</p> })
    }
}

/// The lobby or plenary: who is here, and the next round's groups to propose, adjust and open.
#[component]
fn NextRound(live: WorkshopLive, rounds_done: usize) -> impl IntoView {
    let host = live.capability.get_untracked() == Some(Capability::Host);
    let total = live
        .info
        .with_untracked(|i| i.as_ref().map_or(0, |i| i.settings.rounds));
    let size = live
        .info
        .with_untracked(|i| i.as_ref().map_or(GroupSize::Pairs, |i| i.settings.group_size));
    let present = Memo::new(move |_| {
        live.view.with(|v| {
            v.as_ref().map_or(0, |v| {
                v.people
                    .iter()
                    .filter(|p| p.capability == Capability::Participant && p.online)
                    .count()
            })
        })
    });
    let groups = move || match size {
        GroupSize::Pairs => present.get() / 2,
        GroupSize::Trios => present.get().div_ceil(3).min(present.get() / 2),
    };
    let left = usize::from(total).saturating_sub(rounds_done);
    // Back from a round: how long each breakout's clocks ran, drawn by the relay (as in the record).
    let times = match crate::Route::current() {
        crate::Route::Workshop { id, token } if rounds_done > 0 => {
            Some(format!("/w/{id}/times.svg?t={token}&r={rounds_done}"))
        }
        _ => None,
    };
    view! {
        {times.map(|src| view! {
            <details class="card" data-testid="round-times">
                <summary>"Time each breakout took"</summary>
                <div class="chart-scroll" tabindex="0" role="region" aria-label="Chart, scrolls sideways on narrow screens">
                    <img class="times-chart" src=src alt="Bar chart: planned and actual time of each breakout, red where it ran over."/>
                </div>
            </details>
        })}
        <section class="card" data-testid="lobby">
            <h2 class="card__title">"People"<span class="hint">{move || format!("{} here", present.get())}</span></h2>
            <When when=move || host && plenary_clock(live, 0).is_some()>
                <p>
                    <button class="button" type="button" data-testid="start-plenary" on:click=move |_| live.send(WorkshopClientMsg::StartPlenary)>
                        {move || if live.view.with(|v| v.as_ref().is_some_and(|v| v.plenary_started_at.is_some())) {
                            "Restart the plenary clock"
                        } else {
                            "Start the plenary clock"
                        }}
                    </button>
                </p>
            </When>
            {move || live.view.get().map(|view| view! { <PeopleAdmin live view host/> })}
        </section>
        <When when=move || host && (left > 0)>
            <section class="card" data-testid="next-round">
                <h2>{format!("Round {} of {total}", rounds_done + 1)}</h2>
                <p class="hint">{move || match groups() {
                    0 => "At least 2 participants must be here to open a round.".to_string(),
                    1 => "1 group with the people here now. Roles rotate from round to round.".to_string(),
                    n => format!("{n} groups with the people here now. Roles rotate from round to round."),
                }}</p>
                {move || match live.proposal.get() {
                    None => view! {
                        <button class="button button--primary" type="button" data-testid="propose" on:click=move |_| live.send(WorkshopClientMsg::Propose)>
                            "Propose groups"
                        </button>
                    }.into_any(),
                    Some((groups, repeats)) => view! { <Proposal live groups repeats/> }.into_any(),
                }}
            </section>
        </When>
    }
}

/// The proposed groups: move anyone to another group, then open the breakouts.
#[component]
fn Proposal(live: WorkshopLive, groups: Groups, repeats: u32) -> impl IntoView {
    let names = move |id: ParticipantId| {
        live.view
            .with(|v| v.as_ref().map(|v| name_of(v, id)).unwrap_or_default())
    };
    let roles: Vec<String> = live.info.with_untracked(|i| {
        i.as_ref()
            .map(|i| i.format.roles.iter().map(|r| r.name.clone()).collect())
            .unwrap_or_default()
    });
    let count = groups.len();
    let move_to = move |who: ParticipantId, to: usize| {
        live.proposal.update(|p| {
            if let Some((groups, _)) = p {
                for g in groups.iter_mut() {
                    g.retain(|&m| m != who);
                }
                if let Some(g) = groups.get_mut(to) {
                    g.push(who);
                }
                groups.retain(|g| !g.is_empty());
                // Kept by the relay: a reload, or another facilitator's page, shows the same.
                live.send(WorkshopClientMsg::Draft { groups: groups.clone() });
            }
        });
    };
    let to_open = groups.clone();
    let too_small = groups.iter().any(|g| g.len() < 2);
    view! {
        <p class="hint" data-testid="repeats">{if repeats == 0 {
            "Nobody meets someone they have met before.".to_string()
        } else {
            format!("{repeats} pairs have met before: there was no way around it with the people here.")
        }}</p>
        <ol class="groups" data-testid="proposal">
            {groups.into_iter().enumerate().map(|(n, g)| {
                let roles = roles.clone();
                view! {
                    <li class="group">
                        <h3>{format!("Group {}", n + 1)}</h3>
                        <ul>
                            {g.into_iter().enumerate().map(|(i, who)| {
                                let role = roles.get(i).or(roles.last()).cloned().unwrap_or_default();
                                let label = format!("Move {} to group", names(who));
                                view! {
                                    <li class="group__member">
                                        <span>{names(who)}" "<span class="hint">{role}</span></span>
                                        <select class="input input--small" aria-label=label data-testid="move-select"
                                            on:change=move |ev| { if let Ok(to) = event_target_value(&ev).parse::<usize>() { move_to(who, to) } }>
                                            {(0..count).map(|k| view! { <option value=k.to_string() selected=k == n>{format!("Group {}", k + 1)}</option> }).collect_view()}
                                        </select>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </li>
                }
            }).collect_view()}
        </ol>
        <p class="field-error" role="alert">{too_small.then_some("A group needs at least 2 people: move someone into it, or propose again.")}</p>
        <div class="controls">
            <button class="button button--primary button--big" type="button" data-testid="open-breakouts" disabled=too_small
                on:click=move |_| live.send(WorkshopClientMsg::Open { groups: to_open.clone() })>"Open breakouts"</button>
            <button class="button" type="button" data-testid="propose-again" on:click=move |_| live.send(WorkshopClientMsg::Propose)>"Propose again"</button>
        </div>
    }
}

/// Everyone who joined, with presence, as a participant's lobby shows them (no controls).
pub(super) fn people_list(live: WorkshopLive, view: WorkshopView) -> AnyView {
    view! { <PeopleAdmin live view host=false/> }.into_any()
}

/// Everyone who joined; the facilitator can rename or remove a participant.
#[component]
fn PeopleAdmin(live: WorkshopLive, view: WorkshopView, host: bool) -> impl IntoView {
    let people: Vec<_> = view
        .people
        .into_iter()
        .filter(|p| p.capability == Capability::Participant)
        .collect();
    let editing = RwSignal::new(None::<ParticipantId>);
    let draft = RwSignal::new(String::new());
    let empty = people.is_empty();
    view! {
        <When when=move || !empty fallback=|| view! { <p class="hint" data-testid="nobody-yet">"Nobody has joined yet. Share the participant link or show the join screen."</p> }>
            <ul class="people-admin" data-testid="people">
                {people.clone().into_iter().map(|p| {
                    let name = p.name.clone();
                    let id = p.id;
                    view! {
                        <li>
                            <span class=if p.online { "dot dot--on" } else { "dot" } aria-hidden="true"></span>
                            <When when=move || editing.get() == Some(id) fallback={let name = name.clone(); move || view! { <span class="people-admin__name">{name.clone()}</span> }}>
                                <form class="inline-form" on:submit=move |ev| {
                                    ev.prevent_default();
                                    live.send(WorkshopClientMsg::Rename { who: id, name: draft.get_untracked() });
                                    editing.set(None);
                                }>
                                    <input type="text" id="rename-field" class="input input--small" aria-label="New name" prop:value=move || draft.get()
                                        on:input=move |ev| draft.set(event_target_value(&ev)) autofocus/>
                                    <button class="button button--small" type="submit">"Save"</button>
                                </form>
                            </When>
                            <span class="sr-only">{if p.online { " (here)" } else { " (away)" }}</span>
                            <When when=move || host && editing.get() != Some(id)>
                                <button class="link-button" type="button" data-testid="rename" on:click={let name = p.name.clone(); move |_| { draft.set(name.clone()); editing.set(Some(id)); focus_later("rename-field".to_string()); }}>"Rename"</button>
                                <RemoveButton live who=id name=p.name.clone()/>
                            </When>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </When>
    }
}

/// "Remove", with a confirmation step.
#[component]
fn RemoveButton(live: WorkshopLive, who: ParticipantId, name: String) -> impl IntoView {
    view! {
        <Confirm ask="Remove" ask_class="link-button link-button--danger" id=format!("remove-{}", who.0) testid="remove"
            question=format!("Remove {name}? Their link stops working in this browser.")
            yes="Remove" yes_class="button button--danger" back="Keep" back_id=format!("keep-{}", who.0)
            on_yes=Callback::new(move |()| live.send(WorkshopClientMsg::Remove { who })) compact=true/>
    }
}

/// The open round: the facilitator's actions, filters, and a card per breakout.
#[component]
fn Dashboard(live: WorkshopLive, round: usize) -> impl IntoView {
    let host = live.capability.get_untracked() == Some(Capability::Host);
    let now = ticking_now(live);
    let over_only = RwSignal::new(false);
    let missing_only = RwSignal::new(false);
    let filters = (over_only, missing_only);
    view! {
        <When when=move || host>
            <Actions live/>
        </When>
        <section class="card" data-testid="dashboard">
            <h2 class="card__title">{format!("Breakouts of round {round}")}
                <span class="filters">
                    <label><input type="checkbox" data-testid="filter-over" prop:checked=move || over_only.get() on:change=move |ev| over_only.set(event_target_checked(&ev))/>" Over time"</label>
                    <label><input type="checkbox" data-testid="filter-missing" prop:checked=move || missing_only.get() on:change=move |ev| missing_only.set(event_target_checked(&ev))/>" Someone missing"</label>
                </span>
            </h2>
            {move || live.view.get().map(|view| view! { <BreakoutCards live view host now filters/> })}
        </section>
    }
}

/// The cards of the open round's breakouts, and who waits to be placed.
#[component]
fn BreakoutCards(
    live: WorkshopLive,
    view: WorkshopView,
    host: bool,
    now: RwSignal<i64>,
    filters: (RwSignal<bool>, RwSignal<bool>),
) -> impl IntoView {
    let (over_only, missing_only) = filters;
    let round = view.rounds_done;
    let cards: Vec<_> = view.breakouts.iter().filter(|b| b.round == round).cloned().collect();
    let count = cards.len();
    let placed: Vec<ParticipantId> = cards.iter().flat_map(|b| b.members.clone()).collect();
    let waiting: Vec<_> = view
        .people
        .iter()
        .filter(|p| p.capability == Capability::Participant && p.online && !placed.contains(&p.id))
        .cloned()
        .collect();
    let phases: Vec<String> = live.info.with_untracked(|i| {
        i.as_ref()
            .map(|i| i.format.phases.iter().map(|p| p.title.clone()).collect())
            .unwrap_or_default()
    });
    let status = move |n: usize| {
        live.dashboard
            .with(|d| d.iter().find(|s| s.number == n).cloned().unwrap_or_default())
    };
    let overtime = move |s: &BreakoutStatus| s.room.as_ref().is_some_and(|r| r.timer.remaining_ms(now.get()) < 0);
    let missing = move |members: &[ParticipantId], s: &BreakoutStatus| members.iter().any(|m| !s.present.contains(m));
    view! {
            <When when={let w = waiting.is_empty(); move || !w}>
                <div class="waiting" role="status" data-testid="waiting-people">
                    <strong>"Waiting to be placed: "</strong>
                    {waiting.clone().into_iter().map(|p| view! {
                        <span class="waiting-person">{p.name.clone()}" "
                            <MoveSelect live who=p.id current=None count label=format!("Place {} in a breakout", p.name)/>
                        </span>
                    }).collect_view()}
                </div>
            </When>
            <ol class="breakout-grid">
                {cards.into_iter().map(|b| {
                    let n = b.number;
                    let members = b.members.clone();
                    let phases = phases.clone();
                    let view = view.clone();
                    let shown = {
                        let members = members.clone();
                        move || {
                            let s = status(n);
                            (!over_only.get() || overtime(&s)) && (!missing_only.get() || missing(&members, &s))
                        }
                    };
                    view! {
                        <When when=shown.clone()>
                            <li class="breakout-card" data-testid="breakout-card"
                                class:breakout-card--over={let s = move || overtime(&status(n)); s}>
                                <h3>{format!("Breakout {n}")}
                                    {b.link.clone().map(|href| view! { <a class="hint" href=href target="_blank" rel="external">" Read notes"</a> })}
                                </h3>
                                <ul class="breakout-card__members">
                                    {members.iter().map(|&m| {
                                        let name = name_of(&view, m);
                                        let here = move || status(n).present.contains(&m);
                                        view! {
                                            <li>
                                                <span class=move || if here() { "dot dot--on" } else { "dot" } aria-hidden="true"></span>" "{name.clone()}
                                                <span class="sr-only">{move || if here() { " (here)" } else { " (not here)" }}</span>
                                                <When when=move || host>
                                                    <MoveSelect live who=m current=Some(n - 1) count label=format!("Move {name} to breakout")/>
                                                </When>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                {
                                    let phases = phases.clone();
                                    move || {
                                        let s = status(n);
                                        let Some(room) = s.room.clone() else {
                                            return view! { <p class="hint" data-testid="breakout-phase">"Not started yet"</p> }.into_any();
                                        };
                                        let title = phases.get(room.phase).cloned().unwrap_or_default();
                                        let left = room.timer.remaining_ms(now.get());
                                        let clock = match room.timer {
                                            Timer::Ready { .. } => "not started".to_string(),
                                            _ if left < 0 => format!("{} over", format_remaining(-left)),
                                            Timer::Paused { .. } => format!("{} left, paused", format_remaining(left)),
                                            _ => format!("{} left", format_remaining(left)),
                                        };
                                        view! {
                                            <p data-testid="breakout-phase"><strong>{format!("{}. {title}", room.phase + 1)}</strong></p>
                                            <p class="breakout-card__clock" data-testid="breakout-clock">{clock}</p>
                                        }.into_any()
                                    }
                                }
                                <p class="hint" data-testid="breakout-activity">{move || {
                                    let s = status(n);
                                    let edited = s.last_edit.map(|at| format!(", last edit {} ago", ago(now.get() - at))).unwrap_or_default();
                                    format!("Notes: {} characters{edited} · feedback given: {}", s.notes_chars, s.feedback)
                                }}</p>
                            </li>
                        </When>
                    }
                }).collect_view()}
            </ol>
    }
}

/// A select that moves `who` to another breakout of the open round.
#[component]
fn MoveSelect(
    live: WorkshopLive,
    who: ParticipantId,
    current: Option<usize>,
    count: usize,
    label: String,
) -> impl IntoView {
    // Chosen first, moved with the button: arrow keys on a closed select change its value at once in some browsers,
    // and must not move anyone. The choice outlives the dashboard being redrawn (`WorkshopLive::moving`).
    let choice = move || live.moving.get().filter(|(w, _)| *w == who).map(|(_, to)| to);
    let shown = live
        .moving
        .get_untracked()
        .filter(|(w, _)| *w == who)
        .map(|(_, to)| to)
        .or(current);
    view! {
        <span class="move">
            <select class="input input--small" aria-label=label data-testid="move-person"
                on:change=move |ev| live.moving.set(event_target_value(&ev).parse::<usize>().ok().map(|to| (who, to)))>
                <option value="" selected=shown.is_none() disabled=true>"Move to…"</option>
                {(0..count).map(|k| view! { <option value=k.to_string() selected=shown == Some(k)>{format!("Breakout {}", k + 1)}</option> }).collect_view()}
            </select>
            <button class="button button--small" type="button" data-testid="move-go"
                disabled=move || choice().is_none_or(|to| Some(to) == current)
                on:click=move |_| {
                    if let Some((_, to)) = live.moving.get_untracked().filter(|(w, _)| *w == who) {
                        live.moving.set(None);
                        live.send(WorkshopClientMsg::Move { who, to });
                    }
                }>"Move"</button>
        </span>
    }
}

/// The facilitator's actions on every breakout: a message, more time, call back.
#[component]
fn Actions(live: WorkshopLive) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        live.send(WorkshopClientMsg::Broadcast {
            text: text.get_untracked(),
        });
        text.set(String::new());
    };
    view! {
        <section class="card actions" data-testid="workshop-actions">
            <form class="inline-form" on:submit=send>
                <label class="field__label" for="broadcast-text">"Message to every breakout"</label>
                <input id="broadcast-text" type="text" class="input" maxlength=MAX_BROADCAST_CHARS.to_string() prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev)) placeholder="Five minutes left in this round"/>
                <button class="button" type="submit" data-testid="broadcast-send">"Send"</button>
            </form>
            <When when=move || live.info.with(|i| i.as_ref().is_some_and(|i| i.settings.one_clock))>
                <div class="controls" role="group" aria-label="Clock of every breakout">
                    {[(ClockOp::Start, "clock-start", "Start all"), (ClockOp::Pause, "clock-pause", "Pause all"),
                      (ClockOp::Resume, "clock-resume", "Resume all"), (ClockOp::Next, "clock-next", "Next phase for all")]
                        .map(|(op, testid, label)| view! {
                            <button class="button" type="button" data-testid=testid
                                on:click=move |_| live.send(WorkshopClientMsg::Clock { op })>{label}</button>
                        })}
                </div>
            </When>
            <div class="controls">
                <button class="button" type="button" data-testid="add-1" on:click=move |_| live.send(WorkshopClientMsg::AddTime { minutes: 1 })>"+1 min to all"</button>
                <button class="button" type="button" data-testid="add-5" on:click=move |_| live.send(WorkshopClientMsg::AddTime { minutes: 5 })>"+5 min to all"</button>
                <Confirm ask="Call everyone back" ask_class="button button--primary" id="call-back".to_string() testid="call-back"
                    question="End this round for every breakout?".to_string() yes="Call back" yes_class="button button--primary"
                    back="Not yet" back_id="call-back-not-yet".to_string() on_yes=Callback::new(move |()| live.send(WorkshopClientMsg::CallBack)) compact=true/>
            </div>
        </section>
    }
}

/// "End workshop", with a confirmation step.
#[component]
fn EndWorkshop(live: WorkshopLive) -> impl IntoView {
    view! {
        <div class="card end-session">
            <Confirm ask="End workshop…" ask_class="button button--danger-quiet" id="end-workshop".to_string() testid="end-workshop"
                question="End the workshop for everyone?".to_string() detail="Open breakouts end too; everyone sees their summary."
                yes="End workshop" yes_class="button button--danger" back="Keep going" back_id="end-workshop-keep".to_string()
                on_yes=Callback::new(move |()| live.send(WorkshopClientMsg::End))/>
        </div>
    }
}

fn ago(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min", s / 60)
    }
}
