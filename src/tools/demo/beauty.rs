//! `beauty`: Beauty Club, modelled on Sephora Beauty Insider.

use serde_json::json;

use super::ProgramConfig;

pub fn config() -> ProgramConfig {
    ProgramConfig {
        program: json!({
            "slug": "beauty", "name": "Beauty Club", "time_zone": "America/Los_Angeles",
            "analytics": {"program_cost_per_month": "8000.00", "attributed_revenue_share": "0.12"},
            "currency": "USD", "point_name": "points", "point_value": "0.02",
            "expiry": {"type": "inactivity_months", "months": 18},
            "birthday": {"reward": "birthday-gift", "validity": {"type": "end_of_month"}}
        }),
        tiers: json!({
            "metric": {"type": "qualifying_spend", "items": {"exclude_categories": ["gift_card"]}},
            "window": {"type": "calendar_year"},
            "levels": [
                {"name": "Insider", "threshold": "0", "benefits": ["1 point per 1.00", "Birthday gift"]},
                {"name": "VIB", "threshold": "350", "benefits": ["1 point per 1.00", "Birthday gift", "VIB events"]},
                {"name": "Rouge", "threshold": "1000",
                 "benefits": ["1 point per 1.00", "Birthday gift", "Rouge rewards", "Free shipping"]}
            ]
        }),
        rewards: vec![
            json!({"slug": "cash-10", "name": "10.00 off", "cost": 500,
                   "kind": "fixed_discount", "amount": "10.00", "voucher_days": 90}),
            json!({"slug": "cash-20", "name": "20.00 off", "cost": 1000,
                   "kind": "fixed_discount", "amount": "20.00", "voucher_days": 90}),
            json!({"slug": "mini-trio", "name": "Trio of minis", "cost": 750,
                   "kind": "free_item", "stock": 500, "voucher_days": 90}),
            json!({"slug": "rouge-reward", "name": "100.00 off, for Rouge members", "cost": 2500,
                   "kind": "fixed_discount", "amount": "100.00", "min_tier": "Rouge", "stock": 50,
                   "per_member_limit": {"count": 1, "per": "lifetime"}, "voucher_days": 90}),
            json!({"slug": "masterclass", "name": "Beauty masterclass", "cost": 5000,
                   "kind": "experience", "min_tier": "VIB", "stock": 20, "voucher_days": 90}),
            json!({"slug": "birthday-gift", "name": "Birthday gift", "cost": 0, "kind": "gift",
                   "per_member_limit": {"count": 1, "per": "year"}}),
        ],
        rules: vec![
            json!({"slug": "points-per-dollar", "name": "1 point per 1.00 of merchandise", "event_type": "purchase", "priority": 100,
                   "effects": [{"type": "points_per_amount", "rate": "1", "items": {"exclude_categories": ["gift_card"]}}]}),
            json!({"slug": "online-return-window", "name": "Online orders wait out the 14-day return window",
                   "event_type": "purchase", "priority": 90,
                   "conditions": [{"field": "channel", "op": "eq", "value": "online"}],
                   "effects": [{"type": "pending", "days": 14}]}),
            json!({"slug": "signup", "name": "Sign-up bonus", "event_type": "signup",
                   "effects": [{"type": "fixed_points", "points": 50}], "limits": [{"per": "lifetime", "count": 1}]}),
            json!({"slug": "profile-completed", "name": "Profile completed", "event_type": "profile_completed",
                   "effects": [{"type": "fixed_points", "points": 50}], "limits": [{"per": "lifetime", "count": 1}]}),
            json!({"slug": "review", "name": "Review", "event_type": "review",
                   "effects": [{"type": "fixed_points", "points": 5}], "limits": [{"per": "day", "count": 5}]}),
            json!({"slug": "referral", "name": "Referral: first purchase of 25.00", "event_type": "purchase", "priority": 50,
                   "conditions": [{"field": "merchandise", "op": "gte", "value": "25.00"}],
                   "effects": [{"type": "referral_bonus", "referrer_points": 250, "member_points": 100}],
                   "limits": [{"per": "lifetime", "count": 1}]}),
        ],
        streaks: Vec::new(),
        badges: vec![
            json!({"slug": "first-review", "name": "First Review", "description": "You wrote your first review",
                   "criterion": {"type": "first_event", "event_type": "review"}}),
            json!({"slug": "reviewer", "name": "Reviewer", "description": "Reviews written",
                   "criterion": {"type": "event_count", "event_type": "review"},
                   "levels": [{"name": "bronze", "threshold": 5}, {"name": "silver", "threshold": 25},
                              {"name": "gold", "threshold": 100}]}),
            json!({"slug": "ambassador", "name": "Ambassador",
                   "description": "3 friends you referred made their first purchase",
                   "criterion": {"type": "referrals"}, "threshold": 3}),
            json!({"slug": "rouge", "name": "Rouge", "description": "You reached Rouge",
                   "criterion": {"type": "tier", "tier": "Rouge"}}),
            json!({"slug": "glow-getter", "name": "Glow Getter", "hidden": true,
                   "description": "You completed a Skincare Sprint",
                   "criterion": {"type": "awarded"}}),
        ],
        challenges: vec![json!({"slug": "skincare-sprint", "name": "Skincare Sprint",
                   "description": "Spend 75.00 on skincare this month: 150 points and the Glow Getter badge",
                   "goal": {"type": "sum", "target": "75.00", "event_type": "purchase",
                            "items": {"categories": ["skincare"]}},
                   "window": {"type": "recurring", "every": "month"}, "enrolment": "automatic",
                   "reward": {"points": 150, "badge": "glow-getter"}})],
        leaderboards: vec![json!({"slug": "top-reviewers", "name": "Top Reviewers",
                   "description": "Rewarded reviews this month",
                   "metric": {"type": "event_count", "event_type": "review", "rewarded_only": true},
                   "period": {"type": "month"}, "size": 10})],
    }
}
