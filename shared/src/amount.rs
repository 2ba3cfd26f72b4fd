//! Amounts as integers in base units: TRX in sun (protobuf int64), TRC-20 values as exact
//! uint256. Decimal strings are parsed and formatted exactly; there are no floats anywhere.

use std::fmt;

pub use ruint::aliases::U256;

use crate::error::{Error, Result};

/// Decimals of TRX (1 TRX = 1,000,000 sun).
pub const TRX_DECIMALS: u8 = 6;

/// An amount of TRX in sun. Always within protobuf int64's non-negative range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sun(u64);

impl Sun {
    /// Zero sun.
    pub const ZERO: Sun = Sun(0);
    /// The largest representable amount (`i64::MAX`).
    pub const MAX: Sun = Sun(i64::MAX as u64);

    /// Builds an amount, refusing values above `i64::MAX`.
    pub fn new(sun: u64) -> Result<Self> {
        if sun > i64::MAX as u64 {
            return Err(Error::SunRange(i128::from(sun)));
        }
        Ok(Sun(sun))
    }

    /// Builds an amount from a signed protobuf value, refusing negatives.
    pub fn from_i64(sun: i64) -> Result<Self> {
        u64::try_from(sun)
            .map(Sun)
            .map_err(|_| Error::SunRange(i128::from(sun)))
    }

    /// The value in sun.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Parses a TRX decimal string ("12.5" → 12,500,000 sun).
    pub fn parse_trx(s: &str) -> Result<Self> {
        let v = parse_units(s, TRX_DECIMALS)?;
        let v: u64 = v
            .try_into()
            .map_err(|_| Error::AmountOverflow(s.to_string()))?;
        Sun::new(v).map_err(|_| Error::AmountOverflow(s.to_string()))
    }

    /// Formats as TRX with trailing zeros trimmed ("12.5").
    pub fn to_trx_string(self) -> String {
        format_units(U256::from(self.0), TRX_DECIMALS)
    }

    /// Checked addition.
    pub fn checked_add(self, other: Sun) -> Option<Sun> {
        self.0.checked_add(other.0).and_then(|v| Sun::new(v).ok())
    }
}

impl fmt::Display for Sun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Parses a non-negative decimal string into base units with `decimals` fraction digits.
///
/// Accepts `"12"`, `"12.5"`, `"0.000001"`; refuses empty strings, signs, exponents,
/// whitespace, separators, a lone or trailing '.', more fraction digits than `decimals`,
/// and values above `2^256 - 1`.
pub fn parse_units(s: &str, decimals: u8) -> Result<U256> {
    if s.is_empty() {
        return Err(Error::AmountEmpty);
    }
    if let Some((position, ch)) = s
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
    {
        return Err(Error::AmountChar {
            ch,
            position,
            input: s.to_string(),
        });
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || frac.is_some_and(|f| f.is_empty() || f.contains('.')) {
        return Err(Error::AmountMalformed(s.to_string()));
    }
    let frac = frac.unwrap_or("");
    if frac.len() > usize::from(decimals) {
        return Err(Error::AmountPrecision {
            input: s.to_string(),
            decimals,
        });
    }
    let overflow = || Error::AmountOverflow(s.to_string());
    let ten = U256::from(10u8);
    let mut value = U256::ZERO;
    for b in int.bytes().chain(frac.bytes()) {
        value = value
            .checked_mul(ten)
            .and_then(|v| v.checked_add(U256::from(b - b'0')))
            .ok_or_else(overflow)?;
    }
    for _ in frac.len()..usize::from(decimals) {
        value = value.checked_mul(ten).ok_or_else(overflow)?;
    }
    Ok(value)
}

/// Formats base units as a decimal string with `decimals` fraction digits, trailing zeros
/// (and a trailing '.') trimmed: 12500000 with 6 decimals → "12.5".
pub fn format_units(value: U256, decimals: u8) -> String {
    let digits = value.to_string();
    let d = usize::from(decimals);
    if d == 0 {
        return digits;
    }
    let padded = if digits.len() <= d {
        format!("{}{}", "0".repeat(d + 1 - digits.len()), digits)
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - d);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_units("12.5", 6).unwrap(), U256::from(12_500_000u64));
        assert_eq!(parse_units("0.000001", 6).unwrap(), U256::from(1u64));
        assert_eq!(parse_units("7", 0).unwrap(), U256::from(7u64));
        assert_eq!(Sun::parse_trx("1").unwrap().as_u64(), 1_000_000);
    }

    #[test]
    fn refuses_bad_strings() {
        assert_eq!(parse_units("", 6), Err(Error::AmountEmpty));
        assert!(matches!(
            parse_units("-1", 6),
            Err(Error::AmountChar { ch: '-', .. })
        ));
        assert!(matches!(
            parse_units("+1", 6),
            Err(Error::AmountChar { ch: '+', .. })
        ));
        assert!(matches!(
            parse_units("1e6", 6),
            Err(Error::AmountChar { ch: 'e', .. })
        ));
        assert!(matches!(
            parse_units(" 1", 6),
            Err(Error::AmountChar { ch: ' ', .. })
        ));
        assert!(matches!(
            parse_units("1,5", 6),
            Err(Error::AmountChar { ch: ',', .. })
        ));
        assert!(matches!(
            parse_units("1.", 6),
            Err(Error::AmountMalformed(_))
        ));
        assert!(matches!(
            parse_units(".5", 6),
            Err(Error::AmountMalformed(_))
        ));
        assert!(matches!(
            parse_units("1.2.3", 6),
            Err(Error::AmountMalformed(_))
        ));
        assert!(matches!(
            parse_units("0.0000001", 6),
            Err(Error::AmountPrecision { decimals: 6, .. })
        ));
        let max = U256::MAX.to_string();
        assert_eq!(parse_units(&max, 0).unwrap(), U256::MAX);
        assert!(matches!(
            parse_units(&max, 1),
            Err(Error::AmountOverflow(_))
        ));
        assert!(matches!(
            Sun::parse_trx("9223372036855"),
            Err(Error::AmountOverflow(_))
        ));
        assert!(Sun::from_i64(-1).is_err());
    }

    #[test]
    fn formats_trimmed() {
        assert_eq!(format_units(U256::from(12_500_000u64), 6), "12.5");
        assert_eq!(format_units(U256::from(1u64), 6), "0.000001");
        assert_eq!(format_units(U256::ZERO, 6), "0");
        assert_eq!(format_units(U256::from(5_000_000u64), 6), "5");
    }

    proptest! {
        #[test]
        fn format_parse_round_trip(limbs in any::<[u64; 4]>(), decimals in 0u8..=30) {
            let v = U256::from_limbs(limbs);
            let s = format_units(v, decimals);
            prop_assert_eq!(parse_units(&s, decimals).unwrap(), v);
        }
    }
}
