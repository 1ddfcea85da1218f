//! After the crashes: what the ledger holds of every request sent, every unanswered request
//! retried with its key until it is answered, every acknowledged one sent again to see its
//! first answer come back, and the figures of it all.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::database::Database;
use crate::ledger::Ledger;
use crate::load::{Attempt, Kind, Operation, client};
use crate::service::fidelio;
use crate::shop::Shop;

/// What happened to the requests of a run.
#[derive(Debug, Default)]
pub struct Figures {
    pub sent: usize,
    /// Answered 2xx.
    pub acknowledged: usize,
    /// Answered 2xx but not in the ledger.
    pub lost: usize,
    /// In the ledger more than once, before or after the retries.
    pub duplicated: usize,
    /// Answered 4xx: a load that cannot be refused was.
    pub refused: usize,
    /// No answer or a 5xx.
    pub unanswered: usize,
    /// Of those, already in the ledger before their retry.
    pub unanswered_applied: usize,
    /// Not in the ledger exactly once after the retries.
    pub not_once_after_retry: usize,
    /// Acknowledged requests whose retry did not give back the first answer.
    pub replays_differing: usize,
}

impl Figures {
    /// Asserts that nothing was lost, duplicated, refused or answered differently.
    pub fn assert_clean(&self) {
        assert_eq!(
            (
                self.lost,
                self.duplicated,
                self.refused,
                self.not_once_after_retry,
                self.replays_differing
            ),
            (0, 0, 0, 0, 0),
            "{self}"
        );
        assert!(self.acknowledged > 0, "{self}");
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests: {} acknowledged ({} lost, {} duplicated, {} replays differing), \
             {} refused, {} unanswered ({} already applied, {} not exactly once after a retry)",
            self.sent,
            self.acknowledged,
            self.lost,
            self.duplicated,
            self.replays_differing,
            self.refused,
            self.unanswered,
            self.unanswered_applied,
            self.not_once_after_retry
        )
    }
}

/// Checks the ledger against `attempts`, retries and replays them on the service at
/// `address`, checks again, and runs `fidelio verify`, which must be clean.
pub async fn settle(
    database: &Database,
    address: &str,
    shop: &Shop,
    attempts: &[Attempt],
) -> Figures {
    let mut figures = Figures {
        sent: attempts.len(),
        ..Figures::default()
    };
    let before = Ledger::read(database).await;
    for attempt in attempts {
        let applied = before.applied(&attempt.operation);
        if attempt.answer.acknowledged() {
            figures.acknowledged += 1;
            figures.lost += usize::from(applied == 0);
        } else if attempt.answer.unanswered() {
            figures.unanswered += 1;
            figures.unanswered_applied += usize::from(applied == 1);
        } else {
            figures.refused += 1;
        }
        figures.duplicated += usize::from(applied > 1);
    }
    retry_unanswered(attempts, address, shop).await;
    figures.replays_differing = replay_acknowledged(attempts, address, shop).await;

    let after = Ledger::read(database).await;
    figures.not_once_after_retry = attempts
        .iter()
        .filter(|a| a.answer.acknowledged() || a.answer.unanswered())
        .filter(|a| after.applied(&a.operation) != 1)
        .count();
    let redemptions = attempts
        .iter()
        .filter(|a| a.operation.kind == Kind::Redemption)
        .filter(|a| a.answer.acknowledged() || a.answer.unanswered())
        .count();
    figures.duplicated += after.redemptions.saturating_sub(redemptions);
    fidelio(&database.url, &["verify"]);
    figures
}

/// Sends every unanswered request again (8 at a time) until the service acknowledges it.
async fn retry_unanswered(attempts: &[Attempt], address: &str, shop: &Shop) {
    let unanswered: Vec<Operation> = attempts
        .iter()
        .filter(|a| a.answer.unanswered())
        .map(|a| a.operation.clone())
        .collect();
    let tasks: Vec<_> = in_eight(&unanswered)
        .map(|chunk| {
            let (chunk, address, shop) = (chunk.to_vec(), address.to_owned(), shop.clone());
            tokio::spawn(async move {
                let client = client();
                for operation in chunk {
                    retry_until_answered(&operation, &client, &address, &shop).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// `items` in eight runs (fewer when there are fewer items).
fn in_eight<T>(items: &[T]) -> std::slice::Chunks<'_, T> {
    items.chunks(items.len().div_ceil(8).max(1))
}

/// Sends `operation` again until the service acknowledges it.
async fn retry_until_answered(
    operation: &Operation,
    client: &reqwest::Client,
    address: &str,
    shop: &Shop,
) {
    for _ in 0..100 {
        let answer = operation.send(client, address, shop).await;
        if answer.acknowledged() {
            return;
        }
        assert!(
            answer.unanswered() || answer.status == Some(StatusCode::CONFLICT),
            "a retry of {operation:?} was refused: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("a retry of {operation:?} was never answered");
}

/// Sends every acknowledged request again (8 at a time) and counts the answers that are not
/// the first one replayed: the same body, marked `Idempotent-Replayed` (an event's re-post is
/// 200 instead).
async fn replay_acknowledged(attempts: &[Attempt], address: &str, shop: &Shop) -> usize {
    let acknowledged: Vec<Attempt> = attempts
        .iter()
        .filter(|a| a.answer.acknowledged())
        .cloned()
        .collect();
    let tasks: Vec<_> = in_eight(&acknowledged)
        .map(|chunk| {
            let (chunk, address, shop) = (chunk.to_vec(), address.to_owned(), shop.clone());
            tokio::spawn(async move {
                let client = client();
                let mut differing = 0;
                for attempt in chunk {
                    let again = attempt.operation.send(&client, &address, &shop).await;
                    let same = match attempt.operation.kind {
                        Kind::Event => again.status == Some(StatusCode::OK),
                        _ => again.status == attempt.answer.status && again.replayed,
                    } && again.json() == attempt.answer.json();
                    if !same {
                        eprintln!("replay differs: {attempt:?}\nnow: {again:?}");
                        differing += 1;
                    }
                }
                differing
            })
        })
        .collect();
    let mut differing = 0;
    for task in tasks {
        differing += task.await.unwrap();
    }
    differing
}
