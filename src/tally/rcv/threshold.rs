//! The winning threshold of a round.

use super::rules::{RcvRules, ThresholdRule};

/// The winning threshold of `round` (RCTab `Tabulator.tabulate` and
/// `calculateAndSetWinningThreshold`), in units of `one` per vote, `active`
/// being the round's votes held by continuing candidates and `previous` the
/// last round's threshold: several seats, or one seat with
/// `first_round_threshold`, keep round 1's; otherwise it is worked out from
/// `active`; RCTab's `bottomsUpUsingPercentageThreshold` recomputes
/// `active × percent` every round. Never below `minimum_votes`. The API's IRV majority
/// (`floor(continuing / 2) + 1`) and STV Droop quota (`floor(V / (seats + 1))
/// + 1`, fixed from round 1) are [`ThresholdRule::DroopWhole`].
pub(super) fn threshold(
    rules: &RcvRules,
    seats: u32,
    one: u128,
    active: u128,
    round: u32,
    previous: Option<u128>,
) -> u128 {
    let percentage = rules.winner_mode.percentage_fraction(rules.decimals);
    // `bottomsUpUsingPercentageThreshold` has numberOfWinners 0: recomputed
    // every round, as for one seat.
    let seats_keep = seats > 1 && percentage.is_none();
    if round > 1 && (seats_keep || rules.first_round_threshold) {
        return previous.unwrap_or(0);
    }
    let seats = seats as u128;
    let threshold = match (percentage, rules.threshold) {
        // active × fraction, exact: with no surpluses every vote is whole,
        // so `active` is a multiple of `one`.
        (Some(fraction), _) => active / one * fraction,
        (None, ThresholdRule::DroopFractional) => active / (seats + 1) + 1,
        (None, ThresholdRule::DroopWhole) => (active / one / (seats + 1)) * one + one,
        (None, ThresholdRule::HareWhole) => active.div_ceil(one * seats) * one,
    };
    threshold.max(u128::from(rules.minimum_votes) * one)
}
