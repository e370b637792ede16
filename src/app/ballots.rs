//! Ballots: a voter casts, replaces, reads or withdraws their one ballot while
//! voting is open.
//!
//! A cast costs no database round trip of its own when all is well: the
//! ranking is checked against the candidates of the voter's contest snapshot
//! (fixed once voting opened, see `voter::voter_context`), and the write joins
//! a batch of concurrent writes (`app::batcher`: group commit) whose statement
//! checks that voting is open by the database's clock (see `db::ballots`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::RngCore;
use uuid::Uuid;

use super::batcher::{Outcome, Write};
use super::voter::{voter_context, Voter};
use super::App;
use crate::db::{self, Conn};
use crate::domain::{
    BallotCandidate, BallotReadback, Contest, ContestId, Phase, Ranking, SuggestionStatus,
};
use crate::error::{AppError, AppResult};

/// A ballot as its voter sees it: the ranking as suggestion ids.
#[derive(Debug, Clone)]
pub struct Ballot {
    pub ranking: Vec<Uuid>,
    pub receipt: String,
    pub updated_at: DateTime<Utc>,
}

/// A cast ballot, and whether the cast created it (rather than replaced one).
#[derive(Debug, Clone)]
pub struct Cast {
    pub ballot: Ballot,
    pub created: bool,
}

/// A fresh receipt: 128 random bits as 32 lowercase hex digits.
fn new_receipt() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The 409 for a ballot request outside the voting phase.
pub fn not_voting(contest: &Contest, now: DateTime<Utc>) -> AppError {
    let phase = contest.phase_at(now);
    let detail = match phase {
        Phase::Closed => "voting has closed; ballots can no longer change".to_owned(),
        _ => match contest.schedule.voting_open_at {
            Some(at) => format!(
                "the contest is `{phase}`; voting opens at {}",
                at.to_rfc3339()
            ),
            None => format!("the contest is `{phase}`; voting has not opened yet"),
        },
    };
    AppError::conflict("wrong_phase", detail)
}

fn load_contest(conn: &mut Conn, id: ContestId) -> AppResult<Contest> {
    db::contests::find(conn, id)?.ok_or_else(|| AppError::not_found("contest"))
}

/// Why a suggestion id is not a candidate, when the suggestion exists.
pub fn explain_entries(
    conn: &mut Conn,
    contest: ContestId,
    ids: &[Uuid],
) -> AppResult<Vec<(Uuid, String)>> {
    Ok(db::ballots::entry_states(conn, contest, ids)?
        .into_iter()
        .map(|row| {
            let id = row.id;
            let why = match (row.status, row.merged_into) {
                (SuggestionStatus::Merged, Some(target)) => {
                    format!("{id} was merged into {target}; rank {target} instead")
                }
                (SuggestionStatus::Rejected, _) => {
                    format!("{id} was rejected; it is not on the ballot")
                }
                (SuggestionStatus::Pending, _) => {
                    format!("{id} awaits moderation; it is not on the ballot")
                }
                (other, _) => format!("{id} is `{other}`, not a candidate on the ballot"),
            };
            (id, why)
        })
        .collect())
}

/// The contest's candidates for a ballot write, if it is voting now: from the
/// voter's snapshot when that says so, else from a fresh read, which also
/// decides the 409.
async fn voting_candidates(
    app: &App,
    voter: &Voter,
) -> AppResult<(Contest, Arc<Vec<BallotCandidate>>)> {
    let now = Utc::now();
    if voter.contest.phase_at(now) == Phase::Voting {
        if let Some(candidates) = &voter.candidates {
            return Ok((voter.contest.clone(), candidates.clone()));
        }
    }
    let ctx = voter_context(app, voter.contest_id(), true).await?;
    match (&ctx.candidates, ctx.contest.phase_at(now)) {
        (Some(candidates), Phase::Voting) => Ok((ctx.contest.clone(), candidates.clone())),
        _ => Err(not_voting(&ctx.contest, now)),
    }
}

/// Casts or replaces the voter's ballot: `ids` are suggestion ids, first
/// preference first. Returns only after the write committed. A ranking that
/// is not valid is a 422 saying why for each entry; outside voting, a 409.
pub async fn cast(app: &App, voter: &Voter, ids: Vec<Uuid>) -> AppResult<Cast> {
    let id = voter.contest_id();
    let voter_hash = voter.voter_hash.0;
    let (contest, candidates) = voting_candidates(app, voter).await?;
    let ranking = match Ranking::parse(&ids, &candidates, contest.max_rankings, &|_| None) {
        Ok(r) => r,
        Err(_) => {
            // Look the offenders up once, to say why each is refused.
            let known = {
                let ids = ids.clone();
                app.db(move |conn| explain_entries(conn, id, &ids)).await?
            };
            let explain = |u: Uuid| known.iter().find(|(k, _)| *k == u).map(|(_, m)| m.clone());
            let errors = Ranking::parse(&ids, &candidates, contest.max_rankings, &explain)
                .err()
                .unwrap_or_default();
            return Err(AppError::validation(errors));
        }
    };
    let receipt = new_receipt();
    let write = Write::Cast { ranking, receipt };
    match app.ballot_writer.submit(id, voter_hash, write).await? {
        Outcome::Cast {
            created,
            receipt,
            updated_at,
        } => Ok(Cast {
            ballot: Ballot {
                ranking: ids,
                receipt,
                updated_at,
            },
            created,
        }),
        // The contest left the voting phase (by the database's clock) before
        // the write: say why from a fresh read.
        Outcome::NotVoting => {
            let ctx = voter_context(app, id, true).await?;
            Err(not_voting(&ctx.contest, Utc::now()))
        }
        other => Err(AppError::Unexpected(anyhow::anyhow!(
            "a cast answered as {other:?}"
        ))),
    }
}

/// A voter's ballot as `GET …/ballot` reads it back: the ranking only when
/// the contest's `ballot_readback` is `full`.
#[derive(Debug, Clone)]
pub struct ReadBack {
    /// `None` under `receipt_only`.
    pub ranking: Option<Vec<Uuid>>,
    pub receipt: String,
    pub updated_at: DateTime<Utc>,
}

/// The voter's ballot; 404 if they have none. Under `ballot_readback:
/// receipt_only` the ranking is left out: whoever holds a voter's credential
/// (the organisation minting `jwt` voter tokens, an admin who kept the codes)
/// learns that and when the voter voted, not how (docs/SECURITY.md S3). The
/// setting is fixed once voting opens, so the voter's snapshot has it right.
pub async fn read(app: &App, voter: &Voter) -> AppResult<ReadBack> {
    let id = voter.contest_id();
    let voter_hash = voter.voter_hash.0;
    let known = voter.candidates.clone();
    let full = voter.contest.ballot_readback == BallotReadback::Full;
    app.db(move |conn| {
        let Some(own) = db::ballots::find_own(conn, id, &voter_hash)? else {
            return Err(AppError::NotFound(
                "you have no ballot in this contest".into(),
            ));
        };
        let ranking = if full {
            let candidates = match known {
                Some(c) => c,
                None => Arc::new(db::ballots::candidates(conn, id)?),
            };
            Some(
                own.ranking
                    .numbers()
                    .iter()
                    .filter_map(|n| candidates.iter().find(|c| c.number == *n).map(|c| c.id))
                    .collect(),
            )
        } else {
            None
        };
        Ok(ReadBack {
            ranking,
            receipt: own.receipt,
            updated_at: own.updated_at,
        })
    })
    .await
}

/// Withdraws the voter's ballot: it is no longer counted. 404 without a
/// ballot, 409 outside voting. Goes through the same batches as casts.
pub async fn withdraw(app: &App, voter: &Voter) -> AppResult<()> {
    let id = voter.contest_id();
    let voter_hash = voter.voter_hash.0;
    match app
        .ballot_writer
        .submit(id, voter_hash, Write::Withdraw)
        .await?
    {
        Outcome::Withdrawn => Ok(()),
        Outcome::NoBallot => Err(AppError::NotFound(
            "you have no ballot in this contest".into(),
        )),
        Outcome::NotVoting => {
            let contest = app.db(move |conn| load_contest(conn, id)).await?;
            Err(not_voting(&contest, Utc::now()))
        }
        other => Err(AppError::Unexpected(anyhow::anyhow!(
            "a withdrawal answered as {other:?}"
        ))),
    }
}
