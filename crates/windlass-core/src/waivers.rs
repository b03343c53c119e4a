//! Waivers that expire: one list, in `Cargo.toml`, for every finding windlass can fail on.
//!
//! ```toml
//! [[workspace.metadata.windlass.waivers]]
//! id = "RUSTSEC-2024-0001"        # or an alias (CVE-…, GHSA-…), license:GPL-3.0@foo,
//! reason = "not reachable: …"     # ban:openssl, duplicate:syn, a secrets fingerprint
//! expires = "2027-03-01"
//! owner = "@payments-team"
//! ```
//!
//! A waived finding is still reported — as waived, with the reason — and does not fail. A
//! waiver past its date waives nothing and fails the step at its own line; one that expires
//! within 14 days warns; one that matches nothing is reported stale. (cargo-deny rejects
//! unknown keys in `deny.toml`, so dates live here; its `ignore` lists keep working.)

use crate::{Diagnostic, Session, Severity, Workspace};
use anyhow::Result;
use serde::Deserialize;
use std::cell::Cell;

/// How many days before its date a waiver starts to warn.
pub const WARN_DAYS: i64 = 14;

/// `[[workspace.metadata.windlass.waivers]]`, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverConfig {
    /// What it waives.
    pub id: String,
    /// Why: required, so that the next reader knows.
    pub reason: String,
    /// `YYYY-MM-DD`: required, so that it cannot rot.
    pub expires: Date,
    /// Who renews it.
    pub owner: Option<String>,
}

/// One waiver, checked.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// What it waives.
    pub id: String,
    /// Why.
    pub reason: String,
    /// Its last day.
    pub expires: String,
    /// Days from today to its date (negative: past).
    pub days_left: i64,
    /// Who renews it.
    pub owner: Option<String>,
    /// Its line in the manifest.
    pub line: Option<u32>,
    used: Cell<bool>,
}

impl Waiver {
    /// Whether it still waives (its last day included).
    pub fn active(&self) -> bool {
        self.days_left >= 0
    }

    /// How a waived finding says so.
    pub fn describe(&self) -> String {
        let owner = self
            .owner
            .as_deref()
            .map(|o| format!(", owner {o}"))
            .unwrap_or_default();
        format!("waived until {}{owner}: {}", self.expires, self.reason)
    }
}

/// The waivers of a workspace, as of today.
#[derive(Debug, Clone, Default)]
pub struct Waivers {
    entries: Vec<Waiver>,
    manifest: String,
}

impl Waivers {
    /// Reads `[[workspace.metadata.windlass.waivers]]`; a missing reason or date, or a date
    /// that is not one, is an error naming the waiver.
    pub fn load(ws: &Workspace) -> Result<Self> {
        let entries: Vec<WaiverConfig> = ws.config.section(SECTION)?;
        let today = today();
        let text = std::fs::read_to_string(ws.config.manifest()).unwrap_or_default();
        let manifest = ws.display_path(ws.config.manifest());
        let mut out = Vec::new();
        for entry in entries {
            let bad = |why: String| -> anyhow::Error {
                ws.config
                    .error_at(
                        &[SECTION],
                        Some(&entry.id),
                        format!(
                            "the waiver `{}` in [[{}.waivers]] {why}",
                            entry.id,
                            ws.config.table_name()
                        ),
                    )
                    .hint("write expires = \"YYYY-MM-DD\" and a reason")
                    .into()
            };
            if entry.reason.trim().is_empty() {
                return Err(bad("has an empty reason".into()));
            }
            let line = line_of(&text, &entry.id);
            out.push(Waiver {
                days_left: entry.expires.days - today,
                id: entry.id,
                reason: entry.reason,
                expires: entry.expires.text,
                owner: entry.owner,
                line,
                used: Cell::new(false),
            });
        }
        Ok(Self {
            entries: out,
            manifest,
        })
    }

    /// The waivers a step owns (`owns` tells by id), for it to apply and report.
    pub fn owned_by(&self, owns: impl Fn(&str) -> bool) -> Waivers {
        Waivers {
            entries: self
                .entries
                .iter()
                .filter(|w| owns(&w.id))
                .cloned()
                .collect(),
            manifest: self.manifest.clone(),
        }
    }

    /// The waiver for a finding known by any of `ids` (its id and aliases), marked used. An
    /// expired waiver is returned too, so that it counts as matching; it does not waive.
    pub fn find(&self, ids: &[&str]) -> Option<&Waiver> {
        let found = self
            .entries
            .iter()
            .find(|w| ids.iter().any(|id| id.eq_ignore_ascii_case(&w.id)))?;
        found.used.set(true);
        Some(found)
    }

    /// The active waiver for `ids`, if any.
    pub fn waives(&self, ids: &[&str]) -> Option<&Waiver> {
        self.find(ids).filter(|w| w.active())
    }

    /// Reports, after the step's findings: expired waivers (errors, counted in the return),
    /// waivers that expire soon and stale ones (warnings, errors with `strict`).
    pub fn report(&self, session: &mut Session, step: &str, strict: bool) -> usize {
        let mut failing = 0;
        for waiver in &self.entries {
            let owner = waiver
                .owner
                .as_deref()
                .map(|o| format!(", owner {o}"))
                .unwrap_or_default();
            let (severity, title, message) = if !waiver.active() {
                (
                    Severity::Error,
                    crate::codes::EXPIRED_WAIVER,
                    format!(
                        "the waiver for {} expired on {}{owner}; it waives nothing now: fix the finding, or renew the waiver with a new date and reason",
                        waiver.id, waiver.expires
                    ),
                )
            } else if !waiver.used.get() {
                (
                    if strict {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    crate::codes::STALE_WAIVER,
                    format!("the waiver for {} matches no finding: remove it", waiver.id),
                )
            } else if waiver.days_left <= WARN_DAYS {
                (
                    Severity::Warning,
                    crate::codes::WAIVER_EXPIRES_SOON,
                    format!(
                        "the waiver for {} expires on {} (in {} days){owner}",
                        waiver.id, waiver.expires, waiver.days_left
                    ),
                )
            } else {
                continue;
            };
            if severity == Severity::Error {
                failing += 1;
            }
            session.diagnostic(Diagnostic::new(step, severity, title, message).at(
                self.manifest.clone(),
                waiver.line,
                None,
            ));
        }
        failing
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The config key.
pub const SECTION: &str = "waivers";

/// A calendar date, `YYYY-MM-DD`: checked when the config loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Date {
    /// As written.
    pub text: String,
    /// Days since 1970-01-01.
    pub days: i64,
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // TOML's own dates (`expires = 2027-03-01`, unquoted) arrive as text too.
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            toml::Value::Datetime(dt) => dt.to_string(),
            other => format!("{other:?}"),
        };
        match parse_date(&text) {
            Some(days) => Ok(Date { text, days }),
            None => Err(serde::de::Error::custom(format!(
                "`{text}` is not a date: write expires = \"YYYY-MM-DD\""
            ))),
        }
    }
}

/// The line of `id = "…"` in the manifest.
fn line_of(text: &str, id: &str) -> Option<u32> {
    let quoted = format!("\"{id}\"");
    text.lines()
        .position(|l| l.contains("id") && l.contains(&quoted))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Today, in days since 1970-01-01 (UTC).
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    i64::try_from(secs / 86_400).unwrap_or(0)
}

/// `YYYY-MM-DD` in days since 1970-01-01, when it is a real date.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || text.trim().len() != 10 {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // 2027-02-30 is not a date: it must read back as itself.
    let back = crate::time::civil(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(days).ok()? * 86_400),
    )
    .0;
    (back == text.trim()).then_some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_and_impossible_ones_are_refused() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-12-01"), Some(20_788));
        assert_eq!(parse_date("2000-02-29"), Some(11_016));
        assert_eq!(parse_date("2027-02-30"), None);
        assert_eq!(parse_date("2027-13-01"), None);
        assert_eq!(parse_date("next week"), None);
        assert_eq!(parse_date("2027-3-1"), None);
    }
}
