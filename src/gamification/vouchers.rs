//! The reward voucher a completed challenge pays: a free voucher of a catalogue reward,
//! issued in the completing event's transaction, and how the outcome reports it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::rewards::redeem::Gift;

/// What became of a reward voucher a challenge pays.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoucherIssue {
    /// The reward's slug in the catalogue.
    pub reward: String,
    /// Whether a voucher was issued now.
    pub issued: bool,
    /// The voucher's id (for `/v1/redemptions/{id}/use`), when issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The voucher's code, when issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Why no voucher was issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What became of the free voucher of `reward` (a catalogue slug) that a completed challenge
/// pays: a reward that is missing, inactive or out of stock issues nothing, and the outcome
/// says so; the completion and its points stand.
pub fn voucher_issue(reward: &str, gift: Gift) -> VoucherIssue {
    let not_issued = |note: String| VoucherIssue {
        reward: reward.to_owned(),
        issued: false,
        id: None,
        code: None,
        note: Some(note),
    };
    match gift {
        Gift::Issued(voucher) => VoucherIssue {
            reward: reward.to_owned(),
            issued: true,
            id: Some(voucher.id),
            code: Some(voucher.code),
            note: None,
        },
        Gift::Unavailable => not_issued(format!("reward `{reward}` is inactive or out of stock")),
        Gift::Missing => not_issued(format!("no reward `{reward}` in the catalogue")),
    }
}
