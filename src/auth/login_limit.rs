//! Slows down password guessing: after too many failed logins for one email, or from one
//! address, further attempts are refused with 429 until governor's limiter lets one more in.
//!
//! Each email and each address has a GCRA bucket (governor's keyed limiter on a `DashMap`) that
//! only failures drain: 5 failures per email, 20 per address, each refilled evenly over 15
//! minutes (one failure back every 3 minutes per email, every 45 seconds per address). So five
//! quick failures block an email for 3 minutes, and it takes 15 quiet minutes to get all five
//! back: a sliding version of "5 failures per 15 minutes".
//!
//! governor only has "check and charge"; a login is checked before the password is (a blocked
//! email waits even with the right password) and charged only if the password was wrong. The
//! state store below lets a check look at a bucket without charging it.

use std::convert::Infallible;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::{NotUntil, Quota, RateLimiter};

/// Failures tolerated per email: 5, one more every 3 minutes.
const PER_EMAIL: Quota = Quota::per_hour(nonzero(20)).allow_burst(nonzero(5));
/// Failures tolerated per client address: 20, one more every 45 seconds.
const PER_ADDRESS: Quota = Quota::per_hour(nonzero(80)).allow_burst(nonzero(20));
/// Past this many tracked emails or addresses, those with a full bucket again are dropped.
const PRUNE_AT: usize = 10_000;

type Limiter = RateLimiter<Probe, FailureStore, DefaultClock, NoOpMiddleware>;

pub struct LoginLimiter {
    by_email: Limiter,
    by_address: Limiter,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        let limiter =
            |quota| RateLimiter::new(quota, FailureStore::default(), DefaultClock::default());
        LoginLimiter {
            by_email: limiter(PER_EMAIL),
            by_address: limiter(PER_ADDRESS),
        }
    }
}

impl LoginLimiter {
    /// `Err(seconds)` to wait if this email or address has no failure left; charges nothing.
    pub fn check(&self, email: &str, address: &str) -> Result<(), u64> {
        let wait = |limiter: &Limiter, key: String| {
            limiter
                .check_key(&Probe { key, charge: false })
                .err()
                .map(|until| seconds_until(limiter, &until))
        };
        match wait(&self.by_email, email_key(email))
            .or_else(|| wait(&self.by_address, address.to_owned()))
        {
            Some(seconds) => Err(seconds),
            None => Ok(()),
        }
    }

    /// Charges a wrong password to the email and to the address.
    pub fn record_failure(&self, email: &str, address: &str) {
        for (limiter, key) in [
            (&self.by_email, email_key(email)),
            (&self.by_address, address.to_owned()),
        ] {
            if limiter.len() >= PRUNE_AT {
                limiter.retain_recent();
            }
            // Concurrent attempts may all have passed the check: a bucket already empty stays so.
            let _ = limiter.check_key(&Probe { key, charge: true });
        }
    }
}

/// Whole seconds until `until`, at least one (for `Retry-After`).
fn seconds_until(limiter: &Limiter, until: &NotUntil<<DefaultClock as Clock>::Instant>) -> u64 {
    let wait = until.wait_time_from(limiter.clock().now());
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The email as sign-in matches it (without surrounding spaces, in any case): spelling one
/// address differently must not buy more guesses.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A nonzero constant, checked when compiling.
const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("a quota needs a nonzero count"),
    }
}

/// An email or address, and whether this check charges its bucket or only looks at it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Probe {
    key: String,
    charge: bool,
}

/// governor's `DashMap` store of buckets by email or address. A probe that does not charge runs
/// the same GCRA test, then hands its verdict back as a refusal, which governor never stores.
#[derive(Default)]
struct FailureStore(DashMapStateStore<String>);

impl StateStore for FailureStore {
    type Key = Probe;

    fn measure_and_replace<T, F, E>(&self, probe: &Probe, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if probe.charge {
            return self.0.measure_and_replace(&probe.key, f);
        }
        let looked = self
            .0
            .measure_and_replace::<Infallible, _, _>(&probe.key, |state| Err(f(state)));
        match looked {
            Ok(never) => match never {},
            Err(verdict) => verdict.map(|(outcome, _)| outcome),
        }
    }
}

impl ShrinkableKeyedStateStore<Probe> for FailureStore {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(&self.0);
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_blocked_after_five_failures_however_it_is_spelt() {
        let limiter = LoginLimiter::default();
        for spelling in ["a@b.c", " A@b.c", "a@B.C ", "A@B.C", "a@b.c"] {
            assert!(limiter.check(spelling, "1.2.3.4").is_ok());
            limiter.record_failure(spelling, "1.2.3.4");
        }
        let wait = limiter.check("a@b.c", "5.6.7.8").unwrap_err();
        assert!(
            (170..=180).contains(&wait),
            "one failure back in 3 minutes, not {wait} s"
        );
        assert!(limiter.check("other@b.c", "1.2.3.4").is_ok());
    }

    #[test]
    fn checking_charges_nothing() {
        let limiter = LoginLimiter::default();
        for _ in 0..100 {
            assert!(limiter.check("a@b.c", "1.2.3.4").is_ok());
        }
        for _ in 0..4 {
            limiter.record_failure("a@b.c", "1.2.3.4");
        }
        assert!(limiter.check("a@b.c", "1.2.3.4").is_ok());
        limiter.record_failure("a@b.c", "1.2.3.4");
        assert!(limiter.check("a@b.c", "1.2.3.4").is_err());
    }

    #[test]
    fn an_address_is_blocked_after_twenty_failures_across_emails() {
        let limiter = LoginLimiter::default();
        for i in 0..20 {
            let email = format!("user{}@b.c", i % 5);
            assert!(limiter.check(&email, "1.2.3.4").is_ok(), "failure {i}");
            limiter.record_failure(&email, "1.2.3.4");
        }
        let wait = limiter.check("new@b.c", "1.2.3.4").unwrap_err();
        assert!(
            (40..=45).contains(&wait),
            "one failure back in 45 seconds, not {wait} s"
        );
        assert!(limiter.check("new@b.c", "5.6.7.8").is_ok());
    }
}
