//! Group commit for SQLite: this process's write transactions share one connection and, when
//! they arrive together, one transaction and one fsync.
//!
//! A writer takes the shared connection in turn. The first of a batch opens the transaction
//! (`BEGIN IMMEDIATE`) and works in it directly; each later one works in its own savepoint,
//! so a request that fails rolls back alone and gets its own error. A writer that finishes
//! while others wait for the connection leaves the transaction open for them; the one that
//! finishes with nobody waiting (or fills the batch) commits, and only then is any writer of
//! the batch answered: what a client is told has been fsynced (`synchronous=FULL`). With one
//! writer at a time this is a plain transaction per request, statement for statement; under
//! load the commits, and their fsyncs, are shared.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::r2d2::Error as PoolError;
use diesel::result::{DatabaseErrorKind, Error};

use super::connection::{DbConn, DbConnection};

/// Requests a batch holds at most before it commits even with others waiting, so that the
/// first of a long queue is not kept waiting for all of it.
const MAX_BATCH: usize = 64;

/// Outcomes of failed commits kept for the writers still to wake up and read them.
const FAILURES_KEPT: usize = 64;

type Manager = <DbConnection as Connection>::TransactionManager;

/// Opens the shared connection (the pool's own way of opening one).
pub type Open = Arc<dyn Fn() -> Result<DbConn, PoolError> + Send + Sync>;

pub struct GroupWriter {
    open: Open,
    state: Mutex<Writer>,
    /// Signalled when a batch is committed or given up.
    finished: Condvar,
    /// Writers waiting for the connection: while there are, the open batch stays open.
    waiting: AtomicUsize,
    /// Transactions committed, and the requests' writes they held.
    commits: AtomicU64,
    writes: AtomicU64,
}

#[derive(Default)]
struct Writer {
    conn: Option<DbConn>,
    /// The open transaction's batch: its number and how many requests it holds.
    open: Option<(u64, usize)>,
    next: u64,
    /// Every batch up to this number is committed or failed.
    finished: u64,
    /// Batches whose commit failed, with the error, newest last.
    failures: VecDeque<(u64, String)>,
}

impl GroupWriter {
    pub fn new(open: Open) -> Self {
        GroupWriter {
            open,
            state: Mutex::default(),
            finished: Condvar::new(),
            waiting: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    /// Transactions committed so far, and the requests' writes they held.
    pub fn committed(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }

    /// Runs `f` in the current batch and returns once its batch is committed (`Ok`), or at
    /// once when `f` failed and its work was rolled back (`Err`).
    pub fn run<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
    {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut writer = self.state.lock().unwrap_or_else(|p| p.into_inner());
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let first = writer.open.is_none();
        if let Err(error) = self.begin(&mut writer, first) {
            self.settle(&mut writer);
            return Err(error.into());
        }
        let Some(conn) = writer.conn.as_mut() else {
            return Err(Error::BrokenTransactionManager.into());
        };
        let ran = panic::catch_unwind(AssertUnwindSafe(|| {
            f(conn).and_then(|value| {
                // A later writer releases its savepoint; the first keeps the transaction open.
                if !first {
                    Manager::commit_transaction(&mut **conn)?;
                }
                Ok(value)
            })
        }));
        let value = match ran {
            Ok(Ok(value)) => value,
            Ok(Err(error)) => {
                let rolled_back = Manager::rollback_transaction(&mut **conn).is_ok();
                if !rolled_back {
                    // Unsure what the connection holds: drop it and the batch with it.
                    self.give_up(&mut writer, "a write could not be rolled back");
                } else if first {
                    writer.open = None;
                } else {
                    self.settle(&mut writer);
                }
                return Err(error);
            }
            Err(panicked) => {
                self.give_up(&mut writer, "a write panicked");
                drop(writer);
                panic::resume_unwind(panicked);
            }
        };
        let Some((batch, held)) = writer.open.as_mut() else {
            return Err(Error::BrokenTransactionManager.into());
        };
        *held += 1;
        let batch = *batch;
        self.settle(&mut writer);
        let writer = self
            .finished
            .wait_while(writer, |w| w.finished < batch)
            .unwrap_or_else(|p| p.into_inner());
        match writer.failures.iter().find(|(b, _)| *b == batch) {
            Some((_, message)) => Err(Error::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new(message.clone()),
            )
            .into()),
            None => Ok(value),
        }
    }

    /// Commits the open batch if nobody waits to join it or it is full; a writer leaving
    /// with others waiting leaves it to them, and the last of them commits.
    fn settle(&self, writer: &mut MutexGuard<'_, Writer>) {
        let Some((_, held)) = writer.open else {
            return;
        };
        if self.waiting.load(Ordering::SeqCst) == 0 || held >= MAX_BATCH {
            self.commit(writer);
        }
    }

    /// Opens the connection if need be, then the batch's transaction (`first`) or a savepoint.
    fn begin(&self, writer: &mut MutexGuard<'_, Writer>, first: bool) -> Result<(), Error> {
        if writer.conn.is_none() {
            let conn = (self.open)().map_err(|e| match e {
                PoolError::QueryError(error) => error,
                other => Error::DatabaseError(
                    DatabaseErrorKind::UnableToSendCommand,
                    Box::new(other.to_string()),
                ),
            })?;
            writer.conn = Some(conn);
        }
        let Some(conn) = writer.conn.as_mut() else {
            return Err(Error::BrokenTransactionManager);
        };
        if !first {
            return Manager::begin_transaction(conn);
        }
        // Only SQLite connections have a writer (`Db::connect`).
        let DbConnection::Sqlite(inner) = &mut **conn else {
            return Err(Error::BrokenTransactionManager);
        };
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
        writer.next += 1;
        writer.open = Some((writer.next, 0));
        Ok(())
    }

    /// Commits the open batch and wakes its writers.
    fn commit(&self, writer: &mut MutexGuard<'_, Writer>) {
        let committed = match writer.conn.as_mut() {
            Some(conn) => Manager::commit_transaction(&mut **conn),
            None => Err(Error::BrokenTransactionManager),
        };
        match committed {
            Ok(()) => {
                if let Some((batch, held)) = writer.open.take() {
                    writer.finished = batch;
                    self.commits.fetch_add(1, Ordering::Relaxed);
                    self.writes.fetch_add(held as u64, Ordering::Relaxed);
                }
                self.finished.notify_all();
            }
            Err(error) => self.give_up(writer, &error.to_string()),
        }
    }

    /// Fails the open batch with `message`: drops the connection (SQLite rolls back what it
    /// held) so that the next writer opens a fresh one, and wakes the batch's writers.
    fn give_up(&self, writer: &mut MutexGuard<'_, Writer>, message: &str) {
        tracing::warn!(error = message, "a batch of SQLite writes failed to commit");
        writer.conn = None;
        if let Some((batch, _)) = writer.open.take() {
            writer.finished = batch;
            writer.failures.push_back((batch, message.to_owned()));
            if writer.failures.len() > FAILURES_KEPT {
                writer.failures.pop_front();
            }
        }
        self.finished.notify_all();
    }
}
