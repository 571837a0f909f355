//! Test harness: a real server on port 0 with a SQLite file ([`TestServer`]), tokio-tungstenite clients
//! ([`Client`], and [`Page`] for a page with its notes logic), plain HTTP requests, and small message helpers.

mod client;
mod fixture;
mod http;
mod page;
mod workshop;

pub use client::Client;
pub use fixture::{create_session, parts, ws_url, Session, TestDb, TestServer, GOAL};
pub use http::{http_get, http_head, http_post_form, http_post_json};
pub use page::Page;
pub use workshop::{beside, member, propose, settings, Workshop, WorkshopClient};

use server::store::Store;
use std::collections::BTreeMap;
use tandem_core::protocol::{ClientMsg, ServerMsg};
use tandem_core::session::{Answer, FeedbackDraft, FeedbackId, ParticipantId, SessionId};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

/// A participant key for tests.
pub fn key(n: u8) -> String {
    format!("test-key-{n:02}-abcdefghijkl")
}

/// The participant a welcome says the connection is.
pub fn you(welcome: &ServerMsg) -> ParticipantId {
    match welcome {
        ServerMsg::Welcome { you, .. } => *you,
        other => panic!("not a welcome: {other:?}"),
    }
}

/// Feedback on `form` about `about`, with the id `id`, as a page submits it.
pub fn submit_feedback(form: &str, id: &str, about: ParticipantId, answers: BTreeMap<String, Answer>) -> ClientMsg {
    ClientMsg::SubmitFeedback {
        feedback: FeedbackDraft {
            id: FeedbackId(id.into()),
            form: form.into(),
            about,
            answers,
        },
    }
}

/// The text of `section` in the notes `store` holds for `session` ("" when it holds none).
pub async fn stored_text(store: &Store, session: &SessionId, section: &str) -> String {
    let state = store.notes(session).await.unwrap().unwrap_or_default();
    let doc = Doc::new();
    if !state.is_empty() {
        doc.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
    }
    tandem_core::notes::section_text(&doc, section)
}
