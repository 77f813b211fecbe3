//! Reads pprof profiles — gzipped `perftools.profiles.Profile` protobuf, as Go's runtime and
//! pprof-rs write them — with a protobuf decoder of our own (the format needs only varints
//! and length-delimited fields), and computes what the hub shows of them: the
//! `go tool pprof -top` table, flamegraph data, callers and callees, and diffs.

mod decode;
mod diff;
mod flame;
mod neighbours;
mod stacks;
mod top;

pub use decode::{parse, Function, Line, Location, Profile, Sample, ValueType};
pub use diff::diff;
pub use flame::{
    diff_flame, diff_flame_with, flame, flame_with, is_scaffolding, FlameOptions, DEFAULT_MIN_FRACTION,
};
pub use neighbours::neighbours;
pub use top::top;
pub use types::profiles::{
    package_of, DiffRow, Edge, FlameGraph, FlameNode, Neighbours, Top, TopDiff, TopRow,
};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("not a profile: {0}")]
    NotAProfile(String),
    #[error("the profile is damaged at byte {offset}: {what}")]
    Damaged { offset: usize, what: String },
    #[error("the profile has no sample type {0:?}")]
    NoSampleType(String),
}

#[cfg(test)]
mod tests;
