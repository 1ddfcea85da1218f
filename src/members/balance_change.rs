//! A movement of a member's points as the audit log records it: the balance before, and the
//! balance after beside what moved it (the ledger entry, or the voucher).

use serde_json::{Map, Value, json};

use super::not_found;
use crate::audit::{Audit, Change};
use crate::db::DbConnection;
use crate::db::models::api_keys::KeyState;
use crate::db::models::members::{self as rows, MemberRow};
use crate::error::AppResult;
use crate::ledger::Balance;

/// The member, locked, with its balance before the movement.
pub struct BalanceChange {
    member: MemberRow,
}

impl BalanceChange {
    /// Locks the member (as the movement will) and notes its balance.
    pub fn start(tx: &mut DbConnection, member_id: i64) -> AppResult<BalanceChange> {
        Ok(BalanceChange {
            member: rows::lock(tx, member_id)?,
        })
    }

    /// Locks the program's member `external_id` (404 when there is none) and notes its
    /// balance; the same statement reads the state of the API key `key`, if one is given.
    pub fn start_by_external_id(
        tx: &mut DbConnection,
        program_id: i64,
        external_id: &str,
        key: Option<i64>,
    ) -> AppResult<(BalanceChange, Option<KeyState>)> {
        let (member, state) = rows::lock_by_external_id(tx, program_id, external_id, key)?
            .ok_or_else(|| not_found(external_id))?;
        Ok((BalanceChange { member }, state))
    }

    /// The member as it was locked.
    pub fn member(&self) -> &MemberRow {
        &self.member
    }

    /// Records `action` on the member, with `moved` under `what` beside the balance after.
    pub fn record(
        self,
        tx: &mut DbConnection,
        audit: &Audit,
        action: &str,
        what: &str,
        moved: Value,
    ) -> AppResult<()> {
        let after = rows::find(tx, self.member.id)?;
        self.record_after(tx, audit, (action, what, moved), &after)
    }

    /// [`BalanceChange::record`] with the member after the movement already at hand: `moved`
    /// is the action, what moved and its state.
    pub fn record_after(
        self,
        tx: &mut DbConnection,
        audit: &Audit,
        moved: (&str, &str, Value),
        after: &MemberRow,
    ) -> AppResult<()> {
        let (action, what, moved) = moved;
        let mut fields = Map::new();
        fields.insert("balance".into(), json!(Balance::from(after)));
        fields.insert(what.into(), moved);
        let change = Change {
            program_id: Some(self.member.program_id),
            action,
            subject: &self.member.external_id,
            before: Some(json!({"balance": Balance::from(&self.member)})),
            after: Some(Value::Object(fields)),
        };
        audit.record(tx, change)
    }
}
