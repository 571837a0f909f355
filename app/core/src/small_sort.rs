//! A small stable sort for the lists the page sorts (people, commitments, section peers, clock samples).
//!
//! `slice::sort_by` compiles a whole driftsort (~3.5 KB of wasm before wasm-opt) for every element type and
//! comparison it is used with. This sorts the items' positions with one plain bottom-up merge sort shared by every
//! use (the comparison is passed as `dyn FnMut`), then swaps the items into place: per use, only the comparison and
//! the swap loop are compiled. Still O(n log n) comparisons, because a list can be long (a session's commitments are
//! bounded only by the notes' size, and the relay sorts them too). docs/performance.md, "Client size".

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal items in their order: the same result as `slice::sort_by`.
pub fn stable_sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    // Only the comparison and the swaps are compiled per use; the sorting itself is one function for all.
    let swaps = sorting_swaps(items.len(), &mut |a, b| compare(&items[a], &items[b]) == Ordering::Less);
    for (a, b) in swaps {
        items.swap(a, b);
    }
}

/// The swaps that put `n` items in stable sorted order, given `less(a, b)`: item `a` sorts strictly before item `b`
/// (positions in the unsorted list). A bottom-up merge sort of the positions, then the permutation as swaps.
fn sorting_swaps(n: usize, less: &mut dyn FnMut(usize, usize) -> bool) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut merged = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut left, mut right, mut out) = (start, mid, start);
            while left < mid && right < end {
                // Take from the right run only when it is strictly smaller: equal items keep their order.
                if less(order[right], order[left]) {
                    merged[out] = order[right];
                    right += 1;
                } else {
                    merged[out] = order[left];
                    left += 1;
                }
                out += 1;
            }
            merged[out..out + mid - left].copy_from_slice(&order[left..mid]);
            out += mid - left;
            merged[out..end].copy_from_slice(&order[right..end]);
            start = end;
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    // order[k] is the item that belongs at k. Walk k up, swapping that item in from wherever it is by now.
    let mut at: Vec<usize> = (0..n).collect(); // which item is at each place
    let mut place: Vec<usize> = (0..n).collect(); // where each item is
    let mut swaps = Vec::new();
    for (k, &item) in order.iter().enumerate() {
        let from = place[item];
        if from != k {
            swaps.push((k, from));
            let displaced = at[k];
            at.swap(k, from);
            place[item] = k;
            place[displaced] = from;
        }
    }
    swaps
}

#[cfg(test)]
mod tests {
    use super::stable_sort_by;
    use proptest::prelude::*;

    #[test]
    fn sorts_and_keeps_equal_items_in_order() {
        let mut items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        stable_sort_by(&mut items, |a, b| a.0.cmp(&b.0));
        assert_eq!(items, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut empty: Vec<u8> = Vec::new();
        stable_sort_by(&mut empty, u8::cmp);
        assert!(empty.is_empty());
        let mut one = vec![String::from("x")];
        stable_sort_by(&mut one, String::cmp);
        assert_eq!(one, ["x"]);
    }

    #[test]
    fn long_lists_in_any_order_sort_fast_enough() {
        // A shuffled list of 50,000 (a commitments list is bounded by the notes' 1 MB) needs ~n log n comparisons;
        // an insertion sort would need ~600 million.
        let mut items: Vec<u64> = (0..50_000u64)
            .map(|i| i.wrapping_mul(2_654_435_761) % 100_003)
            .collect();
        let mut comparisons = 0u64;
        stable_sort_by(&mut items, |a, b| {
            comparisons += 1;
            a.cmp(b)
        });
        assert!(items.windows(2).all(|w| w[0] <= w[1]));
        assert!(comparisons < 1_000_000, "{comparisons} comparisons");
    }

    proptest! {
        /// The same order as the standard library's stable sort, for any list and a key with many ties.
        #[test]
        fn agrees_with_the_standard_stable_sort(items in proptest::collection::vec((0u8..8, any::<u32>()), 0..300)) {
            let mut ours = items.clone();
            stable_sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = items;
            std.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, std);
        }
    }
}
