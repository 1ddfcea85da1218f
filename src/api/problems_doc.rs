//! The problems every route can answer, added to the OpenAPI document once its paths are
//! collected, so that each handler documents only the problems of its own.

use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds to every operation the problems the service's common layers answer, where the handler
/// does not describe them itself.
pub fn complete(openapi: &mut OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, why) in common_problems(operation) {
                let responses = &mut operation.responses.responses;
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(why));
            }
        }
    }
}

/// The common problems of one operation, by what it takes and who may call it.
fn common_problems(operation: &Operation) -> Vec<(&'static str, &'static str)> {
    let mut problems = vec![(
        "503",
        "`service-unavailable`: the database is unreachable or too busy, nothing was done; \
         `outcome-unknown`: the database went away mid-request, retry with the same key or event \
         id; both with `Retry-After`",
    )];
    let parameters: Vec<&Parameter> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(parameter) => Some(parameter),
            RefOr::Ref(_) => None,
        })
        .collect();
    if parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Query)
    {
        problems.extend([
            ("400", "`bad-request`: a query parameter is malformed"),
            (
                "422",
                "`validation-failed`: a query parameter is out of range; `errors[].field` names it",
            ),
        ]);
    }
    if parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Path)
    {
        problems.push(("404", "`not-found`: nothing has that id or slug here"));
    }
    if operation.request_body.is_some() {
        problems.extend([
            ("400", "`malformed-json`: the body is not JSON"),
            ("413", "`payload-too-large`: the body is over 64 KiB"),
            (
                "415",
                "`unsupported-media-type`: the body is not `application/json`",
            ),
            (
                "422",
                "`validation-failed`: a field is invalid; `errors[].field` names it",
            ),
        ]);
    }
    if parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Header && p.name == "Idempotency-Key")
    {
        problems.extend([
            (
                "409",
                "`idempotency-key-in-use`: a request with this key is still running; retry",
            ),
            (
                "422",
                "`idempotency-key-reused`: this key came with another request",
            ),
        ]);
    }
    let schemes = schemes(operation);
    if !schemes.is_empty() {
        problems.push((
            "401",
            "`unauthorized`: no credentials, or ones that are invalid, expired or revoked",
        ));
    }
    if schemes.iter().any(|s| s == "api_key") {
        problems.push((
            "429",
            "`rate-limited`: the key is past its `rate_limit`; retry after `Retry-After`",
        ));
    }
    if schemes.iter().any(|s| s != "member_jwt") {
        problems.push((
            "403",
            "`forbidden`: the credentials do not allow this (a key's scope, an admin's role)",
        ));
    }
    problems
}

/// The names of the security schemes an operation accepts.
fn schemes(operation: &Operation) -> Vec<String> {
    let requirements = serde_json::to_value(&operation.security).unwrap_or_default();
    requirements
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_object())
        .flat_map(|r| r.keys().cloned())
        .collect()
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}
