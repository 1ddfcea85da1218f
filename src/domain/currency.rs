//! ISO 4217 currencies and their minor units: money is stored as an integer count of them.

use rust_decimal::Decimal;

use super::Invalid;

/// A currency code and how many decimal places its amounts have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    pub code: String,
    pub exponent: u32,
}

/// Currencies whose minor unit is not a hundredth.
const EXPONENTS: &[(&str, u32)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

impl Currency {
    /// Parses a three-letter code (any case).
    pub fn parse(field: &str, value: &str) -> Result<Currency, Invalid> {
        let code = value.trim().to_ascii_uppercase();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Invalid::new(
                field,
                format!("{field}: `{value}` is not a three-letter ISO 4217 code"),
            ));
        }
        let exponent = EXPONENTS
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(2, |(_, e)| *e);
        Ok(Currency { code, exponent })
    }

    /// Converts a decimal amount to minor units, refusing more decimals than the currency has.
    pub fn to_minor(&self, field: &str, amount: Decimal) -> Result<i64, Invalid> {
        let too_large = || Invalid::new(field, format!("{field}: the amount is too large"));
        let scaled = amount
            .checked_mul(Decimal::from(10_i64.pow(self.exponent)))
            .ok_or_else(too_large)?;
        if !scaled.fract().is_zero() {
            return Err(Invalid::new(
                field,
                format!(
                    "{field}: {} amounts have at most {} decimal places",
                    self.code, self.exponent
                ),
            ));
        }
        i64::try_from(scaled).map_err(|_| too_large())
    }

    /// Formats minor units as a decimal string with the currency's places ("25.40").
    pub fn format_minor(&self, minor: i64) -> String {
        let mut value = Decimal::new(minor, self.exponent);
        value.rescale(self.exponent);
        value.to_string()
    }

    /// A decimal amount rounded (half away from zero) to the currency's places, as a string.
    pub fn format(&self, value: Decimal) -> String {
        let mut rounded = value.round_dp_with_strategy(
            self.exponent,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        );
        rounded.rescale(self.exponent);
        rounded.to_string()
    }

    /// Minor units as a decimal amount.
    pub fn from_minor(&self, minor: i64) -> Decimal {
        Decimal::new(minor, self.exponent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn amounts_round_trip_through_minor_units() {
        let usd = Currency::parse("currency", "usd").unwrap();
        assert_eq!(
            usd.to_minor("amount", Decimal::from_str("25.4").unwrap())
                .unwrap(),
            2540
        );
        assert_eq!(usd.format_minor(2540), "25.40");
        assert!(
            usd.to_minor("amount", Decimal::from_str("1.005").unwrap())
                .is_err()
        );
        assert!(
            usd.to_minor("amount", Decimal::MAX).is_err(),
            "refused, not a panic"
        );
        let yen = Currency::parse("currency", "JPY").unwrap();
        assert_eq!(yen.format_minor(500), "500");
    }
}
