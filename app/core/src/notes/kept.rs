//! The copy of the notes a browser keeps between visits (localStorage), shared by every tab of one session.

use super::{NotesDoc, Pending};
use crate::session::{base64url, from_base64url};
use serde::{Deserialize, Serialize};
use yrs::updates::decoder::Decode;
use yrs::{Transact, Update};

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
    /// copy; this tab's unconfirmed edits and the other tab's (those of `own_before` that are gone now were
    /// confirmed). Neither tab's offline edits are lost to the other's write; this document itself is not changed
    /// (the other tab's edits reach it through the relay, or at the next visit).
    pub fn stored_over(&self, kept: &StoredNotes, own_before: &[Pending]) -> StoredNotes {
        let merged = NotesDoc::restore(kept);
        if let Ok(update) = Update::decode_v1(&self.state()) {
            let _ = merged.doc.transact_mut_with("restore").apply_update(update);
        }
        let state = base64url(&merged.state());
        let known = |p: &Pending, list: &[Pending]| list.iter().any(|q| q.update == p.update);
        let mut pending = self.pending.clone();
        for p in merged.pending {
            if !known(&p, &pending) && !known(&p, own_before) {
                pending.push(p);
            }
        }
        StoredNotes { state, pending }
    }

    /// The edits not confirmed yet.
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }
}
