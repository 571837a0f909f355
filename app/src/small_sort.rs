//! A stable insertion sort for the short lists the page sorts (people, commitments, section peers, clock samples).
//!
//! `slice::sort_by` compiles a whole driftsort (~3.5 KB of wasm before wasm-opt) for every element type and
//! comparison it is used with; this is ~0.2 KB each, and these lists have tens of items at most (a session's
//! commitments: hundreds), where insertion sort is also the faster one. docs/performance.md, "Client size".

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal items in their order (like `slice::sort_by`). O(n²) comparisons in the
/// worst case: meant for lists of up to a few hundred items.
pub fn sort_small_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && compare(&items[j - 1], &items[j]) == Ordering::Greater {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sort_small_by;
    use proptest::prelude::*;

    #[test]
    fn sorts_and_keeps_equal_items_in_order() {
        let mut items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_small_by(&mut items, |a, b| a.0.cmp(&b.0));
        assert_eq!(items, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut empty: Vec<u8> = Vec::new();
        sort_small_by(&mut empty, u8::cmp);
        assert!(empty.is_empty());
    }

    proptest! {
        /// The same order as the standard library's stable sort, for any list and a key with many ties.
        #[test]
        fn agrees_with_the_standard_stable_sort(items in proptest::collection::vec((0u8..8, any::<u32>()), 0..200)) {
            let mut ours = items.clone();
            sort_small_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = items;
            std.sort_by(|a, b| a.0.cmp(&b.0));
            prop_assert_eq!(ours, std);
        }
    }
}
