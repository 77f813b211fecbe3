use crate::{Profile, ProfileError};
use std::collections::{HashMap, HashSet};
use types::profiles::{Top, TopRow};

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
/// once per sample) per function, like `go tool pprof -top`: a node is a function by name
/// (go's "functions" granularity), labelled "(inline)" when every call into it was inlined
/// and "(partial-inline)" when some were.
pub fn top(p: &Profile, sample: Option<&str>) -> Result<Top, ProfileError> {
    let index = sample_index(p, sample)?;
    let locations: HashMap<u64, &crate::Location> = p.locations.iter().map(|l| (l.id, l)).collect();
    let names: HashMap<u64, &str> = p.functions.iter().map(|f| (f.id, f.name.as_str())).collect();
    let mut flat: HashMap<&str, i64> = HashMap::new();
    let mut cum: HashMap<&str, i64> = HashMap::new();
    // Per call edge (caller, callee): its weight, and whether every call along it was inlined.
    let mut edges: HashMap<(&str, &str), (i64, bool)> = HashMap::new();
    let mut total = 0i64;
    let mut seen: HashSet<&str> = HashSet::new();
    let mut seen_edges: HashSet<(&str, &str)> = HashSet::new();
    let mut frames: Vec<(&str, bool)> = Vec::new();
    for s in &p.samples {
        let Some(&v) = s.values.get(index) else { continue };
        total += v;
        if v == 0 {
            continue;
        }
        // Root first; a line is inlined into the next one of its location.
        frames.clear();
        for id in s.location_ids.iter().rev() {
            let Some(loc) = locations.get(id) else { continue };
            let last = loc.lines.len().saturating_sub(1);
            for (i, line) in loc.lines.iter().enumerate().rev() {
                frames.push((names.get(&line.function_id).copied().unwrap_or("?"), i != last));
            }
        }
        seen.clear();
        seen_edges.clear();
        let mut parent: Option<&str> = None;
        for &(name, inlined) in &frames {
            if seen.insert(name) {
                *cum.entry(name).or_default() += v;
            }
            if let Some(caller) = parent.filter(|c| *c != name) {
                if seen_edges.insert((caller, name)) {
                    let e = edges.entry((caller, name)).or_insert((0, true));
                    e.0 += v;
                    e.1 &= inlined;
                }
            }
            parent = Some(name);
        }
        if let Some(leaf) = parent {
            *flat.entry(leaf).or_default() += v;
        }
    }
    // go labels from the edges its report keeps: callers above its node fraction (0.5 %)
    // and edges above its edge fraction (0.1 %) of the total.
    let mut entered: HashMap<&str, (bool, bool)> = HashMap::new();
    let kept =
        |x: i64, per_mille: i64| x.unsigned_abs() * 1000 > total.unsigned_abs() * per_mille.unsigned_abs();
    for ((caller, callee), (weight, inlined)) in &edges {
        if !kept(*weight, 1) || !kept(cum.get(caller).copied().unwrap_or(0), 5) {
            continue;
        }
        let e = entered.entry(callee).or_default();
        if *inlined {
            e.0 = true;
        } else {
            e.1 = true;
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "percentages")]
    let pct = |x: i64| if total == 0 { 0.0 } else { 100.0 * x as f64 / total as f64 };
    let mut rows: Vec<TopRow> = cum
        .iter()
        .map(|(name, c)| {
            let f = flat.get(name).copied().unwrap_or(0);
            let function = match entered.get(name) {
                Some((true, false)) => format!("{name} (inline)"),
                Some((true, true)) => format!("{name} (partial-inline)"),
                _ => (*name).to_string(),
            };
            TopRow { function, flat: f, flat_pct: pct(f), cum: *c, cum_pct: pct(*c) }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.flat.cmp(&a.flat).then(b.cum.cmp(&a.cum)).then_with(|| a.function.cmp(&b.function))
    });
    let t = &p.sample_types[index];
    Ok(Top { sample: t.kind.clone(), unit: t.unit.clone(), total, rows })
}
