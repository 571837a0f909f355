//! An episode of the fuzzer: one attack connection (its endpoint and link, whether it says hello first), the frames
//! it sends, and what the relay must do with each. Drawn from a seeded generator, so a seed replays a run.

use crate::frames;
use crate::heap;
use crate::json;
use crate::ysync;
use proptest::prelude::RngExt;
use proptest::test_runner::TestRng;
use tandem_core::protocol::{CLOSE_BAD_HELLO, CLOSE_INVALID_DATA, CLOSE_POLICY, CLOSE_TOO_BIG};
use tokio_tungstenite::tungstenite::Message;

/// What the relay must do with one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Taken, answered or ignored; the connection stays open.
    Keep,
    /// Refused with an error message that says it was not understood; the connection stays open (a page's JSON).
    Answer,
    /// A page's valid hello: welcomed.
    Joins,
    /// Told once that it sent too many messages (a JSON or ping flood); the connection stays open.
    Limited,
    /// Part of a fragmented message that is never finished: nothing to wait for (the relay cannot tell it from a
    /// slow client until the connection's idle limit).
    Unfinished,
    /// May be refused with a close with one of these codes (a notes update only the relay's document can judge).
    MayClose(&'static [u16]),
    /// Must be refused with a close within 1 s, with a reason and one of these codes (any code when empty).
    MustClose(&'static [u16]),
}

/// Where an attack connection goes, and as whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// `/ws` over the participant link, after a valid hello.
    Page,
    /// `/ws` over the observer link, after a valid hello: its notes edits are refused without a close.
    Observer,
    /// `/ws` over the participant link, before any hello.
    NoHello,
    /// `/yjs` over the participant link (binary y-sync only).
    Yjs,
    /// `/yjs` over the observer link.
    YjsObserver,
}

impl Target {
    /// Whether the connection says hello and then speaks JSON.
    pub fn joined(self) -> bool {
        matches!(self, Target::Page | Target::Observer)
    }

    /// Whether its notes edits are applied.
    fn may_write(self) -> bool {
        matches!(self, Target::Page | Target::Yjs)
    }
}

/// The rows of the report: the kinds of frame the issue lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    RandomBinary,
    RandomText,
    YSync,
    Json,
    Oversized,
    Fragmented,
    Violation,
    Flood,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::RandomBinary,
        Kind::RandomText,
        Kind::YSync,
        Kind::Json,
        Kind::Oversized,
        Kind::Fragmented,
        Kind::Violation,
        Kind::Flood,
    ];
}

/// One frame on the wire and what the relay must do once it has it.
pub struct Shot {
    pub frame: Message,
    pub expect: Expect,
    /// Whether the relay answers the message this frame completes with a sync step 2 (a step 1 from a Yjs client).
    pub step1: bool,
}

/// One attack connection.
pub struct Episode {
    pub target: Target,
    pub kind: Kind,
    /// Index into the pool of attacker keys, for a page.
    pub key: usize,
    pub shots: Vec<Shot>,
    /// Frames on which yrs' decoder panicked while they were judged (judged malformed: the relay must refuse them).
    pub decoder_panics: usize,
    /// Frames for which yrs' decoder asked for more memory than any frame can fill (see `heap`).
    pub amplifying: usize,
    /// What the frames are, where the kind has several sorts (the protocol violations).
    pub sort: &'static str,
}

/// Attacker participant keys are `key(KEY_BASE + i)`, `i < KEYS`: a few people who come back again and again, so the
/// session's member list does not grow with the run.
pub const KEY_BASE: u8 = 10;
pub const KEYS: usize = 12;

/// Frames of a flood: past the binary limit (200 a second) even if the flood straddles two one-second windows.
const BINARY_FLOOD: std::ops::RangeInclusive<usize> = 401..=520;
/// Frames of a JSON or ping flood: past the control limit (50 a second), likewise.
const CONTROL_FLOOD: std::ops::RangeInclusive<usize> = 101..=200;
/// Frames at most in a batch of JSON messages: under the control limit, with the barrier after it.
const JSON_BATCH: usize = 40;
/// Frames at most in a batch of notes frames.
const BINARY_BATCH: usize = 120;

/// Draws the next episode, of at most `budget` frames where its kind allows (a flood or a fragmented frame may go
/// over).
pub fn episode(rng: &mut TestRng, budget: usize) -> Episode {
    let target = match rng.random_range(0..20) {
        0..=7 => Target::Page,
        8..=9 => Target::Observer,
        10..=13 => Target::NoHello,
        14..=17 => Target::Yjs,
        _ => Target::YjsObserver,
    };
    let kind = match rng.random_range(0..100) {
        0..=11 => Kind::RandomBinary,
        12..=19 => Kind::RandomText,
        20..=49 => Kind::YSync,
        50..=71 => Kind::Json,
        72 => Kind::Oversized,
        73..=84 => Kind::Fragmented,
        85..=98 => Kind::Violation,
        _ => Kind::Flood,
    };
    let key = rng.random_range(0..KEYS);
    let mut ep = Episode {
        target,
        kind,
        key,
        shots: Vec::new(),
        decoder_panics: 0,
        amplifying: 0,
        sort: "",
    };
    let first_only = target == Target::NoHello;
    let batch = |max: usize, rng: &mut TestRng| {
        if first_only {
            1
        } else {
            rng.random_range(1..=max.min(budget).max(1))
        }
    };
    match kind {
        Kind::RandomBinary => {
            let n = batch(BINARY_BATCH, rng);
            ep.binary_batch(n, rng, ysync::noise);
        }
        Kind::YSync => {
            let n = batch(BINARY_BATCH, rng);
            let mutated = [0.0, 0.02, 0.2, 1.0][rng.random_range(0..4)];
            ep.binary_batch(n, rng, |rng| {
                let mut frame = ysync::message(rng);
                if rng.random_bool(mutated) {
                    ysync::mutate(rng, &mut frame);
                }
                frame
            });
        }
        Kind::RandomText | Kind::Json => {
            let n = batch(JSON_BATCH, rng);
            let mutated = [0.2, 0.6, 1.0][rng.random_range(0..3)];
            for _ in 0..n {
                let text = match kind {
                    Kind::Json => {
                        let clean = !rng.random_bool(mutated);
                        json::message(rng, &crate::common::key(KEY_BASE + key as u8), first_only, clean)
                    }
                    _ => frames::random_text(rng),
                };
                ep.text(text);
            }
        }
        Kind::Oversized => ep.shots.extend(frames::oversized(rng, target)),
        Kind::Fragmented => ep.fragmented(rng),
        Kind::Violation => (ep.shots, ep.sort) = frames::violation(rng, target),
        Kind::Flood => ep.flood(rng),
    }
    ep
}

impl Episode {
    /// Adds binary frames made by `make`, up to and including the first one that must close the connection.
    fn binary_batch(&mut self, n: usize, rng: &mut TestRng, mut make: impl FnMut(&mut TestRng) -> Vec<u8>) {
        for _ in 0..n {
            let frame = make(rng);
            let expect = self.binary_expect(&frame);
            let step1 = ysync::is_step1(&frame);
            self.shots.push(Shot {
                frame: Message::binary(frame),
                expect,
                step1,
            });
            if self.closes() {
                return;
            }
        }
    }

    /// Whether a shot must close the connection (nothing after it can be judged).
    pub fn closes(&self) -> bool {
        self.shots.iter().any(|s| matches!(s.expect, Expect::MustClose(_)))
    }

    /// What the relay must do with a whole binary message on this episode's connection.
    pub fn binary_expect(&mut self, frame: &[u8]) -> Expect {
        if self.target == Target::NoHello {
            return Expect::MustClose(&[CLOSE_BAD_HELLO]);
        }
        let refused = heap::refusals();
        let expect = ysync::classify(frame, self.target.may_write());
        self.amplifying += usize::from(heap::refusals() > refused);
        expect.unwrap_or_else(|| {
            self.decoder_panics += 1;
            Expect::MustClose(&[CLOSE_INVALID_DATA])
        })
    }

    /// What the relay must do with a whole text message on this episode's connection (a Yjs client's text is
    /// ignored).
    pub fn text_expect(&self, text: &str) -> Expect {
        match self.target {
            Target::NoHello => json::classify_first(text),
            Target::Page | Target::Observer => json::classify_joined(text),
            Target::Yjs | Target::YjsObserver => Expect::Keep,
        }
    }

    fn text(&mut self, text: String) {
        let expect = self.text_expect(&text);
        self.shots.push(Shot {
            frame: Message::text(text),
            expect,
            step1: false,
        });
    }

    /// One message split into fragments (pings between some), finished or not.
    fn fragmented(&mut self, rng: &mut TestRng) {
        let (payload, text) = match rng.random_bool(0.5) {
            true => {
                let key = crate::common::key(KEY_BASE + self.key as u8);
                let first = self.target == Target::NoHello;
                let clean = rng.random_bool(0.5);
                (json::message(rng, &key, first, clean).into_bytes(), true)
            }
            false => (ysync::message(rng), false),
        };
        let expect = match text {
            true => self.text_expect(std::str::from_utf8(&payload).expect("JSON is UTF-8")),
            false => self.binary_expect(&payload),
        };
        let finished = rng.random_bool(0.8);
        let step1 = !text && finished && ysync::is_step1(&payload);
        // Before a hello, a ping between the fragments would be the first message: refused as no hello.
        let pings = self.target != Target::NoHello;
        let pieces = frames::fragments(rng, &payload, text, finished, pings);
        let last = pieces.len() - 1;
        for (i, frame) in pieces.into_iter().enumerate() {
            let expect = match (i == last, finished) {
                (false, _) => Expect::Keep,
                (true, true) => expect,
                (true, false) => Expect::Unfinished,
            };
            self.shots.push(Shot {
                frame,
                expect,
                step1: step1 && i == last,
            });
        }
    }

    /// Hundreds of valid-looking frames as fast as possible: notes frames past their limit close the connection
    /// (1008); JSON messages or pings past theirs are refused once, loudly, and the connection stays.
    fn flood(&mut self, rng: &mut TestRng) {
        if self.target == Target::NoHello {
            // Only the first frame counts before a hello: a flood of hellos that each must close it.
            return self.text(json::message(rng, "not a key", true, true));
        }
        let binary = !self.target.joined() || rng.random_bool(0.5);
        let n = rng.random_range(if binary { BINARY_FLOOD } else { CONTROL_FLOOD });
        let ids: Vec<u64> = (0..rng.random_range(1..=8)).map(|_| rng.random()).collect();
        for i in 0..n {
            let last = i + 1 == n;
            let (frame, step1) = match (binary, rng.random_bool(0.5)) {
                (true, true) => (Message::binary(ysync::barrier()), true),
                (true, false) => (Message::binary(ysync::awareness(rng, &ids, ids.len())), false),
                (false, true) => (Message::text(json::message(rng, "", false, true)), false),
                (false, false) => (Message::Ping(vec![i as u8].into()), false),
            };
            let expect = match (last, binary) {
                (false, _) => Expect::Keep,
                (true, true) => Expect::MustClose(&[CLOSE_POLICY]),
                (true, false) => Expect::Limited,
            };
            self.shots.push(Shot { frame, expect, step1 });
        }
    }
}

/// The close codes of an oversized message: 1009 once joined, 4002 (no hello) before.
pub fn too_big(target: Target) -> Expect {
    match target {
        Target::NoHello => Expect::MustClose(&[CLOSE_BAD_HELLO]),
        _ => Expect::MustClose(&[CLOSE_TOO_BIG]),
    }
}
