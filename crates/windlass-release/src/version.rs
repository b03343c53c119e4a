//! What the next version is: a bump level (or `auto`, from the commits) or an explicit version,
//! applied with SemVer's rules for pre-releases.

use anyhow::Result;
use cargo_metadata::semver::{BuildMetadata, Prerelease, Version};
use windlass_core::UsageError;

/// How to bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// 1.2.3 → 1.2.4.
    Patch,
    /// 1.2.3 → 1.3.0.
    Minor,
    /// 1.2.3 → 2.0.0.
    Major,
    /// A pre-release of the next patch, or the next number of the current one.
    Pre(PreKind),
    /// 1.3.0-rc.2 → 1.3.0.
    Release,
    /// From the commits since the previous tag: breaking → major, feat → minor, else patch.
    Auto,
}

/// The pre-release channels, in SemVer order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PreKind {
    /// `-alpha.N`.
    Alpha,
    /// `-beta.N`.
    Beta,
    /// `-rc.N`.
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            PreKind::Alpha => "alpha",
            PreKind::Beta => "beta",
            PreKind::Rc => "rc",
        }
    }
}

/// What the user asked for on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A bump level.
    Level(Level),
    /// An exact version.
    Exact(Version),
}

impl Target {
    /// Parses `patch`, `minor`, `major`, `rc`, `beta`, `alpha`, `release`, `auto` or a SemVer
    /// version (an optional leading `v` is accepted, as tags are often typed).
    pub fn parse(text: &str) -> Result<Self> {
        let level = match text {
            "patch" => Level::Patch,
            "minor" => Level::Minor,
            "major" => Level::Major,
            "rc" => Level::Pre(PreKind::Rc),
            "beta" => Level::Pre(PreKind::Beta),
            "alpha" => Level::Pre(PreKind::Alpha),
            "release" => Level::Release,
            "auto" => Level::Auto,
            other => {
                let bare = other.strip_prefix('v').unwrap_or(other);
                return Version::parse(bare).map(Target::Exact).map_err(|e| {
                    UsageError::new(format!("`{other}` is neither a bump level nor a version: {e}"))
                        .hint("use patch, minor, major, rc, beta, alpha, release, auto, or a version such as 1.4.0")
                        .into()
                });
            }
        };
        Ok(Target::Level(level))
    }
}

/// `current` bumped by `level` (never `Auto`: resolve it first with [`Level::resolve`]).
pub fn bump(current: &Version, level: Level) -> Result<Version> {
    let mut next = Version::new(current.major, current.minor, current.patch);
    next.build = BuildMetadata::EMPTY;
    let stable = current.pre.is_empty();
    match level {
        // A pre-release of x.y.z is followed by x.y.z itself, at whichever level: 1.3.0-rc.1
        // `minor` → 1.3.0, as cargo-release does.
        Level::Patch if stable => next.patch += 1,
        Level::Minor if stable || current.patch != 0 => {
            next.minor += 1;
            next.patch = 0;
        }
        Level::Major if stable || current.minor != 0 || current.patch != 0 => {
            next.major += 1;
            next.minor = 0;
            next.patch = 0;
        }
        Level::Patch | Level::Minor | Level::Major => {}
        Level::Release => {
            if stable {
                return Err(UsageError::new(format!(
                    "{current} is not a pre-release: there is nothing for `release` to strip"
                ))
                .hint("use patch, minor or major")
                .into());
            }
        }
        Level::Pre(kind) => next = next_prerelease(current, kind)?,
        // Resolved against the commits before any bump (`Level::resolve`).
        Level::Auto => anyhow::bail!("the `auto` level must be resolved from the commits first"),
    }
    Ok(next)
}

fn next_prerelease(current: &Version, kind: PreKind) -> Result<Version> {
    let mut next = Version::new(current.major, current.minor, current.patch);
    let number = match current_pre(current) {
        // 1.2.3 → 1.2.4-rc.1
        None if current.pre.is_empty() => {
            next.patch += 1;
            1
        }
        Some((k, n)) if k == kind => n + 1,
        Some((k, _)) if k < kind => 1,
        _ => {
            return Err(UsageError::new(format!(
                "`{}` from {current} would go backwards: SemVer orders alpha < beta < rc",
                kind.as_str()
            ))
            .hint("name the version you want, e.g. `release 1.4.0-rc.1`")
            .into());
        }
    };
    next.pre = Prerelease::new(&format!("{}.{number}", kind.as_str()))?;
    Ok(next)
}

/// The channel and number of a pre-release such as `rc.2` (`rc2` and `rc` are read too).
fn current_pre(version: &Version) -> Option<(PreKind, u64)> {
    let pre = version.pre.as_str();
    let (name, number) = match pre.split_once('.') {
        Some((name, number)) => (name, number.parse().ok()?),
        None => {
            let digits = pre.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let name = &pre[..pre.len() - digits.len()];
            (
                name,
                if digits.is_empty() {
                    0
                } else {
                    digits.parse().ok()?
                },
            )
        }
    };
    let kind = match name {
        "alpha" => PreKind::Alpha,
        "beta" => PreKind::Beta,
        "rc" => PreKind::Rc,
        _ => return None,
    };
    Some((kind, number))
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
            Level::Pre(kind) => kind.as_str(),
            Level::Release => "release",
            Level::Auto => "auto",
        })
    }
}

impl Level {
    /// `Auto` resolved from what the commits say; any other level as is.
    pub fn resolve(self, breaking: bool, features: bool) -> Level {
        match self {
            Level::Auto if breaking => Level::Major,
            Level::Auto if features => Level::Minor,
            Level::Auto => Level::Patch,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn bumped(from: &str, level: &str) -> String {
        match Target::parse(level).unwrap() {
            Target::Level(l) => bump(&v(from), l).unwrap().to_string(),
            Target::Exact(_) => panic!("a level"),
        }
    }

    #[test]
    fn stable_levels() {
        assert_eq!(bumped("1.2.3", "patch"), "1.2.4");
        assert_eq!(bumped("1.2.3", "minor"), "1.3.0");
        assert_eq!(bumped("1.2.3", "major"), "2.0.0");
        assert_eq!(bumped("0.1.0+build.5", "patch"), "0.1.1");
    }

    #[test]
    fn pre_releases_count_up_and_move_forward_only() {
        assert_eq!(bumped("1.2.3", "rc"), "1.2.4-rc.1");
        assert_eq!(bumped("1.3.0-rc.1", "rc"), "1.3.0-rc.2");
        assert_eq!(bumped("1.3.0-alpha.4", "beta"), "1.3.0-beta.1");
        assert_eq!(bumped("1.3.0-rc.2", "release"), "1.3.0");
        assert_eq!(bumped("1.3.0-rc.2", "minor"), "1.3.0");
        assert_eq!(bumped("1.3.1-rc.2", "minor"), "1.4.0");
        assert_eq!(bumped("2.0.0-beta.1", "major"), "2.0.0");
        let err = bump(&v("1.3.0-rc.1"), Level::Pre(PreKind::Alpha)).unwrap_err();
        assert!(err.to_string().contains("backwards"), "{err}");
        let err = bump(&v("1.3.0"), Level::Release).unwrap_err();
        assert!(err.to_string().contains("not a pre-release"), "{err}");
    }

    #[test]
    fn versions_and_bad_input() {
        assert_eq!(Target::parse("v2.0.0").unwrap(), Target::Exact(v("2.0.0")));
        let err = Target::parse("huge").unwrap_err().to_string();
        assert!(err.contains("neither a bump level nor a version"), "{err}");
    }

    #[test]
    fn auto_follows_the_commits() {
        assert_eq!(Level::Auto.resolve(true, true), Level::Major);
        assert_eq!(Level::Auto.resolve(false, true), Level::Minor);
        assert_eq!(Level::Auto.resolve(false, false), Level::Patch);
        assert_eq!(Level::Minor.resolve(true, true), Level::Minor);
    }
}
