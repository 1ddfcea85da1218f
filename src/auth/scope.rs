//! What a storefront key may do.

use std::fmt;
use std::str::FromStr;

/// A permission carried by an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read members, their balances and ledgers; look up vouchers.
    MembersRead,
    /// Enrol and update members; mint member tokens.
    MembersWrite,
    /// Post events.
    EventsWrite,
    /// Burn points at checkout; redeem rewards and settle vouchers.
    PointsRedeem,
    /// Adjust balances by hand.
    PointsAdjust,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::MembersRead,
        Scope::MembersWrite,
        Scope::EventsWrite,
        Scope::PointsRedeem,
        Scope::PointsAdjust,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::MembersRead => "members:read",
            Scope::MembersWrite => "members:write",
            Scope::EventsWrite => "events:write",
            Scope::PointsRedeem => "points:redeem",
            Scope::PointsAdjust => "points:adjust",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown scope `{s}`; known scopes: {}", known.join(", "))
            })
    }
}
