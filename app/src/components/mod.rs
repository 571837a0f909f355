//! Reusable pieces of the UI.

pub mod agenda_editor;
pub mod brand;
pub mod chart;
pub mod confirm;
pub mod feedback;
pub mod join;
pub mod links;
pub mod notes;
pub mod phase_bar;
pub mod presence;
pub mod role;
pub mod rows;
pub mod shortcuts;
pub mod split;
pub mod timer;
pub mod when;
pub mod workshop_options;

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

/// After the view has caught up with the last change: if the keyboard focus was lost (it fell back to the page, or
/// stays on a control that is now disabled), moves it to the first of the elements `ids` that is there and enabled.
/// Focus that is anywhere useful is left alone.
pub fn keep_focus_in(ids: &'static [&'static str]) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let doc = leptos::prelude::document();
        let lost = match doc.active_element() {
            None => true,
            Some(el) => doc.body().is_some_and(|b| *b == el) || el.has_attribute("disabled"),
        };
        if !lost {
            return;
        }
        let usable = ids
            .iter()
            .filter_map(|id| doc.get_element_by_id(id))
            .find(|el| !el.has_attribute("disabled"));
        if let Some(el) = usable.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = ids;
}
