//! A labelled corpus: secrets made up here (random, never real) in the shapes they take in
//! code, config and `.env` files, and look-alikes that must not be flagged. Recall and false
//! positives are asserted rule by rule.
// In test helpers a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use windlass_secrets::{Finding, scan_text};

/// xorshift64*: reproducible randomness without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick(&mut self, alphabet: &str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len)
            .map(|_| chars[usize::try_from(self.next() % chars.len() as u64).unwrap()])
            .collect()
    }
}

const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &str = "0123456789abcdef";
const WORDS: &[&str] = &[
    "abandon", "ability", "absorb", "across", "actor", "adapt", "badge", "bamboo", "cable",
    "canyon", "dawn", "debris", "eagle", "echo", "fabric", "fancy", "galaxy", "gentle", "habit",
    "harbor", "icon", "impulse",
];

/// `(rule, text)` pairs that must be found, `text` possibly spanning lines.
fn positives(r: &mut Random) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for _ in 0..5 {
        let body = r.pick(B64, 64);
        for kind in ["RSA ", "EC ", "OPENSSH ", ""] {
            out.push((
                "private-key",
                format!(
                    "-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"
                ),
            ));
        }
        out.push(("private-key", format!("const KEY: &str = \"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\";")));
        let akia = format!("AKIA{}", r.pick(UPPER_DIGITS, 16));
        out.push(("aws-access-key-id", format!("aws_access_key_id = {akia}")));
        out.push(("aws-access-key-id", format!("let id = \"{akia}\";")));
        out.push((
            "aws-access-key-id",
            format!("ASIA{}", r.pick(UPPER_DIGITS, 16)),
        ));
        out.push((
            "aws-secret-access-key",
            format!("aws_secret_access_key = {}", r.pick(B64, 40)),
        ));
        out.push((
            "aws-secret-access-key",
            format!("AWS_SECRET_ACCESS_KEY=\"{}\"", r.pick(B64, 40)),
        ));
        out.push((
            "github-token",
            format!("GITHUB_TOKEN=ghp_{}", r.pick(ALNUM, 36)),
        ));
        out.push((
            "github-token",
            format!(
                "token: \"github_pat_{}_{}\"",
                r.pick(ALNUM, 22),
                r.pick(ALNUM, 59)
            ),
        ));
        out.push(("github-token", format!("gho_{}", r.pick(ALNUM, 36))));
        out.push((
            "slack-token",
            format!(
                "slack = \"xoxb-{}-{}-{}\"",
                r.pick("0123456789", 12),
                r.pick("0123456789", 13),
                r.pick(ALNUM, 24)
            ),
        ));
        out.push((
            "slack-token",
            format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                r.pick(UPPER_DIGITS, 8),
                r.pick(UPPER_DIGITS, 8),
                r.pick(ALNUM, 24)
            ),
        ));
        out.push((
            "stripe-live-key",
            format!("Stripe::new(\"sk_live_{}\")", r.pick(ALNUM, 24)),
        ));
        out.push((
            "google-api-key",
            format!("maps_key: AIza{}", r.pick(B64URL, 35)),
        ));
        out.push((
            "jwt",
            format!(
                "Authorization: Bearer eyJ{}.eyJ{}.{}",
                r.pick(B64URL, 30),
                r.pick(B64URL, 60),
                r.pick(B64URL, 43)
            ),
        ));
        out.push((
            "url-password",
            format!(
                "DATABASE_URL=postgres://orders:{}@db.internal:5432/orders",
                r.pick(ALNUM, 18)
            ),
        ));
        out.push((
            "url-password",
            format!(
                "let url = \"redis://:{}@127.0.0.1:6379/0\";",
                r.pick(ALNUM, 24)
            ),
        ));
        let key = r.pick(HEX, 64);
        out.push((
            "ethereum-private-key",
            format!("let signer_key = \"0x{key}\";"),
        ));
        out.push(("ethereum-private-key", format!("PRIVATE_KEY=0x{key}")));
        out.push((
            "ethereum-private-key",
            format!("wallet: LocalWallet::from_str(\"0x{key}\")?,"),
        ));
        let phrase: Vec<&str> = (0..12)
            .map(|_| WORDS[usize::try_from(r.next() % WORDS.len() as u64).unwrap()])
            .collect();
        out.push(("mnemonic", format!("mnemonic = \"{}\"", phrase.join(" "))));
        out.push((
            "generic-secret",
            format!("api_token = \"{}\"", r.pick(ALNUM, 32)),
        ));
        out.push((
            "generic-secret",
            format!("SECRET_KEY={}", r.pick(ALNUM, 40)),
        ));
        out.push((
            "generic-secret",
            format!("let client_secret = \"{}\";", r.pick(ALNUM, 28)),
        ));
        out.push((
            "generic-secret",
            format!("  password: \"{}\"", r.pick(ALNUM, 20)),
        ));
    }
    out
}

/// Text that resembles a secret and is not one.
fn negatives(r: &mut Random) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..5 {
        let hex64 = r.pick(HEX, 64);
        out.extend([
            format!("checksum = \"{hex64}\""),
            format!("sha256 = \"{hex64}\""),
            format!("rev = \"{}\"", r.pick(HEX, 40)),
            format!("commit {}", r.pick(HEX, 40)),
            "id = \"550e8400-e29b-41d4-a716-446655440000\"".to_string(),
            format!("let tx_hash = \"0x{hex64}\";"),
            format!("\"transactionHash\": \"0x{hex64}\","),
            format!("let block_hash = H256::from_str(\"0x{hex64}\")?;"),
            format!("let public_key = \"0x{hex64}\";"),
            format!("pubkey: 0x{hex64}"),
            format!("let recipient_address = \"0x{}\";", r.pick(HEX, 40)),
            format!("topic0 = 0x{hex64}"),
            format!("data:image/png;base64,{}", r.pick(B64, 120)),
            format!("integrity = \"sha512-{}\"", r.pick(B64, 86)),
        ]);
    }
    out.extend(
        [
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "api_key = \"<your-key-here>\"",
            "PRIVATE_KEY=0x...",
            "PRIVATE_KEY=0x0000000000000000000000000000000000000000000000000000000000000000",
            "token = \"${GITHUB_TOKEN}\"",
            "password = \"changeme\"",
            "let key = std::env::var(\"PRIVATE_KEY\")?;",
            "let token = std::env::var(\"API_TOKEN\").context(\"API_TOKEN must be set\")?;",
            "const PEM_HEADER: &str = \"-----BEGIN PRIVATE KEY-----\";",
            "if line.starts_with(\"-----BEGIN RSA PRIVATE KEY-----\") {",
            "git clone https://user@github.com/acme/svc",
            "DATABASE_URL=postgres://localhost/orders",
            "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/orders",
            "url = \"postgres://user:password@localhost/test\"",
            "health-url = \"http://127.0.0.1:8080/health\"",
            "let token = tokens.next().unwrap();",
            "fn verify_password(password: &str, hash: &PasswordHash) -> bool {",
            "keywords = [\"cli\", \"ci\", \"devops\"]",
            "key = \"value\"",
            "let secret_name = \"DATABASE_PASSWORD_FROM_VAULT\";",
            "sort_key = \"created_at_timestamp\"",
            "key: xtask-${{ runner.os }}-${{ hashFiles('Cargo.lock') }}",
            "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
            "mnemonic = \"test test test test test test test test test test test junk\"",
            "let auth_header = format!(\"Bearer {}\", token);",
            "api_key_path = \"/etc/svc/api-key.txt\"",
            "token_url = \"https://oauth2.googleapis.com/token\"",
            "password_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"",
            "let jwt_prefix = \"eyJhbGciOi\";",
            "const SLACK_PREFIX: &str = \"xoxb-\";",
            "stripe_publishable = \"pk_live_51H8abcdefghijklmnopqrst\"",
        ]
        .map(String::from),
    );
    out
}

#[test]
fn every_rule_finds_its_secrets_and_nothing_else() {
    let mut random = Random(0x5eed_cafe_f00d_d00d);
    let mut per_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut missed = Vec::new();
    for (rule, text) in positives(&mut random) {
        let mut found: Vec<Finding> = Vec::new();
        scan_text("corpus.txt", &text, &mut found);
        let entry = per_rule.entry(rule).or_default();
        entry.1 += 1;
        if found.iter().any(|f| f.rule == rule) {
            entry.0 += 1;
        } else {
            missed.push(format!(
                "{rule}: {text} -> {:?}",
                found.iter().map(|f| f.rule).collect::<Vec<_>>()
            ));
        }
    }
    let mut false_positives = Vec::new();
    for text in negatives(&mut random) {
        let mut found = Vec::new();
        scan_text("corpus.txt", &text, &mut found);
        for f in found {
            false_positives.push(format!("{}: {text}", f.rule));
        }
    }
    export_corpus(&mut Random(0x5eed_cafe_f00d_d00d));
    for (rule, (hit, total)) in &per_rule {
        eprintln!("{rule:24} recall {hit}/{total}");
    }
    eprintln!("false positives: {}", false_positives.len());
    assert!(missed.is_empty(), "missed:\n{}", missed.join("\n"));
    assert!(
        false_positives.is_empty(),
        "false positives:\n{}",
        false_positives.join("\n")
    );
    assert_eq!(
        per_rule.len(),
        windlass_secrets::rules::RULES.len(),
        "every rule has positives"
    );
}

/// With `WINDLASS_CORPUS_DIR` set, writes the corpus there (`positive/<rule>-<n>.txt`,
/// `negative/<n>.txt`) so that `benches/secrets.py` can run another scanner on the same input.
fn export_corpus(random: &mut Random) {
    let Some(dir) = std::env::var_os("WINDLASS_CORPUS_DIR").map(std::path::PathBuf::from) else {
        return;
    };
    for sub in ["positive", "negative"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for (i, (rule, text)) in positives(random).into_iter().enumerate() {
        std::fs::write(
            dir.join(format!("positive/{rule}-{i}.txt")),
            format!("{text}\n"),
        )
        .unwrap();
    }
    for (i, text) in negatives(random).into_iter().enumerate() {
        std::fs::write(dir.join(format!("negative/{i}.txt")), format!("{text}\n")).unwrap();
    }
}
