//! Feedback forms follow the roles their template names: every shipped form either names who gives it and about
//! whom, or is mutual by design; and the relay refuses feedback in the wrong direction (teach-back).

use crate::common::*;
use std::collections::BTreeMap;
use tandem_core::protocol::{ClientMsg, ServerMsg};
use tandem_core::session::{Answer, ParticipantId, SessionSettings};

/// Forms that every role gives about every other role, on purpose: SBI is mutual feedback, and in Troika everyone
/// is a consultant to the two others.
const MUTUAL: [&str; 2] = ["sbi-form", "troika-feedback"];

#[test]
fn every_shipped_form_asks_each_role_only_its_own_questions() {
    let all = server::templates::load().unwrap();
    for t in &all {
        for f in &t.forms {
            if t.roles.is_empty() || MUTUAL.contains(&f.id.as_str()) {
                assert!(
                    f.givers.is_empty() && f.about.is_empty(),
                    "{}: mutual form {:?} names givers or about",
                    t.id,
                    f.id
                );
                continue;
            }
            assert!(
                !f.givers.is_empty() && !f.about.is_empty(),
                "{}: form {:?} is given both ways: name its givers and whom it is about, or list it in MUTUAL",
                t.id,
                f.id
            );
            assert!(
                f.givers.iter().all(|g| !f.about.contains(g)),
                "{}: form {:?} is about a role that also gives it",
                t.id,
                f.id
            );
            assert!(
                !f.receiver_note.is_empty(),
                "{}: form {:?} needs a note for the receiver",
                t.id,
                f.id
            );
        }
    }
    let form = |template: &str, id: &str| {
        let t = all.iter().find(|t| t.id == template).unwrap();
        let f = t.forms.iter().find(|f| f.id == id).unwrap();
        (f.givers.clone(), f.about.clone())
    };
    // "What helped me", "Clarity: … I could teach it now": the learner answers these, about the teacher.
    assert_eq!(
        form("teach-back", "teach-feedback"),
        (vec!["learner".to_string()], vec!["teacher".to_string()])
    );
    // "What helped me", "Usefulness: … changed how I work": the mentee answers these, about the mentor.
    assert_eq!(
        form("mentoring", "mentoring-feedback"),
        (vec!["mentee".to_string()], vec!["mentor".to_string()])
    );
    assert_eq!(
        form("grow", "coaching-feedback"),
        (
            vec!["coachee".to_string(), "observer".to_string()],
            vec!["coach".to_string()]
        )
    );
}

#[test]
fn troika_rounds_name_the_role_of_their_client() {
    let all = server::templates::load().unwrap();
    let troika = all.iter().find(|t| t.id == "troika").unwrap();
    let leads: Vec<&str> = troika
        .phases
        .iter()
        .map(|p| p.lead_role.as_deref().unwrap_or("none"))
        .collect();
    let mut expected = vec!["first-client"; 3];
    expected.extend(["second-client"; 3]);
    expected.extend(["third-client"; 3]);
    assert_eq!(leads, expected);
    // Other formats name no lead: their phases are led by no single role.
    for t in all.iter().filter(|t| t.id != "troika") {
        assert!(t.phases.iter().all(|p| p.lead_role.is_none()), "{}", t.id);
    }
}

fn teach_feedback(id: &str, about: ParticipantId) -> ClientMsg {
    let mut answers = BTreeMap::new();
    answers.insert("helped".to_string(), Answer::Text("The worked example".into()));
    answers.insert("clarity".to_string(), Answer::Rating(5));
    submit_feedback("teach-feedback", id, about, answers)
}

#[tokio::test]
async fn in_teach_back_the_teacher_does_not_rate_the_learner() {
    let server = TestServer::start().await;
    let session = server
        .session_with("teach-back", "Learn property testing", SessionSettings::default())
        .await;
    let (mut ana, w) = server.join(&session.host_link, "Ana", 1, Some("teacher")).await;
    let ana_id = you(&w);
    let (mut ben, w) = server.join(&session.participant_link, "Ben", 2, Some("learner")).await;
    let ben_id = you(&w);
    ana.round_trip().await;

    // The teacher's "What helped me / Clarity" about the learner is refused, with a sentence saying who gives it.
    ana.send(&teach_feedback("feedback-ana-to-ben1", ben_id)).await;
    match ana.recv_until(|m| matches!(m, ServerMsg::FeedbackRefused { .. })).await {
        ServerMsg::FeedbackRefused { message, .. } => assert_eq!(
            message,
            "“Feedback on the teaching” is given by the Learner, not by the Teacher."
        ),
        _ => unreachable!(),
    }
    assert!(server.state.store.feedback(&session.id).await.unwrap().is_empty());

    // The learner's feedback about the teacher is saved.
    ben.send(&teach_feedback("feedback-ben-to-ana1", ana_id)).await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    assert_eq!(server.state.store.feedback(&session.id).await.unwrap().len(), 1);
    server.stop().await;
}
