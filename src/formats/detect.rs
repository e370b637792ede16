//! Telling which kind of ballot file a file is, from its name and contents, so
//! `christen tally FILE` needs no `--format` for any file it reads.
//!
//! The name's extension picks the family (`.soc .soi .toc .toi` PrefLib, `.blt
//! .hil` BLT, `.json`, `.csv`); the contents pick the kind within a family, or the
//! family itself when the name says nothing:
//! - XML whose root is `CastVoteRecordReport`: NIST CDF in XML (whatever the
//!   name; a Hart folder of XML is told apart by the CLI);
//! - a line `Option 1--->: Name` before any `V:` vote: a Debian tally sheet;
//! - JSON with a `CVR` array or `"@type": "CVR.CastVoteRecordReport"`: NIST CDF;
//!   with `maxRank`, or ballots given as lists of rank slots (`[["A"], [], ["B"]]`)
//!   or as `{"ranks": ...}`: RCTab's `ballots.json`; otherwise Christen's JSON;
//! - CSV headed `receipt,...`: Christen's canonical CSV; headed `RowNumber,...` or
//!   with `Choice_<n>_<m>:` columns: Clear Ballot; any other header: RCTab's
//!   generic CSV;
//! - `#` or one number on the first line: PrefLib; two numbers: BLT.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::debian;
use super::format::Format;

/// Every kind of file the readers of this module read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Preflib,
    Blt,
    Json,
    Csv,
    /// NIST CDF cast vote records, JSON or XML ([`super::cdf`]).
    Cdf,
    /// RCTab generic CSV cast vote records ([`super::rctab_csv`]).
    RctabCsv,
    /// Clear Ballot CSV cast vote records ([`super::rctab_csv`]).
    ClearBallot,
    /// RCTab-style `ballots.json` ([`super::rctab_config`]).
    RctabJson,
    /// Debian vote tally sheet ([`super::debian`]).
    Debian,
}

impl FileKind {
    /// Every kind, plain ballot formats first.
    pub const ALL: [FileKind; 9] = [
        FileKind::Preflib,
        FileKind::Blt,
        FileKind::Json,
        FileKind::Csv,
        FileKind::Cdf,
        FileKind::RctabCsv,
        FileKind::ClearBallot,
        FileKind::RctabJson,
        FileKind::Debian,
    ];

    /// The name `christen tally --format` takes.
    pub const fn name(self) -> &'static str {
        match self {
            FileKind::Preflib => "preflib",
            FileKind::Blt => "blt",
            FileKind::Json => "json",
            FileKind::Csv => "csv",
            FileKind::Cdf => "cdf",
            FileKind::RctabCsv => "rctab-csv",
            FileKind::ClearBallot => "clear-ballot",
            FileKind::RctabJson => "rctab-json",
            FileKind::Debian => "debian",
        }
    }

    /// The plain ballot [`Format`] of this kind, if it is one.
    pub const fn format(self) -> Option<Format> {
        match self {
            FileKind::Preflib => Some(Format::Preflib),
            FileKind::Blt => Some(Format::Blt),
            FileKind::Json => Some(Format::Json),
            FileKind::Csv => Some(Format::Csv),
            _ => None,
        }
    }

    /// The kind of the file named `path` holding `bytes` (module docs), if it can
    /// be told.
    pub fn detect(path: &str, bytes: &[u8]) -> Option<FileKind> {
        let head = &bytes[..bytes.len().min(HEAD_BYTES)];
        if is_cdf_xml(head) {
            return Some(FileKind::Cdf);
        }
        let family = match Format::from_extension(path) {
            Some(format) => format,
            None if debian::looks_like_tally_sheet(head) => return Some(FileKind::Debian),
            None => Format::sniff(&String::from_utf8_lossy(head))
                .or_else(|| first_line_has_commas(head).then_some(Format::Csv))?,
        };
        Some(match family {
            Format::Preflib => FileKind::Preflib,
            Format::Blt => FileKind::Blt,
            Format::Json => json_kind(bytes),
            Format::Csv => csv_kind(head),
        })
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How much of the start of a file the line-based checks read.
const HEAD_BYTES: usize = 64 * 1024;

fn first_line(head: &[u8]) -> String {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(line)
        .trim_start_matches('\u{feff}')
        .trim()
        .to_owned()
}

fn first_line_has_commas(head: &[u8]) -> bool {
    first_line(head).contains(',')
}

/// XML whose root element is a `CastVoteRecordReport` (NIST CDF); other XML,
/// such as a Hart `<Cvr>`, is not.
fn is_cdf_xml(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if !t.starts_with('<') {
        return false;
    }
    // The root is the first element that is not a declaration, comment or
    // doctype: `<?...`, `<!...`.
    t.match_indices('<')
        .map(|(i, _)| &t[i + 1..])
        .find(|rest| !rest.starts_with('?') && !rest.starts_with('!'))
        .is_some_and(|rest| {
            let name: &str = rest
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
                .unwrap_or_default();
            name.rsplit(':').next() == Some("CastVoteRecordReport")
        })
}

/// Which CSV: canonical, Clear Ballot or RCTab generic, by the header.
fn csv_kind(head: &[u8]) -> FileKind {
    let header = first_line(head);
    let fields: Vec<&str> = header
        .split(',')
        .map(|f| f.trim().trim_matches('"'))
        .collect();
    if fields.first() == Some(&"receipt") {
        FileKind::Csv
    } else if fields.first() == Some(&"RowNumber") || fields.iter().any(|f| is_choice_column(f)) {
        FileKind::ClearBallot
    } else {
        FileKind::RctabCsv
    }
}

/// `Choice_<n>_<m>:...`, a Clear Ballot choice column.
fn is_choice_column(field: &str) -> bool {
    let Some(rest) = field.strip_prefix("Choice_") else {
        return false;
    };
    let Some((numbers, _)) = rest.split_once(':') else {
        return false;
    };
    let mut parts = numbers.split('_');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// Which JSON: CDF, RCTab's `ballots.json` or Christen's, by the top-level keys
/// and the shape of the first ballot. Text that is not a JSON object is left to
/// Christen's reader, which says what is wrong with it.
fn json_kind(bytes: &[u8]) -> FileKind {
    let Ok(probe) = serde_json::from_slice::<Probe>(bytes) else {
        return FileKind::Json;
    };
    let cdf_type = probe
        .kind
        .as_ref()
        .and_then(Value::as_str)
        .is_some_and(|t| t == "CVR.CastVoteRecordReport");
    if probe.cvr.is_some() || cdf_type {
        return FileKind::Cdf;
    }
    let rctab_ballot = match probe.ballots.and_then(|b| b.0) {
        Some(Value::Array(slots)) => !slots.is_empty() && slots.iter().all(Value::is_array),
        Some(Value::Object(ballot)) => ballot.contains_key("ranks"),
        _ => false,
    };
    if probe.max_rank.is_some() || rctab_ballot {
        FileKind::RctabJson
    } else {
        FileKind::Json
    }
}

/// The top-level keys that tell the JSON kinds apart; everything else is
/// skipped without being kept.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "@type", default)]
    kind: Option<Value>,
    #[serde(rename = "CVR", default)]
    cvr: Option<IgnoredAny>,
    #[serde(rename = "maxRank", default)]
    max_rank: Option<IgnoredAny>,
    #[serde(default)]
    ballots: Option<FirstBallot>,
}

/// The first element of the `ballots` array (the others are skipped).
struct FirstBallot(Option<Value>);

impl<'de> Deserialize<'de> for FirstBallot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct First;
        impl<'de> Visitor<'de> for First {
            type Value = FirstBallot;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of ballots")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstBallot, A::Error> {
                let first: Option<Value> = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FirstBallot(first))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<FirstBallot, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(FirstBallot(None))
            }
        }
        deserializer.deserialize_any(First)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &str, text: &str) -> Option<FileKind> {
        FileKind::detect(path, text.as_bytes())
    }

    #[test]
    fn every_kind_is_told_from_its_contents_alone() {
        let debian =
            "  Tally Sheet\n     Option 1--->: Alice\n   /  Option 2-->: Bob\nV: 12   abc\n";
        assert_eq!(kind("-", debian), Some(FileKind::Debian));
        assert_eq!(kind("leader.txt", debian), Some(FileKind::Debian));
        let cdf = r#"{"@type": "CVR.CastVoteRecordReport", "Election": [], "CVR": []}"#;
        assert_eq!(kind("-", cdf), Some(FileKind::Cdf));
        assert_eq!(kind("cvr.json", cdf), Some(FileKind::Cdf));
        let cdf_xml = "\u{feff}<?xml version=\"1.0\"?>\n<!-- c -->\n<cdf:CastVoteRecordReport xmlns:cdf=\"x\">";
        assert_eq!(kind("cvr.xml", cdf_xml), Some(FileKind::Cdf));
        assert_eq!(kind("-", cdf_xml), Some(FileKind::Cdf));
        assert_eq!(kind("cvr.xml", "<?xml version=\"1.0\"?><Cvr></Cvr>"), None);
        let rctab = r#"{"candidates": ["A", "B"], "ballots": [[["A"], [], ["B"]]]}"#;
        assert_eq!(kind("-", rctab), Some(FileKind::RctabJson));
        let rctab_objects = r#"{"candidates": ["A"], "ballots": [{"ranks": [["A"]], "count": 2}]}"#;
        assert_eq!(kind("b.json", rctab_objects), Some(FileKind::RctabJson));
        let christen = r#"{"candidates": ["A", "B"], "ballots": [{"ranking": ["A"]}, ["B", "A"]]}"#;
        assert_eq!(kind("-", christen), Some(FileKind::Json));
        assert_eq!(kind("-", "{not json"), Some(FileKind::Json));
        assert_eq!(kind("-", "receipt,A,B\nr1,1,2\n"), Some(FileKind::Csv));
        let clear =
            "RowNumber,BoxID,BoxPosition,BallotID,PrecinctID,BallotStyleID,PrecinctStyleName,\
ScanComputerName,Status,Remade,Choice_1_1:Mayor:1:Vote For 1:A:NP\n";
        assert_eq!(kind("-", clear), Some(FileKind::ClearBallot));
        assert_eq!(kind("cvr.csv", clear), Some(FileKind::ClearBallot));
        assert_eq!(kind("-", "id,A,B\n1,1,2\n"), Some(FileKind::RctabCsv));
        assert_eq!(
            kind("x.csv", "Response ID,A,B\nr,1,2\n"),
            Some(FileKind::RctabCsv)
        );
        assert_eq!(kind("-", "# TITLE: t\n"), Some(FileKind::Preflib));
        assert_eq!(kind("-", "3 1\n"), Some(FileKind::Blt));
        assert_eq!(kind("-", "hello\n"), None);
    }

    #[test]
    fn names_are_unique() {
        let names: std::collections::BTreeSet<&str> =
            FileKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), FileKind::ALL.len());
    }
}
