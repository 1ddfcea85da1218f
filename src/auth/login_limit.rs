//! Slows down password guessing: after too many failed logins for one email, or from one
//! address, within a window, further attempts are refused with 429 until the window ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures tolerated per email in one window.
const PER_EMAIL: u32 = 5;
/// Failures tolerated per client address in one window.
const PER_ADDRESS: u32 = 20;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Past this many tracked keys, expired ones are dropped.
const PRUNE_AT: usize = 10_000;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    /// `Err(seconds)` to wait if this email or address has failed too often.
    pub fn check(&self, email: &str, address: &str) -> Result<(), u64> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let blocked = |key: String, limit: u32| match failures.get(&key) {
            Some((count, since)) if *count >= limit && now.duration_since(*since) < WINDOW => {
                Some((WINDOW - now.duration_since(*since)).as_secs().max(1))
            }
            _ => None,
        };
        match blocked(email_key(email), PER_EMAIL)
            .or_else(|| blocked(address_key(address), PER_ADDRESS))
        {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, email: &str, address: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if failures.len() >= PRUNE_AT {
            failures.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        for key in [email_key(email), address_key(address)] {
            let entry = failures.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) >= WINDOW {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
    }

    /// A successful login clears the email's failures (not the address's).
    pub fn record_success(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&email_key(email));
    }
}

/// The email as sign-in matches it (without surrounding spaces, in any case): spelling one
/// address differently must not buy more guesses.
fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_blocked_after_repeated_failures_and_freed_by_success() {
        let limiter = LoginLimiter::default();
        for _ in 0..PER_EMAIL {
            assert!(limiter.check("a@b.c", "1.2.3.4").is_ok());
            limiter.record_failure("A@b.c", "1.2.3.4");
        }
        assert!(limiter.check("a@b.c", "5.6.7.8").is_err());
        assert!(limiter.check("other@b.c", "1.2.3.4").is_ok());
        limiter.record_success("a@b.c");
        assert!(limiter.check("a@b.c", "1.2.3.4").is_ok());
    }
}
