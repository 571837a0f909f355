//! Tandem's pure core: what the browser, the relay and the load generator share, with no UI, runtime or browser
//! dependency (no Leptos, no tokio, no web-sys), so that each part can be tested on its own and nothing from the UI
//! creeps in.
//!
//! - [`session`]: templates and agenda limits, the room reducer (phases, clock, undo), feedback forms, summaries,
//!   ids and the clock offset estimate.
//! - [`protocol`]: the WebSocket messages between page and relay, close codes and their reasons.
//! - [`markdown`]: typed text made safe for the Markdown exports.
//! - [`notes`]: the shared notes document (Yjs through yrs): sections, commitments, private drafts.
//! - [`small_sort`]: one stable sort for every element type (small code in the browser).
//! - [`workshop`]: workshop rounds: groupings, rotation of partners and of roles.

pub mod history;
pub mod history_export;
pub mod history_growth;
pub mod markdown;
pub mod notes;
pub mod protocol;
pub mod session;
pub mod small_sort;
pub mod workshop;
