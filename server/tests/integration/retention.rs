//! Retention (issue 19): the host deletes a session (a confirmation page and a form served by the relay), and the
//! sweep deletes what has had nothing new for the retention period. Everything of it goes; open pages are told.

use crate::common::*;
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::{ErrorCode, CLOSE_GONE};

#[tokio::test]
async fn the_host_deletes_a_session_after_confirming_and_open_pages_are_told() {
    let (server, session) = TestServer::with_session("grow").await;
    let (mut ana, _) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let mut ben = server.page(&session.participant_link, "Ben", 2, NotesDoc::new()).await;
    ben.type_text("goal-statement", "Delegate the release notes").await;
    ben.until(|p| p.notes.unsynced() == 0).await;
    let id = &session.id.0;
    let page = |token: &str| format!("{}/s/{id}/delete?t={token}", server.url());
    let form = format!("{}/s/{id}/delete", server.url());

    // Only the host's link opens the confirmation, and only the host's token deletes.
    let (status, body) = http_get(&page(&session.host_token())).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Delete “Get better at delegating”?"), "{body}");
    assert!(
        body.contains(r#"href="/s/"#) && body.contains("Keep it"),
        "a way back: {body}"
    );
    for token in [session.participant_token(), session.observer_token(), "wrong".into()] {
        assert_eq!(http_get(&page(&token)).await.0, 404);
        assert_eq!(http_post_form(&form, &format!("t={token}")).await.0, 404);
    }
    assert!(
        server.state.store.session(id).await.unwrap().is_some(),
        "nothing deleted yet"
    );

    let (status, body) = http_post_form(&form, &format!("t={}", session.host_token())).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("The session was deleted"), "{body}");
    // The pages that were open are told why, then closed for good.
    let (code, message) = ana.error().await;
    assert_eq!(code, ErrorCode::Ended);
    assert!(message.contains("deleted"), "{message}");
    assert_eq!(ana.closed().await, Some(CLOSE_GONE));
    // Nothing of it is left, and its links open nothing.
    let store = &server.state.store;
    assert!(store.session(id).await.unwrap().is_none());
    assert!(store.notes(&session.id).await.unwrap().is_none());
    assert!(store.participants(&session.id).await.unwrap().is_empty());
    assert_eq!(http_get(&session.host_link).await.0, 404);
    match tokio_tungstenite::connect_async(server.ws(&session.participant_link)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404),
        other => panic!("the socket of a deleted session opened: {:?}", other.map(|_| ())),
    }
    // A second submit (double click) finds nothing: not a fault.
    assert_eq!(
        http_post_form(&form, &format!("t={}", session.host_token())).await.0,
        404
    );
}

#[tokio::test]
async fn the_sweep_deletes_what_had_nothing_new_since_the_cutoff() {
    let server = TestServer::start().await;
    let idle = server.session("grow").await;
    let busy = server.session("grow").await;
    let cutoff = server::relay::now_ms() + 1;
    // Wait until the clock has passed the cutoff, then write to one session's notes.
    while server::relay::now_ms() <= cutoff {
        tokio::task::yield_now().await;
    }
    let mut page = server.page(&busy.host_link, "Ana", 1, NotesDoc::new()).await;
    page.type_text("goal-statement", "Still in use").await;
    page.until(|p| p.notes.unsynced() == 0).await;

    let (sessions, workshops) = server.state.relay.sweep_before(cutoff).await.unwrap();
    assert_eq!((sessions, workshops), (1, 0));
    assert!(server.state.store.session(&idle.id.0).await.unwrap().is_none());
    assert!(server.state.store.session(&busy.id.0).await.unwrap().is_some());
    // The page in use is not disturbed.
    page.round_trip().await;
    assert!(page.texts.is_empty(), "{:?}", page.texts);
}
