//! The workshop page's socket (`/ws/w/{id}`): the hello, the relay's messages into signals, pings, and a reconnect
//! with backoff unless the relay said to stop (removed, ended, another version).

use leptos::prelude::*;
use tandem_core::protocol::workshop::{
    BreakoutStatus, WorkshopClientMsg, WorkshopInfo, WorkshopServerMsg, WorkshopView,
};
use tandem_core::session::{Capability, ParticipantId};
use tandem_core::workshop::Groups;

/// Whether the page is connected.
#[derive(Clone, Debug, PartialEq)]
pub enum Link {
    /// Opening (or before the name is given).
    Connecting,
    /// Connected and welcomed.
    Live,
    /// Lost; trying again (attempt n).
    Reconnecting(u32),
    /// The relay said to stop; the sentence says why.
    Stopped(String),
}

/// The workshop as the page knows it, as signals.
#[derive(Clone, Copy)]
pub struct WorkshopLive {
    /// The connection.
    pub link: RwSignal<Link>,
    /// The viewer's member id.
    pub you: RwSignal<Option<ParticipantId>>,
    /// What the viewer's link allows (from the welcome).
    pub capability: RwSignal<Option<Capability>>,
    /// The workshop as created.
    pub info: RwSignal<Option<WorkshopInfo>>,
    /// The workshop as the viewer may see it.
    pub view: RwSignal<Option<WorkshopView>>,
    /// The facilitator's proposal for the next round, as edited, and its repeats when proposed.
    pub proposal: RwSignal<Option<(Groups, u32)>>,
    /// The open round's breakouts (facilitator and observers).
    pub dashboard: RwSignal<Vec<BreakoutStatus>>,
    /// A move the facilitator has chosen on the dashboard and not yet made: (who, to which breakout). Kept here, not
    /// in the list, so that the dashboard redrawn (someone arrives or leaves) keeps the choice.
    pub moving: RwSignal<Option<(ParticipantId, usize)>>,
    /// Relay clock minus local clock, in ms.
    pub offset_ms: RwSignal<f64>,
    /// The relay's last refusal, shown until the next action.
    pub error: RwSignal<Option<String>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    socket: StoredValue<Option<imp::Handle>, LocalStorage>,
}

impl WorkshopLive {
    pub fn new() -> Self {
        WorkshopLive {
            link: RwSignal::new(Link::Connecting),
            you: RwSignal::new(None),
            capability: RwSignal::new(None),
            info: RwSignal::new(None),
            view: RwSignal::new(None),
            proposal: RwSignal::new(None),
            dashboard: RwSignal::new(Vec::new()),
            moving: RwSignal::new(None),
            offset_ms: RwSignal::new(0.0),
            error: RwSignal::new(None),
            socket: StoredValue::new_local(None),
        }
    }

    /// Sends a command; refusals come back as [`WorkshopLive::error`].
    pub fn send(&self, msg: WorkshopClientMsg) {
        self.error.set(None);
        #[cfg(feature = "hydrate")]
        self.socket.with_value(|s| match s {
            Some(handle) if imp::send(handle, &msg) => {}
            _ => self
                .error
                .set(Some("Not connected right now; try again in a moment.".into())),
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = msg;
    }

    /// Relay time now, by the page's estimate.
    pub fn relay_now(&self) -> i64 {
        #[cfg(feature = "hydrate")]
        {
            (js_sys::Date::now() + self.offset_ms.get_untracked()) as i64
        }
        #[cfg(not(feature = "hydrate"))]
        0
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn handle(&self, msg: WorkshopServerMsg) {
        match msg {
            WorkshopServerMsg::Welcome {
                you,
                capability,
                info,
                view,
                now,
                ..
            } => {
                self.you.set(Some(you));
                self.capability.set(Some(capability));
                self.info.set(Some(*info));
                self.view.set(Some(view));
                self.set_clock(now);
                self.link.set(Link::Live);
            }
            WorkshopServerMsg::View { view } => {
                // A round opened or closed: a proposal made before it is stale.
                if self
                    .view
                    .with_untracked(|v| v.as_ref().map(|v| (v.stage, v.rounds_done)))
                    != Some((view.stage, view.rounds_done))
                {
                    self.proposal.set(None);
                }
                self.view.set(Some(view));
            }
            WorkshopServerMsg::Proposal { groups, repeats } => {
                // The relay's echo of this page's own change: the page shows it already.
                let proposal = Some((groups, repeats));
                if self.proposal.with_untracked(|p| p != &proposal) {
                    self.proposal.set(proposal);
                }
            }
            WorkshopServerMsg::Dashboard { breakouts, now } => {
                self.set_clock(now);
                self.dashboard.set(breakouts);
            }
            WorkshopServerMsg::Pong { now, .. } => self.set_clock(now),
            WorkshopServerMsg::Error { message, .. } => {
                // Shown for a while, then gone unless another refusal replaced it.
                let error = self.error;
                let shown = message.clone();
                set_timeout(
                    move || {
                        if error.get_untracked().as_ref() == Some(&shown) {
                            error.set(None);
                        }
                    },
                    std::time::Duration::from_secs(8),
                );
                error.set(Some(message));
            }
        }
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn set_clock(&self, relay_now: i64) {
        #[cfg(feature = "hydrate")]
        self.offset_ms.set(relay_now as f64 - js_sys::Date::now());
        #[cfg(not(feature = "hydrate"))]
        let _ = relay_now;
    }
}

/// Opens the workshop's socket and keeps it open.
pub fn connect(live: WorkshopLive, id: &str, token: &str, hello: WorkshopClientMsg) {
    #[cfg(feature = "hydrate")]
    {
        let handle = imp::open_socket(live, id, token, hello);
        live.socket.set_value(Some(handle));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (live, id, token, hello);
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::*;
    use leptos::wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    use tandem_core::protocol::{Close, CLOSE_ABNORMAL, CLOSE_GONE, CLOSE_RELOAD};
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    pub struct Socket {
        live: WorkshopLive,
        url: String,
        hello: WorkshopClientMsg,
        ws: Option<WebSocket>,
        attempt: u32,
        stopped: bool,
        /// The last refusal before a close: why the relay closed (removed, ended).
        last_error: Option<String>,
        /// When the relay was last heard (`Date.now()`): a connection silent for longer than [`SILENT_MS`] is
        /// dead (the network went away without a close) and is replaced.
        heard: f64,
        callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
    }

    pub type Handle = Rc<RefCell<Socket>>;

    /// Pings go every 3 s and are answered at once: 10 s without a word means the connection is gone.
    const SILENT_MS: f64 = 10_000.0;

    pub fn open_socket(live: WorkshopLive, id: &str, token: &str, hello: WorkshopClientMsg) -> Handle {
        let location = web_sys::window().map(|w| w.location());
        let scheme = match location.as_ref().and_then(|l| l.protocol().ok()).as_deref() {
            Some("https:") => "wss",
            _ => "ws",
        };
        let host = location.and_then(|l| l.host().ok()).unwrap_or_default();
        let url = format!(
            "{scheme}://{host}{}?t={}",
            tandem_core::protocol::workshop::workshop_socket_path(id),
            js_sys::encode_uri_component(token)
        );
        let handle = Rc::new(RefCell::new(Socket {
            live,
            url,
            hello,
            ws: None,
            attempt: 0,
            stopped: false,
            last_error: None,
            heard: js_sys::Date::now(),
            callbacks: Vec::new(),
        }));
        open(&handle);
        let pinger = handle.clone();
        let _ = set_interval_with_handle(
            move || {
                let now = js_sys::Date::now();
                let dead = {
                    let s = pinger.borrow();
                    s.ws.as_ref().is_some_and(|ws| ws.ready_state() == WebSocket::OPEN) && now - s.heard > SILENT_MS
                };
                if dead {
                    let ws = pinger.borrow_mut().ws.take();
                    if let Some(ws) = ws {
                        // Its close event would come late or never: reconnect now.
                        ws.set_onclose(None);
                        let _ = ws.close();
                        reconnect_later(&pinger);
                    }
                    return;
                }
                let _ = send(&pinger, &WorkshopClientMsg::Ping { sent: now });
            },
            Duration::from_secs(3),
        );
        handle
    }

    pub fn send(handle: &Handle, msg: &WorkshopClientMsg) -> bool {
        let s = handle.borrow();
        match (s.ws.as_ref(), serde_json::to_string(msg)) {
            (Some(ws), Ok(text)) if ws.ready_state() == WebSocket::OPEN => ws.send_with_str(&text).is_ok(),
            _ => false,
        }
    }

    fn open(handle: &Handle) {
        if handle.borrow().ws.is_some() || handle.borrow().stopped {
            return;
        }
        let url = handle.borrow().url.clone();
        let Ok(ws) = WebSocket::new(&url) else {
            reconnect_later(handle);
            return;
        };
        let on_open = {
            let handle = handle.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                handle.borrow_mut().heard = js_sys::Date::now();
                let hello = handle.borrow().hello.clone();
                send(&handle, &hello);
            })
        };
        let on_message = {
            let handle = handle.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let Some(text) = event.dyn_into::<MessageEvent>().ok().and_then(|e| e.data().as_string()) else {
                    return;
                };
                let Ok(msg) = serde_json::from_str::<WorkshopServerMsg>(&text) else {
                    return;
                };
                let live = {
                    let mut s = handle.borrow_mut();
                    s.heard = js_sys::Date::now();
                    if let WorkshopServerMsg::Error { message, .. } = &msg {
                        s.last_error = Some(message.clone());
                    }
                    if matches!(msg, WorkshopServerMsg::Welcome { .. }) {
                        s.attempt = 0;
                        s.last_error = None;
                    }
                    s.live
                };
                live.handle(msg);
            })
        };
        let on_close = {
            let handle = handle.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let code = event
                    .dyn_into::<CloseEvent>()
                    .map(|e| e.code())
                    .unwrap_or(CLOSE_ABNORMAL);
                closed(&handle, code);
            })
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut s = handle.borrow_mut();
        s.callbacks = vec![on_open, on_message, on_close];
        s.ws = Some(ws);
    }

    fn closed(handle: &Handle, code: u16) {
        let (live, why) = {
            let mut s = handle.borrow_mut();
            s.ws = None;
            (s.live, s.last_error.clone())
        };
        match code {
            CLOSE_RELOAD => {
                handle.borrow_mut().stopped = true;
                live.link.set(Link::Stopped(Close::Reload.reason().into()));
            }
            CLOSE_GONE => {
                handle.borrow_mut().stopped = true;
                live.link.set(Link::Stopped(
                    why.unwrap_or_else(|| "This workshop is no longer available.".into()),
                ));
            }
            _ => reconnect_later(handle),
        }
    }

    fn reconnect_later(handle: &Handle) {
        let (live, attempt) = {
            let mut s = handle.borrow_mut();
            s.attempt += 1;
            (s.live, s.attempt)
        };
        live.link.set(Link::Reconnecting(attempt));
        let base = (500.0 * 2f64.powi(attempt.min(6) as i32 - 1)).min(15_000.0);
        let delay = base * (0.5 + js_sys::Math::random());
        let handle = handle.clone();
        set_timeout(move || open(&handle), Duration::from_millis(delay as u64));
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    pub type Handle = ();
}
