//! `tandem-load`: the load generator of the relay benchmarks (issue 5, `make bench`, `.ci/bench`).
//!
//! Opens ROOMS × CLIENTS WebSocket clients against a running relay. Each client speaks the y-websocket protocol
//! (y-protocols v1 encoding): it does the sync handshake the way y-websocket clients do, then sends note edits
//! (real yrs updates in y-sync `Update` messages) at `--rate` per second plus one awareness (presence) frame per
//! `--awareness-interval`. Every edit inserts a unique ASCII marker `#<client>:<seq>;` into a Y.Text; v1 updates
//! carry string content verbatim (also when a server re-encodes them, as y-websocket does), so receivers find the
//! markers in the frame bytes and time each delivery against one shared send-time table.
//!
//! Prints connections, deliveries per second, latency percentiles, missing deliveries (expected − received after
//! the drain period) and the server's peak RSS and CPU seconds from `/proc/PID`, then one JSON line (the last line
//! of the output) for scripts.
//!
//! `--pages` joins Tandem's sessions over the page socket `/ws` (a hello first, pings as a page does) instead of
//! the Yjs endpoint; `--workshop` runs one workshop of `--participants` people in pair breakouts over the page socket
//! and also times the breakouts' phase changes until the facilitator's dashboard shows them (src/workshop/).
//!
//! `--attack` runs the attacks of issue 19 against sessions of their own on the same relay while the honest clients
//! run, and reports what each attack achieved beside the honest clients' figures (src/attack.rs); `--db` adds the
//! SQLite database's size before and after.
//!
//! `--idle` instead holds the connections open without edits (a WebSocket ping every `--ping-interval` seconds keeps
//! them inside any idle timeout without fan-out) and reports the server's RSS per connection.

mod address;
mod args;
mod attack;
mod client;
mod histogram;
mod page;
mod proc;
mod report;
mod rooms;
mod shared;
mod workshop;

use args::{Args, Phase, Plan};
use clap::Parser;
use client::client;
use page::{new_key, Join, Page};
use proc::ProcWatch;
use report::{idle_phase, load_phase, round};
use rooms::room_urls;
use shared::Shared;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};
use tokio::time::{timeout, Instant};

/// Parses the flags and runs on a runtime with `--threads` workers; the report's JSON line goes last.
fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(report) => println!("{report}"),
        Err(e) => {
            eprintln!("tandem-load: {e}");
            std::process::exit(1);
        }
    }
}

/// Connects every client, runs the load (or holds still), prints the report; its JSON fields.
async fn run(mut args: Args) -> Result<serde_json::Value, String> {
    args.settle()?;
    let total = args.rooms * args.clients;
    let plan = Plan::new(&args);
    let shared = Arc::new(Shared::new(args.clients, total, plan.max_seq));
    let (phase_tx, phase_rx) = watch::channel(Phase::Connect);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<Result<(), String>>(total.max(1));
    let gate = Arc::new(Semaphore::new(args.connect_parallel.max(1)));
    let server = args.server_pid.map(ProcWatch::new);

    let (tasks, rss_before, connect_started) = if args.workshop {
        // The workshop's lobby and the opening of its round are part of connecting.
        let rss_before = server.as_ref().and_then(|s| s.rss_kb());
        let connect_started = Instant::now();
        let crew = workshop::Crew {
            shared: shared.clone(),
            plan,
            addr: args.addr.clone(),
            gate,
            ready: ready_tx,
            phase: phase_rx,
        };
        (workshop::start(&args, crew).await?, rss_before, connect_started)
    } else {
        let urls = room_urls(&args).await?;
        // The server settles after the sessions were created, then the baseline for idle memory is taken.
        if server.is_some() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let rss_before = server.as_ref().and_then(|s| s.rss_kb());
        let connect_started = Instant::now();
        let mut tasks = Vec::with_capacity(total);
        for (room, url) in urls.iter().enumerate() {
            for member in 0..args.clients {
                let global = room * args.clients + member;
                let page = args
                    .pages
                    .then(|| Page::new(&new_key(), &format!("bench {global}"), None));
                tasks.push(tokio::spawn(client(
                    shared.clone(),
                    plan,
                    global,
                    Join { url: url.clone(), page },
                    gate.clone(),
                    ready_tx.clone(),
                    phase_rx.clone(),
                )));
            }
        }
        (tasks, rss_before, connect_started)
    };
    let mut failures = 0usize;
    let mut first_error = None;
    for _ in 0..total {
        match ready_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                failures += 1;
                first_error.get_or_insert(e);
            }
            None => break,
        }
    }
    let connect_secs = connect_started.elapsed().as_secs_f64();
    let connections = shared.connected.load(Ordering::Relaxed);
    let why = first_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
    eprintln!("tandem-load: {connections} of {total} clients connected and synced in {connect_secs:.1} s");
    if failures > 0 {
        eprintln!("tandem-load: {failures} clients failed{why}");
    }

    let mut report = serde_json::json!({
        "target": args.target.name(),
        "label": args.label,
        "mode": if args.idle { "idle" } else { "load" },
        "endpoint": if args.pages { "ws" } else { "yjs" },
        "rooms": args.rooms,
        "clients_per_room": args.clients,
        "connections": connections,
        "connect_failures": failures,
        "connect_s": round(connect_secs, 2),
    });

    let attacks = if args.attack {
        let (tally, tasks) =
            attack::start(&args.addr, Duration::from_secs_f64(args.duration), phase_tx.subscribe()).await?;
        eprintln!("tandem-load: the attacks are ready");
        Some((tally, tasks))
    } else {
        None
    };
    let db_before = args.db.as_deref().map(db_bytes);
    if args.idle {
        let _ = phase_tx.send(Phase::Run { start: Instant::now() });
        idle_phase(&args, &shared, server.as_ref(), rss_before, &mut report).await;
    } else {
        load_phase(&args, &shared, server.as_ref(), &phase_tx, &mut report).await;
    }
    if args.workshop {
        workshop::report(&shared, &mut report);
    }
    if let Some((tally, tasks)) = attacks {
        for t in tasks {
            let _ = timeout(Duration::from_secs(15), t).await;
        }
        report["attacks"] = attack::report(&tally);
    }
    if let Some(db) = args.db.as_deref() {
        report["db_bytes_before"] = serde_json::json!(db_before);
        report["db_bytes_after"] = serde_json::json!(db_bytes(db));
    }
    let _ = phase_tx.send(Phase::Done);
    for t in tasks {
        let _ = timeout(Duration::from_secs(2), t).await;
    }
    if !args.idle {
        report["server_rss_before_kb"] = serde_json::json!(rss_before);
    }
    if args.after > 0.0 {
        if let Some(server) = server.as_ref() {
            // Every client has left; the sessions are idle (the relay may end their actors meanwhile).
            tokio::time::sleep(Duration::from_secs_f64(args.after)).await;
            let rss_after = server.rss_kb();
            if let (Some(before), Some(after)) = (rss_before, rss_after) {
                println!(
                    "server RSS:         {:.1} MB before connecting, {:.1} MB {:.0} s after the clients left ({:.2}×)",
                    before as f64 / 1024.0,
                    after as f64 / 1024.0,
                    args.after,
                    after as f64 / before.max(1) as f64
                );
            }
            report["after_s"] = serde_json::json!(args.after);
            report["server_rss_after_kb"] = serde_json::json!(rss_after);
        }
    }
    let loadgen = ProcWatch::new(std::process::id());
    report["loadgen_cpu_s"] = serde_json::json!(round(loadgen.cpu_s().unwrap_or(0.0), 2));
    Ok(report)
}

/// The size of a SQLite database: its file and its write-ahead log.
fn db_bytes(path: &str) -> u64 {
    [path.to_string(), format!("{path}-wal")]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests;
