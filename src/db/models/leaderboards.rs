//! Leaderboard scores: one row per leaderboard, period and member, ordered by the index
//! `(leaderboard_id, period_key, score DESC, reached_seq, member_id)`. The top N and a member's
//! neighbours are ranges of that index. The size and a rank are sums of
//! `leaderboard_score_counts`, the members per score and per block of scores that triggers keep
//! in the transaction that moves a score (migration 000013), plus the ties counted on the index.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

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

/// The width of a block of scores in `leaderboard_score_counts`, as the migration's triggers
/// keep it: a block's row counts the scores `[from, from + BLOCK)`, `from` a multiple of it.
const BLOCK: i64 = 1024;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many members a period ranks: the sum of its blocks.
pub fn size(conn: &mut DbConnection, leaderboard_id: i64, period_key: &str) -> QueryResult<i64> {
    diesel::sql_query(format!(
        "SELECT CAST(COALESCE(SUM(members), 0) AS BIGINT) AS n FROM leaderboard_score_counts \
         WHERE leaderboard_id = $1 AND period_key = $2 AND grain = {BLOCK}"
    ))
    .bind::<BigInt, _>(leaderboard_id)
    .bind::<Text, _>(period_key)
    .get_result::<Count>(conn)
    .map(|count| count.n)
}

/// The member's rank: one more than the members ordered before it. Those with a higher score
/// are the blocks above the member's block and the scores above its own inside that block;
/// those with the same score reached it earlier (or at once with a lower id). One statement,
/// so the counts and the index are read in one snapshot.
pub fn rank(
    conn: &mut DbConnection,
    leaderboard_id: i64,
    period_key: &str,
    me: &Standing,
) -> QueryResult<i64> {
    let block_start = me.score & !(BLOCK - 1);
    let block_end = me.score | (BLOCK - 1);
    diesel::sql_query(format!(
        "SELECT CAST(1 \
           + COALESCE((SELECT SUM(members) FROM leaderboard_score_counts \
                       WHERE leaderboard_id = $1 AND period_key = $2 AND grain = {BLOCK} \
                         AND score_from > $3), 0) \
           + COALESCE((SELECT SUM(members) FROM leaderboard_score_counts \
                       WHERE leaderboard_id = $1 AND period_key = $2 AND grain = 1 \
                         AND score_from > $4 AND score_from <= $5), 0) \
           + (SELECT COUNT(*) FROM leaderboard_scores \
              WHERE leaderboard_id = $1 AND period_key = $2 AND score = $4 \
                AND (reached_seq < $6 OR (reached_seq = $6 AND member_id < $7))) \
         AS BIGINT) AS n"
    ))
    .bind::<BigInt, _>(leaderboard_id)
    .bind::<Text, _>(period_key)
    .bind::<BigInt, _>(block_start)
    .bind::<BigInt, _>(me.score)
    .bind::<BigInt, _>(block_end)
    .bind::<BigInt, _>(me.reached_seq)
    .bind::<BigInt, _>(me.member_id)
    .get_result::<Count>(conn)
    .map(|count| count.n)
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
