//! Real elections with published outcomes, from the shared reference data
//! (`../shared/testdata`, or the folder named by `CHRISTEN_TESTDATA`). Expected
//! figures are those in that folder's README files, which cite the official
//! sources.

use std::path::PathBuf;

use christen::formats::{self, ElectionFile, Format, ReadOptions, Source};
use christen::tally::{count, Method, Options, Votes};

fn data(rel: &str) -> String {
    let root = std::env::var_os("CHRISTEN_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    let p = root.join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "reference data {} not readable ({e}); set CHRISTEN_TESTDATA",
            p.display()
        )
    })
}

/// Reads the reference file `rel` as `format` through the one entry point.
fn read(rel: &str, format: Format) -> ElectionFile {
    formats::read(
        &Source::text(rel, &data(rel)),
        format,
        &ReadOptions::default(),
    )
    .unwrap()
}

fn winners(rel: &str, format: Format, method: Method, seats: u32) -> Vec<String> {
    let f = read(rel, format);
    let opts = Options {
        seats,
        ..Options::default()
    };
    let r = count(&f.election, method, &opts).unwrap();
    r.winners
        .iter()
        .map(|&c| f.election.candidates[c as usize].clone())
        .collect()
}

#[test]
fn burlington_2009_irv_and_condorcet() {
    // real/README.md: IRV winner Bob Kiss, round 1 exact; Montroll is the
    // Condorcet (Schulze) winner.
    let rel = "real/preflib/00005-00000002.toi";
    let f = read(rel, Format::Preflib);
    let r = count(&f.election, Method::Irv, &Options::default()).unwrap();
    let name = |c: u32| f.election.candidates[c as usize].as_str();
    assert_eq!(name(r.winners[0]), "Bob Kiss");
    let r1: Vec<(&str, Votes)> = r.rounds[0]
        .counts
        .iter()
        .map(|t| (name(t.candidate), t.votes))
        .collect();
    for (who, votes) in [
        ("Kurt Wright", 2951),
        ("Bob Kiss", 2585),
        ("Andy Montroll", 2063),
        ("Dan Smith", 1306),
        ("James Simpson", 35),
        ("Write-In", 36),
    ] {
        assert!(r1.contains(&(who, Votes::whole(votes))), "{who}: {r1:?}");
    }
    assert_eq!(
        winners(rel, Format::Preflib, Method::Schulze, 1),
        ["Andy Montroll"]
    );
}

#[test]
fn burlington_2006_irv() {
    // Official: Bob Kiss; round 1 Kiss 3,809, Miller 3,106, Curley 2,609.
    let rel = "real/preflib/00005-00000001.toi";
    assert_eq!(winners(rel, Format::Preflib, Method::Irv, 1), ["Bob Kiss"]);
}

#[test]
fn dublin_2002_stv() {
    // real/README.md: Dublin West (3 seats) Lenihan, Higgins, Burton; Dublin
    // North (4 seats) Sargent, Ryan, Glennon, Wright.
    let mut w = winners(
        "real/preflib/00001-00000002.soi",
        Format::Preflib,
        Method::Stv,
        3,
    );
    w.sort();
    assert_eq!(
        w,
        ["Brian Lenihan F.F.", "Joan Burton Lab", "Joe Higgins S.P."]
    );
    let mut w = winners(
        "real/preflib/00001-00000001.soi",
        Format::Preflib,
        Method::Stv,
        4,
    );
    w.sort();
    assert_eq!(
        w,
        [
            "G.V. Wright F.F.",
            "Jim Glennon F.F.",
            "Sean Ryan Lab",
            "Trevor Sargent G.P."
        ]
    );
}

#[test]
fn tideman_a1_blt_stv() {
    // condorcet/README.md: A1.HIL, 380 votes, 3 seats, Droop 96; plain
    // inclusive-Gregory STV elects candidates 1, 9 and 3.
    let f = read("condorcet/src_data/A1.HIL", Format::Blt);
    assert_eq!(f.seats, Some(3));
    let r = count(
        &f.election,
        Method::Stv,
        &Options {
            seats: 3,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(r.quota, Some(Votes::whole(96)));
    let mut w = r.winners.clone();
    w.sort_unstable();
    assert_eq!(w, [0, 2, 8]);
}
