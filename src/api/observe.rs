//! Each request observed once: it gets an id (returned as `X-Request-Id`, in every log line
//! of the request and in the audit log), a span that closes with its route, status and time
//! (the one log line per request), and the Prometheus counts and durations by route, method
//! and status.
//!
//! The route is named once, after the handler ran, from the route actix matched: naming it
//! before routing would match the path against every route's pattern a second time (and the
//! log and the metrics did so once each, a tenth of a balance read's CPU).

use std::fmt;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use tracing::Instrument;
use tracing::field::Empty;
use uuid::Uuid;

/// A request's id, random (UUID v4).
#[derive(Debug, Clone, Copy)]
pub struct RequestId(Uuid);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What `/metrics` shows of the requests: `fidelio_http_requests_total` and
/// `fidelio_http_requests_duration_seconds`, by `endpoint` (the route's pattern, `UNMATCHED`
/// for a path no route takes), `method` and `status`.
pub struct HttpMetrics {
    total: IntCounterVec,
    duration: HistogramVec,
}

impl HttpMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let labels = ["endpoint", "method", "status"];
        let total = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered").namespace("fidelio"),
            &labels,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_requests_duration_seconds",
                "Time from a request's arrival to its response, in seconds",
            )
            .namespace("fidelio"),
            &labels,
        )?;
        registry.register(Box::new(total.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(HttpMetrics { total, duration })
    }

    fn count(&self, endpoint: &str, method: &str, status: &str, started: Instant) {
        let labels = [endpoint, method, status];
        self.total.with_label_values(&labels).inc();
        self.duration
            .with_label_values(&labels)
            .observe(started.elapsed().as_secs_f64());
    }
}

/// The middleware: outermost but for the shutdown tracker, so that its span and time cover
/// every other one.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // From the thread's generator, not the system's (a system call per request).
    let id = RequestId(uuid::Builder::from_random_bytes(rand::random()).into_uuid());
    req.extensions_mut().insert(id);
    let method = req.method().clone();
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let span = tracing::info_span!(
        "HTTP request",
        http.method = %method,
        http.route = Empty,
        http.target = %req.path(),
        http.status_code = Empty,
        request_id = %id,
        exception.message = Empty,
    );
    let outcome = next.call(req).instrument(span.clone()).await;
    let (route, status, error) = match &outcome {
        Ok(response) => (
            response.request().match_pattern(),
            response.status(),
            response.response().error(),
        ),
        Err(error) => (None, error.as_response_error().status_code(), Some(error)),
    };
    span.record("http.route", route.as_deref().unwrap_or("default"));
    span.record("http.status_code", status.as_u16());
    if let Some(error) = error {
        span.record("exception.message", tracing::field::display(error));
    }
    if let Some(metrics) = metrics {
        let endpoint = route.as_deref().unwrap_or("UNMATCHED");
        metrics.count(endpoint, method.as_str(), status.as_str(), started);
    }
    let mut response = outcome?;
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}
