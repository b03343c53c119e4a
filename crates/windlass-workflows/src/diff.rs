//! A line diff for drift reports: the longest common subsequence of lines, printed in unified
//! style (`-` committed, `+` generated) with a little context.

/// `old` against `new`, as `--- path` / `+++ path (generated)` and the changed lines.
pub fn unified(old: &str, new: &str, path: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removals before additions, as unified diffs show them.
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    // Keep the changes and two lines of context around each.
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| *k != ' ')
        .map(|(n, _)| n)
        .collect();
    let near = |n: usize| changed.iter().any(|&c| c.abs_diff(n) <= 2);
    let mut out = format!("--- {path}\n+++ {path} (generated)\n");
    let mut skipped = false;
    for (n, (kind, text)) in lines.iter().enumerate() {
        if near(n) {
            out.push_str(&format!("{kind}{text}\n"));
            skipped = false;
        } else if !skipped {
            out.push_str("...\n");
            skipped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_removed_and_added_lines_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nb\nc\nD\ne\nf\ng\n";
        assert_eq!(
            unified(old, new, "x.yml"),
            "--- x.yml\n+++ x.yml (generated)\n...\nb\n c\n-d\n+D\n e\nf\n...\n"
                .replace("...\nb\n", "...\n b\n")
                .replace("f\n...", " f\n...")
        );
    }
}
