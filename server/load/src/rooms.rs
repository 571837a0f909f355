//! The rooms of a run, as WebSocket URLs: named rooms for the bare relay and y-websocket; for Tandem, sessions
//! created over HTTP the way the create page does it (the templates, then `create_session`), one per room, joined
//! on the `/yjs` endpoint (or with `--pages` the page socket `/ws`) with the participant link's token. The workshop
//! scenario creates its workshop with the same calls.

use crate::args::{Args, Target};
use serde::Deserialize;
use std::sync::Arc;
use tandem_core::session::SessionSettings;
use tandem_core::workshop::WorkshopSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// A template as the server lists it, its agenda kept as the JSON the server sent: the load generator sends it back
/// as it is, so it works against any build of the server whatever the agenda's fields are.
#[derive(Deserialize)]
struct ListedTemplate {
    id: String,
    phases: serde_json::Value,
}

/// The part of `create_session`'s answer the load generator uses: the links (`PUBLIC_URL/s/{id}?t={token}`, for a
/// workshop `PUBLIC_URL/w/{id}?t={token}`).
#[derive(Deserialize)]
pub struct CreatedSession {
    /// For the peers (a workshop's participants).
    pub participant_link: String,
    /// For the creator (a workshop's facilitator).
    pub host_link: String,
    /// Read-only.
    pub observer_link: String,
}

/// One WebSocket URL per room.
pub async fn room_urls(args: &Args) -> Result<Vec<String>, String> {
    // Fresh room names per run: y-websocket keeps a room's document as long as the process lives.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    match args.target {
        Target::Bare | Target::Ywebsocket => Ok((0..args.rooms)
            .map(|r| format!("ws://{}/bench-{run}-{r}", args.addr))
            .collect()),
        Target::Tandem => {
            let body = create_request(&args.addr, None).await?;
            let endpoint = if args.pages { "ws" } else { "yjs" };
            let gate = Arc::new(Semaphore::new(8));
            let mut handles = Vec::new();
            for _ in 0..args.rooms {
                let (addr, body, gate) = (args.addr.clone(), body.clone(), gate.clone());
                handles.push(tokio::spawn(async move {
                    let _permit = gate.acquire().await;
                    let created = create(&addr, &body).await?;
                    socket_url(&addr, &created.participant_link, "/s/", endpoint)
                }));
            }
            let mut urls = Vec::new();
            for h in handles {
                urls.push(h.await.map_err(|e| e.to_string())??);
            }
            Ok(urls)
        }
    }
}

/// The body of a `create_session` call for GROW's agenda as the server under test ships it: a pair session, or a
/// workshop with `workshop`'s settings.
pub async fn create_request(addr: &str, workshop: Option<&WorkshopSettings>) -> Result<String, String> {
    let templates: Vec<ListedTemplate> = serde_json::from_str(&http_post(addr, "/api/templates", "").await?)
        .map_err(|e| format!("templates answer: {e}"))?;
    let grow = templates
        .into_iter()
        .find(|t| t.id == "grow")
        .ok_or("the grow template is missing")?;
    Ok(serde_json::json!({
        "request": {
            "template_id": grow.id,
            "goal": "Relay benchmark",
            "phases": grow.phases,
            "settings": SessionSettings::default(),
            "workshop": workshop,
        }
    })
    .to_string())
}

/// Creates a session (or workshop) over `POST /api/create_session` with `body` (see [`create_request`]).
pub async fn create(addr: &str, body: &str) -> Result<CreatedSession, String> {
    serde_json::from_str(&http_post(addr, "/api/create_session", body).await?)
        .map_err(|e| format!("create_session answer: {e}"))
}

/// The socket URL `ws://{addr}/{endpoint}/{id}?t={token}` of a link whose path is `{kind}{id}?t={token}` (a
/// session's `/s/`, a workshop's `/w/`; a link may be absolute or a path and query).
pub fn socket_url(addr: &str, link: &str, kind: &str, endpoint: &str) -> Result<String, String> {
    let path = link
        .split(kind)
        .nth(1)
        .ok_or_else(|| format!("a link without {kind}: {link}"))?;
    let (id, token) = path
        .split_once("?t=")
        .ok_or_else(|| format!("a link without ?t=: {link}"))?;
    Ok(format!("ws://{addr}/{endpoint}/{id}?t={token}"))
}

/// A minimal HTTP/1.1 POST of a JSON body (a server function call) from an honest address of its own; the answer's
/// body (status 200 only).
async fn http_post(addr: &str, path: &str, body: &str) -> Result<String, String> {
    let (status, rest) = http_post_from(addr, path, body, &crate::address::honest()).await?;
    if !status.contains(" 200") {
        return Err(format!("POST {path}: {status}: {rest}"));
    }
    Ok(rest)
}

/// A minimal HTTP/1.1 POST of a JSON body from client address `from`: the status line and the body.
pub async fn http_post_from(addr: &str, path: &str, body: &str, from: &str) -> Result<(String, String), String> {
    let mut tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json\r\n\
         {}: {from}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        crate::address::HEADER,
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.map_err(|e| e.to_string())?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, rest) = answer.split_once("\r\n\r\n").ok_or("no HTTP header end")?;
    let status = head.lines().next().unwrap_or_default().to_string();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
            if n == 0 || tail.len() < n {
                break;
            }
            out.push_str(&tail[..n]);
            rest = tail[n..].trim_start_matches("\r\n");
        }
        return Ok((status, out));
    }
    Ok((status, rest.to_string()))
}
