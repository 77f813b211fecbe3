//! The canonical text of a value, the same on every engine: what makes `12.34` in a
//! PostgreSQL NUMERIC(18,4) and `12.3400` in a MariaDB DECIMAL(18,4) one value. Each compared
//! column gets a `Canon` from both sides' types and the check's `normalize`; PostgreSQL and
//! MySQL compute it in SQL (so checksums are computed in the database), SQLite values are
//! made canonical here, byte for byte the same.
//!
//! Canonical forms: integers and booleans as decimal text (`1`, `0`); decimals and floats
//! rounded half away from zero to a fixed number of places (`12.3400`); text as stored
//! (optionally trimmed, upper- or lower-cased; UUIDs lower-cased); timestamps as
//! `YYYY-MM-DD HH:MM:SS.ffffff` in UTC (a time without zone is read as UTC), truncated to the
//! precision; dates as `YYYY-MM-DD`; bytes as lower-case hex. NULL is its own marker.

use super::values::is_decimal;
pub use super::values::{parse_timestamp_us, round_decimal, utc_text};
use crate::connections::{Cell, DbEngine};

/// A column's type, as far as comparing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Int,
    Bool,
    Decimal,
    Float,
    Text,
    Uuid,
    Timestamp,
    Date,
    Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    pub kind: ColumnKind,
    /// Declared decimal places (DECIMAL(18,4): 4).
    pub scale: Option<u32>,
    pub nullable: bool,
    /// Declared fractional digits of a time (DATETIME(6): 6).
    pub precision: Option<u32>,
}

/// How a compared column is made canonical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canon {
    Int,
    /// Rounded to this many places.
    Decimal(u32),
    /// A UTC time to the µs, truncated to a multiple of this many µs (1, 1000 or 1,000,000).
    Micros(i64),
    Date,
    Text {
        trim: bool,
        upper: bool,
        lower: bool,
    },
    Hex,
}

/// What a check says of a column (`normalize`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Normalize {
    pub scale: Option<u32>,
    pub precision_us: Option<i64>,
    pub trim: bool,
    pub upper: bool,
    pub lower: bool,
}

/// Decimal places floats are compared to when no scale is given.
pub const FLOAT_PLACES: u32 = 9;

impl Canon {
    /// The canonical form of a column typed `a` on one side and `b` on the other.
    pub fn resolve(a: &ColumnInfo, b: &ColumnInfo, n: Normalize) -> Canon {
        use ColumnKind as K;
        if let Some(scale) = n.scale {
            return Canon::Decimal(scale);
        }
        if let Some(p) = n.precision_us {
            return Canon::Micros(p);
        }
        let kinds = [a.kind, b.kind];
        let either = |k: K| kinds.contains(&k);
        let numeric = |k: K| matches!(k, K::Int | K::Bool | K::Decimal | K::Float);
        if kinds.iter().all(|k| numeric(*k)) {
            if either(K::Decimal) {
                // A query's column says no scale: then as many places as floats get.
                return Canon::Decimal(a.scale.max(b.scale).unwrap_or(FLOAT_PLACES));
            }
            if either(K::Float) {
                return Canon::Decimal(FLOAT_PLACES);
            }
            return Canon::Int;
        }
        if either(K::Timestamp) {
            return Canon::Micros(1);
        }
        if kinds == [K::Date, K::Date] {
            return Canon::Date;
        }
        if kinds == [K::Bytes, K::Bytes] {
            return Canon::Hex;
        }
        Canon::Text { trim: n.trim, upper: n.upper, lower: n.lower || either(K::Uuid) }
    }

    /// The canonical text of column `col` (quoted) of type `own` in SQL for `engine`
    /// (PostgreSQL or MySQL; SQLite is made canonical by `canonical`).
    pub fn sql(self, engine: DbEngine, col: &str, own: ColumnKind, scale: Option<u32>) -> String {
        match engine {
            DbEngine::Postgres => self.postgres(col, own, scale),
            DbEngine::MySql | DbEngine::Sqlite => self.mysql(col, own, scale),
        }
    }

    fn postgres(self, col: &str, own: ColumnKind, scale: Option<u32>) -> String {
        match self {
            Canon::Int if own == ColumnKind::Bool => format!("(CASE WHEN {col} THEN '1' ELSE '0' END)"),
            Canon::Int => format!("({col})::text"),
            Canon::Decimal(s) if own == ColumnKind::Bool => {
                format!("round((CASE WHEN {col} THEN 1 ELSE 0 END)::numeric, {s})::text")
            }
            // A NUMERIC of that scale prints so already: no rounding to pay for on every row.
            Canon::Decimal(s) if own == ColumnKind::Decimal && scale == Some(s) => format!("({col})::text"),
            Canon::Decimal(s) => format!("round(({col})::numeric, {s})::text"),
            // The reading's time zone is UTC (set by the read-only query).
            Canon::Micros(p) if matches!(own, ColumnKind::Timestamp | ColumnKind::Date) => {
                let t = match p {
                    1 => col.to_string(),
                    1000 => format!("date_trunc('milliseconds', {col})"),
                    _ => format!("date_trunc('second', {col})"),
                };
                // ISO text (the read sets DateStyle) padded to six places by its length in
                // bytes: `…:SS` (19) gets `.000000`, `…:SS.f` (21) to `…:SS.ffffff` (26) the
                // zeros they lack. Half the cost of to_char, and a third less than rpad, which
                // counts characters.
                let t = format!("({t})::timestamp::text");
                format!("({t} || substr('.000000', octet_length({t}) - 18))")
            }
            Canon::Micros(_) | Canon::Text { .. } => text(format!("({col})::text"), self, "btrim"),
            Canon::Date => format!("to_char({col}, 'YYYY-MM-DD')"),
            Canon::Hex => format!("encode({col}, 'hex')"),
        }
    }

    fn mysql(self, col: &str, own: ColumnKind, scale: Option<u32>) -> String {
        match self {
            Canon::Int => format!("CAST({col} AS CHAR)"),
            Canon::Decimal(s) if own == ColumnKind::Decimal && scale == Some(s) => format!("CAST({col} AS CHAR)"),
            Canon::Decimal(s) => format!("CAST(CAST({col} AS DECIMAL(65, {s})) AS CHAR)"),
            Canon::Micros(p) if matches!(own, ColumnKind::Timestamp | ColumnKind::Date) => match p {
                1 => format!("DATE_FORMAT({col}, '%Y-%m-%d %H:%i:%s.%f')"),
                1000 => format!("DATE_FORMAT({col} - INTERVAL MICROSECOND({col}) % 1000 MICROSECOND, '%Y-%m-%d %H:%i:%s.%f')"),
                _ => format!("DATE_FORMAT({col}, '%Y-%m-%d %H:%i:%s.000000')"),
            },
            Canon::Micros(_) | Canon::Text { .. } => text(format!("CAST({col} AS CHAR)"), self, "TRIM"),
            Canon::Date => format!("DATE_FORMAT({col}, '%Y-%m-%d')"),
            Canon::Hex => format!("LOWER(HEX({col}))"),
        }
    }
}

fn text(mut e: String, canon: Canon, trim_fn: &str) -> String {
    if let Canon::Text { trim, upper, lower } = canon {
        if trim {
            e = format!("{trim_fn}({e})");
        }
        if upper {
            e = format!("UPPER({e})");
        } else if lower {
            e = format!("LOWER({e})");
        }
    }
    e
}

/// The canonical text of a SQLite value (None: NULL).
pub fn canonical(raw: &Cell, canon: Canon) -> Option<String> {
    match (raw, canon) {
        (Cell::Null, _) => None,
        (Cell::Int(i), Canon::Int) => Some(i.to_string()),
        (Cell::Real(f), Canon::Int) if f.fract() == 0.0 && f.abs() < 9e15 => Some(format!("{f:.0}")),
        (Cell::Int(i), Canon::Decimal(s)) => Some(round_decimal(&i.to_string(), s)),
        (Cell::Real(f), Canon::Decimal(s)) => Some(round_decimal(&format!("{f}"), s)),
        (Cell::Text(t), Canon::Decimal(s)) if is_decimal(t.trim()) => Some(round_decimal(t.trim(), s)),
        (Cell::Text(t), Canon::Micros(p)) => {
            Some(parse_timestamp_us(t).map_or_else(|| t.clone(), |us| utc_text(us.div_euclid(p) * p)))
        }
        (Cell::Text(t), Canon::Date) => Some(t.get(..10).unwrap_or(t).to_string()),
        (Cell::Bytes(b), Canon::Hex) => Some(hex::encode(b)),
        (Cell::Text(t), Canon::Text { trim, upper, lower }) => {
            let t = if trim { t.trim_matches(' ').to_string() } else { t.clone() };
            Some(if upper {
                t.to_uppercase()
            } else if lower {
                t.to_lowercase()
            } else {
                t
            })
        }
        (Cell::Int(i), _) => Some(i.to_string()),
        (Cell::Real(f), _) => Some(format!("{f}")),
        (Cell::Text(t), _) => Some(t.clone()),
        (Cell::Bytes(b), _) => Some(hex::encode(b)),
    }
}

/// The row's hash (first 8 bytes of md5, big-endian) and the key's bucket hash (first 4), as
/// PostgreSQL and MySQL compute them from the same canonical texts.
pub fn md5_prefix(text: &[u8]) -> (u64, u32) {
    use md5::{Digest, Md5};
    let d = Md5::digest(text);
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(eight), u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
}

/// What joins canonical texts into a row (unit separator) and stands for NULL (record separator).
pub const SEPARATOR: char = '\u{1f}';
pub const NULL_MARK: char = '\u{1e}';

/// The canonical texts joined as the databases join them.
pub fn joined(values: &[Option<String>]) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        match v {
            Some(v) => out.push_str(v),
            None => out.push(NULL_MARK),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_half_away_from_zero_to_their_scale() {
        assert_eq!(round_decimal("12.34", 4), "12.3400");
        assert_eq!(round_decimal("12.34565", 4), "12.3457");
        assert_eq!(round_decimal("-12.34565", 4), "-12.3457");
        assert_eq!(round_decimal("9.99995", 4), "10.0000");
        assert_eq!(round_decimal("-0.00001", 4), "0.0000");
        assert_eq!(round_decimal("42", 0), "42");
        assert_eq!(round_decimal("1.5e-7", 9), "0.000000150");
        assert_eq!(round_decimal("2.5", 0), "3");
        assert_eq!(canonical(&Cell::Real(0.1 + 0.2), Canon::Decimal(9)), Some("0.300000000".into()));
    }

    #[test]
    fn timestamps_are_micros_since_the_epoch_in_utc() {
        assert_eq!(parse_timestamp_us("1970-01-01 00:00:01"), Some(1_000_000));
        assert_eq!(parse_timestamp_us("2026-12-02T10:00:00.123456Z"), Some(1_796_205_600_123_456));
        assert_eq!(parse_timestamp_us("2026-12-02 11:00:00.1+01:00"), Some(1_796_205_600_100_000));
        assert_eq!(
            canonical(&Cell::Text("2026-12-02 10:00:00.123456".into()), Canon::Micros(1000)),
            Some("2026-12-02 10:00:00.123000".into())
        );
        assert_eq!(utc_text(1_796_205_600_123_456), "2026-12-02 10:00:00.123456");
    }

    #[test]
    fn kinds_meet_in_one_canonical_form() {
        let col = |kind, scale| ColumnInfo { name: "c".into(), kind, scale, nullable: true, precision: None };
        let n = Normalize::default();
        assert_eq!(
            Canon::resolve(&col(ColumnKind::Decimal, Some(4)), &col(ColumnKind::Decimal, Some(2)), n),
            Canon::Decimal(4)
        );
        assert_eq!(Canon::resolve(&col(ColumnKind::Bool, None), &col(ColumnKind::Int, None), n), Canon::Int);
        assert_eq!(
            Canon::resolve(&col(ColumnKind::Timestamp, None), &col(ColumnKind::Text, None), n),
            Canon::Micros(1)
        );
        let uuid = Canon::resolve(&col(ColumnKind::Uuid, None), &col(ColumnKind::Text, None), n);
        assert_eq!(uuid, Canon::Text { trim: false, upper: false, lower: true });
        let (hash, bucket) = md5_prefix(b"");
        assert_eq!(format!("{hash:016x}"), "d41d8cd98f00b204", "md5('') begins so on every engine");
        assert_eq!(bucket, 0xd41d_8cd9);
    }
}
