//! Who is here: names, roles, host badge, live presence.

use crate::components::rows::{rows_of, Rows};
use crate::components::when::When;
use crate::sync::LiveSession;
use leptos::prelude::*;
use std::time::Duration;
use tandem_core::session::{Capability, ParticipantId, ParticipantView, RoleSpec};

/// Number of avatar colours in the stylesheet (`.avatar--c0` …).
pub const COLOURS: u32 = 8;

/// How long someone whose connection dropped shows as "reconnecting…" before "left": a reload or a network blip
/// comes back well within it.
pub const RECONNECT_GRACE: Duration = Duration::from_secs(10);

/// How long the "Ben joined" toast stays.
const TOAST_TIME: Duration = Duration::from_secs(6);

/// Someone (not the viewer) joined, came back after they had left, or left (their grace period ran out).
#[derive(Clone, Debug, PartialEq)]
pub struct Arrival {
    /// Counts arrivals on this page, so that two alike in a row still show.
    pub seq: u32,
    /// What to show and announce ("Ben joined", "Ben left").
    pub text: String,
}

/// Presence as this page tells it: who just arrived, and who dropped moments ago and may be back soon.
#[derive(Clone, Copy)]
pub struct PresenceNews {
    /// The latest arrival (or departure), for the toast and the screen-reader announcement.
    pub arrival: RwSignal<Option<Arrival>>,
    /// People whose connection dropped less than [`RECONNECT_GRACE`] ago ("reconnecting…"), each with the number of
    /// the drop, so that the timer of an earlier drop does not cut a later drop's grace short.
    pub reconnecting: RwSignal<Vec<(ParticipantId, u32)>>,
}

impl PresenceNews {
    /// Whether `id` dropped moments ago and may be back soon.
    pub fn is_reconnecting(&self, id: ParticipantId) -> bool {
        self.reconnecting.with(|r| r.iter().any(|(x, _)| *x == id))
    }

    /// Makes `text` the latest news: shown in the toast and said by the announcer.
    fn tell(&self, text: String) {
        let seq = self.arrival.with_untracked(|a| a.as_ref().map_or(1, |a| a.seq + 1));
        self.arrival.set(Some(Arrival { seq, text }));
    }
}

/// Watches the people list: an arrival after the first list the page received is news; someone going offline is
/// "reconnecting…" for [`RECONNECT_GRACE`], then "left" (news too: screen readers hear it, as others see it in the
/// list); coming back within it is no news.
pub fn use_presence_news(live: LiveSession) -> PresenceNews {
    let news = PresenceNews {
        arrival: RwSignal::new(None),
        reconnecting: RwSignal::new(Vec::new()),
    };
    let mut drops = 0u32;
    Effect::new(move |prev: Option<Option<Vec<(ParticipantId, bool)>>>| {
        let now: Vec<(ParticipantId, bool, String)> = live
            .participants
            .with(|ps| ps.iter().map(|p| (p.id, p.online, p.name.clone())).collect());
        if now.is_empty() {
            // Not welcomed yet: the first list that arrives is where the page starts, not news.
            return None;
        }
        let me = live.me.get_untracked();
        if let Some(Some(before)) = prev {
            for (id, online, name) in &now {
                let was = before.iter().find(|(b, _)| b == id).map(|(_, o)| *o);
                if *online && was != Some(true) {
                    let in_grace = untrack(|| news.is_reconnecting(*id));
                    news.reconnecting.update(|r| r.retain(|(x, _)| x != id));
                    if Some(*id) != me && !in_grace {
                        let verb = if was.is_some() { "is back" } else { "joined" };
                        news.tell(format!("{name} {verb}"));
                    }
                } else if !*online && was == Some(true) {
                    drops += 1;
                    let drop = (*id, drops);
                    news.reconnecting.update(|r| r.push(drop));
                    let left = (Some(*id) != me).then(|| format!("{name} left"));
                    set_timeout(
                        move || {
                            // Still in the list: they did not come back within the grace period (which clears it).
                            let gone = news.reconnecting.with_untracked(|r| r.contains(&drop));
                            news.reconnecting.update(|r| r.retain(|d| *d != drop));
                            if let Some(left) = left.filter(|_| gone) {
                                news.tell(left);
                            }
                        },
                        RECONNECT_GRACE,
                    );
                }
            }
        }
        Some(now.into_iter().map(|(id, online, _)| (id, online)).collect())
    });
    news
}

/// The latest arrival (or departure) as a toast for a few seconds. Hidden from screen readers, which hear it from the
/// announcer.
#[component]
pub fn ArrivalToast(news: PresenceNews) -> impl IntoView {
    let visible = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(a) = news.arrival.get() {
            visible.set(Some(a.text));
            let seq = a.seq;
            set_timeout(
                move || {
                    if news.arrival.with_untracked(|a| a.as_ref().map(|a| a.seq)) == Some(seq) {
                        visible.set(None);
                    }
                },
                TOAST_TIME,
            );
        }
    });
    view! {
        <div class="toasts" aria-hidden="true">
            {move || visible.get().map(|text| view! { <p class="toast" data-testid="toast">{text}</p> })}
        </div>
    }
}

/// The people in the session, present ones first; someone reconnecting keeps their place.
#[component]
pub fn PresenceList(live: LiveSession, roles: Vec<RoleSpec>, news: PresenceNews) -> impl IntoView {
    let roles = StoredValue::new(roles);
    let people = Memo::new(move |_| {
        let mut list = live.participants.get();
        let gone = |p: &ParticipantView| !p.online && !news.is_reconnecting(p.id);
        tandem_core::small_sort::stable_sort_by(&mut list, |a, b| (gone(a), a.id).cmp(&(gone(b), b.id)));
        list
    });
    let here = move || people.with(|ps| ps.iter().filter(|p| p.online).count());
    view! {
        <section class="card presence" aria-labelledby="presence-title">
            <h2 id="presence-title" class="card__title">"People " <span class="count" data-testid="present-count">{move || format!("{} here", here())}</span></h2>
            <ul class="people" data-testid="people">
                <Rows each=rows_of(move || people.get(), move |p| (p.id, p.online, p.name.clone(), p.role.clone(), !p.online && news.is_reconnecting(p.id)), move |p| {
                        let reconnecting = !p.online && untrack(|| news.is_reconnecting(p.id));
                        let me = live.me.get_untracked() == Some(p.id);
                        let initial = initial(&p.name);
                        let role = p.role.as_ref().and_then(|r| roles.with_value(|rs| rs.iter().find(|x| &x.id == r).map(|x| x.name.clone())));
                        view! {
                            <li class="person" class:person--away=!p.online && !reconnecting data-testid="person" data-online=p.online.to_string()
                                data-presence=if p.online { "here" } else if reconnecting { "reconnecting" } else { "left" }>
                                <span class=format!("avatar avatar--c{}", p.id.0 % COLOURS) aria-hidden="true">{initial}</span>
                                <span class="person__name">{p.name.clone()}{me.then_some(" (you)")}</span>
                                <span class="person__meta">
                                    {role}
                                    {(p.capability == Capability::Host).then(|| view! { <span class="badge badge--host">"host"</span> })}
                                    {(p.capability == Capability::Observer && !p.id.is_app()).then(|| view! { <span class="badge">"observer"</span> })}
                                    {(!p.online).then(|| view! { <span class="person__away">{if reconnecting { "reconnecting…" } else { "left" }}</span> })}
                                </span>
                            </li>
                        }
                        .into_any()
                    })/>
            </ul>
            <When when=move || people.with(|p| p.len() <= 1)>
                <p class="hint">"Waiting for the others. Send them the participant link."</p>
            </When>
        </section>
    }
}

/// The first letter of `name` in upper case, for a person's avatar. The browser asks JS (`toUpperCase`), which has
/// the Unicode case tables already, instead of shipping Rust's copy of them in the bundle (docs/performance.md).
fn initial(name: &str) -> String {
    let Some(first) = name.chars().next() else {
        return String::new();
    };
    #[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
    {
        String::from(js_sys::JsString::from(first.to_string()).to_upper_case())
    }
    #[cfg(not(all(feature = "hydrate", target_arch = "wasm32")))]
    {
        first.to_uppercase().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::initial;

    #[test]
    fn initial_is_the_first_letter_in_upper_case() {
        assert_eq!(initial("ana"), "A");
        assert_eq!(initial("élodie"), "É");
        assert_eq!(initial("ßen"), "SS");
        assert_eq!(initial("Łukasz Nowak"), "Ł");
        assert_eq!(initial(""), "");
    }
}
