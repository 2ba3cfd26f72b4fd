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
use coldpay_shared::{Address, RawData, U256};

use crate::policy::Policy;

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

impl Policy {
    /// Verdict on one staking transaction: refused unless `[staking]` allows its operation;
    /// zero amounts, amounts over the per-transaction limit, delegation to the account itself
    /// or to a receiver not listed are refused; fee limit, memo and expiration as for payouts.
    /// The 24 h limit is checked by the caller over the whole input.
    pub fn check_staking(&self, raw: &RawData, c: &StakingContract, now_ms: u64) -> Vec<String> {
        let mut reasons = Vec::new();
        let op = c.operation();
        match &self.staking {
            None => reasons.push(format!(
                "staking transactions are not allowed by the policy ([staking] missing; a {op} needs \"{op}\" in staking.allow)"
            )),
            Some(s) => {
                if !s.allow.contains(&op) {
                    reasons.push(format!(
                        "{op} ({}) is not allowed by the policy (staking.allow: {})",
                        c.type_name(),
                        if s.allow.is_empty() { "nothing".to_string() } else { s.allow.join(", ") }
                    ));
                }
                let amount = c.amount_sun();
                if COUNTED_TYPES.contains(&c.type_name()) && amount > s.per_tx_sun {
                    reasons.push(format!(
                        "{op} of {} is over the staking per-transaction limit {}",
                        trx(amount),
                        trx(s.per_tx_sun)
                    ));
                }
                if let StakingContract::Delegate { receiver, .. } = c {
                    if !s.receivers.contains_key(receiver) {
                        reasons.push(format!(
                            "delegation receiver {receiver} is not on the policy's staking.receivers list"
                        ));
                    }
                }
            }
        }
        if COUNTED_TYPES.contains(&c.type_name()) && c.amount_sun() == 0 {
            reasons.push("zero amount".into());
        }
        if c.receiver() == Some(c.owner()) {
            reasons.push("the receiver is the account itself".into());
        }
        reasons.extend(self.fee_limit_reason(raw));
        self.check_memo_and_expiration(raw, now_ms, &mut reasons);
        reasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::contract::{Contract, ContractKind};
    use coldpay_shared::staking::Resource;
    use coldpay_shared::{Network, RefBlock, Sun};

    const OWNER: &str = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy";
    const FRIEND: &str = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8";

    fn policy(staking: &str) -> Policy {
        let text = format!("[destinations]\nmode = \"allowlist\"\n{staking}");
        Policy::parse(text.as_bytes(), Network::Mainnet).unwrap()
    }

    fn raw(c: &StakingContract) -> RawData {
        RawData {
            ref_block: RefBlock {
                bytes: [0; 2],
                hash: [0; 8],
            },
            expiration: 3_600_000,
            memo: Vec::new(),
            contract: Contract {
                kind: ContractKind::Staking(c.clone()),
                permission_id: 0,
            },
            timestamp: 1,
            fee_limit: 0,
        }
    }

    fn verdict(p: &Policy, c: &StakingContract) -> Vec<String> {
        p.check_staking(&raw(c), c, 1_000)
    }

    fn stake(sun: u64) -> StakingContract {
        StakingContract::Freeze {
            owner: Address::parse(OWNER).unwrap(),
            amount: Sun::new(sun).unwrap(),
            resource: Resource::Energy,
        }
    }

    fn delegate(to: &str) -> StakingContract {
        StakingContract::Delegate {
            owner: Address::parse(OWNER).unwrap(),
            resource: Resource::Energy,
            balance: Sun::new(5_000_000).unwrap(),
            receiver: Address::parse(to).unwrap(),
            lock: false,
            lock_period: 0,
        }
    }

    const ALL: &str = "[staking]\nallow = [\"stake\", \"delegate\"]\nmax_per_tx_trx = \"100\"\nmax_per_24h_trx = \"1000\"\n[[staking.receivers]]\naddress = \"TJRabPrwbZy45sbavfcjinPJC18kjpRTv8\"\nlabel = \"ops wallet\"\n";

    #[test]
    fn refused_by_default_and_each_operation_needs_its_name() {
        let none = policy("");
        let r = verdict(&none, &stake(5_000_000));
        assert!(r[0].contains("[staking] missing"), "{r:?}");
        let p = policy(ALL);
        assert!(verdict(&p, &stake(5_000_000)).is_empty());
        let w = StakingContract::WithdrawExpireUnfreeze {
            owner: Address::parse(OWNER).unwrap(),
        };
        let r = verdict(&p, &w);
        assert_eq!(
            r,
            vec!["withdraw-unstaked (WithdrawExpireUnfreezeContract) is not allowed by the policy (staking.allow: stake, delegate)"]
        );
    }

    #[test]
    fn limits_zero_amounts_and_receivers() {
        let p = policy(ALL);
        let r = verdict(&p, &stake(101_000_000));
        assert!(
            r[0].contains("over the staking per-transaction limit 100 TRX"),
            "{r:?}"
        );
        assert!(verdict(&p, &stake(0)).contains(&"zero amount".to_string()));
        assert!(verdict(&p, &delegate(FRIEND)).is_empty());
        let r = verdict(&p, &delegate(OWNER));
        assert!(
            r.iter()
                .any(|x| x.contains("not on the policy's staking.receivers")),
            "{r:?}"
        );
        assert!(
            r.contains(&"the receiver is the account itself".to_string()),
            "{r:?}"
        );
    }

    #[test]
    fn bad_staking_tables_are_refused_by_place() {
        let bad = |t: &str| {
            Policy::parse(
                format!("[destinations]\nmode = \"any\"\n{t}").as_bytes(),
                Network::Mainnet,
            )
            .unwrap_err()
            .to_string()
        };
        let e =
            bad("[staking]\nallow = [\"vote\"]\nmax_per_tx_trx = \"1\"\nmax_per_24h_trx = \"2\"\n");
        assert!(
            e.contains("staking.allow[0]") && e.contains("not a staking operation"),
            "{e}"
        );
        let e = bad("[staking]\nallow = []\nmax_per_tx_trx = \"3\"\nmax_per_24h_trx = \"2\"\n");
        assert!(e.contains("above staking.max_per_24h_trx"), "{e}");
        let e = bad("[staking]\nallow = []\nmax_per_tx_trx = \"x\"\nmax_per_24h_trx = \"2\"\n");
        assert!(e.contains("staking.max_per_tx_trx"), "{e}");
        let e = bad("[staking]\nallow = []\nmax_per_tx_trx = \"1\"\nmax_per_24h_trx = \"2\"\nsurprise = 1\n");
        assert!(e.contains("surprise") || e.contains("unknown"), "{e}");
    }
}
