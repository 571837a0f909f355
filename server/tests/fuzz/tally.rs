//! Counts per kind of frame (episodes, frames, closes by code, errors, the slowest close), the failures grouped by
//! kind, endpoint and what went wrong, each group with the frames of its first case, and the table printed at the
//! end.

use crate::plan::{Episode, Kind, Target};
use crate::run::Outcome;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// One row of the table.
#[derive(Default)]
struct Row {
    episodes: usize,
    frames: usize,
    /// Connections the relay kept (a barrier, a welcome or a flood's refusal answered, or an unfinished message).
    kept: usize,
    /// Errors saying a message was not understood.
    answered: usize,
    /// Closes by code (`-` for none).
    closes: BTreeMap<String, usize>,
    slowest: Duration,
}

/// Everything the fuzzer counted.
#[derive(Default)]
pub struct Tally {
    rows: BTreeMap<Kind, Row>,
    pub failures: usize,
    /// Frames on which yrs' decoder panicked when the fuzzer judged them.
    decoder_panics: usize,
    /// Frames for which yrs' decoder asked for more memory than any frame can fill.
    amplifying: usize,
    /// Failures by kind (and sort) and what went wrong.
    groups: BTreeMap<(Kind, &'static str, &'static str), Group>,
}

/// Failures of one kind and sort that went wrong the same way: how many, on which endpoints, and the first one's
/// details and frames.
#[derive(Default)]
struct Group {
    count: usize,
    targets: BTreeMap<Target, usize>,
    first: String,
}

impl Tally {
    /// Frames sent so far.
    pub fn frames(&self) -> usize {
        self.rows.values().map(|r| r.frames).sum()
    }

    /// Counts one episode.
    pub fn add(&mut self, ep: &Episode, out: &Outcome) {
        let row = self.rows.entry(ep.kind).or_default();
        row.episodes += 1;
        row.frames += out.frames;
        row.answered += out.answers;
        self.decoder_panics += ep.decoder_panics;
        self.amplifying += ep.amplifying;
        match &out.closed {
            Some(c) => {
                let code = c.code.map_or("-".into(), |c| c.to_string());
                *row.closes.entry(code).or_default() += 1;
                row.slowest = row.slowest.max(c.after);
            }
            None => row.kept += 1,
        }
        if let Some(f) = &out.failure {
            self.failures += 1;
            let group = self.groups.entry((ep.kind, ep.sort, f.what)).or_default();
            if group.count == 0 {
                group.first = format!("on {:?}: {}\n{}", ep.target, f.detail, frames(ep));
            }
            group.count += 1;
            *group.targets.entry(ep.target).or_default() += 1;
        }
    }

    /// Adds another worker's counts.
    pub fn merge(&mut self, other: Tally) {
        for (kind, r) in other.rows {
            let row = self.rows.entry(kind).or_default();
            row.episodes += r.episodes;
            row.frames += r.frames;
            row.kept += r.kept;
            row.answered += r.answered;
            for (code, n) in r.closes {
                *row.closes.entry(code).or_default() += n;
            }
            row.slowest = row.slowest.max(r.slowest);
        }
        self.failures += other.failures;
        self.decoder_panics += other.decoder_panics;
        self.amplifying += other.amplifying;
        for (key, g) in other.groups {
            let group = self.groups.entry(key).or_default();
            if group.count == 0 {
                group.first = g.first;
            }
            group.count += g.count;
            for (target, n) in g.targets {
                *group.targets.entry(target).or_default() += n;
            }
        }
    }

    /// The table, then the failures described.
    pub fn report(&self) -> String {
        let mut out = format!(
            "{:<13} {:>8} {:>8} {:>7} {:>9} {:>11}  closes by code\n",
            "kind", "episodes", "frames", "kept", "answered", "slowest ms"
        );
        for kind in Kind::ALL {
            let Some(r) = self.rows.get(&kind) else { continue };
            let closes: Vec<String> = r.closes.iter().map(|(code, n)| format!("{code}×{n}")).collect();
            let _ = writeln!(
                out,
                "{:<13} {:>8} {:>8} {:>7} {:>9} {:>11}  {}",
                format!("{kind:?}"),
                r.episodes,
                r.frames,
                r.kept,
                r.answered,
                r.slowest.as_millis(),
                closes.join(" ")
            );
        }
        let _ = writeln!(
            out,
            "frames yrs' decoder panics on (the relay must refuse them with 1007): {}",
            self.decoder_panics
        );
        let _ = writeln!(
            out,
            "frames for which yrs' decoder reserves more than any frame can fill (4 MiB and up): {}",
            self.amplifying
        );
        let _ = writeln!(out, "failures: {}", self.failures);
        for ((kind, sort, what), g) in &self.groups {
            let sort = if sort.is_empty() {
                String::new()
            } else {
                format!(" ({sort})")
            };
            let on: Vec<String> = g.targets.iter().map(|(t, n)| format!("{t:?}×{n}")).collect();
            let _ = writeln!(
                out,
                "--- {kind:?}{sort}: {what}, {}× ({}); the first {}",
                g.count,
                on.join(" "),
                g.first
            );
        }
        out
    }
}

/// The frames of an episode, enough to replay it: kind, length and the first bytes of each (the last few only).
fn frames(ep: &Episode) -> String {
    let skip = ep.shots.len().saturating_sub(4);
    let mut out = String::new();
    if skip > 0 {
        let _ = writeln!(out, "  ({skip} earlier frames)");
    }
    for shot in &ep.shots[skip..] {
        let (what, bytes): (String, &[u8]) = match &shot.frame {
            Message::Text(t) => ("text".into(), t.as_bytes()),
            Message::Binary(b) => ("binary".into(), b),
            Message::Ping(p) => ("ping".into(), p),
            Message::Frame(f) => (format!("raw {:?}", f.header()), f.payload()),
            other => (format!("{other:?}"), &[]),
        };
        let hex: String = bytes.iter().take(64).map(|b| format!("{b:02x}")).collect();
        let more = if bytes.len() > 64 { "…" } else { "" };
        let _ = writeln!(out, "  {what} {} B [{:?}]: {hex}{more}", bytes.len(), shot.expect);
    }
    out
}
