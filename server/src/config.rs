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

    /// Seconds a client has to send a request's headers (and an idle keep-alive connection is kept) and to send
    /// its body; a client that takes longer is disconnected (a slowloris holds no socket for long).
    #[arg(long = "http-timeout", env = "TANDEM_HTTP_TIMEOUT", default_value_t = 10)]
    pub http_timeout_secs: u64,

    /// Connections that may be in their HTTP handshake at once (0: no bound). More wait, unread, until one is done,
    /// so that a burst of thousands of connections does not allocate all their buffers together: memory the
    /// allocator would keep afterwards (docs/performance.md, "Connect storms"). A connection takes a place when its
    /// first bytes arrive and gives it up when its request is answered or upgraded, and after a quarter of a second
    /// in any case, so slow clients cannot hold the places; one waits for a place up to a minute (the wait
    /// measures how busy the relay is, not the client).
    #[arg(long, env = "TANDEM_HANDSHAKES", default_value_t = 32)]
    pub handshakes: usize,

    /// Seconds a graceful shutdown (Ctrl-C, SIGTERM) waits for open HTTP requests before it closes them; sessions'
    /// notes are saved first either way.
    #[arg(long = "shutdown-timeout", env = "TANDEM_SHUTDOWN_TIMEOUT", default_value_t = 15)]
    pub shutdown_secs: u64,

    /// HTTP requests per second from one client address (pages, server functions, socket upgrades; not the site's
    /// files), in bursts of up to four seconds' worth (0: no limit).
    #[arg(long, env = "TANDEM_REQUESTS_PER_SECOND", default_value_t = 100)]
    pub requests_per_second: u32,

    /// Sessions and workshops one client address may create per minute (0: no limit).
    #[arg(long, env = "TANDEM_SESSIONS_PER_MINUTE", default_value_t = 30)]
    pub sessions_per_minute: u32,

    /// Live connections (WebSockets) one client address may hold open at once (0: no limit).
    #[arg(long, env = "TANDEM_SOCKETS_PER_ADDRESS", default_value_t = 200)]
    pub sockets_per_address: usize,

    /// Days after which a session or workshop with nothing new is deleted, with everything of it (0: keep
    /// forever). Checked at start and daily.
    #[arg(long, env = "TANDEM_RETENTION_DAYS", default_value_t = 365)]
    pub retention_days: u32,

    /// Behind a reverse proxy: the header in which it passes the client's address (e.g. X-Forwarded-For; its last
    /// entry is used). Without it, the limits above apply to the connecting address, and no header is believed.
    #[arg(long, env = "TANDEM_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<axum::http::HeaderName>,

    /// With several relays on one PostgreSQL database (docs/deploy.md): seconds after its last renewal that a relay's
    /// hold on a session lapses, so that another relay may run it. A relay renews a third of this apart; a relay
    /// that died loses its sessions to the others this long after. Not used on SQLite.
    #[arg(long = "lease-seconds", env = "TANDEM_LEASE_SECONDS", default_value_t = 3)]
    pub lease_secs: u64,

    /// Seconds between SIGTERM and closing the relay's sockets, during which `/healthz` answers 503 so that a load
    /// balancer sends new connections elsewhere (docs/deploy.md: 3 with HAProxy's checks a second apart).
    #[arg(long = "drain-seconds", env = "TANDEM_DRAIN_SECONDS", default_value_t = 0)]
    pub drain_secs: u64,

    /// Instead of serving: a one-off task.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// One-off tasks.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum Command {
    /// Copies an installation's SQLite database into an empty PostgreSQL database (migrating both first), in one
    /// transaction, and checks that every table has as many rows on both sides; prints the counts. Stop the relay
    /// first: what it writes during the copy would not be copied.
    MigrateToPostgres {
        /// The SQLite database (e.g. sqlite://data/tandem.db).
        #[arg(long)]
        from: String,
        /// The PostgreSQL database (e.g. postgres://tandem@db.example/tandem).
        #[arg(long)]
        to: String,
    },
}

impl Config {
    /// The limits per client address.
    pub fn address_quotas(&self) -> crate::limits::AddressQuotas {
        crate::limits::AddressQuotas {
            requests_per_second: self.requests_per_second,
            sessions_per_minute: self.sessions_per_minute,
            sockets: self.sockets_per_address,
            client_ip_header: self.client_ip_header.clone(),
        }
    }

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
