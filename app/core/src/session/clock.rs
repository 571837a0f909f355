//! Clock-offset estimation, NTP-style: the browser pings the relay, the relay answers with its time, and the
//! samples with the smallest round trip give the best estimate of `relay clock - local clock`.

/// How many recent samples are kept.
pub const WINDOW: usize = 8;

/// One ping/pong exchange, all in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Local time the ping was sent.
    pub sent: f64,
    /// Relay time in the pong.
    pub relay: f64,
    /// Local time the pong arrived.
    pub received: f64,
}

impl Sample {
    /// Round-trip time.
    pub fn rtt(&self) -> f64 {
        (self.received - self.sent).max(0.0)
    }

    /// Offset assuming the relay stamped the pong halfway through the round trip.
    pub fn offset(&self) -> f64 {
        self.relay - (self.sent + self.received) / 2.0
    }
}

/// Keeps recent samples and estimates the offset from the lowest-round-trip ones.
#[derive(Clone, Debug, Default)]
pub struct ClockSync {
    samples: Vec<Sample>,
}

impl ClockSync {
    /// Records a sample, dropping the oldest past [`WINDOW`]. Samples with negative round trip are ignored.
    pub fn add(&mut self, sample: Sample) {
        if sample.received < sample.sent || !sample.relay.is_finite() {
            return;
        }
        self.samples.push(sample);
        if self.samples.len() > WINDOW {
            self.samples.remove(0);
        }
    }

    /// Number of samples held.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no sample has arrived yet.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// `relay - local` in ms: the median offset of the (up to) three lowest-round-trip samples.
    pub fn offset(&self) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        let mut best = self.samples.clone();
        crate::small_sort::stable_sort_by(&mut best, |a, b| a.rtt().total_cmp(&b.rtt()));
        best.truncate(3);
        let mut offsets: Vec<f64> = best.iter().map(Sample::offset).collect();
        crate::small_sort::stable_sort_by(&mut offsets, f64::total_cmp);
        Some(offsets[offsets.len() / 2])
    }

    /// Lowest round trip seen among the kept samples.
    pub fn best_rtt(&self) -> Option<f64> {
        self.samples.iter().map(Sample::rtt).min_by(f64::total_cmp)
    }
}

/// Formats a remaining time for the clock: `12:05`, `0:09`, and `+2:13` in overtime.
pub fn format_remaining(remaining_ms: i64) -> String {
    if remaining_ms >= 0 {
        // Round up so the clock shows 0:00 only when time is really up.
        let secs = (remaining_ms + 999) / 1000;
        format!("{}:{:02}", secs / 60, secs % 60)
    } else {
        let secs = (-remaining_ms) / 1000;
        format!("+{}:{:02}", secs / 60, secs % 60)
    }
}
