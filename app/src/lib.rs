//! Tandem's app crate: the pure session core and wire protocol (shared with the relay), and the Leptos UI.

#![recursion_limit = "256"]

pub mod notes;
pub mod protocol;
pub mod session;

pub mod api;
mod app;
pub mod components;
pub mod pages;
pub mod sync;

pub use app::{shell, App};

/// Browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `hydrate_lazy`: a lazy route's code (app.rs) is fetched before its part of the page hydrates.
    leptos::mount::hydrate_lazy(App);
}
