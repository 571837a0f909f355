//! A Tandem page as the browser runs it: the session socket plus the browser's own notes logic.

use super::Client;
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::{ClientMsg, ServerMsg};
use tandem_core::session::ParticipantId;
use tokio_tungstenite::tungstenite::Message;

/// A Tandem page as the browser runs it: the session socket plus the browser's own notes logic
/// ([`NotesDoc`]), frame counting and confirmations included.
pub struct Page {
    pub client: Client,
    pub me: ParticipantId,
    pub notes: NotesDoc,
    /// The error messages the relay sent, in order.
    pub texts: Vec<String>,
}

impl Page {
    /// Joins over `url` and completes the notes handshake (the relay's step 1 answered, our step 1 answered).
    pub async fn join(url: &str, name: &str, key: &str, notes: NotesDoc) -> Page {
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
            Some(Message::Close(_)) | None => false,
            Some(frame) => {
                self.handle(frame).await;
                true
            }
        }
    }

    /// Sends a ping and handles frames until its pong: everything the relay queued for this page before is handled
    /// (the pong comes from the connection's task: this page's earlier frames are in the actor's queue, not
    /// necessarily handled; see [`Client::round_trip`]).
    pub async fn round_trip(&mut self) {
        const SENT: f64 = 7.5;
        self.client.send(&ClientMsg::Ping { sent: SENT }).await;
        loop {
            match self.client.next_frame().await.expect("a frame within 5 s") {
                Message::Close(f) => panic!("closed: {f:?}"),
                frame => {
                    if self.handle(frame).await == Some(SENT) {
                        return;
                    }
                }
            }
        }
    }

    /// Does what the page does with a frame: notes frames go to the notes logic (its reply, if any, is sent),
    /// confirmations confirm, error messages are kept in `texts`. Returns the `sent` time of a pong.
    async fn handle(&mut self, frame: Message) -> Option<f64> {
        match frame {
            Message::Binary(b) => {
                if let Ok(r) = self.notes.receive(&b, None) {
                    self.send(r.reply).await;
                }
                None
            }
            Message::Text(t) => match serde_json::from_str::<ServerMsg>(&t) {
                Ok(ServerMsg::Pong { sent, .. }) => Some(sent),
                Ok(ServerMsg::NotesSaved { frames }) => {
                    self.notes.confirmed(frames);
                    None
                }
                Ok(ServerMsg::Error { message, .. }) => {
                    self.texts.push(message);
                    None
                }
                _ => None,
            },
            _ => None,
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
