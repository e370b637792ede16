use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Christen: crowdsourced naming contests with exact ranked-ballot counts.
#[derive(Debug, Parser)]
#[command(name = "christen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Count a ballot file (PrefLib, BLT, JSON or Christen CSV).
    Tally(christen::cli::tally::TallyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Tally(args)) => christen::cli::tally::run(args),
        None => {
            eprintln!("christen: serve is not built yet");
            ExitCode::from(2)
        }
    }
}
