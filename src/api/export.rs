//! `GET /v1/contests/{id}/ballots?format=csv|preflib|blt`: the anonymised ballots,
//! for anyone to re-count a published result.
//!
//! Every format lists the same ballots in the same stable order: by receipt
//! (bytewise), never by time or voter. The CSV is the canonical export (written
//! by `formats::write_canonical_csv`); the `ballot_digest` of results is the
//! SHA-256 of exactly its bytes, also sent here as `X-Ballot-Digest`.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::PgConnection;
use serde::Deserialize;

use super::auth::MaybeAdmin;
use super::ballots::ballot_candidates;
use super::contests::load_visible;
use super::extract::parse_id;
use super::results::visibility_error;
use super::AppState;
use crate::db;
use crate::domain::{BallotCandidate, Contest, ContestId, Phase, ResultsVisibility};
use crate::error::{ApiError, ApiResult};
use crate::formats::{self, CsvBallot};
use crate::tally::{Ballot, CandidateIdx, Election};

/// A contest's counted ballots as the engine and the formats see them: candidate
/// names in candidate-number order, and each ballot's receipt with its ranking
/// as 0-based candidate indexes, ordered by receipt.
pub struct BallotSet {
    pub candidates: Vec<BallotCandidate>,
    pub ballots: Vec<(String, Vec<CandidateIdx>)>,
}

/// Maps stored candidate numbers to engine indexes (position in `candidates`).
/// A number that is no longer a candidate is left out of the ranking, as if the
/// voter had not ranked it.
pub fn index_of(candidates: &[BallotCandidate]) -> HashMap<i32, CandidateIdx> {
    candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.number, i as CandidateIdx))
        .collect()
}

pub fn to_indexes(numbers: &[i32], index: &HashMap<i32, CandidateIdx>) -> Vec<CandidateIdx> {
    numbers
        .iter()
        .filter_map(|n| index.get(n).copied())
        .collect()
}

impl BallotSet {
    /// Reads the contest's counted ballots (call inside a repeatable-read
    /// transaction when other reads must agree with it).
    pub fn load(conn: &mut PgConnection, id: ContestId) -> ApiResult<BallotSet> {
        let candidates = ballot_candidates(conn, id)?;
        let index = index_of(&candidates);
        let ballots = db::ballots::export_rows(conn, id)?
            .into_iter()
            .map(|(receipt, ranking)| (receipt, to_indexes(&ranking, &index)))
            .collect();
        Ok(BallotSet {
            candidates,
            ballots,
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.candidates.iter().map(|c| c.name.clone()).collect()
    }

    /// The canonical CSV export.
    pub fn canonical_csv(&self) -> ApiResult<String> {
        formats::write_canonical_csv(
            &self.names(),
            self.ballots
                .iter()
                .map(|(receipt, ranking)| CsvBallot { receipt, ranking }),
        )
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("writing the ballot export: {e}")))
    }

    /// The ballots as an election for the engine and the other writers
    /// (identical rankings grouped, in order of first appearance).
    pub fn election(&self) -> Election {
        let mut groups: Vec<Ballot> = Vec::new();
        let mut seen: HashMap<&[CandidateIdx], usize> = HashMap::new();
        for (_, ranking) in &self.ballots {
            match seen.get(ranking.as_slice()) {
                Some(&g) => groups[g].count += 1,
                None => {
                    seen.insert(ranking, groups.len());
                    groups.push(Ballot::strict(ranking, 1));
                }
            }
        }
        Election {
            candidates: self.names(),
            withdrawn: Vec::new(),
            ballots: groups,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    #[serde(default)]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportFormat {
    Csv,
    Preflib,
    Blt,
}

impl ExportFormat {
    fn parse(raw: Option<&str>) -> ApiResult<ExportFormat> {
        match raw.unwrap_or("csv") {
            "csv" => Ok(ExportFormat::Csv),
            "preflib" => Ok(ExportFormat::Preflib),
            "blt" => Ok(ExportFormat::Blt),
            other => Err(ApiError::bad_request(
                "invalid_format",
                format!("`format` must be one of csv, preflib, blt (got `{other}`)"),
            )),
        }
    }
}

/// Who may download a contest's ballots: its admins at any time; anyone once
/// voting has closed, unless results are hidden.
pub fn check_export_visible(contest: &Contest, is_admin: bool) -> ApiResult<()> {
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

/// `GET /v1/contests/{id}/ballots?format=csv|preflib|blt` (default csv).
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeAdmin,
    path: web::Path<String>,
    query: web::Query<ExportQuery>,
    _req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let format = ExportFormat::parse(query.format.as_deref())?;
    let contest = load_visible(&state, caller, id).await?;
    check_export_visible(&contest, caller.0.is_some())?;
    let set = state
        .db_read(move |conn| {
            conn.build_transaction()
                .repeatable_read()
                .read_only()
                .run(|conn| BallotSet::load(conn, id))
        })
        .await?;
    let csv = set.canonical_csv()?;
    let digest = formats::ballot_digest(csv.as_bytes());
    let title = contest.title.clone();
    let (body, content_type, ext) = match format {
        ExportFormat::Csv => (csv, "text/csv; charset=utf-8", "csv"),
        ExportFormat::Preflib => (
            formats::preflib::write(Some(&title), &set.election()),
            "text/plain; charset=utf-8",
            "soi",
        ),
        ExportFormat::Blt => (
            formats::blt::write(Some(&title), contest.seats.max(1) as u32, &set.election()),
            "text/plain; charset=utf-8",
            "blt",
        ),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"ballots-{id}.{ext}\""),
        ))
        .insert_header(("X-Ballot-Digest", digest))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Authorization"))
        .body(body))
}
