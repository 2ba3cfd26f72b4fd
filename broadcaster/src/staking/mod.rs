//! `stake`, `unstake`, `withdraw-unstaked`, `delegate`, `undelegate` and `cancel-unstake`:
//! one Stake 2.0 transaction (types 54–59) from a treasury account, checked against the
//! account's staking state as the node reports it (java-tron's rules, docs/devnode.md), built
//! locally from a verified reference block, journaled as a payout row of kind `staking` (so
//! `submit` and `track` broadcast and settle it exactly once, under the attempt rules), and
//! its sign request written. One staking operation per account is live at a time: the same
//! operation again exports its request again; another one waits until it settles or expires.

pub mod stake_cmd;
pub mod stake_state;
pub mod stake_view;

use coldpay_shared::amount::format_units;
use coldpay_shared::contract::{Contract, ContractKind};
use coldpay_shared::handoff::RequestTx;
use coldpay_shared::staking::{Resource, StakingContract};
use coldpay_shared::{Address, Network, RawData, RefBlock, SignRequest, U256};

use crate::error::{BcError, Result};
use crate::journal::staking_ops::{operation_of, StakingOp, StakingOperation};
use crate::journal::{
    now_ms, BuiltAgainst, Journal, NewAttempt, NewOperation, OperationKind, OperationRow,
};
use crate::multisig::permission_plan::Plan;
use crate::node::Node;
use crate::staking::stake_state::{idx, Delegation, StakeState};

/// The least TRX java-tron lets an account stake or delegate (1 TRX, in sun).
pub const MIN_STAKE_SUN: u64 = 1_000_000;

/// At most this many unstakes wait at once (UnfreezeBalanceV2Actuator.UNFREEZE_MAX_TIMES).
pub const UNFREEZE_MAX_TIMES: usize = 32;

fn trx(sun: u64) -> String {
    format!("{} TRX", format_units(U256::from(sun), 6))
}

/// What the checks need to know, read from the node (claims) at chain time `now_ms`.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The owner's state.
    pub owner: StakeState,
    /// Chain time (the verified solidified head's timestamp, ms).
    pub now_ms: u64,
    /// For a delegation: whether the receiver exists, and the most the owner can delegate.
    pub receiver_exists: bool,
    /// For a delegation: `getcandelegatedmaxsize` of its resource.
    pub can_delegate: u64,
    /// For an undelegation: the records to that receiver.
    pub delegated: Vec<Delegation>,
    /// Extra TRX each transaction may pay (the multi-signature fee), sun.
    pub extra_fee: u64,
}

/// Refuses what the chain would refuse, with the reason and, where it helps, when it will be
/// possible: one check per kind of operation.
pub fn check(c: &StakingContract, f: &Facts) -> Result<()> {
    let refusal = match c {
        StakingContract::Freeze {
            amount, resource, ..
        } => check_stake(amount.as_u64(), *resource, f),
        StakingContract::Unfreeze {
            amount, resource, ..
        } => check_unstake(amount.as_u64(), *resource, f),
        StakingContract::WithdrawExpireUnfreeze { .. } => check_withdraw(f),
        StakingContract::Delegate {
            owner,
            resource,
            balance,
            receiver,
            ..
        } => check_delegate(owner == receiver, receiver, balance.as_u64(), *resource, f),
        StakingContract::UnDelegate {
            owner,
            resource,
            balance,
            receiver,
        } => check_undelegate(owner == receiver, receiver, balance.as_u64(), *resource, f),
        StakingContract::CancelAllUnfreeze { .. } => f
            .owner
            .unstaking
            .is_empty()
            .then(|| "nothing to cancel: the account has no pending unstake".to_string()),
    };
    match refusal {
        Some(m) => Err(BcError::Input(format!("{m}; nothing built"))),
        None => Ok(()),
    }
}

/// Why staking `a` sun for `resource` would be refused, if it would.
fn check_stake(a: u64, resource: Resource, f: &Facts) -> Option<String> {
    if a < MIN_STAKE_SUN {
        return Some(format!("cannot stake {}: the least is 1 TRX", trx(a)));
    }
    let need = a.saturating_add(f.extra_fee);
    (need > f.owner.balance).then(|| {
        format!(
            "cannot stake {} for {}: the account holds {} free{}",
            trx(a),
            resource.word(),
            trx(f.owner.balance),
            if f.extra_fee > 0 {
                format!(" (and the multi-signature fee is {})", trx(f.extra_fee))
            } else {
                String::new()
            }
        )
    })
}

/// Why unstaking `a` sun of `resource` would be refused, if it would.
fn check_unstake(a: u64, resource: Resource, f: &Facts) -> Option<String> {
    let staked = f.owner.staked[idx(resource)];
    if a == 0 {
        return Some("cannot unstake 0 TRX".into());
    }
    if a > staked {
        return Some(format!(
            "cannot unstake {}: the account has {} staked for {} (not counting what it delegated out: undelegate first)",
            trx(a),
            trx(staked),
            resource.word()
        ));
    }
    let waiting = f
        .owner
        .unstaking
        .iter()
        .filter(|u| u.expires_ms > f.now_ms)
        .count();
    (waiting >= UNFREEZE_MAX_TIMES).then(|| {
        format!(
            "{waiting} unstakes are still waiting (the chain allows {UNFREEZE_MAX_TIMES}): withdraw or wait"
        )
    })
}

/// Why withdrawing would be refused (nothing withdrawable yet), if it would.
fn check_withdraw(f: &Facts) -> Option<String> {
    let ready: u64 = f
        .owner
        .unstaking
        .iter()
        .filter(|u| u.expires_ms <= f.now_ms)
        .map(|u| u.amount)
        .sum();
    if ready > 0 {
        return None;
    }
    let next = f.owner.unstaking.iter().min_by_key(|u| u.expires_ms);
    Some(match next {
        None => "nothing to withdraw: the account has no unstaked TRX".into(),
        Some(u) => format!(
            "nothing to withdraw yet: {} unstaked becomes withdrawable at {} (chain time; in {})",
            trx(u.amount),
            coldpay_shared::timefmt::utc(u.expires_ms),
            coldpay_shared::timefmt::human_duration(u.expires_ms - f.now_ms)
        ),
    })
}

/// Why delegating `a` sun of `resource` to `receiver` would be refused, if it would.
fn check_delegate(
    to_itself: bool,
    receiver: &Address,
    a: u64,
    resource: Resource,
    f: &Facts,
) -> Option<String> {
    if to_itself {
        return Some("cannot delegate to the account itself".into());
    }
    if a < MIN_STAKE_SUN {
        return Some(format!("cannot delegate {}: the least is 1 TRX", trx(a)));
    }
    if !f.receiver_exists {
        return Some(format!(
            "cannot delegate to {receiver}: the node knows no such account (activate it first)"
        ));
    }
    (a > f.can_delegate).then(|| {
        format!(
            "cannot delegate {} of {}: at most {} of the stake is free to delegate (staked {}, the rest backs resource already used or is delegated)",
            trx(a),
            resource.word(),
            trx(f.can_delegate),
            trx(f.owner.staked[idx(resource)])
        )
    })
}

/// Why undelegating `a` sun of `resource` from `receiver` would be refused, if it would.
fn check_undelegate(
    from_itself: bool,
    receiver: &Address,
    a: u64,
    resource: Resource,
    f: &Facts,
) -> Option<String> {
    if from_itself {
        return Some("cannot undelegate from the account itself".into());
    }
    if a == 0 {
        return Some("cannot undelegate 0 TRX".into());
    }
    let mine: Vec<&Delegation> = f
        .delegated
        .iter()
        .filter(|d| d.resource == resource)
        .collect();
    let total: u64 = mine.iter().map(|d| d.amount).sum();
    let free: u64 = mine
        .iter()
        .filter(|d| d.lock_until_ms <= f.now_ms)
        .map(|d| d.amount)
        .sum();
    if total == 0 {
        return Some(format!(
            "nothing of {} is delegated to {receiver}",
            resource.word()
        ));
    }
    if a > total {
        return Some(format!(
            "cannot undelegate {}: only {} of {} is delegated to {receiver}",
            trx(a),
            trx(total),
            resource.word()
        ));
    }
    (a > free).then(|| {
        let until = mine
            .iter()
            .filter(|d| d.lock_until_ms > f.now_ms)
            .map(|d| d.lock_until_ms)
            .max()
            .unwrap_or(0);
        format!(
            "cannot undelegate {}: {} of it is locked until {} (chain time; in {}); {} can be undelegated now",
            trx(a),
            trx(total - free),
            coldpay_shared::timefmt::utc(until),
            coldpay_shared::timefmt::human_duration(until.saturating_sub(f.now_ms)),
            trx(free)
        )
    })
}

/// What a staking command produced.
pub struct Outcome {
    /// The sign request.
    pub request: SignRequest,
    /// The journal's id of the operation.
    pub payout_id: String,
    /// The operation.
    pub contract: StakingContract,
    /// The same operation was already waiting for signatures: its request is exported again.
    pub reexported: bool,
}

fn request(network: Network, id: &str, raw: RawData, plan: Option<&Plan>) -> SignRequest {
    SignRequest {
        network,
        request_id: format!("{id}-{}", now_ms()),
        created_at: now_ms() as u64,
        transactions: vec![RequestTx::new(id, raw)],
        permission: plan.map(Plan::claim),
        permission_before: None,
    }
}

/// A live staking operation of the account: `Ok(None)` when there is none, `Ok(Some)` when
/// the same operation still waits for signatures, else refused.
fn pending(
    journal: &Journal,
    owner: &Address,
    c: &StakingContract,
) -> Result<Option<(String, RawData)>> {
    journal.pending_operation(
        OperationKind::Staking,
        owner,
        |k| matches!(k, ContractKind::Staking(s) if s == c),
    )
}

/// Reads what [`check`] needs.
fn facts(node: &Node, c: &StakingContract, now_ms: u64, extra_fee: u64) -> Result<Facts> {
    let owner = c.owner();
    let mut f = Facts {
        owner: crate::staking::stake_state::read(node, &owner)?,
        now_ms,
        extra_fee,
        ..Facts::default()
    };
    match c {
        StakingContract::Delegate {
            resource, receiver, ..
        } => {
            f.receiver_exists = crate::staking::stake_state::read(node, receiver)?.exists;
            f.can_delegate = crate::staking::stake_state::can_delegate(node, &owner, *resource)?;
        }
        StakingContract::UnDelegate { receiver, .. } => {
            f.delegated = crate::staking::stake_state::delegations(node, &owner, receiver)?;
        }
        _ => {}
    }
    Ok(f)
}

/// The journal row of an operation.
pub fn op_row(id: &str, c: &StakingContract) -> StakingOp {
    let (lock, lock_period) = match c {
        StakingContract::Delegate {
            lock, lock_period, ..
        } => (*lock, *lock_period),
        _ => (false, 0),
    };
    StakingOp {
        payout_id: id.to_string(),
        operation: StakingOperation::of(c),
        owner: c.owner(),
        amount_sun: c.amount_sun(),
        resource: c.resource(),
        receiver: c.receiver(),
        lock,
        lock_period,
    }
}

/// Journals the operation (batch, payout row of kind `staking` with its amount in sun, its
/// `staking_ops` row, the built attempt) in one SQL transaction.
fn record(
    journal: &Journal,
    network: Network,
    out: &Outcome,
    raw: &RawData,
    solid: &coldpay_shared::block::VerifiedBlock,
    plan: Option<&Plan>,
) -> Result<()> {
    let owner = out.contract.owner();
    let row = op_row(&out.payout_id, &out.contract);
    let op = NewOperation {
        id: &out.payout_id,
        account: &owner,
        network,
        to: row.receiver.unwrap_or(owner),
        amount: row.amount_sun,
        row: OperationRow::Staking(&row),
    };
    let claim = plan.map(Plan::claim);
    journal.record_operation(
        &op,
        &BuiltAgainst {
            request_id: &out.request.request_id,
            ref_block_num: solid.number,
            ref_block_id: solid.id,
            ref_block_ts: solid.timestamp,
            permission: claim,
        },
        &NewAttempt {
            payout_id: out.payout_id.clone(),
            txid: raw.txid(),
            raw: raw.encode(),
            expiration: raw.expiration,
            fee_limit: 0,
            fee_inputs: None,
        },
    )
}

/// How a staking command builds: the permission (`--permission`, else the account's default
/// in the config) and the expiration.
pub struct StakeOpts<'a> {
    /// The network.
    pub network: Network,
    /// Expiration after the reference block (ms).
    pub expires_in_ms: u64,
    /// The permission choice.
    pub choice: crate::multisig::permission_plan::Choice<'a>,
}

/// Runs a staking command: the owner must be an imported watch-only account; the operation
/// is checked, built under the chosen permission (whose operations must allow its type),
/// journaled, and its request returned.
pub fn run(
    journal: &Journal,
    node: &Node,
    opts: &StakeOpts<'_>,
    c: StakingContract,
) -> Result<Outcome> {
    crate::chain::tapos::check_expires(opts.expires_in_ms)?;
    let owner = c.owner();
    journal.require_account(&owner, opts.network)?;
    let plan = crate::multisig::permission_plan::plan(node, &opts.choice, &[], &[(owner, None)])?;
    if let Some(p) = &plan {
        p.check_types(&[c.type_number() as i32])?;
    }
    if let Some((payout_id, raw)) = pending(journal, &owner, &c)? {
        let request = request(opts.network, &payout_id, raw, plan.as_ref());
        request.validate()?;
        return Ok(Outcome {
            request,
            payout_id,
            contract: c,
            reexported: true,
        });
    }
    let (solid, expiration) = crate::chain::tapos::reference(node, opts.expires_in_ms)?;
    let extra = match &plan {
        Some(p) => u64::try_from(p.multisig_fee(node)?).unwrap_or(u64::MAX),
        None => 0,
    };
    check(&c, &facts(node, &c, solid.timestamp, extra)?)?;
    let raw = RawData {
        ref_block: RefBlock::from_block_id(&solid.id),
        expiration,
        memo: Vec::new(),
        contract: Contract {
            kind: ContractKind::Staking(c.clone()),
            permission_id: plan.as_ref().map_or(0, Plan::contract_id),
        },
        timestamp: now_ms() as u64,
        fee_limit: 0,
    };
    let payout_id = format!("{}-{}-{}", operation_of(&c), owner, now_ms());
    let request = request(opts.network, &payout_id, raw.clone(), plan.as_ref());
    request.validate()?;
    let out = Outcome {
        request,
        payout_id,
        contract: c,
        reexported: false,
    };
    record(journal, opts.network, &out, &raw, &solid, plan.as_ref())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staking::stake_state::Unstaking;
    use coldpay_shared::Sun;

    fn a(i: u8) -> Address {
        let mut b = [0u8; 21];
        b[0] = 0x41;
        b[1] = i;
        b[20] = i;
        Address::from_bytes(&b).unwrap()
    }

    fn sun(v: u64) -> Sun {
        Sun::new(v).unwrap()
    }

    fn facts(balance: u64, staked_energy: u64) -> Facts {
        Facts {
            owner: StakeState {
                exists: true,
                balance,
                staked: [0, staked_energy],
                unstaking: Vec::new(),
            },
            now_ms: 1_000_000,
            receiver_exists: true,
            can_delegate: staked_energy,
            ..Facts::default()
        }
    }

    fn err(c: &StakingContract, f: &Facts) -> String {
        check(c, f).unwrap_err().to_string()
    }

    #[test]
    fn stake_needs_one_trx_and_free_balance() {
        let f = facts(5_000_000, 0);
        let stake = |v| StakingContract::Freeze {
            owner: a(1),
            amount: sun(v),
            resource: Resource::Energy,
        };
        assert!(err(&stake(999_999), &f).contains("the least is 1 TRX"));
        assert!(err(&stake(6_000_000), &f).contains("holds 5 TRX free"));
        assert!(check(&stake(5_000_000), &f).is_ok());
        let mut multi = f.clone();
        multi.extra_fee = 1_000_000;
        assert!(err(&stake(5_000_000), &multi).contains("multi-signature fee is 1 TRX"));
    }

    #[test]
    fn unstake_at_most_what_is_staked_for_the_resource() {
        let f = facts(0, 10_000_000);
        let unstake = |v, r| StakingContract::Unfreeze {
            owner: a(1),
            amount: sun(v),
            resource: r,
        };
        assert!(err(&unstake(1_000_000, Resource::Bandwidth), &f)
            .contains("0 TRX staked for bandwidth"));
        assert!(
            err(&unstake(11_000_000, Resource::Energy), &f).contains("10 TRX staked for energy")
        );
        assert!(err(&unstake(0, Resource::Energy), &f).contains("cannot unstake 0 TRX"));
        assert!(check(&unstake(10_000_000, Resource::Energy), &f).is_ok());
        let mut full = f.clone();
        full.owner.unstaking = vec![
            Unstaking {
                resource: Resource::Energy,
                amount: 1,
                expires_ms: 2_000_000,
            };
            32
        ];
        assert!(err(&unstake(1_000_000, Resource::Energy), &full).contains("32 unstakes"));
    }

    #[test]
    fn withdraw_says_when_it_becomes_possible() {
        let w = StakingContract::WithdrawExpireUnfreeze { owner: a(1) };
        let mut f = facts(0, 0);
        assert!(err(&w, &f).contains("no unstaked TRX"));
        f.owner.unstaking = vec![Unstaking {
            resource: Resource::Energy,
            amount: 7_000_000,
            expires_ms: f.now_ms + 3_600_000,
        }];
        let e = err(&w, &f);
        assert!(
            e.contains("7 TRX unstaked becomes withdrawable at") && e.contains("in 1h 0m"),
            "{e}"
        );
        f.now_ms += 3_600_000;
        assert!(check(&w, &f).is_ok());
    }

    #[test]
    fn delegate_refusals() {
        let f = facts(0, 10_000_000);
        let d = |to, v| StakingContract::Delegate {
            owner: a(1),
            resource: Resource::Energy,
            balance: sun(v),
            receiver: to,
            lock: false,
            lock_period: 0,
        };
        assert!(err(&d(a(1), 2_000_000), &f).contains("to the account itself"));
        assert!(err(&d(a(2), 500_000), &f).contains("the least is 1 TRX"));
        assert!(err(&d(a(2), 11_000_000), &f).contains("at most 10 TRX"));
        let mut gone = f.clone();
        gone.receiver_exists = false;
        assert!(err(&d(a(2), 2_000_000), &gone).contains("no such account"));
        assert!(check(&d(a(2), 10_000_000), &f).is_ok());
    }

    #[test]
    fn undelegate_respects_amounts_and_locks() {
        let mut f = facts(0, 0);
        let u = |v| StakingContract::UnDelegate {
            owner: a(1),
            resource: Resource::Energy,
            balance: sun(v),
            receiver: a(2),
        };
        assert!(err(&u(1_000_000), &f).contains("nothing of energy is delegated"));
        f.delegated = vec![
            Delegation {
                resource: Resource::Energy,
                amount: 3_000_000,
                lock_until_ms: 0,
            },
            Delegation {
                resource: Resource::Energy,
                amount: 2_000_000,
                lock_until_ms: f.now_ms + 7_200_000,
            },
        ];
        assert!(err(&u(6_000_000), &f).contains("only 5 TRX of energy"));
        let e = err(&u(4_000_000), &f);
        assert!(
            e.contains("2 TRX of it is locked until") && e.contains("3 TRX can be undelegated now"),
            "{e}"
        );
        assert!(check(&u(3_000_000), &f).is_ok());
        assert!(err(&u(0), &f).contains("undelegate 0 TRX"));
    }

    #[test]
    fn the_journal_row_carries_amount_resource_receiver_and_lock() {
        let c = StakingContract::Delegate {
            owner: a(1),
            resource: Resource::Bandwidth,
            balance: sun(2_000_000),
            receiver: a(2),
            lock: true,
            lock_period: 100,
        };
        let r = op_row("x", &c);
        assert_eq!(r.operation, StakingOperation::Delegate);
        assert_eq!(r.owner, a(1));
        assert_eq!(r.amount_sun, 2_000_000);
        assert_eq!(r.resource, Some(Resource::Bandwidth));
        assert_eq!(r.receiver, Some(a(2)));
        assert!(r.lock && r.lock_period == 100);
        let w = op_row(
            "y",
            &StakingContract::WithdrawExpireUnfreeze { owner: a(1) },
        );
        assert_eq!((w.amount_sun, w.resource, w.receiver), (0, None, None));
    }
}
