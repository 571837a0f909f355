//! The workshop's skills page (issue 17), drawn by the relay, through HTTP as a browser uses it: the lobby's
//! "Pick your skills" posts the browser's key; a save is checked per field with nothing partly kept; each link sees
//! counts, never who picked what; saves are refused once the first round has opened.

use crate::common::*;
use tandem_core::protocol::workshop::{WorkshopClientMsg, WorkshopServerMsg};
use tandem_core::session::ParticipantKey;
use tandem_core::workshop::{Level, SkillAnswers};

fn token_of(link: &str) -> &str {
    link.split("?t=").nth(1).unwrap()
}

/// The skills page's address for `link`.
fn skills_url(server: &TestServer, w: &Workshop, link: &str) -> String {
    format!("{}/w/{}/skills?t={}", server.url(), w.id, token_of(link))
}

/// Posts the skills form as a browser does: (status, whole response).
async fn post(server: &TestServer, w: &Workshop, link: &str, fields: &str) -> (u16, String) {
    http_post_form(&skills_url(server, w, link), fields).await
}

async fn stored(server: &TestServer, w: &Workshop, n: u8) -> SkillAnswers {
    let record = server.state.store.workshop(&w.id).await.unwrap().unwrap();
    record
        .state
        .member_by_key(&ParticipantKey(key(n)))
        .unwrap()
        .skills
        .clone()
}

const SKILLS: [&str; 6] = ["SQL", "Facilitation", "Kubernetes", "Rust", "Go", "C<S>S"];

#[tokio::test]
async fn a_participant_picks_skills_checked_per_field_and_the_others_see_counts_only() {
    let server = TestServer::start().await;
    let w = server.workshop_with_skills(settings(2), &SKILLS).await.unwrap();
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let (_ana, _) = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let link = w.participant_link.clone();
    let k = key(1);

    // The lobby's button opens the form, every skill escaped.
    let (status, form) = post(&server, &w, &link, &format!("key={k}&step=open")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("data-testid=\"skills-form\"") && form.contains("Your skills, Ana"),
        "{form}"
    );
    assert!(form.contains("C&lt;S&gt;S") && !form.contains("C<S>S"));

    // Refused at their field, the choices kept as sent, and nothing stored of a refused save.
    let six: String = (0..6).map(|i| format!("&want{i}=on")).collect();
    let (status, page) = post(&server, &w, &link, &format!("key={k}&step=save&level0=expert{six}")).await;
    assert_eq!(status, 422);
    assert!(page.contains("Pick at most 5 skills here; you picked 6."), "{page}");
    assert!(page.contains(r#"<option value="expert" selected>"#), "{page}");
    assert!(stored(&server, &w, 1).await.is_empty());
    // A level that is not one of the form's counts as not picked.
    let (status, response) = post(&server, &w, &link, &format!("key={k}&step=save&level1=guru&want9=on")).await;
    assert_eq!(status, 303);
    assert!(response.contains("&saved=true&empty=true"), "{response}");
    let (_, page) = http_get(&format!("{}&saved=true&empty=true", skills_url(&server, &w, &link))).await;
    assert!(page.contains("Saved, with nothing picked"), "{page}");
    assert!(stored(&server, &w, 1).await.is_empty());

    // A good save, twice (a double submit): kept once; the page says so, with the way back; the pages get a view.
    for _ in 0..2 {
        let (status, response) = post(&server, &w, &link, &format!("key={k}&step=save&level0=expert&want2=on")).await;
        assert_eq!(status, 303, "{response}");
        let location = format!("location: /w/{}/skills?t={}&saved=true", w.id, token_of(&link));
        assert!(response.to_lowercase().contains(&location.to_lowercase()), "{response}");
    }
    let (_, page) = http_get(&format!("{}&saved=true", skills_url(&server, &w, &link))).await;
    assert!(page.contains("Your skills are saved"), "{page}");
    assert!(page.contains(&format!(
        r#"href="/w/{}?t={}" data-testid="skills-lobby""#,
        w.id,
        token_of(&link)
    )));
    let kept = stored(&server, &w, 1).await;
    assert_eq!(
        kept,
        SkillAnswers::from_names(&[("SQL", Some(Level::Expert))], &["Kubernetes"])
    );
    host.recv_until(|m| matches!(m, WorkshopServerMsg::View { .. })).await;
    let (_, form) = post(&server, &w, &link, &format!("key={k}&step=open")).await;
    assert!(form.contains(r#"id="want2" name="want2" checked"#), "{form}");

    // Every link sees the picture: counts and the gap, never a name or a key.
    for l in [&w.host_link, &w.observer_link, &w.participant_link] {
        let (status, page) = http_get(&skills_url(&server, &w, l)).await;
        assert_eq!(status, 200);
        assert!(page.contains("1 of 1 participants have picked their skills."), "{page}");
        assert!(
            page.contains(r#"<tr><th scope="row">Kubernetes</th><td>1</td><td>0</td><td>1</td></tr>"#),
            "{page}"
        );
        assert!(
            page.contains("1 person wants Kubernetes; nobody here offers it."),
            "{page}"
        );
        assert!(!page.contains("Ana") && !page.contains(&k), "{page}");
        // The participants' link also has "Pick your skills", which the page's script fills with the browser's key.
        let participants = l == &w.participant_link;
        assert_eq!(page.contains(r#"id="skills-open""#), participants, "{page}");
        assert!(page.contains(r#"<script src="/relay-forms.js" defer></script>"#));
        assert!(page.to_lowercase().contains("x-frame-options: deny"), "{page}");
        // The workshop page's frame: the picture only, framed by Tandem's own pages only.
        let (status, part) = http_get(&format!("{}&embed=true", skills_url(&server, &w, l))).await;
        assert_eq!(status, 200);
        let lower = part.to_lowercase();
        assert!(lower.contains("x-frame-options: sameorigin"), "{part}");
        assert!(
            lower.contains("frame-ancestors 'self'") && !lower.contains("frame-ancestors 'none'"),
            "{part}"
        );
        assert!(
            part.contains(r#"<body class="embed">"#) && !part.contains("topbar"),
            "{part}"
        );
        assert!(
            part.contains("1 person wants Kubernetes; nobody here offers it."),
            "{part}"
        );
        assert!(!part.contains("skills-form") && !part.contains("skills-markdown") && !part.contains("Ana"));
    }
}

#[tokio::test]
async fn wrong_links_keys_and_saves_after_the_first_round_are_refused() {
    let server = TestServer::start().await;
    let w = server.workshop_with_skills(settings(2), &["SQL", "Go"]).await.unwrap();
    let plain = server.workshop(settings(2)).await;
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let (_ana, _) = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let (_ben, _) = server.join_workshop(&w.participant_link, "Ben", 2).await;
    let save = "step=save&want1=on";

    // Only a participant who joined, with the participants' link, gets a form: anything else is the same 404.
    let wrong = [
        (w.host_link.clone(), key(9)),
        (w.participant_link.clone(), key(7)),
        (w.participant_link.replace("?t=", "?t=x"), key(1)),
        (w.participant_link.clone(), String::new()),
    ];
    for (link, k) in &wrong {
        let (status, page) = post(&server, &w, link, &format!("key={k}&{save}")).await;
        assert_eq!(status, 404, "{link} {k}");
        assert!(
            page.contains("not valid") || page.contains("has not joined this workshop"),
            "{page}"
        );
    }
    let (status, _) = post(
        &server,
        &plain,
        &plain.participant_link,
        &format!("key={}&{save}", key(1)),
    )
    .await;
    assert_eq!(status, 404, "a workshop without skills");
    assert_eq!(http_get(&skills_url(&server, &plain, &plain.host_link)).await.0, 404);
    assert!(stored(&server, &w, 1).await.is_empty());

    // Once the first round has opened, the answers are the picture the rounds were paired from.
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 3)
        .await;
    let (groups, _) = propose(&mut host).await;
    host.send(&WorkshopClientMsg::Open { groups }).await;
    host.view_until(|v| !v.breakouts.is_empty()).await;
    let (status, page) = post(&server, &w, &w.participant_link, &format!("key={}&{save}", key(1))).await;
    assert_eq!(status, 409);
    assert!(
        page.contains("The first round has opened: skills can no longer be changed."),
        "{page}"
    );
    let (status, page) = post(&server, &w, &w.participant_link, &format!("key={}&step=open", key(1))).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("The first round has opened: skills can no longer be changed."),
        "{page}"
    );
    assert!(page.contains("You want to learn: nothing picked."), "{page}");
    let (_, page) = http_get(&skills_url(&server, &w, &w.participant_link)).await;
    assert!(page.contains("See your skills"), "{page}");
    assert!(!page.contains("data-testid=\"skills-form\""));
    assert!(stored(&server, &w, 1).await.is_empty());
}

#[tokio::test]
async fn the_facilitator_chooses_how_the_next_round_is_proposed() {
    let server = TestServer::start().await;
    let w = server.workshop_with_skills(settings(2), &["SQL", "Go"]).await.unwrap();
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let mut pages = Vec::new();
    for (n, name) in [(1, "Ana"), (2, "Ben"), (3, "Cem"), (4, "Dia")] {
        pages.push(server.join_workshop(&w.participant_link, name, n).await.0);
    }
    let stored = || async {
        server
            .state
            .store
            .workshop(&w.id)
            .await
            .unwrap()
            .unwrap()
            .state
            .pairing_choice
    };
    // Only the facilitator's link chooses; an unknown way is refused; nothing kept of either.
    for link in [&w.participant_link, &w.observer_link] {
        assert_eq!(post(&server, &w, link, "step=pairing&how=random").await.0, 404);
    }
    let (status, page) = post(&server, &w, &w.host_link, "step=pairing&how=alphabetical").await;
    assert_eq!(status, 422);
    assert!(page.contains("Pick one of the ways to pair people."), "{page}");
    assert_eq!(stored().await, None);
    // The page shows Tandem's way checked until the facilitator chooses (nobody has picked skills: rotation).
    let (_, page) = http_get(&skills_url(&server, &w, &w.host_link)).await;
    assert!(page.contains(r#"value="rotation" checked"#), "{page}");
    let (_, page) = http_get(&skills_url(&server, &w, &w.observer_link)).await;
    assert!(!page.contains("skills-pairing"), "observers do not choose");

    let (status, response) = post(&server, &w, &w.host_link, "step=pairing&how=random").await;
    assert_eq!(status, 303);
    assert!(response.contains("&chosen=true#pairing"), "{response}");
    assert_eq!(stored().await, Some(tandem_core::workshop::Pairing::Random));
    let (_, page) = http_get(&skills_url(&server, &w, &w.host_link)).await;
    assert!(page.contains(r#"value="random" checked"#), "{page}");
    // The next proposal follows it: drawn from the workshop's seed for round 1, as the core draws it.
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 5)
        .await;
    let (groups, _) = propose(&mut host).await;
    let record = server.state.store.workshop(&w.id).await.unwrap().unwrap();
    let mut present: Vec<_> = record.state.participants().map(|m| m.id).collect();
    present.sort();
    let expected = record
        .state
        .propose(&record.spec, &present, tandem_core::workshop::Pairing::Random)
        .unwrap();
    assert_eq!(groups, expected);
}

#[tokio::test]
async fn a_participant_on_the_skills_page_still_counts_as_here() {
    let server = TestServer::start().await;
    let w = server.workshop_with_skills(settings(2), &["SQL", "Go"]).await.unwrap();
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let (ana, welcome) = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let ana_id = member(&welcome);
    let (_ben, _) = server.join_workshop(&w.participant_link, "Ben", 2).await;
    let here = |n: usize| {
        move |v: &tandem_core::protocol::workshop::WorkshopView| v.people.iter().filter(|p| p.online).count() == n
    };
    host.view_until(here(3)).await;
    // Ana's workshop page closes as she goes to the skills page, whose script says she is there.
    drop(ana);
    host.view_until(here(2)).await;
    let (status, _) = post(&server, &w, &w.participant_link, &format!("key={}&step=visit", key(1))).await;
    assert_eq!(status, 204);
    host.view_until(here(3)).await;
    let (groups, _) = propose(&mut host).await;
    assert!(groups.iter().flatten().any(|&m| m == ana_id), "{groups:?}");
    // A key that has not joined changes nothing.
    let (status, _) = post(&server, &w, &w.participant_link, &format!("key={}&step=visit", key(5))).await;
    assert_eq!(status, 404);
}
