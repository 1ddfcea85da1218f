//! `DATABASE_URL`: its scheme picks the backend.

use std::fmt;
use std::path::PathBuf;

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A parsed `DATABASE_URL`: a `postgres://` URL, or a SQLite file given as a plain path or
/// `sqlite://path`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .or_else(|| raw.strip_prefix("file:"))
            .unwrap_or(raw);
        if path.is_empty() {
            anyhow::bail!("DATABASE_URL is empty: give a SQLite file path or a postgres:// URL");
        }
        if path == ":memory:" {
            anyhow::bail!(
                "an in-memory SQLite database cannot be shared by a connection pool; give a file path"
            );
        }
        if let Some((scheme, _)) = path.split_once("://") {
            anyhow::bail!(
                "DATABASE_URL scheme `{scheme}` is not supported: use a SQLite path or postgres://"
            );
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Shows the URL without its password, so it can be logged.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    let credentials = &url[scheme_end + 3..at];
                    let user = credentials.split(':').next().unwrap_or_default();
                    write!(f, "{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                _ => f.write_str(url),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        let pg = DatabaseUrl::parse("postgres://u:p@localhost/db").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/f.db").unwrap(),
            DatabaseUrl::Sqlite("data/f.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("fidelio.db").unwrap(),
            DatabaseUrl::Sqlite("fidelio.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse(":memory:").is_err());
    }

    #[test]
    fn the_password_is_never_shown() {
        let url = DatabaseUrl::parse("postgres://fidelio:s3cret@db:5432/loyalty").unwrap();
        assert_eq!(url.to_string(), "postgres://fidelio:***@db:5432/loyalty");
    }
}
