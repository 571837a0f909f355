//! The browser's WebSocket to the relay: hello, clock pings, reconnect with backoff and jitter.

use super::notes::{self, NotesClient};
use super::socket_handle::Handle;
use super::{ConnStatus, Identity, LiveSession};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, Close, ServerMsg, CLOSE_ABNORMAL, CLOSE_GONE, CLOSE_RELOAD, PROTOCOL_VERSION};
use tandem_core::session::clock::{ClockSync, Sample};
use tandem_core::session::ParticipantKey;
use wasm_bindgen::prelude::*;
use web_sys::{BeforeUnloadEvent, BinaryType, CloseEvent, MessageEvent, WebSocket};

/// How often the browser pings once the clock estimate has settled. The relay drops a silent socket after 10 s.
const PING_EVERY: Duration = Duration::from_secs(3);
/// Presence in the notes is renewed every this many pings (y-protocols clients drop states older than 30 s).
const PRESENCE_EVERY_PINGS: u32 = 5;
/// Longest pause between reconnect attempts.
const MAX_BACKOFF_MS: f64 = 15_000.0;

/// State shared by the socket's callbacks.
pub(crate) struct Shared {
    pub(crate) live: LiveSession,
    url: String,
    hello: ClientMsg,
    pub(crate) ws: Option<WebSocket>,
    pub(crate) notes: NotesClient,
    beats: u32,
    attempt: u32,
    stopped: bool,
    clock: ClockSync,
    pinger: Option<IntervalHandle>,
    // Callbacks stay alive as long as the socket they are attached to.
    callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// The document's events the socket follows (composition events bubble up to it from any field).
const DOCUMENT_EVENTS: [&str; 3] = ["visibilitychange", "compositionstart", "compositionend"];

pub(crate) fn connect(live: LiveSession, session_id: String, token: String, identity: Identity) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_default();
    let url = format!(
        "{scheme}://{host}{}?t={}",
        tandem_core::protocol::socket_path(&session_id),
        js_sys::encode_uri_component(&token)
    );
    let notes = NotesClient::load(&session_id, &identity.name);
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        participant_key: ParticipantKey(identity.key),
        name: identity.name,
        role: identity.role,
        claim: identity.claim,
    };
    let shared = Rc::new(RefCell::new(Shared {
        live,
        url,
        hello,
        ws: None,
        notes,
        beats: 0,
        attempt: 0,
        stopped: false,
        clock: ClockSync::default(),
        pinger: None,
        callbacks: Vec::new(),
    }));
    live.outbox.set_value(Some(Handle { inner: shared.clone() }));
    notes::publish(&shared);
    open(&shared);

    // The document's events: a tab that was hidden may have missed timer callbacks, so the clock is measured again
    // when it is shown, and when it is hidden the notes are written to the browser's storage at once (the tab may be
    // discarded); while an input method composes text (in a notes textarea, or anywhere on the page), the relay's
    // notes frames wait, since writing the textarea would end the composition (notes::composing). The window's
    // `storage` event comes here too: another tab wrote the browser's storage, perhaps this session's notes copy
    // (notes::adopt_stored compares; docs/architecture.md says what that costs).
    let on_document = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let kind = js_sys::Reflect::get(&event, &"type".into())
                .ok()
                .and_then(|t| t.as_string());
            match kind.as_deref() {
                Some("compositionstart") => notes::composing(&shared, true),
                Some("compositionend") => notes::composing(&shared, false),
                Some("storage") => notes::adopt_stored(&shared),
                _ if document().visibility_state() == web_sys::VisibilityState::Visible => ping(&shared),
                _ => notes::persist_now(&shared),
            }
        })
    };
    let on_pagehide = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| notes::persist_now(&shared))
    };
    // Closing the tab with edits the relay has not stored asks first (they are kept in the browser either way).
    let on_beforeunload = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            notes::persist_now(&shared);
            if notes::has_unsynced(&shared) {
                if let Ok(event) = event.dyn_into::<BeforeUnloadEvent>() {
                    event.prevent_default();
                    event.set_return_value("Some notes are not saved yet.");
                }
            }
        })
    };
    // The browser knows first when the network goes: show it at once instead of waiting for a timeout, and
    // reconnect as soon as it is back instead of waiting for the next backoff step.
    let on_offline = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let ws = shared.borrow().ws.clone();
            if let Some(ws) = ws {
                // Offline, the closing handshake may never complete (and `close` never fire): let go of the socket
                // now and treat it as closed.
                ws.set_onclose(None);
                ws.set_onmessage(None);
                let _ = ws.close();
                closed(&shared, CLOSE_ABNORMAL, String::new());
            }
        })
    };
    let on_online = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            shared.borrow_mut().attempt = 0;
            open(&shared);
        })
    };
    let window = window();
    for name in DOCUMENT_EVENTS {
        let _ = document().add_event_listener_with_callback(name, on_document.as_ref().unchecked_ref());
    }
    let _ = window.add_event_listener_with_callback("storage", on_document.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("beforeunload", on_beforeunload.as_ref().unchecked_ref());
    let guard = SendWrapper::new((shared, on_document, on_pagehide, on_beforeunload, on_offline, on_online));
    on_cleanup(move || {
        let (shared, on_document, on_pagehide, on_beforeunload, on_offline, on_online) = guard.take();
        notes::persist_now(&shared);
        let window = leptos::prelude::window();
        for name in DOCUMENT_EVENTS {
            let _ = document().remove_event_listener_with_callback(name, on_document.as_ref().unchecked_ref());
        }
        let _ = window.remove_event_listener_with_callback("storage", on_document.as_ref().unchecked_ref());
        let _ = window.remove_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
        let _ = window.remove_event_listener_with_callback("beforeunload", on_beforeunload.as_ref().unchecked_ref());
        let _ = window.remove_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
        let _ = window.remove_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        let mut s = shared.borrow_mut();
        s.stopped = true;
        if let Some(p) = s.pinger.take() {
            p.clear();
        }
        if let Some(ws) = s.ws.take() {
            let _ = ws.close();
        }
        s.callbacks.clear();
    });
}

pub(crate) fn send(shared: &Rc<RefCell<Shared>>, msg: &ClientMsg) {
    let s = shared.borrow();
    let open = s.ws.as_ref().filter(|ws| ws.ready_state() == WebSocket::OPEN);
    match (open, serde_json::to_string(msg)) {
        (Some(ws), Ok(text)) => {
            let _ = ws.send_with_str(&text);
        }
        _ => s.live.show_notice("Not connected right now; try again in a moment."),
    }
}

fn open(shared: &Rc<RefCell<Shared>>) {
    // One socket at a time: a reconnect timer and an "online" event may both ask.
    if shared.borrow().ws.is_some() || shared.borrow().stopped {
        return;
    }
    let url = shared.borrow().url.clone();
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(_) => {
            schedule_reconnect(shared);
            return;
        }
    };
    let on_open = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            notes::on_open(&shared);
            let hello = shared.borrow().hello.clone();
            send(&shared, &hello);
            // A quick burst of pings settles the clock estimate, then a slow beat keeps it fresh.
            for delay in [0u64, 250, 600, 1200] {
                let shared = shared.clone();
                set_timeout(move || ping(&shared), Duration::from_millis(delay));
            }
            let beat = {
                let shared = shared.clone();
                set_interval_with_handle(move || ping(&shared), PING_EVERY).ok()
            };
            if let Some(old) = std::mem::replace(&mut shared.borrow_mut().pinger, beat) {
                old.clear();
            }
        })
    };
    let on_message = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let Some(data) = event.dyn_into::<MessageEvent>().ok().map(|e| e.data()) else {
                return;
            };
            if let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() {
                notes::on_frame(&shared, js_sys::Uint8Array::new(buffer).to_vec());
                return;
            }
            let Some(text) = data.as_string() else {
                return;
            };
            // Nothing after the session ended or the page was sent back to its workshop (whose `return` is followed
            // by the breakout's end, which must not take the page to the breakout's summary instead).
            if shared.borrow().stopped {
                return;
            }
            match serde_json::from_str::<ServerMsg>(&text) {
                Ok(msg) => handle(&shared, msg),
                Err(_) => leptos::logging::warn!("tandem: ignored a message this page does not understand"),
            }
        })
    };
    let on_close = {
        let shared = shared.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let (code, reason) = event
                .dyn_into::<CloseEvent>()
                .map(|e| (e.code(), e.reason()))
                .unwrap_or((CLOSE_ABNORMAL, String::new()));
            closed(&shared, code, reason);
        })
    };
    ws.set_binary_type(BinaryType::Arraybuffer);
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let mut s = shared.borrow_mut();
    s.callbacks = vec![on_open, on_message, on_close];
    s.ws = Some(ws);
}

/// The socket is gone (closed with `code`): stop pinging, then reconnect unless the close says not to (then its
/// `reason`, the relay's sentence for why, is what the page says: the session is full, was deleted, has ended).
fn closed(shared: &Rc<RefCell<Shared>>, code: u16, reason: String) {
    let (live, stopped) = {
        let mut s = shared.borrow_mut();
        if let Some(p) = s.pinger.take() {
            p.clear();
        }
        s.ws = None;
        (s.live, s.stopped)
    };
    notes::on_close(shared);
    if stopped {
        return;
    }
    match code {
        CLOSE_RELOAD => live.status.set(ConnStatus::Stopped(Close::Reload.reason().into())),
        CLOSE_GONE if !reason.is_empty() => live.status.set(ConnStatus::Stopped(reason)),
        CLOSE_GONE => live
            .status
            .set(ConnStatus::Stopped("This session is no longer available.".into())),
        _ => schedule_reconnect(shared),
    }
}

fn schedule_reconnect(shared: &Rc<RefCell<Shared>>) {
    let (live, attempt) = {
        let mut s = shared.borrow_mut();
        s.attempt += 1;
        (s.live, s.attempt)
    };
    live.status.set(ConnStatus::Reconnecting(attempt));
    // Exponential backoff from 0.5 s, capped, with ±50 % jitter so a restarted relay is not hit by everyone at once.
    let base = (500.0 * 2f64.powi(attempt.min(8) as i32 - 1)).min(MAX_BACKOFF_MS);
    let delay = base * (0.5 + js_sys::Math::random());
    let shared = shared.clone();
    set_timeout(
        move || {
            if !shared.borrow().stopped {
                open(&shared);
            }
        },
        Duration::from_millis(delay as u64),
    );
}

fn ping(shared: &Rc<RefCell<Shared>>) {
    let renew = {
        let mut s = shared.borrow_mut();
        s.beats += 1;
        s.beats.is_multiple_of(PRESENCE_EVERY_PINGS)
    };
    if renew {
        notes::renew_presence(shared);
    }
    let s = shared.borrow();
    if let Some(ws) = s.ws.as_ref().filter(|ws| ws.ready_state() == WebSocket::OPEN) {
        if let Ok(text) = serde_json::to_string(&ClientMsg::Ping {
            sent: js_sys::Date::now(),
        }) {
            let _ = ws.send_with_str(&text);
        }
    }
}

fn handle(shared: &Rc<RefCell<Shared>>, msg: ServerMsg) {
    let live = shared.borrow().live;
    match msg {
        ServerMsg::Welcome {
            you,
            capability,
            session,
            participants,
            rooms,
            now,
            feedback,
            private_notes,
            ..
        } => {
            {
                let mut s = shared.borrow_mut();
                s.attempt = 0;
                // Until pongs arrive, the welcome's timestamp is a fair first guess of the offset.
                if s.clock.is_empty() {
                    live.offset_ms.set(now as f64 - js_sys::Date::now());
                }
            }
            live.me.set(Some(you));
            live.capability.set(Some(capability));
            live.spec.set(Some(*session));
            live.participants.set(participants);
            // Feedback this person gave is stored: after a reload its form says so. What the welcome does not list
            // was not saved: a submission sent on a socket that is gone, or not sent (offline), may be sent again.
            live.submissions.update(|s| {
                *s = Default::default();
                for f in feedback.iter().filter(|f| f.from == you) {
                    s.insert(f.id.clone(), super::Submission::Saved);
                }
            });
            live.feedback.set(feedback);
            if let Some(main) = rooms.into_iter().find(|r| r.id == tandem_core::session::RoomId::MAIN) {
                live.room.set(Some(main.state));
            }
            live.status.set(ConnStatus::Live);
            notes::on_welcome(shared, you);
            notes::on_private_welcome(shared, private_notes);
        }
        ServerMsg::Presence { participants } => live.participants.set(participants),
        ServerMsg::Room { room, event, by } => {
            if room.id != tandem_core::session::RoomId::MAIN {
                return;
            }
            let newer = live
                .room
                .with_untracked(|r| r.as_ref().is_none_or(|r| r.version < room.state.version));
            if newer {
                live.room.set(Some(room.state));
                live.last_event.set(Some((event, by)));
            }
        }
        ServerMsg::Pong { sent, now } => {
            let mut s = shared.borrow_mut();
            s.clock.add(Sample {
                sent,
                relay: now as f64,
                received: js_sys::Date::now(),
            });
            if let Some(offset) = s.clock.offset() {
                live.offset_ms.set(offset);
            }
        }
        ServerMsg::Error { code, message } => {
            notes::on_error(shared, code);
            live.show_notice(&message);
        }
        ServerMsg::NotesSaved { frames } => notes::on_saved(shared, frames),
        ServerMsg::PrivateNoteSaved { section, rev } => notes::on_private_saved(shared, &section, rev),
        ServerMsg::PrivateNoteRefused {
            section, rev, message, ..
        } => notes::on_private_refused(shared, &section, rev, &message),
        ServerMsg::PrivateNoteChanged { section, text } => notes::on_private_changed(shared, &section, text),
        ServerMsg::FeedbackSaved { feedback } => {
            live.submissions.update(|s| {
                s.insert(feedback.id.clone(), super::Submission::Saved);
            });
            live.upsert_feedback(feedback);
        }
        ServerMsg::FeedbackRefused { id, message, errors } => live.submissions.update(|s| {
            s.insert(id, super::Submission::Refused { message, errors });
        }),
        ServerMsg::FeedbackReceived { feedback } => live.upsert_feedback(feedback),
        ServerMsg::Ended { at } => {
            shared.borrow_mut().stopped = true;
            live.ended.set(Some(at));
        }
        ServerMsg::Notice { text } => live.broadcast.set(Some(text)),
        ServerMsg::Return { to } => {
            // Back to the workshop: the round was called back, or the facilitator moved this person.
            shared.borrow_mut().stopped = true;
            if let Some(w) = web_sys::window() {
                let _ = w.location().replace(&to);
            }
        }
    }
}
