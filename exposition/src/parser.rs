use crate::model::{Exemplar, Exposition, Family, Label, Limits, MetricType, Sample};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hasher};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0.
    OpenMetrics,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

// foldhash: fast and of good quality; series are told apart by a 64-bit hash of their
// name and labels.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
type FastSet<K> = HashSet<K, foldhash::fast::FixedState>;

pub fn parse<'a>(input: &'a str, format: Format, limits: &Limits) -> Result<Exposition<'a>, ParseError> {
    if input.len() > limits.max_bytes {
        return Err(ParseError {
            line: 0,
            column: 0,
            message: format!("the body has {} bytes, over the limit of {}", input.len(), limits.max_bytes),
        });
    }
    Parser::new(input, format, limits).run()
}

struct Parser<'a, 'l> {
    input: &'a str,
    om: bool,
    limits: &'l Limits,
    out: Exposition<'a>,
    family_of_sample: Vec<u32>,
    has_samples: Vec<bool>,
    by_name: FastMap<&'a str, u32>,
    series: FastSet<u64>,
    current: Option<u32>,
    line: usize,
    line_start: usize,
}

/// A position within the current line, for errors.
type At = usize;

impl<'a, 'l> Parser<'a, 'l> {
    fn new(input: &'a str, format: Format, limits: &'l Limits) -> Self {
        let estimate = input.len() / 64;
        Parser {
            input,
            om: format == Format::OpenMetrics,
            limits,
            out: Exposition {
                families: Vec::new(),
                samples: Vec::with_capacity(estimate),
                labels: Vec::with_capacity(estimate * 2),
            },
            family_of_sample: Vec::with_capacity(estimate),
            has_samples: Vec::new(),
            by_name: FastMap::default(),
            series: FastSet::default(),
            current: None,
            line: 0,
            line_start: 0,
        }
    }

    fn error<T>(&self, at: At, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError { line: self.line, column: at + 1, message: message.into() })
    }

    fn run(mut self) -> Result<Exposition<'a>, ParseError> {
        let bytes = self.input.as_bytes();
        let mut pos = 0;
        let mut eof = false;
        while pos < bytes.len() {
            self.line += 1;
            self.line_start = pos;
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            let mut line = &self.input[pos..end];
            pos = end + 1;
            if !self.om {
                line = line.strip_suffix('\r').unwrap_or(line);
            }
            if eof {
                return self.error(0, "nothing may follow # EOF");
            }
            if line.is_empty() || (!self.om && line.bytes().all(|b| b == b' ' || b == b'\t')) {
                if self.om {
                    return self.error(0, "blank lines are not allowed in OpenMetrics");
                }
                continue;
            }
            if line.as_bytes()[0] == b'#' {
                eof = self.comment(line)?;
            } else {
                self.sample(line)?;
            }
        }
        if self.om && !eof {
            self.line += 1;
            return self.error(0, "the body must end with # EOF");
        }
        self.finish();
        Ok(self.out)
    }

    /// Groups samples by family: a text body may interleave families, or declare them in
    /// another order than their samples come in.
    fn finish(&mut self) {
        if !self.family_of_sample.is_sorted() {
            let mut order: Vec<usize> = (0..self.out.samples.len()).collect();
            order.sort_by_key(|i| self.family_of_sample[*i]);
            let mut samples = std::mem::take(&mut self.out.samples).into_iter().map(Some).collect::<Vec<_>>();
            self.out.samples = order.iter().filter_map(|i| samples[*i].take()).collect();
            self.family_of_sample = order.iter().map(|i| self.family_of_sample[*i]).collect();
        }
        let mut start = 0usize;
        for (f, family) in self.out.families.iter_mut().enumerate() {
            let mut end = start;
            while end < self.family_of_sample.len() && self.family_of_sample[end] as usize == f {
                end += 1;
            }
            family.samples = u32::try_from(start).unwrap_or(u32::MAX)..u32::try_from(end).unwrap_or(u32::MAX);
            start = end;
        }
    }

    /// `# HELP`, `# TYPE`, `# UNIT`, `# EOF`, or (text only) a comment. True at `# EOF`.
    fn comment(&mut self, line: &'a str) -> Result<bool, ParseError> {
        let rest = &line[1..];
        if self.om && rest == " EOF" {
            return Ok(true);
        }
        let Some(rest) =
            rest.strip_prefix(' ').or_else(|| (!self.om).then(|| rest.trim_start_matches([' ', '\t'])))
        else {
            return if self.om { self.error(1, "expected a space after #") } else { Ok(false) };
        };
        let (keyword, after) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
        let offset = line.len() - after.len();
        match keyword {
            "HELP" | "TYPE" | "UNIT" if keyword != "UNIT" || self.om => {}
            _ if self.om => return self.error(2, "expected HELP, TYPE, UNIT or EOF after #"),
            _ => return Ok(false),
        }
        let after = if self.om { after } else { after.trim_start_matches([' ', '\t']) };
        let name_len = metric_name_len(after.as_bytes());
        if name_len == 0 {
            return self.error(offset, format!("expected a metric name after # {keyword}"));
        }
        let name = &after[..name_len];
        let text = &after[name_len..];
        let text = match text.strip_prefix(' ') {
            Some(t) => t,
            None if text.is_empty() => "",
            None => {
                return self.error(
                    offset + name_len,
                    format!("expected a space after the metric name in # {keyword}"),
                )
            }
        };
        let family = self.metadata_family(name, offset)?;
        match keyword {
            "HELP" => {
                if self.out.families[family].help.is_some() {
                    return self.error(0, format!("second HELP line for {name}"));
                }
                let help = unescape(text, self.om)
                    .map_err(|i| self.err_at(offset + name_len + 1 + i, "bad escape in HELP"))?;
                self.out.families[family].help = Some(help);
            }
            "TYPE" => {
                let word = if self.om { text } else { text.trim_end_matches([' ', '\t']) };
                let Some(kind) = MetricType::parse(word).filter(|k| self.om || legacy_type(*k)) else {
                    return self.error(offset + name_len + 1, format!("unknown metric type {word:?}"));
                };
                let f = &mut self.out.families[family];
                if f.typed {
                    return self.error(0, format!("second TYPE line for {name}"));
                }
                f.kind = kind;
                f.typed = true;
            }
            _ => {
                if !text.is_empty() && !name.ends_with(&format!("_{text}")) {
                    return self
                        .error(offset + name_len + 1, format!("the unit {text} must be a suffix of {name}"));
                }
                self.out.families[family].unit = Some(text);
            }
        }
        Ok(false)
    }

    fn err_at(&self, at: At, message: &str) -> ParseError {
        ParseError { line: self.line, column: at + 1, message: message.to_string() }
    }

    /// The family a metadata line talks about; metadata must come before its samples.
    fn metadata_family(&mut self, name: &'a str, at: At) -> Result<usize, ParseError> {
        if let Some(&f) = self.by_name.get(name) {
            if self.has_samples[f as usize] {
                return self.error(at, format!("metadata for {name} comes after its samples"));
            }
            if self.om && self.current != Some(f) {
                return self.error(at, format!("the metadata of {name} is not together"));
            }
            self.current = Some(f);
            return Ok(f as usize);
        }
        Ok(self.new_family(name, MetricType::Unknown) as usize)
    }

    fn new_family(&mut self, name: &'a str, kind: MetricType) -> u32 {
        let index = u32::try_from(self.out.families.len()).unwrap_or(u32::MAX);
        self.out.families.push(Family { name, kind, typed: false, help: None, unit: None, samples: 0..0 });
        self.has_samples.push(false);
        self.by_name.insert(name, index);
        self.current = Some(index);
        index
    }

    /// Which family a sample name belongs to: the current one when it fits, else a declared
    /// family whose type allows the suffix, else a new untyped family.
    fn family_for(&mut self, name: &'a str) -> Result<u32, ParseError> {
        if let Some(c) = self.current {
            if fits(&self.out.families[c as usize], name) {
                return Ok(c);
            }
        }
        let found = self.by_name.get(name).copied().or_else(|| {
            let cut = name.rfind('_')?;
            let f = *self.by_name.get(&name[..cut])?;
            fits(&self.out.families[f as usize], name).then_some(f)
        });
        let f = match found {
            Some(f) => f,
            None => self.new_family(name, MetricType::Unknown),
        };
        if self.current != Some(f) {
            // OpenMetrics families are blocks: once another family has begun, an earlier
            // one is closed.
            let closed = self.has_samples[f as usize] || f as usize + 1 != self.out.families.len();
            if self.om && closed {
                return self.error(
                    0,
                    format!("the samples of {} are not together", self.out.families[f as usize].name),
                );
            }
            self.current = Some(f);
        }
        Ok(f)
    }

    fn sample(&mut self, line: &'a str) -> Result<(), ParseError> {
        let b = line.as_bytes();
        let name_len = metric_name_len(b);
        if name_len == 0 {
            return self.error(0, "expected a metric name or #");
        }
        let name = &line[..name_len];
        let family = self.family_for(name)?;
        if self.om
            && self.out.families[family as usize].kind == MetricType::Counter
            && !name.ends_with("_total")
            && !name.ends_with("_created")
        {
            return self.error(0, format!("a counter's sample must be named {name}_total or {name}_created"));
        }
        let label_start = self.out.labels.len();
        let mut i = name_len;
        // The text format allows blanks between the name and its labels.
        let after_blank = self.skip_blank(b, i);
        if after_blank < b.len() && b[after_blank] == b'{' {
            i = after_blank;
            i = self.label_set(line, i, LabelTarget::Sample)?;
        }
        let labels = u32::try_from(label_start).unwrap_or(u32::MAX)
            ..u32::try_from(self.out.labels.len()).unwrap_or(u32::MAX);
        if labels.len() > self.limits.max_labels_per_sample {
            return self.error(
                name_len,
                format!("more than {} labels on one sample", self.limits.max_labels_per_sample),
            );
        }
        i = self.space(b, i, "a space before the value")?;
        let (value, next) = self.number(line, i, "a value")?;
        i = next;
        let mut timestamp_ms = None;
        let mut exemplar = None;
        if i < b.len() {
            i = self.space(b, i, "a space")?;
            if i < b.len() && b[i] != b'#' {
                let (ts, next) = self.timestamp(line, i)?;
                timestamp_ms = Some(ts);
                i = next;
                if i < b.len() {
                    i = self.space(b, i, "a space")?;
                }
            }
            if i < b.len() {
                if !self.om || b[i] != b'#' {
                    return self.error(i, "unexpected text after the value");
                }
                let (ex, next) = self.exemplar(line, i)?;
                exemplar = Some(Box::new(ex));
                i = next;
            }
        }
        if i < b.len() {
            return self.error(i, "unexpected text after the value");
        }
        if self.out.samples.len() >= self.limits.max_samples {
            return self.error(0, format!("more than {} samples (the limit)", self.limits.max_samples));
        }
        let mut h = foldhash::fast::FixedState::with_seed(0x5eed).build_hasher();
        h.write(name.as_bytes());
        for l in &self.out.labels[label_start..] {
            h.write(&[0xff]);
            h.write(l.name.as_bytes());
            h.write(&[0xfe]);
            h.write(l.value.as_bytes());
        }
        if !self.series.insert(h.finish()) {
            return self.error(0, format!("duplicate series {}", &line[..i.min(line.len()).min(200)]));
        }
        self.out.samples.push(Sample {
            name,
            labels,
            value,
            timestamp_ms,
            exemplar,
            line: u32::try_from(self.line).unwrap_or(u32::MAX),
        });
        self.family_of_sample.push(family);
        self.has_samples[family as usize] = true;
        Ok(())
    }

    /// One separator: exactly one space in OpenMetrics, spaces or tabs in the text format.
    fn space(&self, b: &[u8], i: usize, what: &str) -> Result<usize, ParseError> {
        if i >= b.len() || (b[i] != b' ' && (self.om || b[i] != b'\t')) {
            return self.error(i, format!("expected {what}"));
        }
        if self.om {
            return Ok(i + 1);
        }
        let mut j = i;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        Ok(j)
    }

    fn number(&self, line: &'a str, i: usize, what: &str) -> Result<(f64, usize), ParseError> {
        let b = line.as_bytes();
        let end = b[i..].iter().position(|c| *c == b' ' || *c == b'\t').map_or(b.len(), |p| i + p);
        let token = &line[i..end];
        if token.is_empty() {
            return self.error(i, format!("expected {what}"));
        }
        match parse_float(token, self.om) {
            Some(v) => Ok((v, end)),
            None => self.error(i, format!("expected {what}, found {token:?}")),
        }
    }

    fn timestamp(&self, line: &'a str, i: usize) -> Result<(i64, usize), ParseError> {
        if self.om {
            let (seconds, end) = self.number(line, i, "a timestamp")?;
            if !seconds.is_finite() {
                return self.error(i, "a timestamp must be a finite number of seconds");
            }
            #[expect(clippy::cast_possible_truncation, reason = "milliseconds of any real date fit an i64")]
            return Ok(((seconds * 1000.0).round() as i64, end));
        }
        let b = line.as_bytes();
        let end = b[i..].iter().position(|c| *c == b' ' || *c == b'\t').map_or(b.len(), |p| i + p);
        match line[i..end].parse::<i64>() {
            Ok(ms) => Ok((ms, end)),
            Err(_) => {
                self.error(i, format!("expected a timestamp in milliseconds, found {:?}", &line[i..end]))
            }
        }
    }

    /// ` # {labels} value [timestamp]` after an OpenMetrics sample.
    fn exemplar(&mut self, line: &'a str, i: usize) -> Result<(Exemplar<'a>, usize), ParseError> {
        let b = line.as_bytes();
        let mut i = i + 1;
        i = self.space(b, i, "a space after # (exemplar)")?;
        if i >= b.len() || b[i] != b'{' {
            return self.error(i, "expected { to start the exemplar's labels");
        }
        let before = self.out.labels.len();
        i = self.label_set(line, i, LabelTarget::Exemplar)?;
        let labels: Vec<Label<'a>> = self.out.labels.drain(before..).collect();
        let runes: usize = labels.iter().map(|l| l.name.chars().count() + l.value.chars().count()).sum();
        if runes > 128 {
            return self.error(i, "an exemplar's labels may have at most 128 characters");
        }
        i = self.space(b, i, "a space before the exemplar's value")?;
        let (value, mut i) = self.number(line, i, "the exemplar's value")?;
        let mut timestamp = None;
        if i < b.len() {
            i = self.space(b, i, "a space")?;
            let (ts, next) = self.number(line, i, "the exemplar's timestamp")?;
            timestamp = Some(ts);
            i = next;
        }
        Ok((Exemplar { labels, value, timestamp }, i))
    }

    /// `{name="value",…}` starting at `i` (the `{`); returns the index after `}`.
    fn label_set(&mut self, line: &'a str, mut i: usize, target: LabelTarget) -> Result<usize, ParseError> {
        let b = line.as_bytes();
        i += 1;
        let first = self.out.labels.len();
        loop {
            i = self.skip_blank(b, i);
            if i < b.len() && b[i] == b'}' {
                // `{}` is fine; a trailing comma only in the text format.
                if self.om && self.out.labels.len() > first {
                    return self.error(i, "expected a label name after ,");
                }
                return Ok(i + 1);
            }
            let name_len = label_name_len(&b[i..]);
            if name_len == 0 {
                return self.error(i, "expected a label name or }");
            }
            let name = &line[i..i + name_len];
            let name_at = i;
            if name_len > self.limits.max_label_name_len {
                return self
                    .error(i, format!("label name longer than {} bytes", self.limits.max_label_name_len));
            }
            i = self.skip_blank(b, i + name_len);
            if i >= b.len() || b[i] != b'=' {
                return self.error(i, format!("expected = after the label name {name}"));
            }
            i = self.skip_blank(b, i + 1);
            if i >= b.len() || b[i] != b'"' {
                return self.error(i, format!("expected \" to open the value of {name}"));
            }
            let (value, end) = self.label_value(line, i + 1)?;
            if value.len() > self.limits.max_label_value_len {
                return self.error(
                    i,
                    format!("value of {name} longer than {} bytes", self.limits.max_label_value_len),
                );
            }
            if target == LabelTarget::Sample && self.out.labels[first..].iter().any(|l| l.name == name) {
                return self.error(name_at, format!("label {name} appears twice"));
            }
            self.out.labels.push(Label { name, value });
            i = self.skip_blank(b, end);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => return Ok(i + 1),
                _ => return self.error(i, "expected , or } after a label"),
            }
        }
    }

    fn skip_blank(&self, b: &[u8], mut i: usize) -> usize {
        if !self.om {
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
        }
        i
    }

    /// A quoted label value starting after its opening quote; returns it and the index after
    /// the closing quote. Borrowed unless it has escapes.
    fn label_value(&self, line: &'a str, start: usize) -> Result<(Cow<'a, str>, usize), ParseError> {
        let b = line.as_bytes();
        match memchr::memchr2(b'"', b'\\', &b[start..]) {
            None => self.error(line.len(), "expected \" to close the label value"),
            Some(p) if b[start + p] == b'"' => Ok((Cow::Borrowed(&line[start..start + p]), start + p + 1)),
            Some(_) => {
                let mut out = String::new();
                let mut i = start;
                loop {
                    match memchr::memchr2(b'"', b'\\', &b[i..]) {
                        None => return self.error(line.len(), "expected \" to close the label value"),
                        Some(p) if b[i + p] == b'"' => {
                            out.push_str(&line[i..i + p]);
                            return Ok((Cow::Owned(out), i + p + 1));
                        }
                        Some(p) => {
                            out.push_str(&line[i..i + p]);
                            let esc = i + p + 1;
                            match b.get(esc) {
                                Some(b'\\') => out.push('\\'),
                                Some(b'"') => out.push('"'),
                                Some(b'n') => out.push('\n'),
                                Some(_) if !self.om => {
                                    // Prometheus keeps an unknown escape as written.
                                    out.push('\\');
                                    i = esc;
                                    continue;
                                }
                                _ => {
                                    return self
                                        .error(esc - 1, "bad escape in a label value: use \\\\, \\\" or \\n")
                                }
                            }
                            i = esc + 1;
                        }
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LabelTarget {
    Sample,
    Exemplar,
}

/// Types the classic text format knows.
fn legacy_type(k: MetricType) -> bool {
    matches!(
        k,
        MetricType::Counter
            | MetricType::Gauge
            | MetricType::Histogram
            | MetricType::Summary
            | MetricType::Unknown
    )
}

fn fits(family: &Family<'_>, sample: &str) -> bool {
    if sample == family.name {
        return true;
    }
    sample.len() > family.name.len()
        && sample.starts_with(family.name)
        && family.kind.suffixes().contains(&&sample[family.name.len()..])
}

fn metric_name_len(b: &[u8]) -> usize {
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b':' => {}
        _ => return 0,
    }
    b.iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b':')).unwrap_or(b.len())
}

fn label_name_len(b: &[u8]) -> usize {
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return 0,
    }
    b.iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_')).unwrap_or(b.len())
}

/// Go's ParseFloat spellings for the text format; OpenMetrics's exact NaN/+Inf/-Inf.
fn parse_float(token: &str, om: bool) -> Option<f64> {
    match token {
        "NaN" => return Some(f64::NAN),
        "+Inf" | "Inf" => return Some(f64::INFINITY),
        "-Inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let first = token.as_bytes()[0];
    if om && !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    token.parse::<f64>().ok()
}

/// HELP text escapes: `\\` and `\n` (text format: others are kept as written).
fn unescape(text: &str, strict: bool) -> Result<Cow<'_, str>, usize> {
    if !text.contains('\\') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '\\')) => out.push('\\'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, '"')) => out.push('"'),
            Some((_, other)) if !strict => {
                out.push('\\');
                out.push(other);
            }
            _ if !strict => out.push('\\'),
            _ => return Err(i),
        }
    }
    Ok(Cow::Owned(out))
}
