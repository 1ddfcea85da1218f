//! What a storefront does to a voucher it was shown, each in its own transaction.

use super::redeem::Voucher;
use super::vouchers;
use crate::db::{DbConn, now_utc, write_tx};
use crate::error::AppResult;
use crate::ledger::posting::Cause;
use crate::programs;

/// Marks the program's voucher used, in the order it was honoured in.
pub fn use_voucher(
    conn: &mut DbConn,
    program_id: i64,
    id: &str,
    order_id: Option<&str>,
) -> AppResult<Voucher> {
    write_tx(conn, |tx| {
        let program = programs::by_id(tx, program_id)?;
        vouchers::use_voucher(tx, &program, id, order_id, now_utc())
    })
}

/// Cancels the program's unused voucher: its points and stock come back.
pub fn cancel(conn: &mut DbConn, program_id: i64, id: &str, cause: &Cause) -> AppResult<Voucher> {
    write_tx(conn, |tx| {
        let program = programs::by_id(tx, program_id)?;
        vouchers::cancel(tx, &program, id, cause, now_utc())
    })
}
