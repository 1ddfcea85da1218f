//! What the process knows of its database's health: whether it is down, whether a connection
//! was lost, and whether it is ready for requests.
//!
//! The database is known to be down from the moment opening a connection fails until it answers
//! again: a connection opens, or a statement on an open one comes back. Meanwhile a request
//! gets an idle connection that still works or is refused at once, instead of waiting out
//! `--db-timeout`, and the pool goes on trying to connect in the background (see
//! `RECONNECT_EVERY` in `connection.rs`), which is the probe. A server refusing a connection
//! because it has too many is up, and not counted as down.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::ConnectionError;
use diesel::r2d2::Error as PoolError;
use diesel::result::{DatabaseErrorKind, Error};

use super::connection::{DbConn, DbConnection, write_tx};
use super::models::settings;
use super::now_utc;

/// Shared by the pool's connections (which report) and every checkout (which asks).
#[derive(Debug, Default)]
pub struct Health {
    /// Whether `down_since` is set, read without the lock on every statement and checkout.
    down: AtomicBool,
    down_since: Mutex<Option<Instant>>,
}

impl Health {
    /// Opening a connection failed: the database is down, from now if it was not already,
    /// unless it only has too many connections.
    pub fn connect_failed(&self, error: &PoolError) {
        if has_too_many_connections(error) {
            return;
        }
        let mut down_since = self.lock();
        if down_since.is_none() {
            tracing::warn!(%error, "the database is unreachable; requests fail at once until it answers");
            *down_since = Some(Instant::now());
            self.down.store(true, Ordering::SeqCst);
        }
    }

    /// The database answered (a connection opened, a statement came back): it is up.
    pub fn answered(&self) {
        if !self.down.load(Ordering::SeqCst) {
            return;
        }
        if let Some(since) = self.lock().take() {
            self.down.store(false, Ordering::SeqCst);
            tracing::warn!(down_for = ?since.elapsed(), "the database answers again");
        }
    }

    /// How long the database has been known to be down, if it is.
    pub fn down_for(&self) -> Option<Duration> {
        if !self.down.load(Ordering::SeqCst) {
            return None;
        }
        self.lock().map(|since| since.elapsed())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.down_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// PostgreSQL's refusals of a connection for want of a slot (SQLSTATE 53300), which libpq
/// reports as text only.
fn has_too_many_connections(error: &PoolError) -> bool {
    let PoolError::ConnectionError(ConnectionError::BadConnection(message)) = error else {
        return false;
    };
    message.contains("too many clients")
        || message.contains("too many connections")
        || message.contains("remaining connection slots are reserved")
}

/// Why no connection could be had.
#[derive(Debug, thiserror::Error)]
pub enum NoConnection {
    #[error("the database has been unreachable for {0:.1?}")]
    Down(Duration),
    #[error("no database connection within {0:?}: {1}")]
    TimedOut(Duration, r2d2::Error),
}

/// Whether `error` says the connection broke under the statement: the database went away
/// (stopped, restarted, the network) and the statement, or the transaction's `COMMIT`, may or
/// may not have been carried out.
pub fn is_connection_lost(error: &Error) -> bool {
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::RollbackErrorOnCommit { commit_error, .. } => is_connection_lost(commit_error),
        _ => false,
    }
}

/// The readiness check of `/readyz`. PostgreSQL: a round trip. SQLite: a committed write,
/// because a SQLite file can be read while every write fails (a full disk, a read-only file
/// system), and a ready service must be able to write.
pub fn check_ready(conn: &mut DbConn) -> Result<(), Error> {
    use diesel::r2d2::R2D2Connection;
    if let DbConnection::Postgresql(_) = &**conn {
        return (**conn).ping();
    }
    let now = now_utc();
    write_tx(conn, |tx| {
        settings::put(tx, "readiness_checked_at", &now.and_utc().to_rfc3339())
    })
}
