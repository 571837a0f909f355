//! Several relays on one PostgreSQL database (issue 20), in this process: a session is run by one relay at a time,
//! handed over when another relay is asked for it, and a relay that lost it writes nothing more. The same with real
//! processes, HAProxy, kill -9 and SIGSTOP: `cluster.rs`. These run when `TANDEM_TEST_PG` names a cluster.

use crate::common::*;
use std::time::Duration;
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::{ClientMsg, ServerMsg, CLOSE_MOVED};
use tandem_core::session::{RoomId, SessionSettings, TimerCommand};

const SECTION: &str = "goal-statement";

/// Ana types on relay A; Ben opens the session on relay B. B asks A for it, A saves Ana's notes and sends her away
/// with "moved" (4009); B runs the session from what A saved. Ana's page reconnects there with what it held, and
/// both see one text.
#[tokio::test]
async fn a_session_is_handed_over_to_the_relay_that_asks_for_it() {
    let Some(db) = TestDb::postgres().await else { return };
    let a = db.start_another(|_| {}).await;
    let b = db.start_another(|_| {}).await;
    let session = create_session(&a, "grow", GOAL, SessionSettings::default()).await;
    let mut ana = Page::join(&ws_url(&a.url(), &session.host_link), "Ana", &key(1), NotesDoc::new()).await;
    ana.type_text(SECTION, "Typed on A").await;
    ana.until(|p| p.notes.unsynced() == 0).await;

    let asked = std::time::Instant::now();
    let mut ben = Page::join(
        &ws_url(&b.url(), &session.participant_link),
        "Ben",
        &key(2),
        NotesDoc::new(),
    )
    .await;
    let handover = asked.elapsed();
    assert!(handover < Duration::from_secs(4), "handed over in {handover:?}");
    ben.until(|p| p.notes.text(SECTION) == "Typed on A").await;
    assert_eq!(ana.client.closed().await, Some(CLOSE_MOVED));

    // Ana's page reconnects (through the load balancer: to B here) with its document, and goes on typing.
    let mut notes = ana.notes;
    notes.connection_closed();
    let mut ana = Page::join(&ws_url(&b.url(), &session.host_link), "Ana", &key(1), notes).await;
    ana.type_text(SECTION, "Typed on A, then on B").await;
    ana.until(|p| p.notes.unsynced() == 0).await;
    ben.until(|p| p.notes.text(SECTION) == "Typed on A, then on B").await;
    assert_eq!(
        stored_text(&b.state.store, &session.id, SECTION).await,
        "Typed on A, then on B"
    );
    assert_eq!(b.state.relay.live_sessions(), 1);
    assert_eq!(a.state.relay.live_sessions(), 0, "A let the session go");
    a.stop().await;
    b.stop().await;
}

/// Relay A lost its lease without noticing (it was frozen past the lease's end, say) and B took the session over.
/// A's next write is refused by the fencing: A closes Ana's page with "moved", stops the session, and the store
/// keeps B's state only.
#[tokio::test]
async fn a_relay_that_lost_its_lease_writes_nothing_and_sends_its_pages_away() {
    let Some(db) = TestDb::postgres().await else { return };
    // A renews its leases 10 s apart: it does not learn of the takeover before it tries to write.
    let a = db.start_another(|c| c.lease_secs = 30).await;
    let b = db.start_another(|_| {}).await;
    let session = create_session(&a, "grow", GOAL, SessionSettings::default()).await;
    let (mut ana, _) = Client::join(&ws_url(&a.url(), &session.host_link), "Ana", &key(1), Some("coach")).await;
    // A is frozen past its lease: as if it had lapsed.
    let lapse = format!("UPDATE leases SET expires_at = 0 WHERE id = '{}'", session.id.0);
    sqlx::query(&lapse).execute(&pg(&db).await).await.unwrap();
    // Ana's other device, on B (only the host drives the clock in this session).
    let (mut phone, _) = Client::join(&ws_url(&b.url(), &session.host_link), "Ana", &key(2), Some("coach")).await;
    phone
        .send(&ClientMsg::Timer {
            room: RoomId::MAIN,
            command: TimerCommand::Start,
        })
        .await;
    phone
        .recv_until(|m| matches!(m, ServerMsg::Room { room, .. } if room.state.timer.is_running()))
        .await;

    // A wakes up and writes: refused.
    ana.send(&ClientMsg::Timer {
        room: RoomId::MAIN,
        command: TimerCommand::Pause,
    })
    .await;
    assert_eq!(ana.closed().await, Some(CLOSE_MOVED));
    let rooms = b.state.store.rooms(&session.id).await.unwrap();
    assert!(
        rooms[0].1.timer.is_running(),
        "B's start stands: A's pause was not written"
    );
    // A stopped the session; B still runs it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while a.state.relay.live_sessions() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "A still runs the session");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    phone.round_trip().await;
    a.stop().await;
    b.stop().await;
}

async fn pg(db: &TestDb) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&db.url()).await.unwrap()
}
