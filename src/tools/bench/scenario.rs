//! The workloads. Each scenario says what it seeds before the runs and what one request is;
//! the runner knows nothing else about it, so a new workload is one more variant here.

use std::ops::Range;

use rand::Rng;
use rand::rngs::SmallRng;

use super::client::Outcome;
use super::purchase;
use super::setup::{Fixture, Seeder};

/// Points one `adjust` request adds.
pub const ADJUST_POINTS: i64 = 10;
/// Points one `redeem` request burns.
pub const REDEEM_POINTS: i64 = 5;
/// The external id of the member the `hot` scenario hammers.
pub const HOT_MEMBER: &str = "bench-hot";

/// A workload the bench can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Half `points/adjust` (+10), half `points/redeem` (5), on random members.
    Spread,
    /// The same mix, all on one member: every request contends for one balance.
    Hot,
    /// `GET /v1/members/{id}` of random members.
    Read,
    /// `POST /v1/events`: purchases of random members, earning under the coffee rules and tiers,
    /// with (or without) the coffee program's game layer.
    Events,
}

impl Scenario {
    /// Every scenario, in the order `all` runs them.
    pub const ALL: [Scenario; 4] = [
        Scenario::Spread,
        Scenario::Hot,
        Scenario::Read,
        Scenario::Events,
    ];

    /// The name used in `--scenario` and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Spread => "spread",
            Scenario::Hot => "hot",
            Scenario::Read => "read",
            Scenario::Events => "events",
        }
    }

    /// Seeds what the scenario needs beyond the enrolled members, and returns it ready to run.
    /// Call after [`Seeder::enrol_crowd`]. `game`: the events scenario's program has the coffee
    /// game layer too.
    pub async fn prepare(self, seeder: &mut Seeder, game: bool) -> anyhow::Result<Workload> {
        let members = match self {
            Scenario::Spread | Scenario::Read => seeder.crowd(),
            Scenario::Events => {
                purchase::seed_program(seeder, game).await?;
                if game {
                    purchase::join_star_dash(seeder).await?;
                }
                seeder.crowd()
            }
            Scenario::Hot => {
                seeder
                    .enrol_funded(vec![HOT_MEMBER.to_owned()], "hot member")
                    .await?
            }
        };
        anyhow::ensure!(
            !members.is_empty(),
            "the {} scenario has no members to run on",
            self.name()
        );
        Ok(Workload {
            scenario: self,
            members,
        })
    }
}

/// A scenario with what it seeded: here, the members its requests pick from.
#[derive(Debug, Clone)]
pub struct Workload {
    pub scenario: Scenario,
    members: Range<usize>,
}

impl Workload {
    /// The scenario's name.
    pub fn name(&self) -> &'static str {
        self.scenario.name()
    }

    /// Sends one request of the scenario and books the points it moved.
    pub async fn fire(&self, fixture: &Fixture, rng: &mut SmallRng) -> Outcome {
        let member = rng.random_range(self.members.clone());
        let external_id = fixture.member(member);
        match self.scenario {
            Scenario::Spread | Scenario::Hot => {
                let points = if rng.random_bool(0.5) {
                    ADJUST_POINTS
                } else {
                    -REDEEM_POINTS
                };
                let outcome = if points > 0 {
                    fixture.store.adjust(external_id, points).await
                } else {
                    fixture.store.redeem(external_id, -points).await
                };
                fixture.book.record(member, points, &outcome);
                outcome
            }
            Scenario::Read => fixture.store.read(external_id).await,
            Scenario::Events => {
                let event = purchase::purchase(external_id, rng);
                let (outcome, points) = fixture.store.post_event(&event).await;
                fixture.book.award(member, points, &outcome);
                outcome
            }
        }
    }
}
