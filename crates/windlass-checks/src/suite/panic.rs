//! Where a test panicked, read from its output.

/// A panic location and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    /// The file as the panic printed it.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The panic message (up to a few lines; no backtrace).
    pub message: String,
}

/// The first panic in `output`: `thread 'x' panicked at FILE:LINE:COL:` followed by the
/// message (Rust 1.73 and later), or the older `panicked at 'msg', FILE:LINE:COL`.
pub fn find(output: &str) -> Option<Panic> {
    let lines: Vec<&str> = output.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some((_, rest)) = line.split_once("panicked at ") else {
            continue;
        };
        if let Some(location) = rest.strip_suffix(':')
            && let Some((file, line_no, column)) = location_of(location)
        {
            let message = lines[i + 1..]
                .iter()
                .take_while(|l| !l.starts_with("note:") && !l.starts_with("stack backtrace:"))
                .take(12)
                .copied()
                .collect::<Vec<_>>()
                .join("\n");
            return Some(Panic {
                file,
                line: line_no,
                column,
                message,
            });
        }
        if let Some((message, location)) = rest.rsplit_once(", ")
            && let Some((file, line_no, column)) = location_of(location)
        {
            let message = message.trim_matches('\'').to_string();
            return Some(Panic {
                file,
                line: line_no,
                column,
                message,
            });
        }
    }
    None
}

fn location_of(text: &str) -> Option<(String, u32, u32)> {
    let (rest, column) = text.rsplit_once(':')?;
    let (file, line) = rest.rsplit_once(':')?;
    Some((file.to_string(), line.parse().ok()?, column.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_modern_format() {
        let out = "\nthread 'tests::bad' (3124) panicked at src/lib.rs:4:24:\nassertion `left == right` failed: boom\n  left: 1\n right: 2\nstack backtrace:\n   0: x\n";
        assert_eq!(
            find(out),
            Some(Panic {
                file: "src/lib.rs".into(),
                line: 4,
                column: 24,
                message: "assertion `left == right` failed: boom\n  left: 1\n right: 2".into()
            })
        );
    }

    #[test]
    fn reads_the_old_format_and_paths_with_colons_in_messages() {
        let out = "thread 'main' panicked at 'a: b', crates/x/src/lib.rs:10:5\n";
        let p = find(out).unwrap();
        assert_eq!(
            (p.file.as_str(), p.line, p.column, p.message.as_str()),
            ("crates/x/src/lib.rs", 10, 5, "a: b")
        );
    }

    #[test]
    fn no_panic_no_location() {
        assert_eq!(find("test failed: returned Err(x)"), None);
    }
}
