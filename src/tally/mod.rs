//! The counting engine: ballots in, result out.
//!
//! Pure Rust: no I/O, no actix, no diesel, no logging. Every rule is deterministic:
//! the same election and options always give the same report.
//!
//! Entry point: [`count`]. Methods follow DESIGN.md "Counting rules":
//! - `plurality`: first preferences (the ballot's highest-ranked candidate; a tie
//!   at that rank is an overvote and counts for nobody).
//! - `irv`: instant-runoff, see [`rounds`].
//! - `stv`: Droop quota, weighted inclusive Gregory (Scottish rules), see [`rounds`].
//! - `schulze` (winning votes), `ranked_pairs` (margins), `borda`, `copeland`:
//!   see [`pairwise`].
//!
//! Ties that the method cannot settle are broken by earlier rounds' counts (for
//! IRV and STV) and then by the seeded lot ([`lot`]); each is logged in
//! [`Report::tie_breaks`]. With more seats than one, non-STV methods elect the
//! top `seats` candidates of their ranking.

mod flat;
pub mod lot;
pub mod pairwise;
pub mod rcv;
mod report;
pub mod rounds;
#[cfg(test)]
mod tests;
mod types;
mod votes;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use report::*;
pub use types::*;
pub use votes::*;

use flat::Flat;
use lot::Ties;

/// Most ballots one count accepts (sum of the groups' counts).
pub const MAX_BALLOTS: u64 = 1_000_000_000_000;
/// Most candidates for methods that build the pairwise matrix (it has n² cells).
pub const MAX_PAIRWISE_CANDIDATES: usize = 1024;

/// A counting method (JSON and command line: snake_case names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Plurality,
    Irv,
    Stv,
    Schulze,
    RankedPairs,
    Borda,
    Copeland,
}

impl Method {
    /// Every method, in the order DESIGN.md lists them.
    pub const ALL: [Method; 7] = [
        Method::Plurality,
        Method::Irv,
        Method::Stv,
        Method::Schulze,
        Method::RankedPairs,
        Method::Borda,
        Method::Copeland,
    ];

    /// The snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            Method::Plurality => "plurality",
            Method::Irv => "irv",
            Method::Stv => "stv",
            Method::Schulze => "schulze",
            Method::RankedPairs => "ranked_pairs",
            Method::Borda => "borda",
            Method::Copeland => "copeland",
        }
    }

    /// Whether the report carries the pairwise matrix.
    pub const fn is_pairwise(self) -> bool {
        matches!(
            self,
            Method::Schulze | Method::RankedPairs | Method::Copeland
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown method name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMethod(pub String);

impl fmt::Display for UnknownMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
        write!(
            f,
            "unknown counting method {:?} (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownMethod {}

impl FromStr for Method {
    type Err = UnknownMethod;

    /// Accepts the snake_case names; `-` may stand for `_`.
    fn from_str(s: &str) -> Result<Method, UnknownMethod> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Method::ALL
            .into_iter()
            .find(|m| m.name() == norm)
            .ok_or_else(|| UnknownMethod(s.to_string()))
    }
}

/// What IRV and STV do with a rank holding several continuing candidates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OvervoteRule {
    /// DESIGN.md: a tie at the ballot's highest continuing rank is an overvote;
    /// the ballot is exhausted there (reported as `overvotes`). A rank whose
    /// candidates are all eliminated is passed over like a skipped rank.
    #[default]
    ExhaustImmediately,
}

/// What IRV and STV do with skipped (empty) ranks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkippedRankRule {
    /// Skipped ranks are passed over; the next rank counts.
    #[default]
    Skip,
}

/// STV quota.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quota {
    /// `floor(valid first preferences / (seats + 1)) + 1` whole votes.
    #[default]
    Droop,
}

/// Counting rules of IRV and STV. `Default` is DESIGN.md's behaviour; every
/// field is optional in JSON (missing = default), so rule sets can grow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    pub overvote: OvervoteRule,
    pub skipped_ranks: SkippedRankRule,
    pub quota: Quota,
    /// Decimal places of STV ballot values; every transfer truncates to them
    /// (Scottish rules: 5). At most [`VOTE_DECIMALS`].
    pub decimals: u32,
    /// RCTab's rule options for IRV and STV (overvote rule, skipped and repeated
    /// rankings, batch elimination, thresholds, tie-break modes …), with RCTab's
    /// meaning: see [`rcv`]. `None` (the default, and every API contest): the
    /// DESIGN.md rules above. When set, IRV and STV count by [`rcv::count_rcv`]
    /// and the fields above are not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcv: Option<rcv::RcvRules>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            overvote: OvervoteRule::default(),
            skipped_ranks: SkippedRankRule::default(),
            quota: Quota::default(),
            decimals: 5,
            rcv: None,
        }
    }
}

/// Everything a count needs besides the ballots and the method.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Seats to fill (at least 1).
    pub seats: u32,
    /// Seed of the tie-break lot (the API: first 8 bytes of the contest UUID,
    /// big-endian).
    pub seed: u64,
    pub rules: Rules,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seats: 1,
            seed: 0,
            rules: Rules::default(),
        }
    }
}

/// Why a count could not be made. Every variant describes bad input; the engine
/// never panics on input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TallyError {
    /// `seats` was 0.
    NoSeats,
    /// A ballot group names a candidate number with no candidate.
    UnknownCandidate {
        ballot: usize,
        candidate: CandidateIdx,
    },
    /// A ballot group ranks a candidate twice.
    DuplicateCandidate {
        ballot: usize,
        candidate: CandidateIdx,
    },
    /// A withdrawn candidate number has no candidate.
    UnknownWithdrawn { candidate: CandidateIdx },
    /// More ballots than [`MAX_BALLOTS`].
    TooManyBallots,
    /// More candidates than [`MAX_PAIRWISE_CANDIDATES`] for a pairwise method.
    TooManyCandidates { candidates: usize, max: usize },
    /// Rules out of range.
    InvalidRules(String),
}

impl fmt::Display for TallyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TallyError::NoSeats => f.write_str("seats must be at least 1"),
            TallyError::UnknownCandidate { ballot, candidate } => write!(
                f,
                "ballot group {} names candidate number {candidate}, which does not exist",
                ballot + 1
            ),
            TallyError::DuplicateCandidate { ballot, candidate } => write!(
                f,
                "ballot group {} ranks candidate number {candidate} more than once",
                ballot + 1
            ),
            TallyError::UnknownWithdrawn { candidate } => {
                write!(f, "withdrawn candidate number {candidate} does not exist")
            }
            TallyError::TooManyBallots => {
                write!(f, "more than {MAX_BALLOTS} ballots in one count")
            }
            TallyError::TooManyCandidates { candidates, max } => write!(
                f,
                "{candidates} candidates is more than this method handles ({max})"
            ),
            TallyError::InvalidRules(msg) => write!(f, "invalid rules: {msg}"),
        }
    }
}

impl std::error::Error for TallyError {}

/// The validated input every method starts from.
pub(crate) struct Prepared {
    /// Number of candidates (withdrawn included).
    pub n: usize,
    /// `withdrawn[c]`: candidate c is out of the count.
    pub withdrawn: Vec<bool>,
    /// The ballots as the methods read them (see [`Flat`]).
    pub flat: Flat,
    /// The pairwise matrix, when there are at most [`MAX_PAIRWISE_CANDIDATES`]
    /// candidates (it also gives every report its Condorcet winner).
    pub matrix: Option<pairwise::Matrix>,
    /// Sum of every group's count.
    pub total: u64,
    /// Ballots with no candidate at all.
    pub blank: u64,
    /// Ballots ranking at least one candidate not withdrawn.
    pub valid: u64,
}

impl Prepared {
    /// Validates the election, flattens its ballots and builds the pairwise
    /// matrix, in one pass over the ballots.
    fn new(election: &Election) -> Result<Self, TallyError> {
        let n = election.candidates.len();
        if n > flat::MAX_CANDIDATES {
            return Err(TallyError::TooManyCandidates {
                candidates: n,
                max: flat::MAX_CANDIDATES,
            });
        }
        let mut withdrawn = vec![false; n];
        for &w in &election.withdrawn {
            *withdrawn
                .get_mut(w as usize)
                .ok_or(TallyError::UnknownWithdrawn { candidate: w })? = true;
        }
        let mut flat = Flat::with_capacity(election.ballots.len());
        let mut matrix = (n <= MAX_PAIRWISE_CANDIDATES).then(|| pairwise::MatrixBuilder::new(n));
        // `seen[c] == stamp` marks c as already met on the current ballot.
        let mut seen = vec![usize::MAX; n];
        let (mut total, mut blank, mut valid) = (0u64, 0u64, 0u64);
        for (i, b) in election.ballots.iter().enumerate() {
            let mut any = false;
            let mut any_active = false;
            let mark = flat.mark();
            let mut tied = false;
            for slot in &b.ranks {
                let mut first = true;
                for &c in slot {
                    let s = seen
                        .get_mut(c as usize)
                        .ok_or(TallyError::UnknownCandidate {
                            ballot: i,
                            candidate: c,
                        })?;
                    if *s == i {
                        return Err(TallyError::DuplicateCandidate {
                            ballot: i,
                            candidate: c,
                        });
                    }
                    *s = i;
                    any = true;
                    if !withdrawn[c as usize] {
                        any_active = true;
                        flat.push(c, !first);
                        tied |= !first;
                        first = false;
                    }
                }
            }
            total = total
                .checked_add(b.count)
                .filter(|&t| t <= MAX_BALLOTS)
                .ok_or(TallyError::TooManyBallots)?;
            if !any {
                blank += b.count;
            }
            if any_active {
                valid += b.count;
            }
            // Blank groups and empty ones carry nothing for any method; a
            // group naming only withdrawn candidates stays (it is exhausted).
            if any && b.count > 0 {
                if let Some(m) = &mut matrix {
                    m.add(flat.current(mark), b.count, tied);
                }
                flat.finish(b.count);
            } else {
                flat.discard(mark);
            }
        }
        let matrix = matrix.map(|m| m.finish(&withdrawn));
        Ok(Prepared {
            n,
            withdrawn,
            flat,
            matrix,
            total,
            blank,
            valid,
        })
    }

    /// Candidates not withdrawn, election order.
    pub fn active(&self) -> Vec<CandidateIdx> {
        (0..self.n as CandidateIdx)
            .filter(|&c| !self.withdrawn[c as usize])
            .collect()
    }
}

/// What a method contributes to the report.
#[derive(Default)]
pub(crate) struct Outcome {
    pub winners: Vec<CandidateIdx>,
    pub ranking: Vec<Vec<CandidateIdx>>,
    pub scores: Vec<Score<CandidateIdx>>,
    pub rounds: Vec<Round<CandidateIdx>>,
    pub quota: Option<Votes>,
    pub strongest_paths: Option<Vec<Vec<u64>>>,
    pub pairs: Vec<Pair<CandidateIdx>>,
}

/// Counts `election` by `method`.
///
/// Returns the report with candidates as their numbers (indexes into
/// `election.candidates`); show them with [`Report::map_candidates`] or
/// [`Report::with_refs`]. If no ballot ranks any candidate, nobody is elected.
pub fn count(
    election: &Election,
    method: Method,
    options: &Options,
) -> Result<Report<CandidateIdx>, TallyError> {
    if options.seats == 0 {
        return Err(TallyError::NoSeats);
    }
    if options.rules.decimals > VOTE_DECIMALS {
        return Err(TallyError::InvalidRules(format!(
            "decimals must be at most {VOTE_DECIMALS}"
        )));
    }
    if let (Some(rules), Method::Irv | Method::Stv) = (&options.rules.rcv, method) {
        // Ballots may repeat a candidate under these rules, so the pairwise matrix
        // (and the Condorcet winner) exists only for ballots that do not.
        let condorcet_winner = Prepared::new(election)
            .ok()
            .and_then(|prep| prep.matrix.as_ref()?.condorcet_winner(&prep));
        return rcv::report(election, method, options, rules, condorcet_winner);
    }
    let prep = Prepared::new(election)?;
    if method.is_pairwise() && prep.n > MAX_PAIRWISE_CANDIDATES {
        return Err(TallyError::TooManyCandidates {
            candidates: prep.n,
            max: MAX_PAIRWISE_CANDIDATES,
        });
    }
    let mut ties = Ties::new(options.seed, prep.n);
    let matrix = &prep.matrix;
    let outcome = if prep.valid == 0 {
        // Nobody ranked anyone: no winner, everyone equal.
        Outcome {
            ranking: vec![prep.active()]
                .into_iter()
                .filter(|g| !g.is_empty())
                .collect(),
            ..Outcome::default()
        }
    } else {
        match method {
            Method::Plurality => rounds::plurality(&prep, options, &mut ties),
            Method::Irv => rounds::irv(&prep, options, &mut ties),
            Method::Stv => rounds::stv(&prep, options, &mut ties),
            Method::Schulze | Method::RankedPairs | Method::Copeland | Method::Borda => {
                let m = match matrix {
                    Some(m) => m,
                    None => {
                        return Err(TallyError::TooManyCandidates {
                            candidates: prep.n,
                            max: MAX_PAIRWISE_CANDIDATES,
                        })
                    }
                };
                match method {
                    Method::Schulze => pairwise::schulze(&prep, m, options, &mut ties),
                    Method::RankedPairs => pairwise::ranked_pairs(&prep, m, options, &mut ties),
                    Method::Copeland => pairwise::copeland(&prep, m, options, &mut ties),
                    _ => pairwise::borda(&prep, options, &mut ties),
                }
            }
        }
    };
    let condorcet_winner = matrix.as_ref().and_then(|m| m.condorcet_winner(&prep));
    Ok(Report {
        method,
        seats: options.seats,
        candidates: (0..prep.n as CandidateIdx).collect(),
        withdrawn: (0..prep.n as CandidateIdx)
            .filter(|&c| prep.withdrawn[c as usize])
            .collect(),
        winners: outcome.winners,
        ranking: outcome.ranking,
        ballots_counted: prep.total,
        blank_ballots: prep.blank,
        condorcet_winner,
        scores: outcome.scores,
        rounds: outcome.rounds,
        quota: outcome.quota,
        pairwise: if method.is_pairwise() {
            matrix.as_ref().map(|m| m.rows())
        } else {
            None
        },
        strongest_paths: outcome.strongest_paths,
        pairs: outcome.pairs,
        tie_breaks: ties.log,
        rules: options.rules.clone(),
        seed: options.seed.to_string(),
        ballot_digest: None,
    })
}

/// Groups candidates by a score, best first (`better(a, b)` true when a's score
/// is higher; equal scores share a group, election order inside a group).
pub(crate) fn group_by_score<K: Ord + Copy>(
    cands: &[CandidateIdx],
    key: impl Fn(CandidateIdx) -> K,
) -> Vec<Vec<CandidateIdx>> {
    let mut sorted = cands.to_vec();
    sorted.sort_by(|&a, &b| key(b).cmp(&key(a)).then(a.cmp(&b)));
    let mut groups: Vec<Vec<CandidateIdx>> = Vec::new();
    for c in sorted {
        match groups.last_mut() {
            Some(g) if key(g[0]) == key(c) => g.push(c),
            _ => groups.push(vec![c]),
        }
    }
    groups
}

/// Takes the winners from a ranking in groups: the first `seats` candidates.
/// A group of several that contains a winner is ordered by the lot (logged), so
/// both who wins and the order of winners are decided; the group is left in
/// that order in `ranking`.
pub(crate) fn take_winners(
    ranking: &mut [Vec<CandidateIdx>],
    seats: u32,
    ties: &mut Ties,
) -> Vec<CandidateIdx> {
    let mut winners = Vec::new();
    for group in ranking.iter_mut() {
        if winners.len() >= seats as usize {
            break;
        }
        if group.len() > 1 {
            *group = ties.order(group, &[], TiePurpose::Winners, None, false);
        }
        for &c in group.iter() {
            if winners.len() < seats as usize {
                winners.push(c);
            }
        }
    }
    winners
}
