//! `/v1/contests/{id}/ballot`: a voter casts, replaces, reads or withdraws their
//! one ballot while voting is open (the use cases are `app::ballots`).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::extract::{parse_id, JsonBody};
use super::voter::Voter;
use super::AppState;
use crate::app::ballots::{self, Ballot, ReadBack};
use crate::domain::ContestId;
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

impl From<Ballot> for BallotView {
    fn from(b: Ballot) -> Self {
        BallotView {
            ranking: b.ranking,
            receipt: b.receipt,
            updated_at: b.updated_at,
        }
    }
}

/// `GET …/ballot`: the ranking only under `ballot_readback: full`
/// (docs/SECURITY.md S3).
#[derive(Debug, Serialize)]
pub struct ReadBackView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<Uuid>>,
    pub receipt: String,
    pub updated_at: DateTime<Utc>,
}

impl From<ReadBack> for ReadBackView {
    fn from(b: ReadBack) -> Self {
        ReadBackView {
            ranking: b.ranking,
            receipt: b.receipt,
            updated_at: b.updated_at,
        }
    }
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

/// `PUT /v1/contests/{id}/ballot {ranking}` → `201` (new) or `200` (replaced)
/// `{ranking, receipt, updated_at}`, answered only after the write committed.
pub async fn put(
    state: web::Data<AppState>,
    voter: Voter,
    path: web::Path<String>,
    JsonBody(body): JsonBody<CastBody>,
) -> AppResult<HttpResponse> {
    voter_contest(&voter, &path)?;
    let cast = ballots::cast(&state, &voter, body.ranking).await?;
    let mut response = if cast.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response
        .insert_header(("Cache-Control", "no-store"))
        .json(BallotView::from(cast.ballot)))
}

/// `GET /v1/contests/{id}/ballot` → the voter's ballot (without its ranking
/// when the contest's `ballot_readback` is `receipt_only`), or 404 if they
/// have none.
pub async fn get(
    state: web::Data<AppState>,
    voter: Voter,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    voter_contest(&voter, &path)?;
    let ballot = ballots::read(&state, &voter).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ReadBackView::from(ballot)))
}

/// `DELETE /v1/contests/{id}/ballot` → 204: the ballot is withdrawn and no longer
/// counted. 404 without a ballot, 409 outside voting.
pub async fn delete(
    state: web::Data<AppState>,
    voter: Voter,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    voter_contest(&voter, &path)?;
    ballots::withdraw(&state, &voter).await?;
    Ok(HttpResponse::NoContent().finish())
}
