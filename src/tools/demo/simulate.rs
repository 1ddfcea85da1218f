//! Months of synthetic activity: members enrol (some referred), buy, review, get refunds,
//! redeem and use vouchers, and drift away; every day ends with the tick. Everything goes
//! through the same use cases the API runs, as of the simulated time.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;

use crate::db::models::members as member_rows;
use crate::db::{DbConn, write_tx};
use crate::engine::input::EventInput;
use crate::engine::period;
use crate::error::{AppError, AppResult};
use crate::events;
use crate::gamification::GameCache;
use crate::jobs;
use crate::members::{self, EnrolMember};
use crate::programs::Program;
use crate::rewards::{self, redeem::Source};
use crate::rules::RuleCache;

/// How a program's customers behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Frequent small purchases in store; stored value and reusable cups.
    Coffee,
    /// Fewer, larger purchases, half of them online; reviews, refunds, sign-up events.
    Beauty,
}

/// What was simulated.
#[derive(Debug, Default)]
pub struct Simulated {
    pub members: u64,
    pub events: u64,
    pub vouchers: u64,
    pub vouchers_used: u64,
}

struct Customer {
    id: i64,
    external_id: String,
    enrol_day: i64,
    /// Purchases per day while engaged.
    rate: f64,
    /// Days after enrolment the customer stays engaged.
    engaged_days: i64,
    reviewer: bool,
}

struct Refund {
    day: i64,
    member: String,
    order: String,
    amount: Decimal,
}

/// One program's simulation.
pub struct Simulation<'a> {
    pub program: &'a Program,
    pub style: Style,
    pub members: u64,
    pub start: NaiveDate,
    pub days: i64,
    pub seed: u64,
}

impl Simulation<'_> {
    pub fn run(
        &self,
        conn: &mut DbConn,
        cache: &RuleCache,
        games: &GameCache,
        progress: &ProgressBar,
    ) -> AppResult<Simulated> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut customers: Vec<Customer> = Vec::new();
        let mut refunds: Vec<Refund> = Vec::new();
        let mut done = Simulated::default();
        let prefix = &self.program.slug;
        let mut enrol_days: Vec<i64> = (0..self.members)
            .map(|_| ((rng.random::<f64>().powf(1.6)) * self.days as f64) as i64)
            .collect();
        enrol_days.sort_unstable();
        let mut next = 0usize;
        let tz = self.program.time_zone;
        for day in 0..self.days {
            let date = self.start + Duration::days(day);
            let morning = period::start_of_day(tz, date);
            while next < enrol_days.len() && enrol_days[next] == day {
                let customer = self.enrol(
                    conn,
                    &mut rng,
                    &customers,
                    next,
                    day,
                    morning + Duration::hours(9),
                )?;
                if self.style == Style::Beauty {
                    self.event(conn, cache, games, json!({"type": "signup", "id": format!("{prefix}-signup-{next}"), "member": customer.external_id}), morning + Duration::hours(9))?;
                    done.events += 1;
                }
                customers.push(customer);
                done.members += 1;
                next += 1;
            }
            if self.style == Style::Coffee && date.weekday() == Weekday::Mon {
                self.join_star_dash(
                    conn,
                    &mut rng,
                    &customers,
                    day,
                    morning + Duration::hours(7),
                )?;
            }
            for customer in customers
                .iter()
                .filter(|c| day - c.enrol_day <= c.engaged_days)
            {
                let at = morning + Duration::minutes(rng.random_range(7 * 60..21 * 60));
                if rng.random::<f64>() < customer.rate {
                    let order = format!("{prefix}-o-{}-{day}", customer.id);
                    let (body, amount) = self.purchase(&mut rng, &customer.external_id, &order);
                    self.event(conn, cache, games, body, at)?;
                    done.events += 1;
                    if self.style == Style::Beauty && rng.random::<f64>() < 0.04 {
                        let half = rng.random::<bool>();
                        let refunded = if half {
                            (amount / Decimal::TWO).round_dp(2)
                        } else {
                            amount
                        };
                        refunds.push(Refund {
                            day: day + rng.random_range(3..10),
                            member: customer.external_id.clone(),
                            order,
                            amount: refunded,
                        });
                    }
                    if rng.random::<f64>() < 0.35 {
                        self.redeem(
                            conn,
                            &mut rng,
                            customer,
                            at + Duration::minutes(1),
                            &mut done,
                        )?;
                    }
                }
                if customer.reviewer && rng.random::<f64>() < 0.04 {
                    let body = json!({"type": "review", "id": format!("{prefix}-review-{}-{day}", customer.id),
                                      "member": customer.external_id, "properties": {"rating": rng.random_range(3..=5)}});
                    self.event(conn, cache, games, body, at + Duration::minutes(30))?;
                    done.events += 1;
                }
            }
            for refund in refunds.iter().filter(|r| r.day == day) {
                let body = json!({"type": "refund", "id": format!("{}-refund", refund.order), "member": refund.member,
                                  "amount": refund.amount.to_string(), "order_id": refund.order});
                self.event(conn, cache, games, body, morning + Duration::hours(12))?;
                done.events += 1;
            }
            refunds.retain(|r| r.day > day);
            jobs::tick(conn, morning + Duration::hours(23))?;
            progress.inc(1);
        }
        Ok(done)
    }

    fn enrol(
        &self,
        conn: &mut DbConn,
        rng: &mut StdRng,
        existing: &[Customer],
        n: usize,
        day: i64,
        at: NaiveDateTime,
    ) -> AppResult<Customer> {
        let external_id = format!("{}-{n:06}", self.program.slug);
        let referral_code = if !existing.is_empty() && rng.random::<f64>() < 0.12 {
            let referrer = &existing[rng.random_range(0..existing.len())];
            Some(member_rows::find(conn, referrer.id)?.referral_code)
        } else {
            None
        };
        let birthday = NaiveDate::from_ymd_opt(
            rng.random_range(1960..2005),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        );
        let input = EnrolMember {
            external_id: external_id.clone(),
            email: Some(format!("{external_id}@example.com")),
            name: Some(format!("Customer {n}")),
            birthday,
            referral_code,
        };
        let member = write_tx(conn, |tx| members::enrol(tx, self.program.id, &input, at))?;
        let (rate, engaged_days) = match self.style {
            Style::Coffee => (
                [0.08, 0.2, 0.5][rng.random_range(0..3)],
                rng.random_range(20..400),
            ),
            Style::Beauty => (
                [0.02, 0.05, 0.1][rng.random_range(0..3)],
                rng.random_range(30..500),
            ),
        };
        let reviewer = self.style == Style::Beauty && rng.random::<f64>() < 0.3;
        Ok(Customer {
            id: member.id,
            external_id,
            enrol_day: day,
            rate,
            engaged_days,
            reviewer,
        })
    }

    /// A purchase body and its amount.
    fn purchase(
        &self,
        rng: &mut StdRng,
        member: &str,
        order: &str,
    ) -> (serde_json::Value, Decimal) {
        let cents =
            |low: i64, high: i64, rng: &mut StdRng| Decimal::new(rng.random_range(low..high), 2);
        match self.style {
            Style::Coffee => {
                let drink = cents(300, 700, rng);
                let food = if rng.random::<f64>() < 0.3 {
                    cents(250, 900, rng)
                } else {
                    Decimal::ZERO
                };
                let mut items = vec![
                    json!({"sku": "drink", "category": "coffee", "quantity": 1, "unit_price": drink.to_string()}),
                ];
                if !food.is_zero() {
                    items.push(json!({"sku": "food", "category": "food", "quantity": 1, "unit_price": food.to_string()}));
                }
                let amount = drink + food;
                let payment = if rng.random::<f64>() < 0.3 {
                    "stored_value"
                } else {
                    "card"
                };
                let body = json!({"type": "purchase", "id": order, "order_id": order, "member": member, "amount": amount.to_string(),
                                  "items": items, "payment": payment, "channel": "store",
                                  "properties": {"reusable_cup": rng.random::<f64>() < 0.2}});
                (body, amount)
            }
            Style::Beauty => {
                let category = ["skincare", "makeup", "fragrance", "hair"][rng.random_range(0..4)];
                let price = cents(1500, 9000, rng);
                let quantity = rng.random_range(1..3);
                let amount = price * Decimal::from(quantity);
                let channel = if rng.random::<bool>() {
                    "online"
                } else {
                    "store"
                };
                let body = json!({"type": "purchase", "id": order, "order_id": order, "member": member, "amount": amount.to_string(),
                                  "items": [{"sku": format!("{category}-1"), "category": category, "quantity": quantity, "unit_price": price.to_string()}],
                                  "channel": channel});
                (body, amount)
            }
        }
    }

    fn event(
        &self,
        conn: &mut DbConn,
        cache: &RuleCache,
        games: &GameCache,
        mut body: serde_json::Value,
        at: NaiveDateTime,
    ) -> AppResult<()> {
        body["occurred_at"] = json!(at.and_utc().to_rfc3339());
        let input: EventInput = crate::json::from_value(body, "event.")?;
        events::record(conn, cache, games, self.program, &input, None, at)?;
        Ok(())
    }

    /// On Mondays some engaged coffee members join the week's Star Dash.
    fn join_star_dash(
        &self,
        conn: &mut DbConn,
        rng: &mut StdRng,
        customers: &[Customer],
        day: i64,
        at: NaiveDateTime,
    ) -> AppResult<()> {
        for customer in customers
            .iter()
            .filter(|c| day - c.enrol_day <= c.engaged_days)
        {
            if rng.random::<f64>() < 0.4 {
                match write_tx(conn, |tx| {
                    crate::gamification::challenges::join(
                        tx,
                        self.program,
                        customer.id,
                        "star-dash",
                        at,
                    )
                }) {
                    Ok(_) | Err(AppError::Conflict { .. } | AppError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Redeems the dearest reward the member can afford, now and then, and uses most vouchers.
    fn redeem(
        &self,
        conn: &mut DbConn,
        rng: &mut StdRng,
        customer: &Customer,
        at: NaiveDateTime,
        done: &mut Simulated,
    ) -> AppResult<()> {
        let member = member_rows::find(conn, customer.id)?;
        let affordable: Vec<rewards::Reward> =
            rewards::list(conn, self.program.id, true, None, 100)?
                .into_iter()
                .filter(|r| {
                    r.row.cost > 0
                        && r.row.cost <= member.points_available
                        && r.row.min_tier.is_none()
                })
                .collect();
        let Some(reward) = affordable.into_iter().max_by_key(|r| r.row.cost) else {
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
        if rng.random::<f64>() < 0.85 {
            write_tx(conn, |tx| {
                rewards::vouchers::use_voucher(
                    tx,
                    self.program,
                    &voucher.id,
                    None,
                    at + Duration::hours(1),
                )
            })?;
            done.vouchers_used += 1;
        }
        Ok(())
    }
}
