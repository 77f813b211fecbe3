//! What the hub shows of a pprof profile: the top table, flamegraph layout, callers and
//! callees, and diffs. Computed by the `pprofile` crate on the server; drawn by the browser.

use serde::{Deserialize, Serialize};

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

/// One rectangle: `names[name]` at `depth` (0 = the root), from `x` to `x + value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlameNode {
    pub name: u32,
    pub depth: u32,
    pub x: i64,
    pub value: i64,
    /// The part of `value` spent in this frame itself (it was the leaf).
    pub own: i64,
    /// In a diff: the same call path's value in the "before" profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
}

/// Nodes in pre-order (a node's subtree follows it), children widest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlameGraph {
    pub sample: String,
    pub unit: String,
    pub total: i64,
    /// In a diff: the "before" profile's total; widths are the "after" profile's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_total: Option<i64>,
    /// Every sample type of the profile, for a picker.
    pub sample_types: Vec<String>,
    pub names: Vec<String>,
    pub nodes: Vec<FlameNode>,
    /// Frames left out for being narrower than the threshold.
    pub dropped: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffRow {
    pub function: String,
    pub before_flat: i64,
    pub after_flat: i64,
    pub before_cum: i64,
    pub after_cum: i64,
    /// after flat % − before flat %, in percentage points.
    pub flat_delta_pct: f64,
    pub cum_delta_pct: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopDiff {
    pub sample: String,
    pub unit: String,
    pub before_total: i64,
    pub after_total: i64,
    /// Largest change of flat share first.
    pub rows: Vec<DiffRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    pub function: String,
    pub value: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Neighbours {
    pub function: String,
    pub sample: String,
    pub unit: String,
    pub total: i64,
    pub flat: i64,
    pub cum: i64,
    /// Largest first.
    pub callers: Vec<Edge>,
    pub callees: Vec<Edge>,
}
/// `demo::chaos::spin` → `demo`; `<alloc::vec::Vec<T> as Drop>::drop` → `alloc`;
/// `github.com/acme/x.(*T).Run` → `github.com/acme/x`; `runtime.mallocgc` → `runtime`;
/// `java.util.concurrent.ThreadPoolExecutor.getTask` → `java.util.concurrent`; a C symbol → "".
pub fn package_of(function: &str) -> &str {
    let name = function.trim_start_matches(['<', '&', '*']);
    if let Some(end) = name.find("::") {
        return &name[..end];
    }
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let tail = &name[last_slash..];
    let Some(dot) = tail.find('.') else {
        return if last_slash > 0 { name } else { "" };
    };
    if last_slash == 0 {
        // Java: the package ends before the first capitalised segment (the class).
        let mut end = 0;
        for segment in name.split('.') {
            if segment.starts_with('(') {
                break; // a Go method: `main.(*Server).Handle`
            }
            if segment.starts_with(|c: char| c.is_ascii_uppercase()) {
                return if end == 0 { "" } else { &name[..end - 1] };
            }
            end += segment.len() + 1;
        }
    }
    &name[..last_slash + dot]
}

#[cfg(test)]
mod tests {
    use super::package_of;

    #[test]
    fn packages_of_rust_go_java_and_c_names() {
        let cases = [
            ("demo::chaos::spin", "demo"),
            ("<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop", "alloc"),
            ("github.com/acme/x.(*T).Run", "github.com/acme/x"),
            ("runtime.mallocgc", "runtime"),
            ("main.main", "main"),
            ("main.(*Server).Handle", "main"),
            ("java.util.concurrent.ThreadPoolExecutor.getTask", "java.util.concurrent"),
            ("Stuck.main", ""),
            ("prof_backtrace_impl", ""),
            ("", ""),
        ];
        for (name, package) in cases {
            assert_eq!(package_of(name), package, "{name}");
        }
    }
}
