//! Read time, read rate, count time and peak memory of one ballot file, per
//! format (issue 14, item 6). `benches/tally_scale.sh` runs it once per file,
//! each in its own process so that each peak is its own.
//!
//! ```text
//! cargo build --release --example tally_read
//! target/release/examples/tally_read FORMAT PATH [CONTEST]
//! ```
//!
//! FORMAT: `rctab-csv`, `rctab-json`, `csv`, `preflib`, `blt`, `json`, `cdf`,
//! `dominion` (PATH a folder with the manifests and `CvrExport.json`), `hart`
//! (PATH a folder of XML files), `ess` (first vote column 4, row 2). CONTEST:
//! the contest id that Dominion and Hart need.
//!
//! It calls the library's readers directly, as `christen tally` does, rather
//! than timing the CLI from inside: the CLI keeps its output and code as they
//! are. "read" is the file's bytes from disk (page cache, after the first run)
//! to the grouped `Election`; "count" is `tally::count` (IRV, one seat) on it;
//! "peak" is the process's VmHWM after both. Prints one tab-separated line:
//! format, bytes, read s, read MB/s, distinct rankings, count s, peak MiB,
//! winner. Asserts nothing.

use std::path::Path;
use std::time::Instant;

use christen::formats::{self, Format};
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

/// Reads `path` as `format`: its size in bytes (all files, for a folder) and
/// the election.
fn read(format: &str, path: &Path, contest: Option<&str>) -> Result<(u64, Election), String> {
    let text = || std::fs::read_to_string(path).map_err(|e| e.to_string());
    let plain = |f: Format| -> Result<(u64, Election), String> {
        let t = text()?;
        let file = formats::read(&t, f).map_err(|e| e.to_string())?;
        Ok((t.len() as u64, file.election))
    };
    let e = |e: formats::ReadError| e.to_string();
    match format {
        "csv" => plain(Format::Csv),
        "preflib" => plain(Format::Preflib),
        "blt" => plain(Format::Blt),
        "json" => plain(Format::Json),
        "rctab-csv" => {
            let t = text()?;
            let options = formats::rctab_csv::GenericCsvOptions {
                first_vote_column: None,
                undeclared_write_in_label: None,
            };
            let election = formats::rctab_csv::read_generic_csv(&t, &options).map_err(e)?;
            Ok((t.len() as u64, election))
        }
        "rctab-json" => {
            let t = text()?;
            let b = formats::rctab_config::read_rctab_ballots_json(&t).map_err(e)?;
            Ok((t.len() as u64, b.election))
        }
        "cdf" => {
            let t = text()?;
            Ok((
                t.len() as u64,
                formats::cdf_xml::read_cdf(&t, contest).map_err(e)?,
            ))
        }
        "ess" => {
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            let options = formats::ess::EssOptions {
                first_vote_column: 4,
                first_vote_row: 2,
                max_rankings: formats::cvr::MAX_RANK as usize,
                undervote_label: Some("undervote".to_owned()),
                ..Default::default()
            };
            let election = formats::ess::read_ess_xlsx(&bytes, &options).map_err(e)?;
            Ok((bytes.len() as u64, election))
        }
        "dominion" => {
            let read = |name: &str| {
                std::fs::read_to_string(path.join(name)).map_err(|e| format!("{name}: {e}"))
            };
            let (candidates, contests) = (
                read("CandidateManifest.json")?,
                read("ContestManifest.json")?,
            );
            let records = read("CvrExport.json")?;
            let export = formats::dominion::DominionExport {
                candidate_manifest: &candidates,
                contest_manifest: &contests,
                exports: vec![("CvrExport.json".to_owned(), records.as_str())],
            };
            let election = formats::dominion::read_dominion(&export, contest.unwrap_or("7"), None)
                .map_err(e)?;
            Ok((
                (candidates.len() + contests.len() + records.len()) as u64,
                election,
            ))
        }
        "hart" => {
            // As the CLI reads a Hart folder: every file first, then the reader.
            let mut paths: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| e.to_string())?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .collect();
            paths.sort();
            let mut texts = Vec::with_capacity(paths.len());
            for p in &paths {
                let name = p.display().to_string();
                texts.push((name, std::fs::read_to_string(p).map_err(|e| e.to_string())?));
            }
            let bytes = texts.iter().map(|(_, t)| t.len() as u64).sum();
            let files: Vec<(String, &str)> =
                texts.iter().map(|(n, t)| (n.clone(), t.as_str())).collect();
            let election =
                formats::hart::read_hart(&files, contest.unwrap_or("c-1"), None).map_err(e)?;
            Ok((bytes, election))
        }
        other => Err(format!("unknown format {other}")),
    }
}
