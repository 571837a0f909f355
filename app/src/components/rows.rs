//! `<Rows>`: a keyed list like leptos' `<For>`, with its items and their views type-erased.
//!
//! `<For>` is generic over the item, the key and both closures, so every use compiled its own copy of the keyed
//! diffing, hydration and mounting code: 3.5–4.8 KB of wasm before wasm-opt per use. Here the keyed list is one
//! `<For>` over [`Row`]s (a `u64` key and a boxed view), and a use compiles only [`rows_of`]'s small mapping
//! (docs/performance.md, "Client size"). Same behaviour: a row's view is built when its key first appears, kept while
//! the key stays (moved, not rebuilt, when the order changes) and dropped when the key goes.

use leptos::prelude::*;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// One row of a [`Rows`] list: its key's hash and how to build its view.
#[derive(Clone)]
pub struct Row {
    key: u64,
    view: Arc<dyn Fn() -> AnyView + Send + Sync>,
}

/// The rows for `each()`'s items, keyed by `key` (hashed, then made distinct: [`distinct_keys`]) and built by
/// `view`.
pub fn rows_of<T, K>(
    each: impl Fn() -> Vec<T> + Send + Sync + 'static,
    key: impl Fn(&T) -> K + Send + Sync + 'static,
    view: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> Signal<Vec<Row>>
where
    T: Clone + Send + Sync + 'static,
    K: Hash,
{
    let view = Arc::new(view);
    Signal::derive(move || {
        let mut rows: Vec<Row> = each()
            .into_iter()
            .map(|item| Row {
                key: {
                    // Through `dyn Hasher`, so that the hashing code is not compiled again for each key type.
                    let mut hasher = DefaultHasher::new();
                    key(&item).hash(&mut (&mut hasher as &mut dyn Hasher));
                    hasher.finish()
                },
                view: {
                    let view = view.clone();
                    Arc::new(move || view(item.clone()))
                },
            })
            .collect();
        distinct_keys(&mut rows);
        rows
    })
}

/// Makes the rows' keys distinct, which `<For>` needs (with a repeated key its list and the page fall out of step).
/// Hashes can repeat: a peer can choose commitment ids whose hashes collide, and two Yjs clients can show under the
/// same name. A repeated key moves on to the next free value: the first row with it keeps it, later ones get keys of
/// their own, so every item still gets its row.
fn distinct_keys(rows: &mut [Row]) {
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    for row in rows {
        while !seen.insert(row.key) {
            row.key = row.key.wrapping_add(0x9E37_79B9_7F4A_7C15);
        }
    }
}

/// A keyed list: each row's view, in order (see the module's notes).
#[component]
pub fn Rows(
    /// The rows, usually from [`rows_of`].
    each: Signal<Vec<Row>>,
) -> impl IntoView {
    view! {
        <For each=move || each.get() key=|row| row.key let:row>
            {(row.view)()}
        </For>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_item_gets_a_row_in_order_that_builds_its_view() {
        // Signals live in an owner's arena (the server gives each request one).
        Owner::new().with(|| {
            let list = RwSignal::new(vec![(1, "a"), (2, "b"), (1, "c")]);
            let rows = rows_of(move || list.get(), |item| item.0, |item| item.1.into_any());
            let keys: Vec<u64> = rows.with(|rows| rows.iter().map(|r| r.key).collect());
            assert_eq!(keys.len(), 3);
            // Equal keys (or hashes that collide) still give each item a row of its own.
            assert_ne!(keys[0], keys[1]);
            assert_ne!(keys[0], keys[2]);
            assert_ne!(keys[1], keys[2]);
            // Each row builds its own item's view, as often as asked.
            let html: Vec<String> = rows.with(|rows| rows.iter().map(|r| (r.view)().to_html()).collect());
            assert_eq!(html, ["a", "b", "c"]);
            list.set(vec![(2, "b")]);
            assert_eq!(
                rows.with(|rows| rows.iter().map(|r| r.key).collect::<Vec<_>>()),
                [keys[1]]
            );
        });
    }

    #[test]
    fn repeated_keys_move_on_and_the_first_keeps_its_key() {
        let row = |key| Row {
            key,
            view: Arc::new(|| ().into_any()),
        };
        let mut rows = vec![row(7), row(7), row(8), row(7)];
        distinct_keys(&mut rows);
        let keys: Vec<u64> = rows.iter().map(|r| r.key).collect();
        assert_eq!((keys[0], keys[2]), (7, 8));
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 4, "{keys:?}");
    }
}
