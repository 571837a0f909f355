//! Limits per client address: HTTP requests per second, sessions (and workshops) created per minute, and
//! WebSockets open at once. The rates are `governor`'s keyed GCRA limiters; the open sockets are counted here (a
//! count, not a rate). A refusal is HTTP 429 with `Retry-After` and a sentence a person can act on.
//!
//! Behind a reverse proxy every request comes from the proxy's address: `--client-ip-header` names the header the
//! proxy sets (e.g. `X-Forwarded-For`), and only then is it read (its last entry, the one the proxy added; a client
//! can put anything before it). Without the setting the header is ignored, so a client cannot pick its own key.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What each address may do; 0 turns a limit off.
#[derive(Clone, Debug)]
pub struct AddressQuotas {
    /// HTTP requests per second (pages, server functions, socket upgrades; not the site's files under `/pkg/`),
    /// with bursts of four seconds' worth.
    pub requests_per_second: u32,
    /// Sessions and workshops created per minute, all at once if need be.
    pub sessions_per_minute: u32,
    /// WebSockets open at once.
    pub sockets: usize,
    /// The header a trusted reverse proxy puts the client's address in.
    pub client_ip_header: Option<HeaderName>,
}

/// The limiters, shared by every request.
pub struct AddressLimits {
    quotas: AddressQuotas,
    requests: Option<DefaultKeyedRateLimiter<IpAddr>>,
    creations: Option<DefaultKeyedRateLimiter<IpAddr>>,
    sockets: Mutex<HashMap<IpAddr, usize>>,
}

/// An open WebSocket of one address, counted until it is dropped (the socket's task holds it).
pub struct SocketSlot {
    limits: Arc<AddressLimits>,
    ip: IpAddr,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self.limits.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

impl Clone for SocketSlot {
    /// Another hold on the same socket's place would count it twice: cloning takes a place of its own (axum's
    /// `Extension` needs `Clone`; the relay takes the slot out of the request once).
    fn clone(&self) -> Self {
        let mut open = self.limits.sockets.lock().unwrap_or_else(|e| e.into_inner());
        *open.entry(self.ip).or_default() += 1;
        SocketSlot {
            limits: self.limits.clone(),
            ip: self.ip,
        }
    }
}

impl AddressLimits {
    /// Limiters for `quotas`.
    pub fn new(quotas: AddressQuotas) -> Arc<AddressLimits> {
        let requests = NonZeroU32::new(quotas.requests_per_second).map(|rate| {
            let burst = NonZeroU32::new(rate.get().saturating_mul(4)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        let creations =
            NonZeroU32::new(quotas.sessions_per_minute).map(|rate| RateLimiter::keyed(Quota::per_minute(rate)));
        Arc::new(AddressLimits {
            quotas,
            requests,
            creations,
            sockets: Mutex::default(),
        })
    }

    /// Forgets addresses whose quota is full again (run now and then: the limiters keep one entry per address).
    pub fn forget_idle(&self) {
        for limiter in [&self.requests, &self.creations].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// The client's address: the trusted header's last entry if configured and readable, else the peer's.
    fn client_ip(&self, request: &Request) -> IpAddr {
        let from_header = self.quotas.client_ip_header.as_ref().and_then(|name| {
            let value = request.headers().get_all(name).iter().next_back()?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse().ok()
        });
        from_header
            .or_else(|| request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    /// Takes a place for a WebSocket of `ip`, if it has one left.
    fn socket_slot(self: &Arc<Self>, ip: IpAddr) -> Option<SocketSlot> {
        let mut open = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_default();
        if self.quotas.sockets != 0 && *n >= self.quotas.sockets {
            return None;
        }
        *n += 1;
        Some(SocketSlot {
            limits: self.clone(),
            ip,
        })
    }
}

/// Whether `limiter` (if any) lets `ip` go now; otherwise how long until it would.
fn admit(limiter: &Option<DefaultKeyedRateLimiter<IpAddr>>, ip: IpAddr) -> Result<(), Duration> {
    match limiter {
        Some(limiter) => limiter
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now())),
        None => Ok(()),
    }
}

/// HTTP 429 with `Retry-After` (whole seconds, at least 1) and `message`; for a server function (`api`) in the form
/// its caller reads errors in (`ServerError|…`, as server_fn encodes them), so that the page shows the sentence.
fn too_many(wait: Duration, message: &str, api: bool) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let text = format!("{message} Try again in {seconds} s.");
    let body = if api { format!("ServerError|{text}") } else { text };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The middleware: every request counts against its address's request rate; creating a session against the
/// creation rate; a socket upgrade takes one of the address's socket places (put in the request's extensions as a
/// [`SocketSlot`] for the socket to hold).
pub async fn per_address(State(limits): State<Arc<AddressLimits>>, mut request: Request, next: Next) -> Response {
    let ip = limits.client_ip(&request);
    let path = request.uri().path();
    let api = path.starts_with("/api/");
    // The site's files (wasm, JS, CSS: fixed, precompressed, cached by browsers) do not count: a workshop room
    // behind one office address loads a dozen of them per person at the same moment.
    let counted = !path.starts_with("/pkg/");
    if let Err(wait) = admit(if counted { &limits.requests } else { &None }, ip) {
        return too_many(wait, "Too many requests from your network.", api);
    }
    if request.method() == Method::POST && path == "/api/create_session" {
        if let Err(wait) = admit(&limits.creations, ip) {
            return too_many(wait, "Too many sessions were created from your network just now.", api);
        }
    }
    if ["/ws/", "/yjs/"].iter().any(|prefix| path.starts_with(prefix)) {
        match limits.socket_slot(ip) {
            Some(slot) => {
                request.extensions_mut().insert(slot);
            }
            None => {
                return too_many(
                    Duration::from_secs(5),
                    "Too many live connections from your network; close some Tandem tabs.",
                    false,
                )
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(forwarded: Option<&str>, peer: &str) -> Request {
        let mut builder = Request::builder().uri("/");
        if let Some(value) = forwarded {
            builder = builder.header("x-forwarded-for", value);
        }
        let mut request = builder.body(axum::body::Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        request
    }

    fn limits(header: Option<&str>) -> Arc<AddressLimits> {
        AddressLimits::new(AddressQuotas {
            requests_per_second: 1,
            sessions_per_minute: 1,
            sockets: 2,
            client_ip_header: header.map(|h| HeaderName::from_bytes(h.as_bytes()).unwrap()),
        })
    }

    #[test]
    fn the_forwarded_address_counts_only_when_its_header_is_trusted() {
        let untrusting = limits(None);
        let r = request(Some("203.0.113.9"), "10.0.0.1:5000");
        assert_eq!(untrusting.client_ip(&r), "10.0.0.1".parse::<IpAddr>().unwrap());
        let trusting = limits(Some("x-forwarded-for"));
        // The proxy appends the address it saw; whatever the client sent comes before.
        let r = request(Some("198.51.100.7, 203.0.113.9"), "10.0.0.1:5000");
        assert_eq!(trusting.client_ip(&r), "203.0.113.9".parse::<IpAddr>().unwrap());
        let r = request(Some("not an address"), "10.0.0.1:5000");
        assert_eq!(trusting.client_ip(&r), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn socket_places_are_counted_per_address_and_given_back() {
        let limits = limits(None);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = limits.socket_slot(a).unwrap();
        let second = limits.socket_slot(a).unwrap();
        assert!(limits.socket_slot(a).is_none(), "two at most");
        assert!(limits.socket_slot(b).is_some(), "another address has its own");
        drop(first);
        let third = limits.socket_slot(a).expect("a place was given back");
        drop((second, third));
        assert!(
            limits.sockets.lock().unwrap().is_empty(),
            "nothing kept for addresses with none open"
        );
    }

    #[test]
    fn a_refusal_says_when_to_retry() {
        let limits = limits(None);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(admit(&limits.creations, ip).is_ok());
        let wait = admit(&limits.creations, ip).unwrap_err();
        assert!(wait > Duration::from_secs(50), "one a minute: {wait:?}");
        let response = too_many(wait, "Slow down.", false);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "60");
    }
}
