//! API keys: authentication, minting, listing and revocation.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

#[test]
fn admin_routes_need_a_live_key() {
    let app = spawn_app();
    let res = app.public(Method::GET, "/v1/contests").send().unwrap();
    assert_eq!(
        res.headers().get("www-authenticate").unwrap(),
        "Bearer",
        "401s name the scheme"
    );
    assert_problem(res, 401, "unauthorized");
    let res = app
        .as_key("chr_not-a-real-key", Method::GET, "/v1/contests")
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    let res = app
        .public(Method::GET, "/v1/contests")
        .header("Authorization", format!("Basic {}", app.api_key))
        .send()
        .unwrap();
    assert_problem(res, 401, "unauthorized");
    let res = app.admin(Method::GET, "/v1/contests").send().unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn keys_are_minted_listed_without_secrets_and_revoked_at_once() {
    let app = spawn_app();
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({ "name": "deploy bot" }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().unwrap();
    let second = created["api_key"].as_str().unwrap().to_owned();
    assert!(second.starts_with("chr_"));
    assert_eq!(created["name"], "deploy bot");

    // The new key works.
    let res = app
        .as_key(&second, Method::GET, "/v1/api-keys")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().unwrap();
    assert!(!text.contains(&second), "a listing never shows a secret");
    assert!(!text.contains(&app.api_key));
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(list["items"][0]["name"], "deploy bot", "newest first");

    // Only a hash is stored.
    {
        use diesel::prelude::*;
        use diesel::sql_types::BigInt;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = app.db.connect();
        let found: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM api_keys WHERE position($1::bytea in key_hash) > 0 OR key_prefix = $1",
        )
        .bind::<diesel::sql_types::Text, _>(&second)
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(found.n, 0, "the plain key is stored nowhere");
    }

    // Revoke the first key using the second: the first is refused at once.
    let first_id = list["items"][1]["id"].as_str().unwrap().to_owned();
    let res = app
        .as_key(&second, Method::DELETE, &format!("/v1/api-keys/{first_id}"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked: Value = res.json().unwrap();
    assert!(revoked["revoked_at"].is_string());
    let res = app.admin(Method::GET, "/v1/contests").send().unwrap();
    assert_problem(res, 401, "unauthorized");

    // The last live key cannot be revoked.
    let second_id = created["id"].as_str().unwrap();
    let res = app
        .as_key(
            &second,
            Method::DELETE,
            &format!("/v1/api-keys/{second_id}"),
        )
        .send()
        .unwrap();
    assert_problem(res, 409, "last_api_key");
}

#[test]
fn another_organisations_key_is_not_found() {
    let app = spawn_app();
    let (_, other_key) = app.other_org("School");
    let theirs: Value = app
        .as_key(&other_key, Method::GET, "/v1/api-keys")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let their_id = theirs["items"][0]["id"].as_str().unwrap();
    let res = app
        .admin(Method::DELETE, &format!("/v1/api-keys/{their_id}"))
        .send()
        .unwrap();
    assert_problem(res, 404, "not_found");
    let res = app
        .as_key(&other_key, Method::GET, "/v1/api-keys")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "their key still works");
    let res = app
        .admin(Method::DELETE, "/v1/api-keys/not-a-uuid")
        .send()
        .unwrap();
    assert_problem(res, 400, "invalid_id");
}

#[test]
fn key_names_are_validated() {
    let app = spawn_app();
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({ "name": "   " }))
        .send()
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "name");
}
