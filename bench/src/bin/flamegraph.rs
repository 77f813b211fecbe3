//! Flamegraph data for a 1,000,000-sample profile: the bar is under 500 ms.
//!
//! The profile is synthetic but shaped like a busy service's: 3,000 functions in a call
//! graph where each calls a handful of others, stacks 8 to 48 frames deep, and enough
//! variety that most of the million samples have a stack of their own.

use pprofile::{flame, Function, Line, Location, Profile, Sample, ValueType, DEFAULT_MIN_FRACTION};
use std::time::Instant;

const SAMPLES: usize = 1_000_000;
const FUNCTIONS: u64 = 3_000;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `inlined`: every tenth location also carries an inlined function (as Go's profiles do),
/// which takes the slower path that expands every stack.
fn synthetic_profile(inlined: bool) -> Profile {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let functions = (1..=FUNCTIONS)
        .map(|id| Function {
            id,
            name: format!("service::module_{}::function_{id}", id % 40),
            filename: format!("src/module_{}.rs", id % 40),
            system_name: String::new(),
        })
        .collect();
    let locations = (1..=FUNCTIONS)
        .map(|id| {
            let mut lines = vec![Line { function_id: id, line: 10 }];
            if inlined && id % 10 == 0 {
                lines.insert(0, Line { function_id: id % 97 + 1, line: 20 });
            }
            Location { id, mapping_id: 0, address: 0x1000 + id * 16, lines }
        })
        .collect();
    // Each function calls one of 4 others; entry points are the first 20 functions.
    let callees: Vec<[u64; 4]> =
        (0..=FUNCTIONS).map(|_| std::array::from_fn(|_| 1 + rng.below(FUNCTIONS))).collect();
    let samples = (0..SAMPLES)
        .map(|_| {
            let depth = 8 + rng.below(41);
            let mut at = 1 + rng.below(20);
            let mut root_first = Vec::with_capacity(depth as usize);
            for _ in 0..depth {
                root_first.push(at);
                at = callees[at as usize][rng.below(4) as usize];
            }
            root_first.reverse();
            Sample { location_ids: root_first, values: vec![1, 10_000_000] }
        })
        .collect();
    Profile {
        sample_types: vec![
            ValueType { kind: "samples".into(), unit: "count".into() },
            ValueType { kind: "cpu".into(), unit: "nanoseconds".into() },
        ],
        samples,
        locations,
        functions,
        period_type: ValueType { kind: "cpu".into(), unit: "nanoseconds".into() },
        period: 10_000_000,
        duration_nanos: 10_000_000_000,
        default_sample_type: 0,
    }
}

/// A minimal protobuf writer: enough of perftools.profiles.Profile to write the synthetic
/// profile as a real `.pb.gz`, so decoding is measured too and the page can load it.
struct Pb(Vec<u8>);

impl Pb {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn key(&mut self, field: u64, wire: u64) {
        self.varint(field << 3 | wire);
    }
    fn uint(&mut self, field: u64, v: u64) {
        self.key(field, 0);
        self.varint(v);
    }
    fn bytes(&mut self, field: u64, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn packed(&mut self, field: u64, values: impl Iterator<Item = u64>) {
        let mut inner = Pb(Vec::new());
        for v in values {
            inner.varint(v);
        }
        self.bytes(field, &inner.0);
    }
}

fn encode(p: &Profile) -> Vec<u8> {
    let mut strings: Vec<String> = vec![String::new()];
    let mut index = |s: &str| -> u64 {
        if let Some(i) = strings.iter().position(|x| x == s) {
            return i as u64;
        }
        strings.push(s.to_string());
        (strings.len() - 1) as u64
    };
    let mut out = Pb(Vec::new());
    for t in &p.sample_types {
        let mut vt = Pb(Vec::new());
        vt.uint(1, index(&t.kind));
        vt.uint(2, index(&t.unit));
        out.bytes(1, &vt.0);
    }
    for s in &p.samples {
        let mut sample = Pb(Vec::new());
        sample.packed(1, s.location_ids.iter().copied());
        sample.packed(2, s.values.iter().map(|v| *v as u64));
        out.bytes(2, &sample.0);
    }
    for l in &p.locations {
        let mut loc = Pb(Vec::new());
        loc.uint(1, l.id);
        loc.uint(3, l.address);
        for line in &l.lines {
            let mut ln = Pb(Vec::new());
            ln.uint(1, line.function_id);
            ln.uint(2, line.line as u64);
            loc.bytes(4, &ln.0);
        }
        out.bytes(4, &loc.0);
    }
    for f in &p.functions {
        let mut fun = Pb(Vec::new());
        fun.uint(1, f.id);
        fun.uint(2, index(&f.name));
        fun.uint(4, index(&f.filename));
        out.bytes(5, &fun.0);
    }
    for s in &strings {
        out.bytes(6, s.as_bytes());
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &out.0).expect("gzip");
    gz.finish().expect("gzip")
}

fn measure(label: &str, profile: &Profile) {
    let distinct: std::collections::HashSet<&[u64]> =
        profile.samples.iter().map(|s| s.location_ids.as_slice()).collect();
    println!("{label}: {SAMPLES} samples, {} distinct stacks, {FUNCTIONS} functions", distinct.len());
    let mut best = f64::MAX;
    let mut graph = None;
    for _ in 0..5 {
        let start = Instant::now();
        let g = flame(profile, None, DEFAULT_MIN_FRACTION).expect("a flamegraph");
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        graph = Some(g);
    }
    let graph = graph.expect("ran");
    let json = serde_json::to_vec(&graph).expect("serialises");
    println!(
        "  {} frames drawn, {} narrower than {:.2}% left out, {} KiB as JSON",
        graph.nodes.len(),
        graph.dropped,
        DEFAULT_MIN_FRACTION * 100.0,
        json.len() / 1024
    );
    println!("  flamegraph data prepared in {best:.0} ms (best of 5; the bar is 500 ms)");
}

fn main() {
    let plain = synthetic_profile(false);
    measure("without inlined frames", &plain);
    measure("with inlined frames", &synthetic_profile(true));

    // From the stored file, as the hub serves a flamegraph: decode, then prepare.
    let file = encode(&plain);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench/profile-1m.pb.gz");
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("target/bench");
    std::fs::write(&path, &file).expect("write the profile");
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let p = pprofile::parse(&file).expect("decodes");
        let g = flame(&p, None, DEFAULT_MIN_FRACTION).expect("a flamegraph");
        assert_eq!(g.total, 1_000_000 * 10_000_000);
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "from the stored .pb.gz ({} MiB, {}): decoded and prepared in {best:.0} ms (best of 3)",
        file.len() / (1 << 20),
        path.display()
    );
}
