//! Who is calling: admin passwords and JWTs, storefront API keys, member JWTs, and the
//! extractors that turn a request's credentials into one of them.

pub mod api_key;
mod extract;
pub mod jwt;
pub mod login_limit;
pub mod password;
mod scope;

pub use extract::{AdminUser, MemberPrincipal, Storefront};
pub use scope::Scope;
