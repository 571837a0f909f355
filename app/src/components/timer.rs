//! The countdown, its controls, and the spoken announcements.

use crate::components::presence::PresenceNews;
use crate::components::shortcuts::{use_shortcuts, Shortcut, ShortcutsHelp};
use crate::components::when::When;
use crate::sync::{storage, LiveSession};
use leptos::prelude::*;
use tandem_core::session::clock::format_remaining;
use tandem_core::session::{planned_ms, RoomEvent, RoomState, SessionSpec, Timer, TimerCommand};

/// Remaining time of the room's current phase on the relay's clock, recomputed every animation frame (and when the
/// tab becomes visible); the signal changes only when the displayed value does.
pub fn use_remaining(live: LiveSession, room: Memo<RoomState>) -> ReadSignal<i64> {
    let compute = move || room.with_untracked(|r| r.timer.remaining_ms(live.relay_now() as i64));
    let (remaining, set_remaining) =
        signal(room.with_untracked(|r| r.timer.remaining_ms(crate::sync::local_now() as i64)));
    let refresh = move || {
        let next = compute();
        if format_remaining(next) != format_remaining(remaining.get_untracked()) {
            set_remaining.set(next);
        }
    };
    // A new room state or clock estimate shows at once.
    Effect::new(move |_| {
        room.track();
        live.offset_ms.track();
        refresh();
    });
    #[cfg(feature = "hydrate")]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let alive = Arc::new(AtomicBool::new(true));
        fn frame(alive: Arc<AtomicBool>, refresh: impl Fn() + Clone + 'static) {
            if !alive.load(Ordering::Relaxed) {
                return;
            }
            refresh();
            let again = refresh.clone();
            request_animation_frame(move || frame(alive, again));
        }
        frame(alive.clone(), refresh);
        // Hidden tabs get no frames; the visible one recomputes on its first frame and here.
        let vis = window_event_listener_untyped("visibilitychange", move |_| refresh());
        on_cleanup(move || {
            alive.store(false, Ordering::Relaxed);
            vis.remove();
        });
    }
    remaining
}

/// The clock with its controls.
#[component]
pub fn TimerCard(
    live: LiveSession,
    spec: SessionSpec,
    room: Memo<RoomState>,
    remaining: ReadSignal<i64>,
    may_drive: Memo<bool>,
) -> impl IntoView {
    let phases = StoredValue::new(spec.phases.clone());
    let auto = spec.settings.auto_advance;
    let who_runs = match spec.settings.timer_control {
        tandem_core::session::TimerControl::Host if spec.settings.breakout => "The facilitator runs the timer.",
        tandem_core::session::TimerControl::Host => "The host runs the timer.",
        tandem_core::session::TimerControl::Everyone => "The people taking part run the timer.",
    };
    let timer = Memo::new(move |_| room.with(|r| r.timer));
    let phase = Memo::new(move |_| room.with(|r| r.phase));
    let count = phases.with_value(Vec::len);
    let planned = move || phases.with_value(|p| planned_ms(p, phase.get()));
    let over = move || remaining.get() < 0;
    // Fraction of the ring still to run.
    let fraction = move || {
        let r = remaining.get().max(0) as f64;
        let total = (planned() as f64).max(r).max(1.0);
        r / total
    };
    let cmd = move |c: TimerCommand| live.send_timer(c);
    // Undo is offered for a short while after a phase change (UNDO_WINDOW_MS on the relay's clock, from the change
    // time the room carries), so a reload or a late glance never finds a stale "pull everyone back" button.
    let undo_phase = RwSignal::new(None::<usize>);
    Effect::new(move |_| {
        live.offset_ms.track();
        let (version, offer, left) = room.with(|r| {
            let now = live.relay_now() as i64;
            (r.version, r.undo_offer(now), r.undo_window_left(now))
        });
        undo_phase.set(offer);
        if let (Some(_), Some(left)) = (offer, left) {
            set_timeout(
                move || {
                    if room.with_untracked(|r| r.version) == version {
                        undo_phase.set(None);
                    }
                },
                std::time::Duration::from_millis(left.max(0) as u64),
            );
        }
    });
    let undo_target = Memo::new(move |_| {
        undo_phase
            .get()
            .and_then(|i| phases.with_value(|p| p.get(i).map(|x| x.title.clone())))
    });
    // Start, pause and resume are one button whose text and command follow the clock, so that the keyboard stays on
    // it when it changes.
    let primary = move || match timer.get_untracked() {
        Timer::Ready { .. } => TimerCommand::Start,
        Timer::Running { .. } => TimerCommand::Pause,
        Timer::Paused { .. } => TimerCommand::Resume,
    };
    // A control the person just used can go (undo) or be disabled (next, on reaching the last phase) by the change it
    // caused: the keyboard then stays in the timer card instead of falling back to the start of the page.
    let used_control = StoredValue::new(false);
    let used = move |c: TimerCommand| {
        used_control.set_value(true);
        cmd(c);
    };
    Effect::new(move |_| {
        room.track();
        if used_control.get_value() {
            used_control.set_value(false);
            crate::components::keep_focus_in(&["phase-next", "phase-previous", "timer-primary"]);
        }
    });
    let help = RwSignal::new(false);
    use_shortcuts(may_drive.into(), move |s| match s {
        Shortcut::StartPause => cmd(primary()),
        Shortcut::Next if phase.get_untracked() + 1 < count => cmd(TimerCommand::Next {
            from: phase.get_untracked(),
        }),
        Shortcut::Previous if phase.get_untracked() > 0 => cmd(TimerCommand::Previous {
            from: phase.get_untracked(),
        }),
        Shortcut::Undo if undo_phase.get_untracked().is_some() => cmd(TimerCommand::Undo),
        Shortcut::AddMinute => cmd(TimerCommand::AddTime { seconds: 60 }),
        Shortcut::Help => help.set(true),
        Shortcut::Next | Shortcut::Previous | Shortcut::Undo => {}
    });
    use_tab_title(live, room, phases, &spec.template_name);
    let sound = RwSignal::new(false);
    Effect::new(move |_| sound.set(storage::load_flag("sound")));
    const RING: f64 = 2.0 * std::f64::consts::PI * 54.0;
    view! {
        <section class="card timer" id="timer" tabindex="-1" class:timer--over=over class:timer--paused=move || !timer.get().is_running() aria-labelledby="timer-title">
            <h2 id="timer-title" class="sr-only">"Timer"</h2>
            <div class="clock">
                <svg class="clock__ring" viewBox="0 0 120 120" aria-hidden="true">
                    <circle class="clock__track" cx="60" cy="60" r="54"/>
                    <circle class="clock__progress" cx="60" cy="60" r="54"
                        stroke-dasharray=hundredths(RING)
                        stroke-dashoffset=move || hundredths(RING * (1.0 - fraction()))/>
                </svg>
                <div class="clock__face">
                    <span class="clock__time" role="timer" data-testid="clock" data-remaining-ms=move || remaining.get().to_string()>
                        {move || format_remaining(remaining.get())}
                    </span>
                    <span class="clock__label" data-testid="clock-label">{move || match timer.get() {
                        Timer::Ready { .. } => "ready",
                        Timer::Paused { .. } => "paused",
                        Timer::Running { .. } if remaining.get() < 0 => "over time",
                        Timer::Running { .. } => "left",
                    }}</span>
                </div>
            </div>
            <When when=over>
                <p class="timer__up" role="note">
                    {move || if phase.get() + 1 < count {
                        if auto { "Time is up: moving on." } else { "Time is up. Wrap up, or add a minute." }
                    } else { "Time is up for the last phase." }}
                </p>
            </When>
            <When when=move || may_drive.get() fallback=move || view! { <p class="hint timer__who">{who_runs}</p> }>
                <div class="controls controls--timer" role="group" aria-label="Timer controls">
                    <button class="button button--primary" id="timer-primary" aria-keyshortcuts="Space"
                        on:click=move |_| used(primary())>
                        {move || match timer.get() {
                            Timer::Ready { .. } => "▶ Start",
                            Timer::Running { .. } => "❚❚ Pause",
                            Timer::Paused { .. } => "▶ Resume",
                        }}
                    </button>
                    <button class="button" on:click=move |_| cmd(TimerCommand::AddTime { seconds: 60 }) aria-label="+1 min: add one minute" aria-keyshortcuts="+">"+1 min"</button>
                    <button class="button" on:click=move |_| cmd(TimerCommand::AddTime { seconds: 300 }) aria-label="+5 min: add five minutes">"+5 min"</button>
                </div>
                <div class="controls" role="group" aria-label="Phase controls">
                    <button class="button" id="phase-previous" disabled=move || phase.get() == 0
                        aria-label="Previous phase" aria-keyshortcuts="P"
                        on:click=move |_| used(TimerCommand::Previous { from: phase.get_untracked() })>"← Previous"</button>
                    <button class="button" id="phase-next" disabled={move || phase.get() + 1 >= count}
                        aria-label="Next phase" aria-keyshortcuts="N"
                        on:click=move |_| used(TimerCommand::Next { from: phase.get_untracked() })>"Next →"</button>
                </div>
                <When when=move || undo_target.get().is_some()>
                    <button class="link-button timer__undo" data-testid="undo-phase" aria-keyshortcuts="U" on:click=move |_| used(TimerCommand::Undo)>
                        {move || format!("↶ Undo: move everyone back to “{}”", undo_target.get().unwrap_or_default())}
                    </button>
                </When>
                <ShortcutsHelp open=help/>
            </When>
            <label class="choice choice--small">
                <input type="checkbox" prop:checked=move || sound.get()
                    on:change=move |ev| { let on = event_target_checked(&ev); sound.set(on); storage::save_flag("sound", on); }/>
                "Sound when time is up"
            </label>
            <TimeUpCue remaining sound/>
            <Notices live/>
        </section>
    }
}

/// While a phase's clock runs, the browser tab's title carries it ("4:12 · Goal — Tandem", "+0:45 over · Goal —
/// Tandem"), so that someone in another tab sees it. Updated once a second (timers still run in a hidden tab, where
/// animation frames do not); the page's own title comes back when the clock stops, or the page stops for good (the
/// session was deleted, say).
fn use_tab_title(
    live: LiveSession,
    room: Memo<RoomState>,
    phases: StoredValue<Vec<tandem_core::session::PhaseSpec>>,
    page_name: &str,
) {
    #[cfg(feature = "hydrate")]
    {
        // The page's own title, as `page_title` wrote it (not read from the document, which may show a countdown).
        let base = if page_name.is_empty() {
            "Tandem".to_string()
        } else {
            format!("{page_name} · Tandem")
        };
        let update = {
            let base = base.clone();
            move || {
                let (running, remaining, phase) = room.with_untracked(|r| {
                    (
                        r.timer.is_running(),
                        r.timer.remaining_ms(live.relay_now() as i64),
                        r.phase,
                    )
                });
                let title = phases.with_value(|p| p.get(phase).map(|x| x.title.clone()).unwrap_or_default());
                let stopped = matches!(live.status.get_untracked(), crate::sync::ConnStatus::Stopped(_));
                let text = if running && !stopped {
                    tab_title(remaining, &title)
                } else {
                    base.clone()
                };
                let doc = document();
                if doc.title() != text {
                    doc.set_title(&text);
                }
            }
        };
        Effect::new({
            let update = update.clone();
            move |_| {
                room.track();
                update();
            }
        });
        let interval = set_interval_with_handle(update, std::time::Duration::from_secs(1)).ok();
        on_cleanup(move || {
            if let Some(i) = interval {
                i.clear();
            }
            document().set_title(&base);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (live, room, phases, page_name);
}

/// The tab title for a running clock: "4:12 · Goal — Tandem", or "+0:45 over · Goal — Tandem" in overtime.
pub fn tab_title(remaining_ms: i64, phase_title: &str) -> String {
    let over = if remaining_ms < 0 { " over" } else { "" };
    format!("{}{over} · {phase_title} — Tandem", format_remaining(remaining_ms))
}

/// Plays a short chime when the clock crosses zero, if sound is on.
#[component]
fn TimeUpCue(remaining: ReadSignal<i64>, sound: RwSignal<bool>) -> impl IntoView {
    Effect::new(move |prev: Option<i64>| {
        let now = remaining.get();
        if let Some(prev) = prev {
            if prev >= 0 && now < 0 && sound.get_untracked() {
                chime();
            }
        }
        now
    });
}

/// A short bell (880 Hz, fading over 0.8 s: public/chime.wav), fetched the first time it plays. A browser that
/// refuses to play it (no sound device, autoplay rules) stays silent.
fn chime() {
    #[cfg(feature = "hydrate")]
    if let Ok(played) = web_sys::HtmlAudioElement::new_with_src("/chime.wav").and_then(|bell| bell.play()) {
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(played).await;
        });
    }
}

/// Refusals from the relay, shown briefly under the controls.
#[component]
fn Notices(live: LiveSession) -> impl IntoView {
    let visible = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(n) = live.notice.get() {
            visible.set(Some(n.text));
            let id = n.id;
            set_timeout(
                move || {
                    if live.notice.get_untracked().map(|n| n.id) == Some(id) {
                        visible.set(None);
                    }
                },
                std::time::Duration::from_secs(5),
            );
        }
    });
    view! {
        <p class="notice" role="alert" data-testid="notice">{move || visible.get()}</p>
    }
}

/// Screen-reader announcements, each said once: who joined, the clock started, paused or resumed, time added, phase
/// changes, "one minute left", time up.
#[component]
pub fn Announcer(
    live: LiveSession,
    spec: SessionSpec,
    room: Memo<RoomState>,
    remaining: ReadSignal<i64>,
    news: PresenceNews,
) -> impl IntoView {
    let phases = StoredValue::new(spec.phases);
    let text = RwSignal::new(String::new());
    // The same sentence twice in a row ("Ana added one minute.") is still a change for the live region: a no-break
    // space at the end makes it one, so a screen reader says it again.
    let say = move |s: String| text.update(|t| *t = if *t == s { format!("{s}\u{a0}") } else { s });
    // Someone joined: said once, politely ("Ben joined.").
    Effect::new(move |_| {
        if let Some(a) = news.arrival.get() {
            say(format!("{}.", a.text));
        }
    });
    let name_of = move |id| {
        live.participants
            .with_untracked(|ps| ps.iter().find(|p| Some(p.id) == id).map(|p| p.name.clone()))
    };
    Effect::new(move |_| {
        let Some((event, by)) = live.last_event.get() else {
            return;
        };
        // Someone else's change names them ("Ana paused the timer."); the viewer's own, and the relay's (auto-advance),
        // say only what happened.
        let other = name_of(by).filter(|_| by != live.me.get_untracked());
        let said = match (event, other) {
            (RoomEvent::PhaseChanged { to, undo, .. }, other) => {
                let count = phases.with_value(Vec::len);
                let title = phases.with_value(|p| p.get(to).map(|x| x.title.clone()).unwrap_or_default());
                // "Ana moved everyone to phase 2 of 5: Reality." / "Ana moved everyone back to …"
                let back = if undo { "back " } else { "" };
                let lead = match other {
                    Some(n) => format!("{n} moved everyone {back}to"),
                    None if undo => "Back to".to_string(),
                    None => "Now".to_string(),
                };
                format!("{lead} phase {} of {count}: {title}.", to + 1)
            }
            (RoomEvent::Started, Some(n)) => format!("{n} started the timer."),
            (RoomEvent::Started, None) => "Timer started.".to_string(),
            (RoomEvent::Paused, Some(n)) => format!("{n} paused the timer."),
            (RoomEvent::Paused, None) => "Timer paused.".to_string(),
            (RoomEvent::Resumed, Some(n)) => format!("{n} resumed the timer."),
            (RoomEvent::Resumed, None) => "Timer resumed.".to_string(),
            (RoomEvent::TimeAdded { seconds }, other) => {
                let amount = match seconds {
                    60 => "one minute".to_string(),
                    s if s % 60 == 0 => format!("{} minutes", s / 60),
                    s => format!("{s} seconds"),
                };
                match other {
                    Some(n) => format!("{n} added {amount}."),
                    None => format!("Added {amount}."),
                }
            }
        };
        say(said);
    });
    // Only while one phase runs on: entering a phase of a minute or less is announced as the phase change above, not
    // as "one minute left" (which would replace it before a screen reader said it).
    Effect::new(move |prev: Option<(i64, usize)>| {
        let now = remaining.get();
        let (running, phase) = room.with_untracked(|r| (r.timer.is_running(), r.phase));
        if let (Some((prev, _)), true) = (prev.filter(|(_, p)| *p == phase), running) {
            if prev > 60_000 && now <= 60_000 && now > 0 {
                say("One minute left.".into());
            } else if prev >= 0 && now < 0 {
                let title = phases.with_value(|p| {
                    p.get(room.with_untracked(|r| r.phase))
                        .map(|x| x.title.clone())
                        .unwrap_or_default()
                });
                say(format!("Time is up for {title}."));
            }
        }
        (now, phase)
    });
    view! { <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">{move || text.get()}</div> }
}

/// `x` (≥ 0) with two decimals, for SVG attributes, with integer formatting only (`{:.2}` compiles core's
/// precision float printer into the page).
fn hundredths(x: f64) -> String {
    let h = (x.max(0.0) * 100.0).round() as u64;
    format!("{}.{:02}", h / 100, h % 100)
}

#[cfg(test)]
mod tests {
    use super::{hundredths, tab_title};

    #[test]
    fn the_tab_title_carries_the_clock_and_the_phase() {
        assert_eq!(tab_title(252_000, "Goal"), "4:12 · Goal — Tandem");
        assert_eq!(tab_title(-45_000, "Goal"), "+0:45 over · Goal — Tandem");
    }

    #[test]
    fn hundredths_round_to_two_decimals() {
        assert_eq!(hundredths(339.292_006_587_697_6), "339.29");
        assert_eq!(hundredths(0.005), "0.01");
        assert_eq!(hundredths(2.0), "2.00");
        assert_eq!(hundredths(-3.0), "0.00");
    }
}
