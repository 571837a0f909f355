//! The browser side of the shared notes: the local yrs document, its copy in localStorage, the textarea binding
//! that keeps the caret where it was, and presence per section (y-protocols awareness). Private drafts: [`private`].

use super::socket::Shared;
use super::SectionPeer;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use tandem_core::notes::{
    Commitment, CommitmentField, EditError, NotesDoc, Pending, PrivateDraft, Received, StoredNotes,
};
use tandem_core::protocol::ErrorCode;
use tandem_core::session::ParticipantId;
use wasm_bindgen::JsCast;
use web_sys::{HtmlTextAreaElement, WebSocket};
use yrs::sync::awareness::{Awareness, AwarenessUpdate};
use yrs::sync::Message;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

mod private;
pub(crate) use private::{
    on_private_changed, on_private_refused, on_private_saved, on_private_welcome, private_flush, private_input,
};

/// Colours of the avatars (`.avatar--cN` in the stylesheet), for Yjs clients that show cursors.
const COLOUR_HEX: [&str; 8] = [
    "#2f5d8a", "#b0522a", "#2e7d4f", "#7a4fa3", "#a33a5b", "#3f6f75", "#7d6519", "#4a4f8c",
];
/// Local changes are written to localStorage this long after the last one (and at once when the page is hidden).
const PERSIST_AFTER: Duration = Duration::from_millis(250);

/// What one browser publishes about itself in the awareness protocol (y-protocols' `user` convention plus ours).
#[derive(serde::Serialize, serde::Deserialize)]
struct PeerState {
    user: PeerUser,
    #[serde(default)]
    pid: Option<ParticipantId>,
    #[serde(default)]
    section: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PeerUser {
    name: String,
    #[serde(default)]
    color: String,
}

/// The notes part of the socket's shared state.
pub(crate) struct NotesClient {
    doc: NotesDoc,
    awareness: Awareness,
    /// The awareness clients the relay has told of on this connection: the others' states kept from an earlier
    /// connection may be of people who left meanwhile, so they are not shown.
    heard: Vec<yrs::ClientID>,
    /// The textareas shown, by section (a few at a time; a list rather than a map keeps the bundle smaller).
    editors: Vec<(String, HtmlTextAreaElement)>,
    focused: Option<String>,
    /// Notes frames from the relay that arrived while an input method was composing text: applied when it is done.
    held: Option<Vec<Vec<u8>>>,
    name: String,
    storage_key: String,
    /// This tab's unconfirmed edits when it last wrote under `storage_key` (another tab may write there too).
    written: Vec<Pending>,
    persist: Option<TimeoutHandle>,
    /// The relay refused an edit because the notes are full: stop sending until reload.
    blocked: bool,
    /// The viewer's private drafts (never in the shared document), kept in localStorage until the relay stores them.
    private: Vec<PrivateDraft>,
    private_key: String,
    /// The `rev` last sent per section; the relay's confirmation of that rev means the draft is stored.
    private_sent: Vec<(String, u64)>,
    private_rev: u64,
    private_timer: Option<TimeoutHandle>,
    /// Sections whose current draft the relay refused (too long, not private…): not sent again, and not counted as
    /// unsaved when the tab closes, until the person changes the text.
    private_refused: Vec<String>,
}

impl NotesClient {
    /// The notes this browser kept for `session_id`, or an empty document.
    pub(crate) fn load(session_id: &str, name: &str) -> NotesClient {
        let storage_key = format!("notes.{session_id}");
        let stored = super::storage::load_json::<StoredNotes>(&storage_key);
        let doc = stored.as_ref().map(NotesDoc::restore).unwrap_or_default();
        let awareness = Awareness::with_clock(doc.doc().clone(), || js_sys::Date::now() as u64);
        let written = doc.pending().to_vec();
        NotesClient {
            doc,
            awareness,
            heard: Vec::new(),
            editors: Vec::new(),
            focused: None,
            held: None,
            name: name.to_string(),
            storage_key,
            written,
            persist: None,
            blocked: false,
            private: super::storage::load_json(&format!("private.{session_id}")).unwrap_or_default(),
            private_key: format!("private.{session_id}"),
            private_sent: Vec::new(),
            private_rev: 0,
            private_timer: None,
            private_refused: Vec::new(),
        }
    }

    /// The focused section and its textarea's selection, to keep on the same characters through a change.
    fn kept_selection(&self) -> Option<(String, u32, u32)> {
        let section = self.focused.as_ref()?;
        let el = self.editor(section)?;
        let start = el.selection_start().ok().flatten()?;
        let end = el.selection_end().ok().flatten()?;
        Some((section.clone(), start, end))
    }

    /// The textarea shown for `section`, if any.
    fn editor(&self, section: &str) -> Option<&HtmlTextAreaElement> {
        self.editors
            .iter()
            .find(|(shown, _)| shown == section)
            .map(|(_, el)| el)
    }
}

/// Publishes the loaded document to the page's signals.
pub(crate) fn publish(shared: &Rc<RefCell<Shared>>) {
    let s = shared.borrow();
    let live = s.live;
    live.notes_unsynced.set(s.notes.doc.unsynced_places());
    live.commitments.set(s.notes.doc.commitments());
    live.private_drafts.set(s.notes.private.clone());
}

/// A socket opened: the relay will send its sync step 1 after the welcome.
pub(crate) fn on_open(shared: &Rc<RefCell<Shared>>) {
    let mut s = shared.borrow_mut();
    s.notes.doc.connection_opened();
    s.notes.heard.clear();
    // A refusal holds for one connection: this one tries again with everything (the text may fit now).
    s.notes.blocked = false;
}

/// The socket closed.
pub(crate) fn on_close(shared: &Rc<RefCell<Shared>>) {
    let mut s = shared.borrow_mut();
    s.notes.doc.connection_closed();
    s.live.section_peers.set(Vec::new());
    // Held frames belong to that connection; the next one syncs afresh.
    if let Some(held) = &mut s.notes.held {
        held.clear();
    }
}

/// The relay welcomed us: ask for what this browser is missing and say who we are.
pub(crate) fn on_welcome(shared: &Rc<RefCell<Shared>>, me: ParticipantId) {
    adopt_stored(shared);
    let frames = {
        let mut s = shared.borrow_mut();
        let step1 = s.notes.doc.sync_step1();
        // The relay marked this page's presence as gone when the last connection closed, one clock tick past ours:
        // step past that tick so that the others take the new state.
        s.notes.awareness.set_local_state_raw("null");
        let presence = local_presence(&mut s.notes, Some(me));
        vec![Some(step1), presence]
    };
    for f in frames.into_iter().flatten() {
        send_binary(shared, &f);
    }
}

/// A JSON message about the notes.
pub(crate) fn on_saved(shared: &Rc<RefCell<Shared>>, frames: u64) {
    let live = {
        let mut s = shared.borrow_mut();
        s.notes.doc.confirmed(frames);
        s.live
    };
    live.notes_unsynced.set(shared.borrow().notes.doc.unsynced_places());
    persist_soon(shared);
}

/// The relay refused a notes edit.
pub(crate) fn on_error(shared: &Rc<RefCell<Shared>>, code: ErrorCode) {
    if code == ErrorCode::NotesFull {
        let mut s = shared.borrow_mut();
        s.notes.blocked = true;
        s.notes.doc.refused();
        s.live.notes_full.set(true);
    }
}

/// An input method started (`true`) or finished composing text on the page. Meanwhile the relay's frames wait:
/// writing the textarea would end the composition, and the text it produced is compared with the document as it
/// was when the composition began.
pub(crate) fn composing(shared: &Rc<RefCell<Shared>>, composing: bool) {
    let held = std::mem::replace(&mut shared.borrow_mut().notes.held, composing.then(Vec::new));
    for frame in held.unwrap_or_default() {
        on_frame(shared, frame);
    }
    if !composing {
        adopt_stored(shared);
    }
}

/// Takes in what another tab of this session kept in the browser and this one lacks ([`NotesDoc::adopt`]), so
/// that a tab closed while offline has its edits sent by one still open: when another tab writes the copy (a
/// `storage` event), before each handshake, and when a composition ends (not during one: the textareas must not
/// change then).
pub(crate) fn adopt_stored(shared: &Rc<RefCell<Shared>>) {
    let received = {
        let mut s = shared.borrow_mut();
        let notes = &mut s.notes;
        if notes.held.is_some() {
            return;
        }
        let Some(kept) = super::storage::load_json::<StoredNotes>(&notes.storage_key) else {
            return;
        };
        let keep = notes.kept_selection();
        let keep_ref = keep.as_ref().map(|(s, a, b)| (s.as_str(), *a, *b));
        let Some(received) = notes.doc.adopt(&kept, &mut notes.written, keep_ref) else {
            return;
        };
        received
    };
    after_receiving(shared, received);
}

/// A binary frame from the relay.
pub(crate) fn on_frame(shared: &Rc<RefCell<Shared>>, bytes: Vec<u8>) {
    let received = {
        let mut s = shared.borrow_mut();
        // Presence (y-sync message 1) touches no textarea: it goes through.
        if let Some(held) = s.notes.held.as_mut().filter(|_| bytes.first() != Some(&1)) {
            held.push(bytes);
            return;
        }
        let notes = &mut s.notes;
        let keep = notes.kept_selection();
        let keep_ref = keep.as_ref().map(|(s, a, b)| (s.as_str(), *a, *b));
        match notes.doc.receive(&bytes, keep_ref) {
            Ok(r) => r,
            Err(_) => {
                leptos::logging::warn!("tandem: a notes frame from the relay could not be read");
                return;
            }
        }
    };
    after_receiving(shared, received);
}

/// Sends what the document answered, and shows what changed: from the relay's frames and from another tab's copy.
fn after_receiving(shared: &Rc<RefCell<Shared>>, received: Received) {
    let live = shared.borrow().live;
    if let Some(reply) = received.reply {
        // Every frame the document counted must go out, or the relay's confirmations would not line up.
        send_binary(shared, &reply);
    }
    let unsynced = shared.borrow().notes.doc.unsynced_places();
    if live.notes_unsynced.get_untracked() != unsynced {
        live.notes_unsynced.set(unsynced);
    }
    if let Some(frame) = received.awareness {
        apply_awareness(shared, &frame);
    }
    if received.changed {
        refresh_editors(shared, received.selection);
        live.commitments.set(shared.borrow().notes.doc.commitments());
        persist_soon(shared);
    }
}

/// Puts the document's text into every bound textarea that shows something else.
fn refresh_editors(shared: &Rc<RefCell<Shared>>, selection: Option<(u32, u32)>) {
    let s = shared.borrow();
    let active = document().active_element();
    for (section, el) in &s.notes.editors {
        let text = s.notes.doc.text(section);
        if el.value() != text {
            el.set_value(&text);
        }
        let is_active = active
            .as_ref()
            .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>());
        if is_active && s.notes.focused.as_deref() == Some(section.as_str()) {
            if let Some((start, end)) = selection {
                let _ = el.set_selection_range(start, end);
            }
        }
    }
}

/// A textarea of `section` is shown: it gets the document's text and reports edits from now on.
pub(crate) fn bind(shared: &Rc<RefCell<Shared>>, section: &str, el: HtmlTextAreaElement) {
    let mut s = shared.borrow_mut();
    el.set_value(&s.notes.doc.text(section));
    s.notes.editors.retain(|(shown, _)| shown != section);
    s.notes.editors.push((section.to_string(), el));
}

/// The textarea of `section` is gone.
pub(crate) fn unbind(shared: &Rc<RefCell<Shared>>, section: &str) {
    let mut s = shared.borrow_mut();
    s.notes.editors.retain(|(shown, _)| shown != section);
    if s.notes.focused.as_deref() == Some(section) {
        s.notes.focused = None;
    }
}

/// The person typed in `section`'s textarea.
pub(crate) fn input(shared: &Rc<RefCell<Shared>>, section: &str) {
    let result = {
        let mut s = shared.borrow_mut();
        let Some(el) = s.notes.editor(section).cloned() else {
            return;
        };
        let caret = el.selection_end().ok().flatten();
        let result = s.notes.doc.edit_text(section, &el.value(), caret);
        if let Err(EditError::Full) = result {
            // Undo the keystroke in the textarea: the document did not take it.
            let text = s.notes.doc.text(section);
            let back = caret.map(|c| c.min(text.encode_utf16().count() as u32));
            el.set_value(&text);
            if let Some(c) = back {
                let _ = el.set_selection_range(c, c);
            }
        }
        result
    };
    after_local_change(shared, result);
}

/// Adds, edits, ticks or removes a commitment.
pub(crate) fn commitment(shared: &Rc<RefCell<Shared>>, change: CommitmentChange) {
    let result = {
        let mut s = shared.borrow_mut();
        match change {
            CommitmentChange::Add(c) => s.notes.doc.add_commitment(&c),
            CommitmentChange::Update(id, field) => s.notes.doc.update_commitment(&id, field),
            CommitmentChange::Remove(id) => s.notes.doc.remove_commitment(&id),
        }
    };
    let live = shared.borrow().live;
    live.commitments.set(shared.borrow().notes.doc.commitments());
    after_local_change(shared, result);
}

/// A change to the commitments.
pub(crate) enum CommitmentChange {
    /// A new one (or one put back by undo).
    Add(Commitment),
    /// One field of one.
    Update(String, CommitmentField),
    /// Removed.
    Remove(String),
}

fn after_local_change(shared: &Rc<RefCell<Shared>>, result: Result<Option<Vec<u8>>, EditError>) {
    let live = shared.borrow().live;
    let blocked = shared.borrow().notes.blocked;
    match result {
        Ok(frame) => {
            // After a refusal the document produces no frames until the next connection.
            if let Some(frame) = frame {
                send_binary(shared, &frame);
            }
            // A refusal by this browser lasts until an edit fits again; one by the relay until reload.
            if !blocked && live.notes_full.get_untracked() {
                live.notes_full.set(false);
            }
        }
        // The editor shows the message (role=alert) next to the notes.
        Err(EditError::Full) => live.notes_full.set(true),
        Err(EditError::Malformed) => {}
    }
    live.notes_unsynced.set(shared.borrow().notes.doc.unsynced_places());
    persist_soon(shared);
}

/// The person moved into a section (or out of all of them): tell the others.
pub(crate) fn focus(shared: &Rc<RefCell<Shared>>, section: Option<String>) {
    let frame = {
        let mut s = shared.borrow_mut();
        if s.notes.focused == section {
            return;
        }
        s.notes.focused = section;
        let me = s.live.me.get_untracked();
        local_presence(&mut s.notes, me)
    };
    if let Some(f) = frame {
        send_binary(shared, &f);
    }
}

/// Renews this browser's presence (other clients drop states not renewed within 30 s).
pub(crate) fn renew_presence(shared: &Rc<RefCell<Shared>>) {
    let frame = {
        let mut s = shared.borrow_mut();
        let me = s.live.me.get_untracked();
        local_presence(&mut s.notes, me)
    };
    if let Some(f) = frame {
        send_binary(shared, &f);
    }
}

fn local_presence(notes: &mut NotesClient, me: Option<ParticipantId>) -> Option<Vec<u8>> {
    let colour = me.map_or(0, |p| p.0 as usize % COLOUR_HEX.len());
    let state = PeerState {
        user: PeerUser {
            name: notes.name.clone(),
            color: COLOUR_HEX[colour].to_string(),
        },
        pid: me,
        section: notes.focused.clone(),
    };
    notes.awareness.set_local_state(&state).ok()?;
    let update = notes
        .awareness
        .update_with_clients([notes.awareness.client_id()])
        .ok()?;
    let frame = Message::Awareness(update).encode_v1();
    Some(notes.doc.outgoing(frame))
}

fn apply_awareness(shared: &Rc<RefCell<Shared>>, frame: &[u8]) {
    let mut s = shared.borrow_mut();
    let Ok(Message::Awareness(update)) = Message::decode_v1(frame) else {
        return;
    };
    for id in update.clients.keys() {
        if !s.notes.heard.contains(id) {
            s.notes.heard.push(*id);
        }
    }
    let _: Result<(), _> = s.notes.awareness.apply_update(AwarenessUpdate {
        clients: update.clients,
    });
    let mine = s.notes.awareness.client_id();
    // The viewer's own other tabs and devices are not shown as someone else.
    let me = s.live.me.get_untracked();
    let notes = &s.notes;
    let mut peers: Vec<SectionPeer> = notes
        .awareness
        .iter()
        .filter(|(id, _)| *id != mine && notes.heard.contains(id))
        .filter_map(|(id, state)| {
            let peer: PeerState = serde_json::from_str(state.data.as_deref()?).ok()?;
            if peer.pid.is_some() && peer.pid == me {
                return None;
            }
            Some(SectionPeer {
                section: peer.section?,
                pid: peer.pid,
                name: peer.user.name.chars().take(40).collect(),
                colour: peer.pid.map_or(id.get() as u32, |p| p.0),
            })
        })
        .collect();
    tandem_core::small_sort::stable_sort_by(&mut peers, |a, b| {
        (&a.section, a.pid, &a.name).cmp(&(&b.section, b.pid, &b.name))
    });
    peers.dedup_by(|a, b| a.section == b.section && a.pid.is_some() && a.pid == b.pid);
    s.live.section_peers.set(peers);
}

fn send_binary(shared: &Rc<RefCell<Shared>>, frame: &[u8]) {
    let s = shared.borrow();
    if let Some(ws) = s.ws.as_ref().filter(|ws| ws.ready_state() == WebSocket::OPEN) {
        let _ = ws.send_with_u8_array(frame);
    }
}

/// Writes the document to localStorage shortly (coalescing bursts of typing).
fn persist_soon(shared: &Rc<RefCell<Shared>>) {
    if shared.borrow().notes.persist.is_some() {
        return;
    }
    let later = shared.clone();
    let handle = set_timeout_with_handle(move || persist_now(&later), PERSIST_AFTER).ok();
    shared.borrow_mut().notes.persist = handle;
}

/// Writes the document to localStorage now.
pub(crate) fn persist_now(shared: &Rc<RefCell<Shared>>) {
    let mut s = shared.borrow_mut();
    if let Some(h) = s.notes.persist.take() {
        h.clear();
    }
    // Another tab of this session may have written its copy since: keep its edits too (docs/architecture.md).
    let stored = match super::storage::load_json::<StoredNotes>(&s.notes.storage_key) {
        Some(kept) => s.notes.doc.stored_over(&kept, &s.notes.written),
        None => s.notes.doc.stored(),
    };
    if !super::storage::save_json(&s.notes.storage_key, &stored) {
        leptos::logging::warn!("tandem: could not keep the notes in this browser (storage full?)");
    }
    s.notes.written = s.notes.doc.pending().to_vec();
}

/// Whether closing the page now would lose edits the relay has not stored (once the session has ended, nothing more
/// can be stored, and the page moves to the summary without asking).
pub(crate) fn has_unsynced(shared: &Rc<RefCell<Shared>>) -> bool {
    let s = shared.borrow();
    let refused = &s.notes.private_refused;
    s.live.ended.get_untracked().is_none()
        && (s.notes.doc.unsynced() > 0
            || s.notes
                .private
                .iter()
                .any(|d| !d.saved && !refused.contains(&d.section)))
}

/// Closes the socket so that a fresh connection sends the notes again (after a "notes full" refusal).
pub(crate) fn retry(shared: &Rc<RefCell<Shared>>) {
    let ws = shared.borrow().ws.clone();
    if let Some(ws) = ws {
        let _ = ws.close();
    }
}
