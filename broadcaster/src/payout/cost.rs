//! What a build really costs: each sender's staked energy and bandwidth (two node answers,
//! cross-checked), spent across the build in order as java-tron spends them, so each payout
//! carries the energy its stake covers and whether staked or free bandwidth covers it.
//!
//! java-tron's rules (followed by the dev node, docs/devnode.md "Stake 2.0"): a contract call's
//! energy comes from the caller's staked and delegated-in energy first (EnergyLimit −
//! EnergyUsed, usage recovering linearly over 24 h), the rest is burned at `getEnergyFee`
//! (ReceiptCapsule.payEnergyBill); bandwidth comes from staked bandwidth (NetLimit − NetUsed)
//! if it covers the whole transaction, else from the free allowance (freeNetLimit −
//! freeNetUsed) if that covers it, else every byte is burned (BandwidthProcessor.consume:
//! useAccountNet, useFreeNet, useTransactionFee).

use coldpay_shared::Address;

use crate::error::{BcError, Result};
use crate::node::answers::AccountResource;
use crate::node::Node;

/// Milliseconds of the recovery window (24 h).
const WINDOW_MS: u128 = 86_400_000;
/// Slack for usage recovery between two answers: two 3 s slots.
const SLOT_SLACK_MS: u128 = 6_000;

/// What an account has left now, per resource.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Left {
    /// Staked and delegated-in energy left.
    pub energy: u64,
    /// Staked and delegated-in bandwidth left.
    pub staked_net: u64,
    /// Free bandwidth left.
    pub free_net: u64,
}

/// How one transaction is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spent {
    /// Energy from stake.
    pub energy_from_stake: u64,
    /// Whether staked or free bandwidth covers the whole transaction.
    pub bandwidth_covered: bool,
}

impl Left {
    /// From one (cross-checked) answer.
    pub fn of(r: &AccountResource) -> Left {
        Left {
            energy: r.energy_limit.saturating_sub(r.energy_used),
            staked_net: r.net_limit.saturating_sub(r.net_used),
            free_net: r.free_net_limit.saturating_sub(r.free_net_used),
        }
    }

    /// Spends what a transaction of `energy` estimated energy and `bytes` bandwidth uses.
    pub fn spend(&mut self, energy: u64, bytes: u64) -> Spent {
        let from_stake = energy.min(self.energy);
        self.energy -= from_stake;
        let covered = if bytes <= self.staked_net {
            self.staked_net -= bytes;
            true
        } else if bytes <= self.free_net {
            self.free_net -= bytes;
            true
        } else {
            false
        };
        Spent {
            energy_from_stake: from_stake,
            bandwidth_covered: covered,
        }
    }
}

/// Whether usage `a` and `b` read `ms` apart can differ by recovery alone.
fn within_recovery(a: u64, b: u64, ms: u64) -> bool {
    let (lo, hi) = (a.min(b), a.max(b));
    let recover = u128::from(hi) * (u128::from(ms) + SLOT_SLACK_MS) / WINDOW_MS + 1;
    u128::from(hi - lo) <= recover
}

/// Whether two readings of a staked limit agree. A limit is the account's share of the
/// network's total weight, which moves a little with every stake anyone makes between two
/// reads (mainnet: every block); more than 1 % apart is a disagreement, not that drift.
fn limits_agree(x: u64, y: u64) -> bool {
    let (lo, hi) = (x.min(y), x.max(y));
    u128::from(hi - lo) * 100 <= u128::from(hi)
}

/// Cross-checks two answers `ms` apart: limits must agree (within the network-weight drift of
/// [`limits_agree`]), usages may differ only by recovery. Returns the more conservative reading
/// (lower limits, higher usage), or what disagrees.
pub fn cross_check(
    a: &AccountResource,
    b: &AccountResource,
    ms: u64,
) -> std::result::Result<AccountResource, String> {
    let mut bad = Vec::new();
    let limits = [
        ("EnergyLimit", a.energy_limit, b.energy_limit),
        ("NetLimit", a.net_limit, b.net_limit),
        ("freeNetLimit", a.free_net_limit, b.free_net_limit),
    ];
    for (name, x, y) in limits {
        if !limits_agree(x, y) {
            bad.push(format!("{name} {x} vs {y}"));
        }
    }
    let usages = [
        ("EnergyUsed", a.energy_used, b.energy_used),
        ("NetUsed", a.net_used, b.net_used),
        ("freeNetUsed", a.free_net_used, b.free_net_used),
    ];
    for (name, x, y) in usages {
        if !within_recovery(x, y, ms) {
            bad.push(format!(
                "{name} {x} vs {y} (more than {ms} ms of recovery explains)"
            ));
        }
    }
    if !bad.is_empty() {
        return Err(bad.join(", "));
    }
    Ok(AccountResource {
        energy_used: a.energy_used.max(b.energy_used),
        net_used: a.net_used.max(b.net_used),
        free_net_used: a.free_net_used.max(b.free_net_used),
        energy_limit: a.energy_limit.min(b.energy_limit),
        net_limit: a.net_limit.min(b.net_limit),
        free_net_limit: a.free_net_limit.min(b.free_net_limit),
    })
}

/// An account's resources from two cross-checked answers; a disagreement refuses the build,
/// naming the account, the fields and who answered.
pub fn read(node: &Node, account: &Address) -> Result<AccountResource> {
    let (a, b, who, ms) = node.resources_twice(account)?;
    cross_check(&a, &b, ms).map_err(|why| {
        BcError::Node(format!(
            "not building: two answers for the resources of {account} disagree ({why}; second answer from {who}); the stake a build may spend is a node claim and must agree, try again or use other endpoints (--node)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(energy: (u64, u64), net: (u64, u64), free: (u64, u64)) -> AccountResource {
        AccountResource {
            energy_used: energy.0,
            energy_limit: energy.1,
            net_used: net.0,
            net_limit: net.1,
            free_net_used: free.0,
            free_net_limit: free.1,
        }
    }

    #[test]
    fn energy_is_spent_in_order_and_bandwidth_whole_or_not_at_all() {
        let mut left = Left::of(&res((30_000, 200_000), (0, 400), (0, 600)));
        assert_eq!(left.energy, 170_000);
        // First transfer: fully staked, bandwidth from stake.
        assert_eq!(
            left.spend(130_285, 345),
            Spent {
                energy_from_stake: 130_285,
                bandwidth_covered: true
            }
        );
        // Second: 39,715 from stake, 55 staked bytes cannot cover 345: the free allowance does.
        assert_eq!(
            left.spend(64_285, 345),
            Spent {
                energy_from_stake: 39_715,
                bandwidth_covered: true
            }
        );
        assert_eq!((left.staked_net, left.free_net), (55, 255));
        // Third: nothing left, every byte burns.
        assert_eq!(
            left.spend(64_285, 345),
            Spent {
                energy_from_stake: 0,
                bandwidth_covered: false
            }
        );
    }

    #[test]
    fn answers_may_differ_by_recovery_only() {
        let a = res((100_000, 200_000), (0, 0), (300, 600));
        // 3 s later a little has recovered: accepted, the higher usage kept.
        let b = res((99_997, 200_000), (0, 0), (300, 600));
        assert_eq!(cross_check(&a, &b, 3_000).unwrap().energy_used, 100_000);
        // A member that claims the usage is gone (or the stake doubled) is refused by name.
        let e = cross_check(&a, &res((0, 200_000), (0, 0), (300, 600)), 3_000).unwrap_err();
        assert!(e.contains("EnergyUsed 100000 vs 0"), "{e}");
        let e = cross_check(&a, &res((100_000, 400_000), (0, 0), (300, 600)), 10).unwrap_err();
        assert!(e.contains("EnergyLimit 200000 vs 400000"), "{e}");
        // The network weight moved between the reads: a limit 0.5 % lower is drift, and the
        // lower one is kept; 2 % is a disagreement.
        let drift = cross_check(&a, &res((100_000, 199_000), (0, 0), (300, 600)), 10).unwrap();
        assert_eq!(drift.energy_limit, 199_000);
        let e = cross_check(&a, &res((100_000, 196_000), (0, 0), (300, 600)), 10).unwrap_err();
        assert!(e.contains("EnergyLimit 200000 vs 196000"), "{e}");
    }
}
