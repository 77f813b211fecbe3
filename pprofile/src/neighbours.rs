//! A function's callers and callees, with the value that flowed through each edge, as
//! `go tool pprof -peek` shows them.

use crate::stacks::{Names, Resolved};
use crate::{Profile, ProfileError};
use std::collections::HashMap;
use types::profiles::{Edge, Neighbours};

fn edges(map: HashMap<u32, i64>, names: &Names<'_>) -> Vec<Edge> {
    let mut edges: Vec<Edge> = map
        .into_iter()
        .map(|(n, value)| Edge { function: names.names[n as usize].to_string(), value })
        .collect();
    edges.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.function.cmp(&b.function)));
    edges
}

/// Who calls `function` and whom it calls. A recursive function's sample counts once per
/// edge, like cum counts it once per sample.
pub fn neighbours(p: &Profile, sample: Option<&str>, function: &str) -> Result<Neighbours, ProfileError> {
    // The top table's labels are not part of the name.
    let function = function.trim_end_matches(" (inline)").trim_end_matches(" (partial-inline)");
    let mut names = Names::default();
    let resolved = Resolved::new(p, sample, &mut names)?;
    let t = resolved.sample_type();
    let mut result = Neighbours {
        function: function.to_string(),
        sample: t.kind.clone(),
        unit: t.unit.clone(),
        total: resolved.total(),
        flat: 0,
        cum: 0,
        callers: Vec::new(),
        callees: Vec::new(),
    };
    let Some(target) = names.get(function) else {
        return Ok(result);
    };
    let (mut callers, mut callees) = (HashMap::new(), HashMap::new());
    let mut frames = Vec::with_capacity(64);
    let mut seen_callers = Vec::new();
    let mut seen_callees = Vec::new();
    for (stack, v) in resolved.samples() {
        resolved.frames_leaf_first(stack, &mut frames);
        if frames.first() == Some(&target) {
            result.flat += v;
        }
        if !frames.contains(&target) {
            continue;
        }
        result.cum += v;
        seen_callers.clear();
        seen_callees.clear();
        for (i, _) in frames.iter().enumerate().filter(|(_, f)| **f == target) {
            if let Some(&caller) = frames.get(i + 1) {
                if !seen_callers.contains(&caller) {
                    seen_callers.push(caller);
                    *callers.entry(caller).or_default() += v;
                }
            }
            if let Some(&callee) = i.checked_sub(1).and_then(|j| frames.get(j)) {
                if !seen_callees.contains(&callee) {
                    seen_callees.push(callee);
                    *callees.entry(callee).or_default() += v;
                }
            }
        }
    }
    result.callers = edges(callers, &names);
    result.callees = edges(callees, &names);
    Ok(result)
}
