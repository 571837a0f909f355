//! The timeline of `/me` (issue 18): a person's sessions, newest first, and their workshops, each with the breakouts
//! they were in inside it.

use crate::me::{plural, time_element};
use crate::store::{TimelineEntry, WorkshopEntry};
use crate::workshop_files::html_escape;
use std::fmt::Write as _;
use tandem_core::history::duration_label;
use tandem_core::session::summary::format_utc;
use tandem_core::session::Capability;

/// Whether session `e` is a breakout of one of `workshops`: then it is listed inside that workshop's entry.
fn in_listed_workshop(e: &TimelineEntry, workshops: &[WorkshopEntry]) -> bool {
    e.workshop
        .as_ref()
        .is_some_and(|w| workshops.iter().any(|x| &x.id == w))
}

/// "3 sessions and one workshop, newest first": what the timeline holds, said above it.
pub(crate) fn timeline_count(entries: &[TimelineEntry], workshops: &[WorkshopEntry]) -> String {
    let alone = entries.iter().filter(|e| !in_listed_workshop(e, workshops)).count();
    let said = |n: usize, one: &str, many: &str| match n {
        1 => format!("one {one}"),
        n => format!("{n} {many}"),
    };
    let text = match (alone, workshops.len()) {
        (n, 0) => said(n, "session", "sessions"),
        (0, w) => said(w, "workshop", "workshops"),
        (n, w) => format!(
            "{} and {}",
            said(n, "session", "sessions"),
            said(w, "workshop", "workshops")
        ),
    };
    let order = if alone + workshops.len() > 1 {
        ", newest first"
    } else {
        ""
    };
    capitalised(&text) + order
}

/// The timeline's items, newest first: each session, and each workshop with its breakouts (oldest first) inside.
pub(crate) fn timeline(html: &mut String, entries: &[TimelineEntry], workshops: &[WorkshopEntry]) {
    enum Item<'a> {
        Session(&'a TimelineEntry),
        Workshop(&'a WorkshopEntry),
    }
    let mut items: Vec<(i64, Item)> = entries
        .iter()
        .filter(|e| !in_listed_workshop(e, workshops))
        .map(|e| (e.created_at, Item::Session(e)))
        .chain(workshops.iter().map(|w| (w.created_at, Item::Workshop(w))))
        .collect();
    items.sort_by_key(|item| std::cmp::Reverse(item.0));
    for (_, item) in items {
        match item {
            Item::Session(e) => timeline_entry(html, e, false),
            Item::Workshop(w) => {
                let mut breakouts: Vec<&TimelineEntry> = entries
                    .iter()
                    .filter(|e| e.workshop.as_deref() == Some(&w.id))
                    .collect();
                breakouts.reverse();
                workshop_entry(html, w, &breakouts);
            }
        }
    }
}

/// One workshop of the timeline, with the breakouts this person was in.
fn workshop_entry(html: &mut String, w: &WorkshopEntry, breakouts: &[&TimelineEntry]) {
    let (href, open) = match (w.ended_at, w.capability) {
        (Some(_), Capability::Host | Capability::Observer) => (
            format!("/w/{}/record?t={}", w.id, w.token),
            "Open the workshop's record",
        ),
        _ => (format!("/w/{}?t={}", w.id, w.token), "Open the workshop"),
    };
    let title = match w.goal.trim() {
        "" => "Peer-coaching workshop".to_string(),
        goal => html_escape(goal),
    };
    let role = w.role();
    let state = if w.ended_at.is_some() { "ended" } else { "not ended" };
    // Those who ran or watched it did not take part themselves: "N people", not "N others".
    let people = match (w.people.len(), w.capability) {
        (0, Capability::Participant) => "nobody else took part".to_string(),
        (0, _) => "nobody took part".to_string(),
        (1, Capability::Participant) => "1 other took part".to_string(),
        (1, _) => "1 person took part".to_string(),
        (n, Capability::Participant) => format!("{n} others took part"),
        (n, _) => format!("{n} people took part"),
    };
    let rounds = match (w.rounds, breakouts.len()) {
        (0, _) => "No rounds held".to_string(),
        (r, 0) => format!("{r} {}", plural(r as u32, "round")),
        (r, b) => format!("{r} {}, {b} with you in a breakout", plural(r as u32, "round")),
    };
    let _ = write!(
        html,
        r#"<li class="card me-entry me-entry--workshop" data-testid="me-workshop">
<h3 class="me-entry__title"><a href="{href}">{title}</a></h3>
<p class="hint">Workshop · {format} · {when} · {state} · you {role} · {people}</p>
<p>{rounds} · <a href="{href}" aria-label="{open}: {title}, {date}">{open}</a></p>"#,
        href = html_escape(&href),
        format = html_escape(&w.format),
        when = time_element(w.created_at),
        date = format_utc(w.created_at),
    );
    if !breakouts.is_empty() {
        html.push_str(r#"<ol class="me-timeline me-timeline--nested" aria-label="Your breakouts">"#);
        for e in breakouts {
            timeline_entry(html, e, true);
        }
        html.push_str("</ol>");
    }
    html.push_str("</li>");
}

/// One session of the timeline; `in_workshop`: a breakout listed inside its workshop's entry, titled by its round and
/// breakout (the workshop's goal is the entry's title above it).
fn timeline_entry(html: &mut String, e: &TimelineEntry, in_workshop: bool) {
    let (href, open) = match e.ended_at {
        Some(_) => (format!("/s/{}/summary?t={}", e.session.0, e.token), "Open the summary"),
        None => (format!("/s/{}?t={}", e.session.0, e.token), "Open the session"),
    };
    let when = time_element(e.created_at);
    let length = match (e.started_at, e.ended_at) {
        (Some(start), Some(end)) => duration_label(end - start),
        (_, Some(_)) => "ended".to_string(),
        (_, None) => "not ended".to_string(),
    };
    let with = match e.partners.as_slice() {
        [] => "nobody else joined".to_string(),
        names => format!("with {}", html_escape(&names.join(", "))),
    };
    let kind = match (&e.workshop, e.capability) {
        (Some(_), _) if in_workshop => "",
        (Some(_), _) => " · a workshop's breakout",
        (None, Capability::Host) => " · you hosted",
        (None, Capability::Observer) => " · you observed",
        (None, Capability::Participant) => "",
    };
    // Titled by its goal, which tells sessions of one format apart; the format is then said below.
    let title = match e.goal.trim() {
        _ if in_workshop => {
            let part = e.format.rsplit_once(", ").map_or(e.format.as_str(), |(_, part)| part);
            html_escape(&capitalised(part))
        }
        "" => html_escape(&e.format),
        goal => html_escape(goal),
    };
    let format = match in_workshop {
        true => String::new(),
        false => format!("{} · ", html_escape(&e.format)),
    };
    let commitments = match (e.commitments, e.done) {
        (0, _) => "No commitments".to_string(),
        (n, d) if d == n => format!("{n} {}, all done", plural(n, "commitment")),
        (n, 0) => format!("{n} {}, open", plural(n, "commitment")),
        (n, d) => format!("{n} {}: {d} done, {} open", plural(n, "commitment"), n - d),
    };
    let _ = write!(
        html,
        r#"<li class="card me-entry" data-testid="me-entry">
<h3 class="me-entry__title"><a href="{href}">{title}</a></h3>
<p class="hint">{format}{when} · {length} · {with}{kind}</p>
<p>{commitments} · <a href="{href}" aria-label="{open}: {title}, {date}">{open}</a></p></li>"#,
        href = html_escape(&href),
        date = format_utc(e.created_at),
    );
}

/// `text` with its first letter in capitals ("round 1 · breakout 2" → "Round 1 · breakout 2").
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
