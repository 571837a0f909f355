//! Skills in a workshop (issue 17) over a real socket: the workshop's list checked at creation, each participant's
//! skills checked at the field (nothing partly stored), the knowledge-gap picture in everyone's view, and pairing by
//! skill with its explanations on the facilitator's proposal.

use crate::common::*;
use tandem_core::protocol::workshop::{WorkshopClientMsg, WorkshopServerMsg};
use tandem_core::workshop::{Level, Pairing, SkillAnswers};

fn by_skill() -> tandem_core::workshop::WorkshopSettings {
    tandem_core::workshop::WorkshopSettings {
        pairing: Pairing::Skills,
        ..settings(3)
    }
}

fn answers(offers: &[(&str, Option<Level>)], wants: &[&str]) -> SkillAnswers {
    SkillAnswers::from_names(offers, wants)
}

/// Sends `answers` as `client` and reads the answer: the stored skills, or the refusal's errors.
async fn pick(client: &mut WorkshopClient, answers: SkillAnswers) -> Result<SkillAnswers, Vec<(String, String)>> {
    client.send(&WorkshopClientMsg::Skills { answers }).await;
    match client
        .recv_until(|m| {
            matches!(
                m,
                WorkshopServerMsg::SkillsSaved { .. } | WorkshopServerMsg::SkillsRefused { .. }
            )
        })
        .await
    {
        WorkshopServerMsg::SkillsSaved { answers } => Ok(answers),
        WorkshopServerMsg::SkillsRefused { errors } => Err(errors.into_iter().map(|e| (e.field, e.message)).collect()),
        _ => unreachable!(),
    }
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
    let many: Vec<String> = (0..41).map(|i| format!("Skill {i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let refused = server.workshop_with_skills(settings(2), &many).await.err().unwrap();
    assert!(refused.contains("at most 40 skills"), "{refused}");
    let refused = server.workshop_with_skills(by_skill(), &[]).await.err().unwrap();
    assert!(refused.contains("Pairing by skill needs the skills"), "{refused}");
    let trios = tandem_core::workshop::WorkshopSettings {
        group_size: tandem_core::workshop::GroupSize::Trios,
        ..by_skill()
    };
    let refused = server.workshop_with_skills(trios, &["SQL"]).await.err().unwrap();
    assert!(refused.contains("Pairing by skill makes pairs"), "{refused}");

    let w = server
        .workshop_with_skills(by_skill(), &[" SQL ", "Facilitation"])
        .await
        .unwrap();
    let (_, welcome) = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let WorkshopServerMsg::Welcome { info, view, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(
        info.skills,
        vec!["SQL".to_string(), "Facilitation".to_string()],
        "trimmed"
    );
    assert_eq!(info.settings.pairing, Pairing::Skills);
    assert_eq!(
        view.skills.iter().map(|l| (l.want, l.offer)).collect::<Vec<_>>(),
        vec![(0, 0), (0, 0)]
    );
}

#[tokio::test]
async fn skills_are_refused_at_the_field_and_nothing_is_partly_stored() {
    let server = TestServer::start().await;
    let w = server
        .workshop_with_skills(
            by_skill(),
            &["SQL", "Facilitation", "Kubernetes", "Testing", "Writing", "Security"],
        )
        .await
        .unwrap();
    let (mut ana, _) = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let stored = pick(&mut ana, answers(&[("sql", Some(Level::Expert))], &["Kubernetes"]))
        .await
        .unwrap();
    assert_eq!(stored, answers(&[("SQL", Some(Level::Expert))], &["Kubernetes"]));

    let six = ["SQL", "Facilitation", "Kubernetes", "Testing", "Writing", "Security"];
    for (bad, field, says) in [
        (answers(&[], &six), "wants", "at most 5"),
        (
            answers(&[("Cooking", None)], &[]),
            "offers",
            "not one of this workshop's skills",
        ),
        (answers(&[], &["SQL", "SQL"]), "wants", "picked twice"),
        (answers(&[("", None)], &[]), "offers", "needs a name"),
        (answers(&[(&"y".repeat(41), None)], &[]), "offers", "40 characters"),
    ] {
        let errors = pick(&mut ana, bad.clone()).await.unwrap_err();
        assert!(
            errors.iter().any(|(f, m)| f == field && m.contains(says)),
            "{bad:?} → {errors:?}"
        );
    }
    // The refusals changed nothing: what a new page of Ana's sees is the first answer.
    let (_, welcome) = server.join_workshop(&w.participant_link, "Ana", 1).await;
    let WorkshopServerMsg::Welcome { view, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(view.mine, stored);

    // The facilitator takes part only as the facilitator.
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let errors = pick(&mut host, answers(&[("SQL", None)], &[])).await.unwrap_err();
    assert!(errors[0].1.contains("Only participants"), "{errors:?}");
    // The same answer twice (a double submit) is stored once and answered twice.
    let again = pick(&mut ana, answers(&[("SQL", Some(Level::Expert))], &["Kubernetes"]))
        .await
        .unwrap();
    assert_eq!(again, stored);
}

#[tokio::test]
async fn the_picture_counts_everyones_skills_and_pairing_by_skill_explains_itself() {
    let server = TestServer::start().await;
    let w = server
        .workshop_with_skills(by_skill(), &["SQL", "Facilitation", "Kubernetes"])
        .await
        .unwrap();
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 9).await;
    let people = [
        (
            "Ana",
            answers(&[("SQL", Some(Level::Expert))], &["Facilitation", "Kubernetes"]),
        ),
        (
            "Ben",
            answers(&[("Facilitation", Some(Level::Solid))], &["SQL", "Kubernetes"]),
        ),
        ("Cem", answers(&[("SQL", Some(Level::Some))], &["Kubernetes"])),
        ("Dia", answers(&[("Facilitation", None)], &["SQL"])),
    ];
    let mut clients = Vec::new();
    for (i, (name, a)) in people.iter().enumerate() {
        let (mut c, _) = server.join_workshop(&w.participant_link, name, i as u8 + 1).await;
        pick(&mut c, a.clone()).await.unwrap();
        clients.push(c);
    }
    let view = host
        .view_until(|v| v.skills.iter().map(|l| l.want).sum::<u32>() == 6)
        .await;
    let rows: Vec<(&str, u32, u32)> = view
        .skills
        .iter()
        .map(|l| (l.skill.as_str(), l.want, l.offer))
        .collect();
    assert_eq!(rows, vec![("Kubernetes", 3, 0), ("SQL", 2, 2), ("Facilitation", 1, 2)]);
    assert!(view.mine.is_empty(), "the facilitator has no skills of their own");

    host.send(&WorkshopClientMsg::Propose).await;
    let WorkshopServerMsg::Proposal { groups, why, .. } = host
        .recv_until(|m| matches!(m, WorkshopServerMsg::Proposal { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(groups.len(), 2);
    assert_eq!(why.len(), 2);
    // Two pairings meet three wants each (Ana–Ben with Cem–Dia, and Ana–Dia with Ben–Cem); the second also puts
    // the SQL expert with the least experienced person, so it weighs more.
    let names = |g: &Vec<tandem_core::session::ParticipantId>| {
        let mut n: Vec<String> = g
            .iter()
            .map(|p| view.people.iter().find(|x| x.id == *p).unwrap().name.clone())
            .collect();
        n.sort();
        n
    };
    let mut pairs: Vec<Vec<String>> = groups.iter().map(names).collect();
    pairs.sort();
    assert_eq!(pairs, vec![vec!["Ana", "Dia"], vec!["Ben", "Cem"]]);
    for text in &why {
        assert!(text.contains("can help"), "{why:?}");
    }
    assert!(
        why.contains(&"Ana can help Dia with SQL; Dia can help Ana with Facilitation".to_string()),
        "{why:?}"
    );
    assert!(why.contains(&"Cem can help Ben with SQL".to_string()), "{why:?}");
    // Roles follow the match: whoever offers takes the format's first role (the coach).
    for g in &groups {
        let first = view.people.iter().find(|x| x.id == g[0]).unwrap().name.as_str();
        assert!(["Ana", "Cem"].contains(&first), "{groups:?}");
    }
    // Nobody offers Kubernetes: no explanation claims it.
    assert!(why.iter().all(|t| !t.contains("Kubernetes")), "{why:?}");
}
