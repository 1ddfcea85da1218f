//! `fidelio demo`: the two demo programs of PROGRAMS.md, with months of synthetic activity.

use chrono::{Duration, Months, NaiveDateTime};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::db::models::admins;
use crate::db::{Db, DbConn, DbConnection, now_utc};
use crate::engine::period;
use crate::programs::Program;
use crate::rules::RuleCache;
use crate::tools::demo::actions::Actions;
use crate::tools::demo::simulate::{Simulation, Style};
use crate::tools::demo::{beauty, coffee, load, timeline};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Synthetic members per program. The default is a first look in seconds; `--members 2000
    /// --months 12` is the larger data set (minutes).
    #[arg(long, default_value_t = 50)]
    members: u64,
    /// Months of activity, up to --now.
    #[arg(long, default_value_t = 3)]
    months: u32,
    /// Seed of the synthetic activity: the same seed and --now give the same members, events
    /// and ledger.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The simulated present (RFC 3339): activity runs until the day before, and the data is
    /// as the service would hold it at this time. Default: now.
    #[arg(long)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// Move existing demo programs aside (`coffee-archived-<time>`; their ledgers are kept)
    /// and load fresh ones.
    #[arg(long)]
    reset: bool,
    /// The demo admin's email.
    #[arg(long, default_value = "demo@fidelio.example")]
    admin_email: String,
    /// Instead of the two demo programs, write a program `bulk` (coffee's configuration,
    /// points that never expire) with this many members, in bulk, to measure at scale.
    #[arg(long, requires = "bulk_entries")]
    bulk_members: Option<u64>,
    /// The ledger entries of `--bulk-members` (about; spread evenly over the members).
    #[arg(long, requires = "bulk_members")]
    bulk_entries: Option<u64>,
}

const PROGRAMS: [&str; 2] = ["coffee", "beauty"];

impl DemoArgs {
    pub fn run(self, db: &Db) -> anyhow::Result<()> {
        let mut conn = db.get()?;
        if let crate::db::DbConnection::Sqlite(_) = &**conn {
            // Synthetic data need not survive a power cut; this loads it several times faster.
            diesel::connection::SimpleConnection::batch_execute(
                &mut **conn,
                "PRAGMA synchronous = NORMAL",
            )?;
        }
        if let (Some(members), Some(entries)) = (self.bulk_members, self.bulk_entries) {
            return self.bulk(&mut conn, members, entries);
        }
        let mut existing = Vec::new();
        for slug in PROGRAMS {
            if crate::db::models::programs::find_by_slug(&mut conn, slug)?.is_some() {
                existing.push(slug);
            }
        }
        if !existing.is_empty() && !self.reset {
            println!(
                "the demo programs exist ({}); nothing changed. Run `fidelio demo --reset` to load fresh ones.",
                existing.join(", ")
            );
            return Ok(());
        }
        for slug in existing {
            // The time it was moved aside, on the clock: two resets at one --now must not clash.
            load::archive(&mut conn, slug, now_utc().and_utc().timestamp())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("moved the earlier `{slug}` aside (its ledger is kept)");
        }
        let admin_id = self.admin(&mut conn)?;
        let now = self.now.map_or_else(now_utc, |t| t.naive_utc());
        let start = now
            .checked_sub_months(Months::new(self.months))
            .unwrap_or(now);
        let programs = Self::configure(&mut conn, admin_id, now, start)?;
        self.simulate(&mut conn, &programs, now, start)?;
        println!("see it: fidelio report, or sign in at /v1/auth/login and open /docs");
        Ok(())
    }

    /// Creates both programs, as of a day before the first simulated day begins in any time
    /// zone, with a Double Star Day two weeks before `now`.
    fn configure(
        conn: &mut DbConn,
        admin_id: i64,
        now: NaiveDateTime,
        start: NaiveDateTime,
    ) -> anyhow::Result<Vec<(Program, Style)>> {
        let double_star_day = period::local(chrono_tz::America::New_York, now - Duration::days(14))
            .date()
            .to_string();
        let configs = [
            (
                coffee::config(),
                Style::Coffee,
                vec![coffee::double_star_day(&double_star_day)],
            ),
            (beauty::config(), Style::Beauty, Vec::new()),
        ];
        let configured_at = start - Duration::days(1);
        let mut programs = Vec::new();
        for (config, style, extra) in configs {
            let (program, key) = load::configure(conn, &config, &extra, admin_id, configured_at)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "program `{}` ({}): API key {key}",
                program.slug, program.name
            );
            programs.push((program, style));
        }
        Ok(programs)
    }

    /// The programs' activity from `start` to the day before `now`, and a tick at `now`.
    fn simulate(
        &self,
        conn: &mut DbConn,
        programs: &[(Program, Style)],
        now: NaiveDateTime,
        start: NaiveDateTime,
    ) -> anyhow::Result<()> {
        let cache = RuleCache::default();
        let games = crate::gamification::GameCache::default();
        let mut simulations: Vec<Simulation> = programs
            .iter()
            .zip(0..)
            .map(|((program, style), i)| {
                let first_day = period::local(program.time_zone, start).date();
                let days = (period::local(program.time_zone, now).date() - first_day).num_days();
                let actions = Actions {
                    program,
                    cache: &cache,
                    games: &games,
                };
                let seed = self.seed.wrapping_add(i);
                Simulation::new(actions, *style, self.members, first_day, days, seed)
            })
            .collect();
        let dates = timeline::dates(&simulations);
        let progress = ProgressBar::new(dates.len() as u64);
        progress.set_style(
            ProgressStyle::with_template("  simulating [{bar:40}] {pos}/{len} days ({eta})")
                .map_err(|e| anyhow::anyhow!(e))?
                .progress_chars("=> "),
        );
        timeline::run(conn, &mut simulations, now, &progress)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        progress.finish_and_clear();
        for simulation in &simulations {
            let done = simulation.done();
            println!(
                "  {}: {} members, {} events, {} vouchers ({} used)",
                simulation.program().slug,
                done.members,
                done.events,
                done.vouchers,
                done.vouchers_used
            );
        }
        if let (Some(first), Some(last)) = (dates.first(), dates.last()) {
            println!(
                "simulated {first} to {last} (program time); the data is as of {}",
                now.and_utc().to_rfc3339()
            );
        }
        Ok(())
    }

    fn bulk(&self, conn: &mut DbConn, members: u64, entries: u64) -> anyhow::Result<()> {
        if crate::db::models::programs::find_by_slug(conn, "bulk")?.is_some() {
            if !self.reset {
                println!(
                    "the program `bulk` exists; nothing changed. Add --reset to write a fresh one."
                );
                return Ok(());
            }
            load::archive(conn, "bulk", now_utc().and_utc().timestamp())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let admin_id = self.admin(conn)?;
        let mut config = coffee::config();
        config.program["slug"] = serde_json::json!("bulk");
        config.program["name"] = serde_json::json!("Bulk (coffee configuration)");
        config.program["expiry"] = serde_json::json!({"type": "never"});
        let now = now_utc();
        let (program, key) = load::configure(conn, &config, &[], admin_id, now)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("program `bulk`: API key {key}");
        let progress = ProgressBar::new(members);
        progress.set_style(
            ProgressStyle::with_template("  members [{bar:40}] {pos}/{len} ({eta})")
                .map_err(|e| anyhow::anyhow!(e))?
                .progress_chars("=> "),
        );
        let written = crate::tools::demo::bulk::generate(
            conn, &program, members, entries, self.seed, now, &progress,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        progress.finish_and_clear();
        println!(
            "  {} members, {} ledger entries, {} lots written",
            written.members, written.entries, written.lots
        );
        Ok(())
    }

    /// The demo admin; created with a random password printed once.
    fn admin(&self, conn: &mut DbConn) -> anyhow::Result<i64> {
        let inner: &mut DbConnection = conn;
        if let Some(admin) = admins::find_by_email(inner, &self.admin_email)? {
            println!("admin {} exists (its password is unchanged)", admin.email);
            return Ok(admin.id);
        }
        let password: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(16)
            .map(char::from)
            .collect();
        let admin = crate::admins::create(conn, &self.admin_email, &password)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("admin login: {} / {password}", admin.email);
        Ok(admin.id)
    }
}
