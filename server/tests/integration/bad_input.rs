//! Bad input: invalid links, wrong origins, malformed and oversized frames, old protocol versions, relay restarts.

use crate::common::*;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg, CLOSE_BAD_HELLO, CLOSE_RELOAD};
use tandem_core::session::{ParticipantKey, RoomId, SessionSettings, Timer, TimerCommand, TimerControl};
use tokio_tungstenite::tungstenite::{self, Message};

/// Fails the test with `what` instead of hanging when `fut` takes more than 20 s.
async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(std::time::Duration::from_secs(20), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within 20 s"),
    }
}

#[tokio::test]
async fn invalid_links_get_a_clear_404_page_and_no_socket() {
    let (server, session) = bounded("starting a server with a session", TestServer::with_session("grow")).await;
    let (id, token) = parts(&session.participant_link);

    let (status, body) = http_get(&session.participant_link.replace("http://127.0.0.1:0", &server.url())).await;
    assert_eq!(status, 200, "{body}");
    for bad in [
        format!("{}/s/{id}?t=wrong", server.url()),
        format!("{}/s/{id}", server.url()),
        format!("{}/s/unknown-session?t={token}", server.url()),
    ] {
        let (status, body) = http_get(&bad).await;
        assert_eq!(status, 404, "{bad}");
        assert!(body.contains("This session link is not valid"), "{bad}: {body}");
        assert!(!body.contains("Get better at delegating"), "no session content leaks");
    }

    // Summaries too: no content for a wrong token, as a page or as Markdown.
    for bad in [
        format!("{}/s/{id}/summary?t=wrong", server.url()),
        format!("{}/s/{id}/summary.md?t=wrong", server.url()),
    ] {
        let (status, body) = http_get(&bad).await;
        assert_eq!(status, 404, "{bad}");
        assert!(!body.contains("Get better at delegating"), "no session content leaks");
    }

    for bad in [
        format!("ws://{}/ws/{id}?t=wrong", server.addr),
        format!("ws://{}/ws/{id}", server.addr),
        format!("ws://{}/ws/nope?t={token}", server.addr),
    ] {
        match bounded(&bad, tokio_tungstenite::connect_async(&bad)).await {
            Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 404, "{bad}"),
            other => panic!("{bad}: upgrade not refused: {:?}", other.map(|_| ())),
        }
    }
    bounded("stopping the server", server.stop()).await;
}

#[tokio::test]
async fn browsers_from_another_origin_are_refused() {
    let (server, session) = TestServer::with_session("grow").await;
    let url = server.ws(&session.participant_link);
    match Client::connect_with_origin(&url, "https://evil.example").await {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 403),
        other => panic!("not refused: {:?}", other.map(|_| ())),
    }
    assert!(Client::connect_with_origin(&url, &server.url()).await.is_ok());
    // The token is checked first: a wrong one is not a link, whatever the origin (and logs nothing).
    let wrong = url.replace("?t=", "?t=x");
    match Client::connect_with_origin(&wrong, "https://evil.example").await {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 404),
        other => panic!("not refused: {:?}", other.map(|_| ())),
    }
    server.stop().await;
}

#[tokio::test]
async fn malformed_unknown_and_oversized_frames_are_refused_and_others_notice_nothing() {
    let (server, session) = TestServer::with_session("grow").await;
    let url = server.ws(&session.host_link);
    let (mut host, _) = Client::join(&url, "Ana", &key(1), None).await;
    let (mut peer, _) = server.join(&session.participant_link, "Ben", 2, None).await;
    let _ = host.round_trip().await;
    let _ = peer.round_trip().await;

    peer.send_raw(Message::text("{not json")).await;
    let err = peer.recv().await;
    assert_eq!(
        err,
        ServerMsg::Error {
            code: ErrorCode::BadMessage,
            message: "Tandem did not understand that message.".into()
        }
    );
    peer.send_raw(Message::text(r#"{"type":"launch_rockets","count":3}"#))
        .await;
    assert!(matches!(
        peer.recv().await,
        ServerMsg::Error {
            code: ErrorCode::BadMessage,
            ..
        }
    ));
    // Binary frames are notes (y-sync); undecodable ones are covered in tests/notes.rs.
    // Still connected and served.
    assert!(peer.round_trip().await.is_empty());

    // An oversized frame: an error, then a close with code 1009.
    peer.send_raw(Message::text("x".repeat(tandem_core::protocol::MAX_FRAME_BYTES + 1)))
        .await;
    let mut saw_error = false;
    let code = loop {
        match peer.next_frame().await {
            Some(Message::Text(t)) => {
                saw_error |= matches!(
                    serde_json::from_str(&t),
                    Ok(ServerMsg::Error {
                        code: ErrorCode::TooLarge,
                        ..
                    })
                );
            }
            Some(Message::Close(f)) => break f.map(|f| u16::from(f.code)),
            Some(_) => {}
            None => break None,
        }
    };
    assert!(saw_error, "an error message explains the refusal");
    assert_eq!(code, Some(1009));

    // The host noticed nothing but Ben leaving, and the relay still works.
    let seen = host.round_trip().await;
    assert!(seen.iter().all(|m| matches!(m, ServerMsg::Presence { .. })), "{seen:?}");
    host.send(&ClientMsg::Timer {
        room: RoomId::MAIN,
        command: TimerCommand::Start,
    })
    .await;
    assert!(matches!(
        host.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await,
        ServerMsg::Room { .. }
    ));
    server.stop().await;
}

#[tokio::test]
async fn a_bad_or_missing_hello_closes_with_a_reason() {
    let (server, session) = TestServer::with_session("grow").await;
    let url = server.ws(&session.participant_link);

    let mut c = Client::connect(&url).await;
    c.send(&ClientMsg::Ping { sent: 1.0 }).await;
    assert!(matches!(
        c.recv().await,
        ServerMsg::Error {
            code: ErrorCode::HelloFirst,
            ..
        }
    ));
    assert_eq!(c.closed().await, Some(CLOSE_BAD_HELLO));

    let mut c = Client::connect(&url).await;
    c.send(&ClientMsg::Hello {
        protocol: 0,
        participant_key: ParticipantKey(key(1)),
        name: "Ana".into(),
        role: None,
        claim: None,
    })
    .await;
    let ServerMsg::Error { code, message } = c.recv().await else {
        panic!("no error")
    };
    assert_eq!(code, ErrorCode::ProtocolMismatch);
    assert!(message.contains("reload"), "{message}");
    assert_eq!(c.closed().await, Some(CLOSE_RELOAD));

    // A page still open from before protocol 2 (its messages carried their name in a "type" field) is told to
    // reload, not that its hello was not one.
    let mut c = Client::connect(&url).await;
    let old = format!(
        r#"{{"type":"hello","protocol":1,"participant_key":"{}","name":"Ana"}}"#,
        key(1)
    );
    c.send_raw(Message::text(old)).await;
    let ServerMsg::Error { code, .. } = c.recv().await else {
        panic!("no error")
    };
    assert_eq!(code, ErrorCode::ProtocolMismatch);
    assert_eq!(c.closed().await, Some(CLOSE_RELOAD));

    for (name, k) in [
        ("   ", key(1)),
        ("Ana", "short".to_string()),
        // 16 zero bytes: what a browser whose random source failed would send.
        ("Ana", "AAAAAAAAAAAAAAAAAAAAAA".to_string()),
        (&*"n".repeat(41), key(1)),
    ] {
        let mut c = Client::connect(&url).await;
        c.send(&ClientMsg::Hello {
            protocol: tandem_core::protocol::PROTOCOL_VERSION,
            participant_key: ParticipantKey(k),
            name: name.into(),
            role: None,
            claim: None,
        })
        .await;
        assert!(matches!(
            c.recv().await,
            ServerMsg::Error {
                code: ErrorCode::BadHello,
                ..
            }
        ));
        assert_eq!(c.closed().await, Some(CLOSE_BAD_HELLO));
    }
    server.stop().await;
}

#[tokio::test]
async fn a_relay_restart_restores_phase_and_timer_exactly() {
    let (server, session) = TestServer::with_settings(SessionSettings {
        timer_control: TimerControl::Host,
        auto_advance: false,
        ..SessionSettings::default()
    })
    .await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let send = |c: TimerCommand| ClientMsg::Timer {
        room: RoomId::MAIN,
        command: c,
    };

    host.send(&send(TimerCommand::Start)).await;
    host.send(&send(TimerCommand::Next { from: 0 })).await;
    let running = host
        .recv_until(|m| matches!(m, ServerMsg::Room { room, .. } if room.state.phase == 1))
        .await;
    let ServerMsg::Room { room: before, .. } = running else {
        unreachable!()
    };

    // Graceful stop tells clients to reconnect (1012); a new relay on the same database takes over.
    let (server, code) = tokio::join!(server.restart(), host.closed());
    assert_eq!(code, Some(1012));
    let (mut host, welcome) = server.join(&session.host_link, "Ana", 1, None).await;
    let ServerMsg::Welcome { rooms, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(
        rooms[0].state, before.state,
        "running deadline, phase and undo history come back exactly"
    );

    // Paused remaining survives too.
    host.send(&send(TimerCommand::Pause)).await;
    let paused = host.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    let ServerMsg::Room { room: paused, .. } = paused else {
        unreachable!()
    };
    assert!(matches!(paused.state.timer, Timer::Paused { .. }));
    drop(host);
    let server = server.restart().await;
    let (_host, welcome) = server.join(&session.host_link, "Ana", 1, None).await;
    let ServerMsg::Welcome { rooms, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(rooms[0].state, paused.state);
    server.stop().await;
}

#[tokio::test]
async fn auto_advance_catches_up_after_the_relay_was_down() {
    let (server, session) = TestServer::with_settings(SessionSettings {
        timer_control: TimerControl::Host,
        auto_advance: true,
        ..SessionSettings::default()
    })
    .await;
    // Pretend the Goal phase started six minutes ago while no relay ran the session.
    let spec = server.state.store.session(&session.id.0).await.unwrap().unwrap().spec;
    let six_min_ago = server::relay::now_ms() - 6 * 60_000;
    let (started, _) = tandem_core::session::RoomState::new(&spec.phases)
        .apply(&spec.phases, TimerCommand::Start, six_min_ago)
        .unwrap();
    server
        .state
        .store
        .save_room(&session.id, RoomId::MAIN, &started, six_min_ago)
        .await
        .unwrap();

    let (_host, welcome) = server.join(&session.host_link, "Ana", 1, None).await;
    let ServerMsg::Welcome { rooms, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(rooms[0].state.phase, 1, "Goal (5 min) ended a minute ago");
    assert_eq!(
        rooms[0].state.timer,
        Timer::Running {
            deadline: six_min_ago + 5 * 60_000 + 10 * 60_000
        }
    );
    server.stop().await;
}

/// A `create_session` request for the GROW template with `phases` as JSON.
fn create_body(template_id: &str, phases: serde_json::Value) -> String {
    serde_json::json!({
        "request": {
            "template_id": template_id,
            "goal": "",
            "phases": phases,
            "settings": { "timer_control": "host", "auto_advance": false }
        }
    })
    .to_string()
}

/// Bad agendas, unknown templates and bodies that are not a request at all are the caller's mistake: 4xx with a
/// sentence a person can act on, never 500, and nothing is created.
#[tokio::test]
async fn create_session_refuses_bad_requests_with_4xx_and_a_clear_message() {
    let server = bounded("starting the server", TestServer::start()).await;
    let url = format!("{}/api/create_session", server.url());
    let grow = server
        .state
        .backend
        .0
        .templates()
        .into_iter()
        .find(|t| t.id == "grow")
        .unwrap();
    let phases = |minutes: serde_json::Value| {
        let mut list = serde_json::to_value(&grow.phases).unwrap();
        list[1]["minutes"] = minutes;
        list
    };

    // A valid request works (and proves the body shape used below is right).
    let (status, body) = http_post_json(&url, &create_body("grow", phases(serde_json::json!(7)))).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("participant_link"), "{body}");

    let cases = [
        // 0 minutes: a number, but not an allowed one.
        (
            create_body("grow", phases(serde_json::json!(0))),
            422,
            "Phase 2: minutes must be between 1 and 240.",
        ),
        (
            create_body("grow", phases(serde_json::json!(241))),
            422,
            "Phase 2: minutes must be between 1 and 240.",
        ),
        (
            create_body("no-such-format", phases(serde_json::json!(5))),
            422,
            "There is no session format “no-such-format”",
        ),
        (
            create_body("grow", serde_json::json!([])),
            422,
            "The agenda needs at least one phase.",
        ),
        // Not numbers a phase can have: the body is not a request the function can read.
        (
            create_body("grow", phases(serde_json::json!(-3))),
            400,
            "This request could not be read",
        ),
        (
            create_body("grow", phases(serde_json::json!(2.5))),
            400,
            "This request could not be read",
        ),
        ("{}".to_string(), 400, "This request could not be read"),
        ("not json".to_string(), 400, "This request could not be read"),
    ];
    for (request, want, message) in cases {
        let (status, body) = http_post_json(&url, &request).await;
        assert_eq!(status, want, "{request}: {body}");
        assert!(body.contains(message), "{request}: {message:?} missing in {body}");
    }
    server.stop().await;
}
