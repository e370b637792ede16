//! Ballot file formats read and written by `christen tally` and the ballot export.
//!
//! Readers take the whole text (`&str`; the CLI does the I/O), check everything,
//! and either return a complete [`ElectionFile`] with identical ballots grouped,
//! or a [`FormatError`] naming the 1-based line and what was expected. Unknown
//! candidates, a candidate ranked twice, and zero, negative or non-numeric counts
//! are errors. No partial results.
//!
//! - [`preflib`]: PrefLib `.soc .soi .toc .toi` (current `# ALTERNATIVE NAME i:`
//!   header format, and the older numeric one); [`preflib::write`] writes the
//!   current format.
//! - [`blt`]: the OpenSTV / David Hill BLT format; [`blt::write`] writes it.
//! - [`json`]: `{"candidates": [...], "ballots": [{"ranking": [...], "count": n}]}`.
//! - [`csv`]: Christen canonical CSV, the API's ballot export (reader and writer),
//!   with [`csv::ballot_digest`].
//!
//! Cast vote records and result files of other tabulators (issue 6), each with
//! its own options and a [`ReadError`] giving the line (or JSON path) and what
//! was expected:
//! - [`cdf`]: NIST SP 1500-103 CDF cast vote records, JSON form, and
//!   [`cdf_xml`] the same in XML ([`cdf_xml::read_cdf`] reads either).
//! - [`rctab_csv`]: RCTab generic CSV and Clear Ballot CSV cast vote records.
//! - [`rctab_config`]: RCTab contest configurations and the RCTab-style
//!   `ballots.json` (rank slots with skips and overvotes, RCTab `rules`).
//! - [`rctab_sources`]: the CVR sources an RCTab configuration names, read
//!   and pooled.
//! - [`dominion`]: Dominion Democracy Suite CVR exports (`CvrExport*.json` with
//!   their manifests).
//! - [`ess`]: ES&S cast vote record workbooks (`.xlsx`).
//! - [`hart`]: Hart Verity cast vote records (one XML file per ballot).
//! - [`debian`]: Debian vote tally sheets.
//! - [`urcvt`]: the Universal RCV Tabulation JSON summary (writer and reader).
//! - [`summary_csv`]: RCTab's round-by-round summary spreadsheet (writer).

pub mod blt;
pub mod cdf;
pub mod cdf_xml;
pub mod csv;
pub mod cvr;
pub mod debian;
mod detect;
pub mod dominion;
mod election_file;
pub mod ess;
mod format;
mod group;
pub mod hart;
pub mod json;
mod lines;
pub mod preflib;
pub mod rctab_config;
pub mod rctab_csv;
pub mod rctab_sources;
pub mod read_error;
pub mod summary_csv;
pub mod urcvt;

pub use self::csv::{ballot_digest, csv_header, csv_rank_columns, write_canonical_csv, CsvBallot};
pub use self::detect::FileKind;
pub use self::election_file::{ElectionFile, FormatError, Progress};
pub use self::format::Format;
pub use self::read_error::{Location, ReadError};

/// Reads `text` as `format`.
pub fn read(text: &str, format: Format) -> Result<ElectionFile, FormatError> {
    read_with_progress(text, format, &mut |_| {})
}

/// Reads `text` as `format`, calling `progress` with the bytes read so far.
pub fn read_with_progress(
    text: &str,
    format: Format,
    progress: Progress<'_>,
) -> Result<ElectionFile, FormatError> {
    match format {
        Format::Preflib => preflib::read(text, progress),
        Format::Blt => blt::read(text, progress),
        Format::Json => json::read(text),
        Format::Csv => csv::read(text, progress),
    }
}
