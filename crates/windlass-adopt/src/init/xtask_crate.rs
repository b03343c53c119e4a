//! The xtask crate init writes: a workspace of its own, with its own `Cargo.lock` and
//! `target/`, so that windlass's dependencies never enter the project's lockfile, audit,
//! Dependabot updates or clippy run (docs/xtask-workspace.md says why this layout).

/// The manifest of a standalone xtask depending on windlass through `dependency` (the
/// `windlass = ...` line), with `features` of it.
pub fn manifest(edition: &str, dependency: &str, features: &[&str]) -> String {
    let mut text = format!(
        "# This repository's automation: `cargo xtask <task>` (the alias in .cargo/config.toml).\n\
         # A workspace of its own, with its own Cargo.lock and target/: windlass's dependencies stay\n\
         # out of the project's lockfile, audit, Dependabot and clippy.\n\
         [package]\nname = \"xtask\"\nversion = \"0.1.0\"\nedition = \"{edition}\"\npublish = false\n\n\
         [dependencies]\n{dependency}\n\n\
         [workspace]\n\n\
         # The xtask runs in the dev profile: no debug info (nothing reads it), std's debug checks\n\
         # off in its dependencies, and the crates with hot loops (the secret scanner, the audit)\n\
         # optimised, which the cold build hardly notices.\n\
         [profile.dev]\ndebug = 0\n\n\
         [profile.dev.package.\"*\"]\ndebug-assertions = false\n"
    );
    for hot in hot_crates(features) {
        text.push_str(&format!("\n[profile.dev.package.{hot}]\nopt-level = 2\n"));
    }
    text
}

/// The crates the xtask builds optimised, as windlass's own xtask does: only those the chosen
/// features bring in (cargo warns of a profile naming a crate that is not in the graph).
pub fn hot_crates(features: &[&str]) -> Vec<&'static str> {
    // Every file hashed (SHA-256) on a release or deploy goes through sha2.
    let mut hot = vec!["windlass-secrets", "cargo_metadata", "semver", "sha2"];
    if features.contains(&"audit") {
        hot.extend(["windlass-advisories", "cvss"]);
    }
    // Release archives are packed and unpacked by miniz_oxide (1 GiB: 36 s unoptimised, 4 s).
    if features.contains(&"release") || features.contains(&"deploy") {
        hot.push("miniz_oxide");
    }
    hot
}

/// `xtask/src/main.rs`: windlass's command line, nothing added (docs/extending.md adds).
pub const MAIN_RS: &str = "//! This repository's automation: `cargo xtask ci`, `cargo xtask --help` for the rest.\n\nfn main() -> std::process::ExitCode {\n    windlass::main()\n}\n";

/// The alias that runs it from the repository root. Not `--quiet`: the first build of a fresh
/// clone takes minutes, and cargo's progress is what shows it is not hanging (once built,
/// cargo says `Finished` and `Running` in two lines).
pub const ALIAS: &str = "run --manifest-path xtask/Cargo.toml --";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_a_workspace_of_its_own_with_the_hot_crates_of_its_features() {
        let text = manifest("2021", "windlass = { path = \"../w\" }", &["release"]);
        let doc: toml::Table = text.parse().unwrap();
        assert!(doc.contains_key("workspace"));
        let packages = doc["profile"]["dev"]["package"].as_table().unwrap();
        assert!(packages.contains_key("windlass-secrets"));
        assert!(!packages.contains_key("cvss"), "no audit, no cvss: {text}");
        assert!(manifest("2021", "", &["audit"]).contains("[profile.dev.package.cvss]"));
    }
}
