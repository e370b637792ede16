//! Signed webhooks: an organisation registers HTTPS endpoints for some event
//! types; every change of those types is written to the outbox in the
//! transaction that makes it (the `emit_*` functions below, called by the use
//! cases that make the changes), and the delivery worker (`app::delivery`) posts
//! it to each subscribed endpoint as a Standard Webhook.
//!
//! - **Body**: `{type, timestamp, data}`, `data` naming the contest
//!   (`contest_id`); the same bytes on every attempt.
//! - **Headers**: `webhook-id` (the event id, the same on every attempt: the
//!   receiver's idempotency key), `webhook-timestamp` (Unix seconds of the
//!   attempt) and `webhook-signature: v1,<base64 HMAC-SHA256(key,
//!   "{id}.{timestamp}.{body}")>`, the key being the bytes after `whsec_` of the
//!   endpoint's secret, base64-decoded.
//! - **The secret** is shown once, at registration. It is not stored: the
//!   database holds a random salt per endpoint, and the key is
//!   HMAC-SHA256(server secret, endpoint id ‖ salt), recomputed to sign. Whoever
//!   holds both the database and the server secret can recompute it (as for
//!   voter hashes, docs/SECURITY.md S2); the database alone does not give it.
//! - **Targets** (docs/SECURITY.md): `https` only, and no private, loopback,
//!   link-local, unspecified, multicast or otherwise reserved address, checked
//!   at registration for addresses and `localhost` names (a 422) and again at
//!   delivery after DNS resolution (the request connects only to an address
//!   that passed). `CHRISTEN_WEBHOOK_ALLOW_PRIVATE=true` lifts both rules.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use reqwest::Url;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;

use super::{Admin, App};
use crate::config::Secret;
use crate::db::{self, outbox::NewEvent, webhooks::EndpointRow, Conn};
use crate::domain::{ContestId, FieldError, OrgId, Phase};
use crate::error::{AppError, AppResult};

/// The event types an endpoint can subscribe to.
pub const EVENT_TYPES: [&str; 5] = [
    PHASE_CHANGED,
    SUGGESTION_CREATED,
    SUGGESTION_MODERATED,
    RESULTS_UPDATED,
    RESULTS_FINAL,
];
pub const PHASE_CHANGED: &str = "contest.phase_changed";
pub const SUGGESTION_CREATED: &str = "suggestion.created";
pub const SUGGESTION_MODERATED: &str = "suggestion.moderated";
/// Debounced: at most one per contest per [`RESULTS_DEBOUNCE_SECS`].
pub const RESULTS_UPDATED: &str = "results.updated";
pub const RESULTS_FINAL: &str = "results.final";
/// Sent by `POST /v1/webhooks/{id}/test` to that endpoint only.
pub const TEST: &str = "webhook.test";

/// `results.updated` is announced at most once per contest per this many seconds.
pub const RESULTS_DEBOUNCE_SECS: f64 = 10.0;
/// Endpoints one organisation may register.
pub const MAX_ENDPOINTS: usize = 20;
const MAX_URL_CHARS: usize = 2000;
const MAX_DESCRIPTION_CHARS: usize = 500;

/// Who may be a target (registration's half; the delivery worker has the other).
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetPolicy {
    /// `CHRISTEN_WEBHOOK_ALLOW_PRIVATE`: plain `http` and private, loopback and
    /// link-local addresses allowed (tests, private networks).
    pub allow_private: bool,
}

// --- Targets ---------------------------------------------------------------

/// Whether `ip` may be a webhook target: a public unicast address. Refused:
/// unspecified, loopback, private (RFC 1918, IPv6 unique local), shared
/// (100.64/10), link-local, multicast, broadcast, documentation, benchmarking
/// and reserved ranges, and IPv6 forms that embed a refused IPv4 address.
/// docs/SECURITY.md (webhook targets).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                      // "this network"
        || a == 10                                // private
        || a == 127                               // loopback
        || (a == 100 && (64..128).contains(&b))   // shared (CGNAT)
        || (a == 169 && b == 254)                 // link-local
        || (a == 172 && (16..32).contains(&b))    // private
        || (a == 192 && b == 0 && c == 0)         // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)         // documentation
        || (a == 192 && b == 168)                 // private
        || (a == 198 && (b == 18 || b == 19))     // benchmarking
        || (a == 198 && b == 51 && c == 100)      // documentation
        || (a == 203 && b == 0 && c == 113)       // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    match s[0] {
        // ::/96 (unspecified, loopback, IPv4-compatible) and the rest of ::/8
        0 => false,
        // 64:ff9b::/96 NAT64 maps an IPv4 address; 64:ff9b:1::/48 is local use
        0x64 if s[1] == 0xff9b => s[2..6] == [0, 0, 0, 0] && is_public_v4(embedded_v4(s[6], s[7])),
        // 100::/64 discard
        0x100 if s[1..4] == [0, 0, 0] => false,
        // 2001::/32 Teredo, 2001:db8::/32 documentation
        0x2001 if s[1] == 0 || s[1] == 0xdb8 => false,
        // 2002::/16 6to4 embeds an IPv4 address
        0x2002 => is_public_v4(embedded_v4(s[1], s[2])),
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local,
        // ff00::/8 multicast
        x if x & 0xfe00 == 0xfc00 || x & 0xffc0 == 0xfe80 || x & 0xffc0 == 0xfec0 => false,
        x if x & 0xff00 == 0xff00 => false,
        _ => true,
    }
}

/// `host` names this machine by name alone (`localhost`, `*.localhost`).
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// Checks a target URL: absolute, `https` (or `http` with `allow_private`), no
/// credentials, and a host that is not a refused address nor a `localhost`
/// name (names are checked again after DNS resolution, at delivery).
pub fn check_url(raw: &str, policy: TargetPolicy) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("not an absolute URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_private => {}
        _ => return Err("must be an `https` URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if policy.allow_private {
        return match url.host_str() {
            Some(_) => Ok(url),
            None => Err("needs a host".into()),
        };
    }
    let host = url.host_str().ok_or("needs a host")?;
    let allowed = match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => is_public(ip),
        Err(_) => !is_local_name(host),
    };
    if allowed {
        Ok(url)
    } else {
        Err(
            "must not point at a private, loopback, link-local or otherwise non-public address"
                .into(),
        )
    }
}

// --- Signatures ------------------------------------------------------------

/// The signing key of endpoint `id`: HMAC-SHA256(server secret, a label ‖ the
/// endpoint id ‖ its stored salt). Never stored.
pub fn signing_key(server: &Secret, endpoint_id: Uuid, salt: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(server.expose().as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(b"christen webhook signing key v1\0");
    mac.update(endpoint_id.as_bytes());
    mac.update(salt);
    mac.finalize().into_bytes().into()
}

/// The secret as the receiver configures it: `whsec_` + base64 of the key.
pub fn secret_text(key: &[u8; 32]) -> String {
    format!("whsec_{}", STANDARD.encode(key))
}

/// The `webhook-signature` header value for one attempt (Standard Webhooks).
pub fn signature(key: &[u8], msg_id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

// --- Registration ----------------------------------------------------------

/// An endpoint as admins see it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    /// False once it failed for the whole retry window; it then gets nothing.
    pub enabled: bool,
    /// Since when every attempt has failed (null after a success).
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<EndpointRow> for Webhook {
    fn from(row: EndpointRow) -> Self {
        Webhook {
            id: row.id,
            url: row.url,
            events: row.events,
            description: row.description,
            enabled: row.enabled,
            failing_since: row.failing_since,
            disabled_at: row.disabled_at,
            created_at: row.created_at,
        }
    }
}

/// A registration, checked.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    url: String,
    events: Vec<String>,
    description: String,
}

impl NewWebhook {
    /// Checks every field, reporting every bad one (422).
    pub fn parse(
        url: &str,
        events: &[String],
        description: Option<&str>,
        policy: TargetPolicy,
    ) -> AppResult<NewWebhook> {
        let mut errors = Vec::new();
        if url.chars().count() > MAX_URL_CHARS {
            errors.push(FieldError::new(
                "url",
                format!("at most {MAX_URL_CHARS} characters"),
            ));
        } else if let Err(m) = check_url(url, policy) {
            errors.push(FieldError::new("url", m));
        }
        let mut kept: Vec<String> = Vec::new();
        for (i, e) in events.iter().enumerate() {
            if !EVENT_TYPES.contains(&e.as_str()) {
                errors.push(FieldError::new(
                    format!("events[{i}]"),
                    format!("unknown event type; one of {}", EVENT_TYPES.join(", ")),
                ));
            } else if !kept.contains(e) {
                kept.push(e.clone());
            }
        }
        if events.is_empty() {
            errors.push(FieldError::new("events", "name at least one event type"));
        }
        let description = description.unwrap_or("").trim();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(FieldError::new(
                "description",
                format!("at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        } else if description.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "description",
                "one line without control characters",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        Ok(NewWebhook {
            url: url.to_owned(),
            events: kept,
            description: description.to_owned(),
        })
    }
}

/// An endpoint just registered, with its signing secret (shown once).
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// Registers an endpoint for the admin's organisation (audited); at most
/// [`MAX_ENDPOINTS`] per organisation (409 beyond).
pub async fn create(app: &App, admin: Admin, new: NewWebhook) -> AppResult<CreatedWebhook> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let id = Uuid::new_v4();
    let row = app
        .db(move |conn| {
            db::transaction(conn, |conn| {
                // Serialises registrations of one organisation, so the limit holds.
                db::webhooks::lock_org(conn, admin.org())?;
                if db::webhooks::list_for_org(conn, admin.org())?.len() >= MAX_ENDPOINTS {
                    return Err(AppError::conflict(
                        "webhook_limit_reached",
                        format!("an organisation may register at most {MAX_ENDPOINTS} webhooks; delete one first"),
                    ));
                }
                let row = db::webhooks::insert(
                    conn,
                    &db::webhooks::NewEndpoint {
                        id,
                        org_id: admin.org(),
                        url: &new.url,
                        events: &new.events,
                        description: &new.description,
                        secret_salt: &salt,
                    },
                )?;
                db::audit::record(
                    conn,
                    admin.org(),
                    None,
                    &admin.actor(),
                    "webhook.create",
                    json!({ "webhook_id": id, "url": row.url, "events": row.events }),
                )?;
                Ok(row)
            })
        })
        .await?;
    let secret = secret_text(&signing_key(&app.secret, row.id, &row.secret_salt));
    Ok(CreatedWebhook {
        webhook: row.into(),
        secret,
    })
}

/// The organisation's endpoints, oldest first.
pub async fn list(app: &App, admin: Admin) -> AppResult<Vec<Webhook>> {
    let rows = app
        .db(move |conn| Ok(db::webhooks::list_for_org(conn, admin.org())?))
        .await?;
    Ok(rows.into_iter().map(Webhook::from).collect())
}

/// Deletes one of the organisation's endpoints and its deliveries (audited);
/// another organisation's is a 404 (docs/SECURITY.md S1).
pub async fn delete(app: &App, admin: Admin, id: Uuid) -> AppResult<Webhook> {
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let row = db::webhooks::delete_for_org(conn, admin.org(), id)?
                .ok_or_else(|| AppError::not_found("webhook"))?;
            db::audit::record(
                conn,
                admin.org(),
                None,
                &admin.actor(),
                "webhook.delete",
                json!({ "webhook_id": id, "url": row.url }),
            )?;
            Ok(Webhook::from(row))
        })
    })
    .await
}

/// One delivery as admins see it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub contest_id: Option<Uuid>,
    /// `pending`, `delivered` or `failed` (given up, or the endpoint disabled).
    pub status: String,
    pub attempts: i32,
    /// The HTTP status of the last answer (null: none, e.g. no connection).
    pub last_response_code: Option<i32>,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
    /// At most the first KiB of the last answer's body.
    pub last_response_body: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A page of deliveries, newest first; `next` is the cursor of the next page.
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub next: Option<i64>,
}

/// Deliveries of one of the organisation's endpoints (another's is a 404),
/// newest first, before the cursor `before`, at most `limit`.
pub async fn deliveries(
    app: &App,
    admin: Admin,
    id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> AppResult<DeliveryPage> {
    let mut rows = app
        .db(move |conn| {
            db::webhooks::find_for_org(conn, admin.org(), id)?
                .ok_or_else(|| AppError::not_found("webhook"))?;
            Ok(db::webhooks::deliveries(conn, id, before, limit + 1)?)
        })
        .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| Delivery {
            id: r.id,
            event_id: r.event_id,
            event_type: r.event_type,
            contest_id: r.contest_id,
            next_attempt_at: (r.status == "pending").then_some(r.next_attempt_at),
            status: r.status,
            attempts: r.attempts,
            last_response_code: r.last_status_code,
            last_error: r.last_error,
            last_response_body: r.last_response,
            last_attempt_at: r.last_attempt_at,
            delivered_at: r.delivered_at,
            created_at: r.created_at,
        })
        .collect();
    Ok(DeliveryPage { items, next })
}

/// A test event just queued for one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct QueuedTest {
    pub event_id: Uuid,
    pub delivery_id: Uuid,
}

/// Queues a `webhook.test` event for one of the organisation's endpoints (a
/// 404 for another's, a 409 for a disabled one).
pub async fn send_test(app: &App, admin: Admin, id: Uuid) -> AppResult<QueuedTest> {
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let endpoint = db::webhooks::find_for_org(conn, admin.org(), id)?
                .ok_or_else(|| AppError::not_found("webhook"))?;
            if !endpoint.enabled {
                return Err(AppError::conflict(
                    "webhook_disabled",
                    "this webhook was disabled after failing for the whole retry window; register it again",
                ));
            }
            let event_id = Uuid::new_v4();
            let body = event_body(TEST, Utc::now(), json!({ "webhook_id": id }))?;
            let delivery_id = db::outbox::enqueue_for(
                conn,
                &NewEvent {
                    id: event_id,
                    org_id: admin.org(),
                    contest_id: None,
                    event_type: TEST,
                    body: &body,
                },
                id,
            )?;
            Ok(QueuedTest {
                event_id,
                delivery_id,
            })
        })
    })
    .await
}

// --- Emitting events (inside the transaction of the change) ---------------

fn event_body(event_type: &str, at: DateTime<Utc>, data: Value) -> AppResult<String> {
    serde_json::to_string(&json!({
        "type": event_type,
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    }))
    .map_err(|e| AppError::Unexpected(e.into()))
}

/// Writes an event about `contest` to the outbox, for the organisation's
/// endpoints subscribed to `event_type`. Call inside the transaction of the
/// change, holding the contest row's lock (so events of a contest are queued
/// in commit order).
pub fn emit(
    conn: &mut Conn,
    org: OrgId,
    contest: ContestId,
    event_type: &'static str,
    mut data: Value,
) -> AppResult<()> {
    if let Some(map) = data.as_object_mut() {
        map.insert("contest_id".into(), json!(contest.0));
    }
    let body = event_body(event_type, Utc::now(), data)?;
    db::outbox::enqueue(
        conn,
        &NewEvent {
            id: Uuid::new_v4(),
            org_id: org.0,
            contest_id: Some(contest.0),
            event_type,
            body: &body,
        },
    )?;
    Ok(())
}

/// `contest.phase_changed`, and `results.final` when the contest closed.
pub fn emit_phase_changed(
    conn: &mut Conn,
    org: OrgId,
    contest: ContestId,
    from: Phase,
    to: Phase,
) -> AppResult<()> {
    emit(
        conn,
        org,
        contest,
        PHASE_CHANGED,
        json!({ "from": from, "to": to }),
    )?;
    if to == Phase::Closed {
        emit_results_final(conn, org, contest)?;
    }
    Ok(())
}

/// `results.final`: once per contest (a second one is not written).
pub fn emit_results_final(conn: &mut Conn, org: OrgId, contest: ContestId) -> AppResult<()> {
    emit(
        conn,
        org,
        contest,
        RESULTS_FINAL,
        json!({ "phase": Phase::Closed }),
    )
}

/// `suggestion.created` for a new suggestion `row` of `contest`.
pub fn emit_suggestion_created(
    conn: &mut Conn,
    org: OrgId,
    row: &db::suggestions::SuggestionRow,
) -> AppResult<()> {
    emit(
        conn,
        org,
        ContestId(row.contest_id),
        SUGGESTION_CREATED,
        json!({ "suggestion_id": row.id, "name": row.name, "status": row.status }),
    )
}

/// `suggestion.moderated`: `row` as it is after an approval, a rejection or a
/// merge (`merged_into` set).
pub fn emit_suggestion_moderated(
    conn: &mut Conn,
    org: OrgId,
    row: &db::suggestions::SuggestionRow,
) -> AppResult<()> {
    emit(
        conn,
        org,
        ContestId(row.contest_id),
        SUGGESTION_MODERATED,
        json!({
            "suggestion_id": row.id,
            "name": row.name,
            "status": row.status,
            "merged_into": row.merged_into,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            signature(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn the_secret_is_whsec_and_the_key_in_base64() {
        let key = signing_key(&Secret::new("x".repeat(40)), Uuid::nil(), &[1; 16]);
        let text = secret_text(&key);
        let decoded = STANDARD
            .decode(text.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(decoded, key);
        let other = signing_key(&Secret::new("x".repeat(40)), Uuid::nil(), &[2; 16]);
        assert_ne!(key, other, "the salt changes the key");
    }

    #[test]
    fn only_public_unicast_addresses_are_targets() {
        for refused in [
            "0.0.0.0",
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2001:db8::1",
            "fec0::1",
        ] {
            assert!(
                !is_public(refused.parse().unwrap()),
                "{refused} must be refused"
            );
        }
        for allowed in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert!(
                is_public(allowed.parse().unwrap()),
                "{allowed} must be allowed"
            );
        }
    }

    #[test]
    fn urls_need_https_and_a_public_host_unless_private_is_allowed() {
        let strict = TargetPolicy::default();
        let open = TargetPolicy {
            allow_private: true,
        };
        assert!(check_url("https://hooks.example.com/x", strict).is_ok());
        assert!(check_url("https://8.8.8.8/x", strict).is_ok());
        for bad in [
            "http://hooks.example.com/x",
            "ftp://hooks.example.com/",
            "https://127.0.0.1/",
            "https://[::1]:8443/",
            "https://localhost/",
            "https://LOCALHOST./",
            "https://a.localhost/",
            "https://0x7f.1/",
            "https://2130706433/",
            "https://user:pw@hooks.example.com/",
            "hooks.example.com",
            "https://169.254.169.254/",
        ] {
            assert!(check_url(bad, strict).is_err(), "{bad} must be refused");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", open).is_ok());
        assert!(check_url("ftp://127.0.0.1/", open).is_err());
    }
}
