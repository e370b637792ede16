//! `christen org create`: the first organisation and its admin API key.

use serde_json::json;

use crate::app::orgs::create_org;
use crate::cli::runtime::open_database;
use crate::config::DatabaseSettings;
use crate::db;

/// Runs `christen org create --name NAME [--json]`.
pub fn run_create(settings: &DatabaseSettings, name: &str, as_json: bool) -> anyhow::Result<()> {
    let database = open_database(settings)?;
    let result = (|| {
        let mut conn = db::connect(database.url.expose())?;
        create_org(&mut conn, name).map_err(|e| match e {
            crate::error::AppError::Validation { errors, .. } if !errors.is_empty() => {
                anyhow::anyhow!("--name: {}", errors[0].message)
            }
            other => anyhow::Error::new(other),
        })
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
