//! The latency histogram: log-linear buckets in microseconds, recorded lock-free by every client at once.

use std::sync::atomic::{AtomicU64, Ordering};

/// Latency histogram in microseconds, log-linear (64 sub-buckets per power of two: ≤ 1.6 % error), lock-free.
pub struct Histogram {
    buckets: Vec<AtomicU64>,
}

impl Histogram {
    /// Below this many µs, one bucket per µs.
    const LINEAR: u64 = 128;
    /// Buckets per power of two above `LINEAR`.
    const SUB: u64 = 64;

    /// Empty, with buckets up to ~2^64 µs.
    pub fn new() -> Self {
        Histogram {
            buckets: (0..Self::LINEAR + 58 * Self::SUB).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The bucket of a latency of `us` µs.
    fn index(us: u64) -> usize {
        if us < Self::LINEAR {
            return us as usize;
        }
        let exp = 63 - u64::from(us.leading_zeros()); // ≥ 7
        let shift = exp - 6;
        let mantissa = us >> shift; // 64..128
        (Self::LINEAR + (exp - 7) * Self::SUB + (mantissa - Self::SUB)) as usize
    }

    /// Midpoint of a bucket, in µs.
    fn value(index: usize) -> f64 {
        let index = index as u64;
        if index < Self::LINEAR {
            return index as f64;
        }
        let k = index - Self::LINEAR;
        let exp = 7 + k / Self::SUB;
        let mantissa = Self::SUB + k % Self::SUB;
        let low = mantissa << (exp - 6);
        let width = 1u64 << (exp - 6);
        low as f64 + width as f64 / 2.0
    }

    /// Counts one latency of `us` µs.
    pub fn record(&self, us: u64) {
        let i = Self::index(us).min(self.buckets.len() - 1);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The `q` quantile in ms (0 when empty), and the largest bucket seen.
    pub fn quantiles(&self, qs: &[f64]) -> (Vec<f64>, f64) {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let max = counts
            .iter()
            .rposition(|&c| c > 0)
            .map_or(0.0, |i| Self::value(i) / 1000.0);
        let out = qs
            .iter()
            .map(|q| {
                if total == 0 {
                    return 0.0;
                }
                let rank = ((q * total as f64).ceil() as u64).max(1);
                let mut seen = 0;
                for (i, c) in counts.iter().enumerate() {
                    seen += c;
                    if seen >= rank {
                        return Self::value(i) / 1000.0;
                    }
                }
                max
            })
            .collect();
        (out, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_round_trip_within_two_percent() {
        for us in [0u64, 1, 127, 128, 129, 500, 1_000, 4_999, 50_000, 1_234_567, 60_000_000] {
            let v = Histogram::value(Histogram::index(us));
            assert!((v - us as f64).abs() <= (us as f64 * 0.016).max(0.5), "{us} -> {v}");
        }
        let h = Histogram::new();
        for us in 1..=1000 {
            h.record(us);
        }
        let (q, max) = h.quantiles(&[0.5, 0.99]);
        assert!((q[0] - 0.5).abs() < 0.01 && (q[1] - 0.99).abs() < 0.02 && (max - 1.0).abs() < 0.02);
    }
}
