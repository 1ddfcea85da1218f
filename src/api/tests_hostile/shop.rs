//! The two demo programs, configured through the same functions the admin handlers call, and
//! a member of them to decide events for.

use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::engine::RuleSet;
use crate::engine::badges::{BadgeContext, BadgeDefinition};
use crate::engine::challenges::ChallengeDefinition;
use crate::engine::event::{Event, EventType};
use crate::engine::expiry::ExpiryPolicy;
use crate::engine::game::{GameConfig, MemberGame};
use crate::engine::leaderboards::LeaderboardDefinition;
use crate::engine::member::MemberState;
use crate::engine::period::{self, Period};
use crate::engine::plan::{self, Loaded, LoadedRefund, Months, Plan, Settings, TierStart};
use crate::engine::rule::CompiledRule;
use crate::engine::streaks::StreakDefinition;
use crate::engine::tiers::{Measures, Metric, Standing, TierPolicy};
use crate::gamification::elements::{NewElement, References};
use crate::programs::Program;
use crate::rules::NewRule;
use crate::tools::demo::{ProgramConfig, beauty, coffee};

/// A demo program, its configuration compiled, and its bodies (the seeds of mutations).
pub struct Shop {
    pub program: Program,
    pub rules: Vec<CompiledRule>,
    pub game: GameConfig,
    pub refs: References,
    pub config: ProgramConfig,
}

pub static COFFEE: LazyLock<Shop> = LazyLock::new(|| Shop::of(coffee::config()));
pub static BEAUTY: LazyLock<Shop> = LazyLock::new(|| Shop::of(beauty::config()));

/// A UTC time from `YYYY-MM-DD HH:MM`.
fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

/// When every case happens.
pub fn now() -> NaiveDateTime {
    at("2026-11-25 12:00")
}

fn element<D: crate::gamification::elements::Definition + utoipa::ToSchema>(
    body: &Value,
) -> NewElement<D> {
    NewElement::<D>::from_json(body.clone()).unwrap()
}

impl Shop {
    fn of(config: ProgramConfig) -> Shop {
        let p = &config.program;
        let text = |key: &str| p[key].as_str().unwrap().to_owned();
        let tiers: TierPolicy = crate::json::from_value(config.tiers.clone(), "").unwrap();
        tiers.check().unwrap();
        let program = Program {
            id: 1,
            slug: text("slug"),
            name: text("name"),
            time_zone: text("time_zone").parse().unwrap(),
            currency: crate::domain::Currency::parse("currency", &text("currency")).unwrap(),
            point_name: text("point_name"),
            point_value: Decimal::from_str(&text("point_value")).unwrap(),
            auto_enrol: true,
            config_version: 1,
            tiers: Some(tiers),
            expiry: serde_json::from_value::<ExpiryPolicy>(p["expiry"].clone()).unwrap(),
            birthday: None,
            analytics: None,
            created_at: at("2026-01-01 00:00"),
            updated_at: at("2026-01-01 00:00"),
        };
        let rules = config
            .rules
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let new = NewRule::from_json(body.clone(), "").unwrap();
                new.definition
                    .compile(i as i64 + 1, &new.slug, 1, "")
                    .unwrap()
            })
            .collect();
        let game = compile_game(&program, program.tiers.as_ref(), &config);
        let refs = References::of(&game);
        Shop {
            program,
            rules,
            game,
            refs,
            config,
        }
    }

    /// The program's rules, with `extra` among them.
    pub fn rule_set(&self, extra: Option<CompiledRule>) -> RuleSet {
        let mut rules = self.rules.clone();
        rules.extend(extra);
        RuleSet::new(self.program.time_zone, rules)
    }

    /// The game elements as compiled after the ladder became `tiers`: those that no longer
    /// compile are left out, as the service leaves them out.
    pub fn game_with(&self, tiers: Option<&TierPolicy>) -> GameConfig {
        compile_game(&self.program, tiers, &self.config)
    }

    /// Decides `event` for a member enrolled on 1 January, as the use case would.
    pub fn decide(
        &self,
        rules: &RuleSet,
        game: &GameConfig,
        tiers: Option<&TierPolicy>,
        event: &Event,
    ) -> Plan {
        let settings = Settings {
            rules,
            game,
            tiers,
            expiry: self.program.expiry,
            time_zone: self.program.time_zone,
            exponent: self.program.currency.exponent,
            point_name: &self.program.point_name,
            currency: &self.program.currency.code,
        };
        plan::decide(&settings, event, &self.member(tiers, event), now())
    }

    fn member(&self, tiers: Option<&TierPolicy>, event: &Event) -> Loaded {
        let enrolled = at("2026-01-01 00:00");
        let currency = &self.program.currency;
        let minor = |amount: Decimal| currency.to_minor("amount", amount).unwrap();
        let local = period::local(self.program.time_zone, event.occurred_at);
        let qualifying = match tiers.map(|t| &t.metric) {
            Some(Metric::QualifyingSpend { items }) if event.kind == EventType::Purchase => Some(
                minor(event.eligible_amount(items).round_dp(currency.exponent)),
            ),
            _ => None,
        };
        Loaded {
            external_id: "m".into(),
            state: MemberState::new(1, enrolled),
            suspended: false,
            game: MemberGame::default(),
            tier: tiers.map(|_| TierStart {
                standing: Standing {
                    level: 0,
                    since: enrolled,
                    held_until: None,
                    qualified_at: enrolled,
                },
                measures: Measures {
                    window: Decimal::ZERO,
                    since_qualified: Decimal::ZERO,
                    last_year: Decimal::ZERO,
                },
                after: Decimal::ZERO,
            }),
            referrer: None,
            link: None,
            refund: (event.kind == EventType::Refund).then(|| LoadedRefund {
                order_id: event.order_id.clone().unwrap_or_default(),
                amount_minor: minor(event.amount.unwrap_or_default()),
                purchase: None,
            }),
            merchandise_minor: minor(event.merchandise()),
            qualifying_minor: qualifying,
            months: Months {
                month: Period::Month.key(local),
                previous: Period::Month.key(local),
                cohort: "2026-01".into(),
                counted: false,
            },
        }
    }
}

/// The demo's game elements, read and compiled as the service does, under the ladder `tiers`.
fn compile_game(
    program: &Program,
    tiers: Option<&TierPolicy>,
    config: &ProgramConfig,
) -> GameConfig {
    let exponent = program.currency.exponent;
    let streaks: Vec<_> = config
        .streaks
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let new = element::<StreakDefinition>(body);
            new.definition.compile(100 + i as i64, &new.slug).unwrap()
        })
        .collect();
    let streak_id = |slug: &str| streaks.iter().find(|s| s.slug == slug).map(|s| s.id);
    let context = BadgeContext {
        exponent,
        tiers,
        streak_id: &streak_id,
    };
    let badges: Vec<_> = config
        .badges
        .iter()
        .enumerate()
        .filter_map(|(i, body)| {
            let new = element::<BadgeDefinition>(body);
            new.definition
                .compile(200 + i as i64, &new.slug, &context)
                .ok()
        })
        .collect();
    let badge_id = |slug: &str| badges.iter().find(|b| b.slug == slug).map(|b| b.id);
    let challenges: Vec<_> = config
        .challenges
        .iter()
        .enumerate()
        .filter_map(|(i, body)| {
            let new = element::<ChallengeDefinition>(body);
            new.definition
                .compile(300 + i as i64, &new.slug, exponent, badge_id)
                .ok()
        })
        .collect();
    let window = |slug: &str| challenges.iter().find(|c| c.slug == slug).map(|c| c.window);
    let leaderboards = config
        .leaderboards
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let new = element::<LeaderboardDefinition>(body);
            new.definition
                .compile(400 + i as i64, &new.slug, window)
                .unwrap()
        })
        .collect();
    GameConfig {
        time_zone: program.time_zone,
        exponent,
        badges,
        challenges,
        streaks,
        leaderboards,
    }
}
