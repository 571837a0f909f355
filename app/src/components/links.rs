//! The session's links, each with a copy button.

use leptos::prelude::*;

/// Participant, host (when known) and observer links.
#[component]
pub fn LinkList(participant: String, host: Option<String>, observer: String) -> impl IntoView {
    view! {
        <ul class="links">
            <LinkRow label="Participant link" hint="For the people taking part with you." url=participant testid="participant-link"/>
            {host.map(|h| view! { <LinkRow label="Host link" hint="Keep it: it carries the host controls." url=h testid="host-link"/> })}
            <LinkRow label="Observer link" hint="Read-only: watch without taking part." url=observer testid="observer-link"/>
        </ul>
    }
}

#[component]
fn LinkRow(label: &'static str, hint: &'static str, url: String, testid: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let id = format!("{testid}-field");
    let to_copy = url.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&to_copy);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &to_copy;
        copied.set(true);
        set_timeout(move || copied.set(false), std::time::Duration::from_secs(2));
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
                    {move || if copied.get() { "Copied ✓" } else { "Copy" }}
                </button>
            </div>
        </li>
    }
}
