//! A model-based test of moving points: random sequences of adjustments, redemptions, replays
//! and reused keys run against the real library and database, and after every step the
//! answers and stored balances must equal an in-memory model's, and `verify` must be clean.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use fidelio::db::models::api_keys::{self, NewApiKey};
use fidelio::db::models::members::{self as member_rows, MemberRow};
use fidelio::db::schema::ledger_entries;
use fidelio::db::{Db, DbConnection, now_utc, write_tx};
use fidelio::error::{AppError, AppResult, ErrorCode};
use fidelio::idempotency::{self, Done, Keyed, Reply};
use fidelio::ledger::posting::Posted;
use fidelio::ledger::verify;
use fidelio::members::points::{self, Actor, AdjustPoints, RedeemPoints};
use fidelio::members::{self, EnrolMember};
use fidelio::programs::{self, CreateProgram};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use serde::{Deserialize, Serialize};

use crate::helpers::TestDatabase;

/// A points request, as a storefront would send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    /// Signed points, never 0.
    Adjust(i64),
    /// Points to burn, more than 0.
    Redeem(i64),
}

fn any_request() -> impl Strategy<Value = Request> {
    prop_oneof![
        prop_oneof![-50i64..0, 1i64..200].prop_map(Request::Adjust),
        (1i64..150).prop_map(Request::Redeem),
    ]
}

/// One step of a sequence.
#[derive(Debug, Clone)]
enum Step {
    /// An adjustment with a fresh key.
    Adjust { key: String, points: i64 },
    /// A redemption with a fresh key.
    Redeem { key: String, points: i64 },
    /// An earlier key sent again with its request.
    Replay { key: String, request: Request },
    /// An earlier key sent with another request.
    Reuse { key: String, request: Request },
}

impl Step {
    fn key(&self) -> &str {
        match self {
            Step::Adjust { key, .. }
            | Step::Redeem { key, .. }
            | Step::Replay { key, .. }
            | Step::Reuse { key, .. } => key,
        }
    }

    fn request(&self) -> Request {
        match *self {
            Step::Adjust { points, .. } => Request::Adjust(points),
            Step::Redeem { points, .. } => Request::Redeem(points),
            Step::Replay { request, .. } | Step::Reuse { request, .. } => request,
        }
    }
}

/// A member's stored balances, as the model keeps them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Balance {
    available: i64,
    lifetime_earned: i64,
    lifetime_redeemed: i64,
}

/// The body the system under test answers a movement with (the HTTP handlers answer a
/// `PointsMovement`, which is private to the `api` module; this carries the same facts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Movement {
    kind: String,
    points: i64,
    balance_after: i64,
    balance: Balance,
}

/// What the model says a step must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    /// It ran and moved points.
    Moved(Movement),
    /// It was answered with the stored response of its key, which said this.
    Replayed(Movement),
    /// 409 `insufficient-points`; nothing stored.
    Insufficient,
    /// 422 `idempotency-key-reused`; nothing changed.
    Reused,
}

/// The reference model: a balance and the idempotency keys used so far.
#[derive(Debug, Clone, Default)]
struct Model {
    balance: Balance,
    entries: i64,
    /// Each key used: the request last sent with it, and the response stored for it (none
    /// while every request with the key failed, since failures store nothing).
    keys: BTreeMap<String, (Request, Option<Movement>)>,
    next_key: usize,
    expected: Option<Expected>,
}

impl Model {
    /// Runs a request afresh; `None` when the points do not cover it.
    fn execute(&mut self, request: Request) -> Option<Movement> {
        let mut after = self.balance;
        let (kind, points) = match request {
            Request::Adjust(points) => {
                after.available += points;
                after.lifetime_earned += points;
                ("adjust", points)
            }
            Request::Redeem(points) => {
                after.available -= points;
                after.lifetime_redeemed += points;
                ("redeem", -points)
            }
        };
        if after.available < 0 {
            return None;
        }
        self.balance = after;
        self.entries += 1;
        Some(Movement {
            kind: kind.to_owned(),
            points,
            balance_after: after.available,
            balance: after,
        })
    }
}

struct LedgerModel;

impl ReferenceStateMachine for LedgerModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let key = format!("k{}", state.next_key);
        let fresh = any_request().prop_map(move |request| match request {
            Request::Adjust(points) => Step::Adjust {
                key: key.clone(),
                points,
            },
            Request::Redeem(points) => Step::Redeem {
                key: key.clone(),
                points,
            },
        });
        if state.keys.is_empty() {
            return fresh.boxed();
        }
        let used: Vec<(String, Request)> = state
            .keys
            .iter()
            .map(|(key, (request, _))| (key.clone(), *request))
            .collect();
        let replay = select(used.clone()).prop_map(|(key, request)| Step::Replay { key, request });
        let reuse = (select(used), any_request())
            .prop_filter("another request", |((_, old), new)| old != new)
            .prop_map(|((key, _), request)| Step::Reuse { key, request });
        prop_oneof![4 => fresh, 1 => replay, 1 => reuse].boxed()
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        let used = state.keys.get(step.key()).map(|(request, _)| *request);
        match step {
            Step::Adjust { .. } | Step::Redeem { .. } => used.is_none(),
            Step::Replay { request, .. } => used == Some(*request),
            Step::Reuse { request, .. } => used.is_some_and(|old| old != *request),
        }
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        if matches!(step, Step::Adjust { .. } | Step::Redeem { .. }) {
            state.next_key += 1;
        }
        let (key, request) = (step.key().to_owned(), step.request());
        state.expected = Some(match state.keys.get(&key) {
            Some((stored, Some(movement))) if *stored == request => {
                Expected::Replayed(movement.clone())
            }
            Some((_, Some(_))) => Expected::Reused,
            // A new key, or one whose every request failed: the request runs afresh.
            _ => {
                let outcome = state.execute(request);
                state.keys.insert(key, (request, outcome.clone()));
                outcome.map_or(Expected::Insufficient, Expected::Moved)
            }
        });
        state
    }
}

/// The database one test function's cases share.
struct Fixture {
    db: Db,
    program_id: i64,
    api_key_id: i64,
    cases: usize,
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

/// The system under test: one fresh member, moved through the library as the handlers do.
struct Ledger {
    db: Db,
    program_id: i64,
    api_key_id: i64,
    member: MemberRow,
    /// The body first answered for each key.
    bodies: HashMap<String, String>,
}

impl Ledger {
    /// Sends `request` with `key`, exactly as `api/storefront/points.rs` runs it.
    fn send(&mut self, key: &str, request: Request) -> AppResult<Reply> {
        let (program_id, external_id) = (self.program_id, self.member.external_id.clone());
        let actor = Actor::ApiKey(self.api_key_id);
        // Keys are per program; the cases share one.
        let key = format!("{external_id}-{key}");
        let mut conn = self.db.get().unwrap();
        match request {
            Request::Adjust(points) => {
                let input = AdjustPoints {
                    points,
                    reason: "model".into(),
                };
                let path = format!("/v1/members/{external_id}/points/adjust");
                let keyed = keyed(program_id, &key, "points.adjust", &path, &input)?;
                idempotency::execute(&mut conn, Some(&keyed), 201, |tx| {
                    let program = programs::by_id(tx, program_id)?;
                    let member = locked(tx, program_id, &external_id)?;
                    let posted = points::adjust(tx, &program, &member, &input, actor, now_utc())?;
                    Ok(done(posted))
                })
            }
            Request::Redeem(points) => {
                let input = RedeemPoints {
                    points,
                    order_id: None,
                    reason: None,
                };
                let path = format!("/v1/members/{external_id}/points/redeem");
                let keyed = keyed(program_id, &key, "points.redeem", &path, &input)?;
                idempotency::execute(&mut conn, Some(&keyed), 201, |tx| {
                    let member = locked(tx, program_id, &external_id)?;
                    let posted = points::redeem(tx, &member, &input, actor, now_utc())?;
                    Ok(done(posted))
                })
            }
        }
    }
}

/// The member, locked as the handlers lock it before moving its points.
fn locked(tx: &mut DbConnection, program_id: i64, external_id: &str) -> AppResult<MemberRow> {
    member_rows::lock_by_external_id(tx, program_id, external_id, None)?
        .map(|(member, _)| member)
        .ok_or_else(|| AppError::not_found(format!("no member `{external_id}`")))
}

/// The key of a request, digested as `api::idempotent` does: method, path and JSON body.
fn keyed<T: Serialize>(
    program_id: i64,
    key: &str,
    operation: &'static str,
    path: &str,
    body: &T,
) -> AppResult<Keyed> {
    let body = serde_json::to_string(body).unwrap();
    let caller = fidelio::idempotency::Caller::ApiKey(1);
    Keyed::new(
        program_id,
        caller,
        key,
        operation,
        &format!("POST {path}\n{body}"),
    )
}

fn done(posted: Posted) -> Done<Movement> {
    let member = &posted.member;
    Done {
        entry_id: Some(posted.entry.id),
        body: Movement {
            kind: posted.entry.kind.clone(),
            points: posted.entry.points,
            balance_after: posted.entry.balance_after,
            balance: Balance {
                available: member.points_available - member.points_debt,
                lifetime_earned: member.lifetime_earned,
                lifetime_redeemed: member.lifetime_redeemed,
            },
        },
    }
}

fn movement_in(reply: &Reply) -> Movement {
    serde_json::from_str(&reply.body).unwrap()
}

impl StateMachineTest for Ledger {
    type SystemUnderTest = Ledger;
    type Reference = LedgerModel;

    fn init_test(_: &Model) -> Ledger {
        FIXTURE.with_borrow_mut(|fixture| {
            let fixture = fixture.as_mut().expect(
                "the fixture is set on this thread: run the cases with fork and timeout off",
            );
            fixture.cases += 1;
            let mut conn = fixture.db.get().unwrap();
            let enrol = EnrolMember {
                external_id: format!("member-{}", fixture.cases),
                email: None,
                name: None,
                birthday: None,
                referral_code: None,
            };
            let member = write_tx(&mut conn, |tx| {
                members::enrol(tx, fixture.program_id, &enrol, now_utc())
            })
            .unwrap();
            Ledger {
                db: fixture.db.clone(),
                program_id: fixture.program_id,
                api_key_id: fixture.api_key_id,
                member,
                bodies: HashMap::new(),
            }
        })
    }

    fn apply(mut sut: Ledger, model: &Model, step: Step) -> Ledger {
        let result = sut.send(step.key(), step.request());
        let expected = model.expected.clone().unwrap();
        match (expected, result) {
            (Expected::Moved(movement), Ok(reply)) => {
                assert_eq!((reply.status, reply.replayed), (201, false), "{step:?}");
                assert_eq!(movement_in(&reply), movement, "{step:?}");
                sut.bodies.insert(step.key().to_owned(), reply.body);
            }
            (Expected::Replayed(movement), Ok(reply)) => {
                assert_eq!((reply.status, reply.replayed), (201, true), "{step:?}");
                assert_eq!(
                    Some(&reply.body),
                    sut.bodies.get(step.key()),
                    "a replay answers the stored body: {step:?}"
                );
                assert_eq!(movement_in(&reply), movement, "{step:?}");
            }
            (Expected::Insufficient, Err(AppError::Conflict { code, .. })) => {
                assert_eq!(code, ErrorCode::InsufficientPoints, "{step:?}");
            }
            (Expected::Reused, Err(AppError::Unprocessable { code, .. })) => {
                assert_eq!(code, ErrorCode::IdempotencyKeyReused, "{step:?}");
            }
            (expected, Ok(reply)) => {
                panic!("{step:?}: expected {expected:?}, got {reply:?}")
            }
            (expected, Err(error)) => {
                panic!("{step:?}: expected {expected:?}, got the error {error:?}")
            }
        }
        sut
    }

    fn check_invariants(sut: &Ledger, model: &Model) {
        let mut conn = sut.db.get().unwrap();
        let member = member_rows::find(&mut conn, sut.member.id).unwrap();
        let stored = Balance {
            available: member.points_available,
            lifetime_earned: member.lifetime_earned,
            lifetime_redeemed: member.lifetime_redeemed,
        };
        assert_eq!(stored, model.balance, "stored balances");
        assert_eq!((member.points_pending, member.points_debt), (0, 0));
        let entries: i64 = ledger_entries::table
            .filter(ledger_entries::member_id.eq(member.id))
            .count()
            .get_result(&mut **conn)
            .unwrap();
        assert_eq!(
            entries, model.entries,
            "one entry per movement, none per replay"
        );
        let report = verify::run(&mut conn).unwrap();
        assert!(report.is_clean(), "verify: {:#?}", report.differences);
    }
}

/// A program and a storefront key, made through the library.
fn fixture(db: Db) -> Fixture {
    let mut conn = db.get().unwrap();
    let program = programs::create(
        &mut conn,
        &CreateProgram {
            slug: "model".into(),
            name: "Model".into(),
            time_zone: None,
            currency: None,
            point_name: None,
            point_value: None,
            auto_enrol: None,
            expiry: None,
            birthday: None,
            analytics: None,
        },
    )
    .unwrap();
    let key = api_keys::insert(
        &mut conn,
        &NewApiKey {
            program_id: program.id,
            name: "model storefront",
            prefix: "model",
            secret_digest: "not a real key",
            scopes: "points:redeem points:adjust",
            created_by: None,
            created_at: now_utc(),
            rate_limit: None,
        },
    )
    .unwrap();
    drop(conn);
    Fixture {
        db,
        program_id: program.id,
        api_key_id: key.id,
        cases: 0,
    }
}

#[test]
fn adjustments_redemptions_and_retries_follow_the_model() {
    let database = TestDatabase::create();
    FIXTURE.set(Some(fixture(database.open())));
    let config = Config {
        cases: 24,
        failure_persistence: None,
        // The cases must run on this thread, which holds the fixture.
        fork: false,
        timeout: 0,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());

    let result = runner.run(
        &LedgerModel::sequential_strategy(1..=30),
        |(initial, steps, seen)| {
            Ledger::test_sequential(config.clone(), initial, steps, seen);
            Ok(())
        },
    );

    FIXTURE.set(None);
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
