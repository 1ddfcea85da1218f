//! Birthday rewards: granted once a year on the member's birthday in program time (or within
//! a few days, if the runs missed it). The grant is kept; the rewards catalogue turns it into
//! a voucher.

use chrono::{Datelike, Duration, NaiveDateTime};

use super::TickReport;
use crate::db::models::jobs as job_rows;
use crate::db::{DbConn, is_unique_violation, write_tx};
use crate::engine::birthday::{GRACE_DAYS, birthday_in, celebrated_on};
use crate::engine::period;
use crate::error::AppResult;
use crate::programs::Program;

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
            let valid_until = policy.valid_until(tz, birthday, tier.as_deref());
            let granted = write_tx(conn, |tx| {
                job_rows::grant_birthday(
                    tx,
                    member_id,
                    day.year(),
                    &policy.reward,
                    valid_until,
                    now,
                )
            });
            match granted {
                Ok(true) => report.birthday_grants += 1,
                Ok(false) => {}
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
