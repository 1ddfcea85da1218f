//! The database: backend selection, the connection pool, transactions, migrations, schema and
//! the row models with their queries.

pub mod batch;
mod checkpoint;
mod connection;
mod group_commit;
mod health;
pub mod migrations;
pub mod models;
pub mod schema;
mod sql;
mod url;
mod workers;

pub use connection::{Db, DbConn, DbConnection, PooledConn, write_tx};
pub use health::{NoConnection, check_ready, is_connection_lost};
pub use sql::{coalesce, earliest, is_unique_violation, lower, now_utc};
pub use url::{Backend, DatabaseUrl};
pub use workers::{Unfinished, Workers};

/// Runs `$body` with `$c` bound to the backend's own connection (PostgreSQL's or SQLite's).
/// Diesel's connection over both backends writes a statement's SQL anew on every pass it makes
/// over it (to find the cached statement, to check it may be cached, to collect its values);
/// the backend's own connection writes it once per run, and a statement of fixed shape not at
/// all once prepared. For the statements every request sends.
macro_rules! natively {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use natively;
