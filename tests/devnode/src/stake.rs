//! Stake 2.0 on the dev node: the six staking contracts validated and executed as java-tron's
//! actuators do (FreezeBalanceV2Actuator, UnfreezeBalanceV2Actuator,
//! WithdrawExpireUnfreezeActuator, DelegateResourceActuator, UnDelegateResourceActuator,
//! CancelAllUnfreezeV2Actuator), with their validation messages, and the network weights the
//! resource limits are computed from. Rules and sources: docs/devnode.md ("Stake 2.0").

use std::collections::BTreeSet;

use coldpay_shared::staking::{Resource, StakingContract};
use coldpay_shared::Address;

use crate::chain::{Account, Chain};
use crate::resources::{self, idx, Stake, Unfrozen, RESOURCES, SUN_PER_TRX};

/// Most pending unstakes per account (UnfreezeBalanceV2Actuator.UNFREEZE_MAX_TIMES).
pub const UNFREEZE_MAX_TIMES: usize = 32;
/// One day in ms (java-tron's FROZEN_PERIOD, the unit of getUnfreezeDelayDays).
pub const DAY_MS: u64 = 86_400_000;
/// Default lock of a locked delegation without lock_period: DELEGATE_PERIOD (3 days) in slots.
pub const DEFAULT_LOCK_SLOTS: u64 = 3 * DAY_MS / resources::SLOT_MS;

pub use crate::chain::{Delegation, DelegationKey};

/// What executing a staking contract adds to its TransactionInfo.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StakeOutcome {
    /// withdraw_expire_amount: sun moved back to the balance from expired unstakes.
    pub withdraw_expire_amount: u64,
    /// cancel_unfreezeV2_amount per resource (CancelAllUnfreezeV2 only).
    pub cancel_unfreeze: Option<[u64; 2]>,
}

fn hex(a: &Address) -> String {
    a.to_hex()
}

fn energy_word(r: Resource) -> &'static str {
    match r {
        Resource::Bandwidth => "BANDWIDTH",
        Resource::Energy => "Energy",
    }
}

impl Chain {
    /// The account's stake (default if the account has none).
    pub fn stake_of(&self, a: &Address) -> Stake {
        self.accounts
            .get(a)
            .map(|x| x.stake.clone())
            .unwrap_or_default()
    }

    /// TotalEnergyWeight / TotalNetWeight: the other validators' weight from the genesis
    /// parameters plus every account's whole staked TRX (own frozen and delegated out).
    pub fn total_weight(&self, r: Resource) -> u64 {
        let base = match r {
            Resource::Bandwidth => self.params.net_weight_others,
            Resource::Energy => self.params.energy_weight_others,
        };
        base + self
            .accounts
            .values()
            .map(|a| a.stake.weight_sun(r) / SUN_PER_TRX)
            .sum::<u64>()
    }

    /// TotalEnergyLimit / TotalNetLimit.
    pub fn total_limit(&self, r: Resource) -> u64 {
        match r {
            Resource::Bandwidth => self.params.total_net_limit,
            Resource::Energy => self.params.total_energy_limit,
        }
    }

    /// EnergyLimit / NetLimit of an account.
    pub fn resource_limit(&self, a: &Address, r: Resource) -> u64 {
        let backing = self.stake_of(a).backing_sun(r);
        resources::limit(backing, self.total_limit(r), self.total_weight(r))
    }

    /// Staked energy or bandwidth left at `now_ms` (limit − recovered usage).
    pub fn resource_left(&self, a: &Address, r: Resource, now_ms: u64) -> u64 {
        let used = self.stake_of(a).usage(r).at(now_ms);
        self.resource_limit(a, r).saturating_sub(used)
    }

    /// Stake whose resource is in use and so cannot be delegated (the actuator's
    /// remainUsage), sun.
    fn used_stake_sun(&self, a: &Address, r: Resource, now_ms: u64) -> u64 {
        let s = self.stake_of(a);
        let usage = u128::from(s.usage(r).at(now_ms));
        let limit = u128::from(self.total_limit(r).max(1));
        let as_sun = usage * u128::from(SUN_PER_TRX) * u128::from(self.total_weight(r)) / limit;
        u64::try_from(as_sun)
            .unwrap_or(u64::MAX)
            .saturating_sub(s.acquired[idx(r)])
    }

    /// getcandelegatedmaxsize: own stake not backing resource already used, sun.
    pub fn can_delegate_max(&self, a: &Address, r: Resource, now_ms: u64) -> u64 {
        self.stake_of(a).frozen[idx(r)].saturating_sub(self.used_stake_sun(a, r, now_ms))
    }

    /// Moves locked delegations from `from` to `to` whose lock has ended into the unlocked
    /// record (DelegatedResourceStore.unLockExpireResource).
    fn unlock_expired(&mut self, from: Address, to: Address, now_ms: u64) {
        let Some(locked) = self.delegations.get_mut(&(from, to, true)) else {
            return;
        };
        let mut moved = [0u64; 2];
        for ((m, amount), expire) in moved
            .iter_mut()
            .zip(locked.amount.iter_mut())
            .zip(locked.expire_ms.iter_mut())
        {
            if *amount > 0 && *expire < now_ms {
                *m = std::mem::take(amount);
                *expire = 0;
            }
        }
        if locked.amount == [0, 0] {
            self.delegations.remove(&(from, to, true));
        }
        if moved != [0, 0] {
            let open = self.delegations.entry((from, to, false)).or_default();
            for (o, m) in open.amount.iter_mut().zip(moved) {
                *o += m;
            }
        }
    }

    /// The actuator's validate(): java-tron's message (after "Contract validate error : ").
    /// `spendable` is the owner's balance after this transaction's other fees.
    pub fn validate_staking(
        &self,
        c: &StakingContract,
        spendable: u64,
        now_ms: u64,
    ) -> Result<(), String> {
        let owner = c.owner();
        let Some(acct) = self.accounts.get(&owner) else {
            return Err(format!("Account[{}] not exists", hex(&owner)));
        };
        let s = &acct.stake;
        match c {
            StakingContract::Freeze { amount, .. } => {
                let amount = amount.as_u64();
                if amount == 0 {
                    return Err("frozenBalance must be positive".into());
                }
                if amount < SUN_PER_TRX {
                    return Err("frozenBalance must be more than 1TRX".into());
                }
                if amount > spendable {
                    return Err("frozenBalance must be less than accountBalance".into());
                }
            }
            StakingContract::Unfreeze {
                amount, resource, ..
            } => {
                let frozen = s.frozen[idx(*resource)];
                if frozen == 0 {
                    return Err(format!("no frozenBalance({})", energy_word(*resource)));
                }
                if amount.as_u64() == 0 || amount.as_u64() > frozen {
                    return Err(format!(
                        "Invalid unfreeze_balance, [{}] is error",
                        amount.as_u64()
                    ));
                }
                if s.unfreezing_count(now_ms) >= UNFREEZE_MAX_TIMES {
                    return Err("Invalid unfreeze operation, unfreezing times is over limit".into());
                }
            }
            StakingContract::WithdrawExpireUnfreeze { .. } => {
                if s.withdrawable(now_ms) == 0 {
                    return Err("no unFreeze balance to withdraw ".into());
                }
            }
            StakingContract::CancelAllUnfreeze { .. } => {
                if s.unfrozen.is_empty() {
                    return Err("No unfreezeV2 list to cancel".into());
                }
            }
            StakingContract::Delegate {
                resource,
                balance,
                receiver,
                lock,
                lock_period,
                ..
            } => self.validate_delegate(
                owner,
                *resource,
                balance.as_u64(),
                *receiver,
                (*lock, *lock_period),
                now_ms,
            )?,
            StakingContract::UnDelegate {
                resource,
                balance,
                receiver,
                ..
            } => self.validate_undelegate(owner, *resource, balance.as_u64(), *receiver, now_ms)?,
        }
        Ok(())
    }

    fn validate_delegate(
        &self,
        owner: Address,
        r: Resource,
        balance: u64,
        receiver: Address,
        (lock, lock_period): (bool, u64),
        now_ms: u64,
    ) -> Result<(), String> {
        if balance < SUN_PER_TRX {
            return Err("delegateBalance must be more than 1TRX".into());
        }
        if self.can_delegate_max(&owner, r, now_ms) < balance {
            return Err(match r {
                Resource::Bandwidth => {
                    "delegateBalance must be less than available FreezeBandwidthV2 balance"
                }
                Resource::Energy => {
                    "delegateBalance must be less than available FreezeEnergyV2 balance"
                }
            }
            .into());
        }
        if receiver == owner {
            return Err("receiverAddress must not be the same as ownerAddress".into());
        }
        if !self.accounts.contains_key(&receiver) {
            return Err(format!("Account[{}] not exists", hex(&receiver)));
        }
        if lock {
            let max = self.params.max_delegate_lock_period;
            let period = if lock_period == 0 {
                DEFAULT_LOCK_SLOTS
            } else {
                lock_period
            };
            if period > max {
                return Err(format!(
                    "The lock period of delegate resource cannot be less than 0 and cannot exceed {max}!"
                ));
            }
            if let Some(d) = self.delegations.get(&(owner, receiver, true)) {
                let remain = d.expire_ms[idx(r)].saturating_sub(now_ms);
                if period.saturating_mul(resources::SLOT_MS) < remain {
                    let n = r.name();
                    return Err(format!("The lock period for {n} this time cannot be less than the remaining time[{remain}ms] of the last lock period for {n}!"));
                }
            }
        }
        if receiver == self.token.contract {
            return Err("Do not allow delegate resources to contract addresses".into());
        }
        Ok(())
    }

    fn validate_undelegate(
        &self,
        owner: Address,
        r: Resource,
        balance: u64,
        receiver: Address,
        now_ms: u64,
    ) -> Result<(), String> {
        if receiver == owner {
            return Err("receiverAddress must not be the same as ownerAddress".into());
        }
        let open = self.delegations.get(&(owner, receiver, false));
        let locked = self.delegations.get(&(owner, receiver, true));
        if open.is_none() && locked.is_none() {
            return Err("delegated Resource does not exist".into());
        }
        if balance == 0 {
            return Err("unDelegateBalance must be more than 0 TRX".into());
        }
        let i = idx(r);
        let available = open.map_or(0, |d| d.amount[i])
            + locked
                .filter(|d| d.expire_ms[i] < now_ms)
                .map_or(0, |d| d.amount[i]);
        if available < balance {
            return Err(match r {
                Resource::Bandwidth => format!(
                    "insufficient delegatedFrozenBalance(BANDWIDTH), request={balance}, unlock_balance={available}"
                ),
                Resource::Energy => format!(
                    "insufficient delegateFrozenBalance(Energy), request={balance}, unlock_balance={available}"
                ),
            });
        }
        Ok(())
    }

    /// The actuator's execute() (after a successful validate).
    pub fn execute_staking(&mut self, c: &StakingContract, now_ms: u64) -> StakeOutcome {
        let owner = c.owner();
        let delay = self.params.unfreeze_delay_days * DAY_MS;
        let mut out = StakeOutcome::default();
        match c {
            StakingContract::Freeze {
                amount, resource, ..
            } => {
                let a = self.account_mut(owner);
                a.balance -= amount.as_u64();
                a.stake.frozen[idx(*resource)] += amount.as_u64();
                a.stake.ever = true;
            }
            StakingContract::Unfreeze {
                amount, resource, ..
            } => {
                let a = self.account_mut(owner);
                let back = a.stake.take_expired(now_ms);
                a.balance += back;
                a.stake.frozen[idx(*resource)] -= amount.as_u64();
                a.stake.unfrozen.push(Unfrozen {
                    resource: *resource,
                    amount: amount.as_u64(),
                    expire_ms: now_ms + delay,
                });
                out.withdraw_expire_amount = back;
            }
            StakingContract::WithdrawExpireUnfreeze { .. } => {
                let a = self.account_mut(owner);
                let back = a.stake.take_expired(now_ms);
                a.balance += back;
                out.withdraw_expire_amount = back;
            }
            StakingContract::CancelAllUnfreeze { .. } => {
                let a = self.account_mut(owner);
                let back = a.stake.take_expired(now_ms);
                let mut cancelled = [0u64; 2];
                for u in std::mem::take(&mut a.stake.unfrozen) {
                    cancelled[idx(u.resource)] += u.amount;
                    a.stake.frozen[idx(u.resource)] += u.amount;
                }
                a.balance += back;
                out.withdraw_expire_amount = back;
                out.cancel_unfreeze = Some(cancelled);
            }
            StakingContract::Delegate {
                resource,
                balance,
                receiver,
                lock,
                lock_period,
                ..
            } => {
                let period = if *lock_period == 0 {
                    DEFAULT_LOCK_SLOTS
                } else {
                    *lock_period
                };
                let expire = lock.then(|| now_ms + period * resources::SLOT_MS);
                self.delegate(
                    owner,
                    *receiver,
                    *resource,
                    balance.as_u64(),
                    expire,
                    now_ms,
                );
            }
            StakingContract::UnDelegate {
                resource,
                balance,
                receiver,
                ..
            } => self.undelegate(owner, *receiver, *resource, balance.as_u64(), now_ms),
        }
        out
    }

    fn account_mut(&mut self, a: Address) -> &mut Account {
        self.accounts
            .get_mut(&a)
            .expect("validated: the account exists")
    }

    /// Lends the resource of `sun` of `from`'s stake to `to` (locked until `expire_ms`).
    pub(crate) fn delegate(
        &mut self,
        from: Address,
        to: Address,
        r: Resource,
        sun: u64,
        expire_ms: Option<u64>,
        now_ms: u64,
    ) {
        self.unlock_expired(from, to, now_ms);
        let d = self
            .delegations
            .entry((from, to, expire_ms.is_some()))
            .or_default();
        d.amount[idx(r)] += sun;
        if let Some(e) = expire_ms {
            d.expire_ms[idx(r)] = e;
        }
        let a = self.account_mut(from);
        a.stake.frozen[idx(r)] -= sun;
        a.stake.delegated_out[idx(r)] += sun;
        a.stake.ever = true;
        let b = self.account_mut(to);
        b.stake.acquired[idx(r)] += sun;
    }

    fn undelegate(&mut self, from: Address, to: Address, r: Resource, sun: u64, now_ms: u64) {
        let i = idx(r);
        // The receiver's usage of the returned share moves to the owner.
        let (limit, weight) = (self.total_limit(r), self.total_weight(r).max(1));
        let receiver = self.account_mut(to);
        let used = receiver.stake.usage(r).at(now_ms);
        let backing = receiver.stake.backing_sun(r).max(1);
        let share = u64::try_from(u128::from(used) * u128::from(sun) / u128::from(backing))
            .unwrap_or(u64::MAX);
        let max_share = resources::limit(sun, limit, weight);
        let moved = share.min(max_share);
        receiver.stake.acquired[i] = receiver.stake.acquired[i].saturating_sub(sun);
        let u = receiver.stake.usage_mut(r);
        *u = resources::Usage {
            used: used - moved,
            time_ms: now_ms,
        };
        self.unlock_expired(from, to, now_ms);
        let open = self.delegations.entry((from, to, false)).or_default();
        open.amount[i] -= sun;
        if open.amount == [0, 0] {
            self.delegations.remove(&(from, to, false));
        }
        let owner = self.account_mut(from);
        owner.stake.delegated_out[i] -= sun;
        owner.stake.frozen[i] += sun;
        if moved > 0 {
            let u = owner.stake.usage_mut(r);
            let now_used = u.at(now_ms);
            *u = resources::Usage {
                used: now_used + moved,
                time_ms: now_ms,
            };
        }
    }

    /// Delegation records from `from` to `to` (getdelegatedresourcev2), unlocked first.
    pub fn delegations_between(&self, from: &Address, to: &Address) -> Vec<(bool, Delegation)> {
        [false, true]
            .iter()
            .filter_map(|l| {
                self.delegations
                    .get(&(*from, *to, *l))
                    .map(|d| (*l, d.clone()))
            })
            .collect()
    }

    /// (accounts `a` delegates to, accounts that delegate to `a`)
    /// (getdelegatedresourceaccountindexv2).
    pub fn delegation_index(&self, a: &Address) -> (Vec<Address>, Vec<Address>) {
        let mut to = BTreeSet::new();
        let mut from = BTreeSet::new();
        for (f, t, _) in self.delegations.keys() {
            if f == a {
                to.insert(*t);
            }
            if t == a {
                from.insert(*f);
            }
        }
        (to.into_iter().collect(), from.into_iter().collect())
    }

    /// `/admin/stake`: gives `address` `sun` of new stake for `r` (minted: its balance is
    /// unchanged; the account is created if needed), and lends it to `receiver` if given.
    pub fn admin_stake(
        &mut self,
        address: Address,
        sun: u64,
        r: Resource,
        receiver: Option<Address>,
    ) -> Result<(), String> {
        if sun == 0 {
            return Err("stake: the amount must be positive".into());
        }
        if receiver == Some(address) {
            return Err("stake: the receiver must differ from the staking account".into());
        }
        let created = self.head().timestamp;
        for a in std::iter::once(address).chain(receiver) {
            self.accounts.entry(a).or_insert_with(|| Account {
                create_time: created,
                ..Account::default()
            });
        }
        let s = &mut self.account_mut(address).stake;
        s.frozen[idx(r)] = s.frozen[idx(r)]
            .checked_add(sun)
            .ok_or("stake: the staked amount would overflow")?;
        s.ever = true;
        if let Some(to) = receiver {
            self.delegate(address, to, r, sun, None, created);
        }
        Ok(())
    }
}

/// Per-resource helper for JSON: the resources with their names.
pub fn resources_named() -> impl Iterator<Item = (usize, Resource)> {
    RESOURCES.iter().map(|r| (idx(*r), *r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::Genesis;
    use coldpay_shared::Sun;

    const TRX: u64 = SUN_PER_TRX;

    fn a(n: u8) -> Address {
        Address::from_bytes(&[&[0x41][..], &[n; 20][..]].concat()).unwrap()
    }

    fn chain() -> Chain {
        let mut g = Genesis::default();
        g.params.energy_weight_others = 1_000;
        g.fund(a(1), 10_000 * TRX, 0);
        g.fund(a(2), 10 * TRX, 0);
        Chain::new(&g, 0, 1_700_000_000_000)
    }

    fn delegate(lock: bool, period: u64, sun: u64) -> StakingContract {
        StakingContract::Delegate {
            owner: a(1),
            resource: Resource::Energy,
            balance: Sun::new(sun).unwrap(),
            receiver: a(2),
            lock,
            lock_period: period,
        }
    }

    #[test]
    fn the_weight_counts_whole_trx_per_account_including_what_is_lent() {
        let mut c = chain();
        c.admin_stake(a(1), 2_500_000, Resource::Energy, None)
            .unwrap();
        c.admin_stake(a(2), 2_500_000, Resource::Energy, None)
            .unwrap();
        // 2.5 TRX each counts as 2 whole TRX each, not 5 together.
        assert_eq!(c.total_weight(Resource::Energy), 1_000 + 2 + 2);
        let now = c.head().timestamp;
        c.execute_staking(&delegate(false, 0, 2 * TRX), now);
        assert_eq!(
            c.total_weight(Resource::Energy),
            1_004,
            "lending moves no weight"
        );
        assert_eq!(c.stake_of(&a(2)).backing_sun(Resource::Energy), 4_500_000);
        assert_eq!(c.stake_of(&a(1)).weight_sun(Resource::Energy), 2_500_000);
        assert_eq!(
            c.total_weight(Resource::Bandwidth),
            c.params.net_weight_others
        );
    }

    #[test]
    fn an_ended_lock_joins_the_unlocked_record() {
        let mut c = chain();
        c.admin_stake(a(1), 100 * TRX, Resource::Energy, None)
            .unwrap();
        let t0 = c.head().timestamp;
        c.execute_staking(&delegate(true, 10, 5 * TRX), t0);
        assert_eq!(
            c.delegations_between(&a(1), &a(2)),
            vec![(
                true,
                Delegation {
                    amount: [0, 5 * TRX],
                    expire_ms: [0, t0 + 30_000],
                }
            )]
        );
        // Still locked at its last millisecond, free one after.
        let undelegate = StakingContract::UnDelegate {
            owner: a(1),
            resource: Resource::Energy,
            balance: Sun::new(5 * TRX).unwrap(),
            receiver: a(2),
        };
        assert!(c
            .validate_staking(&undelegate, 0, t0 + 30_000)
            .unwrap_err()
            .contains("unlock_balance=0"));
        assert_eq!(c.validate_staking(&undelegate, 0, t0 + 30_001), Ok(()));
        c.execute_staking(&delegate(false, 0, TRX), t0 + 30_001);
        assert_eq!(
            c.delegations_between(&a(1), &a(2)),
            vec![(
                false,
                Delegation {
                    amount: [0, 6 * TRX],
                    expire_ms: [0, 0],
                }
            )]
        );
    }

    #[test]
    fn undelegating_moves_the_receivers_usage_share_to_the_owner() {
        let mut c = chain();
        c.admin_stake(a(1), 100 * TRX, Resource::Energy, None)
            .unwrap();
        let t0 = c.head().timestamp;
        c.execute_staking(&delegate(false, 0, 50 * TRX), t0);
        // The receiver used 1,000 energy of its 50 TRX; undelegating 20 TRX moves 2/5 of it.
        c.accounts
            .get_mut(&a(2))
            .unwrap()
            .stake
            .energy
            .consume(1_000, t0);
        c.execute_staking(
            &StakingContract::UnDelegate {
                owner: a(1),
                resource: Resource::Energy,
                balance: Sun::new(20 * TRX).unwrap(),
                receiver: a(2),
            },
            t0,
        );
        assert_eq!(c.stake_of(&a(2)).energy.at(t0), 600);
        assert_eq!(c.stake_of(&a(1)).energy.at(t0), 400);
        assert_eq!(c.stake_of(&a(1)).frozen[idx(Resource::Energy)], 70 * TRX);
        assert_eq!(c.stake_of(&a(2)).acquired[idx(Resource::Energy)], 30 * TRX);
    }
}
