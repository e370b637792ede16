//! Christen canonical CSV: the API's anonymised ballot export.
//!
//! RFC 4180, UTF-8 without a byte-order mark, every record ended by `\n`.
//! - Header: `receipt,<candidate 1 name>,<candidate 2 name>,…` in candidate-number
//!   order.
//! - Then one record per ballot, in the order the caller gives: the ballot's
//!   receipt, then for each candidate the 1-based rank the ballot gave it, or
//!   nothing if unranked. Ranks are a strict ranking: 1..k, each exactly once.
//! - A field is quoted (`"…"`, with `"` doubled) exactly when it contains `,`,
//!   `"`, `\r` or `\n`; otherwise it is written as is.
//! - Safe to open in a spreadsheet (docs/SECURITY.md S5): a text cell (a
//!   candidate name, a receipt) that a spreadsheet could take for a formula —
//!   one starting with `=`, `+`, `-`, `@`, a tab or a carriage return, OWASP's
//!   list — is written with a `'` in front, which spreadsheets read as "this
//!   cell is text". So that every name reads back as it was, a name that
//!   already starts with one or more `'` followed by one of those characters
//!   gets one more `'` too. See [`neutralise_cell`] and [`restore_cell`]. The
//!   rank cells are digits only and never need it.
//!
//! [`write_canonical_csv`] (built from [`csv_header`] and [`csv_rank_columns`],
//! which the API's export uses directly) is the only writer of this format and
//! [`ballot_digest`] the digest published with results, so anyone can check a
//! published result against the published ballots byte for byte: the digest is
//! of the neutralised bytes, exactly as downloaded. The reader is more liberal
//! than the writer: it also accepts `\r\n` line ends, a leading byte-order
//! mark and quoted fields anywhere; it gives back the original candidate names
//! (see [`read`]).

use sha2::{Digest, Sha256};

use super::election_file::{ElectionFile, Progress};
use super::read_error::ReadError;

use super::group::Grouper;
use crate::tally::{CandidateIdx, Election};

const FORMAT: &str = "Christen CSV";

/// One ballot of the export: its receipt and its ranking (candidate numbers,
/// 0-based, first preference first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvBallot<'a> {
    pub receipt: &'a str,
    pub ranking: &'a [CandidateIdx],
}

/// The characters that make a spreadsheet read a cell as a formula when the
/// cell starts with one of them (OWASP, "CSV Injection").
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` gets a `'` in front when written: it starts with any number
/// of `'` (none included) followed by a formula trigger.
fn needs_quote_prefix(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .starts_with(FORMULA_TRIGGERS.as_slice())
}

/// A text cell as the canonical CSV writes it, before CSV quoting
/// (docs/SECURITY.md S5): `'` + `cell` when `cell` starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return — a spreadsheet then shows it as text, never
/// runs it as a formula — or with `'`s followed by one of those (so that
/// [`restore_cell`] can tell the two apart); `cell` unchanged otherwise.
pub fn neutralise_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if needs_quote_prefix(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The original text of a cell written by [`neutralise_cell`]: without its
/// first `'` when the rest starts with a formula trigger (`=`, `+`, `-`, `@`,
/// tab, carriage return), possibly after more `'`s; unchanged otherwise.
pub fn restore_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote_prefix(rest) => rest,
        _ => cell,
    }
}

/// Writes a text cell: neutralised, then quoted as RFC 4180 requires.
fn push_text_field(out: &mut String, field: &str) {
    push_field(out, &neutralise_cell(field));
}

fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// The canonical CSV's header record (with its `\n`) for `candidates` (names, in
/// candidate-number order), each name neutralised ([`neutralise_cell`]).
pub fn csv_header<S: AsRef<str>>(candidates: &[S]) -> String {
    let mut out = String::from("receipt");
    for c in candidates {
        out.push(',');
        push_text_field(&mut out, c.as_ref());
    }
    out.push('\n');
    out
}

/// The rest of a ballot's record after its receipt, for `n` candidates: for
/// each candidate `,` and its 1-based rank or nothing, then `\n`. Errors if the
/// ranking names a candidate number that does not exist or ranks one twice.
/// A caller writing many ballots with few distinct rankings can compute this
/// once per ranking.
pub fn csv_rank_columns(n: usize, ranking: &[CandidateIdx]) -> Result<String, String> {
    let mut rank_of: Vec<usize> = vec![0; n];
    for (r, &c) in ranking.iter().enumerate() {
        let slot = rank_of
            .get_mut(c as usize)
            .ok_or_else(|| format!("ranks candidate number {c}, which does not exist"))?;
        if *slot != 0 {
            return Err(format!("ranks candidate number {c} twice"));
        }
        *slot = r + 1;
    }
    let mut out = String::with_capacity(n * 2 + 1);
    for &r in &rank_of {
        out.push(',');
        if r != 0 {
            out.push_str(&r.to_string());
        }
    }
    out.push('\n');
    Ok(out)
}

/// Writes the canonical CSV of `candidates` (names, in candidate-number order)
/// and `ballots`, in the order given: [`csv_header`], then per ballot its
/// receipt and [`csv_rank_columns`]. Errors (with the output line the ballot
/// would have had) if a ranking names a candidate number that does not exist
/// or ranks one twice.
pub fn write_canonical_csv<'a, S, I>(candidates: &[S], ballots: I) -> Result<String, ReadError>
where
    S: AsRef<str>,
    I: IntoIterator<Item = CsvBallot<'a>>,
{
    let n = candidates.len();
    let mut out = csv_header(candidates);
    for (i, b) in ballots.into_iter().enumerate() {
        let columns = csv_rank_columns(n, b.ranking).map_err(|m| {
            ReadError::at_line(FORMAT, i + 2, format!("ballot {:?} {m}", b.receipt))
        })?;
        push_text_field(&mut out, b.receipt);
        out.push_str(&columns);
    }
    Ok(out)
}

/// Lowercase hex SHA-256 of `bytes` (the canonical CSV export): the
/// `ballot_digest` published with results.
pub fn ballot_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Splits CSV records. Yields (line number of the record's start, fields).
struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Records<'a> {
    /// Reads the next record into `fields`. Returns its starting line, or None at
    /// the end of the text.
    fn next_into(
        &mut self,
        fields: &mut Vec<std::borrow::Cow<'a, str>>,
    ) -> Result<Option<usize>, ReadError> {
        fields.clear();
        let b = self.text.as_bytes();
        if self.pos >= b.len() {
            return Ok(None);
        }
        let start_line = self.line;
        loop {
            // One field.
            if b.get(self.pos) == Some(&b'"') {
                let mut value = String::new();
                let mut i = self.pos + 1;
                let mut seg = i;
                loop {
                    match b.get(i) {
                        None => {
                            return Err(ReadError::at_line(
                                FORMAT,
                                start_line,
                                "expected a closing '\"' for the quoted field opened here",
                            ))
                        }
                        Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                            value.push_str(&self.text[seg..=i]);
                            i += 2;
                            seg = i;
                        }
                        Some(b'"') => {
                            value.push_str(&self.text[seg..i]);
                            i += 1;
                            break;
                        }
                        Some(b'\n') => {
                            self.line += 1;
                            i += 1;
                        }
                        Some(_) => i += 1,
                    }
                }
                fields.push(value.into());
                self.pos = i;
            } else {
                let rest = &b[self.pos..];
                let len = rest
                    .iter()
                    .position(|&c| c == b',' || c == b'\n' || c == b'\r' || c == b'"')
                    .unwrap_or(rest.len());
                if rest.get(len) == Some(&b'"') {
                    return Err(ReadError::at_line(
                        FORMAT,
                        self.line,
                        "expected a field without '\"' (quote the whole field and double the '\"')",
                    ));
                }
                fields.push(std::borrow::Cow::Borrowed(
                    &self.text[self.pos..self.pos + len],
                ));
                self.pos += len;
            }
            match b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\r') if b.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.line += 1;
                    return Ok(Some(start_line));
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return Ok(Some(start_line));
                }
                None => return Ok(Some(start_line)),
                Some(_) => {
                    return Err(ReadError::at_line(
                        FORMAT,
                        self.line,
                        "expected ',' or the end of the line after a quoted field",
                    ))
                }
            }
        }
    }
}

const PROGRESS_EVERY: usize = 1 << 16;

/// Reads Christen canonical CSV.
///
/// Candidate names come back as they were before the writer neutralised them
/// for spreadsheets (docs/SECURITY.md S5, [`restore_cell`]): a header cell that
/// starts with `'` loses exactly that one `'` when the rest starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return (possibly after more `'`s). So
/// `'=HYPERLINK(…)` reads as the name `=HYPERLINK(…)`, while `'Tis` stays
/// `'Tis`. A file saved from a spreadsheet that dropped the `'` reads the same.
pub fn read(text: &str, progress: Progress<'_>) -> Result<ElectionFile, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rec = Records {
        text,
        pos: 0,
        line: 1,
    };
    let mut fields = Vec::new();
    rec.next_into(&mut fields)?.ok_or_else(|| {
        ReadError::at_line(
            FORMAT,
            1,
            "expected a header \"receipt,<candidate names>…\", found an empty file",
        )
    })?;
    if fields.first().map(|f| f.as_ref()) != Some("receipt") {
        return Err(ReadError::at_line(
            FORMAT,
            1,
            "expected the header to start with \"receipt\"",
        ));
    }
    let candidates: Vec<String> = fields[1..]
        .iter()
        .map(|f| restore_cell(f).to_owned())
        .collect();
    let mut rows = Rows {
        g: Grouper::new(candidates.len()),
        by_rank: vec![CandidateIdx::MAX; candidates.len()],
        candidates,
    };
    let mut count = 0usize;
    while rec.pos < text.len() {
        count += 1;
        if count % PROGRESS_EVERY == 0 {
            progress(rec.pos);
        }
        if let Some((k, end)) = strict_row(&text.as_bytes()[rec.pos..], &mut rows.by_rank) {
            // Fast path: a plain row that the general path would accept as is.
            let ranking = &mut rows.by_rank[..k];
            rows.g
                .add_strict(ranking, 1)
                .map_err(|e| ReadError::at_line(FORMAT, rec.line, e.message(&rows.candidates)))?;
            ranking.fill(CandidateIdx::MAX);
            rec.pos += end;
            rec.line += 1;
            continue;
        }
        let rest = &text[rec.pos..];
        let (raw, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], rec.pos + i + 1),
            None => (rest, text.len()),
        };
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() && next >= text.len() {
            break; // a final empty line
        }
        if !line.bytes().any(|b| b == b'"' || b == b'\r') {
            // No quoting on this line.
            rows.row(
                rec.line,
                CommaSplit {
                    line,
                    pos: 0,
                    done: false,
                },
            )?;
            rec.pos = next;
            rec.line += 1;
        } else {
            let at = rec.next_into(&mut fields)?.unwrap_or(rec.line);
            rows.row(at, fields.iter().map(|f| f.as_ref()))?;
        }
    }
    Ok(ElectionFile {
        election: Election {
            candidates: rows.candidates,
            withdrawn: vec![],
            ballots: rows.g.into_ballots(),
        },
        title: None,
        seats: None,
        rules: None,
        ballot_digest: None,
    })
}

/// Reads a row of the common shape straight from the bytes at the start of
/// `text`: a receipt without `,` `"` or `\r`, then one field per candidate, each
/// empty or a rank of at most 9 digits, the ranks 1 to k each given once, then
/// `\n`, `\r\n` or the end of the text. Leaves the candidate at each rank in
/// `by_rank[..k]` (every entry of `by_rank` is `CandidateIdx::MAX` before, and
/// after the ones set) and returns k and the bytes read, line end included.
/// Returns `None` for anything else, with `by_rank` possibly touched: the
/// caller then reads the row the general way, which resets `by_rank` and gives
/// the error, if any.
fn strict_row(text: &[u8], by_rank: &mut [CandidateIdx]) -> Option<(usize, usize)> {
    const COMMAS: u64 = u64::from_le_bytes([b','; 8]);
    let n = by_rank.len();
    let receipt = text
        .iter()
        .position(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))?;
    if text[receipt] != b',' || n == 0 {
        return None;
    }
    let mut p = receipt + 1;
    let (mut j, mut k, mut max) = (0usize, 0usize, 0usize);
    loop {
        // Field j. Most fields are empty, each a lone comma: skip them eight
        // bytes at a time (the first byte that is not a comma ends the run).
        while let Some(w) = text.get(p..p + 8) {
            let x = u64::from_le_bytes(w.try_into().ok()?) ^ COMMAS;
            let empty = if x == 0 {
                8
            } else {
                x.trailing_zeros() as usize / 8
            };
            p += empty;
            j += empty;
            if empty < 8 {
                break;
            }
        }
        while text.get(p) == Some(&b',') {
            p += 1;
            j += 1;
        }
        if j >= n {
            return None;
        }
        let start = p;
        let mut r = 0usize;
        while let Some(&b) = text.get(p) {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if p - start == 9 {
                return None;
            }
            r = r * 10 + d as usize;
            p += 1;
        }
        if p > start {
            let slot = by_rank.get_mut(r.checked_sub(1)?)?;
            if *slot != CandidateIdx::MAX {
                return None;
            }
            *slot = j as CandidateIdx;
            k += 1;
            max = max.max(r);
        }
        j += 1;
        match (text.get(p), j == n) {
            (Some(b','), false) => p += 1,
            (Some(b'\n'), true) => return (max == k).then_some((k, p + 1)),
            (None, true) => return (max == k).then_some((k, p)),
            (Some(b'\r'), true) if text.get(p + 1) == Some(&b'\n') => {
                return (max == k).then_some((k, p + 2))
            }
            _ => return None,
        }
    }
}

/// Splits a line without quotes at commas (a byte loop: faster than
/// `str::split` for short fields).
struct CommaSplit<'a> {
    line: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        if self.done {
            return None;
        }
        let b = self.line.as_bytes();
        let start = self.pos;
        let mut i = start;
        while i < b.len() && b[i] != b',' {
            i += 1;
        }
        if i == b.len() {
            self.done = true;
        }
        self.pos = i + 1;
        Some(&self.line[start..i])
    }
}

/// Turns CSV records into grouped ballots.
struct Rows {
    candidates: Vec<String>,
    g: Grouper,
    /// Scratch: the candidate at each rank of the current row.
    by_rank: Vec<CandidateIdx>,
}

impl Rows {
    fn row<'f>(
        &mut self,
        line: usize,
        mut fields: impl Iterator<Item = &'f str>,
    ) -> Result<(), ReadError> {
        let n = self.candidates.len();
        fields.next(); // the receipt
        self.by_rank.iter_mut().for_each(|c| *c = CandidateIdx::MAX);
        let mut k = 0;
        let mut seen = 0;
        for (j, f) in fields.by_ref().take(n).enumerate() {
            seen += 1;
            if f.is_empty() {
                continue;
            }
            let r = parse_rank(f).filter(|&r| r >= 1 && r <= n).ok_or_else(|| {
                ReadError::at_line(
                    FORMAT,
                    line,
                    format!(
                        "expected a rank from 1 to {n} or nothing for {:?}, found {f:?}",
                        self.candidates[j]
                    ),
                )
            })?;
            if self.by_rank[r - 1] != CandidateIdx::MAX {
                return Err(ReadError::at_line(
                    FORMAT,
                    line,
                    format!("expected each rank at most once, found rank {r} twice"),
                ));
            }
            self.by_rank[r - 1] = j as CandidateIdx;
            k += 1;
        }
        let extra = fields.count();
        if seen != n || extra != 0 {
            return Err(ReadError::at_line(
                FORMAT,
                line,
                format!(
                    "expected {} fields (receipt and {n} candidates), found {}",
                    n + 1,
                    1 + seen + extra
                ),
            ));
        }
        if let Some(missing) = self.by_rank[..k]
            .iter()
            .position(|&c| c == CandidateIdx::MAX)
        {
            return Err(ReadError::at_line(
                FORMAT,
                line,
                format!(
                    "expected ranks 1 to {k} each once, but rank {} is missing",
                    missing + 1
                ),
            ));
        }
        self.g.begin();
        for &c in &self.by_rank[..k] {
            self.g
                .push(c)
                .map_err(|e| ReadError::at_line(FORMAT, line, e.message(&self.candidates)))?;
            self.g.end_rank();
        }
        self.g
            .finish(1)
            .map_err(|e| ReadError::at_line(FORMAT, line, e.message(&self.candidates)))?;
        self.by_rank[..k].fill(CandidateIdx::MAX);
        Ok(())
    }
}

/// A decimal rank of at most 9 digits.
fn parse_rank(f: &str) -> Option<usize> {
    if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(f.bytes().fold(0, |v, b| v * 10 + (b - b'0') as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ElectionFile, ReadError> {
        read(text, &mut |_| {})
    }

    #[test]
    fn write_then_read_round_trips() {
        let names = ["Quill", "Ink, Well", "The \"Margin\""];
        let rows = [
            CsvBallot {
                receipt: "r1",
                ranking: &[1, 0],
            },
            CsvBallot {
                receipt: "r2",
                ranking: &[],
            },
            CsvBallot {
                receipt: "r3",
                ranking: &[2, 0, 1],
            },
            CsvBallot {
                receipt: "r4",
                ranking: &[1, 0],
            },
        ];
        let text = write_canonical_csv(&names, rows).unwrap();
        assert_eq!(
            text,
            "receipt,Quill,\"Ink, Well\",\"The \"\"Margin\"\"\"\nr1,2,1,\nr2,,,\nr3,2,3,1\nr4,2,1,\n"
        );
        let f = parse(&text).unwrap();
        assert_eq!(f.election.candidates, names);
        let b = &f.election.ballots;
        assert_eq!(b[0].ranks, vec![vec![1], vec![0]]);
        assert_eq!(b[0].count, 2);
        assert!(b[1].ranks.is_empty());
        assert_eq!(
            ballot_digest(text.as_bytes()),
            ballot_digest(write_canonical_csv(&names, rows).unwrap().as_bytes())
        );
    }

    #[test]
    fn formula_names_are_neutralised_and_read_back() {
        let names = [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1+1)",
            "\tTab",
            "\rReturn",
            "'=already quoted",
            "''+two",
            "'Tis",
            "Plain - name",
            "'",
        ];
        let text = write_canonical_csv(
            &names,
            [CsvBallot {
                receipt: "=r1",
                ranking: &[0, 3],
            }],
        )
        .unwrap();
        assert_eq!(
            text.split('\n').next().unwrap(),
            "receipt,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",'+cmd|' /C calc'!A0,\
             '-2+3,'@SUM(1+1),'\tTab,\"'\rReturn\",''=already quoted,'''+two,'Tis,\
             Plain - name,'"
        );
        assert!(text.contains("\n'=r1,1,,,2,"));
        let f = parse(&text).unwrap();
        assert_eq!(f.election.candidates, names);
        for name in names {
            assert_eq!(restore_cell(&neutralise_cell(name)), name);
        }
        // A cell a spreadsheet saved without the `'` reads as it is.
        assert_eq!(restore_cell("=1+1"), "=1+1");
        assert_eq!(neutralise_cell("Quill"), "Quill");
    }

    #[test]
    fn digest_is_lowercase_sha256() {
        // SHA-256 of the empty string (FIPS 180-2 test vector).
        assert_eq!(
            ballot_digest(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn writer_refuses_bad_rankings() {
        let e = write_canonical_csv(
            &["A"],
            [CsvBallot {
                receipt: "x",
                ranking: &[0, 0],
            }],
        )
        .unwrap_err();
        assert_eq!(e.line().unwrap_or(0), 2);
        assert!(write_canonical_csv(
            &["A"],
            [CsvBallot {
                receipt: "x",
                ranking: &[3]
            }]
        )
        .is_err());
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, what) in [
            ("receipt,A,B\nr1,1,2\nr2,1,1\n", 3, "twice"),
            ("receipt,A,B\nr1,1,2\nr2,2,\n", 3, "rank 1 is missing"),
            ("receipt,A,B\nr1,1\n", 2, "expected 3 fields"),
            ("receipt,A,B\nr1,0,1\n", 2, "from 1 to 2"),
            ("receipt,A,B\nr1,x,1\n", 2, "from 1 to 2"),
            ("receipt,A,B\n\"r\n1\",1,2\nr2,3,1\n", 4, "from 1 to 2"),
            ("receipt,A,B\nr1,\"1,2\n", 2, "closing"),
            ("name,A\n", 1, "receipt"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line().unwrap_or(0), line, "{text:?}: {e}");
            assert!(e.message.contains(what), "{text:?}: {e}");
        }
    }
}
