//! `<When>`: leptos' `<Show>` without its generics.
//!
//! `<Show>` is generic over its condition closure and its children, so every use compiles its own memo, children
//! wrapper and branch-switching view: ~2 KB of wasm before wasm-opt per use, ~35 KB for the session page's
//! eighteen. `<When>` takes the condition as a `Signal<bool>` and the children boxed, so that code exists once and a
//! use costs its closures only (docs/performance.md, "Client size"). Same behaviour: the condition is memoized, the
//! children are built when it turns true and dropped when it turns false, and `fallback` shows otherwise.

use leptos::either::Either;
use leptos::prelude::*;

/// Shows `children` while `when` is true, else `fallback` (nothing by default).
#[component]
pub fn When(
    /// Whether to show the children.
    #[prop(into)]
    when: Signal<bool>,
    /// What to show while `when` is true.
    children: ChildrenFn,
    /// What to show while `when` is false.
    #[prop(optional, into)]
    fallback: ViewFn,
) -> impl IntoView {
    let shown = Memo::new(move |_| when.get());
    move || match shown.get() {
        true => Either::Left(children()),
        false => Either::Right(fallback.run()),
    }
}
