//! The IRV/STV engine: one rules model ([`RcvRules`]), one counter, for the
//! API's contests and for RCTab's configurations alike.
//!
//! The API's rules (docs/ARCHITECTURE.md "Counting rules") are a preset,
//! `RcvRules::christen` ([`preset`]); RCTab's rule options (the certified US
//! ranked-choice tabulator) keep RCTab's meaning, described below.
//!
//! Types: [`RcvRules`], [`OvervoteRule`], [`ThresholdRule`], [`TieBreakMode`] …
//! are the engine's; `tally::Rules` is the API's view of them (the same types
//! under the API's JSON names). Rounds are recorded in the API's own round
//! type, `tally::Round<CandidateIdx, u128>` (with `tally::Transfer`), in exact
//! fixed-point units ([`RcvCount`]); the API's report is the same rounds in
//! `Votes` ([`report`]), and the URCVT and summary-CSV writers
//! (`crate::formats`) read the record. Tie-breaks are logged as the API's
//! `tally::TieBreak` directly.
//!
//! Files: [`rules`] (the model), [`preset`] (the API's rules), [`ballots`]
//! (ballot groups and where a ballot goes next), [`threshold`], [`ties`]
//! (every tie-break mode, `java.util.Random`, Java hash order, the lot),
//! [`counter`] (RCTab's rounds), [`stages`] (the API's STV stages, surpluses
//! one at a time), [`record`] (the record types), [`report`] (the API's report).
//!
//!
//! **RCTab's rounds** ([`SurplusRule::AllAtOnce`]). Each round every ballot counts for its current candidate while that candidate
//! is continuing; otherwise the ballot is scanned from its first rank:
//! 1. with surpluses (STV) and every seat filled, it is inactive as
//!    *final-round surplus*;
//! 2. a marked rank more than `max_skipped_ranks + 1` after the previous marked
//!    rank makes it inactive (*skipped rankings*); marks of eliminated candidates
//!    still count as marks, trailing blanks never exhaust;
//! 3. with [`DuplicateRule::Exhaust`], a candidate marked a second time makes it
//!    inactive (*repeated rankings*);
//! 4. a rank with several candidates is an overvote, handled by [`OvervoteRule`]
//!    (exhausting gives *overvotes*; skipping the last marked rank gives
//!    *exhausted choices*);
//! 5. the first continuing candidate of the rank gets the ballot;
//! 6. past its last marked rank it is inactive (*exhausted choices*).
//!
//! Ballots marking nobody are undervotes, reported apart. Marks beyond
//! `max_rankings` are ignored.
//!
//! Single winner: threshold `floor(active / 2) + 1`, recomputed every round (also
//! under `continue_until_two`, as RCTab's `Tabulator.tabulate` does; with
//! `first_round_threshold`, round 1's holds). Several
//! seats: the Droop threshold from round 1's active votes, whole
//! (`floor(V / (S + 1)) + 1`) or fractional (`floor(V / (S + 1))` to `decimals`
//! places plus `10^-decimals`); every candidate reaching it is elected in that round
//! and each of its ballots passes on `value × fraction`, where
//! `fraction = surplus / votes`; both truncated to `decimals` places (rounding
//! leftovers are *residual surplus*). After the last seat one more round shows the
//! final surpluses.
//!
//! With `hare_quota` (RCTab's `hareQuota`) the divisor is `S`, rounded up; no
//! threshold is below `minimum_votes`. [`WinnerMode`] chooses how many of those
//! reaching it are elected in a round (all, or the one with most votes), or
//! (`BottomsUp`) elects nobody until as many candidates remain as seats, with no
//! surpluses, or (`BottomsUpPercentage`) until every continuing candidate has
//! more than a percentage of the round's active votes (threshold recomputed
//! every round). More seats than candidates: every candidate is elected.
//! `stop_after_round` ends the count after that round, winners or not.
//!
//! Eliminations, one kind per round: undeclared write-ins first while they hold
//! votes (nobody is elected while they do); then every candidate below
//! `minimum_votes`; then, with `batch_elimination`, the
//! largest set of lowest candidates whose combined votes are below the next
//! candidate's (only when it has more than one candidate); else the lowest, ties
//! broken by [`TieBreakMode`]. A tie under the modes that ask an operator
//! (RCTab's `stopCountingAndAsk`) ends the count with [`RcvError::TieNeedsOperator`].
//!
//! Arithmetic is exact fixed point with `decimals` places (integers scaled by
//! `10^decimals`, [`RcvCount::scale`]).
//!
//! **The API's STV** ([`SurplusRule::OneAtATime`]): the same ballot scan, one
//! surplus or one exclusion per stage, see [`stages`].

mod ballots;
mod counter;
mod preset;
mod record;
pub(crate) mod report;
mod rules;
mod stages;
#[cfg(test)]
mod tests;
mod threshold;
mod ties;

#[cfg(test)]
pub(crate) use record::pairs;
pub use record::{InactiveReason, RcvCount, RcvError};
pub use rules::{
    DuplicateRule, OvervoteRule, RcvRules, SurplusRule, ThresholdRule, TieBreakMode, WinnerMode,
    MAX_DECIMALS,
};
pub(crate) use ties::java_hash_map_order;
pub use ties::JavaRandom;

use crate::tally::types::Election;
use counter::Counter;

/// Counts `election` for `seats` seats under `rules`. Candidate order (indexes) is
/// the order [`TieBreakMode::CandidateOrder`] follows; names are used to sort
/// random tie-breaks as RCTab does.
pub fn count_rcv(election: &Election, seats: u32, rules: &RcvRules) -> Result<RcvCount, RcvError> {
    let mut counter = Counter::start(election, seats, rules)?;
    match rules.surplus {
        SurplusRule::AllAtOnce => counter.count_rounds()?,
        SurplusRule::OneAtATime => counter.count_stages()?,
    }
    Ok(counter.finish())
}
