//! Wire messages of a workshop's socket (`/ws/w/{id}?t=TOKEN`), in the same style as a session's: one JSON object
//! per text frame, named by its one key. A breakout is a session of its own and uses the session protocol; these
//! messages are the lobby, the facilitator's commands and the dashboard.

use super::ErrorCode;
use crate::session::{Capability, Millis, ParticipantId, ParticipantKey, ParticipantView, RoomState, SessionSpec};
use crate::workshop::{Groups, Stage, WorkshopSettings};
use serde::{Deserialize, Serialize};

/// Path of a workshop's socket; the link's token goes in the `t` query parameter.
pub fn workshop_socket_path(workshop: &str) -> String {
    format!("/ws/w/{workshop}")
}

/// Messages from a browser to the relay on a workshop's socket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkshopClientMsg {
    /// First message on every connection.
    Hello {
        /// The client's [`super::PROTOCOL_VERSION`].
        protocol: u32,
        /// The browser's key for this workshop.
        participant_key: ParticipantKey,
        /// Display name.
        name: String,
    },
    /// Clock-sync probe; also keeps the connection alive.
    Ping {
        /// The client's send time, echoed.
        sent: f64,
    },
    /// Facilitator: propose the next round's groups (answered with [`WorkshopServerMsg::Proposal`]).
    Propose,
    /// Facilitator: the proposal as the facilitator changed it (people moved between groups), kept by the relay
    /// until the round opens, so that it survives a reload and every facilitator's page shows the same.
    Draft {
        /// The groups, members in role order.
        groups: Groups,
    },
    /// Facilitator: open the next round with these groups (a proposal, perhaps with people swapped or moved).
    Open {
        /// Each group's members, in role order.
        groups: Groups,
    },
    /// Facilitator: move someone to breakout `to` (0-based) of the open round.
    Move {
        /// Who.
        who: ParticipantId,
        /// Which breakout, from 0.
        to: usize,
    },
    /// Facilitator: rename someone.
    Rename {
        /// Who.
        who: ParticipantId,
        /// The new name.
        name: String,
    },
    /// Facilitator: remove someone (their browser's key is refused from then on).
    Remove {
        /// Who.
        who: ParticipantId,
    },
    /// Facilitator: a message shown as a banner in every breakout.
    Broadcast {
        /// At most 280 characters.
        text: String,
    },
    /// Facilitator: add minutes to the current phase of every open breakout.
    AddTime {
        /// 1..=30.
        minutes: u32,
    },
    /// Facilitator, with one clock for all breakouts: start, pause or resume every breakout's clock, or move every
    /// breakout to its next phase.
    Clock {
        /// What to do.
        op: ClockOp,
    },
    /// Facilitator: start (or start again) the countdown of the opening or closing plenary.
    StartPlenary,
    /// Facilitator: end the round; every page returns to the plenary.
    CallBack,
    /// Facilitator: end the workshop; every page shows its summary.
    End,
}

/// The facilitator's clock commands for every breakout at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockOp {
    /// Start the clock of breakouts that have not started their phase.
    Start,
    /// Hold every clock.
    Pause,
    /// Count again.
    Resume,
    /// Every breakout to its next phase.
    Next,
}

/// Messages from the relay to a browser on a workshop's socket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkshopServerMsg {
    /// Answer to a valid hello.
    Welcome {
        /// The relay's protocol version.
        protocol: u32,
        /// The receiver's member id.
        you: ParticipantId,
        /// What the receiver's link allows.
        capability: Capability,
        /// The workshop as created.
        info: Box<WorkshopInfo>,
        /// Its state as the receiver may see it.
        view: WorkshopView,
        /// Relay time when sent.
        now: Millis,
    },
    /// The workshop changed (someone joined or left, a round opened or closed, a message went out).
    View {
        /// The state as the receiver may see it.
        view: WorkshopView,
    },
    /// Facilitator only: the proposed groups of the next round (after a proposal, a draft, or on joining while one
    /// is pending).
    Proposal {
        /// The groups, members in role order.
        groups: Groups,
        /// How many pairs of people in them have met in an earlier round.
        repeats: u32,
    },
    /// Facilitator only: the open round's breakouts as they are now (coalesced: a few per second at most).
    Dashboard {
        /// One per breakout, in breakout order.
        breakouts: Vec<BreakoutStatus>,
        /// Relay time when sent.
        now: Millis,
    },
    /// Answer to a ping.
    Pong {
        /// The ping's `sent`.
        sent: f64,
        /// Relay time.
        now: Millis,
    },
    /// Something the receiver sent was refused; nothing changed.
    Error {
        /// Machine-readable reason.
        code: ErrorCode,
        /// Sentence for the person.
        message: String,
    },
}

/// What everyone may know of a workshop as created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkshopInfo {
    /// The format each breakout runs (its agenda, roles and forms; the goal is the facilitator's).
    pub format: SessionSpec,
    /// The settings.
    pub settings: WorkshopSettings,
}

/// A breakout as a page may see it. On the wire a row (a JSON array, fields in this order) rather than an object:
/// views list every breakout of every round, and the dashboard's statuses go out every 250 ms; a row is a third of
/// the bytes, and the page's reader for it is a fraction of an object's (no field names to match: docs/workshops.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "BreakoutRow", into = "BreakoutRow")]
pub struct BreakoutView {
    /// Round number, from 1.
    pub round: usize,
    /// Breakout number in the round, from 1.
    pub number: usize,
    /// Members in role order.
    pub members: Vec<ParticipantId>,
    /// The breakout session's link (path and query) the receiver may open: a member's participant link, the
    /// facilitator's observer link where the workshop allows reading notes, or none.
    pub link: Option<String>,
    /// Its summary's link (path and query), for whoever may open one.
    pub summary: Option<String>,
    /// When the round opened and closed.
    pub opened_at: Millis,
    /// `None` while it runs.
    pub closed_at: Option<Millis>,
    /// How long its clocks ran, once it has ended.
    pub spent_ms: Option<Millis>,
}

/// The workshop as one page may see it: a participant sees the people and their own breakouts; the facilitator
/// and observers see every breakout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkshopView {
    /// Where the workshop is.
    pub stage: Stage,
    /// Rounds opened so far.
    pub rounds_done: usize,
    /// Everyone not removed (a person's `online`: a page of theirs is connected, to the workshop or to their
    /// breakout; `role` is always `None`: roles are given per round).
    pub people: Vec<ParticipantView>,
    /// Breakouts the receiver may see, every round, oldest first.
    pub breakouts: Vec<BreakoutView>,
    /// The facilitator's messages to every breakout, oldest first (their times are in the record).
    pub broadcasts: Vec<String>,
    /// When the plenary's countdown started, if one runs (its minutes: [`crate::workshop::WorkshopState::plenary_minutes`]).
    #[serde(default)]
    pub plenary_started_at: Option<Millis>,
}

/// One breakout's progress, for the dashboard. Content (notes, feedback text) never travels here. A row on the wire,
/// like [`BreakoutView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(from = "StatusRow", into = "StatusRow")]
pub struct BreakoutStatus {
    /// Breakout number, from 1.
    pub number: usize,
    /// Members whose page is connected to the breakout.
    pub present: Vec<ParticipantId>,
    /// Its phase and clock (`None` until its session has been loaded).
    pub room: Option<RoomState>,
    /// Characters in its notes.
    pub notes_chars: u32,
    /// When its notes last changed.
    pub last_edit: Option<Millis>,
    /// Feedback forms submitted so far.
    pub feedback: u32,
}

/// [`BreakoutView`] on the wire: round, number, members, link, summary, opened, closed, spent.
type BreakoutRow = (
    usize,
    usize,
    Vec<ParticipantId>,
    Option<String>,
    Option<String>,
    Millis,
    Option<Millis>,
    Option<Millis>,
);

impl From<BreakoutRow> for BreakoutView {
    fn from((round, number, members, link, summary, opened_at, closed_at, spent_ms): BreakoutRow) -> Self {
        BreakoutView {
            round,
            number,
            members,
            link,
            summary,
            opened_at,
            closed_at,
            spent_ms,
        }
    }
}

impl From<BreakoutView> for BreakoutRow {
    fn from(b: BreakoutView) -> Self {
        (
            b.round,
            b.number,
            b.members,
            b.link,
            b.summary,
            b.opened_at,
            b.closed_at,
            b.spent_ms,
        )
    }
}

/// [`BreakoutStatus`] on the wire: number, present, room, notes characters, last edit, feedback.
type StatusRow = (usize, Vec<ParticipantId>, Option<RoomState>, u32, Option<Millis>, u32);

impl From<StatusRow> for BreakoutStatus {
    fn from((number, present, room, notes_chars, last_edit, feedback): StatusRow) -> Self {
        BreakoutStatus {
            number,
            present,
            room,
            notes_chars,
            last_edit,
            feedback,
        }
    }
}

impl From<BreakoutStatus> for StatusRow {
    fn from(s: BreakoutStatus) -> Self {
        (s.number, s.present, s.room, s.notes_chars, s.last_edit, s.feedback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workshop_messages_are_named_by_their_one_key() {
        let msg = WorkshopClientMsg::Move {
            who: ParticipantId(3),
            to: 1,
        };
        let json = serde_json::to_string(&msg).unwrap();
        assert_eq!(json, r#"{"move":{"who":3,"to":1}}"#);
        assert_eq!(serde_json::from_str::<WorkshopClientMsg>(&json).unwrap(), msg);
        assert_eq!(
            serde_json::to_string(&WorkshopClientMsg::CallBack).unwrap(),
            r#""call_back""#
        );
        assert!(serde_json::from_str::<WorkshopClientMsg>(r#"{"open":{}}"#).is_err());
        let status = BreakoutStatus {
            number: 2,
            present: vec![ParticipantId(4)],
            notes_chars: 12,
            ..BreakoutStatus::default()
        };
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, "[2,[4],null,12,null,0]", "a row, not an object");
        assert_eq!(serde_json::from_str::<BreakoutStatus>(&json).unwrap(), status);
    }
}
