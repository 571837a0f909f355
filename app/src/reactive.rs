//! `Memo::new` and `Effect::new` with their closures boxed.
//!
//! Both are generic over their closure, so every use compiled its own copy of the memo's or effect's machinery
//! (~1.5–2 KB and ~0.8 KB of wasm before wasm-opt). These box the closure and hand it to a function that is not
//! generic over it (a closure written inside `memo` itself would still be one type per caller), so that code exists
//! once per value type and a use costs its closure only (docs/performance.md, "Client size"). Use them where the
//! closure does not need the previous value; `Effect::new(move |prev| …)` stays as it is.

use leptos::prelude::*;

/// A memo of `f()`: like `Memo::new(move |_| f())`.
pub fn memo<T>(f: impl Fn() -> T + Send + Sync + 'static) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    boxed_memo(Box::new(f))
}

fn boxed_memo<T>(f: Box<dyn Fn() -> T + Send + Sync>) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| f())
}

/// An effect that runs `f` (in the browser, after rendering, and again when what it reads changes): like
/// `Effect::new(move |_| f())`.
pub fn effect(f: impl Fn() + 'static) {
    boxed_effect(Box::new(f));
}

fn boxed_effect(f: Box<dyn Fn()>) {
    Effect::new(move |_| f());
}
