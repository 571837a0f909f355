//! `/s/:id/summary?t=TOKEN`: what happened in a session, as the viewer may see it; printable and exportable.

use crate::api::session_summary;
use crate::components::brand::Header;
use crate::components::chart::PhaseChart;
use crate::components::feedback::AnswerList;
use crate::page_title;
use crate::pages::not_found::InvalidLink;
use crate::sync::storage;
use leptos::prelude::*;
use tandem_core::session::summary::format_utc;
use tandem_core::session::Summary;

/// The summary page's view, in a wasm file of its own (`cargo leptos build --split`): only this page fetches it
/// (`lib.rs`, before it hydrates).
#[cfg(feature = "hydrate")]
#[lazy]
pub fn summary_page() -> crate::LazyPage {
    |id, token| view! { <SummaryPage id token/> }.into_any()
}

/// The summary page of session `id`, opened with the link token `token`.
#[component]
pub fn SummaryPage(id: String, token: String) -> impl IntoView {
    // The browser key identifies the viewer (for their feedback); it is only known after hydration. (Every link to
    // this page is a full page load: app.rs.)
    let key = RwSignal::new(None::<String>);
    {
        let id = id.clone();
        Effect::new(move |_| key.set(storage::load_identity(&id).map(|i| i.key)));
    }
    let summary = Resource::new(
        {
            let token = token.clone();
            move || (id.clone(), token.clone(), key.get())
        },
        |(id, token, key)| session_summary(id, token, key),
    );
    view! {
        <Header>
            <a class="button button--quiet button--small" href="/me" rel="external" data-testid="history-link">
                "Your history"
            </a>
        </Header>
        <Suspense fallback=|| view! { <p class="loading page" aria-busy="true">"Loading the summary…"</p> }>
            {move || {
                let token = token.clone();
                Suspend::new(async move {
                    match summary.await {
                        Ok(s) => view! { <SummaryView summary=s token key=key.get()/> }.into_any(),
                        Err(_) => view! { <InvalidLink/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn SummaryView(summary: Summary, token: String, key: Option<String>) -> impl IntoView {
    let s = summary.session.clone();
    let title = if s.goal.trim().is_empty() {
        s.template_name.clone()
    } else {
        s.goal.clone()
    };
    let id = s.id.0.clone();
    let export = match &key {
        Some(k) => format!("/s/{id}/summary.md?t={token}&k={k}"),
        None => format!("/s/{id}/summary.md?t={token}"),
    };
    let Some(ended_at) = summary.ended_at else {
        page_title(&format!("Summary: {title}"));
        return view! {
            <main class="page page--narrow">
                <section class="card">
                    <h1>"This session is still running"</h1>
                    <p>"The summary appears when the host ends the session."</p>
                    <a class="button button--primary" href=format!("/s/{id}?t={token}") rel="external">"Back to the session"</a>
                </section>
            </main>
        }
        .into_any();
    };
    let outcome = summary.outcome.clone();
    let viewer = summary.viewer;
    let sum = StoredValue::new(summary.clone());
    page_title(&format!("Summary: {title}"));
    view! {
        <main class="page summary">
            <section class="summary-head">
                <p class="eyebrow">{format!("{} · ended ", s.template_name)}<LocalTime ms=ended_at/></p>
                <h1>{title.clone()}</h1>
                <div class="actions no-print">
                    <button class="button" on:click=|_| print()>"Print / Save as PDF"</button>
                    <a class="button" href=export download data-testid="download-markdown">"Download Markdown"</a>
                    // The host may delete the session: a confirmation page the relay draws (server/src/retention.rs).
                    {(summary.capability == tandem_core::session::Capability::Host).then(|| view! {
                        <a class="button button--danger-quiet" href=format!("/s/{id}/delete?t={token}") rel="external"
                            data-testid="delete-session">"Delete…"</a>
                    })}
                </div>
            </section>

            <section class="card">
                <h2>"Planned and actual time"</h2>
                {outcome.map(|o| view! { <PhaseChart phases=o.phases/> })}
            </section>

            <section class="card" data-testid="summary-notes">
                <h2>"Notes by phase"</h2>
                {
                    let notes = summary.outcome.as_ref().map(|o| o.notes.clone()).unwrap_or_default();
                    let written: Vec<_> = s.phases.iter().filter_map(|p| {
                        let sections: Vec<(String, String)> = p.notes.iter()
                            .filter_map(|n| notes.get(&n.id).map(|t| (n.title.clone(), t.clone())))
                            .collect();
                        (!sections.is_empty()).then(|| (p.title.clone(), sections))
                    }).collect();
                    if written.is_empty() {
                        view! { <p class="hint">"No shared notes were taken in this session."</p> }.into_any()
                    } else {
                        written.into_iter().map(|(phase, sections)| view! {
                            <h3>{phase}</h3>
                            {sections.into_iter().map(|(title, text)| view! {
                                <h4 class="note-title">{title}</h4>
                                <p class="note-text">{text}</p>
                            }).collect_view()}
                        }).collect_view().into_any()
                    }
                }
            </section>

            <section class="card" data-testid="summary-commitments">
                <h2>"Commitments"</h2>
                {
                    let list = summary.outcome.as_ref().map(|o| o.commitments.clone()).unwrap_or_default();
                    if list.is_empty() {
                        view! { <p class="hint">"None recorded."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="commitment-list commitment-list--summary">
                                {list.into_iter().map(|c| {
                                    let owner = c.owner.map(|o| sum.with_value(|x| x.name_of(o)));
                                    view! {
                                        <li class="commitment" class:commitment--done=c.done>
                                            <span class="commitment__tick" aria-hidden="true">{if c.done { "✓" } else { "○" }}</span>
                                            <span class="commitment__body">
                                                <span class="commitment__summary-text">{c.text.clone()}</span>
                                                <span class="commitment__meta hint">
                                                    {if c.done { "Done" } else { "Open" }}
                                                    {owner.map(|o| format!(" · {o}"))}
                                                    {c.due.clone().map(|d| format!(" · due {d}"))}
                                                </span>
                                            </span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }
            </section>

            <section class="card" data-testid="summary-feedback">
                <h2>"Feedback"</h2>
                {if summary.feedback.is_empty() {
                    view! { <p class="hint">{if viewer.is_some() { "No feedback was given to or by you." } else { "Feedback is visible only to the people who gave and received it." }}</p> }.into_any()
                } else {
                    summary.feedback.iter().map(|f| {
                        let heading = format!("From {} to {}", sum.with_value(|x| x.name_of(f.from)), sum.with_value(|x| x.name_of(f.about)));
                        let form = s.forms.iter().find(|x| x.id == f.form).cloned();
                        view! {
                            <article class="received" data-testid="summary-feedback-item">
                                <h3>{heading}</h3>
                                {form.map(|form| view! { <AnswerList form answers=f.answers.clone()/> })}
                            </article>
                        }
                    }).collect_view().into_any()
                }}
            </section>

            // The kudos this viewer received (and, for the host, those shared with them): a part the relay draws
            // (server/src/kudos.rs), which costs this page no code for it.
            <iframe class="follow-up-frame" src=format!("/s/{id}/kudos?t={token}") title="Kudos" data-testid="kudos-frame"></iframe>

            <section class="card">
                <h2>"Attendance"</h2>
                <table class="attendance">
                    <thead><tr><th scope="col">"Who"</th><th scope="col">"Role"</th><th scope="col">"Time present (m:ss)"</th></tr></thead>
                    <tbody>
                        {summary.participants.iter().map(|p| {
                            let present: i64 = summary.outcome.iter().flat_map(|o| o.attendance.iter())
                                .filter(|a| a.participant == p.id).map(|a| (a.left_at - a.joined_at).max(0)).sum();
                            let role = summary.role_label(p);
                            view! { <tr><td>{p.name.clone()}</td><td>{role}</td><td>{tandem_core::session::clock::format_remaining(present)}</td></tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </main>
    }
    .into_any()
}

/// A moment in the viewer's own time zone ("Dec 6, 2026, 11:12 PM EST"), as the browser formats it; UTC (the
/// export's form, also in the tooltip) until the page has hydrated, so that server and browser render alike first.
#[component]
fn LocalTime(ms: tandem_core::session::Millis) -> impl IntoView {
    let utc = format_utc(ms);
    let machine = utc.replace(" UTC", "Z").replacen(' ', "T", 1);
    let local = RwSignal::new(None::<String>);
    Effect::new(move |_| local.set(local_time(ms)));
    let shown = {
        let utc = utc.clone();
        move || local.get().unwrap_or_else(|| utc.clone())
    };
    view! { <time datetime=machine title=utc data-testid="local-time">{shown}</time> }
}

/// `ms` formatted by the browser in its locale and time zone, with the zone's short name.
fn local_time(ms: tandem_core::session::Millis) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
        let options = js_sys::Object::new();
        for (key, value) in [
            ("year", "numeric"),
            ("month", "short"),
            ("day", "numeric"),
            ("hour", "numeric"),
            ("minute", "2-digit"),
            ("timeZoneName", "short"),
        ] {
            let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
        }
        let format = js_sys::Reflect::get(&date, &"toLocaleString".into()).ok()?;
        let format = format.dyn_ref::<js_sys::Function>()?;
        format.call2(&date, &JsValue::UNDEFINED, &options).ok()?.as_string()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        None
    }
}

fn print() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}
