//! Idempotent requests, as Stripe does them: the first response to an `Idempotency-Key` is
//! stored in the same transaction as the work, and every retry gets it back. The same key with
//! a different request is refused with 422 and changes nothing; concurrent requests with one key
//! execute once (the others wait for the first, then replay it). A request that fails stores
//! nothing, so it can be retried with the same key; so can one whose connection broke and whose
//! outcome is unknown (503 `outcome-unknown`): if it committed, the retry finds its reply. A
//! stored reply belongs to who asked: the same key sent by another API key, member or admin is
//! another request.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::models::idempotency_keys::{self as rows, StoredRequest};
use crate::db::{DbConn, DbConnection, now_utc, write_tx};
use crate::error::{AppError, AppResult, ErrorCode};

/// Who sent a request.
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    ApiKey(i64),
    Member(i64),
    Admin(i64),
}

impl Caller {
    /// How the stored replies name their owner.
    fn owner(self) -> String {
        match self {
            Caller::ApiKey(id) => format!("key:{id}"),
            Caller::Member(id) => format!("member:{id}"),
            Caller::Admin(id) => format!("admin:{id}"),
        }
    }
}

/// A request made idempotent by its key.
#[derive(Debug, Clone)]
pub struct Keyed {
    pub program_id: i64,
    /// Who sent it (see [`Caller`]): the key is theirs.
    pub owner: String,
    pub key: String,
    /// What the request does, e.g. `points.redeem`.
    pub operation: &'static str,
    /// Digest of the request (method, path, normalised body).
    pub digest: String,
}

impl Keyed {
    /// Checks a key from the `Idempotency-Key` header.
    pub fn new(
        program_id: i64,
        caller: Caller,
        key: &str,
        operation: &'static str,
        request: &str,
    ) -> AppResult<Keyed> {
        let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "Idempotency-Key: must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Keyed {
            program_id,
            owner: caller.owner(),
            key: key.to_owned(),
            operation,
            digest: hex::encode(Sha256::digest(request)),
        })
    }
}

/// A response to send: fresh, or replayed from the first request with the same key.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// The result of a request's work: the response body, and the ledger entry it wrote if any.
pub struct Done<T> {
    pub body: T,
    pub entry_id: Option<i64>,
}

enum Failure {
    KeyTaken,
    App(AppError),
}

impl From<diesel::result::Error> for Failure {
    fn from(error: diesel::result::Error) -> Self {
        Failure::App(error.into())
    }
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Failure::App(error)
    }
}

/// Runs `work` in one write transaction, once per key.
pub fn execute<T: Serialize>(
    conn: &mut DbConn,
    keyed: Option<&Keyed>,
    status: u16,
    work: impl FnOnce(&mut DbConnection) -> AppResult<Done<T>>,
) -> AppResult<Reply> {
    let Some(keyed) = keyed else {
        return write_tx(conn, |tx| {
            let done = work(tx)?;
            Ok(Reply {
                status,
                body: to_json(&done.body)?,
                replayed: false,
            })
        });
    };
    // A key used before is found when its claim finds the row taken: one statement fewer for
    // every new request than a look-up first.
    let attempt = write_tx(conn, |tx| {
        let claimed = rows::claim(
            tx,
            keyed.program_id,
            &keyed.owner,
            &keyed.key,
            keyed.operation,
            &keyed.digest,
            now_utc(),
        )?;
        let Some(claim) = claimed else {
            // Taken by a request that is done: read its reply in this transaction, which
            // sees it even before a shared SQLite commit makes it visible to others.
            return match rows::find(tx, keyed.program_id, &keyed.owner, &keyed.key)? {
                Some(stored) => replay(stored, keyed).map_err(Failure::App),
                None => Err(Failure::KeyTaken),
            };
        };
        let done = work(tx)?;
        let body = to_json(&done.body)?;
        rows::complete(tx, claim, i32::from(status), &body, done.entry_id)?;
        Ok::<_, Failure>(Reply {
            status,
            body,
            replayed: false,
        })
    });
    match attempt {
        Ok(reply) => Ok(reply),
        Err(Failure::App(error)) => Err(error),
        Err(Failure::KeyTaken) => {
            match rows::find(conn, keyed.program_id, &keyed.owner, &keyed.key)? {
                Some(stored) => replay(stored, keyed),
                None => Err(AppError::conflict(
                    ErrorCode::IdempotencyKeyInUse,
                    "another request with this Idempotency-Key is in progress; retry shortly",
                )),
            }
        }
    }
}

fn replay(stored: StoredRequest, keyed: &Keyed) -> AppResult<Reply> {
    if stored.request_digest != keyed.digest {
        return Err(AppError::Unprocessable {
            code: ErrorCode::IdempotencyKeyReused,
            detail: "Idempotency-Key: this key was used with a different request".into(),
        });
    }
    let status = u16::try_from(stored.status_code).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Reply {
        status,
        body: stored.response_body,
        replayed: true,
    })
}

fn to_json<T: Serialize>(body: &T) -> AppResult<String> {
    serde_json::to_string(body).map_err(|e| AppError::Internal(e.into()))
}
