use crate::ProfileError;
use std::io::Read;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueType {
    pub kind: String,
    pub unit: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Leaf first.
    pub location_ids: Vec<u64>,
    pub values: Vec<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    pub function_id: u64,
    pub line: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub id: u64,
    pub mapping_id: u64,
    pub address: u64,
    /// Innermost (inlined) function first.
    pub lines: Vec<Line>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Function {
    pub id: u64,
    pub name: String,
    /// The symbol as the binary spells it (mangled), when the profile says.
    pub system_name: String,
    pub filename: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub sample_types: Vec<ValueType>,
    pub samples: Vec<Sample>,
    pub locations: Vec<Location>,
    pub functions: Vec<Function>,
    pub period_type: ValueType,
    pub period: i64,
    pub duration_nanos: i64,
    pub default_sample_type: i64,
}

/// The most a profile may grow to when ungzipped.
const MAX_RAW: u64 = 512 * 1024 * 1024;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn damaged<T>(&self, what: &str) -> Result<T, ProfileError> {
        Err(ProfileError::Damaged { offset: self.base + self.pos, what: what.to_string() })
    }

    fn varint(&mut self) -> Result<u64, ProfileError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else { return self.damaged("a varint runs past the end") };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        self.damaged("a varint is longer than 10 bytes")
    }

    fn bytes(&mut self) -> Result<Reader<'a>, ProfileError> {
        let len = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
        let Some(end) = self.pos.checked_add(len).filter(|e| *e <= self.buf.len()) else {
            return self.damaged("a field runs past the end");
        };
        let inner = Reader { buf: &self.buf[self.pos..end], pos: 0, base: self.base + self.pos };
        self.pos = end;
        Ok(inner)
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The next (field number, wire type).
    fn key(&mut self) -> Result<(u64, u8), ProfileError> {
        let k = self.varint()?;
        Ok((k >> 3, u8::try_from(k & 7).unwrap_or(7)))
    }

    fn skip(&mut self, wire: u8) -> Result<(), ProfileError> {
        match wire {
            0 => self.varint().map(|_| ()),
            1 => self.advance(8),
            2 => self.bytes().map(|_| ()),
            5 => self.advance(4),
            _ => self.damaged("an unknown wire type"),
        }
    }

    fn advance(&mut self, n: usize) -> Result<(), ProfileError> {
        if self.pos + n > self.buf.len() {
            return self.damaged("a fixed-size field runs past the end");
        }
        self.pos += n;
        Ok(())
    }

    /// A repeated integer field, packed or not.
    fn repeated(&mut self, wire: u8, out: &mut Vec<u64>) -> Result<(), ProfileError> {
        if wire == 2 {
            let mut inner = self.bytes()?;
            while !inner.done() {
                out.push(inner.varint()?);
            }
            Ok(())
        } else {
            out.push(self.varint()?);
            Ok(())
        }
    }
}

#[expect(clippy::cast_possible_wrap, reason = "protobuf int64 travels as its two's-complement varint")]
fn int(v: u64) -> i64 {
    v as i64
}

fn value_type(mut r: Reader<'_>) -> Result<(i64, i64), ProfileError> {
    let (mut kind, mut unit) = (0, 0);
    while !r.done() {
        match r.key()? {
            (1, 0) => kind = int(r.varint()?),
            (2, 0) => unit = int(r.varint()?),
            (_, w) => r.skip(w)?,
        }
    }
    Ok((kind, unit))
}

fn sample(mut r: Reader<'_>) -> Result<Sample, ProfileError> {
    let mut locations = Vec::new();
    let mut values = Vec::new();
    while !r.done() {
        match r.key()? {
            (1, w) => r.repeated(w, &mut locations)?,
            (2, w) => r.repeated(w, &mut values)?,
            (_, w) => r.skip(w)?,
        }
    }
    Ok(Sample { location_ids: locations, values: values.into_iter().map(int).collect() })
}

fn location(mut r: Reader<'_>) -> Result<Location, ProfileError> {
    let mut loc = Location::default();
    while !r.done() {
        match r.key()? {
            (1, 0) => loc.id = r.varint()?,
            (2, 0) => loc.mapping_id = r.varint()?,
            (3, 0) => loc.address = r.varint()?,
            (4, 2) => {
                let mut l = r.bytes()?;
                let mut line = Line::default();
                while !l.done() {
                    match l.key()? {
                        (1, 0) => line.function_id = l.varint()?,
                        (2, 0) => line.line = int(l.varint()?),
                        (_, w) => l.skip(w)?,
                    }
                }
                loc.lines.push(line);
            }
            (_, w) => r.skip(w)?,
        }
    }
    Ok(loc)
}

fn function(mut r: Reader<'_>) -> Result<(u64, i64, i64, i64), ProfileError> {
    let (mut id, mut name, mut system, mut file) = (0, 0, 0, 0);
    while !r.done() {
        match r.key()? {
            (1, 0) => id = r.varint()?,
            (2, 0) => name = int(r.varint()?),
            (3, 0) => system = int(r.varint()?),
            (4, 0) => file = int(r.varint()?),
            (_, w) => r.skip(w)?,
        }
    }
    Ok((id, name, system, file))
}

/// Decodes a profile, gzipped (as served and stored) or not.
pub fn parse(bytes: &[u8]) -> Result<Profile, ProfileError> {
    let raw;
    let data = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_RAW)
            .read_to_end(&mut out)
            .map_err(|e| ProfileError::NotAProfile(format!("the gzip stream is damaged ({e})")))?;
        raw = out;
        &raw[..]
    } else {
        bytes
    };
    if data.is_empty() {
        return Err(ProfileError::NotAProfile("it is empty".into()));
    }
    let mut r = Reader { buf: data, pos: 0, base: 0 };
    let mut p = Profile::default();
    let mut strings: Vec<String> = Vec::new();
    let mut types: Vec<(i64, i64)> = Vec::new();
    let mut functions: Vec<(u64, i64, i64, i64)> = Vec::new();
    let mut mappings: Vec<(u64, i64)> = Vec::new();
    let mut period_type = (0, 0);
    while !r.done() {
        match r.key()? {
            (1, 2) => types.push(value_type(r.bytes()?)?),
            (2, 2) => p.samples.push(sample(r.bytes()?)?),
            (3, 2) => mappings.push(mapping(r.bytes()?)?),
            (4, 2) => p.locations.push(location(r.bytes()?)?),
            (5, 2) => functions.push(function(r.bytes()?)?),
            (6, 2) => {
                let s = r.bytes()?;
                strings.push(String::from_utf8_lossy(s.buf).into_owned());
            }
            (10, 0) => p.duration_nanos = int(r.varint()?),
            (11, 2) => period_type = value_type(r.bytes()?)?,
            (12, 0) => p.period = int(r.varint()?),
            (14, 0) => p.default_sample_type = int(r.varint()?),
            (_, w) => r.skip(w)?,
        }
    }
    let s = |i: i64| usize::try_from(i).ok().and_then(|i| strings.get(i)).cloned().unwrap_or_default();
    p.sample_types = types.into_iter().map(|(k, u)| ValueType { kind: s(k), unit: s(u) }).collect();
    p.period_type = ValueType { kind: s(period_type.0), unit: s(period_type.1) };
    p.functions = functions
        .into_iter()
        .map(|(id, n, sys, f)| Function { id, name: s(n), system_name: s(sys), filename: s(f) })
        .collect();
    if p.sample_types.is_empty() {
        return Err(ProfileError::NotAProfile("it declares no sample type".into()));
    }
    let mappings: Vec<(u64, String)> = mappings.into_iter().map(|(id, file)| (id, s(file))).collect();
    name_unsymbolized(&mut p, &mappings);
    Ok(p)
}

fn mapping(mut r: Reader<'_>) -> Result<(u64, i64), ProfileError> {
    let (mut id, mut file) = (0, 0);
    while !r.done() {
        match r.key()? {
            (1, 0) => id = r.varint()?,
            (5, 0) => file = int(r.varint()?),
            (_, w) => r.skip(w)?,
        }
    }
    Ok((id, file))
}

/// A location without symbols stands for its binary, as go tool pprof shows it at function
/// granularity: `[switchboard-demo]`, or `<unknown>` without a mapping.
fn name_unsymbolized(p: &mut Profile, mappings: &[(u64, String)]) {
    let mut next_id = p.functions.iter().map(|f| f.id).max().unwrap_or(0) + 1;
    let mut by_name: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for loc in p.locations.iter_mut().filter(|l| l.lines.is_empty()) {
        let file = mappings.iter().find(|(id, _)| *id == loc.mapping_id).map(|(_, f)| f.as_str());
        let name = match file.map(|f| f.rsplit('/').next().unwrap_or(f)) {
            Some(base) if !base.is_empty() => format!("[{base}]"),
            _ => "<unknown>".to_string(),
        };
        let id = *by_name.entry(name.clone()).or_insert_with(|| {
            p.functions.push(Function { id: next_id, name, ..Function::default() });
            next_id += 1;
            next_id - 1
        });
        loc.lines.push(Line { function_id: id, line: 0 });
    }
}
