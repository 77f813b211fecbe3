//! Inputs and measures shared by the benchmarks.

/// A real node_exporter exposition (prometheus-node-exporter 1.5.0 on Debian 12).
pub const NODE_EXPORTER: &str = include_str!("../fixtures/node_exporter.prom");

/// Grows `exposition` to at least `target_bytes` by repeating every sample under a distinct
/// `instance` label, keeping each family's metadata and samples together.
pub fn repeated_exposition(exposition: &str, target_bytes: usize) -> String {
    let mut blocks: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    for line in exposition.lines() {
        if line.starts_with('#') {
            if blocks.last().is_none_or(|(_, samples)| !samples.is_empty()) {
                blocks.push((Vec::new(), Vec::new()));
            }
            if let Some(b) = blocks.last_mut() {
                b.0.push(line);
            }
        } else if !line.is_empty() {
            if blocks.is_empty() {
                blocks.push((Vec::new(), Vec::new()));
            }
            if let Some(b) = blocks.last_mut() {
                b.1.push(line);
            }
        }
    }
    let metadata: usize = blocks.iter().flat_map(|b| &b.0).map(|m| m.len() + 1).sum();
    let per_copy: usize =
        blocks.iter().flat_map(|b| &b.1).map(|s| s.len() + 1 + "instance=\"host-0000\",".len()).sum();
    let copies = target_bytes.saturating_sub(metadata).div_ceil(per_copy.max(1));
    let mut out = String::with_capacity(target_bytes + exposition.len() * 2);
    for (meta, samples) in &blocks {
        for m in meta {
            out.push_str(m);
            out.push('\n');
        }
        for n in 0..copies {
            for s in samples {
                let instance = format!("instance=\"host-{n:04}\"");
                match s.find('{') {
                    Some(brace) if s.as_bytes().get(brace + 1) == Some(&b'}') => {
                        out.push_str(&s[..=brace]);
                        out.push_str(&instance);
                        out.push_str(&s[brace + 1..]);
                    }
                    Some(brace) => {
                        out.push_str(&s[..=brace]);
                        out.push_str(&instance);
                        out.push(',');
                        out.push_str(&s[brace + 1..]);
                    }
                    None => {
                        let space = s.find(' ').unwrap_or(s.len());
                        out.push_str(&s[..space]);
                        out.push('{');
                        out.push_str(&instance);
                        out.push('}');
                        out.push_str(&s[space..]);
                    }
                }
                out.push('\n');
            }
        }
    }
    out
}

/// CPU seconds (user + system) this process has used, from /proc.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// A hub on `config_text`, its SQLite store and artifacts in `dir` (a file: each pooled
/// connection to `sqlite::memory:` would get a database of its own), `[[connections]]`
/// relative to `dir`; its jobs not started.
pub async fn hub_in(dir: &std::path::Path, config_text: String) -> Result<backend::Hub, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("hub.db").display());
    hub_at(&url, dir, config_text).await
}

/// A hub on the store at `url` (SQLite or PostgreSQL), its files in `dir`.
pub async fn hub_at(url: &str, dir: &std::path::Path, config_text: String) -> Result<backend::Hub, String> {
    use backend::config::{ConfigFile, HubConfig};
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let store = backend::store::Store::open(url, std::time::Duration::from_secs(5))
        .await
        .map_err(|e| e.to_string())?;
    let setup = backend::HubSetup {
        config_file: ConfigFile { path: None, shipped: "" },
        config: HubConfig::parse(&config_text, "bench.toml").map_err(|e| e.to_string())?,
        config_text,
        metric_catalog: backend::metrics::MetricCatalog::parse(backend::metrics::catalog::SHIPPED, "shipped")
            .map_err(|e| e.to_string())?,
        demo_enabled: false,
        artifacts_dir: dir.join("artifacts"),
        hub_id: "bench".into(),
        connections: backend::connections::Connections { data_dir: dir.to_path_buf(), vars: Vec::new() },
    };
    Ok(backend::Hub::new(store, setup))
}
