//! A movement of a member's points as the audit log records it: the balance before, and the
//! balance after beside what moved it (the ledger entry, or the voucher).

use serde_json::{Map, Value, json};

use crate::audit::{Audit, Change};
use crate::db::DbConnection;
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

    /// Records `action` on the member, with `moved` under `what` beside the balance after.
    pub fn record(
        self,
        tx: &mut DbConnection,
        audit: &Audit,
        action: &str,
        what: &str,
        moved: Value,
    ) -> AppResult<()> {
        let after = Balance::from(&rows::find(tx, self.member.id)?);
        let mut fields = Map::new();
        fields.insert("balance".into(), json!(after));
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
