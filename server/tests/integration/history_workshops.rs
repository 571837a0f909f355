//! Workshops in "Your history" (issue 18): a participant's workshop through the breakout they were in, the
//! facilitator's through the relay's workshop pages (`/w/{id}/person`, as their script sends it), each shown with
//! its breakouts; "Forget me" renames the member in the workshop's own state and deletes the skills they gave,
//! through the workshop's actor while it runs (so that its next save cannot bring them back).

use crate::common::*;
use tandem_core::protocol::workshop::WorkshopClientMsg;
use tandem_core::session::{ParticipantKey, SessionId};
use tandem_core::workshop::{Level, SkillAnswers, Stage};

const ANA: &str = "ana-personal-key-1234567";
const FAY: &str = "fay-personal-key-1234567";

async fn me(server: &TestServer, person: &str) -> (u16, String) {
    http_post_form(&format!("{}/me", server.url()), &format!("k={person}")).await
}

/// The facilitator's or a participant's workshop page script linking this browser (`w`: its key there).
async fn link(server: &TestServer, w: &Workshop, link: &str, person: &str, n: u8) -> u16 {
    let token = link.split("?t=").nth(1).unwrap();
    let url = format!("{}/w/{}/person?t={token}", server.url(), w.id);
    http_post_form(&url, &format!("k={person}&w={}", key(n))).await.0
}

#[tokio::test]
async fn workshops_are_in_the_history_and_forget_me_clears_the_members_skills() {
    let server = TestServer::start().await;
    let w = server
        .workshop_with_skills(settings(2), &["SQL", "Rust"])
        .await
        .unwrap();
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let (mut ana, _) = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let (_ben, _) = server.join_workshop(&w.participant_link, "Ben", 2).await;
    let answers = SkillAnswers::from_names(&[("SQL", Some(Level::Expert))], &["Rust"]);
    server
        .state
        .relay
        .set_skills(&w.id, ParticipantKey(key(1)), answers)
        .await
        .unwrap()
        .unwrap();
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 3)
        .await;
    let (groups, _) = propose(&mut host).await;
    host.send(&WorkshopClientMsg::Open { groups }).await;
    let view = ana.view_until(|v| v.stage == Stage::Breakouts).await;
    let breakout = view.breakouts.iter().find_map(|b| b.link.clone()).unwrap();

    // Ana's breakout page joins with her workshop key and links her personal key, as its frame does.
    let (_page, _) = server.join(&breakout, "Ana", 1, None).await;
    let (id, token) = parts(&breakout);
    let url = format!("{}/s/{id}/follow-up?t={token}", server.url());
    assert_eq!(http_post_form(&url, &format!("k={ANA}&p={}", key(1))).await.0, 200);

    // The relay's workshop pages carry the form that links the reader's browser (public/relay-forms.js sends it).
    for page in ["join", "record", "skills", "closing"] {
        let (_, html) = http_get(&beside(&w.host_link, page)).await;
        assert!(html.contains(&format!(r#"data-member="{}""#, w.id)), "{page}: {html}");
        assert!(
            html.contains(r#"<script src="/relay-forms.js" defer></script>"#),
            "{page}"
        );
    }
    // The facilitator, who is in no breakout, through a workshop page of the relay's. Keys or links that do not fit
    // link nothing: the same 404.
    assert_eq!(link(&server, &w, &w.host_link, "short", 0).await, 404);
    assert_eq!(
        link(&server, &w, &w.host_link, FAY, 1).await,
        404,
        "a participant's key on the facilitator's link"
    );
    assert_eq!(
        link(&server, &w, &w.participant_link, FAY, 9).await,
        404,
        "a key that never joined"
    );
    assert_eq!(
        link(&server, &w, &w.host_link.replace("?t=", "?t=x"), FAY, 0).await,
        404
    );
    assert_eq!(me(&server, FAY).await.0, 404, "nothing was linked");
    assert_eq!(link(&server, &w, &w.host_link, FAY, 0).await, 204);
    assert_eq!(link(&server, &w, &w.host_link, FAY, 0).await, 204, "twice is once");

    let (status, page_fay) = me(&server, FAY).await;
    assert_eq!(status, 200, "{page_fay}");
    assert!(page_fay.contains(r#"data-testid="me-workshop""#), "{page_fay}");
    assert!(
        page_fay.contains("you facilitated") && page_fay.contains("Practise coaching"),
        "{page_fay}"
    );
    assert!(page_fay.contains("One workshop"), "{page_fay}");
    assert!(page_fay.contains("2 people took part"), "{page_fay}");
    assert!(
        page_fay.contains(&format!("/w/{}?t=", w.id)),
        "open while it runs: {page_fay}"
    );
    // The facilitator's download has the workshop too (it has no session of theirs).
    let export = format!("{}/me/export", server.url());
    let (status, md) = http_post_form(&export, &format!("k={FAY}&format=md")).await;
    assert_eq!(status, 200, "{md}");
    assert!(
        md.contains("## Workshops") && md.contains("you facilitated; 1 round; with Ana, Ben"),
        "{md}"
    );
    let (_, json) = http_post_form(&export, &format!("k={FAY}&format=json")).await;
    assert!(json.contains(r#""you": "facilitated""#), "{json}");
    let (status, page_ana) = me(&server, ANA).await;
    assert_eq!(status, 200, "{page_ana}");
    assert!(
        page_ana.contains("you took part") && page_ana.contains("1 round, 1 with you in a breakout"),
        "{page_ana}"
    );
    let nested = &page_ana[page_ana.find("me-timeline--nested").expect("the breakouts inside")..];
    assert!(
        nested.contains(&format!("/s/{id}?t={token}")) && nested.contains("Round 1 · breakout 1"),
        "{page_ana}"
    );
    assert!(
        page_ana.contains("One workshop"),
        "its breakout is not counted apart: {page_ana}"
    );

    // Ana forgets herself while the workshop runs.
    let (status, done) = http_post_form(&format!("{}/me/forget", server.url()), &format!("k={ANA}&sure=true")).await;
    assert_eq!(status, 200, "{done}");
    let record = server.state.store.workshop(&w.id).await.unwrap().unwrap();
    let member = record.state.member_by_key(&ParticipantKey(key(1))).unwrap();
    assert_eq!(member.name, "A former participant");
    assert!(member.skills.is_empty(), "her skills are deleted");
    assert!(record
        .state
        .skill_picture(&record.spec)
        .iter()
        .all(|l| l.offer == 0 && l.want == 0));
    // The running workshop's pages are told, and its next save keeps it so.
    let view = host
        .view_until(|v| v.people.iter().any(|p| p.name == "A former participant"))
        .await;
    assert!(!view.people.iter().any(|p| p.name == "Ana"));
    host.send(&WorkshopClientMsg::End).await;
    host.view_until(|v| v.stage == Stage::Ended).await;
    let record = server.state.store.workshop(&w.id).await.unwrap().unwrap();
    assert_eq!(
        record.state.member_by_key(&ParticipantKey(key(1))).unwrap().name,
        "A former participant"
    );
    // In the breakout too, and her history is gone; Fay's now opens the record.
    let people = server.state.store.participants(&SessionId(id.clone())).await.unwrap();
    assert!(people.iter().any(|p| p.view.name == "A former participant"));
    assert!(!people.iter().any(|p| p.view.name == "Ana"));
    assert_eq!(me(&server, ANA).await.0, 404);
    // Her browser still holds its keys of the workshop and the breakout: opening them again with a new personal
    // key brings nothing back.
    const ANA_AGAIN: &str = "ana-new-personal-key-1234";
    assert_eq!(link(&server, &w, &w.participant_link, ANA_AGAIN, 1).await, 404);
    assert_eq!(
        http_post_form(&url, &format!("k={ANA_AGAIN}&p={}", key(1))).await.0,
        200
    );
    assert_eq!(me(&server, ANA_AGAIN).await.0, 404, "still forgotten");
    let (_, page_fay) = me(&server, FAY).await;
    assert!(page_fay.contains(&format!("/w/{}/record?t=", w.id)), "{page_fay}");
    assert!(page_fay.contains("2 people took part"), "{page_fay}");
}
