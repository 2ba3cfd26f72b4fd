//! What `balance` shows of an account's Stake 2.0 resources: its own stake per resource,
//! what it delegated out and received (delegated-in), what is unstaking, and when the energy
//! and bandwidth it used are fully recovered (usage recovers linearly over 24 h from the last
//! consumption, java-tron ResourceProcessor).

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::{Address, U256};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::Result;
use crate::node::answers::AccountResource;
use crate::node::Node;

/// The staking keys of `balance --json` (sun, resource units and ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StakeFields {
    /// Own stake for energy.
    pub staked_energy_sun: u64,
    /// Own stake for bandwidth.
    pub staked_bandwidth_sun: u64,
    /// Energy stake delegated out.
    pub delegated_out_energy_sun: u64,
    /// Bandwidth stake delegated out.
    pub delegated_out_bandwidth_sun: u64,
    /// Energy stake delegated in.
    pub delegated_in_energy_sun: u64,
    /// Bandwidth stake delegated in.
    pub delegated_in_bandwidth_sun: u64,
    /// Unstaking, not yet withdrawn.
    pub unstaking_sun: u64,
    /// Energy limit.
    pub energy_limit: u64,
    /// Bandwidth limit (staked and free).
    pub bandwidth_limit: u64,
    /// Until energy is fully recovered (0: full).
    pub energy_full_in_ms: u64,
    /// Until bandwidth is fully recovered (0: full).
    pub bandwidth_full_in_ms: u64,
}

/// The recovery window (ms).
const WINDOW_MS: u64 = 86_400_000;

/// One `frozenV2` entry (absent `type` = BANDWIDTH, absent amount = 0).
#[derive(Deserialize, Debug, Clone, Default)]
pub struct FrozenV2 {
    /// "ENERGY", "TRON_POWER" or absent (bandwidth).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Sun.
    #[serde(default)]
    pub amount: u64,
}

/// One `unfrozenV2` entry.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct UnfrozenV2 {
    /// Sun.
    #[serde(default)]
    pub unfreeze_amount: u64,
    /// When it can be withdrawn (ms).
    #[serde(default)]
    pub unfreeze_expire_time: u64,
}

/// `account_resource` inside `getaccount`.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct AccountResourceField {
    /// Energy used (recovered to the node's head).
    #[serde(default)]
    pub energy_usage: u64,
    /// Last energy consumption (ms).
    #[serde(default)]
    pub latest_consume_time_for_energy: u64,
    /// Energy stake delegated out, sun.
    #[serde(default, rename = "delegated_frozenV2_balance_for_energy")]
    pub delegated_out_energy: u64,
    /// Energy stake delegated in, sun.
    #[serde(default, rename = "acquired_delegated_frozenV2_balance_for_energy")]
    pub acquired_energy: u64,
}

/// The Stake 2.0 fields of `/wallet/getaccount` (absent = 0).
#[derive(Deserialize, Debug, Clone, Default)]
pub struct StakeAccount {
    /// Own stake per resource.
    #[serde(default, rename = "frozenV2")]
    pub frozen: Vec<FrozenV2>,
    /// Pending unstakes.
    #[serde(default, rename = "unfrozenV2")]
    pub unfrozen: Vec<UnfrozenV2>,
    /// Last staked-bandwidth consumption (ms).
    #[serde(default)]
    pub latest_consume_time: u64,
    /// Last free-bandwidth consumption (ms).
    #[serde(default)]
    pub latest_consume_free_time: u64,
    /// Bandwidth stake delegated out, sun.
    #[serde(default, rename = "delegated_frozenV2_balance_for_bandwidth")]
    pub delegated_out_bandwidth: u64,
    /// Bandwidth stake delegated in, sun.
    #[serde(default, rename = "acquired_delegated_frozenV2_balance_for_bandwidth")]
    pub acquired_bandwidth: u64,
    /// Energy fields.
    #[serde(default)]
    pub account_resource: AccountResourceField,
}

/// The stake part of `balance`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stake {
    /// Own stake for energy / bandwidth, sun.
    pub staked: (u64, u64),
    /// Delegated out (energy, bandwidth), sun.
    pub delegated_out: (u64, u64),
    /// Delegated in (energy, bandwidth), sun.
    pub delegated_in: (u64, u64),
    /// Unstaking, sun.
    pub unstaking: u64,
    /// Energy available now / its limit.
    pub energy: (u64, u64),
    /// Bandwidth available now (staked + free) / limits.
    pub bandwidth: (u64, u64),
    /// ms until energy is fully recovered (0 = full).
    pub energy_full_in: u64,
    /// ms until bandwidth (staked and free) is fully recovered.
    pub bandwidth_full_in: u64,
}

fn full_in(used: u64, last_ms: u64, now_ms: u64) -> u64 {
    if used == 0 {
        return 0;
    }
    (last_ms + WINDOW_MS).saturating_sub(now_ms)
}

impl Stake {
    /// From the two answers, recovery relative to `now_ms`.
    pub fn of(a: &StakeAccount, r: &AccountResource, now_ms: u64) -> Stake {
        let own = |energy: bool| {
            a.frozen
                .iter()
                .filter(|f| match f.kind.as_deref() {
                    None | Some("BANDWIDTH") => !energy,
                    Some("ENERGY") => energy,
                    _ => false,
                })
                .map(|f| f.amount)
                .sum::<u64>()
        };
        Stake {
            staked: (own(true), own(false)),
            delegated_out: (
                a.account_resource.delegated_out_energy,
                a.delegated_out_bandwidth,
            ),
            delegated_in: (a.account_resource.acquired_energy, a.acquired_bandwidth),
            unstaking: a.unfrozen.iter().map(|u| u.unfreeze_amount).sum(),
            energy: (r.energy_limit.saturating_sub(r.energy_used), r.energy_limit),
            bandwidth: (
                r.net_limit.saturating_sub(r.net_used)
                    + r.free_net_limit.saturating_sub(r.free_net_used),
                r.net_limit + r.free_net_limit,
            ),
            energy_full_in: full_in(
                r.energy_used,
                a.account_resource.latest_consume_time_for_energy,
                now_ms,
            ),
            bandwidth_full_in: full_in(r.net_used, a.latest_consume_time, now_ms).max(full_in(
                r.free_net_used,
                a.latest_consume_free_time,
                now_ms,
            )),
        }
    }

    /// Reads `getaccount` for `a` and combines it with `r`.
    pub fn read(node: &Node, a: &Address, r: &AccountResource) -> Result<Stake> {
        let acct: StakeAccount = node.get_typed(
            "/wallet/getaccount",
            &json!({"address": a.to_base58(), "visible": true}),
        )?;
        Ok(Stake::of(&acct, r, crate::journal::now_ms() as u64))
    }

    /// The staking keys of `balance --json`.
    pub fn fields(&self) -> StakeFields {
        StakeFields {
            staked_energy_sun: self.staked.0,
            staked_bandwidth_sun: self.staked.1,
            delegated_out_energy_sun: self.delegated_out.0,
            delegated_out_bandwidth_sun: self.delegated_out.1,
            delegated_in_energy_sun: self.delegated_in.0,
            delegated_in_bandwidth_sun: self.delegated_in.1,
            unstaking_sun: self.unstaking,
            energy_limit: self.energy.1,
            bandwidth_limit: self.bandwidth.1,
            energy_full_in_ms: self.energy_full_in,
            bandwidth_full_in_ms: self.bandwidth_full_in,
        }
    }

    /// The text lines of `balance`.
    pub fn text(&self) -> String {
        let t = |sun: u64| format_units(U256::from(sun), TRX_DECIMALS);
        let full = |ms: u64| {
            if ms == 0 {
                "full".to_string()
            } else {
                format!(
                    "full again in {}",
                    coldpay_shared::timefmt::human_duration(ms)
                )
            }
        };
        format!(
            "  staked     {} TRX for energy, {} TRX for bandwidth\n  \
             delegated  in: {} TRX energy, {} TRX bandwidth; out: {} TRX energy, {} TRX bandwidth\n  \
             unstaking  {} TRX\n  \
             energy now {} of {} ({})\n  \
             bandwidth  {} of {} now, staked and free ({})",
            t(self.staked.0),
            t(self.staked.1),
            t(self.delegated_in.0),
            t(self.delegated_in.1),
            t(self.delegated_out.0),
            t(self.delegated_out.1),
            t(self.unstaking),
            self.energy.0,
            self.energy.1,
            full(self.energy_full_in),
            self.bandwidth.0,
            self.bandwidth.1,
            full(self.bandwidth_full_in),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stake_delegations_and_recovery_from_java_tron_shapes() {
        let acct: StakeAccount = serde_json::from_str(
            r#"{"balance": 5, "frozenV2": [{"amount": 2000000}, {"type": "ENERGY", "amount": 10000000000}, {"type": "TRON_POWER"}],
                "unfrozenV2": [{"type": "ENERGY", "unfreeze_amount": 7000000, "unfreeze_expire_time": 9}],
                "latest_consume_time": 1000, "acquired_delegated_frozenV2_balance_for_bandwidth": 3000000,
                "account_resource": {"energy_usage": 64285, "latest_consume_time_for_energy": 3600000,
                  "delegated_frozenV2_balance_for_energy": 1000000000, "acquired_delegated_frozenV2_balance_for_energy": 5000000}}"#,
        )
        .unwrap();
        let r = AccountResource {
            energy_used: 48_213,
            energy_limit: 1_000_000,
            net_used: 0,
            net_limit: 400,
            free_net_used: 0,
            free_net_limit: 600,
        };
        // Six hours after the last energy use: 18 hours to go.
        let s = Stake::of(&acct, &r, 3_600_000 + 6 * 3_600_000);
        assert_eq!(s.staked, (10_000_000_000, 2_000_000));
        assert_eq!(s.delegated_out, (1_000_000_000, 0));
        assert_eq!(s.delegated_in, (5_000_000, 3_000_000));
        assert_eq!(s.unstaking, 7_000_000);
        assert_eq!(s.energy, (951_787, 1_000_000));
        assert_eq!(s.energy_full_in, 18 * 3_600_000);
        assert_eq!(s.bandwidth_full_in, 0);
        let text = s.text();
        assert!(
            text.contains("energy now 951787 of 1000000 (full again in 18h 0m)"),
            "{text}"
        );
        assert!(
            text.contains("10000 TRX for energy, 2 TRX for bandwidth"),
            "{text}"
        );
        let v = serde_json::to_value(s.fields()).unwrap();
        assert_eq!(
            v,
            json!({
                "staked_energy_sun": 10_000_000_000u64,
                "staked_bandwidth_sun": 2_000_000,
                "delegated_out_energy_sun": 1_000_000_000,
                "delegated_out_bandwidth_sun": 0,
                "delegated_in_energy_sun": 5_000_000,
                "delegated_in_bandwidth_sun": 3_000_000,
                "unstaking_sun": 7_000_000,
                "energy_limit": 1_000_000,
                "bandwidth_limit": s.bandwidth.1,
                "energy_full_in_ms": 18 * 3_600_000,
                "bandwidth_full_in_ms": 0,
            })
        );
    }
}
