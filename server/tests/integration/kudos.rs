//! Kudos (issue 18) over HTTP as the session page's framed part sends them: given while the session runs, to someone
//! else in it, at most five each, tied to the phase; read by the receiver, and by the host once shared; refused with
//! a message otherwise; in the receiver's history and export; gone with "Forget me" of the giver.

use crate::common::*;
use tandem_core::protocol::{ClientMsg, ServerMsg};

async fn kudos(server: &TestServer, link: &str, n: u8, fields: &str) -> (u16, String) {
    let (id, token) = parts(link);
    let url = format!("{}/s/{id}/kudos?t={token}", server.url());
    http_post_form(&url, &format!("p={}&{fields}", key(n))).await
}

fn give(to: u32, text: &str) -> String {
    format!("step=give&to={to}&text={}", text.replace(' ', "+"))
}

#[tokio::test]
async fn kudos_are_checked_kept_private_and_shared_only_by_their_receiver() {
    let server = TestServer::start().await;
    let s = server.session("grow").await;
    let (mut ana, _) = server.join(&s.host_link, "Ana", 1, None).await;
    let (_ben, _) = server.join(&s.participant_link, "Ben", 2, None).await;
    let (_wen, _) = server.join(&s.observer_link, "Wen", 3, None).await;

    let (status, part) = kudos(&server, &s.host_link, 1, &give(2, "Great open question")).await;
    assert_eq!(status, 200, "{part}");
    assert!(part.contains("Kudos sent to Ben."), "{part}");
    assert!(part.contains("1 of 5 given"), "{part}");

    // Refusals, each with its message, the text kept, nothing stored.
    for (n, fields, message) in [
        (1, give(1, "Me"), "Kudos go to someone else"),
        (1, give(3, "Watching"), "Pick someone in this session."),
        (1, give(9, "Nobody"), "Pick someone in this session."),
        (1, give(2, "   "), "Write what they did."),
        (
            1,
            give(2, &"x".repeat(141)),
            "At most 140 characters: this one has 141.",
        ),
        (3, give(2, "From the gallery"), "An observer link gives no kudos."),
    ] {
        let link = if n == 3 { &s.observer_link } else { &s.host_link };
        let (status, part) = kudos(&server, link, n, &fields).await;
        assert_eq!(status, 422, "{fields}: {part}");
        assert!(part.contains(message), "{fields}: {part}");
    }
    let (_, part) = kudos(&server, &s.host_link, 1, &give(2, &"y".repeat(141))).await;
    assert!(part.contains(&"y".repeat(141)), "the text is kept to be shortened");
    assert_eq!(
        kudos(&server, &s.host_link, 7, "").await.0,
        404,
        "a browser that did not join"
    );
    assert_eq!(kudos(&server, &s.host_link.replace("?t=", "?t=x"), 1, "").await.0, 404);

    // Five each: the sixth is refused, even sent twice at once.
    for i in 2..=4 {
        assert_eq!(
            kudos(&server, &s.host_link, 1, &give(2, &format!("Kudos {i}"))).await.0,
            200
        );
    }
    let (fifth, sixth) = (give(2, "Fifth"), give(2, "Sixth"));
    let (a, b) = tokio::join!(
        kudos(&server, &s.host_link, 1, &fifth),
        kudos(&server, &s.host_link, 1, &sixth)
    );
    assert_eq!([a.0, b.0].iter().filter(|&&s| s == 200).count(), 1, "{} {}", a.1, b.1);
    let (status, part) = kudos(&server, &s.host_link, 1, &give(2, "Seventh")).await;
    assert_eq!(status, 422);
    assert!(part.contains("You have given 5 kudos in this session"), "{part}");
    let stored = server.state.store.kudos(&s.id).await.unwrap();
    assert_eq!(stored.len(), 5);
    assert!(stored.iter().all(|k| k.phase == "Goal"), "tied to the phase");

    // The receiver reads them; the giver and the observer do not; the host only once shared.
    let (_, bens) = kudos(&server, &s.participant_link, 2, "").await;
    assert_eq!(bens.matches(r#"data-testid="kudos-received""#).count(), 5, "{bens}");
    assert!(bens.contains("from Ana · in Goal"), "{bens}");
    let (_, anas) = kudos(&server, &s.host_link, 1, "").await;
    assert!(!anas.contains("Great open question"), "{anas}");
    let (_, wens) = kudos(&server, &s.observer_link, 3, "").await;
    assert!(!wens.contains("Great open question"), "{wens}");
    let first = stored[0].id;
    // Someone else's kudos cannot be shared by them.
    let (status, _) = kudos(&server, &s.host_link, 1, &format!("step=share&id={first}&shared=true")).await;
    assert_eq!(status, 422);
    let (status, part) = kudos(
        &server,
        &s.participant_link,
        2,
        &format!("step=share&id={first}&shared=true"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(part.contains("Shared with the host."), "{part}");
    let (_, anas) = kudos(&server, &s.host_link, 1, "").await;
    assert!(
        anas.contains("Shared with you") && anas.contains("Great open question"),
        "{anas}"
    );

    // After the end: read, never given.
    ana.send(&ClientMsg::EndSession).await;
    ana.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    let (status, part) = kudos(&server, &s.participant_link, 2, &give(1, "Thanks")).await;
    assert_eq!(status, 422);
    assert!(part.contains("This session has ended"), "{part}");
    let (_, bens) = kudos(&server, &s.participant_link, 2, "").await;
    assert!(
        !bens.contains("Give kudos") && bens.contains("Great open question"),
        "{bens}"
    );
}

#[tokio::test]
async fn the_summary_markdown_has_the_kudos_its_reader_may_see() {
    let server = TestServer::start().await;
    let s = server.session("grow").await;
    let (mut ana, _) = server.join(&s.host_link, "Ana", 1, None).await;
    let (_ben, _) = server.join(&s.participant_link, "Ben", 2, None).await;
    let (_cem, _) = server.join(&s.participant_link, "Cem", 3, None).await;
    assert_eq!(kudos(&server, &s.host_link, 1, &give(2, "Clear summary")).await.0, 200);
    assert_eq!(
        kudos(&server, &s.participant_link, 3, &give(2, "Kind words")).await.0,
        200
    );
    let shared = server.state.store.kudos(&s.id).await.unwrap()[1].id;
    let (status, _) = kudos(
        &server,
        &s.participant_link,
        2,
        &format!("step=share&id={shared}&shared=true"),
    )
    .await;
    assert_eq!(status, 200);
    ana.send(&ClientMsg::EndSession).await;
    ana.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    let md = |link: &str, n: u8| {
        let (id, token) = parts(link);
        format!("{}/s/{id}/summary.md?t={token}&k={}", server.url(), key(n))
    };
    let (_, bens) = http_get(&md(&s.participant_link, 2)).await;
    assert!(
        bens.contains("## Kudos") && bens.contains("“Clear summary” (from Ana to Ben, in Goal"),
        "{bens}"
    );
    assert!(bens.contains("“Kind words” (from Cem to Ben"), "{bens}");
    let (_, anas) = http_get(&md(&s.host_link, 1)).await;
    assert!(
        anas.contains("“Kind words”") && !anas.contains("Clear summary"),
        "the host reads the shared one: {anas}"
    );
    let (_, cems) = http_get(&md(&s.participant_link, 3)).await;
    assert!(!cems.contains("## Kudos"), "the giver does not: {cems}");
}

/// The summary page frames the same part: from the browser that took part (its participant key), or from another
/// device by the personal key alone (a summary opened from `/me` there), which finds the participant it is linked
/// to; a key linked to nobody in the session gets the empty 404.
#[tokio::test]
async fn the_summarys_part_shows_the_kudos_by_either_key() {
    const BEN: &str = "ben-personal-key-1234567";
    let server = TestServer::start().await;
    let s = server.session("grow").await;
    let (mut ana, _) = server.join(&s.host_link, "Ana", 1, None).await;
    let (_ben, _) = server.join(&s.participant_link, "Ben", 2, None).await;
    assert_eq!(kudos(&server, &s.host_link, 1, &give(2, "Clear summary")).await.0, 200);
    let (id, token) = parts(&s.participant_link);
    let follow_up = format!("{}/s/{id}/follow-up?t={token}", server.url());
    assert_eq!(
        http_post_form(&follow_up, &format!("k={BEN}&p={}", key(2))).await.0,
        200
    );
    ana.send(&ClientMsg::EndSession).await;
    ana.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;

    let url = format!("{}/s/{id}/kudos?t={token}", server.url());
    let (status, frame) = http_get(&url).await;
    assert_eq!(status, 200);
    assert!(
        frame.contains("data-person") && frame.contains(r#"data-swap="kudos""#),
        "{frame}"
    );
    let (status, part) = http_post_form(&url, &format!("k={BEN}&p=")).await;
    assert_eq!(status, 200, "{part}");
    assert!(
        part.contains("Clear summary") && part.contains("Share with the host"),
        "{part}"
    );
    assert!(
        part.contains(&format!(r#"name="k" value="{BEN}""#)),
        "its forms carry the key: {part}"
    );
    let shared = server.state.store.kudos(&s.id).await.unwrap()[0].id;
    let (status, part) = http_post_form(&url, &format!("k={BEN}&p=&step=share&id={shared}&shared=true")).await;
    assert_eq!(status, 200);
    assert!(part.contains("Shared with the host."), "{part}");
    for fields in [
        "k=somebody-else-key-1234&p=".to_string(),
        "k=&p=".to_string(),
        "k=short".to_string(),
    ] {
        let (status, part) = http_post_form(&url, &fields).await;
        assert_eq!((status, part.contains("Clear summary")), (404, false), "{fields}");
    }
}
