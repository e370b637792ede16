//! `christen tally`, rendering: the readable table, the report as JSON, the
//! URCVT summary, and RCTab's summary spreadsheet (written to its file).

use std::fmt::Write as _;

use super::args::TallyArgs;
use super::count::Counted;
use crate::formats::rctab_config::RctabConfig;
use crate::formats::{summary_csv, urcvt, ElectionFile};
use crate::tally::rcv;
use crate::tally::{
    self, CandidateRef, DecidedBy, Method, Options, Report, Round, TransferKind, Votes,
};

/// What `christen tally` prints for `counted`: the URCVT summary
/// (`--urcvt`), the report as JSON (`--json`) or the table; with
/// `--summary-csv FILE`, RCTab's summary spreadsheet is written to FILE too.
pub fn render(args: &TallyArgs, counted: &Counted) -> Result<String, String> {
    if counted.multi_pass {
        return render_passes(args, counted);
    }
    let Counted {
        file,
        config,
        method,
        options,
        reports,
        ..
    } = counted;
    let report = reports.first().ok_or("no report")?;
    if let Some(path) = &args.summary_csv {
        write_summary(path, *method, &file.election, options, config.as_ref())?;
    }
    if args.urcvt {
        return Ok(urcvt_summary(report, &file.election, config.as_ref()));
    }
    let report = report
        .clone()
        .with_refs(&file.election.candidates, |c| c + 1);
    if args.json {
        serde_json::to_string_pretty(&report)
            .map(|s| s + "\n")
            .map_err(|e| format!("cannot write the report: {e}"))
    } else {
        Ok(table(file, &report))
    }
}

/// RCTab's `multiPassIrv`, every pass in order: the table under a `Pass N of
/// S` heading; `--json` and `--urcvt` a JSON array, one element per pass;
/// `--summary-csv FILE` writes one spreadsheet per pass, `_N` before the
/// extension (`summary.csv`: `summary_1.csv`, …), as RCTab names its
/// `…_summary_N.csv`. Each pass is shown with the earlier passes' winners
/// withdrawn, as it was counted.
fn render_passes(args: &TallyArgs, counted: &Counted) -> Result<String, String> {
    let config = counted.config.as_ref();
    let mut file = ElectionFile {
        seats: Some(1),
        ..counted.file.clone()
    };
    let mut out = Vec::new();
    for (i, report) in counted.reports.iter().enumerate() {
        if let Some(path) = &args.summary_csv {
            let path = pass_path(path, i + 1);
            write_summary(&path, Method::Irv, &file.election, &counted.options, config)?;
        }
        let refs = || {
            report
                .clone()
                .with_refs(&file.election.candidates, |c| c + 1)
        };
        out.push(if args.urcvt {
            urcvt_summary(report, &file.election, config)
        } else if args.json {
            serde_json::to_string_pretty(&refs())
                .map_err(|e| format!("cannot write the report: {e}"))?
        } else {
            format!(
                "Pass {} of {} (multiPassIrv)\n{}",
                i + 1,
                counted.reports.len(),
                table(&file, &refs())
            )
        });
        file.election
            .withdrawn
            .extend(report.winners.iter().copied());
        file.election.withdrawn.sort_unstable();
    }
    Ok(if args.urcvt || args.json {
        let trimmed: Vec<&str> = out.iter().map(|s| s.trim_end()).collect();
        format!("[\n{}\n]\n", trimmed.join(",\n"))
    } else {
        out.join("\n")
    })
}

/// `path` with `_N` before its extension (RCTab's sequential suffix).
fn pass_path(path: &str, pass: usize) -> String {
    let p = std::path::Path::new(path);
    match (p.file_stem(), p.extension()) {
        (Some(stem), Some(ext)) => p
            .with_file_name(format!(
                "{}_{pass}.{}",
                stem.to_string_lossy(),
                ext.to_string_lossy()
            ))
            .to_string_lossy()
            .into_owned(),
        _ => format!("{path}_{pass}"),
    }
}

/// Writes RCTab's summary spreadsheet of the count to `path`.
fn write_summary(
    path: &str,
    method: Method,
    election: &tally::Election,
    options: &Options,
    config: Option<&RctabConfig>,
) -> Result<(), String> {
    let seats = match method {
        Method::Irv => 1,
        Method::Stv => options.seats,
        other => return Err(format!("--summary-csv: counts IRV and STV, not {other:?}")),
    };
    let rules = options.rules.rcv.clone().unwrap_or_default();
    let count = rcv::count_rcv(election, seats, &rules).map_err(|e| e.to_string())?;
    let meta = summary_csv::SummaryMeta {
        contest: config.map(|c| c.contest_name.clone()).unwrap_or_default(),
        jurisdiction: config.map(|c| c.jurisdiction.clone()).unwrap_or_default(),
        office: config.map(|c| c.office.clone()).unwrap_or_default(),
        date: config.map(|c| c.contest_date.clone()).unwrap_or_default(),
        generated_by: format!("Christen {}", env!("CARGO_PKG_VERSION")),
        number_to_elect: config.map(|c| match c.rules.winner_election_mode.as_str() {
            // RCTab counts each pass with numberOfWinners set to 1.
            "multiPassIrv" => 1,
            _ => c.rules.number_of_winners,
        }),
        single_winner: config.map(|c| c.rules.winner_election_mode == "singleWinnerMajority"),
    };
    std::fs::write(
        path,
        summary_csv::write_summary_csv(&count, election, &meta),
    )
    .map_err(|e| format!("{path}: {e}"))
}

/// The URCVT JSON summary, with the contest details of `config`.
fn urcvt_summary(
    report: &Report<u32>,
    election: &tally::Election,
    config: Option<&RctabConfig>,
) -> String {
    let meta = urcvt::UrcvtConfig {
        contest: config.map(|c| c.contest_name.clone()).unwrap_or_default(),
        date: config.map(|c| c.contest_date.clone()).unwrap_or_default(),
        generated_by: format!("Christen {}", env!("CARGO_PKG_VERSION")),
        jurisdiction: config.map(|c| c.jurisdiction.clone()).unwrap_or_default(),
        office: config.map(|c| c.office.clone()).unwrap_or_default(),
    };
    urcvt::write_urcvt(&urcvt::urcvt_from_report(report, election, meta)) + "\n"
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
    summary_lines(&mut s, file, r);
    let width = r
        .candidates
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 40);
    for round in &r.rounds {
        round_lines(&mut s, round, width);
    }
    ranking_lines(&mut s, r, width);
    pairwise_lines(&mut s, r, width);
    tie_break_lines(&mut s, r);
    if let Some(d) = &r.ballot_digest {
        let _ = writeln!(s, "\nBallot digest (SHA-256): {d}");
    }
    s
}

/// Title, method, seats, ballots, withdrawn, quota, who is elected and the
/// Condorcet winner.
fn summary_lines(s: &mut String, file: &ElectionFile, r: &Report<CandidateRef<u32>>) {
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
}

/// One round: its figures, each candidate's votes (most first) and what moved.
fn round_lines(s: &mut String, round: &Round<CandidateRef<u32>>, width: usize) {
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

/// The final ranking, `=` marking equal places, with scores where the method
/// has them.
fn ranking_lines(s: &mut String, r: &Report<CandidateRef<u32>>, width: usize) {
    if r.ranking.is_empty() {
        return;
    }
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

/// The pairwise matrix, for up to 12 candidates.
fn pairwise_lines(s: &mut String, r: &Report<CandidateRef<u32>>, width: usize) {
    let Some(m) = &r.pairwise else {
        return;
    };
    if m.len() > 12 {
        return;
    }
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

/// Every tie broken, and how.
fn tie_break_lines(s: &mut String, r: &Report<CandidateRef<u32>>) {
    if r.tie_breaks.is_empty() {
        return;
    }
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
