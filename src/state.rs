//! What every request handler shares.

use crate::auth::jwt::TokenKeys;
use crate::auth::key_limit::KeyLimiter;
use crate::auth::login_limit::LoginLimiter;
use crate::db::{Db, DbConn, Workers};
use crate::error::AppResult;
use crate::gamification::GameCache;
use crate::programs::ProgramCache;
use crate::programs::key_cache::KeyCache;
use crate::rules::RuleCache;

/// How long issued tokens live, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct TokenLifetimes {
    pub admin_secs: i64,
    pub member_secs: i64,
}

pub struct AppState {
    pub db: Db,
    /// The threads `run` sends database work to.
    pub workers: Workers,
    pub tokens: TokenKeys,
    pub token_lifetimes: TokenLifetimes,
    pub login_limiter: LoginLimiter,
    /// Storefront keys this process has verified.
    pub keys: KeyCache,
    /// The request buckets of storefront keys that have a `rate_limit`.
    pub key_limits: KeyLimiter,
    /// Programs as last read, for members' own reads.
    pub programs: ProgramCache,
    /// Compiled earning rules per program.
    pub rules: RuleCache,
    /// Compiled badges, challenges, streaks and leaderboards per program.
    pub game: GameCache,
}

impl AppState {
    /// Runs `work` with a pooled connection on one of the database threads, never on the async
    /// runtime.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    {
        let db = self.db.clone();
        self.workers
            .run(move || {
                let mut conn = db.get()?;
                work(&mut conn)
            })
            .await?
    }
}
