//! Helpers shared by the cast-vote-record readers (NIST CDF, RCTab CSV, Clear Ballot,
//! RCTab-style `ballots.json`, Debian tally sheets): collecting candidates by name and
//! grouping identical ballots in first-seen order, so the result never depends on
//! hash order.

use std::borrow::Cow;
use std::collections::HashMap;

use super::group::{Table, EMPTY_RANK, TIED};
use crate::tally::{Ballot, CandidateIdx, Election};

/// The name RCTab gives every undeclared write-in, whatever label the CVR used.
pub const UNDECLARED_WRITE_INS: &str = "Undeclared Write-ins";

/// The name a reader gives a rank the CVR marks with its explicit overvote
/// label (RCTab's `overvoteLabel`, ES&S): not a candidate, but a mark the count
/// treats as an overvote at that rank (RCTab's `Tabulator.EXPLICIT_OVERVOTE_LABEL`).
/// The parentheses keep it apart from any real candidate's name.
pub const EXPLICIT_OVERVOTE: &str = "(explicit overvote)";

/// How many candidates `election` has, the explicit-overvote mark not one of them.
pub fn candidate_count(election: &Election) -> usize {
    let marker = election.candidates.iter().any(|c| c == EXPLICIT_OVERVOTE);
    election.candidates.len() - usize::from(marker)
}

/// The highest rank number a reader accepts: far above any real ballot, low enough
/// that a corrupt rank cannot make a reader allocate without bound.
pub const MAX_RANK: u32 = 1000;

/// Splits one CSV line into fields (RFC 4180 quoting; a quoted field may not span
/// lines). Returns the 1-based column of the problem on malformed quoting.
pub(crate) fn split_csv_line(line: &str) -> Result<Vec<String>, usize> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.char_indices().peekable();
    let mut at_field_start = true;
    let mut in_quotes = false;
    let mut quote_opened_at = 0;
    while let Some((i, ch)) = chars.next() {
        if in_quotes {
            if ch == '"' {
                if matches!(chars.peek(), Some((_, '"'))) {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                    match chars.peek() {
                        None | Some((_, ',')) => {}
                        Some(&(j, _)) => return Err(line[..j].chars().count() + 1),
                    }
                }
            } else {
                field.push(ch);
            }
            continue;
        }
        match ch {
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
                continue;
            }
            '"' if at_field_start => {
                in_quotes = true;
                quote_opened_at = line[..i].chars().count() + 1;
            }
            '"' => return Err(line[..i].chars().count() + 1),
            _ => field.push(ch),
        }
        at_field_start = false;
    }
    if in_quotes {
        return Err(quote_opened_at);
    }
    fields.push(field);
    Ok(fields)
}

/// [`split_csv_line`] into `fields` (cleared first), borrowing from `line`
/// when it holds no double quote: such a line's fields are exactly its
/// comma-separated pieces and cannot be malformed, so a million-row file is
/// split without allocating a string per cell.
pub(crate) fn split_csv_line_into<'a>(
    line: &'a str,
    fields: &mut Vec<Cow<'a, str>>,
) -> Result<(), usize> {
    fields.clear();
    if line.contains('"') {
        fields.extend(split_csv_line(line)?.into_iter().map(Cow::Owned));
    } else {
        fields.extend(line.split(',').map(Cow::Borrowed));
    }
    Ok(())
}

/// Builds an [`Election`] one ballot at a time.
///
/// Ballots are grouped in [`Table`] (group.rs) as they come: each is encoded
/// into one reused key of `u32`s, and a [`Ballot`] is built only once per
/// distinct ranking, at the end, so a million ballots cost no allocation each.
/// Groups keep the order in which each ranking first appears.
#[derive(Debug, Default)]
pub(crate) struct ElectionBuilder {
    candidates: Vec<String>,
    /// Names to numbers, under foldhash: a `ballots.json` looks a name up for
    /// every mark, and SipHash was a tenth of its read (names come from the
    /// file's own header or configuration, so no flooding to guard against).
    by_name: HashMap<String, CandidateIdx, foldhash::fast::RandomState>,
    table: Table,
    /// The key of the ballot being built (group.rs's encoding: a rank's first
    /// candidate, the others of the rank with [`TIED`], a skipped rank as
    /// [`EMPTY_RANK`]).
    key: Vec<u32>,
    /// Where the current rank starts in `key`.
    rank_start: usize,
    /// `add_marks`'s marks in rank order.
    sorted: Vec<(u32, CandidateIdx)>,
}

impl ElectionBuilder {
    /// A builder that already knows `names`, in that order.
    pub(crate) fn with_candidates<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut builder = ElectionBuilder::default();
        for name in names {
            let name = name.as_ref();
            if builder.by_name.contains_key(name) {
                return Err(format!("candidate \"{name}\" is listed twice"));
            }
            builder.candidate(name);
        }
        Ok(builder)
    }

    /// The number of `name`, adding it at the end if it is new.
    pub(crate) fn candidate(&mut self, name: &str) -> CandidateIdx {
        if let Some(&idx) = self.by_name.get(name) {
            return idx;
        }
        let idx = self.candidates.len() as CandidateIdx;
        self.candidates.push(name.to_owned());
        self.by_name.insert(name.to_owned(), idx);
        idx
    }

    /// The number of `name` if it is already known.
    pub(crate) fn known(&self, name: &str) -> Option<CandidateIdx> {
        self.by_name.get(name).copied()
    }

    /// Starts a ballot given rank by rank: [`Self::push`] each candidate of a
    /// rank, [`Self::end_rank`] after each rank, then [`Self::end_ballot`].
    pub(crate) fn begin(&mut self) {
        self.key.clear();
        self.rank_start = 0;
    }

    /// Adds `c` to the current rank; a candidate already in this rank is kept once.
    pub(crate) fn push(&mut self, c: CandidateIdx) {
        debug_assert!(c < TIED - 1, "candidate number {c} too large for a key");
        let rank = &self.key[self.rank_start..];
        if rank.iter().any(|&w| w & !TIED == c) {
            return;
        }
        self.key.push(if rank.is_empty() { c } else { c | TIED });
    }

    /// Ends the current rank (a rank without candidates is a skipped one).
    pub(crate) fn end_rank(&mut self) {
        if self.key.len() == self.rank_start {
            self.key.push(EMPTY_RANK);
        }
        self.rank_start = self.key.len();
    }

    /// Adds `count` copies of the ballot begun with [`Self::begin`]. Trailing
    /// skipped ranks are dropped, as they change nothing.
    pub(crate) fn end_ballot(&mut self, count: u64) {
        while self.key.last() == Some(&EMPTY_RANK) {
            self.key.pop();
        }
        if count == 0 {
            return;
        }
        self.table.add_wrapping(&self.key, count);
    }

    /// Adds `count` ballots with the given rank slots (slot 0 = first choice).
    /// A candidate repeated within one slot is kept once; trailing empty slots are
    /// dropped, as they change nothing.
    pub(crate) fn add_slots(&mut self, ranks: Vec<Vec<CandidateIdx>>, count: u64) {
        self.begin();
        for slot in &ranks {
            for &c in slot {
                self.push(c);
            }
            self.end_rank();
        }
        self.end_ballot(count);
    }

    /// Adds one ballot given as `(rank, candidate)` marks, ranks 1-based, in any order.
    /// Several marks at one rank make an overvote; ranks without marks are skipped.
    pub(crate) fn add_marks(&mut self, marks: &[(u32, CandidateIdx)]) {
        let mut sorted = std::mem::take(&mut self.sorted);
        sorted.clear();
        sorted.extend(marks.iter().filter(|&&(rank, _)| rank >= 1));
        // Stable: the candidates of one rank stay in the order they were marked.
        sorted.sort_by_key(|&(rank, _)| rank);
        self.begin();
        let mut rank = 1;
        for &(r, c) in &sorted {
            while rank < r {
                self.end_rank();
                rank += 1;
            }
            self.push(c);
        }
        if !sorted.is_empty() {
            self.end_rank();
        }
        self.end_ballot(1);
        self.sorted = sorted;
    }

    pub(crate) fn finish(self) -> Election {
        Election {
            candidates: self.candidates,
            withdrawn: Vec::new(),
            ballots: self.table.into_ballots(),
        }
    }
}

/// Puts the candidates of `election` in the order of `order` (names), keeping any
/// candidate `order` does not name after them in their current order. Ballots are
/// renumbered accordingly. Used to follow a contest configuration's candidate order,
/// which tie-break rules such as "use candidate order" depend on.
pub fn reorder_candidates<S: AsRef<str>>(election: Election, order: &[S]) -> Election {
    let mut new_names: Vec<String> = Vec::with_capacity(election.candidates.len());
    for name in order {
        let name = name.as_ref();
        if election.candidates.iter().any(|c| c == name) && !new_names.iter().any(|n| n == name) {
            new_names.push(name.to_owned());
        }
    }
    for name in &election.candidates {
        if !new_names.contains(name) {
            new_names.push(name.clone());
        }
    }
    if new_names == election.candidates {
        // Already in order: the ballots are kept as they are, not copied.
        return election;
    }
    let map: Vec<CandidateIdx> = election
        .candidates
        .iter()
        .map(|name| new_names.iter().position(|n| n == name).unwrap_or(0) as CandidateIdx)
        .collect();
    Election {
        candidates: new_names,
        withdrawn: election
            .withdrawn
            .iter()
            .map(|&c| map[c as usize])
            .collect(),
        ballots: election
            .ballots
            .iter()
            .map(|b| Ballot {
                ranks: b
                    .ranks
                    .iter()
                    .map(|slot| slot.iter().map(|&c| map[c as usize]).collect())
                    .collect(),
                count: b.count,
            })
            .collect(),
    }
}

/// Drops every candidate after the first `n` (as [`reorder_candidates`] puts the
/// declared ones first); marks of dropped candidates are removed from the ballots.
pub fn keep_first_candidates(election: &mut Election, n: usize) {
    if election.candidates.len() <= n {
        return;
    }
    election.candidates.truncate(n);
    election.withdrawn.retain(|&c| (c as usize) < n);
    for ballot in &mut election.ballots {
        for slot in &mut ballot.ranks {
            slot.retain(|&c| (c as usize) < n);
        }
    }
}

/// Adds candidates named in `names` that `election` does not have yet, at the end and
/// in the given order (a configuration may declare candidates nobody ranked).
pub fn with_declared_candidates<S: AsRef<str>>(mut election: Election, names: &[S]) -> Election {
    let out = &mut election;
    for name in names {
        let name = name.as_ref();
        if !out.candidates.iter().any(|c| c == name) {
            out.candidates.push(name.to_owned());
        }
    }
    election
}

/// `election` with each candidate renamed by `rename` (`None`: kept), candidates
/// that end up with one name merged into the first of them. A ballot marking
/// two merged candidates at one rank marks that candidate once there. Used for
/// RCTab's candidate aliases.
pub fn rename_candidates(election: Election, rename: impl Fn(&str) -> Option<String>) -> Election {
    let mut names: Vec<String> = Vec::with_capacity(election.candidates.len());
    let map: Vec<CandidateIdx> = election
        .candidates
        .iter()
        .map(|c| {
            let name = rename(c).unwrap_or_else(|| c.clone());
            match names.iter().position(|n| *n == name) {
                Some(i) => i as CandidateIdx,
                None => {
                    names.push(name);
                    (names.len() - 1) as CandidateIdx
                }
            }
        })
        .collect();
    if names.len() == election.candidates.len() && names == election.candidates {
        return election;
    }
    let mut withdrawn: Vec<CandidateIdx> = election
        .withdrawn
        .iter()
        .map(|&c| map[c as usize])
        .collect();
    withdrawn.sort_unstable();
    withdrawn.dedup();
    Election {
        candidates: names,
        withdrawn,
        ballots: election
            .ballots
            .iter()
            .map(|b| Ballot {
                ranks: b
                    .ranks
                    .iter()
                    .map(|slot| {
                        let mut out: Vec<CandidateIdx> = Vec::with_capacity(slot.len());
                        for &c in slot {
                            let c = map[c as usize];
                            if !out.contains(&c) {
                                out.push(c);
                            }
                        }
                        out
                    })
                    .collect(),
                count: b.count,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_slots_group_alike_in_order_of_first_appearance() {
        let mut b = ElectionBuilder::with_candidates(&["A", "B", "C"]).unwrap();
        // Rank 2 then 1, a repeat within a rank, rank 0 ignored, rank 3 skipped.
        b.add_marks(&[(2, 1), (1, 0), (1, 2), (1, 0), (0, 1), (4, 1)]);
        b.add_slots(vec![vec![2], vec![]], 1);
        b.add_slots(vec![vec![0, 2], vec![1], vec![], vec![1], vec![]], 2);
        b.add_marks(&[]);
        b.add_slots(vec![vec![2]], 0);
        b.add_slots(vec![vec![], vec![]], 3);
        let e = b.finish();
        assert_eq!(e.candidates, ["A", "B", "C"]);
        let got: Vec<_> = e
            .ballots
            .iter()
            .map(|g| (g.ranks.clone(), g.count))
            .collect();
        assert_eq!(
            got,
            vec![
                (vec![vec![0, 2], vec![1], vec![], vec![1]], 3),
                (vec![vec![2]], 1),
                (vec![], 4),
            ]
        );
    }

    #[test]
    fn cells_are_borrowed_unless_quoted() {
        let mut row = Vec::new();
        split_csv_line_into("a,,b c", &mut row).unwrap();
        assert_eq!(row, ["a", "", "b c"]);
        assert!(row.iter().all(|c| matches!(c, Cow::Borrowed(_))));
        split_csv_line_into(r#"x,"y,""z""",w"#, &mut row).unwrap();
        assert_eq!(row, ["x", r#"y,"z""#, "w"]);
        assert_eq!(split_csv_line_into(r#"x,y"z"#, &mut row), Err(4));
    }
}
