//! `christen serve`: run the HTTP service until SIGINT or SIGTERM.

use std::time::Duration;

use crate::cli::runtime::{open_database, server_secret};
use crate::config::{DatabaseSettings, ServeSettings};
use crate::db::PoolOptions;
use crate::startup::{stop_on_signal, AppConfig, Application};

pub fn run(db: &DatabaseSettings, serve: &ServeSettings) -> anyhow::Result<()> {
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
            open_voter_limit: crate::app::voters::OpenVoterLimit {
                max_per_window: serve.open_voter_limit,
                window: Duration::from_secs(serve.open_voter_window_secs.max(1)),
                trust_forwarded_for: serve.trust_x_forwarded_for,
            },
            shutdown_timeout: Duration::from_secs(30),
        };
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config)?;
            tracing::info!(bind = %serve.bind, port = app.port(), "christen is listening");
            actix_web::rt::spawn(stop_on_signal(app.handle()));
            app.run_until_stopped().await?;
            tracing::info!("christen stopped");
            anyhow::Ok(())
        })
    })();
    database.shutdown();
    result
}
