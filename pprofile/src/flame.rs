//! Flamegraph data: the samples merged into a tree of calls (root → leaf), laid out as
//! rectangles — each node's offset and width in sample units — so a browser only draws.

use crate::stacks::{Names, Resolved};
use crate::{Profile, ProfileError};
use types::profiles::{FlameGraph, FlameNode};

/// Frames narrower than this share of the total are left out (and counted in `dropped`).
pub const DEFAULT_MIN_FRACTION: f64 = 0.0005;

/// Every sample's frames, root first, expanded once into one pool: the layout then reads
/// memory in order, which matters more than anything else with a million stacks.
struct Stacks {
    pool: Vec<u32>,
    spans: Vec<(usize, usize)>,
    values: Vec<i64>,
    /// 0: the profile drawn; 1: the "before" profile of a diff.
    slots: Vec<u8>,
}

/// Frames of the runtime's scaffolding, between a thread's start and the code that runs on
/// it: tokio's scheduler, std's thread start, panic and closure wrappers, libc's thread entry,
/// Go's goexit, a JVM pool worker's run loop. Collapsing them brings the program's own frames
/// up to where a reader looks.
pub fn is_scaffolding(name: &str) -> bool {
    const PREFIXES: [&str; 17] = [
        "tokio::runtime::",
        "tokio::task::",
        "tokio::loom::",
        "<tokio::runtime::",
        "std::thread::",
        "std::sys::",
        "std::sys_common::",
        "std::rt::",
        "std::panicking::",
        "std::panic::",
        "core::panicking::",
        "core::ops::function::",
        "<core::pin::Pin<P> as core::future::future::Future>::poll",
        "<alloc::boxed::Box<F,A> as core::ops::function::",
        "<core::panic::unwind_safe::AssertUnwindSafe<F> as core::ops::function::",
        "java.util.concurrent.ThreadPoolExecutor",
        "java.lang.Thread.run",
    ];
    const EXACT: [&str; 8] = [
        "start_thread",
        "clone3",
        "__clone3",
        "__clone",
        "_start",
        "__libc_start_main",
        "runtime.goexit",
        "thread_start",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || EXACT.contains(&name)
}

impl Stacks {
    /// Leaves out the frames `skip` marks (by name index).
    fn without(&mut self, skip: &[bool]) {
        let mut pool = Vec::with_capacity(self.pool.len());
        for span in &mut self.spans {
            let start = pool.len();
            pool.extend(
                self.pool[span.0..span.0 + span.1]
                    .iter()
                    .copied()
                    .filter(|n| !skip.get(*n as usize).copied().unwrap_or(false)),
            );
            *span = (start, pool.len() - start);
        }
        self.pool = pool;
    }

    fn new(profiles: &[&Resolved<'_>]) -> Stacks {
        let frames: usize = profiles.iter().map(|p| p.frame_count()).sum();
        let samples: usize = profiles.iter().map(|p| p.sample_count()).sum();
        let mut stacks = Stacks {
            pool: Vec::with_capacity(frames + frames / 8),
            spans: Vec::with_capacity(samples),
            values: Vec::with_capacity(samples),
            slots: Vec::with_capacity(samples),
        };
        for (slot, profile) in profiles.iter().enumerate() {
            let slot = u8::try_from(slot).unwrap_or(1);
            // Without inlined frames a location is one name: a table lookup per frame.
            let single = profile.single_line_names();
            for (stack, v) in profile.samples() {
                let start = stacks.pool.len();
                match &single {
                    // A location the profile does not define adds no frame, on either path.
                    Some(table) => stacks.pool.extend(stack.iter().rev().filter_map(|id| {
                        usize::try_from(*id).ok().and_then(|i| table.get(i)).copied().filter(|n| *n != NONE)
                    })),
                    None => profile.push_root_first(stack, &mut stacks.pool),
                }
                stacks.spans.push((start, stacks.pool.len() - start));
                stacks.values.push(v);
                stacks.slots.push(slot);
            }
        }
        stacks
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    /// Sample `s`'s frame at `depth` (0 = the outermost), if it is that deep.
    #[inline]
    fn frame(&self, s: usize, depth: usize) -> Option<u32> {
        let (start, len) = self.spans[s];
        (depth < len).then(|| self.pool[start + depth])
    }
}

/// A node still to lay out, with the samples that pass through it.
struct Pending {
    name: u32,
    depth: u32,
    x: i64,
    value: [i64; 2],
    samples: Vec<u32>,
}

/// A node's children by name, reusing one index of every name between nodes.
struct Grouping {
    slot_of_name: Vec<u32>,
    groups: Vec<Pending>,
}

const NONE: u32 = u32::MAX;
const ROOT_NAME: &str = "root";

/// Lays the call tree out in pre-order, widest child first, building only the nodes at
/// least `min_value` wide: a million distinct stacks cost as much as their wide prefixes.
fn layout(
    stacks: &Stacks,
    names: &[&str],
    root: u32,
    min_value: i64,
    diff: bool,
) -> (Vec<String>, Vec<FlameNode>, usize) {
    let mut used = vec![NONE; names.len()];
    let mut out_names = Vec::new();
    let mut nodes = Vec::new();
    let mut dropped = 0usize;
    let mut value = [0i64; 2];
    for (v, slot) in stacks.values.iter().zip(&stacks.slots) {
        value[usize::from(*slot)] += v;
    }
    let all = (0..u32::try_from(stacks.len()).unwrap_or(u32::MAX)).collect();
    let mut pending = vec![Pending { name: root, depth: 0, x: 0, value, samples: all }];
    let mut grouping = Grouping { slot_of_name: vec![NONE; names.len()], groups: Vec::new() };
    while let Some(p) = pending.pop() {
        let name = &mut used[p.name as usize];
        if *name == NONE {
            out_names.push(names[p.name as usize].to_string());
            *name = u32::try_from(out_names.len() - 1).unwrap_or(NONE);
        }
        let mut own = 0i64;
        let depth = p.depth as usize;
        for &s in &p.samples {
            let (v, slot) = (stacks.values[s as usize], usize::from(stacks.slots[s as usize]));
            let Some(child) = stacks.frame(s as usize, depth) else {
                if slot == 0 {
                    own += v;
                }
                continue;
            };
            let g = &mut grouping.slot_of_name[child as usize];
            if *g == NONE {
                *g = u32::try_from(grouping.groups.len()).unwrap_or(NONE);
                grouping.groups.push(Pending {
                    name: child,
                    depth: p.depth + 1,
                    x: 0,
                    value: [0; 2],
                    samples: Vec::new(),
                });
            }
            let group = &mut grouping.groups[*g as usize];
            group.value[slot] += v;
            group.samples.push(s);
        }
        nodes.push(FlameNode {
            name: *name,
            depth: p.depth,
            x: p.x,
            value: p.value[0],
            own,
            before: diff.then_some(p.value[1]),
        });
        let mut children = std::mem::take(&mut grouping.groups);
        for c in &children {
            grouping.slot_of_name[c.name as usize] = NONE;
        }
        children.sort_unstable_by(|a, b| {
            b.value[0].cmp(&a.value[0]).then_with(|| names[a.name as usize].cmp(names[b.name as usize]))
        });
        let mut offset = p.x;
        let mut placed = Vec::with_capacity(children.len());
        for mut c in children {
            if c.value[0] <= 0 || c.value[0] < min_value {
                dropped += usize::from(c.value[0] > 0);
                continue;
            }
            c.x = offset;
            offset += c.value[0];
            placed.push(c);
        }
        // The stack pops last-in first: push in reverse so the widest comes out first.
        pending.extend(placed.into_iter().rev());
    }
    (out_names, nodes, dropped)
}

#[expect(clippy::cast_possible_truncation, clippy::cast_precision_loss, reason = "a share of a total")]
fn threshold(total: i64, min_fraction: f64) -> i64 {
    ((total.unsigned_abs() as f64) * min_fraction).ceil() as i64
}

fn nodes_total(stacks: &Stacks, slot: u8) -> i64 {
    stacks.values.iter().zip(&stacks.slots).filter(|(_, s)| **s == slot).map(|(v, _)| v).sum()
}

/// How a flamegraph is laid out.
#[derive(Clone, Copy, Debug)]
pub struct FlameOptions {
    /// Frames narrower than this share of the total are left out.
    pub min_fraction: f64,
    /// Leave out the runtime's scaffolding frames (`is_scaffolding`).
    pub collapse: bool,
}

impl Default for FlameOptions {
    fn default() -> Self {
        FlameOptions { min_fraction: DEFAULT_MIN_FRACTION, collapse: false }
    }
}

/// Marks the names to leave out, when collapsing.
fn collapse(stacks: &mut Stacks, names: &Names<'_>, options: FlameOptions) {
    if options.collapse {
        let skip: Vec<bool> = names.names.iter().map(|n| is_scaffolding(n)).collect();
        stacks.without(&skip);
    }
}

/// The flamegraph of one sample type (`None`: the profile's default).
pub fn flame(p: &Profile, sample: Option<&str>, min_fraction: f64) -> Result<FlameGraph, ProfileError> {
    flame_with(p, sample, FlameOptions { min_fraction, collapse: false })
}

/// The flamegraph of one sample type, laid out as `options` say.
pub fn flame_with(
    p: &Profile,
    sample: Option<&str>,
    options: FlameOptions,
) -> Result<FlameGraph, ProfileError> {
    let min_fraction = options.min_fraction;
    let mut names = Names::default();
    let root = names.intern(ROOT_NAME);
    let resolved = Resolved::new(p, sample, &mut names)?;
    let mut stacks = Stacks::new(&[&resolved]);
    collapse(&mut stacks, &names, options);
    let total: i64 = stacks.values.iter().sum();
    let (names_out, nodes, dropped) =
        layout(&stacks, &names.names, root, threshold(total, min_fraction), false);
    let t = resolved.sample_type();
    Ok(FlameGraph {
        sample: t.kind.clone(),
        unit: t.unit.clone(),
        total,
        before_total: None,
        sample_types: resolved.sample_types(),
        names: names_out,
        nodes,
        dropped,
    })
}

/// A differential flamegraph: widths from `after`, each frame with its `before` value on
/// the same call path, so a browser can colour growth and shrinkage.
pub fn diff_flame(
    before: &Profile,
    after: &Profile,
    sample: Option<&str>,
    min_fraction: f64,
) -> Result<FlameGraph, ProfileError> {
    diff_flame_with(before, after, sample, FlameOptions { min_fraction, collapse: false })
}

/// A differential flamegraph, laid out as `options` say.
pub fn diff_flame_with(
    before: &Profile,
    after: &Profile,
    sample: Option<&str>,
    options: FlameOptions,
) -> Result<FlameGraph, ProfileError> {
    let min_fraction = options.min_fraction;
    let mut names = Names::default();
    let root = names.intern(ROOT_NAME);
    let after_resolved = Resolved::new(after, sample, &mut names)?;
    let kind = after_resolved.sample_type().kind.clone();
    let before_resolved = Resolved::new(before, Some(&kind), &mut names)?;
    let mut stacks = Stacks::new(&[&after_resolved, &before_resolved]);
    collapse(&mut stacks, &names, options);
    let total = nodes_total(&stacks, 0);
    let (names_out, nodes, dropped) =
        layout(&stacks, &names.names, root, threshold(total, min_fraction), true);
    Ok(FlameGraph {
        sample: kind,
        unit: after_resolved.sample_type().unit.clone(),
        total,
        before_total: Some(nodes_total(&stacks, 1)),
        sample_types: after_resolved.sample_types(),
        names: names_out,
        nodes,
        dropped,
    })
}
