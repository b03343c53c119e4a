//! The stock windlass command line, for use outside an xtask (`cargo install --path crates/windlass`).

fn main() -> std::process::ExitCode {
    windlass::main()
}
