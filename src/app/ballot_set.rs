//! The canonical ballot set: a contest's counted ballots, anonymised, in one
//! stable order (by receipt, bytewise; never by time or voter). The count, the
//! `ballot_digest` of results and every export format (`GET …/ballots`) read the
//! same set: the CSV is the canonical export (written with
//! `formats::csv_header` and `formats::csv_rank_columns`), and the digest is
//! the SHA-256 of exactly its bytes — the bytes as downloaded, names that a
//! spreadsheet would take for a formula already neutralised with a leading `'`
//! (docs/SECURITY.md S5; `christen tally` reads the original names back).

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use super::contests::load_visible;
use super::visibility::check_export_visible;
use super::{Admin, App};
use crate::db::{self, Conn};
use crate::domain::{BallotCandidate, Contest, ContestId};
use crate::error::{AppError, AppResult};
use crate::formats;
use crate::tally::{Ballot, CandidateIdx, Election};

/// A contest's counted ballots as the engine and the formats see them: candidate
/// names in candidate-number order, the distinct rankings (0-based candidate
/// indexes) with their counts, and every ballot's receipt with its ranking's
/// group, ordered by receipt.
///
/// Loaded in one pass over the contest's rows: the digest needs every row
/// anyway, so the same pass groups identical rankings (a second, `GROUP BY`
/// scan would only add its own time). The sort by receipt happens here, not in
/// PostgreSQL, where sorting or walking an index in receipt order costs seconds
/// for a million rows.
pub struct BallotSet {
    pub candidates: Vec<BallotCandidate>,
    /// Distinct rankings and their counts, in order of first appearance by
    /// receipt.
    groups: Vec<(Vec<CandidateIdx>, u64)>,
    /// `(receipt as a 128-bit number, index into groups)`, sorted by receipt.
    rows: Vec<(u128, u32)>,
}

/// Maps stored candidate numbers to engine indexes (position in `candidates`).
/// A number that is no longer a candidate is left out of the ranking, as if the
/// voter had not ranked it.
pub fn index_of(candidates: &[BallotCandidate]) -> HashMap<i32, CandidateIdx> {
    candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.number, i as CandidateIdx))
        .collect()
}

pub fn to_indexes(numbers: &[i32], index: &HashMap<i32, CandidateIdx>) -> Vec<CandidateIdx> {
    numbers
        .iter()
        .filter_map(|n| index.get(n).copied())
        .collect()
}

/// Stored rows as they arrive: grouped by stored ranking (no allocation kept
/// for a ranking seen before), receipts collected for sorting.
#[derive(Default)]
struct Grouping {
    seen: HashMap<SmallVec<[i32; 8]>, u32, foldhash::fast::RandomState>,
    rows: Vec<(u128, u32)>,
}

impl Grouping {
    fn add(&mut self, receipt: u128, ranking: SmallVec<[i32; 8]>) {
        let g = match self.seen.get(ranking.as_slice()) {
            Some(&g) => g,
            None => {
                let g = self.seen.len() as u32;
                self.seen.insert(ranking, g);
                g
            }
        };
        self.rows.push((receipt, g));
    }

    /// Sorts by receipt and numbers the groups by first appearance in that
    /// order, so every writer lists them in an order that depends on the
    /// ballots only.
    fn finish(self, candidates: Vec<BallotCandidate>) -> BallotSet {
        let Grouping { seen, mut rows } = self;
        rows.sort_unstable_by_key(|&(receipt, _)| receipt);
        let mut stored_groups: Vec<Option<SmallVec<[i32; 8]>>> = vec![None; seen.len()];
        for (ranking, g) in seen {
            stored_groups[g as usize] = Some(ranking);
        }
        let index = index_of(&candidates);
        let mut renumber: Vec<u32> = vec![u32::MAX; stored_groups.len()];
        let mut groups: Vec<(Vec<CandidateIdx>, u64)> = Vec::with_capacity(stored_groups.len());
        for row in &mut rows {
            let old = row.1 as usize;
            if renumber[old] == u32::MAX {
                renumber[old] = groups.len() as u32;
                let numbers = stored_groups[old].take().unwrap_or_default();
                groups.push((to_indexes(&numbers, &index), 0));
            }
            row.1 = renumber[old];
            groups[row.1 as usize].1 += 1;
        }
        BallotSet {
            candidates,
            groups,
            rows,
        }
    }
}

impl BallotSet {
    /// Reads the contest's counted ballots (call inside a repeatable-read
    /// transaction when other reads must agree with it).
    pub fn load(conn: &mut Conn, id: ContestId) -> AppResult<BallotSet> {
        let candidates = db::ballots::candidates(conn, id)?;
        let mut grouper = Grouping::default();
        db::ballots::for_each_counted(conn, id, |receipt, ranking| {
            grouper.add(receipt.0, ranking.0)
        })?;
        Ok(grouper.finish(candidates))
    }

    /// The contest's candidates without any ballot: the live state published
    /// before enough ballots are in (docs/SECURITY.md S4, `app::results`).
    pub fn without_ballots(candidates: Vec<BallotCandidate>) -> BallotSet {
        Grouping::default().finish(candidates)
    }

    /// Groups and sorts stored rows (receipt, candidate numbers).
    #[cfg(test)]
    fn from_rows(
        candidates: Vec<BallotCandidate>,
        stored: Vec<(uuid::Uuid, Vec<i32>)>,
    ) -> BallotSet {
        let mut grouper = Grouping::default();
        for (receipt, ranking) in stored {
            grouper.add(receipt.as_u128(), ranking.into());
        }
        grouper.finish(candidates)
    }

    pub fn names(&self) -> Vec<String> {
        self.candidates.iter().map(|c| c.name.clone()).collect()
    }

    /// Number of counted ballots.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Feeds the canonical CSV export, in chunks, to `sink`: the header, then
    /// per ballot its receipt and its ranking's columns (computed once per
    /// distinct ranking, with the one writer in `formats::csv`).
    fn write_csv(&self, mut sink: impl FnMut(&[u8])) -> AppResult<()> {
        let n = self.candidates.len();
        let columns = self
            .groups
            .iter()
            .map(|(ranking, _)| formats::csv_rank_columns(n, ranking))
            .collect::<Result<Vec<String>, String>>()
            .map_err(|m| {
                AppError::Unexpected(anyhow::anyhow!("writing the ballot export: a ballot {m}"))
            })?;
        sink(formats::csv_header(&self.names()).as_bytes());
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
        let mut hex = [0u8; 32];
        for &(receipt, g) in &self.rows {
            hex::encode_to_slice(receipt.to_be_bytes(), &mut hex)
                .map_err(|e| AppError::Unexpected(e.into()))?;
            buf.extend_from_slice(&hex);
            buf.extend_from_slice(columns[g as usize].as_bytes());
            if buf.len() >= (1 << 16) - 1024 {
                sink(&buf);
                buf.clear();
            }
        }
        sink(&buf);
        Ok(())
    }

    /// The canonical CSV export.
    pub fn canonical_csv(&self) -> AppResult<String> {
        let mut out: Vec<u8> = Vec::new();
        self.write_csv(|chunk| out.extend_from_slice(chunk))?;
        String::from_utf8(out).map_err(|e| AppError::Unexpected(e.into()))
    }

    /// `ballot_digest`: the SHA-256 of [`BallotSet::canonical_csv`]'s bytes,
    /// hashed as they are produced, without holding the whole export.
    pub fn digest(&self) -> AppResult<String> {
        let mut hasher = Sha256::new();
        self.write_csv(|chunk| hasher.update(chunk))?;
        Ok(hex::encode(hasher.finalize()))
    }

    /// The ballots as an election for the engine and the other writers
    /// (identical rankings grouped, in order of first appearance by receipt).
    pub fn election(&self) -> Election {
        Election {
            candidates: self.names(),
            withdrawn: Vec::new(),
            ballots: self
                .groups
                .iter()
                .map(|(ranking, count)| Ballot::strict(ranking, *count))
                .collect(),
        }
    }
}

/// The formats `GET …/ballots` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The canonical CSV.
    Csv,
    /// PrefLib's strict-orders-incomplete format.
    Preflib,
    /// The BLT format (OpenSTV and others).
    Blt,
}

impl ExportFormat {
    /// The format named `raw` (default csv); any other name is a 400.
    pub fn parse(raw: Option<&str>) -> AppResult<ExportFormat> {
        match raw.unwrap_or("csv") {
            "csv" => Ok(ExportFormat::Csv),
            "preflib" => Ok(ExportFormat::Preflib),
            "blt" => Ok(ExportFormat::Blt),
            other => Err(AppError::bad_request(
                "invalid_format",
                format!("`format` must be one of csv, preflib, blt (got `{other}`)"),
            )),
        }
    }
}

/// A contest's ballots written in one format, with the canonical digest.
pub struct Export {
    pub contest: Contest,
    pub body: String,
    /// `ballot_digest`: the SHA-256 of the canonical CSV.
    pub digest: String,
}

/// The contest's anonymised ballots in `format`, as `caller` may see them (a
/// 404 for a contest they may not see, a 403 saying when the ballots become
/// public), read on one snapshot of the read pool.
pub async fn export(
    app: &App,
    caller: Option<Admin>,
    id: ContestId,
    format: ExportFormat,
) -> AppResult<Export> {
    let contest = load_visible(app, caller, id).await?;
    check_export_visible(&contest, caller.is_some())?;
    let set = app
        .db_read(move |conn| db::read_snapshot(conn, |conn| BallotSet::load(conn, id)))
        .await?;
    let csv = set.canonical_csv()?;
    let digest = formats::ballot_digest(csv.as_bytes());
    let body = match format {
        ExportFormat::Csv => csv,
        ExportFormat::Preflib => formats::preflib::write(Some(&contest.title), &set.election()),
        ExportFormat::Blt => formats::blt::write(
            Some(&contest.title),
            contest.seats.max(1) as u32,
            &set.election(),
        ),
    };
    Ok(Export {
        contest,
        body,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn candidate(number: i32, name: &str) -> BallotCandidate {
        BallotCandidate {
            id: Uuid::from_u128(number as u128),
            number,
            name: name.to_owned(),
        }
    }

    #[test]
    fn one_pass_export_sorts_by_receipt_groups_and_digests_its_own_bytes() {
        let candidates = vec![
            candidate(1, "Ada"),
            candidate(3, "Bo, \"B\""),
            candidate(4, "=Cy"),
        ];
        let stored = vec![
            (Uuid::from_u128(0xff), vec![3, 1]),
            (Uuid::from_u128(0x0a), vec![1]),
            (
                Uuid::from_u128(0xf000_0000_0000_0000_0000_0000_0000_0000),
                vec![1],
            ),
            (Uuid::from_u128(0x0b), vec![3, 1]),
            (Uuid::from_u128(0x01), vec![4, 3, 1]),
        ];
        let set = BallotSet::from_rows(candidates, stored);
        let csv = set.canonical_csv().unwrap();
        assert_eq!(
            csv,
            "receipt,Ada,\"Bo, \"\"B\"\"\",'=Cy\n\
             00000000000000000000000000000001,3,2,1\n\
             0000000000000000000000000000000a,1,,\n\
             0000000000000000000000000000000b,2,1,\n\
             000000000000000000000000000000ff,2,1,\n\
             f0000000000000000000000000000000,1,,\n"
        );
        assert_eq!(
            set.digest().unwrap(),
            formats::ballot_digest(csv.as_bytes())
        );
        // The same bytes as the format's own writer.
        let e = set.election();
        assert_eq!(
            e.ballots,
            vec![
                Ballot::strict(&[2, 1, 0], 1),
                Ballot::strict(&[0], 2),
                Ballot::strict(&[1, 0], 2),
            ]
        );
        assert_eq!(set.len(), 5);
    }

    #[test]
    fn a_large_export_is_digested_across_chunks() {
        let candidates = vec![candidate(1, "A"), candidate(2, "B")];
        let stored: Vec<(Uuid, Vec<i32>)> = (0..20_000u128)
            .map(|i| {
                (
                    Uuid::from_u128(i * 7919),
                    if i % 3 == 0 { vec![1, 2] } else { vec![2] },
                )
            })
            .collect();
        let set = BallotSet::from_rows(candidates, stored);
        let csv = set.canonical_csv().unwrap();
        assert!(csv.len() > 1 << 17, "spans several 64 KiB chunks");
        assert_eq!(
            set.digest().unwrap(),
            formats::ballot_digest(csv.as_bytes())
        );
    }
}
