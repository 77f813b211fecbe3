use std::borrow::Cow;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Unknown,
}

impl MetricType {
    pub fn parse(word: &str) -> Option<MetricType> {
        Some(match word {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "gaugehistogram" => MetricType::GaugeHistogram,
            "summary" => MetricType::Summary,
            "info" => MetricType::Info,
            "stateset" => MetricType::StateSet,
            "unknown" | "untyped" => MetricType::Unknown,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// Suffixes a sample of this family may add to the family name.
    pub(crate) fn suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Histogram | MetricType::GaugeHistogram => {
                &["_bucket", "_sum", "_count", "_created", "_gsum", "_gcount"]
            }
            MetricType::Summary => &["_sum", "_count", "_created"],
            MetricType::Info => &["_info"],
            _ => &[],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Label<'a> {
    pub name: &'a str,
    pub value: Cow<'a, str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar<'a> {
    pub labels: Vec<Label<'a>>,
    pub value: f64,
    pub timestamp: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sample<'a> {
    pub name: &'a str,
    /// Index range into `Exposition::labels`.
    pub labels: Range<u32>,
    pub value: f64,
    /// Milliseconds since the epoch (the text format's unit; OpenMetrics seconds are converted).
    pub timestamp_ms: Option<i64>,
    pub exemplar: Option<Box<Exemplar<'a>>>,
    /// 1-based line of the sample in the body, for messages that point at it.
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Family<'a> {
    pub name: &'a str,
    pub kind: MetricType,
    /// Whether a TYPE line declared the type (an undeclared family is `Unknown`).
    pub typed: bool,
    pub help: Option<Cow<'a, str>>,
    pub unit: Option<&'a str>,
    /// Index range into `Exposition::samples`.
    pub samples: Range<u32>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exposition<'a> {
    pub families: Vec<Family<'a>>,
    pub samples: Vec<Sample<'a>>,
    pub labels: Vec<Label<'a>>,
}

impl<'a> Exposition<'a> {
    pub fn samples_of(&self, family: &Family<'a>) -> &[Sample<'a>] {
        &self.samples[family.samples.start as usize..family.samples.end as usize]
    }

    pub fn labels_of(&self, sample: &Sample<'a>) -> &[Label<'a>] {
        &self.labels[sample.labels.start as usize..sample.labels.end as usize]
    }

    pub fn label<'s>(&'s self, sample: &Sample<'a>, name: &str) -> Option<&'s str> {
        self.labels_of(sample).iter().find(|l| l.name == name).map(|l| l.value.as_ref())
    }

    pub fn family(&self, name: &str) -> Option<&Family<'a>> {
        self.families.iter().find(|f| f.name == name)
    }
}

/// What one scrape may contain at most; over a limit, the scrape fails with that reason.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_samples: usize,
    pub max_labels_per_sample: usize,
    pub max_label_name_len: usize,
    pub max_label_value_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 * 1024 * 1024,
            max_samples: 500_000,
            max_labels_per_sample: 64,
            max_label_name_len: 128,
            max_label_value_len: 2048,
        }
    }
}
