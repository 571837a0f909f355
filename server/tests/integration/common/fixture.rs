//! The fixture: a real server on 127.0.0.1:0 over a SQLite file in a temporary folder, and sessions created on it.
//!
//! `let (server, session) = TestServer::with_session("grow").await;` is the whole preamble of most tests. The
//! server derefs to [`Running`], so `server.state.store`, `server.addr` and `server.url()` are there as well.

use super::{key, Client, Page};
use app::api::NewSession;
use server::{launch_with_listener, Config, Running};
use std::ops::Deref;
use std::path::PathBuf;
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::ServerMsg;
use tandem_core::session::{Outcome, SessionId, SessionSettings};
use tempfile::TempDir;

/// The goal of every session the fixture creates unless a test names another.
pub const GOAL: &str = "Get better at delegating";

/// A SQLite database file in a temporary folder of its own, removed when this is dropped. It outlives the servers
/// started over it, so that a test can restart a server, or hand the file to the server binary (crash tests). Or a
/// fresh PostgreSQL database ([`TestDb::postgres`]), for the tests of several relays.
pub struct TestDb {
    // Held for its `Drop`: the folder and the database in it go when the test is done with them.
    _dir: Option<TempDir>,
    url: String,
}

impl TestDb {
    /// A new, empty folder; the server creates the database file on its first start. With
    /// `TANDEM_TEST_ENGINE=postgres`, a new database in the cluster of `TANDEM_TEST_PG` instead: the whole suite then
    /// runs on PostgreSQL (`TANDEM_TEST_ENGINE=postgres .ci/with-postgres cargo test --test integration`).
    pub fn new() -> TestDb {
        if std::env::var("TANDEM_TEST_ENGINE").as_deref() == Ok("postgres") {
            let server = std::env::var("TANDEM_TEST_PG").expect("TANDEM_TEST_ENGINE=postgres needs TANDEM_TEST_PG");
            // Called from async tests too: the database is created on a thread of its own.
            let url = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(fresh_postgres(&server))
            })
            .join()
            .unwrap();
            return TestDb { url, _dir: None };
        }
        let dir = tempfile::tempdir().unwrap();
        TestDb::in_folder(dir)
    }

    /// A new, empty folder inside `parent` (a small file system, say).
    pub fn new_in(parent: &std::path::Path) -> TestDb {
        TestDb::in_folder(tempfile::tempdir_in(parent).unwrap())
    }

    fn in_folder(dir: TempDir) -> TestDb {
        let path: PathBuf = dir.path().join("t.db");
        TestDb {
            url: format!("sqlite://{}", path.display()),
            _dir: Some(dir),
        }
    }

    /// A new, empty database in the PostgreSQL cluster that `TANDEM_TEST_PG` names (`make test` starts one); `None`
    /// without it (the caller's test then says so and passes).
    pub async fn postgres() -> Option<TestDb> {
        let Ok(server) = std::env::var("TANDEM_TEST_PG") else {
            eprintln!("TANDEM_TEST_PG is not set: this test of several relays did not run");
            return None;
        };
        Some(TestDb {
            url: fresh_postgres(&server).await,
            _dir: None,
        })
    }

    /// The database URL the server and sqlx take.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Whether this is a PostgreSQL database (`TANDEM_TEST_ENGINE=postgres`).
    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// Starts another server over the same database (several relays on PostgreSQL), with `tweak`.
    pub async fn start_another(&self, tweak: impl FnOnce(&mut Config)) -> Running {
        let mut config = Config {
            database_url: self.url(),
            ..<Config as clap::Parser>::parse_from(["tandem", "--addr", "127.0.0.1:0"])
        };
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        launch_with_listener(config, listener, std::future::pending())
            .await
            .unwrap()
    }

    /// Starts a server on 127.0.0.1:0 over this database.
    pub async fn start(self) -> TestServer {
        self.start_with(|_| {}).await
    }

    /// Starts a server on 127.0.0.1:0 over this database, with the defaults changed by `tweak`.
    pub async fn start_with(self, tweak: impl FnOnce(&mut Config)) -> TestServer {
        log_if_asked();
        let mut config = Config {
            database_url: self.url(),
            ..<Config as clap::Parser>::parse_from(["tandem", "--addr", "127.0.0.1:0"])
        };
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = launch_with_listener(config, listener, std::future::pending())
            .await
            .unwrap();
        TestServer { running, db: self }
    }
}

/// Creates a database with a new name in the PostgreSQL cluster of `server` (a URL of any of its databases); its URL.
async fn fresh_postgres(server: &str) -> String {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("t{:016x}", rand::random::<u64>());
    let mut conn = sqlx::AnyConnection::connect(server).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// A server started by a test, with the database it owns.
pub struct TestServer {
    running: Running,
    db: TestDb,
}

impl Deref for TestServer {
    type Target = Running;
    fn deref(&self) -> &Running {
        &self.running
    }
}

impl TestServer {
    /// The database URL this server runs on (a test may open its own connection to it).
    pub fn db_url(&self) -> String {
        self.db.url()
    }

    /// A server over a new, empty database.
    pub async fn start() -> TestServer {
        TestDb::new().start().await
    }

    /// A server with one session of `template` (default settings, the goal [`GOAL`]).
    pub async fn with_session(template: &str) -> (TestServer, Session) {
        let server = TestServer::start().await;
        let session = server.session(template).await;
        (server, session)
    }

    /// A server with one GROW session with `settings`.
    pub async fn with_settings(settings: SessionSettings) -> (TestServer, Session) {
        let server = TestServer::start().await;
        let session = server.session_with("grow", GOAL, settings).await;
        (server, session)
    }

    /// Creates a session of `template` with default settings and the goal [`GOAL`].
    pub async fn session(&self, template: &str) -> Session {
        self.session_with(template, GOAL, SessionSettings::default()).await
    }

    /// Creates a session of `template` (its agenda as shipped) with `goal` and `settings`.
    pub async fn session_with(&self, template: &str, goal: &str, settings: SessionSettings) -> Session {
        create_session(&self.running, template, goal, settings).await
    }

    /// The outcome stored for `session` when it ended (`None` while it runs).
    pub async fn outcome(&self, session: &Session) -> Option<Outcome> {
        self.state.store.outcome(&session.id).await.unwrap()
    }

    /// The database this server runs over.
    pub fn db(&self) -> &TestDb {
        &self.db
    }

    /// The session socket URL (`/ws`) of a session link on this server.
    pub fn ws(&self, link: &str) -> String {
        ws_url(&self.url(), link)
    }

    /// The y-websocket endpoint (`/yjs`) of a session link on this server, as an official Yjs client would use it.
    pub fn yjs(&self, link: &str) -> String {
        socket_url(&self.url(), "yjs", link)
    }

    /// Connects over `link` and joins as `name` with the test key `n` ([`key`]): the client and its welcome.
    pub async fn join(&self, link: &str, name: &str, n: u8, role: Option<&str>) -> (Client, ServerMsg) {
        Client::join(&self.ws(link), name, &key(n), role).await
    }

    /// Opens `link` as a Tandem page would, with the test key `n` and the notes `notes` ([`Page::join`]).
    pub async fn page(&self, link: &str, name: &str, n: u8, notes: NotesDoc) -> Page {
        Page::join(&self.ws(link), name, &key(n), notes).await
    }

    /// Stops gracefully (see [`Running::stop`]); the database goes with the server.
    pub async fn stop(self) {
        self.running.stop().await;
    }

    /// Stops gracefully and keeps the database for another server.
    pub async fn stop_keeping_db(self) -> TestDb {
        self.running.stop().await;
        self.db
    }

    /// Stops gracefully and starts a new server (on a new port) over the same database.
    pub async fn restart(self) -> TestServer {
        self.stop_keeping_db().await.start().await
    }
}

/// With `RUST_LOG` set (`RUST_LOG=server=debug cargo test …`), the servers' logs go into each test's output, which
/// the test harness shows for a failing test.
fn log_if_asked() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

/// A session the fixture created: its id and its three links (`PUBLIC_URL/s/{id}?t={token}`).
pub struct Session {
    pub id: SessionId,
    pub host_link: String,
    pub participant_link: String,
    pub observer_link: String,
}

impl Session {
    /// The host link's token.
    pub fn host_token(&self) -> String {
        parts(&self.host_link).1
    }

    /// The participant link's token.
    pub fn participant_token(&self) -> String {
        parts(&self.participant_link).1
    }

    /// The observer link's token.
    pub fn observer_token(&self) -> String {
        parts(&self.observer_link).1
    }
}

/// Creates a session of `template` (its agenda as shipped) with `goal` and `settings` on `running`.
pub async fn create_session(running: &Running, template: &str, goal: &str, settings: SessionSettings) -> Session {
    let backend = running.state.backend.0.clone();
    let t = backend.templates().into_iter().find(|t| t.id == template).unwrap();
    let created = backend
        .create_session(NewSession {
            template_id: t.id,
            goal: goal.into(),
            phases: t.phases,
            settings,
            workshop: None,
            skills: Vec::new(),
        })
        .await
        .unwrap();
    Session {
        id: SessionId(created.id),
        host_link: created.host_link,
        participant_link: created.participant_link,
        observer_link: created.observer_link,
    }
}

/// Splits a link into (session id, token).
pub fn parts(link: &str) -> (String, String) {
    let path = link.split("/s/").nth(1).unwrap();
    let (id, query) = path.split_once("?t=").unwrap();
    (id.to_string(), query.to_string())
}

/// The session socket URL (`/ws`) of a session link on the server at `base` (`http://host:port`).
pub fn ws_url(base: &str, link: &str) -> String {
    socket_url(base, "ws", link)
}

/// The WebSocket URL of `endpoint` for a session link on the server at `base`.
fn socket_url(base: &str, endpoint: &str, link: &str) -> String {
    let (id, token) = parts(link);
    format!("{}/{endpoint}/{id}?t={token}", base.replace("http://", "ws://"))
}
