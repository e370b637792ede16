//! Getting a voter token (`POST …/voters`), closed-electorate codes
//! (`POST …/codes`), and the organisation's voter-JWT key (`/v1/voter-jwt-key`).

use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::auth::Admin;
use super::extract::{parse_id, JsonBody};
use super::AppState;
use crate::app::voters::{self, JwtKeyInput, VoterJwtKeyRow};
use crate::domain::ContestId;
use crate::error::{AppError, AppResult};

/// `POST …/voters` body: nothing (or `{}`) for the open electorate, `{code}` for
/// the codes electorate.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoterRequest {
    #[serde(default)]
    pub code: Option<String>,
}

/// A JSON body that may be left out: no body (no `Content-Type` and no content)
/// is `None`; anything else is read as [`JsonBody`] reads it.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let has_type = req.headers().contains_key(header::CONTENT_TYPE);
        let length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
        // An explicit `Content-Length: 0` is no body whatever the content type.
        if length == Some(0) || (!has_type && !chunked && length.is_none()) {
            return Box::pin(async { Ok(OptionalJsonBody(None)) });
        }
        let body = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move { body.await.map(|JsonBody(t)| OptionalJsonBody(Some(t))) })
    }
}

/// The client address a rate limit counts: the peer address, or with
/// `trust_forwarded_for` the last `X-Forwarded-For` entry. IPv6 addresses are
/// counted per /64, the block one host usually has.
pub fn client_bucket(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| {
            req.headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .last()
                .and_then(|v| v.parse::<IpAddr>().ok())
        })
        .flatten();
    let ip = forwarded.or_else(|| req.peer_addr().map(|a| a.ip()));
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

/// `POST /v1/contests/{id}/voters` → 201 `{token, expires_at}`.
///
/// - `open`: no body (or `{}`); rate-limited per client address (429 with
///   `Retry-After` over the limit);
/// - `codes`: `{code}`; a code yields the same voter every time; an unknown code
///   is a 401;
/// - `jwt`: 409 — the organisation's own JWTs are voter tokens already.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<VoterRequest>,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let body = body.unwrap_or_default();
    let client = client_bucket(&req, state.open_voter_limit.trust_forwarded_for);
    let issued = voters::issue(&state, id, body.code, client).await?;
    Ok(HttpResponse::Created().json(issued))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodesRequest {
    pub count: i64,
}

/// `POST /v1/contests/{id}/codes {count}` (admin) → 201 `{codes}`: `count` (1–10,000)
/// new codes, shown only in this response (only hashes are stored). Only for the
/// `codes` electorate and before the contest closes.
pub async fn create_codes(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    JsonBody(body): JsonBody<CodesRequest>,
) -> AppResult<HttpResponse> {
    let id: ContestId = parse_id(&path, "contest")?;
    let codes = voters::generate_codes(&state, admin, id, body.count).await?;
    Ok(HttpResponse::Created().json(json!({ "codes": codes })))
}

/// `PUT /v1/voter-jwt-key` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutJwtKey {
    pub alg: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub public_key_pem: Option<String>,
}

impl From<PutJwtKey> for JwtKeyInput {
    fn from(b: PutJwtKey) -> Self {
        JwtKeyInput {
            alg: b.alg,
            secret: b.secret,
            public_key_pem: b.public_key_pem,
        }
    }
}

/// The organisation's key as the API shows it: never the HS256 secret, only a
/// fingerprint of it.
#[derive(Debug, Serialize)]
pub struct JwtKeyView {
    pub alg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,
    /// The first 16 hex digits of SHA-256(secret), to tell which secret is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_fingerprint: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl JwtKeyView {
    fn new(row: VoterJwtKeyRow) -> Self {
        JwtKeyView {
            alg: row.alg,
            public_key_pem: row.public_key_pem,
            secret_fingerprint: row.secret.map(|s| hex::encode(&Sha256::digest(&s)[..8])),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// `PUT /v1/voter-jwt-key` (admin): registers or replaces the key the
/// organisation's app signs voter JWTs with. 200 with the key (no secret).
pub async fn put_jwt_key(
    state: web::Data<AppState>,
    admin: Admin,
    JsonBody(body): JsonBody<PutJwtKey>,
) -> AppResult<HttpResponse> {
    let row = voters::put_jwt_key(&state, admin, body.into()).await?;
    Ok(HttpResponse::Ok().json(JwtKeyView::new(row)))
}

/// `GET /v1/voter-jwt-key` (admin): the registered key, or 404.
pub async fn get_jwt_key(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    let row = voters::get_jwt_key(&state, admin).await?;
    Ok(HttpResponse::Ok().json(JwtKeyView::new(row)))
}

/// `DELETE /v1/voter-jwt-key` (admin): 204; the organisation's JWTs stop working
/// at once. 404 when none is registered.
pub async fn delete_jwt_key(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    voters::delete_jwt_key(&state, admin).await?;
    Ok(HttpResponse::NoContent().finish())
}
