//! The changelog: Conventional Commits since the previous tag, grouped into a new section of
//! a Keep a Changelog file, with the notes a team wrote under `[Unreleased]` carried into it.

use std::fmt::Write as _;

/// One commit, as `git log` gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// Abbreviated hash.
    pub hash: String,
    /// First line.
    pub subject: String,
    /// The rest of the message.
    pub body: String,
}

/// What a commit message says under the Conventional Commits rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `feat`, `fix`, …; `None` for a message that does not follow the convention.
    pub kind: Option<String>,
    /// The scope in parentheses.
    pub scope: Option<String>,
    /// The description (the whole subject for a non-conventional commit).
    pub description: String,
    /// `!` after the type, or a `BREAKING CHANGE:` footer (whose text this holds when given).
    pub breaking: Option<String>,
    /// The commit's hash.
    pub hash: String,
}

/// Reads a commit message as a Conventional Commit.
pub fn parse(commit: &Commit) -> Change {
    let subject = commit.subject.trim();
    let footer = breaking_footer(&commit.body);
    let conventional = subject.split_once(": ").and_then(|(head, description)| {
        let (head, bang) = match head.strip_suffix('!') {
            Some(h) => (h, true),
            None => (head, false),
        };
        let (kind, scope) = match head.split_once('(') {
            Some((kind, rest)) => (kind, Some(rest.strip_suffix(')')?.to_string())),
            None => (head, None),
        };
        // Types are lowercase words (`feat`, `fix`, `build`): `README: typo` is prose.
        let valid = !kind.is_empty()
            && kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        valid.then(|| {
            (
                kind.to_string(),
                scope,
                bang,
                description.trim().to_string(),
            )
        })
    });
    match conventional {
        Some((kind, scope, bang, description)) => Change {
            breaking: footer.or_else(|| bang.then(|| description.clone())),
            kind: Some(kind),
            scope,
            description,
            hash: commit.hash.clone(),
        },
        None => Change {
            kind: None,
            scope: None,
            description: subject.to_string(),
            breaking: footer,
            hash: commit.hash.clone(),
        },
    }
}

fn breaking_footer(body: &str) -> Option<String> {
    let mut lines = body.lines();
    while let Some(line) = lines.next() {
        let rest = line
            .strip_prefix("BREAKING CHANGE:")
            .or_else(|| line.strip_prefix("BREAKING-CHANGE:"));
        if let Some(rest) = rest {
            // The footer's text runs on until a blank line.
            let mut text = rest.trim().to_string();
            for more in lines.by_ref() {
                if more.trim().is_empty() {
                    break;
                }
                text.push(' ');
                text.push_str(more.trim());
            }
            return Some(text);
        }
    }
    None
}

/// The groups of a section, in the order they are shown.
const GROUPS: [&str; 5] = [
    "Breaking changes",
    "Features",
    "Fixes",
    "Performance",
    "Other",
];

/// The changes of a release, grouped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    groups: [Vec<String>; 5],
}

impl Notes {
    /// Groups the changes; release commits of earlier runs are left out.
    pub fn from_changes(changes: &[Change]) -> Self {
        let mut notes = Notes::default();
        for change in changes {
            let scope = change
                .scope
                .as_ref()
                .map(|s| format!("**{s}:** "))
                .unwrap_or_default();
            if let Some(text) = &change.breaking {
                notes.groups[0].push(format!("{scope}{text} ({})", change.hash));
            }
            let group = match change.kind.as_deref() {
                Some("feat") => 1,
                Some("fix") => 2,
                Some("perf") => 3,
                _ => 4,
            };
            // A `feat!:` says it once, under breaking changes; a footer that explains the
            // break leaves the feature listed as well, and other breaking kinds only there.
            if change.breaking.is_some()
                && (group == 4 || change.breaking.as_deref() == Some(change.description.as_str()))
            {
                continue;
            }
            let prefix = match (&change.kind, group) {
                (Some(kind), 4) => format!("{kind}: "),
                _ => String::new(),
            };
            notes.groups[group].push(format!(
                "{prefix}{scope}{} ({})",
                change.description, change.hash
            ));
        }
        notes
    }

    /// Whether any change is breaking.
    pub fn breaking(&self) -> bool {
        !self.groups[0].is_empty()
    }

    /// Whether any change is a feature.
    pub fn features(&self) -> bool {
        !self.groups[1].is_empty()
    }

    /// Whether there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(Vec::is_empty)
    }

    /// The section body: `### Group` headings and bullets.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (title, items) in GROUPS.iter().zip(&self.groups) {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {title}\n");
            for item in items {
                let _ = writeln!(out, "- {item}");
            }
            out.push('\n');
        }
        out
    }
}

const HEADER: &str = "# Changelog

All notable changes to this project are documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [Unreleased]

";

/// The heading of a version's section.
pub fn heading(version: &str, date: &str) -> String {
    format!("## [{version}] - {date}")
}

/// Whether `text` already has a section for `version` (a resumed or repeated release).
pub fn has_section(text: &str, version: &str) -> bool {
    let start = format!("## [{version}]");
    text.lines().any(|l| l.starts_with(&start))
}

/// `existing` (or a new file) with a section for `version` inserted under `[Unreleased]`,
/// which is emptied into it: notes written there by hand come first.
pub fn insert(existing: Option<&str>, version: &str, date: &str, notes: &Notes) -> String {
    let text = existing.unwrap_or(HEADER);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_release_heading = |l: &str| l.starts_with("## ");
    let unreleased = lines
        .iter()
        .position(|l| l.trim_end().eq_ignore_ascii_case("## [unreleased]"));
    let (keep_until, hand_written, resume_at) = match unreleased {
        Some(at) => {
            let end = lines[at + 1..]
                .iter()
                .position(|l| is_release_heading(l) || l.starts_with("[unreleased]:"))
                .map_or(lines.len(), |i| at + 1 + i);
            let manual: String = lines[at + 1..end].concat();
            (at + 1, manual.trim().to_string(), end)
        }
        None => {
            let first = lines
                .iter()
                .position(|l| is_release_heading(l))
                .unwrap_or(lines.len());
            (first, String::new(), first)
        }
    };
    let mut out: String = lines[..keep_until].concat();
    if unreleased.is_some() {
        out.push('\n');
    } else if !out.is_empty() && !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
    let _ = writeln!(out, "{}\n", heading(version, date));
    if !hand_written.is_empty() {
        out.push_str(&hand_written);
        out.push_str("\n\n");
    }
    let body = notes.render();
    if body.is_empty() && hand_written.is_empty() {
        out.push_str("No notable changes.\n\n");
    } else {
        out.push_str(&body);
    }
    out.push_str(&lines[resume_at..].concat());
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// The web address of a repository from its remote URL (`git@github.com:o/r.git`,
/// `https://gitlab.com/o/r`), for compare links; `None` for hosts whose links we do not know.
pub fn web_base(remote_url: &str) -> Option<String> {
    let url = remote_url
        .trim()
        .trim_end_matches('/')
        .trim_end_matches(".git");
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("ssh://git@"))
        .or_else(|| url.strip_prefix("git@"))?;
    let rest = rest.replacen(':', "/", usize::from(!url.starts_with("https://")));
    let host = rest.split('/').next()?;
    let known = ["github.com", "gitlab.com", "codeberg.org"];
    known.contains(&host).then(|| format!("https://{rest}"))
}

/// `text` with Keep a Changelog's link references for the new section: `[Unreleased]`
/// compares the new tag with HEAD, `[version]` the previous tag with the new one.
pub fn with_links(
    text: &str,
    base: &str,
    version: &str,
    tag: &str,
    previous: Option<&str>,
) -> String {
    let unreleased = format!("[Unreleased]: {base}/compare/{tag}...HEAD");
    let this = match previous {
        Some(prev) => format!("[{version}]: {base}/compare/{prev}...{tag}"),
        None => format!("[{version}]: {base}/releases/tag/{tag}"),
    };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match lines
        .iter()
        .position(|l| l.to_ascii_lowercase().starts_with("[unreleased]:"))
    {
        Some(at) => {
            lines[at] = unreleased;
            lines.insert(at + 1, this);
        }
        None => {
            if lines.last().is_some_and(|l| !l.is_empty()) {
                lines.push(String::new());
            }
            if lines
                .iter()
                .any(|l| l.trim_end().eq_ignore_ascii_case("## [unreleased]"))
            {
                lines.push(unreleased);
            }
            lines.push(this);
        }
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(subject: &str, body: &str) -> Commit {
        Commit {
            hash: "abc1234".into(),
            subject: subject.into(),
            body: body.into(),
        }
    }

    #[test]
    fn reads_conventional_commits() {
        let c = parse(&commit("feat(api)!: drop v1", ""));
        assert_eq!(c.kind.as_deref(), Some("feat"));
        assert_eq!(c.scope.as_deref(), Some("api"));
        assert_eq!(c.breaking.as_deref(), Some("drop v1"));
        let c = parse(&commit(
            "fix: retry",
            "why\n\nBREAKING CHANGE: the retry count\nis now 3\n\nRefs: #1",
        ));
        assert_eq!(c.breaking.as_deref(), Some("the retry count is now 3"));
        let c = parse(&commit("Update README", ""));
        assert_eq!(c.kind, None);
        assert_eq!(c.description, "Update README");
        assert_eq!(parse(&commit("not conv: (x", "")).kind, None);
        assert_eq!(
            parse(&commit("README: typo", "")).description,
            "README: typo"
        );
    }

    #[test]
    fn groups_and_renders() {
        let changes: Vec<Change> = [
            "feat: orders",
            "fix(db): leak",
            "perf: cache",
            "docs: typo",
            "Merge things",
        ]
        .iter()
        .map(|s| parse(&commit(s, "")))
        .collect();
        let notes = Notes::from_changes(&changes);
        assert!(notes.features() && !notes.breaking());
        assert_eq!(
            notes.render(),
            "### Features\n\n- orders (abc1234)\n\n### Fixes\n\n- **db:** leak (abc1234)\n\n### Performance\n\n- cache (abc1234)\n\n### Other\n\n- docs: typo (abc1234)\n- Merge things (abc1234)\n\n"
        );
    }

    #[test]
    fn links_compare_the_tags() {
        assert_eq!(
            web_base("git@github.com:acme/bot.git").as_deref(),
            Some("https://github.com/acme/bot")
        );
        assert_eq!(
            web_base("https://gitlab.com/acme/bot").as_deref(),
            Some("https://gitlab.com/acme/bot")
        );
        assert_eq!(web_base("/srv/git/bot.git"), None);
        let text = "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - d\n\n[Unreleased]: https://github.com/a/b/compare/v1.0.0...HEAD\n[1.0.0]: https://github.com/a/b/releases/tag/v1.0.0\n";
        assert_eq!(
            with_links(
                text,
                "https://github.com/a/b",
                "1.1.0",
                "v1.1.0",
                Some("v1.0.0")
            ),
            "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - d\n\n[Unreleased]: https://github.com/a/b/compare/v1.1.0...HEAD\n[1.1.0]: https://github.com/a/b/compare/v1.0.0...v1.1.0\n[1.0.0]: https://github.com/a/b/releases/tag/v1.0.0\n"
        );
        let fresh = with_links(
            "## [Unreleased]\n\n## [0.1.0] - d\n",
            "https://x/y",
            "0.1.0",
            "v0.1.0",
            None,
        );
        assert!(fresh.ends_with("\n\n[Unreleased]: https://x/y/compare/v0.1.0...HEAD\n[0.1.0]: https://x/y/releases/tag/v0.1.0\n"), "{fresh}");
    }

    #[test]
    fn inserts_under_unreleased_keeping_the_rest() {
        let notes = Notes::from_changes(&[parse(&commit("fix: one", ""))]);
        let existing = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n- hand note\n\n## [0.1.0] - 2026-01-01\n\n- first\n";
        let out = insert(Some(existing), "0.2.0", "2026-11-27", &notes);
        assert_eq!(
            out,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-27\n\n- hand note\n\n### Fixes\n\n- one (abc1234)\n\n## [0.1.0] - 2026-01-01\n\n- first\n"
        );
        assert!(has_section(&out, "0.2.0"));
        let fresh = insert(None, "0.1.0", "2026-11-27", &Notes::default());
        assert!(fresh.starts_with("# Changelog\n"), "{fresh}");
        assert!(
            fresh.ends_with("## [0.1.0] - 2026-11-27\n\nNo notable changes.\n"),
            "{fresh}"
        );
        let no_unreleased = insert(Some("# Log\n\n## [0.1.0] - x\n"), "0.2.0", "d", &notes);
        assert_eq!(
            no_unreleased,
            "# Log\n\n## [0.2.0] - d\n\n### Fixes\n\n- one (abc1234)\n\n## [0.1.0] - x\n"
        );
    }
}
