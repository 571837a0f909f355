//! Private drafts: the sections only their writer sees. Kept in this browser at once, sent to the relay shortly
//! after the last keystroke, and reconciled with the copy the relay stored from the person's other connections.

use super::Shared;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use tandem_core::notes::PrivateDraft;
use tandem_core::protocol::{ClientMsg, PrivateNote};
use web_sys::WebSocket;

/// A private draft is sent to the relay this long after the last keystroke (and at once when the field is left).
const PRIVATE_SEND_AFTER: Duration = Duration::from_millis(600);

/// The person typed in a private section: keep the text here at once, send it shortly.
pub(crate) fn private_input(shared: &Rc<RefCell<Shared>>, section: &str, text: String) {
    {
        let mut s = shared.borrow_mut();
        let draft = PrivateDraft {
            section: section.to_string(),
            text,
            saved: false,
        };
        match s.notes.private.iter_mut().find(|d| d.section == section) {
            Some(slot) => *slot = draft,
            None => s.notes.private.push(draft),
        }
        // A changed text may be accepted (shortened below the limit): send it again.
        s.notes.private_refused.retain(|r| r != section);
        if let Some(h) = s.notes.private_timer.take() {
            h.clear();
        }
    }
    private_changed(shared);
    let later = shared.clone();
    let handle = set_timeout_with_handle(move || private_flush(&later), PRIVATE_SEND_AFTER).ok();
    shared.borrow_mut().notes.private_timer = handle;
}

/// Sends every private draft the relay has not stored (the person left the field, or the connection is back).
pub(crate) fn private_flush(shared: &Rc<RefCell<Shared>>) {
    let frames: Vec<String> = {
        let mut s = shared.borrow_mut();
        if let Some(h) = s.notes.private_timer.take() {
            h.clear();
        }
        let open = s.ws.as_ref().is_some_and(|ws| ws.ready_state() == WebSocket::OPEN);
        if !open || s.live.me.get_untracked().is_none() {
            return;
        }
        let refused = &s.notes.private_refused;
        let unsaved: Vec<PrivateDraft> = s
            .notes
            .private
            .iter()
            .filter(|d| !d.saved && !refused.contains(&d.section))
            .cloned()
            .collect();
        let mut frames = Vec::new();
        for d in unsaved {
            s.notes.private_rev += 1;
            let rev = s.notes.private_rev;
            s.notes.private_sent.retain(|(section, _)| *section != d.section);
            s.notes.private_sent.push((d.section.clone(), rev));
            let msg = ClientMsg::PrivateNote {
                section: d.section,
                text: d.text,
                rev,
            };
            if let Ok(text) = serde_json::to_string(&msg) {
                frames.push(text);
            }
        }
        frames
    };
    let s = shared.borrow();
    if let Some(ws) = s.ws.as_ref() {
        for f in frames {
            let _ = ws.send_with_str(&f);
        }
    }
}

/// The relay stored the private draft of `section` as sent with `rev`.
pub(crate) fn on_private_saved(shared: &Rc<RefCell<Shared>>, section: &str, rev: u64) {
    {
        let mut s = shared.borrow_mut();
        let latest = s.notes.private_sent.iter().any(|(sec, r)| sec == section && *r == rev);
        // A later keystroke since that send leaves the draft unsaved (its own send follows).
        let timer_pending = s.notes.private_timer.is_some();
        if !latest || timer_pending {
            return;
        }
        if let Some(d) = s.notes.private.iter_mut().find(|d| d.section == section) {
            d.saved = true;
        }
    }
    private_changed(shared);
}

/// The relay refused the private draft of `section` as sent with `rev`: it stays here, unsaved, and is not sent
/// again until the person changes it; the person is told why.
pub(crate) fn on_private_refused(shared: &Rc<RefCell<Shared>>, section: &str, rev: u64, message: &str) {
    let live = {
        let mut s = shared.borrow_mut();
        let latest = s.notes.private_sent.iter().any(|(sec, r)| sec == section && *r == rev);
        if latest && !s.notes.private_refused.iter().any(|r| r == section) {
            s.notes.private_refused.push(section.to_string());
        }
        s.live
    };
    private_changed(shared);
    live.show_notice(message);
}

/// The person's own text of `section` was stored from another of their connections (another device or tab): shown
/// here unless this page has edits of that section the relay has not stored (those win, and are sent as usual).
pub(crate) fn on_private_changed(shared: &Rc<RefCell<Shared>>, section: &str, text: String) {
    {
        let mut s = shared.borrow_mut();
        let refused = s.notes.private_refused.iter().any(|r| r == section);
        match s.notes.private.iter_mut().find(|d| d.section == section) {
            Some(d) if !d.saved && !refused => return,
            Some(d) => {
                d.text = text;
                d.saved = true;
            }
            None => s.notes.private.push(PrivateDraft {
                section: section.to_string(),
                text,
                saved: true,
            }),
        }
        s.notes.private_refused.retain(|r| r != section);
    }
    private_changed(shared);
}

/// The welcome's private drafts: the relay's copy, unless this browser holds a newer one it has not stored yet.
pub(crate) fn on_private_welcome(shared: &Rc<RefCell<Shared>>, stored: Vec<PrivateNote>) {
    {
        let mut s = shared.borrow_mut();
        s.notes.private_sent.clear();
        for note in &stored {
            match s.notes.private.iter_mut().find(|d| d.section == note.section) {
                Some(d) if !d.saved => d.saved = d.text == note.text,
                Some(d) => {
                    d.text = note.text.clone();
                    d.saved = true;
                }
                None => s.notes.private.push(PrivateDraft {
                    section: note.section.clone(),
                    text: note.text.clone(),
                    saved: true,
                }),
            }
        }
        // Kept here as stored, but the relay has no copy (another database?): send it again.
        for d in &mut s.notes.private {
            if d.saved && !d.text.is_empty() && !stored.iter().any(|n| n.section == d.section) {
                d.saved = false;
            }
        }
    }
    private_changed(shared);
    private_flush(shared);
}

fn private_changed(shared: &Rc<RefCell<Shared>>) {
    let s = shared.borrow();
    s.live.private_drafts.set(s.notes.private.clone());
    if s.live.private_refused.with_untracked(|r| *r != s.notes.private_refused) {
        s.live.private_refused.set(s.notes.private_refused.clone());
    }
    if !crate::sync::storage::save_json(&s.notes.private_key, &s.notes.private) {
        leptos::logging::warn!("tandem: could not keep the draft in this browser (storage full?)");
    }
}
