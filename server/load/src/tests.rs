//! The load generator against an in-process server (`make unit`): the workshop scenario for a few seconds with a
//! few participants, to keep the code that `make bench` runs working. No timing is asserted, only that it ran.

use super::*;

/// Starts a Tandem server on 127.0.0.1:0 over a fresh SQLite file in `dir`.
async fn tandem_server(dir: &std::path::Path) -> server::Running {
    let config = server::Config {
        database_url: format!("sqlite://{}", dir.join("t.db").display()),
        ..<server::Config as clap::Parser>::parse_from(["tandem", "--addr", "127.0.0.1:0"])
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    server::launch_with_listener(config, listener, std::future::pending())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workshop_scenario_delivers_notes_and_times_phase_changes_on_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let server = tandem_server(dir.path()).await;
    let addr = server.addr.to_string();
    let flags = ["--workshop", "--participants", "6", "--phase-changes", "6"];
    let timing = ["--duration", "3", "--drain", "1"];
    let args = ["tandem-load", "--target", "tandem", "--addr", &addr]
        .into_iter()
        .chain(flags)
        .chain(timing);
    let report = run(Args::try_parse_from(args).unwrap()).await.unwrap();
    server.stop().await;

    assert_eq!(report["connect_failures"], 0, "{report}");
    assert_eq!(report["connections"], 6, "{report}");
    assert_eq!(report["rooms"], 3, "{report}");
    assert!(report["received"].as_u64().unwrap() > 0, "{report}");
    assert!(report["awareness_in"].as_u64().unwrap() > 0, "{report}");
    assert!(report["dashboards"].as_u64().unwrap() > 0, "{report}");
    assert!(report["phase_changes_seen"].as_u64().unwrap() > 0, "{report}");
}
