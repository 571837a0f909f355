//! What a client on Tandem's page socket `/ws/{session}` does beyond the y-sync traffic every client sends, as far as
//! the benchmarks need it: the hello (the page's participant key and name), the clock-sync ping that keeps the socket
//! open (the relay closes sockets silent for 10 s), and, for one member of each workshop breakout, phase changes at
//! set times of the run, timed in [`crate::shared::PhaseChanges`] until the facilitator's dashboard shows them.

use crate::shared::Shared;
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use tandem_core::session::{ParticipantKey, RoomId, RoomState, Timer, TimerCommand};
use tokio::time::Instant;

/// How often a page pings, as the browser does.
pub const PING_EVERY: Duration = Duration::from_secs(3);

/// Where a client connects, and, on the page socket, what it says there besides y-sync.
pub struct Join {
    /// The socket's URL.
    pub url: String,
    /// The page socket's part (`None`: the Yjs endpoint, the bare relay, y-websocket).
    pub page: Option<Page>,
}

/// A client on the page socket: its hello, and the phase changes it makes, if any.
pub struct Page {
    /// The hello (JSON text), sent before anything else.
    pub hello: String,
    /// The phase changes of its breakout, when this client makes them.
    pub duty: Option<PhaseDuty>,
}

impl Page {
    /// A page joining under `key` as `name`.
    pub fn new(key: &ParticipantKey, name: &str, duty: Option<PhaseDuty>) -> Page {
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            participant_key: key.clone(),
            name: name.to_string(),
            role: None,
            claim: None,
        };
        Page {
            hello: to_json(&hello),
            duty,
        }
    }

    /// A clock-sync ping; `sent` is the page's clock in ms.
    pub fn ping(sent: f64) -> String {
        to_json(&ClientMsg::Ping { sent })
    }
}

/// A fresh participant key (128 random bits, in the shape the relay accepts).
pub fn new_key() -> ParticipantKey {
    ParticipantKey(format!("{:032x}", rand::random::<u128>()))
}

/// One member's phase changes in its breakout (room `room` of the run): a `Start` while the clock has not started,
/// otherwise `Next` (`Previous` on the last phase), at the given times of the run.
pub struct PhaseDuty {
    room: usize,
    /// When the changes go out, counted from the start of the run, ascending.
    at: Vec<Duration>,
    /// The next of them.
    next: usize,
    /// The room's state as the relay last told it.
    state: Option<RoomState>,
    /// Phases of the agenda.
    phases: usize,
}

impl PhaseDuty {
    /// Changes in room `room` at `at` (ascending, from the run's start).
    pub fn new(room: usize, at: Vec<Duration>) -> PhaseDuty {
        PhaseDuty {
            room,
            at,
            next: 0,
            state: None,
            phases: 0,
        }
    }

    /// Follows the room's state in the relay's text frames (the welcome, then `room` messages); other messages
    /// are not parsed.
    pub fn observe(&mut self, text: &str) {
        if !(text.starts_with(r#"{"welcome""#) || text.starts_with(r#"{"room""#)) {
            return;
        }
        match serde_json::from_str::<ServerMsg>(text) {
            Ok(ServerMsg::Welcome { session, rooms, .. }) => {
                self.phases = session.phases.len();
                self.state = rooms.into_iter().find(|r| r.id == RoomId::MAIN).map(|r| r.state);
            }
            // A newer state of the breakout's room (it has only the one).
            Ok(ServerMsg::Room { room, .. })
                if room.id == RoomId::MAIN && self.state.as_ref().is_none_or(|s| room.state.version > s.version) =>
            {
                self.state = Some(room.state);
            }
            _ => {}
        }
    }

    /// When the next change is due, in a run that started at `start`.
    pub fn due(&self, start: Instant) -> Option<Instant> {
        self.at.get(self.next).map(|d| start + *d)
    }

    /// The next change's timer command, recorded as sent now; `None` when it does not go out (the breakout's
    /// previous change is not on the dashboard yet, or the room's state is not known).
    pub fn command(&mut self, shared: &Shared) -> Option<String> {
        self.next += 1;
        let Some(state) = &self.state else {
            shared.phases.skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return None;
        };
        let from = state.phase;
        let command = match state.timer {
            Timer::Ready { .. } => TimerCommand::Start,
            _ if from + 1 < self.phases => TimerCommand::Next { from },
            _ => TimerCommand::Previous { from },
        };
        shared.phases.send(self.room, state.version, shared.now_ns()).then(|| {
            to_json(&ClientMsg::Timer {
                room: RoomId::MAIN,
                command,
            })
        })
    }
}

/// A message as JSON text (these always serialize).
fn to_json<T: serde::Serialize>(msg: &T) -> String {
    serde_json::to_string(msg).expect("a wire message serializes")
}
