//! Command-line flags and environment variables.

use clap::Parser;
use std::net::SocketAddr;

/// Tandem: live peer-coaching sessions. Serves the web app and the live-session relay.
#[derive(Parser, Clone, Debug)]
#[command(name = "tandem", version)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "TANDEM_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// The URL people use to reach Tandem (e.g. https://tandem.example.com). Session links are built from it, and
    /// browser WebSocket connections must come from this origin. Default: http://ADDR (plus localhost on that port).
    #[arg(long, env = "TANDEM_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Database URL. SQLite files are created and migrated at start (WAL mode).
    #[arg(long, env = "TANDEM_DATABASE_URL", default_value = "sqlite://data/tandem.db")]
    pub database_url: String,

    /// Folder holding the built site (wasm, JS, CSS, static files), as written by cargo-leptos.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Worker threads of the async runtime (0: one fewer than the CPU cores, at least one). 1 runs everything on
    /// one thread, which avoids cross-thread wake-ups (docs/performance.md).
    #[arg(long, env = "TANDEM_WORKERS", default_value_t = 0)]
    pub workers: usize,
}

impl Config {
    /// The runtime's worker threads: as configured, or for 0 one fewer than the cores, leaving a core for the
    /// SQLite thread and the kernel's network work (on 2 cores this measured ~10 % less CPU per delivery than a
    /// worker per core, and a lower p99 at 3 edits/s in one quick run: docs/performance.md).
    pub fn worker_threads(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            n => n,
        }
    }

    /// The public URL without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.addr),
        }
    }

    /// Origins a browser may open the WebSocket from.
    pub fn allowed_origins(&self) -> Vec<String> {
        let mut origins = vec![origin_of(&self.public_url())];
        if self.public_url.is_none() {
            let port = self.addr.port();
            origins.push(format!("http://localhost:{port}"));
            origins.push(format!("http://127.0.0.1:{port}"));
        }
        origins
    }
}

/// `scheme://host[:port]` of a URL (drops any path).
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_path_and_case() {
        assert_eq!(
            origin_of("HTTPS://Tandem.Example.com/app/"),
            "https://tandem.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    }

    #[test]
    fn default_public_url_allows_localhost_on_the_same_port() {
        let c = Config::parse_from(["tandem", "--addr", "127.0.0.1:4000"]);
        assert_eq!(c.public_url(), "http://127.0.0.1:4000");
        assert!(c.allowed_origins().contains(&"http://localhost:4000".to_string()));
        let c = Config::parse_from(["tandem", "--public-url", "https://t.example/"]);
        assert_eq!(c.allowed_origins(), vec!["https://t.example".to_string()]);
    }
}
