//! Who is calling: admin passwords and JWTs, storefront API keys and member JWTs. The
//! extractors that turn a request's credentials into one of them are the HTTP edge's
//! (`api::extract`).

pub mod api_key;
pub mod jwt;
pub mod key_limit;
pub mod login_limit;
pub mod password;
mod scope;

pub use scope::Scope;
