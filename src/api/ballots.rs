//! `/v1/contests/{id}/ballot`: a voter casts, replaces, reads or withdraws their
//! one ballot while voting is open.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::extract::{parse_id, JsonBody};
use super::voter::{voter_context, Voter};
use super::AppState;
use crate::db;
use crate::domain::{BallotCandidate, Contest, ContestId, Phase, Ranking};
use crate::error::{AppError, AppResult};

/// `PUT …/ballot` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CastBody {
    /// Suggestion ids, first preference first.
    pub ranking: Vec<Uuid>,
}

/// A ballot as its voter sees it.
#[derive(Debug, Serialize)]
pub struct BallotView {
    pub ranking: Vec<Uuid>,
    pub receipt: String,
    pub updated_at: DateTime<Utc>,
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

/// The voter's contest, checked against the path (the `Voter` extractor binds
/// the token to the path's contest already; this keeps the handler honest).
fn voter_contest(voter: &Voter, raw: &str) -> AppResult<ContestId> {
    let id: ContestId = parse_id(raw, "contest")?;
    if voter.contest_id() != id {
        return Err(AppError::Unauthorized(
            "this voter token belongs to another contest".into(),
        ));
    }
    Ok(id)
}

fn load_contest(conn: &mut diesel::PgConnection, id: ContestId) -> AppResult<Contest> {
    db::contests::find(conn, id)?.ok_or_else(|| AppError::not_found("contest"))
}

/// The contest's current candidates, in candidate-number order.
pub fn ballot_candidates(
    conn: &mut diesel::PgConnection,
    id: ContestId,
) -> AppResult<Vec<BallotCandidate>> {
    Ok(db::suggestions::candidates(conn, id)?
        .into_iter()
        .map(|c| BallotCandidate {
            id: c.id.0,
            number: c.candidate_no,
            name: c.name,
        })
        .collect())
}

/// Why a suggestion id is not a candidate, when the suggestion exists.
fn explain_entries(
    conn: &mut diesel::PgConnection,
    contest: ContestId,
    ids: &[Uuid],
) -> AppResult<Vec<(Uuid, String)>> {
    use crate::db::schema::suggestions::dsl as s;
    use diesel::prelude::*;
    let rows: Vec<(Uuid, String, Option<Uuid>)> = s::suggestions
        .filter(s::contest_id.eq(contest.0))
        .filter(s::id.eq_any(ids))
        .select((s::id, s::status, s::merged_into))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, status, merged_into)| {
            let why = match (status.as_str(), merged_into) {
                ("merged", Some(target)) => {
                    format!("{id} was merged into {target}; rank {target} instead")
                }
                ("rejected", _) => format!("{id} was rejected; it is not on the ballot"),
                ("pending", _) => format!("{id} awaits moderation; it is not on the ballot"),
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
    state: &AppState,
    voter: &Voter,
) -> AppResult<(Contest, Arc<Vec<BallotCandidate>>)> {
    let now = Utc::now();
    if voter.contest.phase_at(now) == Phase::Voting {
        if let Some(candidates) = &voter.candidates {
            return Ok((voter.contest.clone(), candidates.clone()));
        }
    }
    let ctx = voter_context(state, voter.contest_id(), true).await?;
    match (&ctx.candidates, ctx.contest.phase_at(now)) {
        (Some(candidates), Phase::Voting) => Ok((ctx.contest.clone(), candidates.clone())),
        _ => Err(not_voting(&ctx.contest, now)),
    }
}

/// `PUT /v1/contests/{id}/ballot {ranking}` → `201` (new) or `200` (replaced)
/// `{ranking, receipt, updated_at}`, answered only after the write committed.
///
/// One database round trip when all is well: the ranking is checked against
/// the candidates of the voter's contest snapshot (fixed once voting opened),
/// and the write itself checks that voting is open by the database's clock.
pub async fn put(
    state: web::Data<AppState>,
    voter: Voter,
    path: web::Path<String>,
    JsonBody(body): JsonBody<CastBody>,
) -> AppResult<HttpResponse> {
    let id = voter_contest(&voter, &path)?;
    let voter_hash = voter.voter_hash.0;
    let (contest, candidates) = voting_candidates(&state, &voter).await?;
    let ids = body.ranking;
    let ranking = match Ranking::parse(&ids, &candidates, contest.max_rankings, &|_| None) {
        Ok(r) => r,
        Err(_) => {
            // Look the offenders up once, to say why each is refused.
            let known = {
                let ids = ids.clone();
                state
                    .db(move |conn| explain_entries(conn, id, &ids))
                    .await?
            };
            let explain = |u: Uuid| known.iter().find(|(k, _)| *k == u).map(|(_, m)| m.clone());
            let errors = Ranking::parse(&ids, &candidates, contest.max_rankings, &explain)
                .err()
                .unwrap_or_default();
            return Err(AppError::validation(errors));
        }
    };
    let receipt = new_receipt();
    let cast = state
        .db(move |conn| {
            Ok(db::ballots::cast(
                conn,
                id,
                &voter_hash,
                &ranking,
                &receipt,
            )?)
        })
        .await?;
    let Some(row) = cast else {
        // The contest left the voting phase (by the database's clock) before
        // the write: say why from a fresh read.
        let ctx = voter_context(&state, id, true).await?;
        return Err(not_voting(&ctx.contest, Utc::now()));
    };
    let view = BallotView {
        ranking: ids,
        receipt: row.receipt,
        updated_at: row.updated_at,
    };
    let mut response = if row.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}

/// `GET /v1/contests/{id}/ballot` → the voter's ballot, or 404 if they have none.
pub async fn get(
    state: web::Data<AppState>,
    voter: Voter,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = voter_contest(&voter, &path)?;
    let voter_hash = voter.voter_hash.0;
    let known = voter.candidates.clone();
    let view = state
        .db(move |conn| {
            let Some(own) = db::ballots::find_own(conn, id, &voter_hash)? else {
                return Err(AppError::NotFound(
                    "you have no ballot in this contest".into(),
                ));
            };
            let candidates = match known {
                Some(c) => c,
                None => Arc::new(ballot_candidates(conn, id)?),
            };
            let ranking = own
                .ranking
                .numbers()
                .iter()
                .filter_map(|n| candidates.iter().find(|c| c.number == *n).map(|c| c.id))
                .collect();
            Ok(BallotView {
                ranking,
                receipt: own.receipt,
                updated_at: own.updated_at,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}

/// `DELETE /v1/contests/{id}/ballot` → 204: the ballot is withdrawn and no longer
/// counted. 404 without a ballot, 409 outside voting.
pub async fn delete(
    state: web::Data<AppState>,
    voter: Voter,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = voter_contest(&voter, &path)?;
    let voter_hash = voter.voter_hash.0;
    state
        .db(
            move |conn| match db::ballots::withdraw(conn, id, &voter_hash)? {
                Some(true) => Ok(()),
                Some(false) => Err(AppError::NotFound(
                    "you have no ballot in this contest".into(),
                )),
                None => Err(not_voting(&load_contest(conn, id)?, Utc::now())),
            },
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
