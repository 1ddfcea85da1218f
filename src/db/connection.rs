//! Connections: one enum over both backends, a pool that picks the backend from the URL, and
//! the write transaction every use case runs in.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::{
    Instrumentation, InstrumentationEvent, SimpleConnection, TransactionManager,
};
use diesel::r2d2::{Error as PoolError, ManageConnection, R2D2Connection};
use diesel::{
    Connection, ConnectionError, PgConnection, QueryResult, QueryableByName, RunQueryDsl,
    SqliteConnection, sql_query,
};

use super::checkpoint;
use super::group_commit::GroupWriter;
use super::health::{Health, NoConnection, is_connection_lost};
use super::url::{Backend, DatabaseUrl};

/// A connection to either backend. Queries written against it run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// SQLite settings applied to every connection: foreign keys on, a busy timeout for other
/// connections' writers, and `synchronous=FULL` because this is a ledger: an acknowledged write
/// must survive a crash. WAL, so readers never wait for the writer, is set by `use_wal`.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;";

/// The shared writer's own settings (`group_commit`). Its COMMIT writes the WAL without
/// syncing it: the writer fsyncs the WAL itself once it has let go of the connection, before
/// it answers anyone. Its WAL checkpoints run on another thread (`checkpoint`), not in the
/// COMMIT every queued writer waits for. Each request's savepoint journals the pages it
/// changes: in memory, not in a temporary file written page by page (half the writer's
/// `pwrite` calls under `events`).
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA synchronous = NORMAL;
PRAGMA wal_autocheckpoint = 0;
PRAGMA temp_store = MEMORY;";

/// The busy timeout above, for the one step SQLite does not wait on by itself.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled connection, with the writer that this process's SQLite writes go through.
pub struct DbConn {
    conn: DbConnection,
    sqlite_writer: Option<Arc<GroupWriter>>,
    /// When the connection last proved alive (opened or pinged).
    checked_at: Instant,
    /// Set when a statement found the connection broken, so the pool drops it.
    lost: Arc<AtomicBool>,
}

/// How long a connection is trusted without a ping when it is checked out. Connections die
/// while idle (a database restart), and a busy pool would otherwise pay a round trip per
/// checkout, twice per request.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

impl Deref for DbConn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for DbConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Runs `f` in a write transaction and commits if it returns `Ok`.
///
/// On SQLite the transaction is `BEGIN IMMEDIATE`, so it holds the write lock from its first
/// statement and never fails half-way on a lock upgrade, and this process's writers share it
/// when they come together: `group_commit` runs each in its own savepoint of one transaction
/// with one fsync, and returns once that is committed. On PostgreSQL it is an ordinary READ
/// COMMITTED transaction: use cases take row locks or write conditionally.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn.sqlite_writer.clone() {
        Some(writer) => writer.run(f),
        None => conn.conn.transaction(f),
    }
}

/// Counts the statements a pool's connections send (every query, `BEGIN`, `COMMIT` and ping),
/// through diesel's instrumentation; read by `/metrics` and by the tests that hold the event
/// and read paths to a fixed number of statements. With `--log-level
/// fidelio::db::statements=trace` each statement is logged too.
#[derive(Debug, Clone, Default)]
struct StatementCounter(Arc<AtomicU64>);

/// What one connection reports of its statements: the pool's count; whether the database
/// answered; and whether a statement found the connection broken (diesel only notices that
/// inside a transaction), so that the pool drops it.
struct Instrumented {
    statements: StatementCounter,
    health: Arc<Health>,
    lost: Arc<AtomicBool>,
}

impl Instrumentation for Instrumented {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match &event {
            InstrumentationEvent::StartQuery { query, .. } => {
                tracing::trace!(target: "fidelio::db::statements", %query);
                self.statements.0.fetch_add(1, Ordering::Relaxed);
            }
            InstrumentationEvent::FinishQuery {
                error: Some(error), ..
            } if is_connection_lost(error) => self.lost.store(true, Ordering::Relaxed),
            InstrumentationEvent::FinishQuery { .. } => self.health.answered(),
            _ => {}
        }
    }
}

/// Opens connections, choosing the backend from the URL (diesel's own `establish` would fall
/// back to SQLite when PostgreSQL is down), each instrumented.
struct Opener {
    url: DatabaseUrl,
    statements: StatementCounter,
    health: Arc<Health>,
}

/// The writer every SQLite write of this process goes through, with the thread that
/// checkpoints its WAL.
fn sqlite_writer(opener: &Arc<Opener>, path: &Path) -> anyhow::Result<Arc<GroupWriter>> {
    let shared = opener.clone();
    let open = Arc::new(move || {
        let mut conn = shared.open()?;
        conn.batch_execute(SQLITE_WRITER_PRAGMAS)
            .map_err(PoolError::QueryError)?;
        Ok(conn)
    });
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let writer = Arc::new(GroupWriter::new(open, wal.into()));
    let path = path.to_owned();
    checkpoint::spawn(Arc::downgrade(&writer), move || open_sqlite(&path))?;
    Ok(writer)
}

impl Opener {
    fn open(&self) -> Result<DbConn, PoolError> {
        let opened = match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgresql)
                .map_err(PoolError::ConnectionError),
            DatabaseUrl::Sqlite(path) => open_sqlite(path).map(DbConnection::Sqlite),
        };
        let mut conn = opened.inspect_err(|e| self.health.connect_failed(e))?;
        self.health.answered();
        let lost = Arc::new(AtomicBool::new(false));
        conn.set_instrumentation(Instrumented {
            statements: self.statements.clone(),
            health: self.health.clone(),
            lost: lost.clone(),
        });
        Ok(DbConn {
            conn,
            sqlite_writer: None,
            checked_at: Instant::now(),
            lost,
        })
    }
}

/// The pool's connections: opened by the `Opener`, and on SQLite given the process's writer.
pub struct ConnectionManager {
    opener: Arc<Opener>,
    sqlite_writer: Option<Arc<GroupWriter>>,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = PoolError;

    fn connect(&self) -> Result<DbConn, PoolError> {
        let mut conn = self.opener.open()?;
        conn.sqlite_writer = self.sqlite_writer.clone();
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), PoolError> {
        if conn.checked_at.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        conn.conn.ping().map_err(PoolError::QueryError)?;
        conn.checked_at = Instant::now();
        Ok(())
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.lost.load(Ordering::Relaxed) || conn.conn.is_broken()
    }
}

fn open_sqlite(path: &Path) -> Result<SqliteConnection, PoolError> {
    let path = path.to_str().ok_or_else(|| {
        PoolError::ConnectionError(ConnectionError::BadConnection(
            "the SQLite path is not valid UTF-8".into(),
        ))
    })?;
    let mut conn = SqliteConnection::establish(path).map_err(PoolError::ConnectionError)?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .map_err(PoolError::QueryError)?;
    use_wal(&mut conn).map_err(PoolError::QueryError)?;
    Ok(conn)
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = diesel::sql_types::Text)]
    journal_mode: String,
}

/// Puts the file in WAL mode unless it already is. WAL is kept in the file, so this converts it
/// once, on its first connection. A new connection does not know the file's mode until it has
/// read it, and `PRAGMA journal_mode = WAL` run before that needs the file to itself without
/// waiting for it (SQLite runs no busy handler there): it failed at once with "database is
/// locked" while the last connection of another process checkpointed on closing. So the mode
/// is read first, a read that waits like any other, and a conversion is retried until the
/// busy timeout.
fn use_wal(conn: &mut SqliteConnection) -> QueryResult<()> {
    let mode = |conn: &mut SqliteConnection, pragma: &str| {
        sql_query(pragma)
            .get_result::<JournalMode>(conn)
            .map(|m| m.journal_mode.eq_ignore_ascii_case("wal"))
    };
    conn.batch_execute("SELECT 1 FROM sqlite_schema LIMIT 1")?;
    if mode(conn, "PRAGMA journal_mode")? {
        return Ok(());
    }
    let deadline = Instant::now() + SQLITE_BUSY_TIMEOUT;
    loop {
        match mode(conn, "PRAGMA journal_mode = WAL") {
            Ok(true) => return Ok(()),
            Ok(false) | Err(_) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(false) => {
                return Err(diesel::result::Error::QueryBuilderError(
                    "the SQLite file cannot be put in WAL mode".into(),
                ));
            }
            Err(error) => return Err(error),
        }
    }
}

/// r2d2 logs each failed attempt to open a connection as an error: four times a second per
/// missing connection while the database is down. `Health` reports the outage once instead.
#[derive(Debug)]
struct QuietErrors;

impl r2d2::HandleError<PoolError> for QuietErrors {
    fn handle_error(&self, error: PoolError) {
        tracing::debug!(%error, "a database connection failed to open or to answer a ping");
    }
}

/// A connection checked out of the pool.
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// How often, at most, the pool tries again to open a connection that failed to open. r2d2
/// retries with a doubling delay capped at half its `connection_timeout`, so that is set to
/// twice this (and every checkout passes its own timeout): with the cap at half of
/// `--db-timeout`, requests went on failing for up to 5 s after the database was back.
const RECONNECT_EVERY: Duration = Duration::from_millis(250);

/// How often a checkout waiting for a connection looks whether the database went down.
const DOWN_CHECK_EVERY: Duration = Duration::from_millis(100);

/// The pool of connections to the one database the process uses.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    statements: StatementCounter,
    health: Arc<Health>,
    /// On SQLite, the writer every write transaction goes through.
    sqlite_writer: Option<Arc<GroupWriter>>,
    /// How long a checkout waits for a connection (`--db-timeout`).
    timeout: Duration,
}

impl Db {
    /// Opens the pool. Fails if the database cannot be reached within `timeout`.
    pub fn connect(url: &DatabaseUrl, pool_size: u32, timeout: Duration) -> anyhow::Result<Self> {
        // libpq initialises OpenSSL with a clean-up at exit, which frees what a thread still
        // closing or opening a connection uses: a process exiting then crashed (SIGSEGV).
        // Initialised here first, OpenSSL registers no clean-up; the OS frees it all anyway.
        openssl_sys::init();
        let statements = StatementCounter::default();
        let health = Arc::new(Health::default());
        let opener = Arc::new(Opener {
            url: url.clone(),
            statements: statements.clone(),
            health: health.clone(),
        });
        let sqlite_writer = match url {
            DatabaseUrl::Sqlite(path) => Some(sqlite_writer(&opener, path)?),
            DatabaseUrl::Postgres(_) => None,
        };
        let manager = ConnectionManager {
            opener,
            sqlite_writer: sqlite_writer.clone(),
        };
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(RECONNECT_EVERY * 2)
            .error_handler(Box::new(QuietErrors))
            .build_unchecked(manager);
        // At start-up the database may still be starting too: wait for it the whole timeout.
        pool.get_timeout(timeout)
            .map_err(|e| anyhow::anyhow!("cannot connect to {url}: {e}"))?;
        Ok(Db {
            pool,
            backend: url.backend(),
            statements,
            health,
            sqlite_writer,
            timeout,
        })
    }

    /// A connection from the pool: at once, or after waiting up to `--db-timeout` for one to
    /// be free. While the database is known to be down: an idle connection if one still
    /// answers, else a refusal at once.
    pub fn get(&self) -> Result<PooledConn, NoConnection> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(down_for) = self.health.down_for() {
                return self.pool.try_get().ok_or(NoConnection::Down(down_for));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.pool.get_timeout(left.min(DOWN_CHECK_EVERY)) {
                Ok(conn) => return Ok(conn),
                Err(error) if Instant::now() >= deadline => {
                    return Err(NoConnection::TimedOut(self.timeout, error));
                }
                Err(_) => {}
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Statements this pool's connections have sent since it opened.
    pub fn statements(&self) -> u64 {
        self.statements.0.load(Ordering::Relaxed)
    }

    /// SQLite write transactions committed and the requests' writes they held (`(0, 0)` on
    /// PostgreSQL, where each request commits its own).
    pub fn group_commits(&self) -> (u64, u64) {
        self.sqlite_writer
            .as_ref()
            .map_or((0, 0), |writer| writer.committed())
    }

    /// Connections open and idle, for the metrics.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }
}
