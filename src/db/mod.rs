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
