//! The create page's choice between a pair session and a workshop for a group, with the workshop's settings.

use leptos::prelude::*;
use tandem_core::workshop::{GroupSize, WorkshopSettings, MAX_PLENARY_MINUTES, MAX_ROUNDS};

/// Skills a facilitator may pick with one click; any other is typed in.
const SUGGESTED: [&str; 8] = [
    "Giving feedback",
    "Facilitation",
    "Public speaking",
    "Mentoring",
    "Code review",
    "SQL",
    "Testing",
    "Estimation",
];

/// "Session for a pair" or "Workshop for a group"; for a workshop, its rounds, group size, plenaries and whether the
/// facilitator may read the breakouts' notes, and the skills it is about (`skills`, one per line). `workshop` is
/// `Some` while "Workshop for a group" is chosen.
#[component]
pub fn WorkshopOptions(workshop: RwSignal<Option<WorkshopSettings>>, skills: RwSignal<String>) -> impl IntoView {
    let is_workshop = move || workshop.with(Option::is_some);
    let set = move |f: &dyn Fn(&mut WorkshopSettings)| {
        workshop.update(|w| {
            if let Some(w) = w {
                f(w);
            }
        })
    };
    let number = move |ev: &leptos::ev::Event, max: u32| event_target_value(ev).parse::<u32>().unwrap_or(0).min(max);
    let value = move |f: fn(&WorkshopSettings) -> u32| move || workshop.with(|w| w.as_ref().map_or(0, f).to_string());
    view! {
        <div class="field" role="radiogroup" aria-labelledby="kind-label">
            <span class="field__label" id="kind-label">"Who takes part"</span>
            <label class="choice">
                <input type="radio" name="kind" value="pair" checked=true prop:checked=move || !is_workshop()
                    on:change=move |_| workshop.set(None)/>
                "A pair (or a trio): one session"
            </label>
            <label class="choice">
                <input type="radio" name="kind" value="workshop" prop:checked=is_workshop
                    on:change=move |_| workshop.set(Some(WorkshopSettings::default()))/>
                "Workshop for a group: everyone in pairs or trios, a new partner each round, one clock for the room"
            </label>
        </div>
        {move || is_workshop().then(|| view! {
            <div class="workshop-options" data-testid="workshop-options">
                <p class="hint">"Each breakout runs the agenda above. You get a facilitator link, one link for everyone and an observer link."</p>
                <div class="workshop-options__row">
                    <label class="field">
                        <span class="field__label">"Rounds"</span>
                        <input class="input input--small" type="number" min="1" max=MAX_ROUNDS.to_string() id="workshop-rounds"
                            prop:value=value(|w| u32::from(w.rounds))
                            on:change=move |ev| { let n = number(&ev, u32::from(MAX_ROUNDS)).max(1) as u8; set(&move |w| w.rounds = n) }/>
                    </label>
                    <label class="field">
                        <span class="field__label">"Plenary before (min)"</span>
                        <input class="input input--small" type="number" min="0" max=MAX_PLENARY_MINUTES.to_string()
                            prop:value=value(|w| w.plenary_before)
                            on:change=move |ev| { let n = number(&ev, MAX_PLENARY_MINUTES); set(&move |w| w.plenary_before = n) }/>
                    </label>
                    <label class="field">
                        <span class="field__label">"Plenary after (min)"</span>
                        <input class="input input--small" type="number" min="0" max=MAX_PLENARY_MINUTES.to_string()
                            prop:value=value(|w| w.plenary_after)
                            on:change=move |ev| { let n = number(&ev, MAX_PLENARY_MINUTES); set(&move |w| w.plenary_after = n) }/>
                    </label>
                </div>
                <div class="field" role="radiogroup" aria-labelledby="size-label">
                    <span class="field__label" id="size-label">"Group size"</span>
                    <label class="choice">
                        <input type="radio" name="group-size" value="pairs"
                            prop:checked=move || workshop.with(|w| w.as_ref().is_some_and(|w| w.group_size == GroupSize::Pairs))
                            on:change=move |_| set(&|w| w.group_size = GroupSize::Pairs)/>
                        "Pairs (one trio when the count is odd)"
                    </label>
                    <label class="choice">
                        <input type="radio" name="group-size" value="trios"
                            prop:checked=move || workshop.with(|w| w.as_ref().is_some_and(|w| w.group_size == GroupSize::Trios))
                            on:change=move |_| set(&|w| w.group_size = GroupSize::Trios)/>
                        "Trios"
                    </label>
                </div>
                <label class="choice">
                    <input type="checkbox" data-testid="one-clock"
                        prop:checked=move || workshop.with(|w| w.as_ref().is_some_and(|w| w.one_clock))
                        on:change=move |ev| { let on = event_target_checked(&ev); set(&move |w| w.one_clock = on) }/>
                    <span>"One clock for all breakouts, run by the facilitator"
                        <span class="hint">" (off: each breakout keeps its own pace)"</span></span>
                </label>
                <label class="choice">
                    <input type="checkbox" data-testid="place-late"
                        prop:checked=move || workshop.with(|w| w.as_ref().is_some_and(|w| w.place_late_joiners))
                        on:change=move |ev| { let on = event_target_checked(&ev); set(&move |w| w.place_late_joiners = on) }/>
                    <span>"Put people who arrive during a round into the smallest breakout"
                        <span class="hint">" (off: they wait until you place them)"</span></span>
                </label>
                <label class="choice">
                    <input type="checkbox" data-testid="reads-notes"
                        prop:checked=move || workshop.with(|w| w.as_ref().is_some_and(|w| w.facilitator_reads_notes))
                        on:change=move |ev| { let on = event_target_checked(&ev); set(&move |w| w.facilitator_reads_notes = on) }/>
                    <span>"The facilitator may read the breakouts' notes"
                        <span class="hint">" (off: you see each breakout's progress, never its content)"</span></span>
                </label>
                <label class="field">
                    <span class="field__label">"Skills this workshop is about " <span class="optional">"(optional)"</span></span>
                    <span class="hint">"One per line, up to 40, e.g. SQL or Giving feedback. Everyone marks what they can help with and what they want to learn; Tandem pairs people by them and shows the group's gaps."</span>
                    <textarea class="input" rows="4" data-testid="skills-list" prop:value=move || skills.get()
                        on:input=move |ev| skills.set(event_target_value(&ev))></textarea>
                </label>
                <div class="chips" role="group" aria-label="Suggested skills: add or remove">
                    {SUGGESTED.map(|skill| {
                        let listed = move || skills.with(|list| list.lines().any(|l| l.trim().eq_ignore_ascii_case(skill)));
                        view! {
                            <button type="button" class="chip" aria-pressed=move || listed().to_string() data-testid="skill-suggestion"
                                on:click=move |_| {
                                    // A suggestion adds its line, or takes it out again.
                                    let add = !listed();
                                    skills.update(|list| {
                                        let mut lines: Vec<&str> = list.lines().filter(|l| !l.trim().eq_ignore_ascii_case(skill) && !l.trim().is_empty()).collect();
                                        if add {
                                            lines.push(skill);
                                        }
                                        *list = lines.join("\n");
                                    })
                                }>{skill}</button>
                        }
                    }).collect_view()}
                </div>
            </div>
        })}
    }
}
