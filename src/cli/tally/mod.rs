//! `christen tally`: count a ballot file with the engine.
//!
//! `christen tally --method M [--seats N] [--seed S] [--format auto|NAME] [--json] FILE|-`
//!
//! Reads every format of the registry (`formats::Format::ALL`: PrefLib, BLT,
//! Christen JSON and CSV, NIST CDF, RCTab generic CSV, Clear Ballot, RCTab's
//! `ballots.json`, Debian tally sheets, ES&S workbooks, Dominion and Hart
//! folders). Without `--format` (or with `auto`) the format is told from the
//! file name and contents (`formats::Format::detect`). Counts IRV and STV under
//! RCTab's rule options (the rule flags, `--rctab-config`, or a `rules` object
//! in JSON input); writes the Universal RCV Tabulation summary with `--urcvt`
//! and RCTab's summary spreadsheet with `--summary-csv FILE`.
//!
//! `christen tally --rctab-config contest.json` with no file reads every CVR
//! source the configuration names (paths relative to it;
//! `formats::rctab_sources` says which fields each provider honours) and counts
//! them as RCTab would.
//!
//! The command is args → read → count → render: [`args`] (the arguments),
//! [`read`] (through the one reader entry point, `formats::read`), [`count`]
//! (the engine), [`render`] (table, JSON, URCVT, summary CSV).
//!
//! Prints a readable table by default; with `--json`, the same report object the
//! API returns, with each candidate as `{id, name}`, `id` being its 1-based
//! number in the file. A file that cannot be read or counted gets a message
//! naming the file and the place in it, exit code 2, and nothing on standard
//! output.

use std::io::Write;
use std::process::ExitCode;

pub mod args;
pub mod count;
pub mod read;
pub mod render;

pub use self::args::{FormatArg, RuleArgs, TallyArgs};
pub use self::count::{count_text, Failure};
pub use self::render::table;

/// Runs `christen tally`.
pub fn run(args: TallyArgs) -> ExitCode {
    match tally(&args) {
        Ok(out) => print(&out),
        Err(msg) => {
            eprintln!("christen tally: {msg}");
            ExitCode::from(2)
        }
    }
}

/// args → read → count → render: the text to print, or why there is none.
fn tally(args: &TallyArgs) -> Result<String, String> {
    let input = read::read_input(args)?;
    let counted = count::count(args, input)?;
    let out = render::render(args, &counted)?;
    // The process ends next: freeing a million-ballot election group by group
    // would only slow the exit down.
    std::mem::forget(counted);
    Ok(out)
}

/// Writes `out` to standard output; exit code 1 if it is closed.
fn print(out: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
