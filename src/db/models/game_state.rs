//! A member's game state as one event needs it, read in one statement: the badge levels it
//! holds, its badge counters, its streaks, and its progress in some challenge windows.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};

use crate::db::DbConnection;

/// What to read.
pub struct Wanted<'a> {
    pub held: bool,
    pub counters: bool,
    pub streaks: bool,
    /// `(challenge id, window key)`.
    pub challenges: &'a [(i64, &'a str)],
}

/// One row of the state.
#[derive(Debug, QueryableByName)]
pub struct StateRow {
    /// `held`, `counter`, `streak` or `challenge`.
    #[diesel(sql_type = Text)]
    pub part: String,
    /// The badge, streak or challenge.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub window_key: String,
    /// The level held, the counter, the streak's current length, the challenge's progress.
    #[diesel(sql_type = BigInt)]
    pub a: i64,
    /// The streak's longest length; 1 if the challenge window is completed.
    #[diesel(sql_type = BigInt)]
    pub b: i64,
    /// When the member joined the challenge window.
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub at: Option<NaiveDateTime>,
    /// The streak's last period.
    #[diesel(sql_type = Nullable<Date>)]
    pub day: Option<NaiveDate>,
}

/// Reads what `wanted` names of a member's state; nothing (no statement) if it names nothing.
/// Challenge rows are those of the wanted challenges in any of the wanted windows: match the
/// pairs exactly.
pub fn read(
    conn: &mut DbConnection,
    member_id: i64,
    wanted: &Wanted<'_>,
) -> QueryResult<Vec<StateRow>> {
    let mut parts: Vec<String> = Vec::new();
    let mut next = 0;
    let mut param = || {
        next += 1;
        format!("${next}")
    };
    if wanted.held {
        let member = param();
        parts.push(format!(
            "SELECT 'held', badge_id, '', level, 0, NULL, NULL \
             FROM member_badges WHERE member_id = {member}"
        ));
    }
    if wanted.counters {
        let member = param();
        parts.push(format!(
            "SELECT 'counter', badge_id, '', progress, 0, NULL, NULL \
             FROM badge_progress WHERE member_id = {member}"
        ));
    }
    if wanted.streaks {
        let member = param();
        parts.push(format!(
            "SELECT 'streak', streak_id, '', current_length, longest_length, NULL, last_period \
             FROM member_streaks WHERE member_id = {member}"
        ));
    }
    if !wanted.challenges.is_empty() {
        let member = param();
        let keys: Vec<String> = wanted.challenges.iter().map(|_| param()).collect();
        parts.push(format!(
            "SELECT 'challenge', challenge_id, window_key, progress, \
             CASE WHEN completed_at IS NULL THEN 0 ELSE 1 END, joined_at, NULL \
             FROM challenge_progress WHERE member_id = {member} AND window_key IN ({})",
            keys.join(", ")
        ));
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    // A first branch of no rows gives every column its type, so that both backends agree on
    // the others' (a cast of a stored value would change it on SQLite, whose casts to
    // TIMESTAMP or DATE are numeric).
    let typed = "SELECT CAST('none' AS TEXT) AS part, CAST(0 AS BIGINT) AS id, \
                 CAST('' AS TEXT) AS window_key, CAST(0 AS BIGINT) AS a, CAST(0 AS BIGINT) AS b, \
                 CAST(NULL AS TIMESTAMP) AS at, CAST(NULL AS DATE) AS day WHERE 1 = 0";
    parts.insert(0, typed.to_owned());
    let mut query = diesel::sql_query(parts.join(" UNION ALL "))
        .into_boxed::<<DbConnection as diesel::Connection>::Backend>();
    for _ in
        0..usize::from(wanted.held) + usize::from(wanted.counters) + usize::from(wanted.streaks)
    {
        query = query.bind::<BigInt, _>(member_id);
    }
    if !wanted.challenges.is_empty() {
        query = query.bind::<BigInt, _>(member_id);
        for (_, key) in wanted.challenges {
            query = query.bind::<Text, _>(key.to_string());
        }
    }
    let rows: Vec<StateRow> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            r.part != "challenge" || wanted.challenges.contains(&(r.id, r.window_key.as_str()))
        })
        .collect())
}
