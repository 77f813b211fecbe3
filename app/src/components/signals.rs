//! Key signals as a table cell: the value in its unit, a small sparkline of the last
//! minutes, and the colour of trouble when it is past the line.

use leptos::prelude::*;
use types::KeySignal;

const W: f64 = 64.0;
const H: f64 = 18.0;

/// The sparkline's path: one `M…L…` run per stretch with data, scaled to the highest value.
pub fn spark_path(values: &[Option<f64>]) -> String {
    let top = values.iter().flatten().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let top = if top > 0.0 { top } else { 1.0 };
    #[expect(clippy::cast_precision_loss, reason = "a few dozen steps")]
    let dx = W / (values.len().max(2) - 1) as f64;
    let mut path = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v.filter(|v| v.is_finite()) {
            Some(v) => {
                #[expect(clippy::cast_precision_loss, reason = "a few dozen steps")]
                let x = i as f64 * dx;
                let y = H - 1.0 - (v / top) * (H - 2.0);
                path.push_str(&format!("{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" }));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    path.trim_end().to_string()
}

/// A signal as one cell: value and sparkline, or a dash when the service has none.
pub fn signal_cell(signal: Option<&KeySignal>) -> impl IntoView {
    let Some(s) = signal else {
        return view! { <td class="signal muted">"–"</td> }.into_any();
    };
    let text = s.value.map_or_else(|| "no data".to_string(), |v| s.unit.format(v));
    let class = if s.bad { "signal bad" } else { "signal" };
    view! {
        <td class=class data-signal=s.id.clone() title=s.label.clone()>
            <span class="signal-value">{text}</span>
            <svg class="spark" viewBox=format!("0 0 {W} {H}") width=W height=H aria-hidden="true">
                <path d=spark_path(&s.spark)></path>
            </svg>
        </td>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::spark_path;

    #[test]
    fn a_gap_lifts_the_pen() {
        assert_eq!(spark_path(&[Some(0.0), Some(1.0), None, Some(1.0)]), "M0.0,17.0 L21.3,1.0 M64.0,1.0");
        assert_eq!(spark_path(&[None, None]), "");
    }
}
