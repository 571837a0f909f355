//! Who is here: names, roles, host badge, live presence.

use crate::components::rows::{rows_of, Rows};
use crate::components::when::When;
use crate::reactive::memo;
use crate::session::{Capability, RoleSpec};
use crate::sync::LiveSession;
use leptos::prelude::*;

/// Number of avatar colours in the stylesheet (`.avatar--c0` …).
pub const COLOURS: u32 = 8;

/// The people in the session, present ones first.
#[component]
pub fn PresenceList(live: LiveSession, roles: Vec<RoleSpec>) -> impl IntoView {
    let roles = StoredValue::new(roles);
    let people = memo(move || {
        let mut list = live.participants.get();
        crate::small_sort::stable_sort_by(&mut list, |a, b| (!a.online, a.id).cmp(&(!b.online, b.id)));
        list
    });
    let here = move || people.with(|ps| ps.iter().filter(|p| p.online).count());
    view! {
        <section class="card presence" aria-labelledby="presence-title">
            <h2 id="presence-title" class="card__title">"People " <span class="count" data-testid="present-count">{move || format!("{} here", here())}</span></h2>
            <ul class="people" data-testid="people">
                <Rows each=rows_of(move || people.get(), |p| (p.id, p.online, p.name.clone(), p.role.clone()), move |p| {
                        let me = live.me.get_untracked() == Some(p.id);
                        let initial = initial(&p.name);
                        let role = p.role.as_ref().and_then(|r| roles.with_value(|rs| rs.iter().find(|x| &x.id == r).map(|x| x.name.clone())));
                        view! {
                            <li class="person" class:person--away=!p.online data-testid="person" data-online=p.online.to_string()>
                                <span class=format!("avatar avatar--c{}", p.id.0 % COLOURS) aria-hidden="true">{initial}</span>
                                <span class="person__name">{p.name.clone()}{me.then_some(" (you)")}</span>
                                <span class="person__meta">
                                    {role}
                                    {(p.capability == Capability::Host).then(|| view! { <span class="badge badge--host">"host"</span> })}
                                    {(p.capability == Capability::Observer).then(|| view! { <span class="badge">"observer"</span> })}
                                    {(!p.online).then(|| view! { <span class="person__away">"left"</span> })}
                                </span>
                            </li>
                        }
                        .into_any()
                    })/>
            </ul>
            <When when=move || people.with(|p| p.len() <= 1)>
                <p class="hint">"Waiting for your peer. Send them the participant link."</p>
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
