//! Birthday rewards: granted once a year on the member's birthday in program time (or within
//! a few days, if the runs missed it). The grant is kept; the rewards catalogue turns it into
//! a voucher.

use chrono::{Datelike, Duration, NaiveDateTime};

use super::TickReport;
use crate::db::DbConnection;
use crate::db::models::jobs as job_rows;
use crate::db::models::members;
use crate::db::{DbConn, is_unique_violation, write_tx};
use crate::engine::birthday::{GRACE_DAYS, birthday_in, celebrated_on};
use crate::engine::period;
use crate::error::{AppError, AppResult};
use crate::programs::Program;
use crate::rewards::{
    self,
    redeem::{Gift, Source},
};

pub fn grant(
    conn: &mut DbConn,
    program: &Program,
    now: NaiveDateTime,
    report: &mut TickReport,
) -> AppResult<()> {
    let Some(policy) = &program.birthday else {
        return Ok(());
    };
    let tz = program.time_zone;
    let today = period::local(tz, now).date();
    for back in 0..=GRACE_DAYS {
        let day = today - Duration::days(back);
        let days = celebrated_on(day);
        let end_of_day = period::start_of_day(tz, day + Duration::days(1));
        for (member_id, birthday, tier) in
            job_rows::birthdays_due(conn, program.id, &days, day.year(), end_of_day)?
        {
            let Some(birthday) = birthday.and_then(|b| birthday_in(day.year(), b)) else {
                continue;
            };
            if birthday != day {
                continue;
            }
            // Counted from the day of the grant: a run that missed the birthday would otherwise
            // give a voucher that expired before it was issued.
            let valid_until = policy.valid_until(tz, today, tier.as_deref());
            let granted = write_tx(conn, |tx| {
                let year = day.year();
                let reward = &policy.reward;
                let Some(grant) =
                    job_rows::grant_birthday(tx, member_id, year, reward, valid_until, now)?
                else {
                    return Ok(false);
                };
                issue_voucher(tx, program, member_id, grant, valid_until, now)?;
                Ok::<_, AppError>(true)
            });
            match granted {
                Ok(true) => report.birthday_grants += 1,
                Ok(false) => {}
                // Another run granted it first.
                Err(AppError::Internal(cause))
                    if cause
                        .downcast_ref::<diesel::result::Error>()
                        .is_some_and(is_unique_violation) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Turns a grant into a voucher of the program's birthday reward. A program whose birthday
/// reward is missing from the catalogue (or out of stock) keeps the grant without one.
fn issue_voucher(
    tx: &mut DbConnection,
    program: &Program,
    member_id: i64,
    grant: i64,
    valid_until: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<()> {
    let Some(policy) = &program.birthday else {
        return Ok(());
    };
    let member = members::find(tx, member_id)?;
    let gift = rewards::redeem::gift_named(
        tx,
        program,
        &member,
        &policy.reward,
        Source::Birthday,
        Some(valid_until),
        now,
    )?;
    if let Gift::Missing = gift {
        tracing::warn!(program = %program.slug, reward = %policy.reward, "the birthday reward is not in the catalogue");
    }
    if let Gift::Issued(voucher) = gift {
        let redemption = crate::db::models::rewards::find_redemption(tx, program.id, &voucher.id)?
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("a voucher just issued is missing"))
            })?;
        job_rows::link_birthday_voucher(tx, grant, redemption.id)?;
    }
    Ok(())
}
