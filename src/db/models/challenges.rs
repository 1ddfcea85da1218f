//! Members' progress in challenge windows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
use crate::db::schema::challenge_progress;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = challenge_progress)]
pub struct ChallengeProgressRow {
    pub member_id: i64,
    pub challenge_id: i64,
    pub window_key: String,
    pub progress: i64,
    pub joined_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub completed_event_id: Option<i64>,
    pub reward_points: i64,
    pub updated_at: NaiveDateTime,
}

/// A member's rows for these `(challenge id, window key)` pairs.
pub fn for_windows(
    conn: &mut DbConnection,
    member_id: i64,
    windows: &[(i64, &str)],
) -> QueryResult<Vec<ChallengeProgressRow>> {
    if windows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = windows.iter().map(|(id, _)| *id).collect();
    let keys: Vec<&str> = windows.iter().map(|(_, key)| *key).collect();
    let rows: Vec<ChallengeProgressRow> = challenge_progress::table
        .filter(challenge_progress::member_id.eq(member_id))
        .filter(challenge_progress::challenge_id.eq_any(ids))
        .filter(challenge_progress::window_key.eq_any(keys))
        .select(ChallengeProgressRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| windows.contains(&(r.challenge_id, r.window_key.as_str())))
        .collect())
}

/// A completion to record with the progress.
pub struct Completion {
    pub at: NaiveDateTime,
    pub event_id: i64,
    pub reward_points: i64,
}

/// Sets a member's progress in a window, and its completion.
pub fn set_progress(
    member_id: i64,
    challenge_id: i64,
    window_key: &str,
    progress: i64,
    completion: Option<&Completion>,
    at: NaiveDateTime,
) -> Raw {
    let mut binds = vec![
        Bind::BigInt(member_id),
        Bind::BigInt(challenge_id),
        Bind::Text(window_key.to_owned()),
        Bind::BigInt(progress),
        Bind::At(at),
    ];
    let sql = "INSERT INTO challenge_progress \
               (member_id, challenge_id, window_key, progress, updated_at";
    let conflict = ") ON CONFLICT (member_id, challenge_id, window_key) DO UPDATE \
                    SET progress = excluded.progress, updated_at = excluded.updated_at";
    let Some(done) = completion else {
        return Raw::new(format!("{sql}) VALUES (?, ?, ?, ?, ?{conflict}"), binds);
    };
    binds.extend([
        Bind::At(done.at),
        Bind::BigInt(done.event_id),
        Bind::BigInt(done.reward_points),
    ]);
    Raw::new(
        format!(
            "{sql}, completed_at, completed_event_id, reward_points) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?{conflict}, completed_at = excluded.completed_at, \
             completed_event_id = excluded.completed_event_id, \
             reward_points = excluded.reward_points"
        ),
        binds,
    )
}

/// Records that a member joined a window; `false` if it had joined already.
pub fn join(
    conn: &mut DbConnection,
    member_id: i64,
    challenge_id: i64,
    window_key: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let key = (member_id, challenge_id, window_key);
    let updated = diesel::update(
        challenge_progress::table
            .find(key)
            .filter(challenge_progress::joined_at.is_null()),
    )
    .set((
        challenge_progress::joined_at.eq(at),
        challenge_progress::updated_at.eq(at),
    ))
    .execute(conn)?;
    if updated > 0 {
        return Ok(true);
    }
    let exists = diesel::select(diesel::dsl::exists(challenge_progress::table.find(key)))
        .get_result::<bool>(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(challenge_progress::table)
        .values((
            challenge_progress::member_id.eq(member_id),
            challenge_progress::challenge_id.eq(challenge_id),
            challenge_progress::window_key.eq(window_key),
            challenge_progress::progress.eq(0),
            challenge_progress::joined_at.eq(at),
            challenge_progress::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Members who completed a window of any of these challenges.
pub fn completers(conn: &mut DbConnection, challenge_ids: &[i64]) -> QueryResult<Vec<i64>> {
    challenge_progress::table
        .filter(challenge_progress::challenge_id.eq_any(challenge_ids))
        .filter(challenge_progress::completed_at.is_not_null())
        .select(challenge_progress::member_id)
        .distinct()
        .load(conn)
}
