//! What every client of the process shares: the send-time table that latency is measured against, and the counters.

use crate::histogram::Histogram;
use std::sync::atomic::AtomicU64;
use tokio::time::Instant;

/// State shared by every client of the process.
pub struct Shared {
    /// The origin of every time in `sent_at`.
    pub base: Instant,
    /// Clients per room: client `n` is in room `n / clients_per_room`.
    pub clients_per_room: usize,
    /// Clients in the run.
    pub total_clients: usize,
    /// Edits per client at most (a row of `sent_at`).
    pub max_seq: usize,
    /// Send time of edit (client, seq) at `client * max_seq + seq`: ns since `base` plus one; 0 = not sent.
    pub sent_at: Vec<AtomicU64>,
    pub sent: AtomicU64,
    /// Edits sent, weighted by the members of the room that should receive them.
    pub expected: AtomicU64,
    /// Edits received by a member of their room (the first time each).
    pub received: AtomicU64,
    /// Markers received again.
    pub duplicates: AtomicU64,
    /// Markers of no edit sent in the receiver's room.
    pub unknown: AtomicU64,
    /// A client's own markers sent back to it.
    pub echoes: AtomicU64,
    /// Binary frames received.
    pub frames_in: AtomicU64,
    /// Awareness frames received.
    pub awareness_in: AtomicU64,
    /// Awareness frames sent.
    pub awareness_out: AtomicU64,
    /// Clients connected and synced.
    pub connected: AtomicU64,
    /// Connections lost before the end of the run.
    pub disconnects: AtomicU64,
    /// Latency of every delivery, send to arrival.
    pub hist: Histogram,
}

impl Shared {
    /// Counters at zero for `total_clients` clients sending at most `max_seq` edits each.
    pub fn new(clients_per_room: usize, total_clients: usize, max_seq: usize) -> Shared {
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

    /// Nanoseconds since `base`.
    pub fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}
