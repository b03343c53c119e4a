//! This workspace's automation: `cargo xtask ci` runs windlass's checks and `no-todo` (and the
//! `codegen` command step declared in Cargo.toml); `cargo xtask hello` is a command of its own.

mod hello;
mod no_todo;

fn main() -> std::process::ExitCode {
    windlass::Xtask::new()
        .task(no_todo::NoTodo)
        .task(hello::Hello)
        .run()
}
