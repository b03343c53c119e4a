//! The one sanitizer for text windlass did not write itself — a file name, a config value, a
//! line of a diff, a command's output — applied where it is shown, by every reporter:
//!
//! - [`terminal`]: control characters escaped (`\e`, `\u{7}`, ...): an escape sequence in a
//!   file name or a Dockerfile can neither move the cursor, rewrite the title nor hide text;
//!   only colour (SGR) passes, and only when colour is on;
//! - [`guard_workflow_commands`]: in GitHub Actions, text holding a line the runner would
//!   execute as a workflow command (`::error`, `::add-mask::`, `##[...]`) is wrapped in
//!   `::stop-commands::` with a token no one can guess, so it shows as text;
//! - [`markdown`]: text safe inside a Markdown table cell of the job summary;
//! - [`redact`]: passwords in URLs (`https://user:pass@host`) and, through the redactor the
//!   stock command line installs, every secret the secret scanner recognises.

use std::borrow::Cow;
use std::sync::OnceLock;

/// A function that returns `text` with every secret it recognises replaced, or `None` when
/// it found none.
pub type Redactor = fn(&str) -> Option<String>;

static REDACTOR: OnceLock<Redactor> = OnceLock::new();

/// Installs the secret redactor every reporter applies (the first call wins).
pub fn install_redactor(redactor: Redactor) {
    let _ = REDACTOR.set(redactor);
}

/// `text` with URL passwords and recognised secrets replaced.
pub fn redact(text: &str) -> Cow<'_, str> {
    let userinfo = redact_userinfo(text);
    match REDACTOR.get().and_then(|r| r(&userinfo)) {
        Some(redacted) => Cow::Owned(redacted),
        None => userinfo,
    }
}

/// `scheme://user:password@host` → `scheme://user:***@host`, wherever it appears.
pub fn redact_userinfo(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the first `/`, `?`, `#`, space or quote.
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority
            .rfind('@')
            .map(|i| (&authority[..i], &authority[i..]))
        {
            Some((userinfo, host)) if userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or("");
                out.push_str(user);
                out.push_str(":***");
                out.push_str(host);
                changed = true;
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` for a terminal: every control character but newline and tab escaped, carriage
/// returns included (a `\r` could overwrite what a line said). With `allow_color`, SGR
/// sequences (`ESC [ … m`, colour and weight only) pass: rustc's own rendering carries them.
pub fn terminal(text: &str, allow_color: bool) -> Cow<'_, str> {
    let clean = |c: char| !c.is_control() || c == '\n' || c == '\t';
    if text.chars().all(|c| clean(c) && !is_bidi_override(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\x1b'
            && allow_color
            && let Some(len) = sgr_len(&text[i..])
        {
            out.push_str(&text[i..i + len]);
            while chars.peek().is_some_and(|(j, _)| *j < i + len) {
                chars.next();
            }
            continue;
        }
        if (clean(c) && !is_bidi_override(c)) || (c == '\r' && text[i + 1..].starts_with('\n')) {
            if c != '\r' {
                out.push(c);
            }
            continue;
        }
        match c {
            '\x1b' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            other => out.push_str(&format!("\\u{{{:x}}}", other as u32)),
        }
    }
    Cow::Owned(out)
}

/// Characters that reorder what a terminal shows (Trojan Source): shown as escapes.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The length of the SGR sequence `ESC [ digits;... m` at the start of `text`.
fn sgr_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\x1b[")?;
    let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    (body[end..].starts_with('m') && end <= 32).then_some(2 + end + 1)
}

/// Whether the GitHub runner would read `line` as a workflow command: one starting with
/// `::` once leading white space is taken off, or holding the legacy `##[` anywhere.
pub fn is_workflow_command(line: &str) -> bool {
    line.trim_start().starts_with("::") || line.contains("##[")
}

/// `text` as it may be written to a log the GitHub runner reads: unchanged when no line of
/// it is a workflow command, else wrapped so the runner shows it and executes none of it.
pub fn guard_workflow_commands(text: &str) -> Cow<'_, str> {
    if !text.lines().any(is_workflow_command) {
        return Cow::Borrowed(text);
    }
    let token = stop_token();
    let mut out = format!("::stop-commands::{token}\n{text}");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("::{token}::\n"));
    Cow::Owned(out)
}

/// A token the text being shown cannot contain or guess: random per process and call.
fn stop_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    hasher.write_u128(crate::time::unix_nanos(std::time::SystemTime::now()));
    format!("windlass-{:016x}", hasher.finish())
}

/// `text` for one cell of a Markdown table: control characters escaped, one line, and the
/// characters Markdown or HTML would read (`|`, `` ` ``, `<`, `*`, `[`, ...) escaped.
pub fn markdown(text: &str) -> String {
    let text = terminal(text, false);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '`' | '*' | '_' | '[' | ']' | '\\' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out
}

/// `text` inside an HTML `<code>` element of the job summary.
pub fn markdown_code(text: &str) -> String {
    format!("<code>{}</code>", markdown(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_colour_passes_only_when_on() {
        let hostile = "a\x1b]0;pwned\x07b\x1b[2Jc\x1b[1;31mred\x1b[0m\rd\0e\u{202e}f";
        let off = terminal(hostile, false);
        assert!(!off.contains('\x1b'), "{off:?}");
        assert!(!off.contains('\r') && !off.contains('\0') && !off.contains('\u{7}'));
        assert!(off.contains("\\e]0;pwned\\u{7}b"), "{off}");
        let on = terminal(hostile, true);
        assert!(on.contains("\x1b[1;31mred\x1b[0m"), "{on:?}");
        assert!(on.contains("\\e[2J"), "a clear-screen is no colour: {on:?}");
        assert!(on.contains("\\e]0"), "{on:?}");
        assert_eq!(terminal("plain\n\ttext", false), "plain\n\ttext");
        assert_eq!(terminal("crlf\r\nline", false), "crlf\nline");
    }

    #[test]
    fn workflow_command_lines_are_guarded() {
        let name = "src/a\n::error title=INJECTED::pwned.env";
        let guarded = guard_workflow_commands(name);
        let lines: Vec<&str> = guarded.lines().collect();
        let token = lines[0].strip_prefix("::stop-commands::").unwrap();
        assert!(token.starts_with("windlass-") && token.len() > 12);
        assert_eq!(lines.last().unwrap(), &format!("::{token}::"));
        assert!(!name.contains(token));
        assert_eq!(
            guard_workflow_commands("no command here"),
            "no command here"
        );
        assert!(is_workflow_command("  ::add-mask::x"));
        assert!(is_workflow_command("text ##[error]x"));
        assert_ne!(stop_token(), stop_token());
    }

    #[test]
    fn url_passwords_are_redacted_wherever_they_appear() {
        assert_eq!(
            redact_userinfo("GET http://user:pa%40ss@127.0.0.1:80/health and postgres://a:b@db/x"), // windlass:allow-secret
            "GET http://user:***@127.0.0.1:80/health and postgres://a:***@db/x"
        );
        assert_eq!(redact_userinfo("http://user@host/"), "http://user@host/");
        assert_eq!(redact_userinfo("no url"), "no url");
        assert_eq!(redact_userinfo("mailto://x@y:z"), "mailto://x@y:z");
    }

    #[test]
    fn markdown_cells_cannot_break_out() {
        let cell = markdown("a|b`c<img src=x>\n[l](javascript:x)");
        assert_eq!(cell, "a\\|b\\`c&lt;img src=x&gt; \\[l\\](javascript:x)");
    }

    proptest::proptest! {
        /// Whatever the data, no line of the guarded text is a command outside the
        /// stop-commands block, and the terminal form holds no control character but \n, \t.
        #[test]
        fn no_data_line_becomes_a_command(data in "(\\PC|[\n\r\x1b:#\\[])*") {
            let shown = terminal(&data, false);
            proptest::prop_assert!(shown.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
            let guarded = guard_workflow_commands(&shown);
            let lines: Vec<&str> = guarded.lines().collect();
            if lines.iter().any(|l| is_workflow_command(l)) {
                let token = lines[0].strip_prefix("::stop-commands::");
                proptest::prop_assert!(token.is_some());
                let end = format!("::{}::", token.unwrap_or_default());
                proptest::prop_assert_eq!(lines.last().copied(), Some(end.as_str()));
                proptest::prop_assert!(!lines[1..lines.len() - 1].iter().any(|l| l.trim() == end));
            }
        }
    }
}
