//! The summary `build` prints for a sign request: payouts, totals per token in token units,
//! expected and worst-case TRX burn, expiration (UTC and relative) and the confirmation code
//! the signer will ask for.

use std::collections::BTreeMap;

use coldpay_shared::amount::format_units;
use coldpay_shared::burn::Burn;
use coldpay_shared::{Network, SignRequest, U256};
use serde::Serialize;

use coldpay_shared::timefmt::utc_seconds as format_time;

/// One token's total.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TokenTotal {
    /// Symbol ("USDT", "TRX").
    pub symbol: String,
    /// Total in token units ("1250.5").
    pub amount: String,
    /// Total in base units.
    pub amount_base_units: String,
    /// Payouts in this token.
    pub payouts: usize,
}

/// What a sign request asks the signer to sign.
#[derive(Clone, Debug, Serialize)]
pub struct RequestSummary {
    /// Request id.
    pub request_id: String,
    /// Network (its name in JSON).
    pub network: Network,
    /// Transactions in the request.
    pub payouts: usize,
    /// Totals per token symbol.
    pub totals: Vec<TokenTotal>,
    /// TRX expected to burn: what the stake does not cover ([`coldpay_shared::burn`], the
    /// same definition the signer uses).
    pub expected_burn_trx: String,
    /// TRX that can burn at most (every fee limit used up, all bandwidth burned, memo and
    /// multi-signature fees).
    pub worst_case_burn_trx: String,
    /// Energy the senders' stake is expected to cover.
    pub energy_from_stake: String,
    /// The expected burn in sun.
    pub expected_burn_sun: String,
    /// The worst case in sun.
    pub worst_case_burn_sun: String,
    /// "energy from stake N, burned M TRX (expected) / W TRX (worst case)", as the signer
    /// prints it.
    pub burn: String,
    /// What the two figures include.
    pub burn_includes: String,
    /// Transactions without bandwidth and memo prices (re-exported from older builds).
    #[serde(skip)]
    pub burn_unpriced: usize,
    /// Senders whose free TRX covers the expected burn but not the worst case.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub worst_case_unfunded: Vec<String>,
    /// Earliest expiration (ms since the epoch).
    pub expires_at: u64,
    /// The same in UTC.
    pub expires_utc: String,
    /// Latest expiration when transactions differ (re-exported ones), UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_expires_utc: Option<String>,
    /// The code the operator types on the signer.
    pub confirmation_code: String,
    /// The permission the transactions are signed under and what it needs.
    pub permission: PermissionNeed,
}

/// Which permission a request is signed under, what it needs and why it was chosen.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PermissionNeed {
    /// Permission id (0: the owner permission, the account's own key).
    pub id: i32,
    /// Its name ("owner" for the account's own key).
    pub name: String,
    /// Weight needed.
    pub threshold: i64,
    /// Keys in the permission (1 for the account's own key).
    pub keys: usize,
    /// Where the choice came from: "flag" (`--permission`), "config", "previous_attempt" or
    /// "default" (the account's own key: no permission chosen).
    pub source: String,
    /// "under payouts (id 3): 2 of 3 approvals".
    pub text: String,
    /// Why this permission, in words.
    pub source_text: String,
}

impl PermissionNeed {
    /// What `req` claims (the account's own key when it names no permission).
    fn of(req: &SignRequest) -> PermissionNeed {
        let Some(c) = &req.permission else {
            return PermissionNeed {
                id: 0,
                name: "owner".into(),
                threshold: 1,
                keys: 1,
                source: "default".into(),
                text: "the account's own key (owner, id 0): 1 signature".into(),
                source_text: "no --permission given and none in the config".into(),
            };
        };
        let weights: Vec<i64> = c.keys.iter().map(|k| k.weight).collect();
        let need = if weights.iter().all(|w| *w == 1) {
            format!("{} of {} approvals", c.threshold, weights.len())
        } else {
            let w: Vec<String> = weights.iter().map(i64::to_string).collect();
            format!(
                "weight {} of {} from {} keys (weighing {})",
                c.threshold,
                weights.iter().sum::<i64>(),
                weights.len(),
                w.join(", ")
            )
        };
        PermissionNeed {
            id: c.id,
            name: c.name.clone(),
            threshold: c.threshold,
            keys: c.keys.len(),
            source: "previous_attempt".into(),
            text: format!("under {} (id {}): {need}", c.name, c.id),
            source_text: "as the payouts' earlier attempts were built".into(),
        }
    }
}

/// Summarises a request.
pub fn summarize(req: &SignRequest) -> RequestSummary {
    let mut totals: BTreeMap<String, (U256, usize)> = BTreeMap::new();
    let burn = Burn::of_request(req);
    for t in &req.transactions {
        let (symbol, amount) = match t.raw.intent() {
            Ok(i) => {
                let symbol = match i.token() {
                    None => "TRX".to_string(),
                    Some(tok) => t
                        .hints
                        .as_ref()
                        .and_then(|h| h.symbol.clone())
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| tok.to_string()),
                };
                (symbol, i.amount())
            }
            Err(_) => ("(undecodable)".to_string(), U256::ZERO),
        };
        let e = totals.entry(symbol).or_insert((U256::ZERO, 0));
        e.0 = e.0.saturating_add(amount);
        e.1 += 1;
    }
    let exp: Vec<u64> = req.transactions.iter().map(|t| t.raw.expiration).collect();
    let first = exp.iter().copied().min().unwrap_or(0);
    let last = exp.iter().copied().max().unwrap_or(0);
    RequestSummary {
        request_id: req.request_id.clone(),
        network: req.network,
        payouts: req.transactions.len(),
        totals: totals
            .into_iter()
            .map(|(symbol, (v, n))| TokenTotal {
                symbol,
                amount: format_units(v, 6),
                amount_base_units: v.to_string(),
                payouts: n,
            })
            .collect(),
        expected_burn_trx: burn.expected_trx(),
        worst_case_burn_trx: burn.worst_trx(),
        energy_from_stake: burn.energy_from_stake.to_string(),
        expected_burn_sun: burn.expected_sun.to_string(),
        worst_case_burn_sun: burn.worst_sun.to_string(),
        burn: burn.line(),
        burn_includes: burn.includes(),
        burn_unpriced: burn.unpriced,
        worst_case_unfunded: Vec::new(),
        expires_at: first,
        expires_utc: format_time(first as i64),
        latest_expires_utc: (last != first).then(|| format_time(last as i64)),
        confirmation_code: req.confirmation_code(),
        permission: PermissionNeed::of(req),
    }
}

/// A duration in words, at most two units: "5h 59m", "42s".
pub fn span(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m {}s", s % 60),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// "in 5h 59m" or "2m 10s ago" relative to `now` (ms).
pub fn relative(at: u64, now: u64) -> String {
    if at >= now {
        format!("in {}", span(at - now))
    } else {
        format!("{} ago", span(now - at))
    }
}

impl RequestSummary {
    /// Records why the permission was chosen (`build` knows; the request does not say).
    pub fn set_permission_source(&mut self, key: &str, text: String) {
        self.permission.source = key.to_string();
        self.permission.source_text = text;
    }

    /// The text block, with expirations relative to `now` (ms).
    pub fn text(&self, now: u64, new: usize, reexported: usize) -> String {
        let totals = self
            .totals
            .iter()
            .map(|t| format!("{} {} ({} payout(s))", t.amount, t.symbol, t.payouts))
            .collect::<Vec<_>>()
            .join(" + ");
        let later = self
            .latest_expires_utc
            .as_ref()
            .map_or(String::new(), |l| format!("; re-exported ones up to {l}"));
        let mut includes = String::new();
        let lines = Burn {
            unpriced: self.burn_unpriced,
            ..Burn::default()
        }
        .includes_lines();
        for l in lines {
            includes.push_str("\n                     ");
            includes.push_str(&l);
        }
        let mut unfunded = String::new();
        for w in &self.worst_case_unfunded {
            unfunded.push_str("\n  WARNING            ");
            unfunded.push_str(w);
        }
        format!(
            "sign request {} for {}: {} payout(s) ({new} new, {reexported} re-exported)\n  \
             totals             {totals}\n  \
             TRX burn           {}{includes}{unfunded}\n  \
             permission         {}\n                     \
             {}\n  \
             expires            {} ({}){later}\n  \
             confirmation code  {} (the signer asks for it after its review)",
            self.request_id,
            self.network,
            self.payouts,
            self.burn,
            self.permission.text,
            self.permission.source_text,
            self.expires_utc,
            relative(self.expires_at, now),
            self.confirmation_code,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::handoff::{DisplayHints, FeeInputs, RequestTx};
    use coldpay_shared::{Address, Network, RawData, RefBlock, Sun};

    fn a(n: u8) -> Address {
        Address::from_evm_bytes([n; 20])
    }

    fn request() -> SignRequest {
        let tapos = RefBlock::from_block_id(&[1; 32]);
        let usdt = a(9);
        let mut t1 = RequestTx::new(
            "p1",
            RawData::trc20_transfer(
                a(1),
                usdt,
                a(2),
                U256::from(1_250_500_000u64),
                30_000_000,
                tapos,
                1_795_543_200_000,
                1,
            ),
        );
        t1.fee = Some(FeeInputs {
            energy_estimate: 64_285,
            energy_price_sun: 100,
            recipient_holds_token: Some(true),
            energy_from_stake: Some(20_000),
            bandwidth_covered: Some(false),
            bandwidth_price_sun: Some(1000),
            memo_fee_sun: Some(1_000_000),
            other_fees_sun: Some(0),
            ..Default::default()
        });
        t1.hints = Some(DisplayHints {
            symbol: Some("USDT".into()),
            ..DisplayHints::default()
        });
        let mut raw = RawData::trx_transfer(
            a(1),
            a(3),
            Sun::new(2_000_000).unwrap(),
            tapos,
            1_795_543_200_000,
            2,
        );
        raw.memo = b"inv 7".to_vec();
        let mut t2 = RequestTx::new("p2", raw);
        t2.fee = Some(FeeInputs {
            energy_price_sun: 100,
            bandwidth_covered: Some(true),
            bandwidth_price_sun: Some(1000),
            memo_fee_sun: Some(1_000_000),
            other_fees_sun: Some(0),
            ..Default::default()
        });
        SignRequest {
            permission: None,
            permission_before: None,
            network: Network::Nile,
            request_id: "r1".into(),
            created_at: 0,
            transactions: vec![t1, t2],
        }
    }

    #[test]
    fn totals_burn_and_expiry() {
        let req = request();
        let s = summarize(&req);
        assert_eq!(s.payouts, 2);
        assert_eq!(s.totals[0].symbol, "TRX");
        assert_eq!(s.totals[0].amount, "2");
        assert_eq!(s.totals[1].symbol, "USDT");
        assert_eq!(s.totals[1].amount, "1250.5");
        // USDT: 44,285 energy beyond the stake × 100 + its signed bytes burned × 1000.
        // TRX: bandwidth covered (free), 1 TRX memo fee. Worst: the 30 TRX fee limit, every
        // byte of both burned, the memo fee.
        let b1 = u128::from(coldpay_shared::burn::bandwidth_bytes(
            &req.transactions[0].raw,
            1,
        ));
        let b2 = u128::from(coldpay_shared::burn::bandwidth_bytes(
            &req.transactions[1].raw,
            1,
        ));
        assert_eq!(
            s.expected_burn_sun,
            (4_428_500 + b1 * 1000 + 1_000_000).to_string()
        );
        assert_eq!(
            s.worst_case_burn_sun,
            (30_000_000 + (b1 + b2) * 1000 + 1_000_000).to_string()
        );
        assert_eq!(s.energy_from_stake, "20000");
        assert!(
            s.burn.starts_with("energy from stake 20000, burned "),
            "{}",
            s.burn
        );
        assert_eq!(s.expires_utc, "2026-11-24T18:00:00Z");
        assert_eq!(s.confirmation_code, req.confirmation_code());
        let text = s.text(1_795_543_200_000 - 21_540_000, 2, 0);
        assert!(
            text.contains("expires            2026-11-24T18:00:00Z (in 5h 59m)"),
            "{text}"
        );
        assert!(text.contains("1250.5 USDT (1 payout(s))"), "{text}");
        assert!(text.contains(&req.confirmation_code()), "{text}");
        assert!(
            text.contains(&s.burn) && text.contains("worst case: every fee limit used up"),
            "{text}"
        );
        assert!(!text.contains("WARNING"), "{text}");
        assert!(
            text.contains(
                "permission         the account's own key (owner, id 0): 1 signature\n                     no --permission given and none in the config\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_permission_and_why_are_named() {
        use coldpay_shared::permission::{Operations, PermissionClaim, PermissionKey};
        let mut req = request();
        let key = |n: u8, weight: i64| PermissionKey {
            address: a(n),
            weight,
        };
        req.permission = Some(PermissionClaim {
            id: 3,
            name: "payouts".into(),
            threshold: 2,
            keys: vec![key(4, 1), key(5, 1), key(6, 1)],
            operations: Operations::from_names(&["trx"]).unwrap(),
        });
        let mut s = summarize(&req);
        assert_eq!(s.permission.text, "under payouts (id 3): 2 of 3 approvals");
        assert_eq!(s.permission.source, "previous_attempt");
        s.set_permission_source("config", "from the config".into());
        let text = s.text(0, 2, 0);
        assert!(
            text.contains("permission         under payouts (id 3): 2 of 3 approvals\n                     from the config\n"),
            "{text}"
        );
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["permission"]["id"], 3);
        assert_eq!(v["permission"]["threshold"], 2);
        assert_eq!(v["permission"]["keys"], 3);
        assert_eq!(v["permission"]["source"], "config");
        if let Some(c) = req.permission.as_mut() {
            c.keys = vec![key(4, 1), key(5, 2), key(6, 2)];
            c.threshold = 3;
        }
        assert_eq!(
            summarize(&req).permission.text,
            "under payouts (id 3): weight 3 of 5 from 3 keys (weighing 1, 2, 2)"
        );
    }

    #[test]
    fn a_cut_fee_limit_is_never_the_expected_burn() {
        // A request from an older build whose fee limit (1 TRX) was cut below the estimate
        // (6.4285 TRX): the expected burn is the estimate, and the worst case is not below it.
        let mut req = request();
        req.transactions.truncate(1);
        req.transactions[0].raw.fee_limit = 1_000_000;
        req.transactions[0].fee.as_mut().unwrap().energy_from_stake = None;
        req.transactions[0]
            .fee
            .as_mut()
            .unwrap()
            .bandwidth_price_sun = None;
        let s = summarize(&req);
        assert_eq!(s.expected_burn_trx, "6.4285");
        assert_eq!(s.worst_case_burn_trx, "6.4285");
    }

    #[test]
    fn spans() {
        assert_eq!(relative(10_000, 0), "in 10s");
        assert_eq!(relative(0, 130_000), "2m 10s ago");
        assert_eq!(span(90_000_000), "1d 1h");
    }
}
