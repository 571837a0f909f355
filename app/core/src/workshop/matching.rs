//! Pairing by skill (issue 17): groups that meet as many wants as possible with an offer in the same group, a more
//! experienced person with a less experienced one, and no earlier partners where it can be helped.
//!
//! Every two people present get a weight ([`weight`]); the pairs are a maximum-weight matching of all of them
//! (`rustworkx-core`'s blossom algorithm, on the complete graph, among the matchings that pair everyone it can). With
//! an odd count one person is left over and joins the pair where they add the most weight (the trio). The weights
//! are integers, so the matching is exact. Only the relay pairs (this module is behind the `matching` feature, which
//! the browser's build leaves out).
//!
//! Within each group the one who offers comes first, and so takes the format's first role (the coach, the mentor,
//! the teacher): the member who meets the most of the others' wants, then the more experienced, then by id.

use super::skills::{met_wants, Level, Offer, SkillAnswers};
use super::{assign_roles, times_met, Groups};
use crate::session::ParticipantId;
use rustworkx_core::max_weight_matching::max_weight_matching;
use rustworkx_core::petgraph::graph::UnGraph;
use std::collections::BTreeMap;
use std::convert::Infallible;

/// Weight of one want met by an offer of the other person in the group (each direction counts).
pub const MET_WANT: i64 = 100;
/// Weight of each step of experience difference (0 to 3: nothing offered, some, solid, expert).
pub const EXPERIENCE_STEP: i64 = 10;
/// Taken off for each earlier round two people were in one group: one met want does not make up for meeting again,
/// two do.
pub const EARLIER_PARTNER: i64 = 150;

/// Everyone's skills, by participant; someone missing gave none.
pub type AnswersById = BTreeMap<ParticipantId, SkillAnswers>;

/// How much it is worth to put `a` and `b` in one group, having met `met` times before: [`MET_WANT`] per want of
/// either met by the other's offers, plus [`EXPERIENCE_STEP`] per step of experience difference, minus
/// [`EARLIER_PARTNER`] per earlier meeting.
pub fn weight(a: &SkillAnswers, b: &SkillAnswers, met: u32) -> i64 {
    let wants = (met_wants(a, b).len() + met_wants(b, a).len()) as i64;
    let experience = (i64::from(a.experience()) - i64::from(b.experience())).abs();
    MET_WANT * wants + EXPERIENCE_STEP * experience - EARLIER_PARTNER * i64::from(met)
}

/// The sum of [`weight`] over every two members of each group.
pub fn total_weight(groups: &Groups, answers: &AnswersById, history: &[Groups]) -> i64 {
    let met = times_met(history);
    let none = SkillAnswers::default();
    let get = |p: &ParticipantId| answers.get(p).unwrap_or(&none);
    let met_count = |a: ParticipantId, b: ParticipantId| met.get(&(a.min(b), a.max(b))).copied().unwrap_or(0);
    groups
        .iter()
        .map(|g| {
            g.iter()
                .enumerate()
                .map(|(i, a)| {
                    g[i + 1..]
                        .iter()
                        .map(|b| weight(get(a), get(b), met_count(*a, *b)))
                        .sum::<i64>()
                })
                .sum::<i64>()
        })
        .sum()
}

/// Up to this many people, an odd count's grouping (pairs and one trio) is the best of all such groupings; beyond,
/// the best of trying each person as the trio's third (below).
pub const EXACT_ODD_UP_TO: usize = 9;

/// The groups of a round paired by skill: pairs of `people` (one trio when the count is odd), each in its role order.
/// The result depends only on the people, their answers and the history, not on the order of `people`.
///
/// An even count is a maximum-weight perfect matching: exact. An odd count is exact up to [`EXACT_ODD_UP_TO`]
/// people (every grouping into pairs and one trio is weighed); beyond, each person in turn is left out, the others
/// matched, and the one left out joins the pair where they add the most: the best of those. That is not always the
/// best grouping (the best trio's pair need not be a pair of the best matching without its third), but it never
/// leaves a strong trio unfound because the matching paired its members with others.
pub fn pair_by_skill(people: &[ParticipantId], answers: &AnswersById, history: &[Groups]) -> Groups {
    let mut present = people.to_vec();
    present.sort();
    present.dedup();
    let n = present.len();
    if n < 2 {
        return Vec::new();
    }
    let met = times_met(history);
    let none = SkillAnswers::default();
    let get = |i: usize| answers.get(&present[i]).unwrap_or(&none);
    let mut w = vec![vec![0i64; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let x = weight(get(i), get(j), met.get(&(present[i], present[j])).copied().unwrap_or(0));
            w[i][j] = x;
            w[j][i] = x;
        }
    }
    let groups = if n.is_multiple_of(2) {
        matching(&(0..n).collect::<Vec<_>>(), &w)
    } else if n <= EXACT_ODD_UP_TO {
        best_odd_grouping(n, &w)
    } else {
        let total = |g: &Vec<Vec<usize>>| -> i64 { g.iter().map(|g| group_weight(g, &w)).sum() };
        let mut best: Option<(i64, Vec<Vec<usize>>)> = None;
        for left in 0..n {
            let others: Vec<usize> = (0..n).filter(|&i| i != left).collect();
            let mut groups = matching(&others, &w);
            let gain = |g: &Vec<usize>| g.iter().map(|&m| w[left][m]).sum::<i64>();
            // The first of the best, in the groups' sorted order: deterministic.
            let at = (0..groups.len()).fold(0, |at, k| if gain(&groups[k]) > gain(&groups[at]) { k } else { at });
            groups[at].push(left);
            let t = total(&groups);
            if best.as_ref().is_none_or(|(b, _)| t > *b) {
                best = Some((t, groups));
            }
        }
        best.map(|(_, g)| g).unwrap_or_default()
    };
    groups
        .into_iter()
        .map(|g| role_order(g.into_iter().map(|i| present[i]).collect(), answers, history))
        .collect()
}

/// The sum of `w` over every two members of a group.
fn group_weight(group: &[usize], w: &[Vec<i64>]) -> i64 {
    group
        .iter()
        .enumerate()
        .map(|(k, &a)| group[k + 1..].iter().map(|&b| w[a][b]).sum::<i64>())
        .sum()
}

/// A maximum-weight matching of `nodes` (an even number) that pairs them all, groups sorted.
fn matching(nodes: &[usize], w: &[Vec<i64>]) -> Vec<Vec<usize>> {
    let n = nodes.len();
    // The complete graph. Weights are shifted to be at least 1: every matching that pairs everyone has the same
    // number of edges, so the shift changes no choice, and no edge is left out for weighing nothing.
    let mut graph: UnGraph<(), i64> = UnGraph::with_capacity(n, n * n.saturating_sub(1) / 2);
    let index: Vec<_> = (0..n).map(|_| graph.add_node(())).collect();
    let lowest = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| w[nodes[i]][nodes[j]])
        .min()
        .unwrap_or(0);
    for i in 0..n {
        for j in i + 1..n {
            graph.add_edge(index[i], index[j], w[nodes[i]][nodes[j]] - lowest + 1);
        }
    }
    let matched = max_weight_matching(&graph, true, |e| Ok::<i128, Infallible>(i128::from(*e.weight())), false)
        .unwrap_or_else(|never: Infallible| match never {});
    let mut groups: Vec<Vec<usize>> = matched
        .into_iter()
        .map(|(i, j)| vec![nodes[i.min(j)], nodes[i.max(j)]])
        .collect();
    groups.sort();
    groups
}

/// The best grouping of `n` (odd, small) people into pairs and one trio: every trio, with the best matching of the
/// rest; the first of the best in the trios' order.
fn best_odd_grouping(n: usize, w: &[Vec<i64>]) -> Vec<Vec<usize>> {
    let mut best: Option<(i64, Vec<Vec<usize>>)> = None;
    for a in 0..n {
        for b in a + 1..n {
            for c in b + 1..n {
                let rest: Vec<usize> = (0..n).filter(|&i| i != a && i != b && i != c).collect();
                let mut groups = matching(&rest, w);
                groups.push(vec![a, b, c]);
                let total: i64 = groups.iter().map(|g| group_weight(g, w)).sum();
                if best.as_ref().is_none_or(|(t, _)| total > *t) {
                    best = Some((total, groups));
                }
            }
        }
    }
    let mut groups = best.map(|(_, g)| g).unwrap_or_default();
    groups.sort();
    groups
}

/// A group's members in role order: the one who meets the most of the others' wants first (they coach or teach),
/// then the more experienced. Where that does not decide (nobody helps, or both help as much with the same
/// experience), roles alternate from the earlier rounds as in any other round ([`assign_roles`]).
fn role_order(group: Vec<ParticipantId>, answers: &AnswersById, history: &[Groups]) -> Vec<ParticipantId> {
    let none = SkillAnswers::default();
    let get = |p: &ParticipantId| answers.get(p).unwrap_or(&none);
    let key = |p: &ParticipantId| -> (usize, u8) {
        let helps = group
            .iter()
            .filter(|q| *q != p)
            .map(|q| met_wants(get(p), get(q)).len())
            .sum();
        (helps, get(p).experience())
    };
    let mut keyed: Vec<((usize, u8), ParticipantId)> = group.iter().map(|p| (key(p), *p)).collect();
    keyed.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    if keyed.len() >= 2 && keyed[0].0 == keyed[1].0 {
        // The alternating order, with whoever helps more still ahead (a stable sort keeps it among equals).
        let mut order = assign_roles(vec![group.clone()], history).remove(0);
        order.sort_by_key(|p| std::cmp::Reverse(key(p)));
        return order;
    }
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// One direction of a match within a group: `from` can help `to` with `skills`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Who offers.
    pub from: ParticipantId,
    /// Who wants.
    pub to: ParticipantId,
    /// What, in the wanter's order.
    pub skills: Vec<String>,
}

/// Every match in a group, in the group's order of offerers then wanters.
pub fn matches_in(group: &[ParticipantId], answers: &AnswersById) -> Vec<Match> {
    let none = SkillAnswers::default();
    let get = |p: &ParticipantId| answers.get(p).unwrap_or(&none);
    group
        .iter()
        .flat_map(|from| {
            group.iter().filter(move |to| *to != from).filter_map(move |to| {
                let skills: Vec<String> = met_wants(get(from), get(to)).into_iter().map(str::to_string).collect();
                (!skills.is_empty()).then_some(Match {
                    from: *from,
                    to: *to,
                    skills,
                })
            })
        })
        .collect()
}

/// Why a group was proposed, in words: "Ana can help Ben with SQL; Ben can help Ana with facilitation", or that no
/// skill matches in it. `name` gives a participant's name.
pub fn explain(group: &[ParticipantId], answers: &AnswersById, name: impl Fn(ParticipantId) -> String) -> String {
    let matches = matches_in(group, answers);
    if matches.is_empty() {
        return "No skill match: nobody in this group offers what another wants.".into();
    }
    matches
        .iter()
        .map(|m| format!("{} can help {} with {}", name(m.from), name(m.to), list(&m.skills)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// "SQL", "SQL and testing", "SQL, testing and security".
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// How many of everyone's wants are met by an offer of someone else in their own group (each want once, however
/// many in the group offer it).
pub fn wants_met(groups: &Groups, answers: &AnswersById) -> usize {
    let none = SkillAnswers::default();
    let get = |p: &ParticipantId| answers.get(p).unwrap_or(&none);
    groups
        .iter()
        .flat_map(|g| {
            g.iter().map(move |p| {
                get(p)
                    .wants
                    .iter()
                    .filter(|w| {
                        g.iter()
                            .any(|q| q != p && met_wants(get(q), get(p)).contains(&w.as_str()))
                    })
                    .count()
            })
        })
        .sum()
}

/// A synthetic group for the tests and the benchmark: `n` people with 1–3 offers and 1–3 wants each out of 12
/// skills, drawn with SplitMix64 from `seed`.
pub fn synthetic_group(n: u32, seed: u64) -> (Vec<ParticipantId>, AnswersById) {
    let skills: Vec<String> = (0..12).map(|i| format!("Skill {i}")).collect();
    let mut state = seed;
    let mut next = move |below: u64| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % below
    };
    let people: Vec<ParticipantId> = (1..=n).map(ParticipantId).collect();
    let mut answers = AnswersById::new();
    for &p in &people {
        let mut a = SkillAnswers::default();
        for _ in 0..1 + next(3) {
            let skill = skills[next(12) as usize].clone();
            if !a.offers(&skill) {
                a.offers.push(Offer {
                    skill,
                    level: Some(Level::ALL[next(3) as usize]),
                });
            }
        }
        for _ in 0..1 + next(3) {
            let skill = skills[next(12) as usize].clone();
            if !a.wants.contains(&skill) && !a.offers(&skill) {
                a.wants.push(skill);
            }
        }
        answers.insert(p, a);
    }
    (people, answers)
}
