//! Per-function differences between two profiles of the same kind (before and after a
//! deploy). Profiles of different lengths compare by share of their totals.

use crate::{top, Profile, ProfileError};
use std::collections::HashMap;
use types::profiles::{DiffRow, TopDiff};

#[derive(Default)]
struct Pair {
    flat: [i64; 2],
    cum: [i64; 2],
    pct: [[f64; 2]; 2],
}

pub fn diff(before: &Profile, after: &Profile, sample: Option<&str>) -> Result<TopDiff, ProfileError> {
    let after_top = top(after, sample)?;
    let before_top = top(before, Some(&after_top.sample))?;
    let mut by_name: HashMap<String, Pair> = HashMap::new();
    for (slot, t) in [&before_top, &after_top].into_iter().enumerate() {
        // A name standing for several functions (generic instances) is summed.
        for r in &t.rows {
            let pair = by_name.entry(r.function.clone()).or_default();
            pair.flat[slot] += r.flat;
            pair.cum[slot] = pair.cum[slot].max(r.cum);
            pair.pct[slot][0] += r.flat_pct;
            pair.pct[slot][1] = pair.pct[slot][1].max(r.cum_pct);
        }
    }
    let mut rows: Vec<DiffRow> = by_name
        .into_iter()
        .map(|(function, p)| DiffRow {
            function,
            before_flat: p.flat[0],
            after_flat: p.flat[1],
            before_cum: p.cum[0],
            after_cum: p.cum[1],
            flat_delta_pct: p.pct[1][0] - p.pct[0][0],
            cum_delta_pct: p.pct[1][1] - p.pct[0][1],
        })
        .collect();
    rows.sort_by(|a, b| {
        b.flat_delta_pct
            .abs()
            .total_cmp(&a.flat_delta_pct.abs())
            .then(b.cum_delta_pct.abs().total_cmp(&a.cum_delta_pct.abs()))
            .then_with(|| a.function.cmp(&b.function))
    });
    Ok(TopDiff {
        sample: after_top.sample,
        unit: after_top.unit,
        before_total: before_top.total,
        after_total: after_top.total,
        rows,
    })
}
