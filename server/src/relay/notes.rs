//! The session's notes document on the relay: a yrs `Doc` spoken to in the y-sync protocol (as y-protocols encodes
//! it), so that the Leptos client and official Yjs clients (y-websocket) share one document.

use axum::body::Bytes;
use std::collections::BTreeSet;
use std::sync::Arc;
use yrs::block::{
    ItemContent, BLOCK_GC_REF_NUMBER, BLOCK_SKIP_REF_NUMBER, HAS_ORIGIN, HAS_PARENT_SUB, HAS_RIGHT_ORIGIN,
};
use yrs::encoding::read::{Cursor, Read};
use yrs::sync::awareness::{Awareness, AwarenessUpdate};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::{Decode, Decoder, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

pub use tandem_core::notes::MAX_NOTES_BYTES;

/// Largest awareness (cursor and presence) frame relayed.
pub const MAX_AWARENESS_BYTES: usize = 16 * 1024;

/// Most awareness client ids one connection may speak for (a page has one; a Yjs client may have a few docs).
pub const MAX_AWARENESS_CLIENTS_PER_CONN: usize = 8;

/// Why a notes message was refused. Nothing was applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotesError {
    /// The frame is not a y-sync message, or its update cannot be decoded or applied.
    #[error("That notes update could not be read; the document is unchanged.")]
    Malformed,
    /// Applying it would take the notes past [`MAX_NOTES_BYTES`].
    #[error(
        "The notes are full (about 1 MB of text). Nothing already written was lost; remove some text to continue."
    )]
    Full,
    /// The sender may only read.
    #[error("Observers can read the notes but not change them.")]
    ReadOnly,
    /// The update writes to a top-level part of the document that this session's agenda does not have (a Yjs
    /// client may name any): it would be stored and sent to everyone, and no page would show it.
    #[error("That notes update writes to a section this session does not have; the document is unchanged.")]
    UnknownSection,
    /// The update builds on edits of its author that the relay never received (a gap): applying it would park it
    /// in memory, unaccounted for. The client must reconnect, and the sync handshake sends everything in order.
    #[error("That notes update arrived out of order; reconnecting to catch up.")]
    OutOfOrder,
}

/// What to do after handling one message.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Handled {
    /// Frame for the sender only.
    pub reply: Option<Vec<u8>>,
    /// Frame for every other member of the session (an update message is the client's own bytes, not a copy).
    pub broadcast: Option<Bytes>,
    /// Whether the document changed (and must be persisted).
    pub changed: bool,
    /// A sync step 2 or update: the sender waits for the relay to confirm it stored it.
    pub wants_ack: bool,
    /// Awareness clients whose state this frame changed (new, renewed, changed or removed): the caller sends them
    /// on, coalesced, with [`Notes::awareness_of`]. Entries that changed nothing (echoes) are not listed.
    pub awareness_changed: Vec<ClientID>,
    /// Awareness clients this frame published a newer, present state for: the sender speaks for them now (a page
    /// that reconnected, say). Echoes of others' states never raise their clock, so they never claim.
    pub awareness_claimed: Vec<ClientID>,
}

/// The notes of one session, and who is where in them (awareness: relayed and kept in memory, never stored).
pub struct Notes {
    doc: Doc,
    size: usize,
    awareness: Awareness,
    /// The top-level names updates may write to (`None`: any, for tests of the protocol alone).
    roots: Option<BTreeSet<Arc<str>>>,
}

impl Notes {
    /// A document from its stored state (or empty).
    pub fn load(state: Option<&[u8]>) -> Result<Notes, NotesError> {
        let doc = Doc::new();
        if let Some(bytes) = state.filter(|b| !b.is_empty()) {
            let update = Update::decode_v1(bytes).map_err(|_| NotesError::Malformed)?;
            doc.transact_mut()
                .apply_update(update)
                .map_err(|_| NotesError::Malformed)?;
        }
        let awareness = Awareness::new(doc.clone());
        let mut notes = Notes {
            doc,
            size: 0,
            awareness,
            roots: None,
        };
        notes.size = notes.state().len();
        Ok(notes)
    }

    /// Refuses updates that write to any top-level name but `names` (the agenda's shared sections and the
    /// commitments). What the stored state already holds stays.
    pub fn only_roots(mut self, names: impl IntoIterator<Item = String>) -> Notes {
        self.roots = Some(names.into_iter().map(Arc::from).collect());
        self
    }

    /// The text of each named section that has any.
    pub fn texts<'a>(&self, sections: impl Iterator<Item = &'a str>) -> std::collections::BTreeMap<String, String> {
        use yrs::GetString;
        let mut out = std::collections::BTreeMap::new();
        for id in sections {
            let text = self.doc.get_or_insert_text(id);
            let value = text.get_string(&self.doc.transact());
            if !value.trim().is_empty() {
                out.insert(id.to_string(), value);
            }
        }
        out
    }

    /// The whole document as one update (what the store keeps).
    pub fn state(&self) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// The yrs document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// Everyone's current awareness state, for a client that just connected (`None` if nobody has any).
    pub fn awareness_frame(&self) -> Option<Vec<u8>> {
        let update = self.awareness.update().ok()?;
        if update.clients.values().all(|e| &*e.json == "null") {
            return None;
        }
        Some(Message::Awareness(update).encode_v1())
    }

    /// The current awareness states of `clients` as one message (one entry per client, its latest state).
    pub fn awareness_of(&self, clients: &[ClientID]) -> Option<Bytes> {
        let update = self.awareness.update_with_clients(clients.iter().copied()).ok()?;
        Some(Message::Awareness(update).encode_v1().into())
    }

    /// Marks these awareness clients as gone (their connection closed); returns the frame telling the others.
    pub fn remove_awareness(&mut self, clients: &[ClientID]) -> Option<Vec<u8>> {
        if clients.is_empty() {
            return None;
        }
        for id in clients {
            self.awareness.remove_state(*id);
        }
        let update = self.awareness.update_with_clients(clients.iter().copied()).ok()?;
        Some(Message::Awareness(update).encode_v1())
    }

    /// The relay's sync step 1, sent to each client on connect so it sends back what the relay is missing.
    pub fn sync_step1(&self) -> Vec<u8> {
        Message::Sync(SyncMessage::SyncStep1(self.doc.transact().state_vector())).encode_v1()
    }

    /// Handles one binary frame from a client.
    pub fn handle(&mut self, frame: &[u8], may_write: bool) -> Result<Handled, NotesError> {
        self.handle_from(&Bytes::copy_from_slice(frame), may_write, &[], &[])
    }

    /// [`Notes::handle`] for a connection that already speaks for the awareness clients `known`, while other
    /// people's connections speak for `foreign`. In an awareness frame, entries for `foreign` clients are dropped
    /// (nobody overwrites or clears another person's presence), and so are removals of clients nobody here has
    /// (they would be kept as tombstones that no connection owns); a frame that would take the connection past
    /// [`MAX_AWARENESS_CLIENTS_PER_CONN`] is dropped whole (never applied, so nothing untracked is kept).
    pub fn handle_from(
        &mut self,
        frame: &Bytes,
        may_write: bool,
        known: &[ClientID],
        foreign: &[ClientID],
    ) -> Result<Handled, NotesError> {
        if !counts_fit(frame) {
            return Err(NotesError::Malformed);
        }
        let mut decoder = DecoderV1::new(Cursor::new(frame));
        let msg = Message::decode(&mut decoder).map_err(|_| NotesError::Malformed)?;
        match msg {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let diff = self.doc.transact().encode_diff_v1(&sv);
                Ok(Handled {
                    reply: Some(Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1()),
                    ..Handled::default()
                })
            }
            Message::Sync(SyncMessage::SyncStep2(update)) | Message::Sync(SyncMessage::Update(update)) => {
                if !may_write {
                    // Readers send their (usually empty) sync step 2 on connect: harmless when it adds nothing.
                    scan_update(&update).ok_or(NotesError::Malformed)?;
                    let adds = Update::decode_v1(&update)
                        .map_err(|_| NotesError::Malformed)?
                        .extends(&self.doc.transact().state_vector());
                    return if adds {
                        Err(NotesError::ReadOnly)
                    } else {
                        Ok(Handled::default())
                    };
                }
                let changed = self.apply(&update)?;
                // An update message is relayed byte for byte; a step 2 becomes an update for the others.
                let is_update = frame.get(1) == Some(&2);
                let broadcast = match (changed, is_update) {
                    (false, _) => None,
                    (true, true) => Some(frame.clone()),
                    (true, false) => Some(Message::Sync(SyncMessage::Update(update)).encode_v1().into()),
                };
                Ok(Handled {
                    broadcast,
                    changed,
                    wants_ack: true,
                    ..Handled::default()
                })
            }
            // Cursors and "who is in which section": relayed and kept in memory, never stored; oversized ones are
            // dropped (they are ephemeral, so nothing depends on them).
            Message::Awareness(_) if frame.len() > MAX_AWARENESS_BYTES => Ok(Handled::default()),
            Message::Awareness(mut update) => {
                update.clients.retain(|id, entry| {
                    !foreign.contains(id)
                        && (&*entry.json != "null" || known.contains(id) || self.awareness.meta(*id).is_some())
                });
                let new = update.clients.keys().filter(|id| !known.contains(id)).count();
                if update.clients.is_empty() || known.len() + new > MAX_AWARENESS_CLIENTS_PER_CONN {
                    return Ok(Handled::default());
                }
                let summary = self.awareness.apply_update_summary(AwarenessUpdate {
                    clients: update.clients,
                });
                let Ok(Some(summary)) = summary else {
                    return Ok(Handled::default());
                };
                let mut claimed = summary.added.clone();
                claimed.extend_from_slice(&summary.updated);
                Ok(Handled {
                    awareness_changed: summary.all_changes(),
                    awareness_claimed: claimed,
                    ..Handled::default()
                })
            }
            Message::AwarenessQuery | Message::Auth(_) | Message::Custom(..) => Ok(Handled::default()),
        }
    }

    /// Applies an update; `false` when it brought nothing new (a repeat).
    fn apply(&mut self, bytes: &[u8]) -> Result<bool, NotesError> {
        let named = scan_update(bytes).ok_or(NotesError::Malformed)?;
        let update = Update::decode_v1(bytes).map_err(|_| NotesError::Malformed)?;
        let sv = self.doc.transact().state_vector();
        // Blocks that start past what the relay has of their author would wait in memory for the missing part.
        let gap = update
            .state_vector_lower()
            .iter()
            .any(|(client, lower)| *lower > sv.get(client));
        if gap {
            return Err(NotesError::OutOfOrder);
        }
        // Deletions of items the relay never saw would be parked by yrs (and stored, and sent on) with no bound:
        // the sender is missing something, and a new sync sends it all in order.
        let inserted = update.insertions(true);
        let unseen_delete = update.delete_set().iter().any(|(client, ranges)| {
            let upto = inserted
                .iter()
                .find(|(c, _)| *c == client)
                .and_then(|(_, r)| r.iter().map(|r| r.end).max())
                .unwrap_or(0)
                .max(sv.get(client));
            ranges.iter().any(|r| r.end > upto)
        });
        if unseen_delete {
            return Err(NotesError::OutOfOrder);
        }
        if let Some(roots) = &self.roots {
            if named.iter().any(|name| !roots.contains(name)) {
                return Err(NotesError::UnknownSection);
            }
        }
        let adds = update.extends(&sv);
        let deletes = !update.delete_set().is_empty();
        if !adds && !deletes {
            return Ok(false);
        }
        // Anything new past the cap is refused; deletions are always welcome.
        if adds && self.size + bytes.len() > MAX_NOTES_BYTES {
            // The running size is an upper bound (the sum of updates): measure exactly before refusing.
            self.size = self.state().len();
            if self.size + bytes.len() > MAX_NOTES_BYTES {
                return Err(NotesError::Full);
            }
        }
        self.doc
            .transact_mut()
            .apply_update(update)
            .map_err(|_| NotesError::Malformed)?;
        // Re-encoding the whole document after every edit made the cost of an edit grow with the document: count
        // the update's size instead (an upper bound: merged state is smaller), and measure exactly near the cap.
        if adds {
            self.size += bytes.len();
            if self.size > MAX_NOTES_BYTES * 9 / 10 {
                self.size = self.state().len();
            }
        }
        Ok(true)
    }
}

/// The top-level names an encoded (v1) update inserts into, or `None` if it is not a well-formed update whose
/// counts fit in its bytes. Only an item with neither origin names its parent (the others inherit it from a
/// neighbour), so this reads each block's header and skips its content, the way yrs' own decoder does
/// (`Update::decode`), without building the blocks. It runs before yrs decodes the update: yrs reserves room for as
/// many clients and blocks as the update declares, and a few bytes can declare hundreds of millions.
fn scan_update(update: &[u8]) -> Option<BTreeSet<Arc<str>>> {
    let fits = |n: u64| n <= update.len() as u64;
    let mut decoder = DecoderV1::new(Cursor::new(update));
    let mut names = BTreeSet::new();
    let clients: u32 = decoder.read_var().ok()?;
    if !fits(clients.into()) {
        return None;
    }
    for _ in 0..clients {
        let blocks: u32 = decoder.read_var().ok()?;
        if !fits(blocks.into()) {
            return None;
        }
        decoder.read_var::<u64>().ok()?;
        let _clock: u32 = decoder.read_var().ok()?;
        for _ in 0..blocks {
            match decoder.read_info().ok()? {
                BLOCK_SKIP_REF_NUMBER => {
                    decoder.read_var::<u32>().ok()?;
                }
                BLOCK_GC_REF_NUMBER => {
                    decoder.read_len().ok()?;
                }
                info => {
                    if info & HAS_ORIGIN != 0 {
                        decoder.read_left_id().ok()?;
                    }
                    if info & HAS_RIGHT_ORIGIN != 0 {
                        decoder.read_right_id().ok()?;
                    }
                    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
                        if decoder.read_parent_info().ok()? {
                            names.insert(Arc::from(decoder.read_string().ok()?));
                        } else {
                            decoder.read_left_id().ok()?;
                        }
                        if info & HAS_PARENT_SUB != 0 {
                            decoder.read_string().ok()?;
                        }
                    }
                    ItemContent::decode(&mut decoder, info).ok()?;
                }
            }
        }
    }
    Some(names)
}

/// Whether a y-sync frame's leading count (a state vector's clients, an update's clients, an awareness update's
/// clients) fits in its bytes, each entry taking at least one: yrs reserves a hash map of that many entries before
/// it reads them, and a 7-byte frame declaring 268 million made it write half a gigabyte (found by the frame
/// fuzzer). A frame that cannot be read this far is left to yrs, which refuses it.
fn counts_fit(frame: &[u8]) -> bool {
    let mut cursor = Cursor::new(frame);
    let buf = match cursor.read_var::<u32>() {
        Ok(0) if cursor.read_var::<u32>().is_ok() => cursor.read_buf(),
        Ok(1) => cursor.read_buf(),
        _ => return true,
    };
    let Ok(buf) = buf else { return true };
    Cursor::new(buf)
        .read_var::<u64>()
        .map_or(true, |n| n <= buf.len() as u64)
}

#[cfg(test)]
mod tests;
