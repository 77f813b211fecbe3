//! What a run asks of one side: the key span, per-bucket checksums of a key range (computed
//! by PostgreSQL and MySQL themselves — an md5 of the bucket's rows' canonical texts in key
//! order for a single integer key, else the sum of each row's md5 — so a table is compared
//! without leaving its database), and the rows of the buckets that differ.
//! SQLite has no md5: its rows are read and hashed here, the same way.

use super::canon::{canonical, joined, md5_prefix};
use super::side::{Col, Side};
use super::CheckError;
use crate::connections::{Cell, DbEngine};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// How long one query of a run may take.
const QUERY: Duration = Duration::from_secs(300);

/// A range of the first key column (integers), `[lo, hi)`; unbounded where None.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRange {
    pub lo: Option<i64>,
    pub hi: Option<i64>,
}

/// Per bucket: rows and the sum of their hashes (mod 2^64).
pub type Sums = HashMap<i64, (u64, u64)>;

/// A row as canonical texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonRow {
    pub key: Vec<Option<String>>,
    pub values: Vec<Option<String>>,
}

/// The smallest and largest first key and the row count.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub rows: i64,
}

/// How a row's bucket is found: the integer key modulo the buckets, or its key's md5.
#[derive(Clone, Copy, Debug)]
pub struct Buckets {
    pub count: i64,
    /// Integer keys: buckets are ranges `[base + b × width, base + (b + 1) × width)`, so the
    /// rows of a bucket are read back by the key's index; keys below `base` are bucket -1.
    pub int_key: bool,
    pub base: i64,
    pub width: i64,
}

impl Buckets {
    fn of(self, row: &CanonRow) -> i64 {
        let by_int = self.int_key.then(|| row.key.first()?.as_deref()?.parse::<i64>().ok()).flatten();
        match by_int {
            Some(k) if k < self.base => -1,
            Some(k) => (k - self.base) / self.width.max(1),
            None => i64::from(md5_prefix(joined(&row.key).as_bytes()).1) % self.count,
        }
    }

    /// Where bucket `b` (≥ 0) of an integer key starts: it ends where `b + 1` starts.
    fn start(self, b: i64) -> i64 {
        self.base.saturating_add(b.saturating_mul(self.width.max(1)))
    }

    /// The key ranges of these buckets (integer keys), adjacent ones joined.
    fn ranges(self, wanted: &HashSet<i64>) -> Vec<(Option<i64>, Option<i64>)> {
        let mut list: Vec<i64> = wanted.iter().copied().collect();
        list.sort_unstable();
        let mut out: Vec<(Option<i64>, Option<i64>)> = Vec::new();
        for b in list {
            let (lo, hi) =
                if b < 0 { (None, Some(self.base)) } else { (Some(self.start(b)), Some(self.start(b + 1))) };
            match out.last_mut() {
                Some(last) if last.1.is_some() && last.1 == lo => last.1 = hi,
                _ => out.push((lo, hi)),
            }
        }
        out
    }
}

fn sep(engine: DbEngine, code: u8) -> String {
    match engine {
        DbEngine::Postgres => format!("chr({code})"),
        // A literal, not CHAR(…): MySQL evaluates a function again on every row.
        _ => format!("_utf8mb4 X'{code:02X}'"),
    }
}

/// Which buckets a query digests: the planned run of them, or a list (a level down).
#[derive(Clone, Copy)]
enum Wanted<'a> {
    Span(i64, i64),
    List(&'a [i64]),
}

/// The first and last planned bucket of a chunk.
fn planned(range: KeyRange, b: Buckets) -> (i64, i64) {
    let (base, w) = (b.base, b.width.max(1));
    let first = range.lo.map_or(0, |lo| lo.saturating_sub(base).max(0) / w);
    let last = range.hi.map_or(b.count - 1, |hi| hi.saturating_sub(1).saturating_sub(base) / w);
    (first, last)
}

/// What joins one more condition to a WHERE clause `where_sql` (which may be empty).
fn glue(where_sql: &str) -> &'static str {
    if where_sql.is_empty() {
        " WHERE "
    } else {
        " AND "
    }
}

/// The canonical texts of `cols` joined as `canon::joined` joins them: CONCAT_WS turns
/// each column into text itself where that is its canonical text already, and a column that
/// may be NULL stands for it with the marker.
fn joined_sql(engine: DbEngine, cols: &[&Col]) -> String {
    let parts: Vec<String> = cols
        .iter()
        .map(|c| {
            if c.nullable {
                format!("COALESCE({}, {})", c.canonical_sql(engine), sep(engine, 30))
            } else {
                c.hash_sql(engine)
            }
        })
        .collect();
    match engine {
        DbEngine::Postgres => format!("concat_ws({}, {})", sep(engine, 31), parts.join(", ")),
        _ => format!("CONCAT_WS({}, {})", sep(engine, 31), parts.join(", ")),
    }
}

impl Side {
    pub(super) fn where_sql(&self, range: KeyRange) -> String {
        let k = &self.keys[0].quoted;
        let mut parts = Vec::new();
        if let Some(lo) = range.lo {
            parts.push(format!("{k} >= {lo}"));
        }
        if let Some(hi) = range.hi {
            parts.push(format!("{k} < {hi}"));
        }
        if let Some(f) = &self.filter {
            parts.push(format!("({f})"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        }
    }

    fn all_cols(&self) -> Vec<&Col> {
        self.keys.iter().chain(&self.columns).collect()
    }

    /// A row's bucket in SQL, for rows of `range`.
    fn bucket_sql(&self, b: Buckets, range: KeyRange) -> String {
        let e = self.engine();
        if b.int_key {
            let (k, base, w) = (&self.keys[0].quoted, b.base, b.width.max(1));
            // Keys below the base (bucket -1) only where the range reaches below it.
            let below = range.lo.is_none_or(|lo| lo < base);
            return match (e, below) {
                (DbEngine::Postgres, true) => {
                    format!("(CASE WHEN {k} < {base} THEN -1 ELSE ({k}::bigint - {base}) / {w} END)")
                }
                (DbEngine::Postgres, false) => format!("(({k}::bigint - {base}) / {w})"),
                (_, true) => {
                    format!("CAST(CASE WHEN {k} < {base} THEN -1 ELSE ({k} - {base}) DIV {w} END AS SIGNED)")
                }
                (_, false) => format!("CAST(({k} - {base}) DIV {w} AS SIGNED)"),
            };
        }
        let key = joined_sql(e, &self.keys.iter().collect::<Vec<_>>());
        match e {
            DbEngine::Postgres => {
                format!("mod(('x' || substr(md5({key}), 1, 8))::bit(32)::bigint, {})", b.count)
            }
            _ => format!(
                "CAST(CAST(CONV(SUBSTRING(MD5({key}), 1, 8), 16, 10) AS UNSIGNED) % {} AS SIGNED)",
                b.count
            ),
        }
    }

    pub(super) async fn query(&self, sql: &str) -> Result<Vec<Vec<Cell>>, CheckError> {
        self.pool.read_only(sql, QUERY).await.map_err(|e| CheckError::db(&self.label, e))
    }

    /// The first key's span (integer keys, through its index) and about how many rows
    /// there are: the engine's own statistics where it keeps them (no scan of the table just
    /// to plan), else a count.
    pub async fn span(&self, int_key: bool) -> Result<Span, CheckError> {
        let k = &self.keys[0].quoted;
        let (mut min, mut max) = (None, None);
        if int_key {
            let sql = format!(
                "SELECT min({k}), max({k}) FROM {}{}",
                self.table,
                self.where_sql(KeyRange::default())
            );
            let rows = self.query(&sql).await?;
            let row = rows.first().map(Vec::as_slice).unwrap_or_default();
            (min, max) = (row.first().and_then(Cell::as_i64), row.get(1).and_then(Cell::as_i64));
        }
        let (schema, name) = match self.raw_table.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, self.raw_table.as_str()),
        };
        let e = self.engine();
        let stats = match e {
            // A query has no statistics of its own.
            _ if self.raw_table.is_empty() => None,
            DbEngine::Postgres => Some(format!("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass({})", literal(e, &self.table))),
            DbEngine::MySql => Some(format!(
                "SELECT CAST(table_rows AS SIGNED) FROM information_schema.tables WHERE table_schema = {} AND table_name = {}",
                schema.map_or_else(|| "DATABASE()".to_string(), |s| literal(e, s)),
                literal(e, name)
            )),
            DbEngine::Sqlite => None,
        };
        let estimate = match stats {
            Some(sql) => {
                self.query(&sql).await?.first().and_then(|r| r.first()).and_then(Cell::as_i64).unwrap_or(0)
            }
            None => 0,
        };
        let rows = match (estimate, min, max) {
            (n, ..) if n > 0 => n,
            (_, Some(lo), Some(hi)) if e != DbEngine::Sqlite => hi.saturating_sub(lo).saturating_add(1),
            _ => {
                let sql =
                    format!("SELECT count(*) FROM {}{}", self.table, self.where_sql(KeyRange::default()));
                self.query(&sql).await?.first().and_then(|r| r.first()).and_then(Cell::as_i64).unwrap_or(0)
            }
        };
        Ok(Span { min, max, rows })
    }

    /// Per-bucket checksums of the rows in `range`.
    pub async fn sums(&self, range: KeyRange, b: Buckets) -> Result<Sums, CheckError> {
        let ordered = self.ordered(b);
        if self.engine() == DbEngine::Sqlite {
            return self.sums_here(range, b, ordered).await;
        }
        let e = self.engine();
        let k = &self.keys[0].quoted;
        let row = joined_sql(e, &self.all_cols());
        // A single integer key orders rows the same on every engine: each bucket is one md5
        // of its rows in key order (cheaper than one a row); otherwise the sum of each row's.
        let digest = match (e, ordered) {
            (DbEngine::Postgres, true) => format!("('x' || substr(md5(string_agg({row}, chr(29) ORDER BY {k})), 1, 16))::bit(64)::bigint::text"),
            (_, true) => format!("CAST(CONV(SUBSTRING(MD5(GROUP_CONCAT({row} ORDER BY {k} SEPARATOR 0x1d)), 1, 16), 16, 10) AS CHAR)"),
            (DbEngine::Postgres, false) => format!("sum(('x' || substr(md5({row}), 1, 16))::bit(64)::bigint)::text"),
            (_, false) => format!("CAST(SUM(CAST(CONV(SUBSTRING(MD5({row}), 1, 16), 16, 10) AS UNSIGNED)) AS CHAR)"),
        };
        // Bucket by bucket only through an index on the key: a source query, or a key no
        // index leads, is read once by the GROUP BY form, not once per bucket.
        let sql = if ordered && self.scans_by_key() {
            let (first, last) = planned(range, b);
            let mut sql = self.bucket_scans(range, b, &row, Wanted::Span(first, last));
            sql.push_str(&self.outside_plan(range, b, &digest));
            sql
        } else {
            format!(
                "SELECT {} AS b, count(*), {digest} FROM {}{} GROUP BY 1",
                self.bucket_sql(b, range),
                self.table,
                self.where_sql(range)
            )
        };
        self.read_sums(&sql).await
    }

    /// The checksums of some buckets of `range` only: a level down in the bisection, where
    /// a differing bucket is cut into finer ones (`bisects`: a single integer key, digested
    /// in the database).
    pub async fn sums_of(&self, range: KeyRange, b: Buckets, wanted: &[i64]) -> Result<Sums, CheckError> {
        if wanted.is_empty() {
            return Ok(Sums::new());
        }
        let row = joined_sql(self.engine(), &self.all_cols());
        let sql = self.bucket_scans(range, b, &row, Wanted::List(wanted));
        self.read_sums(&sql).await
    }

    /// Whether this side computes its digests itself, bucket by bucket in key order, so
    /// that a differing bucket can be cut into finer ones and digested again.
    pub fn bisects(&self, int_key: bool) -> bool {
        int_key && self.keys.len() == 1 && self.engine() != DbEngine::Sqlite && self.scans_by_key()
    }

    /// A table whose key leads an index: a range of the key is read through it, in key order.
    fn scans_by_key(&self) -> bool {
        !self.raw_table.is_empty() && self.key_indexed
    }

    async fn read_sums(&self, sql: &str) -> Result<Sums, CheckError> {
        let mut sums = Sums::new();
        for row in self.query(sql).await? {
            let bucket = row.first().and_then(Cell::as_i64).unwrap_or(0);
            let count = row.get(1).and_then(Cell::as_i64).unwrap_or(0);
            if count == 0 {
                continue; // an empty bucket of a list: as if it were not there
            }
            let total = row
                .get(2)
                .cloned()
                .and_then(Cell::into_text)
                .and_then(|t| t.parse::<i128>().ok())
                .unwrap_or(0);
            #[expect(clippy::cast_possible_truncation, reason = "a sum mod 2^64")]
            let wrapped = total.rem_euclid(1 << 64) as u64;
            sums.insert(bucket, (u64::try_from(count).unwrap_or(0), wrapped));
        }
        Ok(sums)
    }

    /// The digests of the `wanted` buckets of a single integer key, each read by its own
    /// index range scan, in key order. PostgreSQL: one LATERAL scan per bucket feeding the
    /// aggregate (the GROUP BY form sorted the chunk by bucket, then each bucket by key
    /// again, a third more of its CPU). MySQL: a SELECT per bucket, UNION ALL — a quarter less
    /// than its GROUP BY form, which sorts the chunk by bucket and each bucket's rows by key
    /// again; a range of the key's index is read in key order, so the digest needs no ORDER
    /// BY. Were the rows read in another order, the bucket would only look different and be
    /// read back: no difference is ever hidden.
    fn bucket_scans(&self, range: KeyRange, b: Buckets, row: &str, wanted: Wanted<'_>) -> String {
        let (k, t, base, w) = (&self.keys[0].quoted, &self.table, b.base, b.width.max(1));
        // The chunk's own bounds and the check's filter, then a bucket's.
        let chunk = self.where_sql(range);
        let glue = glue(&chunk);
        if self.engine() == DbEngine::Postgres {
            let digest = "('x' || substr(md5(string_agg(r, chr(29))), 1, 16))::bit(64)::bigint::text";
            let series = match wanted {
                Wanted::Span(first, last) => format!("generate_series({first}::bigint, {last}::bigint)"),
                Wanted::List(list) => {
                    let list: Vec<String> = list.iter().map(i64::to_string).collect();
                    format!("unnest(ARRAY[{}]::bigint[])", list.join(", "))
                }
            };
            return format!(
                "SELECT g.b, x.n, x.d FROM {series} AS g(b) CROSS JOIN LATERAL \
                 (SELECT count(*) AS n, {digest} AS d FROM (SELECT {row} AS r FROM {t}{chunk}{glue}\
                 {k} >= {base} + g.b * {w} AND {k} < {base} + (g.b + 1) * {w} ORDER BY {k}) s) x \
                 WHERE x.n > 0"
            );
        }
        let digest =
            format!("CAST(CONV(SUBSTRING(MD5(GROUP_CONCAT({row} SEPARATOR 0x1d)), 1, 16), 16, 10) AS CHAR)");
        let select = |g: i64| {
            let (lo, hi) = (b.start(g), b.start(g.saturating_add(1)));
            format!("SELECT {g} AS b, count(*), {digest} FROM {t}{chunk}{glue}{k} >= {lo} AND {k} < {hi}")
        };
        let mut selects: Vec<String> = match wanted {
            Wanted::Span(first, last) => (first..=last).map(select).collect(),
            Wanted::List(list) => list.iter().copied().map(select).collect(),
        };
        if selects.is_empty() {
            selects.push("SELECT 0 AS b, 0, NULL".into()); // no bucket planned: an empty count
        }
        selects.join(" UNION ALL ")
    }

    /// What lies in the chunk outside its planned buckets — keys below the base (bucket -1,
    /// the first chunk) and keys written past the plan's end (the open last chunk) — through
    /// the GROUP BY form on its own key range, by the index; usually empty.
    fn outside_plan(&self, range: KeyRange, b: Buckets, ordered_digest: &str) -> String {
        let (t, base) = (&self.table, b.base);
        let outside = |from: Option<i64>, to: Option<i64>| {
            // Within the chunk and beyond the planned buckets on one side.
            let both = KeyRange { lo: from.or(range.lo), hi: to.or(range.hi) };
            format!(
                " UNION ALL SELECT {} AS b, count(*), {ordered_digest} FROM {t}{} GROUP BY 1",
                self.bucket_sql(b, both),
                self.where_sql(both)
            )
        };
        let mut sql = String::new();
        if range.lo.is_none() {
            sql.push_str(&outside(None, Some(base)));
        }
        if range.hi.is_none() {
            let (_, last) = planned(range, b);
            sql.push_str(&outside(Some(b.start(last.saturating_add(1))), None));
        }
        sql
    }

    /// Whether buckets are digests of their rows in key order (a single integer key).
    fn ordered(&self, b: Buckets) -> bool {
        b.int_key && self.keys.len() == 1
    }

    /// SQLite: the same checksums, computed here from its rows.
    async fn sums_here(&self, range: KeyRange, b: Buckets, ordered: bool) -> Result<Sums, CheckError> {
        let mut texts: std::collections::BTreeMap<i64, Vec<(i64, String)>> =
            std::collections::BTreeMap::new();
        let mut sums = Sums::new();
        for row in self.read_rows(range).await? {
            let all: Vec<Option<String>> = row.key.iter().chain(&row.values).cloned().collect();
            let text = joined(&all);
            let bucket = b.of(&row);
            if ordered {
                let key = row.key.first().cloned().flatten().and_then(|k| k.parse::<i64>().ok()).unwrap_or(0);
                texts.entry(bucket).or_default().push((key, text));
            } else {
                let (hash, _) = md5_prefix(text.as_bytes());
                let e = sums.entry(bucket).or_default();
                *e = (e.0 + 1, e.1.wrapping_add(hash));
            }
        }
        for (bucket, mut rows) in texts {
            rows.sort_unstable_by_key(|r| r.0);
            let all: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
            let (digest, _) = md5_prefix(all.join("\u{1d}").as_bytes());
            sums.insert(bucket, (u64::try_from(rows.len()).unwrap_or(0), digest));
        }
        Ok(sums)
    }

    /// The rows in `range` whose bucket is one of `wanted`.
    pub async fn rows(
        &self,
        range: KeyRange,
        b: Buckets,
        wanted: &HashSet<i64>,
    ) -> Result<Vec<CanonRow>, CheckError> {
        if self.engine() == DbEngine::Sqlite {
            return Ok(self
                .read_rows(range)
                .await?
                .into_iter()
                .filter(|r| wanted.contains(&b.of(r)))
                .collect());
        }
        let glue = glue(&self.where_sql(range));
        let which = if b.int_key {
            // Key ranges: read back through the key's index, not by another scan.
            let k = &self.keys[0].quoted;
            let ranges: Vec<String> = b
                .ranges(wanted)
                .into_iter()
                .map(|(lo, hi)| match (lo, hi) {
                    (Some(lo), Some(hi)) => format!("({k} >= {lo} AND {k} < {hi})"),
                    (None, Some(hi)) => format!("{k} < {hi}"),
                    (Some(lo), None) => format!("{k} >= {lo}"),
                    (None, None) => "TRUE".into(),
                })
                .collect();
            format!("({})", ranges.join(" OR "))
        } else {
            let mut list: Vec<i64> = wanted.iter().copied().collect();
            list.sort_unstable();
            let list: Vec<String> = list.iter().map(i64::to_string).collect();
            format!("{} IN ({})", self.bucket_sql(b, range), list.join(", "))
        };
        let sql = format!(
            "SELECT {} FROM {}{}{glue}{which}",
            self.canonical_columns(),
            self.table,
            self.where_sql(range)
        );
        Ok(self.query(&sql).await?.into_iter().map(|r| self.split(r)).collect())
    }

    pub(super) fn canonical_columns(&self) -> String {
        let e = self.engine();
        self.all_cols().iter().map(|c| c.canonical_sql(e)).collect::<Vec<_>>().join(", ")
    }

    pub(super) fn split(&self, row: Vec<Cell>) -> CanonRow {
        let mut texts = row.into_iter().map(Cell::into_text);
        let key = texts.by_ref().take(self.keys.len()).collect();
        CanonRow { key, values: texts.collect() }
    }

    /// SQLite: the raw rows of `range`, made canonical here.
    pub(super) async fn read_rows(&self, range: KeyRange) -> Result<Vec<CanonRow>, CheckError> {
        let cols = self.all_cols();
        let list: Vec<&str> = cols.iter().map(|c| c.quoted.as_str()).collect();
        let sql = format!("SELECT {} FROM {}{}", list.join(", "), self.table, self.where_sql(range));
        let rows = self.query(&sql).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let texts: Vec<Option<String>> =
                    row.iter().zip(&cols).map(|(cell, col)| canonical(cell, col.canon)).collect();
                let (key, values) = texts.split_at(self.keys.len());
                CanonRow { key: key.to_vec(), values: values.to_vec() }
            })
            .collect())
    }
}

/// A string literal for `engine` (quotes doubled; MySQL's backslashes too).
pub fn literal(engine: DbEngine, s: &str) -> String {
    let s = s.replace('\'', "''");
    let s = if engine == DbEngine::MySql { s.replace('\\', "\\\\") } else { s };
    format!("'{s}'")
}
