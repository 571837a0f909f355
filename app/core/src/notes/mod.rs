//! The shared notes document as the browser holds it: a yrs (Yjs) document with one text per note section and a
//! map of commitments, spoken to in the y-sync protocol.
//!
//! Pure and synchronous, so it runs in native unit tests as well as in the browser; the socket glue lives in
//! `sync::notes`. Layout of the document (shared with the relay and with official Yjs clients):
//!
//! - one root `Y.Text` per note section, named by the section id (`goal-statement`);
//! - a root `Y.Map` named [`COMMITMENTS`]: commitment id → `Y.Map { text, owner, due, done, at }`, so that two people
//!   changing different fields of the same commitment both win.

#[cfg(test)]
mod tests;

mod kept;
mod private;
pub use kept::StoredNotes;
pub use private::PrivateDraft;

use crate::session::{base64url, Millis, ParticipantId};
use serde::{Deserialize, Serialize};
use yrs::encoding::read::Cursor;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Assoc, Doc, GetString, IndexedSequence, Map, MapPrelim, MapRef, Number, OffsetKind, Options, Out, ReadTxn,
    StateVector, Text, Transact, Update,
};

/// Name of the root map holding the commitments.
pub const COMMITMENTS: &str = "commitments";
/// Largest notes document the relay keeps (bytes of its encoded state): about 1 MB of text.
pub const MAX_NOTES_BYTES: usize = 1024 * 1024;
/// The browser refuses edits this close to the cap, so that its own edits are never refused by the relay.
const LOCAL_MARGIN_BYTES: usize = 16 * 1024;
/// Longest commitment text, in characters.
pub const MAX_COMMITMENT_CHARS: usize = 280;

/// The message shown when the notes are full.
pub const FULL_MESSAGE: &str =
    "The notes are full (about 1 MB of text). Nothing already written was lost; remove some text to continue.";

/// An action item agreed in the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// Random id, unique within the session.
    pub id: String,
    /// What will be done.
    pub text: String,
    /// Who will do it.
    #[serde(default)]
    pub owner: Option<ParticipantId>,
    /// Due date, `YYYY-MM-DD`.
    #[serde(default)]
    pub due: Option<String>,
    /// Ticked off.
    #[serde(default)]
    pub done: bool,
    /// When it was added (relay clock, ms), for ordering.
    pub at: Millis,
}

impl Commitment {
    /// The commitment with its fields cleaned: text trimmed and capped, owner among `participants`, due a real date.
    pub fn cleaned(mut self, participants: &[ParticipantId]) -> Commitment {
        self.text = clean_text(&self.text);
        self.owner = self.owner.filter(|o| participants.contains(o));
        self.due = self.due.filter(|d| is_date(d));
        self
    }
}

/// Trims and caps a commitment text.
pub fn clean_text(text: &str) -> String {
    text.trim().chars().take(MAX_COMMITMENT_CHARS).collect()
}

/// Whether `text` is a calendar date `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        text.get(r)
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))?
            .parse::<u32>()
            .ok()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1970..=9999).contains(&y) && (1..=days).contains(&d)
}

/// A change to one field of a commitment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommitmentField {
    /// New text.
    Text(String),
    /// New owner.
    Owner(Option<ParticipantId>),
    /// New due date.
    Due(Option<String>),
    /// Done or not.
    Done(bool),
}

/// The commitments in a document, oldest first. Entries that are not maps, or have no text, are skipped.
pub fn commitments_of(doc: &Doc) -> Vec<Commitment> {
    let txn = doc.transact();
    let Some(root) = txn.get_map(COMMITMENTS) else {
        return Vec::new();
    };
    let mut list: Vec<Commitment> = root
        .iter(&txn)
        .filter_map(|(id, value)| {
            let Out::YMap(entry) = value else { return None };
            let text = match entry.get(&txn, "text") {
                Some(Out::Any(Any::String(s))) => s.to_string(),
                _ => return None,
            };
            let owner = number(entry.get(&txn, "owner"))
                .filter(|n| *n >= 1.0 && *n <= f64::from(u32::MAX) && n.fract() == 0.0)
                .map(|n| ParticipantId(n as u32));
            let due = match entry.get(&txn, "due") {
                Some(Out::Any(Any::String(s))) if is_date(&s) => Some(s.to_string()),
                _ => None,
            };
            let done = matches!(entry.get(&txn, "done"), Some(Out::Any(Any::Bool(true))));
            let at = number(entry.get(&txn, "at"))
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map_or(0, |n| n as Millis);
            Some(Commitment {
                id: id.to_string(),
                text,
                owner,
                due,
                done,
                at,
            })
        })
        .collect();
    crate::small_sort::stable_sort_by(&mut list, |a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    list
}

/// A number stored by yrs or by Yjs (which writes integers and floats differently).
fn number(value: Option<Out>) -> Option<f64> {
    match value? {
        Out::Any(Any::Number(Number::Int(i))) => Some(i as f64),
        Out::Any(Any::Number(Number::Float(f))) => Some(f),
        _ => None,
    }
}

/// The text of each named section, as written.
pub fn section_text(doc: &Doc, section: &str) -> String {
    let txn = doc.transact();
    txn.get_text(section).map(|t| t.get_string(&txn)).unwrap_or_default()
}

/// A local edit not yet known to be stored by the relay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The edit as a yrs v1 update, base64url.
    #[serde(rename = "u")]
    pub update: String,
    /// Number of the frame (on the current connection) that carried it, once sent.
    #[serde(skip)]
    pub frame: Option<u64>,
    /// What it changed, as a person would name it: a section id, or [`COMMITMENTS`] (empty when not known).
    #[serde(rename = "w", default, skip_serializing_if = "String::is_empty")]
    pub place: String,
}

/// The outcome of one frame from the relay.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Frame to send back (the answer to the relay's sync step 1).
    pub reply: Option<Vec<u8>>,
    /// The document changed: re-read texts and commitments.
    pub changed: bool,
    /// An awareness (presence and cursor) update to apply.
    pub awareness: Option<Vec<u8>>,
    /// Where the caret and selection of the kept section are after the change (UTF-16 offsets).
    pub selection: Option<(u32, u32)>,
}

/// Why a local edit was not made.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// It would take the notes past the cap.
    #[error("{FULL_MESSAGE}")]
    Full,
    /// The frame from the relay could not be read.
    #[error("A notes update from the relay could not be read.")]
    Malformed,
}

/// The browser's copy of the notes, with the bookkeeping for "saved / syncing / N unsynced".
pub struct NotesDoc {
    doc: Doc,
    pending: Vec<Pending>,
    /// Frames sent on the current connection (the relay counts the same and confirms a number).
    frames_sent: u64,
    /// Estimated encoded size of the document.
    size: usize,
    /// The relay has our state: local edits may be sent as they happen.
    handshake_done: bool,
}

impl Default for NotesDoc {
    fn default() -> Self {
        NotesDoc::new()
    }
}

fn new_doc() -> Doc {
    // Offsets in UTF-16 code units: what a textarea's selectionStart counts and what Yjs uses.
    Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

impl NotesDoc {
    /// An empty document.
    pub fn new() -> NotesDoc {
        NotesDoc {
            doc: new_doc(),
            pending: Vec::new(),
            frames_sent: 0,
            size: 0,
            handshake_done: false,
        }
    }

    /// The yrs document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The whole document as one v1 update.
    pub fn state(&self) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// Text of one section.
    pub fn text(&self, section: &str) -> String {
        section_text(&self.doc, section)
    }

    /// The commitments, oldest first.
    pub fn commitments(&self) -> Vec<Commitment> {
        commitments_of(&self.doc)
    }

    /// Local edits the relay has not yet confirmed as stored.
    pub fn unsynced(&self) -> usize {
        self.pending.len()
    }

    /// How many places (note sections, the commitments) have edits the relay has not yet confirmed: what a person
    /// recognises as "changes", however many keystrokes each took. Zero exactly when [`NotesDoc::unsynced`] is.
    pub fn unsynced_places(&self) -> usize {
        let mut places: Vec<&str> = self.pending.iter().map(|p| p.place.as_str()).collect();
        places.sort_unstable();
        places.dedup();
        places.len()
    }

    /// A new connection: nothing is sent on it yet, and every unconfirmed edit must go again.
    pub fn connection_opened(&mut self) {
        self.frames_sent = 0;
        self.handshake_done = false;
        for p in &mut self.pending {
            p.frame = None;
        }
    }

    /// The connection closed.
    pub fn connection_closed(&mut self) {
        self.handshake_done = false;
    }

    /// The relay refused an edit of this connection (notes full): nothing more is sent on it, and no pending edit counts
    /// as sent, so none is confirmed by mistake. The next connection's handshake sends them all again.
    pub fn refused(&mut self) {
        self.handshake_done = false;
        for p in &mut self.pending {
            p.frame = None;
        }
    }

    /// Whether the relay has this browser's state, so that edits go out as they happen.
    pub fn handshake_done(&self) -> bool {
        self.handshake_done
    }

    /// Counts a frame about to be sent on the connection (the relay counts every binary frame) and returns it.
    pub fn outgoing(&mut self, frame: Vec<u8>) -> Vec<u8> {
        self.frames_sent += 1;
        frame
    }

    /// Our sync step 1: asks the relay for what this browser is missing. Sent once the connection is welcomed.
    pub fn sync_step1(&mut self) -> Vec<u8> {
        let frame = Message::Sync(SyncMessage::SyncStep1(self.doc.transact().state_vector())).encode_v1();
        self.outgoing(frame)
    }

    /// The relay confirmed it has stored everything up to its `frames`-th frame from this connection.
    pub fn confirmed(&mut self, frames: u64) {
        self.pending.retain(|p| p.frame.is_none_or(|f| f > frames));
    }

    /// Handles one binary frame from the relay. `keep` is the focused section and its selection, which stays on the
    /// same characters whatever the remote edit does.
    pub fn receive(&mut self, frame: &[u8], keep: Option<(&str, u32, u32)>) -> Result<Received, EditError> {
        let mut decoder = DecoderV1::new(Cursor::new(frame));
        let msg = Message::decode(&mut decoder).map_err(|_| EditError::Malformed)?;
        let mut received = Received::default();
        match msg {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                // The relay's state: answer with everything it lacks, which includes every unconfirmed edit.
                let diff = self.doc.transact().encode_diff_v1(&sv);
                let reply = self.outgoing(Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1());
                let number = self.frames_sent;
                for p in &mut self.pending {
                    p.frame = Some(number);
                }
                self.handshake_done = true;
                received.reply = Some(reply);
            }
            Message::Sync(SyncMessage::SyncStep2(update)) | Message::Sync(SyncMessage::Update(update)) => {
                received.selection = self.apply_remote(&update, keep)?;
                received.changed = true;
            }
            Message::Awareness(_) => received.awareness = Some(frame.to_vec()),
            Message::AwarenessQuery | Message::Auth(_) | Message::Custom(..) => {}
        }
        Ok(received)
    }

    /// Applies a remote update; returns where the kept selection went.
    fn apply_remote(&mut self, bytes: &[u8], keep: Option<(&str, u32, u32)>) -> Result<Option<(u32, u32)>, EditError> {
        let update = Update::decode_v1(bytes).map_err(|_| EditError::Malformed)?;
        let sticky = keep.and_then(|(section, start, end)| {
            let text = self.doc.get_or_insert_text(section);
            let txn = self.doc.transact();
            let len = text.len(&txn);
            // Stick to the character before the caret: text someone else inserts right at the caret lands after it,
            // so the caret stays where the person was typing.
            let a = text.sticky_index(&txn, start.min(len), Assoc::Before)?;
            let b = text.sticky_index(&txn, end.min(len), Assoc::Before)?;
            Some((a, b))
        });
        self.doc
            .transact_mut_with("relay")
            .apply_update(update)
            .map_err(|_| EditError::Malformed)?;
        self.size += bytes.len();
        Ok(sticky.and_then(|(a, b)| {
            let txn = self.doc.transact();
            Some((a.get_offset(&txn)?.index, b.get_offset(&txn)?.index))
        }))
    }

    fn state_len_estimate(&self) -> usize {
        self.state().len()
    }

    /// Makes the section's text equal `new` (what the textarea now holds), as the smallest edit; `caret` is where
    /// the caret is after the change, which places an ambiguous insertion ("a" typed into "aa") where it was typed.
    /// Returns the frame to send now, if the connection is ready (otherwise the edit waits in the document).
    pub fn edit_text(&mut self, section: &str, new: &str, caret: Option<u32>) -> Result<Option<Vec<u8>>, EditError> {
        let text = self.doc.get_or_insert_text(section);
        let old = text.get_string(&self.doc.transact());
        let Some(edit) = diff_utf16(&old, new, caret) else {
            return Ok(None);
        };
        if !edit.insert.is_empty() && self.would_overflow(edit.insert.len()) {
            return Err(EditError::Full);
        }
        self.change(section, |txn| {
            if edit.delete > 0 {
                text.remove_range(txn, edit.at, edit.delete);
            }
            if !edit.insert.is_empty() {
                text.insert(txn, edit.at, &edit.insert);
            }
        })
    }

    /// Adds a commitment.
    pub fn add_commitment(&mut self, c: &Commitment) -> Result<Option<Vec<u8>>, EditError> {
        if self.would_overflow(c.text.len() + 64) {
            return Err(EditError::Full);
        }
        let root = self.doc.get_or_insert_map(COMMITMENTS);
        let mut fields: Vec<(&str, Any)> = vec![
            ("text", Any::from(c.text.as_str())),
            ("done", Any::Bool(c.done)),
            ("at", Any::from(c.at as f64)),
        ];
        if let Some(owner) = c.owner {
            fields.push(("owner", Any::from(owner.0)));
        }
        if let Some(due) = &c.due {
            fields.push(("due", Any::from(due.as_str())));
        }
        let prelim: MapPrelim = fields.into_iter().collect();
        self.change(COMMITMENTS, |txn| {
            root.insert(txn, c.id.as_str(), prelim);
        })
    }

    /// Changes one field of a commitment. Unknown ids change nothing.
    pub fn update_commitment(&mut self, id: &str, field: CommitmentField) -> Result<Option<Vec<u8>>, EditError> {
        let Some(entry) = self.commitment_map(id) else {
            return Ok(None);
        };
        if let CommitmentField::Text(t) = &field {
            if self.would_overflow(t.len()) {
                return Err(EditError::Full);
            }
        }
        self.change(COMMITMENTS, |txn| match field {
            CommitmentField::Text(t) => {
                entry.insert(txn, "text", Any::from(t.as_str()));
            }
            CommitmentField::Done(done) => {
                entry.insert(txn, "done", Any::Bool(done));
            }
            CommitmentField::Owner(Some(p)) => {
                entry.insert(txn, "owner", Any::from(p.0));
            }
            CommitmentField::Owner(None) => {
                entry.remove(txn, "owner");
            }
            CommitmentField::Due(Some(d)) => {
                entry.insert(txn, "due", Any::from(d.as_str()));
            }
            CommitmentField::Due(None) => {
                entry.remove(txn, "due");
            }
        })
    }

    /// Removes a commitment (re-adding the returned value undoes it).
    pub fn remove_commitment(&mut self, id: &str) -> Result<Option<Vec<u8>>, EditError> {
        let root = self.doc.get_or_insert_map(COMMITMENTS);
        if self.commitment_map(id).is_none() {
            return Ok(None);
        }
        self.change(COMMITMENTS, |txn| {
            root.remove(txn, id);
        })
    }

    fn commitment_map(&self, id: &str) -> Option<MapRef> {
        let txn = self.doc.transact();
        match txn.get_map(COMMITMENTS)?.get(&txn, id)? {
            Out::YMap(m) => Some(m),
            _ => None,
        }
    }

    fn would_overflow(&mut self, adding: usize) -> bool {
        let limit = MAX_NOTES_BYTES - LOCAL_MARGIN_BYTES;
        if self.size + adding <= limit {
            return false;
        }
        // The running estimate only grows; measure exactly before refusing.
        self.size = self.state_len_estimate();
        self.size + adding > limit
    }

    /// Runs a local change, records it as pending and returns the frame to send (if the connection is ready).
    fn change(&mut self, place: &str, f: impl FnOnce(&mut yrs::TransactionMut)) -> Result<Option<Vec<u8>>, EditError> {
        let before = self.doc.transact().state_vector();
        {
            let mut txn = self.doc.transact_mut_with("local");
            f(&mut txn);
        }
        let update = self.doc.transact().encode_diff_v1(&before);
        if update == Update::EMPTY_V1 {
            return Ok(None);
        }
        self.size += update.len();
        let mut pending = Pending {
            update: base64url(&update),
            frame: None,
            place: place.to_string(),
        };
        let frame = if self.handshake_done {
            let frame = self.outgoing(Message::Sync(SyncMessage::Update(update)).encode_v1());
            pending.frame = Some(self.frames_sent);
            Some(frame)
        } else {
            None
        };
        self.pending.push(pending);
        Ok(frame)
    }
}

/// The smallest edit turning one text into another: delete `delete` UTF-16 units at `at`, then insert `insert`.
#[derive(Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// Where, in UTF-16 units.
    pub at: u32,
    /// How many UTF-16 units to delete.
    pub delete: u32,
    /// What to insert.
    pub insert: String,
}

/// Computes the edit from `old` to `new`, or `None` if they are equal. `caret` (UTF-16 offset in `new`) is where the
/// caret ended up; the inserted text ends there when that is consistent with the change. Never splits a surrogate
/// pair.
pub fn diff_utf16(old: &str, new: &str, caret: Option<u32>) -> Option<TextEdit> {
    if old == new {
        return None;
    }
    let a: Vec<u16> = old.encode_utf16().collect();
    let b: Vec<u16> = new.encode_utf16().collect();
    let max_common = a.len().min(b.len());
    let common_prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let common_suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    // Text after the caret is unchanged, so the changed part ends at the caret at the latest.
    let suffix_cap = caret.map_or(max_common, |c| b.len().saturating_sub(c as usize));
    let mut suffix = common_suffix.min(max_common).min(suffix_cap);
    let mut prefix = common_prefix.min(max_common - suffix);
    let is_high = |u: u16| (0xD800..0xDC00).contains(&u);
    let is_low = |u: u16| (0xDC00..0xE000).contains(&u);
    while prefix > 0 && is_high(a[prefix - 1]) {
        prefix -= 1;
    }
    while suffix > 0 && is_low(a[a.len() - suffix]) {
        suffix -= 1;
    }
    let insert = String::from_utf16_lossy(&b[prefix..b.len() - suffix]);
    Some(TextEdit {
        at: prefix as u32,
        delete: (a.len() - suffix - prefix) as u32,
        insert,
    })
}
