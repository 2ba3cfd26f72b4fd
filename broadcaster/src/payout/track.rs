//! `track`: settle attempts from a verified view of the solidified chain.
//!
//! Each watched attempt carries its own scan cursor in the journal (`scanned_to`, `scanned_id`,
//! `scanned_ts`): a verified, gap-free scan covers blocks `(ref_block_num, scanned_to]`, starting
//! at the verified TAPOS reference block recorded at build time. Blocks are fetched from
//! `/walletsolidity/getblockbylimitnext`; each is verified (blockID, txIDs, txTrieRoot) and must
//! chain by `parentHash` to the cursor's block, so a short, empty, stripped or forged answer is a
//! node fault (retried, then failed over), never "no transactions". A cursor moves only over
//! blocks received, verified and settled, in the same SQL transaction as the settlements.
//!
//! An attempt becomes `expired` only when its scan reached a block whose timestamp is at or past
//! its expiration without the txID in any scanned block (java-tron refuses a transaction whose
//! expiration is not after the previous block's time, so no later block can hold it). The
//! evidence (blocks scanned, the block that passed the expiration) is journaled with it.

use std::time::Instant;

use coldpay_shared::block::VerifiedBlock;
use coldpay_shared::TxId;

use crate::error::{BcError, Result};
use crate::journal::rows::NodeReported;
use crate::journal::{
    now_ms, Attempt, AttemptState, ExpiryEvidence, Journal, JournalTx, StoredReceipt,
};
use crate::node::answers::{decode_message, TxInfo};
use crate::node::Node;

pub use crate::chain::blockwalk::CHUNK;

/// What one pass changed.
#[derive(Debug, Default, serde::Serialize)]
pub struct TrackPass {
    /// Newly confirmed.
    pub confirmed: usize,
    /// Newly failed.
    pub failed: usize,
    /// Newly expired (with evidence).
    pub expired: usize,
    /// Still pending (signed, broadcast or included).
    pub pending: usize,
    /// Solidified head seen (verified).
    pub solid_block: u64,
    /// Blocks verified in this pass.
    pub blocks_verified: u64,
    /// Lowest scan cursor of the pending attempts after the pass.
    pub scanned_to: Option<u64>,
    /// Expired attempts found on chain after all (rescan / lookups): payouts that may be paid twice.
    pub found_after_expiry: Vec<String>,
    /// Pending transactions sent (same signed bytes): approved ones never seen accepted, and
    /// broadcast ones not in a block a minute after their last broadcast.
    pub rebroadcast: usize,
    /// Payouts whose attempt had been settled `failed` from a node receipt and whose verified
    /// block says SUCCESS (re-checked after the schema 5 migration): paid after all.
    pub rechecked_paid: Vec<String>,
    /// Every attempt this pass settled or expired, one entry each (log lines per payout).
    #[serde(skip)]
    pub settled: Vec<SettledNow>,
}

/// One attempt a pass settled: payout, txID, block (none for an expiry) and the outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettledNow {
    /// Payout.
    pub payout_id: String,
    /// txID.
    pub txid: TxId,
    /// Verified block it settled in.
    pub block: Option<u64>,
    /// `confirmed`, `failed` or `expired`.
    pub outcome: &'static str,
}

/// A pending transaction is sent again (same signed bytes) this long after its last broadcast.
pub const REBROADCAST_AFTER_MS: i64 = 60_000;

/// What `--follow` waits for: approved attempts not yet settled.
const PENDING: [AttemptState; 3] = [
    AttemptState::Signed,
    AttemptState::Broadcast,
    AttemptState::Included,
];

/// Where one attempt's verified scan stands.
#[derive(Clone, Debug)]
struct Cursor {
    attempt: Attempt,
    to: u64,
    id: Option<[u8; 32]>,
    ts: u64,
    /// Set when the scan passed the expiration (expired attempts only need evidence).
    done: bool,
}

/// A change to write.
enum Change {
    Settled {
        attempt: Attempt,
        block: u64,
        contract_ret: String,
        info: Box<TxInfo>,
    },
    Expired {
        attempt: Attempt,
        evidence: ExpiryEvidence,
    },
}

impl Cursor {
    fn of(a: &Attempt) -> Cursor {
        let (to, id, ts) = match a.scanned_to {
            Some(t) => (t, a.scanned_id, a.scanned_ts.unwrap_or(0)),
            None => (a.ref_block_num, a.ref_block_id, 0),
        };
        Cursor {
            attempt: a.clone(),
            to,
            id,
            ts,
            done: false,
        }
    }
}

/// The attempts `track` watches: every live one (a built attempt may be signed and broadcast by
/// someone else; it is watched too).
fn watched(journal: &Journal) -> Result<Vec<Attempt>> {
    journal.attempts_in(&AttemptState::LIVE)
}

/// Attempts still pending inclusion/finality (what `--follow` waits for).
pub fn pending_count(journal: &Journal) -> Result<usize> {
    Ok(journal.attempts_in(&PENDING)?.len())
}

/// One pass over new solidified blocks. With `deadline`, stops between chunks (and inside node
/// retries) when it passes; what was verified so far is kept.
pub fn pass(journal: &Journal, node: &Node, deadline: Option<Instant>) -> Result<TrackPass> {
    let rechecked_paid = rechecks(journal, node)?;
    let mut out = TrackPass {
        confirmed: rechecked_paid.len(),
        rechecked_paid,
        ..TrackPass::default()
    };
    let live = watched(journal)?;
    if live.is_empty() {
        return Ok(out);
    }
    let solid = node.solid_head()?;
    out.solid_block = solid.number;
    out.rebroadcast = rebroadcast(journal, node, &solid)?;
    let mut cursors: Vec<Cursor> = live.iter().map(Cursor::of).collect();
    scan(journal, node, &mut cursors, &solid, deadline, &mut out)?;
    out.pending = pending_count(journal)?;
    out.scanned_to = journal
        .attempts_in(&PENDING)?
        .iter()
        .filter_map(|a| a.scanned_to)
        .min();
    Ok(out)
}

/// Sends every approved attempt the verified chain does not show yet: `signed` ones at once
/// (an interrupted `submit` left them unsent or possibly sent), and `broadcast` ones again
/// (same signed bytes) a minute after their last broadcast (a member that swallowed it, a
/// dropped transaction), while they cannot have expired. Harmless: one txID can be included
/// once; a node that already has it answers DUP. A refusal is journaled next to the attempt.
fn rebroadcast(journal: &Journal, node: &Node, solid: &VerifiedBlock) -> Result<usize> {
    let cutoff = now_ms() - REBROADCAST_AFTER_MS;
    let alive = solid.timestamp as i64 + 3_000;
    let mut due: Vec<(Attempt, Vec<u8>)> = journal
        .broadcast_due(cutoff, alive)?
        .into_iter()
        .filter_map(|a| crate::payout::send::signed_bytes(&a).map(|b| (a, b)))
        .collect();
    due.extend(
        crate::payout::send::approved_unsent(journal)?
            .into_iter()
            .filter(|(a, _)| a.expiration as i64 > alive),
    );
    let sent = crate::payout::send::send(journal, node, &due, || {})?;
    let mut n = 0;
    for s in &sent {
        if let Err(BcError::Timeout(m)) = &s.result {
            return Err(BcError::Timeout(m.clone()));
        }
        if s.result.is_err() {
            continue;
        }
        if !matches!(
            crate::payout::send::record(journal, s)?,
            crate::payout::send::Outcome::Refused(_)
        ) {
            n += 1;
        }
    }
    Ok(n)
}

/// Why each pending attempt (signed, broadcast or included: what `--follow` waits for) is
/// still pending, one line per payout (what a `track` timeout names).
pub fn pending_reasons(journal: &Journal) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for a in journal.attempts_in(&PENDING)? {
        let why = match a.state {
            AttemptState::Signed if a.sending_at.is_some() => {
                "approved; a broadcast was started but not seen accepted (possibly sent): `track` and `submit` send it again".into()
            }
            AttemptState::Signed => {
                "approved, not yet broadcast: `track` and `submit` send it".into()
            }
            AttemptState::Broadcast => format!(
                "accepted by a node, not yet in a verified solidified block (scanned up to block {}){}",
                a.scanned_to.unwrap_or(a.ref_block_num),
                a.refusal
                    .as_deref()
                    .map(|r| format!("; last refusal: {r}"))
                    .unwrap_or_default()
            ),
            _ => "in a block, waiting for it to solidify".into(),
        };
        out.push(format!("payout {} ({}): {why}", a.payout_id, a.txid));
    }
    Ok(out)
}

/// Scans verified blocks from the lowest cursor up to `solid`, group by group.
fn scan(
    journal: &Journal,
    node: &Node,
    cursors: &mut [Cursor],
    solid: &VerifiedBlock,
    deadline: Option<Instant>,
    out: &mut TrackPass,
) -> Result<()> {
    loop {
        let Some(start) = cursors.iter().filter(|c| !c.done).map(|c| c.to + 1).min() else {
            return Ok(());
        };
        if start > solid.number {
            return Ok(());
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(BcError::Timeout(format!(
                "--timeout passed while scanning; verified up to block {}",
                start - 1
            )));
        }
        let group_end = crate::chain::blockwalk::group_end(node, start, solid);
        let blocks = crate::chain::blockwalk::fetch_linked(node, start, group_end, solid)?;
        out.blocks_verified += blocks.len() as u64;
        let changes = apply_blocks(node, cursors, &blocks)?;
        persist(journal, cursors, &changes, out)?;
    }
}

/// Moves every cursor over `blocks`, collecting settlements and expiries.
fn apply_blocks(
    node: &Node,
    cursors: &mut [Cursor],
    blocks: &[VerifiedBlock],
) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for b in blocks {
        let mut hits: Vec<(usize, TxId)> = Vec::new();
        for (i, c) in cursors.iter_mut().enumerate() {
            if c.done || c.to + 1 != b.number {
                continue;
            }
            check_anchor(node, c, b)?;
            let txid = c.attempt.txid;
            if b.contains(&txid) {
                hits.push((i, txid));
                continue;
            }
            c.to = b.number;
            c.id = Some(b.id);
            c.ts = b.timestamp;
            if b.timestamp >= c.attempt.expiration {
                c.done = true;
                changes.push(Change::Expired {
                    attempt: c.attempt.clone(),
                    evidence: evidence(&c.attempt, b),
                });
            }
        }
        if hits.is_empty() {
            continue;
        }
        let txids: Vec<TxId> = hits.iter().map(|(_, t)| *t).collect();
        let infos = receipts_for(node, b, &txids)?;
        for (i, txid) in hits {
            let c = &mut cursors[i];
            let hex = txid.to_hex();
            let info = infos
                .iter()
                .find(|x| x.id.as_deref() == Some(&hex))
                .cloned()
                .unwrap_or_default();
            let contract_ret = b
                .tx(&txid)
                .map_or_else(|| "DEFAULT".into(), crate::chain::receipts::verified_result);
            c.to = b.number;
            c.id = Some(b.id);
            c.ts = b.timestamp;
            c.done = true;
            changes.push(Change::Settled {
                attempt: c.attempt.clone(),
                block: b.number,
                contract_ret,
                info: Box::new(info),
            });
        }
    }
    Ok(changes)
}

/// The block after a cursor must name the cursor's block as its parent. When the cursor is
/// still at the attempt's reference block and the chain has another block at that height, the
/// reference block was never on the solidified chain (a forked answer at build time): TAPOS can
/// never pass on this chain, so the scan continues from the chain's block.
fn check_anchor(node: &Node, c: &mut Cursor, b: &VerifiedBlock) -> Result<()> {
    let Some(anchor) = c.id else {
        return Ok(());
    };
    if b.parent == anchor {
        return Ok(());
    }
    if c.to == c.attempt.ref_block_num {
        let canonical = node.solid_block(c.to)?;
        if canonical.id == b.parent {
            c.id = Some(canonical.id);
            return Ok(());
        }
    }
    Err(BcError::Node(format!(
        "the solidified chain served now disagrees with the journal at block {} (attempt {} scanned up to {} with blockID {}): a node serves a different chain; nothing advanced",
        b.number,
        c.attempt.txid,
        c.to,
        hex::encode(anchor)
    )))
}

fn evidence(a: &Attempt, b: &VerifiedBlock) -> ExpiryEvidence {
    ExpiryEvidence {
        verified: Some(true),
        from_block: Some(a.ref_block_num + 1),
        to_block: Some(b.number),
        to_block_id: Some(b.id_hex()),
        to_block_time: Some(b.timestamp),
        expiration: Some(a.expiration),
        text: format!(
            "txID absent from verified solidified blocks {}..={}; block {} (time {}) is at or past the expiration {}",
            a.ref_block_num + 1, b.number, b.number, b.timestamp, a.expiration
        ),
    }
}

/// The receipts of `txids` in verified block `b`, each checked against the block (a receipt
/// that contradicts it is retried on another member). They are for display only: when no
/// member gives a consistent one, the attempts still settle from the block, with no receipt.
fn receipts_for(node: &Node, b: &VerifiedBlock, txids: &[TxId]) -> Result<Vec<TxInfo>> {
    let tokens = crate::tokens::registered(node.network());
    let check = |info: &TxInfo| {
        let hex = info.id.as_deref()?;
        let tx = b.txs.iter().find(|t| t.txid.to_hex() == hex)?;
        crate::chain::receipts::contradiction(tx, b.number, info, &tokens)
    };
    match node.infos_in_block_checked(b.number, txids, &check) {
        Ok((infos, _)) => Ok(infos),
        Err(BcError::Timeout(m)) => Err(BcError::Timeout(m)),
        Err(e) => {
            crate::log::emit(
                crate::log::Level::Warn,
                &format!(
                    "warning: block {}: no receipt consistent with the verified block ({e}); settling from the block without one",
                    b.number
                ),
                &crate::log::Fields {
                    block: Some(b.number),
                    ..Default::default()
                },
            );
            Ok(Vec::new())
        }
    }
}

/// Receipt summary kept in the journal: `result` is the verified block's contractRet; the
/// rest is what a node reported (a receipt is covered by no block hash).
pub fn stored_receipt(info: &TxInfo, contract_ret: &str) -> StoredReceipt {
    StoredReceipt {
        fee: Some(info.fee),
        energy_usage_total: Some(info.receipt.energy_usage_total),
        energy_penalty_total: Some(info.receipt.energy_penalty_total),
        energy_fee: Some(info.receipt.energy_fee),
        net_usage: Some(info.receipt.net_usage),
        net_fee: Some(info.receipt.net_fee),
        result: Some(contract_ret.to_string()),
        node_reported: Some(NodeReported {
            present: info.id.is_some(),
            receipt_result: info.receipt.result.clone(),
            res_message: Some(decode_message(info.res_message.as_deref().unwrap_or(""))),
        }),
    }
}

/// The failure named by the verified block's contractRet (`None` for SUCCESS), with the
/// node-reported revert message when the receipt carries one.
fn failure_reason(info: &TxInfo, contract_ret: &str) -> Option<String> {
    if crate::chain::receipts::succeeded(contract_ret) {
        return None;
    }
    let msg = decode_message(info.res_message.as_deref().unwrap_or(""));
    Some(if msg.is_empty() {
        contract_ret.to_string()
    } else {
        format!("{contract_ret} (node-reported message: {msg})")
    })
}

/// Moves an attempt to confirmed/failed through the states the journal's trigger allows. The
/// verified block's `contract_ret` alone decides; `info` is journaled as node-reported.
pub fn settle(
    tx: &JournalTx<'_>,
    a: &Attempt,
    block: u64,
    contract_ret: &str,
    info: &TxInfo,
) -> Result<bool> {
    let reason = failure_reason(info, contract_ret);
    tx.settled(&crate::journal::Settlement {
        attempt: a.id,
        from_state: a.state,
        block,
        receipt: stored_receipt(info, contract_ret),
        failure: reason.clone(),
    })?;
    Ok(reason.is_none())
}

/// A fresh verified look at a `failed` attempt: its journaled block is fetched and verified
/// again and must contain the txID; its `contractRet` there decides. A SUCCESS (an attempt
/// settled from a forged receipt before schema 5) moves it to confirmed. Returns the verified
/// contractRet.
pub fn recheck_failed(journal: &Journal, node: &Node, a: &Attempt) -> Result<String> {
    let Some(number) = a.block else {
        return Err(BcError::Input(format!(
            "payout {}: attempt {} is failed without a journaled block; run `track --rescan {}`",
            a.payout_id,
            a.txid,
            a.ref_block_num + 1
        )));
    };
    let txid = a.txid;
    let block = node.solid_block(number)?;
    let Some(tx) = block.tx(&txid) else {
        return Err(BcError::Node(format!(
            "the verified block {number} served now does not contain {} (journaled as failed there): a node serves a different chain; not rebuilding",
            a.txid
        )));
    };
    let ret = crate::chain::receipts::verified_result(tx);
    if crate::chain::receipts::states_no_result(&ret) {
        return Err(BcError::Node(format!(
            "payout {}: the verified block {number} lists {} without a result (contractRet): it cannot be known from the chain whether it paid, so it is not rebuilt; check it on an explorer, then `payout cancel` or leave it",
            a.payout_id, a.txid
        )));
    }
    journal.record_recheck(
        a.id,
        &ret,
        crate::chain::receipts::succeeded(&ret),
        &format!("{ret} (verified block {number})"),
    )?;
    Ok(ret)
}

/// Re-checks every settled attempt the journal marks for it (schema 5 migration); returns the
/// payouts found paid after all.
fn rechecks(journal: &Journal, node: &Node) -> Result<Vec<String>> {
    let mut paid = Vec::new();
    for a in journal.failed_to_recheck()? {
        if crate::chain::receipts::succeeded(&recheck_failed(journal, node, &a)?) {
            paid.push(a.payout_id.clone());
        }
    }
    Ok(paid)
}

fn persist(
    journal: &Journal,
    cursors: &[Cursor],
    changes: &[Change],
    out: &mut TrackPass,
) -> Result<()> {
    let tx = journal.write()?;
    for c in cursors {
        if Some(c.to) != c.attempt.scanned_to || c.id.is_some() {
            tx.scanned(c.attempt.id, c.to, c.id, c.ts)?;
        }
    }
    for ch in changes {
        match ch {
            Change::Settled {
                attempt,
                block,
                contract_ret,
                info,
            } => {
                if attempt.state == AttemptState::Expired {
                    out.found_after_expiry.push(attempt.payout_id.clone());
                }
                let outcome = if settle(&tx, attempt, *block, contract_ret, info)? {
                    out.confirmed += 1;
                    "confirmed"
                } else {
                    out.failed += 1;
                    "failed"
                };
                out.settled.push(SettledNow {
                    payout_id: attempt.payout_id.clone(),
                    txid: attempt.txid,
                    block: Some(*block),
                    outcome,
                });
            }
            Change::Expired { attempt, evidence } => {
                let text = evidence.text.clone();
                let already = attempt.state == AttemptState::Expired;
                tx.expired(
                    attempt.id,
                    attempt.state,
                    evidence,
                    &format!("expired: {text}"),
                )?;
                if !already {
                    out.expired += 1;
                    out.settled.push(SettledNow {
                        payout_id: attempt.payout_id.clone(),
                        txid: attempt.txid,
                        block: None,
                        outcome: "expired",
                    });
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// `track --rescan FROM`: scans verified blocks from `from` again for every attempt that is
/// live, or expired (an expired attempt found on chain is settled from the block and reported),
/// and writes evidence for expired attempts that have none (journals from before evidence).
pub fn rescan(
    journal: &Journal,
    node: &Node,
    from: u64,
    deadline: Option<Instant>,
) -> Result<TrackPass> {
    if from == 0 {
        return Err(BcError::Input("--rescan: the first block is 1".into()));
    }
    let solid = node.solid_head()?;
    if from > solid.number {
        return Err(BcError::Input(format!(
            "--rescan {from}: the solidified head is block {}",
            solid.number
        )));
    }
    let anchor = node.solid_block(from - 1)?;
    let candidates = journal.attempts_in(&[
        AttemptState::Built,
        AttemptState::Signed,
        AttemptState::Broadcast,
        AttemptState::Included,
        AttemptState::Expired,
    ])?;
    let mut cursors: Vec<Cursor> = Vec::new();
    for a in &candidates {
        let mut c = Cursor::of(a);
        if a.state == AttemptState::Expired {
            // Expired attempts are rescanned from the later of FROM and their reference block.
            c.to = a.ref_block_num;
            c.id = a.ref_block_id;
        }
        if c.to >= from {
            c.to = from - 1;
            c.id = Some(anchor.id);
            c.ts = anchor.timestamp;
        }
        if a.ref_block_num > solid.number {
            continue;
        }
        cursors.push(c);
    }
    let mut out = TrackPass {
        solid_block: solid.number,
        ..TrackPass::default()
    };
    scan(journal, node, &mut cursors, &solid, deadline, &mut out)?;
    out.pending = pending_count(journal)?;
    Ok(out)
}

/// An attempt found on the verified chain.
pub struct Found {
    /// Block it is in (verified).
    pub block: u64,
    /// Its `contractRet` from the verified block.
    pub contract_ret: String,
    /// Its receipt.
    pub info: TxInfo,
}

/// Looks an earlier attempt's txID up again against the verified chain: if a node knows it, its
/// block is fetched and verified and must contain it. `None` means unknown; absence is only ever
/// shown by the journaled scan evidence.
pub fn find_on_chain(node: &Node, a: &Attempt) -> Result<Option<Found>> {
    let txid = a.txid;
    let mut last = String::new();
    // The receipt only says where to look (it is a claim); a block number that does not hold
    // the txID is a node fault, asked again (the pool may send the next try elsewhere).
    for _ in 0..FIND_TRIES {
        let Some(info) = node.solid_tx_info(&txid)? else {
            return Ok(None);
        };
        let block = node.solid_block(info.block_number)?;
        if let Some(tx) = block.tx(&txid) {
            let tokens = crate::tokens::registered(node.network());
            let consistent =
                crate::chain::receipts::contradiction(tx, block.number, &info, &tokens).is_none();
            return Ok(Some(Found {
                block: block.number,
                contract_ret: crate::chain::receipts::verified_result(tx),
                info: if consistent { info } else { TxInfo::default() },
            }));
        }
        last = format!(
            "a node says {} is in block {}, but the verified block does not contain it",
            a.txid, info.block_number
        );
    }
    Err(BcError::Node(format!(
        "{last} ({FIND_TRIES} tries); not trusting those answers"
    )))
}

/// Lookups of a txID whose receipt points at a block that does not hold it, before giving up.
const FIND_TRIES: usize = 3;

/// Settles `a` from what [`find_on_chain`] found; `true` when it paid.
pub fn settle_found(journal: &Journal, a: &Attempt, f: &Found) -> Result<bool> {
    let sqltx = journal.write()?;
    let ok = settle(&sqltx, a, f.block, &f.contract_ret, &f.info)?;
    sqltx.commit()?;
    Ok(ok)
}
