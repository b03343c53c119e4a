//! Small text helpers shared by the parsers of tool output.

/// `text` without ANSI escape sequences (tools colour what we parse when asked to colour).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
                Some('(') => {
                    chars.next();
                    chars.next();
                }
                _ => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `1 file`, `2 files`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_and_charset_escapes() {
        assert_eq!(strip_ansi("\x1b[31m-a\x1b(B\x1b[m b"), "-a b");
    }
}
