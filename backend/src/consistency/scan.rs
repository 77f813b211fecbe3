//! What a run asks of one side: the key span, per-bucket checksums of a key range (computed
//! by PostgreSQL and MySQL themselves — md5 of each row's canonical text, summed — so a
//! table is compared without leaving its database), and the rows of the buckets that differ.
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
    pub int_key: bool,
}

impl Buckets {
    fn of(self, row: &CanonRow) -> i64 {
        let by_int = self.int_key.then(|| row.key.first()?.as_deref()?.parse::<i64>().ok()).flatten();
        match by_int {
            Some(k) => k % self.count,
            None => i64::from(md5_prefix(joined(&row.key).as_bytes()).1) % self.count,
        }
    }
}

fn sep(engine: DbEngine, code: u8) -> String {
    match engine {
        DbEngine::Postgres => format!("chr({code})"),
        _ => format!("CHAR({code} USING utf8mb4)"),
    }
}

/// The canonical texts of `cols` joined as `canon::joined` joins them.
fn joined_sql(engine: DbEngine, cols: &[&Col]) -> String {
    let parts: Vec<String> =
        cols.iter().map(|c| format!("COALESCE({}, {})", c.canonical_sql(engine), sep(engine, 30))).collect();
    if parts.len() == 1 {
        return parts[0].clone();
    }
    match engine {
        DbEngine::Postgres => format!("concat_ws({}, {})", sep(engine, 31), parts.join(", ")),
        _ => format!("CONCAT_WS({}, {})", sep(engine, 31), parts.join(", ")),
    }
}

impl Side {
    fn where_sql(&self, range: KeyRange) -> String {
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

    fn bucket_sql(&self, b: Buckets) -> String {
        let e = self.engine();
        if b.int_key {
            let k = &self.keys[0].quoted;
            return match e {
                DbEngine::Postgres => format!("mod({k}, {})::bigint", b.count),
                _ => format!("CAST(MOD({k}, {}) AS SIGNED)", b.count),
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

    fn hash_sql(&self) -> String {
        let row = joined_sql(self.engine(), &self.all_cols());
        match self.engine() {
            DbEngine::Postgres => format!("('x' || substr(md5({row}), 1, 16))::bit(64)::bigint"),
            _ => format!("CAST(CONV(SUBSTRING(MD5({row}), 1, 16), 16, 10) AS UNSIGNED)"),
        }
    }

    async fn query(&self, sql: &str) -> Result<Vec<Vec<Cell>>, CheckError> {
        self.pool.read_only(sql, QUERY).await.map_err(|e| CheckError::db(&self.label, e))
    }

    /// The first key's span and the rows (within the filter).
    pub async fn span(&self) -> Result<Span, CheckError> {
        let k = &self.keys[0].quoted;
        let sql = format!(
            "SELECT min({k}), max({k}), count(*) FROM {}{}",
            self.table,
            self.where_sql(KeyRange::default())
        );
        let rows = self.query(&sql).await?;
        let row = rows.first().map(Vec::as_slice).unwrap_or_default();
        let int = |i: usize| row.get(i).and_then(Cell::as_i64);
        Ok(Span { min: int(0), max: int(1), rows: int(2).unwrap_or(0) })
    }

    /// Per-bucket checksums of the rows in `range`.
    pub async fn sums(&self, range: KeyRange, b: Buckets) -> Result<Sums, CheckError> {
        if self.engine() == DbEngine::Sqlite {
            let mut sums = Sums::new();
            for row in self.read_rows(range).await? {
                let all: Vec<Option<String>> = row.key.iter().chain(&row.values).cloned().collect();
                let (hash, _) = md5_prefix(joined(&all).as_bytes());
                let e = sums.entry(b.of(&row)).or_default();
                *e = (e.0 + 1, e.1.wrapping_add(hash));
            }
            return Ok(sums);
        }
        let sum = match self.engine() {
            DbEngine::Postgres => "sum(h)::text",
            _ => "CAST(SUM(h) AS CHAR)",
        };
        let sql = format!(
            "SELECT b, count(*), {sum} FROM (SELECT {} AS b, {} AS h FROM {}{}) x GROUP BY b",
            self.bucket_sql(b),
            self.hash_sql(),
            self.table,
            self.where_sql(range)
        );
        let mut sums = Sums::new();
        for row in self.query(&sql).await? {
            let bucket = row.first().and_then(Cell::as_i64).unwrap_or(0);
            let count = row.get(1).and_then(Cell::as_i64).unwrap_or(0);
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
        let mut list: Vec<i64> = wanted.iter().copied().collect();
        list.sort_unstable();
        let list: Vec<String> = list.iter().map(i64::to_string).collect();
        let glue = if self.where_sql(range).is_empty() { " WHERE " } else { " AND " };
        let sql = format!(
            "SELECT {} FROM {}{}{glue}{} IN ({})",
            self.canonical_columns(),
            self.table,
            self.where_sql(range),
            self.bucket_sql(b),
            list.join(", ")
        );
        Ok(self.query(&sql).await?.into_iter().map(|r| self.split(r)).collect())
    }

    /// The rows of these keys (canonical texts), for a second look.
    pub async fn rows_by_key(&self, keys: &[Vec<Option<String>>]) -> Result<Vec<CanonRow>, CheckError> {
        let mut out = Vec::new();
        for batch in keys.chunks(200) {
            let wanted: HashSet<&Vec<Option<String>>> = batch.iter().collect();
            let range = self.key_range_of(batch);
            let rows = if self.engine() == DbEngine::Sqlite {
                self.read_rows(range).await?
            } else {
                let glue = if self.where_sql(range).is_empty() { " WHERE " } else { " AND " };
                let conditions: Vec<String> = batch.iter().map(|k| self.key_condition(k)).collect();
                let sql = format!(
                    "SELECT {} FROM {}{}{glue}({})",
                    self.canonical_columns(),
                    self.table,
                    self.where_sql(range),
                    conditions.join(" OR ")
                );
                self.query(&sql).await?.into_iter().map(|r| self.split(r)).collect()
            };
            out.extend(rows.into_iter().filter(|r| wanted.contains(&r.key)));
        }
        Ok(out)
    }

    /// The span of integer first keys of a batch (narrows a SQLite read).
    fn key_range_of(&self, batch: &[Vec<Option<String>>]) -> KeyRange {
        let ints: Option<Vec<i64>> = batch.iter().map(|k| k.first()?.as_deref()?.parse().ok()).collect();
        match ints.filter(|_| self.keys[0].canon == super::canon::Canon::Int) {
            Some(ints) if !ints.is_empty() => KeyRange {
                lo: ints.iter().min().copied(),
                hi: ints.iter().max().map(|m| m.saturating_add(1)),
            },
            _ => KeyRange::default(),
        }
    }

    /// `key = value` for one key, by the raw column where its canonical text is the stored
    /// value (an index helps), else by its canonical text.
    fn key_condition(&self, key: &[Option<String>]) -> String {
        let e = self.engine();
        let parts: Vec<String> = self
            .keys
            .iter()
            .zip(key)
            .map(|(col, value)| match value {
                None => format!("{} IS NULL", col.quoted),
                Some(v) if col.canon == super::canon::Canon::Int && v.parse::<i64>().is_ok() => {
                    format!("{} = {v}", col.quoted)
                }
                Some(v) => {
                    let lit = literal(e, v);
                    match col.canon {
                        super::canon::Canon::Text { trim: false, upper: false, lower: false } => {
                            format!("{} = {lit}", col.quoted)
                        }
                        _ => format!("{} = {lit}", col.canonical_sql(e)),
                    }
                }
            })
            .collect();
        format!("({})", parts.join(" AND "))
    }

    fn canonical_columns(&self) -> String {
        let e = self.engine();
        self.all_cols().iter().map(|c| c.canonical_sql(e)).collect::<Vec<_>>().join(", ")
    }

    fn split(&self, row: Vec<Cell>) -> CanonRow {
        let mut texts = row.into_iter().map(Cell::into_text);
        let key = texts.by_ref().take(self.keys.len()).collect();
        CanonRow { key, values: texts.collect() }
    }

    /// SQLite: the raw rows of `range`, made canonical here.
    async fn read_rows(&self, range: KeyRange) -> Result<Vec<CanonRow>, CheckError> {
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
