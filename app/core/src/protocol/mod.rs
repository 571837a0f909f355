//! Wire messages between the browser and the relay: JSON text frames, one message per frame, each an object with
//! one key, the message's name: `{"timer":{"room":0,"command":{"op":"next","from":2}}}`, or a bare string for a
//! message without fields (`"end_session"`). (Protocol 1 put the name in a `"type"` field instead; serde reads
//! such internally tagged enums through a buffered copy of the whole message, and that second reader of every
//! message type cost ~100 KB of code before wasm-opt, most of the page's 22 KB gzipped gain: docs/performance.md.)
//!
//! Binary frames are reserved for the notes document (y-sync protocol). New fields are added as `#[serde(default)]`
//! so that an older peer still parses; a change old peers cannot read bumps [`PROTOCOL_VERSION`].

use crate::session::{
    Capability, CommandError, Feedback, FeedbackDraft, FeedbackId, FieldError, Millis, ParticipantId, ParticipantKey,
    ParticipantView, RoomEvent, RoomId, RoomState, SessionSpec, TimerCommand,
};
use serde::{Deserialize, Serialize};

mod close;
pub mod workshop;

pub use close::*;

/// Version of this protocol; the first client message carries it.
pub const PROTOCOL_VERSION: u32 = 6;

/// Largest frame the relay accepts, in bytes: the whole notes document (1 MB) plus room for y-sync framing, because
/// one paste, or the sync step 2 carrying a browser's offline edits, travels as a single frame.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024 + 256 * 1024;

/// Path of a session's socket; the link's token goes in the `t` query parameter.
pub fn socket_path(session: &str) -> String {
    format!("/ws/{session}")
}

/// Messages from a browser to the relay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientMsg {
    /// First message on every connection.
    Hello {
        /// The client's [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The browser's key for this session; the same key is the same participant.
        participant_key: ParticipantKey,
        /// Display name.
        name: String,
        /// Role id, where the session offers roles.
        #[serde(default)]
        role: Option<String>,
        /// "This is me on another device": a participant with the same link capability that this browser's key
        /// (new to the session) is to stand for from now on. Ignored for a key the session already knows.
        #[serde(default)]
        claim: Option<ParticipantId>,
    },
    /// Take another role the session offers (not for observer links).
    SetRole {
        /// The role id.
        role: String,
    },
    /// Clock-sync probe; also keeps the connection alive.
    Ping {
        /// The client's local send time (ms), echoed back.
        sent: f64,
    },
    /// A phase or timer command for a room.
    Timer {
        /// Which room.
        room: RoomId,
        /// What to do.
        command: TimerCommand,
    },
    /// Submit (or edit, with the same id) feedback about another participant.
    SubmitFeedback {
        /// The feedback.
        feedback: FeedbackDraft,
    },
    /// The receiver shares (or stops sharing) feedback they received with the host.
    ShareFeedback {
        /// Which feedback.
        id: FeedbackId,
        /// Share or not.
        shared: bool,
    },
    /// Host only: end the session for everyone.
    EndSession,
    /// The author's whole text of a private note section (sent while typing, debounced, and on leaving the field).
    /// The relay stores it for this participant only and answers [`ServerMsg::PrivateNoteSaved`].
    PrivateNote {
        /// The section's id; it must be a private section of this session.
        section: String,
        /// The whole text, at most [`MAX_PRIVATE_NOTE_CHARS`] characters.
        text: String,
        /// Increases with each version the page sends; echoed in the confirmation.
        rev: u64,
    },
}

/// Whether a browser joining over a link with `capability` under `name` may continue as `target` ("this is me on
/// another device"): the target joined with the same kind of link, under the same name (case aside), and is the
/// only person in the session holding that kind of link (the host, a pair's peer). Where several people share one
/// link (Troika, a GROW observer), names are all that would tell them apart, and anyone could take over another
/// person's drafts and feedback by typing their name: such a claim is refused, and that person joins as someone new.
/// The relay enforces this; the join form asks "continue as …?" only when it holds.
pub fn may_claim(people: &[ParticipantView], capability: Capability, name: &str, target: ParticipantId) -> bool {
    let Some(t) = people.iter().find(|p| p.id == target) else {
        return false;
    };
    t.capability == capability
        && t.name.trim().eq_ignore_ascii_case(name.trim())
        && people.iter().filter(|p| p.capability == capability).count() == 1
}

/// Longest text of one private note section, in characters.
pub const MAX_PRIVATE_NOTE_CHARS: usize = 20_000;

/// One person's text of a private note section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateNote {
    /// The section's id.
    pub section: String,
    /// The text as last stored.
    pub text: String,
}

/// Messages from the relay to a browser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMsg {
    /// Answer to a valid hello: everything needed to render the session.
    Welcome {
        /// The relay's [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The receiver's participant id.
        you: ParticipantId,
        /// What the receiver's link allows.
        capability: Capability,
        /// The session as created.
        session: Box<SessionSpec>,
        /// Everyone who has joined, with their presence.
        participants: Vec<ParticipantView>,
        /// Every room's phase and timer.
        rooms: Vec<RoomView>,
        /// Relay time when sent.
        now: Millis,
        /// Feedback the receiver gave or received.
        #[serde(default)]
        feedback: Vec<Feedback>,
        /// The receiver's own texts of private note sections (never anyone else's).
        #[serde(default)]
        private_notes: Vec<PrivateNote>,
    },
    /// Someone joined, left, came back or changed name.
    Presence {
        /// Everyone who has joined, with their presence.
        participants: Vec<ParticipantView>,
    },
    /// A room's phase or timer changed.
    Room {
        /// The room's new state.
        room: RoomView,
        /// What happened.
        event: RoomEvent,
        /// Who caused it (`None` when the relay did, e.g. auto-advance).
        #[serde(default)]
        by: Option<ParticipantId>,
    },
    /// Feedback was committed to the store.
    FeedbackSaved {
        /// The feedback as stored.
        feedback: Feedback,
    },
    /// Feedback was refused; nothing was stored.
    FeedbackRefused {
        /// Which submission.
        id: FeedbackId,
        /// A sentence for the whole form.
        message: String,
        /// Problems per field.
        errors: Vec<FieldError>,
    },
    /// Feedback about the receiver arrived (or changed).
    FeedbackReceived {
        /// The feedback.
        feedback: Feedback,
    },
    /// The session ended; its outcome is stored and it is read-only from now on.
    Ended {
        /// Relay time it ended.
        at: Millis,
    },
    /// The relay has stored the notes as they were after the `frames`-th binary frame this connection sent
    /// (every binary frame counts, from 1 on each connection). The browser then drops its copies of those edits.
    NotesSaved {
        /// Binary frames received on this connection and covered by the stored notes.
        frames: u64,
    },
    /// The relay stored the sender's private note text of `section` as sent with `rev`.
    PrivateNoteSaved {
        /// The section's id.
        section: String,
        /// The `rev` of the stored version.
        rev: u64,
    },
    /// The relay refused the sender's private note text of `section` as sent with `rev` (too long, not a private
    /// section, an observer's link, an ended session): sending it again would be refused again. (A store failure is
    /// an [`ErrorCode::Unavailable`] error instead, and the page sends the draft again later.)
    PrivateNoteRefused {
        /// The section's id.
        section: String,
        /// The `rev` of the refused version.
        rev: u64,
        /// Why.
        code: ErrorCode,
        /// Sentence for the person.
        message: String,
    },
    /// The receiver's own private note text of `section`, stored from another of their connections (the same
    /// person on another device or tab). A page without unsaved edits of that section shows it instead of its copy.
    PrivateNoteChanged {
        /// The section's id.
        section: String,
        /// The text as stored.
        text: String,
    },
    /// Answer to a ping.
    Pong {
        /// The ping's `sent`.
        sent: f64,
        /// Relay time when answering.
        now: Millis,
    },
    /// In a workshop's breakout: the facilitator's message to every breakout (shown as a banner).
    Notice {
        /// The message.
        text: String,
    },
    /// In a workshop's breakout: go back to the workshop's page at `to` (a path and query): the round was called
    /// back, the workshop ended, or the facilitator moved the receiver to another breakout. The connection closes
    /// after it.
    Return {
        /// Where to go.
        to: String,
    },
    /// Something the receiver sent was refused. Nothing changed.
    Error {
        /// Machine-readable reason.
        code: ErrorCode,
        /// Sentence for the person.
        message: String,
    },
}

/// A room's state on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    /// Which room.
    pub id: RoomId,
    /// Its phase and timer.
    pub state: RoomState,
}

/// Why the relay refused something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The client runs another protocol version.
    ProtocolMismatch,
    /// The frame was not a message the relay understands.
    BadMessage,
    /// The frame was larger than [`MAX_FRAME_BYTES`].
    TooLarge,
    /// The first message must be a hello.
    HelloFirst,
    /// The name or role in the hello is not acceptable.
    BadHello,
    /// The link does not allow this.
    NotAllowed,
    /// The command does not fit the current state.
    Refused,
    /// No such room.
    UnknownRoom,
    /// The relay could not store the change; nothing changed.
    Unavailable,
    /// Too many messages too fast.
    RateLimited,
    /// The session has ended; it is read-only.
    Ended,
    /// The notes reached their size limit; nothing already written was lost.
    NotesFull,
}

impl ServerMsg {
    /// An error message for a refused timer command.
    pub fn refused(err: CommandError) -> Self {
        ServerMsg::Error {
            code: ErrorCode::Refused,
            message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_named_by_their_one_key() {
        let msg = ClientMsg::Timer {
            room: RoomId::MAIN,
            command: TimerCommand::Next { from: 2 },
        };
        let json = serde_json::to_string(&msg).unwrap();
        assert_eq!(json, r#"{"timer":{"room":0,"command":{"op":"next","from":2}}}"#);
        assert_eq!(serde_json::from_str::<ClientMsg>(&json).unwrap(), msg);
        assert_eq!(
            serde_json::to_string(&ClientMsg::EndSession).unwrap(),
            r#""end_session""#
        );
        let pong = ServerMsg::Pong { sent: 1.5, now: 7 };
        let json = serde_json::to_string(&pong).unwrap();
        assert_eq!(json, r#"{"pong":{"sent":1.5,"now":7}}"#);
        assert_eq!(serde_json::from_str::<ServerMsg>(&json).unwrap(), pong);
    }

    #[test]
    fn a_hello_without_optional_fields_parses() {
        let json = r#"{"hello":{"protocol":2,"participant_key":"abcdefghijklmnop","name":"Ana"}}"#;
        let ClientMsg::Hello { role, .. } = serde_json::from_str(json).unwrap() else {
            panic!("not a hello");
        };
        assert_eq!(role, None);
    }

    #[test]
    fn private_notes_travel_as_named_messages() {
        let msg = ClientMsg::PrivateNote {
            section: "sbi-prep".into(),
            text: "draft".into(),
            rev: 3,
        };
        let json = serde_json::to_string(&msg).unwrap();
        assert_eq!(
            json,
            r#"{"private_note":{"section":"sbi-prep","text":"draft","rev":3}}"#
        );
        assert_eq!(serde_json::from_str::<ClientMsg>(&json).unwrap(), msg);
        let saved = ServerMsg::PrivateNoteSaved {
            section: "sbi-prep".into(),
            rev: 3,
        };
        let json = serde_json::to_string(&saved).unwrap();
        assert_eq!(json, r#"{"private_note_saved":{"section":"sbi-prep","rev":3}}"#);
        assert_eq!(serde_json::from_str::<ServerMsg>(&json).unwrap(), saved);
    }

    #[test]
    fn unknown_types_are_errors_not_panics() {
        assert!(serde_json::from_str::<ClientMsg>(r#"{"launch_rockets":{}}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"hello","protocol":1}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>("not json").is_err());
    }
}
