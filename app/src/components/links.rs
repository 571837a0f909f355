//! The session's links, each with a copy button.

use leptos::prelude::*;

/// Participant, host (when known) and observer links; a workshop's host is its facilitator.
#[component]
pub fn LinkList(
    participant: String,
    host: Option<String>,
    observer: String,
    #[prop(optional)] workshop: bool,
) -> impl IntoView {
    let (host_label, host_hint) = if workshop {
        ("Facilitator link", "Keep it: it carries the facilitator's controls.")
    } else {
        ("Host link", "Keep it: it carries the host controls.")
    };
    // The link copied last, with a count of copies: only that one says "Copied ✓", for two seconds.
    let copied = RwSignal::new(None::<(&'static str, u32)>);
    view! {
        <ul class="links">
            <LinkRow label="Participant link" hint="For the people taking part with you." url=participant testid="participant-link" copied/>
            {host.map(|h| view! { <LinkRow label=host_label hint=host_hint url=h testid="host-link" copied/> })}
            <LinkRow label="Observer link" hint="Read-only: watch without taking part." url=observer testid="observer-link" copied/>
        </ul>
    }
}

#[component]
fn LinkRow(
    label: &'static str,
    hint: &'static str,
    url: String,
    testid: &'static str,
    copied: RwSignal<Option<(&'static str, u32)>>,
) -> impl IntoView {
    let id = format!("{testid}-field");
    let to_copy = url.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&to_copy);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &to_copy;
        let n = copied.with_untracked(|c| c.map_or(0, |(_, n)| n + 1));
        copied.set(Some((testid, n)));
        set_timeout(
            move || {
                if copied.get_untracked() == Some((testid, n)) {
                    copied.set(None);
                }
            },
            std::time::Duration::from_secs(2),
        );
    };
    view! {
        <li class="link">
            <label class="link__label" for=id.clone()>{label}</label>
            <span class="link__hint">{hint}</span>
            <div class="link__row">
                <input id=id class="link__url" type="text" readonly value=url data-testid=testid
                    on:focus=|ev| {
                        #[cfg(feature = "hydrate")]
                        {
                            use wasm_bindgen::JsCast;
                            if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                input.select();
                            }
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }/>
                <button type="button" class="button button--small" on:click=copy aria-label=format!("Copy {label}")>
                    {move || if copied.get().is_some_and(|(which, _)| which == testid) { "Copied ✓" } else { "Copy" }}
                </button>
            </div>
        </li>
    }
}
