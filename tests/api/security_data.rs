//! docs/SECURITY.md S5 and S11 over HTTP: a ballot export that is safe to open
//! in a spreadsheet (and still re-counts to the same result with the original
//! names), voter tokens with `nbf` or `crit`, and RSA keys under 2048 bits.

use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
use rsa::pkcs8::EncodePublicKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{assert_problem, spawn_app, winner_names, TestApp, TEST_SECRET};

// --- S5: exports safe to open in a spreadsheet ----------------------------

/// Names a spreadsheet would run as formulas (OWASP's CSV injection examples).
const FORMULA_NAMES: [&str; 4] = [
    "=HYPERLINK(\"http://evil\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
];

/// The cells of `text` as a spreadsheet reads them, through a real CSV parser.
fn cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("the export is valid CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// A CSV formula scanner: every cell a spreadsheet would take for a formula
/// (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return).
fn formula_cells(cells: &[Vec<String>]) -> Vec<String> {
    cells
        .iter()
        .flatten()
        .filter(|c| c.starts_with(['=', '+', '-', '@', '\t', '\r']))
        .cloned()
        .collect()
}

/// Runs the built `christen tally --format csv --json` on `file`.
fn christen_tally(file: &std::path::Path, method: &str, seed: u64) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_christen"))
        .args(["tally", "--format", "csv", "--json", "--method", method])
        .args(["--seed", &seed.to_string()])
        .arg(file)
        .output()
        .expect("running christen tally");
    assert!(
        out.status.success(),
        "christen tally failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("tally JSON")
}

#[test]
fn names_that_look_like_formulas_are_refused_if_they_hold_tabs_and_never_exported_as_formulas() {
    let app = spawn_app();
    // Tabs and carriage returns are control characters: no name holds one, so
    // they cannot start a cell of the export either.
    let contest = app.suggesting_contest(json!({}));
    for name in ["\tTab", "\rReturn", "Tab\there"] {
        let token = app.mint_voter_token(&contest);
        let body = assert_problem(
            app.suggest(&contest, &token, name),
            422,
            "validation_failed",
        );
        assert_eq!(body["errors"][0]["field"], "name", "{name:?}: {body}");
    }

    // Names suggested over the API, moderated and voted on as any other.
    let mut names: Vec<&str> = FORMULA_NAMES.to_vec();
    names.push("Shelf Life");
    let (id, sids) = app.contest_with_candidates(json!({ "method": "irv" }), &names);
    // `=HYPERLINK(…)` wins once the others are eliminated.
    for (ranking, copies) in [
        (vec![0, 4], 4),
        (vec![1, 0], 2),
        (vec![2, 0], 1),
        (vec![3], 1),
        (vec![4, 1], 3),
    ] {
        for _ in 0..copies {
            let token = app.mint_voter_token(&id);
            let ranking: Vec<String> = ranking.iter().map(|&i| sids[i].clone()).collect();
            assert_eq!(app.put_ballot(&id, &token, &ranking).status(), 201);
        }
    }
    app.move_phase(&id, "closed");

    let res = app.export(&id, false, "csv");
    assert_eq!(res.status(), 200);
    let header_digest = res.headers()["x-ballot-digest"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = res.text().unwrap();

    // (a) No cell a spreadsheet would run; each such name is shown as text.
    let cells = cells(&text);
    assert_eq!(cells.len(), 1 + 11, "a header and one row per ballot");
    assert!(
        formula_cells(&cells).is_empty(),
        "formula cells: {:?}\n{text}",
        formula_cells(&cells)
    );
    let mut shown: Vec<String> = FORMULA_NAMES.iter().map(|n| format!("'{n}")).collect();
    shown.push("Shelf Life".into());
    assert_eq!(cells[0][1..], shown[..], "{text}");
    assert!(text.starts_with("receipt,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\","));

    // (b) The results' digest is of exactly the downloaded bytes.
    let published: Value = app.results(&id, false, "").json().unwrap();
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    assert_eq!(published["ballot_digest"], digest.as_str());
    assert_eq!(header_digest, digest);
    assert_eq!(winner_names(&published), [FORMULA_NAMES[0]]);

    // (c) `christen tally` reads the original names back and elects the same.
    let dir = std::env::temp_dir().join(format!("christen-s5-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ballots.csv");
    std::fs::write(&file, &text).unwrap();
    let uuid: uuid::Uuid = id.parse().unwrap();
    let seed = u64::from_be_bytes(uuid.as_bytes()[..8].try_into().unwrap());
    let recount = christen_tally(&file, "irv", seed);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(winner_names(&recount), [FORMULA_NAMES[0]]);
    assert_eq!(recount["ballot_digest"], digest.as_str());
    let read_back: Vec<&str> = recount["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(read_back, names);
}

// --- S11: voter tokens with `nbf` or `crit` -------------------------------

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Suggests a fresh name with `token`; the answer says whether it was accepted.
fn try_token(app: &TestApp, contest: &str, token: &str) -> reqwest::blocking::Response {
    let name = format!("Name {}", uuid::Uuid::new_v4().simple());
    app.suggest(contest, token, &name)
}

/// A Christen voter token as the service would sign it (the key is derived
/// from the server secret the tests run with), with `extra` claims and
/// `crit` in the header if given.
fn christen_token(contest: &str, extra: Value, crit: Option<Vec<String>>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(TEST_SECRET.as_bytes()).unwrap();
    mac.update(b"christen voter token signing key v1");
    let key: [u8; 32] = mac.finalize().into_bytes().into();
    let mut claims = json!({
        "sub": uuid::Uuid::new_v4().to_string(),
        "aud": contest,
        "iss": "christen",
        "iat": now(),
        "exp": now() + 3600,
        "ele": "open",
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let mut header = Header::new(Algorithm::HS256);
    header.crit = crit;
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&key)).unwrap()
}

fn refused(res: reqwest::blocking::Response, says: &str) {
    let body = assert_problem(res, 401, "unauthorized");
    assert!(
        body["detail"].as_str().unwrap().contains(says),
        "{says:?} in {body}"
    );
}

#[test]
fn christen_tokens_not_valid_yet_or_with_crit_are_refused() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({}));
    // The tokens the test signs are good ones.
    let plain = christen_token(&contest, json!({}), None);
    assert_eq!(try_token(&app, &contest, &plain).status(), 201);
    let past = christen_token(&contest, json!({ "nbf": now() - 60 }), None);
    assert_eq!(try_token(&app, &contest, &past).status(), 201);
    // Clocks differ a little: as for `exp`, 30 seconds of leeway.
    let skewed = christen_token(&contest, json!({ "nbf": now() + 10 }), None);
    assert_eq!(try_token(&app, &contest, &skewed).status(), 201);

    let future = christen_token(&contest, json!({ "nbf": now() + 3600 }), None);
    refused(try_token(&app, &contest, &future), "not valid yet");
    let malformed = christen_token(&contest, json!({ "nbf": "tomorrow" }), None);
    refused(try_token(&app, &contest, &malformed), "not a valid JWT");

    for crit in [vec!["exp".to_owned()], vec!["b64".to_owned()], vec![]] {
        let token = christen_token(&contest, json!({}), Some(crit.clone()));
        refused(try_token(&app, &contest, &token), "`crit`");
    }
}

const HS_SECRET: &str = "an-organisation-shared-secret-of-40-bytes";

fn put_key(app: &TestApp, body: Value) -> reqwest::blocking::Response {
    app.admin(Method::PUT, "/v1/voter-jwt-key")
        .json(&body)
        .send()
        .unwrap()
}

fn org_token(alg: Algorithm, key: &EncodingKey, contest: &str, extra: Value, crit: bool) -> String {
    let mut claims = json!({
        "sub": format!("user-{}", uuid::Uuid::new_v4().simple()),
        "aud": contest,
        "exp": now() + 3600,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let mut header = Header::new(alg);
    if crit {
        header.crit = Some(vec!["exp".to_owned()]);
    }
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

#[test]
fn organisation_jwts_not_valid_yet_or_with_crit_are_refused() {
    let app = spawn_app();
    let contest = app.suggesting_contest(json!({ "electorate": "jwt" }));
    assert_eq!(
        put_key(&app, json!({ "alg": "HS256", "secret": HS_SECRET })).status(),
        200
    );
    let key = EncodingKey::from_secret(HS_SECRET.as_bytes());
    let hs = |extra: Value, crit: bool| org_token(Algorithm::HS256, &key, &contest, extra, crit);

    assert_eq!(
        try_token(&app, &contest, &hs(json!({}), false)).status(),
        201
    );
    assert_eq!(
        try_token(&app, &contest, &hs(json!({ "nbf": now() - 60 }), false)).status(),
        201
    );
    assert_eq!(
        try_token(&app, &contest, &hs(json!({ "nbf": now() + 10 }), false)).status(),
        201
    );
    refused(
        try_token(&app, &contest, &hs(json!({ "nbf": now() + 3600 }), false)),
        "not valid yet",
    );
    refused(try_token(&app, &contest, &hs(json!({}), true)), "`crit`");
}

// --- S11: RSA keys of at least 2048 bits ----------------------------------

fn rsa_key(bits: usize) -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).expect("generating an RSA key")
}

/// The public half as `PUBLIC KEY` (SPKI) PEM.
fn spki_pem(key: &rsa::RsaPrivateKey) -> String {
    key.to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

#[test]
fn rsa_keys_under_2048_bits_are_refused() {
    let app = spawn_app();
    let short = rsa_key(1024);
    let pkcs1 = short.to_public_key().to_pkcs1_pem(LineEnding::LF).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    for pem in [spki_pem(&short), pkcs1, spki_pem(&rsa_key(2047))] {
        let body = assert_problem(
            put_key(&app, json!({ "alg": "RS256", "public_key_pem": pem })),
            422,
            "validation_failed",
        );
        assert_eq!(body["errors"][0]["field"], "public_key_pem", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("2048"), "{message}");
        assert!(
            message.contains("1024 bits") || message.contains("2047 bits"),
            "{message}"
        );
    }
    // Nothing was stored.
    assert_problem(
        app.admin(Method::GET, "/v1/voter-jwt-key").send().unwrap(),
        404,
        "not_found",
    );

    // A 2048-bit key is taken, and the organisation's JWTs signed with it work.
    let good = rsa_key(2048);
    let res = put_key(
        &app,
        json!({ "alg": "RS256", "public_key_pem": spki_pem(&good) }),
    );
    assert_eq!(res.status(), 200, "{:?}", res.text());
    let contest = app.suggesting_contest(json!({ "electorate": "jwt" }));
    let signing = EncodingKey::from_rsa_der(good.to_pkcs1_der().unwrap().as_bytes());
    let token = org_token(Algorithm::RS256, &signing, &contest, json!({}), false);
    assert_eq!(try_token(&app, &contest, &token).status(), 201);

    // A short key stored before the rule (written straight to the database)
    // verifies nothing.
    let short_signing = EncodingKey::from_rsa_der(short.to_pkcs1_der().unwrap().as_bytes());
    store_key_directly(&app, &spki_pem(&short));
    let token = org_token(Algorithm::RS256, &short_signing, &contest, json!({}), false);
    refused(try_token(&app, &contest, &token), "2048 bits");
}

/// Replaces the organisation's registered key in the database, bypassing the
/// API's checks, as a key registered by an older version would be.
fn store_key_directly(app: &TestApp, pem: &str) {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    let n = diesel::sql_query("UPDATE voter_jwt_keys SET alg = 'RS256', public_key_pem = $1")
        .bind::<Text, _>(pem)
        .execute(&mut app.db.connect())
        .expect("updating the key");
    assert_eq!(n, 1);
}
