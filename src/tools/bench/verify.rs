//! The service's own database: confirmed before the load, verified after it.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};

use crate::db::{DatabaseUrl, Db};
use crate::ledger::verify::{self, Report};
use crate::programs;

/// The database the service at `--url` uses.
pub struct ServiceDb {
    db: Db,
}

impl ServiceDb {
    /// Opens the database and makes sure it holds the bench's program, so it is the one the
    /// service writes to (a wrong `DATABASE_URL` would verify nothing).
    pub async fn open(database: &DatabaseUrl, program: &str) -> anyhow::Result<ServiceDb> {
        if let DatabaseUrl::Sqlite(path) = database
            && !path.exists()
        {
            bail!("{database} does not exist: give the DATABASE_URL the service at --url uses");
        }
        let (database, program) = (database.clone(), program.to_owned());
        tokio::task::spawn_blocking(move || {
            let db = Db::open(&database, 1, Duration::from_secs(10))?;
            let mut conn = db.get().context("no connection to the database")?;
            programs::require(&mut conn, &program).map_err(|_| {
                anyhow!(
                    "{database} has no program {program}: it is not the database of the \
                     service at --url; give the DATABASE_URL the service uses"
                )
            })?;
            drop(conn);
            Ok(ServiceDb { db })
        })
        .await?
    }

    /// Recomputes every balance, lot and debt from the ledger (`fidelio verify`).
    pub async fn verify(&self) -> anyhow::Result<Report> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().context("no connection to the database")?;
            verify::run(&mut conn).map_err(|e| anyhow!("verify: {e}"))
        })
        .await?
    }
}
