//! Bandwidth and energy as java-tron computes them (ResourceProcessor, BandwidthProcessor,
//! EnergyProcessor): usage that recovers linearly over a 24 h window of 3 s slots, limits as the
//! account's share of the network's staked weight, and the order in which a transaction pays.
//! Every rule, with its java-tron source, is listed in docs/devnode.md ("Stake 2.0").

use coldpay_shared::staking::Resource;

/// Block slot length (ms): java-tron's BLOCK_PRODUCED_INTERVAL.
pub const SLOT_MS: u64 = 3000;
/// Recovery window in slots: WINDOW_SIZE_MS (24 h) / BLOCK_PRODUCED_INTERVAL.
pub const WINDOW_SLOTS: u64 = 28_800;
/// ChainConstant.PRECISION.
const PRECISION: u128 = 1_000_000;
/// Sun per TRX (TRX_PRECISION): stake weights count whole TRX.
pub const SUN_PER_TRX: u64 = 1_000_000;

/// The index of a resource in the per-resource arrays of [`Stake`].
pub fn idx(r: Resource) -> usize {
    match r {
        Resource::Bandwidth => 0,
        Resource::Energy => 1,
    }
}

/// Both resources, in index order.
pub const RESOURCES: [Resource; 2] = [Resource::Bandwidth, Resource::Energy];

/// One pending unstake (Account.unfrozenV2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfrozen {
    /// Resource it was staked for.
    pub resource: Resource,
    /// Sun.
    pub amount: u64,
    /// When it can be withdrawn (ms).
    pub expire_ms: u64,
}

/// Usage of one resource and when it was last consumed (ms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Usage at `time_ms`.
    pub used: u64,
    /// Time of the last consumption (ms; 0 = never).
    pub time_ms: u64,
}

impl Usage {
    /// The usage left at `now_ms` after linear recovery.
    pub fn at(&self, now_ms: u64) -> u64 {
        increase(self.used, 0, self.time_ms, now_ms)
    }

    /// Adds `amount` consumed at `now_ms`.
    pub fn consume(&mut self, amount: u64, now_ms: u64) {
        self.used = increase(self.used, amount, self.time_ms, now_ms);
        self.time_ms = now_ms;
    }
}

/// An account's Stake 2.0 state (per resource: index 0 bandwidth, 1 energy).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stake {
    /// frozenV2: own stake still backing the account's own resource.
    pub frozen: [u64; 2],
    /// delegated_frozenV2_balance_for_*: own stake lent to others.
    pub delegated_out: [u64; 2],
    /// acquired_delegated_frozenV2_balance_for_*: others' stake lent to this account.
    pub acquired: [u64; 2],
    /// unfrozenV2: pending unstakes.
    pub unfrozen: Vec<Unfrozen>,
    /// Staked bandwidth usage (net_usage / latest_consume_time).
    pub net: Usage,
    /// Energy usage (energy_usage / latest_consume_time_for_energy).
    pub energy: Usage,
    /// Whether the account ever staked (java-tron then lists frozenV2 for every resource).
    pub ever: bool,
}

impl Stake {
    /// Own stake counted in the network weight (frozen + delegated out), sun.
    pub fn weight_sun(&self, r: Resource) -> u64 {
        self.frozen[idx(r)] + self.delegated_out[idx(r)]
    }

    /// Stake that gives this account the resource (own frozen + acquired), sun.
    pub fn backing_sun(&self, r: Resource) -> u64 {
        self.frozen[idx(r)] + self.acquired[idx(r)]
    }

    /// Unstakes whose delay has passed at `now_ms`, sun.
    pub fn withdrawable(&self, now_ms: u64) -> u64 {
        self.unfrozen
            .iter()
            .filter(|u| u.expire_ms <= now_ms)
            .map(|u| u.amount)
            .sum()
    }

    /// Unstakes still waiting at `now_ms`.
    pub fn unfreezing_count(&self, now_ms: u64) -> usize {
        self.unfrozen
            .iter()
            .filter(|u| u.expire_ms > now_ms)
            .count()
    }

    /// Removes the expired unstakes and returns their sum.
    pub fn take_expired(&mut self, now_ms: u64) -> u64 {
        let sum = self.withdrawable(now_ms);
        self.unfrozen.retain(|u| u.expire_ms > now_ms);
        sum
    }

    /// The usage of a resource.
    pub fn usage(&self, r: Resource) -> &Usage {
        match r {
            Resource::Bandwidth => &self.net,
            Resource::Energy => &self.energy,
        }
    }

    /// The usage of a resource, mutable.
    pub fn usage_mut(&mut self, r: Resource) -> &mut Usage {
        match r {
            Resource::Bandwidth => &mut self.net,
            Resource::Energy => &mut self.energy,
        }
    }
}

fn div_ceil(n: u128, d: u128) -> u128 {
    n.div_ceil(d)
}

/// ResourceProcessor.increase: the usage at `now_ms` of `last_usage` consumed at `last_ms`,
/// plus `usage` consumed now. Averages are kept per slot with PRECISION; the decay of the old
/// average is rounded half up (java-tron: Math.round of a double; the integer form here agrees
/// except where the double itself rounds).
pub fn increase(last_usage: u64, usage: u64, last_ms: u64, now_ms: u64) -> u64 {
    let w = u128::from(WINDOW_SLOTS);
    let (last, now) = (last_ms / SLOT_MS, now_ms / SLOT_MS);
    let mut avg_last = div_ceil(u128::from(last_usage) * PRECISION, w);
    let avg = div_ceil(u128::from(usage) * PRECISION, w);
    if last != now {
        if last + WINDOW_SLOTS > now {
            let left = w - u128::from(now.saturating_sub(last));
            avg_last = (avg_last * left * 2 + w) / (2 * w);
        } else {
            avg_last = 0;
        }
    }
    u64::try_from((avg_last + avg) * w / PRECISION).unwrap_or(u64::MAX)
}

/// calculateGlobalEnergyLimit / calculateGlobalNetLimit: the account's whole-TRX backing times
/// the network limit over the network weight (integer division instead of java-tron's double).
pub fn limit(backing_sun: u64, total_limit: u64, total_weight: u64) -> u64 {
    if total_weight == 0 {
        return 0;
    }
    let trx = u128::from(backing_sun / SUN_PER_TRX);
    u64::try_from(trx * u128::from(total_limit) / u128::from(total_weight)).unwrap_or(u64::MAX)
}

/// How a transaction's bandwidth is paid (BandwidthProcessor.consume order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetPaid {
    /// From the account's staked (and acquired) bandwidth.
    Staked(u64),
    /// From the free daily allowance.
    Free(u64),
    /// Burned: sun.
    Burned(u64),
}

impl NetPaid {
    /// (net_usage, net_fee) as the receipt shows them.
    pub fn receipt(self) -> (u64, u64) {
        match self {
            NetPaid::Staked(b) | NetPaid::Free(b) => (b, 0),
            NetPaid::Burned(fee) => (0, fee),
        }
    }
}

/// Bandwidth payment: staked if `left_staked` covers all `bytes`, else free if `left_free` does,
/// else `bytes × price` burned. A source is used only if it covers the whole transaction.
pub fn pay_net(bytes: u64, left_staked: u64, left_free: u64, price: u64) -> NetPaid {
    if bytes <= left_staked {
        NetPaid::Staked(bytes)
    } else if bytes <= left_free {
        NetPaid::Free(bytes)
    } else {
        NetPaid::Burned(bytes.saturating_mul(price))
    }
}

/// The energy a contract call may use (VMActuator.getAccountEnergyLimitWithFixRatio):
/// min(fee_limit / price, left staked energy + spendable balance / price).
pub fn energy_cap(fee_limit: u64, price: u64, left_energy: u64, spendable: u64) -> u64 {
    let price = price.max(1);
    (fee_limit / price).min(left_energy.saturating_add(spendable / price))
}

/// How `used` energy is paid (ReceiptCapsule.payEnergyBill): staked energy first, the rest
/// burned. Returns (energy from stake, sun burned).
pub fn pay_energy(used: u64, left_energy: u64, price: u64) -> (u64, u64) {
    let from_stake = used.min(left_energy);
    (from_stake, (used - from_stake).saturating_mul(price))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: u64 = 86_400_000;

    #[test]
    fn usage_recovers_linearly_over_the_window() {
        let t0 = 1_000 * SLOT_MS;
        let mut u = Usage::default();
        u.consume(64_285, t0);
        assert_eq!(u.at(t0), 64_285);
        // A quarter of the window later three quarters are left; half later, half.
        assert_eq!(u.at(t0 + DAY_MS / 4), 48_213);
        assert_eq!(u.at(t0 + DAY_MS / 2), 32_142);
        assert_eq!(u.at(t0 + DAY_MS - SLOT_MS), 2);
        assert_eq!(u.at(t0 + DAY_MS), 0);
        // Consuming again adds to the recovered rest.
        u.consume(10_000, t0 + DAY_MS / 2);
        assert_eq!(u.at(t0 + DAY_MS / 2), 42_142);
    }

    #[test]
    fn limits_are_the_share_of_the_network_weight() {
        // 10,000 TRX of 1,800,000,000 TRX staked network-wide for 180,000,000,000 energy.
        assert_eq!(
            limit(10_000 * SUN_PER_TRX, 180_000_000_000, 1_800_000_000),
            1_000_000
        );
        // Fractions of a TRX do not count.
        assert_eq!(limit(1_999_999, 100, 1), 100);
        assert_eq!(limit(5, 100, 0), 0);
    }

    #[test]
    fn bandwidth_uses_one_whole_source_in_order() {
        assert_eq!(pay_net(345, 345, 600, 1000), NetPaid::Staked(345));
        assert_eq!(pay_net(345, 344, 600, 1000), NetPaid::Free(345));
        assert_eq!(pay_net(345, 344, 344, 1000), NetPaid::Burned(345_000));
    }

    #[test]
    fn fee_limit_bounds_energy_including_the_staked_part() {
        // Full stake, fee_limit 0: nothing may be used.
        assert_eq!(energy_cap(0, 100, 1_000_000, 0), 0);
        // Stake 30,000 + 10 TRX of balance at 100 sun = 130,000.
        assert_eq!(energy_cap(50_000_000, 100, 30_000, 10_000_000), 130_000);
        assert_eq!(energy_cap(5_000_000, 100, 30_000, 10_000_000), 50_000);
        assert_eq!(pay_energy(64_285, 30_000, 100), (30_000, 3_428_500));
        assert_eq!(pay_energy(64_285, 100_000, 100), (64_285, 0));
    }
}
