//! `christen serve`: run the HTTP service until SIGINT or SIGTERM.

use std::time::Duration;

use crate::cli::runtime::{open_database, server_secret};
use crate::config::{DatabaseSettings, ServeSettings};
use crate::db::PoolOptions;
use crate::pgcluster::running_server;
use crate::startup::{stop_on_signal, AppConfig, Application, HttpOptions};

pub fn run(db: &DatabaseSettings, serve: &ServeSettings) -> anyhow::Result<()> {
    refuse_a_cluster_run_by_another_process(db)?;
    let database = open_database(db)?;
    let result = (|| {
        let secret = server_secret(serve.secret.as_ref(), database.is_embedded(), &db.data_dir)?;
        let config = AppConfig {
            database_url: database.url.clone(),
            database_read_url: db.database_read_url.clone(),
            bind: serve.bind.clone(),
            secret,
            pool: PoolOptions {
                max_size: db.db_pool_size,
                connection_timeout: Duration::from_millis(db.db_timeout_ms),
            },
            max_body_bytes: serve.max_body_bytes,
            max_streams: serve.max_streams,
            http: HttpOptions {
                public_url: serve.public_url.clone(),
                metrics_token: serve.metrics_token.clone(),
                max_streams_per_address: serve.max_streams_per_address,
                body_timeout: Duration::from_secs(serve.body_timeout_secs.max(1)),
                feed_poll: Duration::from_millis(serve.feed_poll_ms.max(10)),
            },
            open_voter_limit: crate::app::voters::OpenVoterLimit {
                max_per_window: serve.open_voter_limit,
                window: Duration::from_secs(serve.open_voter_window_secs.max(1)),
                trust_forwarded_for: serve.trust_x_forwarded_for,
            },
            shutdown_timeout: Duration::from_secs(30),
            webhooks: crate::app::delivery::DeliveryOptions {
                allow_private: serve.webhook_allow_private,
                retry_base: Duration::from_millis(serve.webhook_retry_base_ms.max(1)),
                retry_for: Duration::from_secs(serve.webhook_retry_for_secs.max(1)),
                ..Default::default()
            },
        };
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config)?;
            tracing::info!(
                bind = %serve.bind,
                port = app.port(),
                public_url = app.public_url(),
                "christen is listening"
            );
            actix_web::rt::spawn(stop_on_signal(app.handle()));
            app.run_until_stopped().await?;
            tracing::info!("christen stopped");
            anyhow::Ok(())
        })
    })();
    database.shutdown();
    result
}

/// In the embedded mode, a cluster that another process runs (another `christen
/// serve` on the same data directory, most likely) is not ours to use: it stops
/// when its owner does, and its owner keeps the secret. Says so, with the way
/// out, before anything else is started.
fn refuse_a_cluster_run_by_another_process(db: &DatabaseSettings) -> anyhow::Result<()> {
    if db.database_url.is_some() {
        return Ok(());
    }
    let dir = db.data_dir.join("postgres");
    let Some(server) = running_server(&dir) else {
        return Ok(());
    };
    let who = match server.owner {
        Some(owner) => format!("process {owner} (PostgreSQL server pid {})", server.pid),
        None => format!("another process (PostgreSQL server pid {})", server.pid),
    };
    let url = match server.port {
        Some(port) => format!("postgres://postgres@127.0.0.1:{port}/christen"),
        None => "its URL".to_owned(),
    };
    anyhow::bail!(
        "the embedded PostgreSQL in {} is already run by {who}, probably another `christen \
         serve` on the data directory {}. Stop that instance first, give this one its own \
         data directory (--data-dir or CHRISTEN_DATA_DIR), or share the database with \
         DATABASE_URL={url} and CHRISTEN_SECRET set to the contents of {}.",
        dir.display(),
        db.data_dir.display(),
        db.data_dir.join("secret").display()
    )
}
