//! Tandem's app crate: the Leptos UI (pages, components) and the browser's sync layer. The pure session model,
//! wire protocol and notes document are the `tandem-core` crate (app/core), shared with the relay.

#![recursion_limit = "256"]

// The server renders with type-erased views and the browser hydrates with them (`--cfg erase_components`, set for
// every build in .cargo/config.toml). A `RUSTFLAGS` in the environment replaces that setting instead of adding to
// it; a build without it would still succeed, and then the server's and the browser's hydration markers would
// disagree at run time. So a build of the views without it stops here.
#[cfg(all(any(feature = "ssr", feature = "hydrate"), not(erase_components)))]
compile_error!(
    "the app must be built with `--cfg erase_components` (.cargo/config.toml sets it; a RUSTFLAGS in the \
     environment overrides that: add `--cfg erase_components` to it, or unset it)"
);

pub mod api;
mod app;
pub mod components;
pub mod pages;
pub mod sync;

#[cfg(feature = "ssr")]
pub use app::shell;
pub use app::{page_title, query_param, App, LazyPage, Route};

/// Browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::*;
    // A panic in the release build aborts at once without running any hook (`-Cpanic=immediate-abort`, Makefile), so
    // the hook, its message formatting with it, is only compiled into the debug build.
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
    match Route::current() {
        Route::Create => hydrate_lazy(pages::create::create_page()),
        Route::Ready { .. } => hydrate_lazy(pages::ready::ready_page()),
        Route::Summary { .. } => hydrate_lazy(pages::summary::summary_page()),
        Route::Workshop { .. } => hydrate_lazy(pages::workshop::workshop_page()),
        Route::Session { .. } | Route::NotFound => leptos::mount::hydrate_body(|| view! { <App/> }),
    }

    /// Fetches a page's own wasm file, then hydrates the page with it.
    fn hydrate_lazy(page: impl std::future::Future<Output = LazyPage> + 'static) {
        wasm_bindgen_futures::spawn_local(async move {
            let page = page.await;
            leptos::mount::hydrate_body(move || view! { <App lazy=page/> });
        });
    }
}
