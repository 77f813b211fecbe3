//! Parses what services expose on `/metrics`: the Prometheus text format 0.0.4 and
//! OpenMetrics 1.0 (HELP, TYPE, UNIT, escapes, histograms, summaries, `_created`,
//! exemplars, timestamps, NaN/±Inf, `# EOF`). Zero-copy: names and unescaped label values
//! borrow the input; labels of all samples live in one vector. Lenient where Prometheus
//! is lenient (text format), strict where OpenMetrics is; every error names the line and
//! column and what was expected.

mod model;
mod parser;

pub use model::{Exemplar, Exposition, Family, Label, Limits, MetricType, Sample};
pub use parser::{parse, Format, ParseError};

/// The format a scrape's Content-Type names: OpenMetrics, or the classic text format.
pub fn format_of(content_type: &str) -> Format {
    if content_type.trim_start().starts_with("application/openmetrics-text") {
        Format::OpenMetrics
    } else {
        Format::Text
    }
}

#[cfg(test)]
mod tests;
