//! One member's engagement profile: what it bought, wrote and shared, its level on the
//! consumer → creator → contributor → advocate ladder, and a score.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::models::counters;
use crate::db::models::members::MemberRow;
use crate::db::schema::members;
use crate::error::AppResult;
use crate::ledger::Balance;
use crate::programs::Program;
use diesel::prelude::*;

/// How engaged a member is.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberProfile {
    pub member: String,
    pub enrolled_at: chrono::DateTime<chrono::Utc>,
    pub last_event_at: Option<chrono::DateTime<chrono::Utc>>,
    pub purchases: i64,
    pub spend: String,
    pub refunded: String,
    /// Spend less refunds, so far: the member's lifetime value to date.
    pub lifetime_value: String,
    pub average_order_value: Option<String>,
    pub reviews: i64,
    /// Members who enrolled with this member's referral code.
    pub referred_members: i64,
    /// `enrolled` (nothing yet), `consumer` (buys), `creator` (reviews), `contributor` (5 or
    /// more reviews), `advocate` (refers others): the highest that applies, as the database
    /// keeps it (`members.engagement`).
    pub level: String,
    /// 0..100: recency 30, purchase frequency 30, spend 20, reviews 10, referrals 10.
    pub score: i64,
    pub balance: Balance,
    pub tier: Option<String>,
}

/// The member's profile as of `now`.
pub fn profile(
    conn: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    now: NaiveDateTime,
) -> AppResult<MemberProfile> {
    let counts = counters::event_counts(conn, member.id)?;
    let count = |kind: &str| {
        counts
            .iter()
            .find(|(k, _, _)| k == kind)
            .map_or((0, 0), |(_, n, amount)| (*n, *amount))
    };
    let (purchases, spend) = count("purchase");
    let (_, refunded) = count("refund");
    let (reviews, _) = count("review");
    let referred_members: i64 = members::table
        .filter(members::referred_by.eq(member.id))
        .count()
        .get_result(conn)?;
    let net = spend - refunded;
    let recency = member
        .last_event_at
        .map_or(0, |at| match (now - at).num_days() {
            ..=7 => 30,
            8..=30 => 20,
            31..=90 => 10,
            _ => 0,
        });
    let spend_units = program.currency.from_minor(net.max(0)) / Decimal::from(25);
    let score = recency
        + (purchases * 3).min(30)
        + i64::try_from(spend_units.floor()).unwrap_or(20).min(20)
        + (reviews * 2).min(10)
        + (referred_members * 5).min(10);
    Ok(MemberProfile {
        member: member.external_id.clone(),
        enrolled_at: member.enrolled_at.and_utc(),
        last_event_at: member.last_event_at.map(|t| t.and_utc()),
        purchases,
        spend: program.currency.format_minor(spend),
        refunded: program.currency.format_minor(refunded),
        lifetime_value: program.currency.format_minor(net),
        average_order_value: (purchases > 0).then(|| {
            program
                .currency
                .format(program.currency.from_minor(spend) / Decimal::from(purchases))
        }),
        reviews,
        referred_members,
        level: member.engagement.clone(),
        score,
        balance: Balance::from(member),
        tier: program.tiers.as_ref().map(|policy| {
            policy.levels[crate::tiers::standing(policy, member).level]
                .name
                .clone()
        }),
    })
}
