//! The counting engine: ballots in, result out.
//!
//! Pure Rust: no I/O, no actix, no diesel, no logging. Every rule is deterministic:
//! the same election and options always give the same report.
//!
//! Entry point: [`count`]. Methods follow docs/ARCHITECTURE.md "Counting rules":
//! - `plurality`: first preferences (the ballot's highest-ranked candidate; a tie
//!   at that rank is an overvote and counts for nobody).
//! - `irv`: instant-runoff, and
//! - `stv`: Droop quota, weighted inclusive Gregory (Scottish rules): both
//!   counted by the one IRV/STV engine, [`rcv`], under the preset
//!   `RcvRules::christen` (or under RCTab's rule options when
//!   [`Rules::rcv`] holds them).
//! - `schulze` (winning votes), `ranked_pairs` (margins), `borda`, `copeland`:
//!   see [`pairwise`].
//!
//! Ties that the method cannot settle are broken by earlier rounds' counts (for
//! IRV and STV) and then by the seeded lot ([`lot`]); each is logged in
//! [`Report::tie_breaks`]. With more seats than one, non-STV methods elect the
//! top `seats` candidates of their ranking.

mod error;
mod flat;
pub mod lot;
mod matrix;
mod method;
pub mod pairwise;
mod plurality;
mod prepared;
pub mod rcv;
mod report;
mod rules;
pub mod sequential;
#[cfg(test)]
mod tests;
mod types;
mod votes;

pub use error::{TallyError, MAX_BALLOTS, MAX_PAIRWISE_CANDIDATES};
pub use method::{Method, UnknownMethod};
pub use rcv::{OvervoteRule, ThresholdRule};
pub use report::*;
pub use rules::{Options, Rules};
pub use types::*;
pub use votes::*;

use lot::Ties;
use prepared::{Outcome, Prepared};
use rcv::report::Rendering;
use rcv::{RcvError, RcvRules};

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
        // An explicit overvote (RCTab's `overvoteLabel`) prefers no one.
        let condorcet_winner =
            Prepared::with_withdrawn(election, rules.explicit_overvote.as_slice())
                .ok()
                .and_then(|prep| prep.condorcet_winner());
        return count_irv_stv(election, method, options, rules, condorcet_winner, false);
    }
    let prep = Prepared::new(election)?;
    if method.is_pairwise() && prep.n > MAX_PAIRWISE_CANDIDATES {
        return Err(TallyError::TooManyCandidates {
            candidates: prep.n,
            max: MAX_PAIRWISE_CANDIDATES,
        });
    }
    if matches!(method, Method::Irv | Method::Stv) && prep.valid > 0 {
        let rules = RcvRules::christen(method, &options.rules, options.seed);
        let condorcet_winner = prep.condorcet_winner();
        return count_irv_stv(election, method, options, &rules, condorcet_winner, true);
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
            Method::Plurality => plurality::plurality(&prep, options, &mut ties),
            Method::Irv | Method::Stv => unreachable!("counted by the IRV/STV engine above"),
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
    let condorcet_winner = prep.condorcet_winner();
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

/// Counts IRV (one seat) or STV (`options.seats`) by the one engine under
/// `rules`, and renders the report (`preset`: the API's own rules, see
/// [`rcv::report::Rendering`]).
fn count_irv_stv(
    election: &Election,
    method: Method,
    options: &Options,
    rules: &RcvRules,
    condorcet_winner: Option<CandidateIdx>,
    preset: bool,
) -> Result<Report<CandidateIdx>, TallyError> {
    let seats = if method == Method::Stv {
        options.seats
    } else {
        1
    };
    let count = rcv::count_rcv(election, seats, rules).map_err(|e| match e {
        RcvError::NoSeats => TallyError::NoSeats,
        other => TallyError::InvalidRules(other.to_string()),
    })?;
    let how = Rendering {
        decimals: rules.decimals,
        preset,
        condorcet_winner,
    };
    Ok(rcv::report::report(election, method, options, count, how))
}
