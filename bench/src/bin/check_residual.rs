//! The residual batch against reladiff (`-a hashdiff`), on N rows in PostgreSQL against a
//! MariaDB copy with 100 differences: a third missing, a third extra, a third changed by the
//! smallest unit of one column (+0.0001 on a DECIMAL(18,4), +1 µs on a TIMESTAMP(6), a
//! swapped status value, +1 on an integer). The status is VARCHAR on MariaDB: reladiff
//! refuses a MariaDB ENUM column ("Incompatible types"); our own tests compare ENUMs. Prints the time of reading both tables once in
//! parallel, of our run (through the same path as the hub's: `Checks::run_here`), and of
//! reladiff on the same data, with the bars (ours ≤ reladiff / 10, ours ≤ 2 × the read), and
//! the load each database saw.
//!
//! `check_residual [ROWS...]` (default 100000 1000000); PostgreSQL at
//! SWITCHBOARD_TEST_POSTGRES_URL, MariaDB at SWITCHBOARD_TEST_MYSQL_URL (the tests' defaults);
//! reladiff from `pip install 'reladiff[postgresql,mysql]'` (RELADIFF: its path). BENCH_REPEAT
//! trials of each (default 3), the bars judged on their medians; BENCH_QUERIES: the check's
//! `rate.queries` (default 2); BENCH_KEEP: leave the tables.

use futures::TryStreamExt;
use sqlx::{Connection, Executor, MySqlConnection, PgConnection};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use types::checks::RunMode;

const SCHEMA: &str = "bench_check";

fn env(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// Which ids differ, and how.
struct Planted {
    missing: Vec<i64>,
    extra: Vec<i64>,
    /// (id, column)
    changed: Vec<(i64, &'static str)>,
}

fn planted(n: i64) -> Planted {
    let spread = |k: i64, of: i64| 1 + (n - 1) * k / of;
    let missing = (0..33).map(|k| spread(k, 33) + 1).collect();
    let extra = (1..=33).map(|k| n + k).collect();
    let columns = ["price", "at", "status", "qty"];
    let changed =
        (0..34).map(|k| (spread(k, 34) + 2, columns[usize::try_from(k % 4).unwrap_or(0)])).collect();
    Planted { missing, extra, changed }
}

fn list(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

async fn fill(
    pg: &mut PgConnection,
    my: &mut MySqlConnection,
    n: i64,
    p: &Planted,
) -> Result<(), sqlx::Error> {
    pg.execute(format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}").as_str()).await?;
    pg.execute(
        format!(
            "CREATE TABLE {SCHEMA}.orders (id BIGINT PRIMARY KEY, price NUMERIC(18,4) NOT NULL, at TIMESTAMP(6) NOT NULL, \
             status TEXT NOT NULL, qty INTEGER NOT NULL); \
             INSERT INTO {SCHEMA}.orders SELECT g, round((g % 1000000)::numeric / 10000 + g, 4), \
             timestamp '2026-01-01' + g * interval '1 second' + (g % 1000000) * interval '1 microsecond', \
             (array['new','paid','shipped'])[g % 3 + 1], g % 50 FROM generate_series(1, {n}) g"
        )
        .as_str(),
    )
    .await?;
    // As a table in service is: vacuumed (its pages all-visible, its hint bits set) and
    // analysed. Without it, autovacuum could start on the new table in the middle of a run.
    pg.execute(format!("VACUUM (ANALYZE) {SCHEMA}.orders").as_str()).await?;
    let rows = "SELECT seq, ROUND((seq % 1000000) / 10000 + seq, 4), \
                TIMESTAMP('2026-01-01') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND, \
                ELT(seq % 3 + 1, 'new', 'paid', 'shipped'), seq % 50";
    for sql in [
        "SET time_zone = '+00:00'".to_string(),
        "DROP TABLE IF EXISTS orders".to_string(),
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, price DECIMAL(18,4) NOT NULL, at TIMESTAMP(6) NOT NULL, \
         status VARCHAR(16) NOT NULL, qty INT NOT NULL)"
            .to_string(),
        format!("INSERT INTO orders {rows} FROM seq_1_to_{n}"),
        format!("DELETE FROM orders WHERE id IN ({})", list(p.missing.iter().copied())),
        format!("INSERT INTO orders {rows} FROM seq_{}_to_{}", n + 1, n + 33),
    ] {
        sqlx::query(&sql).execute(&mut *my).await?;
    }
    for (id, column) in &p.changed {
        let set = match *column {
            "price" => "price = price + 0.0001",
            "at" => "at = at + INTERVAL 1 MICROSECOND",
            "status" => "status = IF(status = 'new', 'paid', 'new')",
            _ => "qty = qty + 1",
        };
        sqlx::query(&format!("UPDATE orders SET {set} WHERE id = {id}")).execute(&mut *my).await?;
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// CPU time the whole machine has spent busy (user, system, interrupts), from /proc/stat:
/// what a run costs the databases and the hub together, steadier than its wall time on a
/// shared machine. 0 where there is no /proc/stat.
fn busy_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle, iowait and the time
    // the host gave to others (USER_HZ = 100).
    let busy: f64 =
        ticks.iter().take(8).enumerate().filter(|(i, _)| ![3, 4, 7].contains(i)).map(|(_, v)| v).sum();
    busy / 100.0
}

/// Reads both tables whole, at once, as a client would to compare them itself.
async fn read_both(pg_url: &str, my_url: &str) -> Result<(Duration, u64), sqlx::Error> {
    let started = Instant::now();
    let pg = async {
        let mut c = PgConnection::connect(pg_url).await?;
        let sql = format!("SELECT id, price::text, at::text, status, qty FROM {SCHEMA}.orders");
        let mut rows = sqlx::query(&sql).fetch(&mut c);
        let mut n = 0u64;
        while rows.try_next().await?.is_some() {
            n += 1;
        }
        Ok::<u64, sqlx::Error>(n)
    };
    let my = async {
        let mut c = MySqlConnection::connect(my_url).await?;
        let mut rows = sqlx::query(
            "SELECT id, CAST(price AS CHAR), CAST(at AS CHAR), CAST(status AS CHAR), qty FROM orders",
        )
        .fetch(&mut c);
        let mut n = 0u64;
        while rows.try_next().await?.is_some() {
            n += 1;
        }
        Ok::<u64, sqlx::Error>(n)
    };
    let (a, b) = tokio::try_join!(pg, my)?;
    Ok((started.elapsed(), a + b))
}

/// (queries, rows read) each database has counted so far.
async fn load(
    pg: &mut PgConnection,
    my: &mut MySqlConnection,
) -> Result<((i64, i64), (i64, i64)), sqlx::Error> {
    let pg_rows: (Option<i64>,) = sqlx::query_as(&format!(
        "SELECT (COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0))::bigint FROM pg_stat_user_tables WHERE schemaname = '{SCHEMA}' AND relname = 'orders'"
    ))
    .fetch_one(&mut *pg)
    .await?;
    let pg_tx: (i64,) = sqlx::query_as("SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(&mut *pg)
        .await?;
    let mut counts = [0i64; 3];
    for (i, name) in ["COM_SELECT", "HANDLER_READ_NEXT", "HANDLER_READ_RND_NEXT"].iter().enumerate() {
        let sql = format!("SELECT CAST(VARIABLE_VALUE AS SIGNED) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '{name}'");
        counts[i] = sqlx::query_as::<_, (i64,)>(&sql).fetch_one(&mut *my).await?.0;
    }
    let (selects, next, rnd) = (counts[0], counts[1], counts[2]);
    Ok(((pg_tx.0, pg_rows.0.unwrap_or(0)), (selects, next + rnd)))
}

fn reladiff(pg_url: &str, my_url: &str) -> (Duration, BTreeSet<i64>) {
    // reladiff knows postgresql://, not postgres://.
    let pg_url = pg_url.replacen("postgres://", "postgresql://", 1);
    let started = Instant::now();
    let out = std::process::Command::new(env("RELADIFF", "reladiff"))
        .args([
            &pg_url,
            &format!("{SCHEMA}.orders"),
            my_url,
            "orders",
            "-k",
            "id",
            "-c",
            "price",
            "-c",
            "at",
            "-c",
            "status",
            "-c",
            "qty",
            "-a",
            "hashdiff",
            "-j",
            "2",
            "--json",
        ])
        .output();
    let elapsed = started.elapsed();
    let Ok(out) = out else {
        println!("  reladiff did not start (pip install 'reladiff[postgresql,mysql]')");
        return (elapsed, BTreeSet::new());
    };
    if !out.status.success() || out.stdout.is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        println!("  reladiff failed: {}", err.lines().rev().take(3).collect::<Vec<_>>().join(" / "));
    }
    let keys = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        // Each line: ["+" | "-", [key, columns…]].
        .filter_map(|v| v[1].as_array()?.first()?.as_str()?.parse::<i64>().ok())
        .collect();
    (elapsed, keys)
}

async fn ours(pg_url: &str, my_url: &str) -> Result<(Duration, types::checks::RunView), String> {
    // Queries per database at once (the check's `rate.queries`; the hub's default is 2).
    let queries = env("BENCH_QUERIES", "2");
    let dir = std::env::temp_dir().join(format!("switchboard-check-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let text = format!(
        "[[connections]]\nname = \"pg\"\nurl = \"{pg_url}\"\n[[connections]]\nname = \"my\"\nurl = \"{my_url}\"\n\
         [[checks]]\nname = \"orders\"\nsource = {{ connection = \"pg\", table = \"{SCHEMA}.orders\" }}\n\
         target = {{ connection = \"my\", table = \"orders\" }}\nkey = [\"id\"]\nrate = {{ rows_per_s = 1000000000, queries = {queries} }}\n"
    );
    let hub = bench::hub_in(&dir, text).await?;
    let started = Instant::now();
    let run = hub
        .checks
        .run_here("orders", RunMode::Residual, "bench", &CancellationToken::new())
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    Ok((elapsed, run))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<i64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100_000, 1_000_000] } else { sizes };
    let pg_url = env("SWITCHBOARD_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test");
    let my_base = env("SWITCHBOARD_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
    let mut pg = PgConnection::connect(&pg_url).await?;
    let mut my = MySqlConnection::connect(&my_base).await?;
    for n in sizes {
        println!("{n} rows in PostgreSQL against MariaDB, 100 differences planted:");
        let p = planted(n);
        let filled = Instant::now();
        fill(&mut pg, &mut my, n, &p).await?;
        println!("  (filled in {:.1} s)", filled.elapsed().as_secs_f64());
        let expected: BTreeSet<i64> =
            p.missing.iter().chain(&p.extra).copied().chain(p.changed.iter().map(|c| c.0)).collect();

        // Each trial reads both tables, runs ours, then reladiff, on the same data; the bars
        // are judged on the medians (BENCH_REPEAT trials; single runs vary by ±15 % on a shared
        // machine).
        let repeat: usize = env("BENCH_REPEAT", "3").parse().unwrap_or(1).max(1);
        let (mut reads, mut ourst, mut theirst, mut exact_all) = (Vec::new(), Vec::new(), Vec::new(), true);
        for trial in 1..=repeat {
            if repeat > 1 {
                println!("  trial {trial} of {repeat}:");
            }
            let (read, rows) = read_both(&pg_url, &my_base).await?;
            println!("  reading both tables once, in parallel: {:.2} s ({rows} rows)", read.as_secs_f64());

            let before = load(&mut pg, &mut my).await?;
            let cpu = busy_cpu_s();
            let (took, run) = ours(&pg_url, &my_base).await?;
            let cpu = busy_cpu_s() - cpu;
            let after = load(&mut pg, &mut my).await?;
            let found = run.counts.missing + run.counts.extra + run.counts.changed;
            println!(
                "  ours: {:.2} s, {} rows compared, found {found} ({} missing, {} extra, {} changed){}",
                took.as_secs_f64(),
                run.rows_compared,
                run.counts.missing,
                run.counts.extra,
                run.counts.changed,
                run.error.map(|e| format!(" — error: {e}")).unwrap_or_default()
            );
            println!(
                "  load: {cpu:.2} CPU-s on this machine; PostgreSQL {} transactions, {} rows read; MariaDB {} selects, {} rows read",
                after.0 .0 - before.0 .0,
                after.0 .1 - before.0 .1,
                after.1 .0 - before.1 .0,
                after.1 .1 - before.1 .1
            );
            let (theirs, keys) = reladiff(&pg_url, &my_base);
            println!(
                "  reladiff -a hashdiff: {:.2} s, {} keys differ ({:.1}× ours)",
                theirs.as_secs_f64(),
                keys.len(),
                theirs.as_secs_f64() / took.as_secs_f64()
            );
            exact_all &= found == 100 && run.counts.missing == 33 && run.counts.extra == 33;
            if !keys.is_empty() && keys != expected {
                println!(
                    "  (reladiff's keys differ from the planted ones: {} of {})",
                    keys.intersection(&expected).count(),
                    expected.len()
                );
            }
            reads.push(read.as_secs_f64());
            ourst.push(took.as_secs_f64());
            theirst.push(theirs.as_secs_f64());
        }
        let (read, took, theirs) = (median(&mut reads), median(&mut ourst), median(&mut theirst));
        if repeat > 1 {
            println!("  medians of {repeat}: reading {read:.2} s, ours {took:.2} s, reladiff {theirs:.2} s");
        }
        println!("  exactly the 100 planted: {}", if exact_all { "PASS" } else { "FAIL" });
        let tenth = took <= theirs / 10.0;
        println!(
            "  ours ≤ reladiff / 10: {:.1}× faster: {}",
            theirs / took,
            if tenth { "PASS" } else { "FAIL" }
        );
        let twice = took <= 2.0 * read;
        println!("  ours ≤ 2 × reading both: {:.2}×: {}", took / read, if twice { "PASS" } else { "FAIL" });
    }
    if std::env::var_os("BENCH_KEEP").is_none() {
        pg.execute(format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE").as_str()).await?;
        sqlx::query("DROP TABLE IF EXISTS orders").execute(&mut my).await?;
    }
    Ok(())
}
