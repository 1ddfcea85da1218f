//! The points ledger: every change of a member's points is one append-only entry, earned
//! points are lots, and stored balances move in the same transaction as their entries.
//!
//! `posting` holds the primitives that run inside a caller's transaction; `points` the
//! storefront's and admins' direct operations; `history` reads; `verify` proves the stored
//! balances equal what the entries sum to.

pub mod history;
mod kind;
pub mod points;
pub mod posting;
pub mod verify;

pub use kind::EntryKind;
