//! Who votes: voter identities, voter tokens, and the per-instance snapshot of
//! what a voter request reads about its contest.
//!
//! A participant proves who they are with a voter token:
//! - a **Christen voter token**, minted by [`super::voters::issue`] (electorates
//!   `open` and `codes`): HS256 with a key derived from the server secret, claims
//!   `sub` (voter id), `aud` (contest id), `iss` = `christen`, `exp`, `iat` and
//!   `ele` (the electorate it was issued under);
//! - an **organisation's voter JWT** (electorate `jwt`): signed with the key the
//!   organisation registered ([`super::voters::put_jwt_key`]), `sub` = its user
//!   id, `aud` = contest id, `exp` required, exactly the registered algorithm.
//!
//! Anything else — an API key, another contest's token, wrong `aud`, expired,
//! not valid yet (`nbf` in the future), a `crit` header, `alg: none`, another
//! algorithm, a bad signature, a token of the wrong electorate — is an
//! [`AppError::Unauthorized`] (docs/SECURITY.md S11). A contest that does not
//! exist or is still a draft is a 404.
//!
//! [`authenticate`] yields the contest (loaded once, for the use case to reuse)
//! and the voter's identity as a keyed hash, [`VoterHash`]: HMAC-SHA256(server
//! secret, contest id (16 bytes) ‖ voter id), where the voter id is
//! `christen:<uuid>` for Christen tokens and `jwt:<sub>` for organisations'
//! JWTs. Only that hash is ever stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use super::App;
use crate::config::Secret;
use crate::db;
use crate::db::voters::VoterJwtKeyRow;
use crate::domain::{looks_like_api_key, BallotCandidate, Contest, ContestId, Electorate, Phase};
use crate::error::{AppError, AppResult};

/// The `iss` of Christen's own voter tokens.
pub const ISSUER: &str = "christen";
/// How long a Christen voter token is valid (at least; see [`token_expiry`]).
pub const TOKEN_DAYS: i64 = 90;
/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;
/// The shortest RSA modulus accepted for an organisation's RS256 key, in bits
/// (docs/SECURITY.md S11).
pub const MIN_RSA_BITS: usize = 2048;
/// The longest `sub` accepted in an organisation's JWT.
pub const MAX_SUB_LEN: usize = 256;

/// A voter's identity within one contest: HMAC-SHA256(server secret, contest id ‖
/// voter id). Ballots and supports store this, never the voter id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VoterHash(pub [u8; 32]);

impl std::fmt::Debug for VoterHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VoterHash({}…)", hex::encode(&self.0[..4]))
    }
}

impl VoterHash {
    /// The hash of `voter_id` (`christen:<uuid>` or `jwt:<sub>`) in `contest`.
    pub fn new(secret: &Secret, contest: ContestId, voter_id: &str) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(contest.0.as_bytes());
        mac.update(voter_id.as_bytes());
        VoterHash(mac.finalize().into_bytes().into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A participant of one contest, authenticated by a voter token.
#[derive(Debug, Clone)]
pub struct Voter {
    /// The contest of the request path (the token is bound to it), as loaded
    /// when the token was checked. Use `contest.phase_at(now)` for its phase.
    pub contest: Contest,
    /// The contest's candidates, when it was at or past voting when read.
    pub candidates: Option<Arc<Vec<BallotCandidate>>>,
    /// Who the voter is, as stored.
    pub voter_hash: VoterHash,
}

impl Voter {
    pub fn contest_id(&self) -> ContestId {
        self.contest.id
    }
}

/// The claims of a Christen voter token.
#[derive(Debug, Serialize, Deserialize)]
struct ChristenClaims {
    sub: String,
    aud: String,
    iss: String,
    iat: i64,
    exp: i64,
    /// The electorate the token was issued under; it must still be the contest's.
    ele: Electorate,
}

/// The claims Christen reads from an organisation's JWT (`aud` and `exp` are
/// checked by the validation).
#[derive(Debug, Deserialize)]
struct OrgClaims {
    sub: String,
}

#[derive(Debug, Deserialize)]
struct PeekClaims {
    #[serde(default)]
    iss: Option<serde_json::Value>,
}

/// A freshly minted voter token.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The HS256 key of Christen voter tokens, derived from the server secret (so
/// the secret itself never signs anything that leaves the service).
fn signing_key(secret: &Secret) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"christen voter token signing key v1");
    mac.finalize().into_bytes().into()
}

/// When a token issued at `now` for `contest` expires: [`TOKEN_DAYS`] days, or a
/// week after the scheduled close if that is later.
pub fn token_expiry(contest: &Contest, now: DateTime<Utc>) -> DateTime<Utc> {
    let base = now + Duration::days(TOKEN_DAYS);
    match contest.schedule.voting_close_at {
        Some(close) if close + Duration::days(7) > base => close + Duration::days(7),
        _ => base,
    }
}

/// Mints a Christen voter token for `voter_id` in `contest_id`, valid until
/// `expires_at`, under `electorate` (`open` or `codes`).
pub fn issue_token(
    secret: &Secret,
    contest_id: ContestId,
    electorate: Electorate,
    voter_id: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> AppResult<IssuedToken> {
    let claims = ChristenClaims {
        sub: voter_id.to_string(),
        aud: contest_id.to_string(),
        iss: ISSUER.to_owned(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        ele: electorate,
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&signing_key(secret)),
    )
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("signing a voter token: {e}")))?;
    let expires_at = Utc
        .timestamp_opt(claims.exp, 0)
        .single()
        .unwrap_or(expires_at);
    Ok(IssuedToken { token, expires_at })
}

/// The voter-id string hashed for a Christen token's `sub`.
pub fn christen_voter_id(voter_id: Uuid) -> String {
    format!("christen:{voter_id}")
}

/// The voter-id string hashed for an organisation JWT's `sub`.
pub fn org_voter_id(sub: &str) -> String {
    format!("jwt:{sub}")
}

fn unauthorized(detail: impl Into<String>) -> AppError {
    AppError::Unauthorized(detail.into())
}

/// A person-readable reason for a rejected JWT.
fn jwt_error(e: &jsonwebtoken::errors::Error, expected: Option<Algorithm>) -> AppError {
    let detail = match e.kind() {
        ErrorKind::ExpiredSignature => "the voter token has expired".to_owned(),
        ErrorKind::InvalidAudience => {
            "the voter token is for another contest (its `aud` is not this contest's id)".to_owned()
        }
        ErrorKind::InvalidIssuer => "the voter token has the wrong issuer".to_owned(),
        ErrorKind::InvalidAlgorithm => match expected {
            Some(alg) => {
                format!("the voter token is not signed with the registered algorithm ({alg:?})")
            }
            None => "the voter token is signed with an algorithm this service does not accept"
                .to_owned(),
        },
        ErrorKind::InvalidSignature => "the voter token's signature is not valid".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => {
            format!("the voter token has no `{claim}` claim")
        }
        ErrorKind::ImmatureSignature => {
            "the voter token is not valid yet (its `nbf` is in the future)".to_owned()
        }
        _ => "the voter token is not a valid JWT".to_owned(),
    };
    unauthorized(detail)
}

/// The algorithm of a registered organisation key.
pub fn parse_org_alg(alg: &str) -> Option<Algorithm> {
    match alg {
        "HS256" => Some(Algorithm::HS256),
        "RS256" => Some(Algorithm::RS256),
        "EdDSA" => Some(Algorithm::EdDSA),
        _ => None,
    }
}

/// The verification key of a registered organisation key.
pub fn org_decoding_key(row: &VoterJwtKeyRow) -> AppResult<(Algorithm, DecodingKey)> {
    let broken = || AppError::Unexpected(anyhow::anyhow!("stored voter JWT key is unusable"));
    let alg = parse_org_alg(&row.alg).ok_or_else(broken)?;
    let key = match alg {
        Algorithm::HS256 => DecodingKey::from_secret(row.secret.as_deref().ok_or_else(broken)?),
        Algorithm::RS256 => {
            DecodingKey::from_rsa_pem(row.public_key_pem.as_deref().ok_or_else(broken)?.as_bytes())
                .map_err(|_| broken())?
        }
        _ => DecodingKey::from_ed_pem(row.public_key_pem.as_deref().ok_or_else(broken)?.as_bytes())
            .map_err(|_| broken())?,
    };
    Ok((alg, key))
}

/// The size in bits of an RSA public key in PEM (`PUBLIC KEY` or `RSA PUBLIC
/// KEY`); `None` when it is not one (or is over the 4096 bits that RS256
/// verification takes).
pub fn rsa_modulus_bits(pem: &str) -> Option<usize> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem))
        .ok()?;
    Some(key.n().bits())
}

/// Refuses a token whose header has `crit` (RFC 7515 §4.1.6): it names
/// extensions the receiver must understand to accept the token, and Christen
/// understands none (docs/SECURITY.md S11).
fn refuse_crit(header: &Header) -> AppResult<()> {
    match &header.crit {
        Some(names) => Err(unauthorized(format!(
            "the voter token's header has `crit` ({}): this service understands no JWT extension",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => Ok(()),
    }
}

/// The checks of every voter token: signature with exactly `alg`, `aud` = the
/// contest, `exp` (required) and `nbf` (when present), both with
/// [`LEEWAY_SECS`] of clock skew (docs/SECURITY.md S11).
fn validation(alg: Algorithm, contest: ContestId, issuer: Option<&str>) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = LEEWAY_SECS;
    v.validate_nbf = true;
    v.set_audience(&[contest.to_string()]);
    let mut required = vec!["exp", "aud", "sub"];
    if let Some(iss) = issuer {
        v.set_issuer(&[iss]);
        required.push("iss");
    }
    v.set_required_spec_claims(&required);
    v
}

/// Checks `token` for `contest` (with the organisation's key row, if any) and
/// returns the voter's hash. No I/O.
pub fn verify_token(
    secret: &Secret,
    contest: &Contest,
    org_key: Option<&VoterJwtKeyRow>,
    token: &str,
) -> AppResult<VoterHash> {
    if looks_like_api_key(token) {
        return Err(unauthorized(
            "this needs a voter token, not an API key: get one from POST /v1/contests/{id}/voters",
        ));
    }
    // Rejects malformed tokens and unknown algorithms such as `none`.
    let header = jsonwebtoken::decode_header(token).map_err(|e| jwt_error(&e, None))?;
    refuse_crit(&header)?;
    let peek: PeekClaims =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|e| jwt_error(&e, None))?;
    let christen_issued = peek.iss.as_ref().and_then(|v| v.as_str()) == Some(ISSUER);
    if christen_issued {
        if contest.electorate == Electorate::Jwt {
            return Err(unauthorized(
                "this contest's voters sign in through the organisation's app: send the JWT it issues",
            ));
        }
        let data = jsonwebtoken::decode::<ChristenClaims>(
            token,
            &DecodingKey::from_secret(&signing_key(secret)),
            &validation(Algorithm::HS256, contest.id, Some(ISSUER)),
        )
        .map_err(|e| jwt_error(&e, Some(Algorithm::HS256)))?;
        if data.claims.ele != contest.electorate {
            return Err(unauthorized(format!(
                "the voter token was issued for the `{}` electorate; this contest's electorate is now `{}`: get a new token",
                data.claims.ele, contest.electorate
            )));
        }
        let voter_id: Uuid = data
            .claims
            .sub
            .parse()
            .map_err(|_| unauthorized("the voter token's `sub` is not a voter id"))?;
        return Ok(VoterHash::new(
            secret,
            contest.id,
            &christen_voter_id(voter_id),
        ));
    }
    if contest.electorate != Electorate::Jwt {
        return Err(unauthorized(format!(
            "this is not a voter token of this service; voters of a contest with the `{}` electorate get one from POST /v1/contests/{}/voters",
            contest.electorate, contest.id
        )));
    }
    let Some(row) = org_key else {
        return Err(unauthorized(
            "the organisation has not registered a key for its voter JWTs",
        ));
    };
    let (alg, key) = org_decoding_key(row)?;
    if alg == Algorithm::RS256
        && row
            .public_key_pem
            .as_deref()
            .and_then(rsa_modulus_bits)
            .is_none_or(|bits| bits < MIN_RSA_BITS)
    {
        // A key registered before keys under 2048 bits were refused.
        return Err(unauthorized(format!(
            "the organisation's registered RS256 key is shorter than {MIN_RSA_BITS} bits: its admin must register a new one (PUT /v1/voter-jwt-key)"
        )));
    }
    if header.alg != alg {
        return Err(unauthorized(format!(
            "the voter token is signed with {:?}, but the organisation registered {:?}",
            header.alg, alg
        )));
    }
    let data = jsonwebtoken::decode::<OrgClaims>(token, &key, &validation(alg, contest.id, None))
        .map_err(|e| jwt_error(&e, Some(alg)))?;
    let sub = data.claims.sub;
    if sub.is_empty() || sub.len() > MAX_SUB_LEN {
        return Err(unauthorized(format!(
            "the voter token's `sub` must be 1–{MAX_SUB_LEN} bytes long"
        )));
    }
    Ok(VoterHash::new(secret, contest.id, &org_voter_id(&sub)))
}

/// What every voter request reads about its contest: the contest, the
/// organisation's voter-JWT key (jwt electorate) and, once voting has opened,
/// the candidates (fixed from then on).
#[derive(Debug, Clone)]
pub struct VoterContext {
    pub contest: Contest,
    pub key: Option<VoterJwtKeyRow>,
    /// Loaded when the contest was at or past voting when read; `None` before.
    pub candidates: Option<Arc<Vec<BallotCandidate>>>,
}

/// How old a cached [`VoterContext`] may be when a voter request uses it.
///
/// A per-instance snapshot so that a ballot costs one database round trip (the
/// write) rather than three. Used only while the snapshot says the contest is
/// voting: from then on its electorate, candidates and limits cannot change.
/// It only ever speeds up the path that succeeds: every write re-checks the
/// phase in its own statement, and a request that the snapshot would refuse
/// (voting over, a token that does not verify) is checked again against a
/// fresh read before it is refused. What the age does bound: during voting, an
/// organisation's voter-JWT key that was replaced or removed may still verify
/// tokens on an instance for up to this long.
pub const CONTEXT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(2);

/// Entries kept at most; past that the cache starts over (it is only a cache).
const CONTEXT_MAX_ENTRIES: usize = 10_000;

/// The per-instance cache of [`VoterContext`]s (see [`CONTEXT_MAX_AGE`]).
#[derive(Default)]
pub struct ContextCache {
    entries: Mutex<HashMap<ContestId, (Instant, Arc<VoterContext>)>>,
}

impl ContextCache {
    fn get(&self, id: ContestId) -> Option<Arc<VoterContext>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&id)
            .filter(|(at, _)| at.elapsed() < CONTEXT_MAX_AGE)
            .map(|(_, ctx)| ctx.clone())
    }

    fn put(&self, id: ContestId, ctx: Arc<VoterContext>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CONTEXT_MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id, (Instant::now(), ctx));
    }
}

/// The contest (hidden while a draft) with its voter-JWT key and candidates:
/// from the cache when `fresh` is false and a recent enough snapshot exists,
/// else read now (and cached).
pub async fn voter_context(app: &App, id: ContestId, fresh: bool) -> AppResult<Arc<VoterContext>> {
    // Only a voting contest's snapshot is used: from then on its electorate,
    // candidates and limits are fixed. Before voting, every request reads the
    // contest (suggestions are few; electorate changes must apply at once).
    let cached = if fresh {
        None
    } else {
        app.voter_contexts
            .get(id)
            .filter(|ctx| ctx.contest.phase_at(Utc::now()) == Phase::Voting)
    };
    let ctx = match cached {
        Some(ctx) => ctx,
        None => {
            let now = Utc::now();
            let loaded = app
                .db(move |conn| {
                    let Some(contest) = db::contests::find(conn, id)? else {
                        return Ok(None);
                    };
                    let key = if contest.electorate == Electorate::Jwt {
                        db::voters::find_jwt_key(conn, contest.org_id)?
                    } else {
                        None
                    };
                    let candidates = if contest.phase_at(now) >= Phase::Voting {
                        Some(Arc::new(db::ballots::candidates(conn, id)?))
                    } else {
                        None
                    };
                    Ok(Some(VoterContext {
                        contest,
                        key,
                        candidates,
                    }))
                })
                .await?;
            let Some(ctx) = loaded else {
                return Err(AppError::not_found("contest"));
            };
            let ctx = Arc::new(ctx);
            app.voter_contexts.put(id, ctx.clone());
            ctx
        }
    };
    if ctx.contest.phase_at(Utc::now()) == Phase::Draft {
        return Err(AppError::not_found("contest"));
    }
    Ok(ctx)
}

/// The voter of `contest_id` that `token` proves, with the contest as a recent
/// snapshot saw it. A token refused on a snapshot is checked again on a fresh
/// read before it is refused (a key registered or an electorate changed a
/// moment ago).
pub async fn authenticate(app: &App, contest_id: ContestId, token: &str) -> AppResult<Voter> {
    let mut ctx = voter_context(app, contest_id, false).await?;
    let verified = verify_token(&app.secret, &ctx.contest, ctx.key.as_ref(), token);
    let voter_hash = match verified {
        Ok(hash) => hash,
        Err(AppError::Unauthorized(_)) => {
            ctx = voter_context(app, contest_id, true).await?;
            verify_token(&app.secret, &ctx.contest, ctx.key.as_ref(), token)?
        }
        Err(e) => return Err(e),
    };
    Ok(Voter {
        contest: ctx.contest.clone(),
        candidates: ctx.candidates.clone(),
        voter_hash,
    })
}
