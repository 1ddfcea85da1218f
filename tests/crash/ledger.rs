//! What the database holds of each operation, read straight from its tables.

use std::collections::HashMap;

use diesel::prelude::*;
use fidelio::db::schema::{events, idempotency_keys, ledger_entries, redemptions};

use crate::database::Database;
use crate::load::{Kind, Operation};

/// How many times each operation took effect.
pub struct Ledger {
    /// Entries of adjustments and point redemptions, by kind and reason.
    by_reason: HashMap<(String, String), usize>,
    /// Entries written by each event, by the event's id.
    by_event: HashMap<String, usize>,
    /// Reward redemptions written for each idempotency key of `rewards.redeem`.
    by_key: HashMap<String, usize>,
    /// Every reward redemption of the database.
    pub redemptions: usize,
}

impl Ledger {
    pub async fn read(database: &Database) -> Ledger {
        let db = database.open();
        tokio::task::spawn_blocking(move || {
            let conn = &mut **db.get().unwrap();
            let entries: Vec<(String, Option<String>, Option<i64>)> = ledger_entries::table
                .select((
                    ledger_entries::kind,
                    ledger_entries::reason,
                    ledger_entries::event_id,
                ))
                .load(conn)
                .unwrap();
            let event_ids: HashMap<i64, String> = events::table
                .select((events::id, events::external_id))
                .load(conn)
                .unwrap()
                .into_iter()
                .collect();
            let keyed: Vec<(String, Option<i64>)> = idempotency_keys::table
                .filter(idempotency_keys::operation.eq("rewards.redeem"))
                .select((
                    idempotency_keys::idempotency_key,
                    idempotency_keys::entry_id,
                ))
                .load(conn)
                .unwrap();
            let redeemed: Vec<Option<i64>> = redemptions::table
                .select(redemptions::entry_id)
                .load(conn)
                .unwrap();
            let mut ledger = Ledger {
                by_reason: HashMap::new(),
                by_event: HashMap::new(),
                by_key: HashMap::new(),
                redemptions: redeemed.len(),
            };
            for (kind, reason, event_id) in entries {
                if let Some(reason) = reason {
                    *ledger.by_reason.entry((kind, reason)).or_default() += 1;
                }
                if let Some(event) = event_id.and_then(|id| event_ids.get(&id)) {
                    *ledger.by_event.entry(event.clone()).or_default() += 1;
                }
            }
            let mut by_entry: HashMap<i64, usize> = HashMap::new();
            for entry_id in redeemed.into_iter().flatten() {
                *by_entry.entry(entry_id).or_default() += 1;
            }
            for (key, entry_id) in keyed {
                let count = entry_id.and_then(|id| by_entry.get(&id)).copied();
                ledger.by_key.insert(key, count.unwrap_or(0));
            }
            ledger
        })
        .await
        .unwrap()
    }

    /// How many times `operation` took effect: its ledger entries (its voucher for a reward).
    pub fn applied(&self, operation: &Operation) -> usize {
        let by_reason = |kind: &str| {
            self.by_reason
                .get(&(kind.to_owned(), operation.reason()))
                .copied()
                .unwrap_or(0)
        };
        match operation.kind {
            Kind::Adjust => by_reason("adjust"),
            Kind::Redeem => by_reason("redeem"),
            Kind::Event => self.by_event.get(&operation.key).copied().unwrap_or(0),
            Kind::Redemption => self.by_key.get(&operation.key).copied().unwrap_or(0),
        }
    }
}
