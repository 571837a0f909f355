//! Skills in a workshop (issue 17): the workshop's list checked at creation and stored with its spec, the relay
//! proposing pairs by skill from the answers stored with the workshop's state and saying why on the facilitator's
//! skills page, and the chart and record. (The skills page's forms: skills_page.rs.)

use crate::common::*;
use tandem_core::session::{Capability, ParticipantKey};
use tandem_core::workshop::{GroupSize, Level, SkillAnswers, WorkshopSettings};

fn answers(offers: &[(&str, Option<Level>)], wants: &[&str]) -> SkillAnswers {
    SkillAnswers::from_names(offers, wants)
}

/// Stores `people` with their skills in workshop `w`'s state (test keys 1, 2, …), before anyone connects (the actor
/// loads them): what the state holds once they have picked their skills.
async fn store_people(
    server: &TestServer,
    w: &Workshop,
    people: &[(&str, SkillAnswers)],
) -> server::store::WorkshopRecord {
    let mut record = server.state.store.workshop(&w.id).await.unwrap().unwrap();
    for (i, (name, a)) in people.iter().enumerate() {
        let key = ParticipantKey(key(i as u8 + 1));
        let id = record
            .state
            .join(key, name.to_string(), Capability::Participant, 1)
            .unwrap();
        record.state.set_skills(&record.spec, id, a).unwrap();
    }
    server
        .state
        .store
        .save_workshop_state(&w.id, &record.state)
        .await
        .unwrap();
    record
}

#[tokio::test]
async fn a_workshops_skill_list_is_checked_when_it_is_created() {
    let server = TestServer::start().await;
    let too_long = "x".repeat(41);
    let refused = server
        .workshop_with_skills(settings(2), &["SQL", &too_long])
        .await
        .err()
        .unwrap();
    assert!(refused.contains("longer than 40 characters"), "{refused}");
    let refused = server
        .workshop_with_skills(settings(2), &["SQL", " sql "])
        .await
        .err()
        .unwrap();
    assert!(refused.contains("listed twice"), "{refused}");
    let refused = server
        .workshop_with_skills(settings(2), &["SQL", "  "])
        .await
        .err()
        .unwrap();
    assert!(refused.contains("needs a name"), "{refused}");
    let many: Vec<String> = (0..41).map(|i| format!("Skill {i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let refused = server.workshop_with_skills(settings(2), &many).await.err().unwrap();
    assert!(refused.contains("at most 40 skills"), "{refused}");
    let trios = WorkshopSettings {
        group_size: GroupSize::Trios,
        ..settings(2)
    };
    let refused = server.workshop_with_skills(trios, &["SQL"]).await.err().unwrap();
    assert!(refused.contains("A workshop with skills runs in pairs"), "{refused}");

    let w = server
        .workshop_with_skills(settings(2), &[" SQL ", "Facilitation"])
        .await
        .unwrap();
    let stored = server.state.store.workshop(&w.id).await.unwrap().unwrap();
    assert_eq!(
        stored.spec.skills,
        vec!["SQL".to_string(), "Facilitation".to_string()],
        "trimmed"
    );
    // Nothing of a refused workshop was stored: the one above is the only one.
    let plain = server.workshop(settings(2)).await;
    let plain = server.state.store.workshop(&plain.id).await.unwrap().unwrap();
    assert!(plain.spec.skills.is_empty());
}

#[tokio::test]
async fn the_relay_pairs_by_skill_and_the_offerer_takes_the_first_role() {
    let server = TestServer::start().await;
    let w = server
        .workshop_with_skills(settings(3), &["SQL", "Facilitation", "Kubernetes"])
        .await
        .unwrap();
    let people = [
        (
            "Ana",
            answers(&[("SQL", Some(Level::Expert))], &["Facilitation", "Kubernetes"]),
        ),
        (
            "Ben",
            answers(&[("Facilitation", Some(Level::Solid))], &["SQL", "Kubernetes"]),
        ),
        ("Cem", answers(&[("sql", Some(Level::Some))], &["Kubernetes"])),
        ("Dia", answers(&[("Facilitation", None)], &["SQL"])),
    ];
    let record = store_people(&server, &w, &people).await;
    let picture = record.state.skill_picture(&record.spec);
    let rows: Vec<(&str, u32, u32)> = picture.iter().map(|l| (l.skill.as_str(), l.want, l.offer)).collect();
    assert_eq!(rows, vec![("Kubernetes", 3, 0), ("SQL", 2, 2), ("Facilitation", 1, 2)]);

    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let mut pages = Vec::new();
    for (i, (name, _)) in people.iter().enumerate() {
        pages.push(server.join_workshop(&w.participant_link, name, i as u8 + 1).await.0);
    }
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 5)
        .await;
    let (groups, repeats) = propose(&mut host).await;
    assert_eq!(repeats, 0);
    let name = |p: &tandem_core::session::ParticipantId| record.state.member(*p).unwrap().name.clone();
    // Two pairings meet three wants each (Ana–Ben with Cem–Dia, and Ana–Dia with Ben–Cem); the second also puts
    // the SQL expert with the least experienced person, so it weighs more. In each pair whoever offers what the
    // other wants comes first (the coach); between Ana and Dia, who help each other, the more experienced.
    let mut named: Vec<Vec<String>> = groups.iter().map(|g| g.iter().map(name).collect()).collect();
    named.sort();
    assert_eq!(named, vec![vec!["Ana", "Dia"], vec!["Cem", "Ben"]]);

    // The facilitator's skills page says why (names: the facilitator's link only); the observers' does not.
    let (status, page) = http_get(&beside(&w.host_link, "skills")).await;
    assert_eq!(status, 200);
    assert!(page.contains("The proposed groups, and why"), "{page}");
    assert!(page.contains("Ana can help Dia with SQL"), "{page}");
    let (_, page) = http_get(&beside(&w.observer_link, "skills")).await;
    assert!(!page.contains("proposed groups") && !page.contains("Ana"), "{page}");
    // So does the facilitator's frame on the workshop page; the observers' does not.
    let (_, part) = http_get(&format!("{}&embed=true", beside(&w.host_link, "skills"))).await;
    assert!(part.contains("Ana can help Dia with SQL"), "{part}");
    let (_, part) = http_get(&format!("{}&embed=true", beside(&w.observer_link, "skills"))).await;
    assert!(!part.contains("proposed groups") && !part.contains("Ana"), "{part}");
}

/// The picture as the relay draws it (any of the workshop's links: counts only), and the record with its skills
/// section (the facilitator's and observers' links): the same figures as a chart, a table and Markdown, and which
/// wants a round met.
#[tokio::test]
async fn the_chart_and_the_record_show_the_skills_and_the_wants_a_round_met() {
    let server = TestServer::start().await;
    let w = server
        .workshop_with_skills(settings(2), &["SQL", "Kubernetes & <Helm>"])
        .await
        .unwrap();
    let people = [
        (
            "Ana",
            answers(&[("SQL", Some(Level::Expert))], &["Kubernetes & <Helm>"]),
        ),
        ("Ben", answers(&[], &["SQL", "Kubernetes & <Helm>"])),
    ];
    store_people(&server, &w, &people).await;

    let (status, svg) = http_get(&beside(&w.participant_link, "skills.svg")).await;
    assert_eq!(status, 200, "{svg}");
    assert!(
        svg.contains("Kubernetes &amp; &lt;Helm&gt;: 2 want to learn, 0 can help (nobody offers it)"),
        "{svg}"
    );
    assert!(svg.contains("SQL: 1 want to learn, 1 can help"), "{svg}");
    assert_eq!(http_get(&beside(&w.host_link, "skills.svg")).await.0, 200);
    assert_eq!(
        http_get(&beside(&w.host_link, "skills.svg").replace("?t=", "?t=x"))
            .await
            .0,
        404
    );
    let plain = server.workshop(settings(2)).await;
    assert_eq!(
        http_get(&beside(&plain.host_link, "skills.svg")).await.0,
        404,
        "no skills, no chart"
    );

    // One round: Ana and Ben together, so Ben's SQL is met; nobody offers Kubernetes.
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let _ana = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let _ben = server.join_workshop(&w.participant_link, "Ben", 2).await;
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 3)
        .await;
    let (groups, _) = propose(&mut host).await;
    host.send(&tandem_core::protocol::workshop::WorkshopClientMsg::Open { groups })
        .await;
    host.view_until(|v| v.stage == tandem_core::workshop::Stage::Breakouts)
        .await;

    let (status, html) = http_get(&beside(&w.host_link, "record")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"data-testid="skills-chart""#), "{html}");
    assert!(
        html.contains("<tr><th scope=\"row\">Kubernetes &amp; &lt;Helm&gt;</th><td>2</td><td>0</td><td>2</td></tr>"),
        "{html}"
    );
    assert!(
        html.contains("2 people want Kubernetes &amp; &lt;Helm&gt;; nobody here offers it."),
        "{html}"
    );
    assert!(html.contains("Wants met in some round: 1 of 3"), "{html}");
    assert!(html.contains("<li>Ben wanted SQL: met in round 1</li>"), "{html}");
    let (status, md) = http_get(&beside(&w.observer_link, "record.md")).await;
    assert_eq!(status, 200);
    assert!(md.contains("### Wants met in some round: 1 of 3"), "{md}");
    assert!(md.contains("- Ana wanted Kubernetes \\& \\<Helm\\>: not met"), "{md}");
}
