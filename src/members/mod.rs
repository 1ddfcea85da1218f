//! Members: enrolment, profile changes, suspension and closing, finding them, and moving
//! their points by hand.

mod balance_change;
pub mod points;
mod referral_code;

pub use balance_change::BalanceChange;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::OptionalExtension;
use diesel::result::DatabaseErrorKind;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::audit::Audited;
use crate::db::DbConnection;
use crate::db::models::api_keys::{self, KeyState};
use crate::db::models::ledger as ledger_rows;
use crate::db::models::members::{
    self as rows, MemberFilter, MemberForView, MemberRef, MemberRow, NewMember, ProfileChanges,
};
use crate::db::models::stats::{self, Delta};
use crate::db::models::tiers::Calendar;
use crate::domain::{self, Invalid, MemberStatus, Points};
use crate::engine::birthday::month_day;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::EntryKind;
use crate::ledger::posting::{self, Cause, TakeBack};

/// A customer to enrol.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolMember {
    /// The storefront's own id for the customer; unique in the program.
    pub external_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<NaiveDate>,
    /// The referral code of the member who referred this one.
    pub referral_code: Option<String>,
}

/// Profile changes: absent fields stay, `null` clears. `status` moves between `active` and
/// `suspended`; closing has its own route.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[serde(default, deserialize_with = "crate::json::present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::json::present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::json::present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub birthday: Option<Option<NaiveDate>>,
    pub status: Option<MemberStatus>,
}

fn birthday(value: NaiveDate, today: NaiveDate) -> AppResult<NaiveDate> {
    if value > today || value.year() < 1900 {
        return Err(AppError::invalid(
            "birthday",
            "birthday: must be a past date after 1900",
        ));
    }
    Ok(value)
}

fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    value.map(|v| domain::text(field, v, max)).transpose()
}

/// Enrols a customer; 409 `member-exists` if the external id is taken in the program.
pub fn enrol(
    tx: &mut DbConnection,
    program_id: i64,
    input: &EnrolMember,
    now: NaiveDateTime,
) -> AppResult<MemberRow> {
    let external_id = domain::external_id(&input.external_id)?;
    let email = input
        .email
        .as_deref()
        .map(|e| domain::email("email", e))
        .transpose()?;
    let name = optional_text("name", input.name.as_deref(), 200)?;
    let birthday = input
        .birthday
        .map(|b| birthday(b, now.date()))
        .transpose()?;
    let exists = || {
        AppError::conflict(
            ErrorCode::MemberExists,
            format!("external_id: a member `{external_id}` exists in this program"),
        )
    };
    if rows::find_by_external_id(tx, program_id, &external_id)?.is_some() {
        return Err(exists());
    }
    let referred_by = match input.referral_code.as_deref() {
        Some(code) => Some(referrer(tx, program_id, code, email.as_deref())?),
        None => None,
    };
    let referral_code = referral_code::unused(tx, program_id)?;
    let row = rows::insert(
        tx,
        &NewMember {
            program_id,
            external_id: &external_id,
            email: email.as_deref(),
            name: name.as_deref(),
            birthday,
            referral_code: &referral_code,
            referred_by,
            status: MemberStatus::Active.as_str(),
            enrolled_at: now,
            updated_at: now,
            birthday_md: birthday.map(month_day),
        },
    )
    // Two enrolments of one id at once both pass the look-up above on PostgreSQL; the
    // second is stopped by the unique index.
    .map_err(|e| match &e {
        diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.message().contains("external_id") =>
        {
            exists()
        }
        _ => e.into(),
    })?;
    stats::add(
        tx,
        program_id,
        now,
        &Delta {
            enrolments: 1,
            ..Delta::default()
        },
    )?;
    Ok(row)
}

fn referrer(
    tx: &mut DbConnection,
    program_id: i64,
    code: &str,
    email: Option<&str>,
) -> AppResult<i64> {
    let code = code.trim().to_ascii_uppercase();
    let referrer = rows::find_by_referral_code(tx, program_id, &code)?
        .filter(|m| !m.status.is_closed())
        .ok_or_else(|| {
            AppError::invalid(
                "referral_code",
                format!("referral_code: no member has the code `{code}`"),
            )
        })?;
    if email.is_some() && referrer.email.as_deref() == email {
        return Err(AppError::invalid(
            "referral_code",
            "referral_code: a member cannot refer themselves",
        ));
    }
    Ok(referrer.id)
}

/// The open member with referral `code` who may refer `member`: not the member itself, nor a
/// member with the same email.
pub fn referrer_by_code(
    tx: &mut DbConnection,
    member: &MemberRow,
    code: &str,
) -> AppResult<Option<MemberRow>> {
    let code = code.trim().to_ascii_uppercase();
    let same_email = |other: &MemberRow| {
        member.email.is_some() && other.email.as_deref() == member.email.as_deref()
    };
    Ok(rows::find_by_referral_code(tx, member.program_id, &code)?
        .filter(|m| !m.status.is_closed())
        .filter(|m| m.id != member.id && !same_email(m)))
}

/// Links a member to its referrer, dated by the event that made the link.
pub fn link_referrer(
    tx: &mut DbConnection,
    member_id: i64,
    referrer_id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let changes = ProfileChanges {
        referred_by: Some(Some(referrer_id)),
        updated_at: Some(now),
        ..ProfileChanges::default()
    };
    rows::update_profile(tx, member_id, &changes)?;
    Ok(())
}

/// The program's member with this external id, or 404.
pub fn require(
    conn: &mut DbConnection,
    program_id: i64,
    external_id: &str,
) -> AppResult<MemberRow> {
    rows::find_by_external_id(conn, program_id, external_id)?.ok_or_else(|| not_found(external_id))
}

/// A member with its referrer's external id and, given the program's tier [`Calendar`] now,
/// its tier sums: one statement.
pub fn find_for_view(
    conn: &mut DbConnection,
    program_id: i64,
    external_id: &str,
    calendar: Option<&Calendar>,
) -> AppResult<MemberForView> {
    rows::find_for_view(
        conn,
        program_id,
        MemberRef::External(external_id),
        calendar,
        None,
    )?
    .ok_or_else(|| not_found(external_id))
}

/// [`find_for_view`] for a request made with a cached storefront key: the key's state, read
/// by the same statement (or by a second one when there is no such member), and the member.
pub fn find_for_view_by_key(
    conn: &mut DbConnection,
    program_id: i64,
    external_id: &str,
    calendar: Option<&Calendar>,
    key_id: i64,
) -> AppResult<(KeyState, AppResult<MemberForView>)> {
    let found = rows::find_for_view(
        conn,
        program_id,
        MemberRef::External(external_id),
        calendar,
        Some(key_id),
    )?;
    let state = match &found {
        Some(MemberForView {
            key: Some((scopes, rate_limit)),
            config_version,
            ..
        }) => KeyState {
            scopes: scopes.clone(),
            rate_limit: *rate_limit,
            config_version: *config_version,
        },
        _ => api_keys::state(conn, key_id)?,
    };
    Ok((state, found.ok_or_else(|| not_found(external_id))))
}

/// [`find_for_view`] for the member a member token names, unless closed: one statement.
pub fn find_own_for_view(
    conn: &mut DbConnection,
    program_id: i64,
    member_id: i64,
    calendar: Option<&Calendar>,
) -> AppResult<MemberForView> {
    rows::find_for_view(conn, program_id, MemberRef::Id(member_id), calendar, None)?
        .filter(|found| !found.member.status.is_closed())
        .ok_or_else(closed_or_gone)
}

fn not_found(external_id: &str) -> AppError {
    AppError::not_found(format!("no member `{external_id}` in this program"))
}

fn closed_or_gone() -> AppError {
    AppError::Unauthorized("this member's account is closed or does not exist".into())
}

/// The member a member token names, unless closed.
pub fn require_own(
    conn: &mut DbConnection,
    program_id: i64,
    member_id: i64,
) -> AppResult<MemberRow> {
    // A token outlives its member's erasure: then it opens nothing.
    rows::find(conn, member_id)
        .optional()?
        .filter(|member| member.program_id == program_id && !member.status.is_closed())
        .ok_or_else(closed_or_gone)
}

/// Changes a member's profile or status (active or suspended).
pub fn update(
    tx: &mut DbConnection,
    program_id: i64,
    external_id: &str,
    input: &UpdateMember,
    now: NaiveDateTime,
) -> AppResult<MemberRow> {
    let member = require(tx, program_id, external_id)?;
    member.status.check_open()?;
    if input.status == Some(MemberStatus::Closed) {
        return Err(AppError::invalid(
            "status",
            "status: close a member with POST .../close",
        ));
    }
    let email = match &input.email {
        Some(Some(e)) => Some(Some(domain::email("email", e)?)),
        Some(None) => Some(None),
        None => None,
    };
    let name = match &input.name {
        Some(Some(n)) => Some(Some(domain::text("name", n, 200)?)),
        Some(None) => Some(None),
        None => None,
    };
    let birthday = match input.birthday {
        Some(Some(b)) => Some(Some(birthday(b, now.date())?)),
        other => other,
    };
    let changes = ProfileChanges {
        email: email.as_ref().map(|e| e.as_deref()),
        name: name.as_ref().map(|n| n.as_deref()),
        birthday,
        birthday_md: birthday.map(|b| b.map(month_day)),
        referred_by: None,
        status: input.status.map(MemberStatus::as_str),
        closed_at: None,
        updated_at: Some(now),
    };
    Ok(rows::update_profile(tx, member.id, &changes)?)
}

/// Closes a member: erases email, name and birthday, forfeits the remaining points with one
/// `expire` entry, and keeps the ledger. Closing twice changes nothing.
pub fn close(
    tx: &mut DbConnection,
    program_id: i64,
    external_id: &str,
    cause: Cause,
    now: NaiveDateTime,
) -> AppResult<MemberRow> {
    let found = require(tx, program_id, external_id)?;
    let member = rows::lock(tx, found.id)?;
    if member.status.is_closed() {
        return Ok(member);
    }
    let held = member.points_available + member.points_pending;
    let member = if held > 0 {
        let lots = ledger_rows::open_lots(tx, member.id)?
            .into_iter()
            .map(|lot| lot.id)
            .collect();
        let take = TakeBack {
            kind: EntryKind::Expire,
            points: Points(held),
            lots_first: lots,
            only_given_lots: true,
            allow_debt: false,
            cause: Cause {
                reason: Some("account closed".into()),
                ..cause
            },
        };
        posting::take_back(tx, &member, &take, now)?.member
    } else {
        member
    };
    let changes = ProfileChanges {
        email: Some(None),
        name: Some(None),
        birthday: Some(None),
        birthday_md: Some(None),
        referred_by: None,
        status: Some(MemberStatus::Closed.as_str()),
        closed_at: Some(Some(now)),
        updated_at: Some(now),
    };
    Ok(rows::update_profile(tx, member.id, &changes)?)
}

/// A page of the program's members matching the filter.
pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    filter: &MemberFilter<'_>,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<MemberRow>> {
    Ok(rows::list(conn, program_id, filter, after, limit)?)
}

/// A member's standing as the audit log keeps it: no personal data.
impl Audited for MemberRow {
    fn subject(&self) -> String {
        self.external_id.clone()
    }

    fn state(&self) -> AppResult<Value> {
        Ok(json!({
            "status": self.status.as_str(),
            "tier": self.tier,
            "tier_held_until": self.tier_held_until,
            "points_available": self.points_available,
            "points_pending": self.points_pending,
            "points_debt": self.points_debt,
        }))
    }
}
