//! Per-session bounds (issue 19): people, connections, feedback per giver and stored commitments, each refused with
//! a message a person can act on, and nothing already there lost.

use crate::common::*;
use server::relay::{MAX_COMMITMENTS, MAX_CONNS, MAX_FEEDBACK_PER_GIVER, MAX_PEOPLE, TIMER_CHANGES_BURST};
use std::collections::BTreeMap;
use tandem_core::notes::{Commitment, NotesDoc};
use tandem_core::protocol::{ErrorCode, ServerMsg, CLOSE_GONE};
use tandem_core::session::{Answer, ParticipantId};

#[tokio::test]
async fn a_session_takes_at_most_its_people_and_says_so_to_the_next() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut people = Vec::new();
    for n in 0..MAX_PEOPLE {
        let (client, welcome) = server
            .join(&session.participant_link, &format!("P{n}"), n as u8, None)
            .await;
        assert!(matches!(welcome, ServerMsg::Welcome { .. }));
        people.push(client);
    }
    let mut late = Client::connect(&server.ws(&session.participant_link)).await;
    late.hello("Late", &key(200), None).await;
    let (code, message) = late.error().await;
    assert_eq!(code, ErrorCode::NotAllowed);
    assert!(message.contains("This session is full"), "{message}");
    assert_eq!(late.closed().await, Some(CLOSE_GONE));
    assert_eq!(
        server.state.store.participants(&session.id).await.unwrap().len(),
        MAX_PEOPLE
    );

    // Someone already in comes back (another tab): welcome as before.
    let (_again, welcome) = server.join(&session.participant_link, "P3", 3, None).await;
    assert!(matches!(welcome, ServerMsg::Welcome { participants, .. } if participants.len() == MAX_PEOPLE));
}

#[tokio::test]
async fn a_session_takes_at_most_its_connections() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut sockets = Vec::new();
    for _ in 0..MAX_CONNS {
        let mut yjs = Client::connect(&server.yjs(&session.observer_link)).await;
        // The relay's sync step 1 says the connection joined.
        assert!(yjs.next_frame().await.is_some());
        sockets.push(yjs);
    }
    let mut one_more = Client::connect(&server.yjs(&session.observer_link)).await;
    assert_eq!(one_more.closed().await, Some(CLOSE_GONE));
    let mut page = Client::connect(&server.ws(&session.host_link)).await;
    page.hello("Ana", &key(1), None).await;
    assert!(page.error().await.1.contains("as many connections"));
    // One leaves: there is room again.
    drop(sockets.pop());
    let mut retry = 0;
    let welcome = loop {
        let mut page = Client::connect(&server.ws(&session.host_link)).await;
        page.hello("Ana", &key(1), None).await;
        match page.recv().await {
            welcome @ ServerMsg::Welcome { .. } => break welcome,
            ServerMsg::Error { .. } if retry < 50 => retry += 1,
            other => panic!("{other:?}"),
        }
    };
    assert!(matches!(welcome, ServerMsg::Welcome { .. }));
}

fn answers() -> BTreeMap<String, Answer> {
    [
        ("situation", Answer::Text("standup".into())),
        ("behaviour", Answer::Text("asked".into())),
        ("impact", Answer::Text("clear".into())),
        ("listening", Answer::Rating(5)),
        ("questions", Answer::Rating(4)),
        ("clarity", Answer::Rating(4)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[tokio::test]
async fn one_person_stores_at_most_so_much_feedback_and_may_still_edit_it() {
    let (server, session) = TestServer::with_session("grow").await;
    let (_ana, w) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ana: ParticipantId = you(&w);
    let (mut ben, _) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;
    for i in 0..MAX_FEEDBACK_PER_GIVER {
        ben.send(&submit_feedback(
            "coaching-feedback",
            &format!("feedback-{i:010}"),
            ana,
            answers(),
        ))
        .await;
        ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    }
    ben.send(&submit_feedback(
        "coaching-feedback",
        "feedback-extra00001",
        ana,
        answers(),
    ))
    .await;
    let refused = ben.recv_until(|m| matches!(m, ServerMsg::FeedbackRefused { .. })).await;
    assert!(matches!(&refused, ServerMsg::FeedbackRefused { message, .. } if message.contains("the most it keeps")));
    // An edit of one already given is fine.
    ben.send(&submit_feedback(
        "coaching-feedback",
        "feedback-0000000003",
        ana,
        answers(),
    ))
    .await;
    ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
    assert_eq!(
        server.state.store.feedback(&session.id).await.unwrap().len(),
        MAX_FEEDBACK_PER_GIVER
    );
}

#[tokio::test]
async fn at_most_so_many_commitments_are_copied_to_the_table() {
    let (server, session) = TestServer::with_session("grow").await;
    let mut ana = server.page(&session.host_link, "Ana", 1, NotesDoc::new()).await;
    for i in 0..MAX_COMMITMENTS + 20 {
        let c = Commitment {
            id: format!("c{i}"),
            text: format!("Commitment {i}"),
            owner: None,
            due: None,
            done: false,
            at: i as i64,
        };
        let frame = ana.notes.add_commitment(&c).unwrap();
        ana.send(frame).await;
    }
    // Confirmed means stored: all of them are in the notes, the first ones in the table.
    ana.until(|p| p.notes.unsynced() == 0).await;
    let rows = server.state.store.commitments(&session.id).await.unwrap();
    assert_eq!(rows.len(), MAX_COMMITMENTS);
    assert_eq!(ana.notes.commitments().len(), MAX_COMMITMENTS + 20);
}

/// A host socket flooding timer changes: each is a write, so the session stores a few a second and refuses the
/// rest, and other sessions' joins go on.
#[tokio::test]
async fn a_flood_of_timer_changes_is_refused_past_a_few_a_second() {
    use tandem_core::protocol::ClientMsg;
    use tandem_core::session::{RoomId, TimerCommand};
    let (server, session) = TestServer::with_session("grow").await;
    let other = server.session("grow").await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, None).await;
    // Under the socket's own limit of control messages per second (Limits::max_msgs_per_sec), so that each one
    // reaches the session and is answered.
    let flood = 40;
    for _ in 0..flood {
        host.send(&ClientMsg::Timer {
            room: RoomId::MAIN,
            command: TimerCommand::AddTime { seconds: 60 },
        })
        .await;
    }
    // Meanwhile someone joins another session.
    let (_ben, welcome) = server.join(&other.participant_link, "Ben", 2, None).await;
    assert!(matches!(welcome, ServerMsg::Welcome { .. }));
    let (mut applied, mut refused) = (0, 0);
    while applied + refused < flood {
        match host.recv().await {
            ServerMsg::Room { .. } => applied += 1,
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                ..
            } => refused += 1,
            _ => {}
        }
    }
    assert!(refused > 0, "a flood is refused");
    assert!(
        applied >= TIMER_CHANGES_BURST as usize && applied < flood / 2,
        "a burst goes through, not the flood: {applied}"
    );
}
