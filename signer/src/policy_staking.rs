//! The policy's `[staking]` table and its verdict on Stake 2.0 transactions (types 54–59):
//! each operation allowed explicitly (none by default), TRX limits per transaction and per
//! rolling 24 h, and delegation only to the receivers listed here.
//!
//! ```toml
//! [staking]
//! allow = ["stake", "unstake", "withdraw-unstaked", "delegate", "undelegate", "cancel-unstake"]
//! max_per_tx_trx = "10000"
//! max_per_24h_trx = "50000"
//! [[staking.receivers]]
//! address = "T…"
//! label = "hot wallet"
//! ```

use std::collections::BTreeMap;

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::staking::StakingContract;
use coldpay_shared::{Address, U256};

/// The operation names `staking.allow` may list, as the broadcaster's commands name them.
pub const OPERATIONS: [&str; 6] = [
    "stake",
    "unstake",
    "withdraw-unstaked",
    "delegate",
    "undelegate",
    "cancel-unstake",
];

/// `[staking]`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakingPolicy {
    /// Allowed operations (file order, no repeats).
    pub allow: Vec<&'static str>,
    /// Most TRX one transaction may stake, unstake, delegate or undelegate (sun).
    pub per_tx_sun: u64,
    /// Most TRX those may move in a rolling 24 h (sun).
    pub per_24h_sun: u64,
    /// Accounts delegation may go to, with labels.
    pub receivers: BTreeMap<Address, String>,
}

/// "12.5 TRX".
pub fn trx(sun: u64) -> String {
    format!("{} TRX", format_units(U256::from(sun), TRX_DECIMALS))
}

impl StakingPolicy {
    /// The policy's lines for `policy show` / `policy approve` diffs: one fact per key.
    pub fn lines(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("staking.allow".to_string(), self.allow.join(", ")),
            ("staking.max_per_tx_trx".to_string(), trx(self.per_tx_sun)),
            ("staking.max_per_24h_trx".to_string(), trx(self.per_24h_sun)),
        ];
        for (a, l) in &self.receivers {
            v.push((format!("staking.receivers {a}"), l.clone()));
        }
        v
    }
}

/// The contract type names whose amounts count toward the 24 h staking limit (the ledger
/// records staking signings under these).
pub const COUNTED_TYPES: [&str; 4] = [
    "FreezeBalanceV2Contract",
    "UnfreezeBalanceV2Contract",
    "DelegateResourceContract",
    "UnDelegateResourceContract",
];

impl StakingPolicy {
    /// This table's reasons to refuse `c`: its operation not allowed, an amount over the
    /// per-transaction limit, a delegation to a receiver not listed. The 24 h limit is checked
    /// by the caller over the whole input.
    pub fn reasons(&self, c: &StakingContract) -> Vec<String> {
        let mut reasons = Vec::new();
        let op = c.operation();
        if !self.allow.contains(&op) {
            reasons.push(format!(
                "{op} ({}) is not allowed by the policy (staking.allow: {})",
                c.type_name(),
                if self.allow.is_empty() {
                    "nothing".to_string()
                } else {
                    self.allow.join(", ")
                }
            ));
        }
        let amount = c.amount_sun();
        if COUNTED_TYPES.contains(&c.type_name()) && amount > self.per_tx_sun {
            reasons.push(format!(
                "{op} of {} is over the staking per-transaction limit {}",
                trx(amount),
                trx(self.per_tx_sun)
            ));
        }
        if let StakingContract::Delegate { receiver, .. } = c {
            if !self.receivers.contains_key(receiver) {
                reasons.push(format!(
                    "delegation receiver {receiver} is not on the policy's staking.receivers list"
                ));
            }
        }
        reasons
    }
}

/// Reasons to refuse `c` whatever the policy: a zero amount, a receiver equal to the owner.
pub fn always_refused(c: &StakingContract) -> Vec<String> {
    let mut reasons = Vec::new();
    if COUNTED_TYPES.contains(&c.type_name()) && c.amount_sun() == 0 {
        reasons.push("zero amount".into());
    }
    if c.receiver() == Some(c.owner()) {
        reasons.push("the receiver is the account itself".into());
    }
    reasons
}
