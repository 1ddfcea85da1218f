//! Access as a matrix: every route of the OpenAPI document, tried as every kind of caller. The
//! document says what each route needs (`security`: a key with a scope, a member token, an
//! admin token, or nothing); the service must agree. No route answers 2xx to a caller who
//! should not see it, nothing answers 5xx, and every documented route reaches a handler.

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::auth::{claims, signed, unsigned};
use crate::helpers::{ALL_SCOPES, JWT_SECRET, TestApp, body};
use fidelio::tools::demo::coffee;

const OTHER_SECRET: &str = "another secret that is long enough for HS256";

/// What a route asks of its caller, as its OpenAPI `security` says.
#[derive(Debug, Clone, PartialEq)]
enum Guard {
    Public,
    Key(String),
    Member,
    Admin,
}

/// Who calls.
#[derive(Debug, Clone)]
enum Caller {
    Anonymous,
    Admin,
    /// A manager of the program `other` only.
    ManagerOfAnotherProgram,
    /// An analyst of the program under test.
    Analyst,
    /// A key of the program with every scope, or with one scope only.
    Key(Option<&'static str>),
    KeyOfAnotherProgram,
    RevokedKey,
    Member(&'static str),
    MemberOfAnotherProgram,
    /// A token the service must refuse, whatever it is shown to.
    Forged(&'static str),
}

/// What a caller must get.
#[derive(Debug, PartialEq)]
enum Expect {
    /// Past authentication and authorisation: neither 401 nor 403 (nor 5xx).
    Through,
    Refused(StatusCode),
    /// Not 2xx: the caller is someone, but the resources named are another program's.
    Unseen,
}

fn expect(route: &Route, caller: &Caller) -> Option<Expect> {
    let refused = Some(Expect::Refused(StatusCode::UNAUTHORIZED));
    let forbidden = Some(Expect::Refused(StatusCode::FORBIDDEN));
    match (&route.guard, caller) {
        // Admins who are not owners: a program they do not work in does not exist for them;
        // in their own, an analyst only reads.
        (Guard::Admin, Caller::ManagerOfAnotherProgram | Caller::Analyst)
            if route.owners_only() =>
        {
            forbidden
        }
        (Guard::Admin, Caller::ManagerOfAnotherProgram) if route.names_a_program() => {
            Some(Expect::Refused(StatusCode::NOT_FOUND))
        }
        (Guard::Admin, Caller::Analyst) if !route.reads_only() => forbidden,
        (Guard::Admin, Caller::ManagerOfAnotherProgram | Caller::Analyst) => Some(Expect::Through),
        (Guard::Public, _) => None,
        (Guard::Key(_), Caller::Key(None)) => Some(Expect::Through),
        (Guard::Key(needed), Caller::Key(Some(scope))) if needed == scope => Some(Expect::Through),
        (Guard::Key(_), Caller::Key(Some(_))) => Some(Expect::Refused(StatusCode::FORBIDDEN)),
        (Guard::Key(_), Caller::KeyOfAnotherProgram) => Some(Expect::Unseen),
        (Guard::Member, Caller::Member(_) | Caller::MemberOfAnotherProgram) => {
            Some(Expect::Through)
        }
        (Guard::Admin, Caller::Admin) => Some(Expect::Through),
        _ => refused,
    }
}

struct Route {
    method: Method,
    template: String,
    guard: Guard,
}

impl Route {
    /// Changes that would stop later checks (closing the member, revoking, deleting) go last.
    fn is_final(&self) -> bool {
        self.method == Method::DELETE || self.template.ends_with("/close")
    }

    /// Creating programs and managing admins.
    fn owners_only(&self) -> bool {
        self.template.starts_with("/v1/admin/admins")
            || (self.template == "/v1/admin/programs" && self.method != Method::GET)
    }

    fn names_a_program(&self) -> bool {
        self.template.contains("{program}")
    }

    /// GETs, and the rule preview: a POST that computes and writes nothing.
    fn reads_only(&self) -> bool {
        self.method == Method::GET || self.template.ends_with("/rules/preview")
    }
}

fn routes(document: &Value) -> Vec<Route> {
    let mut routes = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let guard = match operation["security"].as_array() {
                None => Guard::Public,
                Some(requirements) => {
                    let requirement = requirements[0].as_object().unwrap();
                    let (scheme, scopes) = requirement.iter().next().unwrap();
                    match scheme.as_str() {
                        "api_key" => Guard::Key(
                            scopes[0]
                                .as_str()
                                .unwrap_or_else(|| panic!("{method} {template}: no scope"))
                                .to_owned(),
                        ),
                        "member_jwt" => Guard::Member,
                        "admin_jwt" => Guard::Admin,
                        other => panic!("{method} {template}: unknown scheme {other}"),
                    }
                }
            };
            routes.push(Route {
                method,
                template: template.clone(),
                guard,
            });
        }
    }
    routes.sort_by_key(|r| (r.is_final(), r.method != Method::GET));
    routes
}

/// The program's real resources, so that a refusal is not just a missing one.
struct World {
    admin: String,
    manager_of_other: String,
    analyst: String,
    analyst_id: String,
    key: String,
    scoped: Vec<(&'static str, String)>,
    other_key: String,
    revoked_key: String,
    revoked_key_id: String,
    members: Vec<(&'static str, String)>,
    other_member: String,
    forged: Vec<(&'static str, String)>,
    voucher_id: String,
    voucher_code: String,
}

impl World {
    async fn build(app: &TestApp) -> World {
        let shop = app.configured_shop(coffee::config()).await;
        let other = app.shop("other").await;
        let admin = app.admin_token().await;
        let manager_of_other = app
            .admin_with_role(&admin, "manager@example.com", "manager", &["other"])
            .await;
        let analyst = app
            .admin_with_role(&admin, "analyst@example.com", "analyst", &[&shop.slug])
            .await;
        let admins = body(
            app.request(Method::GET, "/v1/admin/admins")
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let analyst_id = admins["data"][2]["id"].to_string();
        let mut scoped = Vec::new();
        for scope in ALL_SCOPES {
            let key = app.api_key(&admin, &shop.slug, &[scope]).await;
            scoped.push((scope, key["key"].as_str().unwrap().to_owned()));
        }
        let revoked = app.api_key(&admin, &shop.slug, &ALL_SCOPES).await;
        let revoked_key_id = revoked["id"].to_string();
        let response = app
            .request(
                Method::DELETE,
                &format!("/v1/admin/programs/{}/api-keys/{revoked_key_id}", shop.slug),
            )
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        let mut members = Vec::new();
        for name in ["ana", "bo"] {
            app.enrol(&shop, name).await;
            app.give(&shop, name, 500).await;
            members.push((name, app.member_token(&shop, name).await));
        }
        app.enrol(&other, "cy").await;
        let other_member = app.member_token(&other, "cy").await;
        app.event(
            &shop,
            json!({"type": "purchase", "id": "e1", "member": "ana", "amount": "5.00"}),
        )
        .await;
        let voucher = body(
            app.store(&shop, Method::POST, "/v1/members/ana/redemptions")
                .json(&json!({"reward": "brewed-coffee"}))
                .send()
                .await
                .unwrap(),
        )
        .await;

        let ana = app.member_row(&shop, "ana").await;
        let mut member_claims = claims("fidelio-member", 600);
        member_claims["sub"] = json!(ana.id.to_string());
        member_claims["prg"] = json!(ana.program_id);
        let mut expired_member = member_claims.clone();
        expired_member["exp"] = json!(chrono::Utc::now().timestamp() - 60);
        let admin_claims = claims("fidelio-admin", 600);
        let mut expired_admin = admin_claims.clone();
        expired_admin["exp"] = json!(chrono::Utc::now().timestamp() - 60);
        let mut elsewhere = member_claims.clone();
        elsewhere["aud"] = json!("fidelio-partner");
        let forged = vec![
            ("expired member", signed(&expired_member, JWT_SECRET)),
            ("expired admin", signed(&expired_admin, JWT_SECRET)),
            ("member, alg none", unsigned(&member_claims)),
            ("admin, alg none", unsigned(&admin_claims)),
            (
                "member, another secret",
                signed(&member_claims, OTHER_SECRET),
            ),
            ("admin, another secret", signed(&admin_claims, OTHER_SECRET)),
            ("another audience", signed(&elsewhere, JWT_SECRET)),
        ];
        World {
            admin,
            manager_of_other,
            analyst,
            analyst_id,
            key: shop.key.clone(),
            scoped,
            other_key: other.key.clone(),
            revoked_key: revoked["key"].as_str().unwrap().to_owned(),
            revoked_key_id,
            members,
            other_member,
            forged,
            voucher_id: voucher["id"].as_str().unwrap().to_owned(),
            voucher_code: voucher["code"].as_str().unwrap().to_owned(),
        }
    }

    fn callers(&self) -> Vec<Caller> {
        let mut callers = vec![
            Caller::Anonymous,
            Caller::Admin,
            Caller::ManagerOfAnotherProgram,
            Caller::Analyst,
            Caller::Key(None),
            Caller::KeyOfAnotherProgram,
            Caller::RevokedKey,
            Caller::MemberOfAnotherProgram,
        ];
        callers.extend(
            self.scoped
                .iter()
                .map(|(scope, _)| Caller::Key(Some(*scope))),
        );
        callers.extend(self.members.iter().map(|(name, _)| Caller::Member(name)));
        callers.extend(self.forged.iter().map(|(name, _)| Caller::Forged(name)));
        callers
    }

    /// A concrete path for a route of the document.
    fn path(&self, template: &str) -> String {
        let id = if template.starts_with("/v1/events/") {
            "e1".to_owned()
        } else if template.starts_with("/v1/admin/admins/") {
            self.analyst_id.clone()
        } else if template.contains("/api-keys/") {
            self.revoked_key_id.clone()
        } else {
            self.voucher_id.clone()
        };
        template
            .replace("{program}", "coffee")
            .replace("{external_id}", "ana")
            .replace("{slug}", "star-dash")
            .replace("{code}", &self.voucher_code)
            .replace("{id}", &id)
    }

    fn with(&self, request: RequestBuilder, caller: &Caller) -> RequestBuilder {
        let lookup = |list: &[(&'static str, String)], name: &str| {
            list.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        match caller {
            Caller::Anonymous => request,
            Caller::Admin => request.bearer_auth(&self.admin),
            Caller::ManagerOfAnotherProgram => request.bearer_auth(&self.manager_of_other),
            Caller::Analyst => request.bearer_auth(&self.analyst),
            Caller::Key(None) => request.header("x-api-key", &self.key),
            Caller::Key(Some(scope)) => request.header("x-api-key", lookup(&self.scoped, scope)),
            Caller::KeyOfAnotherProgram => request.header("x-api-key", &self.other_key),
            Caller::RevokedKey => request.header("x-api-key", &self.revoked_key),
            Caller::Member(name) => request.bearer_auth(lookup(&self.members, name)),
            Caller::MemberOfAnotherProgram => request.bearer_auth(&self.other_member),
            Caller::Forged(name) => request.bearer_auth(lookup(&self.forged, name)),
        }
    }
}

#[tokio::test]
async fn every_route_answers_every_kind_of_caller_as_its_document_says() {
    let app = TestApp::spawn().await;
    let world = World::build(&app).await;
    let document = body(
        app.request(Method::GET, "/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let routes = routes(&document);
    assert!(
        routes.len() >= 85,
        "the document lists {} routes",
        routes.len()
    );
    let guarded = routes.iter().filter(|r| r.guard != Guard::Public).count();
    assert!(guarded >= 80, "{guarded} routes need a caller");

    let callers = world.callers();
    let mut failures = Vec::new();
    let mut tried = 0;
    // Every refusal first, while every resource is still there; then the callers who may.
    for through in [false, true] {
        for route in &routes {
            for caller in &callers {
                let expected = expect(route, caller);
                if (expected == Some(Expect::Through)) != through {
                    continue;
                }
                let path = world.path(&route.template);
                let mut request = world.with(app.request(route.method.clone(), &path), caller);
                if route.method != Method::GET && route.method != Method::DELETE {
                    request = request.json(&json!({}));
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let text = response.text().await.unwrap();
                tried += 1;
                // A documented route that no handler serves falls to the default service.
                let unserved = status == StatusCode::METHOD_NOT_ALLOWED
                    || text.contains("\"detail\":\"no route for ");
                let ok = match &expected {
                    _ if status.is_server_error() || unserved => false,
                    None => true,
                    Some(Expect::Through) => {
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN
                    }
                    Some(Expect::Refused(refusal)) => status == *refusal,
                    Some(Expect::Unseen) => !status.is_success(),
                };
                if !ok {
                    failures.push(format!(
                        "{} {path} as {caller:?}: expected {expected:?}, got {status} {text}",
                        route.method
                    ));
                }
            }
        }
    }
    assert!(tried > 1_000, "{tried} requests");
    assert!(
        failures.is_empty(),
        "{} of {tried} answers are wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
