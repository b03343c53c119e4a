//! The toolchain the repository pins, read the way rustup reads it — `rust-toolchain.toml`
//! (`[toolchain] channel`, `components`), else the legacy `rust-toolchain` file, a bare
//! channel or the same TOML — so that the workflows install exactly it, as their own step.

use std::path::Path;
use windlass_core::ToolchainInstall;

/// What every job installs: the pinned toolchain, or stable, with the components windlass's
/// checks run (`clippy`, `rustfmt`) besides the ones the file names.
pub fn with_check_components(pinned: Option<ToolchainInstall>) -> ToolchainInstall {
    let mut toolchain = pinned.unwrap_or_else(|| ToolchainInstall::new("stable", [""; 0]));
    for component in ["clippy", "rustfmt"] {
        if !toolchain.components.iter().any(|c| c == component) {
            toolchain.components.push(component.to_string());
        }
    }
    toolchain
}

/// The toolchain `root` pins, if any (a file rustup would not read either is no pin).
pub fn pinned(root: &Path) -> Option<ToolchainInstall> {
    for file in ["rust-toolchain.toml", "rust-toolchain"] {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        return from_text(&text);
    }
    None
}

fn from_text(text: &str) -> Option<ToolchainInstall> {
    let trimmed = text.trim();
    if !trimmed.contains('[') && !trimmed.contains('\n') && is_plain(trimmed) {
        return Some(ToolchainInstall::new(trimmed, [""; 0]));
    }
    let doc: toml::Table = text.parse().ok()?;
    let table = doc.get("toolchain")?.as_table()?;
    let channel = table.get("channel")?.as_str()?;
    if !is_plain(channel) {
        return None;
    }
    let components = table
        .get("components")
        .and_then(toml::Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(toml::Value::as_str)
                .filter(|c| is_plain(c))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Some(ToolchainInstall {
        name: channel.to_string(),
        components,
    })
}

/// A name that can go into a `run:` script unquoted: rustup's channel and component names.
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// The `run:` script that installs `toolchain` (minimal profile, its components), without
/// rustup updating itself.
pub fn install_script(toolchain: &ToolchainInstall) -> String {
    let mut script = format!(
        "rustup toolchain install {} --profile minimal --no-self-update",
        toolchain.name
    );
    let components: Vec<&str> = toolchain
        .components
        .iter()
        .map(String::as_str)
        .filter(|c| is_plain(c))
        .collect();
    if !components.is_empty() {
        script.push_str(" --component ");
        script.push_str(&components.join(","));
    }
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_channel_and_components_rustup_reads() {
        let t = from_text(
            "[toolchain]\nchannel = \"1.88.0\"\ncomponents = [\"rustfmt\", \"llvm-tools\"]\n",
        )
        .expect("pinned");
        assert_eq!(t.name, "1.88.0");
        assert_eq!(t.components, ["rustfmt", "llvm-tools"]);
        assert_eq!(
            from_text("nightly-2026-01-10\n").expect("legacy").name,
            "nightly-2026-01-10"
        );
    }

    #[test]
    fn a_name_that_is_not_plain_is_no_pin() {
        assert_eq!(
            from_text("[toolchain]\nchannel = \"stable; curl x | sh\"\n"),
            None
        );
        assert_eq!(from_text("[toolchain]\npath = \"/opt/rust\"\n"), None);
        let t =
            from_text("[toolchain]\nchannel = \"stable\"\ncomponents = [\"$(id)\", \"clippy\"]\n")
                .expect("pinned");
        assert_eq!(t.components, ["clippy"]);
    }

    proptest::proptest! {
        /// Whatever the file holds, reading it never panics, and what it yields can go into a
        /// script unquoted.
        #[test]
        fn any_file_reads_without_panic_and_yields_plain_names(text in "\\PC{0,200}") {
            if let Some(t) = from_text(&text) {
                proptest::prop_assert!(is_plain(&t.name));
                proptest::prop_assert!(t.components.iter().all(|c| is_plain(c)));
            }
        }
    }

    #[test]
    fn installs_minimal_with_components() {
        assert_eq!(
            install_script(&ToolchainInstall::new("stable", ["clippy", "rustfmt"])),
            "rustup toolchain install stable --profile minimal --no-self-update --component clippy,rustfmt"
        );
    }
}
