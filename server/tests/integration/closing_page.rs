//! The workshop's closing question (issue 17), through HTTP as a browser uses it: answered once by each participant
//! after a round, checked per field; the facilitator and the observers see nothing but a count below three answers,
//! then the aggregate, never who gave which; a participant never sees others' answers.

use crate::common::*;
use tandem_core::protocol::workshop::WorkshopClientMsg;
use tandem_core::workshop::ClosingSummary;

fn token_of(link: &str) -> &str {
    link.split("?t=").nth(1).unwrap()
}

fn closing_url(server: &TestServer, w: &Workshop, link: &str) -> String {
    format!("{}/w/{}/closing?t={}", server.url(), w.id, token_of(link))
}

async fn post(server: &TestServer, w: &Workshop, link: &str, fields: &str) -> (u16, String) {
    http_post_form(&closing_url(server, w, link), fields).await
}

async fn answered(server: &TestServer, w: &Workshop) -> usize {
    match server.state.store.closing_summary(&w.id).await.unwrap() {
        ClosingSummary::Open { answered }
        | ClosingSummary::TooFew { answered }
        | ClosingSummary::Shown { answered, .. } => answered,
    }
}

const NAMES: [&str; 4] = ["Ana", "Ben", "Cem", "Dia"];

#[tokio::test]
async fn answers_are_checked_kept_once_and_shown_only_together_from_three_on() {
    let server = TestServer::start().await;
    let w = server.workshop(settings(2)).await;
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let mut pages = Vec::new();
    for (n, name) in (1..).zip(NAMES) {
        pages.push(server.join_workshop(&w.participant_link, name, n).await.0);
    }
    let p = w.participant_link.clone();
    let save = |n: u8, rest: &str| format!("key={}&step=save&{rest}", key(n));

    // Before the first round: not yet, nothing kept.
    let (status, page) = post(&server, &w, &p, &save(1, "rating=5")).await;
    assert_eq!(status, 409);
    assert!(page.contains("opens once the first round has opened"), "{page}");
    let (_, page) = http_get(&closing_url(&server, &w, &p)).await;
    assert!(page.contains("closing-not-yet"), "{page}");
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 5)
        .await;
    let (groups, _) = propose(&mut host).await;
    host.send(&WorkshopClientMsg::Open { groups }).await;
    host.view_until(|v| !v.breakouts.is_empty()).await;

    // Only a participant who joined, on the participants' link: anything else is the same 404.
    for (link, k) in [
        (w.host_link.clone(), key(9)),
        (w.observer_link.clone(), key(1)),
        (p.clone(), key(7)),
        (p.replace("?t=", "?t=x"), key(1)),
        (p.clone(), String::new()),
    ] {
        let (status, _) = post(&server, &w, &link, &format!("key={k}&step=save&rating=5")).await;
        assert_eq!(status, 404, "{link} {k}");
    }
    // The participants' page has the form for the script to fill, and no results.
    let (status, page) = http_get(&closing_url(&server, &w, &p)).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"data-testid="closing-form" hidden"#), "{page}");
    assert!(!page.contains("closing-results"));

    // Refused at its field, the text kept as sent, nothing stored.
    let (status, page) = post(&server, &w, &p, &save(1, "next=Ask+%3Cmore%3E")).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Pick how useful your pairing was, from 1 to 5."),
        "{page}"
    );
    assert!(page.contains("Ask &lt;more&gt;</textarea>"), "{page}");
    let (status, page) = post(&server, &w, &p, &save(1, "rating=7")).await;
    assert_eq!(status, 422);
    assert!(page.contains("Pick a number from 1 to 5."), "{page}");
    let long = "x".repeat(281);
    let (status, page) = post(&server, &w, &p, &save(1, &format!("rating=3&next={long}"))).await;
    assert_eq!(status, 422);
    assert!(page.contains("Keep it to 280 characters (it has 281)."), "{page}");
    assert!(page.contains(r#"value="3" checked"#), "{page}");
    assert_eq!(answered(&server, &w).await, 0);

    // Ana answers, twice at once (a double submit): one answer kept, the other told so.
    let (one, two) = (
        save(1, "rating=5&next=Ask+more+open+questions"),
        save(1, "rating=5&next=Ask+more+open+questions"),
    );
    let (first, second) = (post(&server, &w, &p, &one), post(&server, &w, &p, &two));
    let (a, b) = tokio::join!(first, second);
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [303, 409], "{} {}", a.1, b.1);
    let refused = if a.0 == 409 { &a.1 } else { &b.1 };
    assert!(refused.contains("You have answered already"), "{refused}");
    let thanks = if a.0 == 303 { &a.1 } else { &b.1 };
    assert!(thanks.contains(&format!("/w/{}/closing?t={}&answered=true", w.id, token_of(&p))));
    assert_eq!(answered(&server, &w).await, 1);
    // A different answer later is refused the same way, and not kept.
    let (status, page) = post(&server, &w, &p, &save(1, "rating=1&next=Changed+my+mind")).await;
    assert_eq!(status, 409);
    assert!(page.contains("You have answered already"), "{page}");
    assert_eq!(answered(&server, &w).await, 1);
    let (_, page) = http_get(&format!("{}&answered=true", closing_url(&server, &w, &p))).await;
    assert!(page.contains("Thank you: your answer is in."), "{page}");
    // The page asks whether this browser answered.
    let (status, answer) = post(&server, &w, &p, &format!("key={}&step=check", key(1))).await;
    assert_eq!(status, 200);
    assert!(answer.ends_with("\r\n\r\nanswered"), "{answer}");
    assert_eq!(
        post(&server, &w, &p, &format!("key={}&step=check", key(2))).await.0,
        204
    );

    // Two answers: the facilitator and the observers see a count, and nothing of what was answered.
    assert_eq!(post(&server, &w, &p, &save(2, "rating=2")).await.0, 303);
    for link in [&w.host_link, &w.observer_link] {
        let (status, page) = http_get(&closing_url(&server, &w, link)).await;
        assert_eq!(status, 200);
        assert!(page.contains("2 of 4 participants have answered so far."), "{page}");
        // Only the facilitator can close the question.
        assert_eq!(page.contains("closing-close-form"), link == &w.host_link, "{page}");
        assert!(!page.contains("Ask more") && !page.contains("closing-table"), "{page}");
        let (_, record) = http_get(&format!("{}/w/{}/record?t={}", server.url(), w.id, token_of(link))).await;
        assert!(record.contains("2 of 4 participants have answered so far."), "{record}");
        assert!(!record.contains("Ask more"));
    }

    // Three, still open: a count and nothing else. Then the facilitator closes the question (observers cannot; the box
    // must be ticked): the aggregate, the texts in alphabetical order and escaped, no name on the page.
    assert_eq!(
        post(&server, &w, &p, &save(3, "rating=4&next=%3Cb%3EPair+again%3C%2Fb%3E"))
            .await
            .0,
        303
    );
    let (_, page) = http_get(&closing_url(&server, &w, &w.host_link)).await;
    assert!(page.contains("3 of 4 participants have answered so far."), "{page}");
    assert!(!page.contains("Ask more") && !page.contains("closing-table"), "{page}");
    assert_eq!(post(&server, &w, &w.observer_link, "step=close&sure=on").await.0, 404);
    assert_eq!(
        post(&server, &w, &p, &format!("key={}&step=close&sure=on", key(4)))
            .await
            .0,
        404
    );
    let (status, page) = post(&server, &w, &w.host_link, "step=close").await;
    assert_eq!(status, 422);
    assert!(page.contains("Tick the box first"), "{page}");
    assert!(page.contains("3 of 4 participants have answered so far."), "{page}");
    assert!(!server.state.store.closing_closed(&w.id).await.unwrap());
    let (status, _) = post(&server, &w, &w.host_link, "step=close&sure=on").await;
    assert_eq!(status, 303);
    let (_, page) = http_get(&closing_url(&server, &w, &w.host_link)).await;
    assert!(page.contains("3 of 4 participants answered"), "{page}");
    assert!(!page.contains("closing-close-form"), "closed once");
    assert!(page.contains("<strong>3.7 of 5</strong>"), "{page}");
    assert!(
        page.contains(r#"<tr><th scope="row">2: A little useful</th><td>1</td></tr>"#),
        "{page}"
    );
    let (ask, pair) = (
        page.find("Ask more open questions").unwrap(),
        page.find("&lt;b&gt;Pair again").unwrap(),
    );
    assert!(pair < ask, "alphabetical: '<b>…' sorts before 'Ask'");
    for name in NAMES {
        assert!(!page.contains(name), "{name} on the results page");
    }
    // The Markdown record has the same part, with no name in it.
    let (status, md) = http_get(&format!(
        "{}/w/{}/record.md?t={}",
        server.url(),
        w.id,
        token_of(&w.host_link)
    ))
    .await;
    assert_eq!(status, 200);
    let part = md.split("## Closing question").nth(1).expect("a closing part");
    assert!(
        part.contains("3 of 4 participants answered") && part.contains("- Ask more open questions"),
        "{part}"
    );
    assert!(NAMES.iter().all(|name| !part.contains(name)), "{part}");
    // Closed: Dia's answer comes too late, and her page says the question has closed.
    let (status, page) = post(&server, &w, &p, &save(4, "rating=1")).await;
    assert_eq!(status, 409);
    assert!(
        page.contains("The closing question has closed: your answer was not recorded."),
        "{page}"
    );
    let (_, page) = http_get(&closing_url(&server, &w, &p)).await;
    assert!(page.contains(r#"data-testid="closing-closed""#), "{page}");
    assert_eq!(answered(&server, &w).await, 3);
    // A participant never sees the others' answers.
    let (_, page) = http_get(&closing_url(&server, &w, &p)).await;
    assert!(
        !page.contains("Ask more") && !page.contains("closing-results"),
        "{page}"
    );
    assert_eq!(
        http_get(&format!("{}/w/{}/record?t={}", server.url(), w.id, token_of(&p)))
            .await
            .0,
        404
    );

    // On the wire: the facilitator's socket carries no answer (a view after the answers has none).
    let (_eve, _) = server.join_workshop(&p, "Eve", 5).await;
    let view = host.view_until(|v| v.people.iter().any(|p| p.name == "Eve")).await;
    let json = serde_json::to_string(&view).unwrap();
    assert!(!json.contains("Ask more") && !json.contains("Pair again"), "{json}");
    drop(pages);
}
