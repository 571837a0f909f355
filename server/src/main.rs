//! `tandem` / `server`: parses configuration, sets up logging, serves until Ctrl-C or SIGTERM.

use clap::Parser;
use server::config::Command;
use server::{launch_with_listener, shutdown_signal, Config};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: after a burst (a load, thousands of connections opened at once) glibc keeps
/// what was freed between long-lived blocks, mimalloc gives it back (docs/performance.md, "Memory and CPU, measured
/// as an outsider would").
#[cfg(not(feature = "dhat-heap"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A heap profile instead (`cargo build --release -p server --features dhat-heap`), written when the server stops.
#[cfg(feature = "dhat-heap")]
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Option numbers of mimalloc v3's `mi_option_e` (`c_src/mimalloc/v3/include/mimalloc.h` of libmimalloc-sys 0.1.49,
/// the version Cargo.lock pins); the binding names only options whose numbers v2 and v3 share.
#[cfg(not(feature = "dhat-heap"))]
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
#[cfg(not(feature = "dhat-heap"))]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the system at once (purge delay 0 instead of 1 s), unless the operator set
/// `MIMALLOC_PURGE_DELAY`. Arenas committed as they are used (eager commit 0) can only be chosen before the process
/// starts: .cargo/config.toml compiles it in (`MI_DEFAULT_ARENA_EAGER_COMMIT`), and a build without it is named in
/// the log. Together: RSS back near its start after a load (docs/performance.md, "Memory and CPU, measured as an
/// outsider would").
#[cfg(not(feature = "dhat-heap"))]
fn tune_allocator() {
    // mimalloc also reads the option under its former name.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() && std::env::var_os("MIMALLOC_RESET_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's runtime options (a plain integer); valid at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

/// Whether mimalloc commits arenas up front (see [`tune_allocator`]).
#[cfg(not(feature = "dhat-heap"))]
fn arena_eager_commit() -> std::ffi::c_long {
    // SAFETY: reads one of mimalloc's runtime options.
    unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_ARENA_EAGER_COMMIT) }
}

fn main() {
    #[cfg(feature = "dhat-heap")]
    let _profiler = dhat::Profiler::new_heap();
    #[cfg(not(feature = "dhat-heap"))]
    tune_allocator();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .init();
    #[cfg(not(feature = "dhat-heap"))]
    if arena_eager_commit() != 0 {
        tracing::warn!(
            "mimalloc commits its arenas up front (MIMALLOC_ARENA_EAGER_COMMIT is set, or the build lacks \
             MI_DEFAULT_ARENA_EAGER_COMMIT=0 from .cargo/config.toml): idle connections cost more memory"
        );
    }
    let config = Config::parse();
    if let Some(command) = config.command.clone() {
        std::process::exit(run_command(command));
    }
    let runtime = match config.worker_threads() {
        1 => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    };
    let runtime = runtime.unwrap_or_else(|e| {
        eprintln!("tandem: cannot start the async runtime: {e}");
        std::process::exit(1);
    });
    runtime.block_on(serve(config));
}

/// Runs a one-off task; returns the process's exit code.
fn run_command(command: Command) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tandem: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match command {
        Command::MigrateToPostgres { from, to } => {
            match runtime.block_on(server::store::copy_to_postgres(&from, &to)) {
                Ok(counts) => {
                    println!("{:<22} {:>10} {:>10}", "table", "sqlite", "postgres");
                    for c in counts {
                        println!("{:<22} {:>10} {:>10}", c.table, c.from, c.to);
                    }
                    println!("Copied: every table has as many rows in PostgreSQL as in SQLite.");
                    0
                }
                Err(e) => {
                    eprintln!("tandem: migrate-to-postgres: {e}");
                    1
                }
            }
        }
    }
}

async fn serve(config: Config) {
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tandem: cannot listen on {}: {e}", config.addr);
            std::process::exit(1);
        }
    };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let running = match launch_with_listener(config.clone(), listener, async move {
        shutdown_signal().await;
        let _ = done_tx.send(());
    })
    .await
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tandem: cannot start: {e}");
            std::process::exit(1);
        }
    };
    tracing::info!(
        "Tandem is running at {} (database {})",
        config
            .public_url()
            .replace(&config.addr.to_string(), &running.addr.to_string()),
        config.database_url
    );
    let _ = done_rx.await;
    tracing::info!("shutting down");
    running.stop().await;
}
