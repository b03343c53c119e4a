//! The Dockerfiles windlass writes.

use cargo_metadata::Metadata;
use windlass_core::Workspace;
use windlass_core::paths::shell_quote;

/// Keeps out of the build context what must never be in an image, or slows the build.
pub const DOCKERIGNORE: &str = "# Written by `cargo xtask docker-build --init`.\ntarget/\n**/target/\n.git/\n.github/\n.env\n.env.*\n!.env.example\n*.pem\n*.key\nid_rsa*\nid_ed25519*\n**/*.rs.bk\n";

/// The default runtime: glibc's C runtime, no shell, non-root.
pub const DEFAULT_BASE: &str = "gcr.io/distroless/cc-debian12:nonroot";

/// The source of the health probe windlass builds into images, and where `--init` puts it.
pub const PROBE_SOURCE: &str = include_str!("../probe/healthprobe.rs");
/// The probe's path in the repository.
pub const PROBE_PATH: &str = "docker/healthprobe.rs";
/// How the probe is compiled: static, small, no unwinding tables.
pub const PROBE_RUSTC_FLAGS: &[&str] = &[
    "--edition",
    "2021",
    "-C",
    "opt-level=s",
    "-C",
    "panic=abort",
    "-C",
    "strip=symbols",
    "-C",
    "target-feature=+crt-static",
];

/// How the container's health is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// windlass's static HTTP probe GETs this URL inside the container: works for any service
    /// that serves a health endpoint, knowing nothing of windlass.
    Http(String),
    /// The binary probes itself with these arguments (`svc health`).
    Command(Vec<String>),
}

impl Probe {
    /// One line saying what the HEALTHCHECK does, for the user.
    pub fn describe(&self) -> String {
        match self {
            Probe::Http(url) => format!(
                "HEALTHCHECK: windlass's static HTTP probe GETs {url} inside the container (set `health-url` in [workspace.metadata.windlass.docker]; `healthcheck = [\"health\"]` for a binary that probes itself)"
            ),
            Probe::Command(args) => format!(
                "HEALTHCHECK: the binary probes itself with `{}`",
                args.join(" ")
            ),
        }
    }

    /// The HEALTHCHECK command for a binary at `exe`, with the probe at `probe_exe`.
    fn command(&self, exe: &str, probe_exe: &str) -> Vec<String> {
        match self {
            Probe::Http(url) => vec![probe_exe.to_string(), url.clone()],
            Probe::Command(args) => std::iter::once(exe.to_string())
                .chain(args.iter().cloned())
                .collect(),
        }
    }
}

/// A JSON array, as Docker's exec form and `COPY [...]` read it: every value quoted and
/// escaped, whatever it holds.
fn exec_form(parts: &[String]) -> String {
    let quoted: Vec<String> = parts
        .iter()
        .map(|p| serde_json::to_string(p).unwrap_or_else(|_| "\"\"".into()))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// `COPY src dst`, in the JSON form when a path holds anything but plain characters (a
/// space, a quote, a `$` Docker would expand).
fn copy_line(prefix: &str, src: &str, dst: &str) -> String {
    let plain = |p: &str| {
        p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+@%".contains(c))
    };
    if plain(src) && plain(dst) {
        format!("COPY {prefix}{src} {dst}\n")
    } else {
        format!(
            "COPY {prefix}{}\n",
            exec_form(&[src.to_string(), dst.to_string()])
        )
    }
}

/// A value of the repository's (a path, a binary's name) that a Dockerfile cannot hold
/// safely, quoted or not: a line break ends the instruction.
pub fn unsafe_value(value: &str) -> bool {
    value.chars().any(char::is_control)
}

/// The multi-stage Dockerfile of `--init`: dependencies built in a layer of their own from
/// stub sources (the cargo-chef idea, without cargo-chef), then the real build, then a
/// minimal non-root runtime with an exec-form health check.
// Long: the generated Dockerfile, top to bottom, as the file it writes.
pub fn multi_stage(
    ws: &Workspace,
    metadata: &Metadata,
    bin: &str,
    base: Option<&str>,
    probe: &Probe,
) -> String {
    let rust_version = metadata
        .workspace_packages()
        .iter()
        .find_map(|p| p.rust_version.as_ref().map(ToString::to_string))
        .unwrap_or_else(|| "1.88".into());
    let relative = |p: &std::path::Path| {
        p.strip_prefix(&ws.root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut manifests = Vec::new();
    let mut stubs = Vec::new();
    for package in metadata.workspace_packages() {
        let manifest = relative(package.manifest_path.as_std_path());
        if manifest != "Cargo.toml" {
            manifests.push(manifest);
        }
        for target in &package.targets {
            let is_main = target.is_bin() || target.is_custom_build();
            if is_main || target.is_lib() || target.is_proc_macro() {
                stubs.push((relative(target.src_path.as_std_path()), is_main));
            }
        }
    }
    stubs.sort();
    stubs.dedup();
    let mut dirs: Vec<String> = stubs
        .iter()
        .filter_map(|(p, _)| p.rsplit_once('/').map(|(d, _)| d.to_string()))
        .collect();
    dirs.sort();
    dirs.dedup();
    let base = base.unwrap_or(DEFAULT_BASE);
    // Numeric, so that the host can resolve it (distroless's `nonroot` is 65532 too).
    let user = "65532:65532";
    // Every path and name from the repository reaches the shell of a RUN quoted, one word
    // each: `src/bin/a;touch PWNED;#.rs` is a file name there, never a command.
    let copy_manifests: String = manifests.iter().map(|m| copy_line("", m, m)).collect();
    let create: Vec<String> = stubs
        .iter()
        .map(|(p, main)| {
            if *main {
                format!("echo 'fn main() {{}}' > {}", shell_quote(p))
            } else {
                format!("touch {}", shell_quote(p))
            }
        })
        .collect();
    let paths: Vec<String> = stubs.iter().map(|(p, _)| shell_quote(p)).collect();
    let mkdir = if dirs.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = dirs.iter().map(|d| shell_quote(d)).collect();
        format!("mkdir -p {} \\\n && ", quoted.join(" "))
    };
    let exe = format!("/usr/local/bin/{bin}");
    let copy_bin = copy_line(
        "--from=builder ",
        &format!("/app/target/release/{bin}"),
        &exe,
    );
    let bin = shell_quote(bin);
    let probe_exe = "/usr/local/bin/healthprobe";
    let (build_probe, copy_probe) = match probe {
        Probe::Http(_) => (
            format!(
                "\n# The health probe: a static HTTP GET, so the runtime needs no shell and no curl.\nCOPY {PROBE_PATH} {PROBE_PATH}\nRUN rustc {} {PROBE_PATH} -o {probe_exe}\n",
                PROBE_RUSTC_FLAGS.join(" ")
            ),
            format!("COPY --from=builder {probe_exe} {probe_exe}\n"),
        ),
        Probe::Command(_) => (String::new(), String::new()),
    };
    let probe = probe.command(&exe, probe_exe);
    format!(
        "# Written by `cargo xtask docker-build --init`; `cargo xtask docker-build --check` lints it.\n\
ARG RUST_VERSION={rust_version}\n\
FROM rust:${{RUST_VERSION}}-slim-bookworm AS builder\n\
WORKDIR /app\n\
\n\
# The dependencies first, in a layer of their own: a change to the sources does not rebuild them.\n\
COPY Cargo.toml Cargo.lock ./\n\
{copy_manifests}\
RUN {mkdir}{} \\\n && cargo build --release --locked --bin {bin} \\\n && rm -f {}\n\
\n\
COPY . .\n\
# The real sources must look newer to cargo than the stubs it just built.\n\
RUN touch {} \\\n && cargo build --release --locked --bin {bin}\n\
{build_probe}\
\n\
FROM {base}\n\
{copy_bin}\
{copy_probe}\
USER {user}\n\
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD {}\n\
ENTRYPOINT {}\n",
        create.join(" \\\n && "),
        paths.join(" "),
        paths.join(" "),
        exec_form(&probe),
        exec_form(std::slice::from_ref(&exe)),
    )
}

/// The Dockerfile of `--prebuilt`: a static binary (and the static probe, built on the host
/// beside it) in `scratch`.
pub fn prebuilt(bin: &str, probe: &Probe) -> String {
    let exe = format!("/{bin}");
    let copy_probe = match probe {
        Probe::Http(_) => "COPY healthprobe /healthprobe\n",
        Probe::Command(_) => "",
    };
    let probe = probe.command(&exe, "/healthprobe");
    let copy_bin = copy_line("", bin, &exe);
    format!(
        "FROM scratch\n{copy_bin}{copy_probe}USER 65532:65532\nHEALTHCHECK --interval=1s --timeout=2s --start-period=1s --retries=3 CMD {}\nENTRYPOINT {}\n",
        exec_form(&probe),
        exec_form(std::slice::from_ref(&exe))
    )
}

/// The images a Dockerfile starts from (not `scratch`, not its own stages), with `ARG`
/// defaults substituted.
pub fn external_images(text: &str) -> Vec<String> {
    // Sets beside the list, so that a file of many stages is read in linear time.
    let mut args: Vec<(String, String)> = Vec::new();
    let mut stages = std::collections::HashSet::new();
    let mut seen = std::collections::HashSet::new();
    let mut images = Vec::new();
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("ARG") => {
                if let Some((k, v)) = words.next().and_then(|kv| kv.split_once('=')) {
                    args.push((k.to_string(), v.trim_matches('"').to_string()));
                }
            }
            Some("FROM") => {
                let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
                let mut image = rest.first().copied().unwrap_or("").to_string();
                let substitute = image.contains('$');
                for (k, v) in args.iter().filter(|_| substitute) {
                    image = image
                        .replace(&format!("${{{k}}}"), v)
                        .replace(&format!("${k}"), v);
                }
                if let Some(at) = rest.iter().position(|w| w.eq_ignore_ascii_case("AS")) {
                    stages.insert(
                        rest.get(at + 1)
                            .map(|s| s.to_ascii_lowercase())
                            .unwrap_or_default(),
                    );
                }
                if image != "scratch"
                    && !stages.contains(&image.to_ascii_lowercase())
                    && seen.insert(image.clone())
                {
                    images.push(image);
                }
            }
            _ => {}
        }
    }
    images
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_images_resolve_args_and_skip_stages() {
        let text = "ARG RUST_VERSION=1.88\nFROM rust:${RUST_VERSION}-slim AS builder\nFROM builder AS test\nFROM scratch\nFROM gcr.io/distroless/cc-debian12:nonroot\n";
        assert_eq!(
            external_images(text),
            ["rust:1.88-slim", "gcr.io/distroless/cc-debian12:nonroot"]
        );
    }

    /// The probe is committed into adopters' repositories, whose hook checks its formatting.
    #[test]
    fn the_probe_source_is_formatted_as_rustfmt_formats_it() {
        use std::io::Write;
        let Ok(mut child) = std::process::Command::new("rustfmt")
            .args(["--check", "--edition", "2021"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        else {
            return;
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(PROBE_SOURCE.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    #[test]
    fn the_prebuilt_dockerfile_passes_windlass_lint() {
        assert_eq!(
            crate::lint::check(&prebuilt("svc", &Probe::Command(vec!["health".into()]))),
            Vec::new()
        );
    }
}
