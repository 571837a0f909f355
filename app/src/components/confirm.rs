//! A button whose action asks first ("End session…" → "End the session for everyone?" → End / Keep going). Each
//! step puts the keyboard on the next one's safe choice: the way back when asked, the first button again after.

use crate::components::focus_later;
use crate::components::when::When;
use leptos::prelude::*;

/// The first button (`ask`, with `id` and `testid`), then the `question` with the confirming button (`yes`, test id
/// `{testid}-confirm`) and the way back (`back`, with `back_id`). `compact` puts the question and buttons on one
/// line with small buttons (inside a list row); otherwise the question (in bold, then its `detail`) is a paragraph
/// above the buttons.
#[component]
pub fn Confirm(
    ask: &'static str,
    ask_class: &'static str,
    id: String,
    testid: &'static str,
    question: String,
    yes: &'static str,
    yes_class: &'static str,
    back: &'static str,
    back_id: String,
    on_yes: Callback<()>,
    #[prop(optional)] detail: &'static str,
    #[prop(optional)] compact: bool,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let (to_back, to_ask) = (back_id.clone(), id.clone());
    let size = if compact { " button--small" } else { "" };
    let buttons = move || {
        let to_ask = to_ask.clone();
        view! {
            <button class=format!("{yes_class}{size}") type="button" data-testid=format!("{testid}-confirm")
                on:click=move |_| { confirming.set(false); on_yes.run(()); }>{yes}</button>
            <button class=format!("button{size}") type="button" id=back_id.clone()
                on:click=move |_| { confirming.set(false); focus_later(to_ask.clone()); }>{back}</button>
        }
    };
    view! {
        <When when=move || confirming.get() fallback=move || view! {
            <button class=ask_class type="button" id=id.clone() data-testid=testid
                on:click={let to_back = to_back.clone(); move |_| { confirming.set(true); focus_later(to_back.clone()); }}>{ask}</button>
        }>
            {if compact {
                view! { <span role="alert">{question.clone()}" "</span>{buttons.clone()()} }.into_any()
            } else {
                view! { <p role="alert"><strong>{question.clone()}</strong>" "{detail}</p><div class="controls">{buttons.clone()()}</div> }.into_any()
            }}
        </When>
    }
}
