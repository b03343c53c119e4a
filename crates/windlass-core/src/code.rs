//! Diagnostic codes, declared: each crate names its codes once, in its `codes.rs`, through
//! [`declare_codes!`](crate::declare_codes). A diagnostic is built from a declared code, so
//! the code a script keys on never follows a title someone reworded, and the list in
//! docs/json-report.md is generated from the declarations and checked by a test.

use std::fmt;

/// A code whose kind is fixed: `not-formatted` in `fmt-check/not-formatted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    kind: &'static str,
    title: Option<&'static str>,
    about: &'static str,
}

impl Code {
    /// Declares a code; use [`declare_codes!`](crate::declare_codes) rather than this.
    pub const fn new(kind: &'static str, about: &'static str) -> Self {
        Self {
            kind,
            title: None,
            about,
        }
    }

    /// The same code shown with `title` (`TODO`) rather than its kind in words.
    pub const fn titled(self, title: &'static str) -> Self {
        Self {
            title: Some(title),
            ..self
        }
    }

    /// The kind, after `<step>/`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// What a diagnostic with this code means.
    pub fn about(&self) -> &'static str {
        self.about.trim()
    }
}

/// A family of codes whose kind is the finding's own id: a lint, an advisory, a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    placeholder: &'static str,
    about: &'static str,
}

impl Family {
    /// Declares a family; use [`declare_codes!`](crate::declare_codes) rather than this.
    pub const fn new(placeholder: &'static str, about: &'static str) -> Self {
        Self { placeholder, about }
    }

    /// How the docs show a member: `<lint>`.
    pub fn placeholder(&self) -> &'static str {
        self.placeholder
    }

    /// What a diagnostic of this family means.
    pub fn about(&self) -> &'static str {
        self.about.trim()
    }

    /// The member named `id` (`clippy::needless_return`, `RUSTSEC-2024-0001`); its title is
    /// the id. Whitespace in an id would split a code in logs, so it becomes `-`; an empty id
    /// is the placeholder's name.
    pub fn member(&self, id: impl Into<String>) -> Kind {
        let id: String = id.into();
        let title = if id.trim().is_empty() {
            self.placeholder.trim_matches(['<', '>']).to_string()
        } else {
            id
        };
        let code = title.split_whitespace().collect::<Vec<_>>().join("-");
        Kind { code, title }
    }
}

/// The kind a diagnostic carries and its title; only a declared [`Code`] or a member of a
/// declared [`Family`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    code: String,
    title: String,
}

impl Kind {
    /// The kind, after `<step>/`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The short name a report shows: the kind in words, or the family member's id.
    pub fn title(&self) -> &str {
        &self.title
    }
}

impl From<Code> for Kind {
    fn from(code: Code) -> Self {
        Kind {
            code: code.kind.to_string(),
            title: code
                .title
                .map_or_else(|| code.kind.replace('-', " "), str::to_string),
        }
    }
}

impl From<&Code> for Kind {
    fn from(code: &Code) -> Self {
        Kind::from(*code)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// Every code one crate declares.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    /// The crate that declares them.
    pub owner: &'static str,
    /// Its fixed codes.
    pub codes: &'static [Code],
    /// Its families.
    pub families: &'static [Family],
}

/// Declares a crate's diagnostic codes and its `DECLARED` list in one place. Each code's
/// doc comment is what it means; the generated list in docs/json-report.md shows it. A code
/// is shown titled by its kind in words (`not formatted`) unless `titled` says otherwise.
///
/// ```
/// windlass_core::declare_codes! {
///     owner: "windlass-example";
///     codes {
///         /// A file rustfmt would change.
///         NOT_FORMATTED = "not-formatted";
///         /// A TODO comment.
///         TODO = "todo" titled "TODO";
///     }
///     families {
///         /// A rustc or clippy lint, by its name.
///         LINT = "<lint>";
///     }
/// }
/// assert_eq!(DECLARED.codes[0].kind(), "not-formatted");
/// ```
#[macro_export]
macro_rules! declare_codes {
    (
        owner: $owner:literal;
        codes { $( $(#[doc = $cdoc:literal])+ $cname:ident = $ckind:literal $(titled $ctitle:literal)?; )* }
        families { $( $(#[doc = $fdoc:literal])+ $fname:ident = $fkind:literal; )* }
    ) => {
        $(
            $(#[doc = $cdoc])+
            pub const $cname: $crate::code::Code =
                $crate::code::Code::new($ckind, concat!($($cdoc),+)) $(.titled($ctitle))?;
        )*
        $(
            $(#[doc = $fdoc])+
            pub const $fname: $crate::code::Family =
                $crate::code::Family::new($fkind, concat!($($fdoc),+));
        )*
        /// Every code this crate declares.
        pub const DECLARED: $crate::code::Declared = $crate::code::Declared {
            owner: $owner,
            codes: &[$($cname),*],
            families: &[$($fname),*],
        };
    };
}

/// The docs' table of `declared` codes, one row per code, sorted by crate then kind.
pub fn table(declared: &[Declared]) -> String {
    let mut rows = Vec::new();
    for d in declared {
        for c in d.codes {
            rows.push((d.owner, format!("`{}`", c.kind()), c.about()));
        }
        for f in d.families {
            rows.push((d.owner, format!("`{}`", f.placeholder()), f.about()));
        }
    }
    rows.sort();
    let mut out = String::from("| kind | meaning | declared by |\n|---|---|---|\n");
    for (owner, kind, about) in rows {
        out.push_str(&format!(
            "| {kind} | {} | {owner} |\n",
            about.replace('|', "\\|")
        ));
    }
    out
}

/// The kinds declared more than once across `declared`, with who declares them.
pub fn duplicates(declared: &[Declared]) -> Vec<String> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut twice = Vec::new();
    for d in declared {
        let kinds = d
            .codes
            .iter()
            .map(|c| c.kind())
            .chain(d.families.iter().map(|f| f.placeholder()));
        for kind in kinds {
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == kind) {
                twice.push(format!("{kind} ({first} and {})", d.owner));
            } else {
                seen.push((kind, d.owner));
            }
        }
    }
    twice
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::declare_codes! {
        owner: "test";
        codes {
            /// A file rustfmt would change.
            NOT_FORMATTED = "not-formatted";
        }
        families {
            /// A lint by its name.
            LINT = "<lint>";
        }
    }

    #[test]
    fn a_code_is_its_kind_and_a_member_its_id() {
        let kind = Kind::from(NOT_FORMATTED);
        assert_eq!(
            (kind.code(), kind.title()),
            ("not-formatted", "not formatted")
        );
        let kind = LINT.member("clippy::needless_return");
        assert_eq!(kind.code(), "clippy::needless_return");
        let spaced = LINT.member("a test name");
        assert_eq!(
            (spaced.code(), spaced.title()),
            ("a-test-name", "a test name")
        );
        let empty = LINT.member("  ");
        assert_eq!(empty.title(), "lint");
        assert_eq!(NOT_FORMATTED.about(), "A file rustfmt would change.");
    }

    #[test]
    fn duplicates_name_both_declarers() {
        const AGAIN: &[Code] = &[Code::new("not-formatted", "again")];
        let other = Declared {
            owner: "other",
            codes: AGAIN,
            families: &[],
        };
        assert_eq!(
            duplicates(&[DECLARED, other]),
            ["not-formatted (test and other)"]
        );
        assert!(table(&[DECLARED]).contains("| `<lint>` | A lint by its name. | test |"));
    }
}
