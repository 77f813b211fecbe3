//! Counts what passed and failed across every step, for the closing line.

#[derive(Default)]
pub struct Summary {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub failures: Vec<String>,
}

impl Summary {
    /// A step that is one check of its own (fmt, clippy, a build).
    pub fn check(&mut self, name: &str, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            self.failures.push(name.to_string());
        }
    }

    pub fn add(&mut self, name: &str, passed: u64, failed: u64, skipped: u64) {
        self.passed += passed;
        self.failed += failed;
        self.skipped += skipped;
        if failed > 0 {
            self.failures.push(format!("{name}: {failed} failed"));
        }
    }

    /// Prints the closing line; an error when anything failed.
    pub fn finish(&self) -> Result<(), String> {
        self.print();
        if self.failed > 0 {
            Err(format!("{} failed", self.failed))
        } else {
            Ok(())
        }
    }

    pub fn print(&self) {
        if !self.failures.is_empty() {
            eprintln!("\nFailed: {}", self.failures.join("; "));
        }
        let skipped = if self.skipped > 0 { format!(", {} skipped", self.skipped) } else { String::new() };
        println!("{} passed, {} failed{skipped}", self.passed, self.failed);
    }
}

/// Reads cargo test's "test result: ok. 12 passed; 0 failed; 1 ignored; …" lines.
pub fn parse_cargo_result(line: &str) -> Option<(u64, u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let count = |word: &str| -> u64 {
        rest.split(';')
            .filter_map(|part| {
                let mut it = part.split_whitespace().rev();
                (it.next()? == word).then_some(())?;
                it.next()?.parse::<u64>().ok()
            })
            .sum()
    };
    Some((count("passed"), count("failed"), count("ignored")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cargo_test_results() {
        assert_eq!(
            parse_cargo_result("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"),
            Some((12, 0, 1))
        );
        assert_eq!(
            parse_cargo_result(
                "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out"
            ),
            Some((3, 2, 0))
        );
        assert_eq!(parse_cargo_result("running 3 tests"), None);
    }
}
