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

#[cfg(test)]
mod tests {
    use super::*;

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
