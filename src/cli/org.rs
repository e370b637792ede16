//! `christen org create`: the first organisation and its admin API key.

use diesel::{Connection, PgConnection};
use serde_json::json;
use uuid::Uuid;

use crate::cli::runtime::open_database;
use crate::config::DatabaseSettings;
use crate::db;
use crate::domain::{DisplayName, NewApiKeySecret};

/// What `org create` made: the key's secret exists only here.
pub struct CreatedOrg {
    pub org_id: Uuid,
    pub key_id: Uuid,
    pub api_key: String,
}

/// Creates an organisation with one admin key, in one transaction.
pub fn create_org(conn: &mut PgConnection, name: &str) -> anyhow::Result<CreatedOrg> {
    let name = DisplayName::parse(name).map_err(|m| anyhow::anyhow!("--name: {m}"))?;
    let key = NewApiKeySecret::generate();
    conn.transaction(|conn| {
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

/// Runs `christen org create --name NAME [--json]`.
pub fn run_create(settings: &DatabaseSettings, name: &str, as_json: bool) -> anyhow::Result<()> {
    let database = open_database(settings)?;
    let result = (|| {
        let mut conn = PgConnection::establish(database.url.expose())?;
        create_org(&mut conn, name)
    })();
    database.shutdown();
    let created = result?;
    if as_json {
        println!(
            "{}",
            json!({ "org_id": created.org_id, "api_key": created.api_key, "key_id": created.key_id })
        );
    } else {
        println!("organisation: {}", created.org_id);
        println!("api key:      {}", created.api_key);
        println!();
        println!(
            "The key is shown only now; store it safely. Use it as `Authorization: Bearer <key>`."
        );
    }
    Ok(())
}
