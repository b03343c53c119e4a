//! This repository's xtask: windlass checking its own code, exactly as an adopter's would,
//! with a step of its own (`readme-tasks`).

mod readme_tasks;

/// windlass's tasks, and this repository's own step.
fn xtask() -> windlass::Xtask {
    windlass::Xtask::new().task(readme_tasks::ReadmeTasks)
}

fn main() -> std::process::ExitCode {
    xtask().run()
}

#[cfg(test)]
mod tests {
    /// Plain `cargo test` catches a hand-edited or stale workflow of this repository: the
    /// workflows are those of this xtask, whose steps include its own.
    #[test]
    fn this_repositorys_workflows_are_generated() {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let code = super::xtask().run_from([
            "cargo xtask",
            "workflows",
            "--check",
            "--color",
            "never",
            "--manifest-path",
            manifest.to_str().unwrap_or_default(),
        ]);
        assert_eq!(code, 0, "run `cargo xtask workflows` and commit");
    }
}
