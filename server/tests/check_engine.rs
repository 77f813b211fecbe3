//! The residual comparison on real databases, every pairing the company has or the demo
//! uses: the same rows on PostgreSQL, MariaDB and SQLite compare equal after normalisation,
//! and each kind of difference planted on the read side is found — exactly those.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use backend::config::HubConfig;
use backend::connections::{Connections, DbPool};
use backend::consistency::diff::{DiffKind, Found};
use backend::consistency::{residual, side};
use sqlx::Connection;
use std::collections::BTreeMap;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Pg,
    My,
    Lite,
}

struct Place {
    kind: Kind,
    url: String,
}

const ID: &str = r#"["id"]"#;
const BASE: i64 = 1_767_261_600; // 2026-01-01 10:00:00 UTC

fn civil(secs: i64, micros: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = types::time::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// One row of the orders table: id, price, at, status, qty, note.
fn row(i: i64) -> [Option<String>; 6] {
    let price = format!("{}.{:04}", i + i / 4, (i % 4) * 2500 + i % 7);
    let status = ["new", "paid", "shipped"][usize::try_from(i % 3).unwrap()];
    let note = (i % 10 != 0).then(|| format!("note it's {i}"));
    [
        Some(i.to_string()),
        Some(price),
        Some(civil(BASE + i, i % 1000)),
        Some(status.into()),
        Some((i % 50).to_string()),
        note,
    ]
}

fn ddl(kind: Kind, table: &str) -> String {
    match kind {
        Kind::Pg => format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY, price NUMERIC(18,4), at TIMESTAMP(6), status TEXT, qty INTEGER, note TEXT)"),
        Kind::My => format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY, price DECIMAL(18,4), at DATETIME(6), status ENUM('new','paid','shipped'), qty INT, note TEXT)"),
        Kind::Lite => format!("CREATE TABLE {table} (id INTEGER PRIMARY KEY, price DECIMAL(18,4), at TIMESTAMP, status TEXT, qty INTEGER, note TEXT)"),
    }
}

fn value(v: &Option<String>, numeric: bool) -> String {
    match v {
        None => "NULL".into(),
        Some(v) if numeric => v.clone(),
        Some(v) => format!("'{}'", v.replace('\'', "''")),
    }
}

async fn fill(place: &Place, table: &str, rows: &[[Option<String>; 6]]) {
    let mut statements = vec![ddl(place.kind, table)];
    for batch in rows.chunks(500) {
        let values: Vec<String> = batch
            .iter()
            .map(|r| {
                let cells: Vec<String> =
                    r.iter().enumerate().map(|(i, v)| value(v, [0, 1, 4].contains(&i))).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        statements.push(format!(
            "INSERT INTO {table} (id, price, at, status, qty, note) VALUES {}",
            values.join(", ")
        ));
    }
    run(place, &statements).await;
}

async fn run(place: &Place, statements: &[String]) {
    match place.kind {
        Kind::Pg => {
            let mut c = sqlx::PgConnection::connect(&place.url).await.unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut c).await.unwrap();
            }
        }
        Kind::My => {
            let mut c = sqlx::MySqlConnection::connect(&place.url).await.unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut c).await.unwrap();
            }
        }
        Kind::Lite => {
            let mut c = sqlx::SqliteConnection::connect(&format!("{}?mode=rwc", place.url)).await.unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut c).await.unwrap();
            }
        }
    }
}

/// The read side: rows 10, 2000 and 4999 missing, 6001 and 6002 extra, and one column
/// changed by its smallest unit in each of 77 (price), 78 (at), 79 (status), 80 (qty), 90 (note).
fn target_rows(n: i64) -> Vec<[Option<String>; 6]> {
    let mut rows: Vec<[Option<String>; 6]> =
        (1..=n).filter(|i| ![10, 2000, 4999].contains(i)).map(row).collect();
    rows.extend([6001, 6002].map(row));
    for r in &mut rows {
        match r[0].as_deref() {
            Some("77") => r[1] = r[1].as_ref().map(|p| residual_bump(p)),
            Some("78") => r[2] = Some(civil(BASE + 78, 78 + 1)),
            Some("79") => r[3] = Some("shipped".into()),
            Some("80") => r[4] = Some("31".into()),
            Some("90") => r[5] = Some("now set".into()),
            _ => {}
        }
    }
    rows
}

/// A price plus 0.0001.
fn residual_bump(p: &str) -> String {
    let (int, frac) = p.split_once('.').unwrap();
    let cents = int.parse::<i64>().unwrap() * 10_000 + frac.parse::<i64>().unwrap() + 1;
    format!("{}.{:04}", cents / 10_000, cents % 10_000)
}

fn summary(found: &[Found]) -> BTreeMap<String, (DiffKind, Vec<String>)> {
    found
        .iter()
        .map(|f| (f.key.iter().flatten().cloned().collect::<Vec<_>>().join("/"), (f.kind, f.columns.clone())))
        .collect()
}

fn expected(tolerant: bool) -> BTreeMap<String, (DiffKind, Vec<String>)> {
    let mut e = BTreeMap::new();
    for k in ["10", "2000", "4999"] {
        e.insert(k.to_string(), (DiffKind::Missing, vec![]));
    }
    for k in ["6001", "6002"] {
        e.insert(k.to_string(), (DiffKind::Extra, vec![]));
    }
    let changed = [("77", "price"), ("78", "at"), ("79", "status"), ("80", "qty"), ("90", "note")];
    for (k, c) in changed.into_iter().filter(|(_, c)| !tolerant || !["price", "at"].contains(c)) {
        e.insert(k.to_string(), (DiffKind::Changed, vec![c.to_string()]));
    }
    e
}

/// The test's PostgreSQL and MariaDB databases, and a SQLite file in `dir`.
fn engines(dbs: &common::ServerDbs, dir: &std::path::Path) -> (Place, Place, Place) {
    let pg = Place { kind: Kind::Pg, url: dbs.postgres_url() };
    let my = Place { kind: Kind::My, url: dbs.mariadb_url() };
    let lite = Place { kind: Kind::Lite, url: format!("sqlite://{}", dir.join("t.db").display()) };
    (pg, my, lite)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_difference_between_every_pairing_of_engines() {
    let Some(dbs) = common::ServerDbs::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let (pg, my, lite) = engines(&dbs, dir.path());
    let n = 5000;
    let source: Vec<_> = (1..=n).map(row).collect();
    let target = target_rows(n);
    for (place, prefix) in [(&pg, "pg"), (&my, "my"), (&lite, "lite")] {
        fill(place, &format!("{prefix}_source"), &source).await;
        fill(place, &format!("{prefix}_target"), &target).await;
        // The same rows under the other name, so any side can be the source.
        fill(place, &format!("{prefix}_same"), &source).await;
    }
    for (s, t, what) in [
        (&pg, &my, "PostgreSQL → MariaDB"),
        (&my, &pg, "MariaDB → PostgreSQL"),
        (&lite, &my, "SQLite → MariaDB"),
        (&pg, &lite, "PostgreSQL → SQLite"),
    ] {
        let (sp, tp) = (prefix(s), prefix(t));
        // Equal data on two engines compares equal.
        let none = compare_named(s, &format!("{sp}_source"), t, &format!("{tp}_same"), ID, "").await;
        assert!(none.is_empty(), "{what}: false differences {:?}", none.iter().take(3).collect::<Vec<_>>());
        let found = compare_named(s, &format!("{sp}_source"), t, &format!("{tp}_target"), ID, "").await;
        assert_eq!(summary(&found), expected(false), "{what}");
        let tolerant = "tolerance = { price = 0.0001, at = \"1us\" }\n";
        let found = compare_named(s, &format!("{sp}_source"), t, &format!("{tp}_target"), ID, tolerant).await;
        assert_eq!(summary(&found), expected(true), "{what}, with tolerances");
    }
    // The filter is applied on both sides: rows with qty ≥ 25 are out of the comparison.
    for (s, t) in [(&pg, &my), (&lite, &pg)] {
        let (sp, tp) = (prefix(s), prefix(t));
        let found = compare_named(
            s,
            &format!("{sp}_source"),
            t,
            &format!("{tp}_target"),
            ID,
            "filter = \"qty < 25\"\n",
        )
        .await;
        let keys: Vec<(String, DiffKind)> =
            summary(&found).into_iter().map(|(k, (kind, _))| (k, kind)).collect();
        let want = [
            ("10", DiffKind::Missing),
            ("2000", DiffKind::Missing),
            ("6001", DiffKind::Extra),
            ("6002", DiffKind::Extra),
        ];
        let mut want: Vec<(String, DiffKind)> = want.iter().map(|(k, d)| ((*k).to_string(), *d)).collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(keys, want, "{sp} → {tp} with a filter");
    }
    // A query as the source (a derived table), against MariaDB's table.
    let toml = format!(
        "[[connections]]\nname = \"src\"\nurl = \"{}\"\n[[connections]]\nname = \"dst\"\nurl = \"{}\"\n\
         [[checks]]\nname = \"q\"\nsource = {{ connection = \"src\", query = \"SELECT o.id, o.price, o.at, o.status, o.qty, o.note FROM pg_source o\" }}\n\
         target = {{ connection = \"dst\", table = \"my_target\" }}\nkey = [\"id\"]\nfilter = \"qty < 25\"\n",
        pg.url, my.url
    );
    let found = run_config(&toml).await;
    let keys: Vec<String> = summary(&found).into_keys().collect();
    assert_eq!(keys, ["10", "2000", "6001", "6002"], "a query source");
    let changed = found_values(&pg, &my).await;
    let price = |side: &Option<Vec<Option<String>>>| side.as_ref().unwrap()[0].clone().unwrap();
    assert_eq!(
        (price(&changed.source), price(&changed.target)),
        ("96.2500".into(), "96.2501".into()),
        "{changed:?}"
    );
    dbs.drop_all().await;
}

/// Large tables come in chunks, and PostgreSQL digests a bounded chunk's buckets with one
/// index range scan each (the first chunk's keys below its base as bucket -1), MariaDB with
/// one SELECT each: bucket for bucket the same digests as each other's and SQLite's, so
/// equal rows read nothing back, a differing bucket is cut finer where both sides digest,
/// and the planted differences are found in whichever chunk holds them.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_digests_chunk_by_chunk_as_the_other_engines_do() {
    use backend::consistency::residual::Chunk;
    use backend::consistency::scan::KeyRange;
    let Some(dbs) = common::ServerDbs::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let (pg, my, lite) = engines(&dbs, dir.path());
    let n = 5000;
    let source: Vec<_> = (1..=n).map(row).collect();
    fill(&pg, "pg_source", &source).await;
    for (place, prefix) in [(&my, "my"), (&lite, "lite")] {
        fill(place, &format!("{prefix}_same"), &source).await;
        fill(place, &format!("{prefix}_target"), &target_rows(n)).await;
    }
    let chunk = |index, lo, hi, buckets, base, width| Chunk {
        index,
        range: KeyRange { lo, hi },
        buckets,
        base,
        width,
    };
    let chunks = [
        chunk(0, None, Some(1500), 6, 100, 256),
        chunk(1, Some(1500), Some(4000), 10, 1500, 250),
        // Planned to 4512: the keys written past the plan's end are digested too.
        chunk(2, Some(4000), None, 2, 4000, 256),
    ];
    for other in [&my, &lite] {
        let tp = prefix(other);
        let toml = |table: &str| check_toml(&pg, "pg_source", other, table, ID, "");
        let same = pair_of(&toml(&format!("{tp}_same"))).await;
        let changed = pair_of(&toml(&format!("{tp}_target"))).await;
        let mut found = Vec::new();
        for c in &chunks {
            let equal = residual::compare_chunk(&same, c).await.unwrap();
            assert_eq!((equal.buckets_read, equal.found.len()), (0, 0), "pg → {tp}, chunk {}", c.index);
            assert!(equal.rows_source > 0, "pg → {tp}, chunk {} read rows", c.index);
            let result = residual::compare_chunk(&changed, c).await.unwrap();
            if c.index == 1 {
                // Row 2000's bucket of 250 keys differs: MariaDB, which digests in the
                // database, cuts it into 16 parts and reads back only the part of 16 keys
                // that differs; SQLite's bucket is read back whole.
                let read = result.rows_read_back;
                let narrowed = if tp == "my" { read < 40 } else { read > 400 };
                assert!(narrowed, "pg → {tp}: {read} rows read back for one missing row");
            }
            found.extend(result.found);
        }
        assert_eq!(summary(&found), expected(false), "pg → {tp} in chunks");
    }
    // A source query, or a key no index leads, is digested in one pass (the GROUP BY form),
    // an indexed table bucket by bucket: the same digests.
    let toml = check_toml(&pg, "pg_source", &my, "my_same", ID, "")
        .replace("table = \"pg_source\"", "query = \"SELECT * FROM pg_source\"");
    let from_query = pair_of(&toml).await;
    run(&my, &["CREATE TABLE my_unindexed AS SELECT * FROM my_same".to_string()]).await;
    let unindexed = pair_of(&check_toml(&pg, "pg_source", &my, "my_unindexed", ID, "")).await;
    let indexed = (unindexed.source.key_indexed, unindexed.target.key_indexed);
    assert_eq!(indexed, (true, false), "the source's key is its primary key, the copy has none");
    for (pair, what) in [(&from_query, "a query → my"), (&unindexed, "pg → an unindexed key")] {
        for c in &chunks {
            let equal = residual::compare_chunk(pair, c).await.unwrap();
            assert_eq!((equal.buckets_read, equal.found.len()), (0, 0), "{what}, chunk {}", c.index);
        }
    }
    dbs.drop_all().await;
}

fn prefix(p: &Place) -> &'static str {
    match p.kind {
        Kind::Pg => "pg",
        Kind::My => "my",
        Kind::Lite => "lite",
    }
}

async fn compare_named(
    s: &Place,
    s_table: &str,
    t: &Place,
    t_table: &str,
    key: &str,
    extra: &str,
) -> Vec<Found> {
    run_config(&check_toml(s, s_table, t, t_table, key, extra)).await
}

/// A check `t` of `s_table` on `s` against `t_table` on `t`.
fn check_toml(s: &Place, s_table: &str, t: &Place, t_table: &str, key: &str, extra: &str) -> String {
    format!(
        "[[connections]]\nname = \"src\"\nurl = \"{}\"\n[[connections]]\nname = \"dst\"\nurl = \"{}\"\n\
         [[checks]]\nname = \"t\"\nsource = {{ connection = \"src\", table = \"{s_table}\" }}\n\
         target = {{ connection = \"dst\", table = \"{t_table}\" }}\nkey = {key}\n{extra}",
        s.url, t.url
    )
}

async fn pair_of(toml: &str) -> side::Pair {
    let config = HubConfig::parse(toml, "t.toml").unwrap();
    let connections = Connections::default();
    let open = |name: &str| -> DbPool { connections.open(&config, name).unwrap().0 };
    side::resolve(&config.checks[0], open("src"), open("dst")).await.unwrap()
}

async fn run_config(toml: &str) -> Vec<Found> {
    let pair = pair_of(toml).await;
    let mut found = Vec::new();
    for chunk in residual::plan(&pair, 2).await.unwrap() {
        found.extend(residual::compare_chunk(&pair, &chunk).await.unwrap().found);
    }
    found
}

async fn found_values(pg: &Place, my: &Place) -> Found {
    let found = compare_named(pg, "pg_source", my, "my_target", ID, "").await;
    found.into_iter().find(|f| f.key[0].as_deref() == Some("77")).unwrap()
}

/// Text and composite keys: PostgreSQL and MariaDB sort `a-b`, `ab`, `A` and `é` each their
/// own way; buckets by the key's md5 never depend on an order, so nothing false is found.
#[tokio::test(flavor = "multi_thread")]
async fn composite_text_keys_compare_whatever_the_collations() {
    let Some(dbs) = common::ServerDbs::create().await else { return };
    let pg = Place { kind: Kind::Pg, url: dbs.postgres_url() };
    let my = Place { kind: Kind::My, url: dbs.mariadb_url() };
    let keys = ["a-b", "ab", "AB", "a b", "é", "e", "Z", "z", "ä", "😀"];
    let rows = |skip: &str, bump: &str| -> Vec<String> {
        ["eu", "EU", "us"]
            .iter()
            .flat_map(|r| keys.iter().map(move |k| (*r, *k)))
            .enumerate()
            .filter(|(_, (r, k))| format!("{r}/{k}") != skip)
            .map(|(i, (r, k))| {
                let extra = if format!("{r}/{k}") == bump { 1 } else { 0 };
                format!("('{r}', '{k}', {}.{:04})", i * 3, extra)
            })
            .collect()
    };
    let insert = |table: &str, values: Vec<String>| {
        format!("INSERT INTO {table} (region, code, balance) VALUES {}", values.join(", "))
    };
    run(&pg, &[
        "CREATE TABLE accounts (region TEXT, code TEXT, balance NUMERIC(18,4), PRIMARY KEY (region, code))".into(),
        insert("accounts", rows("", "")),
    ])
    .await;
    run(&my, &[
        "CREATE TABLE accounts (region VARCHAR(16) COLLATE utf8mb4_bin, code VARCHAR(32) COLLATE utf8mb4_bin, \
         balance DECIMAL(18,4), PRIMARY KEY (region, code)) DEFAULT CHARSET utf8mb4"
            .into(),
        insert("accounts", rows("eu/é", "us/z")),
    ])
    .await;
    let found = compare_named(&pg, "accounts", &my, "accounts", r#"["region", "code"]"#, "").await;
    let found: Vec<(String, DiffKind)> = found
        .iter()
        .map(|f| (f.key.iter().flatten().cloned().collect::<Vec<_>>().join("/"), f.kind))
        .collect();
    assert_eq!(found, [("eu/é".to_string(), DiffKind::Missing), ("us/z".to_string(), DiffKind::Changed)]);
    dbs.drop_all().await;
}

/// Every check query runs in a read-only transaction: a write handed to `read_only` is
/// refused on each engine and changes nothing; and PostgreSQL prints times as the canonical
/// text (six places, UTC) whatever the fraction, the zone or the session's DateStyle.
#[tokio::test(flavor = "multi_thread")]
async fn check_reads_are_read_only_and_times_print_canonically() {
    use backend::consistency::canon::{Canon, ColumnKind};
    let Some(dbs) = common::ServerDbs::create().await else { return };
    let pg_url = format!("{}&options=-c%20DateStyle%3DGerman", dbs.postgres_url());
    let pg = Place { kind: Kind::Pg, url: dbs.postgres_url() };
    let my = Place { kind: Kind::My, url: dbs.mariadb_url() };
    run(&pg, &["CREATE TABLE kept (id INT PRIMARY KEY)".into(), "INSERT INTO kept VALUES (1)".into()]).await;
    run(&my, &["CREATE TABLE kept (id INT PRIMARY KEY)".into(), "INSERT INTO kept VALUES (1)".into()]).await;
    let toml = format!(
        "[[connections]]\nname = \"pg\"\nurl = \"{pg_url}\"\n[[connections]]\nname = \"my\"\nurl = \"{}\"\n",
        my.url
    );
    let config = HubConfig::parse(&toml, "t.toml").unwrap();
    let connections = Connections::default();
    let timeout = std::time::Duration::from_secs(5);
    for name in ["pg", "my"] {
        let pool = connections.open(&config, name).unwrap().0;
        for write in ["INSERT INTO kept VALUES (2)", "DELETE FROM kept", "UPDATE kept SET id = 3"] {
            assert!(pool.read_only(write, timeout).await.is_err(), "{name}: {write} ran");
        }
        let rows = pool.read_only("SELECT count(*), min(id) FROM kept", timeout).await.unwrap();
        assert_eq!(rows[0][0].as_i64(), Some(1), "{name}: rows changed");
        assert_eq!(rows[0][1].as_i64(), Some(1), "{name}: rows changed");
    }
    let pool = connections.open(&config, "pg").unwrap().0;
    let text =
        |expr: &str, kind| Canon::Micros(1).sql(backend::connections::DbEngine::Postgres, expr, kind, None);
    let cases = [
        ("timestamp '2026-01-01 10:00:10'", "2026-01-01 10:00:10.000000"),
        ("timestamp '2026-01-01 10:00:10.5'", "2026-01-01 10:00:10.500000"),
        ("timestamp '1999-12-31 23:59:59.000001'", "1999-12-31 23:59:59.000001"),
        ("timestamptz '2026-01-01 12:00:00.25+02'", "2026-01-01 10:00:00.250000"),
        ("date '2026-03-04'", "2026-03-04 00:00:00.000000"),
    ];
    for (expr, want) in cases {
        let kind = if expr.starts_with("date") { ColumnKind::Date } else { ColumnKind::Timestamp };
        let rows = pool.read_only(&format!("SELECT {}", text(expr, kind)), timeout).await.unwrap();
        assert_eq!(rows[0][0], backend::connections::Cell::Text(want.into()), "{expr}");
    }
    dbs.drop_all().await;
}
