//! Compact time series chunks, as Facebook's Gorilla paper encodes them: timestamps as
//! delta-of-deltas, values as the XOR with the previous value. A regular scrape of a slowly
//! changing value takes a couple of bits a sample.

#[derive(Clone, Debug, Default)]
struct BitWriter {
    bytes: Vec<u8>,
    /// Bits used in the last byte (0..8; 0 means a new byte is needed).
    used: u8,
}

impl BitWriter {
    fn bit(&mut self, one: bool) {
        if self.used == 0 {
            self.bytes.push(0);
        }
        if one {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 1 << (7 - self.used);
            }
        }
        self.used = (self.used + 1) % 8;
    }

    fn bits(&mut self, value: u64, count: u8) {
        for i in (0..count).rev() {
            self.bit((value >> i) & 1 == 1);
        }
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.pos / 8)?;
        let bit = (byte >> (7 - (self.pos % 8))) & 1 == 1;
        self.pos += 1;
        Some(bit)
    }

    fn bits(&mut self, count: u8) -> Option<u64> {
        let mut v = 0u64;
        for _ in 0..count {
            v = (v << 1) | u64::from(self.bit()?);
        }
        Some(v)
    }
}

/// An append-only chunk of (milliseconds, value) points.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    w: BitWriter,
    count: u32,
    first_t: i64,
    last_t: i64,
    last_delta: i64,
    last_v: u64,
    leading: u8,
    trailing: u8,
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)).cast_unsigned()
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1).cast_signed() ^ -((v & 1).cast_signed())
}

impl Chunk {
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn first_t(&self) -> i64 {
        self.first_t
    }

    pub fn last_t(&self) -> i64 {
        self.last_t
    }

    pub fn bytes(&self) -> usize {
        self.w.bytes.len()
    }

    /// Appends a point; points must come in time order (an older one is dropped).
    pub fn push(&mut self, t: i64, v: f64) {
        let bits = v.to_bits();
        if self.count == 0 {
            self.w.bits(t.cast_unsigned(), 64);
            self.w.bits(bits, 64);
            self.first_t = t;
            self.leading = u8::MAX;
        } else {
            if t <= self.last_t {
                return;
            }
            let delta = t - self.last_t;
            let dod = zigzag(delta - self.last_delta);
            match dod {
                0 => self.w.bit(false),
                d if d < (1 << 7) => {
                    self.w.bits(0b10, 2);
                    self.w.bits(d, 7);
                }
                d if d < (1 << 12) => {
                    self.w.bits(0b110, 3);
                    self.w.bits(d, 12);
                }
                d if d < (1 << 20) => {
                    self.w.bits(0b1110, 4);
                    self.w.bits(d, 20);
                }
                d => {
                    self.w.bits(0b1111, 4);
                    self.w.bits(d, 64);
                }
            }
            self.last_delta = delta;
            self.push_value(bits);
        }
        self.last_t = t;
        self.last_v = bits;
        self.count += 1;
    }

    fn push_value(&mut self, bits: u64) {
        let xor = bits ^ self.last_v;
        if xor == 0 {
            self.w.bit(false);
            return;
        }
        self.w.bit(true);
        let leading = u8::try_from(xor.leading_zeros().min(31)).unwrap_or(31);
        let trailing = u8::try_from(xor.trailing_zeros()).unwrap_or(0);
        if self.leading != u8::MAX && leading >= self.leading && trailing >= self.trailing {
            // Fits the previous window of meaningful bits.
            self.w.bit(false);
            self.w.bits(xor >> self.trailing, 64 - self.leading - self.trailing);
        } else {
            self.w.bit(true);
            let meaningful = 64 - leading - trailing;
            self.w.bits(u64::from(leading), 5);
            // 64 meaningful bits are written as 0 (6 bits cannot hold 64).
            self.w.bits(u64::from(meaningful % 64), 6);
            self.w.bits(xor >> trailing, meaningful);
            self.leading = leading;
            self.trailing = trailing;
        }
    }

    /// Every point, in time order.
    pub fn points(&self) -> Vec<(i64, f64)> {
        decode(&self.w.bytes, self.count)
    }

    /// The encoded form: count (4 bytes) then the bits.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.count.to_le_bytes().to_vec();
        out.extend_from_slice(&self.w.bytes);
        out
    }
}

/// Reads `count` points back; a truncated buffer yields the points it holds.
pub fn decode(bytes: &[u8], count: u32) -> Vec<(i64, f64)> {
    let mut r = BitReader { bytes, pos: 0 };
    let mut out = Vec::with_capacity(count as usize);
    let (Some(t0), Some(v0)) = (r.bits(64), r.bits(64)) else { return out };
    let (mut t, mut v) = (t0.cast_signed(), v0);
    out.push((t, f64::from_bits(v)));
    let (mut delta, mut leading, mut trailing) = (0i64, 0u8, 0u8);
    for _ in 1..count {
        let Some(dod) = read_dod(&mut r) else { break };
        delta += dod;
        t += delta;
        match r.bit() {
            Some(false) => {}
            Some(true) => {
                match r.bit() {
                    Some(false) => {}
                    Some(true) => {
                        let (Some(l), Some(m)) = (r.bits(5), r.bits(6)) else { break };
                        leading = u8::try_from(l).unwrap_or(0);
                        let meaningful = if m == 0 { 64 } else { u8::try_from(m).unwrap_or(64) };
                        trailing = 64u8.saturating_sub(leading + meaningful);
                    }
                    None => break,
                }
                let Some(x) = r.bits(64 - leading - trailing) else { break };
                v ^= x << trailing;
            }
            None => break,
        }
        out.push((t, f64::from_bits(v)));
    }
    out
}

fn read_dod(r: &mut BitReader<'_>) -> Option<i64> {
    let width = if !r.bit()? {
        return Some(0);
    } else if !r.bit()? {
        7
    } else if !r.bit()? {
        12
    } else if !r.bit()? {
        20
    } else {
        64
    };
    Some(unzigzag(r.bits(width)?))
}

/// A chunk back from its encoded form (see `Chunk::to_bytes`); appending continues on it.
pub fn from_bytes(bytes: &[u8]) -> Option<Chunk> {
    let count = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?);
    let points = decode(&bytes[4..], count);
    let mut chunk = Chunk::default();
    for (t, v) in points {
        chunk.push(t, v);
    }
    Some(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_regular_and_irregular_points() {
        let mut c = Chunk::default();
        let mut expected = Vec::new();
        let mut t = 1_795_000_000_000i64;
        for i in 0..500u32 {
            t += if i % 50 == 0 { 15_003 } else { 15_000 };
            let v = match i % 7 {
                0 => f64::from(i) * 1.5,
                1 => f64::NAN,
                2 => f64::INFINITY,
                3 => -0.000_123 * f64::from(i),
                _ => 1e300,
            };
            c.push(t, v);
            expected.push((t, v));
        }
        let got = c.points();
        assert_eq!(got.len(), expected.len());
        for ((t1, v1), (t2, v2)) in got.iter().zip(&expected) {
            assert_eq!(t1, t2);
            assert_eq!(v1.to_bits(), v2.to_bits());
        }
        let again = from_bytes(&c.to_bytes()).expect("decodes");
        assert_eq!(again.points().len(), 500);
    }

    #[test]
    fn a_steady_counter_takes_few_bytes() {
        let mut c = Chunk::default();
        for i in 0..120i32 {
            c.push(1_000_000 + i64::from(i) * 15_000, f64::from(1000 + i * 3));
        }
        assert!(c.bytes() < 200, "{} bytes for 120 points", c.bytes());
        assert_eq!(c.points()[119], (1_000_000 + 119 * 15_000, 1357.0));
    }

    #[test]
    fn out_of_order_points_are_dropped_and_truncation_is_safe() {
        let mut c = Chunk::default();
        c.push(10, 1.0);
        c.push(5, 2.0);
        c.push(20, 3.0);
        assert_eq!(c.points(), [(10, 1.0), (20, 3.0)]);
        let bytes = c.to_bytes();
        assert!(from_bytes(&bytes[..6]).is_some_and(|c| c.len() <= 1));
        assert!(from_bytes(&bytes[..2]).is_none());
    }
}
