//! The command line, and what it makes of it: the plan every client follows and the phases of a run.

use clap::{Parser, ValueEnum};
use std::time::Duration;
use tokio::time::Instant;

/// Which server is under load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// Tandem's y-websocket-compatible endpoint `/yjs/{session}?t=TOKEN` (sessions are created over HTTP first).
    Tandem,
    /// The bare broadcast relay (`bare-relay`): room = URL path, no handshake.
    Bare,
    /// The y-websocket reference server (Node): room = URL path.
    Ywebsocket,
}

impl Target {
    /// The name in the report (and `.ci/bench`).
    pub fn name(self) -> &'static str {
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
pub struct Args {
    /// Server kind.
    #[arg(long, value_enum)]
    pub target: Target,
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    /// Number of rooms (Tandem: sessions).
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Clients per room.
    #[arg(long, default_value_t = 20)]
    pub clients: usize,
    /// Edits per second per client.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Seconds to wait after the last send before counting what arrived.
    #[arg(long, default_value_t = 3.0)]
    pub drain: f64,
    /// Seconds at the start of the sending window left out of the steady-window CPU figure (connections settle,
    /// buffers grow); the steady window runs from there to the last send.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Seconds to wait after every client has left before reading the server's RSS once more (0: don't): whether
    /// memory taken under load is given back once the sessions are idle.
    #[arg(long, default_value_t = 0.0)]
    pub after: f64,
    /// Seconds between two awareness (presence) frames of one client; 0 for none.
    #[arg(long, default_value_t = 1.0)]
    pub awareness_interval: f64,
    /// Idle-memory mode: connect, then hold the connections without edits and report RSS per connection.
    #[arg(long)]
    pub idle: bool,
    /// Idle mode: seconds to hold the connections.
    #[arg(long, default_value_t = 10.0)]
    pub hold: f64,
    /// Idle mode: seconds between WebSocket pings of one client (keeps it inside idle timeouts, no fan-out).
    #[arg(long, default_value_t = 10.0)]
    pub ping_interval: f64,
    /// Pid of the server process, for RSS and CPU from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Free-form label copied into the JSON line.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Worker threads of the load generator.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Connections being opened at the same time.
    #[arg(long, default_value_t = 64)]
    pub connect_parallel: usize,
    /// Tandem: join the sessions over the page socket `/ws/{session}` with a hello, as the browser does, instead
    /// of the Yjs endpoint (the pair sessions that the workshop's breakouts are compared with).
    #[arg(long)]
    pub pages: bool,
    /// Tandem: one workshop of `--participants` people instead of separate sessions; the facilitator opens one
    /// round of pair breakouts, which the participants join over the page socket (`--rooms` and `--clients`
    /// follow from it: participants ÷ 2 breakouts of 2).
    #[arg(long)]
    pub workshop: bool,
    /// Workshop: participants (an even number: pairs).
    #[arg(long, default_value_t = 100)]
    pub participants: usize,
    /// Tandem: run the attacks of issue 19 against sessions of their own while the honest clients run
    /// (src/attack.rs). Tandem must take client addresses from X-Forwarded-For (`--client-ip-header`).
    #[arg(long)]
    pub attack: bool,
    /// Tandem's SQLite database file, to report its size before and after the run.
    #[arg(long)]
    pub db: Option<String>,
    /// Workshop: phase changes sent by breakout members over the run, spread evenly across time and breakouts;
    /// each is timed until the facilitator's dashboard shows it.
    #[arg(long, default_value_t = 50)]
    pub phase_changes: usize,
}

impl Args {
    /// Checks the flags that depend on each other; in workshop mode, sets rooms and clients from the participants.
    pub fn settle(&mut self) -> Result<(), String> {
        if (self.pages || self.workshop || self.attack) && self.target != Target::Tandem {
            return Err("--pages, --workshop and --attack need --target tandem".into());
        }
        if self.workshop {
            if self.participants < 2 || !self.participants.is_multiple_of(2) {
                return Err("--participants must be an even number (pair breakouts)".into());
            }
            self.pages = true;
            self.clients = 2;
            self.rooms = self.participants / 2;
        }
        Ok(())
    }
}

/// Where the run is; clients follow it through a watch channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// Connecting and syncing.
    Connect,
    /// Sending edits (and awareness) from `start` until `start + duration`.
    Run { start: Instant },
    /// Stop and disconnect.
    Done,
}

/// What one client needs to know about the run.
#[derive(Clone, Copy)]
pub struct Plan {
    /// The server kind (the bare relay gets no sync handshake).
    pub target: Target,
    /// Edits per second.
    pub rate: f64,
    /// How long edits are sent.
    pub duration: Duration,
    /// Time between two awareness frames; `None` for none.
    pub awareness_interval: Option<Duration>,
    /// Idle mode: pings only.
    pub idle: bool,
    /// Idle mode: time between two pings.
    pub ping_interval: Duration,
    /// How many edits a client sends at most (its row in the send-time table).
    pub max_seq: usize,
}

impl Plan {
    /// The plan for `args`.
    pub fn new(args: &Args) -> Plan {
        Plan {
            target: args.target,
            rate: args.rate,
            duration: Duration::from_secs_f64(args.duration),
            awareness_interval: (args.awareness_interval > 0.0)
                .then(|| Duration::from_secs_f64(args.awareness_interval)),
            idle: args.idle,
            ping_interval: Duration::from_secs_f64(args.ping_interval.max(0.1)),
            max_seq: if args.idle {
                1
            } else {
                (args.rate * args.duration).ceil() as usize + 2
            },
        }
    }
}
