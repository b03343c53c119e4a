//! Cargo feature selection, shared by `lint` and `test`.

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
