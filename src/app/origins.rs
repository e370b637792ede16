//! The web origins an organisation allows to call the JSON API from a browser
//! (CORS) and to frame its embed and participation pages (CSP
//! `frame-ancestors`).

use serde_json::json;
use uuid::Uuid;

use super::{Admin, App};
use crate::db;
use crate::domain::{normalise_origin, Validator, MAX_ORIGINS};
use crate::error::{AppError, AppResult};

/// The organisation's allowed origins, sorted.
pub async fn list(app: &App, admin: Admin) -> AppResult<Vec<String>> {
    app.db(move |conn| Ok(db::origins::list(conn, admin.org_id)?))
        .await
}

/// Replaces the organisation's list (audited) with `raw`, normalised, sorted and
/// deduplicated; every bad entry is reported at once. `[]` allows no other site.
pub async fn replace(app: &App, admin: Admin, raw: Vec<String>) -> AppResult<Vec<String>> {
    let mut v = Validator::new();
    if raw.len() > MAX_ORIGINS {
        v.push(
            "origins",
            format!("at most {MAX_ORIGINS} origins per organisation"),
        );
    }
    let mut origins: Vec<String> = raw
        .iter()
        .enumerate()
        .filter_map(|(i, o)| v.check(&format!("origins[{i}]"), normalise_origin(o)))
        .collect();
    v.finish().map_err(AppError::validation)?;
    origins.sort();
    origins.dedup();
    let saved = origins.clone();
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            db::origins::replace(conn, admin.org_id, &saved)?;
            db::audit::record(
                conn,
                admin.org(),
                None,
                &admin.actor(),
                "allowed_origins.replace",
                json!({ "origins": saved }),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(origins)
}

/// What a cross-origin request concerns, for looking its origin up.
#[derive(Debug, Clone, Copy)]
pub enum OriginScope {
    /// The caller's own organisation (an admin request).
    Org(Uuid),
    /// The organisation that owns this contest.
    Contest(Uuid),
    /// Nothing in particular (a preflight, a health check): any organisation's
    /// list will do.
    Any,
}

/// Whether `origin` (already normalised) is on the list that `scope` names.
pub async fn allows(app: &App, origin: String, scope: OriginScope) -> AppResult<bool> {
    app.db(move |conn| {
        Ok(match scope {
            OriginScope::Org(org) => db::origins::org_allows(conn, org, &origin)?,
            OriginScope::Contest(id) => db::origins::contest_allows(conn, id, &origin)?,
            OriginScope::Any => db::origins::any_allows(conn, &origin)?,
        })
    })
    .await
}
