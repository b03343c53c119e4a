//! Path globs as config files write them: `vendor/**`, `**/*.min.js`, `src/gen-?.rs`.
//!
//! A pattern is matched against a path relative to the repository root, `/`-separated, one
//! segment at a time: `*` and `?` never cross a `/`, `**` spans any number of segments
//! (none included), and a pattern ending in `/` matches everything below that directory.

/// Whether `path` matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern = match pattern.strip_suffix('/') {
        Some(dir) => format!("{dir}/**"),
        None => pattern.to_string(),
    };
    let pattern: Vec<&str> = pattern.trim_start_matches("./").split('/').collect();
    let path: Vec<&str> = path.trim_start_matches("./").split('/').collect();
    segments(&pattern, &path)
}

fn segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments(rest, &path[skip..])),
        Some((first, rest)) => match path.split_first() {
            Some((segment, tail)) => segment_matches(first, segment) && segments(rest, tail),
            None => false,
        },
    }
}

/// One segment: `*` any run of characters, `?` one character.
fn segment_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_by_segment() {
        assert!(matches("vendor/**", "vendor/a/b.js"));
        assert!(matches("vendor/", "vendor/a/b.js"));
        assert!(!matches("vendor/**", "src/vendor.rs"));
        assert!(matches("**/*.min.js", "web/static/app.min.js"));
        assert!(matches("**/*.min.js", "app.min.js"));
        assert!(!matches("*.min.js", "web/app.min.js"));
        assert!(matches("src/gen-?.rs", "src/gen-1.rs"));
        assert!(!matches("src/gen-?.rs", "src/gen-10.rs"));
        assert!(matches("node_modules/**", "node_modules/x"));
        assert!(matches("**/node_modules/**", "web/node_modules/a/b"));
        assert!(matches("a/*/c", "a/b/c"));
        assert!(!matches("a/*/c", "a/b/d/c"));
    }
}
