//! Snapshot tests: the full outcome of every event, and the members' views after, for the worked
//! examples of both demo programs (PROGRAMS.md) and a day of demo traffic. Each scenario is
//! compared with its committed file under `tests/api/snapshots/`; the same file must hold on
//! SQLite and on PostgreSQL. `FIDELIO_UPDATE_SNAPSHOTS=1` rewrites the files (read the diff).
//!
//! Events carry fixed `occurred_at` times, so their outcomes do not depend on the day the test
//! runs. A few steps must happen now (joining an opt-in challenge counts from the moment of
//! joining; an online purchase is pending only within its 14 days), and the views are read as of
//! the wall clock: what that makes vary is replaced with placeholders (see `normalise`).

mod beauty;
mod clock;
mod coffee;
mod compare;
mod demo_day;
mod events;
mod normalise;
mod record;
