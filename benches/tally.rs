//! Benchmark of the counting engine and of `christen tally` end to end.
//!
//! `cargo bench --bench tally` prints figures; it asserts nothing. Data are
//! generated deterministically: 1,000,000 ballots over 10 and over 50
//! candidates, partial rankings (1 + a geometric number of further ranks, mean
//! about 3.3) drawn Plackett–Luce from Zipf-skewed candidate strengths, so a few
//! candidates dominate and the tail is long. For each size it times:
//! - the engine alone on grouped ballots (`tally::count`: one pass over the
//!   groups to validate them, flatten them and build the pairwise matrix, then
//!   the method);
//! - end to end through the library function the CLI uses
//!   (`cli::tally::count_text`: parse + group + count, and for the CSV file the
//!   SHA-256 ballot digest, which it computes on a second thread while parsing)
//!   for a canonical CSV export and a BLT file with one line per ballot;
//! - the `christen` binary itself on the CSV file (process start, read, parse,
//!   digest, count, JSON output), when built.
//!
//! The header line says how many threads the machine offers: only the digest
//! uses a second one. Set `TALLY_BENCH_BALLOTS` to change the number of ballots.

use std::time::{Duration, Instant};

use christen::cli::tally::count_text;
use christen::formats::{self, write_canonical_csv, CsvBallot, Format};
use christen::tally::lot::SplitMix64;
use christen::tally::{count, CandidateIdx, Method, Options};

const METHODS: [(Method, u32); 4] = [
    (Method::Irv, 1),
    (Method::Stv, 3),
    (Method::Schulze, 1),
    (Method::RankedPairs, 1),
];

fn uniform(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// One ballot: a Plackett–Luce draw from Zipf strengths (candidate i has
/// strength 1/(i+1)), with a rotation per ballot "faction" so preferences are
/// correlated rather than one global order.
fn ballot(rng: &mut SplitMix64, n: usize, out: &mut Vec<CandidateIdx>) {
    out.clear();
    let mut len = 1;
    while len < n && uniform(rng) < 0.7 {
        len += 1;
    }
    let shift = if uniform(rng) < 0.3 {
        (rng.next_u64() % 3) as usize
    } else {
        0
    };
    let mut weights: Vec<f64> = (0..n)
        .map(|i| 1.0 / (((i + n - shift) % n) + 1) as f64)
        .collect();
    for _ in 0..len {
        let total: f64 = weights.iter().sum();
        let mut x = uniform(rng) * total;
        let mut pick = n - 1;
        for (i, &w) in weights.iter().enumerate() {
            if w > 0.0 && x < w {
                pick = i;
                break;
            }
            x -= w;
        }
        if weights[pick] == 0.0 {
            pick = weights.iter().position(|&w| w > 0.0).unwrap_or(0);
        }
        weights[pick] = 0.0;
        out.push(pick as CandidateIdx);
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Best of `runs` timings.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("runs >= 1"))
}

fn main() {
    let ballots: usize = std::env::var("TALLY_BENCH_BALLOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let bin = option_env!("CARGO_BIN_EXE_christen");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "christen tally benchmark: {ballots} ballots; best of several runs; {threads} threads available"
    );
    for n in [10usize, 50] {
        let mut rng = SplitMix64::new(0xC0FFEE ^ n as u64);
        let names: Vec<String> = (1..=n).map(|i| format!("Name {i}")).collect();
        let mut rankings: Vec<Vec<CandidateIdx>> = Vec::with_capacity(ballots);
        let mut buf = Vec::new();
        for _ in 0..ballots {
            ballot(&mut rng, n, &mut buf);
            rankings.push(buf.clone());
        }
        let receipts: Vec<String> = (0..ballots)
            .map(|i| format!("{:016x}", i as u64 * 0x9E37_79B9))
            .collect();
        let csv = write_canonical_csv(
            &names,
            receipts.iter().zip(&rankings).map(|(r, k)| CsvBallot {
                receipt: r,
                ranking: k,
            }),
        )
        .expect("valid rankings");
        let mut blt = format!("{n} 3\n");
        for k in &rankings {
            blt.push('1');
            for c in k {
                blt.push(' ');
                blt.push_str(&(c + 1).to_string());
            }
            blt.push_str(" 0\n");
        }
        blt.push_str("0\n");
        for name in &names {
            blt.push_str(&format!("\"{name}\"\n"));
        }

        let (t_csv, file) = time(3, || formats::csv::read(&csv, &mut |_| {}).expect("csv"));
        let (t_blt, _) = time(3, || formats::blt::read(&blt, &mut |_| {}).expect("blt"));
        println!(
            "\n{n} candidates: {} distinct rankings; CSV {:.1} MB parse+group {}; BLT {:.1} MB parse+group {}",
            file.election.ballots.len(),
            csv.len() as f64 / 1e6,
            ms(t_csv),
            blt.len() as f64 / 1e6,
            ms(t_blt),
        );
        let dir = std::env::temp_dir().join(format!("christen-bench-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let csv_path = dir.join(format!("ballots-{n}.csv"));
        let wrote = std::fs::write(&csv_path, &csv).is_ok();

        println!(
            "  {:<13} {:>12} {:>16} {:>16} {:>16}",
            "method", "engine", "end-to-end CSV", "end-to-end BLT", "binary CSV"
        );
        for (method, seats) in METHODS {
            let opts = Options {
                seats,
                ..Options::default()
            };
            let (t_engine, report) =
                time(5, || count(&file.election, method, &opts).expect("count"));
            let (t_csv_e2e, _) = time(3, || {
                count_text(&csv, Format::Csv, method, Some(seats), 0, &mut |_| {}).expect("count")
            });
            let (t_blt_e2e, _) = time(3, || {
                count_text(&blt, Format::Blt, method, Some(seats), 0, &mut |_| {}).expect("count")
            });
            let t_bin = match (bin, wrote) {
                (Some(bin), true) => {
                    let (t, ok) = time(3, || {
                        std::process::Command::new(bin)
                            .args(["tally", "--json", "--method", method.name(), "--seats"])
                            .arg(seats.to_string())
                            .arg(&csv_path)
                            .stdout(std::process::Stdio::null())
                            .status()
                            .map(|s| s.success())
                            .unwrap_or(false)
                    });
                    if ok {
                        ms(t)
                    } else {
                        "failed".to_string()
                    }
                }
                _ => "not built".to_string(),
            };
            println!(
                "  {:<13} {:>12} {:>16} {:>16} {:>16}   winners {:?}",
                method.name(),
                ms(t_engine),
                ms(t_csv_e2e),
                ms(t_blt_e2e),
                t_bin,
                report.winners
            );
        }
        let _ = std::fs::remove_file(&csv_path);
        let _ = std::fs::remove_dir(&dir);
    }
}
