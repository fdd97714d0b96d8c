//! `connecty completions SHELL`: the completion script, from the same
//! argument definitions as the help.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit::{ExitStatus, Outcome};
use crate::output::write_stdout;

/// `connecty completions SHELL`.
pub fn run(shell: clap_complete::Shell) -> Outcome {
    write_stdout(|out| {
        clap_complete::generate(shell, &mut Cli::command(), "connecty", out);
        Ok(())
    })
    .map(|()| ExitStatus::Success)
}
