//! Changing one's role during the session ("I'll be the coachee after all").

use crate::components::when::When;
use crate::sync::LiveSession;
use leptos::prelude::*;
use tandem_core::session::{Capability, RoleSpec};

/// The viewer's role, with a choice among the session's roles, each showing who holds it. Not shown to observers
/// or in a session without roles. In a workshop's breakout (`locked`) the round gives the role: shown, not chosen.
#[component]
pub fn RolePicker(live: LiveSession, roles: Vec<RoleSpec>, #[prop(optional)] locked: bool) -> impl IntoView {
    let roles = StoredValue::new(roles);
    let shown = move || {
        roles.with_value(|r| !r.is_empty())
            && matches!(live.capability.get(), Some(Capability::Host | Capability::Participant))
    };
    let mine = Memo::new(move |_| {
        let me = live.me.get();
        live.participants
            .with(|ps| ps.iter().find(|p| Some(p.id) == me).and_then(|p| p.role.clone()))
    });
    // Everyone else holding a role: (role id, name).
    let others = Memo::new(move |_| {
        let me = live.me.get();
        live.participants.with(|ps| {
            ps.iter()
                .filter(|p| Some(p.id) != me && p.capability != Capability::Observer)
                .filter_map(|p| p.role.clone().map(|r| (r, p.name.clone())))
                .collect::<Vec<_>>()
        })
    });
    let holders = move |id: &str| {
        others.with(|o| {
            o.iter()
                .filter(|(r, _)| r == id)
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    // Shared with someone else: say so, so that the other person can change, or this one can change back.
    let shared = move || {
        let role = mine.get()?;
        let names = holders(&role);
        let (role_name, shared) =
            roles.with_value(|rs| rs.iter().find(|r| r.id == role).map(|r| (r.name.clone(), r.shared)))?;
        (!names.is_empty() && !shared)
            .then(|| format!("{names} is also {role_name}: one of you may want another role."))
    };
    view! {
        <When when=shown>
            <section class="card role-picker" aria-labelledby="role-picker-title">
                <h2 id="role-picker-title" class="card__title">{if locked { "Your role this round" } else { "Your role" }}</h2>
                <label class="field">
                    <span class="sr-only">"Your role"</span>
                    <select data-testid="role-select" disabled=locked
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            if !value.is_empty() && mine.get_untracked().as_deref() != Some(value.as_str()) {
                                live.set_role(value);
                            }
                        }>
                        <When when=move || mine.with(Option::is_none)>
                            <option value="" selected>"Pick a role"</option>
                        </When>
                        {move || roles.with_value(|rs| rs.iter().map(|r| {
                            let id = r.id.clone();
                            let names = holders(&r.id);
                            // Locked (a breakout): the round's role only, not who else holds which.
                            let text = if names.is_empty() || locked { r.name.clone() } else { format!("{} — {names}", r.name) };
                            let selected = mine.with(|m| m.as_deref() == Some(id.as_str()));
                            view! { <option value=id selected=selected prop:selected=selected>{text}</option> }
                        }).collect_view())}
                    </select>
                </label>
                <p class="hint">{move || {
                    let role = mine.get()?;
                    roles.with_value(|rs| rs.iter().find(|r| r.id == role).map(|r| r.description.clone()))
                }}</p>
                <p class="hint" role="status" data-testid="role-status">{shared}</p>
            </section>
        </When>
    }
}
