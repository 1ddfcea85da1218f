//! One program's synthetic activity, a day at a time: members enrol (some referred), buy,
//! review, get refunds, redeem and use vouchers, and drift away. Each member's actions of a day
//! happen in time order, after its enrolment, between 07:00 and 23:00 program time; the
//! timeline runs the days and the tick.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;

use super::actions::Actions;
use super::purchases::purchase;
use crate::db::DbConn;
use crate::engine::period;
use crate::error::AppResult;
use crate::programs::Program;

/// How a program's customers behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Frequent small purchases in store; stored value and reusable cups.
    Coffee,
    /// Fewer, larger purchases, half of them online; reviews, refunds, sign-up events.
    Beauty,
}

/// What was simulated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Simulated {
    pub members: u64,
    pub events: u64,
    pub vouchers: u64,
    pub vouchers_used: u64,
}

/// A simulated customer, as a member of the program.
pub struct Customer {
    pub id: i64,
    pub external_id: String,
    enrol_day: i64,
    /// Purchases per day while engaged.
    rate: f64,
    /// Days after enrolment the customer stays engaged.
    engaged_days: i64,
    reviewer: bool,
}

impl Customer {
    fn engaged_on(&self, day: i64) -> bool {
        day >= self.enrol_day && day - self.enrol_day <= self.engaged_days
    }
}

struct Refund {
    day: i64,
    member: String,
    order: String,
    amount: Decimal,
}

/// Minutes after local midnight: members enrol at 09:00 (the coffee ones who like it join the
/// week's Star Dash just after), shop from 07:00 (from 09:05 on their first day) to 21:00, and
/// the day's last voucher is used by 22:45, before the tick at 23:00.
const ENROL_AT: i64 = 9 * 60;
const FIRST_SHOP: i64 = 7 * 60;
const LAST_SHOP: i64 = 21 * 60;
const REFUNDS_AT: i64 = 12 * 60;
const DAY_ENDS: i64 = 23 * 60;

/// One program's simulation over `days` days from `first_day` (program time).
pub struct Simulation<'a> {
    actions: Actions<'a>,
    style: Style,
    first_day: NaiveDate,
    days: i64,
    rng: StdRng,
    /// The day each customer enrols on, in order.
    enrol_days: Vec<i64>,
    customers: Vec<Customer>,
    refunds: Vec<Refund>,
    done: Simulated,
}

impl<'a> Simulation<'a> {
    /// `members` customers enrolling over the days (more of them early on), all drawn from `seed`.
    pub fn new(
        actions: Actions<'a>,
        style: Style,
        members: u64,
        first_day: NaiveDate,
        days: i64,
        seed: u64,
    ) -> Simulation<'a> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut enrol_days: Vec<i64> = (0..members)
            .map(|_| ((rng.random::<f64>().powf(1.6)) * days as f64) as i64)
            .collect();
        enrol_days.sort_unstable();
        Simulation {
            actions,
            style,
            first_day,
            days,
            rng,
            enrol_days,
            customers: Vec::new(),
            refunds: Vec::new(),
            done: Simulated::default(),
        }
    }

    pub fn program(&self) -> &Program {
        self.actions.program
    }

    pub fn done(&self) -> &Simulated {
        &self.done
    }

    /// Whether `date` is one of the simulated days.
    pub fn covers(&self, date: NaiveDate) -> bool {
        (0..self.days).contains(&(date - self.first_day).num_days())
    }

    /// The first simulated day, if there is one.
    pub fn first_day(&self) -> Option<NaiveDate> {
        (self.days > 0).then_some(self.first_day)
    }

    /// The last simulated day, if there is one.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.first_day
            .checked_add_signed(Duration::days(self.days - 1))
            .filter(|_| self.days > 0)
    }

    /// When the program's activity on `date` is over: 23:00 there.
    pub fn day_ends(&self, date: NaiveDate) -> NaiveDateTime {
        self.morning(date) + Duration::minutes(DAY_ENDS)
    }

    fn morning(&self, date: NaiveDate) -> NaiveDateTime {
        period::start_of_day(self.program().time_zone, date)
    }

    /// The activity of `date`, one of the simulated days.
    pub fn day(&mut self, conn: &mut DbConn, date: NaiveDate) -> AppResult<()> {
        let day = (date - self.first_day).num_days();
        let morning = self.morning(date);
        self.enrol(conn, day, morning + Duration::minutes(ENROL_AT))?;
        if self.style == Style::Coffee && date.weekday() == Weekday::Mon {
            self.join_star_dash(conn, day, morning + Duration::minutes(ENROL_AT + 1))?;
        }
        for index in 0..self.customers.len() {
            if self.customers[index].engaged_on(day) {
                self.shop(conn, index, day, morning)?;
            }
        }
        let Simulation {
            actions,
            refunds,
            done,
            ..
        } = self;
        for refund in refunds.iter().filter(|r| r.day == day) {
            let body = json!({"type": "refund", "id": format!("{}-refund", refund.order), "member": refund.member,
                              "amount": refund.amount.to_string(), "order_id": refund.order});
            actions.event(conn, body, morning + Duration::minutes(REFUNDS_AT))?;
            done.events += 1;
        }
        refunds.retain(|r| r.day > day);
        Ok(())
    }

    /// The customers whose day of enrolment this is.
    fn enrol(&mut self, conn: &mut DbConn, day: i64, at: NaiveDateTime) -> AppResult<()> {
        let prefix = self.program().slug.clone();
        while self.enrol_days.get(self.customers.len()) == Some(&day) {
            let n = self.customers.len();
            let referrer = if n > 0 && self.rng.random::<f64>() < 0.12 {
                Some(self.customers[self.rng.random_range(0..n)].id)
            } else {
                None
            };
            let birthday = NaiveDate::from_ymd_opt(
                self.rng.random_range(1960..2005),
                self.rng.random_range(1..=12),
                self.rng.random_range(1..=28),
            );
            let external_id = format!("{prefix}-{n:06}");
            let id = self
                .actions
                .enrol(conn, &external_id, n, referrer, birthday, at)?;
            if self.style == Style::Beauty {
                let body = json!({"type": "signup", "id": format!("{prefix}-signup-{n}"), "member": external_id});
                self.actions.event(conn, body, at)?;
                self.done.events += 1;
            }
            let (rate, engaged_days) = match self.style {
                Style::Coffee => (
                    [0.08, 0.2, 0.5][self.rng.random_range(0..3)],
                    self.rng.random_range(20..400),
                ),
                Style::Beauty => (
                    [0.02, 0.05, 0.1][self.rng.random_range(0..3)],
                    self.rng.random_range(30..500),
                ),
            };
            let reviewer = self.style == Style::Beauty && self.rng.random::<f64>() < 0.3;
            self.customers.push(Customer {
                id,
                external_id,
                enrol_day: day,
                rate,
                engaged_days,
                reviewer,
            });
            self.done.members += 1;
        }
        Ok(())
    }

    /// On Mondays some engaged coffee members join the week's Star Dash.
    fn join_star_dash(&mut self, conn: &mut DbConn, day: i64, at: NaiveDateTime) -> AppResult<()> {
        let Simulation {
            actions,
            rng,
            customers,
            ..
        } = self;
        for customer in customers.iter().filter(|c| c.engaged_on(day)) {
            if rng.random::<f64>() < 0.4 {
                actions.join(conn, customer, "star-dash", at)?;
            }
        }
        Ok(())
    }

    /// One engaged customer's day: perhaps a purchase (later refunded, now and then), a review,
    /// and a reward redeemed and mostly used, in that order.
    fn shop(
        &mut self,
        conn: &mut DbConn,
        index: usize,
        day: i64,
        morning: NaiveDateTime,
    ) -> AppResult<()> {
        let Simulation {
            actions,
            style,
            rng,
            customers,
            refunds,
            done,
            ..
        } = self;
        let customer = &customers[index];
        let prefix = &actions.program.slug;
        let opens = if customer.enrol_day == day {
            ENROL_AT + 5
        } else {
            FIRST_SHOP
        };
        let at = morning + Duration::minutes(rng.random_range(opens..LAST_SHOP));
        let bought = rng.random::<f64>() < customer.rate;
        if bought {
            let order = format!("{prefix}-o-{}-{day}", customer.id);
            let (body, amount) = purchase(*style, rng, &customer.external_id, &order);
            actions.event(conn, body, at)?;
            done.events += 1;
            if *style == Style::Beauty && rng.random::<f64>() < 0.04 {
                let amount = if rng.random::<bool>() {
                    (amount / Decimal::TWO).round_dp(2)
                } else {
                    amount
                };
                refunds.push(Refund {
                    day: day + rng.random_range(3..10),
                    member: customer.external_id.clone(),
                    order,
                    amount,
                });
            }
        }
        if customer.reviewer && rng.random::<f64>() < 0.04 {
            let body = json!({"type": "review", "id": format!("{prefix}-review-{}-{day}", customer.id),
                              "member": customer.external_id, "properties": {"rating": rng.random_range(3..=5)}});
            actions.event(conn, body, at + Duration::minutes(30))?;
            done.events += 1;
        }
        if bought && rng.random::<f64>() < 0.35 {
            let use_it = rng.random::<f64>() < 0.85;
            actions.redeem(conn, customer, at + Duration::minutes(45), use_it, done)?;
        }
        Ok(())
    }
}
