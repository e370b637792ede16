//! Getting a voter token (`POST …/voters`), closed-electorate codes
//! (`POST …/codes`), and the organisation's voter-JWT key (`/v1/voter-jwt-key`).

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeZone, Utc};
use diesel::Connection;
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::DecodingKey;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::auth::Admin;
use super::extract::{parse_id, JsonBody};
use super::voter::{issue_token, token_expiry, voter_context};
use super::AppState;
use crate::app::contests::lock_current;
pub use crate::app::voters::OpenVoterLimit;
use crate::db;
use crate::domain::{ContestId, Electorate, Phase};
use crate::error::{AppError, AppResult};

/// The most codes one request may generate.
pub const MAX_CODES: i64 = 10_000;

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

/// The start of the fixed window containing `now`, and the seconds until it ends.
fn window_of(now: DateTime<Utc>, window: StdDuration) -> (DateTime<Utc>, u64) {
    let len = window.as_secs().max(1) as i64;
    let start = now.timestamp().div_euclid(len) * len;
    let retry = (start + len - now.timestamp()).max(1) as u64;
    let start = Utc.timestamp_opt(start, 0).single().unwrap_or(now);
    (start, retry)
}

/// Normalises a code as typed: case, spaces and dashes do not matter, and the
/// letters O, I and L read as 0, 1 and 1.
fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

fn hash_code(normalised: &str) -> [u8; 32] {
    Sha256::digest(normalised.as_bytes()).into()
}

/// Crockford's base32 alphabet: no I, L, O or U.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new code: 20 symbols (100 random bits) in groups of five.
fn generate_code(rng: &mut impl Rng) -> String {
    let mut code = String::with_capacity(23);
    for i in 0..20 {
        if i > 0 && i % 5 == 0 {
            code.push('-');
        }
        code.push(CODE_ALPHABET[rng.gen_range(0..32)] as char);
    }
    code
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
    let contest = voter_context(&state, id, true).await?.contest.clone();
    let now = Utc::now();
    let secret = state.secret.clone();
    let voter_id = match contest.electorate {
        Electorate::Jwt => {
            return Err(AppError::conflict(
                "electorate_mismatch",
                "this contest's electorate is `jwt`: its voters use the JWTs the organisation's app signs, directly as voter tokens",
            ))
        }
        Electorate::Open => {
            if body.code.is_some() {
                return Err(AppError::invalid(
                    "code",
                    "this contest's electorate is `open`: send no code",
                ));
            }
            let limit = state.open_voter_limit;
            if limit.max_per_window > 0 {
                let bucket = client_bucket(&req, limit.trust_forwarded_for);
                let (start, retry) = window_of(now, limit.window);
                // Now and then, a request also clears old windows of addresses
                // that never came back (its own bucket's go on every request).
                let sweep = rand::rngs::OsRng.gen_ratio(1, 32);
                let count = state
                    .db(move |conn| {
                        if sweep {
                            db::voters::sweep_rate_counters(conn, id, start, 1_000)?;
                        }
                        Ok(db::voters::count_rate(conn, id, &bucket, start)?)
                    })
                    .await?;
                if count as i64 > i64::from(limit.max_per_window) {
                    return Err(AppError::TooManyRequests {
                        code: "voter_rate_limited",
                        detail: format!(
                            "at most {} voter tokens per {} seconds per client address for this contest; retry after {retry} seconds",
                            limit.max_per_window,
                            limit.window.as_secs()
                        ),
                        retry_after_secs: Some(retry),
                    });
                }
            }
            Uuid::new_v4()
        }
        Electorate::Codes => {
            let Some(code) = body.code else {
                return Err(AppError::invalid(
                    "code",
                    "this contest's electorate is `codes`: send the code you were given as {\"code\": \"…\"}",
                ));
            };
            let normalised = normalise_code(&code);
            if normalised.is_empty() || normalised.len() > 64 {
                return Err(AppError::invalid("code", "not a voter code"));
            }
            let hash = hash_code(&normalised);
            state
                .db(move |conn| Ok(db::voters::redeem_code(conn, id, &hash)?))
                .await?
                .ok_or_else(|| AppError::Unauthorized("this code is not valid for this contest".into()))?
        }
    };
    let expires_at = token_expiry(&contest, now);
    let issued = issue_token(&secret, id, contest.electorate, voter_id, now, expires_at)?;
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
    if !(1..=MAX_CODES).contains(&body.count) {
        return Err(AppError::invalid(
            "count",
            format!("must be between 1 and {MAX_CODES}"),
        ));
    }
    let count = body.count as usize;
    let mut rng = rand::rngs::OsRng;
    let codes: Vec<String> = (0..count).map(|_| generate_code(&mut rng)).collect();
    let rows: Vec<([u8; 32], Uuid)> = codes
        .iter()
        .map(|c| (hash_code(&normalise_code(c)), Uuid::new_v4()))
        .collect();
    let now = Utc::now();
    state
        .db(move |conn| {
            conn.transaction(|conn| {
                let (contest, phase) = lock_current(conn, admin.org_id, id, now)?;
                if contest.electorate != Electorate::Codes {
                    return Err(AppError::conflict(
                        "electorate_mismatch",
                        format!(
                            "codes are for contests with the `codes` electorate; this one's is `{}`",
                            contest.electorate
                        ),
                    ));
                }
                if phase == Phase::Closed {
                    return Err(AppError::conflict(
                        "contest_closed",
                        "the contest is `closed`: no more codes",
                    ));
                }
                db::voters::insert_codes(conn, id, &rows)?;
                let (total, redeemed) = db::voters::code_counts(conn, id)?;
                db::audit::record(
                    conn,
                    admin.org_id.0,
                    Some(id.0),
                    &admin.actor(),
                    "codes.generate",
                    json!({ "count": rows.len(), "total": total, "redeemed": redeemed }),
                )?;
                Ok(())
            })
        })
        .await?;
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
    fn new(row: db::voters::VoterJwtKeyRow) -> Self {
        JwtKeyView {
            alg: row.alg,
            public_key_pem: row.public_key_pem,
            secret_fingerprint: row.secret.map(|s| hex::encode(&Sha256::digest(&s)[..8])),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The shortest HS256 secret accepted, in bytes.
pub const MIN_HS256_SECRET: usize = 32;

impl PutJwtKey {
    /// Validates into `(alg, secret, public key PEM)`.
    fn into_parts(self) -> AppResult<(String, Option<Vec<u8>>, Option<String>)> {
        match self.alg.as_str() {
            "HS256" => {
                if self.public_key_pem.is_some() {
                    return Err(AppError::invalid(
                        "public_key_pem",
                        "HS256 takes a `secret`, not a public key",
                    ));
                }
                let secret = self.secret.ok_or_else(|| {
                    AppError::invalid("secret", "HS256 needs the shared `secret`")
                })?;
                let bytes = secret.into_bytes();
                if !(MIN_HS256_SECRET..=1024).contains(&bytes.len()) {
                    return Err(AppError::invalid(
                        "secret",
                        format!("must be {MIN_HS256_SECRET}–1024 bytes long (256 bits or more)"),
                    ));
                }
                Ok(("HS256".into(), Some(bytes), None))
            }
            "RS256" | "EdDSA" => {
                if self.secret.is_some() {
                    return Err(AppError::invalid(
                        "secret",
                        format!("{} takes a `public_key_pem`, not a secret", self.alg),
                    ));
                }
                let pem = self.public_key_pem.ok_or_else(|| {
                    AppError::invalid(
                        "public_key_pem",
                        format!("{} needs `public_key_pem`", self.alg),
                    )
                })?;
                let pem = pem.trim().to_owned();
                if pem.contains("PRIVATE KEY") {
                    return Err(AppError::invalid(
                        "public_key_pem",
                        "this is a private key: send only the public key (and keep the private one secret)",
                    ));
                }
                if pem.len() > 16_384 {
                    return Err(AppError::invalid("public_key_pem", "the key is too long"));
                }
                let parsed = if self.alg == "RS256" {
                    DecodingKey::from_rsa_pem(pem.as_bytes())
                } else {
                    DecodingKey::from_ed_pem(pem.as_bytes())
                };
                if parsed.is_err()
                    || !pem.starts_with("-----BEGIN PUBLIC KEY-----")
                        && !pem.starts_with("-----BEGIN RSA PUBLIC KEY-----")
                {
                    return Err(AppError::invalid(
                        "public_key_pem",
                        format!(
                            "not a PEM-encoded {} public key",
                            if self.alg == "RS256" {
                                "RSA"
                            } else {
                                "Ed25519"
                            }
                        ),
                    ));
                }
                Ok((self.alg, None, Some(pem)))
            }
            other => Err(AppError::invalid(
                "alg",
                format!("`{other}` is not one of: HS256, RS256, EdDSA"),
            )),
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
    let (alg, secret, pem) = body.into_parts()?;
    let row = state
        .db(move |conn| {
            conn.transaction(|conn| {
                let row = db::voters::put_jwt_key(
                    conn,
                    admin.org_id,
                    &alg,
                    secret.as_deref(),
                    pem.as_deref(),
                )?;
                db::audit::record(
                    conn,
                    admin.org_id.0,
                    None,
                    &admin.actor(),
                    "voter_jwt_key.put",
                    json!({ "alg": alg }),
                )?;
                Ok(row)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(JwtKeyView::new(row)))
}

/// `GET /v1/voter-jwt-key` (admin): the registered key, or 404.
pub async fn get_jwt_key(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    let row = state
        .db(move |conn| Ok(db::voters::find_jwt_key(conn, admin.org_id)?))
        .await?
        .ok_or_else(|| AppError::not_found("voter JWT key"))?;
    Ok(HttpResponse::Ok().json(JwtKeyView::new(row)))
}

/// `DELETE /v1/voter-jwt-key` (admin): 204; the organisation's JWTs stop working
/// at once. 404 when none is registered.
pub async fn delete_jwt_key(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    state
        .db(move |conn| {
            conn.transaction(|conn| {
                if !db::voters::delete_jwt_key(conn, admin.org_id)? {
                    return Err(AppError::not_found("voter JWT key"));
                }
                db::audit::record(
                    conn,
                    admin.org_id.0,
                    None,
                    &admin.actor(),
                    "voter_jwt_key.delete",
                    json!({}),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typo_tolerant() {
        let mut rng = rand::rngs::OsRng;
        let code = generate_code(&mut rng);
        assert_eq!(code.len(), 23);
        let sloppy = code.to_lowercase().replace('-', " ");
        assert_eq!(normalise_code(&sloppy), normalise_code(&code));
        assert_eq!(normalise_code("o1l-I"), "0111");
    }

    #[test]
    fn windows_are_aligned() {
        let now = Utc.timestamp_opt(1_000_005, 0).unwrap();
        let (start, retry) = window_of(now, StdDuration::from_secs(10));
        assert_eq!(start.timestamp(), 1_000_000);
        assert_eq!(retry, 5);
    }
}
