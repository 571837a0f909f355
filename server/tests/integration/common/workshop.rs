//! A workshop page's socket as a test drives it (`/ws/w/{id}`), and a workshop created through the backend.

use super::{key, TestServer};
use app::api::NewSession;
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tandem_core::protocol::workshop::{WorkshopClientMsg, WorkshopServerMsg, WorkshopView};
use tandem_core::protocol::{ErrorCode, PROTOCOL_VERSION};
use tandem_core::session::{ParticipantId, ParticipantKey, SessionSettings};
use tandem_core::workshop::WorkshopSettings;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A workshop the fixture created: its id and three links (`PUBLIC_URL/w/{id}?t={token}`).
pub struct Workshop {
    pub id: String,
    pub host_link: String,
    pub participant_link: String,
    pub observer_link: String,
}

impl TestServer {
    /// Creates a GROW workshop with `settings`.
    pub async fn workshop(&self, settings: WorkshopSettings) -> Workshop {
        self.workshop_with_skills(settings, &[]).await.unwrap()
    }

    /// Creates a GROW workshop with `settings` about `skills`, or the backend's refusal.
    pub async fn workshop_with_skills(&self, settings: WorkshopSettings, skills: &[&str]) -> Result<Workshop, String> {
        let backend = self.state.backend.0.clone();
        let t = backend.templates().into_iter().find(|t| t.id == "grow").unwrap();
        let created = backend
            .create_session(NewSession {
                template_id: t.id,
                goal: "Practise coaching".into(),
                phases: t.phases,
                settings: SessionSettings::default(),
                workshop: Some(settings),
                skills: skills.iter().map(|s| s.to_string()).collect(),
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok(Workshop {
            id: created.id,
            host_link: created.host_link,
            participant_link: created.participant_link,
            observer_link: created.observer_link,
        })
    }

    /// The workshop socket URL of a workshop link on this server.
    pub fn wws(&self, link: &str) -> String {
        let path = link.split("/w/").nth(1).unwrap();
        let (id, token) = path.split_once("?t=").unwrap();
        format!("{}/ws/w/{id}?t={token}", self.url().replace("http://", "ws://"))
    }

    /// Joins a workshop over `link` as `name` with the test key `n`: the client and its welcome.
    pub async fn join_workshop(&self, link: &str, name: &str, n: u8) -> (WorkshopClient, WorkshopServerMsg) {
        let mut c = WorkshopClient::connect(&self.wws(link)).await;
        c.hello(name, n).await;
        let welcome = c.recv_until(|m| matches!(m, WorkshopServerMsg::Welcome { .. })).await;
        (c, welcome)
    }
}

/// A workshop page's socket.
pub struct WorkshopClient {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WorkshopClient {
    pub async fn connect(url: &str) -> WorkshopClient {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("upgrade");
        WorkshopClient { ws }
    }

    pub async fn hello(&mut self, name: &str, n: u8) {
        self.send(&WorkshopClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            participant_key: ParticipantKey(key(n)),
            name: name.into(),
        })
        .await;
    }

    pub async fn send(&mut self, msg: &WorkshopClientMsg) {
        self.ws
            .send(Message::text(serde_json::to_string(msg).unwrap()))
            .await
            .expect("send");
    }

    /// The next message (within 5 s).
    pub async fn recv(&mut self) -> WorkshopServerMsg {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("a message within 5 s");
            match frame {
                Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).expect("a workshop message"),
                Some(Ok(Message::Close(f))) => panic!("closed: {f:?}"),
                Some(Ok(_)) => continue,
                other => panic!("socket ended: {other:?}"),
            }
        }
    }

    pub async fn recv_until(&mut self, pred: impl Fn(&WorkshopServerMsg) -> bool) -> WorkshopServerMsg {
        loop {
            let m = self.recv().await;
            if pred(&m) {
                return m;
            }
        }
    }

    /// Reads views until one satisfies `pred`.
    pub async fn view_until(&mut self, pred: impl Fn(&WorkshopView) -> bool) -> WorkshopView {
        loop {
            match self.recv().await {
                WorkshopServerMsg::View { view } | WorkshopServerMsg::Welcome { view, .. } if pred(&view) => {
                    return view
                }
                _ => continue,
            }
        }
    }

    /// Reads until an error arrives.
    pub async fn error(&mut self) -> (ErrorCode, String) {
        match self.recv_until(|m| matches!(m, WorkshopServerMsg::Error { .. })).await {
            WorkshopServerMsg::Error { code, message } => (code, message),
            _ => unreachable!(),
        }
    }

    /// Reads until the connection closes: the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await {
                Ok(Some(Ok(Message::Close(f)))) => return f.map(|f| f.code.into()),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }
}

/// The address of `file` beside a workshop `link` (`/w/{id}/{file}?t=…`).
pub fn beside(link: &str, file: &str) -> String {
    let (path, query) = link.split_once('?').unwrap();
    format!("{path}/{file}?{query}")
}

/// The member id a workshop welcome names.
pub fn member(welcome: &WorkshopServerMsg) -> ParticipantId {
    match welcome {
        WorkshopServerMsg::Welcome { you, .. } => *you,
        other => panic!("not a welcome: {other:?}"),
    }
}

/// Workshop settings with `rounds` rounds, the rest as by default.
pub fn settings(rounds: u8) -> WorkshopSettings {
    WorkshopSettings {
        rounds,
        ..WorkshopSettings::default()
    }
}

/// Asks for the next round's proposal as the facilitator `host`: its groups and repeats.
pub async fn propose(host: &mut WorkshopClient) -> (tandem_core::workshop::Groups, u32) {
    host.send(&WorkshopClientMsg::Propose).await;
    match host
        .recv_until(|m| matches!(m, WorkshopServerMsg::Proposal { .. }))
        .await
    {
        WorkshopServerMsg::Proposal { groups, repeats } => (groups, repeats),
        _ => unreachable!(),
    }
}
