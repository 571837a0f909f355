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
//! `--idle` instead holds the connections open without edits (a WebSocket ping every `--ping-interval` seconds keeps
//! them inside any idle timeout without fan-out) and reports the server's RSS per connection.

use clap::{Parser, ValueEnum};
use futures::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

/// Which server is under load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Target {
    /// Tandem's y-websocket-compatible endpoint `/yjs/{session}?t=TOKEN` (sessions are created over HTTP first).
    Tandem,
    /// The bare broadcast relay (`bare-relay`): room = URL path, no handshake.
    Bare,
    /// The y-websocket reference server (Node): room = URL path.
    Ywebsocket,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Tandem => "tandem",
            Target::Bare => "bare",
            Target::Ywebsocket => "ywebsocket",
        }
    }
}

/// Command-line flags.
#[derive(Parser, Debug)]
#[command(
    name = "tandem-load",
    about = "Load generator for relay benchmarks (y-sync edits + awareness)."
)]
struct Args {
    /// Server kind.
    #[arg(long, value_enum)]
    target: Target,
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// Number of rooms (Tandem: sessions).
    #[arg(long, default_value_t = 100)]
    rooms: usize,
    /// Clients per room.
    #[arg(long, default_value_t = 20)]
    clients: usize,
    /// Edits per second per client.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Seconds to wait after the last send before counting what arrived.
    #[arg(long, default_value_t = 3.0)]
    drain: f64,
    /// Seconds between two awareness (presence) frames of one client; 0 for none.
    #[arg(long, default_value_t = 1.0)]
    awareness_interval: f64,
    /// Idle-memory mode: connect, then hold the connections without edits and report RSS per connection.
    #[arg(long)]
    idle: bool,
    /// Idle mode: seconds to hold the connections.
    #[arg(long, default_value_t = 10.0)]
    hold: f64,
    /// Idle mode: seconds between WebSocket pings of one client (keeps it inside idle timeouts, no fan-out).
    #[arg(long, default_value_t = 10.0)]
    ping_interval: f64,
    /// Pid of the server process, for RSS and CPU from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Free-form label copied into the JSON line.
    #[arg(long, default_value = "")]
    label: String,
    /// Worker threads of the load generator.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Connections being opened at the same time.
    #[arg(long, default_value_t = 64)]
    connect_parallel: usize,
}

/// Where the run is; clients follow it through a watch channel.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Connecting and syncing.
    Connect,
    /// Sending edits (and awareness) from `start` until `start + duration`.
    Run { start: Instant },
    /// Stop and disconnect.
    Done,
}

/// Latency histogram in microseconds, log-linear (64 sub-buckets per power of two: ≤ 1.6 % error), lock-free.
struct Histogram {
    buckets: Vec<AtomicU64>,
}

impl Histogram {
    const LINEAR: u64 = 128;
    const SUB: u64 = 64;

    fn new() -> Self {
        Histogram {
            buckets: (0..Self::LINEAR + 58 * Self::SUB).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn index(us: u64) -> usize {
        if us < Self::LINEAR {
            return us as usize;
        }
        let exp = 63 - u64::from(us.leading_zeros()); // ≥ 7
        let shift = exp - 6;
        let mantissa = us >> shift; // 64..128
        (Self::LINEAR + (exp - 7) * Self::SUB + (mantissa - Self::SUB)) as usize
    }

    /// Midpoint of a bucket, in µs.
    fn value(index: usize) -> f64 {
        let index = index as u64;
        if index < Self::LINEAR {
            return index as f64;
        }
        let k = index - Self::LINEAR;
        let exp = 7 + k / Self::SUB;
        let mantissa = Self::SUB + k % Self::SUB;
        let low = mantissa << (exp - 6);
        let width = 1u64 << (exp - 6);
        low as f64 + width as f64 / 2.0
    }

    fn record(&self, us: u64) {
        let i = Self::index(us).min(self.buckets.len() - 1);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The `q` quantile in ms (0 when empty), and the largest bucket seen.
    fn quantiles(&self, qs: &[f64]) -> (Vec<f64>, f64) {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let max = counts
            .iter()
            .rposition(|&c| c > 0)
            .map_or(0.0, |i| Self::value(i) / 1000.0);
        let out = qs
            .iter()
            .map(|q| {
                if total == 0 {
                    return 0.0;
                }
                let rank = ((q * total as f64).ceil() as u64).max(1);
                let mut seen = 0;
                for (i, c) in counts.iter().enumerate() {
                    seen += c;
                    if seen >= rank {
                        return Self::value(i) / 1000.0;
                    }
                }
                max
            })
            .collect();
        (out, max)
    }
}

/// State shared by every client of the process.
struct Shared {
    base: Instant,
    clients_per_room: usize,
    total_clients: usize,
    max_seq: usize,
    /// Send time of edit (client, seq) at `client * max_seq + seq`: ns since `base` plus one; 0 = not sent.
    sent_at: Vec<AtomicU64>,
    sent: AtomicU64,
    /// Edits sent, weighted by the members of the room that should receive them.
    expected: AtomicU64,
    received: AtomicU64,
    duplicates: AtomicU64,
    unknown: AtomicU64,
    echoes: AtomicU64,
    frames_in: AtomicU64,
    awareness_in: AtomicU64,
    awareness_out: AtomicU64,
    connected: AtomicU64,
    disconnects: AtomicU64,
    hist: Histogram,
}

impl Shared {
    /// Counters at zero for `total_clients` clients sending at most `max_seq` edits each.
    fn new(clients_per_room: usize, total_clients: usize, max_seq: usize) -> Shared {
        Shared {
            base: Instant::now(),
            clients_per_room,
            total_clients,
            max_seq,
            sent_at: (0..total_clients * max_seq).map(|_| AtomicU64::new(0)).collect(),
            sent: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            received: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            unknown: AtomicU64::new(0),
            echoes: AtomicU64::new(0),
            frames_in: AtomicU64::new(0),
            awareness_in: AtomicU64::new(0),
            awareness_out: AtomicU64::new(0),
            connected: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            hist: Histogram::new(),
        }
    }

    fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}

/// What one client needs to know about the run.
#[derive(Clone, Copy)]
struct Plan {
    target: Target,
    rate: f64,
    duration: Duration,
    awareness_interval: Option<Duration>,
    idle: bool,
    ping_interval: Duration,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("tandem-load: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let urls = room_urls(&args).await?;
    let total = args.rooms * args.clients;
    let max_seq = if args.idle {
        1
    } else {
        (args.rate * args.duration).ceil() as usize + 2
    };
    let shared = Arc::new(Shared::new(args.clients, total, max_seq));
    let plan = Plan {
        target: args.target,
        rate: args.rate,
        duration: Duration::from_secs_f64(args.duration),
        awareness_interval: (args.awareness_interval > 0.0).then(|| Duration::from_secs_f64(args.awareness_interval)),
        idle: args.idle,
        ping_interval: Duration::from_secs_f64(args.ping_interval.max(0.1)),
    };

    // The server settles after the sessions were created, then the baseline for idle memory is taken.
    let server = args.server_pid.map(ProcWatch::new);
    if server.is_some() {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let rss_before = server.as_ref().and_then(|s| s.rss_kb());

    let (phase_tx, phase_rx) = watch::channel(Phase::Connect);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<Result<(), String>>(total.max(1));
    let gate = Arc::new(Semaphore::new(args.connect_parallel.max(1)));
    let connect_started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for (room, url) in urls.iter().enumerate() {
        for member in 0..args.clients {
            let global = room * args.clients + member;
            tasks.push(tokio::spawn(client(
                shared.clone(),
                plan,
                global,
                url.clone(),
                gate.clone(),
                ready_tx.clone(),
                phase_rx.clone(),
            )));
        }
    }
    drop(ready_tx);
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
        "rooms": args.rooms,
        "clients_per_room": args.clients,
        "connections": connections,
        "connect_failures": failures,
        "connect_s": round(connect_secs, 2),
    });

    if args.idle {
        let _ = phase_tx.send(Phase::Run { start: Instant::now() });
        idle_phase(&args, &shared, server.as_ref(), rss_before, &mut report).await;
    } else {
        load_phase(&args, &shared, server.as_ref(), &phase_tx, &mut report).await;
    }
    let _ = phase_tx.send(Phase::Done);
    for t in tasks {
        let _ = timeout(Duration::from_secs(2), t).await;
    }
    let loadgen = ProcWatch::new(std::process::id());
    report["loadgen_cpu_s"] = serde_json::json!(round(loadgen.cpu_s().unwrap_or(0.0), 2));
    println!("{report}");
    Ok(())
}

/// Holds idle connections and reports the server's RSS per connection.
async fn idle_phase(
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
async fn load_phase(
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
    let mut last_print = Instant::now();
    let mut last_received = 0;
    while Instant::now() < drain_end {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(rss) = server.and_then(|s| s.rss_kb()) {
            peak_rss = peak_rss.max(rss);
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
        "loadgen_run_cpu_s": loadgen_cpu.map(|c| round(c, 2)),
        "other_cpu_s": other_cpu.map(|c| round(c, 2)),
        "window_s": window,
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (report.as_object_mut(), fields) {
        obj.extend(more);
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// One WebSocket URL per room.
async fn room_urls(args: &Args) -> Result<Vec<String>, String> {
    // Fresh room names per run: y-websocket keeps a room's document as long as the process lives.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    match args.target {
        Target::Bare | Target::Ywebsocket => Ok((0..args.rooms)
            .map(|r| format!("ws://{}/bench-{run}-{r}", args.addr))
            .collect()),
        Target::Tandem => {
            let grow = server::templates::load()
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|t| t.id == "grow")
                .ok_or("the grow template is missing")?;
            let body = serde_json::json!({
                "request": app::api::NewSession {
                    template_id: grow.id.clone(),
                    goal: "Relay benchmark".into(),
                    phases: grow.phases.clone(),
                    settings: Default::default(),
                }
            })
            .to_string();
            let gate = Arc::new(Semaphore::new(8));
            let mut handles = Vec::new();
            for _ in 0..args.rooms {
                let (addr, body, gate) = (args.addr.clone(), body.clone(), gate.clone());
                handles.push(tokio::spawn(async move {
                    let _permit = gate.acquire().await;
                    let created: app::api::CreatedSession =
                        serde_json::from_str(&http_post(&addr, "/api/create_session", &body).await?)
                            .map_err(|e| format!("create_session answer: {e}"))?;
                    let path = created
                        .participant_link
                        .split("/s/")
                        .nth(1)
                        .ok_or("participant link without /s/")?;
                    let (id, token) = path.split_once("?t=").ok_or("participant link without ?t=")?;
                    Ok::<_, String>(format!("ws://{addr}/yjs/{id}?t={token}"))
                }));
            }
            let mut urls = Vec::new();
            for h in handles {
                urls.push(h.await.map_err(|e| e.to_string())??);
            }
            Ok(urls)
        }
    }
}

/// A minimal HTTP/1.1 POST of a JSON body; the answer's body (status 200 only).
async fn http_post(addr: &str, path: &str, body: &str) -> Result<String, String> {
    let mut tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.map_err(|e| e.to_string())?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, rest) = answer.split_once("\r\n\r\n").ok_or("no HTTP header end")?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200") {
        return Err(format!("POST {path}: {status}: {rest}"));
    }
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
            if n == 0 || tail.len() < n {
                break;
            }
            out.push_str(&tail[..n]);
            rest = tail[n..].trim_start_matches("\r\n");
        }
        return Ok(out);
    }
    Ok(rest.to_string())
}

/// A bench client: connect, sync, then edits and awareness until the run is done.
async fn client(
    shared: Arc<Shared>,
    plan: Plan,
    global: usize,
    url: String,
    gate: Arc<Semaphore>,
    ready: tokio::sync::mpsc::Sender<Result<(), String>>,
    phase: watch::Receiver<Phase>,
) {
    let doc = Doc::new();
    let text = doc.get_or_insert_text("bench");
    // tungstenite zero-fills its read buffer before every read: keep it small (frames here are under 200 bytes).
    let config = WebSocketConfig::default().read_buffer_size(1024).write_buffer_size(0);
    let permit = gate.acquire().await;
    let connected = timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true),
    )
    .await;
    let mut ws = match connected {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => {
            let _ = ready.send(Err(format!("connect: {e}"))).await;
            return;
        }
        Err(_) => {
            let _ = ready.send(Err("connect: timed out".into())).await;
            return;
        }
    };
    // The y-websocket client's opening: its sync step 1; the server answers with step 2, and sends its own step 1.
    let handshake = plan.target != Target::Bare;
    if handshake {
        let step1 = Message::Sync(SyncMessage::SyncStep1(doc.transact().state_vector())).encode_v1();
        if ws.send(WsMessage::Binary(step1.into())).await.is_err() {
            let _ = ready.send(Err("send sync step 1".into())).await;
            return;
        }
        let synced = timeout(Duration::from_secs(30), async {
            while let Some(Ok(msg)) = ws.next().await {
                if let WsMessage::Binary(frame) = msg {
                    match frame.get(..2) {
                        Some([0, 0]) => reply_step1(&mut ws, &doc, &frame).await?,
                        Some([0, 1]) => return Ok(()),
                        _ => {}
                    }
                }
            }
            Err("closed during the sync handshake".to_string())
        })
        .await;
        match synced {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = ready.send(Err(e)).await;
                return;
            }
            Err(_) => {
                let _ = ready.send(Err("sync handshake timed out".into())).await;
                return;
            }
        }
    }
    drop(permit);
    shared.connected.fetch_add(1, Ordering::Relaxed);
    let _ = ready.send(Ok(())).await;

    let room = global / shared.clients_per_room;
    let mut next_seq = vec![0usize; shared.clients_per_room];
    let mut seq = 0usize;
    let mut aware_clock = 0u32;
    let client_id = doc.client_id();
    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    let (mut next_edit, mut next_aware, mut next_ping, mut send_end) = (far, far, far, far);
    let period = Duration::from_secs_f64(1.0 / plan.rate.max(1e-9));
    // Timers live across loop turns (re-created per turn they would cost three timer registrations per frame).
    let edit_timer = tokio::time::sleep_until(far);
    let aware_timer = tokio::time::sleep_until(far);
    let ping_timer = tokio::time::sleep_until(far);
    // Likewise the wait for the next phase: a fresh `changed()` per turn would lock the channel's waiter list.
    let phase_change = next_phase(phase);
    tokio::pin!(edit_timer, aware_timer, ping_timer, phase_change);
    loop {
        tokio::select! {
            (rx, changed) = &mut phase_change => {
                phase_change.set(next_phase(rx));
                match changed {
                    Some(Phase::Connect) => {}
                    None | Some(Phase::Done) => break,
                    Some(Phase::Run { start }) => {
                        send_end = start + plan.duration;
                        if plan.idle {
                            next_ping = start + plan.ping_interval.mul_f64(rand::random::<f64>());
                            ping_timer.as_mut().reset(next_ping);
                        } else {
                            next_edit = start + period.mul_f64(rand::random::<f64>());
                            edit_timer.as_mut().reset(next_edit);
                            if let Some(every) = plan.awareness_interval {
                                next_aware = start + every.mul_f64(rand::random::<f64>());
                                aware_timer.as_mut().reset(next_aware);
                            }
                        }
                    }
                }
            }
            msg = ws.next() => {
                let frame = match msg {
                    Some(Ok(WsMessage::Binary(frame))) => frame,
                    Some(Ok(WsMessage::Close(close))) => {
                        lost(&shared, global, &format!("closed by the server: {close:?}"));
                        break;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        lost(&shared, global, &e.to_string());
                        break;
                    }
                    None => {
                        lost(&shared, global, "connection ended");
                        break;
                    }
                };
                shared.frames_in.fetch_add(1, Ordering::Relaxed);
                match frame.get(..2) {
                    Some([0, 2]) => count_markers(&shared, global, room, &frame, &mut next_seq),
                    Some([0, 0]) => {
                        if reply_step1(&mut ws, &doc, &frame).await.is_err() {
                            lost(&shared, global, "could not answer sync step 1");
                            break;
                        }
                    }
                    Some([1, _]) => {
                        shared.awareness_in.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
            _ = &mut edit_timer => {
                if next_edit >= send_end || seq + 1 >= shared.max_seq {
                    edit_timer.as_mut().reset(far);
                    continue;
                }
                let frame = edit(&doc, &text, global, seq);
                let slot = global * shared.max_seq + seq;
                shared.sent_at[slot].store(shared.now_ns() + 1, Ordering::Relaxed);
                shared.sent.fetch_add(1, Ordering::Relaxed);
                shared.expected.fetch_add(shared.clients_per_room as u64 - 1, Ordering::Relaxed);
                seq += 1;
                next_edit += period;
                edit_timer.as_mut().reset(next_edit);
                if ws.send(WsMessage::Binary(frame.into())).await.is_err() {
                    lost(&shared, global, "send failed");
                    break;
                }
            }
            _ = &mut aware_timer => {
                let Some(every) = plan.awareness_interval.filter(|_| next_aware < send_end) else {
                    aware_timer.as_mut().reset(far);
                    continue;
                };
                next_aware += every;
                aware_timer.as_mut().reset(next_aware);
                aware_clock += 1;
                let json = format!(r##"{{"user":{{"name":"bench {global}","color":"#3366cc"}},"cursor":null}}"##);
                let update = AwarenessUpdate {
                    clients: [(client_id, AwarenessUpdateEntry { clock: aware_clock, json: json.into() })].into(),
                };
                shared.awareness_out.fetch_add(1, Ordering::Relaxed);
                if ws.send(WsMessage::Binary(Message::Awareness(update).encode_v1().into())).await.is_err() {
                    lost(&shared, global, "send failed");
                    break;
                }
            }
            _ = &mut ping_timer => {
                next_ping += plan.ping_interval;
                ping_timer.as_mut().reset(next_ping);
                if ws.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                    lost(&shared, global, "ping failed");
                    break;
                }
            }
        }
    }
    let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
}

/// Waits for the next phase; gives the receiver back for the wait after it (`None`: the run is over).
async fn next_phase(mut rx: watch::Receiver<Phase>) -> (watch::Receiver<Phase>, Option<Phase>) {
    let phase = match rx.changed().await {
        Ok(()) => Some(*rx.borrow_and_update()),
        Err(_) => None,
    };
    (rx, phase)
}

/// Counts a connection lost before the end of the run (and says why, for the first few).
fn lost(shared: &Shared, global: usize, why: &str) {
    let n = shared.disconnects.fetch_add(1, Ordering::Relaxed);
    if n < 5 {
        eprintln!("tandem-load: client {global} lost its connection: {why}");
    }
}

/// Answers a sync step 1 with what this client has that the sender lacks (sync step 2).
async fn reply_step1<S>(ws: &mut S, doc: &Doc, frame: &[u8]) -> Result<(), String>
where
    S: futures::Sink<WsMessage> + Unpin,
{
    let sv = match Message::decode_v1(frame) {
        Ok(Message::Sync(SyncMessage::SyncStep1(sv))) => sv,
        _ => StateVector::default(),
    };
    let diff = doc.transact().encode_diff_v1(&sv);
    let step2 = Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1();
    ws.send(WsMessage::Binary(step2.into()))
        .await
        .map_err(|_| "send sync step 2".to_string())
}

/// One edit: appends the marker of (client, seq) to the client's text; the y-sync `Update` frame carrying it.
fn edit(doc: &Doc, text: &yrs::TextRef, global: usize, seq: usize) -> Vec<u8> {
    let mut txn = doc.transact_mut();
    text.push(&mut txn, &format!("#{global}:{seq};"));
    let update = txn.encode_update_v1();
    drop(txn);
    Message::Sync(SyncMessage::Update(update)).encode_v1()
}

/// Finds the `#client:seq;` markers in an update frame and records each delivery.
fn count_markers(shared: &Shared, me: usize, room: usize, frame: &[u8], next_seq: &mut [usize]) {
    let now = shared.now_ns();
    let mut i = 0;
    while let Some(pos) = frame[i..].iter().position(|&b| b == b'#') {
        i += pos + 1;
        let Some((client, after)) = number(frame, i) else {
            continue;
        };
        if frame.get(after) != Some(&b':') {
            continue;
        }
        let Some((seq, end)) = number(frame, after + 1) else {
            continue;
        };
        if frame.get(end) != Some(&b';') {
            continue;
        }
        i = end + 1;
        if client >= shared.total_clients || seq >= shared.max_seq || client / shared.clients_per_room != room {
            shared.unknown.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if client == me {
            shared.echoes.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let sent = shared.sent_at[client * shared.max_seq + seq].load(Ordering::Relaxed);
        if sent == 0 {
            shared.unknown.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let member = client % shared.clients_per_room;
        if seq < next_seq[member] {
            shared.duplicates.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        next_seq[member] = seq + 1;
        shared.received.fetch_add(1, Ordering::Relaxed);
        shared.hist.record(now.saturating_sub(sent - 1) / 1000);
    }
}

/// A decimal number at `at`: its value and the index after it.
fn number(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let digits = bytes.get(at..)?.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let text = std::str::from_utf8(&bytes[at..at + digits]).ok()?;
    Some((text.parse().ok()?, at + digits))
}

/// CPU seconds the whole machine spent busy so far (all cores; /proc/stat, in 1/100 s).
fn machine_busy_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    // user nice system idle iowait irq softirq steal …: everything but idle and iowait.
    let busy: f64 = fields
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    Some(busy / 100.0)
}

/// Reads a process's RSS and CPU time from /proc.
struct ProcWatch {
    pid: u32,
}

impl ProcWatch {
    fn new(pid: u32) -> Self {
        ProcWatch { pid }
    }

    /// Resident set size in KiB.
    fn rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// User plus system CPU seconds so far (Linux reports clock ticks of 1/100 s to user space).
    fn cpu_s(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // Fields after the command name (which is in parentheses and may hold spaces): state is field 3.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_round_trip_within_two_percent() {
        for us in [0u64, 1, 127, 128, 129, 500, 1_000, 4_999, 50_000, 1_234_567, 60_000_000] {
            let v = Histogram::value(Histogram::index(us));
            assert!((v - us as f64).abs() <= (us as f64 * 0.016).max(0.5), "{us} -> {v}");
        }
        let h = Histogram::new();
        for us in 1..=1000 {
            h.record(us);
        }
        let (q, max) = h.quantiles(&[0.5, 0.99]);
        assert!((q[0] - 0.5).abs() < 0.01 && (q[1] - 0.99).abs() < 0.02 && (max - 1.0).abs() < 0.02);
    }

    #[test]
    fn markers_survive_the_v1_encoding_and_are_counted_once() {
        let shared = Shared::new(2, 4, 4);
        for at in &shared.sent_at {
            at.store(1, Ordering::Relaxed);
        }
        let doc = Doc::new();
        let text = doc.get_or_insert_text("bench");
        let first = edit(&doc, &text, 3, 0);
        let second = edit(&doc, &text, 3, 1);
        let mut next = vec![0; 2];
        // Client 2 is in room 1 with client 3; client 1 (room 0) sees a marker from another room.
        count_markers(&shared, 2, 1, &first, &mut next);
        count_markers(&shared, 2, 1, &second, &mut next);
        count_markers(&shared, 2, 1, &first, &mut next);
        count_markers(&shared, 3, 1, &second, &mut next);
        count_markers(&shared, 1, 0, &second, &mut [0; 2]);
        assert_eq!(shared.received.load(Ordering::Relaxed), 2);
        assert_eq!(shared.duplicates.load(Ordering::Relaxed), 1);
        assert_eq!(shared.echoes.load(Ordering::Relaxed), 1);
        assert_eq!(shared.unknown.load(Ordering::Relaxed), 1);
    }
}
