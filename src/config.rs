//! Settings: command-line flags, then environment variables, then defaults (clap reads all
//! three). Secrets are never printed in `--help`.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::db::DatabaseUrl;

/// How to reach the database; shared by every command.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The database: a SQLite file (`fidelio.db`, `sqlite://path`) or a `postgres://` URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "fidelio.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Most database connections this process opens, and the threads that use them.
    #[arg(long, env = "FIDELIO_POOL_SIZE", default_value_t = 10, global = true)]
    pub pool_size: u32,

    /// Seconds to wait for a database connection before failing.
    #[arg(long, env = "FIDELIO_DB_TIMEOUT", default_value_t = 10, global = true)]
    pub db_timeout: u64,
}

impl DatabaseArgs {
    pub fn url(&self) -> anyhow::Result<DatabaseUrl> {
        DatabaseUrl::parse(&self.database_url)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.db_timeout.max(1))
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging; shared by every command.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log level or filter (`info`, `debug`, `fidelio=debug,actix_web=info`).
    #[arg(long, env = "FIDELIO_LOG", default_value = "info", global = true)]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "FIDELIO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// Settings of `fidelio serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "FIDELIO_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Secret for signing tokens (at least 32 bytes). Without it, a random secret is generated
    /// once and kept in the database, so tokens survive restarts and every instance agrees.
    #[arg(long, env = "FIDELIO_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "FIDELIO_WORKERS")]
    pub workers: Option<usize>,

    /// Lifetime of admin tokens, in seconds.
    #[arg(long, env = "FIDELIO_ADMIN_TOKEN_TTL", default_value_t = 3600)]
    pub admin_token_ttl: i64,

    /// Lifetime of member tokens, in seconds.
    #[arg(long, env = "FIDELIO_MEMBER_TOKEN_TTL", default_value_t = 3600)]
    pub member_token_ttl: i64,

    /// Seconds between runs of the time-based work `fidelio tick` does (pending points, expiry,
    /// tier holds, birthdays); 0 turns the schedule off. Safe on every instance at once.
    #[arg(long, env = "FIDELIO_TICK_INTERVAL", default_value_t = 60)]
    pub tick_interval: u64,

    /// Seconds to let in-flight requests finish after SIGTERM.
    #[arg(long, env = "FIDELIO_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
}
