//! Leaderboard scores: one row per leaderboard, period and member, ordered by the index
//! `(leaderboard_id, period_key, score DESC, reached_seq, member_id)`. The top N and a member's
//! neighbours are ranges of that index. The size and a rank are sums of
//! `leaderboard_score_counts`, the members per score and per block of scores that triggers keep
//! in the transaction that moves a score (migration 000013), plus the ties counted on the index.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};

/// A member's score, with who the member is.
#[derive(Debug, Clone, QueryableByName)]
pub struct Standing {
    #[diesel(sql_type = BigInt)]
    pub member_id: i64,
    #[diesel(sql_type = BigInt)]
    pub score: i64,
    #[diesel(sql_type = BigInt)]
    pub reached_seq: i64,
    #[diesel(sql_type = Text)]
    pub external_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
}

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

/// A period's standings, read in one statement (one snapshot): its size, its first members,
/// and a member's own place if it has a score.
#[derive(Debug)]
pub struct Standings {
    pub size: i64,
    /// Best first.
    pub top: Vec<Standing>,
    pub own: Option<Own>,
}

/// A member's score, rank and neighbours.
#[derive(Debug)]
pub struct Own {
    pub rank: i64,
    pub standing: Standing,
    /// Members ranked just before it, in rank order.
    pub before: Vec<Standing>,
    /// Members ranked just after it, in rank order.
    pub after: Vec<Standing>,
}

/// What a row of [`READ`] is (its `part`, written as these numbers there).
const SIZE: i32 = 0;
const TOP: i32 = 1;
const OWN: i32 = 2;
const BEFORE: i32 = 3;
const AFTER: i32 = 4;

/// The standings as parts of one `UNION ALL`, each an index range of `leaderboard_scores` or
/// `leaderboard_score_counts`, sorted by part then rank:
/// - the size: the sum of the period's blocks (`n`);
/// - the top: the first `{top}` entries of the ranking index;
/// - the member's own row (from `me`, empty without a score), its rank in `n`: one more than
///   the blocks above its block, the scores above its own inside that block, and its ties that
///   reached the score earlier (or at once with a lower id). The scores above inside the block
///   are summed from the nearer end: those above it in the block's upper half, else the block
///   less those up to it, so at most 512 scores are read;
/// - before it: its ties ranked earlier, and the scores just above (the nearest `{near}` of each,
///   so up to twice as many as shown; [`assemble`] keeps the nearest);
/// - after it: its ties ranked later, and the scores just below.
///
/// Each part reads scores only; the members are joined once to them all (the size row, of
/// member 0, joins none): a join in each part made PostgreSQL's custom plans, which it makes
/// for a connection's first five reads, twice as slow to plan (1.2 ms instead of 0.6).
///
/// Blocks are 1,024 scores wide, as the triggers of migration 000013 keep them (`score & -1024`
/// starts a score's block, `score | 1023` ends it). Neighbours compare with `me` through scalar
/// subqueries: PostgreSQL evaluates them once and scans the index from there, where a join
/// with `me` would sort the whole range above or below the member.
///
/// The limits are written into the text (`{top}`, `{near}`), one statement per board size:
/// with a bound LIMIT, PostgreSQL's generic plan expects a tenth of the period and reads it
/// with parallel workers (45 ms instead of 1).
const READ: &str = "WITH me AS (\
     SELECT member_id, score, reached_seq FROM leaderboard_scores \
     WHERE leaderboard_id = ? AND period_key = ? AND member_id = ?) \
 SELECT p.part, p.n, p.member_id, p.score, p.reached_seq, \
   COALESCE(m.external_id, '') AS external_id, m.name FROM (\
   SELECT 0 AS part, CAST(COALESCE(SUM(members), 0) AS BIGINT) AS n, \
     CAST(0 AS BIGINT) AS member_id, CAST(0 AS BIGINT) AS score, \
     CAST(0 AS BIGINT) AS reached_seq \
   FROM leaderboard_score_counts \
   WHERE leaderboard_id = ? AND period_key = ? AND grain = 1024 \
 UNION ALL SELECT * FROM (\
   SELECT 1, 0, member_id, score, reached_seq FROM leaderboard_scores \
   WHERE leaderboard_id = ? AND period_key = ? \
   ORDER BY score DESC, reached_seq, member_id LIMIT {top}) AS top \
 UNION ALL \
   SELECT 2, CAST(1 \
     + COALESCE((SELECT SUM(members) FROM leaderboard_score_counts \
                 WHERE leaderboard_id = ? AND period_key = ? AND grain = 1024 \
                   AND score_from > (me.score & -1024)), 0) \
     + CASE WHEN (me.score & 1023) >= 512 \
       THEN COALESCE((SELECT SUM(members) FROM leaderboard_score_counts \
                      WHERE leaderboard_id = ? AND period_key = ? AND grain = 1 \
                        AND score_from > me.score AND score_from <= (me.score | 1023)), 0) \
       ELSE COALESCE((SELECT SUM(members) FROM leaderboard_score_counts \
                      WHERE leaderboard_id = ? AND period_key = ? AND grain = 1024 \
                        AND score_from = (me.score & -1024)), 0) \
          - COALESCE((SELECT SUM(members) FROM leaderboard_score_counts \
                      WHERE leaderboard_id = ? AND period_key = ? AND grain = 1 \
                        AND score_from >= (me.score & -1024) AND score_from <= me.score), 0) \
       END \
     + (SELECT COUNT(*) FROM leaderboard_scores t \
        WHERE t.leaderboard_id = ? AND t.period_key = ? AND t.score = me.score \
          AND (t.reached_seq, t.member_id) < (me.reached_seq, me.member_id)) AS BIGINT), \
     member_id, score, reached_seq \
   FROM me \
 UNION ALL SELECT * FROM (\
   SELECT 3, 0, member_id, score, reached_seq FROM leaderboard_scores \
   WHERE leaderboard_id = ? AND period_key = ? AND score = (SELECT score FROM me) \
     AND (reached_seq, member_id) < (SELECT reached_seq, member_id FROM me) \
   ORDER BY reached_seq DESC, member_id DESC LIMIT {near}) AS tied_before \
 UNION ALL SELECT * FROM (\
   SELECT 3, 0, member_id, score, reached_seq FROM leaderboard_scores \
   WHERE leaderboard_id = ? AND period_key = ? AND score > (SELECT score FROM me) \
   ORDER BY score, reached_seq DESC, member_id DESC LIMIT {near}) AS above \
 UNION ALL SELECT * FROM (\
   SELECT 4, 0, member_id, score, reached_seq FROM leaderboard_scores \
   WHERE leaderboard_id = ? AND period_key = ? AND score = (SELECT score FROM me) \
     AND (reached_seq, member_id) > (SELECT reached_seq, member_id FROM me) \
   ORDER BY reached_seq, member_id LIMIT {near}) AS tied_after \
 UNION ALL SELECT * FROM (\
   SELECT 4, 0, member_id, score, reached_seq FROM leaderboard_scores \
   WHERE leaderboard_id = ? AND period_key = ? AND score < (SELECT score FROM me) \
   ORDER BY score DESC, reached_seq, member_id LIMIT {near}) AS below\
 ) AS p LEFT JOIN members m ON m.id = p.member_id \
 ORDER BY p.part, p.score DESC, p.reached_seq, p.member_id";

/// A row of [`READ`].
#[derive(QueryableByName)]
struct Part {
    #[diesel(sql_type = Integer)]
    part: i32,
    /// The size on the size row, the rank on the member's own row.
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(embed)]
    standing: Standing,
}

/// The period's size and first `limit` members, and the standing of `member_id` (if given and
/// it has a score) with up to `neighbours` members on each side.
pub fn read(
    conn: &mut DbConnection,
    leaderboard_id: i64,
    period_key: &str,
    limit: i64,
    member_id: Option<i64>,
    neighbours: i64,
) -> QueryResult<Standings> {
    let board = || {
        [
            Bind::BigInt(leaderboard_id),
            Bind::Text(period_key.to_owned()),
        ]
    };
    let mut binds = board().to_vec();
    binds.push(Bind::MaybeBigInt(member_id));
    // The size, the top, the rank's five counts and the neighbours' four ranges.
    for _ in 0..11 {
        binds.extend(board());
    }
    let sql = READ
        .replace("{top}", &limit.to_string())
        .replace("{near}", &neighbours.to_string());
    let parts: Vec<Part> = Raw::new(sql, binds).load(conn)?;
    Ok(assemble(parts, usize::try_from(neighbours).unwrap_or(0)))
}

/// The standings from the rows of [`READ`], in their order.
fn assemble(parts: Vec<Part>, neighbours: usize) -> Standings {
    let (mut size, mut top, mut own) = (0, Vec::new(), None);
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for part in parts {
        match part.part {
            SIZE => size = part.n,
            TOP => top.push(part.standing),
            OWN => own = Some((part.n, part.standing)),
            BEFORE => before.push(part.standing),
            AFTER => after.push(part.standing),
            _ => {}
        }
    }
    before.drain(..before.len().saturating_sub(neighbours));
    after.truncate(neighbours);
    Standings {
        size,
        top,
        own: own.map(|(rank, standing)| Own {
            rank,
            standing,
            before,
            after,
        }),
    }
}
