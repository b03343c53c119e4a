//! Which packages and features a cargo command selects (`-p`, `--exclude`, `--features`),
//! shared by `lint` and `test`.

use serde::Deserialize;

/// Which features to build with: the keys of a config section and the options of a
/// command line alike.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Features {
    /// Features to enable (comma-separated or repeated).
    #[serde(default)]
    #[arg(long, short = 'F', value_delimiter = ',')]
    pub features: Vec<String>,
    /// Enable every feature.
    #[serde(default)]
    #[arg(long)]
    pub all_features: bool,
    /// Disable the default features.
    #[serde(default)]
    #[arg(long)]
    pub no_default_features: bool,
}

impl Features {
    /// These, overridden by what was given on the command line.
    pub fn overridden_by(&self, cli: &Features) -> Features {
        Features {
            features: if cli.features.is_empty() {
                self.features.clone()
            } else {
                cli.features.clone()
            },
            all_features: self.all_features || cli.all_features,
            no_default_features: self.no_default_features || cli.no_default_features,
        }
    }

    /// The cargo arguments.
    pub fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.all_features {
            args.push("--all-features".to_string());
        }
        if self.no_default_features {
            args.push("--no-default-features".to_string());
        }
        if !self.features.is_empty() {
            args.push("--features".to_string());
            args.push(self.features.join(","));
        }
        args
    }
}

/// `-p/--package` and `--exclude`, as cargo takes them: which members a cargo step works on
/// (default: the whole workspace).
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct Packages {
    /// Only these members (repeated or comma-separated), as cargo's `-p`.
    #[arg(
        short = 'p',
        long = "package",
        value_name = "SPEC",
        value_delimiter = ','
    )]
    pub packages: Vec<String>,
    /// Every member but these, as cargo's `--workspace --exclude`.
    #[arg(
        long,
        value_name = "SPEC",
        value_delimiter = ',',
        conflicts_with = "packages"
    )]
    pub exclude: Vec<String>,
}

impl Packages {
    /// The cargo arguments: `-p A -p B`, or `--workspace [--exclude C]`.
    pub fn args(&self) -> Vec<String> {
        if self.packages.is_empty() {
            let mut args = vec!["--workspace".to_string()];
            for spec in &self.exclude {
                args.extend(["--exclude".to_string(), spec.clone()]);
            }
            return args;
        }
        self.packages
            .iter()
            .flat_map(|p| ["-p".to_string(), p.clone()])
            .collect()
    }
}
