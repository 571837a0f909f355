//! `tandem` / `server`: parses configuration, sets up logging, serves until Ctrl-C or SIGTERM.

use clap::Parser;
use server::{launch_with_listener, shutdown_signal, Config};
use tracing_subscriber::EnvFilter;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .init();
    let config = Config::parse();
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
