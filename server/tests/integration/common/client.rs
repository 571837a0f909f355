//! A tokio-tungstenite client speaking Tandem's protocol, with the waits a test needs (each bounded by 5 s).

use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg, PROTOCOL_VERSION};
use tandem_core::session::ParticipantKey;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A WebSocket client speaking Tandem's protocol.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Connects without saying hello.
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("upgrade");
        Client { ws }
    }

    /// Connects with an `Origin` header.
    pub async fn connect_with_origin(url: &str, origin: &str) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("origin", origin.parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Client { ws })
    }

    /// Sends a hello as `name` with `key` (current protocol version), without waiting for the answer.
    pub async fn hello(&mut self, name: &str, key: &str, role: Option<&str>) {
        self.send(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            participant_key: ParticipantKey(key.into()),
            name: name.into(),
            role: role.map(String::from),
            claim: None,
        })
        .await;
    }

    /// Connects and joins as `name` with `key`, returning the client and its welcome.
    pub async fn join(url: &str, name: &str, key: &str, role: Option<&str>) -> (Client, ServerMsg) {
        let mut c = Client::connect(url).await;
        c.hello(name, key, role).await;
        let welcome = c.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await;
        (c, welcome)
    }

    /// Sends a message as JSON text.
    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_raw(Message::text(serde_json::to_string(msg).unwrap())).await;
    }

    /// Sends any frame.
    pub async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.expect("send");
    }

    /// The next frame, or `None` on close/timeout.
    pub async fn next_frame(&mut self) -> Option<Message> {
        match tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await {
            Ok(Some(Ok(m))) => Some(m),
            _ => None,
        }
    }

    /// The next protocol message (pongs included).
    pub async fn recv(&mut self) -> ServerMsg {
        loop {
            match self.next_frame().await.expect("a message within 5 s") {
                Message::Text(t) => return serde_json::from_str(&t).expect("valid server message"),
                Message::Close(f) => panic!("closed: {f:?}"),
                _ => continue,
            }
        }
    }

    /// Reads until a message matching `pred` arrives (within 5 s each).
    pub async fn recv_until(&mut self, pred: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            let m = self.recv().await;
            if pred(&m) {
                return m;
            }
        }
    }

    /// Reads until a message matching `pred` arrives, waiting up to `patience` for each frame (the relay waits for a
    /// locked store, say).
    pub async fn recv_until_within(&mut self, patience: Duration, pred: impl Fn(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            match tokio::time::timeout(patience, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let m = serde_json::from_str(&t).expect("valid server message");
                    if pred(&m) {
                        return m;
                    }
                }
                Ok(Some(Ok(Message::Close(f)))) => panic!("closed: {f:?}"),
                Ok(Some(Ok(_))) => continue,
                other => panic!("nothing within {patience:?}: {other:?}"),
            }
        }
    }

    /// Reads until an error message arrives: its code and sentence.
    pub async fn error(&mut self) -> (ErrorCode, String) {
        match self.recv_until(|m| matches!(m, ServerMsg::Error { .. })).await {
            ServerMsg::Error { code, message } => (code, message),
            _ => unreachable!(),
        }
    }

    /// Reads until the connection closes, returning the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match self.next_frame().await {
                Some(Message::Close(f)) => return f.map(|f| f.code.into()),
                Some(_) => continue,
                None => return None,
            }
        }
    }

    /// Sends a ping and waits for its pong, returning what arrived before it. The pong comes from this connection's
    /// task, not from the session actor: it proves only that this connection's earlier messages are in the actor's
    /// queue (so whatever any connection sends afterwards is handled after them), not that the actor has handled
    /// them, nor anything about other connections' messages. Use [`Client::settled`] to wait until the actor has
    /// handled this connection's messages, and wait for the effect of another connection's message (a presence
    /// update, a room change) on the connection that observes it.
    pub async fn round_trip(&mut self) -> Vec<ServerMsg> {
        let sent = 42.5;
        self.send(&ClientMsg::Ping { sent }).await;
        let mut before = Vec::new();
        loop {
            match self.recv().await {
                ServerMsg::Pong { sent: s, .. } if s == sent => return before,
                other => before.push(other),
            }
        }
    }
}

impl Client {
    /// Sends a message the session actor itself answers (a private note for a section no session has) and waits for
    /// that answer, returning what arrived before it: every message this connection sent earlier has then been
    /// handled by the actor. (Messages of other connections are not ordered with it.)
    pub async fn settled(&mut self) -> Vec<ServerMsg> {
        const BARRIER: &str = "\u{0}settled";
        self.send(&ClientMsg::PrivateNote {
            section: BARRIER.into(),
            text: String::new(),
            rev: u64::MAX,
        })
        .await;
        let mut before = Vec::new();
        loop {
            match self.recv().await {
                ServerMsg::PrivateNoteRefused { section, .. } if section == BARRIER => return before,
                other => before.push(other),
            }
        }
    }
}
