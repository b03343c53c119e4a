//! windlass's tasks inside an xtask that has a command line of its own: [`Commands`], to
//! flatten them into its subcommands, and [`Nested`], to nest them under one of its own.

/// windlass's tasks, as a subcommand an xtask with its own command line flattens into its
/// enum (`#[command(flatten)] Windlass(windlass::Commands)`) and runs with
/// [`crate::Xtask::execute`]: which task, and its arguments as parsed.
#[derive(Debug, Clone)]
pub struct Commands {
    /// The task's name.
    pub name: String,
    /// Its arguments.
    pub matches: clap::ArgMatches,
}

impl clap::FromArgMatches for Commands {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let nesting = crate::nesting::installed();
        match matches.subcommand() {
            Some((name, sub)) if has(name) => Ok(Self {
                name: nesting.task_of(name).unwrap_or(name).to_string(),
                matches: sub.clone(),
            }),
            _ => Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand)),
        }
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Subcommand for Commands {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        crate::command::augment(
            &crate::stock::registry(),
            &crate::nesting::installed(),
            command,
        )
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        Self::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        has(name)
    }
}

/// Whether the subcommand `name` is one of windlass's tasks (built in or not), as named in
/// the installed nesting.
fn has(name: &str) -> bool {
    if crate::nesting::clashed(name) {
        return false;
    }
    let nesting = crate::nesting::installed();
    let Some(task) = nesting.task_of(name) else {
        return false;
    };
    let registry = crate::stock::registry();
    registry.get(task).is_some() || registry.unavailable_tasks().any(|(t, _)| t == task)
}

/// windlass's commands as one subcommand of an xtask's own, whose names can then never clash
/// with the xtask's: a variant `Windlass(windlass::Nested)` of its command enum runs as
/// `cargo xtask windlass ci`, and [`crate::Xtask::execute`] runs `nested.0`.
#[derive(Debug, Clone)]
pub struct Nested(pub Commands);

impl clap::Args for Nested {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        crate::command::augment(
            &crate::stock::registry(),
            &crate::nesting::Nesting::new(),
            cmd.subcommand_required(true)
                .about("windlass's CI/CD tasks: the same checks locally, in CI and in git hooks"),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for Nested {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        match matches.subcommand() {
            Some((name, sub)) => Ok(Self(Commands {
                name: name.to_string(),
                matches: sub.clone(),
            })),
            None => Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand)),
        }
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}
