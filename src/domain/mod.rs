//! Validated values of the product's language. Each `parse` names the field it was given, so
//! its `Invalid` reaches the client as a problem that says which field is wrong.

mod admin_role;
pub mod bounds;
mod currency;
mod invalid;
mod member_status;
mod points;
mod text;

pub use admin_role::AdminRole;
pub use currency::Currency;
pub use invalid::Invalid;
pub use member_status::{MemberStatus, Refusal};
pub use points::Points;
pub use text::{email, external_id, slug, text, time_zone};
