//! `christen tally`: count a ballot file with the engine.

use std::process::ExitCode;

/// Arguments of `christen tally`.
#[derive(Debug, clap::Args)]
pub struct TallyArgs {
    /// Ballot file, or `-` for standard input.
    pub file: String,
}

/// Runs `christen tally`.
pub fn run(_args: TallyArgs) -> ExitCode {
    eprintln!("christen tally: not built yet");
    ExitCode::from(2)
}
