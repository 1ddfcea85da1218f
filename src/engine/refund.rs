//! Refunds: take back a purchase's points in proportion to the money returned. Partial and
//! repeated refunds never take back more than the purchase earned; the share is computed on
//! the cumulative refunded amount, so a purchase refunded in parts ends exactly at zero.

/// What a purchase earned and what refunds have taken back so far (amounts in minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundablePurchase {
    pub amount: i64,
    pub points_earned: i64,
    pub refunded: i64,
    pub points_reversed: i64,
}

/// What one refund takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reversal {
    /// Points to take back now.
    pub points: i64,
    /// Money refunded so far, this refund included, at most the purchase's amount.
    pub refunded_total: i64,
    /// Points taken back so far, this refund included.
    pub reversed_total: i64,
}

/// The reversal for refunding `amount` more of `purchase`.
pub fn reversal(purchase: &RefundablePurchase, amount: i64) -> Reversal {
    let refunded_total = (purchase.refunded + amount.max(0)).min(purchase.amount);
    let target = if purchase.amount <= 0 || refunded_total >= purchase.amount {
        purchase.points_earned
    } else {
        let share = i128::from(purchase.points_earned) * i128::from(refunded_total)
            / i128::from(purchase.amount);
        i64::try_from(share).unwrap_or(purchase.points_earned)
    };
    let reversed_total = target.max(purchase.points_reversed);
    Reversal {
        points: reversed_total - purchase.points_reversed,
        refunded_total,
        reversed_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase(amount: i64, points: i64) -> RefundablePurchase {
        RefundablePurchase {
            amount,
            points_earned: points,
            refunded: 0,
            points_reversed: 0,
        }
    }

    #[test]
    fn a_full_refund_takes_back_every_point() {
        assert_eq!(reversal(&purchase(10_000, 100), 10_000).points, 100);
    }

    #[test]
    fn partial_refunds_take_back_their_share_and_end_exactly_at_zero() {
        let mut p = purchase(1_000, 10);
        let first = reversal(&p, 333);
        assert_eq!(first.points, 3);
        p.refunded = first.refunded_total;
        p.points_reversed = first.reversed_total;
        let second = reversal(&p, 667);
        assert_eq!(second.points, 7);
        assert_eq!(second.reversed_total, 10);
    }

    #[test]
    fn refunding_more_than_was_paid_takes_back_no_more_than_was_earned() {
        let mut p = purchase(1_000, 10);
        let first = reversal(&p, 1_000);
        p.refunded = first.refunded_total;
        p.points_reversed = first.reversed_total;
        assert_eq!(reversal(&p, 500).points, 0);
    }
}
