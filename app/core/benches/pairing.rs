//! How long pairing by skill takes (issue 17: 100 people well under a second), on a synthetic group with three
//! earlier rounds. Prints the figures; `make bench` runs it. Not a test: timings belong here, not in `cargo test`.

use std::time::{Duration, Instant};
use tandem_core::workshop::matching::{pair_by_skill, synthetic_group};
use tandem_core::workshop::Groups;

fn main() {
    for n in [10u32, 40, 100, 101] {
        let (people, answers) = synthetic_group(n, 7);
        let mut history: Vec<Groups> = Vec::new();
        for _ in 0..3 {
            let groups = pair_by_skill(&people, &answers, &history);
            history.push(groups);
        }
        let runs = 15;
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let groups = pair_by_skill(&people, &answers, &history);
                let took = start.elapsed();
                assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), n as usize);
                took
            })
            .collect();
        times.sort();
        println!(
            "pairing by skill, {n} people, 3 earlier rounds: median {:.1} ms, slowest {:.1} ms ({runs} runs)",
            times[runs / 2].as_secs_f64() * 1e3,
            times[runs - 1].as_secs_f64() * 1e3
        );
    }
}
