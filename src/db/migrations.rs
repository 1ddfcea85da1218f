//! Migrations, embedded in the binary: one folder per dialect, the same versions in each; and
//! opening a database, which applies them.

use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::migration::MigrationVersion;
use diesel::sql_query;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::{Db, DbConnection};
use super::url::DatabaseUrl;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// An arbitrary constant: the PostgreSQL advisory lock that lets one instance migrate at a time.
const MIGRATION_LOCK: i64 = 0x0F1D_E110;

impl Db {
    /// Opens the pool and applies pending migrations.
    pub fn open(url: &DatabaseUrl, pool_size: u32, timeout: Duration) -> anyhow::Result<Self> {
        let db = Db::connect(url, pool_size, timeout)?;
        let applied = run_pending(&mut **db.get()?)?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied migrations");
        }
        tracing::debug!(database = %url, "database ready");
        Ok(db)
    }
}

/// Applies every pending migration and returns the versions it applied. Safe when several
/// instances start at once: they take turns and the later ones find nothing to do.
pub fn run_pending(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.immediate_transaction(|c| {
            c.run_pending_migrations(SQLITE)
                .map(to_strings)
                .map_err(MigrationFailed)
        })?,
        DbConnection::Postgresql(c) => {
            sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
            let applied = c.run_pending_migrations(POSTGRES).map(to_strings);
            sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(c)?;
            applied.map_err(MigrationFailed)?
        }
    };
    Ok(applied)
}

fn to_strings(versions: Vec<MigrationVersion<'_>>) -> Vec<String> {
    versions.iter().map(ToString::to_string).collect()
}

/// A migration error, carried through diesel's transaction as a `diesel::result::Error`-able
/// type.
#[derive(Debug, thiserror::Error)]
#[error("migration failed: {0}")]
struct MigrationFailed(Box<dyn std::error::Error + Send + Sync>);

impl From<diesel::result::Error> for MigrationFailed {
    fn from(error: diesel::result::Error) -> Self {
        MigrationFailed(Box::new(error))
    }
}
