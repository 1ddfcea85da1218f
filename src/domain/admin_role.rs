use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an admin may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdminRole {
    /// Everything: every program, creating programs, managing admins.
    Owner,
    /// Configures and adjusts the programs it is given.
    Manager,
    /// Reads the programs it is given.
    Analyst,
}

impl AdminRole {
    /// The role as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Owner => "owner",
            AdminRole::Manager => "manager",
            AdminRole::Analyst => "analyst",
        }
    }
}

/// The stored spelling back to the role; anything else is a corrupt row.
impl TryFrom<String> for AdminRole {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "owner" => Ok(AdminRole::Owner),
            "manager" => Ok(AdminRole::Manager),
            "analyst" => Ok(AdminRole::Analyst),
            _ => Err(format!("unknown admin role `{value}`")),
        }
    }
}
