//! Client addresses as the relay sees them. Every client of a run comes from 127.0.0.1, where Tandem's limits per
//! address (issue 19: sockets, requests, sessions created) would treat the whole run as one abuser. Tandem is
//! started with `--client-ip-header x-forwarded-for` (`.ci/bench`, the tests), as behind a reverse proxy, and each
//! honest client says it is a different address; each attack of `--attack` has an address of its own.

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// The header a reverse proxy would pass the client's address in.
pub const HEADER: &str = "x-forwarded-for";

/// A random private address (10.x.y.z) for one honest client or one session creation.
pub fn honest() -> String {
    let n: u32 = rand::random();
    format!("10.{}.{}.{}", (n >> 16) as u8, (n >> 8) as u8, n as u8 | 1)
}

/// The address of attack number `n` (192.0.2.0/24, the documentation range, which no honest client uses).
pub fn attacker(n: u8) -> String {
    format!("192.0.2.{n}")
}

/// A WebSocket request to `url` from `address`.
pub fn request(url: &str, address: &str) -> Result<Request, String> {
    let mut request = url.into_client_request().map_err(|e| format!("{url}: {e}"))?;
    if let Ok(value) = HeaderValue::from_str(address) {
        request.headers_mut().insert(HEADER, value);
    }
    Ok(request)
}
