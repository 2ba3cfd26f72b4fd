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
use rusqlite::params;
use serde_json::json;

use crate::answers::{Account, ConstantCall};
use crate::error::{BcError, Result};
use crate::journal::{now_ms, Journal};
use crate::node::{Node, Verdict};
use crate::tokens::Token;

/// One journaled snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Account (base58).
    pub account: String,
    /// "TRX" or the token contract (base58).
    pub token: String,
    /// Verified solidified block the balance is at.
    pub block: u64,
    /// Its time (ms).
    pub block_time: u64,
    /// Balance in base units.
    pub amount: U256,
}

/// TRX (sun) of `a` in the node's solidified state, counting its own stake: free balance +
/// staked (`frozenV2`) + staked and delegated out + unstaking (`unfrozenV2`). Staking moves TRX
/// between these, so a balance line stays opening + in − out − fees across stake, unstake,
/// withdraw and delegation; an account that does not exist holds 0.
pub fn solid_trx(node: &Node, a: &Address) -> Result<u64> {
    let acct: Account = node.get_typed(
        "/walletsolidity/getaccount",
        &json!({"address": a.to_base58(), "visible": true}),
    )?;
    let stake: crate::stake_state::OwnStake = node.get_typed(
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
        let call: ConstantCall = match r.map(crate::answers::from_object) {
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
    let mut read = Vec::new();
    for a in accounts {
        read.push((*a, "TRX".to_string(), U256::from(solid_trx(node, a)?)));
        for t in tokens {
            read.push((
                *a,
                t.contract.to_base58(),
                solid_token(node, &t.contract, a)?,
            ));
        }
    }
    if node.solid_head()?.number != solid.number {
        return Ok(false);
    }
    let tx = journal
        .conn
        .unchecked_transaction()
        .map_err(|e| BcError::journal_at(e, "record balance snapshots"))?;
    for (a, token, amount) in &read {
        tx.execute(
            "INSERT OR REPLACE INTO balance_snapshots (account, token, block, block_id, block_time, amount, read_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![a.to_base58(), token, solid.number as i64, solid.id_hex(), solid.timestamp as i64, amount.to_string(), now_ms()],
        )
        .map_err(|e| BcError::journal_at(e, format!("record the balance of {a}")))?;
    }
    tx.commit()
        .map_err(|e| BcError::journal_at(e, "record balance snapshots"))?;
    Ok(true)
}

/// Journaled snapshots of `account` and `token`, oldest first.
pub fn snapshots(journal: &Journal, account: &str, token: &str) -> Result<Vec<Snapshot>> {
    let what = |e| BcError::journal_at(e, format!("read the balance snapshots of {account}"));
    let mut st = journal
        .conn
        .prepare("SELECT block, block_time, amount FROM balance_snapshots WHERE account = ?1 AND token = ?2 ORDER BY block")
        .map_err(what)?;
    let rows = st
        .query_map(params![account, token], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(what)?;
    rows.into_iter()
        .map(|(block, time, amount)| {
            let amount = U256::from_str_radix(&amount, 10).map_err(|_| {
                BcError::Input(format!(
                    "journal: balance snapshot of {account} at block {block} is not a number"
                ))
            })?;
            Ok(Snapshot {
                account: account.to_string(),
                token: token.to_string(),
                block: block as u64,
                block_time: time as u64,
                amount,
            })
        })
        .collect()
}

/// Block time (ms) of the latest snapshot of `account`, if any.
pub fn latest_time(journal: &Journal, account: &str) -> Result<Option<u64>> {
    journal
        .conn
        .query_row(
            "SELECT MAX(block_time) FROM balance_snapshots WHERE account = ?1",
            [account],
            |r| r.get::<_, Option<i64>>(0),
        )
        .map(|v| v.map(|t| t as u64))
        .map_err(|e| BcError::journal_at(e, format!("read the balance snapshots of {account}")))
}
