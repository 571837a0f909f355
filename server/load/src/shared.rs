//! What every client of the process shares: the send-time table that latency is measured against, and the counters.

use crate::histogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Workshop: the phase changes of the breakouts (one per room), timed until the dashboard shows them.
    pub phases: PhaseChanges,
}

/// Workshop: the phase change each breakout has in flight, and the delays until the facilitator's dashboard showed
/// them. A member records its change (`sent`); the facilitator's reader settles it (`seen`).
pub struct PhaseChanges {
    /// Per breakout: the send time of the change in flight (ns since `Shared::base` plus one; 0 = none).
    pub sent_at: Vec<AtomicU64>,
    /// Per breakout: the room's `version` before that change (the dashboard shows it once its version is higher).
    pub from_version: Vec<AtomicU64>,
    /// Changes sent.
    pub sent: AtomicU64,
    /// Changes not sent because the breakout's previous one was not on the dashboard yet.
    pub skipped: AtomicU64,
    /// Changes the dashboard showed.
    pub seen: AtomicU64,
    /// Dashboard messages the facilitator received.
    pub dashboards: AtomicU64,
    /// Delay of each change, sent to shown on the dashboard.
    pub hist: Histogram,
}

impl PhaseChanges {
    /// None in flight, for `rooms` breakouts.
    fn new(rooms: usize) -> PhaseChanges {
        PhaseChanges {
            sent_at: (0..rooms).map(|_| AtomicU64::new(0)).collect(),
            from_version: (0..rooms).map(|_| AtomicU64::new(0)).collect(),
            sent: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            seen: AtomicU64::new(0),
            dashboards: AtomicU64::new(0),
            hist: Histogram::new(),
        }
    }

    /// A member of breakout `room` sends a change now (at `now_ns`) from `version`; false (and counted as skipped)
    /// while the breakout's previous change is still in flight.
    pub fn send(&self, room: usize, version: u64, now_ns: u64) -> bool {
        if self.sent_at[room].load(Ordering::Acquire) != 0 {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.from_version[room].store(version, Ordering::Relaxed);
        self.sent_at[room].store(now_ns + 1, Ordering::Release);
        self.sent.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// The dashboard shows breakout `room` at `version` (at `now_ns`): settles its change in flight if this is it.
    pub fn shown(&self, room: usize, version: u64, now_ns: u64) {
        let Some(slot) = self.sent_at.get(room) else { return };
        let sent = slot.load(Ordering::Acquire);
        if sent == 0 || version <= self.from_version[room].load(Ordering::Relaxed) {
            return;
        }
        if slot
            .compare_exchange(sent, 0, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            self.seen.fetch_add(1, Ordering::Relaxed);
            self.hist.record(now_ns.saturating_sub(sent - 1) / 1000);
        }
    }
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
            phases: PhaseChanges::new(total_clients / clients_per_room.max(1)),
        }
    }

    /// Nanoseconds since `base`.
    pub fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}
