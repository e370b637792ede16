//! Who may see a contest's results and its ballots, and when: its admins
//! always; the public per the contest's `results_visibility`. One place, so
//! the results, their stream, the embedded views and the ballot export agree.

use chrono::Utc;

use crate::domain::{Contest, Phase, ResultsVisibility};
use crate::error::{AppError, AppResult};

/// The 403 for results (or ballots, `what`) the caller may not see yet, saying
/// when they become visible.
pub fn visibility_error(contest: &Contest, what: &str) -> AppError {
    let detail = match contest.results_visibility {
        ResultsVisibility::Hidden => format!(
            "the organiser keeps this contest's results hidden; its {what} are visible to its admins only"
        ),
        _ => match contest.schedule.voting_close_at {
            Some(at) => format!(
                "this contest's {what} become public when voting closes, scheduled for {}",
                at.to_rfc3339()
            ),
            None => format!(
                "this contest's {what} become public when the organiser closes voting"
            ),
        },
    };
    AppError::forbidden("results_not_visible", detail)
}

/// Who may see results: admins always; the public per `results_visibility`.
pub fn check_visible(contest: &Contest, is_admin: bool, phase: Phase) -> AppResult<()> {
    let public = match contest.results_visibility {
        ResultsVisibility::Live => true,
        ResultsVisibility::AfterClose => phase == Phase::Closed,
        ResultsVisibility::Hidden => false,
    };
    if is_admin || public {
        Ok(())
    } else {
        Err(visibility_error(contest, "results"))
    }
}

/// Whether the public may see the contest's results in `phase` (so they may be
/// cached publicly).
pub fn is_public(contest: &Contest, phase: Phase) -> bool {
    check_visible(contest, false, phase).is_ok()
}

/// Who may download a contest's ballots: its admins at any time; anyone once
/// voting has closed, unless results are hidden.
pub fn check_export_visible(contest: &Contest, is_admin: bool) -> AppResult<()> {
    if is_admin {
        return Ok(());
    }
    let closed = contest.phase_at(Utc::now()) == Phase::Closed;
    match contest.results_visibility {
        ResultsVisibility::Hidden => Err(visibility_error(contest, "ballots")),
        _ if closed => Ok(()),
        _ => Err(visibility_error(contest, "ballots")),
    }
}
