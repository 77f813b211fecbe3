//! A run's differences as CSV, for the team that fixes them.

use crate::audit::csv_field;
use types::checks::DifferenceView;

pub const CSV_HEADER: &str =
    "difference,kind,key,columns,source,target,during_lag,state,assignee,resolution\r\n";

fn pairs(map: &std::collections::BTreeMap<String, Option<String>>) -> String {
    map.iter().map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("NULL"))).collect::<Vec<_>>().join("; ")
}

pub fn csv_row(d: &DifferenceView) -> String {
    let side = |s: &Option<std::collections::BTreeMap<String, Option<String>>>| {
        s.as_ref().map(pairs).unwrap_or_default()
    };
    format!(
        "{},{},{},{},{},{},{},{},{},{}\r\n",
        d.id,
        d.kind,
        csv_field(&pairs(&d.key)),
        csv_field(&d.columns.join(" ")),
        csv_field(&side(&d.source)),
        csv_field(&side(&d.target)),
        d.during_lag,
        d.state.as_str(),
        csv_field(d.assignee.as_deref().unwrap_or("")),
        csv_field(d.resolution.as_deref().unwrap_or("")),
    )
}
