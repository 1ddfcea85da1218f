//! The stable codes of every problem the service sends: the `code` member of a problem
//! document and the last segment of its `type`. Clients branch on them, so a code is never
//! renamed; new ones are added here.

/// One stable, machine-readable problem code; `as_str` gives its kebab-case spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    // What the kind of failure alone says (one per `AppError` variant without a code).
    ValidationFailed,
    MalformedJson,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// Too many failed logins (for an email or from an address).
    TooManyRequests,
    /// A storefront key past its `rate_limit`.
    RateLimited,
    ServiceUnavailable,
    InternalError,
    /// The connection to the database broke under the request: retry with the same key.
    OutcomeUnknown,

    // Something of that name already exists.
    AdminExists,
    ProgramExists,
    MemberExists,
    RuleExists,
    RewardExists,
    BadgeExists,
    ChallengeExists,
    StreakExists,
    LeaderboardExists,

    // Admins.
    LastOwner,

    // The member's standing or balance refuses it.
    MemberClosed,
    MemberSuspended,
    NegativeBalance,
    InsufficientPoints,

    // Rewards and vouchers.
    RewardInactive,
    OutOfStock,
    TierRequired,
    LimitReached,
    VoucherUsed,
    VoucherCancelled,
    VoucherExpired,

    // The game layer and tiers.
    BadgeNotActive,
    ChallengeAutomatic,
    ChallengeNotEligible,
    ChallengeEnded,
    MeasureFixed,
    ElementInUse,
    NoTiers,

    // Events and retried requests.
    EventInProgress,
    EventConflict,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
}

impl ErrorCode {
    /// The code as sent, e.g. `insufficient-points`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationFailed => "validation-failed",
            ErrorCode::MalformedJson => "malformed-json",
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not-found",
            ErrorCode::MethodNotAllowed => "method-not-allowed",
            ErrorCode::PayloadTooLarge => "payload-too-large",
            ErrorCode::UnsupportedMediaType => "unsupported-media-type",
            ErrorCode::TooManyRequests => "too-many-requests",
            ErrorCode::RateLimited => "rate-limited",
            ErrorCode::ServiceUnavailable => "service-unavailable",
            ErrorCode::InternalError => "internal-error",
            ErrorCode::OutcomeUnknown => "outcome-unknown",
            ErrorCode::AdminExists => "admin-exists",
            ErrorCode::LastOwner => "last-owner",
            ErrorCode::ProgramExists => "program-exists",
            ErrorCode::MemberExists => "member-exists",
            ErrorCode::RuleExists => "rule-exists",
            ErrorCode::RewardExists => "reward-exists",
            ErrorCode::BadgeExists => "badge-exists",
            ErrorCode::ChallengeExists => "challenge-exists",
            ErrorCode::StreakExists => "streak-exists",
            ErrorCode::LeaderboardExists => "leaderboard-exists",
            ErrorCode::MemberClosed => "member-closed",
            ErrorCode::MemberSuspended => "member-suspended",
            ErrorCode::NegativeBalance => "negative-balance",
            ErrorCode::InsufficientPoints => "insufficient-points",
            ErrorCode::RewardInactive => "reward-inactive",
            ErrorCode::OutOfStock => "out-of-stock",
            ErrorCode::TierRequired => "tier-required",
            ErrorCode::LimitReached => "limit-reached",
            ErrorCode::VoucherUsed => "voucher-used",
            ErrorCode::VoucherCancelled => "voucher-cancelled",
            ErrorCode::VoucherExpired => "voucher-expired",
            ErrorCode::BadgeNotActive => "badge-not-active",
            ErrorCode::ChallengeAutomatic => "challenge-automatic",
            ErrorCode::ChallengeNotEligible => "challenge-not-eligible",
            ErrorCode::ChallengeEnded => "challenge-ended",
            ErrorCode::MeasureFixed => "measure-fixed",
            ErrorCode::ElementInUse => "element-in-use",
            ErrorCode::NoTiers => "no-tiers",
            ErrorCode::EventInProgress => "event-in-progress",
            ErrorCode::EventConflict => "event-conflict",
            ErrorCode::IdempotencyKeyInUse => "idempotency-key-in-use",
            ErrorCode::IdempotencyKeyReused => "idempotency-key-reused",
        }
    }
}
