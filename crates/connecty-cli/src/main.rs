//! The `connecty` command; see `connecty --help`.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(connecty_cli::run())
}
