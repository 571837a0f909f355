//! Private note sections are not part of the shared document: each person's text travels and is stored on its own
//! (docs/architecture.md, "Private sections"). This is that text as the browser holds it.

use serde::{Deserialize, Serialize};

/// One person's text of a private note section, as their browser holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateDraft {
    /// The section's id.
    pub section: String,
    /// The text.
    pub text: String,
    /// The relay has stored exactly this text.
    #[serde(default)]
    pub saved: bool,
}
