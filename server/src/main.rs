//! `gemscope`: the observability centre's single binary.
#![recursion_limit = "512"]

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};
use server::auth::admin::{Bootstrap, create_admin, ensure_first_admin};
use server::auth::ratelimit::LoginLimiter;
use server::config::Config;
use server::state::AppState;
use server::{db, web};

#[derive(Parser)]
#[command(
    name = "gemscope",
    version,
    about = "Gemscope: alert rules, channels, templates and dashboards for every cluster"
)]
struct Cli {
    /// A TOML file with settings; `GEMSCOPE_*` environment variables override it.
    #[arg(long, global = true, env = "GEMSCOPE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, create the first admin if needed, and serve the UI and API (default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a system administrator, or reset an existing user's password and make them admin.
    /// The password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
    },
    /// Print the effective configuration (secrets redacted).
    Config,
    /// The template library: seed presets, import or export KubeGems template files.
    Templates {
        #[command(subcommand)]
        action: TemplatesCommand,
    },
    /// Alert history maintenance.
    History {
        #[command(subcommand)]
        action: HistoryCommand,
    },
}

#[derive(Subcommand)]
enum HistoryCommand {
    /// Append alert notifications older than the retention age to CSV files under
    /// `<data_dir>/archive/`, then delete them.
    Archive {
        /// Overrides `history_retention_days`.
        #[arg(long)]
        older_than_days: Option<u32>,
    },
}

#[derive(Subcommand)]
enum TemplatesCommand {
    /// Add Gemscope's presets that are missing; existing (possibly edited) ones are kept.
    Seed,
    /// Import `promql_tpl.yaml`, `system_alert.yaml` and `dashboards/*.yaml` (a KubeGems `config/`
    /// directory, or one file). Imported entries replace existing ones of the same name.
    Import {
        path: std::path::PathBuf,
        /// Only report what would change.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the preset library as KubeGems files into a directory.
    Export { dir: std::path::PathBuf },
}

fn main() -> std::process::ExitCode {
    // reqwest, kube and sqlx share rustls; pick its crypto provider before any client exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Config => {
            println!("{config:#?}");
            Ok(())
        }
        Command::Migrate => {
            let conn = db::connect(&config.database_url).await?;
            db::migrate(&conn).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin { username } => {
            let mut pw = String::new();
            std::io::stdin().read_to_string(&mut pw)?;
            let conn = db::connect(&config.database_url).await?;
            db::migrate(&conn).await?;
            create_admin(&conn, &username, pw.trim_end_matches(['\r', '\n'])).await?;
            tracing::info!(%username, "system administrator ready");
            Ok(())
        }
        Command::Serve => serve(config).await,
        Command::Templates { action } => {
            let conn = db::connect(&config.database_url).await?;
            db::migrate(&conn).await?;
            templates_command(&conn, action).await
        }
        Command::History {
            action: HistoryCommand::Archive { older_than_days },
        } => {
            let conn = db::connect(&config.database_url).await?;
            db::migrate(&conn).await?;
            let days = older_than_days.unwrap_or(config.history_retention_days);
            let cutoff = server::db::now() - i64::from(days) * 86_400;
            let done = server::alerts::archive::archive(&conn, &config.data_dir, cutoff)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            println!(
                "archived {} notifications older than {days} days ({} alerts removed) into {}",
                done.notifications,
                done.instances,
                if done.files.is_empty() {
                    "no file".to_string()
                } else {
                    done.files.join(", ")
                }
            );
            Ok(())
        }
    }
}

fn print_summary(s: &app::model::ImportSummary) {
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    let verb = if s.applied { "" } else { " (dry run)" };
    println!(
        "added {}, updated {}, unchanged {}{verb}",
        s.added.len(),
        s.updated.len(),
        s.unchanged
    );
}

async fn templates_command(
    conn: &sea_orm::DatabaseConnection,
    action: TemplatesCommand,
) -> anyhow::Result<()> {
    use server::templates::library;
    let api = |e: app::error::ApiError| anyhow::anyhow!("{}", e.message);
    match action {
        TemplatesCommand::Seed => print_summary(&server::templates::seed(conn).await.map_err(api)?),
        TemplatesCommand::Import { path, dry_run } => {
            let files = library::parse(&library::read_path(&path)?).map_err(api)?;
            let summary = library::apply(conn, &files, library::Mode::Overwrite, !dry_run)
                .await
                .map_err(api)?;
            print_summary(&summary);
        }
        TemplatesCommand::Export { dir } => {
            let files = library::export(conn).await.map_err(api)?;
            let rendered = files.render().map_err(|e| anyhow::anyhow!(e))?;
            library::write_dir(&dir, &rendered)?;
            println!("wrote {} files to {}", rendered.len(), dir.display());
        }
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let conn = db::connect(&config.database_url).await?;
    db::migrate(&conn).await?;
    match ensure_first_admin(
        &conn,
        &config.admin_username,
        config.admin_password.as_deref(),
    )
    .await?
    {
        Bootstrap::AlreadyDone => {}
        Bootstrap::Created => {
            tracing::info!(username = %config.admin_username, "created the first administrator with the configured password")
        }
        Bootstrap::CreatedWithGenerated(pw) => {
            // Printed once, on the first start only; it is not stored anywhere in clear.
            tracing::warn!(username = %config.admin_username, password = %pw, "created the first administrator with a generated password; change it after signing in");
        }
    }
    let seeded = seed_presets(&conn).await?;
    if !seeded.added.is_empty() {
        tracing::info!(added = seeded.added.len(), "seeded template presets");
    }
    let purged = server::account::purge_expired_sessions(&conn).await?;
    if purged > 0 {
        tracing::info!(purged, "removed expired sessions");
    }
    let addr: SocketAddr = config
        .listen
        .parse()
        .map_err(|e| anyhow::anyhow!("listen: {e}"))?;
    let in_cluster = config.in_cluster;
    let local_stack = config.local_stack && !in_cluster;
    let data_dir = config.data_dir.clone();
    let state = AppState::new(conn, config, LoginLimiter::default())?;
    // Kept alive until shutdown: dropping it stops the local components.
    let _stack = if local_stack {
        start_local_stack(&state, &data_dir, addr).await
    } else {
        None
    };
    if in_cluster
        && let Err(e) = server::local_stack::register_in_cluster(&state.services, &state.db).await
    {
        tracing::error!("in-cluster registration: {e:#}");
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown().await;
        let _ = stop_tx.send(true);
    });
    let jobs = if state.jobs.config.enabled {
        state.jobs.config.parsed()?;
        let jobs = state.jobs.clone();
        let stop = stopped(stop_rx.clone());
        Some(tokio::spawn(async move {
            if let Err(e) = server::jobs::runner::run(jobs, stop).await {
                tracing::error!("jobs: {e}");
            }
        }))
    } else {
        None
    };
    let app = web::router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, ready_in_ms = started.elapsed().as_millis() as u64, "Gemscope is serving on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stopped(stop_rx))
    .await?;
    if let Some(jobs) = jobs {
        // Running jobs get their grace period (the runner bounds it), then are handed back.
        let _ = jobs.await;
    }
    Ok(())
}

/// Seeds the presets. Replicas starting together on a new database race on the same rows; the
/// loser finds them there on its next attempt.
async fn seed_presets(
    conn: &sea_orm::DatabaseConnection,
) -> anyhow::Result<app::model::ImportSummary> {
    let mut attempt = 0;
    loop {
        match server::templates::seed(conn).await {
            Ok(s) => return Ok(s),
            Err(e) if attempt < 3 => {
                attempt += 1;
                tracing::warn!(attempt, error = %e.message, "seeding template presets; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
            }
            Err(e) => anyhow::bail!("seeding template presets: {}", e.message),
        }
    }
}

/// Resolves once the stop signal has been given.
async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// The local default stack. A failure is logged and Gemscope serves anyway.
async fn start_local_stack(
    state: &AppState,
    data_dir: &std::path::Path,
    addr: SocketAddr,
) -> Option<server::local_stack::LocalStack> {
    let http = match server::observe::http_client() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("local stack: {e:#}");
            return None;
        }
    };
    match server::local_stack::start(data_dir, &addr.to_string(), &http).await {
        Ok((stack, dir)) => {
            if let Err(e) = server::local_stack::register(&state.services, &state.db, &dir).await {
                tracing::error!("local stack: {e:#}");
            }
            Some(stack)
        }
        Err(e) => {
            tracing::error!("local stack not started: {e:#}");
            None
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
