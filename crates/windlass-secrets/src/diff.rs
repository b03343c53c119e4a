//! The lines a change adds, read from git's unified diff (`git diff --cached -U0` for the
//! pre-commit hook, `git log -p -U0` for commit ranges and history), with their line numbers
//! in the new file and, for history, the commit that added them.

use crate::{Finding, scan_lines};

/// The added lines of one file in one commit (or in the index).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AddedLines {
    /// The commit, for `git log` output.
    pub commit: Option<String>,
    /// The file's path in the new tree.
    pub path: String,
    /// `(line number, text)` of each added line.
    pub lines: Vec<(u32, String)>,
}

/// Splits a patch into files' added lines. Deleted files and binary files add none.
pub fn parse(patch: &str) -> Vec<AddedLines> {
    let mut out: Vec<AddedLines> = Vec::new();
    let mut commit: Option<String> = None;
    let mut current: Option<AddedLines> = None;
    let mut next_line: u32 = 0;
    for line in patch.lines() {
        if let Some(sha) = line
            .strip_prefix("commit ")
            .filter(|s| s.len() >= 40 && s.bytes().take(40).all(|b| b.is_ascii_hexdigit()))
        {
            out.extend(current.take());
            commit = Some(sha[..40].to_string());
        } else if line.starts_with("diff --git ") {
            out.extend(current.take());
        } else if let Some(path) = line.strip_prefix("+++ ") {
            current = (path != "/dev/null").then(|| AddedLines {
                commit: commit.clone(),
                path: strip_prefix_b(&unquote(path)),
                lines: Vec::new(),
            });
        } else if let Some(hunk) = line.strip_prefix("@@ ") {
            // @@ -a,b +c,d @@
            next_line = hunk
                .split_whitespace()
                .find_map(|part| part.strip_prefix('+'))
                .and_then(|range| range.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        } else if let Some(added) = line.strip_prefix('+') {
            if let Some(file) = current.as_mut() {
                file.lines.push((next_line, added.to_string()));
                next_line += 1;
            }
        } else if line.starts_with(' ') {
            next_line += 1;
        }
    }
    out.extend(current);
    out.retain(|f| !f.lines.is_empty());
    out
}

/// Scans the added lines of every file.
pub fn scan(files: &[AddedLines]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in files {
        let before = findings.len();
        scan_lines(
            &file.path,
            file.lines.iter().map(|(n, l)| (*n, l.as_str())),
            &mut findings,
        );
        for finding in &mut findings[before..] {
            finding.commit.clone_from(&file.commit);
        }
    }
    findings
}

fn strip_prefix_b(path: &str) -> String {
    path.strip_prefix("b/").unwrap_or(path).to_string()
}

/// Git quotes a path with unusual characters in C style: `"b/a\tb.rs"`.
fn unquote(path: &str) -> String {
    let Some(inner) = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else {
        return path.to_string();
    };
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&o @ b'0'..=b'7') = chars.peek() {
                        value = value * 8 + u32::from(o - b'0');
                        chars.next();
                    }
                }
                bytes.push(u8::try_from(value).unwrap_or(b'?'));
            }
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_added_lines_with_their_numbers_and_commits() {
        let patch = "commit 0123456789012345678901234567890123456789\n\ndiff --git a/src/a.rs b/src/a.rs\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -3,0 +4,2 @@ fn x()\n+let a = 1;\n+let b = 2;\n@@ -10 +12 @@\n-old\n+new\ndiff --git a/gone.rs b/gone.rs\n--- a/gone.rs\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\ndiff --git \"a/caf\\303\\251 x.rs\" \"b/caf\\303\\251 x.rs\"\n+++ \"b/caf\\303\\251 x.rs\"\n@@ -0,0 +1 @@\n+hi\n";
        let files = parse(patch);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, "src/a.rs");
        assert_eq!(
            files[0].commit.as_deref(),
            Some("0123456789012345678901234567890123456789")
        );
        assert_eq!(
            files[0].lines,
            vec![
                (4, "let a = 1;".into()),
                (5, "let b = 2;".into()),
                (12, "new".into())
            ]
        );
        assert_eq!(files[1].path, "café x.rs");
    }
}
