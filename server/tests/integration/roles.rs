//! Roles in the session: changing one's role, feedback that follows the roles a form names, and "this is me on
//! another device".

use crate::common::*;
use std::collections::BTreeMap;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg, PROTOCOL_VERSION};
use tandem_core::session::{Answer, ParticipantId, ParticipantKey, ParticipantView};

fn answers() -> BTreeMap<String, Answer> {
    let mut a = BTreeMap::new();
    for field in ["situation", "behaviour", "impact"] {
        a.insert(field.into(), Answer::Text(format!("{field} text")));
    }
    for field in ["listening", "questions", "clarity"] {
        a.insert(field.into(), Answer::Rating(4));
    }
    a
}

/// GROW's feedback on the coaching, every field answered.
fn feedback(id: &str, about: ParticipantId) -> ClientMsg {
    submit_feedback("coaching-feedback", id, about, answers())
}

/// The next presence update.
async fn presence(c: &mut Client) -> Vec<ParticipantView> {
    match c.recv_until(|m| matches!(m, ServerMsg::Presence { .. })).await {
        ServerMsg::Presence { participants } => participants,
        _ => unreachable!(),
    }
}

/// The sentence of the next feedback refusal.
async fn refused(c: &mut Client) -> String {
    match c.recv_until(|m| matches!(m, ServerMsg::FeedbackRefused { .. })).await {
        ServerMsg::FeedbackRefused { message, .. } => message,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_participant_changes_role_and_everyone_sees_it_and_it_is_kept() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut ana, _) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    // Ben took the role already taken, as the old join form let him.
    let (mut ben, w) = server.join(&session.participant_link, "Ben", 2, Some("coach")).await;
    let ben_id = you(&w);
    ana.round_trip().await;

    ben.send(&ClientMsg::SetRole { role: "coachee".into() }).await;
    let seen = presence(&mut ana).await;
    let ben_now = seen.iter().find(|p| p.id == ben_id).unwrap();
    assert_eq!(ben_now.role.as_deref(), Some("coachee"));
    let stored = server.state.store.participants(&session.id).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .find(|p| p.view.id == ben_id)
            .unwrap()
            .view
            .role
            .as_deref(),
        Some("coachee"),
        "stored"
    );

    // A role the session does not offer is refused; nothing changes.
    ben.send(&ClientMsg::SetRole { role: "captain".into() }).await;
    let (code, message) = ben.error().await;
    assert_eq!(code, ErrorCode::Refused);
    assert_eq!(message, "This session has no such role.");

    // Someone watching through the observer link takes no role, not even "observer".
    let (mut eve, _) = server.join(&session.observer_link, "Eve", 5, None).await;
    for role in ["coachee", "observer"] {
        eve.send(&ClientMsg::SetRole { role: role.into() }).await;
        let (code, message) = eve.error().await;
        assert_eq!(code, ErrorCode::NotAllowed);
        assert_eq!(message, "Observers watch without a role.");
    }

    // A new tab of Ben's (its hello still carries the role he joined with) keeps the role he changed to.
    let (_ben2, w) = server.join(&session.participant_link, "Ben", 2, Some("coach")).await;
    let ServerMsg::Welcome { participants, .. } = w else {
        unreachable!()
    };
    let ben_now = participants.iter().find(|p| p.id == ben_id).unwrap();
    assert_eq!(ben_now.role.as_deref(), Some("coachee"));
    server.stop().await;
}

#[tokio::test]
async fn feedback_follows_the_roles_the_form_names() {
    let (server, session) = TestServer::with_session("grow").await;
    let (_ana, w) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ana_id = you(&w);
    let (mut ben, w) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;
    let ben_id = you(&w);
    let (mut cy, _) = server.join(&session.participant_link, "Cy", 3, Some("observer")).await;
    let (mut ana, _) = server.join(&session.host_link, "Ana", 1, None).await;

    // GROW: the coachee and observer give the coach feedback. The coach does not fill in the coachee's form…
    ana.send(&feedback("feedback-ana-to-ben1", ben_id)).await;
    assert_eq!(
        refused(&mut ana).await,
        "“Feedback on the coaching” is given by the Coachee or Observer, not by the Coach."
    );
    // …the observer's feedback is about the coach, not the coachee…
    cy.send(&feedback("feedback-cy-to-ben01", ben_id)).await;
    assert_eq!(
        refused(&mut cy).await,
        "“Feedback on the coaching” is feedback about the Coach, not about the Coachee."
    );
    // …and nobody gives feedback about themselves.
    ben.send(&feedback("feedback-ben-to-ben1", ben_id)).await;
    assert_eq!(
        refused(&mut ben).await,
        "Feedback is about someone else, not about yourself."
    );
    assert!(server.state.store.feedback(&session.id).await.unwrap().is_empty());

    ben.send(&feedback("feedback-ben-to-ana1", ana_id)).await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    cy.send(&feedback("feedback-cy-to-ana01", ana_id)).await;
    cy.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    assert_eq!(server.state.store.feedback(&session.id).await.unwrap().len(), 2);

    // After a swap of roles the rule follows the roles people hold now. Each change goes through its sender's own
    // connection (a round trip on Ana's would not order Ben's): wait until Ana sees both.
    ben.send(&ClientMsg::SetRole { role: "coach".into() }).await;
    ana.send(&ClientMsg::SetRole { role: "coachee".into() }).await;
    loop {
        let seen = presence(&mut ana).await;
        let role = |id| seen.iter().find(|p| p.id == id).and_then(|p| p.role.clone());
        if role(ben_id).as_deref() == Some("coach") && role(ana_id).as_deref() == Some("coachee") {
            break;
        }
    }
    ana.send(&feedback("feedback-ana-to-ben1", ben_id)).await;
    ana.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    server.stop().await;
}

fn claim_hello(name: &str, key: &str, claim: ParticipantId) -> ClientMsg {
    ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        participant_key: ParticipantKey(key.into()),
        name: name.into(),
        role: None,
        claim: Some(claim),
    }
}

#[tokio::test]
async fn a_second_device_continues_as_the_same_person() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut ana, w) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ana_id = you(&w);
    let (mut ben, w) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;
    let ben_id = you(&w);
    ben.send(&feedback("feedback-ben-to-ana1", ana_id)).await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;

    ana.round_trip().await;

    // Ana opens the host link in another browser (a new key) and says "yes, that's me".
    let mut laptop = Client::connect(&server.ws(&session.host_link)).await;
    laptop.send(&claim_hello("Ana", &key(7), ana_id)).await;
    let w = laptop.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await;
    let ServerMsg::Welcome {
        you: laptop_is,
        participants,
        feedback,
        ..
    } = w
    else {
        unreachable!()
    };
    assert_eq!(laptop_is, ana_id, "the same person");
    assert_eq!(participants.len(), 2, "no duplicate: {participants:?}");
    assert_eq!(participants[0].role.as_deref(), Some("coach"), "with her role");
    assert_eq!(feedback.len(), 1, "and the feedback she received");
    // The first device is still Ana, and online.
    let seen = presence(&mut ana).await;
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().find(|p| p.id == ana_id).unwrap().online);
    ana.round_trip().await;

    // A claim needs the same kind of link: Ben's participant link cannot become Ana (the host).
    let mut other = Client::connect(&server.ws(&session.participant_link)).await;
    other.send(&claim_hello("Ana", &key(8), ana_id)).await;
    let (code, message) = other.error().await;
    assert_eq!(code, ErrorCode::BadHello);
    assert!(message.contains("joined as someone new"), "{message}");
    let w = other.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await;
    assert_ne!(you(&w), ana_id);
    // Nor can a claim name someone who does not exist.
    let mut ghost = Client::connect(&server.ws(&session.participant_link)).await;
    ghost.send(&claim_hello("Zoe", &key(9), ParticipantId(42))).await;
    let w = ghost.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await;
    assert_ne!(you(&w), ParticipantId(42));
    assert_ne!(you(&w), ben_id);
    drop((other, ghost, laptop, ana, ben));

    // The binding is stored: after a restart the second browser's key is still Ana, without a claim, and her
    // summary shows what she may see.
    let server = server.restart().await;
    let (_laptop, w) = server.join(&session.host_link, "Ana", 7, None).await;
    assert_eq!(you(&w), ana_id);
    let summary = server
        .state
        .backend
        .0
        .summary(session.id.0.clone(), session.host_token(), Some(key(7)))
        .await
        .unwrap();
    assert_eq!(summary.viewer, Some(ana_id));
    assert_eq!(summary.feedback.len(), 1);
    server.stop().await;
}

fn sbi_feedback(id: &str, about: ParticipantId) -> ClientMsg {
    let mut answers = BTreeMap::new();
    for field in ["situation", "behaviour", "impact"] {
        answers.insert(field.into(), Answer::Text(format!("SECRET {field} about {}", about.0)));
    }
    submit_feedback("sbi-form", id, about, answers)
}

#[tokio::test]
async fn nobody_takes_over_another_person_who_shares_their_link() {
    let (server, session) = TestServer::with_session("sbi").await;
    let participant = server.ws(&session.participant_link);
    let (mut ana, w) = server.join(&session.host_link, "Ana", 1, Some("giver")).await;
    let ana_id = you(&w);
    // Ben and Cy both joined with the participant link.
    let (mut ben, w) = Client::join(&participant, "Ben", &key(2), Some("receiver")).await;
    let ben_id = you(&w);
    let (mut cy, _) = Client::join(&participant, "Cy", &key(3), Some("giver")).await;
    // Ben has a private draft, feedback he gave and feedback he received.
    ben.send(&ClientMsg::PrivateNote {
        section: "sbi-prep".into(),
        text: "BEN-DRAFT about Ana".into(),
        rev: 1,
    })
    .await;
    ben.recv_until(|m| matches!(m, ServerMsg::PrivateNoteSaved { .. }))
        .await;
    ben.send(&sbi_feedback("feedback-ben-to-ana1", ana_id)).await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    cy.send(&sbi_feedback("feedback-cy-to-ben01", ben_id)).await;
    cy.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackReceived { .. }))
        .await;

    // Cy, in another browser, claims to be Ben on another device, with his name: refused, with a sentence that
    // says why, and Cy joins as someone new who holds none of Ben's things.
    let mut other = Client::connect(&participant).await;
    other.send(&claim_hello("ben", &key(8), ben_id)).await;
    let (code, message) = other.error().await;
    assert_eq!(code, ErrorCode::BadHello);
    assert_eq!(
        message,
        "Several people joined with this link, so Tandem cannot move ben to this device yet: you joined as someone \
         new. Keep using the device you joined with first."
    );
    let ServerMsg::Welcome {
        you: other_is,
        feedback,
        private_notes,
        participants,
        ..
    } = other.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await
    else {
        unreachable!()
    };
    assert_ne!(other_is, ben_id, "not Ben");
    assert!(feedback.is_empty(), "none of Ben's feedback: {feedback:?}");
    assert!(private_notes.is_empty(), "none of Ben's drafts: {private_notes:?}");
    assert_eq!(participants.len(), 4, "a new person");
    // Nor anything of Ben's later on.
    ben.send(&ClientMsg::PrivateNote {
        section: "sbi-prep".into(),
        text: "BEN-DRAFT v2".into(),
        rev: 2,
    })
    .await;
    ben.recv_until(|m| matches!(m, ServerMsg::PrivateNoteSaved { .. }))
        .await;
    ana.send(&sbi_feedback("feedback-ana-to-ben1", ben_id)).await;
    ana.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackReceived { .. }))
        .await;
    let seen = other.settled().await;
    assert!(
        seen.iter().all(|m| matches!(m, ServerMsg::Presence { .. })),
        "the claimer received only presence: {seen:?}"
    );
    // A key that joined as someone new stays that person: a later claim on it is ignored.
    let mut again = Client::connect(&participant).await;
    again.send(&claim_hello("Ben", &key(8), ben_id)).await;
    let w = again.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await;
    assert_eq!(you(&w), other_is);

    // The host link is one person's: Ana's second device continues as her, under her name only.
    let host = server.ws(&session.host_link);
    let mut laptop = Client::connect(&host).await;
    laptop.send(&claim_hello("ANA", &key(7), ana_id)).await;
    let ServerMsg::Welcome {
        you: laptop_is,
        feedback,
        ..
    } = laptop.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(laptop_is, ana_id);
    assert_eq!(feedback.len(), 2, "what Ana gave and received");
    let mut impostor = Client::connect(&host).await;
    impostor.send(&claim_hello("Zed", &key(9), ana_id)).await;
    let (code, message) = impostor.error().await;
    assert_eq!(code, ErrorCode::BadHello);
    assert!(message.contains("joined as someone new"), "{message}");
    let w = impostor.recv_until(|m| matches!(m, ServerMsg::Welcome { .. })).await;
    assert_ne!(you(&w), ana_id);
    assert!(matches!(&w, ServerMsg::Welcome { private_notes, .. } if private_notes.is_empty()));
    server.stop().await;
}

#[tokio::test]
async fn a_person_without_a_role_neither_gives_nor_receives_feedback_of_a_form_that_names_roles() {
    let (server, session) = TestServer::with_session("grow").await;
    let participant = server.ws(&session.participant_link);
    let (mut ana, w) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ana_id = you(&w);
    // Ben joined without a role (a hello without one, or one the session does not offer).
    let (mut ben, w) = Client::join(&participant, "Ben", &key(2), None).await;
    let ben_id = you(&w);
    let (mut cy, _) = Client::join(&participant, "Cy", &key(3), Some("coachee")).await;
    let (mut olga, _) = server.join(&session.observer_link, "Olga", 4, None).await;

    // GROW's form is given by the coachee and observer, about the coach: Ben gives nothing until he picks a role…
    ben.send(&feedback("feedback-ben-to-ana1", ana_id)).await;
    assert_eq!(
        refused(&mut ben).await,
        "Pick your role first (Your role, in the session page), then send your feedback."
    );
    // …and nobody gives this feedback about him.
    cy.send(&feedback("feedback-cy-to-ben01", ben_id)).await;
    assert_eq!(
        refused(&mut cy).await,
        "“Feedback on the coaching” is feedback about the Coach, and this person has not picked a role yet."
    );
    // Someone watching through the observer link gives none, as before.
    olga.send(&feedback("feedback-olga-to-ana", ana_id)).await;
    assert_eq!(
        refused(&mut olga).await,
        "Observers don't give feedback in this session."
    );
    assert!(server.state.store.feedback(&session.id).await.unwrap().is_empty());

    // Once Ben is the observer, his feedback about the coach goes through.
    ben.send(&ClientMsg::SetRole {
        role: "observer".into(),
    })
    .await;
    ben.send(&feedback("feedback-ben-to-ana1", ana_id)).await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    ana.recv_until(|m| matches!(m, ServerMsg::FeedbackReceived { .. }))
        .await;
    server.stop().await;
}
