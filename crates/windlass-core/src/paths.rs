//! Paths as users see them: relative to the repository root, with `/`, and command lines
//! quoted so that they can be pasted back into a shell.

use std::path::{Component, Path, PathBuf};

/// The repository root for `dir`: `$GITHUB_WORKSPACE` when it contains `dir` (annotations are
/// resolved against it), else the nearest ancestor holding `.git`, else `dir` itself.
pub fn repository_root(dir: &Path) -> PathBuf {
    if let Some(gh) = std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from) {
        let gh = normalize(&gh);
        if dir.starts_with(&gh) {
            return gh;
        }
    }
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .map_or_else(|| dir.to_path_buf(), Path::to_path_buf)
}

/// `path` relative to `base` with `/` separators; `path` unchanged (with `/`) when it lies
/// outside `base`. A relative `path` is taken as relative to `cwd`.
pub fn display_relative(path: &Path, cwd: &Path, base: &Path) -> String {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let absolute = normalize(&absolute);
    let shown = absolute.strip_prefix(base).unwrap_or(&absolute);
    shown.to_string_lossy().replace('\\', "/")
}

/// Removes `.` and resolves `..` lexically, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A command line, each argument quoted for a POSIX shell only where it needs to be.
pub fn shell_line<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    args.into_iter()
        .map(|a| shell_quote(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One argument quoted for a POSIX shell, unchanged when it is plain.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Whether `name` is one file name: not empty, not `.` or `..`, without a path separator or
/// a control character. What a config names as a file in a directory of windlass's (a
/// release's binary) must be one, or it could write anywhere.
pub use windlass_fs::is_file_name;

/// Whether `path` stays inside the directory it is relative to: not absolute, and never
/// above it once `.` and `..` are resolved in order (`a/../b` does, `../x` and `a/../../x`
/// do not).
pub fn stays_inside(path: &Path) -> bool {
    let mut depth: usize = 0;
    for component in path.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Config fields checked as they load: a bad value names its key (serde adds it) and the rule.
pub mod de {
    use serde::{Deserialize, Deserializer};
    use std::path::PathBuf;

    /// An optional file name ([`super::is_file_name`]).
    pub fn file_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let name = Option::<String>::deserialize(d)?;
        match &name {
            Some(n) if !super::is_file_name(n) => Err(serde::de::Error::custom(format!(
                "`{n}` is not a file name: write the name alone, without `/` or `..`"
            ))),
            _ => Ok(name),
        }
    }

    /// File names ([`super::is_file_name`]).
    pub fn file_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        if let Some(bad) = names.iter().find(|n| !super::is_file_name(n)) {
            return Err(serde::de::Error::custom(format!(
                "`{bad}` is not a file name: write the name alone, without `/` or `..`"
            )));
        }
        Ok(names)
    }

    /// An optional relative path that stays inside its base ([`super::stays_inside`]).
    pub fn inside<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
        let path = Option::<PathBuf>::deserialize(d)?;
        match &path {
            Some(p) if !super::stays_inside(p) => Err(serde::de::Error::custom(format!(
                "`{}` leaves the workspace root: write a directory inside it, relative to it",
                p.display()
            ))),
            _ => Ok(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_paths_that_stay_inside() {
        for ok in ["svc", "svc-1.2", ".hidden", "a b"] {
            assert!(is_file_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "x\ny", "/abs"] {
            assert!(!is_file_name(bad), "{bad:?}");
        }
        for inside in ["service", "a/../b", "./a", "a/b/.."] {
            assert!(stays_inside(Path::new(inside)), "{inside}");
        }
        for outside in ["../", "../../", "a/../../x", "/etc", "./.."] {
            assert!(!stays_inside(Path::new(outside)), "{outside}");
        }
    }

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(
            shell_line(["cargo", "fmt", "--", "--check", "my dir", "it's", ""]),
            r"cargo fmt -- --check 'my dir' 'it'\''s' ''"
        );
    }

    #[test]
    fn relative_paths_use_forward_slashes_and_resolve_dots() {
        let base = Path::new("/repo");
        assert_eq!(
            display_relative(Path::new("src/./a.rs"), Path::new("/repo/x"), base),
            "x/src/a.rs"
        );
        assert_eq!(
            display_relative(Path::new("/repo/x/../y.rs"), base, base),
            "y.rs"
        );
        assert_eq!(
            display_relative(Path::new("/elsewhere/y.rs"), base, base),
            "/elsewhere/y.rs"
        );
    }
}
