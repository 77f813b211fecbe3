//! Lags of many probes in a small log-scale histogram (eight buckets an octave, about 9 %
//! apart): what a minute of probes is kept as for the SLO window, and what percentiles over
//! days are read from.

const PER_OCTAVE: f64 = 8.0;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LagHistogram {
    /// (bucket, count), by bucket.
    buckets: Vec<(u16, u32)>,
}

fn bucket_of(lag_us: f64) -> u16 {
    let us = lag_us.max(1.0);
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a log of a positive number")]
    let b = (us.log2() * PER_OCTAVE).floor().clamp(0.0, f64::from(u16::MAX)) as u16;
    b
}

/// The middle of a bucket (geometric), in µs.
fn middle_of(bucket: u16) -> f64 {
    2f64.powf((f64::from(bucket) + 0.5) / PER_OCTAVE)
}

impl LagHistogram {
    pub fn add(&mut self, lag_us: f64) {
        let b = bucket_of(lag_us);
        match self.buckets.binary_search_by_key(&b, |(k, _)| *k) {
            Ok(i) => self.buckets[i].1 += 1,
            Err(i) => self.buckets.insert(i, (b, 1)),
        }
    }

    pub fn merge(&mut self, other: &LagHistogram) {
        for (b, n) in &other.buckets {
            match self.buckets.binary_search_by_key(b, |(k, _)| *k) {
                Ok(i) => self.buckets[i].1 += n,
                Err(i) => self.buckets.insert(i, (*b, *n)),
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|(_, n)| u64::from(*n)).sum()
    }

    /// Each bucket's middle (µs) and its count.
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.buckets.iter().map(|(b, n)| (middle_of(*b), u64::from(*n)))
    }

    /// Quantile `q` in µs, or None when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        #[expect(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a rank"
        )]
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0u64;
        for (b, n) in &self.buckets {
            seen += u64::from(*n);
            if seen >= rank {
                return Some(middle_of(*b));
            }
        }
        None
    }

    /// Bytes for the store: a u16 bucket and a u32 count each, little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buckets.len() * 6);
        for (b, n) in &self.buckets {
            out.extend_from_slice(&b.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> LagHistogram {
        let buckets = bytes
            .chunks_exact(6)
            .map(|c| (u16::from_le_bytes([c[0], c[1]]), u32::from_le_bytes([c[2], c[3], c[4], c[5]])))
            .collect();
        LagHistogram { buckets }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_a_bucket_and_survive_the_store() {
        let mut h = LagHistogram::default();
        for i in 1..=1000 {
            h.add(f64::from(i) * 10.0);
        }
        let p50 = h.quantile(0.5).unwrap();
        assert!((p50 / 5000.0 - 1.0).abs() < 0.1, "{p50}");
        let p99 = h.quantile(0.99).unwrap();
        assert!((p99 / 9900.0 - 1.0).abs() < 0.1, "{p99}");
        let back = LagHistogram::from_bytes(&h.to_bytes());
        assert_eq!(back, h);
        let mut both = back.clone();
        both.merge(&h);
        assert_eq!(both.count(), 2000);
        assert_eq!(LagHistogram::default().quantile(0.5), None);
    }
}
