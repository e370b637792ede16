//! `christen tally`: count a ballot file with the engine.
//!
//! `christen tally --method M [--seats N] [--seed S] [--format auto|preflib|blt|json|csv] [--json] FILE|-`
//!
//! Prints a readable table by default; with `--json`, the same report object the
//! API returns, with each candidate as `{id, name}`, `id` being its 1-based
//! number in the file. A file that cannot be read or counted gets a message
//! naming the line, exit code 2, and nothing on standard output.

use std::fmt::Write as _;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use crate::formats::{self, ElectionFile, Format, FormatError};
use crate::tally::{
    self, CandidateRef, DecidedBy, Method, Options, Report, TallyError, TransferKind, Votes,
};

/// Arguments of `christen tally`.
#[derive(Debug, clap::Args)]
pub struct TallyArgs {
    /// Counting method: plurality, irv, stv, schulze, ranked_pairs, borda or copeland.
    #[arg(long, short = 'm')]
    pub method: Method,
    /// Seats to fill (default: the file's, for BLT; otherwise 1).
    #[arg(long)]
    pub seats: Option<u32>,
    /// Seed of the tie-break lot.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// File format (auto: from the file name, else from the contents).
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Ballot file, or `-` for standard input.
    pub file: String,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Auto,
    Preflib,
    Blt,
    Json,
    Csv,
}

/// Why a file could not be counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Format(FormatError),
    Tally(TallyError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Format(e) => e.fmt(f),
            Failure::Tally(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Failure {}

/// Reads `text` as `format` and counts it: what `christen tally` does after
/// reading the file. `seats`: `None` takes the file's (BLT) or 1. Candidates in
/// the report are `{id: number in the file, name}`. For canonical CSV the
/// report carries the file's `ballot_digest`.
pub fn count_text(
    text: &str,
    format: Format,
    method: Method,
    seats: Option<u32>,
    seed: u64,
    progress: formats::Progress<'_>,
) -> Result<(ElectionFile, Report<CandidateRef<u32>>), Failure> {
    let file = formats::read_with_progress(text, format, progress).map_err(Failure::Format)?;
    let options = Options {
        seats: seats.or(file.seats).unwrap_or(1),
        seed,
        ..Options::default()
    };
    let mut report = tally::count(&file.election, method, &options)
        .map_err(Failure::Tally)?
        .with_refs(&file.election.candidates, |c| c + 1);
    if format == Format::Csv {
        report.ballot_digest = Some(formats::ballot_digest(text.as_bytes()));
    }
    Ok((file, report))
}

/// Files at least this large get a progress bar (on a terminal).
const PROGRESS_BYTES: usize = 8 << 20;

/// Runs `christen tally`.
pub fn run(args: TallyArgs) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("christen tally: {msg}");
        ExitCode::from(2)
    };
    let mut bytes = Vec::new();
    let read = if args.file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(&args.file).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    if let Err(e) = read {
        return fail(format!("{}: {e}", args.file));
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return fail(format!("{}: line {line}: expected UTF-8 text", args.file));
        }
    };
    let format = match args.format {
        FormatArg::Preflib => Format::Preflib,
        FormatArg::Blt => Format::Blt,
        FormatArg::Json => Format::Json,
        FormatArg::Csv => Format::Csv,
        FormatArg::Auto => match Format::from_extension(&args.file).or_else(|| Format::sniff(text))
        {
            Some(f) => f,
            None => {
                return fail(format!(
                    "{}: cannot tell the file format; give --format preflib|blt|json|csv",
                    args.file
                ))
            }
        },
    };
    let bar = (std::io::stderr().is_terminal() && text.len() >= PROGRESS_BYTES).then(|| {
        let bar = indicatif::ProgressBar::new(text.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "reading {bytes}/{total_bytes} [{bar:40}] {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let mut progress = |done: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let result = count_text(
        text,
        format,
        args.method,
        args.seats,
        args.seed,
        &mut progress,
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (file, report) = match result {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", args.file)),
    };
    let out = if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => s + "\n",
            Err(e) => return fail(format!("cannot write the report: {e}")),
        }
    } else {
        table(&file, &report)
    };
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

fn name(c: &CandidateRef<u32>) -> String {
    c.name.clone()
}

fn names(cs: &[CandidateRef<u32>]) -> String {
    cs.iter().map(name).collect::<Vec<_>>().join(", ")
}

/// The readable report.
pub fn table(file: &ElectionFile, r: &Report<CandidateRef<u32>>) -> String {
    let mut s = String::new();
    if let Some(t) = &file.title {
        let _ = writeln!(s, "{t}");
    }
    let _ = writeln!(
        s,
        "Method: {}   Seats: {}   Ballots: {} ({} blank)",
        r.method, r.seats, r.ballots_counted, r.blank_ballots
    );
    if !r.withdrawn.is_empty() {
        let _ = writeln!(s, "Withdrawn: {}", names(&r.withdrawn));
    }
    if let Some(q) = r.quota {
        let _ = writeln!(s, "Quota: {q}");
    }
    let elected = if r.winners.is_empty() {
        "nobody (no ballot ranks a candidate)".to_string()
    } else {
        names(&r.winners)
    };
    let _ = writeln!(s, "Elected: {elected}");
    if let Some(c) = &r.condorcet_winner {
        let _ = writeln!(s, "Condorcet winner: {}", name(c));
    }
    let width = r
        .candidates
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 40);

    for round in &r.rounds {
        let _ = writeln!(
            s,
            "\nRound {}   threshold {}   continuing {}   inactive {}",
            round.round,
            round.threshold,
            round.continuing_votes,
            round.inactive.total()
        );
        let mut counts: Vec<_> = round.counts.iter().collect();
        counts.sort_by(|a, b| {
            b.votes
                .cmp(&a.votes)
                .then(a.candidate.id.cmp(&b.candidate.id))
        });
        for t in counts {
            let mark = if round.elected.contains(&t.candidate) {
                "  elected"
            } else if round.eliminated.contains(&t.candidate) {
                "  eliminated"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "  {:<width$}  {:>14}{mark}",
                t.candidate.name,
                t.votes.to_string()
            );
        }
        if let Some(t) = &round.transfer {
            match t.kind {
                TransferKind::Surplus => {
                    let _ = writeln!(
                        s,
                        "  surplus of {} ({}) transferred at {}",
                        t.from.name,
                        t.surplus.unwrap_or(Votes::ZERO),
                        t.transfer_value.unwrap_or(Votes::ZERO)
                    );
                }
                TransferKind::Elimination => {
                    let _ = writeln!(s, "  ballots of {} transferred", t.from.name);
                }
            }
            if t.exhausted > Votes::ZERO {
                let _ = writeln!(s, "  exhausted: {}", t.exhausted);
            }
        }
    }

    if !r.ranking.is_empty() {
        let _ = writeln!(s, "\nRanking:");
        let score = |c: &CandidateRef<u32>| {
            r.scores
                .iter()
                .find(|x| &x.candidate == c)
                .map(|x| format!("  {:>14}", x.score.to_string()))
                .unwrap_or_default()
        };
        let mut place = 1;
        for group in &r.ranking {
            let tie = if group.len() > 1 { "=" } else { " " };
            for c in group {
                let _ = writeln!(s, "  {place:>3}{tie} {:<width$}{}", c.name, score(c));
            }
            place += group.len();
        }
    }

    if let Some(m) = &r.pairwise {
        if m.len() <= 12 {
            let _ = writeln!(s, "\nPairwise (row over column):");
            let _ = write!(s, "  {:<width$}", "");
            for c in &r.candidates {
                let _ = write!(s, " {:>7}", format!("#{}", c.id));
            }
            let _ = writeln!(s);
            for (c, row) in r.candidates.iter().zip(m) {
                let _ = write!(s, "  {:<width$}", format!("#{} {}", c.id, c.name));
                for v in row {
                    let _ = write!(s, " {v:>7}");
                }
                let _ = writeln!(s);
            }
        }
    }

    if !r.tie_breaks.is_empty() {
        let _ = writeln!(s, "\nTie-breaks:");
        for t in &r.tie_breaks {
            let by = match t.decided_by {
                DecidedBy::EarlierRound { round } => format!("by round {round}"),
                DecidedBy::Lot => format!("by lot (seed {})", r.seed),
                DecidedBy::CandidateOrder => "by candidate order".to_string(),
                DecidedBy::Random => "by RCTab's seeded random rule".to_string(),
            };
            let round = t.round.map(|n| format!("round {n}: ")).unwrap_or_default();
            let _ = writeln!(
                s,
                "  {round}{:?} among {} -> {} ({by})",
                t.purpose,
                names(&t.tied),
                names(&t.order)
            );
        }
    }
    if let Some(d) = &r.ballot_digest {
        let _ = writeln!(s, "\nBallot digest (SHA-256): {d}");
    }
    s
}
