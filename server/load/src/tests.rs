//! The load generator against an in-process server (`make unit`): the workshop scenario and the attacks for a few
//! seconds with a few clients, to keep the code that `make bench` runs working. No timing is asserted: what ran, and
//! for the attacks, that the relay refused them, the honest clients got everything, and memory and the database
//! stayed bounded.

use super::*;

/// Starts a Tandem server on 127.0.0.1:0 over a fresh SQLite file in `dir`, taking client addresses from
/// X-Forwarded-For as `make bench` runs it; an HTTP timeout of 1 s, so that the slow-headers attack is cut off
/// within a short run.
async fn tandem_server(dir: &std::path::Path) -> server::Running {
    let flags = [
        "tandem",
        "--addr",
        "127.0.0.1:0",
        "--client-ip-header",
        "x-forwarded-for",
        "--http-timeout",
        "1",
    ];
    let config = server::Config {
        database_url: format!("sqlite://{}", dir.join("t.db").display()),
        ..<server::Config as clap::Parser>::parse_from(flags)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    server::launch_with_listener(config, listener, std::future::pending())
        .await
        .unwrap()
}

/// Runs the load generator with `flags` against a fresh server over a database in `dir` (`tandem_server`), stops the
/// server, and returns the report.
async fn run_against_tandem(dir: &std::path::Path, flags: &[&str]) -> serde_json::Value {
    let server = tandem_server(dir).await;
    let addr = server.addr.to_string();
    let args = ["tandem-load", "--target", "tandem", "--addr", &addr]
        .into_iter()
        .chain(flags.iter().copied());
    let report = run(Args::try_parse_from(args).unwrap()).await.unwrap();
    server.stop().await;
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workshop_scenario_delivers_notes_and_times_phase_changes_on_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--workshop",
        "--participants",
        "6",
        "--phase-changes",
        "6",
        "--duration",
        "3",
        "--drain",
        "1",
    ];
    let report = run_against_tandem(dir.path(), &flags).await;

    assert_eq!(report["connect_failures"], 0, "{report}");
    assert_eq!(report["connections"], 6, "{report}");
    assert_eq!(report["rooms"], 3, "{report}");
    assert!(report["received"].as_u64().unwrap() > 0, "{report}");
    assert!(report["awareness_in"].as_u64().unwrap() > 0, "{report}");
    assert!(report["dashboards"].as_u64().unwrap() > 0, "{report}");
    assert!(report["phase_changes_seen"].as_u64().unwrap() > 0, "{report}");
}

/// The attacks of issue 19 (src/attack.rs) for a few seconds beside 12 honest clients: each attack is refused or cut
/// off, the honest clients get every edit, and the relay's memory and database stay bounded (without the bounds, the
/// outbox attack alone would hold three sockets × 256 copies of a 600 KB document, some 460 MB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attacks_are_refused_while_the_honest_clients_get_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db").display().to_string();
    let pid = std::process::id().to_string();
    let flags = [
        "--attack",
        "--rooms",
        "3",
        "--clients",
        "4",
        "--duration",
        "4",
        "--drain",
        "2",
    ];
    let report = run_against_tandem(dir.path(), &[&flags[..], &["--db", &db, "--server-pid", &pid]].concat()).await;

    assert_eq!(report["connect_failures"], 0, "{report}");
    assert_eq!(report["missing"], 0, "the honest clients got every edit: {report}");
    let attacks = &report["attacks"];
    for kind in attack::KINDS {
        assert!(attacks[kind]["sent"].as_u64().unwrap() > 0, "{kind} ran: {report}");
    }
    let stopped = |kind: &str| attacks[kind]["refused"].as_u64().unwrap() + attacks[kind]["dropped"].as_u64().unwrap();
    for kind in ["outbox", "delete_only", "timer", "people", "create", "slowloris"] {
        assert!(stopped(kind) > 0, "{kind} was refused or cut off: {report}");
    }
    // The test process holds the relay and the load generator: together well under the unbounded case.
    let rss = report["server_peak_rss_kb"].as_u64().unwrap();
    assert!(rss < 250 * 1024, "peak RSS {rss} KiB: {report}");
    let grown = report["db_bytes_after"].as_u64().unwrap() - report["db_bytes_before"].as_u64().unwrap();
    assert!(grown < 16 << 20, "the database grew by {grown} bytes: {report}");
}
