//! Joining a session: a display name and, where the format has roles, a role.

use crate::api::LinkInfo;
use crate::components::when::When;
use crate::session::{clean_name, limits, Capability};
use crate::sync::{storage, Identity};
use leptos::prelude::*;

/// The join form. Observers pick no role.
#[component]
pub fn JoinCard(info: LinkInfo, on_join: impl Fn(Identity) + Clone + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let roles = if info.capability == Capability::Observer {
        Vec::new()
    } else {
        info.session.roles.clone()
    };
    let role = RwSignal::new(roles.first().map(|r| r.id.clone()));
    let error = RwSignal::new(None::<&'static str>);
    let has_roles = !roles.is_empty();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match clean_name(&name.get_untracked()) {
            Some(clean) => on_join(Identity {
                key: storage::new_participant_key(),
                name: clean,
                role: role.get_untracked(),
            }),
            None => error.set(Some("Please type your name (up to 40 characters).")),
        }
    };
    let (heading, button) = match info.capability {
        Capability::Host => ("Join as host", "Enter the session"),
        Capability::Participant => ("Join the session", "Join"),
        Capability::Observer => ("Watch the session", "Watch"),
    };
    view! {
        <form class="card join" on:submit=submit novalidate>
            <h2>{heading}</h2>
            <p class="hint">{format!("{} joined so far. Your name is shown to the others.", info.joined)}</p>
            <label class="field">
                <span class="field__label">"Your name"</span>
                <input type="text" name="name" autocomplete="name" maxlength=limits::MAX_NAME_CHARS required
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="name-error"
                    prop:value=move || name.get()
                    on:input=move |ev| { name.set(event_target_value(&ev)); error.set(None); }/>
                <span class="field__error" id="name-error" role="alert">{move || error.get()}</span>
            </label>
            <When when=move || has_roles>
                <fieldset class="field roles">
                    <legend class="field__label">"Your role"</legend>
                    {roles.iter().map(|r| {
                        let id = r.id.clone();
                        let id2 = r.id.clone();
                        view! {
                            <label class="role" class:role--on={let id = r.id.clone(); move || role.get().as_deref() == Some(id.as_str())}>
                                <input type="radio" name="role" value=id.clone()
                                    prop:checked=move || role.get().as_deref() == Some(id2.as_str())
                                    on:change=move |_| role.set(Some(id.clone()))/>
                                <span class="role__name">{r.name.clone()}</span>
                                <span class="role__desc">{r.description.clone()}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            </When>
            <button type="submit" class="button button--primary button--big">{button}</button>
        </form>
    }
}
