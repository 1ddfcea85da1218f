//! JSON Web Tokens for admins and members: HS256 only (the algorithm is pinned), with `exp`,
//! `iss`, `aud` and `sub` required and checked. Admin and member tokens carry different
//! audiences, so neither opens the other's routes.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "fidelio";

/// Whom a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Admin,
    Member,
}

impl Audience {
    fn as_str(self) -> &'static str {
        match self {
            Audience::Admin => "fidelio-admin",
            Audience::Member => "fidelio-member",
        }
    }
}

/// The claims of every token Fidelio issues.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Admin id, or member id.
    pub sub: String,
    /// For member tokens: the program the member belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prg: Option<i64>,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signs and checks tokens with one shared secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Issues a token for `sub` valid for `ttl_secs`.
    pub fn issue(
        &self,
        audience: Audience,
        sub: String,
        program: Option<i64>,
        ttl_secs: i64,
    ) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub,
            prg: program,
            aud: audience.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now + ttl_secs,
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks a token's signature, algorithm, expiry, issuer and audience.
    pub fn verify(&self, token: &str, audience: Audience) -> Result<Claims, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_audience(&[audience.as_str()]);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| describe(e.kind()))
    }
}

fn describe(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::InvalidAudience => "the token is not meant for this route".into(),
        ErrorKind::InvalidIssuer => "the token was not issued by Fidelio".into(),
        ErrorKind::InvalidSignature => "the token's signature is invalid".into(),
        ErrorKind::InvalidAlgorithm => "the token must be signed with HS256".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token lacks the `{claim}` claim"),
        _ => "the token is malformed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"a test secret of sufficient length!!")
    }

    #[test]
    fn a_token_is_accepted_only_for_its_audience() {
        let token = keys().issue(Audience::Admin, "7".into(), None, 60).unwrap();
        assert_eq!(keys().verify(&token, Audience::Admin).unwrap().sub, "7");
        assert!(keys().verify(&token, Audience::Member).is_err());
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let expired = keys()
            .issue(Audience::Admin, "7".into(), None, -3600)
            .unwrap();
        assert_eq!(
            keys().verify(&expired, Audience::Admin).unwrap_err(),
            "the token has expired"
        );
        let other = TokenKeys::new(b"another secret of sufficient length")
            .issue(Audience::Admin, "7".into(), None, 60)
            .unwrap();
        assert!(keys().verify(&other, Audience::Admin).is_err());
    }
}
