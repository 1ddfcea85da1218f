//! Setting up over HTTP, as any client would: sign in as an admin, create a fresh program,
//! issue a storefront key, enrol members and give each a starting balance. Scenarios seed
//! what else they need through the same [`Seeder`].

use std::ops::Range;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::bail;
use reqwest::{Client, StatusCode};
use serde_json::json;

use super::book::{Book, START_BALANCE};
use super::client::{Admin, Outcome, Storefront};
use super::pool;

/// Attempts at finding a free program slug.
const SLUG_ATTEMPTS: u32 = 10;

/// Builds the bench's program; scenarios add their members to it before the runs.
pub struct Seeder {
    /// The signed-in admin, for scenarios that configure the program.
    pub admin: Admin,
    /// The program's slug (`bench-<unix seconds>`).
    pub program: String,
    pub store: Storefront,
    workers: usize,
    members: Vec<String>,
    crowd: Range<usize>,
}

impl Seeder {
    /// Signs in, creates a fresh program and issues a key with every scope.
    pub async fn begin(
        http: Client,
        base: &str,
        email: &str,
        password: &str,
        workers: usize,
    ) -> anyhow::Result<Seeder> {
        let admin = Admin::login(http.clone(), base, email, password).await?;
        let program = create_program(&admin).await?;
        let key = admin.issue_key(&program).await?;
        Ok(Seeder {
            admin,
            program,
            store: Storefront::new(http, base, key),
            workers,
            members: Vec::new(),
            crowd: 0..0,
        })
    }

    /// Enrols these members and gives each [`START_BALANCE`] points, `workers` at a time, with
    /// a progress bar. Returns their numbers in the fixture.
    pub async fn enrol_funded(
        &mut self,
        external_ids: Vec<String>,
        label: &str,
    ) -> anyhow::Result<Range<usize>> {
        let ids = Arc::new(external_ids);
        let (store, shared) = (self.store.clone(), ids.clone());
        pool::for_each(ids.len(), self.workers, label, move |i| {
            let (store, ids) = (store.clone(), shared.clone());
            async move { enrol_one(&store, &ids[i]).await }
        })
        .await?;
        let first = self.members.len();
        self.members.extend(ids.iter().cloned());
        Ok(first..self.members.len())
    }

    /// Enrols and funds the `count` members (`member-1`...) that scenarios pick from at random.
    pub async fn enrol_crowd(&mut self, count: usize) -> anyhow::Result<()> {
        let ids = (1..=count).map(|i| format!("member-{i}")).collect();
        self.crowd = self.enrol_funded(ids, "members").await?;
        Ok(())
    }

    /// The numbers of the members enrolled by [`Seeder::enrol_crowd`].
    pub fn crowd(&self) -> Range<usize> {
        self.crowd.clone()
    }

    /// The external id of member number `i` (empty if there is none).
    pub fn member(&self, i: usize) -> &str {
        self.members.get(i).map_or("", String::as_str)
    }

    /// Concurrent workers for the setup.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Freezes the members into the fixture the scenarios run against.
    pub fn finish(self) -> Fixture {
        Fixture {
            program: self.program,
            store: self.store,
            book: Book::new(self.members.len()),
            members: self.members,
        }
    }
}

async fn enrol_one(store: &Storefront, external_id: &str) -> anyhow::Result<()> {
    require_created(store.enrol(external_id).await, "enrolling", external_id)?;
    let funded = store.adjust(external_id, START_BALANCE).await;
    require_created(funded, "funding", external_id)
}

fn require_created(outcome: Outcome, what: &str, external_id: &str) -> anyhow::Result<()> {
    match outcome {
        Outcome::Answered { status: 201, .. } => Ok(()),
        Outcome::Answered { status, detail } => bail!(
            "{what} member {external_id}: {status} {}",
            detail.unwrap_or_default()
        ),
        Outcome::Transport(error) => bail!("{what} member {external_id}: {error}"),
    }
}

/// Creates `bench-<unix seconds>` (with a suffix if that slug is taken) and returns its slug.
async fn create_program(admin: &Admin) -> anyhow::Result<String> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    for attempt in 0..SLUG_ATTEMPTS {
        let slug = match attempt {
            0 => format!("bench-{seconds}"),
            n => format!("bench-{seconds}-{n}"),
        };
        let body = json!({ "slug": slug, "name": format!("Fidelio bench {seconds}") });
        let (status, answer) = admin.post("/v1/admin/programs", &body).await?;
        match status {
            StatusCode::CREATED => return Ok(slug),
            StatusCode::CONFLICT => continue,
            _ => bail!("POST /v1/admin/programs: {status}: {answer}"),
        }
    }
    bail!("POST /v1/admin/programs: every bench-{seconds}-N slug is taken")
}

/// What every scenario runs against: the program, its key, its funded members and the book of
/// the points the bench moves.
pub struct Fixture {
    pub program: String,
    pub store: Storefront,
    pub book: Book,
    members: Vec<String>,
}

impl Fixture {
    /// The external id of member number `i` (empty if there is none).
    pub fn member(&self, i: usize) -> &str {
        self.members.get(i).map_or("", String::as_str)
    }

    /// How many members the bench enrolled.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the bench enrolled no member at all.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}
