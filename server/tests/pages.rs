//! Server-rendered pages under concurrency: every response finishes, with the right status.
//!
//! A page whose data loads in a `<Suspense>` must always finish rendering: many at once, and while other servers
//! in the same process start (which once left a render waiting forever, see `route_list` in the server).

mod common;

use app::session::SessionSettings;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_session_pages_at_once_all_finish() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("t.db")).await;
    let links = create(&server, SessionSettings::default()).await;
    let (id, token) = parts(&links.participant_link);
    let cases: Vec<(String, u16)> = vec![
        (format!("/s/{id}?t={token}"), 200),
        (format!("/s/{id}?t=wrong"), 404),
        (format!("/s/unknown-session?t={token}"), 404),
        (format!("/s/{id}/summary?t={token}"), 200),
        (format!("/s/{id}/summary?t=wrong"), 404),
    ];
    let rounds: usize = std::env::var("TANDEM_PAGE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..rounds {
        for (path, status) in &cases {
            let (path, status, url) = (path.clone(), *status, server.url());
            tasks.spawn(async move {
                let got = http_get(&format!("{url}{path}")).await;
                (round, path, status, got)
            });
        }
        // At most ~25 requests in flight.
        while tasks.len() > 25 {
            check(tasks.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(done) = tasks.join_next().await {
        check(done.unwrap());
    }
    server.stop().await;
}

fn check((round, path, status, (got_status, body)): (usize, String, u16, (u16, String))) {
    assert_eq!(got_status, status, "round {round}: {path}");
    assert!(body.contains("</html>"), "round {round}: {path}: body incomplete");
}

/// Starting a server generates Leptos' route list, which suppresses resource loads process-wide while it runs
/// (leptos_server's `SuppressResourceLoad`). Servers started while another renders pages (tests in parallel, a
/// relay restarted in a test) must not leave that render waiting forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("t.db")).await;
    let links = create(&server, SessionSettings::default()).await;
    let (_, token) = parts(&links.participant_link);
    let starting = tokio::spawn({
        let root = dir.path().to_path_buf();
        async move {
            for i in 0..30 {
                let other = start(&root.join(format!("other-{i}.db"))).await;
                other.stop().await;
            }
        }
    });
    let mut round = 0;
    while !starting.is_finished() {
        let path = format!("/s/unknown-session?t={token}");
        let got = http_get(&format!("{}{path}", server.url())).await;
        check((round, path, 404, got));
        round += 1;
    }
    starting.await.unwrap();
    assert!(round > 0, "no page was asked for while servers started");
    server.stop().await;
}
