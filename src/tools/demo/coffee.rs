//! `coffee`: Coffee Rewards, modelled on Starbucks Rewards.

use serde_json::json;

use super::ProgramConfig;

pub fn config() -> ProgramConfig {
    ProgramConfig {
        program: json!({
            "slug": "coffee", "name": "Coffee Rewards", "time_zone": "America/New_York",
            "analytics": {"program_cost_per_month": "5000.00", "attributed_revenue_share": "0.15"},
            "currency": "USD", "point_name": "Stars", "point_value": "0.04",
            "expiry": {"type": "lot_months", "months": 7},
            "birthday": {"reward": "birthday-treat",
                         "validity": {"type": "days", "days": 1, "by_tier": {"Gold": 7, "Reserve": 30}}}
        }),
        tiers: json!({
            "metric": {"type": "points_earned"},
            "window": {"type": "rolling_months", "months": 12},
            "levels": [
                {"name": "Green", "threshold": "0", "multiplier": "1",
                 "benefits": ["Earn 1 Star per 1.00", "Birthday reward"]},
                {"name": "Gold", "threshold": "500", "multiplier": "1.2", "points_never_expire": true,
                 "benefits": ["Earn 1.2 Stars per 1.00", "Stars never expire", "Birthday reward for 7 days"]},
                {"name": "Reserve", "threshold": "2500", "multiplier": "1.7", "points_never_expire": true,
                 "benefits": ["Earn 1.7 Stars per 1.00", "Stars never expire", "Birthday reward for 30 days"]}
            ]
        }),
        rewards: vec![
            json!({"slug": "custom-shot", "name": "Customise your drink (up to 1.00)", "cost": 25,
                   "kind": "free_item", "amount": "1.00", "voucher_days": 30}),
            json!({"slug": "two-off", "name": "2.00 off any item", "cost": 60,
                   "kind": "fixed_discount", "amount": "2.00", "voucher_days": 30}),
            json!({"slug": "brewed-coffee", "name": "Brewed coffee or tea", "cost": 100,
                   "kind": "free_item", "voucher_days": 30}),
            json!({"slug": "handcrafted-drink", "name": "Handcrafted drink", "cost": 200,
                   "kind": "free_item", "voucher_days": 30}),
            json!({"slug": "lunch", "name": "Lunch: a sandwich or salad", "cost": 300,
                   "kind": "free_item", "voucher_days": 30}),
            json!({"slug": "merch-20", "name": "Merchandise up to 20.00", "cost": 400,
                   "kind": "free_item", "amount": "20.00", "stock": 200, "voucher_days": 30}),
            json!({"slug": "birthday-treat", "name": "Birthday treat", "cost": 0, "kind": "gift",
                   "per_member_limit": {"count": 1, "per": "year"}}),
        ],
        rules: vec![
            json!({"slug": "stars-per-dollar", "name": "1 Star per 1.00", "event_type": "purchase", "priority": 100,
                   "effects": [{"type": "points_per_amount", "rate": "1", "items": {"exclude_categories": ["alcohol"]}}]}),
            json!({"slug": "stored-value", "name": "Stored value pays x2", "event_type": "purchase", "priority": 90,
                   "conditions": [{"field": "payment", "op": "eq", "value": "stored_value"}],
                   "effects": [{"type": "multiplier", "factor": "2"}]}),
            json!({"slug": "tier-multiplier", "name": "Tier multiplier", "event_type": "purchase", "priority": 80,
                   "effects": [{"type": "tier_multiplier"}]}),
            json!({"slug": "reusable-cup", "name": "Reusable cup x2", "event_type": "purchase", "priority": 60,
                   "conditions": [{"field": "properties.reusable_cup", "op": "eq", "value": true}],
                   "effects": [{"type": "multiplier", "factor": "2"}],
                   "limits": [{"per": "day", "count": 3}]}),
        ],
        streaks: vec![json!({"slug": "weekly-visits", "name": "Weekly visits",
                   "description": "Weeks in a row (Monday to Sunday) with at least one purchase",
                   "period": "week", "event_type": "purchase"})],
        badges: vec![
            json!({"slug": "first-sip", "name": "First Sip", "description": "Your first purchase",
                   "criterion": {"type": "first_event", "event_type": "purchase"}}),
            json!({"slug": "regular", "name": "Regular",
                   "description": "A purchase every week, 4 weeks in a row",
                   "criterion": {"type": "streak", "streak": "weekly-visits"}, "threshold": 4}),
            json!({"slug": "gold-member", "name": "Gold Member", "description": "You reached Gold",
                   "criterion": {"type": "tier", "tier": "Gold"}}),
        ],
        challenges: vec![json!({"slug": "star-dash", "name": "Star Dash",
                   "description": "Make 3 purchases of 10.00 or more this week (Monday to Sunday): 50 bonus Stars",
                   "goal": {"type": "count", "target": 3, "event_type": "purchase",
                            "conditions": [{"field": "amount", "op": "gte", "value": "10.00"}]},
                   "window": {"type": "recurring", "every": "week"}, "enrolment": "opt_in",
                   "reward": {"points": 50}})],
        leaderboards: vec![json!({"slug": "weekly-stars", "name": "Weekly Stars",
                   "description": "Stars earned this week (Monday to Sunday)",
                   "metric": {"type": "points_earned"}, "period": {"type": "week"}, "size": 10})],
    }
}

/// A Double Star Day on `date` (`YYYY-MM-DD`): every purchase that day earns x2 more. The
/// demo schedules one; admins schedule theirs the same way.
pub fn double_star_day(date: &str) -> serde_json::Value {
    json!({"slug": format!("double-star-day-{date}"), "name": format!("Double Star Day {date}"),
           "event_type": "purchase", "priority": 70,
           "conditions": [{"field": "time.date", "op": "eq", "value": date}],
           "effects": [{"type": "multiplier", "factor": "2"}]})
}
