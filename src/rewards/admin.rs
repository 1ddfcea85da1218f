//! What an admin does to a program's catalogue, each in its own transaction with its audit row.
//! Each answers the program beside the reward, which its view needs.

use serde_json::{Value, json};

use super::{Reward, RewardDefinition};
use crate::audit::{Audit, Audited};
use crate::db::{DbConn, now_utc, write_tx};
use crate::error::AppResult;
use crate::programs::{self, Program};

/// Adds a reward from `{slug, ...definition}` to the program with this slug.
pub fn create(
    conn: &mut DbConn,
    program: &str,
    body: Value,
    audit: &Audit,
) -> AppResult<(Program, Reward)> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let reward = super::create(tx, &program, body, now_utc())?;
        audit.changed(tx, Some(program.id), "reward.create", None, Some(&reward))?;
        Ok((program, reward))
    })
}

/// Replaces a reward's definition, its stock and status included (`reward.update`).
pub fn update(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    definition: &RewardDefinition,
    audit: &Audit,
) -> AppResult<(Program, Reward)> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let before = super::require(tx, program.id, slug)?;
        let reward = super::update(tx, &program, slug, definition, now_utc())?;
        audit.changed(
            tx,
            Some(program.id),
            "reward.update",
            Some(&before),
            Some(&reward),
        )?;
        Ok((program, reward))
    })
}

impl Audited for Reward {
    fn subject(&self) -> String {
        self.row.slug.clone()
    }

    fn state(&self) -> AppResult<Value> {
        let row = &self.row;
        Ok(json!({
            "name": row.name,
            "description": row.description,
            "cost": row.cost,
            "kind": row.kind,
            "amount_minor": row.amount_minor,
            "percent": row.percent,
            "min_tier": row.min_tier,
            "stock": row.stock,
            "per_member_limit": self.member_limit(),
            "active_from": row.active_from,
            "active_until": row.active_until,
            "voucher_days": row.voucher_days,
            "refund_on_expiry": row.refund_on_expiry,
            "status": row.status,
        }))
    }
}
