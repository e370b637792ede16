//! Voters and electorates: who may take part in a contest, and how a voter's
//! identity is obtained — a token for the open electorate (rate-limited per
//! client address), a code exchanged for one (codes electorate), or the
//! organisation's own JWTs, verified with the key it registered (jwt electorate).

use std::time::Duration as StdDuration;

use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::DecodingKey;
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::contests::lock_current;
use super::voter::{
    issue_token, rsa_modulus_bits, token_expiry, voter_context, IssuedToken, MIN_RSA_BITS,
};
use super::{Admin, App};
use crate::db;
use crate::domain::{ContestId, Electorate, Phase};
use crate::error::{AppError, AppResult};

/// An organisation's registered voter-JWT verification key, as stored.
pub use crate::db::voters::VoterJwtKeyRow;

/// The rate limit on `POST …/voters` for the open electorate: at most
/// `max_per_window` tokens per contest and client address per fixed window,
/// counted in PostgreSQL so that it holds across instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenVoterLimit {
    /// Tokens per window; 0 turns the limit off.
    pub max_per_window: u32,
    pub window: StdDuration,
    /// Take the client address from the last `X-Forwarded-For` entry (set only
    /// behind a proxy that appends it); otherwise the peer address.
    pub trust_forwarded_for: bool,
}

impl Default for OpenVoterLimit {
    fn default() -> Self {
        OpenVoterLimit {
            max_per_window: 100,
            window: StdDuration::from_secs(600),
            trust_forwarded_for: false,
        }
    }
}

/// The most codes one request may generate.
pub const MAX_CODES: i64 = 10_000;

/// The shortest HS256 secret accepted, in bytes.
pub const MIN_HS256_SECRET: usize = 32;

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

/// Issues a voter token for contest `id` (a fresh read of it, hidden while a
/// draft):
/// - `open`: no code; rate-limited per `client` (the caller's address bucket),
///   429 with the seconds to wait over the limit;
/// - `codes`: `code` is required; a code yields the same voter every time; an
///   unknown code is a 401;
/// - `jwt`: 409 — the organisation's own JWTs are voter tokens already.
pub async fn issue(
    app: &App,
    id: ContestId,
    code: Option<String>,
    client: String,
) -> AppResult<IssuedToken> {
    let contest = voter_context(app, id, true).await?.contest.clone();
    let now = Utc::now();
    let voter_id = match contest.electorate {
        Electorate::Jwt => {
            return Err(AppError::conflict(
                "electorate_mismatch",
                "this contest's electorate is `jwt`: its voters use the JWTs the organisation's app signs, directly as voter tokens",
            ))
        }
        Electorate::Open => {
            if code.is_some() {
                return Err(AppError::invalid(
                    "code",
                    "this contest's electorate is `open`: send no code",
                ));
            }
            check_open_rate(app, id, contest.open_voter_limit, client, now).await?;
            Uuid::new_v4()
        }
        Electorate::Codes => {
            let Some(code) = code else {
                return Err(AppError::invalid(
                    "code",
                    "this contest's electorate is `codes`: send the code you were given as {\"code\": \"…\"}",
                ));
            };
            redeem(app, id, &code).await?
        }
    };
    let expires_at = token_expiry(&contest, now);
    issue_token(
        &app.secret,
        id,
        contest.electorate,
        voter_id,
        now,
        expires_at,
    )
}

/// Counts one more open-electorate token for `client` and refuses it over the
/// limit: the contest's own `open_voter_limit` when it has one (shared
/// networks need more), else the instance's.
async fn check_open_rate(
    app: &App,
    id: ContestId,
    per_contest: Option<i32>,
    client: String,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut limit = app.open_voter_limit;
    if let Some(n) = per_contest {
        limit.max_per_window = n.max(0) as u32;
    }
    if limit.max_per_window == 0 {
        return Ok(());
    }
    let (start, retry) = window_of(now, limit.window);
    // Now and then, a request also clears old windows of addresses that never
    // came back (its own bucket's go on every request).
    let sweep = rand::rngs::OsRng.gen_ratio(1, 32);
    let count = app
        .db(move |conn| {
            if sweep {
                db::voters::sweep_rate_counters(conn, id, start, 1_000)?;
            }
            Ok(db::voters::count_rate(conn, id, &client, start)?)
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
    Ok(())
}

/// The voter id a code of contest `id` yields; 401 for an unknown code.
async fn redeem(app: &App, id: ContestId, code: &str) -> AppResult<Uuid> {
    let normalised = normalise_code(code);
    if normalised.is_empty() || normalised.len() > 64 {
        return Err(AppError::invalid("code", "not a voter code"));
    }
    let hash = hash_code(&normalised);
    app.db(move |conn| Ok(db::voters::redeem_code(conn, id, &hash)?))
        .await?
        .ok_or_else(|| AppError::Unauthorized("this code is not valid for this contest".into()))
}

/// Generates `count` (1–[`MAX_CODES`]) new codes for the admin's contest
/// (audited) and returns them: they are shown only now, as only their hashes
/// are stored. Only for the `codes` electorate and before the contest closes.
pub async fn generate_codes(
    app: &App,
    admin: Admin,
    id: ContestId,
    count: i64,
) -> AppResult<Vec<String>> {
    if !(1..=MAX_CODES).contains(&count) {
        return Err(AppError::invalid(
            "count",
            format!("must be between 1 and {MAX_CODES}"),
        ));
    }
    let mut rng = rand::rngs::OsRng;
    let codes: Vec<String> = (0..count as usize)
        .map(|_| generate_code(&mut rng))
        .collect();
    let rows: Vec<([u8; 32], Uuid)> = codes
        .iter()
        .map(|c| (hash_code(&normalise_code(c)), Uuid::new_v4()))
        .collect();
    let now = Utc::now();
    app.db(move |conn| {
        db::transaction(conn, |conn| {
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
                admin.org(),
                Some(id.0),
                &admin.actor(),
                "codes.generate",
                json!({ "count": rows.len(), "total": total, "redeemed": redeemed }),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(codes)
}

/// An organisation's voter-JWT key as an admin sends it, not yet checked.
#[derive(Debug, Clone)]
pub struct JwtKeyInput {
    pub alg: String,
    pub secret: Option<String>,
    pub public_key_pem: Option<String>,
}

/// A checked voter-JWT key: its algorithm with an HS256 secret or a public key.
#[derive(Debug, Clone)]
struct JwtKey {
    alg: String,
    secret: Option<Vec<u8>>,
    public_key_pem: Option<String>,
}

impl JwtKeyInput {
    /// Checks the key: an HS256 secret of [`MIN_HS256_SECRET`]–1024 bytes, or
    /// an RS256/EdDSA public key in PEM (never a private one; RSA of
    /// [`MIN_RSA_BITS`]–4096 bits, docs/SECURITY.md S11). 422 naming the field
    /// otherwise.
    fn validate(self) -> AppResult<JwtKey> {
        match self.alg.as_str() {
            "HS256" => self.validate_hs256(),
            "RS256" | "EdDSA" => self.validate_public_key(),
            other => Err(AppError::invalid(
                "alg",
                format!("`{other}` is not one of: HS256, RS256, EdDSA"),
            )),
        }
    }

    fn validate_hs256(self) -> AppResult<JwtKey> {
        if self.public_key_pem.is_some() {
            return Err(AppError::invalid(
                "public_key_pem",
                "HS256 takes a `secret`, not a public key",
            ));
        }
        let secret = self
            .secret
            .ok_or_else(|| AppError::invalid("secret", "HS256 needs the shared `secret`"))?;
        let bytes = secret.into_bytes();
        if !(MIN_HS256_SECRET..=1024).contains(&bytes.len()) {
            return Err(AppError::invalid(
                "secret",
                format!("must be {MIN_HS256_SECRET}–1024 bytes long (256 bits or more)"),
            ));
        }
        Ok(JwtKey {
            alg: "HS256".into(),
            secret: Some(bytes),
            public_key_pem: None,
        })
    }

    fn validate_public_key(self) -> AppResult<JwtKey> {
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
        if self.alg == "RS256" {
            check_rsa_size(&pem)?;
        }
        Ok(JwtKey {
            alg: self.alg,
            secret: None,
            public_key_pem: Some(pem),
        })
    }
}

/// Refuses an RSA public key under [`MIN_RSA_BITS`] bits (docs/SECURITY.md
/// S11: such keys can be factored, and then anyone could sign voter JWTs), or
/// over the 4096 bits RS256 verification takes.
fn check_rsa_size(pem: &str) -> AppResult<()> {
    match rsa_modulus_bits(pem) {
        Some(bits) if bits < MIN_RSA_BITS => Err(AppError::invalid(
            "public_key_pem",
            format!("the RSA key is {bits} bits long; at least {MIN_RSA_BITS} bits are required"),
        )),
        Some(_) => Ok(()),
        None => Err(AppError::invalid(
            "public_key_pem",
            format!("not a PEM-encoded RSA public key of {MIN_RSA_BITS} to 4096 bits"),
        )),
    }
}

/// Registers or replaces the key the organisation's app signs voter JWTs with
/// (audited).
pub async fn put_jwt_key(app: &App, admin: Admin, input: JwtKeyInput) -> AppResult<VoterJwtKeyRow> {
    let key = input.validate()?;
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let row = db::voters::put_jwt_key(
                conn,
                admin.org_id,
                &key.alg,
                key.secret.as_deref(),
                key.public_key_pem.as_deref(),
            )?;
            db::audit::record(
                conn,
                admin.org(),
                None,
                &admin.actor(),
                "voter_jwt_key.put",
                json!({ "alg": key.alg }),
            )?;
            Ok(row)
        })
    })
    .await
}

/// The organisation's registered key; 404 when there is none.
pub async fn get_jwt_key(app: &App, admin: Admin) -> AppResult<VoterJwtKeyRow> {
    app.db(move |conn| Ok(db::voters::find_jwt_key(conn, admin.org_id)?))
        .await?
        .ok_or_else(|| AppError::not_found("voter JWT key"))
}

/// Removes the organisation's key (audited): its JWTs stop working at once
/// (on every instance within `voter::CONTEXT_MAX_AGE`). 404 when none is
/// registered.
pub async fn delete_jwt_key(app: &App, admin: Admin) -> AppResult<()> {
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            if !db::voters::delete_jwt_key(conn, admin.org_id)? {
                return Err(AppError::not_found("voter JWT key"));
            }
            db::audit::record(
                conn,
                admin.org(),
                None,
                &admin.actor(),
                "voter_jwt_key.delete",
                json!({}),
            )?;
            Ok(())
        })
    })
    .await
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
