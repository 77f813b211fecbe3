use crate::{Profile, ProfileError};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopRow {
    pub function: String,
    pub flat: i64,
    pub flat_pct: f64,
    pub cum: i64,
    pub cum_pct: f64,
}

/// `GET /api/v1/captures/{id}/top`: `{"sample", "unit", "total", "rows": [...]}`, sorted by flat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Top {
    pub sample: String,
    pub unit: String,
    pub total: i64,
    pub rows: Vec<TopRow>,
}

/// The sample type `name`, or the profile's default (the last, as go tool pprof picks).
pub fn sample_index(p: &Profile, name: Option<&str>) -> Result<usize, ProfileError> {
    if p.sample_types.is_empty() {
        return Err(ProfileError::NoSampleType(name.unwrap_or_default().to_string()));
    }
    match name.filter(|n| !n.is_empty()) {
        Some(n) => p
            .sample_types
            .iter()
            .position(|t| t.kind == n)
            .ok_or_else(|| ProfileError::NoSampleType(n.to_string())),
        None => Ok(p.sample_types.len().saturating_sub(1)),
    }
}

/// Flat (the function is the leaf) and cumulative (the function is anywhere on the stack,
/// once per sample) per function, like `go tool pprof -top`.
pub fn top(p: &Profile, sample: Option<&str>) -> Result<Top, ProfileError> {
    let index = sample_index(p, sample)?;
    let locations: HashMap<u64, &crate::Location> = p.locations.iter().map(|l| (l.id, l)).collect();
    // A node is a function by name and file, as go tool pprof counts them: one name can
    // stand for several functions (generic instances in different files).
    let names: HashMap<u64, (&str, &str)> =
        p.functions.iter().map(|f| (f.id, (f.name.as_str(), f.filename.as_str()))).collect();
    let mut flat: HashMap<(&str, &str), i64> = HashMap::new();
    let mut cum: HashMap<(&str, &str), i64> = HashMap::new();
    let mut total = 0i64;
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for s in &p.samples {
        let Some(&v) = s.values.get(index) else { continue };
        total += v;
        seen.clear();
        for (depth, id) in s.location_ids.iter().enumerate() {
            let Some(loc) = locations.get(id) else { continue };
            for (i, line) in loc.lines.iter().enumerate() {
                let name = names.get(&line.function_id).copied().unwrap_or(("?", ""));
                if depth == 0 && i == 0 {
                    *flat.entry(name).or_default() += v;
                }
                if seen.insert(name) {
                    *cum.entry(name).or_default() += v;
                }
            }
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "percentages")]
    let pct = |x: i64| if total == 0 { 0.0 } else { 100.0 * x as f64 / total as f64 };
    let mut rows: Vec<TopRow> = cum
        .iter()
        .map(|(name, c)| {
            let f = flat.get(name).copied().unwrap_or(0);
            TopRow { function: name.0.to_string(), flat: f, flat_pct: pct(f), cum: *c, cum_pct: pct(*c) }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.flat.cmp(&a.flat).then(b.cum.cmp(&a.cum)).then_with(|| a.function.cmp(&b.function))
    });
    let t = &p.sample_types[index];
    Ok(Top { sample: t.kind.clone(), unit: t.unit.clone(), total, rows })
}
