//! Organisations: the first one and its first admin key come from the CLI
//! (`christen org create`); more keys are minted over the API.

use serde_json::json;
use uuid::Uuid;

use crate::db::{self, Conn};
use crate::domain::{DisplayName, NewApiKeySecret};
use crate::error::{AppError, AppResult};

/// What creating an organisation made: the key's secret exists only here.
pub struct CreatedOrg {
    pub org_id: Uuid,
    pub key_id: Uuid,
    pub api_key: String,
}

/// Creates an organisation named `name` with one admin key, in one transaction
/// (audited as done by the CLI).
pub fn create_org(conn: &mut Conn, name: &str) -> AppResult<CreatedOrg> {
    let name = DisplayName::parse(name).map_err(|m| AppError::invalid("name", m))?;
    let key = NewApiKeySecret::generate();
    db::transaction(conn, |conn| {
        let org = db::orgs::insert(conn, Uuid::new_v4(), name.as_str())?;
        let row = db::api_keys::insert(
            conn,
            Uuid::new_v4(),
            org.id,
            "initial admin key",
            &key.hash,
            &key.prefix,
        )?;
        db::audit::record(
            conn,
            org.id,
            None,
            "cli",
            "org.create",
            json!({ "name": org.name, "key_id": row.id }),
        )?;
        Ok(CreatedOrg {
            org_id: org.id,
            key_id: row.id,
            api_key: key.secret,
        })
    })
}
