//! Byte-level helpers the rules are written with: no regular expressions, so that a scan of
//! a large tree costs a few passes over its bytes (and the xtask builds no regex engine).

/// Whether `b` continues an identifier or a token.
pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every start of `needle` in `haystack`.
pub fn find_all<'a>(haystack: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = haystack.get(from..)?.find(needle)? + from;
        from = at + 1;
        Some(at)
    })
}

/// The end of the run of bytes from `start` that satisfy `keep`.
pub fn run_end(bytes: &[u8], start: usize, keep: impl Fn(u8) -> bool) -> usize {
    bytes[start.min(bytes.len())..]
        .iter()
        .position(|&b| !keep(b))
        .map_or(bytes.len(), |n| start + n)
}

/// Whether `start` is not preceded by a word byte.
pub fn boundary_before(bytes: &[u8], start: usize) -> bool {
    start == 0 || !is_word(bytes[start - 1])
}

/// Whether `end` is not followed by a word byte.
pub fn boundary_after(bytes: &[u8], end: usize) -> bool {
    end >= bytes.len() || !is_word(bytes[end])
}

/// Shannon entropy of `text`, in bits per character.
pub fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in text.bytes() {
        counts[usize::from(b)] += 1;
    }
    let len = text.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Whether `value` reads as a placeholder or a reference rather than a secret.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "example",
        "sample",
        "dummy",
        "placeholder",
        "changeme",
        "change_me",
        "your_",
        "your-",
        "yourkey",
        "xxxx",
        "****",
        "....",
        "redacted",
        "insert",
        "replace",
        "todo",
        "fixme",
        "<",
        ">",
        "${",
        "{{",
        "$(",
        "%s",
        "env(",
        "not-a-real",
        "fake",
    ];
    // A redaction mask (`***`, `***PASSWORD***`) is what a secret looks like once hidden.
    let mask = value.starts_with("***") || (!value.is_empty() && value.chars().all(|c| c == '*'));
    mask || value.starts_with('$')
        || value.starts_with('{')
        || MARKERS.iter().any(|m| lower.contains(m))
}

/// The first 4 characters and the length: enough to recognise a secret, never to use it.
pub fn redact(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    format!("{shown}… ({} chars)", secret.chars().count())
}

/// FNV-1a, 64 bits: a stable hash for fingerprints (not for security).
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_tells_random_from_repetitive() {
        assert!(entropy("aaaaaaaaaaaaaaaa") < 0.1);
        assert!(entropy("q9Zr2xV7mK4pT1wL8sN3") > 4.0);
    }

    #[test]
    fn redaction_masks_are_placeholders() {
        assert!(is_placeholder("***"));
        assert!(is_placeholder("***PASSWORD***"));
        assert!(!is_placeholder("s3cr*t-value"));
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "<your-key-here>",
            "${DB_PASSWORD}",
            "changeme",
            "AKIAIOSFODNN7EXAMPLE",
            "{{ secrets.X }}",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        assert!(!is_placeholder("q9Zr2xV7mK4pT1wL8sN3"));
    }

    #[test]
    fn redaction_keeps_four_characters() {
        assert_eq!(redact("ghp_abcdefgh"), "ghp_… (12 chars)");
    }
}
