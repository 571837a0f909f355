//! The copy of the notes a browser keeps between visits (localStorage), shared by every tab of one session.

use super::{NotesDoc, Pending, Received};
use crate::session::{base64url, from_base64url};
use serde::{Deserialize, Serialize};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, Transact, Update};

/// What the browser keeps between visits: the merged document and the edits not yet confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredNotes {
    /// The whole document as one v1 update, base64url.
    pub state: String,
    /// Local edits the relay has not confirmed.
    #[serde(default)]
    pub pending: Vec<Pending>,
}

impl NotesDoc {
    /// The document the browser kept, with its unconfirmed edits. Anything unreadable is skipped.
    pub fn restore(stored: &StoredNotes) -> NotesDoc {
        let mut notes = NotesDoc::new();
        let updates = std::iter::once(stored.state.as_str()).chain(stored.pending.iter().map(|p| p.update.as_str()));
        for encoded in updates {
            if let Some(update) = from_base64url(encoded).and_then(|b| Update::decode_v1(&b).ok()) {
                let _ = notes.doc.transact_mut_with("restore").apply_update(update);
            }
        }
        notes.pending = stored
            .pending
            .iter()
            .filter(|p| from_base64url(&p.update).is_some())
            .map(|p| Pending {
                update: p.update.clone(),
                frame: None,
                place: p.place.clone(),
            })
            .collect();
        notes.size = notes.state().len();
        notes
    }

    /// What to keep in the browser.
    pub fn stored(&self) -> StoredNotes {
        StoredNotes {
            state: base64url(&self.state()),
            pending: self.pending.clone(),
        }
    }

    /// What to keep in the browser when `kept` is there now: another tab of the same session may have written it
    /// since this one last did, when this tab's unconfirmed edits were `own_before`. This document merged with that
    /// copy, with both tabs' unconfirmed edits (see [`NotesDoc::adopt`]). This document itself is not changed: a
    /// tab writes its copy while an input method composes too, when its textareas must not change.
    pub fn stored_over(&self, kept: &StoredNotes, own_before: &[Pending]) -> StoredNotes {
        let mut merged = NotesDoc::restore(&self.stored());
        merged.adopt(kept, &mut own_before.to_vec(), None);
        merged.stored()
    }

    /// Takes in what another tab of the same session kept in the browser and this document lacks: its text
    /// becomes part of this document, and its unconfirmed edits this tab's own, so that a tab closed while offline
    /// has its edits sent by the tab still open. `own_before` is this tab's unconfirmed edits when it last wrote
    /// the copy, and those it took in since: those the copy no longer lists were confirmed to another tab, and
    /// are dropped here too; those gone from this document were confirmed here, and are not taken back. The
    /// edits taken in now are added to it. `keep` is the focused section and its selection, as for
    /// [`NotesDoc::receive`]. `None` when nothing changed; otherwise `reply` is the frame to send, when the
    /// connection is ready (if not, the next handshake sends everything).
    pub fn adopt(
        &mut self,
        kept: &StoredNotes,
        own_before: &mut Vec<Pending>,
        keep: Option<(&str, u32, u32)>,
    ) -> Option<Received> {
        let known = |p: &Pending, list: &[Pending]| list.iter().any(|q| q.update == p.update);
        let before = self.pending.len();
        self.pending
            .retain(|p| !known(p, own_before) || known(p, &kept.pending));
        let other = NotesDoc::restore(kept);
        let update = other.doc.transact().encode_diff_v1(&self.doc.transact().state_vector());
        if update == Update::EMPTY_V1 {
            return (self.pending.len() != before).then(Received::default);
        }
        let selection = self.apply_remote(&update, keep).ok()?;
        let reply = self
            .handshake_done
            .then(|| self.outgoing(Message::Sync(SyncMessage::Update(update)).encode_v1()));
        let number = reply.as_ref().map(|_| self.frames_sent);
        for p in other.pending {
            if !known(&p, &self.pending) && !known(&p, own_before) {
                own_before.push(p.clone());
                self.pending.push(Pending { frame: number, ..p });
            }
        }
        Some(Received {
            reply,
            changed: true,
            awareness: None,
            selection,
        })
    }

    /// The edits not confirmed yet.
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }
}
