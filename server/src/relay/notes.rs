//! The session's notes document on the relay: a yrs `Doc` spoken to in the y-sync protocol (as y-protocols encodes
//! it), so that the Leptos client and official Yjs clients (y-websocket) share one document.

use yrs::encoding::read::Cursor;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

/// Largest stored notes document (bytes of its encoded state): about 1 MB of text.
pub const MAX_NOTES_BYTES: usize = 1024 * 1024;

/// Largest awareness (cursor and presence) frame relayed.
pub const MAX_AWARENESS_BYTES: usize = 16 * 1024;

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
}

/// What to do after handling one message.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Handled {
    /// Frame for the sender only.
    pub reply: Option<Vec<u8>>,
    /// Frame for every other member of the session.
    pub broadcast: Option<Vec<u8>>,
    /// Whether the document changed (and must be persisted).
    pub changed: bool,
}

/// The notes of one session.
pub struct Notes {
    doc: Doc,
    size: usize,
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
        let mut notes = Notes { doc, size: 0 };
        notes.size = notes.state().len();
        Ok(notes)
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

    /// The relay's sync step 1, sent to each client on connect so it sends back what the relay is missing.
    pub fn sync_step1(&self) -> Vec<u8> {
        Message::Sync(SyncMessage::SyncStep1(self.doc.transact().state_vector())).encode_v1()
    }

    /// Handles one binary frame from a client.
    pub fn handle(&mut self, frame: &[u8], may_write: bool) -> Result<Handled, NotesError> {
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
                    let adds = Update::decode_v1(&update)
                        .map_err(|_| NotesError::Malformed)?
                        .extends(&self.doc.transact().state_vector());
                    return if adds {
                        Err(NotesError::ReadOnly)
                    } else {
                        Ok(Handled::default())
                    };
                }
                self.apply(&update)?;
                Ok(Handled {
                    broadcast: Some(Message::Sync(SyncMessage::Update(update)).encode_v1()),
                    changed: true,
                    ..Handled::default()
                })
            }
            // Cursors and "who is in which section": relayed, never stored; oversized ones are dropped (they are
            // ephemeral, so nothing depends on them).
            Message::Awareness(_) if frame.len() > MAX_AWARENESS_BYTES => Ok(Handled::default()),
            Message::Awareness(_) => Ok(Handled {
                broadcast: Some(frame.to_vec()),
                ..Handled::default()
            }),
            Message::AwarenessQuery | Message::Auth(_) | Message::Custom(..) => Ok(Handled::default()),
        }
    }

    fn apply(&mut self, bytes: &[u8]) -> Result<(), NotesError> {
        let update = Update::decode_v1(bytes).map_err(|_| NotesError::Malformed)?;
        // An update that only repeats what the document has is harmless; anything new past the cap is refused.
        if self.size + bytes.len() > MAX_NOTES_BYTES && update.extends(&self.doc.transact().state_vector()) {
            return Err(NotesError::Full);
        }
        self.doc
            .transact_mut()
            .apply_update(update)
            .map_err(|_| NotesError::Malformed)?;
        self.size = self.state().len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{GetString, Text};

    fn client_edit(doc: &Doc, at: u32, text: &str) -> Vec<u8> {
        let t = doc.get_or_insert_text("goal-statement");
        let before = doc.transact().state_vector();
        t.insert(&mut doc.transact_mut(), at, text);
        let update = doc.transact().encode_diff_v1(&before);
        Message::Sync(SyncMessage::Update(update)).encode_v1()
    }

    #[test]
    fn updates_apply_and_sync_step_1_gets_what_is_missing() {
        let mut notes = Notes::load(None).unwrap();
        let alice = Doc::new();
        let handled = notes.handle(&client_edit(&alice, 0, "Lead reviews"), true).unwrap();
        assert!(handled.changed && handled.broadcast.is_some());

        let bob = Doc::new();
        let step1 = Message::Sync(SyncMessage::SyncStep1(bob.transact().state_vector())).encode_v1();
        let reply = notes.handle(&step1, true).unwrap().reply.unwrap();
        let Ok(Message::Sync(SyncMessage::SyncStep2(diff))) = Message::decode_v1(&reply) else {
            panic!()
        };
        bob.transact_mut()
            .apply_update(Update::decode_v1(&diff).unwrap())
            .unwrap();
        let text = bob.get_or_insert_text("goal-statement");
        assert_eq!(text.get_string(&bob.transact()), "Lead reviews");

        let reloaded = Notes::load(Some(&notes.state())).unwrap();
        assert_eq!(reloaded.state(), notes.state());
    }

    #[test]
    fn garbage_and_observers_change_nothing() {
        let mut notes = Notes::load(None).unwrap();
        let before = notes.state();
        assert_eq!(notes.handle(&[0, 2, 5, 1, 2], true), Err(NotesError::Malformed));
        assert_eq!(notes.handle(&[], true), Err(NotesError::Malformed));
        assert_eq!(
            notes.handle(&client_edit(&Doc::new(), 0, "x"), false),
            Err(NotesError::ReadOnly)
        );
        let empty_step2 = Message::Sync(SyncMessage::SyncStep2(Update::EMPTY_V1.to_vec())).encode_v1();
        assert_eq!(
            notes.handle(&empty_step2, false),
            Ok(Handled::default()),
            "a reader's empty step 2 is fine"
        );
        assert_eq!(notes.state(), before);
    }

    #[test]
    fn the_notes_cap_refuses_new_text_but_keeps_what_is_there() {
        let mut notes = Notes::load(None).unwrap();
        let writer = Doc::new();
        let chunk = "x".repeat(200 * 1024);
        for i in 0..5 {
            let edit = client_edit(&writer, i * chunk.len() as u32, &chunk);
            assert!(notes.handle(&edit, true).is_ok());
        }
        let full = notes.state();
        let refused = notes.handle(&client_edit(&writer, 0, &chunk), true);
        assert!(
            matches!(refused, Err(NotesError::Full)),
            "the sixth 200 KB chunk passes 1 MB"
        );
        assert!(full == notes.state(), "nothing already written is lost");
    }
}
