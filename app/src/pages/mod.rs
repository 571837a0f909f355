//! One route per file.

pub mod create;
pub mod not_found;
pub mod ready;
pub mod session;
pub mod summary;
pub mod workshop;
