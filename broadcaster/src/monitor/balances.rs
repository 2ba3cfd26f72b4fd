//! Balance snapshots: what a node says an account holds (TRX and each registered token) at a
//! verified solidified block, journaled so `reconcile` can compare it with the recorded
//! transfers.
//!
//! TRON nodes serve the *current* solidified state (`/walletsolidity/getaccount`,
//! `/walletsolidity/triggerconstantcontract`), not the state at an arbitrary past block. So a
//! snapshot is read between two reads of the verified solidified head and kept only when both
//! name the same block: the balance is then the one at that block. Snapshots are taken by
//! `watch` (when an account's cursor starts, after a pass that recorded something for it, and
//! at least hourly of chain time) and by `reconcile` (always, before it compares).

use coldpay_shared::block::VerifiedBlock;
use coldpay_shared::{Address, U256};
use serde_json::json;

use crate::error::Result;
use crate::journal::{BalanceRead, Journal, SnapshotAt};
use crate::node::answers::{Account, ConstantCall};
use crate::node::{Node, Verdict};
use crate::tokens::Token;

pub use crate::journal::Snapshot;

/// TRX (sun) of `a` in the node's solidified state, counting its own stake: free balance +
/// staked (`frozenV2`) + staked and delegated out + unstaking (`unfrozenV2`). Staking moves TRX
/// between these, so a balance line stays opening + in − out − fees across stake, unstake,
/// withdraw and delegation; an account that does not exist holds 0.
pub fn solid_trx(node: &Node, a: &Address) -> Result<u64> {
    let acct: Account = node.get_typed(
        "/walletsolidity/getaccount",
        &json!({"address": a.to_base58(), "visible": true}),
    )?;
    let stake: crate::staking::stake_state::OwnStake = node.get_typed(
        "/walletsolidity/getaccount",
        &json!({"address": a.to_base58(), "visible": true}),
    )?;
    Ok(acct.balance.saturating_add(stake.total()))
}

/// `balanceOf(a)` of `token` in the node's solidified state. A revert or a missing word is a
/// node fault (retried), never a zero balance.
pub fn solid_token(node: &Node, token: &Address, a: &Address) -> Result<U256> {
    let body = json!({
        "owner_address": a.to_base58(),
        "contract_address": token.to_base58(),
        "function_selector": "balanceOf(address)",
        "parameter": hex::encode(coldpay_shared::abi::address_word(a)),
        "visible": true,
    });
    node.get("/walletsolidity/triggerconstantcontract", &body, |r| {
        let call: ConstantCall = match r.map(crate::node::answers::from_object) {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Verdict::Retry(e),
            Err(e) => return Verdict::Retry(e.to_string()),
        };
        if call.revert().is_some() {
            return Verdict::Retry(format!("balanceOf({a}) on {token} reverted"));
        }
        match call.word() {
            Ok(Some(w)) => Verdict::Ok(U256::from_be_bytes(w)),
            Ok(None) => Verdict::Retry(format!("balanceOf({a}) on {token}: no balance word")),
            Err(e) => Verdict::Retry(e),
        }
    })
}

/// Reads every balance of `accounts` and journals them at `solid` when the verified solidified
/// head is still `solid` afterwards; `false` when it moved (nothing journaled: the caller walks
/// the new blocks and tries again).
pub fn snapshot(
    journal: &Journal,
    node: &Node,
    accounts: &[Address],
    tokens: &[Token],
    solid: &VerifiedBlock,
) -> Result<bool> {
    let mut read: Vec<BalanceRead> = Vec::new();
    for a in accounts {
        read.push((*a, None, U256::from(solid_trx(node, a)?)));
        for t in tokens {
            read.push((*a, Some(t.contract), solid_token(node, &t.contract, a)?));
        }
    }
    if node.solid_head()?.number != solid.number {
        return Ok(false);
    }
    let at = SnapshotAt {
        block: solid.number,
        block_id: solid.id,
        block_time: solid.timestamp,
    };
    journal.record_balance_snapshots(&at, &read)?;
    Ok(true)
}

/// Journaled snapshots of `account` and `token`, oldest first.
pub fn snapshots(journal: &Journal, account: &str, token: &str) -> Result<Vec<Snapshot>> {
    journal.balance_snapshots(account, token)
}

/// Block time (ms) of the latest snapshot of `account`, if any.
pub fn latest_time(journal: &Journal, account: &str) -> Result<Option<u64>> {
    journal.latest_snapshot_time(account)
}
