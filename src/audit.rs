//! The audit log: who changed which configuration, member or balance, when, from what to what,
//! in which request. Each change writes its row in its own transaction, so a change that fails
//! leaves none. Events posted by keys are not audited here: the events table keeps their key.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use crate::db::models::audit::{self as rows, AuditFilter, AuditRow, NewAuditRow};
use crate::db::{DbConnection, now_utc};
use crate::error::{AppError, AppResult};

/// Who made a change.
#[derive(Debug, Clone)]
pub enum Actor {
    Admin { id: i64, email: String },
    Key { id: i64 },
}

/// A change's author and request, handed to the use case that writes the change.
#[derive(Debug, Clone)]
pub struct Audit {
    pub actor: Actor,
    pub request_id: String,
}

/// One change, as the use case describes it.
pub struct Change<'a> {
    pub program_id: Option<i64>,
    /// e.g. `rule.update`.
    pub action: &'a str,
    /// The slug, external id or id of what changed.
    pub subject: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Audit {
    /// Writes the change's row, in the caller's transaction.
    pub fn record(&self, conn: &mut DbConnection, change: Change<'_>) -> AppResult<()> {
        // A key is labelled with its name, which the insert reads.
        let (actor, label, label_key) = match &self.actor {
            Actor::Admin { id, email } => (format!("admin:{id}"), email.as_str(), None),
            Actor::Key { id } => (format!("key:{id}"), "", Some(*id)),
        };
        let before = change.before.as_ref().map(Value::to_string);
        let after = change.after.as_ref().map(Value::to_string);
        rows::insert(
            conn,
            &NewAuditRow {
                at: now_utc(),
                program_id: change.program_id,
                actor: &actor,
                actor_label: label,
                label_key,
                action: change.action,
                subject: change.subject,
                before: before.as_deref(),
                after: after.as_deref(),
                request_id: &self.request_id,
            },
        )?;
        Ok(())
    }
}

/// Something whose changes the audit log records, by the state it keeps of it.
pub trait Audited {
    /// The slug, external id or id that names it in the log.
    fn subject(&self) -> String;
    /// Its state as the log keeps it: never personal data (which closing a member must be able
    /// to erase) nor secrets.
    fn state(&self) -> AppResult<Value>;
}

impl Audit {
    /// Records `action` on a thing of the program, from `before` to `after` (`None` for a thing
    /// created or removed), in the caller's transaction.
    pub fn changed<T: Audited>(
        &self,
        conn: &mut DbConnection,
        program_id: Option<i64>,
        action: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> AppResult<()> {
        let subject = after.or(before).map(Audited::subject).unwrap_or_default();
        let change = Change {
            program_id,
            action,
            subject: &subject,
            before: before.map(Audited::state).transpose()?,
            after: after.map(Audited::state).transpose()?,
        };
        self.record(conn, change)
    }
}

/// A value as the audit log keeps it.
pub fn snapshot(value: &impl Serialize) -> AppResult<Value> {
    serde_json::to_value(value).map_err(|e| AppError::Internal(e.into()))
}

/// A page of the log, newest first.
pub fn list(
    conn: &mut DbConnection,
    programs: Option<&[i64]>,
    actor: Option<&str>,
    since: Option<NaiveDateTime>,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<(AuditRow, Option<String>)>> {
    let filter = AuditFilter {
        programs,
        actor,
        since,
    };
    Ok(rows::list(conn, &filter, before, limit)?)
}
