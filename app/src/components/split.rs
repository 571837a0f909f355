//! Parts of a page whose code is a wasm file of its own (`cargo leptos build --split`), fetched the first time the
//! part is shown: the session page's join form and feedback form. Each is a `wasm_split` function with `fallible`
//! (Leptos' `#[lazy]` is the same macro without it, and panics, so stops the whole page, when the file cannot be
//! fetched); the part shows "Loading…" until its code is there and "Try again" if the fetch failed, while the rest of
//! the page keeps working.

use leptos::prelude::*;

/// The code of one split-out part, as the page has it: `None` until fetched, `failed` after a failed fetch.
pub struct SplitCode<T: 'static> {
    /// The part's view builder, once fetched.
    pub code: RwSignal<Option<T>>,
    /// The last fetch failed (the part offers to try again).
    pub failed: RwSignal<bool>,
}

impl<T: 'static> Clone for SplitCode<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for SplitCode<T> {}

impl<T: Copy + Send + Sync + 'static> SplitCode<T> {
    /// The part's code, fetched into `cache` by an earlier use on this page, or fetched now by `fetch` (browser only).
    pub fn fetched<F, Fut, E>(cache: &'static std::sync::OnceLock<T>, fetch: F) -> Self
    where
        F: Fn() -> Fut + Copy + 'static,
        Fut: std::future::Future<Output = Result<T, E>> + 'static,
    {
        let split = SplitCode {
            code: RwSignal::new(cache.get().copied()),
            failed: RwSignal::new(false),
        };
        Effect::new(move |_| {
            if split.code.get_untracked().is_none() {
                split.retry(cache, fetch);
            }
        });
        split
    }

    /// Fetches the code (again): the result lands in the signals, unless the part has gone meanwhile.
    pub fn retry<F, Fut, E>(self, cache: &'static std::sync::OnceLock<T>, fetch: F)
    where
        F: Fn() -> Fut + Copy + 'static,
        Fut: std::future::Future<Output = Result<T, E>> + 'static,
    {
        self.failed.set(false);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match fetch().await {
                Ok(code) => {
                    let _ = cache.set(code);
                    let _ = self.code.try_set(Some(code));
                }
                Err(_) => {
                    let _ = self.failed.try_set(true);
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (cache, fetch);
    }
}

/// The card a split-out part shows until its code is there, or when it could not be fetched (with "Try again").
#[component]
pub fn SplitPlaceholder(
    /// The part's heading, as the part itself shows it.
    title: String,
    /// "the feedback form", "the join form": what could not be loaded.
    what: &'static str,
    /// The last fetch failed.
    failed: bool,
    /// Called by "Try again".
    retry: Callback<()>,
    /// `data-testid` prefix: `{testid}-loading`, `{testid}-failed`.
    testid: &'static str,
    /// Extra class of the card.
    class: &'static str,
) -> impl IntoView {
    if failed {
        view! {
            <section class=format!("card {class}") data-testid=format!("{testid}-failed")>
                <h2>{title}</h2>
                <p class="error" role="alert">{format!("{} could not be loaded. Check the connection and try again.", capitalised(what))}</p>
                <button class="button" on:click=move |_| retry.run(())>"Try again"</button>
            </section>
        }
        .into_any()
    } else {
        view! {
            <section class=format!("card {class}") aria-busy="true" data-testid=format!("{testid}-loading")>
                <h2>{title}</h2>
                <p class="hint" role="status">{format!("Loading {what}…")}</p>
            </section>
        }
        .into_any()
    }
}

/// "the join form" → "The join form".
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
