//! What a simulated customer does, through the same use cases the API runs, as of the
//! simulated time `at` (never the clock).

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::simulate::{Customer, Simulated};
use crate::db::models::members as member_rows;
use crate::db::{DbConn, write_tx};
use crate::engine::input::EventInput;
use crate::error::{AppError, AppResult};
use crate::events;
use crate::gamification::GameCache;
use crate::members::{self, EnrolMember};
use crate::programs::Program;
use crate::rewards::{self, redeem::Source};
use crate::rules::RuleCache;

/// A program and the caches its events are recorded with.
pub struct Actions<'a> {
    pub program: &'a Program,
    pub cache: &'a RuleCache,
    pub games: &'a GameCache,
}

impl Actions<'_> {
    /// Records an event that occurred, and is received, at `at`.
    pub fn event(&self, conn: &mut DbConn, mut body: Value, at: NaiveDateTime) -> AppResult<()> {
        body["occurred_at"] = json!(at.and_utc().to_rfc3339());
        let input: EventInput = crate::json::from_value(body, "event.")?;
        events::record(conn, self.cache, self.games, self.program, &input, at)?;
        Ok(())
    }

    /// Enrols customer number `n`, referred by the member `referrer`; returns its member id.
    pub fn enrol(
        &self,
        conn: &mut DbConn,
        external_id: &str,
        n: usize,
        referrer: Option<i64>,
        birthday: Option<NaiveDate>,
        at: NaiveDateTime,
    ) -> AppResult<i64> {
        let referral_code = match referrer {
            Some(id) => Some(member_rows::find(conn, id)?.referral_code),
            None => None,
        };
        let input = EnrolMember {
            external_id: external_id.to_owned(),
            email: Some(format!("{external_id}@example.com")),
            name: Some(format!("Customer {n}")),
            birthday,
            referral_code,
        };
        let member = write_tx(conn, |tx| members::enrol(tx, self.program.id, &input, at))?;
        Ok(member.id)
    }

    /// Joins an opt-in challenge; already joined (or no such challenge) is fine.
    pub fn join(
        &self,
        conn: &mut DbConn,
        customer: &Customer,
        slug: &str,
        at: NaiveDateTime,
    ) -> AppResult<()> {
        let joined = write_tx(conn, |tx| {
            crate::gamification::challenges::join(tx, self.program, customer.id, slug, at)
        });
        match joined {
            Ok(_) | Err(AppError::Conflict { .. } | AppError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Redeems the dearest reward the member can afford, if any, and uses the voucher an hour
    /// later when `use_it` (long before it expires in simulated time).
    pub fn redeem(
        &self,
        conn: &mut DbConn,
        customer: &Customer,
        at: NaiveDateTime,
        use_it: bool,
        done: &mut Simulated,
    ) -> AppResult<()> {
        let member = member_rows::find(conn, customer.id)?;
        let Some(reward) = rewards::list(conn, self.program.id, true, None, 100)?
            .into_iter()
            .filter(|r| {
                r.row.cost > 0 && r.row.cost <= member.points_available && r.row.min_tier.is_none()
            })
            .max_by_key(|r| r.row.cost)
        else {
            return Ok(());
        };
        let redeemed = write_tx(conn, |tx| {
            rewards::redeem::redeem(tx, self.program, customer.id, &reward, Source::Member, at)
        });
        let voucher = match redeemed {
            Ok(voucher) => voucher,
            Err(AppError::Conflict { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        done.vouchers += 1;
        if !use_it {
            return Ok(());
        }
        let used = write_tx(conn, |tx| {
            rewards::vouchers::use_voucher(
                tx,
                self.program,
                &voucher.id,
                None,
                at + Duration::hours(1),
            )
        });
        match used {
            Ok(_) => done.vouchers_used += 1,
            // A service ticking on this database by the real clock may have expired the
            // voucher meanwhile (it was issued in the simulated past): it goes unused.
            Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }
}
