//! The program's summary: members, purchases, points, tiers, vouchers, referrals, ROI.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::game::{BadgeFigures, ChallengeFigures, game_figures};
use super::{Breakdown, Figure, Span, figure, ratio};
use crate::db::DbConnection;
use crate::db::models::analytics as rows;
use crate::engine::period;
use crate::error::{AppError, AppResult};
use crate::programs::Program;

/// The summary of one program over a span.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub program: String,
    pub period: Span,
    /// Each figure with its value, period and definition.
    pub figures: BTreeMap<&'static str, Figure>,
    /// Members per tier, now.
    pub tiers: Breakdown<BTreeMap<String, i64>>,
    /// Each badge's holders, now.
    pub badges: Breakdown<Vec<BadgeFigures>>,
    /// Each challenge's completions.
    pub challenges: Breakdown<Vec<ChallengeFigures>>,
}

fn money(program: &Program, minor: i64) -> serde_json::Value {
    serde_json::json!(program.currency.format_minor(minor))
}

fn money_of(program: &Program, value: Decimal) -> serde_json::Value {
    serde_json::json!(program.currency.format(value))
}

/// Computes the summary from the maintained totals.
pub fn summary(
    conn: &mut DbConnection,
    program: &Program,
    span: &Span,
    now: NaiveDateTime,
) -> AppResult<Summary> {
    let period = rows::totals(conn, program.id, span.start, span.end)?;
    let ever = rows::totals(
        conn,
        program.id,
        crate::db::earliest(),
        now + Duration::days(1),
    )?;
    let active_30 = rows::active_since(conn, program.id, now - Duration::days(30))?;
    let active_90 = rows::active_since(conn, program.id, now - Duration::days(90))?;
    let active_in_period = rows::active_since(conn, program.id, span.start)?;
    let referred = rows::referred_members(conn, program.id)?;
    let net_period = period.purchase_minor - period.refund_minor;
    let net_ever = ever.purchase_minor - ever.refund_minor;
    let outstanding =
        ever.points_issued - ever.points_redeemed - ever.points_expired - ever.points_reversed;
    let mut f = BTreeMap::new();
    f.insert(
        "members_total",
        figure(
            ever.enrolments,
            "all time",
            "members enrolled, closed ones included",
        ),
    );
    f.insert(
        "members_new",
        figure(
            period.enrolments,
            "period",
            "members enrolled in the period",
        ),
    );
    f.insert(
        "members_active_30d",
        figure(
            active_30,
            "last 30 days",
            "members who posted any event in the last 30 days",
        ),
    );
    f.insert(
        "members_active_90d",
        figure(
            active_90,
            "last 90 days",
            "members who posted any event in the last 90 days",
        ),
    );
    f.insert(
        "purchases",
        figure(period.purchases, "period", "purchase events"),
    );
    f.insert(
        "revenue",
        figure(
            money(program, period.purchase_minor),
            "period",
            "merchandise bought (amount less shipping)",
        ),
    );
    f.insert(
        "refunded",
        figure(
            money(program, period.refund_minor),
            "period",
            "money refunded",
        ),
    );
    f.insert(
        "net_revenue",
        figure(money(program, net_period), "period", "revenue less refunds"),
    );
    let aov = if period.purchases == 0 {
        serde_json::Value::Null
    } else {
        money_of(
            program,
            program.currency.from_minor(period.purchase_minor) / Decimal::from(period.purchases),
        )
    };
    f.insert(
        "average_order_value",
        figure(aov, "period", "revenue / purchases"),
    );
    f.insert(
        "purchase_frequency",
        figure(ratio(period.purchases, active_in_period), "period", "purchases / members whose last event falls in the period (exact for periods ending today)"),
    );
    let clv = if ever.enrolments == 0 {
        serde_json::Value::Null
    } else {
        money_of(
            program,
            program.currency.from_minor(net_ever) / Decimal::from(ever.enrolments),
        )
    };
    f.insert(
        "customer_lifetime_value",
        figure(clv, "all time", "net revenue per member enrolled, so far"),
    );
    f.insert(
        "points_issued",
        figure(
            period.points_issued,
            "period",
            "points earned and added by adjustments",
        ),
    );
    f.insert(
        "points_redeemed",
        figure(
            period.points_redeemed,
            "period",
            "points spent, less cancelled redemptions",
        ),
    );
    f.insert(
        "points_expired",
        figure(period.points_expired, "period", "points that lapsed"),
    );
    f.insert(
        "points_reversed",
        figure(
            period.points_reversed,
            "period",
            "points taken back by refunds and negative adjustments",
        ),
    );
    f.insert(
        "redemption_rate",
        figure(
            ratio(period.points_redeemed, period.points_issued),
            "period",
            "points redeemed / points issued",
        ),
    );
    f.insert(
        "breakage",
        figure(
            ratio(
                period.points_expired,
                period.points_redeemed + period.points_expired,
            ),
            "period",
            "points expired / points that left balances by redemption or expiry",
        ),
    );
    f.insert(
        "points_outstanding",
        figure(
            outstanding,
            "now",
            "points held by members (available and pending, less debts)",
        ),
    );
    f.insert(
        "liability",
        figure(
            money_of(program, worth(program, outstanding)?),
            "now",
            "points outstanding x point value",
        ),
    );
    f.insert(
        "tier_upgrades",
        figure(
            period.tier_upgrades,
            "period",
            "members who moved up a level",
        ),
    );
    f.insert(
        "tier_downgrades",
        figure(
            period.tier_downgrades,
            "period",
            "members who moved down a level",
        ),
    );
    f.insert(
        "vouchers_issued",
        figure(
            period.vouchers_issued,
            "period",
            "vouchers issued (redeemed or given)",
        ),
    );
    f.insert(
        "vouchers_used",
        figure(
            period.vouchers_used,
            "period",
            "vouchers honoured at a storefront",
        ),
    );
    f.insert(
        "voucher_use_rate",
        figure(
            ratio(period.vouchers_used, period.vouchers_issued),
            "period",
            "vouchers used / vouchers issued",
        ),
    );
    f.insert("reviews", figure(period.reviews, "period", "review events"));
    f.insert(
        "referred_members",
        figure(referred, "all time", "members enrolled with a referrer"),
    );
    f.insert(
        "referrals_paid",
        figure(
            ever.referrals_paid,
            "all time",
            "referrals that paid out (the referred member's qualifying purchase)",
        ),
    );
    f.insert(
        "referral_conversion",
        figure(
            ratio(ever.referrals_paid, referred),
            "all time",
            "referrals paid / members enrolled with a referrer",
        ),
    );
    roi(program, span, &period, &mut f)?;
    let tiers = tier_distribution(conn, program)?;
    let (badges, challenges) = game_figures(conn, program, span, ever.enrolments)?;
    f.insert(
        "challenge_completions",
        figure(
            challenges
                .iter()
                .map(|c| c.completed_in_period)
                .sum::<i64>(),
            "period",
            "challenge windows completed, all challenges",
        ),
    );
    let (taken, done) = challenges.iter().fold((0, 0), |(taken, done), c| {
        (taken + c.participations, done + c.completions)
    });
    f.insert(
        "challenge_completion_rate",
        figure(
            ratio(done, taken),
            "all time",
            "challenge windows completed / challenge windows taken part in (progress or a join)",
        ),
    );
    Ok(Summary {
        program: program.slug.clone(),
        period: span.clone(),
        figures: f,
        tiers: Breakdown {
            period: "now",
            definition: "members at each level (closed ones included)",
            items: tiers,
        },
        badges: Breakdown {
            period: "now",
            definition: "members holding each badge (its first level) and each level; \
                         completion_rate = members / members enrolled",
            items: badges,
        },
        challenges: Breakdown {
            period: "all time, and completed_in_period for the period",
            definition: "member-windows taken part in (progress or a join) and completed; \
                         completion_rate = completions / participations",
            items: challenges,
        },
    })
}

/// What `points` are worth at the program's point value. Bounded inputs cannot overflow a
/// decimal here; a point value stored before it was bounded is refused (and logged), not a
/// panic.
fn worth(program: &Program, points: i64) -> AppResult<Decimal> {
    Decimal::from(points)
        .checked_mul(program.point_value)
        .ok_or_else(|| overflow(program, "points x point value"))
}

fn overflow(program: &Program, what: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "program {}: {what} leaves a decimal; its settings predate their bounds",
        program.slug
    ))
}

/// Return on investment, when the program's costs are configured.
fn roi(
    program: &Program,
    span: &Span,
    totals: &rows::Totals,
    f: &mut BTreeMap<&'static str, Figure>,
) -> AppResult<()> {
    let Some(settings) = &program.analytics else {
        f.insert("roi", figure(serde_json::Value::Null, "period", "set `analytics` on the program (cost per month, attributed revenue share) to compute it"));
        return Ok(());
    };
    let net = program
        .currency
        .from_minor(totals.purchase_minor - totals.refund_minor);
    let incremental = net * settings.attributed_revenue_share;
    let running = settings
        .program_cost_per_month
        .checked_mul(Decimal::from(span.days))
        .ok_or_else(|| overflow(program, "the program's cost"))?
        / Decimal::from(30);
    let cost = running
        .checked_add(worth(program, totals.points_redeemed)?)
        .ok_or_else(|| overflow(program, "the program's cost"))?;
    f.insert(
        "incremental_revenue",
        figure(
            money_of(program, incremental),
            "period",
            "net revenue x attributed revenue share",
        ),
    );
    f.insert(
        "program_cost",
        figure(
            money_of(program, cost),
            "period",
            "cost per month (pro rata, 30-day months) + points redeemed x point value",
        ),
    );
    // Null for a cost of 0 (or a ratio past a decimal's range).
    let roi = match (incremental - cost).checked_div(cost) {
        Some(roi) => serde_json::json!(roi.round_dp(4).to_string().parse::<f64>().unwrap_or(0.0)),
        None => serde_json::Value::Null,
    };
    f.insert(
        "roi",
        figure(
            roi,
            "period",
            "(incremental revenue - program cost) / program cost",
        ),
    );
    Ok(())
}

fn tier_distribution(
    conn: &mut DbConnection,
    program: &Program,
) -> AppResult<BTreeMap<String, i64>> {
    let Some(policy) = &program.tiers else {
        return Ok(BTreeMap::new());
    };
    let mut counts: BTreeMap<String, i64> =
        policy.levels.iter().map(|l| (l.name.clone(), 0)).collect();
    for (tier, members) in rows::tier_distribution(conn, program.id)? {
        let name = tier
            .filter(|t| policy.level(t).is_some())
            .unwrap_or_else(|| policy.levels[0].name.clone());
        *counts.entry(name).or_default() += members;
    }
    Ok(counts)
}

/// Points outstanding and what they are worth, by the month they expire.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liability {
    pub points: i64,
    /// Points x point value.
    pub value: String,
    /// Month (program time, `YYYY-MM`; `never` for points that do not expire) → points, value.
    pub by_expiry_month: Vec<ExpiryMonth>,
    pub definition: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiryMonth {
    pub month: String,
    pub points: i64,
    pub value: String,
}

/// The liability by expiry month, from the open lots (pending points included; debts are not
/// spread over months).
pub fn liability(conn: &mut DbConnection, program: &Program) -> AppResult<Liability> {
    let mut months: BTreeMap<String, i64> = BTreeMap::new();
    for group in rows::open_points_by_expiry(conn, program.id)? {
        let month = group.expires_at.map_or_else(
            || "never".to_owned(),
            |at| {
                period::Period::Month
                    .key(period::local(program.time_zone, at - Duration::seconds(1)))
            },
        );
        *months.entry(month).or_default() += group.points;
    }
    let value = |points: i64| Ok::<_, AppError>(program.currency.format(worth(program, points)?));
    let points: i64 = months.values().sum();
    Ok(Liability {
        points,
        value: value(points)?,
        by_expiry_month: months
            .into_iter()
            .map(|(month, points)| {
                Ok(ExpiryMonth {
                    month,
                    points,
                    value: value(points)?,
                })
            })
            .collect::<AppResult<_>>()?,
        definition: "points held in lots (available and pending) x point value, by the month (program time) they expire in; a lot expiring at midnight on the 1st counts in the month before",
    })
}
