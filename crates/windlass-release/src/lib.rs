//! windlass's release task: `release [LEVEL|VERSION]`.
//!
//! A dry run by default: the whole plan — each crate's old and new version, the changelog
//! section, the commit, the tag, the artifacts — and the checks, with nothing changed.
//! `--execute` acts: the changes up to the commit are one transaction (any failure restores
//! every file), the steps after it (tag, artifacts, push, publish) are journalled in the git
//! directory and each recognises its own work, so `--resume` finishes a release a failure
//! interrupted.

pub mod artifacts;
pub mod changelog;
pub mod checks;
pub mod codes;
pub mod config;
pub mod execute;
pub mod git;
pub mod journal;
pub mod manifest;
pub mod plan;
pub mod present;
pub mod publish;
pub mod sbom;
pub mod semver;
pub mod snapshot;
pub mod task;
pub mod version;

use anyhow::Result;
use config::ReleaseConfig;
use journal::Journal;
use windlass_core::Plan;
use windlass_core::event::{Diagnostic, Event, Severity};
use windlass_core::pipeline::StepOutcome;
use windlass_core::{Session, Step, UsageError, Workspace};

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The level or version; `None` is `auto`.
    pub target: Option<version::Target>,
    /// Act instead of showing the plan.
    pub execute: bool,
    /// Finish the release in progress.
    pub resume: bool,
    /// Push the branch and the tag.
    pub push: bool,
    /// Build and pack the binaries, with checksums and SBOMs.
    pub artifacts: bool,
    /// Publish the crates to the registry.
    pub publish: bool,
    /// Only build the artifacts of the release tagged at HEAD (the CI job after a tag push).
    pub artifacts_only: bool,
    /// `ci` is not run first (said loudly).
    pub skip_ci: bool,
    /// The artifacts' cargo profile, instead of the config's.
    pub profile: Option<String>,
    /// The artifacts' target triple, instead of the host's.
    pub build_target: Option<String>,
    /// Sign the artifacts' SHA256SUMS (minisign's format).
    pub sign: bool,
    /// The `ci` steps that run before the release, for the plan.
    pub ci_steps: Vec<String>,
}

impl Options {
    /// The steps after the commit this run asks for.
    fn wanted(&self) -> Vec<String> {
        let mut wanted = vec!["tag".to_string()];
        for (on, step) in [
            (self.artifacts, "artifacts"),
            (self.push, "push"),
            (self.publish, "publish"),
        ] {
            if on {
                wanted.push(step.into());
            }
        }
        wanted
    }
}

/// The checks and the plan: the whole of a dry run, and the first step of `--execute`.
pub struct ReleaseChecks {
    /// `[workspace.metadata.windlass.release]`.
    pub config: ReleaseConfig,
    /// The command line.
    pub options: Options,
}

/// The release itself (`--execute`, `--resume`).
pub struct Release {
    /// `[workspace.metadata.windlass.release]`.
    pub config: ReleaseConfig,
    /// The command line.
    pub options: Options,
}

/// Shows a line of a step's own output.
pub(crate) fn say(session: &mut Session, step: &str, text: String) {
    session.emit(Event::Output {
        step: step.into(),
        text,
    });
}

impl Step for ReleaseChecks {
    fn name(&self) -> &str {
        checks::STEP
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(
            "git status, branch, upstream and tag checks; then the release plan",
        ))
    }

    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let plan = plan::compute(ws, session, &self.config, &self.options)?;
        present::show(ws, session, &self.config, &self.options, &plan)?;
        if session.wants_details() {
            let details = present::details(ws, &plan);
            session.diagnostic(
                Diagnostic::new(
                    checks::STEP,
                    Severity::Notice,
                    crate::codes::RELEASE_PLAN,
                    format!("release {} → {} ({})", plan.old, plan.version, plan.tag),
                )
                .details(details),
            );
        }
        if plan.commit_count == 0 {
            session.message(
                Severity::Warning,
                format!(
                    "no commits since {}: the release would only change the version",
                    plan.previous_tag.as_deref().unwrap_or("the start")
                ),
            );
        }
        let found = checks::run(ws, session, &self.config, &plan, self.options.push)?;
        let refused = found.len();
        for diagnostic in found {
            session.diagnostic(diagnostic);
        }
        if refused > 0 {
            return Ok(StepOutcome::failed(
                format!(
                    "{refused} check(s) refuse the release of {}; nothing changed",
                    plan.version
                ),
                "fix what is reported above, then run the release again",
            ));
        }
        if self.options.execute && self.options.skip_ci {
            session.message(
                Severity::Warning,
                "--skip-ci: the release is made without running ci first",
            );
        }
        Ok(StepOutcome::passed(if self.options.execute {
            format!("{} → {}: checks passed", plan.old, plan.version)
        } else {
            format!(
                "dry run: {} → {} ({}); nothing changed — add --execute to release",
                plan.old, plan.version, plan.tag
            )
        }))
    }
}

impl Step for Release {
    fn name(&self) -> &str {
        execute::STEP
    }

    fn plan(&self, _ws: &Workspace, _session: &mut Session) -> Result<Plan> {
        Ok(Plan::describe(if self.options.artifacts_only {
            "build the artifacts of the release tagged at HEAD"
        } else if self.options.resume {
            "finish the release in progress (its journal)"
        } else {
            "bump, Cargo.lock, changelog, commit, then the journalled steps after it"
        }))
    }

    // Long: the release step's modes (artifacts only, resume, dry run, execute) choose among the
    // same calls.
    fn run(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        if self.options.artifacts_only {
            return self.artifacts_of_head(ws, session);
        }
        let journal_path = Journal::path(&git::git_dir(session)?);
        let mut journal = if self.options.resume {
            self.resumed(session, &journal_path)?
        } else {
            let plan = plan::compute(ws, session, &self.config, &self.options)?;
            // The checks ran (and were reported) in `release-checks`; ci ran since: make sure
            // nothing moved under us in between.
            let found = checks::run(ws, session, &self.config, &plan, self.options.push)?;
            if let Some(first) = found.first() {
                return Err(UsageError::new(format!(
                    "the release checks no longer pass: {}",
                    first.message
                ))
                .into());
            }
            // Everything the journal needs is known before the commit: after it, an interrupt
            // may forbid starting any process until the journal is on disk.
            let remote = git::remote(session, plan.branch.as_deref())?;
            let (commit, interrupted) = match execute::commit(ws, session, &plan)? {
                execute::Committed::Done(commit) => (commit, None),
                execute::Committed::Interrupted(commit, err) => (commit, Some(err)),
            };
            say(
                session,
                execute::STEP,
                format!(
                    "committed \"{}\" ({})",
                    plan.commit_message,
                    &commit[..12.min(commit.len())]
                ),
            );
            let journal = Journal {
                schema: journal::SCHEMA.into(),
                version: plan.version.to_string(),
                tag: plan.tag.clone(),
                commit,
                remote,
                branch: plan.branch.clone(),
                profile: self.options.profile.clone(),
                target: self.options.build_target.clone(),
                sign: self.options.sign,
                tag_message: format!("Release {}\n\n{}", plan.version, plan.notes.render())
                    .trim_end()
                    .to_string(),
                wanted: self.options.wanted(),
                done: vec!["commit".into()],
            };
            journal.save(&journal_path)?;
            if let Some(err) = interrupted {
                return Err(err.context(format!(
                    "the release commit of {} landed as the run was stopped; `release --resume` finishes the release",
                    journal.version
                )));
            }
            journal
        };
        let after = execute::After {
            config: &self.config,
            journal_path: journal_path.clone(),
        };
        if let Err(err) = execute::finish(ws, session, &mut journal, &after) {
            let context = format!(
                "the release of {} stopped after its commit (done: {}); fix the cause and `release --resume` finishes it",
                journal.version,
                journal.done.join(", ")
            );
            return Err(err.context(context));
        }
        if let Some(dir) = journal_path.parent() {
            let _ = windlass_core::files::remove(dir, &journal_path);
        }
        Ok(StepOutcome::passed(format!(
            "released {} ({}): {}",
            journal.version,
            journal.tag,
            journal.done.join(", ")
        )))
    }
}

impl Release {
    /// `--artifacts-only`: the artifacts of the release tag at HEAD.
    fn artifacts_of_head(&self, ws: &Workspace, session: &mut Session) -> Result<StepOutcome> {
        let head = git::head(session)?.unwrap_or_default();
        let tags = git::tags_at(session, &head)?;
        let Some(version) = tags
            .iter()
            .filter_map(|t| self.config.version_of_tag(t))
            .find(|v| cargo_metadata::semver::Version::parse(v).is_ok())
            .map(str::to_string)
        else {
            return Err(UsageError::new(format!(
                "HEAD carries no release tag (`{}`): --artifacts-only builds a released commit",
                self.config.tag
            ))
            .hint("check out the release tag, or make the release first")
            .into());
        };
        let build = artifacts::Build {
            profile: self
                .options
                .profile
                .clone()
                .unwrap_or_else(|| self.config.profile.clone()),
            target: self.options.build_target.clone(),
            sign: self.options.sign,
        };
        let made = execute::make_artifacts(ws, session, &self.config, &build, &version, &head)?;
        Ok(StepOutcome::passed(made))
    }

    /// The journal of the release to resume, with this run's extra steps added.
    fn resumed(&self, session: &mut Session, path: &std::path::Path) -> Result<Journal> {
        let Some(mut journal) = Journal::load(path)? else {
            return Err(UsageError::new("there is no release in progress to resume")
                .hint("start one: `release LEVEL --execute`")
                .into());
        };
        let head = git::head(session)?.unwrap_or_default();
        if head != journal.commit {
            return Err(UsageError::new(format!(
                "HEAD ({}) is not the release commit of {} ({})",
                &head[..12.min(head.len())],
                journal.version,
                &journal.commit[..12.min(journal.commit.len())]
            ))
            .hint(format!(
                "check out {} to resume, or delete {} to abandon the release",
                journal.commit,
                path.display()
            ))
            .into());
        }
        for step in self.options.wanted() {
            if !journal.wanted.contains(&step) {
                journal.wanted.push(step);
            }
        }
        if self.options.profile.is_some() {
            journal.profile.clone_from(&self.options.profile);
        }
        if self.options.build_target.is_some() {
            journal.target.clone_from(&self.options.build_target);
        }
        journal.sign |= self.options.sign;
        say(
            session,
            execute::STEP,
            format!(
                "resuming the release of {} (done: {})",
                journal.version,
                journal.done.join(", ")
            ),
        );
        Ok(journal)
    }
}
