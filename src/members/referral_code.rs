//! Referral codes: eight characters from an alphabet without look-alikes (no 0/O, 1/I/L).

use rand::Rng;

use crate::db::DbConnection;
use crate::db::models::members;
use crate::error::{AppError, AppResult};

const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const LENGTH: usize = 8;

/// A code no member of the program has (31^8 codes: a collision is rare, and retried).
pub fn unused(tx: &mut DbConnection, program_id: i64) -> AppResult<String> {
    let mut rng = rand::rng();
    for _ in 0..8 {
        let code: String = (0..LENGTH)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        if !members::referral_code_taken(tx, program_id, &code)? {
            return Ok(code);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no unused referral code found in 8 attempts"
    )))
}
