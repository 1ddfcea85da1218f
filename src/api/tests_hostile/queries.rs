//! Query strings of the lists and reports: refused naming the parameter, or read into what
//! the handlers use (a page's cursor and size, a report's span of days).

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::de::DeserializeOwned;

use super::checked;
use super::shop::{BEAUTY, COFFEE, now};
use crate::analytics::Span;
use crate::api::admin::analytics::{CohortParams, SpanParams};
use crate::api::admin::audit::AuditParams;
use crate::api::admin::badges::GrantParams;
use crate::api::admin::game::ElementListParams;
use crate::api::admin::leaderboards::StandingsParams;
use crate::api::admin::members::MemberSearch;
use crate::api::admin::rules::RuleListParams;
use crate::api::member::game::LeaderboardParams;
use crate::api::pagination::PageParams;
use crate::api::query::parse;

const KEYS: &[&str] = &[
    "limit", "cursor", "status", "q", "from", "to", "months", "program", "actor", "since",
    "dry_run", "period", "member",
];

/// A value as a client may write it: text, numbers past every type, dates past the
/// calendar, percent-escapes that are not UTF-8.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "-?[0-9]{1,25}",
        prop::sample::select(vec![
            "",
            "0",
            "-1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "18446744073709551616",
            "1e3",
            "NaN",
            "true",
            "yes",
            "active",
            "disabled",
            "closed",
            "2026-11-25",
            "2026-02-30",
            "+262143-12-31",
            "-262144-01-01",
            "0001-01-01",
            "9999-12-31",
            "2026-11-25T00:00:00Z",
            "+262143-12-31T23:59:59Z",
            "%00",
            "%ff%fe",
            "%c0%af",
            "%ed%a0%80",
            "%",
            "%zz",
            "a%20b",
            "admin:1",
            "key:-1",
            "2026-W99",
        ])
        .prop_map(str::to_owned),
    ]
}

/// A query string: known and unknown parameters, repeated, bare, or any text.
fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ];
    let pair = (key, value(), any::<bool>()).prop_map(
        |(k, v, bare)| {
            if bare { k } else { format!("{k}={v}") }
        },
    );
    prop_oneof![
        6 => prop::collection::vec(pair, 0..6).prop_map(|pairs| pairs.join("&")),
        1 => "\\PC{0,40}",
        1 => prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ]
}

/// Reads the query as `T` and, when read, a page of it as the lists do.
fn read<T: DeserializeOwned>(
    query: &str,
    page: impl Fn(T) -> PageParams,
) -> Result<(), TestCaseError> {
    if let Some(params) = checked(parse::<T>(query))? {
        let page = page(params);
        checked(page.cursor_id())?;
        let limit = page.limit();
        prop_assert!((1..=200).contains(&limit));
    }
    Ok(())
}

fn unpaged<T>(_: T) -> PageParams {
    PageParams {
        limit: None,
        cursor: None,
    }
}

proptest! {
    #[test]
    fn list_and_report_queries_are_refused_naming_the_parameter(query in query()) {
        read::<PageParams>(&query, |p| p)?;
        read::<ElementListParams>(&query, |p| PageParams { limit: p.limit, cursor: p.cursor })?;
        read::<RuleListParams>(&query, |p| PageParams { limit: p.limit, cursor: p.cursor })?;
        read::<MemberSearch>(&query, |p| PageParams { limit: p.limit, cursor: p.cursor })?;
        read::<AuditParams>(&query, |p| PageParams { limit: p.limit, cursor: p.cursor })?;
        read::<CohortParams>(&query, unpaged)?;
        read::<GrantParams>(&query, unpaged)?;
        read::<StandingsParams>(&query, unpaged)?;
        read::<LeaderboardParams>(&query, unpaged)?;
        if let Some(span) = checked(parse::<SpanParams>(&query))? {
            for shop in [&*COFFEE, &*BEAUTY] {
                checked(Span::new(&shop.program, span.from, span.to, now()))?;
            }
        }
    }
}
