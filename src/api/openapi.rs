//! The OpenAPI document's frame: title, security schemes, tags. Paths and schemas are collected
//! from the handlers as they are registered.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fidelio",
        description = "A gamified loyalty-program engine: points, tiers, badges, challenges, \
                       leaderboards and rewards over an exact, append-only points ledger.\n\n\
                       Errors are `application/problem+json` (RFC 9457) with a stable `code`.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&Security),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "admin", description = "People who run programs (admin JWT)"),
        (name = "storefront", description = "Server-to-server calls of a storefront (API key)"),
        (name = "member", description = "A member's own views (member JWT)"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "A storefront key of one program, issued by an admin. Past a key's `rate_limit` \
                 (requests per second) a request is refused with 429 `rate-limited` and \
                 `Retry-After`; responses to a limited key carry `RateLimit-Policy` and \
                 `RateLimit` (draft-ietf-httpapi-ratelimit-headers-10).",
            ))),
        );
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme("admin_jwt", bearer("From POST /v1/auth/login"));
        components.add_security_scheme(
            "member_jwt",
            bearer("From POST /v1/members/{external_id}/token"),
        );
    }
}
