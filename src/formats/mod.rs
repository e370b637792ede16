//! Ballot file formats read and written by `christen tally` and the ballot export.
//!
//! One registry and one entry point: [`Format`] lists every format read (its
//! name, description, extensions, RCTab provider and detection), and [`read`]
//! reads a [`Source`] (a path, a folder, or bytes in hand) as one of them with
//! the [`ReadOptions`] of an RCTab CVR source, into an [`ElectionFile`] (with
//! the rules and seats the file carries, if any). Readers check everything and
//! return the whole file or a [`ReadError`]: the file, the place in it (line,
//! cell or JSON path; the file inside a folder) and what was expected there
//! and found. Unknown candidates, a candidate ranked twice, and zero,
//! negative or non-numeric counts are errors. No partial results. This layer
//! reads files (the entry point opens paths and folders); the readers below it
//! take text or bytes, or, for the formats whose files run to hundreds of
//! megabytes (CDF JSON and XML, Dominion exports), an [`Input`] they read a
//! chunk at a time ([`stream`]).
//!
//! - [`preflib`]: PrefLib `.soc .soi .toc .toi` (current `# ALTERNATIVE NAME i:`
//!   header format, and the older numeric one); [`preflib::write`] writes the
//!   current format.
//! - [`blt`]: the OpenSTV / David Hill BLT format; [`blt::write`] writes it.
//! - [`json`]: `{"candidates": [...], "ballots": [{"ranking": [...], "count": n}]}`.
//! - [`csv`]: Christen canonical CSV, the API's ballot export (reader and writer),
//!   with [`csv::ballot_digest`].
//!
//! Cast vote records and result files of other tabulators (issue 6):
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
mod source;
pub mod stream;
pub mod summary_csv;
pub mod urcvt;

pub use self::csv::{ballot_digest, csv_header, csv_rank_columns, write_canonical_csv, CsvBallot};
pub use self::election_file::{ElectionFile, Progress};
pub use self::format::Format;
pub use self::read_error::{Location, ReadError};
pub use self::source::{read, read_with_progress, ReadOptions, Source};
pub use self::stream::Input;
