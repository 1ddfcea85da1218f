//! `fidelio verify`: recomputes every stored balance, lot and debt from the append-only
//! entries and links, and reports each difference.

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl, sql_query};

use crate::db::DbConnection;
use crate::error::AppResult;

/// How many differences of each check are listed (all are counted).
const SHOWN: i64 = 20;

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Report {
    pub members: i64,
    pub entries: i64,
    pub lots: i64,
    /// One line per difference found (at most `SHOWN` per check).
    pub differences: Vec<String>,
    /// Differences found in all, including those not listed.
    pub difference_count: i64,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.difference_count == 0
    }
}

/// The summary `fidelio verify` prints: what was checked, then each difference or `ok`.
impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "checked {} members, {} ledger entries, {} lots",
            self.members, self.entries, self.lots
        )?;
        if self.is_clean() {
            return write!(
                f,
                "ok: every balance, lot and debt equals what the ledger sums to, and every kept report total what it counts"
            );
        }
        for difference in &self.differences {
            writeln!(f, "DIFFERENCE {difference}")?;
        }
        write!(f, "{} differences found", self.difference_count)
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Difference {
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = BigInt)]
    stored: i64,
    #[diesel(sql_type = BigInt)]
    computed: i64,
}

/// One invariant: a query yielding `subject`, `stored` and `computed` for each row that breaks it.
struct Check {
    what: &'static str,
    rows: &'static str,
}

const CHECKS: &[Check] = &[
    Check {
        what: "balance (available - debt + pending) differs from the sum of the member's entries",
        rows: "SELECT 'member ' || m.external_id AS subject,
                      m.points_available - m.points_debt + m.points_pending AS stored,
                      CAST(COALESCE(SUM(e.points), 0) AS BIGINT) AS computed
               FROM members m LEFT JOIN ledger_entries e ON e.member_id = m.id
               GROUP BY m.id, m.external_id, m.points_available, m.points_debt, m.points_pending
               HAVING m.points_available - m.points_debt + m.points_pending <> COALESCE(SUM(e.points), 0)",
    },
    Check {
        what: "an entry's balance_after differs from the running sum of the member's entries",
        rows: "SELECT 'entry ' || CAST(id AS TEXT) AS subject, balance_after AS stored, running AS computed
               FROM (SELECT id, balance_after,
                            CAST(SUM(points) OVER (PARTITION BY member_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS BIGINT) AS running
                     FROM ledger_entries) t
               WHERE balance_after <> running",
    },
    Check {
        what: "available points differ from what the member's released lots hold",
        rows: "SELECT 'member ' || m.external_id AS subject, m.points_available AS stored,
                      CAST(COALESCE(SUM(l.remaining), 0) AS BIGINT) AS computed
               FROM members m LEFT JOIN lots l ON l.member_id = m.id AND l.pending = FALSE
               GROUP BY m.id, m.external_id, m.points_available
               HAVING m.points_available <> COALESCE(SUM(l.remaining), 0)",
    },
    Check {
        what: "pending points differ from what the member's pending lots hold",
        rows: "SELECT 'member ' || m.external_id AS subject, m.points_pending AS stored,
                      CAST(COALESCE(SUM(l.remaining), 0) AS BIGINT) AS computed
               FROM members m LEFT JOIN lots l ON l.member_id = m.id AND l.pending = TRUE
               GROUP BY m.id, m.external_id, m.points_pending
               HAVING m.points_pending <> COALESCE(SUM(l.remaining), 0)",
    },
    Check {
        what: "the member's debt differs from what its debts still lack",
        rows: "SELECT 'member ' || m.external_id AS subject, m.points_debt AS stored,
                      CAST(COALESCE(SUM(d.remaining), 0) AS BIGINT) AS computed
               FROM members m LEFT JOIN debts d ON d.member_id = m.id
               GROUP BY m.id, m.external_id, m.points_debt
               HAVING m.points_debt <> COALESCE(SUM(d.remaining), 0)",
    },
    Check {
        what: "a lot's remaining points differ from its points plus its links",
        rows: "SELECT 'lot ' || CAST(l.id AS TEXT) AS subject, l.remaining AS stored,
                      CAST(l.points + COALESCE(SUM(k.points), 0) AS BIGINT) AS computed
               FROM lots l LEFT JOIN lot_links k ON k.lot_id = l.id
               GROUP BY l.id, l.remaining, l.points
               HAVING l.remaining <> l.points + COALESCE(SUM(k.points), 0)",
    },
    Check {
        what: "a credit entry's points differ from the lot it created plus the points it gave back",
        rows: "SELECT 'entry ' || CAST(e.id AS TEXT) AS subject, e.points AS stored,
                      CAST(COALESCE((SELECT SUM(l.points) FROM lots l WHERE l.entry_id = e.id), 0)
                         + COALESCE((SELECT SUM(k.points) FROM lot_links k WHERE k.entry_id = e.id), 0) AS BIGINT) AS computed
               FROM ledger_entries e
               WHERE e.points > 0
                 AND e.points <> COALESCE((SELECT SUM(l.points) FROM lots l WHERE l.entry_id = e.id), 0)
                                + COALESCE((SELECT SUM(k.points) FROM lot_links k WHERE k.entry_id = e.id), 0)",
    },
    Check {
        what: "a debit entry's points differ from the lots it took plus the debt it still lacks",
        rows: "SELECT 'entry ' || CAST(e.id AS TEXT) AS subject, e.points AS stored,
                      CAST(COALESCE((SELECT SUM(k.points) FROM lot_links k WHERE k.entry_id = e.id), 0)
                         - COALESCE((SELECT d.remaining FROM debts d WHERE d.entry_id = e.id), 0) AS BIGINT) AS computed
               FROM ledger_entries e
               WHERE e.points < 0
                 AND e.points <> COALESCE((SELECT SUM(k.points) FROM lot_links k WHERE k.entry_id = e.id), 0)
                                - COALESCE((SELECT d.remaining FROM debts d WHERE d.entry_id = e.id), 0)",
    },
    Check {
        what: "lifetime earned differs from earn and adjust entries less reversed earnings",
        rows: "SELECT 'member ' || m.external_id AS subject, m.lifetime_earned AS stored,
                      CAST(COALESCE(SUM(e.points), 0) AS BIGINT) AS computed
               FROM members m LEFT JOIN ledger_entries e ON e.member_id = m.id
                    AND (e.kind IN ('earn', 'adjust') OR (e.kind = 'reverse' AND e.points < 0))
               GROUP BY m.id, m.external_id, m.lifetime_earned
               HAVING m.lifetime_earned <> COALESCE(SUM(e.points), 0)",
    },
    Check {
        what: "lifetime redeemed differs from redeem entries less cancelled redemptions",
        rows: "SELECT 'member ' || m.external_id AS subject, m.lifetime_redeemed AS stored,
                      CAST(-COALESCE(SUM(e.points), 0) AS BIGINT) AS computed
               FROM members m LEFT JOIN ledger_entries e ON e.member_id = m.id
                    AND (e.kind = 'redeem' OR (e.kind = 'reverse' AND e.points > 0))
               GROUP BY m.id, m.external_id, m.lifetime_redeemed
               HAVING m.lifetime_redeemed <> -COALESCE(SUM(e.points), 0)",
    },
    Check {
        what: "the open points kept by expiry differ from what the lots hold",
        rows: "SELECT 'program ' || CAST(program_id AS TEXT) || ', expiring ' || CAST(expires_at AS TEXT) AS subject,
                      CAST(SUM(stored) AS BIGINT) AS stored, CAST(SUM(computed) AS BIGINT) AS computed
               FROM (SELECT program_id, expires_at, points AS stored, 0 AS computed FROM open_points
                     UNION ALL
                     SELECT m.program_id, COALESCE(l.expires_at, '9999-12-31 00:00:00'), 0, l.remaining
                     FROM lots l JOIN members m ON m.id = l.member_id WHERE l.remaining > 0) kept
               GROUP BY program_id, expires_at
               HAVING SUM(stored) <> SUM(computed)",
    },
    Check {
        what: "a member's engagement rung differs from its referrals, reviews and purchases",
        rows: "SELECT 'member ' || external_id AS subject, CAST(stored AS BIGINT) AS stored, CAST(computed AS BIGINT) AS computed
               FROM (SELECT m.external_id,
                            CASE m.engagement WHEN 'advocate' THEN 4 WHEN 'contributor' THEN 3
                                 WHEN 'creator' THEN 2 WHEN 'consumer' THEN 1 ELSE 0 END AS stored,
                            CASE WHEN EXISTS (SELECT 1 FROM members r WHERE r.referred_by = m.id) THEN 4
                                 WHEN COALESCE(MAX(CASE WHEN c.event_type = 'review' THEN c.events END), 0) >= 5 THEN 3
                                 WHEN COALESCE(MAX(CASE WHEN c.event_type = 'review' THEN c.events END), 0) >= 1 THEN 2
                                 WHEN COALESCE(MAX(CASE WHEN c.event_type = 'purchase' THEN c.events END), 0) >= 1 THEN 1
                                 ELSE 0 END AS computed
                     FROM members m LEFT JOIN member_event_counts c ON c.member_id = m.id
                     GROUP BY m.id, m.external_id, m.engagement) rungs
               WHERE stored <> computed",
    },
    Check {
        what: "the members counted on an engagement rung differ from the open members on it",
        rows: "SELECT 'program ' || CAST(program_id AS TEXT) || ', rung ' || engagement AS subject,
                      CAST(SUM(stored) AS BIGINT) AS stored, CAST(SUM(computed) AS BIGINT) AS computed
               FROM (SELECT program_id, engagement, members AS stored, 0 AS computed FROM engagement_counts
                     UNION ALL
                     SELECT program_id, engagement, 0, 1 FROM members WHERE status <> 'closed') kept
               GROUP BY program_id, engagement
               HAVING SUM(stored) <> SUM(computed)",
    },
    Check {
        what: "the members counted per leaderboard score or block of scores differ from the scores",
        rows: "SELECT 'leaderboard ' || CAST(leaderboard_id AS TEXT) || ', period ' || period_key
                      || ', scores from ' || CAST(score_from AS TEXT) || ' (' || CAST(grain AS TEXT) || ' wide)' AS subject,
                      CAST(SUM(stored) AS BIGINT) AS stored, CAST(SUM(computed) AS BIGINT) AS computed
               FROM (SELECT leaderboard_id, period_key, grain, score_from, members AS stored, 0 AS computed
                     FROM leaderboard_score_counts
                     UNION ALL
                     SELECT leaderboard_id, period_key, 1, score, 0, 1 FROM leaderboard_scores
                     UNION ALL
                     SELECT leaderboard_id, period_key, 1024, score & -1024, 0, 1 FROM leaderboard_scores) kept
               GROUP BY leaderboard_id, period_key, grain, score_from
               HAVING SUM(stored) <> SUM(computed)",
    },
    Check {
        what: "an idempotency record of a points operation lacks its ledger entry",
        rows: "SELECT 'idempotency key ' || i.idempotency_key AS subject,
                      CAST(COALESCE(i.entry_id, 0) AS BIGINT) AS stored, CAST(0 AS BIGINT) AS computed
               FROM idempotency_keys i LEFT JOIN ledger_entries e ON e.id = i.entry_id
               WHERE i.status_code = 0
                  OR (i.operation LIKE 'points.%' AND e.id IS NULL)",
    },
];

/// Runs every check over the whole database.
pub fn run(conn: &mut DbConnection) -> AppResult<Report> {
    let count = |conn: &mut DbConnection, table: &str| -> AppResult<i64> {
        Ok(sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(conn)?
            .n)
    };
    let mut report = Report {
        members: count(conn, "members")?,
        entries: count(conn, "ledger_entries")?,
        lots: count(conn, "lots")?,
        ..Report::default()
    };
    for check in CHECKS {
        let found = sql_query(format!("SELECT COUNT(*) AS n FROM ({}) broken", check.rows))
            .get_result::<Count>(conn)?
            .n;
        if found == 0 {
            continue;
        }
        report.difference_count += found;
        let shown: Vec<Difference> =
            sql_query(format!("{} LIMIT {SHOWN}", check.rows)).load(conn)?;
        report.differences.extend(shown.into_iter().map(|d| {
            format!(
                "{}: {}; stored {}, computed {}",
                d.subject, check.what, d.stored, d.computed
            )
        }));
    }
    Ok(report)
}
