//! A fresh database per test: a SQLite file in a temporary directory, or a throwaway database
//! on the PostgreSQL server `FIDELIO_TEST_POSTGRES_URL` names.

use std::path::Path;

use diesel::{Connection, PgConnection, RunQueryDsl};
use fidelio::db::{DatabaseUrl, Db};

/// The PostgreSQL server of the suite, when it runs on PostgreSQL.
pub fn postgres_server() -> Option<String> {
    std::env::var("FIDELIO_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A fresh database and a directory for the test's files (logs), both removed at the end.
pub struct Database {
    pub url: String,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Database {
    /// On the suite's backend.
    pub fn fresh() -> Database {
        match postgres_server() {
            Some(server) => Database::on_postgres(&server),
            None => Database::sqlite(),
        }
    }

    pub fn sqlite() -> Database {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("fidelio.db").display().to_string();
        Database {
            url,
            dir,
            postgres: None,
        }
    }

    /// A new database on the server at `server` (a `postgres://` URL).
    pub fn on_postgres(server: &str) -> Database {
        let name = format!("fidelio_crash_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(server).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap();
        Database {
            url: with_database(server, &name),
            dir: tempfile::tempdir().unwrap(),
            postgres: Some((server.to_owned(), name)),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A small pool on the database, for the checks.
    pub fn open(&self) -> Db {
        Db::open(
            &DatabaseUrl::parse(&self.url).unwrap(),
            2,
            std::time::Duration::from_secs(30),
        )
        .unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// The server URL with its database replaced by `name`.
pub fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_end..]
        .find('/')
        .map_or(base.len(), |i| authority_end + i);
    match query {
        Some(query) => format!("{}/{name}?{query}", &base[..path_start]),
        None => format!("{}/{name}", &base[..path_start]),
    }
}
