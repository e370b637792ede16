//! `openapi.yaml` against the code, without a database.
//!
//! The document is parsed with a real YAML parser (so a file that OpenAPI tools
//! refuse fails here too), its operations are compared both ways with the route
//! table `christen::api::ROUTES`, and every operation must document the statuses
//! that the service's generic layers can answer whatever the handler does:
//!
//! - a JSON request body (`extract::JsonBody`): 400 malformed JSON, 408 not
//!   arrived in time, 413 too large, 415 not sent as JSON, 422 wrong or
//!   unknown fields;
//! - a `{…_id}` path parameter (`extract::parse_id`): 400 not a UUID, 404;
//! - query parameters (`web::Query`, whose error handler is set in
//!   `startup.rs`): 400;
//! - any security scheme (`auth::bearer_token`, also for optional credentials:
//!   an `Authorization` header that is not `Bearer …` is refused): 401;
//! - the database (`AppState::db`, the API-key lookup, the voter context): 503
//!   when it is unavailable.
//!
//! And every documented response other than 204 and 304 has a content type with
//! a schema; every 4xx/5xx is `application/problem+json` with the `Problem`
//! schema (or one built on it), and carries the headers `error.rs` sets.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const SPEC: &str = include_str!("../openapi.yaml");

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Operations that never reach the database (so they cannot answer 503): they
/// answer from memory (`ops::healthz`, `ops::metrics`, `ops::openapi`,
/// `widget::get`). Every other operation must document 503.
const NO_DATABASE: [(&str, &str); 4] = [
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/openapi.yaml"),
    ("get", "/widget.js"),
];

const PROBLEM: &str = "#/components/schemas/Problem";

/// The document as JSON values. Parsing into `serde_yaml_ng::Value` first
/// refuses what strict YAML tools refuse (duplicate keys included).
fn spec() -> Value {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(SPEC)
        .unwrap_or_else(|e| panic!("openapi.yaml is not valid YAML: {e}"));
    serde_json::to_value(yaml).expect("openapi.yaml converts to JSON values")
}

/// Follows `$ref`s (local ones only) until a value that is not a reference.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return value;
        };
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref {reference}"));
        value = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("$ref {reference} points at nothing"));
    }
    panic!("$ref chain too long (a cycle?)")
}

struct Operation<'a> {
    method: &'a str,
    path: &'a str,
    op: &'a Value,
    /// Path-level and operation-level parameters, resolved.
    parameters: Vec<&'a Value>,
    /// Status → response object (resolved).
    responses: BTreeMap<String, &'a Value>,
}

impl Operation<'_> {
    fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    fn has_json_body(&self, doc: &Value) -> bool {
        self.op.get("requestBody").is_some_and(|body| {
            resolve(doc, body)
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| c.contains_key("application/json"))
        })
    }

    fn params_in(&self, place: &str) -> impl Iterator<Item = &&Value> {
        let place = place.to_owned();
        self.parameters
            .iter()
            .filter(move |p| p.get("in").and_then(Value::as_str) == Some(place.as_str()))
    }

    /// Names of the security schemes the operation accepts (empty: public).
    fn security_schemes(&self, doc: &Value) -> BTreeSet<String> {
        let requirements = self
            .op
            .get("security")
            .or_else(|| doc.get("security"))
            .and_then(Value::as_array);
        requirements
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|r| r.keys().cloned())
            .collect()
    }
}

fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let paths = doc["paths"].as_object().expect("`paths` is a mapping");
    let mut ops = Vec::new();
    for (path, item) in paths {
        let item = resolve(doc, item);
        let shared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| resolve(doc, p))
            .collect();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut parameters = shared.clone();
            parameters.extend(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| resolve(doc, p)),
            );
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .unwrap_or_else(|| panic!("{} {path} has no responses", method.to_uppercase()))
                .iter()
                .map(|(status, r)| (status.clone(), resolve(doc, r)))
                .collect();
            ops.push(Operation {
                method,
                path,
                op,
                parameters,
                responses,
            });
        }
    }
    ops
}

/// Every `$ref` anywhere in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Whether `schema` is the `Problem` schema, or one built on it with `allOf`.
fn is_problem_schema(doc: &Value, schema: &Value) -> bool {
    if schema.get("$ref").and_then(Value::as_str) == Some(PROBLEM) {
        return true;
    }
    if schema.get("$ref").is_some() {
        return is_problem_schema(doc, resolve(doc, schema));
    }
    schema
        .get("allOf")
        .and_then(Value::as_array)
        .is_some_and(|parts| parts.iter().any(|p| is_problem_schema(doc, p)))
}

#[test]
fn the_document_is_openapi_3_1_and_every_ref_resolves() {
    let doc = spec();
    let version = doc["openapi"].as_str().expect("`openapi` is a string");
    assert!(version.starts_with("3.1."), "openapi: {version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    let broken: Vec<&str> = all
        .into_iter()
        .filter(|r| r.strip_prefix('#').and_then(|p| doc.pointer(p)).is_none())
        .collect();
    assert!(broken.is_empty(), "$refs that point at nothing: {broken:?}");
}

#[test]
fn a_duplicate_key_is_refused_by_the_parser() {
    // What the drift test above relies on: the parser is strict.
    let doc = "a:\n  b: 1\na:\n  c: 2\n";
    assert!(serde_yaml_ng::from_str::<serde_yaml_ng::Value>(doc).is_err());
    // And an unquoted `: ` inside a plain scalar value is an error, as in YAML.
    assert!(serde_yaml_ng::from_str::<serde_yaml_ng::Value>("d: x: y\n").is_err());
}

#[test]
fn operations_match_the_route_table_both_ways() {
    let doc = spec();
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .iter()
        .map(|o| (o.method.to_owned(), o.path.to_owned()))
        .collect();
    let served: BTreeSet<(String, String)> = christen::api::ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.yaml: {undocumented:?}"
    );
    assert!(
        missing.is_empty(),
        "openapi.yaml operations with no route: {missing:?}"
    );
    for (method, path) in NO_DATABASE {
        assert!(
            served.contains(&(method.to_owned(), path.to_owned())),
            "NO_DATABASE names {method} {path}, which is not a route"
        );
    }
}

#[test]
fn path_ids_are_uuids() {
    let doc = spec();
    let mut wrong = Vec::new();
    for op in operations(&doc) {
        for p in op.params_in("path") {
            let name = p["name"].as_str().unwrap_or_default();
            if !op.path.contains(&format!("{{{name}}}")) {
                wrong.push(format!(
                    "{}: parameter {name} is not in the path",
                    op.label()
                ));
            }
            if name.ends_with("_id") && p["schema"]["format"].as_str() != Some("uuid") {
                wrong.push(format!("{}: {name} is not format: uuid", op.label()));
            }
        }
        for segment in op.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if !op.params_in("path").any(|p| p["name"] == name) {
                    wrong.push(format!("{}: {{{name}}} is not declared", op.label()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_operation_documents_what_the_generic_layers_answer() {
    let doc = spec();
    let mut missing = Vec::new();
    for op in operations(&doc) {
        let mut need: Vec<(&str, &str)> = Vec::new();
        if op.has_json_body(&doc) {
            need.extend([
                ("400", "malformed JSON body"),
                ("408", "body not arrived in time"),
                ("413", "body over the limit"),
                ("415", "body not sent as JSON"),
                ("422", "wrong or unknown body fields"),
            ]);
        }
        if op
            .params_in("path")
            .any(|p| p["name"].as_str().is_some_and(|n| n.ends_with("_id")))
        {
            need.extend([("400", "an id that is not a UUID"), ("404", "no such id")]);
        }
        if op.params_in("query").next().is_some() {
            need.push(("400", "a bad query string"));
        }
        if !op.security_schemes(&doc).is_empty() {
            need.push(("401", "bad or missing credentials"));
        }
        if !NO_DATABASE.contains(&(op.method, op.path)) {
            need.push(("503", "the database is unavailable"));
        }
        for (status, why) in need {
            if !op.responses.contains_key(status) {
                missing.push(format!("{} lacks {status} ({why})", op.label()));
            }
        }
    }
    missing.dedup();
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}

#[test]
fn every_response_with_a_body_has_a_content_type_and_a_schema() {
    let doc = spec();
    let mut wrong = Vec::new();
    for op in operations(&doc) {
        for (status, response) in &op.responses {
            let content = response.get("content").and_then(Value::as_object);
            if status == "204" || status == "304" {
                if content.is_some_and(|c| !c.is_empty()) {
                    wrong.push(format!("{} {status}: has a body", op.label()));
                }
                continue;
            }
            match content {
                Some(c) if !c.is_empty() => {
                    for (media, body) in c {
                        if body.get("schema").is_none() {
                            wrong.push(format!("{} {status} {media}: no schema", op.label()));
                        }
                    }
                }
                _ => wrong.push(format!("{} {status}: no content type", op.label())),
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn every_error_response_is_problem_json_with_the_headers_the_service_sends() {
    let doc = spec();
    let mut wrong = Vec::new();
    for op in operations(&doc) {
        for (status, response) in &op.responses {
            if !status.starts_with('4') && !status.starts_with('5') {
                continue;
            }
            let content = response.get("content").and_then(Value::as_object);
            let types: Vec<&String> = content.into_iter().flat_map(|c| c.keys()).collect();
            if types != ["application/problem+json"] {
                wrong.push(format!(
                    "{} {status}: content types {types:?}, not only application/problem+json",
                    op.label()
                ));
                continue;
            }
            let schema = &content.unwrap()["application/problem+json"]["schema"];
            if !is_problem_schema(&doc, schema) {
                wrong.push(format!("{} {status}: schema is not Problem", op.label()));
            }
            // `error.rs` sets these on every such answer.
            let header = match status.as_str() {
                "401" => Some("WWW-Authenticate"),
                "429" | "503" => Some("Retry-After"),
                _ => None,
            };
            if let Some(header) = header {
                let documented = response
                    .get("headers")
                    .and_then(Value::as_object)
                    .is_some_and(|h| h.contains_key(header));
                if !documented {
                    wrong.push(format!("{} {status}: no {header} header", op.label()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn json_request_bodies_refuse_unknown_fields_as_the_code_does() {
    // Every request body struct in src/api is `#[serde(deny_unknown_fields)]`,
    // so an unknown field is a 422: the schemas say so.
    let doc = spec();
    let mut wrong = Vec::new();
    for op in operations(&doc) {
        let Some(body) = op.op.get("requestBody") else {
            continue;
        };
        let body = resolve(&doc, body);
        for (media, content) in body["content"].as_object().into_iter().flatten() {
            let schema = resolve(&doc, &content["schema"]);
            let mut objects = vec![schema];
            while let Some(s) = objects.pop() {
                if s.get("type").and_then(Value::as_str) == Some("object")
                    && s.get("additionalProperties") != Some(&Value::Bool(false))
                {
                    wrong.push(format!(
                        "{} {media}: an object schema allows unknown fields",
                        op.label()
                    ));
                }
                let members = s
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|p| p.values());
                let branches = ["oneOf", "anyOf", "allOf"]
                    .into_iter()
                    .filter_map(|k| s.get(k).and_then(Value::as_array))
                    .flatten();
                for p in members.chain(branches) {
                    objects.push(resolve(&doc, p));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
