//! The check that the service agrees with the bench's book: every member's balance, read over
//! HTTP, against what the bench counted.

use std::sync::Arc;

use super::book::Totals;
use super::pool;
use super::setup::Fixture;

/// How many mismatches are listed (all are counted).
const SHOWN: usize = 20;

/// What the balance check found.
#[derive(Debug, Default)]
pub struct MoneyCheck {
    /// Members whose balance was compared.
    pub checked: usize,
    /// Members skipped because a request of theirs got no answer.
    pub uncertain: usize,
    /// Points adjusted in, redeemed and awarded by events in the scenarios (201 answers).
    pub credited: i64,
    pub debited: i64,
    pub awarded: i64,
    /// One line per member whose balance differs (at most `SHOWN`).
    pub mismatches: Vec<String>,
    pub mismatch_count: usize,
}

impl MoneyCheck {
    /// Every checked balance is what the bench counted.
    pub fn is_clean(&self) -> bool {
        self.mismatch_count == 0
    }
}

/// Reads every bench member's balance over HTTP and compares it with the book.
pub async fn check(fixture: Arc<Fixture>, workers: usize) -> anyhow::Result<MoneyCheck> {
    let shared = fixture.clone();
    let found = pool::for_each(fixture.len(), workers, "checking", move |i| {
        let fixture = shared.clone();
        async move {
            let Some(expected) = fixture.book.expected(i) else {
                return Ok(None);
            };
            let actual = fixture.store.available(fixture.member(i)).await?;
            Ok(Some((i, expected, actual)))
        }
    })
    .await?;
    let Totals {
        credited,
        debited,
        awarded,
    } = fixture.book.totals();
    let mut check = MoneyCheck {
        credited,
        debited,
        awarded,
        ..MoneyCheck::default()
    };
    for row in found {
        let Some((i, expected, actual)) = row else {
            check.uncertain += 1;
            continue;
        };
        check.checked += 1;
        if expected != actual {
            check.mismatch_count += 1;
            if check.mismatches.len() < SHOWN {
                check.mismatches.push(format!(
                    "member {}: the service says {actual} points, the bench counted {expected}",
                    fixture.member(i)
                ));
            }
        }
    }
    Ok(check)
}
