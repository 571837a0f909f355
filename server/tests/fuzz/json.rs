//! JSON text frames for the page socket: every [`ClientMsg`] variant serialised, then mutated (a field removed, a
//! value of the wrong type, huge numbers, long strings, an unknown tag, the text cut short or nested too deep), and
//! what the relay must do with each, judged by the protocol types alone.

use crate::plan::Expect;
use proptest::prelude::RngExt;
use proptest::test_runner::TestRng;
use serde_json::Value;
use std::collections::BTreeMap;
use tandem_core::protocol::{ClientMsg, CLOSE_BAD_HELLO, CLOSE_RELOAD, PROTOCOL_VERSION};
use tandem_core::session::{
    clean_name, Answer, FeedbackDraft, FeedbackId, ParticipantId, ParticipantKey, RoomId, TimerCommand,
};

/// The name of a variant on the wire. No wildcard: a new variant fails to compile here until [`every_variant`]
/// builds it too.
fn tag(msg: &ClientMsg) -> &'static str {
    match msg {
        ClientMsg::Hello { .. } => "hello",
        ClientMsg::SetRole { .. } => "set_role",
        ClientMsg::Ping { .. } => "ping",
        ClientMsg::Timer { .. } => "timer",
        ClientMsg::SubmitFeedback { .. } => "submit_feedback",
        ClientMsg::ShareFeedback { .. } => "share_feedback",
        ClientMsg::EndSession => "end_session",
        ClientMsg::PrivateNote { .. } => "private_note",
    }
}

/// A timer command of any kind.
fn timer_command(rng: &mut TestRng) -> TimerCommand {
    let phase = rng.random_range(0..8);
    match rng.random_range(0..8) {
        0 => TimerCommand::Start,
        1 => TimerCommand::Pause,
        2 => TimerCommand::Resume,
        3 => TimerCommand::AddTime {
            seconds: rng.random_range(0..4000),
        },
        4 => TimerCommand::Next { from: phase },
        5 => TimerCommand::Previous { from: phase },
        6 => TimerCommand::Goto {
            to: rng.random_range(0..8),
            from: phase,
        },
        _ => TimerCommand::Undo,
    }
}

/// One message of every variant, as a page could send it: the hello with `key`; feedback, roles and private notes
/// that name nothing this session has, so that a message that survives its mutation is refused rather than stored.
fn every_variant(rng: &mut TestRng, key: &str) -> Vec<ClientMsg> {
    let answers = BTreeMap::from([
        ("situation".to_string(), Answer::Text("fuzz".into())),
        ("helped".to_string(), Answer::Rating(rng.random_range(0..7))),
    ]);
    let all = vec![
        ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            participant_key: ParticipantKey(key.into()),
            name: format!("Fuzz {}", rng.random_range(0..100)),
            role: rng.random_bool(0.3).then(|| "coach".into()),
            claim: None,
        },
        ClientMsg::SetRole {
            role: "fuzz-role".into(),
        },
        ClientMsg::Ping {
            sent: rng.random_range(0.0..1e13),
        },
        ClientMsg::Timer {
            room: RoomId(rng.random_range(0..3)),
            command: timer_command(rng),
        },
        ClientMsg::SubmitFeedback {
            feedback: FeedbackDraft {
                id: FeedbackId("fuzz-feedback-0000000".into()),
                form: "fuzz-form".into(),
                about: ParticipantId(rng.random_range(0..5)),
                answers,
            },
        },
        ClientMsg::ShareFeedback {
            id: FeedbackId("fuzz-feedback-0000001".into()),
            shared: rng.random(),
        },
        ClientMsg::EndSession,
        ClientMsg::PrivateNote {
            section: "fuzz-section".into(),
            text: "fuzz".into(),
            rev: rng.random(),
        },
    ];
    debug_assert!(all.iter().map(tag).collect::<std::collections::BTreeSet<_>>().len() == all.len());
    all
}

/// A message of a random variant (the hello only when `hello` says so), mutated unless `clean`.
pub fn message(rng: &mut TestRng, key: &str, hello: bool, clean: bool) -> String {
    let all = every_variant(rng, key);
    let msg = if hello {
        all[0].clone()
    } else {
        all[rng.random_range(0..all.len())].clone()
    };
    let mut value = serde_json::to_value(&msg).expect("a client message serialises");
    if clean {
        return value.to_string();
    }
    if rng.random_bool(0.8) {
        mutate_value(rng, &mut value);
    }
    let mut text = value.to_string();
    if rng.random_bool(0.3) {
        mutate_text(rng, &mut text);
    }
    text
}

/// Where a node sits in a JSON value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node under `value`, by path (the root is the empty path).
fn nodes(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(path.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Step::Key(k.clone()));
                nodes(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Step::Index(i));
                nodes(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// A long string: ASCII, other scripts, control characters, or lone-surrogate escapes' replacement.
fn long_string(rng: &mut TestRng) -> String {
    let unit = ["a", "é", "漢", "\u{0}", "\"", "\\", "🙂", "\u{feff}"][rng.random_range(0..8)];
    unit.repeat(rng.random_range(1_000..120_000))
}

/// A value of a type unlike `old`'s, or an edge value.
fn other_value(rng: &mut TestRng, old: &Value) -> Value {
    loop {
        let new = match rng.random_range(0..10) {
            0 => Value::Null,
            1 => Value::Bool(rng.random()),
            2 => Value::from(u64::MAX),
            3 => Value::from(i64::MIN),
            4 => Value::from(-1),
            5 => Value::from(1e308),
            6 => Value::from(0.5),
            7 => Value::String(format!("{}", rng.random::<u32>())),
            8 => Value::Array(vec![Value::Null; rng.random_range(0..3)]),
            _ => serde_json::json!({"unknown": 1}),
        };
        if std::mem::discriminant(&new) != std::mem::discriminant(old) || rng.random_bool(0.3) {
            return new;
        }
    }
}

/// One structural mutation: a field removed, a value replaced by one of another type or a huge number or a long
/// string, an unknown field added, or the message's tag renamed.
fn mutate_value(rng: &mut TestRng, value: &mut Value) {
    let mut paths = Vec::new();
    nodes(value, &mut Vec::new(), &mut paths);
    let path = paths[rng.random_range(0..paths.len())].clone();
    match rng.random_range(0..5) {
        0 => {
            if let Some((Step::Key(k), parent)) = path.split_last() {
                if let Value::Object(map) = at(value, parent) {
                    map.remove(k);
                }
            }
        }
        1 => {
            let node = at(value, &path);
            *node = other_value(rng, node);
        }
        2 => *at(value, &path) = Value::String(long_string(rng)),
        3 => {
            if let Value::Object(map) = at(value, &path) {
                map.insert("fuzz".into(), Value::from(rng.random::<u64>()));
            }
        }
        _ => {
            let names = ["type", "hello", "launch_rockets", "timer", "", "Ping", "end_session"];
            let name = names[rng.random_range(0..names.len())].to_string();
            *value = match std::mem::take(value) {
                Value::Object(map) => Value::Object(map.into_values().map(|v| (name.clone(), v)).collect()),
                _ => Value::String(name),
            };
        }
    }
}

/// One mutation of the text itself: cut short, a character changed, garbage after it, nested ten thousand deep, a
/// number too large for any type, a key given twice, or a protocol 1 message.
fn mutate_text(rng: &mut TestRng, text: &mut String) {
    let cut = |t: &str, n: usize| t.char_indices().nth(n).map_or(t.len(), |(i, _)| i);
    let at = cut(text, rng.random_range(0..=text.chars().count()));
    match rng.random_range(0..7) {
        0 => text.truncate(at),
        1 => text.insert(at, ['"', '{', '}', ',', ':', '\u{7f}', '\\'][rng.random_range(0..7)]),
        2 => text.push_str("} trailing"),
        3 => {
            let depth = rng.random_range(100..10_000);
            *text = format!("{}{text}{}", "[".repeat(depth), "]".repeat(depth));
        }
        4 => *text = text.replacen(char::is_numeric, "1e999", 1),
        5 => *text = text.replacen('{', r#"{"ping":{"sent":1},"#, 1),
        _ => *text = format!(r#"{{"type":"hello","protocol":1,"participant_key":"x","name":{text}}}"#),
    }
}

/// What the relay must do with a text frame from a page that has joined: answer a message it cannot read (or a
/// second hello) with an error and keep the connection; take anything else.
pub fn classify_joined(text: &str) -> Expect {
    match serde_json::from_str::<ClientMsg>(text) {
        Err(_) | Ok(ClientMsg::Hello { .. }) => Expect::Answer,
        Ok(_) => Expect::Keep,
    }
}

/// What the relay must do with a page's first message: join it if it is a valid hello of this protocol version,
/// else refuse it with an error and close 4001 (another version) or 4002 (no valid hello).
pub fn classify_first(text: &str) -> Expect {
    match serde_json::from_str::<ClientMsg>(text) {
        Ok(ClientMsg::Hello {
            protocol,
            participant_key,
            name,
            ..
        }) if protocol == PROTOCOL_VERSION && clean_name(&name).is_some() && participant_key.is_well_formed() => {
            Expect::Joins
        }
        _ => Expect::MustClose(&[CLOSE_RELOAD, CLOSE_BAD_HELLO]),
    }
}
