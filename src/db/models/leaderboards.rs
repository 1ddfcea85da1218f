//! Leaderboard scores: one row per leaderboard, period and member, ordered by the index
//! `(leaderboard_id, period_key, score DESC, reached_seq, member_id)`. Every read here is a
//! range of that index: the top N, a rank (a count of the rows before a member), neighbours.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
use crate::db::schema::{leaderboard_scores as scores, members};

/// A member's score, with who the member is.
#[derive(Debug, Clone, Queryable)]
pub struct Standing {
    pub member_id: i64,
    pub score: i64,
    pub reached_seq: i64,
    pub external_id: String,
    pub name: Option<String>,
}

type StandingColumns = (
    scores::member_id,
    scores::score,
    scores::reached_seq,
    members::external_id,
    members::name,
);

const STANDING: StandingColumns = (
    scores::member_id,
    scores::score,
    scores::reached_seq,
    members::external_id,
    members::name,
);

/// Adds `delta` (positive) to a member's score; `seq` (the event's id) becomes when it was
/// reached. The caller holds the member's lock.
pub fn raise(
    leaderboard_id: i64,
    period_key: &str,
    member_id: i64,
    delta: i64,
    seq: i64,
    at: NaiveDateTime,
) -> Raw {
    Raw::new(
        "INSERT INTO leaderboard_scores \
         (leaderboard_id, period_key, member_id, score, reached_seq, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (leaderboard_id, period_key, member_id) DO UPDATE \
         SET score = leaderboard_scores.score + excluded.score, \
         reached_seq = excluded.reached_seq, updated_at = excluded.updated_at",
        vec![
            Bind::BigInt(leaderboard_id),
            Bind::Text(period_key.to_owned()),
            Bind::BigInt(member_id),
            Bind::BigInt(delta),
            Bind::BigInt(seq),
            Bind::At(at),
        ],
    )
}

/// Takes `delta` off a member's score (a refund); when it was reached stays. Nothing if the
/// member has no score in that period.
pub fn lower(
    leaderboard_id: i64,
    period_key: &str,
    member_id: i64,
    delta: i64,
    at: NaiveDateTime,
) -> Raw {
    Raw::new(
        "UPDATE leaderboard_scores SET score = score - ?, updated_at = ? \
         WHERE leaderboard_id = ? AND period_key = ? AND member_id = ?",
        vec![
            Bind::BigInt(delta),
            Bind::At(at),
            Bind::BigInt(leaderboard_id),
            Bind::Text(period_key.to_owned()),
            Bind::BigInt(member_id),
        ],
    )
}

fn period(
    leaderboard_id: i64,
    period_key: &str,
) -> scores::BoxedQuery<'_, <DbConnection as diesel::Connection>::Backend> {
    scores::table
        .filter(scores::leaderboard_id.eq(leaderboard_id))
        .filter(scores::period_key.eq(period_key))
        .into_boxed()
}

/// The first `limit` members of a period, best first.
pub fn top(
    conn: &mut DbConnection,
    leaderboard_id: i64,
    period_key: &str,
    limit: i64,
) -> QueryResult<Vec<Standing>> {
    scores::table
        .inner_join(members::table)
        .filter(scores::leaderboard_id.eq(leaderboard_id))
        .filter(scores::period_key.eq(period_key))
        .order((
            scores::score.desc(),
            scores::reached_seq.asc(),
            scores::member_id.asc(),
        ))
        .limit(limit)
        .select(STANDING)
        .load(conn)
}

/// A member's score in a period, if it has one.
pub fn of_member(
    conn: &mut DbConnection,
    leaderboard_id: i64,
    period_key: &str,
    member_id: i64,
) -> QueryResult<Option<Standing>> {
    scores::table
        .inner_join(members::table)
        .filter(scores::leaderboard_id.eq(leaderboard_id))
        .filter(scores::period_key.eq(period_key))
        .filter(scores::member_id.eq(member_id))
        .select(STANDING)
        .first(conn)
        .optional()
}

/// How many members a period ranks.
pub fn size(conn: &mut DbConnection, leaderboard_id: i64, period_key: &str) -> QueryResult<i64> {
    period(leaderboard_id, period_key).count().get_result(conn)
}

/// The member's rank: one more than the rows ordered before it (a higher score, or the same
/// score reached earlier).
pub fn rank(
    conn: &mut DbConnection,
    leaderboard_id: i64,
    period_key: &str,
    me: &Standing,
) -> QueryResult<i64> {
    let higher: i64 = period(leaderboard_id, period_key)
        .filter(scores::score.gt(me.score))
        .count()
        .get_result(conn)?;
    let earlier: i64 = period(leaderboard_id, period_key)
        .filter(scores::score.eq(me.score))
        .filter(
            scores::reached_seq
                .lt(me.reached_seq)
                .or(scores::reached_seq
                    .eq(me.reached_seq)
                    .and(scores::member_id.lt(me.member_id))),
        )
        .count()
        .get_result(conn)?;
    Ok(higher + earlier + 1)
}

/// Up to `n` members ranked just before `me`, nearest last (in rank order).
pub fn before(
    conn: &mut DbConnection,
    leaderboard_id: i64,
    period_key: &str,
    me: &Standing,
    n: i64,
) -> QueryResult<Vec<Standing>> {
    let base = || {
        scores::table
            .inner_join(members::table)
            .filter(scores::leaderboard_id.eq(leaderboard_id))
            .filter(scores::period_key.eq(period_key))
            .select(STANDING)
            .limit(n)
    };
    let mut found: Vec<Standing> = base()
        .filter(scores::score.eq(me.score))
        .filter(
            scores::reached_seq
                .lt(me.reached_seq)
                .or(scores::reached_seq
                    .eq(me.reached_seq)
                    .and(scores::member_id.lt(me.member_id))),
        )
        .order((scores::reached_seq.desc(), scores::member_id.desc()))
        .load(conn)?;
    if (found.len() as i64) < n {
        found.extend(
            base()
                .filter(scores::score.gt(me.score))
                .order((
                    scores::score.asc(),
                    scores::reached_seq.desc(),
                    scores::member_id.desc(),
                ))
                .load(conn)?,
        );
    }
    found.truncate(n.max(0) as usize);
    found.reverse();
    Ok(found)
}

/// Up to `n` members ranked just after `me`, in rank order.
pub fn after(
    conn: &mut DbConnection,
    leaderboard_id: i64,
    period_key: &str,
    me: &Standing,
    n: i64,
) -> QueryResult<Vec<Standing>> {
    let base = || {
        scores::table
            .inner_join(members::table)
            .filter(scores::leaderboard_id.eq(leaderboard_id))
            .filter(scores::period_key.eq(period_key))
            .select(STANDING)
            .limit(n)
    };
    let mut found: Vec<Standing> = base()
        .filter(scores::score.eq(me.score))
        .filter(
            scores::reached_seq
                .gt(me.reached_seq)
                .or(scores::reached_seq
                    .eq(me.reached_seq)
                    .and(scores::member_id.gt(me.member_id))),
        )
        .order((scores::reached_seq.asc(), scores::member_id.asc()))
        .load(conn)?;
    if (found.len() as i64) < n {
        found.extend(
            base()
                .filter(scores::score.lt(me.score))
                .order((
                    scores::score.desc(),
                    scores::reached_seq.asc(),
                    scores::member_id.asc(),
                ))
                .load(conn)?,
        );
    }
    found.truncate(n.max(0) as usize);
    Ok(found)
}
