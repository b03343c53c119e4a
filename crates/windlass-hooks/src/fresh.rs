//! The hook's way past `cargo run`: a commit runs the xtask binary directly when it is provably
//! the one `cargo xtask` would run, and hands over to cargo otherwise.
//!
//! Most of a one-file `cargo xtask pre-commit` is cargo deciding that nothing needs building.
//! The hook instead keeps a stamp (under `.git/windlass/`) written by the xtask itself when
//! cargo last ran it for the hook, and runs the binary the stamp names; the binary checks the
//! stamp before anything else and exits [`HAND_OVER`] when it cannot vouch for itself, and
//! the hook then runs `cargo xtask pre-commit`, which builds what changed and writes a new
//! stamp.
//!
//! Why the stamp proves freshness. Cargo's own check rests on modification times: a build is
//! stale when a file its dep-info lists changed after that build started. A stamp is written
//! only when cargo ran the binary without building it (the binary is older than the margin), so
//! at `proof`, the moment the run started, cargo had found every source unchanged since the
//! build. The stamp lists those sources (cargo's `.d` file beside the binary) and every
//! manifest, lockfile, cargo config and toolchain file in the directories above them, and the
//! binary's identity (size, modification time, inode). If the binary is the same and no listed
//! file changed since `proof`, cargo would find it fresh now too: no weaker than cargo itself.
//! The margin covers file systems with coarse clocks and the instant between cargo's check and
//! the start of the run. A file created later in one of those directories (a new
//! `rust-toolchain.toml`) changes how cargo builds, not what the xtask does, and is not looked
//! for. Anything unexpected (a stamp of another binary, an unreadable one, a listed file gone)
//! hands over: the cost of a wrong "stale" is one `cargo run`, of a wrong "fresh" a commit
//! checked by old code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use windlass_core::time::unix_nanos as nanos;

/// The exit code by which the binary asks the hook to run `cargo xtask` instead.
pub const HAND_OVER: u8 = 75;

/// Set by the hook when it runs the binary directly: the stamp to check it against.
pub const VERIFY_VARIABLE: &str = "WINDLASS_HOOK_VERIFY";

/// Set by the hook when it runs `cargo xtask`: where to write the stamp cargo's check proves.
pub const RECORD_VARIABLE: &str = "WINDLASS_HOOK_RECORD";

/// How much older than the proof a file must be to count as unchanged.
pub const MARGIN: Duration = Duration::from_secs(5);

/// The stamp's own format line, so that a stamp of another version is never misread.
const FORMAT: &str = "windlass-hook-stamp 1";

/// Files in a directory above a source that change what cargo builds.
const BUILD_FILES: [&str; 6] = [
    "Cargo.toml",
    "Cargo.lock",
    ".cargo/config.toml",
    ".cargo/config",
    "rust-toolchain.toml",
    "rust-toolchain",
];

/// The most a stamp may hold: far above the sources of any xtask.
const STAMP_LIMIT: u64 = 4 * 1024 * 1024;

/// What a run started by the hook does first: `Some(HAND_OVER)` when it must not go on.
/// Nothing happens when neither variable is set (every run not started by the hook). Decided
/// once per process: both windlass's own command line and an xtask's own that nests windlass
/// ask, and the first to ask decides.
pub fn at_start() -> Option<u8> {
    static DECIDED: std::sync::OnceLock<Option<u8>> = std::sync::OnceLock::new();
    *DECIDED.get_or_init(decide)
}

fn decide() -> Option<u8> {
    if let Some(stamp) = std::env::var_os(VERIFY_VARIABLE) {
        let exe = std::env::current_exe().ok()?;
        return match verify(Path::new(&stamp), &exe) {
            Verdict::Fresh => None,
            Verdict::Stale(_) => Some(HAND_OVER),
        };
    }
    // Only a run cargo started, which it does after its freshness check, may write a proof.
    if let (Some(stamp), true) = (
        std::env::var_os(RECORD_VARIABLE),
        std::env::var_os("CARGO_PKG_NAME").is_some(),
    ) && let Ok(exe) = std::env::current_exe()
    {
        // A stamp that cannot be written only costs the next commit a `cargo run`.
        let _ = record(Path::new(&stamp), &exe, SystemTime::now());
    }
    None
}

/// Whether the binary can vouch for itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every file it was built from is as it was at the proof.
    Fresh,
    /// Why not.
    Stale(String),
}

/// The binary's identity: what changes when cargo links or puts back another one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    len: u64,
    modified: u128,
    inode: u64,
}

impl Identity {
    fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            len: meta.len(),
            modified: nanos(meta.modified()?),
            inode: inode(&meta),
        })
    }

    /// The stamp's line for it.
    fn line(&self) -> String {
        format!("binary {} {} {}", self.len, self.modified, self.inode)
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// Writes the stamp for `exe`, run by cargo at `proof`. Writes nothing (and says why) when
/// cargo has just built the binary (its sources may have changed while it compiled, which only
/// cargo's own records would show) or when a path cannot be written one per line.
pub fn record(stamp: &Path, exe: &Path, proof: SystemTime) -> Result<(), String> {
    let identity = Identity::of(exe).map_err(|e| format!("{}: {e}", exe.display()))?;
    let proof_nanos = nanos(proof);
    if identity.modified + MARGIN.as_nanos() > proof_nanos {
        return Err("cargo has just built the binary".into());
    }
    let dep_info = std::fs::read_to_string(exe.with_extension("d"))
        .map_err(|e| format!("no dep-info beside {}: {e}", exe.display()))?;
    let sources = parse_dep_info(&dep_info);
    if sources.is_empty() {
        return Err("the dep-info lists no sources".into());
    }
    let mut files: BTreeSet<PathBuf> = sources.iter().map(PathBuf::from).collect();
    if let Some(missing) = files.iter().find(|f| !f.is_file()) {
        return Err(format!(
            "{} (in cargo's dep-info) is not there",
            missing.display()
        ));
    }
    files.extend(build_files_above(&sources));
    let mut lines = Vec::with_capacity(files.len() + 1);
    for path in std::iter::once(exe).chain(files.iter().map(PathBuf::as_path)) {
        lines.push(
            path.to_str()
                .filter(|l| one_line(l))
                .ok_or_else(|| format!("{} cannot be one line of a stamp", path.display()))?,
        );
    }
    // The binary first: the hook reads line 1.
    let (binary, listed) = lines.split_first().ok_or("no binary")?;
    let text = format!(
        "{binary}\n{FORMAT}\nproof {proof_nanos}\n{}\n{}\n",
        identity.line(),
        listed.join("\n")
    );
    windlass_core::files::write_named(stamp, text.as_bytes()).map_err(|e| e.to_string())
}

/// A path the hook's `read -r` reads back as it is: one line, no surrounding blanks.
fn one_line(path: &str) -> bool {
    !path.is_empty() && !path.contains(['\n', '\r']) && path.trim() == path
}

/// Checks the stamp at `stamp` against the running binary `exe`.
pub fn verify(stamp: &Path, exe: &Path) -> Verdict {
    match check(stamp, exe) {
        Ok(()) => Verdict::Fresh,
        Err(why) => Verdict::Stale(why),
    }
}

fn check(stamp: &Path, exe: &Path) -> Result<(), String> {
    let text =
        windlass_core::files::read_text_limited(stamp, STAMP_LIMIT).map_err(|e| e.to_string())?;
    let mut lines = text.lines();
    let (Some(binary), Some(FORMAT), Some(proof), Some(identity)) =
        (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return Err("the stamp is not one windlass wrote".into());
    };
    if Path::new(binary) != exe {
        return Err(format!("the stamp is of {binary}"));
    }
    let proof: u128 = proof
        .strip_prefix("proof ")
        .and_then(|p| p.parse().ok())
        .ok_or("the stamp has no proof time")?;
    let current = Identity::of(exe).map_err(|e| e.to_string())?;
    if identity != current.line() {
        return Err("the binary is not the one the stamp vouches for".into());
    }
    let limit = proof.saturating_sub(MARGIN.as_nanos());
    for file in lines {
        let modified = std::fs::metadata(file)
            .and_then(|m| m.modified())
            .map_err(|e| format!("{file}: {e}"))?;
        if nanos(modified) > limit {
            return Err(format!("{file} changed"));
        }
    }
    Ok(())
}

/// The sources of cargo's dep-info line `target: a b\ c`: its paths, spaces escaped as `\ `.
pub fn parse_dep_info(text: &str) -> Vec<String> {
    let Some(line) = text.lines().next() else {
        return Vec::new();
    };
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                word.push(' ');
                chars.next();
            }
            ' ' => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    // The first word is the target, ending in `:`; a target holding `: ` (never one cargo
    // writes) would leave its tail first, which is no file and so hands over.
    if words.first().is_some_and(|w| w.ends_with(':')) {
        words.remove(0);
    }
    words
}

/// The build files that exist in the directories holding the sources and above them.
fn build_files_above(sources: &[String]) -> Vec<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for source in sources {
        for dir in Path::new(source).ancestors().skip(1) {
            if !seen.insert(dir.to_path_buf()) {
                break;
            }
            found.extend(
                BUILD_FILES
                    .iter()
                    .map(|name| dir.join(name))
                    .filter(|path| path.is_file()),
            );
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    /// The files of [`Built`]: sources, manifests, a lockfile and the binary.
    const FILES: [(&str, &str); 6] = [
        ("ws/Cargo.toml", "[workspace]\n"),
        ("ws/Cargo.lock", "version = 4\n"),
        ("ws/xtask/Cargo.toml", "[package]\n"),
        ("ws/xtask/src/main.rs", "fn main() {}\n"),
        ("ws/xtask/src/my mod.rs", "\n"),
        ("target/debug/xtask", "binary"),
    ];

    /// A binary, its dep-info and sources, all an hour old, under a manifest and a lockfile.
    struct Built {
        dir: tempfile::TempDir,
    }

    impl Built {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            for (path, text) in FILES {
                let full = root.join(path);
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(&full, text).unwrap();
            }
            let src = root.join("ws/xtask/src");
            std::fs::write(
                root.join("target/debug/xtask.d"),
                format!(
                    "{}: {} {}\n",
                    root.join("target/debug/xtask").display(),
                    src.join("main.rs").display(),
                    src.join("my mod.rs")
                        .display()
                        .to_string()
                        .replace(' ', "\\ ")
                ),
            )
            .unwrap();
            let built = Self { dir };
            for (path, _) in FILES {
                built.age(path, 3600);
            }
            built
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.dir.path().join(rel)
        }

        fn age(&self, rel: &str, seconds: u64) {
            let when = SystemTime::now() - Duration::from_secs(seconds);
            File::options()
                .write(true)
                .open(self.path(rel))
                .unwrap()
                .set_modified(when)
                .unwrap();
        }

        fn exe(&self) -> PathBuf {
            self.path("target/debug/xtask")
        }

        fn stamp(&self) -> PathBuf {
            self.path("git/windlass/xtask-fresh")
        }

        fn record(&self) -> Result<(), String> {
            record(&self.stamp(), &self.exe(), SystemTime::now())
        }

        fn verify(&self) -> Verdict {
            verify(&self.stamp(), &self.exe())
        }
    }

    fn stale(verdict: Verdict, why: &str) {
        match verdict {
            Verdict::Stale(said) => assert!(said.contains(why), "{said}"),
            Verdict::Fresh => panic!("fresh, expected stale: {why}"),
        }
    }

    #[test]
    fn a_stamp_lists_the_sources_and_every_build_file_above_them() {
        let built = Built::new();
        built.record().unwrap();
        let text = std::fs::read_to_string(built.stamp()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            built.exe().to_str().unwrap(),
            "the hook reads line 1"
        );
        assert_eq!(lines[1], FORMAT);
        for rel in [
            "ws/Cargo.toml",
            "ws/Cargo.lock",
            "ws/xtask/Cargo.toml",
            "ws/xtask/src/main.rs",
            "ws/xtask/src/my mod.rs",
        ] {
            let path = built.path(rel);
            assert!(lines.contains(&path.to_str().unwrap()), "{rel}: {text}");
        }
        assert_eq!(built.verify(), Verdict::Fresh);
    }

    #[test]
    fn a_source_changed_after_the_proof_hands_over() {
        let built = Built::new();
        built.record().unwrap();
        std::fs::write(built.path("ws/xtask/src/my mod.rs"), "// edited\n").unwrap();
        stale(built.verify(), "my mod.rs changed");
    }

    #[test]
    fn a_manifest_or_lockfile_changed_hands_over() {
        for rel in ["ws/Cargo.lock", "ws/xtask/Cargo.toml", "ws/Cargo.toml"] {
            let built = Built::new();
            built.record().unwrap();
            built.age(rel, 0);
            stale(built.verify(), rel.rsplit('/').next().unwrap());
        }
    }

    #[test]
    fn a_source_gone_hands_over() {
        let built = Built::new();
        built.record().unwrap();
        std::fs::remove_file(built.path("ws/xtask/src/main.rs")).unwrap();
        stale(built.verify(), "main.rs");
    }

    #[test]
    fn another_binary_in_its_place_hands_over() {
        let built = Built::new();
        built.record().unwrap();
        // As cargo puts back an older build: another file, an old time.
        std::fs::remove_file(built.exe()).unwrap();
        std::fs::write(built.exe(), "binary").unwrap();
        built.age("target/debug/xtask", 3600);
        stale(built.verify(), "not the one the stamp vouches for");
    }

    #[test]
    fn a_stamp_of_another_binary_or_not_a_stamp_hands_over() {
        let built = Built::new();
        built.record().unwrap();
        stale(
            verify(&built.stamp(), &built.path("ws/xtask/src/main.rs")),
            "the stamp is of",
        );
        std::fs::write(built.stamp(), "/bin/sh\n").unwrap();
        stale(built.verify(), "not one windlass wrote");
        std::fs::remove_file(built.stamp()).unwrap();
        stale(built.verify(), "");
    }

    #[test]
    fn nothing_is_recorded_for_a_binary_cargo_has_just_built() {
        let built = Built::new();
        built.age("target/debug/xtask", 1);
        let said = built.record().unwrap_err();
        assert!(said.contains("just built"), "{said}");
        assert!(!built.stamp().exists());
    }

    #[test]
    fn a_source_edited_just_before_the_proof_is_not_vouched_for() {
        // Inside the margin: it may have changed after cargo's check.
        let built = Built::new();
        built.age("ws/xtask/src/main.rs", 2);
        built.record().unwrap();
        stale(built.verify(), "main.rs changed");
    }

    #[test]
    fn a_binary_path_the_hook_cannot_read_back_is_never_recorded() {
        let built = Built::new();
        let odd = built.path("odd\ntarget/debug");
        std::fs::create_dir_all(&odd).unwrap();
        for name in ["xtask", "xtask.d"] {
            std::fs::copy(built.path("target/debug").join(name), odd.join(name)).unwrap();
        }
        let exe = odd.join("xtask");
        built.age("odd\ntarget/debug/xtask", 3600);
        let said = record(&built.stamp(), &exe, SystemTime::now()).unwrap_err();
        assert!(said.contains("one line"), "{said}");
        assert!(!built.stamp().exists());
    }

    #[test]
    fn a_source_cargo_lists_that_is_not_there_is_never_vouched_for() {
        let built = Built::new();
        std::fs::remove_file(built.path("ws/xtask/src/main.rs")).unwrap();
        let said = built.record().unwrap_err();
        assert!(said.contains("main.rs"), "{said}");
        assert!(!built.stamp().exists());
    }

    #[test]
    fn dep_info_paths_keep_their_escaped_spaces() {
        assert_eq!(
            parse_dep_info("/t/xtask: /a/b.rs /c/my\\ dir/d.rs  /e\\f.rs\n"),
            vec!["/a/b.rs", "/c/my dir/d.rs", "/e\\f.rs"]
        );
        assert!(parse_dep_info("").is_empty());
        assert!(parse_dep_info("/t/xtask:\n").is_empty());
    }
}
