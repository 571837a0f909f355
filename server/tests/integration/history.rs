//! "Your history" (issue 18) through the relay as browsers use it: pages that join, and link their personal key
//! through the session page's follow-up part as its frame does, then `/me`
//! and its search read over HTTP with the key in the body; two people whose notes share a word each find only their
//! own; a second device's key merged by the fragment link; bad keys and bad searches.

use crate::common::*;
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use tandem_core::session::{ParticipantKey, SessionSettings};

const ANA: &str = "ana-personal-key-1234567";
const BEN: &str = "ben-personal-key-1234567";
const ANA_PHONE: &str = "ana-phone-personal-key-12";

/// Joins `link` as `name` (browser key `n`) with a personal key, then writes `text` into the goal statement as the
/// page does and waits until the relay has stored it.
async fn take_part(server: &TestServer, link: &str, name: &str, n: u8, person: &str, text: &str) {
    let mut client = Client::connect(&server.ws(link)).await;
    client
        .send(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            participant_key: ParticipantKey(key(n)),
            name: name.into(),
            role: None,
            claim: None,
        })
        .await;
    client.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await;
    let (status, _) = follow_up(server, link, n, person, "").await;
    assert_eq!(status, 200, "linked");
    if !text.is_empty() {
        let mut page = server.page(link, name, n, NotesDoc::new()).await;
        page.type_text("goal-statement", text).await;
        page.until(|p| p.notes.unsynced() == 0).await;
    }
}

/// The session page's part of the history, as its frame asks for it: the personal key and this browser's key of
/// the session (browser key `n`), with `more` fields.
async fn follow_up(server: &TestServer, link: &str, n: u8, person: &str, more: &str) -> (u16, String) {
    let (id, token) = parts(link);
    let url = format!("{}/s/{id}/follow-up?t={token}", server.url());
    http_post_form(&url, &format!("k={person}&p={}{more}", key(n))).await
}

async fn me(server: &TestServer, fields: &str) -> (u16, String) {
    http_post_form(&format!("{}/me", server.url()), fields).await
}

async fn search(server: &TestServer, person: &str, q: &str) -> (u16, String) {
    let body = format!("k={person}&q={}", urlencode(q));
    http_post_form(&format!("{}/me/search", server.url()), &body).await
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Ana (browser key 1, personal key `person`) hosts `session`, records a commitment due 2026-01-15, and ends it.
async fn host_commits_and_ends(server: &TestServer, session: &Session, person: &str) -> tandem_core::notes::Commitment {
    let mut client = Client::connect(&server.ws(&session.host_link)).await;
    client
        .send(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            participant_key: ParticipantKey(key(1)),
            name: "Ana".into(),
            role: None,
            claim: None,
        })
        .await;
    client.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await;
    assert_eq!(follow_up(server, &session.host_link, 1, person, "").await.0, 200);
    let mut page = server.page(&session.host_link, "Ana", 1, NotesDoc::new()).await;
    let commitment = tandem_core::notes::Commitment {
        id: "c1-0123456789abcdef".into(),
        text: "Write the runbook".into(),
        owner: None,
        due: Some("2026-01-15".into()),
        done: false,
        at: 1,
    };
    let frame = page.notes.add_commitment(&commitment).unwrap();
    page.send(frame).await;
    page.until(|p| p.notes.unsynced() == 0).await;
    client.send(&ClientMsg::EndSession).await;
    client.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    commitment
}

fn main_part(page: &str) -> &str {
    let start = page.find("<main").expect("a main part");
    &page[start..]
}

#[tokio::test]
async fn each_person_sees_their_own_sessions_and_finds_only_what_they_may_see() {
    let server = TestServer::start().await;
    let s1 = server
        .session_with("grow", "Practise listening", SessionSettings::default())
        .await;
    let s2 = server
        .session_with("grow", "Deploy knowledge", SessionSettings::default())
        .await;
    let s3 = server.session_with("grow", "", SessionSettings::default()).await;
    let s4 = server
        .session_with("grow", "On the phone", SessionSettings::default())
        .await;
    take_part(&server, &s1.host_link, "Ana", 1, ANA, "We practised listening").await;
    take_part(&server, &s1.participant_link, "Cleo", 2, "cleo-personal-key-123456", "").await;
    take_part(&server, &s2.participant_link, "Ana", 3, ANA, "Pairing on the rollout").await;
    take_part(&server, &s2.participant_link, "Ben", 4, BEN, "").await;
    take_part(&server, &s3.participant_link, "Ben", 5, BEN, "Listening to silence").await;
    take_part(&server, &s4.participant_link, "Ana", 6, ANA_PHONE, "").await;

    // Ana's history: her two sessions, newest first, each opening with the link she used; not Ben's third.
    let (status, page) = me(&server, &format!("k={ANA}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.matches(r#"data-testid="me-entry""#).count(), 2, "{page}");
    let (at2, at1) = (page.find(&s2.id.0).unwrap(), page.find(&s1.id.0).unwrap());
    assert!(at2 < at1, "newest first");
    assert!(
        page.contains(&format!("/s/{}?t={}", s1.id.0, s1.host_token())),
        "the host's link for s1"
    );
    assert!(page.contains(&format!("/s/{}?t={}", s2.id.0, s2.participant_token())));
    assert!(page.contains("with Cleo") && page.contains("with Ben"), "{page}");
    assert!(!page.contains(&s3.id.0) && !page.contains(&s4.id.0));
    assert!(page.contains(&format!("/me#k={ANA}")), "the other device's link");
    assert!(page.contains("<svg"), "with its QR code");

    // The search: both wrote "listening"; each finds only their own session's.
    let (status, found) = search(&server, ANA, "listening").await;
    assert_eq!(status, 200);
    assert!(found.contains(&s1.id.0) && !found.contains(&s3.id.0), "{found}");
    assert!(found.contains("<mark>listening</mark>"), "{found}");
    let (_, found) = search(&server, BEN, "listening").await;
    assert!(found.contains(&s3.id.0) && !found.contains(&s1.id.0), "{found}");
    assert!(found.contains("<mark>Listening</mark>"), "{found}");
    let (_, found) = search(&server, BEN, "rollout").await;
    assert!(found.contains(&s2.id.0), "Ben was in s2: {found}");

    // Whatever is typed: plain words, never an error page.
    for q in [
        "",
        "   ",
        "\"",
        "NEAR(",
        "listen* OR \"",
        "(((",
        &"x".repeat(5000),
        "<script>alert(1)</script>",
    ] {
        let (status, found) = search(&server, ANA, q).await;
        assert_eq!(status, 200, "{q}: {found}");
        assert!(found.contains(r#"data-testid="me-results""#), "{q}: {found}");
        assert!(!found.contains("<script>alert"), "escaped");
    }
    let (_, found) = search(&server, ANA, "   ").await;
    assert!(found.contains("Type a word"), "{found}");

    // A missing, malformed or unknown key: the same 404, the empty state, nothing else.
    let (status, nothing) = me(&server, "").await;
    assert_eq!(status, 404);
    assert!(nothing.contains(r#"data-testid="me-empty""#));
    for fields in [
        "k=short",
        "k=%22%3B--",
        "k=unknown-personal-key-12345",
        "also=ana-personal-key-1234567",
    ] {
        let (status, page) = me(&server, fields).await;
        assert_eq!((status, main_part(&page)), (404, main_part(&nothing)), "{fields}");
    }
    let (status, page) = search(&server, "unknown-personal-key-12345", "listening").await;
    assert_eq!((status, main_part(&page)), (404, main_part(&nothing)));

    // The second device: opening Ana's link there sends both keys, and the phone's session joins her history.
    let (status, page) = me(&server, &format!("k={ANA}&also={ANA_PHONE}")).await;
    assert_eq!(status, 200);
    assert_eq!(page.matches(r#"data-testid="me-entry""#).count(), 3, "{page}");
    assert_eq!(
        me(&server, &format!("k={ANA_PHONE}")).await.0,
        404,
        "the phone's old key is merged away"
    );

    // The page itself carries no key, and asks for the history with the browser's.
    let (status, shell) = http_get(&format!("{}/me", server.url())).await;
    assert_eq!(status, 200);
    assert!(
        shell.contains("data-person") && shell.contains("relay-forms.js"),
        "{shell}"
    );
}

#[tokio::test]
async fn commitments_are_ticked_only_by_their_people_and_a_person_can_be_exported_and_forgotten() {
    let server = TestServer::start().await;
    let s1 = server.session_with("grow", "", SessionSettings::default()).await;
    let s2 = server.session_with("grow", "", SessionSettings::default()).await;
    take_part(&server, &s2.participant_link, "Cleo", 5, "cleo-personal-key-123456", "").await;
    take_part(&server, &s1.participant_link, "Ben", 2, BEN, "").await;
    // Ana hosts s1, records a commitment, and ends it.
    let commitment = host_commits_and_ends(&server, &s1, ANA).await;

    let tick = |person: &str, done: bool| {
        format!(
            "k={person}&session={}&commitment={}&done={done}",
            s1.id.0, commitment.id
        )
    };
    let url = |path: &str| format!("{}/me/{path}", server.url());
    // Cleo was never in s1: refused, nothing changed.
    let (status, page_text) = http_post_form(&url("commitment"), &tick("cleo-personal-key-123456", true)).await;
    assert_eq!(status, 403, "{page_text}");
    assert!(page_text.contains("nothing was changed"));
    assert!(!server.outcome(&s1).await.unwrap().commitments[0].done);
    // Ben was: done, the same for everyone who reads the session; twice is the same.
    for _ in 0..2 {
        let (status, page_text) = http_post_form(&url("commitment"), &tick(BEN, true)).await;
        assert_eq!(status, 200, "{page_text}");
        assert!(page_text.contains("Marked done: “Write the runbook”"), "{page_text}");
    }
    assert!(server.outcome(&s1).await.unwrap().commitments[0].done);
    let (_, history) = me(&server, &format!("k={ANA}")).await;
    assert!(history.contains("1 commitment, all done"), "{history}");

    // The whole history as a file.
    let (status, md) = http_post_form(&url("export"), &format!("k={ANA}&format=md")).await;
    assert_eq!(status, 200);
    assert!(md.contains("attachment; filename=\"tandem-history.md\""), "{md}");
    assert!(
        md.contains("\r\n\r\n# Your Tandem history") && md.contains("- [x] Write the runbook, due 2026-01-15"),
        "{md}"
    );
    let (status, json) = http_post_form(&url("export"), &format!("k={ANA}&format=json")).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(json.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(json["sessions"][0]["with"][0], "Ben");
    assert_eq!(
        http_post_form(&url("export"), "k=unknown-personal-key-12345&format=md")
            .await
            .0,
        404
    );

    // Forget Ana: only with the box ticked; then her history is gone and Ben's shows "A former participant".
    let (status, refused) = http_post_form(&url("forget"), &format!("k={ANA}")).await;
    assert_eq!(status, 422);
    assert!(refused.contains("Tick the box to confirm: nothing was deleted."));
    assert_eq!(me(&server, &format!("k={ANA}")).await.0, 200);
    let (status, done) = http_post_form(&url("forget"), &format!("k={ANA}&sure=true")).await;
    assert_eq!(status, 200);
    assert!(
        done.contains("data-forget-key"),
        "the page tells the browser to drop the key"
    );
    assert_eq!(me(&server, &format!("k={ANA}")).await.0, 404);
    let (_, bens) = me(&server, &format!("k={BEN}")).await;
    assert!(bens.contains("with A former participant"), "{bens}");
}

#[tokio::test]
async fn the_next_session_together_brings_back_the_last_ones_commitments() {
    let server = TestServer::start().await;
    let first = server.session_with("grow", "", SessionSettings::default()).await;
    take_part(&server, &first.participant_link, "Ben", 2, BEN, "").await;
    let commitment = host_commits_and_ends(&server, &first, ANA).await;
    // Then a session together with no commitment at all: it does not hide the first one's.
    let between = server.session_with("grow", "", SessionSettings::default()).await;
    take_part(&server, &between.participant_link, "Ben", 7, BEN, "").await;
    let (mut host, _) = server.join(&between.host_link, "Ana", 8, None).await;
    assert_eq!(follow_up(&server, &between.host_link, 8, ANA, "").await.0, 200);
    host.send(&ClientMsg::EndSession).await;
    host.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    // A few minutes later, Ben and Ana again, and Cleo, who was not there.
    let next = server.session_with("grow", "", SessionSettings::default()).await;
    take_part(&server, &next.participant_link, "Ben", 3, BEN, "").await;
    take_part(&server, &next.host_link, "Ana", 4, ANA, "").await;
    take_part(
        &server,
        &next.participant_link,
        "Cleo",
        5,
        "cleo-personal-key-123456",
        "",
    )
    .await;
    let (status, part) = follow_up(&server, &next.participant_link, 3, BEN, "").await;
    assert_eq!(status, 200);
    assert!(part.contains("From your last session together"), "{part}");
    assert!(
        part.contains(": 1 open commitment</h2>") && part.contains("Write the runbook"),
        "{part}"
    );
    // Cleo met nobody here before; a browser that did not join, a wrong link or key get nothing either.
    let (status, part) = follow_up(&server, &next.participant_link, 5, "cleo-personal-key-123456", "").await;
    assert_eq!(status, 200);
    assert!(!part.contains("follow-up-title"), "{part}");
    assert_eq!(follow_up(&server, &next.participant_link, 9, BEN, "").await.0, 404);
    assert_eq!(
        follow_up(&server, &next.participant_link.replace("?t=", "?t=x"), 3, BEN, "")
            .await
            .0,
        404
    );
    assert_eq!(follow_up(&server, &next.participant_link, 3, "nope", "").await.0, 404);
    // An observer is linked (the session is in their history) but has nothing to tick.
    take_part(&server, &next.observer_link, "Wen", 6, "wen-personal-key-1234567", "").await;
    let (status, part) = follow_up(&server, &next.observer_link, 6, "wen-personal-key-1234567", "").await;
    assert_eq!(status, 200);
    assert!(!part.contains("follow-up-title"), "{part}");
    assert_eq!(me(&server, "k=wen-personal-key-1234567").await.0, 200);
    // Ana ticks it from her page of the new session: the same state in the first session's summary and in Ben's
    // history.
    let tick = format!("&tick={}&done=true", commitment.id);
    let (status, part) = follow_up(&server, &next.host_link, 4, ANA, &tick).await;
    assert_eq!(status, 200);
    assert!(
        part.contains("Marked done: “Write the runbook”") && part.contains("its commitment is done"),
        "{part}"
    );
    assert!(server.outcome(&first).await.unwrap().commitments[0].done);
    let (_, bens) = me(&server, &format!("k={BEN}")).await;
    assert!(bens.contains("1 commitment, all done"), "{bens}");
    // Cleo cannot tick it (she was not in the first session): refused, nothing changed.
    let untick = format!("&tick={}&done=false", commitment.id);
    let (_, part) = follow_up(&server, &next.participant_link, 5, "cleo-personal-key-123456", &untick).await;
    assert!(!part.contains("Open again"), "{part}");
    assert!(server.outcome(&first).await.unwrap().commitments[0].done);
}
