//! Read time, read rate, count time and peak memory of one ballot file, per
//! format (issue 14, item 6). `benches/tally_scale.sh` runs it once per file,
//! each in its own process so that each peak is its own.
//!
//! ```text
//! cargo build --release --example tally_read
//! target/release/examples/tally_read FORMAT PATH [CONTEST]
//! ```
//!
//! FORMAT: a `--format` name (`rctab-csv`, `rctab-json`, `csv`, `preflib`,
//! `blt`, `json`, `cdf`, `dominion` and `hart` folders, `ess` with its first
//! vote column 4 and row 2, as benches/tally_scale_gen.py writes it). CONTEST:
//! the contest id that Dominion and Hart need.
//!
//! It calls the library's reader entry point (`formats::read`) as `christen
//! tally` does, rather than timing the CLI from inside: the CLI keeps its
//! output and code as they are. "read" is the file's bytes from disk (page cache, after the first run)
//! to the grouped `Election`; "count" is `tally::count` (IRV, one seat) on it;
//! "peak" is the process's VmHWM after both. Prints one tab-separated line:
//! format, bytes, read s, read MB/s, distinct rankings, count s, peak MiB,
//! winner. Asserts nothing.

use std::path::Path;
use std::time::Instant;

use christen::formats::{self, Format, ReadOptions, Source};
use christen::tally::{self, Election, Method, Options};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [format, path, rest @ ..] = args.as_slice() else {
        eprintln!("usage: tally_read FORMAT PATH [CONTEST]");
        std::process::exit(2);
    };
    let contest = rest.first().map(String::as_str);
    let started = Instant::now();
    let (bytes, election) = match read(format, Path::new(path), contest) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("tally_read: {path}: {e}");
            std::process::exit(1);
        }
    };
    let read_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let options = Options {
        seats: 1,
        ..Options::default()
    };
    let report = match tally::count(&election, Method::Irv, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tally_read: {path}: {e}");
            std::process::exit(1);
        }
    };
    let count_secs = started.elapsed().as_secs_f64();
    let winners: Vec<&str> = report
        .winners
        .iter()
        .map(|&c| election.candidates[c as usize].as_str())
        .collect();
    println!(
        "{format}\t{bytes}\t{read_secs:.3}\t{:.0}\t{}\t{count_secs:.3}\t{}\t{}",
        bytes as f64 / 1e6 / read_secs,
        election.ballots.len(),
        peak_mib().map_or("?".to_owned(), |m| m.to_string()),
        winners.join(", ")
    );
    // Freeing the groups one by one only slows the exit down (as the CLI does).
    std::mem::forget(election);
}

/// The process's peak resident memory (VmHWM), in MiB.
fn peak_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Reads `path` as `format` through the library's one reader entry point, as
/// `christen tally` does: the bytes read (all files, for a folder) and the
/// election.
fn read(format: &str, path: &Path, contest: Option<&str>) -> Result<(u64, Election), String> {
    let format: Format = format.parse()?;
    let options = ReadOptions {
        contest: contest.map(str::to_owned),
        // The generated workbook's layout (benches/tally_scale_gen.py).
        first_vote_column: (format == Format::Ess).then_some(4),
        first_vote_row: (format == Format::Ess).then_some(2),
        undervote_label: (format == Format::Ess).then(|| "undervote".to_owned()),
        ..ReadOptions::default()
    };
    let file = formats::read(&Source::Path(path), format, &options).map_err(|e| e.to_string())?;
    Ok((size(path), file.election))
}

/// The size of a file, or of the files of a folder, in bytes.
fn size(path: &Path) -> u64 {
    match std::fs::read_dir(path) {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum(),
        Err(_) => std::fs::metadata(path).map_or(0, |m| m.len()),
    }
}
