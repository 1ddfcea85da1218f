//! Stopping on SIGTERM or SIGINT without cutting a request off.
//!
//! actix's own handling closes the listener as soon as the signal comes, which resets the
//! connections still waiting in its backlog or queued for a worker, and drops a request that a
//! kept-alive connection had sent but the worker not yet started: requests the clients had
//! sent, reset instead of answered. So the service drains first: `/readyz` answers 503 (load
//! balancers stop sending), every answer closes its connection (clients reconnect elsewhere),
//! and requests are still accepted and served until none has been in flight for `QUIET`, at
//! most `--shutdown-timeout`. Only then does actix stop, giving what still runs
//! `--shutdown-timeout` more.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;

/// How long no request must have been in flight before the listener closes: well above the
/// time a connection already sent takes to be accepted and read.
const QUIET: Duration = Duration::from_millis(250);

/// How often the drain looks whether it is over.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Whether the service is draining, and the requests in flight.
pub struct Drain {
    draining: AtomicBool,
    in_flight: AtomicUsize,
    /// When the last request started, in milliseconds since `created`.
    last_started_ms: AtomicU64,
    created: Instant,
}

impl Default for Drain {
    fn default() -> Self {
        Drain {
            draining: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            last_started_ms: AtomicU64::new(0),
            created: Instant::now(),
        }
    }
}

impl Drain {
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.created.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn is_quiet(&self) -> bool {
        let since_last = self
            .elapsed_ms()
            .saturating_sub(self.last_started_ms.load(Ordering::SeqCst));
        self.in_flight.load(Ordering::SeqCst) == 0 && Duration::from_millis(since_last) >= QUIET
    }
}

/// Counts a request in flight until it is answered or abandoned.
struct InFlight<'a>(&'a Drain);

impl<'a> InFlight<'a> {
    fn start(drain: &'a Drain) -> Self {
        drain.in_flight.fetch_add(1, Ordering::SeqCst);
        drain
            .last_started_ms
            .store(drain.elapsed_ms(), Ordering::SeqCst);
        InFlight(drain)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Middleware: counts the request in flight, and closes its connection after the answer once
/// the service is draining.
pub async fn track(
    drain: web::Data<Drain>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _in_flight = InFlight::start(&drain);
    let mut response = next.call(req).await?;
    if drain.is_draining() {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}

/// Resolves once a SIGTERM or SIGINT has come and the service has drained (or `limit` has
/// passed): the signal for actix's graceful stop.
pub async fn drained_after_signal(drain: web::Data<Drain>, limit: Duration) {
    signal().await;
    drain.draining.store(true, Ordering::SeqCst);
    tracing::info!("stop signal received; draining");
    let deadline = Instant::now() + limit;
    while !drain.is_quiet() && Instant::now() < deadline {
        tokio::time::sleep(POLL_EVERY).await;
    }
    tracing::info!(
        in_flight = drain.in_flight.load(Ordering::SeqCst),
        "drained; stopping"
    );
}

/// The first SIGTERM or SIGINT.
async fn signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(%error, "cannot listen for stop signals; stopping only when killed");
            std::future::pending::<()>().await;
        }
    }
}
