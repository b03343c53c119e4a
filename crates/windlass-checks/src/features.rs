//! Cargo feature selection, shared by `lint` and `test`.

use serde::Deserialize;

/// Which features to build with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Features {
    /// `--features a,b`.
    #[serde(default)]
    pub features: Vec<String>,
    /// `--all-features`.
    #[serde(default)]
    pub all_features: bool,
    /// `--no-default-features`.
    #[serde(default)]
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
