//! One error type for the HTTP edge, rendered as `application/problem+json` (RFC 9457), and
//! the policy of which layer returns what:
//!
//! - `domain` and `engine` are pure: a value or a program configuration that breaks a rule is
//!   `domain::Invalid` (the field and what is wrong with it), a member's standing that refuses
//!   an action is `domain::Refusal`. They import nothing of this module, of actix or of diesel.
//! - `db::models` return diesel's `QueryResult`; a row that may be absent is an `Option`.
//! - Use cases (members, ledger, rewards, events, ...) and handlers return `AppResult`. Only
//!   they build an `AppError`, when the failure is the caller's (a missing member, too few
//!   points), always with a stable `ErrorCode` from `code.rs`. `?` converts what comes from
//!   below: `Invalid` becomes a 422 `validation-failed`, `Refusal` a 409 `member-closed` or
//!   `member-suspended`, a retryable database conflict or an unreachable pool a 503, a
//!   connection lost under a statement a 503 `outcome-unknown`, any other database failure
//!   `Internal`.
//! - `Internal` carries its cause (`anyhow`), which is logged and never sent. The command-line
//!   tools work in `anyhow` throughout.

mod code;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::key_limit::Usage;
use crate::domain::{Invalid, Refusal};
pub use code::ErrorCode;

/// Where the problem types are documented; `type` is this base plus the stable code.
pub const PROBLEM_BASE: &str = "https://fidelio.dev/problems/";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `items[2].quantity`.
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Validation(FieldError),
    #[error("malformed JSON body: {0}")]
    MalformedJson(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A conflict with the current state, with its stable code (e.g. `insufficient-points`).
    #[error("{detail}")]
    Conflict { code: ErrorCode, detail: String },
    /// A business rule refused the request, with its stable code.
    #[error("{detail}")]
    Unprocessable { code: ErrorCode, detail: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    /// A storefront key sent more requests than its `rate_limit` allows.
    #[error("this API key may send {} requests per second; retry in {} s", .0.limit, .0.reset_secs)]
    RateLimited(Usage),
    #[error("{0}")]
    Unavailable(String),
    /// The connection to the database broke while the request ran: it may or may not have
    /// taken effect.
    #[error("{0}")]
    OutcomeUnknown(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The detail alone: it names the field already.
impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl AppError {
    /// A validation failure of one named field.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        AppError::Validation(FieldError {
            field: field.into(),
            detail: detail.into(),
        })
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// The stable, machine-readable code of this problem.
    pub fn code(&self) -> &'static str {
        let code = match self {
            AppError::Validation(_) => ErrorCode::ValidationFailed,
            AppError::MalformedJson(_) => ErrorCode::MalformedJson,
            AppError::BadRequest(_) => ErrorCode::BadRequest,
            AppError::Unauthorized(_) => ErrorCode::Unauthorized,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            AppError::Conflict { code, .. } | AppError::Unprocessable { code, .. } => *code,
            AppError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            AppError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            AppError::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            AppError::RateLimited(_) => ErrorCode::RateLimited,
            AppError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            AppError::OutcomeUnknown(_) => ErrorCode::OutcomeUnknown,
            AppError::Internal(_) => ErrorCode::InternalError,
        };
        code.as_str()
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "The request is invalid",
            AppError::MalformedJson(_) => "The body is not valid JSON",
            AppError::BadRequest(_) => "Bad request",
            AppError::Unauthorized(_) => "Authentication required",
            AppError::Forbidden(_) => "Not allowed",
            AppError::NotFound(_) => "Not found",
            AppError::MethodNotAllowed(_) => "Method not allowed",
            AppError::Conflict { .. } => "Conflict with the current state",
            AppError::Unprocessable { .. } => "The request cannot be carried out",
            AppError::PayloadTooLarge(_) => "The body is too large",
            AppError::UnsupportedMediaType(_) => "Unsupported content type",
            AppError::TooManyRequests { .. } | AppError::RateLimited(_) => "Too many requests",
            AppError::Unavailable(_) => "Service unavailable",
            AppError::OutcomeUnknown(_) => "Outcome unknown",
            AppError::Internal(_) => "Internal error",
        }
    }

    /// The problem document sent to the client.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            AppError::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        Problem {
            r#type: format!("{PROBLEM_BASE}{}", self.code()),
            title: self.title().to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors: match self {
                AppError::Validation(field) => vec![field.clone()],
                _ => Vec::new(),
            },
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type; its last segment is `code`.
    pub r#type: String,
    pub title: String,
    pub status: u16,
    /// What went wrong with this request, naming the offending field where there is one.
    pub detail: String,
    /// The stable machine-readable code, e.g. `insufficient-points`.
    pub code: String,
    /// For validation problems: each offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) | AppError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::MalformedJson(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } | AppError::RateLimited(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Unavailable(_) | AppError::OutcomeUnknown(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::RateLimited(usage) => {
                response.insert_header((header::RETRY_AFTER, usage.reset_secs.to_string()));
                for (name, value) in usage.headers() {
                    response.insert_header((name, value));
                }
            }
            AppError::Unauthorized(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            AppError::Unavailable(_) | AppError::OutcomeUnknown(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        AppError::Validation(FieldError {
            field: invalid.field,
            detail: invalid.detail,
        })
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let code = match refusal {
            Refusal::Closed => ErrorCode::MemberClosed,
            Refusal::Suspended(_) => ErrorCode::MemberSuspended,
        };
        AppError::conflict(code, refusal.to_string())
    }
}

impl From<diesel::result::Error> for AppError {
    /// A transaction PostgreSQL aborted to break a deadlock or a serialization conflict wrote
    /// nothing and can simply be retried: 503 with `Retry-After`, not 500. A connection lost
    /// under a statement leaves the outcome unknown (it may have been the `COMMIT`): 503
    /// `outcome-unknown`, to be retried with the same key, which finds the work if it was done.
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        if crate::db::is_connection_lost(&error) {
            tracing::warn!(%error, "connection to the database lost during a request");
            return AppError::OutcomeUnknown(
                "the connection to the database was lost while this request ran, so it may or \
                 may not have taken effect; send it again with the same Idempotency-Key (or \
                 event id): if it took effect, the first answer comes back"
                    .into(),
            );
        }
        match &error {
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                tracing::warn!(%error, "transaction aborted by a concurrent one");
                AppError::Unavailable("a concurrent request conflicted with this one; retry".into())
            }
            Error::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                tracing::warn!(%error, "transaction aborted to break a deadlock");
                AppError::Unavailable("a concurrent request conflicted with this one; retry".into())
            }
            Error::DatabaseError(_, info) if cannot_write(info.message()) => {
                tracing::error!(%error, "the database refuses writes");
                AppError::Unavailable(
                    "the database cannot store anything now (its disk is full or it is \
                     read-only); this request was not stored, retry later"
                        .into(),
                )
            }
            _ => AppError::Internal(error.into()),
        }
    }
}

/// A database refusing every write for a while, not this request: SQLite on a full disk or
/// a read-only file, PostgreSQL out of disk or a standby that cannot take writes.
fn cannot_write(message: &str) -> bool {
    [
        "database or disk is full",
        "attempt to write a readonly database",
        "No space left on device",
        "cannot execute INSERT in a read-only transaction",
        "cannot execute UPDATE in a read-only transaction",
    ]
    .iter()
    .any(|known| message.contains(known))
}

impl From<crate::db::NoConnection> for AppError {
    fn from(error: crate::db::NoConnection) -> Self {
        use crate::db::NoConnection;
        match error {
            NoConnection::Down(_) => {
                AppError::Unavailable("the database is not reachable; retry shortly".into())
            }
            NoConnection::TimedOut(..) => {
                tracing::warn!(%error, "no database connection available");
                AppError::Unavailable("the database is too busy; retry shortly".into())
            }
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {error}"))
    }
}

impl From<crate::db::Unfinished> for AppError {
    fn from(error: crate::db::Unfinished) -> Self {
        AppError::Internal(anyhow::anyhow!(error))
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn lost() -> Error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_owned()),
        )
    }

    fn assert_outcome_unknown(error: AppError) {
        assert_eq!(error.code(), "outcome-unknown");
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
    }

    #[test]
    fn a_connection_lost_under_a_statement_is_503_outcome_unknown() {
        assert_outcome_unknown(lost().into());
    }

    #[test]
    fn a_connection_lost_under_the_commit_is_503_outcome_unknown() {
        let error = Error::RollbackErrorOnCommit {
            rollback_error: Box::new(lost()),
            commit_error: Box::new(lost()),
        };
        assert_outcome_unknown(error.into());
    }

    #[test]
    fn a_database_that_refuses_writes_is_503_with_retry_after() {
        for message in [
            "database or disk is full",
            "attempt to write a readonly database",
            "could not extend file \"base/16384/2619\": No space left on device",
        ] {
            let error =
                Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()));
            let error = AppError::from(error);
            assert_eq!(error.code(), "service-unavailable", "{message}");
            let response = error.error_response();
            assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
        }
    }

    #[test]
    fn other_database_failures_stay_internal_errors() {
        let error = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("no such table: members".to_owned()),
        );
        assert_eq!(AppError::from(error).code(), "internal-error");
    }
}
