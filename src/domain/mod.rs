//! Validated values of the product's language. Each `parse` names the field it was given, so
//! the error reaches the client as a problem that says which field is wrong.

mod currency;
mod points;
mod text;

pub use currency::Currency;
pub use points::Points;
pub use text::{email, slug, text, time_zone};
