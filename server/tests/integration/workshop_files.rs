//! What the relay draws for a workshop's facilitator (server/src/workshop_files.rs): the join screen and its QR
//! code, and the record as Markdown and as a page (server/src/workshop_record.rs); each for the facilitator's (or
//! observers') link only.

use crate::common::*;
use tandem_core::protocol::workshop::WorkshopClientMsg;
use tandem_core::workshop::Stage;

#[tokio::test]
async fn the_record_downloads_as_markdown_for_the_facilitator_only() {
    let server = TestServer::start().await;
    let w = server.workshop(settings(1)).await;
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let (_p1, _) = server.join_workshop(&w.participant_link, "# Ana <b>", 1).await;
    let (_p2, _) = server.join_workshop(&w.participant_link, "Ben", 2).await;
    host.view_until(|v| v.people.len() == 3).await;
    host.send(&WorkshopClientMsg::Broadcast {
        text: "[click](http://evil)".into(),
    })
    .await;
    host.view_until(|v| !v.broadcasts.is_empty()).await;
    let (groups, _) = propose(&mut host).await;
    host.send(&WorkshopClientMsg::Open { groups }).await;
    host.view_until(|v| v.stage == Stage::Breakouts).await;

    let record = |link: &str| beside(link, "record.md");
    let (status, body) = http_get(&record(&w.host_link)).await;
    assert_eq!(status, 200);
    assert!(body.contains("\n# Workshop: GROW"), "{body}");
    assert!(body.contains("## Round 1 (still open"), "{body}");
    assert!(body.contains("\\# Ana \\<b\\>"), "names are escaped: {body}");
    assert!(
        body.contains("\\[click\\](http://evil)"),
        "messages are escaped: {body}"
    );
    assert_eq!(http_get(&record(&w.observer_link)).await.0, 200);
    let times = |link: &str| record(link).replace("record.md", "times.svg");
    let (status, svg) = http_get(&times(&w.host_link)).await;
    assert_eq!(status, 200);
    assert!(
        svg.contains("Round 1 · breakout 1: planned 35 min, actual 0 min"),
        "{svg}"
    );
    assert_eq!(http_get(&times(&w.participant_link)).await.0, 404);
    assert_eq!(http_get(&record(&w.participant_link)).await.0, 404);
    assert_eq!(http_get(&record(&w.host_link).replace("?t=", "?t=x")).await.0, 404);

    // The record page: the same, as HTML, with everything typed escaped; links to the download and back.
    let page = |link: &str| beside(link, "record");
    let (status, html) = http_get(&page(&w.host_link)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<h1>Record: GROW"), "{html}");
    assert!(html.contains("Round 1 · breakout 1: "), "{html}");
    assert!(
        html.contains("# Ana &lt;b&gt;") && !html.contains("<b>"),
        "names are escaped: {html}"
    );
    assert!(
        html.contains("[click](http://evil)") && !html.contains("<a href=\"http://evil"),
        "{html}"
    );
    assert!(html.contains("record.md?t=") && html.contains(r#"<script src="/relay-forms.js" defer></script>"#));
    assert_eq!(http_get(&page(&w.observer_link)).await.0, 200);
    assert_eq!(http_get(&page(&w.participant_link)).await.0, 404);
}

/// The y-websocket endpoint addresses a breakout: an official Yjs client on the facilitator's observer link (given
/// where the workshop lets the facilitator read notes) reads what the breakout's members write.

#[tokio::test]
async fn the_join_screen_qr_code_is_drawn_for_the_facilitator_only() {
    let server = TestServer::start().await;
    let w = server.workshop(settings(1)).await;
    let qr = |link: &str| beside(link, "qr.svg");
    let (status, body) = http_get(&qr(&w.host_link)).await;
    assert_eq!(status, 200);
    assert!(body.contains("content-type: image/svg+xml"), "{body}");
    assert!(body.contains("<svg") && body.contains("<path"), "{body}");
    assert_eq!(http_get(&qr(&w.participant_link)).await.0, 404);
    assert_eq!(http_get(&qr(&w.observer_link)).await.0, 404);
}

#[tokio::test]
async fn the_join_screen_is_a_page_for_the_facilitator_only() {
    let server = TestServer::start().await;
    let w = server.workshop(settings(1)).await;
    let (_ana, _) = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let join = |link: &str| beside(link, "join");
    let (status, page) = http_get(&join(&w.host_link)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<title>Join the workshop · Tandem</title>"));
    assert!(
        page.contains(r#"data-testid="join-name">GROW peer coaching: Practise coaching</p>"#),
        "it names the workshop: {page}"
    );
    assert!(page.contains(r#"<header class="topbar">"#), "Tandem's top bar");
    assert!(
        page.contains(&w.participant_link.replace('&', "&amp;")),
        "the participant link, in large type"
    );
    assert!(page.contains("1 person has joined"));
    assert!(page.contains("/qr.svg?t="));
    // Neither a participant's nor an observer's link shows it, nor a wrong one.
    for link in [&w.participant_link, &w.observer_link] {
        assert_eq!(http_get(&join(link)).await.0, 404);
    }
    // A wrong link gets a page that says so, in the app's style, with a way on.
    let (status, page) = http_get(&join(&w.host_link).replace("?t=", "?t=x")).await;
    assert_eq!(status, 404);
    assert!(
        page.contains("<h1>Link not valid</h1>") && page.contains(r#"<header class="topbar">"#),
        "{page}"
    );
    assert!(page.contains(r#"href="/">Start a new session</a>"#), "{page}");
    // Once it has ended, the screen says so, and shows no code to scan.
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    host.send(&WorkshopClientMsg::End).await;
    host.view_until(|v| v.stage == Stage::Ended).await;
    let (_, page) = http_get(&join(&w.host_link)).await;
    assert!(page.contains("This workshop has ended"), "{page}");
    assert!(page.contains("GROW peer coaching: Practise coaching"), "{page}");
    assert!(!page.contains("qr.svg") && !page.contains(&w.participant_link));
}
