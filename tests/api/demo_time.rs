//! `fidelio demo --now`: the demo is a function of its seed and its simulated present, and is
//! clean at awkward ones: midnights, month ends, a leap day and the daylight-saving changes of
//! both programs' time zones (America/New_York and America/Los_Angeles, PROGRAMS.md).

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl, sql_query};

use crate::demo::fidelio;
use crate::helpers::TestDatabase;

/// Runs the binary off the async threads.
async fn run(url: &str, args: &[&str]) -> (bool, String) {
    let (url, args) = (
        url.to_owned(),
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    );
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fidelio(&url, &args)
    })
    .await
    .unwrap()
}

/// A small demo as of `now`; asserts it ran, what it covered, that the ledger verifies, and
/// that the data is complete as of `now`: a tick then finds nothing due.
async fn demo_is_clean_at(now: &str, last_day: &str) {
    let database = TestDatabase::create();
    let url = &database.url;
    let (ok, out) = run(
        url,
        &["demo", "--members", "8", "--months", "1", "--now", now],
    )
    .await;
    assert!(ok, "{out}");
    for program in ["coffee", "beauty"] {
        assert!(out.contains(&format!("{program}: 8 members")), "{out}");
    }
    assert!(
        out.contains(&format!(" to {last_day} (program time)")),
        "the last simulated day is the day before --now: {out}"
    );

    let (ok, verified) = run(url, &["verify"]).await;
    assert!(ok && verified.contains("ok: every balance"), "{verified}");

    let (ok, ticked) = run(url, &["tick", "--now", now]).await;
    assert!(ok, "{ticked}");
    let report: serde_json::Value = serde_json::from_str(
        ticked
            .split_once(": ")
            .map(|(_, json)| json.trim())
            .unwrap_or_default(),
    )
    .unwrap_or_else(|_| panic!("a tick report: {ticked}"));
    for (what, value) in report.as_object().unwrap() {
        let idle = value == &serde_json::json!(0) || value == &serde_json::json!(false);
        assert!(
            idle,
            "nothing is due at --now, but {what} = {value}: {ticked}"
        );
    }
}

#[tokio::test]
async fn the_demo_is_clean_just_before_a_utc_midnight_at_the_end_of_january() {
    demo_is_clean_at("2026-01-31T23:59:30Z", "2026-01-30").await;
}

#[tokio::test]
async fn the_demo_is_clean_at_the_last_second_of_february() {
    demo_is_clean_at("2026-02-28T23:59:59Z", "2026-02-27").await;
}

#[tokio::test]
async fn the_demo_is_clean_at_new_york_midnight_on_new_years_day() {
    // Coffee's year ends here; in Los Angeles it is still 31 December, 21:00.
    demo_is_clean_at("2026-01-01T05:00:00Z", "2025-12-31").await;
}

#[tokio::test]
async fn the_demo_is_clean_at_los_angeles_midnight_after_a_leap_day() {
    demo_is_clean_at("2028-03-01T08:00:00Z", "2028-02-29").await;
}

#[tokio::test]
async fn the_demo_is_clean_when_new_york_springs_forward() {
    // 03:00 EDT, the first instant after 01:59:59 EST; in Los Angeles 23:00 the evening before.
    demo_is_clean_at("2026-03-08T07:00:00Z", "2026-03-07").await;
}

#[tokio::test]
async fn the_demo_is_clean_after_the_23_hour_day_in_both_zones() {
    demo_is_clean_at("2026-03-09T07:00:00Z", "2026-03-08").await;
}

#[tokio::test]
async fn the_demo_is_clean_in_new_yorks_repeated_hour() {
    // 01:30 EDT, the first of the two; in Los Angeles 23:30 the evening before.
    demo_is_clean_at("2026-11-01T05:30:00Z", "2026-10-31").await;
}

#[tokio::test]
async fn the_demo_is_clean_after_the_25_hour_day_in_both_zones() {
    demo_is_clean_at("2026-11-02T08:00:00Z", "2026-11-01").await;
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Sum {
    #[diesel(sql_type = Text)]
    what: String,
    #[diesel(sql_type = BigInt)]
    rows: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// Ledger entries, members and vouchers by program and kind: counts and sums.
fn sums(database: &TestDatabase) -> Vec<Sum> {
    let db = database.open();
    let mut conn = db.get().unwrap();
    sql_query(
        "SELECT p.slug || ' ' || e.kind AS what, CAST(COUNT(*) AS BIGINT) AS rows,
                CAST(SUM(e.points) AS BIGINT) AS total
           FROM ledger_entries e JOIN programs p ON p.id = e.program_id
          GROUP BY p.slug, e.kind
         UNION ALL
         SELECT p.slug || ' members ' || m.status, CAST(COUNT(*) AS BIGINT),
                CAST(SUM(m.points_available + m.lifetime_earned) AS BIGINT)
           FROM members m JOIN programs p ON p.id = m.program_id
          GROUP BY p.slug, m.status
         UNION ALL
         SELECT p.slug || ' vouchers ' || r.status, CAST(COUNT(*) AS BIGINT),
                CAST(SUM(r.points_spent) AS BIGINT)
           FROM redemptions r JOIN programs p ON p.id = r.program_id
          GROUP BY p.slug, r.status
          ORDER BY 1",
    )
    .load(&mut **conn)
    .unwrap()
}

#[tokio::test]
async fn the_same_seed_and_now_give_the_same_data_on_two_fresh_databases() {
    let now = "2026-06-15T16:00:00Z";
    let demo = [
        "demo",
        "--members",
        "12",
        "--months",
        "2",
        "--seed",
        "41",
        "--now",
        now,
    ];
    let report = [
        "report",
        "--from",
        "2026-04-01",
        "--to",
        "2026-06-14",
        "--now",
        now,
    ];
    let mut seen = Vec::new();
    for _ in 0..2 {
        let database = TestDatabase::create();
        let (ok, out) = run(&database.url, &demo).await;
        assert!(ok, "{out}");
        // The admin's password and the API keys are secrets, random on purpose.
        let simulated: Vec<String> = out
            .lines()
            .filter(|l| !l.contains("admin login") && !l.contains("API key"))
            .map(str::to_owned)
            .collect();
        let (ok, report) = run(&database.url, &report).await;
        assert!(ok, "{report}");
        seen.push((simulated, report, sums(&database)));
    }
    let (simulated, report, sums) = &seen[0];
    assert!(
        sums.iter()
            .any(|s| s.what == "coffee earn" && s.rows > 0 && s.total > 0),
        "the demo earned points: {sums:?}"
    );
    assert!(
        report.contains("Coffee Rewards") && report.contains("Beauty Club"),
        "{report}"
    );
    assert_eq!(&seen[1].0, simulated, "the demo's own summary");
    assert_eq!(&seen[1].1, report, "fidelio report as of --now");
    assert_eq!(&seen[1].2, sums, "ledger, members and vouchers");
}
