//! `christen tally`: count a ballot file with the engine.
//!
//! `christen tally --method M [--seats N] [--seed S] [--format auto|preflib|blt|json|csv] [--json] FILE|-`
//!
//! Also reads the cast vote records of RCTab's test data (`--format cdf`,
//! `rctab-csv`, `clear-ballot`, `rctab-json`) and Debian tally sheets
//! (`--format debian`). Without `--format` (or with `auto`) the format of every
//! one of these is told from the file name and contents (`formats::FileKind`).
//! Counts IRV and STV under RCTab's rule options (the rule
//! flags below, `--rctab-config`, or a `rules` object in JSON input); and writes
//! the Universal RCV Tabulation summary with `--urcvt` and RCTab's summary
//! spreadsheet with `--summary-csv FILE`.
//!
//! `christen tally --rctab-config contest.json` with no file reads every CVR
//! source the configuration names (paths relative to it; `formats::rctab_sources`
//! says which fields each provider honours) and counts them as RCTab would:
//! args → read → count → render.
//!
//! Prints a readable table by default; with `--json`, the same report object the
//! API returns, with each candidate as `{id, name}`, `id` being its 1-based
//! number in the file. A file that cannot be read or counted gets a message
//! naming the line, exit code 2, and nothing on standard output.

use std::fmt::Write as _;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::ValueEnum;

use crate::formats::rctab_config::{read_rctab_ballots_json, read_rctab_config, RctabConfig};
use crate::formats::rctab_csv::{ClearBallotOptions, GenericCsvOptions};
use crate::formats::{
    self, rctab_sources, summary_csv, urcvt, ElectionFile, FileKind, Format, FormatError,
};
use crate::tally::rcv::{self, RcvRules};
use crate::tally::{
    self, CandidateRef, DecidedBy, Method, Options, Report, Round, TallyError, TransferKind, Votes,
};

/// Arguments of `christen tally`.
#[derive(Debug, clap::Args)]
pub struct TallyArgs {
    /// Counting method: plurality, irv, stv, schulze, ranked_pairs, borda or copeland
    /// (default with --rctab-config: irv for one seat, stv for more).
    #[arg(long, short = 'm')]
    pub method: Option<Method>,
    /// Seats to fill (default: the file's, for BLT; otherwise 1).
    #[arg(long)]
    pub seats: Option<u32>,
    /// Seed of the tie-break lot.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// File format (auto: told from the file name and contents).
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the Universal RCV Tabulation (URCVT) JSON summary that RCTab writes and
    /// rcvis reads (IRV and STV; RCTab's multiPassIrv: a JSON array, one summary
    /// per pass).
    #[arg(long, conflicts_with = "json")]
    pub urcvt: bool,
    /// Also write RCTab's round-by-round summary spreadsheet (CSV) to this file
    /// (IRV and STV; multiPassIrv: one file per pass, `_1`, `_2`, … before the
    /// extension, as RCTab numbers them).
    #[arg(long, value_name = "FILE")]
    pub summary_csv: Option<String>,
    /// The contest to count in cast vote records holding several (NIST CDF,
    /// Clear Ballot, Hart): its name or id, instead of the configuration
    /// source's contestId.
    #[arg(long)]
    pub contest: Option<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Ballot file, or `-` for standard input; with --rctab-config and no file,
    /// every CVR file the configuration's cvrFileSources name.
    pub file: Option<String>,
}

impl TallyArgs {
    /// The ballot file named (`-` when only a configuration is given).
    fn file(&self) -> &str {
        self.file.as_deref().unwrap_or("-")
    }

    /// `--method`, or for an RCTab configuration IRV (one seat) or STV.
    fn method(&self, seats: u32) -> Result<Method, String> {
        match (self.method, &self.rules.rctab_config) {
            (Some(m), _) => Ok(m),
            (None, Some(_)) if seats > 1 => Ok(Method::Stv),
            (None, Some(_)) => Ok(Method::Irv),
            (None, None) => Err(
                "give --method (plurality, irv, stv, schulze, ranked_pairs, \
                 borda or copeland)"
                    .to_owned(),
            ),
        }
    }
}

/// RCTab's rule options for IRV and STV (see `tally::rcv`). Giving any of them,
/// `--rctab-config`, or a `rules` object in the input counts by those rules;
/// otherwise docs/ARCHITECTURE.md's rules apply.
#[derive(Debug, Default, clap::Args)]
pub struct RuleArgs {
    /// What a rank holding several candidates does.
    #[arg(long, value_enum)]
    pub overvote: Option<OvervoteArg>,
    /// Skipped ranks allowed between two marks (a number or `unlimited`).
    #[arg(long)]
    pub max_skipped_ranks: Option<String>,
    /// Ranks read from each ballot.
    #[arg(long)]
    pub max_rankings: Option<u32>,
    /// A candidate marked again on a later rank: skip the mark or exhaust the ballot.
    #[arg(long, value_enum)]
    pub duplicates: Option<DuplicatesArg>,
    /// Eliminate together every lowest candidate who cannot overtake the next one.
    #[arg(long)]
    pub batch_elimination: bool,
    /// IRV: keep eliminating after the winner is known, until two candidates remain.
    #[arg(long)]
    pub continue_until_two: bool,
    /// STV threshold: Droop in whole votes, or to `--decimals` places.
    #[arg(long, value_enum)]
    pub threshold: Option<ThresholdArg>,
    /// Decimal places of vote arithmetic (RCTab's decimalPlacesForVoteArithmetic).
    #[arg(long)]
    pub decimals: Option<u32>,
    /// Tie-break mode; `--seed` seeds the random ones.
    #[arg(long, value_enum)]
    pub tie_break: Option<TieBreakArg>,
    /// Name of the candidate standing for undeclared write-ins.
    #[arg(long)]
    pub write_in: Option<String>,
    /// Take the rules (and CVR reading options, candidate order and seats) from an
    /// RCTab contest configuration file.
    #[arg(long)]
    pub rctab_config: Option<String>,
}

/// `--overvote` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OvervoteArg {
    ExhaustImmediately,
    AlwaysSkipToNextRank,
    ExhaustIfMultipleContinuing,
}

/// `--duplicates` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DuplicatesArg {
    Skip,
    Exhaust,
}

/// `--threshold` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ThresholdArg {
    DroopWhole,
    DroopFractional,
}

/// `--tie-break` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TieBreakArg {
    PreviousRoundsThenRandom,
    CandidateOrder,
    Random,
}

impl RuleArgs {
    fn any(&self) -> bool {
        self.overvote.is_some()
            || self.max_skipped_ranks.is_some()
            || self.max_rankings.is_some()
            || self.duplicates.is_some()
            || self.batch_elimination
            || self.continue_until_two
            || self.threshold.is_some()
            || self.decimals.is_some()
            || self.tie_break.is_some()
            || self.write_in.is_some()
    }

    /// Applies the flags on top of `base` (RCTab's from a config, or the defaults).
    fn apply(
        &self,
        base: RcvRules,
        seed: u64,
        election: &tally::Election,
    ) -> Result<RcvRules, String> {
        let mut r = base;
        if let Some(o) = self.overvote {
            r.overvote = match o {
                OvervoteArg::ExhaustImmediately => rcv::OvervoteRule::ExhaustImmediately,
                OvervoteArg::AlwaysSkipToNextRank => rcv::OvervoteRule::AlwaysSkipToNextRank,
                OvervoteArg::ExhaustIfMultipleContinuing => {
                    rcv::OvervoteRule::ExhaustIfMultipleContinuing
                }
            };
        }
        if let Some(m) = &self.max_skipped_ranks {
            r.max_skipped_ranks = match m.as_str() {
                "unlimited" => None,
                n => Some(n.parse().map_err(|_| {
                    format!("--max-skipped-ranks: expected a number or unlimited, found {n:?}")
                })?),
            };
        }
        if self.max_rankings.is_some() {
            r.max_rankings = self.max_rankings;
        }
        if let Some(d) = self.duplicates {
            r.duplicates = match d {
                DuplicatesArg::Skip => rcv::DuplicateRule::Skip,
                DuplicatesArg::Exhaust => rcv::DuplicateRule::Exhaust,
            };
        }
        r.batch_elimination |= self.batch_elimination;
        r.continue_until_two |= self.continue_until_two;
        if let Some(t) = self.threshold {
            r.threshold = match t {
                ThresholdArg::DroopWhole => rcv::ThresholdRule::DroopWhole,
                ThresholdArg::DroopFractional => rcv::ThresholdRule::DroopFractional,
            };
        }
        if let Some(d) = self.decimals {
            r.decimals = d;
        }
        if let Some(t) = self.tie_break {
            let seed = seed as i64;
            r.tie_break = match t {
                TieBreakArg::PreviousRoundsThenRandom => {
                    rcv::TieBreakMode::PreviousRoundsThenRandom { seed }
                }
                TieBreakArg::CandidateOrder => rcv::TieBreakMode::CandidateOrder,
                TieBreakArg::Random => rcv::TieBreakMode::Random { seed },
            };
        }
        if let Some(name) = &self.write_in {
            let at = election
                .candidates
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| format!("--write-in: no candidate named {name:?}"))?;
            r.undeclared_write_in = Some(at as u32);
        }
        Ok(r)
    }
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Auto,
    Preflib,
    Blt,
    Json,
    Csv,
    /// NIST CDF cast vote records (JSON or XML).
    Cdf,
    /// RCTab generic CSV cast vote records.
    RctabCsv,
    /// Clear Ballot CSV cast vote records.
    ClearBallot,
    /// RCTab-style `ballots.json` (rank slots, RCTab `rules`).
    RctabJson,
    /// Debian vote tally sheet.
    Debian,
    /// ES&S cast vote record workbook (`.xlsx`); its columns from the
    /// `--rctab-config`'s ess source.
    Ess,
    /// Dominion CVR export folder (manifests and `CvrExport*.json`).
    Dominion,
    /// Hart CVR folder (one XML file per ballot).
    Hart,
}

/// The vendors' exports, read as RCTab's providers of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vendor {
    Ess,
    Dominion,
    Hart,
}

impl Vendor {
    const fn provider(self) -> &'static str {
        match self {
            Vendor::Ess => "ess",
            Vendor::Dominion => "dominion",
            Vendor::Hart => "hart",
        }
    }

    /// A Dominion export folder (it has `CandidateManifest.json`), a folder of
    /// XML files (Hart), or an `.xlsx` workbook (ES&S).
    fn detect(file: &str) -> Option<Vendor> {
        let path = std::path::Path::new(file);
        if path.is_dir() {
            if path.join("CandidateManifest.json").is_file() {
                return Some(Vendor::Dominion);
            }
            let has_xml = std::fs::read_dir(path)
                .ok()?
                .filter_map(Result::ok)
                .any(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .to_lowercase()
                        .ends_with(".xml")
                });
            return has_xml.then_some(Vendor::Hart);
        }
        file.to_lowercase()
            .ends_with(".xlsx")
            .then_some(Vendor::Ess)
    }
}

impl FormatArg {
    /// The vendor export this value names, if it names one.
    const fn vendor(self) -> Option<Vendor> {
        match self {
            FormatArg::Ess => Some(Vendor::Ess),
            FormatArg::Dominion => Some(Vendor::Dominion),
            FormatArg::Hart => Some(Vendor::Hart),
            _ => None,
        }
    }

    /// The kind of file this value names; `None` for `auto`.
    pub const fn kind(self) -> Option<FileKind> {
        match self {
            FormatArg::Auto => None,
            FormatArg::Preflib => Some(FileKind::Preflib),
            FormatArg::Blt => Some(FileKind::Blt),
            FormatArg::Json => Some(FileKind::Json),
            FormatArg::Csv => Some(FileKind::Csv),
            FormatArg::Cdf => Some(FileKind::Cdf),
            FormatArg::RctabCsv => Some(FileKind::RctabCsv),
            FormatArg::ClearBallot => Some(FileKind::ClearBallot),
            FormatArg::RctabJson => Some(FileKind::RctabJson),
            FormatArg::Debian => Some(FileKind::Debian),
            FormatArg::Ess | FormatArg::Dominion | FormatArg::Hart => None,
        }
    }

    /// The names of every file format `--format` takes (all values but `auto`).
    pub fn names() -> Vec<&'static str> {
        FormatArg::value_variants()
            .iter()
            .filter_map(|v| {
                v.kind()
                    .map(FileKind::name)
                    .or(v.vendor().map(Vendor::provider))
            })
            .collect()
    }
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
    // The digest of a large CSV file is computed on a second thread while the
    // file is read: both only read the text.
    let (file, digest) = std::thread::scope(|scope| {
        let digest = (format == Format::Csv && text.len() >= DIGEST_THREAD_BYTES)
            .then(|| scope.spawn(|| formats::ballot_digest(text.as_bytes())));
        let file = formats::read_with_progress(text, format, progress);
        let digest = digest.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (file, digest)
    });
    let file = file.map_err(Failure::Format)?;
    let options = Options {
        seats: seats.or(file.seats).unwrap_or(1),
        seed,
        ..Options::default()
    };
    let mut report = tally::count(&file.election, method, &options)
        .map_err(Failure::Tally)?
        .with_refs(&file.election.candidates, |c| c + 1);
    if format == Format::Csv {
        report.ballot_digest =
            Some(digest.unwrap_or_else(|| formats::ballot_digest(text.as_bytes())));
    }
    Ok((file, report))
}

/// CSV texts at least this large get their digest computed on a second thread.
const DIGEST_THREAD_BYTES: usize = 1 << 20;

/// Files at least this large get a progress bar (on a terminal).
const PROGRESS_BYTES: usize = 8 << 20;

/// Runs `christen tally`.
pub fn run(args: TallyArgs) -> ExitCode {
    match tally_file(&args) {
        Ok(out) => print(&out),
        Err(msg) => {
            eprintln!("christen tally: {msg}");
            ExitCode::from(2)
        }
    }
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

/// Reads the file `args` name and counts it: the text to print, or the message
/// saying why it cannot be counted.
fn tally_file(args: &TallyArgs) -> Result<String, String> {
    let config = match &args.rules.rctab_config {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| read_rctab_config(&t).map_err(|e| e.to_string()))
                .map_err(|e| format!("{path}: {e}"))?,
        ),
        None => None,
    };
    match (&args.file, &args.rules.rctab_config, &config) {
        (None, Some(path), Some(config)) => return count_config_sources(args, path, config),
        (None, _, _) => {
            return Err(
                "give a ballot file (- for standard input), or --rctab-config with cvrFileSources"
                    .to_owned(),
            )
        }
        _ => {}
    }
    let vendor = match args.format {
        FormatArg::Auto => Vendor::detect(args.file()),
        other => other.vendor(),
    };
    if let Some(vendor) = vendor {
        return count_vendor(args, vendor, config.as_ref())
            .map_err(|e| format!("{}: {e}", args.file()));
    }
    let bytes = read_input(args.file()).map_err(|e| format!("{}: {e}", args.file()))?;
    let kind = file_kind(args, &bytes)?;
    match kind.format() {
        Some(format)
            if config.is_none()
                && !args.rules.any()
                && !args.urcvt
                && args.summary_csv.is_none() =>
        {
            count_plain(args, format, &bytes)
        }
        _ => count_with_rules(args, kind, &bytes, config.as_ref())
            .map_err(|e| format!("{}: {e}", args.file())),
    }
}

/// The whole file, or standard input for `-`.
fn read_input(file: &str) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(file)?.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// The kind of file to read: `--format`'s, else told from the file's name and
/// contents (see [`FileKind::detect`]).
fn file_kind(args: &TallyArgs, bytes: &[u8]) -> Result<FileKind, String> {
    if let Some(kind) = args.format.kind() {
        return Ok(kind);
    }
    if let Some(kind) = FileKind::detect(args.file(), bytes) {
        return Ok(kind);
    }
    utf8(args.file(), bytes)?;
    Err(format!(
        "{}: cannot tell the file format from its name or contents; give --format {} \
         (the default, auto, guesses)",
        args.file(),
        FormatArg::names().join("|")
    ))
}

/// `bytes` as text, or a message naming the first line that is not UTF-8.
fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("{file}: line {line}: expected UTF-8 text")
    })
}

/// Counts a plain ballot file (PrefLib, BLT, JSON, canonical CSV) by docs/ARCHITECTURE.md's
/// rules, with a progress bar for a large file on a terminal.
fn count_plain(args: &TallyArgs, format: Format, bytes: &[u8]) -> Result<String, String> {
    let text = utf8(args.file(), bytes)?;
    let bar = progress_bar(text.len());
    let mut progress = |done: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let result = count_text(
        text,
        format,
        args.method(args.seats.unwrap_or(1))?,
        args.seats,
        args.seed,
        &mut progress,
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (file, report) = result.map_err(|e| format!("{}: {e}", args.file()))?;
    let out = render(args.json, &file, &report)?;
    // The process ends next: freeing a million-ballot election group by group
    // would only slow the exit down.
    std::mem::forget(file);
    Ok(out)
}

/// A progress bar for reading `len` bytes, when that is long and standard error
/// is a terminal.
fn progress_bar(len: usize) -> Option<indicatif::ProgressBar> {
    (std::io::stderr().is_terminal() && len >= PROGRESS_BYTES).then(|| {
        let bar = indicatif::ProgressBar::new(len as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "reading {bytes}/{total_bytes} [{bar:40}] {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    })
}

/// The report as JSON (`--json`) or as the readable table.
fn render(
    json: bool,
    file: &ElectionFile,
    report: &Report<CandidateRef<u32>>,
) -> Result<String, String> {
    if json {
        serde_json::to_string_pretty(report)
            .map(|s| s + "\n")
            .map_err(|e| format!("cannot write the report: {e}"))
    } else {
        Ok(table(file, report))
    }
}

/// An election as read for a count under rule options: the rules and seats the
/// file carries, if any.
struct RulesInput {
    election: tally::Election,
    rules: Option<RcvRules>,
    seats: Option<u32>,
}

/// Reads `bytes` as `kind` and counts it under the rules given by flags,
/// `config` or the file, printing table, JSON or URCVT.
fn count_with_rules(
    args: &TallyArgs,
    kind: FileKind,
    bytes: &[u8],
    config: Option<&RctabConfig>,
) -> Result<String, String> {
    let input = read_for_rules(kind, bytes, config, args.contest.as_deref())?;
    count_input(args, input, config)
}

/// Reads every CVR source `config` (read from `config_path`) names, paths
/// relative to the configuration's folder, and counts them together.
fn count_config_sources(
    args: &TallyArgs,
    config_path: &str,
    config: &RctabConfig,
) -> Result<String, String> {
    let fail = |e: String| format!("{config_path}: {e}");
    if config.sources.is_empty() {
        return Err(fail("the configuration names no cvrFileSources".to_owned()));
    }
    for source in &config.sources {
        rctab_sources::check_source(source).map_err(fail)?;
    }
    let dir = std::path::Path::new(config_path)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let mut election = tally::Election {
        candidates: Vec::new(),
        withdrawn: Vec::new(),
        ballots: Vec::new(),
    };
    for source in &config.sources {
        let path = dir.join(&source.file_path);
        let read = if source.provider == "dominion" {
            read_dominion_folder(source, &path)
        } else if source.provider == "hart" {
            read_hart_folder(source, &path)
        } else if source.provider == "ess" {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let max = config
                .rules
                .max_rankings_allowed
                .map_or(config.candidates.len(), |m| m as usize);
            rctab_sources::read_ess_source(source, &bytes, max)
        } else {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            rctab_sources::read_source(source, &text)
        };
        rctab_sources::merge_into(&mut election, read.map_err(fail)?);
    }
    let input = RulesInput {
        election,
        rules: None,
        seats: None,
    };
    count_input(args, input, Some(config)).map_err(fail)
}

/// Reads a vendor's export named on the command line, with the settings of the
/// configuration's source of that provider, if any, and counts it.
fn count_vendor(
    args: &TallyArgs,
    vendor: Vendor,
    config: Option<&RctabConfig>,
) -> Result<String, String> {
    let mut source = config
        .and_then(|c| c.sources.iter().find(|s| s.provider == vendor.provider()))
        .cloned()
        .unwrap_or_else(|| formats::rctab_config::RctabCvrSource {
            provider: vendor.provider().to_owned(),
            ..Default::default()
        });
    source.file_path = args.file().to_owned();
    if let Some(contest) = &args.contest {
        source.contest_id = Some(contest.clone());
    }
    let path = std::path::Path::new(args.file());
    let election = match vendor {
        Vendor::Dominion => read_dominion_folder(&source, path)?,
        Vendor::Hart => read_hart_folder(&source, path)?,
        Vendor::Ess => {
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            let max = config.map_or(formats::cvr::MAX_RANK as usize, |c| {
                c.rules
                    .max_rankings_allowed
                    .map_or(c.candidates.len(), |m| m as usize)
            });
            rctab_sources::read_ess_source(&source, &bytes, max)?
        }
    };
    let input = RulesInput {
        election,
        rules: None,
        seats: None,
    };
    count_input(args, input, config)
}

/// Reads a Hart CVR folder: every `*.xml` file but the `*.sig.xml` signatures,
/// in name order.
fn read_hart_folder(
    source: &formats::rctab_config::RctabCvrSource,
    dir: &std::path::Path,
) -> Result<tally::Election, String> {
    let fail = |e: std::io::Error| format!("{}: {e}", dir.display());
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(fail)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            name.ends_with("xml") && !name.ends_with(".sig.xml")
        })
        .collect();
    paths.sort();
    let mut texts = Vec::with_capacity(paths.len());
    for p in &paths {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        texts.push((name, text));
    }
    let files: Vec<(String, &str)> = texts.iter().map(|(n, t)| (n.clone(), t.as_str())).collect();
    rctab_sources::read_hart_source(source, &files)
}

/// Reads a Dominion export folder: its two manifests and `CvrExport.json`, or
/// `CvrExport_1.json`, `CvrExport_2.json`, … while they exist.
fn read_dominion_folder(
    source: &formats::rctab_config::RctabCvrSource,
    dir: &std::path::Path,
) -> Result<tally::Election, String> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let candidates = read("CandidateManifest.json")?;
    let contests = read("ContestManifest.json")?;
    let mut names: Vec<String> = Vec::new();
    if dir.join("CvrExport.json").is_file() {
        names.push("CvrExport.json".to_owned());
    } else {
        while dir
            .join(format!("CvrExport_{}.json", names.len() + 1))
            .is_file()
        {
            names.push(format!("CvrExport_{}.json", names.len() + 1));
        }
    }
    if names.is_empty() {
        return Err(format!(
            "{}: neither CvrExport.json nor CvrExport_1.json exists",
            dir.display()
        ));
    }
    let texts = names
        .iter()
        .map(|n| read(n))
        .collect::<Result<Vec<String>, String>>()?;
    let export = formats::dominion::DominionExport {
        candidate_manifest: &candidates,
        contest_manifest: &contests,
        exports: names
            .into_iter()
            .zip(texts.iter().map(String::as_str))
            .collect(),
    };
    rctab_sources::read_dominion_source(source, &export)
}

/// Counts `input` under the rules given by flags, `config` or the file,
/// printing table, JSON or URCVT.
fn count_input(
    args: &TallyArgs,
    mut input: RulesInput,
    config: Option<&RctabConfig>,
) -> Result<String, String> {
    if let Some(c) = config {
        let (election, rules, seats) = apply_config(c, &input.election)?;
        input.election = election;
        input.rules = Some(rules);
        input.seats = input.seats.or(Some(seats));
    }
    let seats = args.seats.or(input.seats);
    let rules = if args.rules.any() {
        Some(
            args.rules
                .apply(input.rules.unwrap_or_default(), args.seed, &input.election)?,
        )
    } else {
        input.rules
    };
    let options = Options {
        seats: seats.unwrap_or(1),
        seed: args.seed,
        rules: tally::Rules {
            rcv: rules,
            ..tally::Rules::default()
        },
    };
    if let Some(rules) = options
        .rules
        .rcv
        .as_ref()
        .filter(|r| r.winner_mode.is_multi_pass())
    {
        return count_passes(args, &input.election, &options, rules, config);
    }
    let method = args.method(options.seats)?;
    let report = tally::count(&input.election, method, &options).map_err(|e| e.to_string())?;
    if let Some(path) = &args.summary_csv {
        write_summary(path, method, &input.election, &options, config)?;
    }
    let file = ElectionFile {
        election: input.election,
        title: config.map(|c| c.contest_name.clone()),
        seats,
    };
    let out = if args.urcvt {
        urcvt_summary(&report, &file.election, config)
    } else {
        render(
            args.json,
            &file,
            &report.with_refs(&file.election.candidates, |c| c + 1),
        )?
    };
    // Only `run` calls this, and the process ends right after: freeing a
    // million-ballot election group by group would only slow the exit down.
    std::mem::forget(file);
    Ok(out)
}

/// RCTab's `multiPassIrv`: one IRV count per seat, each excluding the earlier
/// passes' winners (`tally::sequential`). Prints every pass in order (the
/// table under a `Pass N of S` heading; `--json` and `--urcvt` a JSON array,
/// one element per pass); `--summary-csv FILE` writes one spreadsheet per
/// pass, `_N` before the extension (`summary.csv`: `summary_1.csv`, …), as
/// RCTab names its `…_summary_N.csv`.
fn count_passes(
    args: &TallyArgs,
    election: &tally::Election,
    options: &Options,
    rules: &RcvRules,
    config: Option<&RctabConfig>,
) -> Result<String, String> {
    let pass_options = Options {
        seats: 1,
        rules: tally::Rules {
            rcv: Some(tally::sequential::pass_rules(rules)),
            ..tally::Rules::default()
        },
        ..options.clone()
    };
    let reports = tally::sequential::run_passes(
        election,
        options.seats,
        |e| tally::count(e, Method::Irv, &pass_options),
        |r| r.winners.clone(),
    )
    .map_err(|e| e.to_string())?;
    let mut file = ElectionFile {
        election: election.clone(),
        title: config.map(|c| c.contest_name.clone()),
        seats: Some(1),
    };
    let mut out = Vec::new();
    for (i, report) in reports.iter().enumerate() {
        if let Some(path) = &args.summary_csv {
            let path = pass_path(path, i + 1);
            write_summary(&path, Method::Irv, &file.election, &pass_options, config)?;
        }
        out.push(if args.urcvt {
            urcvt_summary(report, &file.election, config)
        } else if args.json {
            render(
                true,
                &file,
                &report
                    .clone()
                    .with_refs(&file.election.candidates, |c| c + 1),
            )?
        } else {
            format!(
                "Pass {} of {} (multiPassIrv)\n{}",
                i + 1,
                reports.len(),
                table(
                    &file,
                    &report
                        .clone()
                        .with_refs(&file.election.candidates, |c| c + 1)
                )
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

/// Reads `bytes` as `kind`, with the CVR reading options of `config`'s first
/// source, `contest` (if given) instead of its contestId.
fn read_for_rules(
    kind: FileKind,
    bytes: &[u8],
    config: Option<&RctabConfig>,
    contest: Option<&str>,
) -> Result<RulesInput, String> {
    let text = || std::str::from_utf8(bytes).map_err(|_| "expected UTF-8 text".to_string());
    let source = config.and_then(|c| c.sources.first());
    let contest = contest.or(source.and_then(|s| s.contest_id.as_deref()));
    let election = match kind {
        FileKind::Debian => formats::debian::read_debian_tally(bytes).map_err(|e| e.to_string())?,
        FileKind::Cdf => formats::cdf_xml::read_cdf(text()?, contest).map_err(|e| e.to_string())?,
        FileKind::RctabCsv => formats::rctab_csv::read_generic_csv(
            text()?,
            &GenericCsvOptions {
                first_vote_column: source.and_then(|s| s.first_vote_column),
                undeclared_write_in_label: source.and_then(|s| s.undeclared_write_in_label.clone()),
            },
        )
        .map_err(|e| e.to_string())?,
        FileKind::ClearBallot => formats::rctab_csv::read_clear_ballot_csv(
            text()?,
            &ClearBallotOptions {
                contest: contest.map(str::to_owned),
                undeclared_write_in_label: source.and_then(|s| s.undeclared_write_in_label.clone()),
            },
        )
        .map_err(|e| e.to_string())?,
        FileKind::RctabJson => return read_rctab_json(text()?),
        FileKind::Preflib | FileKind::Blt | FileKind::Json | FileKind::Csv => {
            let format = kind.format().ok_or("not a plain ballot format")?;
            return read_plain_for_rules(text()?, format);
        }
    };
    Ok(RulesInput {
        election,
        rules: None,
        seats: None,
    })
}

/// RCTab's `ballots.json`, with the seats and rules of its `rules` object.
fn read_rctab_json(text: &str) -> Result<RulesInput, String> {
    let b = read_rctab_ballots_json(text).map_err(|e| e.to_string())?;
    let (rules, seats) = match &b.rules {
        Some(r) => {
            let (rules, n) = r.to_rcv_rules(&b.election)?;
            (Some(rules), Some(n))
        }
        None => (None, None),
    };
    Ok(RulesInput {
        election: b.election,
        rules,
        seats,
    })
}

/// A plain ballot file; a JSON file may carry a `rules` object: Christen's
/// (`tally::Rules`, e.g. {"rcv": {...}}) or RCTab's (camelCase keys, as in
/// RCTab configs, which also give the seats).
fn read_plain_for_rules(text: &str, format: Format) -> Result<RulesInput, String> {
    let file = formats::read(text, format).map_err(|e| e.to_string())?;
    let (mut rules, mut seats) = (None, file.seats);
    if format == Format::Json {
        if let Ok(serde_json::Value::Object(doc)) = serde_json::from_str::<serde_json::Value>(text)
        {
            if let Some(r) = doc.get("rules") {
                if r.get("overvoteRule").is_some() || r.get("tiebreakMode").is_some() {
                    let r = formats::rctab_config::parse_rctab_rules("JSON input", r, "$.rules")
                        .map_err(|e| e.to_string())?;
                    let (r, n) = r.to_rcv_rules(&file.election)?;
                    rules = Some(r);
                    seats = seats.or(Some(n));
                } else {
                    let r: tally::Rules =
                        serde_json::from_value(r.clone()).map_err(|e| format!("rules: {e}"))?;
                    rules = r.rcv;
                }
            }
        }
    }
    Ok(RulesInput {
        election: file.election,
        rules,
        seats,
    })
}

/// `election` ready to count under `c` (see [`RctabConfig::prepare`]), with its
/// rules and seats.
fn apply_config(
    c: &RctabConfig,
    election: &tally::Election,
) -> Result<(tally::Election, RcvRules, u32), String> {
    c.prepare(election)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_values_are_the_file_kinds_by_the_same_names() {
        let kinds: Vec<FileKind> = FormatArg::value_variants()
            .iter()
            .filter_map(|v| v.kind())
            .collect();
        assert_eq!(kinds, FileKind::ALL);
        for v in FormatArg::value_variants() {
            let clap_name = v.to_possible_value().map(|p| p.get_name().to_owned());
            let name = v
                .kind()
                .map(FileKind::name)
                .or(v.vendor().map(Vendor::provider))
                .unwrap_or("auto");
            assert_eq!(clap_name.as_deref(), Some(name));
        }
    }
}
