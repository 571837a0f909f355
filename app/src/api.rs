//! Server functions: create a session, list templates, read a summary; and what the session page opens with. The
//! functions run on the relay, which provides a [`Backend`] through context; the browser calls them over HTTP.

use leptos::prelude::*;
use leptos::server_fn::codec::{Json, Post};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tandem_core::session::{
    Capability, Millis, ParticipantView, PhaseSpec, SessionSettings, SessionSpec, Summary, Template,
};

#[cfg(feature = "ssr")]
mod backend;
#[cfg(feature = "ssr")]
pub use backend::{Backend, BackendError, BackendHandle};

/// What the create page sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSession {
    /// The template picked.
    pub template_id: String,
    /// The goal typed by the creator (may be empty).
    pub goal: String,
    /// The agenda as edited.
    pub phases: Vec<PhaseSpec>,
    /// Settings chosen.
    pub settings: SessionSettings,
    /// A workshop for a group instead of a pair session: the agenda above is what each breakout runs.
    #[serde(default)]
    pub workshop: Option<tandem_core::workshop::WorkshopSettings>,
    /// The skills the workshop is about (issue 17): at most 40, each up to 40 characters; none for a pair session.
    #[serde(default)]
    pub skills: Vec<String>,
}

/// The three links of a new session, as absolute URLs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedSession {
    /// The session's id.
    pub id: String,
    /// For the peer(s): join and take part.
    pub participant_link: String,
    /// For the creator: host controls.
    pub host_link: String,
    /// Read-only.
    pub observer_link: String,
}

/// What a valid link opens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkInfo {
    /// The session as created.
    pub session: SessionSpec,
    /// What the link allows.
    pub capability: Capability,
    /// How many people have joined so far.
    pub joined: u32,
    /// Who has joined so far, with their roles (all shown offline: the page is rendered once, so the join form
    /// does not learn of people who join while it is open).
    #[serde(default)]
    pub people: Vec<ParticipantView>,
    /// For the host only: the links to share.
    #[serde(default)]
    pub share: Option<ShareLinks>,
    /// When the session ended, if it did.
    #[serde(default)]
    pub ended_at: Option<Millis>,
}

/// Links a host can hand out from inside the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLinks {
    /// Join and take part.
    pub participant_link: String,
    /// Read-only.
    pub observer_link: String,
}

/// What the session page opens with. The relay looks the link up before it renders the page (an axum middleware
/// puts this in the request's extensions), the page writes it into the HTML as JSON ([`LINK_SCRIPT_ID`]) and the
/// browser reads it back when it hydrates: the session page needs no server function, resource or `<Suspense>`
/// (their code, ~28 KB gzipped, stays in the lazy pages' wasm; docs/performance.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OpenedLink {
    /// A valid link.
    Open(Box<LinkInfo>),
    /// Unknown session, wrong or missing token (HTTP 404).
    Invalid,
    /// Storage failed (HTTP 503): worth trying again.
    Unavailable,
}

/// What a workshop's page opens with (`/w/{id}?t=TOKEN`), looked up before it renders like a session's link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OpenedWorkshop {
    /// A valid link.
    Open(Box<WorkshopLink>),
    /// Unknown workshop, wrong or missing token (HTTP 404).
    Invalid,
    /// Storage failed (HTTP 503).
    Unavailable,
}

/// What a valid workshop link opens. In the page's HTML a row (a JSON array, the fields in this order) rather than an
/// object: the page's reader for a row is a fraction of an object's (no field names to match), as for the
/// workshop's breakouts (docs/workshops.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "LinkRow", into = "LinkRow")]
pub struct WorkshopLink {
    /// What the link allows: the facilitator's (host), everyone's (participant) or the observers'.
    pub capability: Capability,
    /// The format each breakout runs.
    pub format: String,
    /// The facilitator's goal.
    pub goal: String,
    /// For the facilitator only: the links to hand out (participant, observer).
    pub share: Option<ShareLinks>,
    /// For the facilitator only: their own link.
    pub host_link: Option<String>,
    /// Whether the workshop has ended.
    pub ended: bool,
    /// Whether the workshop lists skills (issue 17): its page links to the skills page.
    pub skills: bool,
}

/// [`WorkshopLink`] as its row.
type LinkRow = (
    Capability,
    String,
    String,
    Option<ShareLinks>,
    Option<String>,
    bool,
    bool,
);

impl From<LinkRow> for WorkshopLink {
    fn from((capability, format, goal, share, host_link, ended, skills): LinkRow) -> Self {
        WorkshopLink {
            capability,
            format,
            goal,
            share,
            host_link,
            ended,
            skills,
        }
    }
}

impl From<WorkshopLink> for LinkRow {
    fn from(l: WorkshopLink) -> Self {
        (l.capability, l.format, l.goal, l.share, l.host_link, l.ended, l.skills)
    }
}

/// The id of the `<script type="application/json">` that carries the workshop page's [`OpenedWorkshop`].
pub const WORKSHOP_SCRIPT_ID: &str = "tandem-workshop";

/// The id of the `<script type="application/json">` that carries the session page's [`OpenedLink`].
pub const LINK_SCRIPT_ID: &str = "tandem-link";

/// Data a page carries in its HTML (a `<script type="application/json">`, written by the server, read back by the
/// browser when it hydrates): `value` as JSON with `<` escaped, so that no text in it can close the script element.
pub fn page_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default().replace('<', "\\u003c")
}

/// In the browser: the text of the page's `<script>` with `id` (written by [`page_json`]), empty if there is none.
#[cfg(feature = "hydrate")]
pub fn page_script(id: &str) -> String {
    leptos::prelude::document()
        .get_element_by_id(id)
        .and_then(|el| el.text_content())
        .unwrap_or_default()
}

/// The sentence shown for any link that does not open a session (unknown id, wrong or missing token).
pub const INVALID_LINK: &str = "This session link is not valid";

/// Server functions' answers: JSON like server_fn's [`Json`], but read with `serde_json::from_str`, the reader the
/// page already uses for the same types (resources come with the server-rendered HTML as text). `from_slice`
/// would compile a second copy of every answer type's JSON reader into the wasm, ~90 KB before optimisation
/// (docs/performance.md).
pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// The templates to pick from on the create page.
#[server(endpoint = "templates", output = Post<JsonText>)]
pub async fn list_templates() -> Result<Vec<Template>, ServerFnError> {
    let backend = expect_context::<BackendHandle>();
    Ok(backend.0.templates())
}

/// Creates a session from a (possibly edited) template and returns its three links. A refused request (a bad
/// agenda, an unknown template) is answered with HTTP 422 and the sentence saying what to change; storage trouble
/// with 503. (A body that is not a request at all gets 400 from the relay: server/src/lib.rs, `unreadable_request`.)
#[server(input = Json, output = Post<JsonText>, endpoint = "create_session")]
pub async fn create_session(request: NewSession) -> Result<CreatedSession, ServerFnError> {
    let backend = expect_context::<BackendHandle>();
    backend.0.create_session(request).await.map_err(|e| {
        let status = match e {
            BackendError::Invalid(_) => http::StatusCode::UNPROCESSABLE_ENTITY,
            BackendError::NotFound => http::StatusCode::NOT_FOUND,
            BackendError::Unavailable => http::StatusCode::SERVICE_UNAVAILABLE,
        };
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status);
        }
        ServerFnError::ServerError(e.to_string())
    })
}

/// The summary of a session as the holder of `token` (and, when given, of the browser key `key`) may see it.
#[server(endpoint = "summary", output = Post<JsonText>)]
pub async fn session_summary(id: String, token: String, key: Option<String>) -> Result<Summary, ServerFnError> {
    let backend = expect_context::<BackendHandle>();
    match backend.0.summary(id, token, key).await {
        Ok(summary) => Ok(summary),
        Err(e) => {
            if let (BackendError::NotFound, Some(response)) = (&e, use_context::<leptos_axum::ResponseOptions>()) {
                response.set_status(http::StatusCode::NOT_FOUND);
            }
            Err(ServerFnError::ServerError(e.to_string()))
        }
    }
}

/// Path of a session's summary page.
pub fn summary_path(id: &str, token: &str) -> String {
    format!("/s/{id}/summary?t={token}")
}
