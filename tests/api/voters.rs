//! Voters: the three electorates, voter tokens and their checks, codes, the
//! organisation's voter-JWT key, and the open electorate's rate limit.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};

/// Test keys, generated once with `openssl genpkey` (never used anywhere else).
const RSA_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7hhEb1uRbhUT4\n\
GnQTwRySuxaYrIxn0+gGgkSQvQv0zkPykOpbxtr1/q8jqbNU7xb+zTNj2lxHLzyR\n\
lTFHIWccSI5VHsIz2o9OgH7M/fm7MW9OgKj2DT9jTYjy3tVaV1D/yT2cPyEY/Vfo\n\
tmh8dISatgkwRwr5+Fuys9oRZ0C/KVpll/InThuk6MVw/ELC8aRVkSuL9iufA/Qx\n\
cgtgY2x5vCOt33kWSH+I+9uzbN/I3c/g1Z7HwPSViUruOrCO3B3DzvzDqDDbinDJ\n\
VViU+xCULaEV8oKCdxw0v0nXo+EIXVTfUZNz3aYODb8nkzu8nsI4E0xjRxIZLRo2\n\
rzFuN7oNAgMBAAECggEAU8EabRu6nKHWXxW5mIUc1PBYtFIE1+7OZ/HQ2/CDoZBq\n\
yrEs61bSvyJEaSJHZXzwAVf3RvblVinj3IYNH17s5bYGVEBLrstETGSZvccFvjTj\n\
KOXQES1zjU+5Bfi+w/3RwJzKNrn/d2DX3aly23tTKqJ5UiW44lKp6hPoJvO9+GKj\n\
f9oiYDeL3nXqV5r+IC4vrVh+sTPh8i5MW4DMuLOpn955q8CABa9t85cotMI4Knh3\n\
WzRlU+F4hgLikUvWwrhDckEpuXXvMfih27fKbL52r4+kl2cgfj+0ir6dy/V8KxLb\n\
qn39wUEWHpoQIEwYFJe0d1SxGyO10cjfEX3VGp0XxQKBgQD5+wdzGLPOs02OeEkU\n\
7+eZDl7cx9yPQVdjP1jmfpx5Hpvkjpsn0RjKV7f9Q+bXkc3a1UM8k6JyLVA1obKD\n\
hLaKE6ozqY6Grlr2oBhkNzZpcER+kPnTXqqzsKPIfjKjG64fV9WKyI2b+RbG3f7C\n\
/ua9hSzlLYdE1m2s0DOihVtkowKBgQDACgfmyeDjO4c29Ut7UeUp/SlMks2pFPM8\n\
nHLba80I7WZJlIei5MtX72hoD6kurpzYgqYZ0glA4QIps5JzqpJkM8fwkQnEjgnh\n\
V3aJOY+xZiGmNJT7di7GVnGlsS/kSIq7fsbRScw38qlwsn5MLwX1/ymaPlbaE+zW\n\
TcAPMKChjwKBgQD5ZKcG/eMNWbcLZxfKKpoNCdg8PazewtqTKnTf5/rln1L6EAfd\n\
Dm/EFwV5SA/6iv0r0E33Fncfn/OAviQhr/qJAJtyVTvbRAF+QTR0btz7DkVXW/3S\n\
EYUOJjEQak7MiWYK4Q8rGXCl5jkCCCINmk7LTxz+O5DTbXYXzdNl1dPbLwKBgHwC\n\
vkGB4lC680FBPAIhy3vG+PFy544lckGUwfMB9UCrlV80pDZDyzA48NIqMtVreuux\n\
yrNn2APmibAGPy+kWa6NZbLq5kTgeG7lPS22Vx1214nt8LtGAUShM/iMqGGhmr0j\n\
TB6AqnkCofqduUNXJmFJ6kKpuQpQzaNCSCFHBKPvAoGAI7/TnEA5LqAz9n7FxeEe\n\
8b6vRVxer1ivkf7AlAazAv0OCnY1UEzB94S3zs+kCgjusHKE/0US9HnLq5O3AR1M\n\
SrCHrLLTx2q3Fr6+haYirnQ5dXxmAhjTxb0WaPGigKu6r2/VbVupGDxxLf6HRMht\n\
Ua/nnSeiU3RZAWc3Yc0mOqI=\n\
-----END PRIVATE KEY-----";
const RSA_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu4YRG9bkW4VE+Bp0E8Ec\n\
krsWmKyMZ9PoBoJEkL0L9M5D8pDqW8ba9f6vI6mzVO8W/s0zY9pcRy88kZUxRyFn\n\
HEiOVR7CM9qPToB+zP35uzFvToCo9g0/Y02I8t7VWldQ/8k9nD8hGP1X6LZofHSE\n\
mrYJMEcK+fhbsrPaEWdAvylaZZfyJ04bpOjFcPxCwvGkVZEri/YrnwP0MXILYGNs\n\
ebwjrd95Fkh/iPvbs2zfyN3P4NWex8D0lYlK7jqwjtwdw878w6gw24pwyVVYlPsQ\n\
lC2hFfKCgnccNL9J16PhCF1U31GTc92mDg2/J5M7vJ7COBNMY0cSGS0aNq8xbje6\n\
DQIDAQAB\n\
-----END PUBLIC KEY-----";
const ED_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIPxVjPJa+GPlFdNgtSQJNRek8wUUxNPhowElXj1xBjGz\n\
-----END PRIVATE KEY-----";
const ED_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
MCowBQYDK2VwAyEAfPnfT0RvZ7NRVhntKMZaQdrudFZd0DBPN4T6bwxDQmM=\n\
-----END PUBLIC KEY-----";
/// Another Ed25519 key, whose signatures the registered key must refuse.
const OTHER_ED_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIO29eO9KH/RHrN46dsewr56vlQAel8dsNqeMIl29Wef2\n\
-----END PRIVATE KEY-----";
const HS_SECRET: &str = "an-organisation-shared-secret-of-40-bytes";

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Tries a participant endpoint with `token`: suggests a fresh name.
fn suggest_status(app: &TestApp, contest: &str, token: &str) -> reqwest::blocking::Response {
    let name = format!("Name {}", uuid::Uuid::new_v4().simple());
    app.suggest(contest, token, &name)
}

fn post_voters(app: &TestApp, contest: &str) -> reqwest::blocking::Response {
    app.public(Method::POST, &format!("/v1/contests/{contest}/voters"))
        .send()
        .unwrap()
}

#[test]
fn the_open_electorate_hands_out_a_token_per_request() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    let res = post_voters(&app, &contest);
    assert_eq!(res.status(), 201);
    let body: Value = res.json().unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(body["expires_at"].as_str().is_some(), "{body}");
    let claims = claims_of(token);
    assert_eq!(claims["aud"], contest.as_str());
    assert_eq!(claims["iss"], "christen");
    assert!(claims["exp"].as_i64().unwrap() > now());
    // An empty JSON object is the same request; every request is a new voter.
    let res = app
        .public(Method::POST, &format!("/v1/contests/{contest}/voters"))
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let other = res.json::<Value>().unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(claims_of(&other)["sub"], claims["sub"]);
    // The token works on the contest's participant endpoints.
    assert_eq!(suggest_status(&app, &contest, token).status(), 201);
    // So is an empty body sent as JSON.
    let res = app
        .public(Method::POST, &format!("/v1/contests/{contest}/voters"))
        .header("Content-Type", "application/json")
        .body("")
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    // A body that is not JSON is still refused.
    let res = app
        .public(Method::POST, &format!("/v1/contests/{contest}/voters"))
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type");
    // A code makes no sense here.
    let res = app
        .public(Method::POST, &format!("/v1/contests/{contest}/voters"))
        .json(&json!({ "code": "ABCDE" }))
        .send()
        .unwrap();
    assert_problem(res, 422, "validation_failed");
}

#[test]
fn drafts_and_unknown_contests_have_no_voters() {
    let app = spawn_app();
    let draft = app.create_contest(json!({}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(post_voters(&app, &draft), 404, "not_found");
    assert_problem(
        post_voters(&app, "00000000-0000-0000-0000-000000000000"),
        404,
        "not_found",
    );
    assert_problem(post_voters(&app, "not-a-uuid"), 400, "invalid_id");
}

#[test]
fn a_token_is_bound_to_its_contest() {
    let app = spawn_app();
    let a = app.suggesting_contest(json!({}));
    let b = app.suggesting_contest(json!({}));
    let token_a = app.voter_token(&a);
    assert_eq!(suggest_status(&app, &a, &token_a).status(), 201);
    let body = assert_problem(suggest_status(&app, &b, &token_a), 401, "unauthorized");
    assert!(
        body["detail"].as_str().unwrap().contains("another contest"),
        "{body}"
    );
    // No token, garbage, an API key, a tampered signature: all 401.
    let res = app
        .public(Method::POST, &format!("/v1/contests/{a}/suggestions"))
        .json(&json!({ "name": "Anon" }))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    assert_problem(suggest_status(&app, &a, "not.a.jwt"), 401, "unauthorized");
    assert_problem(suggest_status(&app, &a, &app.api_key), 401, "unauthorized");
    let mut tampered = token_a.clone();
    tampered.pop();
    tampered.push(if token_a.ends_with('A') { 'B' } else { 'A' });
    assert_problem(suggest_status(&app, &a, &tampered), 401, "unauthorized");
}

#[test]
fn an_expired_christen_token_is_refused() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    let past = chrono::Utc::now() - chrono::Duration::hours(2);
    let token = christen::api::voter::issue_token(
        &christen::config::Secret::new(crate::helpers::TEST_SECRET),
        contest.parse().unwrap(),
        christen::domain::Electorate::Open,
        uuid::Uuid::new_v4(),
        past - chrono::Duration::hours(1),
        past,
    )
    .unwrap()
    .token;
    let body = assert_problem(suggest_status(&app, &contest, &token), 401, "unauthorized");
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
}

#[test]
fn a_token_of_another_electorate_is_refused_after_the_electorate_changes() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    let token = app.voter_token(&contest);
    let res = app
        .admin(Method::PATCH, &format!("/v1/contests/{contest}"))
        .json(&json!({ "electorate": "codes" }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_problem(suggest_status(&app, &contest, &token), 401, "unauthorized");
}

#[test]
fn the_open_electorate_is_rate_limited_per_address_across_instances() {
    let app = spawn_app_with(|c| c.open_voter_limit.max_per_window = 3);
    let contest = app.suggesting_contest(json!({}));
    let other_contest = app.suggesting_contest(json!({}));
    let second = app.another_instance(|c| c.open_voter_limit.max_per_window = 3);
    let second_post = || {
        app.client
            .post(second.url(&format!("/v1/contests/{contest}/voters")))
            .send()
            .unwrap()
    };
    assert_eq!(post_voters(&app, &contest).status(), 201);
    assert_eq!(second_post().status(), 201);
    assert_eq!(post_voters(&app, &contest).status(), 201);
    // The fourth request within the window, on either instance, is refused.
    let res = second_post();
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    assert_problem(res, 429, "voter_rate_limited");
    assert_problem(post_voters(&app, &contest), 429, "voter_rate_limited");
    // X-Forwarded-For is not trusted unless configured.
    let res = app
        .public(Method::POST, &format!("/v1/contests/{contest}/voters"))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .unwrap();
    assert_problem(res, 429, "voter_rate_limited");
    // The limit is per contest.
    assert_eq!(post_voters(&app, &other_contest).status(), 201);
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_address_is_counted() {
    let app = spawn_app_with(|c| {
        c.open_voter_limit.max_per_window = 1;
        c.open_voter_limit.trust_forwarded_for = true;
    });
    let contest = app.suggesting_contest(json!({}));
    let from = |addr: &str| {
        app.public(Method::POST, &format!("/v1/contests/{contest}/voters"))
            .header("X-Forwarded-For", format!("198.51.100.1, {addr}"))
            .send()
            .unwrap()
    };
    assert_eq!(from("203.0.113.1").status(), 201);
    assert_problem(from("203.0.113.1"), 429, "voter_rate_limited");
    assert_eq!(from("203.0.113.2").status(), 201);
    // IPv6 clients are counted per /64.
    assert_eq!(from("2001:db8:1:2::1").status(), 201);
    assert_problem(from("2001:db8:1:2::ffff"), 429, "voter_rate_limited");
}

fn codes_contest(app: &TestApp) -> String {
    app.suggesting_contest(json!({ "electorate": "codes" }))
}

#[test]
fn codes_are_shown_once_and_yield_the_same_voter_every_time() {
    let app = spawn_app();
    let contest = codes_contest(&app);
    let codes = app.voter_codes(&contest, 3);
    assert_eq!(codes.len(), 3);
    let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 3);
    let first = app.voter_token_for_code(&contest, &codes[0]);
    let again = app.voter_token_for_code(&contest, &codes[0]);
    assert_eq!(claims_of(&first)["sub"], claims_of(&again)["sub"]);
    // Typed sloppily (lower case, spaces for dashes) it is the same code.
    let sloppy = codes[0].to_lowercase().replace('-', " ");
    let third = app.voter_token_for_code(&contest, &sloppy);
    assert_eq!(claims_of(&third)["sub"], claims_of(&first)["sub"]);
    let other = app.voter_token_for_code(&contest, &codes[1]);
    assert_ne!(claims_of(&other)["sub"], claims_of(&first)["sub"]);
    // One voter, one identity: a second suggestion of the same name by the same
    // code holder records no second support.
    assert_eq!(app.suggest(&contest, &first, "Book Nook").status(), 201);
    let res = app.suggest(&contest, &again, "book nook");
    let body = assert_problem(res, 409, "duplicate_suggestion");
    assert_eq!(body["support_recorded"], false, "{body}");
    assert_eq!(admin_support_count(&app, &contest), 1);
    // Only hashes are stored: no stored value contains a code's text.
    use diesel::prelude::*;
    let mut conn = app.db.connect();
    let stored: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(*) FROM voter_codes WHERE position(convert_to('{}', 'UTF8') in code_hash) > 0 \
           OR octet_length(code_hash) <> 32)",
        codes[0].replace('-', "")
    )))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(stored, 0);
}

#[test]
fn bad_codes_and_misplaced_requests_are_refused() {
    let app = spawn_app();
    let contest = codes_contest(&app);
    let open = app.suggesting_contest(json!({}));
    let codes = app.voter_codes(&contest, 1);
    let exchange = |contest: &str, body: Value| {
        app.public(Method::POST, &format!("/v1/contests/{contest}/voters"))
            .json(&body)
            .send()
            .unwrap()
    };
    assert_problem(
        exchange(&contest, json!({ "code": "AAAAA-BBBBB-CCCCC-DDDDD" })),
        401,
        "unauthorized",
    );
    assert_problem(exchange(&contest, json!({})), 422, "validation_failed");
    assert_problem(post_voters(&app, &contest), 422, "validation_failed");
    assert_problem(
        exchange(&contest, json!({ "code": 5 })),
        422,
        "validation_failed",
    );
    assert_problem(
        exchange(&contest, json!({ "code": "x", "extra": 1 })),
        422,
        "validation_failed",
    );
    // A code of one contest is no use on another.
    let other = codes_contest(&app);
    assert_problem(
        exchange(&other, json!({ "code": codes[0] })),
        401,
        "unauthorized",
    );
    // Counts are bounded; codes need the codes electorate; admins only.
    for count in [0, 10_001, -1] {
        let res = app
            .admin(Method::POST, &format!("/v1/contests/{contest}/codes"))
            .json(&json!({ "count": count }))
            .send()
            .unwrap();
        assert_problem(res, 422, "validation_failed");
    }
    let res = app
        .admin(Method::POST, &format!("/v1/contests/{open}/codes"))
        .json(&json!({ "count": 1 }))
        .send()
        .unwrap();
    assert_problem(res, 409, "electorate_mismatch");
    let res = app
        .public(Method::POST, &format!("/v1/contests/{contest}/codes"))
        .json(&json!({ "count": 1 }))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    let (_, other_key) = app.other_org("Town Museum");
    let res = app
        .as_key(
            &other_key,
            Method::POST,
            &format!("/v1/contests/{contest}/codes"),
        )
        .json(&json!({ "count": 1 }))
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
}

#[test]
fn ten_thousand_codes_in_one_request() {
    let app = spawn_app();
    let contest = codes_contest(&app);
    let codes = app.voter_codes(&contest, 10_000);
    assert_eq!(codes.len(), 10_000);
    let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10_000);
    app.voter_token_for_code(&contest, &codes[9_999]);
}

fn jwt_contest(app: &TestApp) -> String {
    app.suggesting_contest(json!({ "electorate": "jwt" }))
}

fn put_key(app: &TestApp, body: Value) -> reqwest::blocking::Response {
    app.admin(Method::PUT, "/v1/voter-jwt-key")
        .json(&body)
        .send()
        .unwrap()
}

fn org_claims(sub: &str, aud: &str, exp: i64) -> Value {
    json!({ "sub": sub, "aud": aud, "exp": exp, "iat": now() })
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

fn hs(claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(HS_SECRET.as_bytes()),
        claims,
    )
}

#[test]
fn organisation_jwts_signed_with_hs256_are_voter_tokens() {
    let app = spawn_app();
    let contest = jwt_contest(&app);
    let token = hs(&org_claims("user-17", &contest, now() + 3600));
    // No key registered yet.
    assert_problem(suggest_status(&app, &contest, &token), 401, "unauthorized");
    let res = put_key(&app, json!({ "alg": "HS256", "secret": HS_SECRET }));
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    assert_eq!(body["alg"], "HS256");
    assert!(
        !body.to_string().contains(HS_SECRET),
        "the secret is never echoed: {body}"
    );
    let got: Value = app
        .admin(Method::GET, "/v1/voter-jwt-key")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(!got.to_string().contains(HS_SECRET), "{got}");
    assert_eq!(got["secret_fingerprint"], body["secret_fingerprint"]);

    assert_eq!(app.suggest(&contest, &token, "Stacks").status(), 201);
    // The same user in another token is the same voter.
    let again = hs(&org_claims("user-17", &contest, now() + 7200));
    let body = assert_problem(
        app.suggest(&contest, &again, "stacks!"),
        409,
        "duplicate_suggestion",
    );
    assert_eq!(body["support_recorded"], false);
    let other_user = hs(&org_claims("user-18", &contest, now() + 3600));
    let body = assert_problem(
        app.suggest(&contest, &other_user, "STACKS"),
        409,
        "duplicate_suggestion",
    );
    assert_eq!(body["support_recorded"], true);
    // A pending suggestion's support shows only to the organisation's admins.
    assert_eq!(admin_support_count(&app, &contest), 2);

    // Wrong audience, expired, another contest, unknown algorithm variants.
    let other_contest = jwt_contest(&app);
    for (what, bad) in [
        (
            "wrong aud",
            hs(&org_claims("u", &other_contest, now() + 3600)),
        ),
        ("expired", hs(&org_claims("u", &contest, now() - 3600))),
        ("no exp", hs(&json!({ "sub": "u", "aud": contest }))),
        (
            "no sub",
            hs(&json!({ "aud": contest, "exp": now() + 3600 })),
        ),
        (
            "HS384",
            sign(
                Algorithm::HS384,
                &EncodingKey::from_secret(HS_SECRET.as_bytes()),
                &org_claims("u", &contest, now() + 3600),
            ),
        ),
        (
            "another secret",
            sign(
                Algorithm::HS256,
                &EncodingKey::from_secret(b"not-the-registered-secret-at-all-0123456789"),
                &org_claims("u", &contest, now() + 3600),
            ),
        ),
        (
            "alg none",
            alg_none(&org_claims("u", &contest, now() + 3600)),
        ),
        (
            "RS256",
            sign(
                Algorithm::RS256,
                &EncodingKey::from_rsa_pem(RSA_PRIVATE_PEM.as_bytes()).unwrap(),
                &org_claims("u", &contest, now() + 3600),
            ),
        ),
    ] {
        let res = suggest_status(&app, &contest, &bad);
        assert_eq!(res.status(), 401, "{what} must be refused");
        assert_problem(res, 401, "unauthorized");
    }
    // The token for the other contest works there.
    let there = hs(&org_claims("u", &other_contest, now() + 3600));
    assert_eq!(suggest_status(&app, &other_contest, &there).status(), 201);

    // Christen's own tokens are not for jwt contests, and vice versa.
    assert_problem(post_voters(&app, &contest), 409, "electorate_mismatch");
    let open = app.suggesting_contest(json!({}));
    let on_open = hs(&org_claims("u", &open, now() + 3600));
    assert_problem(suggest_status(&app, &open, &on_open), 401, "unauthorized");
    let christen_token = app.mint_voter_token(&open);
    assert_problem(
        suggest_status(&app, &contest, &christen_token),
        401,
        "unauthorized",
    );

    // Deleting the key stops the organisation's tokens at once.
    let res = app
        .admin(Method::DELETE, "/v1/voter-jwt-key")
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(suggest_status(&app, &contest, &token), 401, "unauthorized");
    assert_problem(
        app.admin(Method::GET, "/v1/voter-jwt-key").send().unwrap(),
        404,
        "not_found",
    );
    assert_problem(
        app.admin(Method::DELETE, "/v1/voter-jwt-key")
            .send()
            .unwrap(),
        404,
        "not_found",
    );
}

/// An unsigned token (`alg: none`).
fn alg_none(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

#[test]
fn organisation_jwts_signed_with_rs256_are_checked_against_the_public_key() {
    let app = spawn_app();
    let contest = jwt_contest(&app);
    let res = put_key(
        &app,
        json!({ "alg": "RS256", "public_key_pem": RSA_PUBLIC_PEM }),
    );
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    assert_eq!(body["public_key_pem"], RSA_PUBLIC_PEM);
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE_PEM.as_bytes()).unwrap();
    let good = sign(
        Algorithm::RS256,
        &key,
        &org_claims("alice", &contest, now() + 600),
    );
    assert_eq!(suggest_status(&app, &contest, &good).status(), 201);
    for (what, bad) in [
        (
            "expired",
            sign(
                Algorithm::RS256,
                &key,
                &org_claims("alice", &contest, now() - 600),
            ),
        ),
        (
            "wrong aud",
            sign(
                Algorithm::RS256,
                &key,
                &org_claims("alice", "someone-else", now() + 600),
            ),
        ),
        (
            "RS512",
            sign(
                Algorithm::RS512,
                &key,
                &org_claims("alice", &contest, now() + 600),
            ),
        ),
        (
            "PS256",
            sign(
                Algorithm::PS256,
                &key,
                &org_claims("alice", &contest, now() + 600),
            ),
        ),
        // The classic confusion: HS256 keyed with the public key's text.
        (
            "HS256 with the public key",
            sign(
                Algorithm::HS256,
                &EncodingKey::from_secret(RSA_PUBLIC_PEM.as_bytes()),
                &org_claims("alice", &contest, now() + 600),
            ),
        ),
        (
            "alg none",
            alg_none(&org_claims("alice", &contest, now() + 600)),
        ),
    ] {
        let res = suggest_status(&app, &contest, &bad);
        assert_eq!(res.status(), 401, "{what} must be refused");
    }
}

#[test]
fn organisation_jwts_signed_with_eddsa_are_checked_against_the_public_key() {
    let app = spawn_app();
    let contest = jwt_contest(&app);
    let res = put_key(
        &app,
        json!({ "alg": "EdDSA", "public_key_pem": ED_PUBLIC_PEM }),
    );
    assert_eq!(res.status(), 200);
    let key = EncodingKey::from_ed_pem(ED_PRIVATE_PEM.as_bytes()).unwrap();
    let good = sign(
        Algorithm::EdDSA,
        &key,
        &org_claims("bob", &contest, now() + 600),
    );
    assert_eq!(suggest_status(&app, &contest, &good).status(), 201);
    let other = EncodingKey::from_ed_pem(OTHER_ED_PRIVATE_PEM.as_bytes()).unwrap();
    for (what, bad) in [
        (
            "another key",
            sign(
                Algorithm::EdDSA,
                &other,
                &org_claims("bob", &contest, now() + 600),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::EdDSA,
                &key,
                &org_claims("bob", &contest, now() - 600),
            ),
        ),
        (
            "wrong aud",
            sign(
                Algorithm::EdDSA,
                &key,
                &org_claims("bob", &uuid::Uuid::new_v4().to_string(), now() + 600),
            ),
        ),
        ("HS256", hs(&org_claims("bob", &contest, now() + 600))),
        (
            "alg none",
            alg_none(&org_claims("bob", &contest, now() + 600)),
        ),
    ] {
        let res = suggest_status(&app, &contest, &bad);
        assert_eq!(res.status(), 401, "{what} must be refused");
    }
}

#[test]
fn bad_keys_are_refused_and_nothing_is_stored() {
    let app = spawn_app();
    for body in [
        json!({ "alg": "HS256", "secret": "short" }),
        json!({ "alg": "HS256" }),
        json!({ "alg": "HS256", "secret": HS_SECRET, "public_key_pem": RSA_PUBLIC_PEM }),
        json!({ "alg": "RS256", "public_key_pem": RSA_PRIVATE_PEM }),
        json!({ "alg": "RS256", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----" }),
        json!({ "alg": "RS256", "secret": HS_SECRET }),
        json!({ "alg": "EdDSA", "public_key_pem": RSA_PUBLIC_PEM }),
        json!({ "alg": "none", "secret": HS_SECRET }),
        json!({ "alg": "ES256", "public_key_pem": ED_PUBLIC_PEM }),
        json!({ "alg": "HS256", "secret": HS_SECRET, "kid": "x" }),
    ] {
        assert_problem(put_key(&app, body), 422, "validation_failed");
    }
    assert_problem(
        app.admin(Method::GET, "/v1/voter-jwt-key").send().unwrap(),
        404,
        "not_found",
    );
    let res = app
        .public(Method::PUT, "/v1/voter-jwt-key")
        .json(&json!({ "alg": "HS256", "secret": HS_SECRET }))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
}

#[test]
fn each_organisation_has_its_own_key() {
    let app = spawn_app();
    let contest = jwt_contest(&app);
    assert_eq!(
        put_key(&app, json!({ "alg": "HS256", "secret": HS_SECRET })).status(),
        200
    );
    let (_, other_key) = app.other_org("Town Museum");
    // The other organisation sees no key, and its own key does not open ours.
    assert_problem(
        app.as_key(&other_key, Method::GET, "/v1/voter-jwt-key")
            .send()
            .unwrap(),
        404,
        "not_found",
    );
    let res = app
        .as_key(&other_key, Method::PUT, "/v1/voter-jwt-key")
        .json(&json!({ "alg": "EdDSA", "public_key_pem": ED_PUBLIC_PEM }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let key = EncodingKey::from_ed_pem(ED_PRIVATE_PEM.as_bytes()).unwrap();
    let theirs = sign(
        Algorithm::EdDSA,
        &key,
        &org_claims("eve", &contest, now() + 600),
    );
    assert_problem(suggest_status(&app, &contest, &theirs), 401, "unauthorized");
    let ours = hs(&org_claims("eve", &contest, now() + 600));
    assert_eq!(suggest_status(&app, &contest, &ours).status(), 201);
}

#[test]
fn counters_of_past_windows_are_swept() {
    use diesel::prelude::*;
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    let mut conn = app.db.connect();
    diesel::sql_query(format!(
        "INSERT INTO voter_rate_limits (contest_id, bucket_key, window_start, count)
         SELECT '{contest}', '192.0.2.' || n, now() - interval '1 day', 1 FROM generate_series(1, 50) n"
    ))
    .execute(&mut conn)
    .unwrap();
    let stale = |conn: &mut diesel::PgConnection| -> i64 {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT count(*) FROM voter_rate_limits WHERE contest_id = '{contest}' AND window_start < now() - interval '1 hour')"
        )))
        .get_result(conn)
        .unwrap()
    };
    assert_eq!(stale(&mut conn), 50);
    // One request in 32 sweeps; 400 requests miss with probability (31/32)^400 < 1e-5.
    let limited = app.another_instance(|c| c.open_voter_limit.max_per_window = 1_000);
    for _ in 0..400 {
        let res = app
            .client
            .post(limited.url(&format!("/v1/contests/{contest}/voters")))
            .send()
            .unwrap();
        assert_eq!(res.status(), 201);
        if stale(&mut conn) == 0 {
            return;
        }
    }
    panic!("stale counters were never swept");
}

/// The support count of the contest's only suggestion, as its admins see it.
fn admin_support_count(app: &TestApp, contest: &str) -> i64 {
    let listed: Value = app
        .admin(Method::GET, &format!("/v1/contests/{contest}/suggestions"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    listed["items"][0]["support_count"].as_i64().unwrap()
}
