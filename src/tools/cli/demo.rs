//! `fidelio demo`: the two demo programs of PROGRAMS.md, with months of synthetic activity.

use chrono::{Duration, Months};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::db::models::admins;
use crate::db::{Db, DbConnection, now_utc};
use crate::engine::period;
use crate::rules::RuleCache;
use crate::tools::demo::simulate::{Simulation, Style};
use crate::tools::demo::{beauty, coffee, load};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Synthetic members per program.
    #[arg(long, default_value_t = 2000)]
    members: u64,
    /// Months of activity, up to today.
    #[arg(long, default_value_t = 6)]
    months: u32,
    /// Seed of the synthetic activity (the same seed gives the same members and events).
    #[arg(long, default_value_t = 7)]
    seed: u64,
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
        let now = now_utc();
        for slug in existing {
            load::archive(&mut conn, slug, now.and_utc().timestamp())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("moved the earlier `{slug}` aside (its ledger is kept)");
        }
        let admin_id = self.admin(&mut conn)?;
        let start = now
            .checked_sub_months(Months::new(self.months))
            .unwrap_or(now);
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
        let cache = RuleCache::default();
        let games = crate::gamification::GameCache::default();
        for (i, (config, style, extra)) in configs.into_iter().enumerate() {
            let (program, key) = load::configure(&mut conn, &config, &extra, admin_id, start)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "program `{}` ({}): API key {key}",
                program.slug, program.name
            );
            let first_day = period::local(program.time_zone, start).date();
            let days = (period::local(program.time_zone, now).date() - first_day).num_days();
            let progress = ProgressBar::new(u64::try_from(days).unwrap_or(0));
            progress.set_style(
                ProgressStyle::with_template("  {msg} [{bar:40}] {pos}/{len} days ({eta})")
                    .map_err(|e| anyhow::anyhow!(e))?
                    .progress_chars("=> "),
            );
            progress.set_message(program.slug.clone());
            let simulation = Simulation {
                program: &program,
                style,
                members: self.members,
                start: first_day,
                days,
                seed: self.seed + i as u64,
            };
            let done = simulation
                .run(&mut conn, &cache, &games, &progress)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            progress.finish_and_clear();
            println!(
                "  {} members, {} events, {} vouchers ({} used) over {days} days",
                done.members, done.events, done.vouchers, done.vouchers_used
            );
        }
        println!("see it: fidelio report, or sign in at /v1/auth/login and open /docs");
        Ok(())
    }

    fn bulk(&self, conn: &mut crate::db::DbConn, members: u64, entries: u64) -> anyhow::Result<()> {
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
    fn admin(&self, conn: &mut crate::db::DbConn) -> anyhow::Result<i64> {
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
