//! What the node says about an account's Stake 2.0 state (a claim: the chain decides in the
//! end), in typed answers: `getaccount`'s `frozenV2` / `unfrozenV2`, `getcandelegatedmaxsize`
//! and `getdelegatedresourcev2`. Read before a staking operation is built, so an operation the
//! chain would refuse is refused here first, with the reason in words.

use coldpay_shared::staking::Resource;
use coldpay_shared::Address;
use serde::Deserialize;
use serde_json::json;

use crate::error::Result;
use crate::node::Node;

/// `frozenV2[]` entry: `type` absent = BANDWIDTH.
#[derive(Deserialize, Debug, Clone, Default)]
struct Frozen {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    amount: u64,
}

/// `unfrozenV2[]` entry.
#[derive(Deserialize, Debug, Clone, Default)]
struct Unfrozen {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    unfreeze_amount: u64,
    #[serde(default)]
    unfreeze_expire_time: u64,
}

/// `/wallet/getaccount`, the staking fields.
#[derive(Deserialize, Debug, Clone, Default)]
struct StakeAccountAnswer {
    address: Option<String>,
    #[serde(default)]
    balance: u64,
    #[serde(default, rename = "frozenV2")]
    frozen: Vec<Frozen>,
    #[serde(default, rename = "unfrozenV2")]
    unfrozen: Vec<Unfrozen>,
}

/// `account_resource` of `getaccount`: energy delegated out.
#[derive(Deserialize, Debug, Clone, Default)]
struct AccountResourceStake {
    #[serde(default, rename = "delegated_frozenV2_balance_for_energy")]
    delegated_energy: u64,
}

/// An account's own TRX in Stake 2.0 (`getaccount`): staked, staked and delegated out, and
/// unstaking; what [`crate::monitor::balances`] adds to the free balance.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct OwnStake {
    #[serde(default, rename = "frozenV2")]
    frozen: Vec<Frozen>,
    #[serde(default, rename = "unfrozenV2")]
    unfrozen: Vec<Unfrozen>,
    #[serde(default, rename = "delegated_frozenV2_balance_for_bandwidth")]
    delegated_bandwidth: u64,
    #[serde(default)]
    account_resource: AccountResourceStake,
}

impl OwnStake {
    /// Sun of the account's own TRX that is not free: staked (any resource, delegated out or
    /// not) and unstaking.
    pub fn total(&self) -> u64 {
        self.frozen
            .iter()
            .map(|f| f.amount)
            .chain(self.unfrozen.iter().map(|u| u.unfreeze_amount))
            .chain([
                self.delegated_bandwidth,
                self.account_resource.delegated_energy,
            ])
            .fold(0, u64::saturating_add)
    }
}

/// `/wallet/getcandelegatedmaxsize`.
#[derive(Deserialize, Debug, Clone, Default)]
struct MaxSize {
    #[serde(default)]
    max_size: u64,
}

/// `/wallet/getdelegatedresourcev2` entry.
#[derive(Deserialize, Debug, Clone, Default)]
struct DelegatedAnswer {
    #[serde(default)]
    frozen_balance_for_bandwidth: u64,
    #[serde(default)]
    frozen_balance_for_energy: u64,
    #[serde(default)]
    expire_time_for_bandwidth: u64,
    #[serde(default)]
    expire_time_for_energy: u64,
}

#[derive(Deserialize, Debug, Clone, Default)]
struct DelegatedList {
    #[serde(default, rename = "delegatedResource")]
    list: Vec<DelegatedAnswer>,
}

/// One pending unstake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unstaking {
    /// Resource it was staked for.
    pub resource: Resource,
    /// Sun.
    pub amount: u64,
    /// When it can be withdrawn (ms, chain time).
    pub expires_ms: u64,
}

/// One delegation record to a receiver (locked and unlocked records are separate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delegation {
    /// Resource.
    pub resource: Resource,
    /// Sun whose resource is lent.
    pub amount: u64,
    /// End of its lock (ms; 0 or past = unlocked).
    pub lock_until_ms: u64,
}

/// An account's staking state as the node reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StakeState {
    /// Whether the account exists.
    pub exists: bool,
    /// Free TRX (sun).
    pub balance: u64,
    /// Own stake per resource, not delegated out (sun): [bandwidth, energy].
    pub staked: [u64; 2],
    /// Pending unstakes.
    pub unstaking: Vec<Unstaking>,
}

fn resource_of(kind: Option<&str>) -> Option<Resource> {
    match kind {
        None => Some(Resource::Bandwidth),
        Some(s) => Resource::from_name(s),
    }
}

/// Index of a resource in `[bandwidth, energy]`.
pub fn idx(r: Resource) -> usize {
    match r {
        Resource::Bandwidth => 0,
        Resource::Energy => 1,
    }
}

/// The account's staking state.
pub fn read(node: &Node, a: &Address) -> Result<StakeState> {
    let ans: StakeAccountAnswer = node.get_typed(
        "/wallet/getaccount",
        &json!({"address": a.to_base58(), "visible": true}),
    )?;
    let mut staked = [0u64; 2];
    for f in &ans.frozen {
        if let Some(r) = resource_of(f.kind.as_deref()) {
            staked[idx(r)] = staked[idx(r)].saturating_add(f.amount);
        }
    }
    let unstaking = ans
        .unfrozen
        .iter()
        .filter_map(|u| {
            Some(Unstaking {
                resource: resource_of(u.kind.as_deref())?,
                amount: u.unfreeze_amount,
                expires_ms: u.unfreeze_expire_time,
            })
        })
        .collect();
    Ok(StakeState {
        exists: ans.address.is_some(),
        balance: ans.balance,
        staked,
        unstaking,
    })
}

/// The most sun of `resource` the owner can delegate now (the node's
/// `getcandelegatedmaxsize`: stake not backing resource already used).
pub fn can_delegate(node: &Node, owner: &Address, resource: Resource) -> Result<u64> {
    let ans: MaxSize = node.get_typed(
        "/wallet/getcandelegatedmaxsize",
        &json!({"owner_address": owner.to_base58(), "type": resource.code(), "visible": true}),
    )?;
    Ok(ans.max_size)
}

/// The delegation records from `owner` to `receiver`.
pub fn delegations(node: &Node, owner: &Address, receiver: &Address) -> Result<Vec<Delegation>> {
    let ans: DelegatedList = node.get_typed(
        "/wallet/getdelegatedresourcev2",
        &json!({"fromAddress": owner.to_base58(), "toAddress": receiver.to_base58(), "visible": true}),
    )?;
    let mut out = Vec::new();
    for d in ans.list {
        for (resource, amount, lock_until_ms) in [
            (
                Resource::Bandwidth,
                d.frozen_balance_for_bandwidth,
                d.expire_time_for_bandwidth,
            ),
            (
                Resource::Energy,
                d.frozen_balance_for_energy,
                d.expire_time_for_energy,
            ),
        ] {
            if amount > 0 {
                out.push(Delegation {
                    resource,
                    amount,
                    lock_until_ms,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_stake_counts_staked_delegated_out_and_unstaking_not_acquired() {
        let s: OwnStake = serde_json::from_str(
            r#"{"balance": 5, "frozenV2": [{"amount": 100}, {"type": "ENERGY", "amount": 200}, {"type": "TRON_POWER"}],
                "unfrozenV2": [{"type": "ENERGY", "unfreeze_amount": 30, "unfreeze_expire_time": 9}],
                "delegated_frozenV2_balance_for_bandwidth": 4,
                "acquired_delegated_frozenV2_balance_for_bandwidth": 1000,
                "account_resource": {"delegated_frozenV2_balance_for_energy": 50, "acquired_delegated_frozenV2_balance_for_energy": 2000}}"#,
        )
        .unwrap();
        assert_eq!(s.total(), 100 + 200 + 30 + 4 + 50);
        assert_eq!(OwnStake::default().total(), 0);
    }
}
