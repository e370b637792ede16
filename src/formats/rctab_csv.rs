//! The two CSV cast-vote-record layouts RCTab reads and its test data uses.
//!
//! - **Generic CSV** (RCTab provider `genericCsv`): a header row, then one row per
//!   ballot; from the first vote column on, each column is a candidate (named in the
//!   header) and a cell holds the rank the voter gave that candidate, blank if none.
//!   Two candidates with the same rank on one row are an overvote. The column headed
//!   with the undeclared write-in label counts as undeclared write-ins.
//! - **Clear Ballot** (provider `clearBallot`, "Clear Ballot 2.1 RCV format"): ten
//!   fixed columns (`RowNumber` … `Remade`), then one column per contest, rank and
//!   candidate, headed `Choice_<n>_1:<contest>:<rank>:<vote rule>:<candidate>:<party>`,
//!   holding `1` where the voter marked it and `0` elsewhere.

use std::borrow::Cow;

use super::cvr::{
    split_csv_line, split_csv_line_into, ElectionBuilder, MAX_RANK, UNDECLARED_WRITE_INS,
};
use super::read_error::{Location, ReadError};
use crate::tally::{CandidateIdx, Election};

const GENERIC: &str = "RCTab generic CSV";
const CLEAR_BALLOT: &str = "Clear Ballot CSV";

/// Settings of a generic CSV source (RCTab's `cvrFileSources` entry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenericCsvOptions {
    /// 1-based column of the first candidate (RCTab's `firstVoteColumnIndex`).
    /// `None`: the first column not headed like an identifier (`id`, `Response
    /// ID`, `precinct_id`, blank) from which every data cell is blank or a rank no
    /// larger than the number of columns left.
    pub first_vote_column: Option<usize>,
    /// Header of the undeclared write-in column (RCTab's `undeclaredWriteInLabel`).
    pub undeclared_write_in_label: Option<String>,
}

/// Settings of a Clear Ballot source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClearBallotOptions {
    /// The contest to count (RCTab's `contestId`); may be omitted when the file has
    /// exactly one.
    pub contest: Option<String>,
    /// Candidate name used for undeclared write-ins (RCTab's `undeclaredWriteInLabel`).
    pub undeclared_write_in_label: Option<String>,
}

/// Non-empty lines with their 1-based numbers, without line ends or a leading BOM.
fn lines(input: &str) -> impl Iterator<Item = (usize, &str)> {
    input
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line = if i == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            (i + 1, line)
        })
        .filter(|(_, line)| !line.trim().is_empty())
}

fn split(format: &'static str, line_no: usize, line: &str) -> Result<Vec<String>, ReadError> {
    split_csv_line(line).map_err(|column| unbalanced(format, line_no, column))
}

/// [`split`] into `row`, borrowing the cells of a line without quotes.
fn split_into<'a>(
    format: &'static str,
    line_no: usize,
    line: &'a str,
    row: &mut Vec<Cow<'a, str>>,
) -> Result<(), ReadError> {
    split_csv_line_into(line, row).map_err(|column| unbalanced(format, line_no, column))
}

fn unbalanced(format: &'static str, line_no: usize, column: usize) -> ReadError {
    ReadError::new(
        format,
        Location::Cell {
            line: line_no,
            column,
        },
        "expected a field with balanced double quotes",
    )
}

/// Whether a header names an identifier column (`id`, `Response ID`, `batch_id`,
/// or blank) rather than a candidate.
fn is_id_column(header: &str) -> bool {
    header.trim().is_empty()
        || header
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| word.eq_ignore_ascii_case("id"))
}

fn parse_rank(cell: &str) -> Option<u32> {
    cell.trim()
        .parse::<u32>()
        .ok()
        .filter(|r| (1..=MAX_RANK).contains(r))
}

/// Reads an RCTab generic CSV cast vote record file.
///
/// Most files are read once, by [`fast::read`]: plain rows (ASCII, no double
/// quote) of blank cells and rank numbers. Anything else — a quoted cell, a
/// word or an out-of-range number in a vote column, a long row, a first vote
/// column that a later row rules out — sends the whole file to the checked
/// reader below, which gives the result and the error; the fast path returns
/// a result only where that reader gives the same one (a test compares them on
/// generated files).
pub fn read_generic_csv(input: &str, options: &GenericCsvOptions) -> Result<Election, ReadError> {
    match fast::read(input, options) {
        Some(election) => Ok(election),
        None => read_generic_csv_checked(input, options),
    }
}

/// The reference reader of generic CSV: every case, every error.
///
/// Read as a stream, twice over the text, so that no more than one row is held
/// at a time: first every row is split (so a malformed one is found first
/// wherever it is) and, when the first vote column is not given, checked for the
/// columns that could be the first vote column; then every row is counted.
/// Cells are borrowed from the text (see [`split_csv_line_into`]) and each
/// ballot goes straight into its group: no allocation per row.
fn read_generic_csv_checked(
    input: &str,
    options: &GenericCsvOptions,
) -> Result<Election, ReadError> {
    let mut rows = lines(input);
    let Some((header_line, header)) = rows.next() else {
        return Err(ReadError::new(
            GENERIC,
            Location::Input,
            "expected a header row, found an empty file",
        ));
    };
    let header = split(GENERIC, header_line, header)?;
    let mut probe = VoteColumnProbe::new(header.len());
    let mut row = Vec::new();
    for (line_no, line) in rows {
        split_into(GENERIC, line_no, line, &mut row)?;
        if options.first_vote_column.is_none() {
            probe.see(&row);
        }
    }
    let first = first_vote_column(options, header_line, &header, &probe)?;
    let mut builder = ElectionBuilder::default();
    let column_candidate = vote_columns(options, header_line, &header, first, &mut builder)?;
    let mut marks = Vec::new();
    for (line_no, line) in lines(input).skip(1) {
        split_into(GENERIC, line_no, line, &mut row)?;
        if row.len() > header.len() {
            return Err(ReadError::new(
                GENERIC,
                Location::Line(line_no),
                format!(
                    "expected at most {} fields (as many as the header), found {}",
                    header.len(),
                    row.len()
                ),
            ));
        }
        marks.clear();
        for (c, cell) in row.iter().enumerate().skip(first) {
            if cell.trim().is_empty() {
                continue;
            }
            let rank = parse_rank(cell).ok_or_else(|| {
                ReadError::new(
                    GENERIC,
                    Location::Cell {
                        line: line_no,
                        column: c + 1,
                    },
                    format!(
                        "expected a rank from 1 to {MAX_RANK} or a blank cell, found \"{cell}\""
                    ),
                )
            })?;
            marks.push((rank, column_candidate[c - first]));
        }
        builder.add_marks(&marks);
    }
    Ok(builder.finish())
}

/// The one-pass reader of plain generic CSV files (issue 14, item 6: a
/// million rows at 100 MB/s), which gives up (`None`) on anything the checked
/// reader might answer differently.
mod fast {
    use memchr::{memchr, memchr_iter};

    use super::{
        first_vote_column, split, split_into, vote_columns, GenericCsvOptions, VoteColumnProbe,
        GENERIC,
    };
    use crate::formats::cvr::{ElectionBuilder, MAX_RANK};
    use crate::tally::{CandidateIdx, Election};

    /// What `char::is_whitespace` (`str::trim`) strips among ASCII bytes.
    fn is_space(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
    }

    /// One line of the body as `str::lines` and `super::lines` give it: the
    /// line end, then one more `\r`, taken off.
    fn strip_end(line: &[u8]) -> &[u8] {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line.strip_suffix(b"\r").unwrap_or(line)
    }

    /// The rank a trimmed cell holds, if it is plain digits from 1 to `limit`.
    fn rank(cell: &[u8], limit: u32) -> Option<u32> {
        if cell.is_empty() || cell.len() > 4 {
            return None;
        }
        let mut n = 0u32;
        for &b in cell {
            if !b.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(b - b'0');
        }
        (1..=limit).contains(&n).then_some(n)
    }

    /// Reads `input` in one pass, or `None` for the checked reader to read.
    ///
    /// When the first vote column is not given, it is taken from the header
    /// and the first row (as the checked reader's probe would find it after
    /// that row), and every later row must keep it possible: a vote cell is
    /// blank or a rank no larger than the number of columns from there on.
    /// Later rows can only rule columns out, so when that holds the probe over
    /// the whole file ends on the same column.
    pub(super) fn read(input: &str, options: &GenericCsvOptions) -> Option<Election> {
        let bytes = input.as_bytes();
        let mut line_no = 0usize;
        let mut at = 0usize;
        // The header: the first line that is not blank (a BOM taken off the
        // first line), as `super::lines` finds it.
        let (header_line, header) = loop {
            if at >= bytes.len() {
                return None;
            }
            let end = memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |p| at + p);
            let line = &input[at..end];
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line = if line_no == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            line_no += 1;
            at = end + 1;
            if !line.trim().is_empty() {
                break (line_no, line);
            }
        };
        let body = bytes.get(at..).unwrap_or_default();
        if !body.is_ascii() || memchr(b'"', body).is_some() {
            return None;
        }
        let header = split(GENERIC, header_line, header).ok()?;
        let columns = header.len();
        let (first, limit) = match options.first_vote_column {
            Some(_) => {
                let probe = VoteColumnProbe::new(columns);
                (
                    first_vote_column(options, header_line, &header, &probe).ok()?,
                    MAX_RANK,
                )
            }
            None => {
                // The first non-blank row decides the guess.
                let first_row = body
                    .split(|&b| b == b'\n')
                    .map(strip_end)
                    .find(|line| !line.iter().all(|&b| is_space(b)))?;
                let first_row = std::str::from_utf8(first_row).ok()?;
                let mut probe = VoteColumnProbe::new(columns);
                let mut row = Vec::new();
                split_into(GENERIC, 0, first_row, &mut row).ok()?;
                probe.see(&row);
                let first = first_vote_column(options, header_line, &header, &probe).ok()?;
                (first, MAX_RANK.min(u32::try_from(columns - first).ok()?))
            }
        };
        let mut builder = ElectionBuilder::default();
        let column_candidate =
            vote_columns(options, header_line, &header, first, &mut builder).ok()?;
        let mut marks = Vec::new();
        // The candidate at each rank of the row (`NONE`: no mark yet), so
        // that a row without overvotes is keyed without sorting its marks.
        const NONE: CandidateIdx = CandidateIdx::MAX;
        let mut at_rank = vec![NONE; limit as usize + 1];
        let mut start = 0usize;
        let mut lines = memchr_iter(b'\n', body).chain(std::iter::once(body.len()));
        while start < body.len() {
            let end = lines.next()?;
            let line = strip_end(&body[start..end]);
            start = end + 1;
            if line.iter().all(|&b| is_space(b)) {
                continue;
            }
            marks.clear();
            let mut cells = line.split(|&b| b == b',');
            if first > 0 && cells.nth(first - 1).is_none() {
                // The row ends before the vote columns: an empty ballot.
                builder.add_marks(&marks);
                continue;
            }
            for (c, cell) in cells.enumerate() {
                let candidate = *column_candidate.get(c)?;
                let mut cell = cell;
                while let [b, rest @ ..] = cell {
                    if !is_space(*b) {
                        break;
                    }
                    cell = rest;
                }
                while let [rest @ .., b] = cell {
                    if !is_space(*b) {
                        break;
                    }
                    cell = rest;
                }
                if cell.is_empty() {
                    continue;
                }
                marks.push((rank(cell, limit)?, candidate));
            }
            let mut overvote = false;
            let mut last = 0;
            for &(r, c) in &marks {
                let slot = &mut at_rank[r as usize];
                overvote |= *slot != NONE;
                *slot = c;
                last = last.max(r as usize);
            }
            if overvote {
                for &(r, _) in &marks {
                    at_rank[r as usize] = NONE;
                }
                builder.add_marks(&marks);
                continue;
            }
            builder.begin();
            for slot in &mut at_rank[1..=last] {
                if *slot != NONE {
                    builder.push(*slot);
                    *slot = NONE;
                }
                builder.end_rank();
            }
            builder.end_ballot(1);
        }
        Some(builder.finish())
    }
}

/// Which columns every data row allows as the first vote column: from there
/// on, each cell is blank or a rank no larger than the number of header
/// columns left.
struct VoteColumnProbe {
    possible: Vec<bool>,
}

impl VoteColumnProbe {
    fn new(columns: usize) -> Self {
        VoteColumnProbe {
            possible: vec![true; columns],
        }
    }

    /// Rules out the columns `row` does not allow.
    fn see(&mut self, row: &[Cow<'_, str>]) {
        let columns = self.possible.len();
        // From the right: whether a cell at or after c is neither blank nor a
        // positive number, and the largest number at or after c.
        let mut bad = false;
        let mut largest = 0u64;
        for c in (0..row.len().max(columns)).rev() {
            if let Some(cell) = row.get(c) {
                let cell = cell.trim();
                if !cell.is_empty() {
                    match cell.parse::<u64>() {
                        Ok(r) if r >= 1 => largest = largest.max(r),
                        _ => bad = true,
                    }
                }
            }
            if c < columns && (bad || largest > (columns - c) as u64) {
                self.possible[c] = false;
            }
        }
    }
}

/// The 0-based first vote column: the option's, or the first column that is not
/// an id column and holds only blanks and rank numbers on every row.
fn first_vote_column(
    options: &GenericCsvOptions,
    header_line: usize,
    header: &[String],
    probe: &VoteColumnProbe,
) -> Result<usize, ReadError> {
    match options.first_vote_column {
        Some(0) => {
            Err(ReadError::new(GENERIC, Location::Line(header_line), "first vote column is 1-based: expected 1 or more"))
        }
        Some(col) if col > header.len() => {
            Err(ReadError::new(
                GENERIC,
                Location::Line(header_line),
                format!("expected at least {col} columns in the header (first vote column), found {}", header.len()),
            ))
        }
        Some(col) => Ok(col - 1),
        None => (0..header.len())
            .find(|&c| !is_id_column(&header[c]) && probe.possible[c])
            .ok_or_else(|| {
                ReadError::new(
                    GENERIC,
                    Location::Line(header_line),
                    "expected candidate columns holding rank numbers; none found (give the first vote column)",
                )
            }),
    }
}

/// The candidate of each vote column from `first` on, from the header's names
/// (the undeclared write-in label as [`UNDECLARED_WRITE_INS`]).
fn vote_columns(
    options: &GenericCsvOptions,
    header_line: usize,
    header: &[String],
    first: usize,
    builder: &mut ElectionBuilder,
) -> Result<Vec<CandidateIdx>, ReadError> {
    let mut column_candidate: Vec<CandidateIdx> = Vec::new();
    for (c, name) in header.iter().enumerate().skip(first) {
        let name = name.trim();
        let is_uwi = options.undeclared_write_in_label.as_deref() == Some(name);
        let at = Location::Cell {
            line: header_line,
            column: c + 1,
        };
        if name.is_empty() {
            return Err(ReadError::new(
                GENERIC,
                at,
                "expected a candidate name in the header of a vote column",
            ));
        }
        let label = if is_uwi { UNDECLARED_WRITE_INS } else { name };
        if !is_uwi && builder.known(label).is_some() {
            return Err(ReadError::new(
                GENERIC,
                at,
                format!("candidate \"{name}\" heads two columns"),
            ));
        }
        column_candidate.push(builder.candidate(label));
    }
    Ok(column_candidate)
}

/// The fixed columns before the first choice column of a Clear Ballot CVR.
const CLEAR_BALLOT_FIXED_COLUMNS: usize = 10;

/// A choice column of a Clear Ballot CVR: (column, contest, rank, candidate name).
type Choice = (usize, String, u32, String);

/// Reads a Clear Ballot RCV cast vote record CSV.
pub fn read_clear_ballot_csv(
    input: &str,
    options: &ClearBallotOptions,
) -> Result<Election, ReadError> {
    let mut lines = lines(input);
    let Some((header_line, header)) = lines.next() else {
        return Err(ReadError::new(
            CLEAR_BALLOT,
            Location::Input,
            "expected a header row, found an empty file",
        ));
    };
    let header = split(CLEAR_BALLOT, header_line, header)?;
    let mut choices = choice_columns(&header, header_line)?;
    let contest = chosen_contest(&choices, options, header_line)?;
    choices.retain(|(_, c, _, _)| *c == contest);

    let mut builder = ElectionBuilder::default();
    let columns: Vec<(usize, u32, CandidateIdx)> = choices
        .iter()
        .map(|(col, _, rank, name)| {
            let label = if options.undeclared_write_in_label.as_deref() == Some(name.as_str()) {
                UNDECLARED_WRITE_INS
            } else {
                name.as_str()
            };
            (*col, *rank, builder.candidate(label))
        })
        .collect();

    let mut marks = Vec::new();
    let mut row = Vec::new();
    for (line_no, line) in lines {
        split_into(CLEAR_BALLOT, line_no, line, &mut row)?;
        clear_ballot_marks(&row, line_no, header.len(), &columns, &mut marks)?;
        builder.add_marks(&marks);
    }
    Ok(builder.finish())
}

/// The choice columns named by the header
/// (`Choice_<n>_1:<contest>:<rank>:<vote rule>:<candidate>:<party>`).
fn choice_columns(header: &[String], header_line: usize) -> Result<Vec<Choice>, ReadError> {
    if header.len() <= CLEAR_BALLOT_FIXED_COLUMNS {
        return Err(ReadError::new(
            CLEAR_BALLOT,
            Location::Line(header_line),
            format!("expected {CLEAR_BALLOT_FIXED_COLUMNS} fixed columns then choice columns, found {} columns", header.len()),
        ));
    }
    let mut choices: Vec<Choice> = Vec::new();
    for (c, head) in header.iter().enumerate().skip(CLEAR_BALLOT_FIXED_COLUMNS) {
        let fields: Vec<&str> = head.split(':').collect();
        let at = Location::Cell {
            line: header_line,
            column: c + 1,
        };
        if fields.len() != 6 {
            return Err(ReadError::new(
                CLEAR_BALLOT,
                at,
                format!("expected a choice header Choice_<n>_1:<contest>:<rank>:<vote rule>:<candidate>:<party>, found \"{head}\""),
            ));
        }
        let rank = parse_rank(fields[2]).ok_or_else(|| {
            ReadError::new(
                CLEAR_BALLOT,
                at.clone(),
                format!(
                    "expected a rank in the choice header, found \"{}\"",
                    fields[2]
                ),
            )
        })?;
        choices.push((c, fields[1].to_owned(), rank, fields[4].to_owned()));
    }
    Ok(choices)
}

/// The contest to count: the option's (which must have choice columns), or the
/// only one.
fn chosen_contest(
    choices: &[Choice],
    options: &ClearBallotOptions,
    header_line: usize,
) -> Result<String, ReadError> {
    if let Some(contest) = &options.contest {
        if !choices.iter().any(|(_, c, _, _)| c == contest) {
            return Err(ReadError::new(
                CLEAR_BALLOT,
                Location::Line(header_line),
                format!("expected choice columns of contest \"{contest}\", found none"),
            ));
        }
        return Ok(contest.clone());
    }
    let mut contests: Vec<&String> = choices.iter().map(|(_, c, _, _)| c).collect();
    contests.dedup();
    contests.sort();
    contests.dedup();
    if contests.len() != 1 {
        return Err(ReadError::new(
            CLEAR_BALLOT,
            Location::Line(header_line),
            format!("the file has several contests {contests:?}: name the one to count"),
        ));
    }
    Ok(contests[0].clone())
}

/// One row's marks into `marks`: a choice cell is `1` (marked), `0` or blank.
fn clear_ballot_marks(
    row: &[Cow<'_, str>],
    line_no: usize,
    header_len: usize,
    columns: &[(usize, u32, CandidateIdx)],
    marks: &mut Vec<(u32, CandidateIdx)>,
) -> Result<(), ReadError> {
    if row.len() != header_len {
        return Err(ReadError::new(
            CLEAR_BALLOT,
            Location::Line(line_no),
            format!(
                "expected {} fields (as many as the header), found {}",
                header_len,
                row.len()
            ),
        ));
    }
    marks.clear();
    for &(col, rank, candidate) in columns {
        match row[col].trim() {
            "1" => marks.push((rank, candidate)),
            "0" | "" => {}
            other => {
                return Err(ReadError::new(
                    CLEAR_BALLOT,
                    Location::Cell {
                        line: line_no,
                        column: col + 1,
                    },
                    format!("expected 1 (marked) or 0, found \"{other}\""),
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERIC: &str = "id,Alice,Bob,Write-In\nr1,1,2,\nr2,,1,2\nr3,1,1,\n";

    #[test]
    fn the_first_vote_column_is_the_first_every_row_allows() {
        let first = |text: &str| {
            read_generic_csv(text, &GenericCsvOptions::default())
                .map(|e| e.candidates)
                .map_err(|e| e.to_string())
        };
        // "3" is too high a rank with only two columns left from Bob on, so
        // the votes start at the precinct column (which is not named like an id).
        assert_eq!(
            first("ballot id,precinct,Ann,Bob\nb1,3,,1\nb2,1,2,\n").unwrap(),
            ["precinct", "Ann", "Bob"]
        );
        // A word anywhere from a column on rules it out.
        assert_eq!(
            first("ballot id,precinct,Ann,Bob\nb1,north,1,2\nb2,south,,1\n").unwrap(),
            ["Ann", "Bob"]
        );
        assert!(first("id,Ann\nb1,x\n").unwrap_err().contains("none found"));
    }

    #[test]
    fn generic_csv_reads_ranks_overvotes_and_write_ins() {
        let e = read_generic_csv(
            GENERIC,
            &GenericCsvOptions {
                first_vote_column: None,
                undeclared_write_in_label: Some("Write-In".to_owned()),
            },
        )
        .unwrap();
        assert_eq!(e.candidates, ["Alice", "Bob", UNDECLARED_WRITE_INS]);
        let ranks: Vec<_> = e.ballots.iter().map(|b| b.ranks.clone()).collect();
        assert_eq!(
            ranks,
            vec![
                vec![vec![0], vec![1]],
                vec![vec![1], vec![2]],
                vec![vec![0, 1]]
            ]
        );
    }

    #[test]
    fn generic_csv_errors_name_line_and_column() {
        let err = read_generic_csv(
            "id,Alice,Bob\nr1,1,x\n",
            &GenericCsvOptions {
                first_vote_column: Some(2),
                ..GenericCsvOptions::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.location, Location::Cell { line: 2, column: 3 });
        assert!(err.to_string().contains("expected a rank"), "{err}");
    }

    #[test]
    fn clear_ballot_reads_marked_choices() {
        let head = "RowNumber,BoxID,BoxPosition,BallotID,PrecinctID,BallotStyleID,PrecinctStyleName,ScanComputerName,Status,Remade";
        let text = format!(
            "{head},Choice_1_1:Mayor:1:Vote For 1:Ann:NP,Choice_2_1:Mayor:1:Vote For 1:Ben:NP,Choice_3_1:Mayor:2:Vote For 1:Ann:NP,Choice_4_1:Mayor:2:Vote For 1:Ben:NP\n\
             1,B,1,B+1,1,1,P,S,0,0,0,1,1,0\n"
        );
        let e = read_clear_ballot_csv(&text, &ClearBallotOptions::default()).unwrap();
        assert_eq!(e.candidates, ["Ann", "Ben"]);
        assert_eq!(e.ballots[0].ranks, vec![vec![1], vec![0]]);
        let bad = text.replace(",0,1,1,0\n", ",0,1,7,0\n");
        let err = read_clear_ballot_csv(&bad, &ClearBallotOptions::default()).unwrap_err();
        assert_eq!(
            err.location,
            Location::Cell {
                line: 2,
                column: 13
            }
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 10_000, ..proptest::prelude::ProptestConfig::default()
        })]
        /// The one-pass reader answers only where the checked reader gives the
        /// same election, and every file gets the checked reader's answer
        /// (result or error), whatever its ids, blanks, spaces, words, quotes,
        /// long rows and out-of-range ranks.
        #[test]
        fn the_fast_path_answers_as_the_checked_reader(
            header in proptest::collection::vec(
                proptest::sample::select(vec!["id", "Ann", "Bob", "Cy", "Ann", "precinct", "", "W-I"]), 1..6),
            rows in proptest::collection::vec(proptest::collection::vec(
                proptest::sample::select(vec![
                    "", "", "", "1", "1", "2", "3", "4", " 2", "2 ", "x", "b7",
                    "0", "+1", "01", "\"1\"", "1001", "9", "\u{a0}1", "\t3",
                ]), 0..7), 0..6),
            blank_line in proptest::option::of(0usize..6),
            crlf in proptest::bool::ANY,
            first in proptest::option::of(0usize..5),
            uwi in proptest::bool::ANY,
            plain in proptest::bool::ANY,
        ) {
            // Half the files keep only blanks and small ranks (and ids in
            // the first column), so the fast path is taken often.
            let cell = |c: usize, cell: &'static str| {
                if plain && c > 0 && !matches!(cell, "" | "1" | "2" | "3" | " 2" | "2 ") {
                    ""
                } else {
                    cell
                }
            };
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = header.join(",") + end;
            for (i, row) in rows.iter().enumerate() {
                if blank_line == Some(i) {
                    text += " ";
                    text += end;
                }
                let row: Vec<&str> = row.iter().enumerate().map(|(c, &x)| cell(c, x)).collect();
                text += &row.join(",");
                text += end;
            }
            let options = GenericCsvOptions {
                first_vote_column: first,
                undeclared_write_in_label: uwi.then(|| "W-I".to_owned()),
            };
            let checked = read_generic_csv_checked(&text, &options);
            if let Some(fast) = fast::read(&text, &options) {
                proptest::prop_assert_eq!(Ok(fast), checked.clone(), "{}", text);
            }
            proptest::prop_assert_eq!(read_generic_csv(&text, &options), checked);
        }
    }

    #[test]
    fn plain_files_take_the_one_pass_reader() {
        let options = GenericCsvOptions::default();
        let plain = "Ballot ID,Ann,Bob\nb1,1,2\n\nb2,,1\r\nb3, 2 ,1\n";
        assert_eq!(
            fast::read(plain, &options),
            Some(read_generic_csv_checked(plain, &options).unwrap())
        );
        // A later row rules the guessed first vote column out: the checked
        // reader decides (here: the votes start at Bob's column).
        let later = "Ballot ID,Ann,Bob\nb1,1,\nb2,x,1\n";
        assert_eq!(fast::read(later, &options), None);
        assert_eq!(
            read_generic_csv(later, &options).unwrap().candidates,
            ["Bob"]
        );
        assert_eq!(fast::read("id,Ann\n\"b1\",1\n", &options), None);
    }

    #[test]
    fn truncated_input_never_panics() {
        for end in 0..GENERIC.len() {
            let _ = read_generic_csv(&GENERIC[..end], &GenericCsvOptions::default());
            let _ = read_clear_ballot_csv(&GENERIC[..end], &ClearBallotOptions::default());
        }
    }
}
