//! Joining a session: a display name and, where the format has roles, a role.

use crate::api::LinkInfo;
use crate::components::split::{SplitCode, SplitPlaceholder};
use crate::components::when::When;
use crate::sync::{storage, Identity};
use leptos::prelude::*;
use tandem_core::protocol::may_claim;
use tandem_core::session::{clean_name, limits, Capability, ParticipantId, ParticipantView, RoleSpec};

/// Builds the join form: [`JoinCard`]'s view.
pub type JoinView = fn(LinkInfo, Callback<Identity>) -> AnyView;

/// The join form's code, in a wasm file of its own (components/split.rs): only someone who has not joined this session
/// in this browser yet fetches it; a reload, or a returning participant, never does.
#[cfg(feature = "hydrate")]
#[leptos::wasm_split::wasm_split(join_card, wasm_split_path = ::leptos::wasm_split, fallible)]
fn join_card() -> Result<JoinView, leptos::wasm_split::SplitLoaderError> {
    Ok(|info, on_join| view! { <JoinCard info on_join/> }.into_any())
}

/// On the server the slot never fetches (it renders in the browser only); the same function, unsplit.
#[cfg(not(feature = "hydrate"))]
async fn join_card() -> Result<JoinView, std::convert::Infallible> {
    Ok(|info, on_join| view! { <JoinCard info on_join/> }.into_any())
}

/// Where the join form goes: [`JoinCard`] once its code is there, a "Loading" card until then, "Try again" if the
/// fetch failed.
#[component]
pub fn JoinSlot(info: LinkInfo, on_join: Callback<Identity>) -> impl IntoView {
    static FETCHED: std::sync::OnceLock<JoinView> = std::sync::OnceLock::new();
    let split = SplitCode::fetched(&FETCHED, join_card);
    let retry = Callback::new(move |_| split.retry(&FETCHED, join_card));
    let heading = texts(info.capability).0;
    move || match split.code.get() {
        Some(build) => build(info.clone(), on_join),
        None => view! {
            <SplitPlaceholder title=heading.to_string() what="the join form" failed=split.failed.get() retry
                testid="join" class="join"/>
        }
        .into_any(),
    }
}

/// The join form's heading and button for a kind of link.
fn texts(capability: Capability) -> (&'static str, &'static str) {
    match capability {
        Capability::Host => ("Join as host", "Enter the session"),
        Capability::Participant => ("Join the session", "Join"),
        Capability::Observer => ("Watch the session", "Watch"),
    }
}

/// The join form. Observers pick no role. Roles show who holds them already (as the page was loaded: people who
/// join while the form is open are not shown, and anyone can change role later in the session), and the first role
/// nobody holds is preselected. A name that matches the one person who joined with this kind of link (the host, a
/// pair's peer) asks first whether this is that person on another device ([`may_claim`]).
#[component]
pub fn JoinCard(info: LinkInfo, on_join: Callback<Identity>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let roles = if info.capability == Capability::Observer {
        Vec::new()
    } else {
        info.session.roles.clone()
    };
    let people: Vec<ParticipantView> = info.people.clone();
    let role = RwSignal::new(first_free_role(&roles, &people));
    let error = RwSignal::new(None::<&'static str>);
    // The person this might be on another device: (id, name, role).
    let maybe_me = RwSignal::new(None::<(ParticipantId, String, Option<String>)>);
    let has_roles = !roles.is_empty();
    let capability = info.capability;
    let join_as = {
        move |name: String, role: Option<String>, claim: Option<ParticipantId>| {
            on_join.run(Identity {
                key: storage::new_participant_key(),
                name,
                role,
                claim,
            })
        }
    };
    let submit = {
        let people = people.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            match clean_name(&name.get_untracked()) {
                Some(clean) => {
                    let same = claimable(&people, capability, &clean);
                    match same {
                        Some(p) => maybe_me.set(Some((p.id, p.name.clone(), p.role.clone()))),
                        None => join_as(clean, role.get_untracked(), None),
                    }
                }
                None => {
                    error.set(Some("Please type your name (up to 40 characters)."));
                    crate::components::focus_later("join-name".to_string());
                }
            }
        }
    };
    let (heading, button) = texts(info.capability);
    let yes_button = NodeRef::<leptos::html::Button>::new();
    // Move focus to the question when it appears, so that keyboard and screen reader users meet it first.
    Effect::new(move |_| {
        if maybe_me.with(Option::is_some) {
            if let Some(b) = yes_button.get() {
                let _ = b.focus();
            }
        }
    });
    let confirm = move || {
        maybe_me.get().map(|(id, who, their_role)| {
            let yes = {
                let who = who.clone();
                move |_| join_as(who.clone(), their_role.clone(), Some(id))
            };
            let no = {
                move |_| {
                    if let Some(clean) = clean_name(&name.get_untracked()) {
                        join_as(clean, role.get_untracked(), None);
                    }
                }
            };
            view! {
                <div class="claim" role="group" aria-labelledby="claim-question" data-testid="claim">
                    <p id="claim-question"><strong>{format!("This looks like you on another device — continue as {who}?")}</strong></p>
                    <p class="hint">{format!("Yes: this browser is {who} too, with the same role and feedback, beside the device you joined with first. No: you join as a new person with that name.")}</p>
                    <div class="controls">
                        <button type="button" class="button button--primary" node_ref=yes_button on:click=yes>{format!("Yes, continue as {who}")}</button>
                        <button type="button" class="button" on:click=no>"No, join as someone new"</button>
                    </div>
                </div>
            }
        })
    };
    view! {
        <form class="card join" on:submit=submit novalidate>
            <h2>{heading}</h2>
            <p class="hint">{format!("{} joined so far. Your name is shown to the others.", info.joined)}</p>
            <label class="field">
                <span class="field__label">"Your name"</span>
                <input type="text" name="name" id="join-name" autocomplete="name" maxlength=limits::MAX_NAME_CHARS required
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="name-error"
                    prop:value=move || name.get()
                    on:input=move |ev| { name.set(event_target_value(&ev)); error.set(None); maybe_me.set(None); }/>
                <span class="field__error" id="name-error" role="alert">{move || error.get()}</span>
            </label>
            <When when=move || has_roles>
                <fieldset class="field roles">
                    <legend class="field__label">"Your role"</legend>
                    {roles.iter().map(|r| {
                        let id = r.id.clone();
                        let id2 = r.id.clone();
                        let holders = holders(&people, &r.id);
                        let taken = !holders.is_empty();
                        view! {
                            <label class="role" class:role--on={let id = r.id.clone(); move || role.get().as_deref() == Some(id.as_str())}
                                class:role--taken=taken>
                                <input type="radio" name="role" value=id.clone()
                                    prop:checked=move || role.get().as_deref() == Some(id2.as_str())
                                    on:change=move |_| role.set(Some(id.clone()))/>
                                <span class="role__name">{r.name.clone()}
                                    {taken.then(|| view! { <span class="role__holder">{format!(" — {holders}")}</span> })}
                                </span>
                                <span class="role__desc">{r.description.clone()}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            </When>
            {confirm}
            <When when=move || maybe_me.with(Option::is_none)>
                <button type="submit" class="button button--primary button--big">{button}</button>
            </When>
        </form>
    }
}

/// The person a browser joining over a link with `capability` under `name` may continue as, if any: only when the
/// relay would accept the claim ([`may_claim`]). Where several people share the link, a matching name joins as a new
/// person without asking.
pub fn claimable<'a>(people: &'a [ParticipantView], capability: Capability, name: &str) -> Option<&'a ParticipantView> {
    people.iter().find(|p| may_claim(people, capability, name, p.id))
}

/// Names of the people holding role `id`, joined with commas ("Ana, Ben").
fn holders(people: &[ParticipantView], id: &str) -> String {
    let names: Vec<&str> = people
        .iter()
        .filter(|p| p.capability != Capability::Observer && p.role.as_deref() == Some(id))
        .map(|p| p.name.as_str())
        .collect();
    names.join(", ")
}

/// The first role nobody holds yet; when all are held, the first that several may hold, else the first; none
/// without roles.
pub fn first_free_role(roles: &[RoleSpec], people: &[ParticipantView]) -> Option<String> {
    roles
        .iter()
        .find(|r| holders(people, &r.id).is_empty())
        .or_else(|| roles.iter().find(|r| r.shared))
        .or_else(|| roles.first())
        .map(|r| r.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: &str) -> RoleSpec {
        RoleSpec {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            shared: false,
        }
    }

    fn person(id: u32, name: &str, role: Option<&str>, capability: Capability) -> ParticipantView {
        ParticipantView {
            id: ParticipantId(id),
            name: name.into(),
            role: role.map(String::from),
            capability,
            online: false,
        }
    }

    #[test]
    fn the_first_role_nobody_holds_is_preselected() {
        let roles = [role("coach"), role("coachee"), role("observer")];
        assert_eq!(first_free_role(&roles, &[]).as_deref(), Some("coach"));
        let ana = person(1, "Ana", Some("coach"), Capability::Host);
        assert_eq!(
            first_free_role(&roles, std::slice::from_ref(&ana)).as_deref(),
            Some("coachee")
        );
        let ben = person(2, "Ben", Some("coachee"), Capability::Participant);
        let cy = person(3, "Cy", Some("observer"), Capability::Participant);
        assert_eq!(
            first_free_role(&roles, &[ana.clone(), ben.clone()]).as_deref(),
            Some("observer")
        );
        assert_eq!(
            first_free_role(&roles, &[ana.clone(), ben.clone(), cy.clone()]).as_deref(),
            Some("coach")
        );
        // All held: a role several may hold, if there is one.
        let observers = [
            role("coach"),
            role("coachee"),
            RoleSpec {
                shared: true,
                ..role("observer")
            },
        ];
        assert_eq!(
            first_free_role(&observers, &[ana.clone(), ben, cy]).as_deref(),
            Some("observer")
        );
        // Someone watching through the observer link holds no role.
        let eve = person(4, "Eve", Some("coachee"), Capability::Observer);
        assert_eq!(first_free_role(&roles, &[ana, eve]).as_deref(), Some("coachee"));
        assert_eq!(first_free_role(&[], &[]), None);
    }

    #[test]
    fn continue_as_is_offered_only_for_the_one_holder_of_a_link() {
        let ana = person(1, "Ana", Some("coach"), Capability::Host);
        let ben = person(2, "Ben", Some("coachee"), Capability::Participant);
        let cy = person(3, "Cy", Some("observer"), Capability::Participant);
        // The host link and a pair's peer: the same name, any case, continues as that person.
        let pair = [ana.clone(), ben.clone()];
        assert_eq!(claimable(&pair, Capability::Host, "ana").map(|p| p.id), Some(ana.id));
        assert_eq!(
            claimable(&pair, Capability::Participant, " BEN ").map(|p| p.id),
            Some(ben.id)
        );
        // Another name, or another kind of link: nobody.
        assert!(claimable(&pair, Capability::Participant, "Bea").is_none());
        assert!(claimable(&pair, Capability::Participant, "Ana").is_none());
        // Two people share the participant link: typing one of their names takes over nobody.
        let group = [ana, ben.clone(), cy];
        assert!(claimable(&group, Capability::Participant, "Ben").is_none());
        assert!(!may_claim(&group, Capability::Participant, "Ben", ben.id));
        assert!(claimable(&group, Capability::Host, "Ana").is_some());
    }

    #[test]
    fn holders_are_listed_by_name() {
        let people = [
            person(1, "Ana", Some("observer"), Capability::Participant),
            person(2, "Ben", Some("observer"), Capability::Participant),
        ];
        assert_eq!(holders(&people, "observer"), "Ana, Ben");
        assert_eq!(holders(&people, "coach"), "");
    }
}
