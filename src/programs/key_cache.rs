//! Storefront keys this process has verified, so that a request with a known key needs no
//! look-up and no hash before its work: the presented key, as sent, maps to what its row said.
//!
//! A cached key is never trusted alone. Whatever serves the request confirms in its own
//! statement that the key is still unrevoked, with the same scopes and limit, and the program
//! at the same configuration version (`confirm`); revocation through any instance is thus
//! refused by every instance on its next request. Only keys that matched their digest are
//! stored, so the map holds at most the live keys of the programs this process serves; it is
//! emptied whole if that passes `CAPACITY`. Looking a key up hashes it with the map's random
//! SipHash key before any comparison, so its time says nothing about stored keys.

use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};

use diesel::QueryResult;

use super::Program;
use crate::auth::Scope;
use crate::db::DbConnection;
use crate::db::models::api_keys::{self, KeyState};
use crate::error::AppError;

/// Keys kept before the map is emptied and filled again.
const CAPACITY: usize = 10_000;

/// A key as its row said when it was last verified.
#[derive(Debug)]
pub struct VerifiedKey {
    pub key_id: i64,
    pub program: Arc<Program>,
    pub scopes: BTreeSet<Scope>,
    /// Requests per second the key may send; `None`: no limit.
    pub rate_limit: Option<NonZeroU32>,
}

/// What a confirmation found.
#[derive(Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// Unchanged: the cached key and program may serve the request.
    Same,
    /// Revoked since: refuse the request.
    Revoked,
    /// Its scopes, limit or program changed: verify it afresh.
    Changed,
}

impl VerifiedKey {
    /// Holds the key against its row as read now.
    pub fn confirm(&self, now: &KeyState) -> Confirmed {
        let Some(scopes) = &now.scopes else {
            return Confirmed::Revoked;
        };
        let scopes = parse_scopes(scopes);
        let limit = now
            .rate_limit
            .and_then(|n| u32::try_from(n).ok())
            .and_then(NonZeroU32::new);
        if scopes == self.scopes
            && limit == self.rate_limit
            && now.config_version == self.program.config_version
        {
            Confirmed::Same
        } else {
            Confirmed::Changed
        }
    }
}

/// A cached key held by a write's own transaction: the statement that locks what the write
/// changes reads the key's state too, and the write goes on only while that state is the one
/// the key was verified with. The service's own writes (the demo) have no key to hold.
pub struct KeyCheck<'a> {
    key: Option<&'a VerifiedKey>,
    /// The key's state, once the transaction has read it.
    seen: Option<KeyState>,
}

impl<'a> KeyCheck<'a> {
    pub fn new(key: Option<&'a VerifiedKey>) -> Self {
        KeyCheck { key, seen: None }
    }

    /// The id of the key to read the state of, if there is a key.
    pub fn key_id(&self) -> Option<i64> {
        self.key.map(|k| k.key_id)
    }

    /// Holds the key against `state`, read by the transaction's locking statement (`None`:
    /// that statement found nothing to carry it, so it is read now by a statement of its
    /// own). False when the key was revoked or changed: the transaction must roll back.
    pub fn holds(&mut self, conn: &mut DbConnection, state: Option<KeyState>) -> QueryResult<bool> {
        let Some(key) = self.key else {
            return Ok(true);
        };
        let state = match state {
            Some(state) => state,
            None => api_keys::state(conn, key.key_id)?,
        };
        let same = key.confirm(&state) == Confirmed::Same;
        self.seen = Some(state);
        Ok(same)
    }

    /// The refusal of work whose key changed under it: a write rolls back with it, for the
    /// caller (which sees the key's state) to refuse the request or verify the key afresh and
    /// do the work again; a key that changes again meanwhile is refused with it (503), and the
    /// client may retry.
    pub fn changed() -> AppError {
        AppError::Unavailable("the API key changed during the request; try again".into())
    }

    /// The state of `key` (this check's) for the caller to confirm: as the transaction read
    /// it or, for a request refused before it did (a bad body, an unknown member), read now.
    pub fn into_state(self, conn: &mut DbConnection, key: &VerifiedKey) -> QueryResult<KeyState> {
        match self.seen {
            Some(state) => Ok(state),
            None => api_keys::state(conn, key.key_id),
        }
    }
}

/// The scopes a key's row lists, space-separated; unknown names are ignored.
pub fn parse_scopes(stored: &str) -> BTreeSet<Scope> {
    stored
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, Arc<VerifiedKey>>>,
}

impl KeyCache {
    /// The key as last verified, if this process verified it.
    pub fn get(&self, presented: &str) -> Option<Arc<VerifiedKey>> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.get(presented).cloned()
    }

    /// Remembers a key that matched its digest.
    pub fn remember(&self, presented: &str, key: Arc<VerifiedKey>) {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if keys.len() >= CAPACITY && !keys.contains_key(presented) {
            keys.clear();
        }
        keys.insert(presented.to_owned(), key);
    }

    /// Forgets a key, so that its next request verifies it afresh.
    pub fn forget(&self, presented: &str) {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        keys.remove(presented);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> Program {
        let at = chrono::DateTime::UNIX_EPOCH.naive_utc();
        Program {
            id: 1,
            slug: "coffee".into(),
            name: "Coffee".into(),
            time_zone: chrono_tz::UTC,
            currency: crate::domain::Currency::parse("currency", "USD").unwrap(),
            point_name: "Stars".into(),
            point_value: rust_decimal::Decimal::ONE,
            auto_enrol: true,
            config_version: 3,
            tiers: None,
            expiry: Default::default(),
            birthday: None,
            analytics: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn key(scopes: &str, rate_limit: Option<u32>) -> VerifiedKey {
        VerifiedKey {
            key_id: 1,
            program: Arc::new(program()),
            scopes: parse_scopes(scopes),
            rate_limit: rate_limit.and_then(NonZeroU32::new),
        }
    }

    fn now(revoked: bool, scopes: &str, rate_limit: Option<i32>, version: i64) -> KeyState {
        KeyState {
            scopes: (!revoked).then(|| scopes.into()),
            rate_limit,
            config_version: version,
        }
    }

    #[test]
    fn a_key_is_confirmed_only_while_its_row_and_program_are_unchanged() {
        let cached = key("members:read events:write", Some(5));
        let version = cached.program.config_version;
        let same = now(false, "events:write members:read", Some(5), version);
        assert_eq!(cached.confirm(&same), Confirmed::Same);
        let revoked = now(true, "events:write members:read", Some(5), version);
        assert_eq!(cached.confirm(&revoked), Confirmed::Revoked);
        for changed in [
            now(false, "members:read", Some(5), version),
            now(false, "events:write members:read", None, version),
            now(false, "events:write members:read", Some(6), version),
            now(false, "events:write members:read", Some(5), version + 1),
        ] {
            assert_eq!(cached.confirm(&changed), Confirmed::Changed, "{changed:?}");
        }
    }

    #[test]
    fn a_full_cache_starts_again_and_a_forgotten_key_is_gone() {
        let cache = KeyCache::default();
        for n in 0..CAPACITY {
            cache.remember(&format!("k{n}"), Arc::new(key("members:read", None)));
        }
        assert!(cache.get("k0").is_some());
        cache.remember("one more", Arc::new(key("members:read", None)));
        assert!(cache.get("k0").is_none(), "emptied when full");
        assert!(cache.get("one more").is_some());
        cache.forget("one more");
        assert!(cache.get("one more").is_none());
    }
}
