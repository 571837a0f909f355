//! Frames below the message level: random text, messages over the size limit (whole or in fragments), messages
//! split into fragments (pings between them, some never finished), and WebSocket protocol violations (a fragment
//! interrupted, a continuation with nothing to continue, text that is not UTF-8, reserved bits and opcodes,
//! control frames fragmented or too long, close frames with a forbidden code).

use crate::plan::{too_big, Expect, Shot, Target};
use crate::ysync;
use proptest::prelude::RngExt;
use proptest::test_runner::TestRng;
use tandem_core::protocol::{CLOSE_BAD_HELLO, MAX_FRAME_BYTES};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Control, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// Random text: any Unicode scalar values, mostly short.
pub fn random_text(rng: &mut TestRng) -> String {
    let len = ysync::random_bytes(rng, 4096).len();
    (0..len)
        .map(|_| match rng.random_range(0..3) {
            0 => rng.random_range(' '..='~'),
            1 => rng.random_range('\u{0}'..='\u{7ff}'),
            _ => rng.random(),
        })
        .collect()
}

/// A data frame of `payload`, first (`Text` or `Binary`) or a continuation.
fn data(payload: Vec<u8>, first: bool, text: bool, fin: bool) -> Message {
    let op = match (first, text) {
        (false, _) => Data::Continue,
        (true, true) => Data::Text,
        (true, false) => Data::Binary,
    };
    Message::Frame(Frame::message(payload, OpCode::Data(op), fin))
}

/// `payload` split into two to six fragments, with a ping between some of them if `pings` (RFC 6455 allows them).
/// When not `finished`, the last fragment sent is not final and the rest of the message never comes.
pub fn fragments(rng: &mut TestRng, payload: &[u8], text: bool, finished: bool, pings: bool) -> Vec<Message> {
    let mut cuts: Vec<usize> = (0..rng.random_range(1..6))
        .map(|_| rng.random_range(0..=payload.len()))
        .collect();
    cuts.sort_unstable();
    let mut bounds = vec![0];
    bounds.extend(cuts);
    bounds.push(payload.len());
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &payload[w[0]..w[1]]).collect();
    let keep = if finished {
        pieces.len()
    } else {
        rng.random_range(1..=pieces.len())
    };
    let mut out = Vec::new();
    for (i, piece) in pieces.iter().take(keep).enumerate() {
        if pings && i > 0 && rng.random_bool(0.3) {
            out.push(Message::Ping(vec![i as u8].into()));
        }
        let fin = finished && i + 1 == pieces.len();
        out.push(data(piece.to_vec(), i == 0, text, fin));
    }
    out
}

/// A message over [`MAX_FRAME_BYTES`]: one frame (refused from its header), or 128 KiB fragments of which the one
/// that crosses the limit is refused. Nothing after it is sent.
pub fn oversized(rng: &mut TestRng, target: Target) -> Vec<Shot> {
    let text = target.joined() || target == Target::NoHello && rng.random_bool(0.5);
    let shot = |frame, expect| Shot {
        frame,
        expect,
        step1: false,
    };
    if rng.random_bool(0.5) {
        let len = MAX_FRAME_BYTES + 1 + rng.random_range(0..4096);
        return vec![shot(data(vec![b'x'; len], true, text, true), too_big(target))];
    }
    const PIECE: usize = 128 * 1024;
    let pieces = MAX_FRAME_BYTES / PIECE + 1;
    (0..pieces)
        .map(|i| {
            let expect = if i + 1 == pieces { too_big(target) } else { Expect::Keep };
            shot(data(vec![b'x'; PIECE], i == 0, text, i + 1 == pieces), expect)
        })
        .collect()
}

/// A frame with `header` and `payload` as they are, checked by nobody on the way out.
fn raw(header: FrameHeader, payload: Vec<u8>) -> Message {
    Message::Frame(Frame::from_payload(header, payload.into()))
}

/// The protocol violations [`violation`] draws, by name.
pub const VIOLATIONS: [&str; 9] = [
    "a fragment interrupted by a new message",
    "a continuation with nothing to continue",
    "text that is not UTF-8",
    "reserved bits set",
    "a reserved data opcode",
    "a reserved control opcode",
    "a fragmented ping",
    "a ping over 125 bytes",
    "a close with a forbidden code",
];

/// A WebSocket protocol violation (RFC 6455 says to fail the connection), and its name: a page or Yjs client must
/// be closed with a code and a reason; before a hello, the relay refuses it as a missing hello (4002). A close
/// frame with a forbidden code is answered by the WebSocket layer itself with 1002.
pub fn violation(rng: &mut TestRng, target: Target) -> (Vec<Shot>, &'static str) {
    let refused = if target == Target::NoHello {
        Expect::MustClose(&[CLOSE_BAD_HELLO])
    } else {
        Expect::MustClose(&[])
    };
    let header = |opcode, is_final| FrameHeader {
        is_final,
        opcode,
        ..FrameHeader::default()
    };
    let payload = ysync::random_bytes(rng, 200);
    let which = rng.random_range(0..VIOLATIONS.len());
    let (frames, expect) = match which {
        0 => (
            vec![
                data(payload.clone(), true, rng.random(), false),
                data(payload, true, true, true),
            ],
            refused,
        ),
        1 => (vec![data(payload, false, false, true)], refused),
        2 => {
            let mut bad = payload;
            bad.extend([0xff, 0xfe, 0xc0, 0x80]);
            (vec![data(bad, true, true, true)], refused)
        }
        3 => {
            let mut h = header(OpCode::Data(Data::Binary), true);
            (h.rsv1, h.rsv2, h.rsv3) = (rng.random(), true, rng.random());
            (vec![raw(h, payload)], refused)
        }
        4 => {
            let h = header(OpCode::Data(Data::Reserved(rng.random_range(3..=7))), true);
            (vec![raw(h, payload)], refused)
        }
        5 => {
            let h = header(OpCode::Control(Control::Reserved(rng.random_range(11..=15))), true);
            (vec![raw(h, payload.into_iter().take(100).collect())], refused)
        }
        6 => {
            let h = header(OpCode::Control(Control::Ping), false);
            (vec![raw(h, payload.into_iter().take(100).collect())], refused)
        }
        7 => {
            let h = header(OpCode::Control(Control::Ping), true);
            (vec![raw(h, vec![b'p'; rng.random_range(126..1000)])], refused)
        }
        _ => {
            let code = [0u16, 999, 1004, 1005, 1006, 1016, 2999, 5000][rng.random_range(0..8)];
            let close = CloseFrame {
                code: CloseCode::from(code),
                reason: "fuzz".into(),
            };
            (vec![Message::Frame(Frame::close(Some(close)))], Expect::MustClose(&[]))
        }
    };
    let last = frames.len() - 1;
    let shots = frames
        .into_iter()
        .enumerate()
        .map(|(i, frame)| Shot {
            frame,
            expect: if i == last { expect } else { Expect::Keep },
            step1: false,
        })
        .collect();
    (shots, VIOLATIONS[which])
}
