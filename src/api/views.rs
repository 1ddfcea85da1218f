//! Response bodies shared by several handlers.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::models::api_keys::{ApiKeyRow, KeyState};
use crate::db::models::ledger::EntryRow;
use crate::db::models::members::{self, MemberForView, MemberRow};
use crate::db::models::tiers::Calendar;
use crate::engine::birthday::BirthdayPolicy;
use crate::engine::expiry::ExpiryPolicy;
use crate::error::AppResult;
use crate::gamification::streaks::StreakView;
use crate::ledger::Balance;
use crate::ledger::history::HistoryEntry;
use crate::ledger::posting::Posted;
use crate::programs::AnalyticsSettings;
use crate::programs::Program;
use crate::tiers::{self, TierView};

/// A UTC time as RFC 3339.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramView {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub point_name: String,
    /// Value of one point in `currency`, as a decimal string.
    pub point_value: String,
    /// Unknown members are enrolled by their first event.
    pub auto_enrol: bool,
    /// How points expire.
    pub expiry: ExpiryPolicy,
    /// The birthday reward, if any.
    pub birthday: Option<BirthdayPolicy>,
    /// Whether the program has a tier ladder (`/tiers`).
    pub has_tiers: bool,
    /// What the program costs, for the ROI in its analytics.
    pub analytics: Option<AnalyticsSettings>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Program> for ProgramView {
    fn from(p: Program) -> Self {
        ProgramView {
            slug: p.slug,
            name: p.name,
            time_zone: p.time_zone.name().to_owned(),
            currency: p.currency.code,
            point_name: p.point_name,
            point_value: p.point_value.to_string(),
            auto_enrol: p.auto_enrol,
            expiry: p.expiry,
            birthday: p.birthday,
            has_tiers: p.tiers.is_some(),
            analytics: p.analytics,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

/// A storefront key, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub scopes: Vec<String>,
    /// Requests per second the key may send; `null`: no limit.
    pub rate_limit: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyView {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
            rate_limit: row.rate_limit,
            created_at: utc(row.created_at),
            revoked_at: row.revoked_at.map(utc),
        }
    }
}

/// A bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// A member of a program.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub external_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub birthday: Option<NaiveDate>,
    /// The code this member gives to friends.
    pub referral_code: String,
    /// The external id of the member who referred this one.
    pub referred_by: Option<String>,
    pub status: String,
    pub enrolled_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    pub balance: Balance,
    /// The member's tier and progress to the next (programs with tiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<TierView>,
    /// The member's streaks (in the member's own view, `GET /v1/me`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaks: Option<Vec<StreakView>>,
}

impl MemberView {
    /// The view without the tier (for lists).
    pub fn new(member: MemberRow, referred_by: Option<String>) -> Self {
        MemberView {
            tier: None,
            streaks: None,
            balance: Balance::from(&member),
            external_id: member.external_id,
            email: member.email,
            name: member.name,
            birthday: member.birthday,
            referral_code: member.referral_code,
            referred_by,
            status: member.status.as_str().to_owned(),
            enrolled_at: utc(member.enrolled_at),
            updated_at: utc(member.updated_at),
            closed_at: member.closed_at.map(utc),
        }
    }

    /// The whole view of the member `external_id`, read in one statement.
    pub fn read(conn: &mut DbConnection, program: &Program, external_id: &str) -> AppResult<Self> {
        let calendar = tier_calendar(program);
        let found =
            crate::members::find_for_view(conn, program.id, external_id, calendar.as_ref())?;
        Ok(MemberView::of(program, found))
    }

    /// [`MemberView::read`] for a request made with a cached key: the key's state, read by
    /// the same statement, beside the view.
    pub fn read_by_key(
        conn: &mut DbConnection,
        program: &Program,
        external_id: &str,
        key_id: i64,
    ) -> AppResult<(KeyState, AppResult<Self>)> {
        let calendar = tier_calendar(program);
        let (state, found) = crate::members::find_for_view_by_key(
            conn,
            program.id,
            external_id,
            calendar.as_ref(),
            key_id,
        )?;
        Ok((state, found.map(|found| MemberView::of(program, found))))
    }

    /// The view of the member a member token names (without its streaks), and its program's
    /// configuration version, read with it: one statement. A view read with an older version
    /// of the program is to be read again with the program as it is now.
    pub fn read_own(
        conn: &mut DbConnection,
        program: &Program,
        member_id: i64,
    ) -> AppResult<(i64, Self)> {
        let calendar = tier_calendar(program);
        let found =
            crate::members::find_own_for_view(conn, program.id, member_id, calendar.as_ref())?;
        Ok((found.config_version, MemberView::of(program, found)))
    }

    fn of(program: &Program, found: MemberForView) -> Self {
        let tier = tiers::view_of(program, &found.member, &found.sums);
        MemberView {
            tier,
            ..MemberView::new(found.member, found.referrer)
        }
    }

    /// The whole view of a member already read: who referred it, its tier and progress.
    pub fn load(conn: &mut DbConnection, program: &Program, member: MemberRow) -> AppResult<Self> {
        let referred_by = member
            .referred_by
            .map(|id| members::external_id_of(conn, id))
            .transpose()?;
        let tier = tiers::view(conn, program, &member, crate::db::now_utc())?;
        Ok(MemberView {
            tier,
            ..MemberView::new(member, referred_by)
        })
    }
}

/// The program's tier calendar now, if it has tiers.
fn tier_calendar(program: &Program) -> Option<Calendar> {
    program
        .tiers
        .as_ref()
        .map(|policy| tiers::calendar(program, policy, crate::db::now_utc()))
}

/// One ledger entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: i64,
    #[schema(value_type = crate::ledger::EntryKind)]
    pub kind: String,
    /// Signed: positive adds points, negative takes them.
    pub points: i64,
    /// The member's balance (available + pending) after this entry.
    pub balance_after: i64,
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The entry this one reverses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverses_entry_id: Option<i64>,
    /// The API key that caused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<i64>,
    /// The admin who caused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_id: Option<i64>,
    /// The storefront's id of the event that caused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The rule, and its version, that produced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_version: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl From<HistoryEntry> for EntryView {
    fn from(h: HistoryEntry) -> Self {
        EntryView {
            event_id: h.event,
            rule: h.rule,
            ..EntryView::from(h.entry)
        }
    }
}

impl From<EntryRow> for EntryView {
    fn from(e: EntryRow) -> Self {
        EntryView {
            event_id: None,
            rule: None,
            rule_version: e.rule_version,
            id: e.id,
            kind: e.kind,
            points: e.points,
            balance_after: e.balance_after,
            reason: e.reason,
            order_id: e.order_id,
            reverses_entry_id: e.reverses_entry_id,
            api_key_id: e.api_key_id,
            admin_id: e.admin_id,
            created_at: utc(e.created_at),
        }
    }
}

/// Points moved: the entry written and the balance after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointsMovement {
    pub entry: EntryView,
    pub balance: Balance,
}

impl From<Posted> for PointsMovement {
    fn from(posted: Posted) -> Self {
        PointsMovement {
            balance: Balance::from(&posted.member),
            entry: EntryView::from(posted.entry),
        }
    }
}
