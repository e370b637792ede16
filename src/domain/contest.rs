//! Contest settings, phases and the schedule.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tally::Method;

/// Declares a closed set of names stored as text (with a CHECK constraint in the
/// schema) and sent as snake_case strings in JSON.
macro_rules! name_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stored or sent name; the error lists the allowed names.
            pub fn parse(raw: &str) -> Result<Self, String> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "`{}` is not one of: {}",
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

name_enum!(
    /// Where a contest is in its life. Phases only move forward.
    Phase {
        Draft = "draft",
        Suggesting = "suggesting",
        Voting = "voting",
        Closed = "closed",
    }
);

name_enum!(
    /// Who may vote and how a voter gets a token.
    Electorate {
        Open = "open",
        Codes = "codes",
        Jwt = "jwt",
    }
);

name_enum!(
    /// `pre`: suggestions wait for approval; `post`: visible at once, removable.
    Moderation {
        Pre = "pre",
        Post = "post",
    }
);

name_enum!(
    /// Where a suggestion stands in moderation. `merged` ones live on as aliases
    /// of the suggestion they were merged into.
    SuggestionStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Merged = "merged",
    }
);

name_enum!(
    /// Who may see results, and when.
    ResultsVisibility {
        Live = "live",
        AfterClose = "after_close",
        Hidden = "hidden",
    }
);

name_enum!(
    /// What `GET …/ballot` reads back to whoever holds a voter's credential
    /// (docs/SECURITY.md S3): `full`, the ranking with the receipt and time; or
    /// `receipt_only`, the receipt and time but not the ranking — for contests
    /// where someone other than the voter may hold the credential (an
    /// organisation minting `jwt` voter tokens, an admin who kept the codes).
    BallotReadback {
        Full = "full",
        ReceiptOnly = "receipt_only",
    }
);

impl Phase {
    /// The only phase this one may move to, if any.
    pub fn next(self) -> Option<Phase> {
        match self {
            Phase::Draft => Some(Phase::Suggesting),
            Phase::Suggesting => Some(Phase::Voting),
            Phase::Voting => Some(Phase::Closed),
            Phase::Closed => None,
        }
    }

    /// Checks a manual move from `self` to `to`: one step forward only.
    pub fn check_move(self, to: Phase) -> Result<(), String> {
        match self.next() {
            Some(next) if next == to => Ok(()),
            Some(next) => Err(format!(
                "the contest is in `{self}`; phases move forward one step at a time, so the only move now is to `{next}`"
            )),
            None => Err(format!(
                "the contest is `{self}`; a closed contest cannot change phase"
            )),
        }
    }
}

/// Optional times at which the phase moves forward by itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub suggestions_open_at: Option<DateTime<Utc>>,
    pub voting_open_at: Option<DateTime<Utc>>,
    pub voting_close_at: Option<DateTime<Utc>>,
}

impl Schedule {
    pub fn is_empty(&self) -> bool {
        self.suggestions_open_at.is_none()
            && self.voting_open_at.is_none()
            && self.voting_close_at.is_none()
    }

    /// The times in phase order, with the phase each one opens.
    pub fn steps(&self) -> [(Phase, Option<DateTime<Utc>>); 3] {
        [
            (Phase::Suggesting, self.suggestions_open_at),
            (Phase::Voting, self.voting_open_at),
            (Phase::Closed, self.voting_close_at),
        ]
    }

    /// The time at which `phase` starts by schedule, if one is set.
    pub fn time_of(&self, phase: Phase) -> Option<DateTime<Utc>> {
        self.steps()
            .into_iter()
            .find(|(p, _)| *p == phase)
            .and_then(|(_, t)| t)
    }

    /// Checks that the times that are set come in phase order, strictly.
    pub fn check_order(&self) -> Result<(), (&'static str, String)> {
        let names = ["suggestions_open_at", "voting_open_at", "voting_close_at"];
        let mut previous: Option<(usize, DateTime<Utc>)> = None;
        for (i, (_, time)) in self.steps().into_iter().enumerate() {
            if let Some(t) = time {
                if let Some((j, p)) = previous {
                    if t <= p {
                        return Err((
                            names[i],
                            format!("must be later than {} ({})", names[j], p.to_rfc3339()),
                        ));
                    }
                }
                previous = Some((i, t));
            }
        }
        Ok(())
    }

    /// The phase a contest stored in `stored` is in at `now`: the stored phase,
    /// moved forward by every schedule time that has passed. Never moves back.
    pub fn effective_phase(&self, stored: Phase, now: DateTime<Utc>) -> Phase {
        self.steps()
            .into_iter()
            .filter(|(_, t)| t.is_some_and(|t| t <= now))
            .map(|(p, _)| p)
            .fold(stored, Ord::max)
    }
}

/// Limits on contest settings, shared by create and patch (and mirrored by the
/// schema's CHECK constraints).
pub const MAX_SEATS: i32 = 100;
pub const MAX_SUGGESTIONS_PER_PARTICIPANT: i32 = 100;
pub const MAX_RANKINGS: i32 = 1_000;
/// Bounds and default of `live_results_min_batch` (docs/SECURITY.md S4).
pub const MAX_LIVE_RESULTS_MIN_BATCH: i32 = 1_000;
pub const DEFAULT_LIVE_RESULTS_MIN_BATCH: i32 = 5;
/// The largest per-contest `open_voter_limit` (tokens per address and window).
pub const MAX_OPEN_VOTER_LIMIT: i32 = 100_000;

/// A counting method by its exact snake_case name (as the API and the database
/// write it); the error lists the names.
pub fn parse_method(raw: &str) -> Result<Method, String> {
    Method::ALL
        .into_iter()
        .find(|m| m.name() == raw)
        .ok_or_else(|| {
            let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
            format!("`{raw}` is not one of: {}", names.join(", "))
        })
}

/// Cross-field rules of a contest's settings.
pub fn check_seats(method: Method, seats: i32) -> Result<(), String> {
    if !(1..=MAX_SEATS).contains(&seats) {
        return Err(format!("seats must be between 1 and {MAX_SEATS}"));
    }
    if seats > 1 && method != Method::Stv {
        return Err(format!(
            "seats > 1 needs method `stv`; `{method}` elects one winner"
        ));
    }
    Ok(())
}

/// A stored contest, with its settings parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contest {
    pub id: super::ContestId,
    pub org_id: super::OrgId,
    pub slug: Option<String>,
    pub title: String,
    pub description: String,
    pub method: Method,
    pub seats: i32,
    pub electorate: Electorate,
    pub moderation: Moderation,
    pub results_visibility: ResultsVisibility,
    pub max_suggestions_per_participant: i32,
    pub max_rankings: Option<i32>,
    /// Live results advance in steps of at least this many ballot writes
    /// (docs/SECURITY.md S4; see `app::results`).
    pub live_results_min_batch: i32,
    /// What a voter's credential reads back (docs/SECURITY.md S3).
    pub ballot_readback: BallotReadback,
    /// Open-electorate voter tokens one client address may get per window
    /// (`app::voters::OpenVoterLimit`); `None`: the instance's default; 0:
    /// no limit. Shared networks (a school, a library) need more.
    pub open_voter_limit: Option<i32>,
    /// The phase last written; see [`Contest::phase_at`] for the current one.
    pub stored_phase: Phase,
    pub schedule: Schedule,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contest {
    /// The phase at `now`: the stored phase moved forward by the schedule.
    pub fn phase_at(&self, now: DateTime<Utc>) -> Phase {
        self.schedule.effective_phase(self.stored_phase, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn phases_move_one_step_forward_only() {
        assert!(Phase::Draft.check_move(Phase::Suggesting).is_ok());
        assert!(Phase::Draft.check_move(Phase::Voting).is_err());
        assert!(Phase::Voting.check_move(Phase::Suggesting).is_err());
        assert!(Phase::Closed.check_move(Phase::Closed).is_err());
    }

    #[test]
    fn schedule_moves_the_phase_forward_but_never_back() {
        let s = Schedule {
            suggestions_open_at: Some(at(1)),
            voting_open_at: Some(at(2)),
            voting_close_at: Some(at(3)),
        };
        assert_eq!(s.effective_phase(Phase::Draft, at(0)), Phase::Draft);
        assert_eq!(s.effective_phase(Phase::Draft, at(1)), Phase::Suggesting);
        assert_eq!(s.effective_phase(Phase::Suggesting, at(2)), Phase::Voting);
        assert_eq!(s.effective_phase(Phase::Closed, at(0)), Phase::Closed);
        assert_eq!(s.effective_phase(Phase::Draft, at(5)), Phase::Closed);
    }

    #[test]
    fn schedule_times_must_be_in_order() {
        let s = Schedule {
            suggestions_open_at: Some(at(3)),
            voting_open_at: None,
            voting_close_at: Some(at(2)),
        };
        assert_eq!(s.check_order().unwrap_err().0, "voting_close_at");
        assert!(Schedule::default().check_order().is_ok());
    }

    #[test]
    fn seats_above_one_need_stv() {
        assert!(check_seats(Method::Stv, 3).is_ok());
        assert!(check_seats(Method::Irv, 2).is_err());
        assert!(check_seats(Method::Irv, 0).is_err());
    }
}
