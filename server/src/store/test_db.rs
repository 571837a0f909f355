//! The databases the store's tests run on: each test that says [`on_both_engines!`] runs once on a SQLite file in a
//! temporary folder and once on a fresh PostgreSQL database in the cluster that `TANDEM_TEST_PG` names (a
//! `postgres://` URL; `make test` starts a throwaway cluster and sets it, `.ci/pg`). Without it the PostgreSQL half
//! says so on stderr and passes: a developer's `cargo test` needs no PostgreSQL, CI always has one.

use super::{Engine, Store};

/// One test's database, by URL; a SQLite file's folder is removed when this is dropped.
pub(crate) struct TestDb {
    /// Where it is: open it (again) with [`Store::open`].
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new, empty database on `engine`; `None` for PostgreSQL when `TANDEM_TEST_PG` is not set.
    pub async fn new(engine: Engine) -> Option<TestDb> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                Some(TestDb {
                    url: format!("sqlite://{}/nested/tandem.db", dir.path().display()),
                    _dir: Some(dir),
                })
            }
            Engine::Postgres => {
                let Ok(server) = std::env::var("TANDEM_TEST_PG") else {
                    eprintln!("TANDEM_TEST_PG is not set: the PostgreSQL half of this test did not run");
                    return None;
                };
                Some(TestDb {
                    url: fresh_postgres_database(&server).await,
                    _dir: None,
                })
            }
        }
    }

    /// The store on it, opened (and migrated).
    pub async fn open(&self) -> Store {
        Store::open(&self.url).await.unwrap()
    }
}

/// Creates a database with a new name in the cluster of `server` (a URL of any of its databases) and returns its URL.
pub(crate) async fn fresh_postgres_database(server: &str) -> String {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("t{:016x}", rand::random::<u64>());
    let mut conn = sqlx::AnyConnection::connect(server).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (base, _) = server.rsplit_once('/').expect("a postgres:// URL names a database");
    format!("{base}/{name}")
}

/// Expands `async fn name(db: TestDb) { … }` into a module `name` with two tests, `sqlite` and `postgres`.
macro_rules! on_both_engines {
    ($(#[doc = $doc:literal])* async fn $name:ident($db:ident: TestDb) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            use super::*;

            async fn run($db: $crate::store::test_db::TestDb) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::store::test_db::TestDb::new(Engine::Sqlite).await.unwrap()).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::store::test_db::TestDb::new(Engine::Postgres).await {
                    run(db).await
                }
            }
        }
    };
}
pub(crate) use on_both_engines;
