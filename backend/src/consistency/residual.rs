//! The residual batch's comparison, pushed into the databases: the key space is cut into
//! chunks (ranges of an integer first key; one chunk otherwise), each side digests its rows
//! per bucket of a chunk (`scan::Side::sums`); a bucket whose digest differs is cut into
//! sixteen and those digested again where both sides can (a single integer key, no SQLite
//! side); only the smallest buckets that differ are read back and compared row by row. A
//! chunk is the unit of progress, rate and resumption; what a run reads back is a few dozen
//! rows around each difference.

use super::diff::{compare, Found};
use super::scan::{Buckets, KeyRange, Span, Sums};
use super::side::Pair;
use super::CheckError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;

/// Rows a chunk holds, about (integer keys).
pub const CHUNK_ROWS: i64 = 100_000;
/// Rows a chunk holds at least, where a smaller table is cut into as many chunks as the run
/// reads at once (`rate.queries`), so that it too is compared on every core it may use.
pub const MIN_CHUNK_ROWS: i64 = 10_000;
/// Rows a bucket holds, about: what is read back when its checksum differs and it is not
/// cut further.
pub const BUCKET_ROWS: i64 = 256;
/// Rows a bucket holds where differing buckets are cut further (`Side::bisects`): fewer,
/// larger buckets make the first pass cheaper, and the second pass reads back parts of
/// about 64 rows.
pub const BISECTED_BUCKET_ROWS: i64 = 1024;
/// Into how many parts a differing bucket is cut.
pub const SPLIT: i64 = 16;
/// A chunk with more differing buckets than this is read back without the second pass
/// (most of it differs: its rows are needed anyway).
const MAX_SPLIT_BUCKETS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub index: usize,
    pub range: KeyRange,
    pub buckets: i64,
    /// Integer keys: where the chunk's bucket ranges start, and how wide each is.
    #[serde(default)]
    pub base: i64,
    #[serde(default)]
    pub width: i64,
}

/// A run's chunks, fixed when it starts so that a resumed run goes on with the same ones;
/// `parallel` is how many it compares at once.
pub async fn plan(pair: &Pair, parallel: i64) -> Result<Vec<Chunk>, CheckError> {
    let (s, t) = tokio::join!(pair.source.span(pair.int_key), pair.target.span(pair.int_key));
    let (s, t) = (s?, t?);
    let rows = s.rows.max(t.rows).max(1);
    if !pair.int_key {
        return Ok(vec![Chunk {
            index: 0,
            range: KeyRange::default(),
            buckets: buckets_for(rows, BUCKET_ROWS),
            base: 0,
            width: 1,
        }]);
    }
    let bucket_rows = if bisects(pair) { BISECTED_BUCKET_ROWS } else { BUCKET_ROWS };
    Ok(chunks(s, t, rows, parallel, bucket_rows))
}

fn bisects(pair: &Pair) -> bool {
    pair.source.bisects(pair.int_key) && pair.target.bisects(pair.int_key)
}

fn buckets_for(rows: i64, bucket_rows: i64) -> i64 {
    (rows + bucket_rows - 1) / bucket_rows
}

fn chunks(s: Span, t: Span, rows: i64, parallel: i64, bucket_rows: i64) -> Vec<Chunk> {
    let (Some(lo), Some(hi)) = (s.min.into_iter().chain(t.min).min(), s.max.into_iter().chain(t.max).max())
    else {
        return vec![Chunk { index: 0, range: KeyRange::default(), buckets: 1, base: 0, width: 1 }];
    };
    let count = ((rows + CHUNK_ROWS - 1) / CHUNK_ROWS).max(parallel.min(rows / MIN_CHUNK_ROWS)).max(1);
    let span = i128::from(hi) - i128::from(lo) + 1;
    let width = i64::try_from((span + i128::from(count) - 1) / i128::from(count)).unwrap_or(i64::MAX).max(1);
    let per_chunk = buckets_for(rows / count, bucket_rows).max(1);
    (0..count)
        .map(|i| {
            let start = lo.saturating_add(width.saturating_mul(i));
            // The first and last chunks are open: rows written since the plan are in them too.
            let range = KeyRange {
                lo: (i > 0).then_some(start),
                hi: (i + 1 < count).then(|| start.saturating_add(width)),
            };
            let bucket_width = (width + per_chunk - 1) / per_chunk;
            Chunk {
                index: usize::try_from(i).unwrap_or(0),
                range,
                buckets: per_chunk,
                base: start,
                width: bucket_width.max(1),
            }
        })
        .collect()
}

/// What comparing one chunk found.
#[derive(Clone, Debug, Default)]
pub struct ChunkResult {
    pub rows_source: u64,
    pub rows_target: u64,
    pub buckets_read: usize,
    /// Rows of the differing buckets read back, both sides.
    pub rows_read_back: usize,
    pub found: Vec<Found>,
}

impl ChunkResult {
    pub fn rows(&self) -> u64 {
        self.rows_source.max(self.rows_target)
    }
}

/// Compares one chunk: checksums per bucket on both sides at once, then (where both sides
/// can) of the parts of the buckets that differ, then the rows of what still differs.
pub async fn compare_chunk(pair: &Pair, chunk: &Chunk) -> Result<ChunkResult, CheckError> {
    let b =
        Buckets { count: chunk.buckets, int_key: pair.int_key, base: chunk.base, width: chunk.width.max(1) };
    let (s, t) = tokio::join!(pair.source.sums(chunk.range, b), pair.target.sums(chunk.range, b));
    let (s, t) = (s?, t?);
    let rows_source = s.values().map(|v| v.0).sum();
    let rows_target = t.values().map(|v| v.0).sum();
    let differing: HashSet<i64> =
        s.keys().chain(t.keys()).filter(|k| s.get(k) != t.get(k)).copied().collect();
    if differing.is_empty() {
        return Ok(ChunkResult { rows_source, rows_target, ..ChunkResult::default() });
    }
    let (b, differing) = narrow(pair, chunk.range, b, (&s, &t), differing).await?;
    let (sr, tr) = tokio::join!(
        pair.source.rows(chunk.range, b, &differing),
        pair.target.rows(chunk.range, b, &differing)
    );
    let names = column_names(pair);
    let (sr, tr) = (sr?, tr?);
    let rows_read_back = sr.len() + tr.len();
    let found = compare(sr, tr, &names, &pair.tolerances);
    Ok(ChunkResult { rows_source, rows_target, buckets_read: differing.len(), rows_read_back, found })
}

/// A level down: each differing bucket both sides hold is cut into `SPLIT` parts, digested
/// again on both sides, and only the parts that differ are kept; a bucket one side lacks (its
/// rows are all missing or extra) and keys below the plan (bucket -1) are kept whole. The
/// finer buckets, and which of them to read back.
async fn narrow(
    pair: &Pair,
    range: KeyRange,
    b: Buckets,
    (s, t): (&Sums, &Sums),
    differing: HashSet<i64>,
) -> Result<(Buckets, HashSet<i64>), CheckError> {
    if !bisects(pair) || b.width < SPLIT * 2 {
        return Ok((b, differing));
    }
    let fine = finer(b);
    let (mut read, mut split) = (HashSet::new(), Vec::new());
    for &c in &differing {
        if c < 0 {
            read.insert(-1);
        } else if s.contains_key(&c) && t.contains_key(&c) {
            split.extend(parts(b, fine, c));
        } else {
            read.extend(parts(b, fine, c));
        }
    }
    if split.len() > MAX_SPLIT_BUCKETS * usize::try_from(SPLIT).unwrap_or(16) {
        read.extend(split.drain(..));
    }
    split.sort_unstable();
    split.dedup();
    if !split.is_empty() {
        let (ss, ts) =
            tokio::join!(pair.source.sums_of(range, fine, &split), pair.target.sums_of(range, fine, &split));
        let (ss, ts) = (ss?, ts?);
        read.extend(split.into_iter().filter(|g| ss.get(g) != ts.get(g)));
    }
    Ok((fine, read))
}

/// The buckets `SPLIT` times finer than `b`, from the same base.
fn finer(b: Buckets) -> Buckets {
    Buckets {
        count: b.count.saturating_mul(SPLIT),
        int_key: true,
        base: b.base,
        width: (b.width + SPLIT - 1) / SPLIT,
    }
}

/// The parts of `fine` covering bucket `c` of `b` (the last may reach into the next bucket:
/// its rows are digested on both sides alike).
fn parts(b: Buckets, fine: Buckets, c: i64) -> std::ops::RangeInclusive<i64> {
    let lo = c.saturating_mul(b.width);
    lo / fine.width..=lo.saturating_add(b.width - 1) / fine.width
}

pub fn column_names(pair: &Pair) -> Vec<String> {
    pair.source.columns.iter().map(|c| c.name.clone()).collect()
}

/// A second look after `wait` (the read model's lag): only what still differs is kept, with
/// the values seen then; a write that was in flight is no difference.
pub async fn recheck(pair: &Pair, found: Vec<Found>, wait: Duration) -> Result<Vec<Found>, CheckError> {
    if found.is_empty() {
        return Ok(found);
    }
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let keys: Vec<Vec<Option<String>>> = found.iter().map(|f| f.key.clone()).collect();
    let (s, t) = tokio::join!(pair.source.rows_by_key(&keys), pair.target.rows_by_key(&keys));
    Ok(compare(s?, t?, &column_names(pair), &pair.tolerances))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_are_cut_into_open_ended_chunks() {
        let s = Span { min: Some(1), max: Some(1_000_000), rows: 1_000_000 };
        let t = Span { min: Some(5), max: Some(1_000_010), rows: 999_990 };
        let c = chunks(s, t, 1_000_000, 2, BUCKET_ROWS);
        assert_eq!(c.len(), 10);
        assert_eq!(c[0].range, KeyRange { lo: None, hi: Some(100_002) });
        assert_eq!(c[1].range.lo, Some(100_002));
        assert_eq!(c[9].range.hi, None);
        assert_eq!(c[0].buckets, 391);
        let empty = chunks(Span::default(), Span::default(), 1, 2, BUCKET_ROWS);
        assert_eq!(empty.len(), 1);
        // A smaller table: as many chunks as are compared at once, of 10,000 rows or more.
        let small = Span { min: Some(1), max: Some(100_000), rows: 100_000 };
        assert_eq!(chunks(small, small, 100_000, 4, BUCKET_ROWS).len(), 4);
        assert_eq!(chunks(small, small, 25_000, 4, BUCKET_ROWS).len(), 2);
        assert_eq!(chunks(small, small, 5_000, 4, BUCKET_ROWS).len(), 1);
    }

    #[test]
    fn a_bucket_is_cut_into_parts_that_cover_its_keys() {
        for width in [32, 250, 256, 1000, 1024, 4097] {
            let b = Buckets { count: 100, int_key: true, base: 1_000, width };
            let fine = finer(b);
            assert!(fine.width * SPLIT >= width && fine.width * (SPLIT - 1) < width, "{width}");
            for c in [0, 1, 7, 99] {
                let p = parts(b, fine, c);
                // The first part starts at or before the bucket, the last ends at or after it.
                assert!(p.start() * fine.width <= c * width, "{width} {c}");
                assert!((p.end() + 1) * fine.width >= (c + 1) * width, "{width} {c}");
                assert!(p.clone().count() <= usize::try_from(SPLIT).unwrap() + 1, "{width} {c}");
            }
        }
    }
}
