//! Text files as their owners wrote them: windlass edits the text (a manifest, a config, a
//! `.gitignore`) with `\n` line ends and no byte-order mark, and writes it back with the
//! original's — a CRLF manifest with a BOM stays one.

/// How a text file's bytes frame its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextStyle {
    /// It starts with the UTF-8 byte-order mark.
    pub bom: bool,
    /// Its lines end in `\r\n`.
    pub crlf: bool,
}

const BOM: &str = "\u{feff}";

impl TextStyle {
    /// The style of `text` as read: a BOM at its start, CRLF when most of its line ends are.
    pub fn of(text: &str) -> Self {
        let lf = text.matches('\n').count();
        let crlf = text.matches("\r\n").count();
        Self {
            bom: text.starts_with(BOM),
            crlf: crlf > 0 && crlf * 2 >= lf,
        }
    }

    /// `text` with its BOM taken off and `\r\n` as `\n`: what windlass edits, and the style
    /// to write it back in.
    pub fn decode(text: &str) -> (String, TextStyle) {
        let style = Self::of(text);
        let body = text.strip_prefix(BOM).unwrap_or(text);
        let body = if style.crlf {
            body.replace("\r\n", "\n")
        } else {
            body.to_string()
        };
        (body, style)
    }

    /// `text` (with `\n` line ends) in this style.
    pub fn encode(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 8);
        if self.bom && !text.starts_with(BOM) {
            out.push_str(BOM);
        }
        if self.crlf {
            // Lines already ending in \r\n keep one \r.
            let mut previous = '\0';
            for c in text.chars() {
                if c == '\n' && previous != '\r' {
                    out.push('\r');
                }
                out.push(c);
                previous = c;
            }
        } else {
            out.push_str(text);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_bom_survive_an_edit() {
        let original = "\u{feff}[package]\r\nname = \"a\"\r\n";
        let (body, style) = TextStyle::decode(original);
        assert_eq!(body, "[package]\nname = \"a\"\n");
        assert_eq!(
            style,
            TextStyle {
                bom: true,
                crlf: true
            }
        );
        let edited = format!("{body}version = \"1\"\n");
        assert_eq!(
            style.encode(&edited),
            "\u{feff}[package]\r\nname = \"a\"\r\nversion = \"1\"\r\n"
        );
        let plain = "a\nb\n";
        let (body, style) = TextStyle::decode(plain);
        assert_eq!(style.encode(&body), plain);
    }

    proptest::proptest! {
        #[test]
        fn decoding_then_encoding_gives_back_a_consistent_file(text in "(\u{feff})?([a-z =\"]{0,8}(\r\n|\n)){0,6}") {
            let (body, style) = TextStyle::decode(&text);
            proptest::prop_assert!(!body.contains("\r\n") || !style.crlf);
            let again = style.encode(&body);
            if style.crlf {
                proptest::prop_assert!(!again.replace("\r\n", "").contains('\n'));
            }
            proptest::prop_assert_eq!(again.starts_with('\u{feff}'), style.bom);
        }
    }
}
