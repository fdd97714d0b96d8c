//! The `connecty` command; see `connecty --help`.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    connecty_cli::run().into()
}
