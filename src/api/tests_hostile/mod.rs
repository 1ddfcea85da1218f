//! Hostile input at the parsers: random and malformed events, rules, tiers, game elements,
//! rewards and query strings, read by the functions the handlers call. None may panic; every
//! refusal is a 4xx problem naming a field (or, for text that is not JSON, where it broke);
//! what is accepted is stored and read back as it was, and what an event or a rule is
//! accepted with is decided by the engine without a panic.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); the README names the release
//! run of 100,000.

mod bodies;
mod definitions;
mod generate;
mod queries;
mod shop;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::error::AppError;

/// Asserts that `error` is a refusal as a client should see it: a 4xx problem with a code and
/// a detail, naming the field (or the line and column of a syntax error).
fn refusal(error: &AppError) -> Result<(), TestCaseError> {
    let problem = error.problem();
    prop_assert!(
        (400..500).contains(&problem.status),
        "{} for {error:?}",
        problem.status
    );
    prop_assert!(!problem.code.is_empty() && !problem.detail.is_empty());
    match error {
        AppError::Validation(field) => {
            prop_assert!(!field.field.is_empty(), "no field in {error:?}");
            prop_assert!(
                field.detail.contains(&field.field),
                "the detail does not name {}: {}",
                field.field,
                field.detail
            );
        }
        AppError::MalformedJson(detail) => {
            prop_assert!(
                detail.contains(" at line ") || detail.contains("trailing"),
                "no position in {detail}"
            );
        }
        other => prop_assert!(false, "not a refusal of the input: {other:?}"),
    }
    Ok(())
}

/// Checks a parse-and-validate result: `Ok` is handed on, `Err` must be a [`refusal`].
fn checked<T>(result: Result<T, AppError>) -> Result<Option<T>, TestCaseError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) => refusal(&error).map(|()| None),
    }
}
