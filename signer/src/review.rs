//! The review screen: everything shown is derived from the decoded bytes, the signer's own
//! registry and policy, and its ledger. Broadcaster-supplied fee inputs are labelled as claims.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::handoff::FeeInputs;
use coldpay_shared::{Address, Intent, RawData, TxId, U256};

use crate::ledger::Ledger;
use crate::policy::Policy;

/// One transaction as reviewed.
pub struct ReviewItem<'a> {
    /// Payout id (sign requests only).
    pub payout_id: Option<&'a str>,
    /// Decoded raw_data.
    pub raw: &'a RawData,
    /// txID.
    pub txid: TxId,
    /// Intent, when it decodes as a payout.
    pub intent: Option<Intent>,
    /// Broadcaster fee inputs (a claim).
    pub fee: Option<FeeInputs>,
    /// Base58 forms of its addresses, when it decodes as a payout.
    pub names: Option<TxNames>,
    /// Policy verdict: reasons for refusal (empty = allowed).
    pub reasons: Vec<String>,
}

/// The base58 forms of a payout's addresses, computed once per address per run.
#[derive(Clone, Debug)]
pub struct TxNames {
    /// Owner.
    pub from: Arc<str>,
    /// Recipient.
    pub to: Arc<str>,
    /// Token contract, or "TRX".
    pub token: Arc<str>,
}

/// "1h 52m", "3m 10s", "2d 4h".
pub fn human_duration(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// ms since the epoch as an RFC 3339 UTC time.
pub fn utc(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| ms.to_string())
}

pub use coldpay_shared::handoff::confirmation_code;

fn sun(v: u64) -> String {
    format_units(U256::from(v), TRX_DECIMALS)
}

/// Renders the review.
pub fn render(items: &[ReviewItem<'_>], policy: &Policy, ledger: &Ledger, now_ms: u64) -> String {
    let mut out = String::new();
    let mut totals: BTreeMap<String, U256> = BTreeMap::new();
    let mut recipients: HashMap<Address, (usize, Arc<str>)> = HashMap::new();
    let (mut expected_burn, mut worst_burn, mut have_estimates) = (0u128, 0u128, false);
    let _ = writeln!(out, "Review of {} transaction(s)", items.len());
    for (i, it) in items.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n#{} {}",
            i + 1,
            it.payout_id
                .map_or(String::new(), |p| format!("payout {p}"))
        );
        let _ = writeln!(out, "  txid        {}", it.txid);
        match (&it.intent, &it.names) {
            (Some(intent), Some(names)) => {
                let _ = writeln!(out, "  from        {}", names.from);
                let label = policy.allow.get(&intent.to()).map_or_else(
                    || {
                        if ledger.knows_recipient(&names.to) {
                            "(paid before; not on allowlist)".to_string()
                        } else {
                            "(NEW recipient; not on allowlist)".to_string()
                        }
                    },
                    |l| format!("({l})"),
                );
                let _ = writeln!(out, "  to          {} {label}", names.to);
                recipients
                    .entry(intent.to())
                    .or_insert_with(|| (0, names.to.clone()))
                    .0 += 1;
                match policy.asset_of(intent) {
                    Some((asset, _)) => {
                        let token = asset
                            .contract
                            .map_or(String::new(), |_| format!(" (contract {})", names.token));
                        let _ = writeln!(
                            out,
                            "  amount      {}{token}  [{} base units]",
                            asset.format(intent.amount()),
                            intent.amount()
                        );
                        let t = totals.entry(asset.symbol.clone()).or_default();
                        *t = t.saturating_add(intent.amount());
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "  amount      {} base units of UNKNOWN token {}",
                            intent.amount(),
                            names.token
                        );
                    }
                }
            }
            _ => {
                let _ = writeln!(out, "  NOT A PAYOUT (cannot be decoded as a transfer)");
            }
        }
        if it.raw.fee_limit != 0 {
            let _ = writeln!(
                out,
                "  fee limit   {} TRX (from the transaction bytes)",
                sun(it.raw.fee_limit)
            );
        }
        worst_burn += u128::from(it.raw.fee_limit);
        if let Some(f) = &it.fee {
            {
                let exp = u128::from(f.energy_estimate) * u128::from(f.energy_price_sun);
                expected_burn += exp;
                have_estimates = true;
                let holds = match f.recipient_holds_token {
                    Some(true) => ", recipient already holds the token",
                    Some(false) => ", recipient holds none (costlier first transfer)",
                    None => "",
                };
                let _ = writeln!(
                    out,
                    "  est. fee    {} TRX = {} energy x {} sun (broadcaster's claim{holds})",
                    sun(u64::try_from(exp).unwrap_or(u64::MAX)),
                    f.energy_estimate,
                    f.energy_price_sun
                );
            }
        }
        if let Some(m) = it.raw.memo_display() {
            let _ = writeln!(out, "  memo        \"{}\"", m.escape_default());
        }
        let rel = if it.raw.expiration > now_ms {
            let left = it.raw.expiration - now_ms;
            let warn = if left < 30 * 60_000 {
                "  WARNING: little time left"
            } else {
                ""
            };
            format!("in {}{warn}", human_duration(left))
        } else {
            format!("EXPIRED {} ago", human_duration(now_ms - it.raw.expiration))
        };
        let _ = writeln!(out, "  expires     {} ({rel})", utc(it.raw.expiration));
        if it.raw.contract.permission_id != 0 {
            let _ = writeln!(
                out,
                "  permission  {} (multi-signature)",
                it.raw.contract.permission_id
            );
        }
        if it.reasons.is_empty() {
            let _ = writeln!(out, "  verdict     allowed");
        } else {
            for r in &it.reasons {
                let _ = writeln!(out, "  verdict     REFUSED: {r}");
            }
        }
    }
    let _ = writeln!(out, "\nTotals");
    for (sym, v) in &totals {
        let dec = if sym == "TRX" {
            TRX_DECIMALS
        } else {
            policy
                .tokens
                .iter()
                .find(|t| &t.token.symbol == sym)
                .map_or(0, |t| t.token.decimals)
        };
        let _ = writeln!(out, "  {} {sym}", format_units(*v, dec));
    }
    let to_sun = |v: u128| sun(u64::try_from(v).unwrap_or(u64::MAX));
    if have_estimates && !items.is_empty() {
        let _ = writeln!(
            out,
            "  expected energy burn {} TRX (broadcaster's estimate, where given)",
            to_sun(expected_burn)
        );
    }
    let _ = writeln!(
        out,
        "  worst-case energy burn {} TRX (sum of fee limits)",
        to_sun(worst_burn)
    );
    let new = recipients
        .iter()
        .filter(|(a, (_, b58))| !policy.allow.contains_key(a) && !ledger.knows_recipient(b58))
        .count();
    let _ = writeln!(
        out,
        "  recipients: {} distinct, {} known, {new} new",
        recipients.len(),
        recipients.len() - new
    );
    for (n, b58) in recipients.values() {
        if *n > 1 {
            let _ = writeln!(out, "  NOTE: {b58} receives {n} transfers in this request");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_codes() {
        assert_eq!(human_duration(6_720_000), "1h 52m");
        assert_eq!(human_duration(190_000), "3m 10s");
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        let c = confirmation_code(&[1u8; 32]);
        assert_eq!(c.len(), 6);
        assert_ne!(c, confirmation_code(&[2u8; 32]));
        assert!(!c.contains('0') && !c.contains('O') && !c.contains('I'));
    }
}
