//! `/s/{id}/ready?t=HOST_TOKEN`: "Your session is ready", the session's three links, at an address of its own (a
//! reload or a bookmark keeps them). Only the host token opens it; any other link gets the same 404 page as every
//! invalid link. The relay looks the link up before the page renders, as for the session page
//! ([`crate::api::OpenedLink`]). The page is a wasm file of its own (`ready_page`), like every page but the session.
//!
//! Also the create page's "Recent sessions on this device": kept in `localStorage` (`tandem.recent`), newest first.

use crate::api::{LinkInfo, OpenedLink};
use crate::components::brand::Header;
use crate::components::links::LinkList;
use crate::page_title;
use crate::pages::not_found::{InvalidLink, Unavailable};
use crate::sync::storage;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tandem_core::session::{total_minutes, Millis};

/// Path of a session's ready page (its host token opens it).
pub fn ready_path(id: &str, host_token: &str) -> String {
    format!("/s/{id}/ready?t={host_token}")
}

/// A session created on this device, as the create page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecentSession {
    /// The session's id.
    pub id: String,
    /// The format's name.
    pub template_name: String,
    /// The goal typed (may be empty).
    #[serde(default)]
    pub goal: String,
    /// When it was created (epoch ms).
    pub created_at: Millis,
    /// Its ready page ([`ready_path`]).
    pub ready_path: String,
}

/// Most sessions the list keeps (the oldest go first).
pub const MAX_RECENT: usize = 12;

const RECENT_KEY: &str = "recent";

/// The sessions created on this device, newest first (nothing on the server, or when storage is unavailable).
pub fn load_recent() -> Vec<RecentSession> {
    storage::load_json(RECENT_KEY).unwrap_or_default()
}

/// Keeps `list` as this device's recent sessions.
pub fn save_recent(list: &[RecentSession]) {
    storage::save_json(RECENT_KEY, &list);
}

/// Puts `session` first in the recent list (replacing an older entry of the same session), keeping at most
/// [`MAX_RECENT`].
pub fn remember(list: &mut Vec<RecentSession>, session: RecentSession) {
    list.retain(|s| s.id != session.id);
    list.insert(0, session);
    list.truncate(MAX_RECENT);
}

/// The ready page's view, in a wasm file of its own (`cargo leptos build --split`): only this page fetches it
/// (`lib.rs`, before it hydrates).
#[cfg(feature = "hydrate")]
#[lazy]
pub fn ready_page() -> crate::LazyPage {
    |id, token| view! { <ReadyPage id token/> }.into_any()
}

/// The ready page of session `id`. What the link opens comes with the page, like the session page's.
#[component]
pub fn ReadyPage(id: String, token: String) -> impl IntoView {
    let (opened, json) = crate::pages::session::opened_link();
    let page = match opened {
        OpenedLink::Open(info) => view! { <Ready info=*info id token/> }.into_any(),
        OpenedLink::Invalid => view! { <InvalidLink/> }.into_any(),
        OpenedLink::Unavailable => view! { <Unavailable/> }.into_any(),
    };
    view! {
        <Header/>
        {page}
        <script type="application/json" id=crate::api::LINK_SCRIPT_ID inner_html=json></script>
    }
}

#[component]
fn Ready(info: LinkInfo, id: String, token: String) -> AnyView {
    let ended = info.ended_at.is_some();
    page_title(if ended {
        "This session has ended"
    } else {
        "Your session is ready"
    });
    let spec = info.session;
    let share = info.share.unwrap_or_else(|| crate::api::ShareLinks {
        participant_link: String::new(),
        observer_link: String::new(),
    });
    // The host link is this page's own link without "/ready", on the public address the participant link starts with
    // (which may have a path of its own: cut at this session's path, not at the first "/s/").
    let origin = share
        .participant_link
        .rfind(&format!("/s/{id}?"))
        .map_or("", |at| &share.participant_link[..at])
        .to_string();
    let host_link = format!("{origin}/s/{id}?t={token}");
    // Opening the page (a reload, a bookmark, another tab) puts the session on top of this device's list.
    {
        let entry = RecentSession {
            id: id.clone(),
            template_name: spec.template_name.clone(),
            goal: spec.goal.clone(),
            created_at: spec.created_at,
            ready_path: ready_path(&id, &token),
        };
        Effect::new(move |_| {
            let mut list = load_recent();
            remember(&mut list, entry.clone());
            save_recent(&list);
        });
    }
    let what = format!("{} · {} min", spec.template_name, total_minutes(&spec.phases));
    let goal = spec.goal.trim().to_string();
    // A format whose roles name more than two people (Troika) is not a pair.
    let others = if spec.roles.iter().filter(|r| !r.shared).count() > 2 {
        "the others"
    } else {
        "your peer"
    };
    if ended {
        // The links lead to the summary now: say so, and lead there, instead of asking to send them.
        let summary = crate::api::summary_path(&id, &token);
        return view! {
            <CreatedCard what goal title="This session has ended">
                <p class="lead">"Its links now open the summary: timings, notes, commitments and the feedback each person may see."</p>
                <div class="actions">
                    <a class="button button--primary button--big" href=summary rel="external" data-testid="open-summary">"Open the summary"</a>
                    <a class="button" href="/" rel="external">"Create another session"</a>
                </div>
            </CreatedCard>
        }
        .into_any();
    }
    view! {
        <CreatedCard what goal title="Your session is ready">
            <p class="lead">"Send the participant link to "{others}". Keep the host link for yourself: it carries the controls. This page keeps them at its own address, and “Recent sessions” on the start page leads back here."</p>
            <LinkList participant=share.participant_link host=Some(host_link.clone()) observer=share.observer_link/>
            <div class="actions">
                <a class="button button--primary button--big" href=host_link rel="external" data-testid="open-host">"Open the session as host"</a>
                <a class="button" href="/" rel="external">"Create another session"</a>
            </div>
        </CreatedCard>
    }
    .into_any()
}

/// The ready page's card, in both of its states: the format and length, the title, the goal, then what the state adds.
#[component]
fn CreatedCard(what: String, goal: String, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="page">
            <section class="card created" aria-labelledby="created-title">
                <p class="eyebrow">{what}</p>
                <h1 id="created-title">{title}</h1>
                {(!goal.is_empty()).then(|| view! { <p class="created__goal">{goal}</p> })}
                {children()}
            </section>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> RecentSession {
        RecentSession {
            id: id.into(),
            template_name: "GROW".into(),
            goal: String::new(),
            created_at: 1,
            ready_path: ready_path(id, "tok"),
        }
    }

    #[test]
    fn the_newest_session_comes_first_once_and_the_list_is_bounded() {
        let mut list = Vec::new();
        for i in 0..20 {
            remember(&mut list, entry(&i.to_string()));
        }
        remember(&mut list, entry("15"));
        assert_eq!(list.len(), MAX_RECENT);
        assert_eq!(list[0].id, "15");
        assert_eq!(list.iter().filter(|s| s.id == "15").count(), 1);
        assert_eq!(list[1].id, "19");
        assert_eq!(ready_path("abc", "tok"), "/s/abc/ready?t=tok");
    }
}
