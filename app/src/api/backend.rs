//! The relay's side of the server functions, behind a trait so that the app crate knows nothing of the store.

use super::{CreatedSession, LinkInfo, NewSession, WorkshopLink, INVALID_LINK};
use futures::future::BoxFuture;
use std::sync::Arc;
use tandem_core::session::{Summary, Template};

/// Why a backend call failed; the messages are safe to show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// Unknown session or wrong token: the same answer for both, so links cannot be probed.
    #[error("{INVALID_LINK}")]
    NotFound,
    /// The request is not acceptable; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// Storage failed; details are in the relay's log only.
    #[error("Tandem could not save this right now. Please try again.")]
    Unavailable,
}

/// What the server functions need from the relay.
pub trait Backend: Send + Sync + 'static {
    /// The templates shipped with this build.
    fn templates(&self) -> Vec<Template>;
    /// Validates and stores a new session.
    fn create_session(&self, request: NewSession) -> BoxFuture<'static, Result<CreatedSession, BackendError>>;
    /// Resolves a link to its session and capability.
    fn open_link(&self, id: String, token: String) -> BoxFuture<'static, Result<LinkInfo, BackendError>>;
    /// Resolves a workshop's link to what it opens.
    fn open_workshop(&self, id: String, token: String) -> BoxFuture<'static, Result<WorkshopLink, BackendError>>;
    /// What the holder of `token` (and of browser key `key`, if given) may see of the session.
    fn summary(
        &self,
        id: String,
        token: String,
        key: Option<String>,
    ) -> BoxFuture<'static, Result<Summary, BackendError>>;
}

/// The backend as provided through Leptos context.
#[derive(Clone)]
pub struct BackendHandle(pub Arc<dyn Backend>);
