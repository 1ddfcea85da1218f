//! Statements sent together, and statements written by hand: the upserts the query builder
//! cannot write for both backends at once, and reads whose shape is built at run time.
//!
//! A use case collects the writes whose results nothing in its transaction reads again (counters,
//! progress, scores, the stored outcome) and sends them last. PostgreSQL receives them as one
//! statement, each write a data-modifying `WITH` query: one round trip instead of one per write.
//! SQLite, which has no network between the service and its file, runs them one by one. The
//! writes of one batch must touch different rows: on PostgreSQL they all see the same snapshot.

use std::marker::PhantomData;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Date, HasSqlType, Integer, Nullable, Text, Timestamp, Untyped};

use super::DbConnection;

/// The query builder's backend of [`DbConnection`] (either database).
pub type Sql = <DbConnection as diesel::Connection>::Backend;

/// A write: a query-builder statement or a [`Raw`] one.
pub type Write<'a> = Box<dyn QueryFragment<Sql> + 'a>;

/// Writes to send together at the end of a transaction.
#[derive(Default)]
pub struct Batch<'a> {
    writes: Vec<Write<'a>>,
}

impl<'a> Batch<'a> {
    pub fn push(&mut self, write: impl QueryFragment<Sql> + 'a) {
        self.writes.push(Box::new(write));
    }

    /// Adds the write, if there is one.
    pub fn extend(&mut self, write: Option<impl QueryFragment<Sql> + 'a>) {
        if let Some(write) = write {
            self.push(write);
        }
    }

    /// Sends the writes: one statement on PostgreSQL, one per write on SQLite.
    pub fn send(self, conn: &mut DbConnection) -> QueryResult<()> {
        match (&*conn, self.writes.len()) {
            (_, 0) => Ok(()),
            (DbConnection::Postgresql(_), n) if n > 1 => {
                Together(&self.writes).execute(conn).map(drop)
            }
            _ => {
                for write in &self.writes {
                    One(write.as_ref()).execute(conn)?;
                }
                Ok(())
            }
        }
    }
}

/// One boxed write, executable.
struct One<'q, 'a>(&'q (dyn QueryFragment<Sql> + 'a));

impl QueryFragment<Sql> for One<'_, '_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sql>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }
}

impl QueryId for One<'_, '_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Several writes as one PostgreSQL statement: `WITH w0 AS (…), w1 AS (…) SELECT 1`.
struct Together<'q, 'a>(&'q [Write<'a>]);

impl QueryFragment<Sql> for Together<'_, '_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sql>) -> QueryResult<()> {
        for (i, write) in self.0.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("w{i} AS ("));
            write.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        out.push_sql(" SELECT 1");
        Ok(())
    }
}

impl QueryId for Together<'_, '_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// A statement of few shapes that diesel would not keep prepared: it prepares a multi-row
/// insert or an update anew on every run, since their SQL could take unboundedly many shapes.
/// Wrapped, each shape is prepared once per connection and kept. Only for statements whose
/// rows and columns vary within small bounds (the credits of one event, a member's balances).
pub struct Kept<T>(pub T);

impl<T, DB> QueryFragment<DB> for Kept<T>
where
    DB: Backend,
    T: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<T> QueryId for Kept<T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T: Query> Query for Kept<T> {
    type SqlType = T::SqlType;
}

impl<T, Conn> RunQueryDsl<Conn> for Kept<T> {}

/// A value bound to a [`Raw`] statement.
#[derive(Debug, Clone)]
pub enum Bind {
    BigInt(i64),
    Integer(i32),
    Text(String),
    At(NaiveDateTime),
    MaybeAt(Option<NaiveDateTime>),
    MaybeBigInt(Option<i64>),
    Day(NaiveDate),
}

/// A statement written by hand, valid on both backends, with a `?` where each value goes
/// (bound in order, numbered by the backend). Used for upserts: the query builder writes
/// `ON CONFLICT` for each backend apart, not for the connection that is either.
#[derive(Debug, Clone)]
pub struct Raw {
    sql: String,
    binds: Vec<Bind>,
}

impl Raw {
    pub fn new(sql: impl Into<String>, binds: Vec<Bind>) -> Raw {
        let sql = sql.into();
        debug_assert_eq!(sql.matches('?').count(), binds.len(), "{sql}");
        Raw { sql, binds }
    }
}

/// On the connection over both backends and on either one's own: a statement run on the
/// backend's own connection has its SQL written once per run, not once per pass over it.
impl<DB> QueryFragment<DB> for Raw
where
    DB: Backend
        + HasSqlType<BigInt>
        + HasSqlType<Integer>
        + HasSqlType<Text>
        + HasSqlType<Timestamp>
        + HasSqlType<Date>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
    String: ToSql<Text, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
    NaiveDate: ToSql<Date, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut parts = self.sql.split('?');
        out.push_sql(parts.next().unwrap_or_default());
        for (bind, part) in self.binds.iter().zip(parts) {
            match bind {
                Bind::BigInt(v) => out.push_bind_param::<BigInt, _>(v)?,
                Bind::Integer(v) => out.push_bind_param::<Integer, _>(v)?,
                Bind::Text(v) => out.push_bind_param::<Text, _>(v)?,
                Bind::At(v) => out.push_bind_param::<Timestamp, _>(v)?,
                Bind::MaybeAt(v) => out.push_bind_param::<Nullable<Timestamp>, _>(v)?,
                Bind::MaybeBigInt(v) => out.push_bind_param::<Nullable<BigInt>, _>(v)?,
                Bind::Day(v) => out.push_bind_param::<Date, _>(v)?,
            }
            out.push_sql(part);
        }
        Ok(())
    }
}

impl QueryId for Raw {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Rows of a hand-written `SELECT` are read by column name (`QueryableByName`).
impl Query for Raw {
    type SqlType = Untyped;
}

/// A hand-written `SELECT` whose rows are read by position as SQL type `ST`, as a built
/// query's are: cheaper than by column name, which looks each field's column up by its name.
pub struct TypedRaw<ST> {
    raw: Raw,
    sql_type: PhantomData<ST>,
}

impl Raw {
    /// This statement, its rows read by position as `ST`.
    pub fn typed<ST>(self) -> TypedRaw<ST> {
        TypedRaw {
            raw: self,
            sql_type: PhantomData,
        }
    }
}

impl<ST, DB> QueryFragment<DB> for TypedRaw<ST>
where
    DB: Backend,
    Raw: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.raw.walk_ast(out)
    }
}

impl<ST> QueryId for TypedRaw<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> Query for TypedRaw<ST> {
    type SqlType = ST;
}

impl<ST, Conn> RunQueryDsl<Conn> for TypedRaw<ST> {}

impl<Conn> RunQueryDsl<Conn> for Raw {}
impl<Conn> RunQueryDsl<Conn> for One<'_, '_> {}
impl<Conn> RunQueryDsl<Conn> for Together<'_, '_> {}
