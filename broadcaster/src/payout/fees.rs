//! Fee inputs that cannot go silently wrong: the plausible energy band of a registered token's
//! transfer, and the fee limit computed from an estimate with checked arithmetic, never cut
//! below the estimate.
//!
//! An energy estimate is a node's claim. A member that answers 2,000 energy for a USDT transfer
//! (it needs about 65,000, or 130,000 to a new holder) would make every transaction fail with
//! OUT_OF_ENERGY and burn its fees. So an estimate must fall in a band: the token registry's
//! floor and ceiling ([`crate::tokens::Token`], adjustable in the config), and the journal's own
//! history of the contract. That history is receipts (node-reported, covered by no block hash),
//! so it only moves the band within limits: it raises the floor to a fifth of the least energy
//! a confirmed transfer of the same kind used (the dynamic-energy factor moves a USDT transfer
//! between 1× and about 4.4× its base), and widens the ceiling to twice the most ever used, at
//! most four times the registry's ceiling.

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::U256;

use crate::error::{BcError, Result};
use crate::journal::Journal;
pub use crate::node::energy_band::{Band, Seen};

/// Energy used by confirmed transfers of `token` (base58 contract) to recipients that did
/// (`holds`) or did not hold it, from the journal's receipts. Attempts without a recorded
/// recipient kind or energy figure are left out.
pub fn history(journal: &Journal, token: &str, holds: bool) -> Result<Vec<u64>> {
    Ok(journal
        .energy_history(token)?
        .into_iter()
        .filter(|u| u.recipient_holds_token == holds && u.energy > 0)
        .map(|u| u.energy)
        .collect())
}

/// TRX text of a sun amount.
pub fn trx(sun: u128) -> String {
    format_units(U256::from(sun), TRX_DECIMALS)
}

/// Why a fee limit could not be set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeeLimitError {
    /// The estimate alone costs more than `--max-fee`: (estimate cost, cap), sun.
    OverCap(u128, u64),
    /// The numbers overflow (a node reported an absurd price or estimate).
    Overflow,
}

/// The fee limit for `energy` at `price` sun with `margin_pct` percent on top, capped at
/// `max_fee` but never below the estimate's own cost: a cap that would cut into the estimate
/// is an error, not a smaller limit. Checked arithmetic throughout.
pub fn fee_limit(
    energy: u64,
    price: u64,
    margin_pct: u64,
    max_fee: u64,
) -> std::result::Result<u64, FeeLimitError> {
    let cost = u128::from(energy) * u128::from(price);
    let wanted = cost
        .checked_mul(u128::from(
            100u64
                .checked_add(margin_pct)
                .ok_or(FeeLimitError::Overflow)?,
        ))
        .ok_or(FeeLimitError::Overflow)?
        / 100;
    if cost > u128::from(max_fee) {
        return Err(FeeLimitError::OverCap(cost, max_fee));
    }
    let limit = wanted.min(u128::from(max_fee));
    u64::try_from(limit).map_err(|_| FeeLimitError::Overflow)
}

/// The refusal when `--max-fee` is below the estimated cost of some payouts.
pub fn over_cap_error(cut: &[(String, u128, u64)]) -> BcError {
    let each: Vec<String> = cut
        .iter()
        .map(|(id, cost, cap)| {
            format!(
                "payout {id}: estimated energy costs {} TRX but --max-fee is {} TRX",
                trx(*cost),
                trx(u128::from(*cap))
            )
        })
        .collect();
    BcError::Input(format!(
        "not building: a fee limit below the energy estimate would fail on chain and burn its fees; raise --max-fee or pay these later: {}",
        each.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::Token;

    fn usdt() -> Token {
        Token::usdt(coldpay_shared::Network::Mainnet)
    }

    #[test]
    fn the_registry_band_refuses_a_lying_estimate() {
        let b = Band::new(&usdt(), true, &[]);
        assert!(!b.contains(2_000));
        assert!(!b.contains(0));
        assert!(!b.contains(u64::MAX));
        assert!(b.contains(64_285));
        assert!(b.contains(130_285));
        assert!(b.describe().contains("14000..=300000"), "{}", b.describe());
    }

    #[test]
    fn history_moves_the_band_within_limits() {
        // Earlier transfers to new holders used ~130k: 20k is implausible for that kind even
        // though it is above the registry floor.
        let b = Band::new(&usdt(), false, &[130_285, 131_000]);
        assert_eq!(b.low, 26_057);
        assert!(!b.contains(20_000));
        assert!(b.contains(29_650), "zero penalty stays plausible");
        // A forged receipt of a billion energy widens the ceiling at most fourfold.
        let forged = Band::new(&usdt(), true, &[64_285, 1_000_000_000]);
        assert_eq!(forged.high, 4 * crate::tokens::USDT_MAX_ENERGY);
        assert_eq!(forged.low, crate::tokens::USDT_MIN_ENERGY);
        // A forged tiny receipt never lowers the registry floor.
        let tiny = Band::new(&usdt(), true, &[1]);
        assert_eq!(tiny.low, crate::tokens::USDT_MIN_ENERGY);
        // A forged huge floor cannot pass the ceiling: the band never becomes empty.
        let huge = Band::new(&usdt(), true, &[u64::MAX]);
        assert!(huge.low <= huge.high);
    }

    #[test]
    fn fee_limits_are_never_cut_below_the_estimate() {
        // 64,285 energy at 100 sun = 6.4285 TRX; +20 % = 7.7142 TRX.
        assert_eq!(fee_limit(64_285, 100, 20, 100_000_000), Ok(7_714_200));
        // The cap may eat into the margin...
        assert_eq!(fee_limit(64_285, 100, 20, 7_000_000), Ok(7_000_000));
        // ...but not into the estimate.
        assert_eq!(
            fee_limit(64_285, 100, 20, 6_000_000),
            Err(FeeLimitError::OverCap(6_428_500, 6_000_000))
        );
        assert_eq!(
            fee_limit(u64::MAX, u64::MAX, 20, u64::MAX),
            Err(FeeLimitError::Overflow)
        );
        assert_eq!(
            fee_limit(1, 1, u64::MAX, u64::MAX),
            Err(FeeLimitError::Overflow)
        );
        let e = over_cap_error(&[("p1".into(), 6_428_500, 6_000_000)]).to_string();
        assert!(
            e.contains("payout p1") && e.contains("6.4285 TRX") && e.contains("6 TRX"),
            "{e}"
        );
    }
}
