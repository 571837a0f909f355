//! Workshops' pure parts (issue 16): who meets whom in each round, and which role each person takes.
//!
//! A round splits the people present into groups: pairs (with one trio when the count is odd) or trios (with one
//! group of two or four when the count is not a multiple of three). The first round is drawn at random from a seed,
//! so that a test, or a relay restart, draws the same groups again. Later rounds rotate by the circle method while
//! the same even number of people (in every round so far) make pairs: nobody meets the same partner twice in the first n − 1 rounds.
//! Otherwise (an odd count, trios, or people came or went) a round is the grouping with the fewest repeated
//! partners: the best of all groupings up to [`EXACT_UP_TO`] people, the best of [`CANDIDATES`] seeded draws beyond. Roles rotate: in each group the members are
//! ordered so that as many as possible take another role than in their last round (whoever coached last round is
//! coached now).
//!
//! Nothing here knows about rooms, sockets or storage: the relay keeps the rounds and asks for the next one.

use crate::session::ParticipantId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(crate) mod chart;
mod closing;
#[cfg(feature = "matching")]
pub mod matching;
mod record;
mod settings;
mod skills;
mod skills_chart;
#[cfg(test)]
mod skills_tests;
mod state;
mod state_skills;
#[cfg(test)]
mod state_tests;
#[cfg(test)]
mod tests;

pub use chart::*;
pub use closing::*;
pub use record::*;
pub use settings::*;
pub use skills::*;
pub use skills_chart::*;
pub use state::*;

/// How many people a breakout holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSize {
    /// Pairs, with one trio when the count is odd.
    Pairs,
    /// Trios, with one pair (two left over) or one group of four (one left over).
    Trios,
}

/// One round's groups. Within a group the order is the order of the format's roles for that round (the first member
/// takes the first role).
pub type Groups = Vec<Vec<ParticipantId>>;

/// Up to this many people, a round that the circle does not give is the best of all possible groupings (at most a
/// few thousand); beyond, the best of [`CANDIDATES`] seeded draws.
pub const EXACT_UP_TO: usize = 10;

/// How many seeded draws a larger round compares.
pub const CANDIDATES: u64 = 64;

/// The groups of round `round` (0 for the first) of `people`, given the rounds before it (`history`, oldest first),
/// each group in its role order. `people` is who is present now, in any order; the result does not depend on that
/// order, only on the people, the seed and the history.
pub fn propose(people: &[ParticipantId], size: GroupSize, round: usize, history: &[Groups], seed: u64) -> Groups {
    let mut present: Vec<ParticipantId> = people.to_vec();
    present.sort();
    present.dedup();
    if present.len() < 2 {
        return Vec::new();
    }
    // The circle over the order drawn for the first round, which the same people and seed draw again. It holds only
    // while every round so far was the circle's own round over these same people: once someone came or went, or the
    // facilitator changed a group, its later rounds could pair people who met in the rounds between.
    let order = shuffled(&present, seed);
    let circle = size == GroupSize::Pairs
        && present.len().is_multiple_of(2)
        && history
            .iter()
            .enumerate()
            .all(|(r, groups)| same_people(groups, &present) && same_groups(groups, &circle_round(&order, r)));
    let groups = if circle {
        circle_round(&order, round)
    } else if history.is_empty() {
        split(&order, size)
    } else {
        fewest_repeats(&present, size, history, seed)
    };
    assign_roles(groups, history)
}

/// Whether two groupings put the same people together (in any order).
fn same_groups(a: &Groups, b: &Groups) -> bool {
    let canonical = |g: &Groups| {
        let mut all: Vec<Vec<ParticipantId>> = g
            .iter()
            .map(|x| {
                let mut x = x.clone();
                x.sort();
                x
            })
            .collect();
        all.sort();
        all
    };
    canonical(a) == canonical(b)
}

/// Whether `groups` hold exactly `people` (sorted, distinct).
fn same_people(groups: &Groups, people: &[ParticipantId]) -> bool {
    let mut all: Vec<ParticipantId> = groups.iter().flatten().copied().collect();
    all.sort();
    all == people
}

/// Round `round` of the circle method over `order` (an even number of people): the first person stays, the others
/// turn one place a round, and position i meets position n − 1 − i. Rounds 0 to n − 2 pair everyone with everyone
/// else exactly once.
fn circle_round(order: &[ParticipantId], round: usize) -> Groups {
    let n = order.len();
    let turn = round % (n - 1);
    let mut circle = vec![order[0]];
    circle.extend((0..n - 1).map(|i| order[1 + (i + n - 1 - turn) % (n - 1)]));
    (0..n / 2).map(|i| vec![circle[i], circle[n - 1 - i]]).collect()
}

/// The grouping with the fewest repeated partners: of all groupings up to [`EXACT_UP_TO`] people, of [`CANDIDATES`]
/// seeded draws beyond (the first found wins a tie).
fn fewest_repeats(present: &[ParticipantId], size: GroupSize, history: &[Groups], seed: u64) -> Groups {
    let met = times_met(history);
    if present.len() <= EXACT_UP_TO {
        let lens: Vec<usize> = split(present, size).iter().map(Vec::len).collect();
        let mut best = None;
        search(present, &lens, &mut Vec::new(), 0, &mut best, &met);
        return best.map(|(_, groups)| groups).unwrap_or_default();
    }
    (0..CANDIDATES)
        .map(|k| split(&shuffled(present, seed ^ (history.len() as u64) << 32 ^ k), size))
        .min_by_key(|groups| repeats_with(groups, &met))
        .unwrap_or_default()
}

/// Branch and bound over every grouping of `rest` into groups of the lengths `lens`: the first person opens a group
/// of each remaining length with each choice of partners among the others. Keeps in `best` the first grouping found
/// with the fewest repeats (groups so far in `groups`, their repeats in `cost`).
fn search(
    rest: &[ParticipantId],
    lens: &[usize],
    groups: &mut Groups,
    cost: u32,
    best: &mut Option<(u32, Groups)>,
    met: &BTreeMap<(ParticipantId, ParticipantId), u32>,
) {
    if best.as_ref().is_some_and(|(b, _)| cost >= *b) {
        return;
    }
    let Some((&first, others)) = rest.split_first() else {
        *best = Some((cost, groups.clone()));
        return;
    };
    let mut tried = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        if tried.contains(&len) {
            continue;
        }
        tried.push(len);
        let mut lens_left = lens.to_vec();
        lens_left.remove(i);
        for partners in combinations(others, len - 1) {
            let group: Vec<ParticipantId> = std::iter::once(first).chain(partners.iter().copied()).collect();
            let added = group_repeats(&group, met);
            let left: Vec<ParticipantId> = others.iter().filter(|p| !partners.contains(p)).copied().collect();
            groups.push(group);
            search(&left, &lens_left, groups, cost + added, best, met);
            groups.pop();
        }
    }
}

/// Every choice of `k` of `items`, in order.
fn combinations(items: &[ParticipantId], k: usize) -> Vec<Vec<ParticipantId>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    let mut all = Vec::new();
    for (i, &item) in items.iter().enumerate() {
        for mut rest in combinations(&items[i + 1..], k - 1) {
            rest.insert(0, item);
            all.push(rest);
        }
    }
    all
}

/// `people` (in any order: they are sorted first) drawn into groups at random from `seed`.
pub(crate) fn split_seeded(people: &[ParticipantId], size: GroupSize, seed: u64) -> Groups {
    let mut present = people.to_vec();
    present.sort();
    present.dedup();
    split(&shuffled(&present, seed), size)
}

/// Cuts `order` into groups of `size`, the odd group last.
fn split(order: &[ParticipantId], size: GroupSize) -> Groups {
    let n = order.len();
    let cuts: Vec<usize> = match size {
        GroupSize::Pairs if n % 2 == 1 => std::iter::repeat_n(2, (n - 3) / 2).chain([3]).collect(),
        GroupSize::Pairs => vec![2; n / 2],
        GroupSize::Trios if n < 3 => vec![n],
        GroupSize::Trios if n % 3 == 1 => std::iter::repeat_n(3, (n - 4) / 3).chain([4]).collect(),
        GroupSize::Trios if n % 3 == 2 => std::iter::repeat_n(3, n / 3).chain([2]).collect(),
        GroupSize::Trios => vec![3; n / 3],
    };
    let mut groups = Vec::new();
    let mut at = 0;
    for len in cuts {
        groups.push(order[at..at + len].to_vec());
        at += len;
    }
    groups
}

/// Orders each group's members (its role order) so that as many as possible take another role than in the last round
/// they took part in; people with no earlier round count as taking a new one. Among equally good orders, the one
/// that lists the members in id order earliest wins, so the result is deterministic.
pub fn assign_roles(groups: Groups, history: &[Groups]) -> Groups {
    let mut last_role: BTreeMap<ParticipantId, usize> = BTreeMap::new();
    for round in history {
        for g in round {
            for (role, &p) in g.iter().enumerate() {
                last_role.insert(p, role);
            }
        }
    }
    groups
        .into_iter()
        .map(|mut g| {
            g.sort();
            let changed = |order: &[ParticipantId]| {
                order
                    .iter()
                    .enumerate()
                    .filter(|(role, p)| last_role.get(p) != Some(role))
                    .count()
            };
            let mut best = g.clone();
            for order in orders(&g) {
                if changed(&order) > changed(&best) {
                    best = order;
                }
            }
            best
        })
        .collect()
}

/// The orders of a group's members to consider: every permutation up to four members, the rotations beyond.
fn orders(members: &[ParticipantId]) -> Vec<Vec<ParticipantId>> {
    if members.len() > 4 {
        return (0..members.len())
            .map(|k| {
                let mut m = members.to_vec();
                m.rotate_left(k);
                m
            })
            .collect();
    }
    let mut all = vec![Vec::new()];
    for _ in 0..members.len() {
        all = all
            .into_iter()
            .flat_map(|prefix: Vec<ParticipantId>| {
                members
                    .iter()
                    .filter(|m| !prefix.contains(m))
                    .map(|&m| {
                        let mut next = prefix.clone();
                        next.push(m);
                        next
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    all
}

/// How often each pair of people has been in one group, over `history`.
pub fn times_met(history: &[Groups]) -> BTreeMap<(ParticipantId, ParticipantId), u32> {
    let mut met = BTreeMap::new();
    for groups in history {
        for g in groups {
            for (i, &a) in g.iter().enumerate() {
                for &b in &g[i + 1..] {
                    *met.entry(key(a, b)).or_insert(0) += 1;
                }
            }
        }
    }
    met
}

/// How many pairs of people in `groups` have met before, over `history`.
pub fn repeats(groups: &Groups, history: &[Groups]) -> u32 {
    repeats_with(groups, &times_met(history))
}

fn repeats_with(groups: &Groups, met: &BTreeMap<(ParticipantId, ParticipantId), u32>) -> u32 {
    groups.iter().map(|g| group_repeats(g, met)).sum()
}

/// How many pairs of people in one group have met before.
fn group_repeats(group: &[ParticipantId], met: &BTreeMap<(ParticipantId, ParticipantId), u32>) -> u32 {
    group
        .iter()
        .enumerate()
        .map(|(i, &a)| group[i + 1..].iter().filter(|&&b| met_count(met, a, b) > 0).count() as u32)
        .sum()
}

fn met_count(met: &BTreeMap<(ParticipantId, ParticipantId), u32>, a: ParticipantId, b: ParticipantId) -> u32 {
    met.get(&key(a, b)).copied().unwrap_or(0)
}

fn key(a: ParticipantId, b: ParticipantId) -> (ParticipantId, ParticipantId) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

/// `people` in an order drawn from `seed` (Fisher–Yates with SplitMix64: the same seed gives the same order on every
/// machine and in every version, which a general-purpose random generator does not promise).
fn shuffled(people: &[ParticipantId], seed: u64) -> Vec<ParticipantId> {
    let mut order = people.to_vec();
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..order.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}
