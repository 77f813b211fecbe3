//! A flamegraph (or icicle) drawn from laid-out frames: click to zoom into a frame (and to
//! see its callers and callees), search to highlight, frames coloured by package — or, in
//! a diff, red where the "after" profile spends a larger share and blue where smaller.

use crate::components::units::{self, share};
use leptos::prelude::*;
use std::sync::Arc;
use types::profiles::{package_of, FlameGraph};

const ROW_PX: u32 = 18;
/// Narrower frames (in % of the zoomed width) are not drawn.
const MIN_WIDTH_PCT: f64 = 0.08;

/// The nearest shallower node before each node (pre-order), the root's being itself.
fn parents(g: &FlameGraph) -> Vec<usize> {
    let mut parents = vec![0; g.nodes.len()];
    let mut path: Vec<usize> = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        path.truncate(n.depth as usize);
        parents[i] = path.last().copied().unwrap_or(0);
        path.push(i);
    }
    parents
}

fn hue(package: &str) -> u32 {
    // FNV-1a: a stable colour per package, the same in every browser.
    let h = package.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    h % 360
}

fn colour_of_package(package: &str) -> String {
    match package {
        "" => "hsl(30, 8%, 80%)".into(),
        p => format!("hsl({}, 62%, 74%)", hue(p)),
    }
}

fn package_colour(function: &str) -> String {
    colour_of_package(package_of(function))
}

/// Red where the share grew, blue where it shrank, by how much against the largest change.
fn diff_colour(delta: f64, largest: f64) -> String {
    // Unchanged is neither larger nor smaller.
    if delta == 0.0 {
        return "rgb(236, 238, 241)".into();
    }
    let i = if largest > 0.0 { (delta.abs() / largest).min(1.0) } else { 0.0 };
    let fade = 245.0 - i * 150.0;
    if delta >= 0.0 {
        format!("rgb(250, {fade:.0}, {fade:.0})")
    } else {
        format!("rgb({fade:.0}, {fade:.0}, 250)")
    }
}

/// The share of the total in frames whose name contains `needle`, each sample once.
fn matched_share(g: &FlameGraph, needle: &str) -> f64 {
    let mut sum = 0i64;
    let mut inside: Option<u32> = None;
    for n in &g.nodes {
        if inside.is_some_and(|d| n.depth <= d) {
            inside = None;
        }
        if inside.is_none() && g.names[n.name as usize].to_lowercase().contains(needle) {
            sum += n.value;
            inside = Some(n.depth);
        }
    }
    share(sum, g.total)
}

/// The deepest frame under node `z` wide enough to be drawn, and the leaf of its widest path
/// (children come widest first, so the widest path takes each node's first child).
fn depths_under(g: &FlameGraph, z: usize) -> (u32, u32) {
    let Some(zn) = g.nodes.get(z) else { return (0, 0) };
    let width = zn.value.max(1);
    let mut deepest = zn.depth;
    let mut widest_leaf = zn.depth;
    let mut on_path = true;
    for (i, n) in g.nodes.iter().enumerate().skip(z + 1) {
        if n.depth <= zn.depth {
            break;
        }
        if share(n.value, width) * 100.0 >= MIN_WIDTH_PCT {
            deepest = deepest.max(n.depth);
        }
        // Pre-order: the widest path goes on while each node is its parent's first child.
        if on_path && n.depth == widest_leaf + 1 && i > z {
            widest_leaf = n.depth;
        } else if n.depth <= widest_leaf {
            on_path = false;
        }
    }
    (deepest, widest_leaf)
}

#[component]
pub fn Flamegraph(
    graph: FlameGraph,
    /// Highlights frames whose name contains it (any case).
    #[prop(into)]
    search: Signal<String>,
    /// The frame zoomed into (0: the root), kept by the page (and its URL).
    zoom: RwSignal<usize>,
    /// Told the zoomed frame's function, or None when the zoom is reset.
    on_pick: Callback<Option<String>>,
    /// In a diff: colour by the change of share of each total (else by the change in the
    /// profile's own unit).
    #[prop(into, optional)]
    by_share: Signal<bool>,
) -> impl IntoView {
    let parents = Arc::new(parents(&graph));
    let graph = Arc::new(graph);
    let icicle = RwSignal::new(false);
    // A zoom from the URL may point past a smaller layout (another sample type).
    if zoom.get_untracked() >= graph.nodes.len() {
        zoom.set(0);
    }
    let (gz, gn) = (graph.clone(), graph.clone());
    // The callers and callees follow the zoom.
    Effect::new(move |_| {
        let z = zoom.get();
        let name = (z > 0).then(|| gn.nodes.get(z).map(|n| gn.names[n.name as usize].clone())).flatten();
        on_pick.run(name);
    });
    let depths = Memo::new(move |_| depths_under(&gz, zoom.get().min(gz.nodes.len().saturating_sub(1))));
    let scroller = NodeRef::<leptos::html::Div>::new();
    // The widest path in view: the box scrolls to its deepest frame, whatever the height.
    Effect::new(move |_| {
        let (deepest, leaf) = depths.get();
        let flip = icicle.get();
        let Some(el) = scroller.get() else { return };
        let row = if flip { leaf } else { deepest - leaf };
        let view_h = el.client_height();
        let top = i32::try_from(row * ROW_PX).unwrap_or(0);
        let target = if flip { top - view_h + 3 * ROW_PX as i32 } else { top - 2 * ROW_PX as i32 };
        el.set_scroll_top(target.max(0));
    });
    let largest_share_delta = graph.before_total.map_or(0.0, |bt| {
        graph
            .nodes
            .iter()
            .map(|n| (share(n.value, graph.total) - share(n.before.unwrap_or(0), bt)).abs())
            .fold(0.0, f64::max)
    });
    #[expect(clippy::cast_precision_loss, reason = "a colour scale")]
    let largest_delta =
        graph.nodes.iter().map(|n| (n.value - n.before.unwrap_or(0)).abs() as f64).fold(0.0, f64::max);
    let (g, p) = (graph.clone(), parents.clone());
    let frames = move || {
        let needle = search.get().to_lowercase();
        let z = zoom.get().min(g.nodes.len().saturating_sub(1));
        let flip = icicle.get();
        let max_depth = depths.get().0;
        let Some(zn) = g.nodes.get(z) else { return Vec::new() };
        let mut shown: Vec<(usize, f64, f64)> = Vec::new();
        let mut a = z;
        while a != 0 {
            a = p[a];
            shown.push((a, 0.0, 100.0));
        }
        let width = zn.value.max(1);
        for (i, n) in g.nodes.iter().enumerate().skip(z) {
            if i > z && n.depth <= zn.depth {
                break;
            }
            let (left, w) = (share(n.x - zn.x, width) * 100.0, share(n.value, width) * 100.0);
            if w >= MIN_WIDTH_PCT && n.depth <= max_depth {
                shown.push((i, left, w));
            }
        }
        shown
            .into_iter()
            .map(|(i, left, w)| {
                let n = &g.nodes[i];
                let name = g.names[n.name as usize].clone();
                let row = if flip { n.depth } else { max_depth - n.depth };
                #[expect(clippy::cast_precision_loss, reason = "a colour scale")]
                let colour = match (g.before_total, n.before) {
                    (Some(bt), Some(before)) if by_share.get() => {
                        diff_colour(share(n.value, g.total) - share(before, bt), largest_share_delta)
                    }
                    (Some(_), Some(before)) => diff_colour((n.value - before) as f64, largest_delta),
                    _ => package_colour(&name),
                };
                let mut title = format!(
                    "{name}\n{} of {} ({}), self {}",
                    units::value(n.value, &g.unit),
                    units::value(g.total, &g.unit),
                    units::share_pct(n.value, g.total),
                    units::value(n.own, &g.unit)
                );
                if let (Some(bt), Some(before)) = (g.before_total, n.before) {
                    title.push_str(&format!(
                        "\nbefore {} ({}) → after {} ({})",
                        units::value(before, &g.unit),
                        units::share_pct(before, bt),
                        units::value(n.value, &g.unit),
                        units::share_pct(n.value, g.total)
                    ));
                }
                let matched = !needle.is_empty() && name.to_lowercase().contains(&needle);
                let dim = !needle.is_empty() && !matched;
                let style = format!(
                    "left:{left:.4}%;width:{w:.4}%;top:{}px;background:{colour}",
                    row * ROW_PX
                );
                let label = name.clone();
                view! {
                    <div class="frame" class:match=matched class:dim=dim class:zoomed=i == z style=style title=title
                        data-name=name data-node=i.to_string()
                        on:click=move |_| zoom.set(i)>
                        {label}
                    </div>
                }
            })
            .collect_view()
    };
    let g = graph.clone();
    let matched = move || {
        let needle = search.get().to_lowercase();
        (!needle.is_empty())
            .then(|| format!("matched: {} of the total", units::pct(matched_share(&g, &needle) * 100.0)))
    };
    let legend = if graph.before_total.is_some() {
        let what = move || if by_share.get() { "share" } else { "value" };
        view! {
            <span class="legend"><span class="chip" style="background:rgb(250,95,95)"></span>" larger " {what} " after "
            <span class="chip" style="background:rgb(95,95,250)"></span>" smaller " {what} " after"</span>
        }
        .into_any()
    } else {
        packages_legend(&graph).into_any()
    };
    let height = move || (depths.get().0 + 1) * ROW_PX;
    let dropped = graph.dropped;
    view! {
        <div class="flame-tools">
            <button class="secondary" on:click=move |_| zoom.set(0) disabled=move || zoom.get() == 0>"Reset zoom"</button>
            <label class="inline-label">
                <input type="checkbox" prop:checked=move || icicle.get() on:change=move |ev| icicle.set(event_target_checked(&ev))/>
                "Icicle (root at the top)"
            </label>
            <span class="muted" data-testid="matched">{matched}</span>
            {legend}
        </div>
        <div class="flame-scroll" node_ref=scroller data-testid="flame-scroll">
            <div class="flame" data-testid="flamegraph" style=move || format!("height:{}px", height())>{frames}</div>
        </div>
        <p class="muted small">
            "Widths are shares of the total; click a frame to zoom in and see its callers and callees."
            {(dropped > 0).then(|| format!(" {dropped} frames narrower than 0.05% are left out."))}
        </p>
    }
}

fn packages_legend(g: &FlameGraph) -> impl IntoView {
    // The packages covering the most width, over every frame drawn.
    let mut width: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for n in &g.nodes {
        *width.entry(package_of(&g.names[n.name as usize])).or_default() += n.value;
    }
    let mut top: Vec<(&str, i64)> = width.into_iter().filter(|(p, v)| !p.is_empty() && *v > 0).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    top.truncate(8);
    let chips = top
        .into_iter()
        .map(|(p, _)| {
            view! { <span class="chip" style=format!("background:{}", colour_of_package(p))></span>" " {p.to_string()} " " }
        })
        .collect_view();
    view! { <span class="legend">{chips}</span> }
}
