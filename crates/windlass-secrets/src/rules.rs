//! The rules: what a leaked credential looks like, and what merely resembles one.
//!
//! Each rule has a stable id (used in suppressions and reports) and a detector that reports
//! the byte span of the secret in a line. Look-alikes are rejected here, not afterwards:
//! documented examples (`AKIAIOSFODNN7EXAMPLE`), placeholders (`<your-key-here>`, `0x...`),
//! hashes and public keys (a `0x` + 64 hex value only counts where the line speaks of a
//! private key, a wallet or a signer, and not of a hash, transaction or public key).

use crate::text::{
    boundary_after, boundary_before, entropy, find_all, is_placeholder, is_word, run_end,
};

/// A span of a line that holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The rule that matched.
    pub rule: &'static Rule,
    /// Byte offset of the secret's start.
    pub start: usize,
    /// Byte offset after its end.
    pub end: usize,
}

/// A detection rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, e.g. `aws-access-key-id`.
    pub id: &'static str,
    /// What it finds, for messages.
    pub description: &'static str,
    detect: Detector,
}

/// Reports the byte spans of secrets in a line, given the next line.
type Detector = fn(&str, Option<&str>, &mut Vec<(usize, usize)>);

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

/// Every rule, in the order they are tried.
pub static RULES: &[Rule] = &[
    Rule {
        id: "private-key",
        description: "private key (PEM)",
        detect: private_key,
    },
    Rule {
        id: "aws-access-key-id",
        description: "AWS access key id",
        detect: aws_access_key_id,
    },
    Rule {
        id: "aws-secret-access-key",
        description: "AWS secret access key",
        detect: aws_secret_access_key,
    },
    Rule {
        id: "github-token",
        description: "GitHub token",
        detect: github_token,
    },
    Rule {
        id: "slack-token",
        description: "Slack token or webhook",
        detect: slack_token,
    },
    Rule {
        id: "stripe-live-key",
        description: "Stripe live secret key",
        detect: stripe_live_key,
    },
    Rule {
        id: "google-api-key",
        description: "Google API key",
        detect: google_api_key,
    },
    Rule {
        id: "jwt",
        description: "JSON Web Token",
        detect: jwt,
    },
    Rule {
        id: "url-password",
        description: "password in a connection URL",
        detect: url_password,
    },
    Rule {
        id: "ethereum-private-key",
        description: "Ethereum-style private key",
        detect: ethereum_private_key,
    },
    Rule {
        id: "mnemonic",
        description: "wallet mnemonic phrase",
        detect: mnemonic,
    },
    Rule {
        id: "generic-secret",
        description: "high-entropy secret assigned to a key, token or password",
        detect: generic_secret,
    },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Every secret in `line`; `next` is the following line (a PEM header is only a key when its
/// body follows). Overlapping hits keep the first, most specific rule.
pub fn scan_line(line: &str, next: Option<&str>, hits: &mut Vec<Hit>) {
    let mut spans = Vec::new();
    for rule in RULES {
        spans.clear();
        (rule.detect)(line, next, &mut spans);
        for &(start, end) in &spans {
            if !hits.iter().any(|h| h.start < end && start < h.end)
                && !is_fingerprint_hash(line, start, end)
            {
                hits.push(Hit { rule, start, end });
            }
        }
    }
}

/// Whether `line[start..end]` is the hash of a finding's fingerprint (`path:rule:hash`), which
/// a rule may take for a secret (`a.pem:private-key:c34865b0f82f25a8` reads as a key's value). It is
/// a hash of the line, shown so that it can be copied into `.windlass-secrets-ignore`: flagged,
/// the ignore file would flag itself, and redacted, the fix could not be followed.
fn is_fingerprint_hash(line: &str, start: usize, end: usize) -> bool {
    let hash = &line[start..end];
    hash.len() == 16
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && !line[end..].starts_with(|c: char| c.is_ascii_alphanumeric())
        && line[..start].strip_suffix(':').is_some_and(|head| {
            head.rsplit_once(':')
                .is_some_and(|(path, id)| !path.is_empty() && rule(id).is_some())
        })
}

fn b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

fn b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Tokens `prefix` + `len` bytes of `body` (exactly `len` when `exact`, else at least),
/// standing alone as a word.
fn prefixed(
    line: &str,
    prefixes: &[&str],
    body: fn(u8) -> bool,
    len: usize,
    exact: bool,
    out: &mut Vec<(usize, usize)>,
) {
    let bytes = line.as_bytes();
    for prefix in prefixes {
        for start in find_all(line, prefix) {
            if !boundary_before(bytes, start) {
                continue;
            }
            let end = run_end(bytes, start + prefix.len(), body);
            let n = end - start - prefix.len();
            if (if exact { n == len } else { n >= len }) && boundary_after(bytes, end) {
                out.push((start, end));
            }
        }
    }
}

fn private_key(line: &str, next: Option<&str>, out: &mut Vec<(usize, usize)>) {
    for start in find_all(line, "-----BEGIN ") {
        let rest = &line[start + 11..];
        let Some(close) = rest.find("-----") else {
            continue;
        };
        let label = &rest[..close];
        if !label.ends_with("PRIVATE KEY") && !label.ends_with("PRIVATE KEY BLOCK") {
            continue;
        }
        let header_end = start + 11 + close + 5;
        // The body: on the next line, or on this one after an escaped newline (a key in a
        // string literal). A header alone is a parser's constant, not a key.
        let after = line[header_end..]
            .trim_start_matches("\\n")
            .trim_start_matches("\\r");
        let inline_body = after.bytes().take_while(|&b| b64(b)).count() >= 40;
        let next_body = next.is_some_and(|n| {
            let n = n.trim().trim_start_matches('"');
            n.bytes().take_while(|&b| b64(b)).count() >= 40 || n.starts_with("Proc-Type:")
        });
        if inline_body || next_body {
            out.push((start, header_end));
        }
    }
}

fn aws_access_key_id(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let upper_digit = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let mut found = Vec::new();
    prefixed(
        line,
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        upper_digit,
        16,
        true,
        &mut found,
    );
    out.extend(
        found
            .into_iter()
            .filter(|&(s, e)| !line[s..e].contains("EXAMPLE")),
    );
}

fn aws_secret_access_key(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let lower = line.to_ascii_lowercase();
    if !(lower.contains("aws") && (lower.contains("secret") || lower.contains("_sk"))) {
        return;
    }
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if b64(bytes[i]) && boundary_before(bytes, i) {
            let end = run_end(bytes, i, b64);
            let token = &line[i..end];
            if end - i == 40
                && boundary_after(bytes, end)
                && entropy(token) > 4.0
                && !is_placeholder(token)
            {
                out.push((i, end));
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
}

fn github_token(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    prefixed(
        line,
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        alnum,
        36,
        true,
        out,
    );
    prefixed(line, &["github_pat_"], is_word, 82, true, out);
}

fn slack_token(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let body = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let mut found = Vec::new();
    prefixed(
        line,
        &["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-"],
        body,
        20,
        false,
        &mut found,
    );
    out.extend(
        found
            .into_iter()
            .filter(|&(s, e)| line[s..e].bytes().any(|b| b.is_ascii_digit())),
    );
    let bytes = line.as_bytes();
    for start in find_all(line, "hooks.slack.com/services/T") {
        let end = run_end(bytes, start, |b| {
            b.is_ascii_alphanumeric() || b == b'/' || b == b'.'
        });
        if line[start..end].matches('/').count() >= 3 && end - start > 50 {
            out.push((start, end));
        }
    }
}

fn stripe_live_key(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    prefixed(
        line,
        &["sk_live_", "rk_live_"],
        |b| b.is_ascii_alphanumeric(),
        20,
        false,
        out,
    );
}

fn google_api_key(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    prefixed(line, &["AIza"], b64url, 35, true, out);
}

fn jwt(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let bytes = line.as_bytes();
    for start in find_all(line, "eyJ") {
        if !boundary_before(bytes, start) {
            continue;
        }
        let mut end = start;
        let mut parts = 0;
        loop {
            let part_end = run_end(bytes, end, b64url);
            if part_end - end < 10 {
                break;
            }
            parts += 1;
            end = part_end;
            if parts == 3 || bytes.get(end) != Some(&b'.') {
                break;
            }
            end += 1;
        }
        if parts == 3
            && line[start..].starts_with("eyJ")
            && line[start..end]
                .split('.')
                .nth(1)
                .is_some_and(|p| p.starts_with("eyJ"))
        {
            out.push((start, end));
        }
    }
}

fn url_password(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let bytes = line.as_bytes();
    for sep in find_all(line, "://") {
        let scheme_start = (0..sep)
            .rev()
            .take_while(|&i| bytes[i].is_ascii_alphanumeric() || b"+.-".contains(&bytes[i]))
            .last();
        if scheme_start.is_none() {
            continue;
        }
        let authority_start = sep + 3;
        let authority_end = run_end(bytes, authority_start, |b| !b"/ \t\"'`?#<>)".contains(&b));
        let authority = &line[authority_start..authority_end];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let Some(colon) = authority[..at].find(':') else {
            continue;
        };
        let password = &authority[colon + 1..at];
        // Documentation hosts (RFC 2606/6761: example.com, *.example, *.test, *.invalid)
        // carry made-up credentials by definition.
        if is_documentation_host(&authority[at + 1..]) {
            continue;
        }
        let weak = [
            "password", "pass", "passwd", "pwd", "secret", "user", "pw", "root", "postgres",
            "admin", "guest", "test",
        ];
        if password.len() < 3
            || is_placeholder(password)
            || weak.contains(&password.to_ascii_lowercase().as_str())
        {
            continue;
        }
        let start = authority_start + colon + 1;
        out.push((start, start + password.len()));
    }
}

/// Words that make a `0x` + 64 hex value a private key, and words that make it something public.
const KEY_CONTEXT: &[&str] = &[
    "private", "secret", "wallet", "signer", "signing", "mnemonic", "key",
];
const PUBLIC_CONTEXT: &[&str] = &[
    "public", "pubkey", "pub_key", "hash", "tx", "digest", "address", "root", "block", "topic",
    "checksum", "sha", "selector", "salt", "nonce", "commit", "merkle", "id",
];

fn ethereum_private_key(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let bytes = line.as_bytes();
    let mut candidates = Vec::new();
    for start in find_all(line, "0x") {
        let end = run_end(bytes, start + 2, |b| b.is_ascii_hexdigit());
        if end - start - 2 == 64 && boundary_before(bytes, start) && boundary_after(bytes, end) {
            candidates.push((start, end));
        }
    }
    if candidates.is_empty() {
        return;
    }
    // The context is the words of the line outside the values themselves.
    let lower = line.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mentions = |w: &str, k: &str| w == k || w.starts_with(k) || w.ends_with(k);
    let keyed = words
        .iter()
        .any(|w| KEY_CONTEXT.iter().any(|k| mentions(w, k)));
    let public = words.iter().any(|w| {
        PUBLIC_CONTEXT
            .iter()
            .any(|k| w == k || (k.len() > 3 && mentions(w, k)))
    });
    if keyed && !public {
        for (start, end) in candidates {
            if line[start + 2..end]
                .bytes()
                .collect::<std::collections::HashSet<_>>()
                .len()
                > 4
            {
                out.push((start, end));
            }
        }
    }
}

fn mnemonic(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let lower = line.to_ascii_lowercase();
    if !(lower.contains("mnemonic")
        || lower.contains("seed_phrase")
        || lower.contains("seed phrase")
        || lower.contains("seedphrase"))
    {
        return;
    }
    for (i, quote) in line.char_indices().filter(|(_, c)| *c == '"' || *c == '\'') {
        let rest = &line[i + 1..];
        let Some(close) = rest.find(quote) else {
            continue;
        };
        let value = &rest[..close];
        let words: Vec<&str> = value.split(' ').collect();
        let distinct: std::collections::HashSet<&&str> = words.iter().collect();
        if [12, 15, 18, 21, 24].contains(&words.len())
            && words
                .iter()
                .all(|w| (3..=8).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_lowercase()))
            && distinct.len() > 3
        {
            out.push((i + 1, i + 1 + value.len()));
            return;
        }
    }
}

/// Identifier parts that name a secret.
const SECRET_NAMES: &[&str] = &[
    "key",
    "secret",
    "token",
    "password",
    "passwd",
    "pwd",
    "credential",
    "auth",
    "apikey",
];

fn generic_secret(line: &str, _: Option<&str>, out: &mut Vec<(usize, usize)>) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') || !boundary_before(bytes, i) {
            i += 1;
            continue;
        }
        let name_end = run_end(bytes, i, |b| is_word(b) || b == b'-' || b == b'.');
        let name = line[i..name_end].to_ascii_lowercase();
        let next = name_end.max(i + 1);
        let names_secret = name.split(['_', '-', '.']).any(|part| {
            SECRET_NAMES
                .iter()
                .any(|s| part == *s || (part.ends_with(s) && part.len() <= s.len() + 4))
        }) && !name.ends_with("keys")
            && !name.contains("pub")
            && !name.contains("path")
            && !name.contains("file")
            && !name.contains("name")
            && !name.contains("url");
        if !names_secret {
            i = next;
            continue;
        }
        // NAME ["'] ws (= | : | := | =>) ws value
        let mut j = run_end(bytes, name_end, |b| {
            b == b'"' || b == b'\'' || b == b' ' || b == b'\t'
        });
        let sep_len = [":=", "=>", "=", ":"]
            .iter()
            .find(|s| line[j..].starts_with(**s))
            .map(|s| s.len());
        let Some(sep_len) = sep_len else {
            i = next;
            continue;
        };
        j = run_end(bytes, j + sep_len, |b| b == b' ' || b == b'\t');
        let (start, end) = match bytes.get(j) {
            Some(&q @ (b'"' | b'\'')) => match line[j + 1..].find(q as char) {
                Some(close) => (j + 1, j + 1 + close),
                None => (j + 1, j + 1),
            },
            // Unquoted (`.env`, YAML): one token — unless it is code, whose unquoted right
            // side is an expression (a call, a path, a variable), never a literal secret.
            Some(_) => {
                let end = run_end(bytes, j, |b| b64(b) || b == b'-' || b == b'_' || b == b'.');
                if is_expression(line, j, end) {
                    i = next;
                    continue;
                }
                (j, end)
            }
            None => (j, j),
        };
        let value = &line[start..end];
        if looks_secret(value) {
            out.push((start, end));
        }
        i = next;
    }
}

/// Whether the unquoted value `line[start..end]` is an expression of code rather than a
/// literal: a call or macro (`vault_key()`, `env!(..)`), a path or field (`asset.key`,
/// `Config::KEY`), indexing, or any value of a declaration (`let`, `const`, ...) or a
/// statement that ends in `;`.
fn is_expression(line: &str, start: usize, end: usize) -> bool {
    let value = &line[start..end];
    let after = line[end..].trim_start();
    let declaration = line.split_whitespace().next().is_some_and(|w| {
        matches!(
            w,
            "let"
                | "const"
                | "static"
                | "var"
                | "val"
                | "pub"
                | "auto"
                | "my"
                | "local"
                | "def"
                | "mut"
        )
    });
    let identifier_path = value.contains('.')
        && value.split('.').all(|part| {
            part.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        });
    after.starts_with(['(', '!', '[', ';', '?'])
        || after.starts_with("::")
        || identifier_path
        || declaration
}

/// Whether `host` (with an optional port) is reserved for documentation and tests.
fn is_documentation_host(host: &str) -> bool {
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ["example.com", "example.org", "example.net"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
        || [".example", ".test", ".invalid", ".localhost"]
            .iter()
            .any(|tld| host.ends_with(tld))
        || host == "example"
}

/// Whether `value` is an alphabet rather than a random string: a charset for encoding or
/// indexing (`0123456789abcdef...`, `ABCDEFGHIJ...`), most of it in runs of consecutive
/// characters, which no random value has.
fn is_alphabet(value: &str) -> bool {
    let bytes = value.as_bytes();
    let consecutive = bytes
        .windows(2)
        .filter(|w| w[1] == w[0].wrapping_add(1))
        .count();
    consecutive * 10 >= (bytes.len() - 1) * 6
}

/// Words joined by `_`, `-` or `.` (`base64_encoded_ldap_admin_password`,
/// `form.0.current_password`): a name, a placeholder or a path in code, not a secret. A
/// generated secret's parts are not lowercase words: it mixes case, or runs of letters and
/// digits longer than words.
fn is_identifier_like(value: &str) -> bool {
    let parts: Vec<&str> = value.split(['_', '-', '.']).collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 12
                && (p
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                    && (p.bytes().all(|b| b.is_ascii_digit())
                        || p.bytes().filter(u8::is_ascii_digit).count() <= 2))
        })
}

fn looks_secret(value: &str) -> bool {
    if value.len() < 16
        || value.len() > 256
        || value.contains(char::is_whitespace)
        || is_placeholder(value)
        || is_alphabet(value)
    {
        return false;
    }
    // Names of things rather than values: ENV_VAR_NAMES, paths, URLs, dotted identifiers.
    let all_upper_snake = value
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if all_upper_snake || value.contains("://") || value.starts_with('/') || value.contains("::") {
        return false;
    }
    if is_identifier_like(value) {
        return false;
    }
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    let has_letter = value.bytes().any(|b| b.is_ascii_alphabetic());
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    let threshold = if hex { 3.0 } else { 3.7 };
    has_digit && has_letter && entropy(value) >= threshold
}

#[cfg(test)]
mod identifier_tests {
    use super::*;

    #[test]
    fn names_and_paths_are_not_secrets() {
        for name in [
            "base64_encoded_ldap_admin_password",
            "form.0.current_password",
            "ldap-admin-password-v2",
        ] {
            assert!(is_identifier_like(name), "{name}");
        }
        // windlass:allow-secret (test literals)
        for secret in [
            "k3j4h5_g6f7d8s9_a0p1o2i3u4y5t6",
            "wJalrXUtnFEMI_K7MDENG_bPxRfiCY",
            "a8f3_b9c2_d7e1_f0a4_9b8c7d6e5f4a",
        ] {
            assert!(!is_identifier_like(secret), "{secret}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(line: &str) -> Vec<&'static str> {
        let mut hits = Vec::new();
        scan_line(line, None, &mut hits);
        hits.iter().map(|h| h.rule.id).collect()
    }

    #[test]
    fn alphabets_and_documentation_hosts_are_not_secrets() {
        // Charsets in vendored, minified code.
        assert!(ids(r#"const key = "0123456789abcdefghijklmnopqrstuvwxyz"[i]"#).is_empty());
        assert!(ids(r#"secret_alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/""#).is_empty());
        // Credentials in URLs of documentation hosts.
        assert!(ids("/// e.g. https://abc:xyz@example.com/path").is_empty());
        assert!(ids("url = \"postgres://app:s3cr3tP4ss@db.example.org:5432/app\"").is_empty());
        assert!(ids("url = \"postgres://app:s3cr3tP4ss@db.test/app\"").is_empty());
        // Real ones are still found.
        assert_eq!(
            ids("url = \"postgres://app:s3cr3tP4ss@db.internal.acme.io:5432/app\""), // windlass:allow-secret
            ["url-password"]
        );
        assert_eq!(
            ids(r#"api_key = "q8Zr2XvM7kPt1WlN4bYc9HsD""#), // windlass:allow-secret
            ["generic-secret"]
        );
    }

    #[test]
    fn rule_ids_are_unique() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn code_whose_right_side_is_a_call_a_path_or_a_variable_is_not_a_secret() {
        assert!(ids("let vault_key_1 = asset.vault_key();").is_empty());
        assert!(ids("let vault_key_for_account = asset.vault_key_for_account_one();").is_empty());
        assert!(ids("    api_key: derive_api_key_from_seed(seed_material_2024),").is_empty());
        assert!(ids("let signing_key = SigningKeyMaterial2024Generated;").is_empty());
        assert!(ids("token = self.session_token_v2[0]").is_empty());
        assert!(ids("secret_key = Config::SECRET_KEY_FROM_ENVIRONMENT").is_empty());
        // Literals still are, quoted or in a `.env`.
        assert_eq!(ids("API_KEY=q8Zr2XvM7kPt1WlN4bYc9HsD"), ["generic-secret"]); // windlass:allow-secret
        let quoted = r#"let api_key = "q8Zr2XvM7kPt1WlN4bYc9HsD";"#; // windlass:allow-secret
        assert_eq!(ids(quoted), ["generic-secret"]);
    }

    #[test]
    fn env_var_references_are_not_secrets() {
        assert!(ids(r#"let key = std::env::var("PRIVATE_KEY").expect("PRIVATE_KEY");"#).is_empty());
        assert!(ids(r#"api_key = "${API_KEY}""#).is_empty());
    }
}
