//! The [`Voter`] extractor: a participant endpoint (`/v1/contests/{contest_id}/…`)
//! takes a `Voter` argument, read from `Authorization: Bearer <voter token>` and
//! checked by `app::voter::authenticate` against the path's contest (which
//! tokens it accepts, and why it refuses others, is documented there). No token,
//! or a token it refuses, is a 401 problem+json; a contest that does not exist
//! or is still a draft is a 404.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::auth::bearer_token;
use super::extract::parse_id;
use super::AppState;
use crate::app::voter::authenticate;
pub use crate::app::voter::{issue_token, IssuedToken, Voter, VoterHash};
use crate::domain::ContestId;
use crate::error::{AppError, AppResult};

fn state_of(req: &HttpRequest) -> AppResult<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("application state missing")))
}

/// The contest id of the request path (`{contest_id}`).
fn path_contest(req: &HttpRequest) -> AppResult<ContestId> {
    let raw = req.match_info().get("contest_id").ok_or_else(|| {
        AppError::Unexpected(anyhow::anyhow!(
            "Voter used on a path without {{contest_id}}"
        ))
    })?;
    parse_id(raw, "contest")
}

impl FromRequest for Voter {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let contest_id = path_contest(req);
        let token = bearer_token(req);
        let state = state_of(req);
        Box::pin(async move {
            let contest_id = contest_id?;
            let token = token?.ok_or_else(|| {
                AppError::Unauthorized(
                    "this needs a voter token: send `Authorization: Bearer <voter token>` (POST /v1/contests/{id}/voters issues one)".into(),
                )
            })?;
            let state = state?;
            authenticate(&state, contest_id, &token).await
        })
    }
}
