//! Conditions of a rule: a field of the event, the member or the time, an operator and a value.
//! Checked when a rule is saved (errors name `conditions[i].field` or `.value`) and compiled
//! into typed tests, so evaluating one is a comparison, not a parse.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::event::Event;
use super::member::MemberState;

/// A condition as an admin writes it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// What to look at: `amount`, `merchandise`, `shipping`, `currency`, `channel`, `payment`,
    /// `order_id`, `items.sku`, `items.category`, `items.quantity`, `properties.<name>`,
    /// `rating`, `member.tier`, `member.days_since_enrolment`, `member.birthday_month`,
    /// `member.is_birthday_month`, `member.lifetime_earned`, `member.referred`,
    /// `member.count.<event type>`, `time.date`, `time.weekday`, `time.hour`, `time.month`,
    /// `time.day` (times in the program's time zone).
    pub field: String,
    pub op: Op,
    /// The value to compare with: a number (or decimal string), text, `true`/`false`, a date
    /// (`YYYY-MM-DD`), a weekday (`mon`..`sun`); a list for `in`/`not_in`; `[low, high]`
    /// for `between`. Not given for `exists`/`not_exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub value: Option<Value>,
}

/// How a field is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    /// Inclusive on both ends.
    Between,
    In,
    NotIn,
    Exists,
    NotExists,
}

/// The kinds of values fields hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Text,
    Bool,
    Date,
    Weekday,
}

/// A field, resolved.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Amount,
    Merchandise,
    Shipping,
    Currency,
    Channel,
    Payment,
    OrderId,
    ItemSku,
    ItemCategory,
    ItemQuantity,
    Property(String),
    MemberTier,
    MemberDaysSinceEnrolment,
    MemberBirthdayMonth,
    MemberIsBirthdayMonth,
    MemberLifetimeEarned,
    MemberReferred,
    MemberCount(String),
    TimeDate,
    TimeWeekday,
    TimeHour,
    TimeMonth,
    TimeDay,
}

impl Field {
    fn parse(name: &str) -> Result<Field, String> {
        if let Some(property) = name.strip_prefix("properties.") {
            if property.is_empty() {
                return Err("name the property: `properties.<name>`".into());
            }
            return Ok(Field::Property(property.to_owned()));
        }
        if let Some(kind) = name.strip_prefix("member.count.") {
            super::event::EventType::parse(kind)?;
            return Ok(Field::MemberCount(kind.to_owned()));
        }
        Ok(match name {
            "amount" => Field::Amount,
            "merchandise" => Field::Merchandise,
            "shipping" => Field::Shipping,
            "currency" => Field::Currency,
            "channel" => Field::Channel,
            "payment" => Field::Payment,
            "order_id" => Field::OrderId,
            "items.sku" => Field::ItemSku,
            "items.category" => Field::ItemCategory,
            "items.quantity" => Field::ItemQuantity,
            "rating" => Field::Property("rating".into()),
            "member.tier" => Field::MemberTier,
            "member.days_since_enrolment" => Field::MemberDaysSinceEnrolment,
            "member.birthday_month" => Field::MemberBirthdayMonth,
            "member.is_birthday_month" => Field::MemberIsBirthdayMonth,
            "member.lifetime_earned" => Field::MemberLifetimeEarned,
            "member.referred" => Field::MemberReferred,
            "time.date" => Field::TimeDate,
            "time.weekday" => Field::TimeWeekday,
            "time.hour" => Field::TimeHour,
            "time.month" => Field::TimeMonth,
            "time.day" => Field::TimeDay,
            other => return Err(format!("unknown field `{other}`")),
        })
    }

    /// The kind of value, or `None` for properties, whose kind the value decides.
    fn kind(&self) -> Option<Kind> {
        Some(match self {
            Field::Amount | Field::Merchandise | Field::Shipping | Field::ItemQuantity => {
                Kind::Number
            }
            Field::MemberDaysSinceEnrolment
            | Field::MemberBirthdayMonth
            | Field::MemberLifetimeEarned => Kind::Number,
            Field::MemberCount(_) | Field::TimeHour | Field::TimeMonth | Field::TimeDay => {
                Kind::Number
            }
            Field::Currency | Field::Channel | Field::Payment | Field::OrderId => Kind::Text,
            Field::ItemSku | Field::ItemCategory | Field::MemberTier => Kind::Text,
            Field::MemberIsBirthdayMonth | Field::MemberReferred => Kind::Bool,
            Field::TimeDate => Kind::Date,
            Field::TimeWeekday => Kind::Weekday,
            Field::Property(_) => return None,
        })
    }

    /// Item fields hold one value per item: a positive test holds if any item passes it; a
    /// negative one (`ne`, `not_in`) if no item fails it.
    fn is_per_item(&self) -> bool {
        matches!(self, Field::ItemSku | Field::ItemCategory)
    }
}

/// A comparable value.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Scalar {
    Number(Decimal),
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    Weekday(u32),
}

/// The right-hand side of a compiled condition.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    None,
    One(Scalar),
    Many(Vec<Scalar>),
    Range(Scalar, Scalar),
}

/// A condition ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledCondition {
    field: Field,
    op: Op,
    operand: Operand,
}

/// What a condition is evaluated against.
pub struct Facts<'a> {
    pub event: &'a Event,
    pub member: &'a MemberState,
    /// The event's time in the program's time zone.
    pub local_time: NaiveDateTime,
}

impl Condition {
    /// Checks the condition and compiles it; the error says which part is wrong.
    pub fn compile(&self) -> Result<CompiledCondition, (&'static str, String)> {
        let field = Field::parse(&self.field).map_err(|e| ("field", e))?;
        let operand = match (self.op, &self.value) {
            (Op::Exists | Op::NotExists, None) => Operand::None,
            (Op::Exists | Op::NotExists, Some(_)) => {
                return Err((
                    "value",
                    format!("`{:?}` takes no value", self.op).to_lowercase(),
                ));
            }
            (_, None) => return Err(("value", "a value is required".into())),
            (Op::In | Op::NotIn, Some(Value::Array(values))) if !values.is_empty() => {
                Operand::Many(
                    values
                        .iter()
                        .map(|v| scalar(&field, v))
                        .collect::<Result<_, _>>()
                        .map_err(|e| ("value", e))?,
                )
            }
            (Op::In | Op::NotIn, Some(_)) => return Err(("value", "give a non-empty list".into())),
            (Op::Between, Some(Value::Array(pair))) if pair.len() == 2 => {
                let low = scalar(&field, &pair[0]).map_err(|e| ("value", e))?;
                let high = scalar(&field, &pair[1]).map_err(|e| ("value", e))?;
                if !matches!(low, Scalar::Number(_) | Scalar::Date(_)) || low > high {
                    return Err((
                        "value",
                        "give [low, high] numbers or dates with low <= high".into(),
                    ));
                }
                Operand::Range(low, high)
            }
            (Op::Between, Some(_)) => return Err(("value", "give [low, high]".into())),
            (op, Some(value)) => {
                let value = scalar(&field, value).map_err(|e| ("value", e))?;
                let ordered = matches!(value, Scalar::Number(_) | Scalar::Date(_));
                if matches!(op, Op::Gt | Op::Gte | Op::Lt | Op::Lte) && !ordered {
                    return Err(("op", "only numbers and dates can be ordered".into()));
                }
                Operand::One(value)
            }
        };
        Ok(CompiledCondition {
            field,
            op: self.op,
            operand,
        })
    }
}

/// Parses a JSON value as the field's kind.
fn scalar(field: &Field, value: &Value) -> Result<Scalar, String> {
    let kind = field.kind().unwrap_or(match value {
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        _ => Kind::Text,
    });
    let wrong = |expected: &str| format!("expected {expected}, got {value}");
    match kind {
        Kind::Number => match value {
            Value::Number(n) => Decimal::from_str(&n.to_string())
                .map(Scalar::Number)
                .map_err(|_| wrong("a number")),
            Value::String(s) => Decimal::from_str(s)
                .map(Scalar::Number)
                .map_err(|_| wrong("a number")),
            _ => Err(wrong("a number")),
        },
        Kind::Text => match value {
            Value::String(s) => Ok(Scalar::Text(s.clone())),
            _ => Err(wrong("text")),
        },
        Kind::Bool => value
            .as_bool()
            .map(Scalar::Bool)
            .ok_or_else(|| wrong("true or false")),
        Kind::Date => value
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(Scalar::Date)
            .ok_or_else(|| wrong("a date YYYY-MM-DD")),
        Kind::Weekday => value
            .as_str()
            .and_then(|s| s.parse::<Weekday>().ok())
            .map(|w| Scalar::Weekday(w.num_days_from_monday()))
            .ok_or_else(|| wrong("a weekday: mon, tue, wed, thu, fri, sat or sun")),
    }
}

impl CompiledCondition {
    /// Whether the facts satisfy the condition.
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        let values = self.values(facts);
        match self.op {
            Op::Exists => !values.is_empty(),
            Op::NotExists => values.is_empty(),
            Op::Ne | Op::NotIn if self.field.is_per_item() => values.iter().all(|v| self.test(v)),
            _ => values.iter().any(|v| self.test(v)),
        }
    }

    fn test(&self, value: &Scalar) -> bool {
        match (&self.op, &self.operand) {
            (Op::Eq, Operand::One(x)) => value == x,
            (Op::Ne, Operand::One(x)) => value != x,
            (Op::Gt, Operand::One(x)) => comparable(value, x) && value > x,
            (Op::Gte, Operand::One(x)) => comparable(value, x) && value >= x,
            (Op::Lt, Operand::One(x)) => comparable(value, x) && value < x,
            (Op::Lte, Operand::One(x)) => comparable(value, x) && value <= x,
            (Op::Between, Operand::Range(low, high)) => {
                comparable(value, low) && value >= low && value <= high
            }
            (Op::In, Operand::Many(xs)) => xs.contains(value),
            (Op::NotIn, Operand::Many(xs)) => !xs.contains(value),
            _ => false,
        }
    }

    /// The field's values for these facts: none when absent, one per item for item fields.
    fn values(&self, facts: &Facts<'_>) -> Vec<Scalar> {
        let event = facts.event;
        let member = facts.member;
        let number = |d: Decimal| vec![Scalar::Number(d)];
        let text = |s: &Option<String>| s.iter().map(|s| Scalar::Text(s.clone())).collect();
        let local = facts.local_time;
        match &self.field {
            Field::Amount => event.amount.map(number).unwrap_or_default(),
            Field::Merchandise => number(event.merchandise()),
            Field::Shipping => event.shipping.map(number).unwrap_or_default(),
            Field::Currency => vec![Scalar::Text(event.currency.clone())],
            Field::Channel => text(&event.channel),
            Field::Payment => text(&event.payment),
            Field::OrderId => text(&event.order_id),
            Field::ItemSku => event
                .items
                .iter()
                .map(|i| Scalar::Text(i.sku.clone()))
                .collect(),
            Field::ItemCategory => event
                .items
                .iter()
                .filter_map(|i| i.category.clone().map(Scalar::Text))
                .collect(),
            Field::ItemQuantity => number(Decimal::from(
                event
                    .items
                    .iter()
                    .map(|i| u64::from(i.quantity))
                    .sum::<u64>(),
            )),
            Field::Property(name) => event
                .properties
                .get(name)
                .and_then(property)
                .into_iter()
                .collect(),
            Field::MemberTier => member
                .tier
                .iter()
                .map(|t| Scalar::Text(t.name.clone()))
                .collect(),
            Field::MemberDaysSinceEnrolment => number(Decimal::from(
                (event.occurred_at - member.enrolled_at).num_days().max(0),
            )),
            Field::MemberBirthdayMonth => member
                .birthday
                .map(|b| number(Decimal::from(b.month())))
                .unwrap_or_default(),
            Field::MemberIsBirthdayMonth => vec![Scalar::Bool(
                member.birthday.is_some_and(|b| b.month() == local.month()),
            )],
            Field::MemberLifetimeEarned => number(Decimal::from(member.lifetime_earned)),
            Field::MemberReferred => vec![Scalar::Bool(member.referrer.is_some())],
            Field::MemberCount(kind) => number(Decimal::from(
                member.event_counts.get(kind).copied().unwrap_or(0),
            )),
            Field::TimeDate => vec![Scalar::Date(local.date())],
            Field::TimeWeekday => vec![Scalar::Weekday(local.weekday().num_days_from_monday())],
            Field::TimeHour => number(Decimal::from(local.hour())),
            Field::TimeMonth => number(Decimal::from(local.month())),
            Field::TimeDay => number(Decimal::from(local.day())),
        }
    }
}

/// A property's value as a scalar: numbers, strings and booleans compare; others do not.
fn property(value: &Value) -> Option<Scalar> {
    match value {
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok().map(Scalar::Number),
        Value::String(s) => Some(Scalar::Text(s.clone())),
        _ => None,
    }
}

fn comparable(a: &Scalar, b: &Scalar) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}
