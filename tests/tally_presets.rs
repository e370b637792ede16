//! The API's IRV and STV (docs/ARCHITECTURE.md "Counting rules") pinned case by
//! case: `tests/data/tally_presets.txt` holds, for each of a fixed set of
//! generated elections, a digest of `tally::count`'s answer (the report's JSON,
//! or the error). It was written by the two-engine code (`tally/rounds.rs`)
//! before the API's rules became a preset of the one engine (`tally/rcv`), so
//! this test shows that the preset counts exactly as the old engine did.
//!
//! Elections are drawn with [`SplitMix64`] (seed 2026): 2–8 candidates, up to
//! 30 ballot groups with counts 1–40, ranks holding ties (overvotes), skipped
//! ranks, blank ballots, withdrawn candidates, 1–4 seats, 0–9 decimals, and a
//! few invalid ballots (a repeated candidate) whose errors are pinned too.
//! `CHRISTEN_WRITE_PRESETS=1 cargo test --test tally_presets` rewrites the file
//! (only when a change of results is intended and explained).

use christen::tally::lot::SplitMix64;
use christen::tally::{count, Ballot, CandidateIdx, Election, Method, Options, Rules};
use sha2::{Digest, Sha256};

const CASES: usize = 700;
const FILE: &str = "tests/data/tally_presets.txt";

fn pick(rng: &mut SplitMix64, n: u64) -> u64 {
    rng.next_u64() % n
}

fn ballot(rng: &mut SplitMix64, n: usize) -> Ballot {
    let mut order: Vec<CandidateIdx> = (0..n as CandidateIdx).collect();
    for i in (1..n).rev() {
        order.swap(i, pick(rng, i as u64 + 1) as usize);
    }
    let len = if pick(rng, 12) == 0 {
        0
    } else {
        1 + pick(rng, n as u64) as usize
    };
    let mut ranks: Vec<Vec<CandidateIdx>> = Vec::new();
    for &c in &order[..len] {
        match (pick(rng, 10), ranks.last_mut()) {
            (0, Some(last)) => last.push(c),
            (1, _) => {
                ranks.push(Vec::new());
                ranks.push(vec![c]);
            }
            _ => ranks.push(vec![c]),
        }
    }
    if len > 0 && pick(rng, 150) == 0 {
        // A repeated candidate: an error the API's rules report.
        ranks.push(vec![order[0]]);
    }
    Ballot {
        ranks,
        count: 1 + pick(rng, 40),
    }
}

fn case(rng: &mut SplitMix64) -> (Election, Method, Options) {
    let n = 2 + pick(rng, 7) as usize;
    let groups = 1 + pick(rng, 30) as usize;
    let ballots = (0..groups).map(|_| ballot(rng, n)).collect();
    let withdrawn = if pick(rng, 6) == 0 {
        vec![pick(rng, n as u64) as CandidateIdx]
    } else {
        Vec::new()
    };
    let method = if pick(rng, 2) == 0 {
        Method::Irv
    } else {
        Method::Stv
    };
    let options = Options {
        seats: 1 + pick(rng, 4) as u32,
        seed: rng.next_u64(),
        rules: Rules {
            decimals: if pick(rng, 3) == 0 {
                pick(rng, 10) as u32
            } else {
                5
            },
            ..Rules::default()
        },
    };
    let election = Election {
        candidates: (0..n).map(|i| format!("C{i}")).collect(),
        withdrawn,
        ballots,
    };
    (election, method, options)
}

fn digest(election: &Election, method: Method, options: &Options) -> String {
    let text = match count(election, method, options) {
        Ok(report) => serde_json::to_string(&report.with_refs(&election.candidates, |c| c))
            .expect("report serializes"),
        Err(e) => format!("error: {e}"),
    };
    if let Some(dir) = std::env::var_os("CHRISTEN_DUMP_PRESETS") {
        // Debugging aid: every answer in full, one file per case.
        let n = std::fs::read_dir(&dir).map_or(0, |d| d.count());
        let _ = std::fs::write(
            std::path::Path::new(&dir).join(format!("{n:04}.json")),
            &text,
        );
    }
    let hash = Sha256::digest(text.as_bytes());
    hash[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn api_irv_and_stv_count_as_pinned() {
    let mut rng = SplitMix64::new(2026);
    let got: Vec<String> = (0..CASES)
        .map(|_| {
            let (e, m, o) = case(&mut rng);
            digest(&e, m, &o)
        })
        .collect();
    if std::env::var_os("CHRISTEN_WRITE_PRESETS").is_some() {
        std::fs::create_dir_all("tests/data").expect("tests/data");
        std::fs::write(FILE, got.join("\n") + "\n").expect("write the pinned digests");
        return;
    }
    let want = std::fs::read_to_string(FILE).expect("tests/data/tally_presets.txt");
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(want.len(), CASES, "pinned cases");
    let differ: Vec<usize> = (0..CASES).filter(|&i| got[i] != want[i]).collect();
    assert!(
        differ.is_empty(),
        "{} of {CASES} cases count differently, first: {:?}",
        differ.len(),
        &differ[..differ.len().min(10)]
    );
}
