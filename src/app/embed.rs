//! What the embedded views (the embed page, the SVG chart) read about a
//! contest: exactly what `GET …/results` shows the public, or why and until
//! when there is nothing to show, and who may frame the page.

use chrono::Utc;

use super::results::{result_for, visible_contest, CachedResult};
use super::App;
use crate::db;
use crate::domain::{Contest, ContestId, Phase, ResultsVisibility};
use crate::error::{AppError, AppResult};

/// A contest's public results, or the contest when the public may not see them
/// (yet).
pub enum PublicResults {
    Shown {
        contest: Contest,
        phase: Phase,
        result: CachedResult,
        /// Voting is open and results are live: they change as ballots come.
        live: bool,
    },
    NotYet {
        contest: Contest,
        phase: Phase,
    },
}

/// The public results of a published contest (404 for a draft or an unknown
/// one), through [`result_for`] — the function `GET …/results` uses — so both
/// show the same, from the same in-memory cache (contest and result).
pub async fn public_results(app: &App, id: ContestId) -> AppResult<PublicResults> {
    let contest = visible_contest(app, None, id).await?;
    let phase = contest.phase_at(Utc::now());
    let live = phase == Phase::Voting && contest.results_visibility == ResultsVisibility::Live;
    match result_for(app, contest.clone(), contest.method, false).await {
        Ok(result) => Ok(PublicResults::Shown {
            contest,
            phase,
            result,
            live,
        }),
        Err(AppError::Forbidden {
            code: "results_not_visible",
            ..
        }) => Ok(PublicResults::NotYet { contest, phase }),
        Err(e) => Err(e),
    }
}

/// The origins that may frame the contest's embed page: its organisation's
/// allowed origins (normalised `scheme://host[:port]`).
pub async fn frame_ancestors(app: &App, id: ContestId) -> AppResult<Vec<String>> {
    app.db(move |conn| Ok(db::origins::for_contest(conn, id)?))
        .await
}
