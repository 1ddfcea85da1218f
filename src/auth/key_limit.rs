//! Per-key request limits: a storefront key with a `rate_limit` of N gets a governor GCRA
//! bucket of N requests that refills N per second (so a burst of N, then one every 1/N s).
//!
//! governor's keyed limiters share one quota, and each key has its own, so each key gets its
//! own direct limiter, made when the key is first seen and made again when its limit changes.
//! The limit comes with the key's row, which every request reads anyway: a change applies on
//! the next request. The buckets live in this process: N instances let a key through up to N
//! times its limit.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::RwLock;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

type Bucket = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// One key's bucket, for the limit it was made for.
struct KeyBucket {
    per_second: NonZeroU32,
    bucket: Bucket,
}

/// Where a key stands against its limit after a request: what the `RateLimit` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Requests per second the key may send.
    pub limit: u32,
    /// Requests it may still send at once.
    pub remaining: u32,
    /// Seconds until its bucket is full again (refused: until the next request is let in).
    pub reset_secs: u64,
}

impl Usage {
    /// The `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-10:
    /// the key's quota per 1-second window, then what is left of it and when it is whole again.
    pub fn headers(&self) -> [(&'static str, String); 2] {
        [
            (
                "ratelimit-policy",
                format!("\"default\";q={};w=1", self.limit),
            ),
            (
                "ratelimit",
                format!("\"default\";r={};t={}", self.remaining, self.reset_secs),
            ),
        ]
    }
}

#[derive(Default)]
pub struct KeyLimiter {
    buckets: RwLock<HashMap<i64, KeyBucket>>,
}

impl KeyLimiter {
    /// Counts one request of key `key_id`, limited to `per_second`: `Ok` with what is left, or
    /// `Err` when the key is over its limit (`remaining` 0, `reset_secs` to wait).
    pub fn check(&self, key_id: i64, per_second: NonZeroU32) -> Result<Usage, Usage> {
        {
            let buckets = self.buckets.read().unwrap_or_else(|p| p.into_inner());
            if let Some(found) = buckets.get(&key_id).filter(|b| b.per_second == per_second) {
                return measure(found);
            }
        }
        let mut buckets = self.buckets.write().unwrap_or_else(|p| p.into_inner());
        let found = buckets
            .entry(key_id)
            .and_modify(|b| {
                if b.per_second != per_second {
                    *b = KeyBucket::new(per_second);
                }
            })
            .or_insert_with(|| KeyBucket::new(per_second));
        measure(found)
    }
}

impl KeyBucket {
    fn new(per_second: NonZeroU32) -> Self {
        KeyBucket {
            per_second,
            bucket: RateLimiter::direct(Quota::per_second(per_second))
                .with_middleware::<StateInformationMiddleware>(),
        }
    }
}

fn measure(found: &KeyBucket) -> Result<Usage, Usage> {
    let limit = found.per_second.get();
    match found.bucket.check() {
        Ok(state) => Ok(Usage {
            limit,
            remaining: state.remaining_burst_capacity(),
            // A bucket of one second's requests is full again within the second.
            reset_secs: 1,
        }),
        Err(until) => {
            let wait = until.wait_time_from(found.bucket.clock().now());
            Err(Usage {
                limit,
                remaining: 0,
                reset_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_second(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn a_key_gets_its_limit_at_once_then_waits() {
        let limiter = KeyLimiter::default();
        let used: Vec<u32> = (0..5)
            .map(|_| limiter.check(1, per_second(5)).map(|u| u.remaining))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(used, vec![4, 3, 2, 1, 0]);
        let refused = limiter.check(1, per_second(5)).unwrap_err();
        assert_eq!(
            (refused.limit, refused.remaining, refused.reset_secs),
            (5, 0, 1)
        );
        assert!(
            limiter.check(2, per_second(5)).is_ok(),
            "another key has its own bucket"
        );
    }

    #[test]
    fn a_new_limit_gets_a_new_bucket() {
        let limiter = KeyLimiter::default();
        assert!(limiter.check(1, per_second(1)).is_ok());
        assert!(limiter.check(1, per_second(1)).is_err());
        assert_eq!(limiter.check(1, per_second(3)).map(|u| u.remaining), Ok(2));
    }

    #[test]
    fn the_headers_follow_the_draft() {
        let usage = Usage {
            limit: 10,
            remaining: 3,
            reset_secs: 1,
        };
        assert_eq!(
            usage.headers(),
            [
                ("ratelimit-policy", "\"default\";q=10;w=1".to_owned()),
                ("ratelimit", "\"default\";r=3;t=1".to_owned()),
            ]
        );
    }
}
