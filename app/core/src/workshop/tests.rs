//! Workshop groupings: valid for any people and history, reproducible from the seed, no repeated partner in the
//! circle's rounds, roles that alternate.

use super::*;
use proptest::prelude::*;

fn people(n: u32) -> Vec<ParticipantId> {
    (1..=n).map(ParticipantId).collect()
}

/// Runs `rounds` rounds over the same people, each proposed from the ones before.
fn run(n: u32, size: GroupSize, rounds: usize, seed: u64) -> Vec<Groups> {
    let everyone = people(n);
    let mut history: Vec<Groups> = Vec::new();
    for round in 0..rounds {
        let groups = propose(&everyone, size, round, &history, seed);
        history.push(groups);
    }
    history
}

fn check_valid(groups: &Groups, present: &[ParticipantId], size: GroupSize) -> Result<(), TestCaseError> {
    let mut all: Vec<ParticipantId> = groups.iter().flatten().copied().collect();
    all.sort();
    let mut want = present.to_vec();
    want.sort();
    want.dedup();
    prop_assert_eq!(all, want, "everyone present, each once");
    let regular = match size {
        GroupSize::Pairs => 2,
        GroupSize::Trios => 3,
    };
    let odd: Vec<usize> = groups.iter().map(Vec::len).filter(|&l| l != regular).collect();
    prop_assert!(odd.len() <= 1, "at most one odd group: {:?}", groups);
    for l in odd {
        let allowed: &[usize] = match size {
            GroupSize::Pairs => &[3],
            GroupSize::Trios => &[2, 4],
        };
        prop_assert!(allowed.contains(&l), "odd group of {} in {:?}", l, groups);
    }
    Ok(())
}

fn size() -> impl Strategy<Value = GroupSize> {
    prop_oneof![Just(GroupSize::Pairs), Just(GroupSize::Trios)]
}

proptest! {
    #[test]
    fn every_round_is_a_valid_grouping_of_whoever_is_present(
        size in size(),
        seed in any::<u64>(),
        rosters in prop::collection::vec(prop::collection::vec(1u32..40, 2..30), 1..5),
    ) {
        let mut history: Vec<Groups> = Vec::new();
        for (round, ids) in rosters.iter().enumerate() {
            let present: Vec<ParticipantId> = ids.iter().copied().map(ParticipantId).collect();
            let groups = propose(&present, size, round, &history, seed);
            let mut distinct = present.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() < 2 {
                prop_assert!(groups.is_empty());
                continue;
            }
            check_valid(&groups, &present, size)?;
            history.push(groups);
        }
    }

    #[test]
    fn the_same_people_seed_and_history_give_the_same_groups_in_any_order(
        size in size(),
        seed in any::<u64>(),
        n in 2u32..30,
        rounds in 1usize..5,
    ) {
        let history = run(n, size, rounds, seed);
        let mut reversed = people(n);
        reversed.reverse();
        prop_assert_eq!(propose(&reversed, size, rounds, &history, seed), propose(&people(n), size, rounds, &history, seed));
    }

    #[test]
    fn an_even_count_of_pairs_meets_a_new_partner_every_round_for_n_minus_1_rounds(
        half in 1u32..15,
        seed in any::<u64>(),
    ) {
        let n = half * 2;
        let history = run(n, GroupSize::Pairs, n as usize - 1, seed);
        for (round, groups) in history.iter().enumerate() {
            prop_assert_eq!(repeats(groups, &history[..round]), 0, "round {} repeats a partner", round);
        }
    }

    #[test]
    fn roles_alternate_where_the_partners_allow_it(
        n in 2u32..20,
        size in size(),
        seed in any::<u64>(),
    ) {
        let history = run(n, size, 4, seed);
        for round in 1..history.len() {
            let before = &history[..round];
            let mut last_role = BTreeMap::new();
            for groups in before {
                for g in groups {
                    for (role, p) in g.iter().enumerate() {
                        last_role.insert(*p, role);
                    }
                }
            }
            for g in &history[round] {
                // No order of this group would let more of its members change role.
                let changed = |order: &[ParticipantId]| {
                    order.iter().enumerate().filter(|(role, p)| last_role.get(*p) != Some(role)).count()
                };
                let best = orders(g).iter().map(|o| changed(o)).max().unwrap_or(0);
                prop_assert_eq!(changed(g), best, "round {}, group {:?}", round, g);
                // In a pair whose two members were first and second of their pairs last time, both switch.
                if let [a, b] = g.as_slice() {
                    if let (Some(ra), Some(rb)) = (last_role.get(a), last_role.get(b)) {
                        if ra != rb && *ra < 2 && *rb < 2 {
                            prop_assert_eq!(*ra, 1, "who was second is first now");
                            prop_assert_eq!(*rb, 0);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn fewer_than_two_people_make_no_groups() {
    assert!(propose(&[], GroupSize::Pairs, 0, &[], 1).is_empty());
    assert!(propose(&[ParticipantId(3), ParticipantId(3)], GroupSize::Trios, 0, &[], 1).is_empty());
}

/// The fewest repeats any grouping of `present` could have after `history`, by brute force: every order of the
/// people cut into the size's groups (n! orders, so n ≤ 8), independent of the search in the module.
fn brute_force_min(present: &[ParticipantId], size: GroupSize, history: &[Groups]) -> u32 {
    fn orders(items: &[ParticipantId]) -> Vec<Vec<ParticipantId>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut all = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut tail in orders(&rest) {
                tail.insert(0, first);
                all.push(tail);
            }
        }
        all
    }
    orders(present)
        .iter()
        .map(|order| repeats(&split(order, size), history))
        .min()
        .unwrap_or(0)
}

#[test]
fn every_round_has_as_few_repeats_as_a_brute_force_finds_up_to_8_people() {
    for n in 2..=8u32 {
        for size in [GroupSize::Pairs, GroupSize::Trios] {
            for seed in [7] {
                let everyone = people(n);
                let mut history: Vec<Groups> = Vec::new();
                // The same people for n + 2 rounds (past the circle's n − 1), then someone leaves for two rounds
                // and comes back for two.
                for round in 0..(n as usize + 6) {
                    let away = round >= n as usize + 2 && round < n as usize + 4;
                    let present: Vec<ParticipantId> = if away && n > 2 {
                        everyone[1..].to_vec()
                    } else {
                        everyone.clone()
                    };
                    let groups = propose(&present, size, round, &history, seed);
                    let best = brute_force_min(&present, size, &history);
                    assert_eq!(
                        repeats(&groups, &history),
                        best,
                        "n = {n}, {size:?}, seed {seed}, round {round}: {groups:?}"
                    );
                    history.push(groups);
                }
            }
        }
    }
}

#[test]
fn the_first_round_is_drawn_from_the_seed() {
    let a = propose(&people(10), GroupSize::Pairs, 0, &[], 7);
    let b = propose(&people(10), GroupSize::Pairs, 0, &[], 7);
    let c = propose(&people(10), GroupSize::Pairs, 0, &[], 8);
    assert_eq!(a, b);
    assert_ne!(a, c, "another seed, another draw (for these two seeds)");
}
