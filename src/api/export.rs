//! `GET /v1/contests/{id}/ballots?format=csv|preflib|blt`: the anonymised ballots,
//! for anyone to re-count a published result.
//!
//! Every format lists the same ballots in the same stable order (see
//! `app::ballot_set`); the canonical CSV's SHA-256, the results'
//! `ballot_digest`, is also sent as `X-Ballot-Digest`. With a read replica
//! (`DATABASE_READ_URL`) the export waits until the replica has replayed past
//! the primary's position at the request (`app::feed::settle_replica`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::MaybeAdmin;
use super::extract::parse_id;
use super::AppState;
use crate::app::ballot_set::{export, ExportFormat};
use crate::app::feed::settle_replica;
use crate::domain::ContestId;
use crate::error::AppResult;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    #[serde(default)]
    pub format: Option<String>,
}

/// The media type and file extension of each format.
fn media_of(format: ExportFormat) -> (&'static str, &'static str) {
    match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Preflib => ("text/plain; charset=utf-8", "soi"),
        ExportFormat::Blt => ("text/plain; charset=utf-8", "blt"),
    }
}

/// `GET /v1/contests/{id}/ballots?format=csv|preflib|blt` (default csv).
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeAdmin,
    path: web::Path<String>,
    query: web::Query<ExportQuery>,
    _req: HttpRequest,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let format = ExportFormat::parse(query.format.as_deref())?;
    // The ballots are read on the read pool: with a replica, first let it
    // replay everything committed so far (a close, its last ballots), so the
    // export is complete and matches the final result's digest.
    settle_replica(&state).await?;
    let exported = export(&state, caller.0, id, format).await?;
    let (content_type, ext) = media_of(format);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"ballots-{id}.{ext}\""),
        ))
        .insert_header(("X-Ballot-Digest", exported.digest))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Authorization"))
        .body(exported.body))
}
