//! The bench's own book of the points it moved: every member's balance must equal its
//! starting balance + points adjusted in - points redeemed + points its events were awarded,
//! as counted from the requests the service answered 201.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use super::client::Outcome;

/// Points every bench member starts with: enough that no scenario runs out.
pub const START_BALANCE: i64 = 1_000_000;

/// Points moved per member, by the bench's count.
#[derive(Debug, Default)]
pub struct Book {
    credited: Vec<AtomicI64>,
    debited: Vec<AtomicI64>,
    /// Points awarded by events (`points_awarded` of their outcomes).
    awarded: Vec<AtomicI64>,
    /// A mutating request got no answer: the service may or may not have applied it.
    uncertain: Vec<AtomicBool>,
}

impl Book {
    /// A book for `members` members, numbered from 0, with nothing moved yet.
    pub fn new(members: usize) -> Book {
        Book {
            credited: (0..members).map(|_| AtomicI64::new(0)).collect(),
            debited: (0..members).map(|_| AtomicI64::new(0)).collect(),
            awarded: (0..members).map(|_| AtomicI64::new(0)).collect(),
            uncertain: (0..members).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// Records a request that moves `points` (positive in, negative out) for a member: counted
    /// on 201, ignored when refused (a refusal writes nothing), uncertain without an answer.
    pub fn record(&self, member: usize, points: i64, outcome: &Outcome) {
        match outcome.status() {
            Some(201) if points >= 0 => add(&self.credited, member, points),
            Some(201) => add(&self.debited, member, -points),
            Some(_) => {}
            None => self.doubt(member),
        }
    }

    /// Records an event the member posted and the points its outcome says it awarded:
    /// counted on 201, ignored when refused, uncertain without an answer.
    pub fn award(&self, member: usize, points: i64, outcome: &Outcome) {
        match outcome.status() {
            Some(201) => add(&self.awarded, member, points),
            Some(_) => {}
            None => self.doubt(member),
        }
    }

    fn doubt(&self, member: usize) {
        if let Some(flag) = self.uncertain.get(member) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// The balance the member should have, or `None` if a request's fate is unknown.
    pub fn expected(&self, member: usize) -> Option<i64> {
        if self.uncertain.get(member)?.load(Ordering::Relaxed) {
            return None;
        }
        let credited = self.credited.get(member)?.load(Ordering::Relaxed);
        let debited = self.debited.get(member)?.load(Ordering::Relaxed);
        let awarded = self.awarded.get(member)?.load(Ordering::Relaxed);
        Some(START_BALANCE + credited - debited + awarded)
    }

    /// Points adjusted in, redeemed and awarded by events, over all members.
    pub fn totals(&self) -> Totals {
        let sum = |v: &[AtomicI64]| v.iter().map(|a| a.load(Ordering::Relaxed)).sum();
        Totals {
            credited: sum(&self.credited),
            debited: sum(&self.debited),
            awarded: sum(&self.awarded),
        }
    }
}

/// Points the bench moved, over all members.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Adjusted in (`points/adjust`).
    pub credited: i64,
    /// Redeemed (`points/redeem`).
    pub debited: i64,
    /// Awarded by events.
    pub awarded: i64,
}

fn add(counters: &[AtomicI64], member: usize, points: i64) {
    if let Some(counter) = counters.get(member) {
        counter.fetch_add(points, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            detail: None,
        }
    }

    #[test]
    fn a_balance_is_its_start_plus_adjusted_less_redeemed_plus_awarded() {
        let book = Book::new(2);
        book.record(0, 10, &answered(201));
        book.record(0, -5, &answered(201));
        book.record(0, -5, &answered(409));
        book.award(0, 34, &answered(201));
        book.award(0, 12, &answered(422));

        assert_eq!(book.expected(0), Some(START_BALANCE + 10 - 5 + 34));
        assert_eq!(book.expected(1), Some(START_BALANCE));
        assert_eq!(
            book.totals(),
            Totals {
                credited: 10,
                debited: 5,
                awarded: 34
            }
        );
    }

    #[test]
    fn an_event_without_an_answer_makes_the_balance_unknown() {
        let book = Book::new(1);
        book.award(0, 0, &Outcome::Transport("reset".into()));

        assert_eq!(book.expected(0), None);
    }
}
