//! A member's standing, and in one place what each standing allows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A member's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Earns and spends points.
    Active,
    /// Kept, but earns and spends nothing until reactivated; its events are still recorded and
    /// its points can still be adjusted.
    Suspended,
    /// Personal data erased, points forfeited; the ledger is kept.
    Closed,
}

/// Why a member's standing refuses what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the member's account is closed")]
    Closed,
    /// Suspended, with what the member could not do.
    #[error("the member is suspended and cannot {0}")]
    Suspended(&'static str),
}

impl MemberStatus {
    /// The status as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Suspended => "suspended",
            MemberStatus::Closed => "closed",
        }
    }

    /// Whether the account is closed: closed members send no events, sign in nowhere, refer
    /// no one and change no more.
    pub fn is_closed(self) -> bool {
        self == MemberStatus::Closed
    }

    /// Whether events earn the member points and progress. A suspended member's events are
    /// recorded and earn nothing; a closed member's are refused.
    pub fn may_earn(self) -> bool {
        self == MemberStatus::Active
    }

    /// Refuses spending (`action`, e.g. "redeem") unless the member is active.
    pub fn check_may_spend(self, action: &'static str) -> Result<(), Refusal> {
        match self {
            MemberStatus::Active => Ok(()),
            MemberStatus::Suspended => Err(Refusal::Suspended(action)),
            MemberStatus::Closed => Err(Refusal::Closed),
        }
    }

    /// Refuses changes to a closed account: adjustments by hand, profile changes, member
    /// tokens. A suspended member may still be adjusted and changed.
    pub fn check_open(self) -> Result<(), Refusal> {
        if self.is_closed() {
            return Err(Refusal::Closed);
        }
        Ok(())
    }
}

/// The stored spelling back to the status; anything else is a corrupt row.
impl TryFrom<String> for MemberStatus {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "active" => Ok(MemberStatus::Active),
            "suspended" => Ok(MemberStatus::Suspended),
            "closed" => Ok(MemberStatus::Closed),
            _ => Err(format!("unknown member status `{value}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [MemberStatus; 3] = [
        MemberStatus::Active,
        MemberStatus::Suspended,
        MemberStatus::Closed,
    ];

    #[test]
    fn each_status_reads_back_from_its_stored_spelling() {
        for status in ALL {
            assert_eq!(
                MemberStatus::try_from(status.as_str().to_owned()),
                Ok(status)
            );
        }
        assert!(MemberStatus::try_from("frozen".to_owned()).is_err());
    }

    #[test]
    fn only_active_members_earn_and_spend() {
        assert!(MemberStatus::Active.may_earn());
        assert!(!MemberStatus::Suspended.may_earn());
        assert!(!MemberStatus::Closed.may_earn());
        assert_eq!(MemberStatus::Active.check_may_spend("redeem"), Ok(()));
        assert_eq!(
            MemberStatus::Suspended.check_may_spend("redeem"),
            Err(Refusal::Suspended("redeem"))
        );
        assert_eq!(
            MemberStatus::Closed.check_may_spend("redeem"),
            Err(Refusal::Closed)
        );
    }

    #[test]
    fn suspended_accounts_stay_open_and_closed_ones_refuse_changes() {
        assert_eq!(MemberStatus::Suspended.check_open(), Ok(()));
        assert_eq!(MemberStatus::Closed.check_open(), Err(Refusal::Closed));
        assert_eq!(
            Refusal::Suspended("spend points").to_string(),
            "the member is suspended and cannot spend points"
        );
    }
}
