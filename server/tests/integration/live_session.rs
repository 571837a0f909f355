//! The live pair session over real WebSockets against a real server on port 0.

use crate::common::*;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg};
use tandem_core::session::{Capability, RoomId, SessionSettings, Timer, TimerCommand, TimerControl};

fn room_of(msg: &ServerMsg) -> tandem_core::session::RoomState {
    match msg {
        ServerMsg::Welcome { rooms, .. } => rooms[0].state.clone(),
        ServerMsg::Room { room, .. } => room.state.clone(),
        other => panic!("no room in {other:?}"),
    }
}

fn timer(command: TimerCommand) -> ClientMsg {
    ClientMsg::Timer {
        room: RoomId::MAIN,
        command,
    }
}

#[tokio::test]
async fn two_clients_join_see_each_other_and_get_the_same_deadline() {
    let (server, session) = TestServer::with_session("grow").await;

    let (mut host, welcome) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ServerMsg::Welcome {
        capability,
        session: info,
        ..
    } = &welcome
    else {
        unreachable!()
    };
    assert_eq!(*capability, Capability::Host);
    assert_eq!(info.goal, "Get better at delegating");
    assert_eq!(room_of(&welcome).phase, 0);

    let (mut peer, welcome) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;
    let ServerMsg::Welcome {
        participants,
        capability,
        ..
    } = &welcome
    else {
        unreachable!()
    };
    assert_eq!(*capability, Capability::Participant);
    let names: Vec<(&str, bool)> = participants.iter().map(|p| (p.name.as_str(), p.online)).collect();
    assert_eq!(names, [("Ana", true), ("Ben", true)]);

    // The host learns of Ben live, with his role.
    let presence = host
        .recv_until(|m| matches!(m, ServerMsg::Presence { participants } if participants.len() == 2))
        .await;
    let ServerMsg::Presence { participants } = presence else {
        unreachable!()
    };
    assert!(participants
        .iter()
        .any(|p| p.name == "Ben" && p.online && p.role.as_deref() == Some("coachee")));

    host.send(&timer(TimerCommand::Start)).await;
    let a = host.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    let b = peer.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    assert_eq!(a, b, "both receive the same state");
    let Timer::Running { deadline } = room_of(&a).timer else {
        panic!("not running")
    };
    let ServerMsg::Room { by, .. } = &a else { unreachable!() };
    assert!(by.is_some());
    let now = server::relay::now_ms();
    assert!((deadline - now - 300_000).abs() < 5_000, "deadline is 5 min ahead");

    // Next, then undo: both see it.
    host.send(&timer(TimerCommand::Next { from: 0 })).await;
    let next = peer.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    assert_eq!(room_of(&next).phase, 1);
    host.send(&timer(TimerCommand::Undo)).await;
    let undone = peer.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    assert_eq!(room_of(&undone).phase, 0);
    let Timer::Running { deadline: back } = room_of(&undone).timer else {
        panic!("not running")
    };
    assert!((back - deadline).abs() < 2_000, "undo restores the time left");
    server.stop().await;
}

#[tokio::test]
async fn host_only_commands_are_refused_for_participants_and_observers() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let (mut peer, _) = server.join(&session.participant_link, "Ben", 2, None).await;
    let (mut watcher, _) = server.join(&session.observer_link, "Cy", 3, None).await;

    peer.send(&timer(TimerCommand::Start)).await;
    assert_eq!(
        peer.error().await,
        (
            ErrorCode::NotAllowed,
            "Only the host runs the timer in this session.".into()
        )
    );
    watcher.send(&timer(TimerCommand::Next { from: 0 })).await;
    assert_eq!(watcher.error().await.0, ErrorCode::NotAllowed);

    // Nothing changed: the host saw no room update, and the stored state is still the initial one.
    let seen = host.round_trip().await;
    assert!(seen.iter().all(|m| !matches!(m, ServerMsg::Room { .. })), "{seen:?}");
    let rooms = server.state.store.rooms(&session.id).await.unwrap();
    assert_eq!(rooms[0].1.version, 1);
    assert!(matches!(rooms[0].1.timer, Timer::Ready { .. }));
    server.stop().await;
}

#[tokio::test]
async fn everyone_may_drive_the_timer_when_the_session_says_so_but_observers_never() {
    let (server, session) = TestServer::with_settings(SessionSettings {
        timer_control: TimerControl::Everyone,
        auto_advance: false,
        ..SessionSettings::default()
    })
    .await;
    let (mut peer, _) = server.join(&session.participant_link, "Ben", 2, None).await;
    peer.send(&timer(TimerCommand::Start)).await;
    let msg = peer
        .recv_until(|m| matches!(m, ServerMsg::Room { .. } | ServerMsg::Error { .. }))
        .await;
    assert!(room_of(&msg).timer.is_running());
    let (mut watcher, _) = server.join(&session.observer_link, "Cy", 3, None).await;
    watcher.send(&timer(TimerCommand::Pause)).await;
    assert_eq!(watcher.error().await.0, ErrorCode::NotAllowed);
    server.stop().await;
}

#[tokio::test]
async fn refused_commands_explain_why_and_change_nothing() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, None).await;
    host.send(&timer(TimerCommand::Pause)).await;
    assert_eq!(
        host.error().await,
        (ErrorCode::Refused, "The timer is not running.".into())
    );
    host.send(&timer(TimerCommand::Undo)).await;
    assert_eq!(
        host.error().await,
        (ErrorCode::Refused, "There is no phase change to undo.".into())
    );
    host.send(&ClientMsg::Timer {
        room: RoomId(9),
        command: TimerCommand::Start,
    })
    .await;
    assert_eq!(host.error().await.0, ErrorCode::UnknownRoom);
    server.stop().await;
}

#[tokio::test]
async fn the_same_key_is_the_same_participant_and_a_closed_tab_shows_as_gone() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, None).await;
    let (peer, welcome) = server.join(&session.participant_link, "Ben", 2, None).await;
    let ServerMsg::Welcome { you: first_id, .. } = welcome else {
        unreachable!()
    };

    // The peer's tab closes: the host sees Ben offline.
    drop(peer);
    let gone = host
        .recv_until(|m| matches!(m, ServerMsg::Presence { participants } if participants.iter().any(|p| p.name == "Ben" && !p.online)))
        .await;
    let ServerMsg::Presence { participants } = gone else {
        unreachable!()
    };
    assert_eq!(participants.len(), 2);

    // Ben reloads: same key, same participant, no duplicate.
    let (_peer, welcome) = server.join(&session.participant_link, "Ben", 2, None).await;
    let ServerMsg::Welcome { you, participants, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(you, first_id);
    assert_eq!(participants.len(), 2);
    assert!(participants.iter().all(|p| p.online));
    server.stop().await;
}

#[tokio::test]
async fn the_host_jumps_to_a_phase_from_the_phase_bar_and_can_undo_it() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut host, _) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let (mut peer, _) = server.join(&session.participant_link, "Ben", 2, Some("coachee")).await;
    host.send(&timer(TimerCommand::Goto { to: 3, from: 0 })).await;
    let jumped = peer.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    let state = room_of(&jumped);
    assert_eq!(state.phase, 3);
    let now = server::relay::now_ms();
    assert_eq!(state.undo_offer(now), Some(0), "undo is offered right after the jump");
    // The participant may not drive the timer in a host-run session.
    peer.send(&timer(TimerCommand::Goto { to: 1, from: 3 })).await;
    assert_eq!(peer.error().await.0, ErrorCode::NotAllowed);
    // A jump from a phase that is no longer current is refused.
    host.send(&timer(TimerCommand::Goto { to: 1, from: 0 })).await;
    assert_eq!(
        host.error().await,
        (ErrorCode::Refused, "Someone else just changed the phase.".into())
    );
    host.send(&timer(TimerCommand::Undo)).await;
    let undone = peer.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    assert_eq!(room_of(&undone).phase, 0);
    server.stop().await;
}

#[tokio::test]
async fn undo_is_gone_after_a_reload_past_its_window() {
    let (server, session) = TestServer::with_session("grow").await;
    // The phase changed 40 s ago (before any relay loaded the room).
    let spec = server.state.store.session(&session.id.0).await.unwrap().unwrap().spec;
    let changed = server::relay::now_ms() - tandem_core::session::UNDO_WINDOW_MS - 10_000;
    let (moved, _) = tandem_core::session::RoomState::new(&spec.phases)
        .apply(&spec.phases, TimerCommand::Next { from: 0 }, changed)
        .unwrap();
    server
        .state
        .store
        .save_room(&session.id, RoomId::MAIN, &moved, changed)
        .await
        .unwrap();

    let (mut host, welcome) = server.join(&session.host_link, "Ana", 1, None).await;
    let state = room_of(&welcome);
    assert_eq!(state.phase, 1);
    assert_eq!(state.changed_at, Some(changed), "the change time travels with the room");
    assert_eq!(
        state.undo_offer(server::relay::now_ms()),
        None,
        "a page loaded now offers no undo"
    );
    host.send(&timer(TimerCommand::Undo)).await;
    assert_eq!(
        host.error().await,
        (
            ErrorCode::Refused,
            "It is too late to undo that phase change; use Previous or the phase bar instead.".into()
        )
    );
    // Nothing moved.
    let (_again, welcome) = server.join(&session.host_link, "Ana", 1, None).await;
    assert_eq!(room_of(&welcome).phase, 1);
    server.stop().await;
}
