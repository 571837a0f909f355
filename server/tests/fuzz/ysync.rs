//! Binary frames for the notes socket: y-sync messages as y-protocols encodes them (sync step 1, step 2 and update,
//! awareness, auth, awareness query, custom tags), random bytes, and byte-level mutations (bits flipped, frames cut
//! short, varints inflated, lengths made huge). [`classify`] says what the relay must do with a frame, judged by the
//! y-sync encoding alone (yrs' own decoder), never by the relay's code.

use crate::plan::Expect;
use proptest::prelude::RngExt;
use proptest::test_runner::TestRng;
use tandem_core::protocol::{CLOSE_INVALID_DATA, CLOSE_POLICY};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update};

/// Message tags of y-protocols: sync (then step 1, step 2, update), awareness, auth, awareness query.
const MSG_SYNC: u8 = 0;
const MSG_AWARENESS: u8 = 1;
const MSG_AUTH: u8 = 2;
const MSG_QUERY_AWARENESS: u8 = 3;
const STEP1: u8 = 0;
const STEP2: u8 = 1;
const UPDATE: u8 = 2;

/// Distinct document authors the fuzzer writes as. Each one's edits are the same on every connection, so that a
/// valid update the relay applies once is a repeat afterwards: the shared document stays small however long the
/// run (only mutated frames that still decode can add to it).
const AUTHORS: u64 = 64;

/// Appends `n` as a lib0 variable-length unsigned integer (7 bits a byte, low first).
pub fn write_var(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends `bytes` with its length first (lib0's `writeVarUint8Array`).
fn write_buf(out: &mut Vec<u8>, bytes: &[u8]) {
    write_var(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A sync message: the sync tag, the step, the payload with its length.
fn sync(step: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![MSG_SYNC, step];
    write_buf(&mut out, payload);
    out
}

/// A state vector: the number of authors, then each author's id and clock.
fn state_vector(entries: &[(u64, u64)]) -> Vec<u8> {
    let mut out = Vec::new();
    write_var(&mut out, entries.len() as u64);
    for (client, clock) in entries {
        write_var(&mut out, *client);
        write_var(&mut out, *clock);
    }
    out
}

/// The texts attackers write to: sections of the GROW agenda that the honest pages leave alone (their edits are
/// applied, so the relay's whole update path is exercised), and one the agenda does not have (refused).
const ROOTS: [&str; 4] = ["goal-success", "reality-tried", "options-list", "fuzz"];

/// An author's document: a few edits to one text, the same edits for the same author every time.
fn author_doc(author: u64) -> (Doc, Vec<Vec<u8>>) {
    let doc = Doc::with_client_id(0x7a11_0000 + author);
    let text = doc.get_or_insert_text(ROOTS[author as usize % ROOTS.len()]);
    let mut steps = Vec::new();
    for i in 0..3u64 {
        let mut txn = doc.transact_mut();
        let before = txn.state_vector();
        let len = text.get_string(&txn).len() as u32;
        text.insert(&mut txn, len.min((author + i) as u32 % 4), &format!("{author}.{i} "));
        if i == 2 {
            text.remove_range(&mut txn, 0, 1);
        }
        steps.push(txn.encode_diff_v1(&before));
    }
    (doc, steps)
}

/// A random client id: small, large, or the largest yrs takes.
fn client_id(rng: &mut TestRng) -> u64 {
    match rng.random_range(0..4) {
        0 => rng.random_range(0..16),
        1 => rng.random_range(0..u64::from(u32::MAX)),
        2 => rng.random_range(0..(1u64 << 53)),
        _ => rng.random(),
    }
}

/// An awareness state as JSON text: a page's presence, `null` (gone), or something that is not a presence at all.
fn awareness_json(rng: &mut TestRng) -> String {
    match rng.random_range(0..6) {
        0 => "null".into(),
        1 => serde_json::json!({"user": {"name": "Fuzz", "color": "#123456"}, "pid": rng.random_range(0..50),
            "section": "goal-statement"})
        .to_string(),
        2 => "{".repeat(rng.random_range(1..64)),
        3 => format!("\"{}\"", "x".repeat(rng.random_range(0..2000))),
        4 => rng.random::<u64>().to_string(),
        _ => String::from_utf8_lossy(&random_bytes(rng, 32)).into_owned(),
    }
}

/// An awareness message with `clients` entries (ids from `ids`, or random ones).
pub fn awareness(rng: &mut TestRng, ids: &[u64], clients: usize) -> Vec<u8> {
    let mut update = Vec::new();
    write_var(&mut update, clients as u64);
    for i in 0..clients {
        let id = ids.get(i).copied().unwrap_or_else(|| client_id(rng));
        write_var(&mut update, id);
        write_var(&mut update, rng.random_range(0..u64::from(u32::MAX)));
        write_buf(&mut update, awareness_json(rng).as_bytes());
    }
    let mut out = vec![MSG_AWARENESS];
    write_buf(&mut out, &update);
    out
}

/// A sync step 1: an author's state vector, or a random one (huge clocks and ids included).
pub fn step1(rng: &mut TestRng) -> Vec<u8> {
    if rng.random_bool(0.5) {
        let (doc, _) = author_doc(rng.random_range(0..AUTHORS));
        let sv = doc.transact().state_vector();
        return Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1();
    }
    let entries: Vec<(u64, u64)> = (0..rng.random_range(0..6))
        .map(|_| (client_id(rng), rng.random_range(0..u64::from(u32::MAX))))
        .collect();
    sync(STEP1, &state_vector(&entries))
}

/// A y-sync message of any kind, before mutation.
pub fn message(rng: &mut TestRng) -> Vec<u8> {
    match rng.random_range(0..10) {
        0..=1 => step1(rng),
        2..=5 => {
            let (doc, steps) = author_doc(rng.random_range(0..AUTHORS));
            let update = match rng.random_range(0..3) {
                0 => doc.transact().encode_state_as_update_v1(&StateVector::default()),
                _ => steps[rng.random_range(0..steps.len())].clone(),
            };
            sync(if rng.random_bool(0.3) { STEP2 } else { UPDATE }, &update)
        }
        6..=7 => {
            let clients = rng.random_range(0..12);
            awareness(rng, &[], clients)
        }
        8 => {
            let mut out = vec![MSG_AUTH, rng.random_range(0..2)];
            write_buf(&mut out, b"permission denied");
            out
        }
        _ => match rng.random_bool(0.5) {
            true => vec![MSG_QUERY_AWARENESS],
            false => {
                let mut out = vec![rng.random_range(4..=255)];
                let payload = random_bytes(rng, 64);
                write_buf(&mut out, &payload);
                out
            }
        },
    }
}

/// Random bytes, mostly short, sometimes several KiB; some start with a y-sync tag so that decoding goes further.
pub fn random_bytes(rng: &mut TestRng, max: usize) -> Vec<u8> {
    let len = match rng.random_range(0..10) {
        0..=3 => rng.random_range(0..16),
        4..=8 => rng.random_range(0..256),
        _ => rng.random_range(0..8192),
    }
    .min(max);
    let mut out = vec![0u8; len];
    rng.fill(&mut out[..]);
    out
}

/// A random frame of the given size class, with a y-sync prefix now and then.
pub fn noise(rng: &mut TestRng) -> Vec<u8> {
    let mut out = match rng.random_range(0..4) {
        0 => vec![MSG_SYNC, rng.random_range(0..3)],
        1 => vec![MSG_AWARENESS],
        _ => Vec::new(),
    };
    out.extend(random_bytes(rng, usize::MAX));
    out
}

/// Mutates `bytes` in place, one to three times: a bit flipped, the frame cut short, a varint inflated (more
/// continuation bytes than any number needs), a length made huge, bytes inserted, a slice repeated, a byte set to
/// an edge value.
pub fn mutate(rng: &mut TestRng, bytes: &mut Vec<u8>) {
    for _ in 0..rng.random_range(1..=3) {
        let at = rng.random_range(0..=bytes.len());
        match rng.random_range(0..7) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
            1 => bytes.truncate(at),
            2 => {
                let n = rng.random_range(1..12);
                let fill = if rng.random_bool(0.5) { 0xff } else { 0x80 };
                bytes.splice(at..at, std::iter::repeat_n(fill, n));
            }
            3 => {
                let huge = [
                    u64::from(u32::MAX),
                    1 << 31,
                    0x0fff_ffff,
                    1 << 20,
                    u64::MAX >> 1,
                    u64::MAX,
                ];
                let mut len = Vec::new();
                write_var(&mut len, huge[rng.random_range(0..huge.len())]);
                let end = (at + rng.random_range(0..3)).min(bytes.len());
                bytes.splice(at..end, len);
            }
            4 => {
                let extra = random_bytes(rng, 32);
                bytes.splice(at..at, extra);
            }
            5 if at < bytes.len() => {
                let end = rng.random_range(at..=bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(end..end, copy);
            }
            _ if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] = [0x00, 0x7f, 0x80, 0xff][rng.random_range(0..4)];
            }
            _ => bytes.push(rng.random()),
        }
    }
}

/// What the relay must do with a binary frame from a connection that may write the notes (`may_write`) or only
/// read them: a frame that is not a y-sync message, or whose update is not an update, closes it with 1007; an
/// update that decodes may still be refused with a close (1007 if yrs cannot apply it, 1008 if it skips edits the
/// relay never received); anything else keeps the connection (answered, relayed, or ignored).
/// `None` when yrs' decoder panics on the frame: a panic the relay would hit too.
pub fn classify(frame: &[u8], may_write: bool) -> Option<Expect> {
    std::panic::catch_unwind(|| {
        let update = match Message::decode_v1(frame) {
            Err(_) => return Expect::MustClose(&[CLOSE_INVALID_DATA]),
            Ok(Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u))) => u,
            Ok(_) => return Expect::Keep,
        };
        match (Update::decode_v1(&update), may_write) {
            (Err(_), _) => Expect::MustClose(&[CLOSE_INVALID_DATA]),
            (Ok(_), true) => Expect::MayClose(&[CLOSE_INVALID_DATA, CLOSE_POLICY]),
            (Ok(_), false) => Expect::Keep,
        }
    })
    .ok()
}

/// Whether a frame is a sync step 1 (which the relay answers with a step 2).
pub fn is_step1(frame: &[u8]) -> bool {
    std::panic::catch_unwind(|| matches!(Message::decode_v1(frame), Ok(Message::Sync(SyncMessage::SyncStep1(_)))))
        .unwrap_or(false)
}

/// Whether a frame from the relay is a sync step 2 (its answer to a step 1).
pub fn is_step2(frame: &[u8]) -> bool {
    matches!(Message::decode_v1(frame), Ok(Message::Sync(SyncMessage::SyncStep2(_))))
}

/// An empty sync step 1: the barrier of a Yjs connection, answered with a step 2 after every earlier frame.
pub fn barrier() -> Vec<u8> {
    sync(STEP1, &state_vector(&[]))
}
