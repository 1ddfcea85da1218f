//! The audit context of a request: who calls (the admin or the storefront key) and the
//! request id that is also returned as `X-Request-Id`.

use crate::api::observe::RequestId;
use actix_web::{HttpMessage, HttpRequest};

use crate::api::extract::AdminUser;
use crate::audit::{Actor, Audit};

fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// A change an admin makes in this request.
pub fn by_admin(req: &HttpRequest, admin: &AdminUser) -> Audit {
    Audit {
        actor: Actor::Admin {
            id: admin.id,
            email: admin.email.clone(),
        },
        request_id: request_id(req),
    }
}

/// A change a storefront key makes in this request.
pub fn by_key(req: &HttpRequest, key_id: i64) -> Audit {
    Audit {
        actor: Actor::Key { id: key_id },
        request_id: request_id(req),
    }
}
