//! The workshop's own socket (`/ws/w/{id}?t=TOKEN`) as the bench drives it: the hello and welcome, keeping the
//! socket open with pings while waiting for a message, and the facilitator's reading of the dashboard.

use crate::page::PING_EVERY;
use crate::shared::Shared;
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tandem_core::protocol::workshop::{WorkshopClientMsg, WorkshopServerMsg};
use tandem_core::protocol::PROTOCOL_VERSION;
use tandem_core::session::{ParticipantId, ParticipantKey};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a lobby step may take (the lobby of 100 people, the facilitator's commands).
const STEP: Duration = Duration::from_secs(60);

/// A page's socket to the workshop.
pub struct Lobby {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_ping: Instant,
    /// Origin of the pings' clock.
    base: Instant,
}

impl Lobby {
    /// Connects to `url`, says hello with `key` as `name` and waits for the welcome: the socket and the member id.
    pub async fn join(url: &str, key: &ParticipantKey, name: &str) -> Result<(Lobby, ParticipantId), String> {
        let request = crate::address::request(url, &crate::address::honest())?;
        let (ws, _) = tokio::time::timeout(STEP, tokio_tungstenite::connect_async(request))
            .await
            .map_err(|_| "workshop socket: connect timed out".to_string())?
            .map_err(|e| format!("workshop socket: {e}"))?;
        let now = Instant::now();
        let mut lobby = Lobby {
            ws,
            next_ping: now + PING_EVERY,
            base: now,
        };
        lobby
            .send(&WorkshopClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
                participant_key: key.clone(),
                name: name.to_string(),
            })
            .await?;
        let you = lobby
            .wait(|m| match m {
                WorkshopServerMsg::Welcome { you, .. } => Some(you),
                _ => None,
            })
            .await?;
        Ok((lobby, you))
    }

    /// Sends a message.
    pub async fn send(&mut self, msg: &WorkshopClientMsg) -> Result<(), String> {
        let json = serde_json::to_string(msg).map_err(|e| e.to_string())?;
        self.ws
            .send(Message::text(json))
            .await
            .map_err(|e| format!("workshop socket: {e}"))
    }

    /// The next message that `pick` takes (within a minute), pinging every 3 s meanwhile.
    pub async fn wait<T>(&mut self, mut pick: impl FnMut(WorkshopServerMsg) -> Option<T>) -> Result<T, String> {
        let deadline = Instant::now() + STEP;
        loop {
            let text = tokio::select! {
                msg = self.ws.next() => match msg {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(close))) => return Err(format!("workshop socket closed: {close:?}")),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(format!("workshop socket: {e}")),
                    None => return Err("workshop socket ended".into()),
                },
                _ = tokio::time::sleep_until(self.next_ping) => {
                    self.ping().await?;
                    continue;
                }
                _ = tokio::time::sleep_until(deadline) => return Err("workshop socket: nothing in time".into()),
            };
            match serde_json::from_str::<WorkshopServerMsg>(&text) {
                Ok(WorkshopServerMsg::Error { message, .. }) => return Err(format!("workshop refused: {message}")),
                Ok(msg) => {
                    if let Some(t) = pick(msg) {
                        return Ok(t);
                    }
                }
                // A message this build does not know is not one that `pick` waits for.
                Err(_) => {}
            }
        }
    }

    /// The facilitator's side during the run: reads every dashboard and settles the breakouts' phase changes it
    /// shows, pinging every 3 s, until `stop` resolves.
    pub async fn watch_dashboard(mut self, shared: &Shared, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                msg = self.ws.next() => {
                    let Some(Ok(msg)) = msg else {
                        eprintln!("tandem-load: the facilitator's workshop socket ended");
                        return;
                    };
                    let Message::Text(text) = msg else { continue };
                    if !text.starts_with(r#"{"dashboard""#) {
                        continue;
                    }
                    let now = shared.now_ns();
                    if let Ok(WorkshopServerMsg::Dashboard { breakouts, .. }) = serde_json::from_str(&text) {
                        shared.phases.dashboards.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        for b in breakouts {
                            if let (Some(room), Some(i)) = (&b.room, b.number.checked_sub(1)) {
                                shared.phases.shown(i, room.version, now);
                            }
                        }
                    }
                }
                _ = tokio::time::sleep_until(self.next_ping) => {
                    if self.ping().await.is_err() {
                        eprintln!("tandem-load: the facilitator's ping failed");
                        return;
                    }
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }

    /// Closes the socket (a page that leaves the workshop page for its breakout).
    pub async fn leave(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }

    async fn ping(&mut self) -> Result<(), String> {
        self.next_ping += PING_EVERY;
        let sent = self.base.elapsed().as_secs_f64() * 1000.0;
        self.send(&WorkshopClientMsg::Ping { sent }).await
    }
}
