//! The format registry: every format a reader of this module reads, with its
//! name (the value of `christen tally --format`), description, file name
//! extensions, RCTab provider name, and how it is told from a file's name and
//! contents (or, for Dominion and Hart, a folder's files). A new format is added
//! here, and to [`super::read`]'s match: nowhere else.
//!
//! Detection ([`Format::detect`], [`Format::detect_path`]):
//! - a folder holding `CandidateManifest.json`: a Dominion export; a folder of
//!   `*.xml` files: Hart;
//! - XML whose root is `CastVoteRecordReport`: NIST CDF in XML (whatever the
//!   name);
//! - a `.xlsx` name, or a zip (`PK`) header: an ES&S workbook;
//! - otherwise the name's extension picks the family (`.soc .soi .toc .toi`
//!   PrefLib, `.blt .hil` BLT, `.json`, `.csv`), the contents the kind within it,
//!   or the family itself when the name says nothing:
//!   - a line `Option 1--->: Name` before any `V:` vote: a Debian tally sheet;
//!   - JSON with a `CVR` array or `"@type": "CVR.CastVoteRecordReport"`: NIST
//!     CDF; with `maxRank`, or ballots given as lists of rank slots
//!     (`[["A"], [], ["B"]]`) or as `{"ranks": ...}`: RCTab's `ballots.json`;
//!     otherwise Christen's JSON;
//!   - CSV headed `receipt,...`: Christen's canonical CSV; headed `RowNumber,...`
//!     or with `Choice_<n>_<m>:` columns: Clear Ballot; any other header:
//!     RCTab's generic CSV;
//!   - `#` or one number on the first line: PrefLib; two numbers: BLT.
//!
//! The URCVT summary ([`super::urcvt`]) is read too, but it holds a count's
//! results, not ballots, so it is no `Format`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::debian;

/// Every format the readers of this module read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// PrefLib `.soc .soi .toc .toi`.
    Preflib,
    /// OpenSTV / David Hill BLT.
    Blt,
    /// Christen's JSON ballots.
    Json,
    /// Christen's canonical CSV (the API's ballot export).
    Csv,
    /// NIST CDF cast vote records, JSON or XML ([`super::cdf`], [`super::cdf_xml`]).
    Cdf,
    /// RCTab generic CSV cast vote records ([`super::rctab_csv`]).
    RctabCsv,
    /// Clear Ballot CSV cast vote records ([`super::rctab_csv`]).
    ClearBallot,
    /// RCTab-style `ballots.json` ([`super::rctab_config`]).
    RctabJson,
    /// Debian vote tally sheet ([`super::debian`]).
    Debian,
    /// Dominion CVR export folder ([`super::dominion`]).
    Dominion,
    /// ES&S cast vote record workbook ([`super::ess`]).
    Ess,
    /// Hart CVR folder, one XML file per ballot ([`super::hart`]).
    Hart,
}

/// What the registry knows of one format.
struct Entry {
    name: &'static str,
    description: &'static str,
    extensions: &'static [&'static str],
    /// RCTab's `provider` for this format in a `cvrFileSources` entry.
    provider: Option<&'static str>,
    /// Read from a folder rather than one file.
    folder: bool,
}

impl Format {
    /// Every format, plain ballot formats first.
    pub const ALL: [Format; 12] = [
        Format::Preflib,
        Format::Blt,
        Format::Json,
        Format::Csv,
        Format::Cdf,
        Format::RctabCsv,
        Format::ClearBallot,
        Format::RctabJson,
        Format::Debian,
        Format::Dominion,
        Format::Ess,
        Format::Hart,
    ];

    const fn entry(self) -> Entry {
        const fn e(
            name: &'static str,
            description: &'static str,
            extensions: &'static [&'static str],
            provider: Option<&'static str>,
            folder: bool,
        ) -> Entry {
            Entry {
                name,
                description,
                extensions,
                provider,
                folder,
            }
        }
        match self {
            Format::Preflib => e(
                "preflib",
                "PrefLib ballots (.soc .soi .toc .toi)",
                &["soc", "soi", "toc", "toi"],
                None,
                false,
            ),
            Format::Blt => e(
                "blt",
                "BLT ballots (OpenSTV, David Hill)",
                &["blt", "hil"],
                None,
                false,
            ),
            Format::Json => e("json", "Christen JSON ballots", &["json"], None, false),
            Format::Csv => e(
                "csv",
                "Christen canonical CSV (the ballot export)",
                &["csv"],
                None,
                false,
            ),
            Format::Cdf => e(
                "cdf",
                "NIST SP 1500-103 CDF cast vote records (JSON or XML)",
                &["json", "xml"],
                Some("cdf"),
                false,
            ),
            Format::RctabCsv => e(
                "rctab-csv",
                "RCTab generic CSV cast vote records",
                &["csv"],
                Some("genericCsv"),
                false,
            ),
            Format::ClearBallot => e(
                "clear-ballot",
                "Clear Ballot CSV cast vote records",
                &["csv"],
                Some("clearBallot"),
                false,
            ),
            Format::RctabJson => e(
                "rctab-json",
                "RCTab-style ballots.json (rank slots, RCTab rules)",
                &["json"],
                None,
                false,
            ),
            Format::Debian => e("debian", "Debian vote tally sheet", &["txt"], None, false),
            Format::Dominion => e(
                "dominion",
                "Dominion CVR export folder (manifests and CvrExport*.json)",
                &[],
                Some("dominion"),
                true,
            ),
            Format::Ess => e(
                "ess",
                "ES&S cast vote record workbook (.xlsx)",
                &["xlsx"],
                Some("ess"),
                false,
            ),
            Format::Hart => e(
                "hart",
                "Hart Verity CVR folder (one XML file per ballot)",
                &["xml"],
                Some("hart"),
                true,
            ),
        }
    }

    /// The name `christen tally --format` takes.
    pub const fn name(self) -> &'static str {
        self.entry().name
    }

    /// One line saying what the format is.
    pub const fn description(self) -> &'static str {
        self.entry().description
    }

    /// File name extensions (lower case, no dot) files of this format have.
    pub const fn extensions(self) -> &'static [&'static str] {
        self.entry().extensions
    }

    /// RCTab's `provider` name for this format, if RCTab reads it.
    pub const fn provider(self) -> Option<&'static str> {
        self.entry().provider
    }

    /// Read from a folder (Dominion, Hart) rather than one file.
    pub const fn is_folder(self) -> bool {
        self.entry().folder
    }

    /// A plain ballot format (PrefLib, BLT, Christen JSON and CSV): the ones the
    /// API exports and counts by docs/ARCHITECTURE.md's rules.
    pub const fn is_plain(self) -> bool {
        matches!(
            self,
            Format::Preflib | Format::Blt | Format::Json | Format::Csv
        )
    }

    /// The format RCTab's `provider` names.
    pub fn from_provider(provider: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.provider() == Some(provider))
    }

    /// The plain family a file name's extension implies, if any.
    pub fn from_extension(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .filter(|f| f.is_plain())
            .find(|f| f.extensions().contains(&ext.as_str()))
    }

    /// Guesses the plain family from the text: `{` JSON, `receipt,` CSV, `#`
    /// PrefLib, a first line of two numbers BLT, of one number old PrefLib.
    pub fn sniff(text: &str) -> Option<Format> {
        let t = text.trim_start();
        if t.starts_with('{') {
            return Some(Format::Json);
        }
        if t.starts_with("receipt,") || t.starts_with("receipt\n") || t.starts_with("\"receipt\"") {
            return Some(Format::Csv);
        }
        if t.starts_with('#') {
            return Some(Format::Preflib);
        }
        let first = t.lines().next()?;
        let nums: Vec<&str> = first.split_whitespace().collect();
        if nums.iter().all(|n| n.parse::<u64>().is_ok()) {
            match nums.len() {
                2 => return Some(Format::Blt),
                1 => return Some(Format::Preflib),
                _ => {}
            }
        }
        None
    }

    /// The format of the file or folder at `path`, reading what it must of it:
    /// Dominion and Hart folders, else [`Format::detect`] on the file's name and
    /// start. `None` when it cannot be told (or read).
    pub fn detect_path(path: &Path) -> Option<Format> {
        if path.is_dir() {
            if path.join("CandidateManifest.json").is_file() {
                return Some(Format::Dominion);
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
            return has_xml.then_some(Format::Hart);
        }
        let mut head = Vec::with_capacity(HEAD_BYTES);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::open(path).ok()?, HEAD_BYTES as u64),
            &mut head,
        )
        .ok()?;
        Format::detect_with(&path.to_string_lossy(), &head, || json_kind_of_file(path))
    }

    /// The format of the file named `name` holding `bytes` (module docs), if it
    /// can be told.
    pub fn detect(name: &str, bytes: &[u8]) -> Option<Format> {
        Format::detect_with(name, &bytes[..bytes.len().min(HEAD_BYTES)], || {
            json_kind(bytes)
        })
    }

    /// [`Format::detect`] from the first [`HEAD_BYTES`] of the file, asking
    /// `json_kind` (which may read the whole file) only for a JSON file.
    fn detect_with(name: &str, head: &[u8], json_kind: impl FnOnce() -> Format) -> Option<Format> {
        if is_cdf_xml(head) {
            return Some(Format::Cdf);
        }
        if name.to_ascii_lowercase().ends_with(".xlsx") || head.starts_with(b"PK\x03\x04") {
            return Some(Format::Ess);
        }
        let family = match Format::from_extension(name) {
            Some(format) => format,
            None if debian::looks_like_tally_sheet(head) => return Some(Format::Debian),
            None => Format::sniff(&String::from_utf8_lossy(head))
                .or_else(|| first_line_has_commas(head).then_some(Format::Csv))?,
        };
        Some(match family {
            Format::Json => json_kind(),
            Format::Csv => csv_kind(head),
            other => other,
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        let s = s.to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format {s:?} (expected {})", names.join(", "))
            })
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
fn csv_kind(head: &[u8]) -> Format {
    let header = first_line(head);
    let fields: Vec<&str> = header
        .split(',')
        .map(|f| f.trim().trim_matches('"'))
        .collect();
    if fields.first() == Some(&"receipt") {
        Format::Csv
    } else if fields.first() == Some(&"RowNumber") || fields.iter().any(|f| is_choice_column(f)) {
        Format::ClearBallot
    } else {
        Format::RctabCsv
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
fn json_kind(bytes: &[u8]) -> Format {
    json_kind_from(serde_json::Deserializer::from_slice(bytes))
}

/// [`json_kind`] of a file, read as a stream: a CDF report is told by its
/// first `CVR` or `@type` member without reading further, so a report of
/// hundreds of megabytes is neither held nor read to its end to be told.
fn json_kind_of_file(path: &Path) -> Format {
    match std::fs::File::open(path) {
        Ok(file) => json_kind_from(serde_json::Deserializer::from_reader(
            std::io::BufReader::new(file),
        )),
        Err(_) => Format::Json,
    }
}

fn json_kind_from<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> Format {
    let mut probe = Probe::default();
    let read = de.deserialize_map(&mut probe);
    if probe.cdf {
        return Format::Cdf;
    }
    if read.is_err() {
        return Format::Json;
    }
    let rctab_ballot = match probe.first_ballot {
        Some(Value::Array(slots)) => !slots.is_empty() && slots.iter().all(Value::is_array),
        Some(Value::Object(ballot)) => ballot.contains_key("ranks"),
        _ => false,
    };
    if probe.max_rank || rctab_ballot {
        Format::RctabJson
    } else {
        Format::Json
    }
}

/// The top-level keys that tell the JSON kinds apart; everything else is
/// skipped without being kept. A CDF key (`CVR`, or `@type`
/// `CVR.CastVoteRecordReport`) decides at once: the walk stops there.
#[derive(Default)]
struct Probe {
    cdf: bool,
    max_rank: bool,
    /// The first element of the first `ballots` array.
    first_ballot: Option<Value>,
}

impl<'de> Visitor<'de> for &mut Probe {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "CVR" => self.cdf = true,
                "@type" => {
                    let kind: Value = map.next_value()?;
                    self.cdf = kind == "CVR.CastVoteRecordReport";
                }
                "maxRank" => {
                    self.max_rank = true;
                    map.next_value::<IgnoredAny>()?;
                }
                "ballots" if self.first_ballot.is_none() => {
                    self.first_ballot = map.next_value::<FirstBallot>()?.0;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if self.cdf {
                return Err(de::Error::custom("a CDF report"));
            }
        }
        Ok(())
    }
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

    fn kind(path: &str, text: &str) -> Option<Format> {
        Format::detect(path, text.as_bytes())
    }

    #[test]
    fn a_file_is_told_from_its_start_and_a_cdf_report_from_its_first_members() {
        let dir = std::env::temp_dir().join(format!("christen-detect-head-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cdf = dir.join("report.json");
        let cvrs = r#"{"CVRSnapshot": []},"#.repeat(20_000);
        std::fs::write(&cdf, format!(r#"{{"CVR": [{cvrs} {{}}], "Election": []}}"#)).unwrap();
        assert_eq!(Format::detect_path(&cdf), Some(Format::Cdf));
        let rctab = dir.join("ballots.json");
        let ballots = r#"[["A"], ["B"]],"#.repeat(20_000);
        std::fs::write(
            &rctab,
            format!(r#"{{"ballots": [{ballots} [["A"]]], "maxRank": 2}}"#),
        )
        .unwrap();
        assert_eq!(Format::detect_path(&rctab), Some(Format::RctabJson));
        let csv = dir.join("votes");
        std::fs::write(&csv, "id,A,B\n".to_owned() + &"1,1,2\n".repeat(20_000)).unwrap();
        assert_eq!(Format::detect_path(&csv), Some(Format::RctabCsv));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_kind_is_told_from_its_contents_alone() {
        let debian =
            "  Tally Sheet\n     Option 1--->: Alice\n   /  Option 2-->: Bob\nV: 12   abc\n";
        assert_eq!(kind("-", debian), Some(Format::Debian));
        assert_eq!(kind("leader.txt", debian), Some(Format::Debian));
        let cdf = r#"{"@type": "CVR.CastVoteRecordReport", "Election": [], "CVR": []}"#;
        assert_eq!(kind("-", cdf), Some(Format::Cdf));
        assert_eq!(kind("cvr.json", cdf), Some(Format::Cdf));
        // Told at its first CVR member: what follows is not read (its reader
        // finds the error).
        assert_eq!(kind("-", r#"{"CVR": [{"broken"#), Some(Format::Cdf));
        let cdf_xml = "\u{feff}<?xml version=\"1.0\"?>\n<!-- c -->\n<cdf:CastVoteRecordReport xmlns:cdf=\"x\">";
        assert_eq!(kind("cvr.xml", cdf_xml), Some(Format::Cdf));
        assert_eq!(kind("-", cdf_xml), Some(Format::Cdf));
        assert_eq!(kind("cvr.xml", "<?xml version=\"1.0\"?><Cvr></Cvr>"), None);
        let rctab = r#"{"candidates": ["A", "B"], "ballots": [[["A"], [], ["B"]]]}"#;
        assert_eq!(kind("-", rctab), Some(Format::RctabJson));
        let rctab_objects = r#"{"candidates": ["A"], "ballots": [{"ranks": [["A"]], "count": 2}]}"#;
        assert_eq!(kind("b.json", rctab_objects), Some(Format::RctabJson));
        let christen = r#"{"candidates": ["A", "B"], "ballots": [{"ranking": ["A"]}, ["B", "A"]]}"#;
        assert_eq!(kind("-", christen), Some(Format::Json));
        assert_eq!(kind("-", "{not json"), Some(Format::Json));
        assert_eq!(kind("-", "receipt,A,B\nr1,1,2\n"), Some(Format::Csv));
        let clear =
            "RowNumber,BoxID,BoxPosition,BallotID,PrecinctID,BallotStyleID,PrecinctStyleName,\
ScanComputerName,Status,Remade,Choice_1_1:Mayor:1:Vote For 1:A:NP\n";
        assert_eq!(kind("-", clear), Some(Format::ClearBallot));
        assert_eq!(kind("cvr.csv", clear), Some(Format::ClearBallot));
        assert_eq!(kind("-", "id,A,B\n1,1,2\n"), Some(Format::RctabCsv));
        assert_eq!(
            kind("x.csv", "Response ID,A,B\nr,1,2\n"),
            Some(Format::RctabCsv)
        );
        assert_eq!(kind("-", "# TITLE: t\n"), Some(Format::Preflib));
        assert_eq!(kind("-", "3 1\n"), Some(Format::Blt));
        assert_eq!(kind("-", "hello\n"), None);
    }

    #[test]
    fn vendor_files_and_folders_are_told_apart() {
        let dir = std::env::temp_dir().join(format!("christen-detect-{}", std::process::id()));
        let dominion = dir.join("dominion");
        let hart = dir.join("hart");
        std::fs::create_dir_all(&dominion).unwrap();
        std::fs::create_dir_all(&hart).unwrap();
        std::fs::write(dominion.join("CandidateManifest.json"), "{}").unwrap();
        std::fs::write(hart.join("1.xml"), "<Cvr></Cvr>").unwrap();
        assert_eq!(Format::detect_path(&dominion), Some(Format::Dominion));
        assert_eq!(Format::detect_path(&hart), Some(Format::Hart));
        assert_eq!(Format::detect_path(&dir.join("missing.csv")), None);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(kind("cvr.xlsx", "PK"), Some(Format::Ess));
        assert_eq!(kind("-", "PK\u{3}\u{4}rest"), Some(Format::Ess));
    }

    #[test]
    fn names_parse_back_and_providers_map_both_ways() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            if let Some(p) = f.provider() {
                assert_eq!(Format::from_provider(p), Some(f));
            }
            assert!(!f.description().is_empty());
        }
        assert!("xlsx".parse::<Format>().unwrap_err().contains("rctab-csv"));
        assert_eq!(Format::from_extension("a.SOI"), Some(Format::Preflib));
        assert_eq!(Format::from_extension("a.xml"), None);
    }

    #[test]
    fn names_are_unique() {
        let names: std::collections::BTreeSet<&str> =
            Format::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), Format::ALL.len());
    }
}
