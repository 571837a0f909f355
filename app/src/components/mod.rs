//! Reusable pieces of the UI.

pub mod agenda_editor;
pub mod brand;
pub mod chart;
pub mod feedback;
pub mod join;
pub mod links;
pub mod notes;
pub mod phase_bar;
pub mod presence;
pub mod role;
pub mod rows;
pub mod timer;
pub mod when;
