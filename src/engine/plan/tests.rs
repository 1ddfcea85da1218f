//! The plan of one event on the two demo programs, as `fidelio demo` configures them: the
//! whole decision (credits, tiers and their badges, the game layer, the referrer, refunds) in
//! memory, with no database.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::Value;

use super::*;
use crate::engine::badges::{BadgeContext, BadgeDefinition};
use crate::engine::challenges::ChallengeDefinition;
use crate::engine::leaderboards::LeaderboardDefinition;
use crate::engine::member::Referrer;
use crate::engine::rule::RuleDefinition;
use crate::engine::streaks::StreakDefinition;
use crate::engine::tests_support::{at, event, purchase};
use crate::engine::tiers::{Measures, Standing};
use crate::tools::demo::{ProgramConfig, beauty, coffee};

/// A demo program's configuration, compiled as the service compiles it.
struct Demo {
    rules: RuleSet,
    game: GameConfig,
    tiers: TierPolicy,
    expiry: ExpiryPolicy,
    tz: Tz,
    point_name: String,
}

impl Demo {
    fn of(config: ProgramConfig) -> Demo {
        let tz: Tz = config.program["time_zone"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let tiers: TierPolicy = serde_json::from_value(config.tiers.clone()).unwrap();
        let slugged = |values: &[Value], first: i64| -> Vec<(i64, String, Value)> {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut v = v.clone();
                    let slug = v.as_object_mut().unwrap().remove("slug").unwrap();
                    (first + i as i64, slug.as_str().unwrap().to_owned(), v)
                })
                .collect()
        };
        let rules = slugged(&config.rules, 1)
            .into_iter()
            .map(|(id, slug, v)| {
                let definition: RuleDefinition = serde_json::from_value(v).unwrap();
                definition.compile(id, &slug, 1, "").unwrap()
            })
            .collect();
        let streak_ids = slugged(&config.streaks, 100);
        let streaks = streak_ids
            .iter()
            .map(|(id, slug, v)| {
                let definition: StreakDefinition = serde_json::from_value(v.clone()).unwrap();
                definition.compile(*id, slug).unwrap()
            })
            .collect();
        let streak_id = |s: &str| {
            streak_ids
                .iter()
                .find(|(_, slug, _)| slug == s)
                .map(|t| t.0)
        };
        let context = BadgeContext {
            exponent: 2,
            tiers: Some(&tiers),
            streak_id: &streak_id,
        };
        let badge_ids = slugged(&config.badges, 200);
        let badges = badge_ids
            .iter()
            .map(|(id, slug, v)| {
                let definition: BadgeDefinition = serde_json::from_value(v.clone()).unwrap();
                definition.compile(*id, slug, &context).unwrap()
            })
            .collect();
        let badge_id = |s: &str| badge_ids.iter().find(|(_, slug, _)| slug == s).map(|t| t.0);
        let challenges = slugged(&config.challenges, 300)
            .into_iter()
            .map(|(id, slug, v)| {
                let definition: ChallengeDefinition = serde_json::from_value(v).unwrap();
                definition.compile(id, &slug, 2, badge_id).unwrap()
            })
            .collect();
        let leaderboards = slugged(&config.leaderboards, 400)
            .into_iter()
            .map(|(id, slug, v)| {
                let definition: LeaderboardDefinition = serde_json::from_value(v).unwrap();
                definition.compile(id, &slug, |_| None).unwrap()
            })
            .collect();
        Demo {
            rules: RuleSet::new(tz, rules),
            game: GameConfig {
                time_zone: tz,
                exponent: 2,
                badges,
                challenges,
                streaks,
                leaderboards,
            },
            expiry: serde_json::from_value(config.program["expiry"].clone()).unwrap(),
            point_name: config.program["point_name"].as_str().unwrap().to_owned(),
            tiers,
            tz,
        }
    }

    fn settings(&self) -> Settings<'_> {
        Settings {
            rules: &self.rules,
            game: &self.game,
            tiers: Some(&self.tiers),
            expiry: self.expiry,
            time_zone: self.tz,
            exponent: 2,
            point_name: &self.point_name,
            currency: "USD",
        }
    }

    fn badge(&self, slug: &str) -> i64 {
        self.game.badges.iter().find(|b| b.slug == slug).unwrap().id
    }
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A member enrolled on 2026-01-01 at `level`, with `window` of the tier metric so far.
fn member_at(level: usize, window: &str) -> Loaded {
    let enrolled = at("2026-01-01 00:00");
    Loaded {
        external_id: "ana".into(),
        state: MemberState::new(1, enrolled),
        suspended: false,
        game: MemberGame::default(),
        tier: Some(TierStart {
            standing: Standing {
                level,
                since: enrolled,
                held_until: None,
                qualified_at: enrolled,
            },
            measures: Measures {
                window: d(window),
                since_qualified: d(window),
                last_year: Decimal::ZERO,
            },
            after: Decimal::ZERO,
        }),
        referrer: None,
        link: None,
        refund: None,
        merchandise_minor: 0,
        qualifying_minor: None,
        months: Months::default(),
    }
}

fn now() -> NaiveDateTime {
    at("2026-11-25 12:00")
}

fn member_points(plan: &Plan) -> Vec<i64> {
    plan.credits
        .iter()
        .filter(|c| c.who == Who::Member)
        .map(|c| c.points)
        .collect()
}

#[test]
fn coffee_a_first_purchase_earns_its_stars_first_sip_a_streak_and_a_weekly_score() {
    let demo = Demo::of(coffee::config());
    let mut bought = purchase("10.00", &[]);
    bought.payment = Some("card".into());
    let plan = decide(&demo.settings(), &bought, &member_at(0, "0"), now());

    assert_eq!(member_points(&plan), [10]);
    assert_eq!(plan.report.points_awarded, 10);
    assert_eq!(plan.rule_points, 10);
    let first_sip = demo.badge("first-sip");
    assert!(
        plan.badges
            .iter()
            .any(|(who, g)| *who == Who::Member && g.badge_id == first_sip)
    );
    assert_eq!(plan.streaks.len(), 1, "the weekly streak starts");
    assert_eq!(plan.scores.len(), 1);
    assert_eq!(plan.scores[0].delta, 10, "weekly-stars counts the Stars");
    assert_eq!(plan.qualifying, [(Who::Member, 10, bought.occurred_at)]);
    assert!(plan.tier_moves.is_empty());
    let tier = plan.report.tier.unwrap();
    assert_eq!((tier.name.as_str(), tier.changed), ("Green", false));
    assert_eq!(plan.totals.purchases, 1);
}

#[test]
fn coffee_the_purchase_that_crosses_500_stars_moves_to_gold_and_earns_gold_member_in_one_plan() {
    let demo = Demo::of(coffee::config());
    let mut member = member_at(0, "495");
    member
        .game
        .held
        .insert(demo.badge("first-sip"), BTreeSet::from([1]));
    let plan = decide(&demo.settings(), &purchase("10.00", &[]), &member, now());

    assert_eq!(
        member_points(&plan),
        [10],
        "the crossing purchase earns at Green's rate"
    );
    assert_eq!(plan.tier_moves.len(), 1);
    let (who, step) = &plan.tier_moves[0];
    assert_eq!((*who, step.from, step.standing.level), (Who::Member, 0, 1));
    assert_eq!(step.reason, "reached 505 Stars");
    let tier = plan.report.tier.unwrap();
    assert_eq!(
        (tier.name.as_str(), tier.changed, tier.previous.as_deref()),
        ("Gold", true, Some("Green"))
    );
    let gold = demo.badge("gold-member");
    assert!(plan.badges.iter().any(|(_, g)| g.badge_id == gold));
    assert_eq!(
        plan.report.badges_earned.last().unwrap().slug,
        "gold-member"
    );
}

#[test]
fn beauty_an_insider_spending_360_in_store_on_1_june_is_vib_through_2027() {
    let demo = Demo::of(beauty::config());
    let mut member = member_at(0, "0");
    member.qualifying_minor = Some(36_000);
    let mut bought = purchase("360.00", &[]);
    bought.occurred_at = at("2026-06-01 18:00");
    let plan = decide(&demo.settings(), &bought, &member, at("2026-06-01 18:00"));

    assert_eq!(member_points(&plan), [360]);
    assert_eq!(plan.report.pending, 0, "in store: available at once");
    let tier = plan.report.tier.unwrap();
    assert_eq!((tier.name.as_str(), tier.changed), ("VIB", true));
    assert_eq!(
        tier.held_through,
        chrono::NaiveDate::from_ymd_opt(2027, 12, 31)
    );
    assert_eq!(plan.qualifying, [(Who::Member, 36_000, bought.occurred_at)]);
}

#[test]
fn beauty_a_referred_members_first_purchase_pays_both_and_the_third_referral_earns_ambassador() {
    let demo = Demo::of(beauty::config());
    let ambassador = demo.badge("ambassador");
    let mut member = member_at(0, "0");
    member.qualifying_minor = Some(3_000);
    member.state.referrer = Some(Referrer {
        id: 2,
        external_id: "bo".into(),
        email: None,
        active: true,
    });
    member.referrer = Some(LoadedReferrer {
        id: 2,
        external_id: "bo".into(),
        game: MemberGame {
            counters: HashMap::from([(ambassador, 2)]),
            ..MemberGame::default()
        },
        tier: None,
    });
    let plan = decide(&demo.settings(), &purchase("30.00", &[]), &member, now());

    let referrer: Vec<i64> = plan
        .credits
        .iter()
        .filter(|c| c.who == Who::Referrer)
        .map(|c| c.points)
        .collect();
    assert_eq!(referrer, [250]);
    assert_eq!(
        plan.report.points_awarded, 130,
        "30 for the money, 100 for being referred"
    );
    assert_eq!(plan.totals.referrals_paid, 1);
    assert!(plan.counters.contains(&(Who::Referrer, ambassador, 3)));
    let earned = plan
        .report
        .badges_earned
        .iter()
        .find(|b| b.slug == "ambassador");
    assert_eq!(earned.unwrap().member.as_deref(), Some("bo"));
}

#[test]
fn beauty_a_half_refund_takes_back_half_the_points_and_half_the_qualifying_spend() {
    let demo = Demo::of(beauty::config());
    let mut member = member_at(1, "400");
    member.refund = Some(LoadedRefund {
        order_id: "o1".into(),
        amount_minor: 5_000,
        purchase: Some(RefundedPurchase {
            id: 7,
            before: crate::engine::refund::RefundablePurchase {
                amount: 10_000,
                points_earned: 100,
                refunded: 0,
                points_reversed: 0,
            },
            qualifying_minor: Some(10_000),
            occurred_at: at("2026-11-20 12:00"),
            event: None,
            lots: vec![11],
            first_entry: Some(21),
        }),
    });
    let plan = decide(&demo.settings(), &event("refund", now()), &member, now());

    let refund = plan.refund.unwrap();
    assert_eq!((refund.refunded_total, refund.reversed_total), (5_000, 50));
    assert_eq!(refund.take_back.unwrap().lots_first, [11]);
    assert_eq!(plan.report.points_awarded, -50);
    assert_eq!(plan.qualifying, [(Who::Member, -5_000, now())]);
    assert!(plan.credits.is_empty());
}

#[test]
fn a_suspended_members_purchase_is_counted_and_earns_nothing() {
    let demo = Demo::of(coffee::config());
    let mut member = member_at(0, "0");
    member.suspended = true;
    let plan = decide(&demo.settings(), &purchase("10.00", &[]), &member, now());

    assert!(plan.credits.is_empty() && plan.badges.is_empty() && plan.scores.is_empty());
    assert_eq!(plan.totals.purchases, 1);
    assert_eq!(plan.report.notes.len(), 1);
}
