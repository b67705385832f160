//! The `stoa` binary: loads the configuration, then serves the forum, migrates the database or
//! runs an admin command. Everything else lives in the library crates.

mod admin;
mod config;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use stoa_core::forums::{DEFAULT_STARTER_FORUMS, StarterForums};
use stoa_web::{AppState, WebConfig};
use tracing_subscriber::EnvFilter;

use config::Config;

#[derive(Parser)]
#[command(name = "stoa", version, about = "Stoa, a federated discussion forum")]
struct Cli {
    /// A TOML configuration file (see docs/stoa.example.toml). STOA_* variables override it.
    #[arg(long, global = true, env = "STOA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the forum: migrates the database, creates the starter forums on first run, serves.
    Serve,
    /// Applies pending database migrations.
    Migrate {
        /// Roll every migration back instead (drops all of Stoa's tables and data).
        #[arg(long)]
        revert_all: bool,
    },
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("stoa: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(&config.log);
    match run(cli.command, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stoa: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

async fn connect(config: &Config) -> Result<stoa_db::DatabaseConnection> {
    let url = config.database_url()?;
    if url.starts_with("sqlite:") && config.database_url.is_empty() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    }
    stoa_db::connect(&url)
        .await
        .with_context(|| format!("connecting to the database at {}", redact(&url)))
}

/// Hides a password in a database URL before it goes into a message.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

async fn run(command: Command, config: Config) -> Result<()> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate { revert_all } => {
            let db = connect(&config).await?;
            if revert_all {
                stoa_db::migrate_down_all(&db)
                    .await
                    .context("reverting migrations")?;
                println!("All migrations reverted.");
            } else {
                stoa_db::migrate(&db).await.context("applying migrations")?;
                println!("Database is up to date.");
            }
            Ok(())
        }
        Command::Admin { command } => {
            let db = connect(&config).await?;
            stoa_db::migrate(&db).await.context("applying migrations")?;
            // An admin command on a new database sees the same starter forums `serve` would.
            stoa_core::forums::seed_starter(&db, &starter_forums(&config)?)
                .await
                .map_err(|e| anyhow::anyhow!("creating the starter forums: {e}"))?;
            admin::run(&db, command).await
        }
    }
}

fn starter_forums(config: &Config) -> Result<StarterForums> {
    let text = if config.starter_forums.is_empty() {
        DEFAULT_STARTER_FORUMS.to_owned()
    } else {
        std::fs::read_to_string(&config.starter_forums)
            .with_context(|| format!("reading starter forums from {}", config.starter_forums))?
    };
    StarterForums::parse(&text).map_err(|e| anyhow::anyhow!("starter forums: {e}"))
}

async fn serve(config: Config) -> Result<()> {
    let db = connect(&config).await?;
    stoa_db::migrate(&db).await.context("applying migrations")?;
    let created = stoa_core::forums::seed_starter(&db, &starter_forums(&config)?)
        .await
        .map_err(|e| anyhow::anyhow!("creating the starter forums: {e}"))?;
    if created > 0 {
        tracing::info!(forums = created, "created the starter forums");
    }
    if let Some(mode) = config.registration()? {
        stoa_core::safety::apply_configured_registration(&db, mode)
            .await
            .map_err(|e| anyhow::anyhow!("setting the registration mode: {e}"))?;
    }
    let base_url = config.base_url()?;
    let mut web_config = WebConfig::new(
        base_url.clone(),
        config.site_name.clone(),
        config.trust_forwarded_for,
    );
    web_config.backfill.max_threads = config.backfill_threads;
    web_config.delivery = stoa_web::DeliverySettings {
        retry_unit: std::time::Duration::from_secs(config.delivery_retry_unit_secs),
        per_server: config.delivery_per_server,
    };
    web_config.authorized_fetch = config.authorized_fetch;
    web_config.jury = config.jury();
    if config.dev_federation {
        tracing::warn!("development federation: http ids and loopback peers are allowed");
    }
    let state = AppState::new(db.clone(), web_config, config.dev_federation)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    state.spawn_delivery_worker();
    spawn_session_cleanup(db.clone());
    spawn_jury_clock(db);
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let local = listener.local_addr()?;
    tracing::info!(%local, "listening");
    println!("Stoa is running at {base_url} (listening on {local}). Press Ctrl-C to stop.");
    stoa_web::serve(listener, stoa_web::router(state), shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Once a minute: ends the juries whose deadline has passed (the votes cast decide), and the
/// suspensions whose time is up.
fn spawn_jury_clock(db: stoa_db::DatabaseConnection) {
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            match stoa_core::juries::decide_due(&db, chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(alerts = n, "juries reached their deadline"),
                Err(e) => tracing::warn!(error = %e, "ending juries failed"),
            }
            match stoa_core::safety::lift_expired(&db, chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(members = n, "suspensions ended"),
                Err(e) => tracing::warn!(error = %e, "ending suspensions failed"),
            }
        }
    });
}

/// Deletes expired sessions once an hour, so the table does not grow without bound.
fn spawn_session_cleanup(db: stoa_db::DatabaseConnection) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            match stoa_core::sessions::purge_expired(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "removed expired sessions"),
                Err(e) => tracing::warn!(error = %e, "removing expired sessions failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
