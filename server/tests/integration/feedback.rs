//! Feedback, ending a session, and what the summary shows to whom.

use crate::common::*;
use std::collections::BTreeMap;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg};
use tandem_core::session::{Answer, FeedbackId, ParticipantId};

fn answers(situation: &str) -> BTreeMap<String, Answer> {
    let mut a = BTreeMap::new();
    a.insert("situation".into(), Answer::Text(situation.into()));
    a.insert(
        "behaviour".into(),
        Answer::Text("You asked what I would do with no constraints.".into()),
    );
    a.insert("impact".into(), Answer::Text("I saw an option I had ruled out.".into()));
    a.insert("listening".into(), Answer::Rating(5));
    a.insert("questions".into(), Answer::Rating(4));
    a.insert("clarity".into(), Answer::Rating(4));
    a
}

/// GROW's feedback on the coaching.
fn draft(id: &str, about: ParticipantId, answers: BTreeMap<String, Answer>) -> ClientMsg {
    submit_feedback("coaching-feedback", id, about, answers)
}

#[tokio::test]
async fn submitting_the_same_feedback_three_times_stores_one_row_acknowledged_after_commit() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut ana, w) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ana_id = you(&w);
    let (mut ben, _) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;

    for _ in 0..3 {
        ben.send(&draft(
            "feedback-0000000001",
            ana_id,
            answers("When I described the vendor conflict"),
        ))
        .await;
        let saved = ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
        // The acknowledgement comes after the commit: the row is already readable.
        let ServerMsg::FeedbackSaved { feedback } = saved else {
            unreachable!()
        };
        let rows = server.state.store.feedback(&session.id).await.unwrap();
        assert!(rows.iter().any(|r| r.id == feedback.id));
    }
    assert_eq!(server.state.store.feedback(&session.id).await.unwrap().len(), 1);
    let got = ana
        .recv_until(|m| matches!(m, ServerMsg::FeedbackReceived { .. }))
        .await;
    let ServerMsg::FeedbackReceived { feedback } = got else {
        unreachable!()
    };
    assert_eq!(feedback.about, ana_id);
    assert!(!feedback.shared_with_host);

    // Editing with the same id updates the same row.
    ben.send(&draft("feedback-0000000001", ana_id, answers("In the options phase")))
        .await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    let rows = server.state.store.feedback(&session.id).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].answers["situation"],
        Answer::Text("In the options phase".into())
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_feedback_is_refused_at_the_field_and_nothing_is_stored() {
    let (server, session) = TestServer::with_session("grow").await;
    let (_ana, w) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ana_id = you(&w);
    let (mut ben, w) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;
    let ben_id = you(&w);
    let (mut cy, _) = server.join(&session.observer_link, "Cy", 3, None).await;

    let refused = |m: &ServerMsg| matches!(m, ServerMsg::FeedbackRefused { .. });
    let mut bad_rating = answers("x");
    bad_rating.insert("listening".into(), Answer::Rating(6));
    let mut too_long = answers("x");
    too_long.insert("impact".into(), Answer::Text("y".repeat(501)));
    let mut missing = answers("x");
    missing.remove("behaviour");
    for (case, expected_field) in [(bad_rating, "listening"), (too_long, "impact"), (missing, "behaviour")] {
        ben.send(&draft("feedback-bad-000001", ana_id, case)).await;
        let ServerMsg::FeedbackRefused { errors, .. } = ben.recv_until(refused).await else {
            unreachable!()
        };
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, expected_field);
    }
    // About someone not in the session, about oneself, from an observer.
    ben.send(&draft("feedback-bad-000002", ParticipantId(99), answers("x")))
        .await;
    let ServerMsg::FeedbackRefused { message, .. } = ben.recv_until(refused).await else {
        unreachable!()
    };
    assert_eq!(message, "That person is not taking part in this session.");
    ben.send(&draft("feedback-bad-000003", ben_id, answers("x"))).await;
    assert!(matches!(
        ben.recv_until(refused).await,
        ServerMsg::FeedbackRefused { .. }
    ));
    cy.send(&draft("feedback-bad-000004", ana_id, answers("x"))).await;
    assert!(matches!(
        cy.recv_until(refused).await,
        ServerMsg::FeedbackRefused { .. }
    ));

    assert!(
        server.state.store.feedback(&session.id).await.unwrap().is_empty(),
        "nothing partly stored"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_host_ends_the_session_and_the_summary_shows_each_viewer_only_what_they_may_see() {
    let (server, session) = TestServer::with_session("grow").await;
    let id = session.id.0.clone();
    let (host_token, participant_token) = (session.host_token(), session.participant_token());
    let (mut ana, w) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ana_id = you(&w);
    let (mut ben, w) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;
    let ben_id = you(&w);
    let (mut cy, _) = server.join(&session.participant_link, "Cy", 3, Some("observer")).await;

    // Ben → Ana (Ana shares it with the host: herself), Cy → Ben (private). GROW's feedback is about the coach:
    // Ben coaches after giving his.
    ben.send(&draft("feedback-ben-to-ana1", ana_id, answers("Ben about Ana")))
        .await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    ben.send(&ClientMsg::SetRole { role: "coach".into() }).await;
    ben.settled().await;
    cy.send(&draft("feedback-cy-to-ben01", ben_id, answers("Cy about Ben")))
        .await;
    cy.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;

    // Only the host may end it.
    ben.send(&ClientMsg::EndSession).await;
    assert_eq!(ben.error().await.0, ErrorCode::NotAllowed);
    ana.send(&ClientMsg::EndSession).await;
    for c in [&mut ana, &mut ben, &mut cy] {
        assert!(matches!(
            c.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await,
            ServerMsg::Ended { .. }
        ));
        assert_eq!(c.closed().await, Some(tandem_core::protocol::CLOSE_GONE));
    }
    let outcome = server.outcome(&session).await.expect("outcome stored");
    assert_eq!(outcome.phases.len(), 5);
    assert_eq!(outcome.phases[0].planned_ms, 5 * 60_000);
    assert_eq!(outcome.attendance.len(), 3);

    // After the end: a rejoin gets `ended`, and the stored feedback is unchanged.
    let mut late = Client::connect(&server.ws(&session.participant_link)).await;
    late.hello("Ben", &key(2), None).await;
    assert!(matches!(late.recv().await, ServerMsg::Ended { .. }));
    assert_eq!(
        server.state.store.feedback(&session.id).await.unwrap().len(),
        2,
        "stored outcome unchanged"
    );

    let backend = server.state.backend.0.clone();
    let summary = |token: &str, k: Option<String>| backend.summary(id.clone(), token.to_string(), k);
    let for_ben = summary(&participant_token, Some(key(2))).await.unwrap();
    let seen: Vec<&str> = for_ben.feedback.iter().map(|f| f.id.0.as_str()).collect();
    assert_eq!(
        seen,
        ["feedback-ben-to-ana1", "feedback-cy-to-ben01"],
        "given and received"
    );
    let for_ana = summary(&host_token, Some(key(1))).await.unwrap();
    assert_eq!(for_ana.feedback.len(), 1, "Ana sees only what is about her");
    assert_eq!(for_ana.feedback[0].about, ana_id);
    let anonymous = summary(&participant_token, None).await.unwrap();
    assert!(anonymous.feedback.is_empty());
    assert!(
        summary("wrong", Some(key(2))).await.is_err(),
        "no summary without a valid link"
    );
    assert!(for_ben.to_markdown().contains("Get better at delegating"));
    assert!(!for_ana.to_markdown().contains("Cy about Ben"));
    server.stop().await;
}

#[tokio::test]
async fn only_the_receiver_can_share_feedback_with_the_host() {
    let (server, session) = TestServer::with_session("grow").await;
    let (id, host_token) = (session.id.0.clone(), session.host_token());
    let (_ana, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let (mut ben, _) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;
    let (mut cy, w) = server.join(&session.participant_link, "Cy", 3, Some("coach")).await;
    let cy_id = you(&w);
    ben.send(&draft("feedback-ben-to-cy01", cy_id, answers("Ben about Cy")))
        .await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    let fid = FeedbackId("feedback-ben-to-cy01".into());

    let host_sees = || async {
        let s = server
            .state
            .backend
            .0
            .summary(id.clone(), host_token.clone(), Some(key(1)))
            .await
            .unwrap();
        s.feedback.len()
    };
    assert_eq!(host_sees().await, 0, "private by default");
    ben.send(&ClientMsg::ShareFeedback {
        id: fid.clone(),
        shared: true,
    })
    .await;
    assert_eq!(ben.error().await.0, ErrorCode::NotAllowed, "the giver cannot share it");
    assert_eq!(host_sees().await, 0);

    cy.send(&ClientMsg::ShareFeedback { id: fid, shared: true }).await;
    let got = cy
        .recv_until(|m| matches!(m, ServerMsg::FeedbackReceived { feedback } if feedback.shared_with_host))
        .await;
    assert!(matches!(got, ServerMsg::FeedbackReceived { .. }));
    assert_eq!(host_sees().await, 1, "shared with the host");
    server.stop().await;
}

#[tokio::test]
async fn a_template_that_ends_after_the_last_phase_ends_by_itself() {
    let (server, session) = TestServer::with_session("grow").await;
    let id = session.id.0.clone();
    let spec = server.state.store.session(&id).await.unwrap().unwrap().spec;
    // The last phase started 6 minutes ago (5 planned); this session's template ends by itself.
    let mut room = tandem_core::session::RoomState::new(&spec.phases);
    let start_at = server::relay::now_ms() - 6 * 60_000;
    for from in 0..spec.phases.len() - 1 {
        room = room
            .apply(
                &spec.phases,
                tandem_core::session::TimerCommand::Next { from },
                start_at,
            )
            .unwrap()
            .0;
    }
    room = room
        .apply(&spec.phases, tandem_core::session::TimerCommand::Start, start_at)
        .unwrap()
        .0;
    server
        .state
        .store
        .save_room(&session.id, tandem_core::session::RoomId::MAIN, &room, start_at)
        .await
        .unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&server.db().url()).await.unwrap();
    let set = if server.db().is_postgres() {
        "UPDATE sessions SET spec = jsonb_set(spec::jsonb, '{end_after_last_phase}', 'true')::text WHERE id = $1"
    } else {
        "UPDATE sessions SET spec = json_set(spec, '$.end_after_last_phase', json('true')) WHERE id = $1"
    };
    sqlx::query(set).bind(&id).execute(&pool).await.unwrap();
    pool.close().await;

    let mut c = Client::connect(&server.ws(&session.host_link)).await;
    c.hello("Ana", &key(1), None).await;
    assert!(matches!(c.recv().await, ServerMsg::Ended { .. }));
    let outcome = server.outcome(&session).await.expect("ended with an outcome");
    let last = outcome.phases.last().unwrap();
    assert_eq!(last.planned_ms, 5 * 60_000);
    assert!(
        (last.actual_ms - 6 * 60_000).abs() < 5_000,
        "actual time runs to the end: {}",
        last.actual_ms
    );
    server.stop().await;
}
