//! Helpers shared by the cast-vote-record readers (NIST CDF, RCTab CSV, Clear Ballot,
//! RCTab-style `ballots.json`, Debian tally sheets): collecting candidates by name and
//! grouping identical ballots in first-seen order, so the result never depends on
//! hash order.

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::tally::{Ballot, CandidateIdx, Election};

/// The name RCTab gives every undeclared write-in, whatever label the CVR used.
pub const UNDECLARED_WRITE_INS: &str = "Undeclared Write-ins";

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

/// Builds an [`Election`] one ballot at a time.
#[derive(Debug, Default)]
pub(crate) struct ElectionBuilder {
    candidates: Vec<String>,
    by_name: HashMap<String, CandidateIdx>,
    /// The first group (index into `ballots`) of each hash of rank slots;
    /// `same_hash[i]` the next group with the hash of group `i`. The ranks
    /// themselves are kept once, in `ballots`, not again as keys.
    groups: HashMap<u64, u32>,
    same_hash: Vec<u32>,
    hasher: std::collections::hash_map::RandomState,
    ballots: Vec<Ballot>,
}

/// The end of a `same_hash` chain.
const NO_GROUP: u32 = u32::MAX;

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

    /// Adds `count` ballots with the given rank slots (slot 0 = first choice).
    /// A candidate repeated within one slot is kept once; trailing empty slots are
    /// dropped, as they change nothing.
    pub(crate) fn add_slots(&mut self, mut ranks: Vec<Vec<CandidateIdx>>, count: u64) {
        for slot in &mut ranks {
            let mut seen = Vec::with_capacity(slot.len());
            slot.retain(|c| {
                if seen.contains(c) {
                    false
                } else {
                    seen.push(*c);
                    true
                }
            });
        }
        while ranks.last().is_some_and(|slot| slot.is_empty()) {
            ranks.pop();
        }
        if count == 0 {
            return;
        }
        let hash = self.hasher.hash_one(&ranks);
        let mut at = self.groups.get(&hash).copied().unwrap_or(NO_GROUP);
        while at != NO_GROUP {
            let group = &mut self.ballots[at as usize];
            if group.ranks == ranks {
                group.count += count;
                return;
            }
            at = self.same_hash[at as usize];
        }
        let new = self.ballots.len() as u32;
        let previous = self.groups.insert(hash, new).unwrap_or(NO_GROUP);
        self.same_hash.push(previous);
        self.ballots.push(Ballot { ranks, count });
    }

    /// Adds one ballot given as `(rank, candidate)` marks, ranks 1-based, in any order.
    /// Several marks at one rank make an overvote; ranks without marks are skipped.
    pub(crate) fn add_marks(&mut self, marks: &[(u32, CandidateIdx)]) {
        let max_rank = marks.iter().map(|&(rank, _)| rank).max().unwrap_or(0) as usize;
        let mut ranks = vec![Vec::new(); max_rank];
        for &(rank, candidate) in marks {
            if rank >= 1 {
                ranks[rank as usize - 1].push(candidate);
            }
        }
        self.add_slots(ranks, 1);
    }

    pub(crate) fn finish(self) -> Election {
        Election {
            candidates: self.candidates,
            withdrawn: Vec::new(),
            ballots: self.ballots,
        }
    }
}

/// Puts the candidates of `election` in the order of `order` (names), keeping any
/// candidate `order` does not name after them in their current order. Ballots are
/// renumbered accordingly. Used to follow a contest configuration's candidate order,
/// which tie-break rules such as "use candidate order" depend on.
pub fn reorder_candidates<S: AsRef<str>>(election: &Election, order: &[S]) -> Election {
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
pub fn with_declared_candidates<S: AsRef<str>>(election: &Election, names: &[S]) -> Election {
    let mut out = election.clone();
    for name in names {
        let name = name.as_ref();
        if !out.candidates.iter().any(|c| c == name) {
            out.candidates.push(name.to_owned());
        }
    }
    out
}

/// `election` with each candidate renamed by `rename` (`None`: kept), candidates
/// that end up with one name merged into the first of them. A ballot marking
/// two merged candidates at one rank marks that candidate once there. Used for
/// RCTab's candidate aliases.
pub fn rename_candidates(election: &Election, rename: impl Fn(&str) -> Option<String>) -> Election {
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
        return election.clone();
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
