//! A line diff of two config texts (longest common subsequence), for the reload view.

use types::{DiffLine, DiffOp};

const MAX_LINES: usize = 4000;

pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().take(MAX_LINES).collect();
    let b: Vec<&str> = new.lines().take(MAX_LINES).collect();
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let line = |op, text: &str| DiffLine { op, text: text.to_string() };
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(line(DiffOp::Same, a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(line(DiffOp::Added, b[j]));
            j += 1;
        } else {
            out.push(line(DiffOp::Removed, a[i]));
            i += 1;
        }
    }
    out
}

pub fn changed(diff: &[DiffLine]) -> bool {
    diff.iter().any(|l| l.op != DiffOp::Same)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_added_and_removed_lines() {
        let d = lines("a\nb\nc\n", "a\nc\nd\n");
        let ops: Vec<(DiffOp, &str)> = d.iter().map(|l| (l.op, l.text.as_str())).collect();
        assert_eq!(
            ops,
            vec![(DiffOp::Same, "a"), (DiffOp::Removed, "b"), (DiffOp::Same, "c"), (DiffOp::Added, "d")]
        );
        assert!(!changed(&lines("x\n", "x\n")));
    }
}
