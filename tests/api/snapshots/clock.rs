//! The windows that contain the wall clock (this week in New York, this month in Los Angeles):
//! views of challenges and leaderboards show them, so snapshots name them with placeholders.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::{Los_Angeles, New_York};
use chrono_tz::Tz;

/// A calendar window as the service reports it: its key and its bounds.
pub struct Window {
    pub key: String,
    /// The first day, as streaks name the period they last counted.
    pub first_day: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

fn midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The coffee program's current week (Monday to Sunday, New York).
pub fn this_week_in_new_york(now: DateTime<Utc>) -> Window {
    let today = now.with_timezone(&New_York).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let week = today.iso_week();
    Window {
        key: format!("{}-W{:02}", week.year(), week.week()),
        first_day: monday,
        starts_at: midnight(New_York, monday),
        ends_at: midnight(New_York, monday + Duration::days(7)),
    }
}

/// The beauty program's current month (Los Angeles).
pub fn this_month_in_los_angeles(now: DateTime<Utc>) -> Window {
    let today = now.with_timezone(&Los_Angeles).date_naive();
    let first = today.with_day(1).unwrap();
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap();
    Window {
        key: first.format("%Y-%m").to_string(),
        first_day: first,
        starts_at: midnight(Los_Angeles, first),
        ends_at: midnight(Los_Angeles, next),
    }
}

/// Waits while a window containing the wall clock is about to end, so that a scenario's live
/// steps fall in one week and one month.
pub async fn keep_clear_of_window_ends() {
    let now = Utc::now();
    let ends = [
        this_week_in_new_york(now).ends_at,
        this_month_in_los_angeles(now).ends_at,
    ];
    if let Some(end) = ends
        .into_iter()
        .find(|end| *end - now < Duration::minutes(2))
    {
        let wait = (end - now + Duration::seconds(2)).to_std().unwrap();
        tokio::time::sleep(wait).await;
    }
}
