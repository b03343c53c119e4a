//! `doctor`: a production-readiness score for any Rust repository, read from its files — no
//! build. Nine areas, each scored 0–5 from concrete checks; each check has an id, the
//! evidence (`file:line`) and the fix. The overall maturity is the areas' mean; readiness
//! is the share of applicable checks that pass, out of 100.

use anyhow::Result;
use serde::Serialize;
use serde_json::json;
use std::path::Path;
mod rules;

use windlass_core::Plan;
use windlass_core::event::Event;
use windlass_core::{Diagnostic, Session, Severity, Step, StepOutcome, Workspace};

/// The areas of the rubric, in the order the report shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// version control.
    VersionControl,
    /// build automation.
    BuildAutomation,
    /// testing.
    Testing,
    /// security scanning.
    SecurityScanning,
    /// deployment automation.
    DeploymentAutomation,
    /// monitoring hooks.
    MonitoringHooks,
    /// secrets management.
    SecretsManagement,
    /// dependency management.
    DependencyManagement,
    /// documentation.
    Documentation,
}

impl Area {
    /// Every area, in order.
    pub const ALL: [Area; 9] = [
        Area::VersionControl,
        Area::BuildAutomation,
        Area::Testing,
        Area::SecurityScanning,
        Area::DeploymentAutomation,
        Area::MonitoringHooks,
        Area::SecretsManagement,
        Area::DependencyManagement,
        Area::Documentation,
    ];

    /// Its name, as the report writes it.
    pub fn name(self) -> &'static str {
        match self {
            Area::VersionControl => "version control",
            Area::BuildAutomation => "build automation",
            Area::Testing => "testing",
            Area::SecurityScanning => "security scanning",
            Area::DeploymentAutomation => "deployment automation",
            Area::MonitoringHooks => "monitoring hooks",
            Area::SecretsManagement => "secrets management",
            Area::DependencyManagement => "dependency management",
            Area::Documentation => "documentation",
        }
    }
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl Serialize for Area {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// Does not apply (no Dockerfile, say).
    Skip,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id, e.g. `sec.audit-in-ci`.
    pub id: &'static str,
    /// Its area.
    pub area: Area,
    /// What it checks.
    pub title: &'static str,
    /// The result.
    pub status: Status,
    /// Where it was seen (`file:line`), for a pass or a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// How to meet it.
    pub fix: &'static str,
}

/// An area's level.
#[derive(Debug, Clone, Serialize)]
pub struct AreaLevel {
    /// The area.
    pub area: Area,
    /// 0 to 5.
    pub level: f64,
    /// Checks passed.
    pub passed: usize,
    /// Checks that apply.
    pub applicable: usize,
}

/// The whole assessment.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every area.
    pub areas: Vec<AreaLevel>,
    /// The mean of the areas' levels, 0 to 5.
    pub maturity: f64,
    /// Applicable checks passed, out of 100.
    pub readiness: u32,
    /// Every check.
    pub checks: Vec<Check>,
}

/// Inspects the repository at `root`.
pub fn inspect(session: &mut Session, root: &Path) -> Result<Report> {
    let repo = rules::Repo::read(session, root)?;
    let mut checks = Vec::new();
    for rule in rules::RULES {
        let (result, evidence) = (rule.verdict)(&repo);
        let status = match result {
            None => Status::Skip,
            Some(true) => Status::Pass,
            Some(false) => Status::Fail,
        };
        checks.push(Check {
            id: rule.id,
            area: rule.area,
            title: rule.title,
            status,
            evidence,
            fix: rule.fix,
        });
    }
    let areas: Vec<AreaLevel> = Area::ALL
        .iter()
        .map(|&area| {
            let applicable: Vec<&Check> = checks
                .iter()
                .filter(|c| c.area == area && c.status != Status::Skip)
                .collect();
            let passed = applicable
                .iter()
                .filter(|c| c.status == Status::Pass)
                .count();
            let level = if applicable.is_empty() {
                0.0
            } else {
                (50.0 * passed as f64 / applicable.len() as f64).round() / 10.0
            };
            AreaLevel {
                area,
                level,
                passed,
                applicable: applicable.len(),
            }
        })
        .collect();
    let maturity =
        (10.0 * areas.iter().map(|a| a.level).sum::<f64>() / areas.len() as f64).round() / 10.0;
    let applicable = checks.iter().filter(|c| c.status != Status::Skip).count();
    let passed = checks.iter().filter(|c| c.status == Status::Pass).count();
    let readiness = u32::try_from(100 * passed / applicable.max(1)).unwrap_or(0);
    Ok(Report {
        areas,
        maturity,
        readiness,
        checks,
    })
}

/// The report as Markdown, for a pull request comment or a job summary.
pub fn markdown(report: &Report) -> String {
    let mut md = format!(
        "## Production readiness: {}/100, maturity {:.1}/5\n\n| Area | Level | Checks |\n|---|---:|---:|\n",
        report.readiness, report.maturity
    );
    for a in &report.areas {
        md.push_str(&format!(
            "| {} | {:.1} | {}/{} |\n",
            a.area, a.level, a.passed, a.applicable
        ));
    }
    md.push_str("\n| Check | Status | Evidence | Fix |\n|---|---|---|---|\n");
    for c in report.checks.iter().filter(|c| c.status == Status::Fail) {
        md.push_str(&format!(
            "| `{}` {} | ❌ | {} | {} |\n",
            c.id,
            c.title,
            c.evidence.as_deref().unwrap_or("-"),
            c.fix.replace('|', "\\|")
        ));
    }
    md
}

fn text(report: &Report) -> String {
    let mut out = String::from("  area                     level  checks\n");
    for a in &report.areas {
        out.push_str(&format!(
            "  {:<24} {:>4.1}   {}/{}\n",
            a.area, a.level, a.passed, a.applicable
        ));
    }
    out.push_str(&format!(
        "  maturity {:.1}/5, readiness {}/100",
        report.maturity, report.readiness
    ));
    out
}

/// The `doctor` step.
#[derive(Debug, Clone, Default)]
pub struct Doctor {
    /// Fail below this maturity (a CI gate).
    pub min_level: Option<f64>,
    /// Print Markdown instead of the table.
    pub markdown: bool,
}

/// The name of the task.
pub const NAME: &str = "doctor";

impl Step for Doctor {
    fn name(&self) -> &str {
        NAME
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(
            "inspect the repository and score its production readiness",
        ))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let report = inspect(session, &ws.repo_root)?;
        for c in report.checks.iter().filter(|c| c.status == Status::Fail) {
            let mut d = Diagnostic::new(NAME, Severity::Warning, crate::codes::DOCTOR_RULE.member(c.id), format!("not met: {}; fix: {}", c.title, c.fix))
                .details(json!({"id": c.id, "area": c.area, "status": c.status, "evidence": c.evidence, "fix": c.fix}));
            if let Some(evidence) = &c.evidence {
                let (file, line) = match evidence.rsplit_once(':') {
                    Some((f, l)) if l.parse::<u32>().is_ok() => (f.to_string(), l.parse().ok()),
                    _ => (evidence.clone(), None),
                };
                d = d.at(file, line, None);
            }
            session.diagnostic(d);
        }
        session.diagnostic(
            Diagnostic::new(
                "doctor",
                Severity::Notice,
                crate::codes::READINESS,
                format!(
                    "maturity {:.1}/5, readiness {}/100",
                    report.maturity, report.readiness
                ),
            )
            .details(serde_json::to_value(&report)?),
        );
        let shown = if self.markdown {
            markdown(&report)
        } else {
            text(&report)
        };
        session.emit(Event::Output {
            step: NAME.into(),
            text: shown,
        });
        let summary = format!(
            "maturity {:.1}/5, readiness {}/100",
            report.maturity, report.readiness
        );
        match self.min_level {
            Some(min) if report.maturity < min => Ok(StepOutcome::failed(
                format!("{summary}, below the required {min:.1}"),
                "fix the checks listed above",
            )),
            _ => Ok(StepOutcome::passed(summary)),
        }
    }
}
