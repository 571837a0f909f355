//! A seeded frame fuzzer against the relay (issue #19, "Proof, in numbers"): a real server on port 0, attack
//! connections on `/ws` (after a valid hello, and before any) and on `/yjs` sending random bytes and text, y-sync
//! messages with mutated lengths and varints, every client message type serialised and mutated, messages over the
//! size limit, fragmented messages (some never finished), WebSocket protocol violations and floods, while two honest
//! people type in the same session. It checks that nothing panics (a panic hook counts every panic in the process,
//! the relay's tasks included), that every connection the relay must refuse is closed with a code and a reason
//! within 1 s (and that unreadable JSON is answered with an error, as the relay's design has it), that the honest
//! pages see every one of each other's edits, that the process's RSS comes back to within 10 % of its level before
//! the run, and that it never peaks far above it (a frame that makes the relay reserve memory it only declares).
//!
//! `FUZZ_FRAMES` sets the number of frames (10,000 by default, in `make test`; `make soak` sends 1,000,000) and
//! `FUZZ_SEED` the seed (printed, so that a failing run can be replayed). The attack runs in several connections at
//! once, each with its own stream of the seed, so the frames do not depend on timing.
//!
//! The modules: `plan` draws episodes (one attack connection each) from the generators `ysync` (notes frames),
//! `json` (control messages) and `frames` (fragments, oversized messages, protocol violations); `run` plays an
//! episode and judges the relay's answer; `typist` is the two honest people; `tally` counts and prints the table;
//! `heap` measures memory.

#[path = "integration/common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;
#[path = "fuzz/frames.rs"]
mod frames;
#[path = "fuzz/heap.rs"]
mod heap;
#[path = "fuzz/json.rs"]
mod json;
#[path = "fuzz/plan.rs"]
mod plan;
#[path = "fuzz/run.rs"]
mod run;
#[path = "fuzz/tally.rs"]
mod tally;
#[path = "fuzz/typist.rs"]
mod typist;
#[path = "fuzz/ysync.rs"]
mod ysync;

use common::TestDb;
use heap::{live_kib, peak_rss_kib, resident_kib, rss_kib};
use proptest::test_runner::{RngAlgorithm, TestRng};
use run::Urls;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tally::Tally;
use tokio::sync::oneshot;
use typist::Typists;

/// The system allocator, counted (see `heap`).
#[global_allocator]
static HEAP: heap::Counted = heap::Counted;

/// Panics anywhere in the process since the hook was installed.
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// The name of the threads that draw episodes.
const DRAWER: &str = "fuzz-drawer";
/// Frames sent by default (`make test`).
const DEFAULT_FRAMES: usize = 10_000;
/// The seed unless `FUZZ_SEED` names another.
const DEFAULT_SEED: u64 = 0x7a11_de11;
/// Attack connections open at once.
const WORKERS: u64 = 4;
/// Frames of the same mix sent before RSS is first read, so that buffers and caches are at their working size.
const WARM_UP: usize = 1_500;
/// Allowed RSS growth over the run, in percent.
const RSS_SLACK_PERCENT: u64 = 10;
/// Allowed peak RSS over the level before the run, in KiB: a few connections' largest frames and queues (a few MB
/// each), far below what a frame that makes the relay reserve memory for a count it only declares would take.
const PEAK_SLACK_KIB: u64 = 64 * 1024;

/// Counts every panic (then prints it as usual), so that a panic in one of the relay's tasks, which tokio would
/// only log, fails the run. Panics on the threads that draw episodes are the fuzzer's own (yrs' decoder panicking
/// on a frame being judged), caught there and counted in the table instead.
fn count_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some(DRAWER) {
            return;
        }
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
}

/// `name` from the environment as a number, or `default`.
fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The random stream `stream` of `seed` (ChaCha: the same frames on every machine).
fn rng(seed: u64, stream: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&stream.to_le_bytes());
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// Draws episodes of the random stream `rng` on a thread of its own, one for each request (the frames still to
/// send). Judging a frame decodes it with yrs, whose reservations for huge declared counts this thread refuses
/// (`heap::cap_this_thread`), a cap the relay's threads must not have.
fn drawer(mut rng: TestRng) -> std::sync::mpsc::Sender<(usize, oneshot::Sender<plan::Episode>)> {
    let (tx, rx) = std::sync::mpsc::channel::<(usize, oneshot::Sender<plan::Episode>)>();
    let thread = std::thread::Builder::new().name(DRAWER.into());
    let spawned = thread.spawn(move || {
        heap::cap_this_thread();
        for (left, reply) in rx {
            let _ = reply.send(plan::episode(&mut rng, left));
        }
    });
    spawned.expect("a thread to draw episodes");
    tx
}

/// Plays episodes of the random stream `rng` until `budget` frames are sent.
async fn attack(urls: Arc<Urls>, rng: TestRng, budget: usize) -> Tally {
    let draw = drawer(rng);
    let mut tally = Tally::default();
    let mut spent = 0;
    while spent < budget {
        let (reply, episode) = oneshot::channel();
        draw.send((budget - spent, reply)).expect("the drawing thread runs");
        let ep = episode.await.expect("drawing an episode panicked");
        let out = run::run(&urls, &ep).await;
        spent += out.frames.max(1);
        tally.add(&ep, &out);
    }
    tally
}

/// `frames` frames from [`WORKERS`] connections at once, streams `first..first + WORKERS` of `seed`.
async fn attack_all(urls: &Arc<Urls>, seed: u64, first: u64, frames: usize) -> Tally {
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let share = frames / WORKERS as usize + usize::from(w == 0) * (frames % WORKERS as usize);
            tokio::spawn(attack(urls.clone(), rng(seed, first + w), share))
        })
        .collect();
    let mut tally = Tally::default();
    for w in workers {
        tally.merge(w.await.expect("an attack worker panicked"));
    }
    tally
}

/// RSS (free pages given back, see `heap`) once it is at most `limit`, or after 10 s of polling (the relay lets go
/// of closed connections' memory as their tasks end).
async fn settled_rss(limit: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rss = resident_kib();
        if rss <= limit || Instant::now() >= deadline {
            return rss;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_survives_a_seeded_frame_fuzzer() {
    count_panics();
    heap::fixed_mmap_threshold();
    let frames = env_number("FUZZ_FRAMES", DEFAULT_FRAMES as u64) as usize;
    let seed = env_number("FUZZ_SEED", DEFAULT_SEED);
    println!("fuzz: {frames} frames, seed {seed} (FUZZ_FRAMES, FUZZ_SEED)");
    let started = Instant::now();

    // The attack opens a hundred and more sockets a second from one address: the limit on HTTP requests per address
    // (tests/integration/limits.rs) would refuse most of them before the relay sees a frame.
    let server = TestDb::new().start_with(|c| c.requests_per_second = 0).await;
    let session = server.session("grow").await;
    let urls = Arc::new(Urls {
        page: server.ws(&session.participant_link),
        observer: server.ws(&session.observer_link),
        yjs: server.yjs(&session.participant_link),
        yjs_observer: server.yjs(&session.observer_link),
    });
    let typists = Typists::start(&server, &session).await;
    let warm = attack_all(&urls, seed, 100, WARM_UP).await;
    let untrimmed_before = rss_kib();
    let before = resident_kib();
    let live_before = live_kib();
    let tally = attack_all(&urls, seed, 0, frames).await;
    let attacked = started.elapsed();
    let honest = typists.finish().await;
    let limit = before * (100 + RSS_SLACK_PERCENT) / 100;
    let untrimmed_after = rss_kib();
    let after = settled_rss(limit).await;
    println!("{}", tally.report());
    match warm.failures {
        0 => println!("warm-up: {} frames, no failures", warm.frames()),
        _ => println!("warm-up: {} frames, with failures:\n{}", warm.frames(), warm.report()),
    }
    match &honest {
        Ok(pages) => println!("honest pages (edits, longest round trip): {pages:?}; each saw all of the other's edits"),
        Err(e) => println!("honest pages: {e}"),
    }
    let notes = server
        .state
        .store
        .notes(&session.id)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    println!("notes document as stored: {} bytes", notes.len());
    println!("RSS before {before} KiB, after {after} KiB (limit {limit} KiB)");
    println!("RSS untrimmed (see `heap`): before {untrimmed_before} KiB, after {untrimmed_after} KiB");
    println!("Rust heap in use before {live_before} KiB, after {} KiB", live_kib());
    let peak = peak_rss_kib();
    println!("peak RSS {peak} KiB (limit {} KiB)", before + PEAK_SLACK_KIB);
    println!(
        "time: {attacked:?} for warm-up and attack, {:?} in all",
        started.elapsed()
    );
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "panics during the run (printed above)"
    );
    assert_eq!(warm.failures, 0, "the relay misbehaved in the warm-up (above)");
    assert_eq!(tally.failures, 0, "the relay misbehaved (table above)");
    assert!(
        honest.is_ok(),
        "the honest pages did not see each other's edits (above)"
    );
    assert!(after <= limit, "RSS grew from {before} KiB to {after} KiB");
    assert!(peak <= before + PEAK_SLACK_KIB, "RSS peaked at {peak} KiB");
    server.stop().await;
}
