//! This repository's xtask: windlass checking its own code, exactly as an adopter's would,
//! with a step of its own (`readme-tasks`).

mod readme_tasks;

fn main() -> std::process::ExitCode {
    windlass::Xtask::new().step(readme_tasks::ReadmeTasks).run()
}
