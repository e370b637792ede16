//! The winning threshold of a round.

use super::rules::{RcvRules, ThresholdRule};

/// The winning threshold of `round` (RCTab `Tabulator.tabulate` and
/// `calculateAndSetWinningThreshold`), in units of `one` per vote, `active`
/// being the round's votes held by continuing candidates and `previous` the
/// last round's threshold: several seats, or one seat with
/// `first_round_threshold`, keep round 1's; otherwise it is worked out from
/// `active`. Never below `minimum_votes`. The API's IRV majority
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
    if round > 1 && (seats > 1 || rules.first_round_threshold) {
        return previous.unwrap_or(0);
    }
    let seats = seats as u128;
    let threshold = match rules.threshold {
        ThresholdRule::DroopFractional => active / (seats + 1) + 1,
        ThresholdRule::DroopWhole => (active / one / (seats + 1)) * one + one,
        ThresholdRule::HareWhole => active.div_ceil(one * seats) * one,
        ThresholdRule::HareFractional => active.div_ceil(seats),
    };
    threshold.max(u128::from(rules.minimum_votes) * one)
}
