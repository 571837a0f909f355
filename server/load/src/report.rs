//! The two kinds of run after the clients are connected, each measured and reported: the edit load (deliveries,
//! latency, server cost) and idle memory (the server's RSS per connection). Human lines first, then the JSON fields.

use crate::args::{Args, Phase};
use crate::proc::{machine_busy_s, ProcWatch};
use crate::shared::Shared;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Holds idle connections and reports the server's RSS per connection.
pub async fn idle_phase(
    args: &Args,
    shared: &Shared,
    server: Option<&ProcWatch>,
    rss_before: Option<u64>,
    report: &mut serde_json::Value,
) {
    let until = Instant::now() + Duration::from_secs_f64(args.hold);
    let mut samples = Vec::new();
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Some(rss) = server.and_then(|s| s.rss_kb()) {
            samples.push(rss);
        }
    }
    let connected = shared.connected.load(Ordering::Relaxed);
    let disconnects = shared.disconnects.load(Ordering::Relaxed);
    // The median of the second half of the hold: after the connections settled, robust to a GC in between.
    let mut tail = samples.split_off(samples.len() / 2);
    tail.sort_unstable();
    let rss_with = tail.get(tail.len() / 2).copied();
    let per_conn = match (rss_before, rss_with) {
        (Some(before), Some(with)) if connected > 0 => Some((with as f64 - before as f64) * 1024.0 / connected as f64),
        _ => None,
    };
    println!(
        "idle: {connected} connections still open ({disconnects} dropped) across {} rooms, held {:.0} s",
        args.rooms, args.hold
    );
    if let (Some(before), Some(with)) = (rss_before, rss_with) {
        println!(
            "server RSS: {:.1} MB before, {:.1} MB with the connections: {:.0} bytes per connection",
            before as f64 / 1024.0,
            with as f64 / 1024.0,
            per_conn.unwrap_or(0.0)
        );
    }
    report["connections"] = serde_json::json!(connected);
    report["disconnects"] = serde_json::json!(disconnects);
    report["hold_s"] = serde_json::json!(args.hold);
    report["ping_interval_s"] = serde_json::json!(args.ping_interval);
    report["rss_before_kb"] = serde_json::json!(rss_before);
    report["rss_with_kb"] = serde_json::json!(rss_with);
    report["rss_per_conn_bytes"] = serde_json::json!(per_conn.map(|b| round(b, 0)));
}

/// Runs the edit load, drains, and reports deliveries, latency and server cost.
pub async fn load_phase(
    args: &Args,
    shared: &Shared,
    server: Option<&ProcWatch>,
    phase_tx: &watch::Sender<Phase>,
    report: &mut serde_json::Value,
) {
    // Everyone starts together, a little after now, each at its own offset inside the first period.
    let start = Instant::now() + Duration::from_millis(200);
    let cpu_before = server.and_then(|s| s.cpu_s());
    let loadgen = ProcWatch::new(std::process::id());
    let loadgen_before = loadgen.cpu_s();
    let machine_before = machine_busy_s();
    let _ = phase_tx.send(Phase::Run { start });
    let send_end = start + Duration::from_secs_f64(args.duration);
    let drain_end = send_end + Duration::from_secs_f64(args.drain);
    let mut peak_rss = server.and_then(|s| s.rss_kb()).unwrap_or(0);
    // The steady window: from `warmup` after the start to the last send (no connecting, no drain).
    let warmup = Duration::from_secs_f64(args.warmup.clamp(0.0, args.duration / 2.0));
    let mut steady_from: Option<(Option<f64>, u64)> = None;
    let mut steady: Option<(Option<f64>, u64)> = None;
    let mut last_print = Instant::now();
    let mut last_received = 0;
    while Instant::now() < drain_end {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(rss) = server.and_then(|s| s.rss_kb()) {
            peak_rss = peak_rss.max(rss);
        }
        let now = Instant::now();
        if steady_from.is_none() && now >= start + warmup {
            steady_from = Some((server.and_then(|s| s.cpu_s()), shared.received.load(Ordering::Relaxed)));
        }
        if steady.is_none() && now >= send_end {
            steady = Some((server.and_then(|s| s.cpu_s()), shared.received.load(Ordering::Relaxed)));
        }
        if last_print.elapsed() >= Duration::from_secs(5) {
            let received = shared.received.load(Ordering::Relaxed);
            eprintln!(
                "tandem-load: {:>5.1} s: {:.0} deliveries/s, {} disconnects",
                start.elapsed().as_secs_f64(),
                (received - last_received) as f64 / last_print.elapsed().as_secs_f64(),
                shared.disconnects.load(Ordering::Relaxed)
            );
            last_received = received;
            last_print = Instant::now();
        }
    }
    let cpu = match (cpu_before, server.and_then(|s| s.cpu_s())) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let loadgen_cpu = match (loadgen_before, loadgen.cpu_s()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    // CPU time of everything else on the machine over the same window: a busy neighbour skews every figure.
    let other_cpu = match (machine_before, machine_busy_s(), cpu, loadgen_cpu) {
        (Some(a), Some(b), Some(server), Some(gen)) => Some((b - a - server - gen).max(0.0)),
        _ => None,
    };
    let window = args.duration + args.drain;
    // CPU per delivery over the steady window: CPU seconds in it ÷ deliveries that arrived in it.
    let steady_cpu_per_delivery = match (steady_from, steady) {
        (Some((Some(c0), r0)), Some((Some(c1), r1))) if r1 > r0 => Some((c1 - c0) * 1e6 / (r1 - r0) as f64),
        _ => None,
    };
    let rss_end = server.and_then(|s| s.rss_kb());
    let sent = shared.sent.load(Ordering::Relaxed);
    let expected = shared.expected.load(Ordering::Relaxed);
    let received = shared.received.load(Ordering::Relaxed);
    let missing = expected as i64 - received as i64;
    let (q, max) = shared.hist.quantiles(&[0.5, 0.95, 0.99, 0.999]);
    let per_s = received as f64 / args.duration;
    let cpu_per_delivery = cpu.filter(|_| received > 0).map(|c| c * 1e6 / received as f64);
    let connections = shared.connected.load(Ordering::Relaxed);
    println!(
        "{} ×{} rooms × {} clients, {} edits/s each for {} s (+{} s drain), awareness every {} s",
        args.target.name(),
        args.rooms,
        args.clients,
        args.rate,
        args.duration,
        args.drain,
        args.awareness_interval
    );
    println!("connections:        {connections}");
    println!(
        "edits sent:         {sent} ({:.0}/s), awareness frames sent {}",
        sent as f64 / args.duration,
        shared.awareness_out.load(Ordering::Relaxed)
    );
    println!("deliveries:         {received} of {expected} expected ({per_s:.0}/s)");
    println!(
        "missing:            {missing} (duplicates {}, unknown markers {}, echoes {}, disconnects {})",
        shared.duplicates.load(Ordering::Relaxed),
        shared.unknown.load(Ordering::Relaxed),
        shared.echoes.load(Ordering::Relaxed),
        shared.disconnects.load(Ordering::Relaxed)
    );
    println!(
        "latency ms:         p50 {:.2}  p95 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        q[0], q[1], q[2], q[3], max
    );
    if let Some(c) = cpu {
        println!(
            "server:             {c:.2} CPU s, {:.2} µs per delivery, peak RSS {:.1} MB",
            cpu_per_delivery.unwrap_or(0.0),
            peak_rss as f64 / 1024.0
        );
    }
    if let Some(c) = steady_cpu_per_delivery {
        println!(
            "steady window:      {c:.2} µs per delivery ({:.0} s to {:.0} s), RSS at the end {:.1} MB",
            warmup.as_secs_f64(),
            args.duration,
            rss_end.unwrap_or(0) as f64 / 1024.0
        );
    }
    if let Some(c) = loadgen_cpu {
        println!("load generator:     {c:.2} CPU s");
    }
    if let Some(c) = other_cpu {
        println!(
            "other processes:    {c:.2} CPU s over {window:.0} s on {} cores",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
    let fields = serde_json::json!({
        "rate": args.rate,
        "duration_s": args.duration,
        "drain_s": args.drain,
        "awareness_interval_s": args.awareness_interval,
        "sent": sent,
        "expected": expected,
        "received": received,
        "missing": missing,
        "duplicates": shared.duplicates.load(Ordering::Relaxed),
        "unknown": shared.unknown.load(Ordering::Relaxed),
        "echoes": shared.echoes.load(Ordering::Relaxed),
        "disconnects": shared.disconnects.load(Ordering::Relaxed),
        "frames_in": shared.frames_in.load(Ordering::Relaxed),
        "awareness_in": shared.awareness_in.load(Ordering::Relaxed),
        "deliveries_per_s": round(per_s, 0),
        "p50_ms": round(q[0], 3),
        "p95_ms": round(q[1], 3),
        "p99_ms": round(q[2], 3),
        "p999_ms": round(q[3], 3),
        "max_ms": round(max, 3),
        "server_cpu_s": cpu.map(|c| round(c, 2)),
        "cpu_us_per_delivery": cpu_per_delivery.map(|c| round(c, 2)),
        "server_peak_rss_kb": server.map(|_| peak_rss),
        "steady_cpu_us_per_delivery": steady_cpu_per_delivery.map(|c| round(c, 2)),
        "warmup_s": warmup.as_secs_f64(),
        "server_end_rss_kb": rss_end,
        "loadgen_run_cpu_s": loadgen_cpu.map(|c| round(c, 2)),
        "other_cpu_s": other_cpu.map(|c| round(c, 2)),
        "window_s": window,
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (report.as_object_mut(), fields) {
        obj.extend(more);
    }
}

/// `x` rounded to `digits` decimals (for the JSON line).
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}
