//! The residual batch's comparison, pushed into the databases: the key space is cut into
//! chunks (ranges of an integer first key; one chunk otherwise), each side digests its rows
//! per bucket of a chunk (`scan::Side::sums`), and only the buckets whose count or digest
//! differ are read back and compared row by row. A chunk is the unit of progress, rate and resumption; a
//! bucket holds a few hundred rows, so a run reads back little more than what differs.

use super::diff::{compare, Found};
use super::scan::{Buckets, KeyRange, Span};
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
/// Rows a bucket holds, about: what is read back when its checksum differs.
pub const BUCKET_ROWS: i64 = 256;

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
            buckets: buckets_for(rows),
            base: 0,
            width: 1,
        }]);
    }
    Ok(chunks(s, t, rows, parallel))
}

fn buckets_for(rows: i64) -> i64 {
    (rows + BUCKET_ROWS - 1) / BUCKET_ROWS
}

fn chunks(s: Span, t: Span, rows: i64, parallel: i64) -> Vec<Chunk> {
    let (Some(lo), Some(hi)) = (s.min.into_iter().chain(t.min).min(), s.max.into_iter().chain(t.max).max())
    else {
        return vec![Chunk { index: 0, range: KeyRange::default(), buckets: 1, base: 0, width: 1 }];
    };
    let count = ((rows + CHUNK_ROWS - 1) / CHUNK_ROWS).max(parallel.min(rows / MIN_CHUNK_ROWS)).max(1);
    let span = i128::from(hi) - i128::from(lo) + 1;
    let width = i64::try_from((span + i128::from(count) - 1) / i128::from(count)).unwrap_or(i64::MAX).max(1);
    let per_chunk = buckets_for(rows / count).max(1);
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
    pub found: Vec<Found>,
}

impl ChunkResult {
    pub fn rows(&self) -> u64 {
        self.rows_source.max(self.rows_target)
    }
}

/// Compares one chunk: checksums per bucket on both sides at once, then the rows of the
/// buckets that differ.
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
    let (sr, tr) = tokio::join!(
        pair.source.rows(chunk.range, b, &differing),
        pair.target.rows(chunk.range, b, &differing)
    );
    let names = column_names(pair);
    let found = compare(sr?, tr?, &names, &pair.tolerances);
    Ok(ChunkResult { rows_source, rows_target, buckets_read: differing.len(), found })
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
        let c = chunks(s, t, 1_000_000, 2);
        assert_eq!(c.len(), 10);
        assert_eq!(c[0].range, KeyRange { lo: None, hi: Some(100_002) });
        assert_eq!(c[1].range.lo, Some(100_002));
        assert_eq!(c[9].range.hi, None);
        assert_eq!(c[0].buckets, 391);
        let empty = chunks(Span::default(), Span::default(), 1, 2);
        assert_eq!(empty.len(), 1);
        // A smaller table: as many chunks as are compared at once, of 10,000 rows or more.
        let small = Span { min: Some(1), max: Some(100_000), rows: 100_000 };
        assert_eq!(chunks(small, small, 100_000, 4).len(), 4);
        assert_eq!(chunks(small, small, 25_000, 4).len(), 2);
        assert_eq!(chunks(small, small, 5_000, 4).len(), 1);
    }
}
