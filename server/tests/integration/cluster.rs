//! The cluster (issue 20): two relay processes on one PostgreSQL database behind HAProxy (deploy/haproxy.cfg, started
//! by .ci/haproxy), pages connecting through it only, and a deployment's failures one after the other: sessions
//! spread over both relays, each run by one; kill -9 of a relay while its pages type and their clocks run; a relay
//! frozen (SIGSTOP) while the other takes over, then thawed; a graceful drain (SIGTERM). After each, every page is
//! live again through HAProxy, the clocks are exactly as they were, and every edit any page made is stored and the
//! same everywhere. Runs when `TANDEM_TEST_PG` names a PostgreSQL cluster (`make test` starts one).

use crate::common::*;
use futures::{SinkExt, StreamExt};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use tandem_core::session::{ParticipantKey, RoomId, SessionSettings, Timer, TimerCommand};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

const SECTION: &str = "goal-statement";
/// Sessions spread over the two relays (`TANDEM_CLUSTER_SESSIONS`, at most 120, for `make bench`).
fn sessions_count() -> usize {
    std::env::var("TANDEM_CLUSTER_SESSIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
        .min(120)
}
/// The lease's TTL the relays run with (the default).
const LEASE_SECS: u64 = 3;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A relay process on a fixed port (HAProxy knows it by its address, also after a restart).
struct RelayProcess {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl RelayProcess {
    async fn start(db: &str, addr: &str, public_url: &str, log: PathBuf) -> RelayProcess {
        let out = File::options().create(true).append(true).open(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--addr", addr, "--database-url", db, "--public-url", public_url])
            .args(["--client-ip-header", "X-Forwarded-For", "--drain-seconds", "2"])
            .args(["--lease-seconds", &LEASE_SECS.to_string()])
            // Every page comes from this one address (through HAProxy): no limits per address, or a relay that
            // takes over a hundred sessions' pages at once would refuse them as one client's.
            .args([
                "--sockets-per-address",
                "0",
                "--requests-per-second",
                "0",
                "--sessions-per-minute",
                "0",
            ])
            .env("RUST_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("the server binary starts");
        let relay = RelayProcess {
            child,
            addr: addr.to_string(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !healthy(addr).await {
            assert!(
                Instant::now() < deadline,
                "relay {addr} did not start: {}",
                relay.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        relay
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the relay at `addr` answers its health check.
async fn healthy(addr: &str) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_ok() && http_get(&format!("http://{addr}/healthz")).await.0 == 200
}

/// HAProxy, started and stopped by .ci/haproxy.
struct Haproxy {
    dir: PathBuf,
    addr: String,
}

impl Haproxy {
    fn start(dir: &Path, relays: [&str; 2]) -> Haproxy {
        let addr = format!("127.0.0.1:{}", free_port());
        let script = repo().join(".ci/haproxy");
        let ok = Command::new(&script)
            .args(["start", dir.to_str().unwrap(), &addr, relays[0], relays[1]])
            .status()
            .unwrap();
        assert!(ok.success(), ".ci/haproxy start");
        Haproxy {
            dir: dir.to_path_buf(),
            addr,
        }
    }

    /// Waits until HAProxy counts every relay as up.
    fn wait_up(&self) {
        let ok = Command::new(repo().join(".ci/haproxy"))
            .args(["wait-up", self.dir.to_str().unwrap(), "30"])
            .status()
            .unwrap();
        assert!(ok.success(), "both relays up in HAProxy");
    }

    fn ws(&self, link: &str) -> String {
        ws_url(&format!("http://{}", self.addr), link)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = Command::new(repo().join(".ci/haproxy"))
            .args(["stop", self.dir.to_str().unwrap()])
            .status();
    }
}

/// What the test tells the pages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Type a word every 100 ms.
    Typing,
    /// Stop typing; keep the connection and get everything confirmed.
    Quiet,
    /// Hand back the page once everything is confirmed.
    Done,
}

/// A page as the browser runs it, through HAProxy: joins, types, and when its socket goes, reconnects (with the
/// page's backoff) keeping its document, as the browser does.
struct Typist {
    url: String,
    name: String,
    key: String,
    role: &'static str,
    notes: NotesDoc,
    words: Vec<String>,
    /// The welcome's room clock at each (re)connection.
    clocks: Vec<Timer>,
    /// How long each reconnection took, from losing the socket to the welcome.
    gaps: Vec<Duration>,
    /// The session and the store, to know when the page has caught up with what is stored.
    session: tandem_core::session::SessionId,
    store: server::store::Store,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Typist {
    /// Connects and says hello until a welcome arrives and the notes handshake is done; the page's backoff between
    /// attempts (250 ms doubling to 2 s).
    async fn connect(&mut self) -> Socket {
        let started = Instant::now();
        let mut pause = Duration::from_millis(250);
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} could not reconnect",
                self.name
            );
            if let Ok(Ok(ws)) = tokio::time::timeout(Duration::from_secs(10), self.try_connect()).await {
                return ws;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn try_connect(&mut self) -> Result<Socket, String> {
        let (mut ws, _) = tokio_tungstenite::connect_async(&self.url)
            .await
            .map_err(|e| e.to_string())?;
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            participant_key: ParticipantKey(self.key.clone()),
            name: self.name.clone(),
            role: Some(self.role.into()),
            claim: None,
        };
        ws.send(Message::text(serde_json::to_string(&hello).unwrap()))
            .await
            .map_err(|e| e.to_string())?;
        self.notes.connection_opened();
        let mut welcomed = false;
        while !(welcomed && self.notes.handshake_done()) {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(ServerMsg::Welcome { rooms, .. }) = serde_json::from_str(&t) {
                        self.clocks.push(rooms[0].state.timer);
                        welcomed = true;
                    }
                }
                Some(Ok(Message::Binary(b))) => {
                    if let Ok(r) = self.notes.receive(&b, None) {
                        if let Some(reply) = r.reply {
                            ws.send(Message::binary(reply)).await.map_err(|e| e.to_string())?;
                        }
                    }
                }
                Some(Ok(_)) => {}
                other => {
                    self.notes.connection_closed();
                    return Err(format!("closed before the welcome: {other:?}"));
                }
            }
        }
        let step1 = self.notes.sync_step1();
        ws.send(Message::binary(step1)).await.map_err(|e| e.to_string())?;
        Ok(ws)
    }

    /// Runs the page until told [`Phase::Done`] with everything confirmed.
    async fn run(
        mut self,
        mut phase: watch::Receiver<Phase>,
        settled: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) -> Typist {
        let mut ws = self.connect().await;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut counted = false;
        loop {
            let now = *phase.borrow();
            if now != Phase::Typing && !counted && self.notes.unsynced() == 0 {
                counted = true;
                settled.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }
            // Done once its own edits are stored and it holds what is stored (the partner's last edits may still
            // be on their way to it).
            if now == Phase::Done
                && self.notes.unsynced() == 0
                && stored_text(&self.store, &self.session, SECTION).await == self.notes.text(SECTION)
            {
                let _ = ws.close(None).await;
                self.notes.connection_closed();
                return self;
            }
            let lost = tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Binary(b))) => {
                        match self.notes.receive(&b, None) {
                            Ok(r) => match r.reply {
                                Some(reply) => ws.send(Message::binary(reply)).await.is_err(),
                                None => false,
                            },
                            Err(_) => false,
                        }
                    }
                    Some(Ok(Message::Text(t))) => {
                        if let Ok(ServerMsg::NotesSaved { frames }) = serde_json::from_str(&t) {
                            self.notes.confirmed(frames);
                        }
                        false
                    }
                    Some(Ok(_)) => false,
                    _ => true,
                },
                _ = tick.tick(), if now == Phase::Typing => {
                    let word = format!("{}{}", self.name, self.words.len());
                    let text = format!("{} {word}", self.notes.text(SECTION));
                    self.words.push(word);
                    match self.notes.edit_text(SECTION, &text, None).unwrap() {
                        Some(frame) => ws.send(Message::binary(frame)).await.is_err(),
                        None => false,
                    }
                }
                _ = phase.changed() => false,
                // Looks again now and then while it waits to be settled or done.
                _ = tokio::time::sleep(Duration::from_millis(100)), if now != Phase::Typing => false,
            };
            if lost {
                self.notes.connection_closed();
                let since = Instant::now();
                ws = self.connect().await;
                self.gaps.push(since.elapsed());
            }
        }
    }
}

/// The pages of every session, running.
struct Pages {
    phase: watch::Sender<Phase>,
    tasks: Vec<tokio::task::JoinHandle<Typist>>,
    /// Pages that have had every edit of theirs confirmed since they stopped typing.
    settled: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Pages {
    fn start(lb: &Haproxy, sessions: &[Session], store: &server::store::Store, done: Vec<Typist>) -> Pages {
        let (phase, rx) = watch::channel(Phase::Typing);
        let mut typists = done;
        for t in &mut typists {
            t.gaps.clear();
            t.clocks.clear();
        }
        if typists.is_empty() {
            for (i, s) in sessions.iter().enumerate() {
                for (n, (link, name, role)) in [(&s.host_link, "Ana", "coach"), (&s.participant_link, "Ben", "coachee")]
                    .into_iter()
                    .enumerate()
                {
                    typists.push(Typist {
                        url: lb.ws(link),
                        name: format!("{name}{i}x"),
                        key: key((2 * i + n + 1) as u8),
                        role,
                        notes: NotesDoc::new(),
                        words: Vec::new(),
                        clocks: Vec::new(),
                        gaps: Vec::new(),
                        session: s.id.clone(),
                        store: store.clone(),
                    });
                }
            }
        }
        let settled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks = typists
            .into_iter()
            .map(|t| tokio::spawn(t.run(rx.clone(), settled.clone())))
            .collect();
        Pages { phase, tasks, settled }
    }

    /// Stops typing, waits until every edit is confirmed, and returns the pages.
    async fn finish(self) -> Vec<Typist> {
        // Typing stops; once every page's edits are all stored, the store holds the last word of each session, and
        // each page is done when it holds the same.
        self.phase.send_replace(Phase::Quiet);
        let deadline = Instant::now() + Duration::from_secs(40);
        while self.settled.load(std::sync::atomic::Ordering::Acquire) < self.tasks.len() {
            assert!(Instant::now() < deadline, "every page's edits confirmed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.phase.send_replace(Phase::Done);
        let mut out = Vec::new();
        for task in self.tasks {
            out.push(
                tokio::time::timeout(Duration::from_secs(40), task)
                    .await
                    .expect("every page confirmed")
                    .unwrap(),
            );
        }
        out
    }
}

/// Every word every page typed is stored, and each session's two pages and the store hold the same text.
async fn check_notes(store: &server::store::Store, sessions: &[Session], pages: &[Typist]) {
    for (i, s) in sessions.iter().enumerate() {
        let stored = stored_text(store, &s.id, SECTION).await;
        for page in &pages[2 * i..2 * i + 2] {
            assert_eq!(
                page.notes.text(SECTION),
                stored,
                "{} converged with the store",
                page.name
            );
            for word in &page.words {
                assert!(
                    stored.contains(&format!(" {word}")),
                    "{word} of {} is stored",
                    page.name
                );
            }
        }
    }
}

/// The percentiles of `gaps` (p50, p99, max), for the report.
fn percentiles(gaps: &mut [Duration]) -> (Duration, Duration, Duration) {
    gaps.sort();
    let at = |q: f64| gaps[((gaps.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), *gaps.last().unwrap())
}

/// Which relay (0 or 1) holds each session's lease, by the owner's process id.
async fn owners(pool: &sqlx::AnyPool, sessions: &[Session], relays: &[&RelayProcess; 2]) -> Vec<usize> {
    let mut out = Vec::new();
    for s in sessions {
        let owner: String = sqlx::query_scalar("SELECT owner FROM leases WHERE id = $1")
            .bind(&s.id.0)
            .fetch_one(pool)
            .await
            .unwrap();
        let which = relays
            .iter()
            .position(|r| owner.contains(&format!("-{}-", r.child.id())))
            .unwrap_or_else(|| panic!("{owner} is one of the relays"));
        out.push(which);
    }
    out
}

#[tokio::test]
async fn two_relays_behind_haproxy_survive_kill_freeze_and_drain() {
    let Some(db) = TestDb::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let addrs = [
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    ];
    let lb_dir = dir.path().join("lb");
    std::fs::create_dir_all(&lb_dir).unwrap();
    let lb = Haproxy::start(&lb_dir, [&addrs[0], &addrs[1]]);
    let public = format!("http://{}", lb.addr);
    let log = |i: usize| dir.path().join(format!("relay{i}.log"));
    let mut relays = [
        RelayProcess::start(&db.url(), &addrs[0], &public, log(1)).await,
        RelayProcess::start(&db.url(), &addrs[1], &public, log(2)).await,
    ];
    lb.wait_up();
    // The sessions are created by a relay of the same database (server functions are served by any relay).
    let setup = db.start_another(|_| {}).await;
    let mut sessions = Vec::new();
    let count = sessions_count();
    for _ in 0..count {
        sessions.push(create_session(&setup, "grow", GOAL, SessionSettings::default()).await);
    }
    let store = setup.state.store.clone();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url()).await.unwrap();

    // 1. Spread: every session on one relay, both relays used. Each host starts its clock.
    let pages = Pages::start(&lb, &sessions, &store, Vec::new());
    let mut deadlines = Vec::new();
    for s in &sessions {
        let (mut host, _) = Client::join(&lb.ws(&s.host_link), "Clock", &key(250), Some("coach")).await;
        host.send(&ClientMsg::Timer {
            room: RoomId::MAIN,
            command: TimerCommand::Start,
        })
        .await;
        let ServerMsg::Room { room, .. } = host
            .recv_until(|m| matches!(m, ServerMsg::Room { room, .. } if room.state.timer.is_running()))
            .await
        else {
            unreachable!()
        };
        deadlines.push(room.state.timer);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let placed = owners(&pool, &sessions, &[&relays[0], &relays[1]]).await;
    let on_first = placed.iter().filter(|&&r| r == 0).count();
    eprintln!("cluster: sessions per relay {on_first} / {}", count - on_first);
    assert!(on_first > 0 && on_first < count, "both relays run sessions: {placed:?}");
    for (s, r) in sessions.iter().zip(&placed) {
        let (status, _) = http_get(&format!("http://{}/healthz", relays[*r].addr)).await;
        assert_eq!(status, 200);
        let served = served_by(&lb, &s.host_link).await;
        assert_eq!(served, format!("relay{}", r + 1), "pages of {} reach its owner", s.id.0);
    }

    // 2. kill -9 the first relay while every page types: all come back live through HAProxy.
    tokio::time::sleep(Duration::from_millis(700)).await;
    relays[0].child.kill().unwrap();
    let _ = relays[0].child.wait();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let done = pages.finish().await;
    check_notes(&store, &sessions, &done).await;
    let mut gaps: Vec<Duration> = done.iter().flat_map(|p| p.gaps.clone()).collect();
    assert!(!gaps.is_empty(), "the killed relay's pages reconnected");
    let (p50, p99, max) = percentiles(&mut gaps);
    eprintln!(
        "cluster: kill -9, {} pages back: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        gaps.len()
    );
    assert!(p99 < Duration::from_secs(2 * LEASE_SECS + 2), "p99 {p99:?}");
    // The first welcome came before the clock started; every one after the kill has it exactly as started.
    for (i, page) in done.iter().enumerate() {
        for clock in page.clocks.iter().skip(1) {
            assert_eq!(*clock, deadlines[i / 2], "{}'s clock is exactly as started", page.name);
        }
    }
    assert!(owners(&pool, &sessions, &[&relays[0], &relays[1]])
        .await
        .iter()
        .all(|&r| r == 1));

    // 3. The killed relay comes back; then the other is frozen (SIGSTOP) while its pages type: the first takes
    //    over once the leases lapse. Thawed, the frozen relay writes nothing: the store holds what the pages hold.
    relays[0] = RelayProcess::start(&db.url(), &addrs[0], &public, log(1)).await;
    lb.wait_up();
    let pages = Pages::start(&lb, &sessions, &store, done);
    tokio::time::sleep(Duration::from_millis(700)).await;
    relays[1].signal("STOP");
    tokio::time::sleep(Duration::from_secs(2 * LEASE_SECS + 2)).await;
    relays[1].signal("CONT");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let done = pages.finish().await;
    check_notes(&store, &sessions, &done).await;
    let mut frozen: Vec<Duration> = done.iter().flat_map(|p| p.gaps.clone()).collect();
    assert!(!frozen.is_empty(), "the frozen relay's pages moved");
    let (p50, p99, max) = percentiles(&mut frozen);
    eprintln!(
        "cluster: SIGSTOP, {} pages moved: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        frozen.len()
    );
    assert!(owners(&pool, &sessions, &[&relays[0], &relays[1]])
        .await
        .iter()
        .all(|&r| r == 0));
    let thawed = relays[1].log_text();
    assert!(
        thawed.contains("another relay took this lease") || thawed.contains("another relay runs this session"),
        "the thawed relay found its leases taken: {thawed}"
    );
    for (i, page) in done.iter().enumerate() {
        assert!(
            page.clocks.iter().all(|c| *c == deadlines[i / 2]),
            "{}'s clock",
            page.name
        );
    }

    // 4. Drain: SIGTERM to the relay that runs everything; its pages move to the other with no edit lost.
    lb.wait_up();
    let pages = Pages::start(&lb, &sessions, &store, done);
    tokio::time::sleep(Duration::from_millis(700)).await;
    relays[0].signal("TERM");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let done = pages.finish().await;
    check_notes(&store, &sessions, &done).await;
    let mut drained: Vec<Duration> = done.iter().flat_map(|p| p.gaps.clone()).collect();
    if !drained.is_empty() {
        let (p50, p99, max) = percentiles(&mut drained);
        eprintln!(
            "cluster: drain, {} pages moved: p50 {p50:?}, p99 {p99:?}, max {max:?}",
            drained.len()
        );
    }
    assert!(owners(&pool, &sessions, &[&relays[0], &relays[1]])
        .await
        .iter()
        .all(|&r| r == 1));
    setup.stop().await;
}

/// The relay HAProxy sends a session's page to (its `X-Served-By`).
async fn served_by(lb: &Haproxy, link: &str) -> String {
    let (id, token) = parts(link);
    let (_, response) = http_get(&format!("http://{}/s/{id}/summary?t={token}", lb.addr)).await;
    response
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("x-served-by")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default()
}
