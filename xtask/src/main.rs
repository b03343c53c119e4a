//! This repository's xtask: windlass checking its own code, exactly as an adopter's would.

fn main() -> std::process::ExitCode {
    windlass::main()
}
