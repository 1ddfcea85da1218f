//! The kinds of ledger entry.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Points earned from an event.
    Earn,
    /// Points spent: at checkout or on a reward.
    Redeem,
    /// Points that lapsed.
    Expire,
    /// A correction by an admin or storefront, either way.
    Adjust,
    /// An earlier entry undone: a refund takes earned points back, a cancelled redemption
    /// gives spent points back.
    Reverse,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Earn => "earn",
            EntryKind::Redeem => "redeem",
            EntryKind::Expire => "expire",
            EntryKind::Adjust => "adjust",
            EntryKind::Reverse => "reverse",
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        [
            EntryKind::Earn,
            EntryKind::Redeem,
            EntryKind::Expire,
            EntryKind::Adjust,
            EntryKind::Reverse,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown entry kind `{s}`"))
    }
}
