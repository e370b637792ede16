//! The one reader entry point: [`read`] a [`Source`] (a file or folder path, or
//! bytes in hand such as standard input) as a [`Format`] with the
//! [`ReadOptions`] an RCTab `cvrFileSources` entry or the command line gives,
//! into an [`ElectionFile`], or a [`ReadError`] naming the file.
//!
//! Every format of [`Format::ALL`] is read here and nowhere else: the plain
//! ballot formats, every cast vote record format (folders for Dominion and
//! Hart), RCTab's `ballots.json` and a JSON `rules` object (which give the
//! rules and seats to count under).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::cdf_xml::read_cdf;
use super::dominion::{read_dominion, DominionExport};
use super::election_file::{ElectionFile, Progress};
use super::ess::{read_ess_xlsx, EssOptions};
use super::format::Format;
use super::hart::read_hart;
use super::rctab_config::{parse_rctab_rules, read_rctab_ballots_json};
use super::rctab_csv::{
    read_clear_ballot_csv, read_generic_csv, ClearBallotOptions, GenericCsvOptions,
};
use super::read_error::{Location, ReadError};
use super::stream::Input;
use super::{blt, csv, cvr, debian, json, preflib};
use crate::tally::{self, Election};

/// What to read.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A file, or a folder for Dominion and Hart.
    Path(&'a Path),
    /// Bytes already read (standard input, a test's text), under a name for
    /// messages and detection (`standard input` has no extension).
    Bytes { name: &'a str, bytes: &'a [u8] },
}

impl<'a> Source<'a> {
    /// Text in hand, named `name`.
    pub fn text(name: &'a str, text: &'a str) -> Self {
        Source::Bytes {
            name,
            bytes: text.as_bytes(),
        }
    }

    /// The name errors give: the path, or the bytes' name.
    pub fn name(&self) -> Cow<'a, str> {
        match self {
            Source::Path(path) => path.to_string_lossy(),
            Source::Bytes { name, .. } => Cow::Borrowed(name),
        }
    }

    /// The format of this source: Dominion and Hart folders, else told from
    /// the name and contents ([`Format::detect`]).
    pub fn detect(&self) -> Option<Format> {
        match self {
            Source::Path(path) => Format::detect_path(path),
            Source::Bytes { name, bytes } => Format::detect(name, bytes),
        }
    }
}

/// How to read cast vote records: the fields of an RCTab `cvrFileSources`
/// entry a reader honours (see `rctab_sources::check_source` for which), and
/// the configuration's candidates. The plain formats take none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The contest to read, in CVRs holding several (CDF, Clear Ballot,
    /// Dominion, Hart): RCTab's `contestId`.
    pub contest: Option<String>,
    /// 1-based (generic CSV, ES&S).
    pub first_vote_column: Option<usize>,
    /// 1-based (ES&S).
    pub first_vote_row: Option<usize>,
    pub overvote_delimiter: Option<String>,
    /// A cell holding it is an explicit overvote (ES&S).
    pub overvote_label: Option<String>,
    /// A cell holding it is a skipped rank (ES&S; RCTab 2.0's
    /// `skippedRankLabel`, 1.x's `undervoteLabel`).
    pub undervote_label: Option<String>,
    pub undeclared_write_in_label: Option<String>,
    pub treat_blank_as_undeclared_write_in: bool,
    /// Rank columns an ES&S workbook has (RCTab's `maxRankingsAllowed`);
    /// `None`: [`cvr::MAX_RANK`].
    pub max_rankings: Option<usize>,
    /// `(code, name)` of a configuration's candidates: each name with itself
    /// and each alias with its name. Dominion and Hart name a candidate whose
    /// id (`CandidateId`, option `Id`) is such a code by the name, as RCTab
    /// does.
    pub candidate_codes: Vec<(String, String)>,
}

/// Reads `source` as `format`.
pub fn read(
    source: &Source<'_>,
    format: Format,
    options: &ReadOptions,
) -> Result<ElectionFile, ReadError> {
    read_with_progress(source, format, options, &mut |_| {})
}

/// Reads `source` as `format`, calling `progress` with the bytes read so far
/// (plain formats). An error names the source.
pub fn read_with_progress(
    source: &Source<'_>,
    format: Format,
    options: &ReadOptions,
    progress: Progress<'_>,
) -> Result<ElectionFile, ReadError> {
    let name = source.name();
    read_source(source, format, options, progress).map_err(|e| e.in_file(&name))
}

fn read_source(
    source: &Source<'_>,
    format: Format,
    options: &ReadOptions,
    progress: Progress<'_>,
) -> Result<ElectionFile, ReadError> {
    let fail = |m: String| ReadError::new(format_name(format), Location::Input, m);
    if format.is_folder() {
        let Source::Path(dir) = source else {
            return Err(fail(format!(
                "expected a folder ({}), found a stream",
                format.description()
            )));
        };
        let contest = options.contest.as_deref().ok_or_else(|| {
            fail(format!(
                "a {} source needs its contest (contestId, or --contest)",
                format.name()
            ))
        })?;
        let election = if format == Format::Dominion {
            read_dominion_folder(dir, contest, options)?
        } else {
            read_hart_folder(dir, contest, options)?
        };
        return Ok(ElectionFile::of(election));
    }
    if format == Format::Cdf {
        // Read a chunk at a time, twice (the `Election`s come after the CVRs).
        let input = match *source {
            Source::Path(path) => Input::File(path),
            Source::Bytes { bytes, .. } => Input::Bytes(bytes),
        };
        return Ok(ElectionFile::of(read_cdf(
            input,
            options.contest.as_deref(),
        )?));
    }
    let owned;
    let bytes: &[u8] = match source {
        Source::Path(path) => {
            owned = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
            &owned
        }
        Source::Bytes { bytes, .. } => bytes,
    };
    read_bytes(bytes, format, options, progress)
}

/// The format name a reader of `format` puts in its errors, for errors
/// found before the reader runs.
fn format_name(format: Format) -> &'static str {
    format.description()
}

/// Reads one file's bytes as `format` (not a folder format).
fn read_bytes(
    bytes: &[u8],
    format: Format,
    options: &ReadOptions,
    progress: Progress<'_>,
) -> Result<ElectionFile, ReadError> {
    let uwi = options.undeclared_write_in_label.clone();
    let election = match format {
        Format::Debian => debian::read_debian_tally(bytes)?,
        Format::Ess => read_ess_xlsx(bytes, &ess_options(options)?)?,
        Format::Cdf => read_cdf(Input::Bytes(bytes), options.contest.as_deref())?,
        Format::RctabCsv => read_generic_csv(
            utf8(format, bytes)?,
            &GenericCsvOptions {
                first_vote_column: options.first_vote_column,
                undeclared_write_in_label: uwi,
            },
        )?,
        Format::ClearBallot => read_clear_ballot_csv(
            utf8(format, bytes)?,
            &ClearBallotOptions {
                contest: options.contest.clone(),
                undeclared_write_in_label: uwi,
            },
        )?,
        Format::RctabJson => return read_rctab_json(utf8(format, bytes)?),
        Format::Preflib | Format::Blt | Format::Json | Format::Csv => {
            return read_plain(utf8(format, bytes)?, format, progress)
        }
        Format::Dominion | Format::Hart => unreachable!("folder formats are read from folders"),
    };
    Ok(ElectionFile::of(election))
}

/// `bytes` as text, or an error naming the first line that is not UTF-8.
fn utf8(format: Format, bytes: &[u8]) -> Result<&str, ReadError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        ReadError::expected(
            format_name(format),
            Location::Line(line),
            "UTF-8 text",
            "other bytes",
        )
    })
}

/// CSV texts at least this large get their digest computed on a second thread
/// while they are read (both only read the text).
const DIGEST_THREAD_BYTES: usize = 1 << 20;

/// A plain ballot file (PrefLib, BLT, Christen JSON, canonical CSV). A JSON
/// file may carry a `rules` object: Christen's (`tally::Rules`, e.g. `{"rcv":
/// {...}}`) or RCTab's (camelCase keys, as in RCTab configs, which also give
/// the seats). Canonical CSV gets its `ballot_digest`.
fn read_plain(
    text: &str,
    format: Format,
    progress: Progress<'_>,
) -> Result<ElectionFile, ReadError> {
    if format == Format::Json {
        let (mut file, rules) = json::read_with_rules(text)?;
        if let Some(rules) = rules {
            json_rules(rules, &mut file)?;
        }
        return Ok(file);
    }
    let (file, digest) = std::thread::scope(|scope| {
        let digest = (format == Format::Csv && text.len() >= DIGEST_THREAD_BYTES)
            .then(|| scope.spawn(|| csv::ballot_digest(text.as_bytes())));
        let file = match format {
            Format::Preflib => preflib::read(text, progress),
            Format::Blt => blt::read(text, progress),
            _ => csv::read(text, progress),
        };
        let digest = digest.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (file, digest)
    });
    let mut file = file?;
    if format == Format::Csv {
        file.ballot_digest = Some(digest.unwrap_or_else(|| csv::ballot_digest(text.as_bytes())));
    }
    Ok(file)
}

/// The `rules` object of a Christen JSON file (its text, as the reader kept
/// it while reading the ballots).
fn json_rules(
    rules: &serde_json::value::RawValue,
    file: &mut ElectionFile,
) -> Result<(), ReadError> {
    const JSON: &str = "Christen JSON";
    let Ok(r) = serde_json::from_str::<serde_json::Value>(rules.get()) else {
        return Ok(());
    };
    let r = &r;
    let at = |m: String| ReadError::new(JSON, Location::JsonPath("$.rules".to_owned()), m);
    if r.get("overvoteRule").is_some() || r.get("tiebreakMode").is_some() {
        let rctab = parse_rctab_rules(JSON, r, "$.rules")?;
        let (rules, seats) = rctab.to_rcv_rules(&file.election).map_err(at)?;
        file.rules = Some(rules);
        file.seats = file.seats.or(Some(seats));
    } else {
        let rules: tally::Rules = serde_json::from_value(r.clone())
            .map_err(|e| at(format!("expected Christen's rules: {e}")))?;
        file.rules = rules.rcv;
    }
    Ok(())
}

/// RCTab's `ballots.json`, with the seats and rules of its `rules` object.
fn read_rctab_json(text: &str) -> Result<ElectionFile, ReadError> {
    let b = read_rctab_ballots_json(text)?;
    let mut file = ElectionFile::of(b.election);
    if let Some(r) = &b.rules {
        let (rules, seats) = r.to_rcv_rules(&file.election).map_err(|m| {
            ReadError::new(
                "RCTab ballots.json",
                Location::JsonPath("$.rules".to_owned()),
                m,
            )
        })?;
        file.rules = Some(rules);
        file.seats = Some(seats);
    }
    Ok(file)
}

/// An ES&S workbook's settings: its first vote column and row are required.
fn ess_options(options: &ReadOptions) -> Result<EssOptions, ReadError> {
    let (Some(column), Some(row)) = (options.first_vote_column, options.first_vote_row) else {
        return Err(ReadError::new(
            format_name(Format::Ess),
            Location::Input,
            "an ess source needs firstVoteColumnIndex and firstVoteRowIndex \
             (from the --rctab-config's ess source)",
        ));
    };
    Ok(EssOptions {
        first_vote_column: column,
        first_vote_row: row,
        max_rankings: options.max_rankings.unwrap_or(cvr::MAX_RANK as usize),
        overvote_delimiter: options.overvote_delimiter.clone(),
        overvote_label: options.overvote_label.clone(),
        undervote_label: options.undervote_label.clone(),
        undeclared_write_in_label: options.undeclared_write_in_label.clone(),
        treat_blank_as_undeclared_write_in: options.treat_blank_as_undeclared_write_in,
    })
}

/// `dir/name` as text, or an error naming that file.
fn read_in(dir: &Path, name: &str, format: Format) -> Result<String, ReadError> {
    std::fs::read_to_string(dir.join(name)).map_err(|e| {
        ReadError::new(
            format_name(format),
            Location::Input,
            format!("cannot read it: {e}"),
        )
        .in_file(name)
    })
}

/// A Dominion export folder: its two manifests and `CvrExport.json`, or else
/// every `CvrExport_<number>.json` in it, by number. RCTab 2.0 reads them so:
/// exports may start at any number and skip some (BrightSpots/rcv#898; its
/// `2024_alaska_dominion` case holds `CvrExport_1730.json` to `_1739`);
/// RCTab 1.x read `_1`, `_2`, … up to the first missing one, silently
/// dropping any after a gap.
fn read_dominion_folder(
    dir: &Path,
    contest: &str,
    options: &ReadOptions,
) -> Result<Election, ReadError> {
    let candidates = read_in(dir, "CandidateManifest.json", Format::Dominion)?;
    let contests = read_in(dir, "ContestManifest.json", Format::Dominion)?;
    let names: Vec<String> = if dir.join("CvrExport.json").is_file() {
        vec!["CvrExport.json".to_owned()]
    } else {
        numbered_exports(dir)?
    };
    if names.is_empty() {
        return Err(ReadError::expected(
            format_name(Format::Dominion),
            Location::Input,
            "CvrExport.json or CvrExport_<number>.json files in the folder",
            "neither",
        ));
    }
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let export = DominionExport {
        candidate_manifest: &candidates,
        contest_manifest: &contests,
        exports: names
            .into_iter()
            .zip(paths.iter().map(|p| Input::File(p)))
            .collect(),
    };
    read_dominion(
        &export,
        contest,
        options.undeclared_write_in_label.as_deref(),
        &options.candidate_codes,
    )
}

/// The `CvrExport_<number>.json` files of a Dominion folder, by number.
fn numbered_exports(dir: &Path) -> Result<Vec<String>, ReadError> {
    let listing = std::fs::read_dir(dir).map_err(|e| {
        ReadError::new(
            format_name(Format::Dominion),
            Location::Input,
            format!("cannot list the folder: {e}"),
        )
    })?;
    let mut numbered: Vec<(u64, String)> = Vec::new();
    for entry in listing.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let number = name
            .strip_prefix("CvrExport_")
            .and_then(|rest| rest.strip_suffix(".json"))
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u64>().ok());
        if let Some(number) = number {
            if entry.path().is_file() {
                numbered.push((number, name));
            }
        }
    }
    numbered.sort();
    Ok(numbered.into_iter().map(|(_, name)| name).collect())
}

/// A Hart CVR folder: every `*.xml` file but the `*.sig.xml` signatures, in
/// name order.
fn read_hart_folder(
    dir: &Path,
    contest: &str,
    options: &ReadOptions,
) -> Result<Election, ReadError> {
    let fail = |e: std::io::Error| {
        ReadError::new(
            format_name(Format::Hart),
            Location::Input,
            format!("cannot list the folder: {e}"),
        )
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
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
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        texts.push((name.clone(), read_in(dir, &name, Format::Hart)?));
    }
    let files: Vec<(String, &str)> = texts.iter().map(|(n, t)| (n.clone(), t.as_str())).collect();
    read_hart(
        &files,
        contest,
        options.undeclared_write_in_label.as_deref(),
        &options.candidate_codes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_source_and_the_place() {
        let e = read(
            &Source::text("ballots.csv", "receipt,A,B\nr1,1,3\n"),
            Format::Csv,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.file.as_deref(), Some("ballots.csv"));
        assert_eq!(e.line(), Some(2));
        assert!(e.to_string().starts_with("ballots.csv line 2"), "{e}");
        let e = read(
            &Source::Path(Path::new("/nonexistent/cvr.json")),
            Format::Cdf,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/cvr.json: cannot read it"),
            "{e}"
        );
        let e = read(
            &Source::text("standard input", "x"),
            Format::Dominion,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("expected a folder"), "{e}");
        let e = read(
            &Source::Bytes {
                name: "standard input",
                bytes: b"# TITLE: t\n\xff\n",
            },
            Format::Preflib,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "standard input line 2: expected UTF-8 text, found other bytes"
        );
    }

    #[test]
    fn canonical_csv_carries_its_digest_and_json_its_rules() {
        let text = "receipt,A,B\nr1,1,2\n";
        let f = read(
            &Source::text("b.csv", text),
            Format::Csv,
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(f.ballot_digest, Some(csv::ballot_digest(text.as_bytes())));
        let json = r#"{"candidates": ["A", "B"], "ballots": [["A", "B"]],
            "rules": {"overvoteRule": "exhaustImmediately", "tiebreakMode": "useCandidateOrder",
                      "winnerElectionMode": "singleWinnerMajority", "numberOfWinners": "1"}}"#;
        let f = read(
            &Source::text("b.json", json),
            Format::Json,
            &ReadOptions::default(),
        )
        .unwrap();
        assert!(f.rules.is_some());
        assert_eq!(f.seats, Some(1));
    }
}
