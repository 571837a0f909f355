//! Plays an episode against the relay: opens its connection (with a hello where it has one), sends its frames as
//! fast as the socket takes them, then waits, never longer than needed, for what the relay must do: a close with a
//! code and a reason within 1 s; a refusal of a flood within 1 s; or, for frames it must keep, the answer to a
//! barrier sent after them (which comes after the relay has handled every earlier frame), with an error for each
//! message it could not read.

use crate::common::{key, Client};
use crate::plan::{Episode, Expect, Kind, Shot, Target, KEYS, KEY_BASE};
use crate::ysync;
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg};
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message;

/// How long the relay has to close an offending connection, or to refuse a flood.
pub const CLOSE_WITHIN: Duration = Duration::from_secs(1);
/// How long a barrier may take (every earlier frame handled first), and a welcome.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// After a close that came late or not at all, how much longer to watch, to tell "late" from "never".
const GRACE: Duration = Duration::from_secs(3);
/// The private note section of the barrier: no session has it, so the actor refuses it, in order.
const BARRIER: &str = "\u{0}fuzz-barrier";
/// The errors of a message the relay could not read, or of a second hello.
const NOT_UNDERSTOOD: [&str; 2] = [
    "Tandem did not understand that message.",
    "Already joined on this connection.",
];

/// The session's socket addresses, by link.
pub struct Urls {
    pub page: String,
    pub observer: String,
    pub yjs: String,
    pub yjs_observer: String,
}

/// How the relay ended a connection.
#[derive(Clone, Debug)]
pub struct Closed {
    /// The close code; `None` for a close frame without one, or no close frame at all (`reason` says which).
    pub code: Option<u16>,
    pub reason: String,
    pub after: Duration,
}

/// What happened in one episode.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Frames sent (fewer than planned when the relay closed first).
    pub frames: usize,
    pub closed: Option<Closed>,
    /// Errors saying a message was not understood.
    pub answers: usize,
    /// How the relay's answer was wrong, if it was.
    pub failure: Option<Failure>,
}

/// What to wait for once the frames are sent.
#[derive(Debug, PartialEq, Eq)]
enum Wait {
    Close,
    Limited,
    Welcome,
    Nothing,
    Barrier,
}

/// What came back.
#[derive(Default)]
struct Seen {
    answers: usize,
    limited: bool,
    too_large: bool,
    welcome: bool,
    barrier: bool,
    step2s: usize,
    closed: Option<Closed>,
}

/// Plays `ep` and judges the relay.
pub async fn run(urls: &Urls, ep: &Episode) -> Outcome {
    let mut out = Outcome::default();
    let mut client = match connect(urls, ep).await {
        Ok(client) => client,
        Err(failure) => {
            out.failure = Some(failure);
            return out;
        }
    };
    let wait = wait_for(&ep.shots);
    let mut frames: Vec<Message> = ep.shots.iter().map(|s| s.frame.clone()).collect();
    if wait == Wait::Barrier {
        frames.push(barrier(ep.target));
    }
    for frame in frames {
        // The relay may close before it has read everything (a flood, an oversized frame): stop sending then.
        if client.ws.feed(frame).await.is_err() {
            break;
        }
        out.frames += 1;
    }
    let _ = client.ws.flush().await;
    out.frames = out.frames.min(ep.shots.len());
    let sent = Instant::now();
    let deadline = sent
        + match wait {
            Wait::Close | Wait::Limited => CLOSE_WITHIN,
            Wait::Nothing => Duration::ZERO,
            _ => ANSWER_WITHIN,
        };
    let steps = 1 + ep.shots.iter().filter(|s| s.step1).count();
    let mut seen = Seen::default();
    while seen.closed.is_none() && !done(&wait, &seen, ep.target, steps) {
        let limit = if wait == Wait::Close {
            deadline + GRACE
        } else {
            deadline
        };
        match timeout_at(limit, client.ws.next()).await {
            Err(_) => break,
            Ok(frame) => seen.take(frame, sent),
        }
    }
    out.answers = seen.answers;
    out.failure = judge(ep, &wait, &seen, steps);
    out.closed = seen.closed;
    out
}

/// Opens the episode's connection: a page says hello first and waits for its welcome. A refusal is a failure of
/// the episode (the relay must let a well-behaved client in, whatever came before).
async fn connect(urls: &Urls, ep: &Episode) -> Result<Client, Failure> {
    let (url, n) = match ep.target {
        Target::Page => (&urls.page, KEY_BASE + ep.key as u8),
        Target::Observer => (&urls.observer, KEY_BASE + (KEYS + ep.key) as u8),
        Target::NoHello => (&urls.page, 0),
        Target::Yjs => (&urls.yjs, 0),
        Target::YjsObserver => (&urls.yjs_observer, 0),
    };
    let refused = |e: String| Failure {
        what: "could not connect",
        detail: e,
    };
    let ws = match tokio::time::timeout(ANSWER_WITHIN, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => return Err(refused(e.to_string())),
        Err(_) => return Err(refused(format!("no upgrade within {ANSWER_WITHIN:?}"))),
    };
    let mut client = Client { ws };
    if !ep.target.joined() {
        return Ok(client);
    }
    client.hello(&format!("Fuzz {n}"), &key(n), None).await;
    let mut seen = Seen::default();
    let deadline = Instant::now() + ANSWER_WITHIN;
    while !seen.welcome && seen.closed.is_none() {
        match timeout_at(deadline, client.ws.next()).await {
            Ok(frame) => seen.take(frame, deadline),
            Err(_) => break,
        }
    }
    match seen.welcome {
        true => Ok(client),
        false => Err(Failure {
            what: "could not join",
            detail: format!("{:?}", seen.closed),
        }),
    }
}

fn wait_for(shots: &[Shot]) -> Wait {
    let has = |f: fn(&Expect) -> bool| shots.iter().any(|s| f(&s.expect));
    if has(|e| matches!(e, Expect::MustClose(_))) {
        Wait::Close
    } else if has(|e| *e == Expect::Limited) {
        Wait::Limited
    } else if has(|e| *e == Expect::Joins) {
        Wait::Welcome
    } else if has(|e| *e == Expect::Unfinished) {
        Wait::Nothing
    } else {
        Wait::Barrier
    }
}

/// A message the relay answers after it has handled every earlier frame of the connection.
fn barrier(target: Target) -> Message {
    match target.joined() {
        true => {
            let note = ClientMsg::PrivateNote {
                section: BARRIER.into(),
                text: String::new(),
                rev: 0,
            };
            Message::text(serde_json::to_string(&note).unwrap())
        }
        false => Message::binary(ysync::barrier()),
    }
}

fn done(wait: &Wait, seen: &Seen, target: Target, steps: usize) -> bool {
    match wait {
        Wait::Close => false,
        Wait::Limited => seen.limited,
        Wait::Welcome => seen.welcome,
        Wait::Nothing => true,
        Wait::Barrier if target.joined() => seen.barrier,
        Wait::Barrier => seen.step2s >= steps,
    }
}

impl Seen {
    /// Takes one read from the socket.
    fn take(&mut self, frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>, sent: Instant) {
        let closed = |code, reason: &str| {
            Some(Closed {
                code,
                reason: reason.into(),
                after: sent.elapsed(),
            })
        };
        match frame {
            Some(Ok(Message::Text(t))) => match serde_json::from_str::<ServerMsg>(&t) {
                Ok(ServerMsg::Error { code, message }) => match code {
                    ErrorCode::RateLimited => self.limited = true,
                    ErrorCode::TooLarge => self.too_large = true,
                    _ => self.answers += usize::from(NOT_UNDERSTOOD.contains(&message.as_str())),
                },
                Ok(ServerMsg::PrivateNoteRefused { section, .. }) => self.barrier |= section == BARRIER,
                Ok(ServerMsg::Welcome { .. }) => self.welcome = true,
                _ => {}
            },
            Some(Ok(Message::Binary(b))) => self.step2s += usize::from(ysync::is_step2(&b)),
            Some(Ok(Message::Close(f))) => {
                self.closed = match f {
                    Some(f) => closed(Some(f.code.into()), &f.reason),
                    None => closed(None, "(a close frame without a code)"),
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => self.closed = closed(None, &format!("(no close frame: {e})")),
            None => self.closed = closed(None, "(no close frame: the stream ended)"),
        }
    }
}

/// How the relay's answer to an episode was wrong: a short name (failures are grouped by it) and the details.
#[derive(Debug)]
pub struct Failure {
    pub what: &'static str,
    pub detail: String,
}

fn failure(what: &'static str, detail: impl Into<String>) -> Option<Failure> {
    Some(Failure {
        what,
        detail: detail.into(),
    })
}

/// How the relay's answer to `ep` is wrong, if it is.
fn judge(ep: &Episode, wait: &Wait, seen: &Seen, steps: usize) -> Option<Failure> {
    let codes = |pick: fn(&Expect) -> Option<&'static [u16]>| ep.shots.iter().filter_map(move |s| pick(&s.expect));
    let must: Vec<&[u16]> = codes(|e| if let Expect::MustClose(c) = e { Some(*c) } else { None }).collect();
    let may: Vec<u16> = codes(|e| if let Expect::MayClose(c) = e { Some(*c) } else { None })
        .flatten()
        .copied()
        .collect();
    let allowed = |code: u16| must.iter().any(|c| c.is_empty() || c.contains(&code)) || may.contains(&code);
    let wanted = ep.shots.iter().filter(|s| s.expect == Expect::Answer).count();
    if let Some(c) = &seen.closed {
        return match c.code {
            _ if *wait != Wait::Close && may.is_empty() => failure("closed, but must stay open", format!("{c:?}")),
            None => failure("ended without a close code", &c.reason),
            Some(code) if !allowed(code) => failure(
                "closed with another code",
                format!("{code} {:?}, not {must:?} {may:?}", c.reason),
            ),
            _ if c.reason.is_empty() => failure("closed without a reason", format!("{c:?}")),
            _ if c.after > CLOSE_WITHIN => failure("closed late", format!("after {:?}", c.after)),
            _ if ep.kind == Kind::Oversized && ep.target.joined() && !seen.too_large => {
                failure("closed for size without an error message", format!("{c:?}"))
            }
            _ => None,
        };
    }
    match wait {
        Wait::Close => failure("not closed", format!("nothing within {:?}", CLOSE_WITHIN + GRACE)),
        Wait::Limited if !seen.limited => failure("flood not refused", format!("within {CLOSE_WITHIN:?}")),
        Wait::Welcome if !seen.welcome => failure("valid hello not welcomed", ""),
        Wait::Barrier if !done(wait, seen, ep.target, steps) => failure("barrier not answered", ""),
        Wait::Barrier if ep.target.joined() && seen.answers != wanted => failure(
            "unreadable messages not answered",
            format!("{} errors for {wanted} messages", seen.answers),
        ),
        _ => None,
    }
}
