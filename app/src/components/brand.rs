//! The top bar.

use leptos::prelude::*;

/// Logo and name, linking home.
#[component]
pub fn Header(#[prop(optional)] children: Option<Children>) -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/" rel="external" aria-label="Tandem home">
                <svg class="brand__mark" viewBox="0 0 32 32" aria-hidden="true">
                    <circle cx="12" cy="16" r="9" fill="none" stroke="currentColor" stroke-width="3"/>
                    <circle cx="20" cy="16" r="9" fill="none" stroke="currentColor" stroke-width="3" opacity="0.55"/>
                </svg>
                <span class="brand__name">"Tandem"</span>
            </a>
            <div class="topbar__extra">{children.map(|c| c())}</div>
        </header>
    }
}
