use std::process::ExitCode;

use clap::{Parser, Subcommand};

use christen::config::{DatabaseSettings, LogSettings, ServeSettings};

/// Christen: crowdsourced naming contests with exact ranked-ballot counts.
#[derive(Debug, Parser)]
#[command(name = "christen", version, about)]
struct Cli {
    #[command(flatten)]
    db: DatabaseSettings,

    #[command(flatten)]
    serve: ServeSettings,

    #[command(flatten)]
    log: LogSettings,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (the default command).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Count a ballot file (PrefLib, BLT, JSON or Christen CSV).
    Tally(christen::cli::tally::TallyArgs),
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation and print its id and first admin API key.
    Create {
        /// The organisation's name, e.g. "City Library".
        #[arg(long)]
        name: String,
        /// Print `{"org_id": …, "api_key": …}` for scripts.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if !matches!(command, Command::Tally(_)) {
        christen::telemetry::init(cli.log.log_format);
    }
    let result = match command {
        Command::Tally(args) => return christen::cli::tally::run(args),
        Command::Serve => christen::cli::serve::run(&cli.db, &cli.serve),
        Command::Migrate => christen::cli::runtime::open_database(&cli.db).map(|db| {
            db.shutdown();
            println!("migrations are up to date");
        }),
        Command::Org(OrgCommand::Create { name, json }) => {
            christen::cli::org::run_create(&cli.db, &name, json)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("christen: {e:#}");
            ExitCode::FAILURE
        }
    }
}
