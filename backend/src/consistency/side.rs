//! A check made concrete against its two databases: each side's table, key and compared
//! columns as they exist there (read from the catalog, so a name that is not a column never
//! reaches a query), each column's canonical form, and the filter written for each engine.

use super::canon::{Canon, ColumnInfo, ColumnKind, Normalize};
use super::columns::columns;
use super::CheckError;
use crate::config::checks::{CheckDef, Tolerance};
use crate::connections::{DbEngine, DbPool};

/// A column of one side.
#[derive(Clone, Debug)]
pub struct Col {
    /// As the check names it (the source's name).
    pub name: String,
    /// Quoted for this side's engine, under this side's name.
    pub quoted: String,
    pub kind: ColumnKind,
    /// Declared decimal places.
    pub scale: Option<u32>,
    pub nullable: bool,
    /// Declared fractional digits of a time.
    pub precision: Option<u32>,
    pub canon: Canon,
}

impl Col {
    /// Its canonical text in this engine's SQL.
    pub fn canonical_sql(&self, engine: DbEngine) -> String {
        self.canon.sql(engine, &self.quoted, self.kind, self.scale)
    }

    /// What goes into the row's hash on `engine`: the column itself where the engine's own
    /// conversion to text already gives the canonical text (an integer, a plain text, a decimal
    /// of the canonical scale, on MySQL a DATETIME(6)) — the cheapest a row can be hashed —
    /// else the canonical expression.
    pub fn hash_sql(&self, engine: DbEngine) -> String {
        use super::canon::ColumnKind as K;
        let raw = match (self.canon, self.kind) {
            (Canon::Int, K::Int) => true,
            (Canon::Text { trim: false, upper: false, lower: false }, K::Text) => true,
            (Canon::Decimal(s), K::Decimal) => self.scale == Some(s),
            (Canon::Micros(1), K::Timestamp) => engine == DbEngine::MySql && self.precision == Some(6),
            _ => false,
        };
        if raw {
            self.quoted.clone()
        } else {
            self.canonical_sql(engine)
        }
    }
}

/// One side of a check, ready to query.
#[derive(Clone, Debug)]
pub struct Side {
    /// The connection's name, for messages.
    pub label: String,
    pub pool: DbPool,
    /// Quoted.
    pub table: String,
    /// As the check names it (`name` or `schema.name`).
    pub raw_table: String,
    pub keys: Vec<Col>,
    pub columns: Vec<Col>,
    /// The check's filter in this engine's SQL, over this side's column names.
    pub filter: Option<String>,
    /// Whether the first key column leads an index of the table: then a key range is read
    /// through it, bucket by bucket (`scan::Side::sums`).
    pub key_indexed: bool,
}

impl Side {
    pub fn engine(&self) -> DbEngine {
        self.pool.engine()
    }
}

/// Both sides, and how their values compare.
#[derive(Clone, Debug)]
pub struct Pair {
    pub source: Side,
    pub target: Side,
    /// The compared columns' tolerances, in the order of `columns`.
    pub tolerances: Vec<Option<Tolerance>>,
    /// The first key column is an integer on both sides: chunks are key ranges.
    pub int_key: bool,
}

fn normalize_of(def: &CheckDef, column: &str) -> Normalize {
    let Some(n) = def.normalize.get(column) else { return Normalize::default() };
    let precision_us = n.precision.as_deref().map(|p| match p {
        "ms" => 1000,
        "s" => 1_000_000,
        _ => 1,
    });
    Normalize {
        scale: n.scale,
        precision_us,
        trim: n.trim,
        upper: n.case.as_deref() == Some("upper"),
        lower: n.case.as_deref() == Some("lower"),
    }
}

/// A side's columns: its table's in the catalog, or those its query returns.
async fn side_columns(
    pool: &DbPool,
    side: &crate::config::checks::SideDef,
) -> Result<Vec<ColumnInfo>, crate::connections::DbError> {
    match &side.query {
        Some(q) => super::columns::query_columns(pool, q.get_ref()).await,
        None => columns(pool, side.what()).await,
    }
}

/// Whether a table side's first key column (`key`, as that side names it) leads one of its
/// indexes (a query's never does).
async fn key_indexed(side: &Side, key: &str) -> Result<bool, crate::connections::DbError> {
    if side.raw_table.is_empty() {
        return Ok(false);
    }
    super::columns::leads_an_index(&side.pool, &side.table, &side.raw_table, key).await
}

fn find<'a>(cols: &'a [ColumnInfo], name: &str) -> Option<&'a ColumnInfo> {
    cols.iter().find(|c| c.name == name).or_else(|| cols.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
}

/// Reads both tables' columns and makes the check concrete; a missing table or column is
/// named with its side.
pub async fn resolve(def: &CheckDef, source: DbPool, target: DbPool) -> Result<Pair, CheckError> {
    let (s_label, t_label) =
        (def.source.connection.get_ref().clone(), def.target.connection.get_ref().clone());
    let (s_table, t_table) = (def.source.what(), def.target.what());
    let (s_cols, t_cols) =
        tokio::join!(side_columns(&source, &def.source), side_columns(&target, &def.target));
    let s_cols = s_cols.map_err(|e| CheckError::db(&s_label, e))?;
    let t_cols = t_cols.map_err(|e| CheckError::db(&t_label, e))?;
    for (cols, table, label) in [(&s_cols, s_table, &s_label), (&t_cols, t_table, &t_label)] {
        if cols.is_empty() {
            return Err(CheckError::Definition(format!(
                "table {table} does not exist on {label} (or has no columns the hub may read)"
            )));
        }
    }
    let keys: Vec<String> = def.key.get_ref().clone();
    let compared: Vec<String> = match &def.columns {
        Some(listed) => listed.get_ref().clone(),
        None => s_cols
            .iter()
            .map(|c| c.name.clone())
            .filter(|c| !keys.contains(c) && find(&t_cols, def.target_column(c)).is_some())
            .collect(),
    };
    let mut pairs = Vec::new();
    for name in keys.iter().chain(&compared) {
        let s = find(&s_cols, name).ok_or_else(|| {
            CheckError::Definition(format!("column {name} does not exist in {s_table} on {s_label}"))
        })?;
        let target_name = def.target_column(name);
        let t = find(&t_cols, target_name).ok_or_else(|| {
            CheckError::Definition(format!("column {target_name} does not exist in {t_table} on {t_label}"))
        })?;
        let canon = Canon::resolve(s, t, normalize_of(def, name));
        pairs.push((name.clone(), s.clone(), t.clone(), canon));
    }
    for named in def.normalize.keys().chain(def.tolerance.keys()) {
        if !keys.contains(named) && !compared.contains(named) {
            return Err(CheckError::Definition(format!(
                "normalize/tolerance names {named}, which the check does not compare"
            )));
        }
    }
    let n_keys = keys.len();
    let side = |pool: DbPool, label: String, table: &str, of_target: bool| {
        let def_side = if of_target { &def.target } else { &def.source };
        let col = |(name, s, t, canon): &(String, ColumnInfo, ColumnInfo, Canon)| {
            let info = if of_target { t } else { s };
            Col {
                name: name.clone(),
                quoted: pool.quote(&info.name),
                kind: info.kind,
                scale: info.scale,
                nullable: info.nullable,
                precision: info.precision,
                canon: *canon,
            }
        };
        let keys = pairs[..n_keys].iter().map(col).collect();
        let columns = pairs[n_keys..].iter().map(col).collect();
        let (table, raw_table) = match &def_side.query {
            // A query stands for a table as a derived table; no statistics to plan from.
            Some(q) => (format!("({}) src", q.get_ref()), String::new()),
            None => (pool.quote(table), table.to_string()),
        };
        Side { label, table, raw_table, keys, columns, filter: None, pool, key_indexed: false }
    };
    let mut source_side = side(source, s_label, s_table, false);
    let mut target_side = side(target, t_label, t_table, true);
    if let Some(filter) = def.filter() {
        for (side, cols, of_target) in [(&mut source_side, &s_cols, false), (&mut target_side, &t_cols, true)]
        {
            let side_name =
                |c: &str| if of_target { def.target_column(c).to_string() } else { c.to_string() };
            if let Some(name) = filter.columns().into_iter().map(side_name).find(|n| find(cols, n).is_none())
            {
                return Err(CheckError::Definition(format!(
                    "the filter names {name}, which {} does not have",
                    side.label
                )));
            }
            let pool = side.pool.clone();
            let quoted = |c: &str| {
                find(cols, &side_name(c)).map_or_else(|| "NULL".to_string(), |info| pool.quote(&info.name))
            };
            side.filter = Some(filter.sql(side.engine(), &quoted));
        }
    }
    let int_key = matches!(pairs[0].3, Canon::Int)
        && [pairs[0].1.kind, pairs[0].2.kind].iter().all(|k| *k == ColumnKind::Int);
    let (s_indexed, t_indexed) = tokio::join!(
        key_indexed(&source_side, &pairs[0].1.name),
        key_indexed(&target_side, &pairs[0].2.name)
    );
    source_side.key_indexed = s_indexed.map_err(|e| CheckError::db(&source_side.label, e))?;
    target_side.key_indexed = t_indexed.map_err(|e| CheckError::db(&target_side.label, e))?;
    let tolerances = compared.iter().map(|c| def.tolerance_of(c)).collect();
    Ok(Pair { source: source_side, target: target_side, tolerances, int_key })
}
