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

/// Moves the keyboard focus to the element with `id`, after the view has caught up with the last change.
pub fn focus_later(id: String) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        if let Some(el) = leptos::prelude::document()
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}
