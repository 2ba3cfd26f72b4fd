//! The one definition of what a sign request burns, used by `build`'s summary and by the
//! signer's review so both people read out the same numbers (issue #23 item 3).
//!
//! Per transaction, from its signed bytes and the broadcaster's fee inputs:
//!
//! - **bandwidth bytes** = the signed `Transaction` (raw_data and the signatures it needs,
//!   65 bytes each) + 64 (java-tron's result allowance, BandwidthProcessor), computed here
//!   from the bytes, never taken from a claim;
//! - **expected burn** = (energy estimate − energy from stake) × energy price + bandwidth
//!   bytes × bandwidth price unless staked or free bandwidth covers the whole transaction +
//!   the memo fee when it carries a memo + other fixed fees (multi-signature);
//! - **worst case** = the fee limit (it caps all energy, staked or burned) or the expected
//!   energy burn if higher + every bandwidth byte burned (with the most signatures the
//!   permission can collect) + the memo fee + other fixed fees.
//!
//! The prices, the energy estimate and what the stake covers are the online machine's claims;
//! the fee limit, the size and whether there is a memo come from the signed bytes.

use crate::amount::{format_units, TRX_DECIMALS, U256};
use crate::handoff::{FeeInputs, SignRequest};
use crate::permission::PermissionClaim;
use crate::transaction::RawData;

/// java-tron's MAX_RESULT_SIZE_IN_TX: bytes charged per transaction on top of its size.
pub const RESULT_BYTES: u64 = 64;
/// Bytes one signature adds to a signed `Transaction` (tag, length, 65 bytes).
const SIGNATURE_BYTES: u64 = 67;

/// How many signatures a transaction will carry: the fewest that reach the threshold
/// (expected) and every key of the permission (worst case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signatures {
    /// Fewest signatures that reach the threshold.
    pub expected: u64,
    /// Most signatures the permission can collect.
    pub most: u64,
}

impl Signatures {
    /// One key (no permission claim), or the claim's keys and threshold.
    pub fn of(claim: Option<&PermissionClaim>) -> Signatures {
        let Some(c) = claim else {
            return Signatures {
                expected: 1,
                most: 1,
            };
        };
        let mut weights: Vec<i64> = c.keys.iter().map(|k| k.weight).collect();
        weights.sort_unstable_by(|a, b| b.cmp(a));
        let mut sum = 0i64;
        let mut expected = weights.len() as u64;
        for (i, w) in weights.iter().enumerate() {
            sum = sum.saturating_add(*w);
            if sum >= c.threshold {
                expected = i as u64 + 1;
                break;
            }
        }
        Signatures {
            expected: expected.max(1),
            most: (weights.len() as u64).max(1),
        }
    }
}

/// Bandwidth bytes of `raw` signed with `signatures` signatures, as java-tron charges them.
pub fn bandwidth_bytes(raw: &RawData, signatures: u64) -> u64 {
    let raw_len = raw.encode().len() as u64;
    let mut len_bytes = 1;
    let mut v = raw_len >> 7;
    while v > 0 {
        len_bytes += 1;
        v >>= 7;
    }
    1 + len_bytes + raw_len + SIGNATURE_BYTES * signatures + RESULT_BYTES
}

/// What one transaction burns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxBurn {
    /// Energy the stake is expected to cover.
    pub energy_from_stake: u64,
    /// Expected sun burned.
    pub expected_sun: u128,
    /// Most sun it can burn.
    pub worst_sun: u128,
    /// Bandwidth bytes with the expected signatures.
    pub bandwidth_bytes: u64,
}

/// The burn of one transaction (see the module documentation).
pub fn tx_burn(raw: &RawData, fee: Option<&FeeInputs>, sigs: Signatures) -> TxBurn {
    let f = fee.copied().unwrap_or_default();
    let bytes = bandwidth_bytes(raw, sigs.expected);
    let most_bytes = bandwidth_bytes(raw, sigs.most);
    let bw_price = u128::from(f.bandwidth_price_sun.unwrap_or(0));
    let memo = if raw.memo.is_empty() {
        0
    } else {
        u128::from(f.memo_fee_sun.unwrap_or(0))
    };
    let fixed = memo + u128::from(f.other_fees_sun.unwrap_or(0));
    let from_stake = f.energy_from_stake.unwrap_or(0).min(f.energy_estimate);
    let energy = u128::from(f.energy_estimate - from_stake) * u128::from(f.energy_price_sun);
    let bandwidth = if f.bandwidth_covered == Some(true) {
        0
    } else {
        u128::from(bytes) * bw_price
    };
    TxBurn {
        energy_from_stake: from_stake,
        expected_sun: energy + bandwidth + fixed,
        worst_sun: u128::from(raw.fee_limit).max(energy)
            + u128::from(most_bytes) * bw_price
            + fixed,
        bandwidth_bytes: bytes,
    }
}

/// What a whole request burns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Burn {
    /// Energy the stake is expected to cover.
    pub energy_from_stake: u128,
    /// Expected sun burned.
    pub expected_sun: u128,
    /// Most sun it can burn.
    pub worst_sun: u128,
    /// Transactions without the bandwidth and memo prices (older requests): their bandwidth
    /// and memo terms are not counted.
    pub unpriced: usize,
}

impl Burn {
    /// Adds one transaction.
    pub fn add(&mut self, raw: &RawData, fee: Option<&FeeInputs>, sigs: Signatures) {
        let t = tx_burn(raw, fee, sigs);
        self.energy_from_stake += u128::from(t.energy_from_stake);
        self.expected_sun += t.expected_sun;
        self.worst_sun += t.worst_sun;
        if fee.and_then(|f| f.bandwidth_price_sun).is_none() {
            self.unpriced += 1;
        }
    }

    /// The burn of every transaction of a request.
    pub fn of_request(req: &SignRequest) -> Burn {
        let sigs = Signatures::of(req.permission.as_ref());
        let mut b = Burn::default();
        for t in &req.transactions {
            b.add(&t.raw, t.fee.as_ref(), sigs);
        }
        b
    }

    /// Expected burn in TRX ("12.5").
    pub fn expected_trx(&self) -> String {
        trx(self.expected_sun)
    }

    /// Worst case in TRX.
    pub fn worst_trx(&self) -> String {
        trx(self.worst_sun)
    }

    /// "energy from stake N, burned M TRX (expected) / W TRX (worst case)": the line both
    /// screens print.
    pub fn line(&self) -> String {
        format!(
            "energy from stake {}, burned {} TRX (expected) / {} TRX (worst case)",
            self.energy_from_stake,
            self.expected_trx(),
            self.worst_trx()
        )
    }

    /// What the two figures include, in short lines (both screens print them under
    /// [`Burn::line`]).
    pub fn includes_lines(&self) -> Vec<String> {
        let mut v = vec![
            "expected: energy the stake does not cover, bandwidth that staked or".to_string(),
            "  free bandwidth does not cover, memo and multi-signature fees".to_string(),
            "worst case: every fee limit used up, all bandwidth burned, memo and".to_string(),
            "  multi-signature fees".to_string(),
        ];
        if self.unpriced > 0 {
            v.push(format!(
                "{} transaction(s) carry no bandwidth price: their bandwidth and",
                self.unpriced
            ));
            v.push("  memo fees are not counted".to_string());
        }
        v
    }

    /// [`Burn::includes_lines`] as one sentence (JSON).
    pub fn includes(&self) -> String {
        self.includes_lines()
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn trx(sun: u128) -> String {
    format_units(U256::from(sun), TRX_DECIMALS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permission::PermissionKey;
    use crate::{Address, RefBlock, Sun};

    fn a(n: u8) -> Address {
        Address::from_evm_bytes([n; 20])
    }

    fn usdt_tx(fee_limit: u64) -> RawData {
        RawData::trc20_transfer(
            a(1),
            a(9),
            a(2),
            U256::from(1_000_000u64),
            fee_limit,
            RefBlock::from_block_id(&[1; 32]),
            1_795_543_200_000,
            1_795_500_000_000,
        )
    }

    fn priced(estimate: u64, from_stake: u64, covered: bool) -> FeeInputs {
        FeeInputs {
            energy_estimate: estimate,
            energy_price_sun: 100,
            energy_from_stake: Some(from_stake),
            bandwidth_covered: Some(covered),
            bandwidth_price_sun: Some(1000),
            memo_fee_sun: Some(1_000_000),
            other_fees_sun: Some(0),
            ..FeeInputs::default()
        }
    }

    #[test]
    fn bandwidth_is_the_signed_size_plus_the_result_allowance() {
        let raw = usdt_tx(30_000_000);
        let mut sig = [1u8; 65];
        sig[64] = 0;
        let signed = crate::SignedTransaction {
            raw: raw.clone(),
            signatures: vec![crate::Signature::from_bytes(&sig).unwrap()],
        };
        assert_eq!(
            bandwidth_bytes(&raw, 1),
            signed.encode().len() as u64 + RESULT_BYTES
        );
        assert_eq!(bandwidth_bytes(&raw, 3), bandwidth_bytes(&raw, 1) + 134);
    }

    #[test]
    fn the_stake_and_covered_bandwidth_lower_only_the_expected_burn() {
        let raw = usdt_tx(20_000_000);
        let one = Signatures::of(None);
        let bytes = u128::from(bandwidth_bytes(&raw, 1));
        // No stake: 130,285 energy × 100 sun + every byte at 1,000 sun.
        let t = tx_burn(&raw, Some(&priced(130_285, 0, false)), one);
        assert_eq!(t.expected_sun, 13_028_500 + bytes * 1000);
        assert_eq!(t.worst_sun, 20_000_000 + bytes * 1000);
        // 30,000 from stake, bandwidth covered: only 100,285 energy burns.
        let t = tx_burn(&raw, Some(&priced(130_285, 30_000, true)), one);
        assert_eq!(t.energy_from_stake, 30_000);
        assert_eq!(t.expected_sun, 10_028_500);
        assert_eq!(t.worst_sun, 20_000_000 + bytes * 1000);
        // Fully staked: nothing expected, the worst case unchanged.
        let t = tx_burn(&raw, Some(&priced(130_285, 200_000, true)), one);
        assert_eq!((t.energy_from_stake, t.expected_sun), (130_285, 0));
    }

    #[test]
    fn memo_and_other_fees_count_in_both_figures() {
        let mut raw = RawData::trx_transfer(
            a(1),
            a(3),
            Sun::new(2_000_000).unwrap(),
            RefBlock::from_block_id(&[1; 32]),
            1_795_543_200_000,
            2,
        );
        raw.memo = b"inv 7".to_vec();
        let mut f = priced(0, 0, true);
        f.other_fees_sun = Some(1_000_000);
        let t = tx_burn(&raw, Some(&f), Signatures::of(None));
        assert_eq!(t.expected_sun, 2_000_000);
        let bytes = u128::from(bandwidth_bytes(&raw, 1));
        assert_eq!(t.worst_sun, 2_000_000 + bytes * 1000);
    }

    #[test]
    fn a_request_without_prices_says_so() {
        let raw = usdt_tx(20_000_000);
        let mut b = Burn::default();
        let old = FeeInputs {
            energy_estimate: 64_285,
            energy_price_sun: 100,
            ..FeeInputs::default()
        };
        b.add(&raw, Some(&old), Signatures::of(None));
        assert_eq!(b.expected_sun, 6_428_500);
        assert_eq!(b.worst_sun, 20_000_000);
        assert_eq!(b.unpriced, 1);
        assert!(b
            .includes()
            .contains("1 transaction(s) carry no bandwidth price: their bandwidth and memo fees"));
        assert_eq!(
            b.line(),
            "energy from stake 0, burned 6.4285 TRX (expected) / 20 TRX (worst case)"
        );
    }

    #[test]
    fn signatures_follow_the_permission_claim() {
        let claim = PermissionClaim {
            id: 2,
            name: "payouts".into(),
            threshold: 2,
            keys: (1..=3)
                .map(|n| PermissionKey {
                    address: a(n),
                    weight: 1,
                })
                .collect(),
            operations: crate::permission::Operations::all_known(),
        };
        assert_eq!(
            Signatures::of(Some(&claim)),
            Signatures {
                expected: 2,
                most: 3
            }
        );
        assert_eq!(
            Signatures::of(None),
            Signatures {
                expected: 1,
                most: 1
            }
        );
    }
}
