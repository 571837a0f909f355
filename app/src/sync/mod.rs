//! The only door to the network in the browser: the session socket, reconnects, clock offset.
//!
//! Components call [`use_live_session`] and read its signals; they never see a socket. On the server build the hook
//! returns idle signals, so pages render the same markup on both sides.

#[cfg(feature = "hydrate")]
mod notes;
#[cfg(feature = "hydrate")]
mod socket;
pub mod storage;

use leptos::prelude::*;
use std::collections::HashMap;
use tandem_core::notes::{Commitment, CommitmentField, PrivateDraft};
use tandem_core::protocol::ClientMsg;
use tandem_core::session::{
    Capability, Feedback, FeedbackDraft, FeedbackId, FieldError, Millis, ParticipantId, ParticipantView, RoomEvent,
    RoomId, RoomState, SessionSpec, TimerCommand,
};

/// Connection status, as shown to the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnStatus {
    /// First connection under way.
    Connecting,
    /// Connected and welcomed.
    Live,
    /// Lost; retrying after a pause (attempt number).
    Reconnecting(u32),
    /// The relay said this page cannot continue (new version, link gone); the text says what to do.
    Stopped(String),
}

/// Who the person is in this session, kept in the browser so a reload is the same participant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// Random key, 128 bits, base64url.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Role id, if any.
    pub role: Option<String>,
    /// "This is me on another device": the participant this browser continues as (sent with the hello).
    #[serde(default)]
    pub claim: Option<ParticipantId>,
}

/// A refused action or notice to show briefly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Increasing id, so the same text twice still shows twice.
    pub id: u64,
    /// The sentence.
    pub text: String,
}

/// Where a feedback submission stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submission {
    /// Sent; waiting for the relay to commit it.
    Pending,
    /// Committed.
    Saved,
    /// Refused; nothing stored.
    Refused {
        /// For the whole form.
        message: String,
        /// Per field.
        errors: Vec<FieldError>,
    },
}

/// Someone else editing a note section right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionPeer {
    /// The section's id.
    pub section: String,
    /// The participant, when the editor is a Tandem page.
    pub pid: Option<ParticipantId>,
    /// Display name.
    pub name: String,
    /// Picks the avatar colour (the participant id, or the Yjs client id of another editor); the view takes it modulo
    /// its number of colours.
    pub colour: u32,
}

/// Where the viewer's notes stand, as shown next to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotesStatus {
    /// Everything this browser wrote is stored by the relay.
    Saved,
    /// Connected; some edits are on their way.
    Syncing(usize),
    /// Not connected; this many edits are kept in the browser until the connection is back.
    Offline(usize),
}

/// The live state of one session, as signals.
#[derive(Clone, Copy)]
pub struct LiveSession {
    /// Connection status.
    pub status: RwSignal<ConnStatus>,
    /// The session as created (after the welcome).
    pub spec: RwSignal<Option<SessionSpec>>,
    /// The viewer's participant id.
    pub me: RwSignal<Option<ParticipantId>>,
    /// What the viewer's link allows.
    pub capability: RwSignal<Option<Capability>>,
    /// Everyone who joined, with presence.
    pub participants: RwSignal<Vec<ParticipantView>>,
    /// The main room's phase and timer.
    pub room: RwSignal<Option<RoomState>>,
    /// The last thing that happened in the room, and who did it.
    pub last_event: RwSignal<Option<(RoomEvent, Option<ParticipantId>)>>,
    /// Estimated `relay clock - local clock`, in ms.
    pub offset_ms: RwSignal<f64>,
    /// Errors from the relay, newest last.
    pub notice: RwSignal<Option<Notice>>,
    /// Feedback the viewer gave or received.
    pub feedback: RwSignal<Vec<Feedback>>,
    /// State of the viewer's submissions.
    pub submissions: RwSignal<HashMap<FeedbackId, Submission>>,
    /// When the session ended, once it has.
    pub ended: RwSignal<Option<Millis>>,
    /// Local notes edits the relay has not confirmed as stored.
    pub notes_unsynced: RwSignal<usize>,
    /// The relay refused an edit because the notes are full.
    pub notes_full: RwSignal<bool>,
    /// The commitments, oldest first.
    pub commitments: RwSignal<Vec<Commitment>>,
    /// Who else is in which note section.
    pub section_peers: RwSignal<Vec<SectionPeer>>,
    /// The viewer's own private drafts (private note sections), and whether the relay stored each.
    pub private_drafts: RwSignal<Vec<PrivateDraft>>,
    /// Private sections whose current text the relay refused (the notice says why): not "Saving…" but not saved.
    pub private_refused: RwSignal<Vec<String>>,
    /// In a workshop's breakout: the facilitator's latest message to every breakout.
    pub broadcast: RwSignal<Option<String>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    outbox: StoredValue<Option<socket_handle::Handle>, LocalStorage>,
}

impl LiveSession {
    fn idle() -> Self {
        LiveSession {
            status: RwSignal::new(ConnStatus::Connecting),
            spec: RwSignal::new(None),
            me: RwSignal::new(None),
            capability: RwSignal::new(None),
            participants: RwSignal::new(Vec::new()),
            room: RwSignal::new(None),
            last_event: RwSignal::new(None),
            offset_ms: RwSignal::new(0.0),
            notice: RwSignal::new(None),
            feedback: RwSignal::new(Vec::new()),
            submissions: RwSignal::new(HashMap::new()),
            ended: RwSignal::new(None),
            notes_unsynced: RwSignal::new(0),
            notes_full: RwSignal::new(false),
            commitments: RwSignal::new(Vec::new()),
            section_peers: RwSignal::new(Vec::new()),
            private_drafts: RwSignal::new(Vec::new()),
            private_refused: RwSignal::new(Vec::new()),
            broadcast: RwSignal::new(None),
            outbox: StoredValue::new_local(None),
        }
    }

    /// Sends a timer command for the main room. Refusals come back as a [`Notice`].
    pub fn send_timer(&self, command: TimerCommand) {
        self.send(ClientMsg::Timer {
            room: RoomId::MAIN,
            command,
        });
    }

    /// Submits (or re-submits, with the same id) feedback. Its state shows in [`LiveSession::submissions`].
    pub fn submit_feedback(&self, draft: FeedbackDraft) {
        self.submissions.update(|s| {
            s.insert(draft.id.clone(), Submission::Pending);
        });
        self.send(ClientMsg::SubmitFeedback { feedback: draft });
    }

    /// Takes another role the session offers; everyone sees it with the next presence update, refusals come back
    /// as a [`Notice`].
    pub fn set_role(&self, role: String) {
        self.send(ClientMsg::SetRole { role });
    }

    /// Shares feedback the viewer received with the host, or stops sharing it.
    pub fn share_feedback(&self, id: FeedbackId, shared: bool) {
        self.send(ClientMsg::ShareFeedback { id, shared });
    }

    /// Host only: ends the session for everyone.
    pub fn end_session(&self) {
        self.send(ClientMsg::EndSession);
    }

    /// Where the viewer's notes stand.
    pub fn notes_status(&self) -> NotesStatus {
        let unsynced = self.notes_unsynced.get();
        match (unsynced, self.status.get()) {
            (0, _) => NotesStatus::Saved,
            (n, ConnStatus::Live) => NotesStatus::Syncing(n),
            (n, _) => NotesStatus::Offline(n),
        }
    }

    /// Shows `section`'s text in `el` and reports the person's edits in it from now on.
    pub fn bind_editor(&self, section: &str, el: leptos::web_sys::HtmlTextAreaElement) {
        #[cfg(feature = "hydrate")]
        self.with_socket(|s| notes::bind(s, section, el));
        #[cfg(not(feature = "hydrate"))]
        let _ = (section, el);
    }

    /// The textarea of `section` is gone.
    pub fn unbind_editor(&self, section: &str) {
        #[cfg(feature = "hydrate")]
        self.with_socket(|s| notes::unbind(s, section));
        #[cfg(not(feature = "hydrate"))]
        let _ = section;
    }

    /// The person changed the text of `section` (its bound textarea holds the new text).
    pub fn notes_input(&self, section: &str) {
        #[cfg(feature = "hydrate")]
        self.with_socket(|s| notes::input(s, section));
        #[cfg(not(feature = "hydrate"))]
        let _ = section;
    }

    /// The person is now in `section` (or in none): shown to the others.
    pub fn focus_section(&self, section: Option<String>) {
        #[cfg(feature = "hydrate")]
        self.with_socket(|s| notes::focus(s, section));
        #[cfg(not(feature = "hydrate"))]
        let _ = section;
    }

    /// The person changed their private draft of `section` (kept in the browser at once, sent shortly).
    pub fn private_input(&self, section: &str, text: String) {
        #[cfg(feature = "hydrate")]
        self.with_socket(|s| notes::private_input(s, section, text));
        #[cfg(not(feature = "hydrate"))]
        let _ = (section, text);
    }

    /// The person left a private draft's field: send what is not stored yet now.
    pub fn private_flush(&self) {
        #[cfg(feature = "hydrate")]
        self.with_socket(notes::private_flush);
    }

    /// Reconnects so that the notes are sent again (after the relay refused them as full and text was removed).
    pub fn retry_notes(&self) {
        #[cfg(feature = "hydrate")]
        self.with_socket(notes::retry);
    }

    /// Adds a commitment (also used to put a removed one back).
    pub fn add_commitment(&self, commitment: Commitment) {
        #[cfg(feature = "hydrate")]
        self.with_socket(|s| notes::commitment(s, notes::CommitmentChange::Add(commitment)));
        #[cfg(not(feature = "hydrate"))]
        let _ = commitment;
    }

    /// Changes one field of a commitment.
    pub fn update_commitment(&self, id: &str, field: CommitmentField) {
        #[cfg(feature = "hydrate")]
        self.with_socket(|s| notes::commitment(s, notes::CommitmentChange::Update(id.to_string(), field)));
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, field);
    }

    /// Removes a commitment.
    pub fn remove_commitment(&self, id: &str) {
        #[cfg(feature = "hydrate")]
        self.with_socket(|s| notes::commitment(s, notes::CommitmentChange::Remove(id.to_string())));
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    }

    #[cfg(feature = "hydrate")]
    fn with_socket(&self, f: impl FnOnce(&std::rc::Rc<std::cell::RefCell<socket::Shared>>)) {
        self.outbox.with_value(|h| {
            if let Some(h) = h {
                f(&h.inner);
            }
        });
    }

    /// Stores or replaces a feedback by id.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn upsert_feedback(&self, f: Feedback) {
        self.feedback
            .update(|list| match list.iter_mut().find(|x| x.id == f.id) {
                Some(slot) => *slot = f,
                None => list.push(f),
            });
    }

    /// The relay's clock now, as estimated by this browser, in ms since the epoch.
    pub fn relay_now(&self) -> f64 {
        local_now() + self.offset_ms.get_untracked()
    }

    fn send(&self, msg: ClientMsg) {
        #[cfg(feature = "hydrate")]
        self.outbox.with_value(|h| match h {
            Some(handle) => handle.send(&msg),
            None => self.show_notice("Not connected yet."),
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = msg;
    }

    /// Shows a short notice to the person.
    pub fn show_notice(&self, text: &str) {
        let id = self.notice.get_untracked().map_or(1, |n| n.id + 1);
        self.notice.set(Some(Notice {
            id,
            text: text.to_string(),
        }));
    }
}

/// Joins the session with `identity` over the link's `token` and keeps the connection alive until the component
/// that called it is gone.
pub fn use_live_session(session_id: String, token: String, identity: Identity) -> LiveSession {
    let live = LiveSession::idle();
    #[cfg(feature = "hydrate")]
    socket::connect(live, session_id, token, identity);
    #[cfg(not(feature = "hydrate"))]
    let _ = (session_id, token, identity);
    live
}

/// Local wall-clock time in ms (the browser's `Date.now()`, which may be off from the relay's).
pub fn local_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64)
    }
}

mod socket_handle {
    /// Sends messages on the current socket (swapped on reconnect).
    #[derive(Clone)]
    pub struct Handle {
        #[cfg(feature = "hydrate")]
        pub(super) inner: std::rc::Rc<std::cell::RefCell<super::socket::Shared>>,
    }

    impl Handle {
        #[cfg(feature = "hydrate")]
        pub(super) fn send(&self, msg: &tandem_core::protocol::ClientMsg) {
            super::socket::send(&self.inner, msg);
        }
    }
}
