//! Packing and unpacking release archives: reproducible `.tar.gz` files (the `pack` feature;
//! what reads only names and checksums does without tar and flate2).

use crate::error::refused;
use crate::{CHECKSUMS, already_made, archive_name, sbom_name};
use anyhow::{Context, Result};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Writes `name-version-target.tar.gz` into `out_dir`: `stem/bin` (0755) and the companions
/// (0644), every entry stamped `mtime`.
pub fn pack(
    out_dir: &Path,
    stem: &str,
    executable: &Path,
    bin_name: &str,
    companions: &[PathBuf],
    mtime: u64,
) -> Result<PathBuf> {
    let archive = out_dir.join(archive_name(stem));
    let mut entries: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let binary = std::fs::read(executable)
        .with_context(|| format!("cannot read {}", executable.display()))?;
    entries.push((format!("{stem}/{bin_name}"), binary, 0o755));
    for file in companions {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        entries.push((format!("{stem}/{name}"), bytes, 0o644));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let gzip = flate2::GzBuilder::new()
        .mtime(u32::try_from(mtime).unwrap_or(0))
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, bytes, mode) in &entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, bytes.as_slice())?;
    }
    let mut gzip = tar.into_inner()?;
    gzip.flush()?;
    let bytes = gzip.finish()?;
    crate::write_atomic(&archive, &bytes)?;
    Ok(archive)
}

/// A binary taken out of a release archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// The binary, written under the destination directory.
    pub binary: PathBuf,
    /// Its name.
    pub name: String,
    /// The release version: from the SBOM beside the archive, else from the archive's name.
    pub version: Option<String>,
    /// Whether a `SHA256SUMS` beside the archive vouched for it.
    pub verified: bool,
}

/// The bounds of an unpack: what a hostile archive (a decompression bomb, millions of empty
/// entries) can cost before it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes read out of the archive, every entry counted (default 2 GiB).
    pub max_bytes: u64,
    /// The most entries (default 10 000; a release archive has a handful).
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 2 << 30,
            max_entries: 10_000,
        }
    }
}

/// Takes the binary `bin` (or the archive's only executable) out of a release archive made
/// by `--artifacts`, into `dest`. A `SHA256SUMS` beside the archive must list it with its
/// hash; an archive that does not match is refused before anything is unpacked. The archive
/// is read as a stream — never whole into memory — and refused (nothing left in `dest`) as
/// soon as it would pass `limits`, before the disk fills.
// Long: the streaming unpack is one loop whose every branch is a bound or a refusal (links, paths,
// sizes, counts, hash); split, each bound would lose the running totals it checks.
pub fn unpack_release(
    archive: &Path,
    bin: Option<&str>,
    dest: &Path,
    limits: Limits,
) -> Result<Unpacked> {
    let file_name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file_name
        .strip_suffix(".tar.gz")
        .unwrap_or(&file_name)
        .to_string();
    let dir = archive.parent().unwrap_or(Path::new("."));
    let sums = dir.join(CHECKSUMS);
    let verified = sums.is_file();
    if verified && !already_made(archive) {
        return Err(refused(format!(
            "{} does not match its entry in {}: it is not the archive the release made",
            archive.display(),
            sums.display()
        ))
        .hint("rebuild it with `cargo xtask release --artifacts-only` on the release tag")
        .into());
    }
    let file = std::fs::File::open(archive)
        .with_context(|| format!("cannot read {}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let bad = |e: std::io::Error| -> anyhow::Error {
        refused(format!(
            "{} is not a readable .tar.gz: {e}",
            archive.display()
        ))
        .into()
    };
    let too_big = |what: String| -> anyhow::Error {
        refused(format!(
            "{} is refused, nothing was deployed: {what}",
            archive.display()
        ))
        .hint("a release archive holds a binary and a few small files; raise `max-unpacked` in the environment's config only for an archive you trust")
        .into()
    };
    let root = windlass_fs::Root::create(dest)
        .map_err(|e| refused(format!("cannot unpack into {}: {e}", dest.display())))?;
    let mut taken: Vec<(String, PathBuf)> = Vec::new();
    let result = (|| -> Result<()> {
        let (mut bytes, mut entries) = (0u64, 0u64);
        for entry in tar.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            entries += 1;
            if entries > limits.max_entries {
                return Err(too_big(format!(
                    "it has more than {} entries",
                    limits.max_entries
                )));
            }
            let size = entry.header().size().map_err(bad)?;
            bytes = bytes.saturating_add(size);
            if bytes > limits.max_bytes {
                return Err(too_big(format!(
                    "it unpacks to more than {} bytes",
                    limits.max_bytes
                )));
            }
            let header = entry.header();
            let executable = header.mode().is_ok_and(|m| m & 0o111 != 0);
            if header.entry_type() != tar::EntryType::Regular || !executable {
                continue;
            }
            let name = entry
                .path()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .filter(|n| crate::is_file_name(n))
                .unwrap_or_default();
            if name.is_empty() || bin.is_some_and(|b| b != name) {
                continue;
            }
            let partial = PathBuf::from(format!(".{name}.windlass-unpack-{}", taken.len()));
            taken.push((name, partial.clone()));
            // The header's size was counted; the stream may not be longer than it says.
            let mut counted = Counted {
                inner: (&mut entry).take(size.saturating_add(1)),
                bytes: 0,
            };
            root.write_from(&partial, &mut counted, windlass_fs::Perm::Executable)
                .map_err(|e| refused(format!("cannot unpack {}: {e}", archive.display())))?;
            if counted.bytes > size {
                return Err(too_big("an entry is longer than its header says".into()));
            }
        }
        Ok(())
    })();
    let cleanup = |taken: &[(String, PathBuf)]| {
        for (_, partial) in taken {
            let _ = root.remove_file(partial);
        }
    };
    if let Err(e) = result {
        cleanup(&taken);
        return Err(e);
    }
    let (name, partial) = match taken.len() {
        1 => taken.remove(0),
        0 => {
            return Err(refused(format!(
                "{} holds no executable{}",
                archive.display(),
                bin.map(|b| format!(" named `{b}`")).unwrap_or_default()
            ))
            .into());
        }
        _ => {
            cleanup(&taken);
            return Err(
                refused(format!("{} holds several executables", archive.display()))
                    .hint("name the one to deploy with `bin` in the environment's config")
                    .into(),
            );
        }
    };
    let binary = dest.join(&name);
    root.rename(&partial, Path::new(&name))
        .with_context(|| format!("cannot write {}", binary.display()))?;
    let version =
        version_from_sbom(&dir.join(sbom_name(&stem))).or_else(|| version_from_stem(&stem, &name));
    Ok(Unpacked {
        binary,
        name,
        version,
        verified,
    })
}

/// Unpacks the directories and regular files of the `.tar.gz` at `archive` under `dest` (an
/// advisory database's snapshot): entries with `..`, an absolute path, a link or a device are
/// left out, never written; the bytes and entries are bounded by `limits`. The number of files
/// written.
pub fn unpack_tree(archive: &Path, dest: &Path, limits: Limits) -> Result<usize> {
    let file = std::fs::File::open(archive)
        .map_err(|e| crate::error::io(format!("cannot read {}: {e}", archive.display())))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let bad = |e: std::io::Error| -> anyhow::Error {
        refused(format!(
            "{} is not a readable .tar.gz: {e}",
            archive.display()
        ))
        .into()
    };
    let root = windlass_fs::Root::create(dest).map_err(windlass_core::files::error)?;
    let (mut bytes, mut entries, mut written) = (0u64, 0u64, 0usize);
    for entry in tar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        entries += 1;
        let size = entry.header().size().map_err(bad)?;
        bytes = bytes.saturating_add(size);
        if entries > limits.max_entries || bytes > limits.max_bytes {
            return Err(refused(format!(
                "{} unpacks to more than {} entries or {} bytes: refused",
                archive.display(),
                limits.max_entries,
                limits.max_bytes
            ))
            .into());
        }
        let Ok(path) = entry.path().map(|p| p.into_owned()) else {
            continue;
        };
        let inside = path.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
        if !inside {
            continue;
        }
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                root.create_dir_all(&path)
                    .map_err(windlass_core::files::error)?;
            }
            tar::EntryType::Regular => {
                let mut counted = Counted {
                    inner: (&mut entry).take(size.saturating_add(1)),
                    bytes: 0,
                };
                root.write_from(&path, &mut counted, windlass_fs::Perm::Keep)
                    .map_err(windlass_core::files::error)?;
                if counted.bytes > size {
                    return Err(refused(format!(
                        "{}: an entry is longer than its header says",
                        archive.display()
                    ))
                    .into());
                }
                written += 1;
            }
            // Links, devices, pipes: never part of a snapshot windlass reads.
            _ => {}
        }
    }
    Ok(written)
}

/// A reader that counts what passed through it.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

fn version_from_sbom(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let sbom: serde_json::Value = serde_json::from_str(&text).ok()?;
    sbom["metadata"]["component"]["version"]
        .as_str()
        .map(str::to_string)
}

/// The version in `name-version-target`: the target triple starts with its architecture.
fn version_from_stem(stem: &str, bin: &str) -> Option<String> {
    const ARCHES: [&str; 12] = [
        "x86_64",
        "aarch64",
        "i686",
        "i586",
        "arm",
        "riscv",
        "powerpc",
        "s390x",
        "wasm32",
        "mips",
        "loongarch64",
        "sparc",
    ];
    let rest = stem.strip_prefix(bin)?.strip_prefix('-')?;
    rest.match_indices('-').find_map(|(at, _)| {
        let target = &rest[at + 1..];
        ARCHES
            .iter()
            .any(|a| target.starts_with(a))
            .then(|| rest[..at].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksums;

    #[test]
    fn archives_are_reproducible_and_checksummed() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("svc");
        std::fs::write(&exe, b"\x7fELF fake").unwrap();
        let readme = dir.path().join("README.md");
        std::fs::write(&readme, "# svc\n").unwrap();
        let out = dir.path().join("out");
        let a = pack(
            &out,
            "svc-1.0.0-x86_64-unknown-linux-gnu",
            &exe,
            "svc",
            std::slice::from_ref(&readme),
            1_700_000_000,
        )
        .unwrap();
        let first = std::fs::read(&a).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = pack(
            &out,
            "svc-1.0.0-x86_64-unknown-linux-gnu",
            &exe,
            "svc",
            &[readme],
            1_700_000_000,
        )
        .unwrap();
        assert_eq!(first, std::fs::read(&b).unwrap());
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(first.as_slice()));
        let names: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (
                    "svc-1.0.0-x86_64-unknown-linux-gnu/README.md".to_string(),
                    0o644
                ),
                ("svc-1.0.0-x86_64-unknown-linux-gnu/svc".to_string(), 0o755)
            ]
        );
        let sums = checksums(std::slice::from_ref(&a)).unwrap();
        std::fs::write(out.join("SHA256SUMS"), &sums).unwrap();
        assert!(
            sums.ends_with("  svc-1.0.0-x86_64-unknown-linux-gnu.tar.gz\n"),
            "{sums}"
        );
        assert!(already_made(&a));

        let unpacked =
            unpack_release(&a, None, &dir.path().join("deploy"), Limits::default()).unwrap();
        assert_eq!(unpacked.name, "svc");
        assert_eq!(unpacked.version.as_deref(), Some("1.0.0"));
        assert!(unpacked.verified);
        assert_eq!(std::fs::read(&unpacked.binary).unwrap(), b"\x7fELF fake");

        std::fs::write(&a, b"tampered").unwrap();
        assert!(!already_made(&a));
        let err =
            unpack_release(&a, None, &dir.path().join("deploy"), Limits::default()).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
    }

    #[test]
    fn versions_from_archive_names() {
        assert_eq!(
            version_from_stem("svc-1.2.4-rc.1-x86_64-unknown-linux-gnu", "svc").as_deref(),
            Some("1.2.4-rc.1")
        );
        assert_eq!(
            version_from_stem("my-bot-2.0.0-aarch64-apple-darwin", "my-bot").as_deref(),
            Some("2.0.0")
        );
        assert_eq!(version_from_stem("svc-1.0.0-x", "svc"), None);
    }
}
