//! Signatures in minisign's format, so that the `minisign` tool verifies what `release --sign`
//! signs, and `deploy` verifies what `minisign -S` signed: Ed25519 over the BLAKE2b-512 hash
//! of the file (minisign's default "prehashed" signatures), with a trusted comment under a
//! second, global signature.
//!
//! Keys are minisign's files. A secret key must be unencrypted (`minisign -G -W`): it is a CI
//! secret, read from a file or `WINDLASS_SIGNING_KEY`, and never printed.

use crate::error::refused;
use anyhow::Result;
use blake2::{Blake2b512, Digest};
use ed25519_compact::{KeyPair, PublicKey as EdPublic, SecretKey as EdSecret, Signature};

/// The variable that may hold the secret key (the whole file, or its base64 line).
pub const KEY_VARIABLE: &str = "WINDLASS_SIGNING_KEY";

/// A public key: its id and the Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    id: [u8; 8],
    key: [u8; 32],
}

/// A secret key (unencrypted).
pub struct SecretKey {
    id: [u8; 8],
    pair: KeyPair,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself, even in a debug print.
        write!(f, "SecretKey({})", hex(&self.id))
    }
}

fn bad(what: &str, why: &str) -> anyhow::Error {
    refused(format!("{what}: {why}"))
        .hint("minisign keys come from `minisign -G -W` (the secret key unencrypted, for CI)")
        .into()
}

/// The base64 line of a minisign file: the first line that is not a comment.
fn payload(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
}

impl PublicKey {
    /// From a public key file's text, or its base64 line alone (`RWQ…`).
    pub fn parse(text: &str) -> Result<Self> {
        let what = "the minisign public key";
        let line = payload(text).ok_or_else(|| bad(what, "it is empty"))?;
        let bytes = base64_decode(line).ok_or_else(|| bad(what, "it is not base64"))?;
        if bytes.len() != 42 || &bytes[..2] != b"Ed" {
            return Err(bad(what, "it is not an Ed25519 minisign public key"));
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&bytes[2..10]);
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes[10..42]);
        Ok(Self { id, key })
    }

    /// The key id, as minisign prints it (upper-case hex of the little-endian id).
    pub fn id(&self) -> String {
        id_hex(&self.id)
    }

    /// Checks `signature` (a `.minisig` file's text) over `data`; the trusted comment when
    /// both signatures hold.
    pub fn verify(&self, data: &[u8], signature: &str) -> Result<String> {
        let what = "the signature";
        let mut lines = signature.lines().map(str::trim).filter(|l| !l.is_empty());
        let _untrusted = lines.next().filter(|l| l.starts_with("untrusted comment:"));
        let sig_line = lines.next().ok_or_else(|| bad(what, "it is truncated"))?;
        let trusted = lines
            .next()
            .and_then(|l| l.strip_prefix("trusted comment: "))
            .ok_or_else(|| bad(what, "it has no trusted comment"))?;
        let global_line = lines
            .next()
            .ok_or_else(|| bad(what, "it has no global signature"))?;
        let sig = base64_decode(sig_line).ok_or_else(|| bad(what, "it is not base64"))?;
        if sig.len() != 74 {
            return Err(bad(what, "it is not a minisign signature"));
        }
        let prehashed = match &sig[..2] {
            b"ED" => true,
            b"Ed" => false,
            _ => return Err(bad(what, "its algorithm is not Ed25519")),
        };
        if sig[2..10] != self.id {
            return Err(refused(format!(
                "the signature was made with the key {}, not with the configured key {}",
                id_hex(&sig[2..10]),
                self.id()
            ))
            .hint("sign with the key whose public half the environment configures")
            .into());
        }
        let public = EdPublic::new(self.key);
        let signed = signature_bytes(&sig[10..74])?;
        let message = if prehashed {
            Blake2b512::digest(data).to_vec()
        } else {
            data.to_vec()
        };
        public.verify(&message, &signed).map_err(|_| {
            anyhow::Error::new(refused(
                "the signature does not match the file: it was altered, or signed by another key",
            ))
        })?;
        let global = base64_decode(global_line)
            .ok_or_else(|| bad(what, "its global signature is not base64"))?;
        let mut covered = sig[10..74].to_vec();
        covered.extend_from_slice(trusted.as_bytes());
        public
            .verify(&covered, &signature_bytes(&global)?)
            .map_err(|_| {
                anyhow::Error::new(refused("the signature's trusted comment was altered"))
            })?;
        Ok(trusted.to_string())
    }
}

fn signature_bytes(bytes: &[u8]) -> Result<Signature> {
    Signature::from_slice(bytes).map_err(|_| bad("the signature", "it has the wrong length"))
}

impl SecretKey {
    /// From a secret key file's text (or its base64 line).
    pub fn parse(text: &str) -> Result<Self> {
        let what = "the minisign secret key";
        let line = payload(text).ok_or_else(|| bad(what, "it is empty"))?;
        let bytes = base64_decode(line).ok_or_else(|| bad(what, "it is not base64"))?;
        // sig alg (2) kdf alg (2) checksum alg (2) salt (32) opslimit (8) memlimit (8)
        // key id (8) secret key (64) checksum (32)
        if bytes.len() != 158 || &bytes[..2] != b"Ed" {
            return Err(bad(what, "it is not an Ed25519 minisign secret key"));
        }
        if bytes[2..4] != [0, 0] {
            return Err(bad(
                what,
                "it is encrypted with a password; create an unencrypted one for CI with `minisign -G -W`",
            ));
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&bytes[54..62]);
        let secret = &bytes[62..126];
        let mut check = Blake2bVar::new(32);
        check.update(&bytes[..2]);
        check.update(&id);
        check.update(secret);
        // `minisign -G -W` leaves the checksum of an unencrypted key zeroed.
        let unchecked = bytes[126..158].iter().all(|&b| b == 0);
        if !unchecked && check.finish() != bytes[126..158] {
            return Err(bad(what, "its checksum does not match: it is damaged"));
        }
        let sk = EdSecret::from_slice(secret).map_err(|_| bad(what, "its key is malformed"))?;
        let pk = sk.public_key();
        Ok(Self {
            id,
            pair: KeyPair { pk, sk },
        })
    }

    /// The secret key from `path`, or else from `WINDLASS_SIGNING_KEY`.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self> {
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    refused(format!("cannot read the signing key {}: {e}", path.display()))
                })?;
                Self::parse(&text)
            }
            None => match std::env::var(KEY_VARIABLE) {
                Ok(text) if !text.trim().is_empty() => Self::parse(&text),
                _ => Err(refused("--sign needs a minisign secret key")
                    .hint(format!(
                        "set {KEY_VARIABLE} to it (a CI secret), or signing-key = \"PATH\" in [workspace.metadata.windlass.release]"
                    ))
                    .into()),
            },
        }
    }

    /// Its public half, as a minisign public key file.
    pub fn public_key_file(&self) -> String {
        let mut bytes = b"Ed".to_vec();
        bytes.extend_from_slice(&self.id);
        bytes.extend_from_slice(self.pair.pk.as_ref());
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            id_hex(&self.id),
            base64_encode(&bytes)
        )
    }

    /// Signs `data` (prehashed, as minisign does by default), with `trusted` as the trusted
    /// comment: a `.minisig` file's text.
    pub fn sign(&self, data: &[u8], trusted: &str) -> String {
        let hashed = Blake2b512::digest(data);
        let signature = self.pair.sk.sign(hashed, None);
        let mut sig = b"ED".to_vec();
        sig.extend_from_slice(&self.id);
        sig.extend_from_slice(signature.as_ref());
        let mut covered = signature.as_ref().to_vec();
        covered.extend_from_slice(trusted.as_bytes());
        let global = self.pair.sk.sign(&covered, None);
        format!(
            "untrusted comment: signature from windlass secret key {}\n{}\ntrusted comment: {trusted}\n{}\n",
            id_hex(&self.id),
            base64_encode(&sig),
            base64_encode(global.as_ref())
        )
    }
}

/// BLAKE2b with a chosen output length (minisign's key checksum is 32 bytes).
struct Blake2bVar(blake2::Blake2bVar);

impl Blake2bVar {
    fn new(len: usize) -> Self {
        use blake2::digest::VariableOutput as _;
        Self(blake2::Blake2bVar::new(len).unwrap_or_else(|_| unreachable_len()))
    }

    fn update(&mut self, bytes: &[u8]) {
        use blake2::digest::Update as _;
        self.0.update(bytes);
    }

    fn finish(self) -> Vec<u8> {
        use blake2::digest::VariableOutput as _;
        let mut out = vec![0u8; self.0.output_size()];
        let _ = self.0.finalize_variable(&mut out);
        out
    }
}

fn unreachable_len() -> blake2::Blake2bVar {
    use blake2::digest::VariableOutput as _;
    // 64 is BLAKE2b's own length: always valid.
    blake2::Blake2bVar::new(64).unwrap_or_else(|_| panic!("BLAKE2b accepts 64-byte outputs"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// minisign prints a key id as the upper-case hex of its little-endian number.
fn id_hex(id: &[u8]) -> String {
    id.iter().rev().map(|b| format!("{b:02X}")).collect()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)?;
        acc = (acc << 6) | u32::try_from(v).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unencrypted minisign secret key made from `seed`, as `minisign -G -W` writes one.
    pub(crate) fn key_file(seed: u8, id: [u8; 8]) -> String {
        let pair = KeyPair::from_seed(ed25519_compact::Seed::new([seed; 32]));
        let mut bytes = b"Ed".to_vec();
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(b"B2");
        bytes.extend_from_slice(&[0u8; 48]);
        bytes.extend_from_slice(&id);
        bytes.extend_from_slice(pair.sk.as_ref());
        let mut check = Blake2bVar::new(32);
        check.update(b"Ed");
        check.update(&id);
        check.update(pair.sk.as_ref());
        bytes.extend_from_slice(&check.finish());
        format!(
            "untrusted comment: minisign encrypted secret key\n{}\n",
            base64_encode(&bytes)
        )
    }

    #[test]
    fn base64_round_trips() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(base64_decode(&base64_encode(data)).unwrap(), data);
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
    }

    #[test]
    fn a_signature_verifies_with_its_key_only_and_not_after_a_change() {
        let key = SecretKey::parse(&key_file(7, [1, 2, 3, 4, 5, 6, 7, 8])).unwrap();
        let public = PublicKey::parse(&key.public_key_file()).unwrap();
        assert_eq!(public.id(), "0807060504030201");
        let signature = key.sign(b"abc  file\n", "timestamp:0\tfile:SHA256SUMS");
        assert_eq!(
            public.verify(b"abc  file\n", &signature).unwrap(),
            "timestamp:0\tfile:SHA256SUMS"
        );
        assert!(public.verify(b"abd  file\n", &signature).is_err());
        let other = SecretKey::parse(&key_file(9, [9; 8])).unwrap();
        let err = PublicKey::parse(&other.public_key_file())
            .unwrap()
            .verify(b"abc  file\n", &signature)
            .unwrap_err()
            .to_string();
        assert!(err.contains("made with the key 0807060504030201"), "{err}");
        let tampered = signature.replace("file:SHA256SUMS", "file:OTHER");
        assert!(public.verify(b"abc  file\n", &tampered).is_err());
        assert!(!format!("{key:?}").contains(&key_file(7, [1, 2, 3, 4, 5, 6, 7, 8])[50..70]));
    }
}
