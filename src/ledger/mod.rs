//! The points ledger: every change of a member's points is one append-only entry, earned
//! points are lots, and stored balances move in the same transaction as their entries.
//!
//! `posting` holds the primitives that run inside a caller's transaction; `history` reads;
//! `verify` proves the stored balances equal what the entries sum to.

pub mod history;
mod kind;
pub mod posting;
pub mod verify;

pub use kind::EntryKind;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::members::MemberRow;

/// A member's points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Balance {
    /// Points that can be spent now; negative while a refund of spent points is owed.
    pub available: i64,
    /// Points earned but not yet available (e.g. inside a return window).
    pub pending: i64,
    /// Points earned over the membership, net of reversed earnings.
    pub lifetime_earned: i64,
    /// Points spent over the membership, net of cancelled redemptions.
    pub lifetime_redeemed: i64,
}

impl From<&MemberRow> for Balance {
    fn from(m: &MemberRow) -> Self {
        Balance {
            available: m.points_available - m.points_debt,
            pending: m.points_pending,
            lifetime_earned: m.lifetime_earned,
            lifetime_redeemed: m.lifetime_redeemed,
        }
    }
}
