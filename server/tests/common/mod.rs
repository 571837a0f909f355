//! Test harness: a real server on port 0 with a SQLite file, and a tokio-tungstenite client.
#![allow(dead_code)]

use app::api::{CreatedSession, NewSession};
use futures::{SinkExt, StreamExt};
use server::{launch_with_listener, Config, Running};
use std::path::Path;
use std::time::Duration;
use tandem_core::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use tandem_core::session::{ParticipantKey, SessionSettings};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Starts a server on 127.0.0.1:0 over the database file `db`.
pub async fn start(db: &Path) -> Running {
    let config = Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        database_url: format!("sqlite://{}", db.display()),
        site_root: "target/site".into(),
        workers: 0,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    launch_with_listener(config, listener, std::future::pending())
        .await
        .unwrap()
}

/// A plain HTTP/1.1 GET with `Connection: close`: (status, whole response). Panics, with what arrived so far,
/// when the response is not complete within 20 s, so that a server that stops answering fails the test instead
/// of hanging it.
pub async fn http_get(url: &str) -> (u16, String) {
    http_request("GET", url).await
}

/// [`http_get`] with `HEAD`: the status.
pub async fn http_head(url: &str) -> u16 {
    http_request("HEAD", url).await.0
}

async fn http_request(method: &str, url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut buf = Vec::new();
    let exchange = async {
        let mut s = TcpStream::connect(host).await.unwrap();
        let req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
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

/// Creates a GROW session with `settings` and returns its links.
pub async fn create(server: &Running, settings: SessionSettings) -> CreatedSession {
    create_with_goal(server, settings, "Get better at delegating").await
}

/// [`create`] with the session goal `goal`.
pub async fn create_with_goal(server: &Running, settings: SessionSettings, goal: &str) -> CreatedSession {
    let backend = server.state.backend.0.clone();
    let grow = backend.templates().into_iter().find(|t| t.id == "grow").unwrap();
    backend
        .create_session(NewSession {
            template_id: grow.id,
            goal: goal.into(),
            phases: grow.phases,
            settings,
        })
        .await
        .unwrap()
}

/// Splits a link into (session id, token).
pub fn parts(link: &str) -> (String, String) {
    let path = link.split("/s/").nth(1).unwrap();
    let (id, query) = path.split_once("?t=").unwrap();
    (id.to_string(), query.to_string())
}

/// The socket URL of a session link on `server`.
pub fn ws_url(server: &Running, link: &str) -> String {
    let (id, token) = parts(link);
    format!("ws://{}/ws/{id}?t={token}", server.addr)
}

/// The y-websocket endpoint (`/yjs`) for a link, as an official Yjs client would use it.
pub fn yjs_url(server: &Running, link: &str) -> String {
    let (id, token) = parts(link);
    format!("ws://{}/yjs/{id}?t={token}", server.addr)
}

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

/// A participant key for tests.
pub fn key(n: u8) -> String {
    format!("test-key-{n:02}-abcdefghijkl")
}

/// A Tandem page as the browser runs it: the session socket plus the browser's own notes logic
/// ([`tandem_core::notes::NotesDoc`]), frame counting and confirmations included.
pub struct Page {
    pub client: Client,
    pub me: tandem_core::session::ParticipantId,
    pub notes: tandem_core::notes::NotesDoc,
    pub texts: Vec<String>,
}

impl Page {
    /// Joins over `url` and completes the notes handshake (the relay's step 1 answered, our step 1 answered).
    pub async fn join(url: &str, name: &str, key: &str, notes: tandem_core::notes::NotesDoc) -> Page {
        let (client, welcome) = Client::join(url, name, key, None).await;
        let ServerMsg::Welcome { you, .. } = welcome else {
            unreachable!()
        };
        let mut page = Page {
            client,
            me: you,
            notes,
            texts: Vec::new(),
        };
        page.notes.connection_opened();
        page.until(|p| p.notes.handshake_done()).await;
        let step1 = page.notes.sync_step1();
        page.client.send_raw(Message::binary(step1)).await;
        page
    }

    /// Handles one frame from the relay; `false` when the connection is gone.
    pub async fn step(&mut self) -> bool {
        match self.client.next_frame().await {
            Some(Message::Binary(b)) => {
                if let Ok(r) = self.notes.receive(&b, None) {
                    if let Some(reply) = r.reply {
                        self.client.send_raw(Message::binary(reply)).await;
                    }
                }
                true
            }
            Some(Message::Text(t)) => {
                match serde_json::from_str::<ServerMsg>(&t) {
                    Ok(ServerMsg::NotesSaved { frames }) => self.notes.confirmed(frames),
                    Ok(ServerMsg::Error { message, .. }) => self.texts.push(message),
                    _ => {}
                }
                true
            }
            Some(Message::Close(_)) | None => false,
            Some(_) => true,
        }
    }

    /// Sends a ping and handles frames until its pong: everything the relay queued for this page before is handled
    /// (the pong comes from the connection's task: this page's earlier frames are in the actor's queue, not
    /// necessarily handled; see [`Client::round_trip`]).
    pub async fn round_trip(&mut self) {
        self.client.send(&ClientMsg::Ping { sent: 7.5 }).await;
        loop {
            match self.client.next_frame().await.expect("a frame within 5 s") {
                Message::Binary(b) => {
                    if let Ok(r) = self.notes.receive(&b, None) {
                        if let Some(reply) = r.reply {
                            self.client.send_raw(Message::binary(reply)).await;
                        }
                    }
                }
                Message::Text(t) => match serde_json::from_str::<ServerMsg>(&t) {
                    Ok(ServerMsg::Pong { sent: 7.5, .. }) => return,
                    Ok(ServerMsg::NotesSaved { frames }) => self.notes.confirmed(frames),
                    Ok(ServerMsg::Error { message, .. }) => self.texts.push(message),
                    _ => {}
                },
                Message::Close(f) => panic!("closed: {f:?}"),
                _ => {}
            }
        }
    }

    /// Handles frames until `done` holds (each frame within 5 s).
    pub async fn until(&mut self, done: impl Fn(&Page) -> bool) {
        while !done(self) {
            assert!(self.step().await, "connection closed while waiting");
        }
    }

    /// Sends a frame the notes logic produced, if any.
    pub async fn send(&mut self, frame: Option<Vec<u8>>) {
        if let Some(f) = frame {
            self.client.send_raw(Message::binary(f)).await;
        }
    }

    /// Types `text` as the new content of `section` and sends the edit.
    pub async fn type_text(&mut self, section: &str, text: &str) {
        let frame = self.notes.edit_text(section, text, None).expect("under the cap");
        self.send(frame).await;
    }
}
