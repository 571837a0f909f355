//! Plain HTTP/1.1 requests with `Connection: close`, written by hand so that a test sees the exact status and
//! headers the server sends (no client library that follows redirects or decodes bodies).

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A GET: (status, whole response). Panics, with what arrived so far, when the response is not complete within
/// 20 s, so that a server that stops answering fails the test instead of hanging it.
pub async fn http_get(url: &str) -> (u16, String) {
    http_request("GET", url, None).await
}

/// [`http_get`] with `HEAD`: the status.
pub async fn http_head(url: &str) -> u16 {
    http_request("HEAD", url, None).await.0
}

/// A POST of the JSON `body` that asks for JSON back (as a server function call does): (status, whole response),
/// bounded like [`http_get`].
pub async fn http_post_json(url: &str, body: &str) -> (u16, String) {
    http_request("POST", url, Some(("application/json", body))).await
}

/// POSTs an HTML form's fields (`application/x-www-form-urlencoded`), as a browser submits it.
pub async fn http_post_form(url: &str, body: &str) -> (u16, String) {
    http_request("POST", url, Some(("application/x-www-form-urlencoded", body))).await
}

async fn http_request(method: &str, url: &str, body: Option<(&str, &str)>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let request = match body {
        None => format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        Some((content_type, body)) => format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nAccept: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    };
    let mut buf = Vec::new();
    let exchange = async {
        let mut s = TcpStream::connect(host).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut chunk = [0u8; 8192];
        loop {
            match s.read(&mut chunk).await.unwrap() {
                0 => break,
                n => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(20), exchange).await.is_err() {
        panic!(
            "{method} {url}: no complete answer within 20 s; {} bytes arrived: {}",
            buf.len(),
            String::from_utf8_lossy(&buf)
        );
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (status, text)
}
