//! What an event needs to know of a member, read in one statement: its rule usage in some
//! windows, its event counts, its qualifying activity over the tier spans, the badge levels it
//! holds, its badge counters, its streaks, and its progress in some challenge windows.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};

use super::tiers::{Spans, Sums, spans_sql};
use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};

/// What to read.
#[derive(Default)]
pub struct Wanted<'a> {
    /// Rule usage in these window keys.
    pub usage: &'a [String],
    pub event_counts: bool,
    /// Qualifying activity over these spans.
    pub tier: Option<&'a Spans>,
    pub held: bool,
    pub counters: bool,
    pub streaks: bool,
    /// `(challenge id, window key)`.
    pub challenges: &'a [(i64, &'a str)],
}

/// One row of the state.
#[derive(Debug, QueryableByName)]
pub struct StateRow {
    /// `usage`, `count`, `tier`, `tier2`, `held`, `counter`, `streak` or `challenge`.
    #[diesel(sql_type = Text)]
    pub part: String,
    /// The rule, badge, streak or challenge.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The usage or challenge window, or the event type counted.
    #[diesel(sql_type = Text)]
    pub window_key: String,
    /// The uses, the events counted, the activity in the window (`tier`) or last year
    /// (`tier2`), the level held, the counter, the streak's current length, the challenge's
    /// progress.
    #[diesel(sql_type = BigInt)]
    pub a: i64,
    /// The usage's points, the events' amount, the activity since qualifying (`tier`) or after
    /// the instant measured (`tier2`), the streak's longest length; 1 if the challenge window
    /// is completed.
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
/// Usage and challenge rows are those of the wanted keys in any of the wanted windows: match
/// the pairs exactly.
pub fn read(
    conn: &mut DbConnection,
    member_id: i64,
    wanted: &Wanted<'_>,
) -> QueryResult<Vec<StateRow>> {
    // Values are bound in the order their `?` appear.
    let mut binds: Vec<Bind> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    if !wanted.usage.is_empty() {
        let member = put(&mut binds, Bind::BigInt(member_id));
        let keys: Vec<&str> = wanted
            .usage
            .iter()
            .map(|k| put(&mut binds, Bind::Text(k.clone())))
            .collect();
        parts.push(format!(
            "SELECT 'usage', rule_id, period_key, uses, points, NULL, NULL \
             FROM rule_usage WHERE member_id = {member} AND period_key IN ({})",
            keys.join(", ")
        ));
    }
    if wanted.event_counts {
        let member = put(&mut binds, Bind::BigInt(member_id));
        parts.push(format!(
            "SELECT 'count', 0, event_type, events, amount_minor, NULL, NULL \
             FROM member_event_counts WHERE member_id = {member}"
        ));
    }
    if let Some(spans) = wanted.tier {
        let [in_window, since, last_year, after] = spans_sql(member_id, spans, &mut binds);
        parts.push(format!(
            "SELECT 'tier', 0, '', {in_window}, {since}, NULL, NULL"
        ));
        parts.push(format!(
            "SELECT 'tier2', 0, '', {last_year}, {after}, NULL, NULL"
        ));
    }
    if wanted.held {
        let member = put(&mut binds, Bind::BigInt(member_id));
        parts.push(format!(
            "SELECT 'held', badge_id, '', level, 0, NULL, NULL \
             FROM member_badges WHERE member_id = {member}"
        ));
    }
    if wanted.counters {
        let member = put(&mut binds, Bind::BigInt(member_id));
        parts.push(format!(
            "SELECT 'counter', badge_id, '', progress, 0, NULL, NULL \
             FROM badge_progress WHERE member_id = {member}"
        ));
    }
    if wanted.streaks {
        let member = put(&mut binds, Bind::BigInt(member_id));
        parts.push(format!(
            "SELECT 'streak', streak_id, '', current_length, longest_length, NULL, last_period \
             FROM member_streaks WHERE member_id = {member}"
        ));
    }
    if !wanted.challenges.is_empty() {
        let member = put(&mut binds, Bind::BigInt(member_id));
        let keys: Vec<&str> = wanted
            .challenges
            .iter()
            .map(|(_, key)| put(&mut binds, Bind::Text((*key).to_owned())))
            .collect();
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
    let rows: Vec<StateRow> = Raw::new(parts.join(" UNION ALL "), binds).load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            r.part != "challenge" || wanted.challenges.contains(&(r.id, r.window_key.as_str()))
        })
        .collect())
}

/// Appends a value and returns its placeholder.
fn put(binds: &mut Vec<Bind>, bind: Bind) -> &'static str {
    binds.push(bind);
    "?"
}

/// The tier sums among the rows read.
pub fn sums(rows: &[StateRow]) -> Sums {
    let mut sums = Sums {
        in_window: 0,
        since_qualified: 0,
        last_year: 0,
        after: 0,
    };
    for row in rows {
        match row.part.as_str() {
            "tier" => (sums.in_window, sums.since_qualified) = (row.a, row.b),
            "tier2" => (sums.last_year, sums.after) = (row.a, row.b),
            _ => {}
        }
    }
    sums
}
