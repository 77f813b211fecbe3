//! Reads pprof profiles — gzipped `perftools.profiles.Profile` protobuf, as Go's runtime and
//! pprof-rs write them — with a protobuf decoder of our own (the format needs only varints
//! and length-delimited fields), and computes the `go tool pprof -top` table.

mod decode;
mod top;

pub use decode::{parse, Function, Line, Location, Profile, Sample, ValueType};
pub use top::{top, Top, TopRow};

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
