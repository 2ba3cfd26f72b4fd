//! What one verified block moved in and out of the watched accounts.
//!
//! - Every transaction *owned* by a watched account is an outgoing record carrying the TRX its
//!   receipt says was burned, whatever its contract type (its owner is read from the raw bytes,
//!   so a type coldpay does not decode still shows up, and still raises an alarm when it is not
//!   a coldpay attempt).
//! - A TRX `TransferContract` to a watched account is incoming (an included TRX transfer has
//!   executed; java-tron does not include failed ones).
//! - A registered-token movement is *verified* only when it follows from the verified
//!   transaction itself: a direct `transfer` / `transferFrom` call of the token (call data and
//!   owner) that the block lists as `SUCCESS`. Its receipt's Transfer logs were checked to agree
//!   with the call when the receipt was fetched ([`crate::chain::receipts::contradiction`]).
//! - A well-formed `Transfer(address,address,uint256)` log of a registered token that no such
//!   call explains (a token moved inside another contract's call) is recorded as
//!   *node-reported*, with the endpoint that showed it: a receipt is covered by no block hash.
//!   Logs of reverted calls and of unregistered contracts are not counted.

use std::collections::HashSet;
use std::hash::BuildHasher;

use coldpay_shared::block::{contract_ret_code, contract_ret_name, VerifiedBlock, VerifiedTx};
use coldpay_shared::contract::{contract_type_name, ContractKind};
use coldpay_shared::{Address, RawData, TxId, U256};

use crate::chain::receipts::{owner_and_type, transfer_event};
use crate::node::answers::{Log, TxInfo};
use crate::tokens::Token;

/// Which way value moved for the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Into the account.
    In,
    /// Out of the account (or a transaction the account sent, for its fee).
    Out,
}

impl Direction {
    /// "in" or "out" (the journal's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    /// Reads the journal's spelling back.
    pub fn from_journal(s: &str) -> Option<Direction> {
        match s {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
}

/// A transaction's `contractRet` as a verified block lists it: one of the names of Tron.proto's
/// `Transaction.Result.contractResult` (`DEFAULT`, `SUCCESS`, `REVERT`, `OUT_OF_ENERGY`, …),
/// kept as its enum number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContractRet(u32);

impl ContractRet {
    /// `DEFAULT`: the listing states no result.
    pub const DEFAULT: ContractRet = ContractRet(0);
    /// `SUCCESS`.
    pub const SUCCESS: ContractRet = ContractRet(1);

    /// The result of a Tron.proto name; `None` for any other text.
    pub fn from_name(s: &str) -> Option<ContractRet> {
        contract_ret_code(s).map(ContractRet)
    }

    /// The result the verified block lists for `t`. `coldpay_shared::block` only lists
    /// Tron.proto's names, so the fallback (`UNKNOWN`, which counts as nothing moved) is never
    /// taken for a verified block.
    pub fn of(t: &VerifiedTx) -> ContractRet {
        Self::from_name(&t.contract_ret).unwrap_or(ContractRet(UNKNOWN))
    }

    /// Its Tron.proto name.
    pub fn as_str(self) -> &'static str {
        contract_ret_name(self.0).unwrap_or("UNKNOWN")
    }
}

impl std::fmt::Display for ContractRet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The enum number of `UNKNOWN` in `contractResult`.
const UNKNOWN: u32 = 13;

/// One movement for one watched account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    /// The watched account.
    pub account: Address,
    /// Transaction.
    pub txid: TxId,
    /// -1 for the transaction itself (TRX), else the index of its event log (TRC-20).
    pub log_index: i64,
    /// In or out.
    pub direction: Direction,
    /// `None` = TRX, else the token contract.
    pub token: Option<Address>,
    /// Base units (sun for TRX).
    pub amount: U256,
    /// The other side (sender of an incoming, recipient of an outgoing movement).
    pub counterparty: Option<Address>,
    /// TRX (sun) the account burned for this transaction; on one record per transaction.
    pub fee_sun: u64,
    /// Contract type name ("TransferContract", "TriggerSmartContract", …).
    pub contract: String,
    /// The block's `contractRet` for the transaction.
    pub result: ContractRet,
    /// Verified from the transaction itself, or only node-reported.
    pub evidence: Evidence,
    /// For a node-reported movement: the endpoint whose receipt showed it.
    pub reported_by: Option<String>,
}

/// What a movement rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Follows from the verified block's transaction (TRX transfer, or a direct call of a
    /// registered token) and its contractRet.
    Verified,
    /// Only a receipt log shows it (a node's claim).
    NodeReported,
}

impl Evidence {
    /// The journal's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Verified => "verified",
            Evidence::NodeReported => "node-reported",
        }
    }

    /// Reads the journal's spelling back.
    pub fn from_journal(s: &str) -> Option<Evidence> {
        match s {
            "verified" => Some(Evidence::Verified),
            "node-reported" => Some(Evidence::NodeReported),
            _ => None,
        }
    }
}

fn is_trigger(t: &VerifiedTx) -> bool {
    owner_and_type(&t.raw).is_some_and(|(_, k)| k == 31)
}

/// The transactions of `b` whose receipts are needed: every one sent by a watched account (for
/// its fee) and every successful contract call (for its Transfer logs).
pub fn receipts_needed<S: BuildHasher>(
    b: &VerifiedBlock,
    watched: &HashSet<Address, S>,
) -> Vec<TxId> {
    b.txs
        .iter()
        .filter(|t| {
            let owned = owner_and_type(&t.raw).is_some_and(|(o, _)| watched.contains(&o));
            owned || (t.contract_ret == "SUCCESS" && is_trigger(t))
        })
        .map(|t| t.txid)
        .collect()
}

/// Every movement of `b` for the `watched` accounts. `infos` are the block's receipts (at
/// least those [`receipts_needed`] names).
pub fn movements<S: BuildHasher>(
    b: &VerifiedBlock,
    infos: &[TxInfo],
    reported_by: Option<&str>,
    watched: &HashSet<Address, S>,
    tokens: &[Token],
) -> Vec<Movement> {
    let mut out = Vec::new();
    for t in &b.txs {
        let hex = t.txid.to_hex();
        let info = infos.iter().find(|i| i.id.as_deref() == Some(hex.as_str()));
        let mut tx_moves = verified_token_moves(t, watched, tokens);
        tx_moves.extend(reported_token_moves(t, info, reported_by, watched, tokens));
        if let Some((owner, kind)) = owner_and_type(&t.raw) {
            let raw = RawData::decode(&t.raw).ok();
            incoming_trx(t, raw.as_ref(), watched, &mut tx_moves);
            if watched.contains(&owner) {
                sent_by(t, raw.as_ref(), owner, kind, info, &mut tx_moves);
            }
        }
        out.extend(tx_moves);
    }
    out
}

fn base(t: &VerifiedTx, account: Address, direction: Direction, kind: &str) -> Movement {
    Movement {
        account,
        txid: t.txid,
        log_index: -1,
        direction,
        token: None,
        amount: U256::ZERO,
        counterparty: None,
        fee_sun: 0,
        contract: kind.to_string(),
        result: ContractRet::of(t),
        evidence: Evidence::Verified,
        reported_by: None,
    }
}

fn incoming_trx<S: BuildHasher>(
    t: &VerifiedTx,
    raw: Option<&RawData>,
    watched: &HashSet<Address, S>,
    out: &mut Vec<Movement>,
) {
    let Some(ContractKind::Transfer(tc)) = raw.map(|r| &r.contract.kind) else {
        return;
    };
    if watched.contains(&tc.to) && matches!(t.contract_ret.as_str(), "SUCCESS" | "DEFAULT") {
        out.push(Movement {
            amount: U256::from(tc.amount.as_u64()),
            counterparty: Some(tc.owner),
            ..base(t, tc.to, Direction::In, "TransferContract")
        });
    }
}

/// The outgoing record of a transaction sent by a watched account: the TRX it moved, and the
/// fee on it, or the fee on its first token movement when it moved no TRX.
fn sent_by(
    t: &VerifiedTx,
    raw: Option<&RawData>,
    owner: Address,
    kind: u64,
    info: Option<&TxInfo>,
    out: &mut Vec<Movement>,
) {
    let fee = info.map_or(0, |i| i.fee);
    let name = contract_type_name(kind).map_or_else(|| format!("type {kind}"), str::to_string);
    let (trx, to) = match raw.map(|r| &r.contract.kind) {
        Some(ContractKind::Transfer(tc)) => (tc.amount.as_u64(), Some(tc.to)),
        Some(ContractKind::TriggerSmart(ts)) => (ts.call_value.as_u64(), Some(ts.contract)),
        // Staking moves TRX between free and staked, neither in nor out; a delegation or
        // undelegation is listed with its receiver as the counterparty.
        Some(ContractKind::Staking(s)) => (0, s.receiver()),
        Some(ContractKind::AccountPermissionUpdate(_)) | None => (0, None),
    };
    let moved = matches!(t.contract_ret.as_str(), "SUCCESS" | "DEFAULT");
    let trx = if moved { trx } else { 0 };
    if trx == 0 {
        if let Some(m) = out
            .iter_mut()
            .find(|m| m.account == owner && m.direction == Direction::Out)
        {
            m.fee_sun = fee;
            return;
        }
    }
    out.push(Movement {
        amount: U256::from(trx),
        counterparty: to,
        fee_sun: fee,
        ..base(t, owner, Direction::Out, &name)
    });
}

/// The registered-token movement of a direct `transfer` / `transferFrom` call that the verified
/// block lists as SUCCESS (log index 0: the token's own Transfer log of that call).
fn verified_token_moves<S: BuildHasher>(
    t: &VerifiedTx,
    watched: &HashSet<Address, S>,
    tokens: &[Token],
) -> Vec<Movement> {
    let Some(call) = crate::chain::receipts::token_call(t, tokens) else {
        return Vec::new();
    };
    if !crate::chain::receipts::succeeded(&t.contract_ret) {
        return Vec::new();
    }
    let m = |account, direction, counterparty| Movement {
        log_index: 0,
        token: Some(call.token),
        amount: call.amount,
        counterparty: Some(counterparty),
        ..base(t, account, direction, "TriggerSmartContract")
    };
    let mut out = Vec::new();
    if watched.contains(&call.to) {
        out.push(m(call.to, Direction::In, call.from));
    }
    if watched.contains(&call.from) {
        out.push(m(call.from, Direction::Out, call.to));
    }
    out
}

/// Registered-token movements only receipt logs show: Transfer logs of a successful call that
/// is not a direct call of that token (whose logs were checked against the call instead).
fn reported_token_moves<S: BuildHasher>(
    t: &VerifiedTx,
    info: Option<&TxInfo>,
    reported_by: Option<&str>,
    watched: &HashSet<Address, S>,
    tokens: &[Token],
) -> Vec<Movement> {
    let Some(info) = info else {
        return Vec::new();
    };
    if !crate::chain::receipts::succeeded(&t.contract_ret) {
        return Vec::new();
    }
    let called = crate::chain::receipts::token_call(t, tokens).map(|c| c.token);
    let mut out = Vec::new();
    for (i, log) in info.log.iter().enumerate() {
        let Some((token, from, to, value)) = transfer_event(log, tokens) else {
            continue;
        };
        if called == Some(token) {
            continue;
        }
        let m = |account, direction, counterparty| Movement {
            log_index: i as i64,
            token: Some(token),
            amount: value,
            counterparty: Some(counterparty),
            evidence: Evidence::NodeReported,
            reported_by: reported_by.map(str::to_string),
            ..base(t, account, direction, "TriggerSmartContract")
        };
        if watched.contains(&to) {
            out.push(m(to, Direction::In, from));
        }
        if watched.contains(&from) {
            out.push(m(from, Direction::Out, to));
        }
    }
    out
}

/// Whether `second` (another answer for the same block's receipts) shows the log behind the
/// node-reported movement `m` exactly as the first answer did, and what to journal as its
/// source: the first endpoint, and the second answer's verdict. A verified movement is left
/// alone.
pub fn confirm(m: &mut Movement, first: &Log, second: Option<&(Vec<TxInfo>, String)>) {
    if m.evidence != Evidence::NodeReported {
        return;
    }
    let by = m.reported_by.clone().unwrap_or_else(|| "a node".into());
    let hex = m.txid.to_hex();
    let verdict = match second {
        None => "not confirmed: no second answer was available".to_string(),
        Some((infos, url)) => {
            let same = infos
                .iter()
                .find(|i| i.id.as_deref() == Some(hex.as_str()))
                .and_then(|i| i.log.get(usize::try_from(m.log_index).ok()?))
                .is_some_and(|l| {
                    l.address == first.address && l.topics == first.topics && l.data == first.data
                });
            if same {
                format!("confirmed by a second answer from {url}")
            } else {
                format!("NOT confirmed: the second answer from {url} does not show it")
            }
        }
    };
    m.reported_by = Some(format!("{by}; {verdict}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::answers::Receipt;
    use coldpay_shared::abi::TRANSFER_EVENT_TOPIC;
    use coldpay_shared::contract::{Contract, TransferContract, TriggerSmartContract};
    use coldpay_shared::{RefBlock, Sun};

    fn a(n: u8) -> Address {
        Address::from_evm_bytes([n; 20])
    }

    fn usdt() -> Token {
        Token::usdt(coldpay_shared::Network::Local)
    }

    fn tx(kind: ContractKind, ret: &str) -> VerifiedTx {
        let raw = RawData {
            ref_block: RefBlock::from_block_id(&[1; 32]),
            expiration: 10,
            memo: Vec::new(),
            contract: Contract {
                kind,
                permission_id: 0,
            },
            timestamp: 1,
            fee_limit: 0,
        };
        VerifiedTx {
            txid: raw.txid(),
            contract_ret: ret.into(),
            raw: raw.encode(),
        }
    }

    fn call(owner: Address, to: Address, value: u64, ret: &str) -> VerifiedTx {
        tx(
            ContractKind::TriggerSmart(TriggerSmartContract {
                owner,
                contract: usdt().contract,
                call_value: Sun::ZERO,
                data: coldpay_shared::abi::encode_transfer(&to, U256::from(value)),
            }),
            ret,
        )
    }

    fn info(t: &VerifiedTx, result: &str, logs: Vec<Log>, fee: u64) -> TxInfo {
        TxInfo {
            id: Some(t.txid.to_hex()),
            fee,
            receipt: Receipt {
                result: Some(result.into()),
                ..Receipt::default()
            },
            log: logs,
            ..TxInfo::default()
        }
    }

    fn log(contract: Address, from: Address, to: Address, value: u64) -> Log {
        Log {
            address: hex::encode(contract.evm_bytes()),
            topics: vec![
                hex::encode(TRANSFER_EVENT_TOPIC),
                hex::encode(coldpay_shared::abi::address_word(&from)),
                hex::encode(coldpay_shared::abi::address_word(&to)),
            ],
            data: hex::encode(U256::from(value).to_be_bytes::<32>()),
        }
    }

    fn block(txs: Vec<VerifiedTx>) -> VerifiedBlock {
        VerifiedBlock {
            number: 5,
            timestamp: 0,
            id: [0; 32],
            parent: [0; 32],
            tx_root: [0; 32],
            txs,
        }
    }

    #[test]
    fn staking_moves_no_trx_and_a_delegation_names_its_receiver() {
        use coldpay_shared::staking::{Resource, StakingContract};
        let me = a(1);
        let watched: HashSet<Address> = [me].into();
        let stake = tx(
            ContractKind::Staking(StakingContract::Freeze {
                owner: me,
                amount: Sun::new(5_000_000).unwrap(),
                resource: Resource::Energy,
            }),
            "SUCCESS",
        );
        let delegate = tx(
            ContractKind::Staking(StakingContract::Delegate {
                owner: me,
                resource: Resource::Energy,
                balance: Sun::new(2_000_000).unwrap(),
                receiver: a(2),
                lock: false,
                lock_period: 0,
            }),
            "SUCCESS",
        );
        let infos = [
            info(&stake, "SUCCESS", vec![], 0),
            info(&delegate, "SUCCESS", vec![], 0),
        ];
        let m = movements(
            &block(vec![stake, delegate]),
            &infos,
            None,
            &watched,
            &[usdt()],
        );
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m
            .iter()
            .all(|x| x.amount == U256::ZERO && x.direction == Direction::Out));
        assert_eq!(m[0].contract, "FreezeBalanceV2Contract");
        assert_eq!(m[0].counterparty, None);
        assert_eq!(m[1].contract, "DelegateResourceContract");
        assert_eq!(m[1].counterparty, Some(a(2)));
    }

    #[test]
    fn verified_token_transfers_follow_from_the_call_not_the_logs() {
        let me = a(1);
        let watched: HashSet<Address> = [me].into();
        let ok = call(a(2), me, 7, "SUCCESS");
        let reverted = call(a(3), me, 8, "REVERT");
        // A receipt with no log at all does not hide a verified call.
        let silent = call(a(4), me, 9, "SUCCESS");
        let infos = vec![
            info(&ok, "SUCCESS", vec![log(usdt().contract, a(2), me, 7)], 0),
            // A log in a receipt of a reverted call is not a transfer.
            info(
                &reverted,
                "REVERT",
                vec![log(usdt().contract, a(3), me, 8)],
                0,
            ),
            info(&silent, "SUCCESS", vec![], 0),
        ];
        let b = block(vec![ok.clone(), reverted, silent.clone()]);
        let m = movements(&b, &infos, Some("http://n1"), &watched, &[usdt()]);
        let got: Vec<(TxId, Direction, U256, Option<Address>, Evidence)> = m
            .iter()
            .map(|x| (x.txid, x.direction, x.amount, x.counterparty, x.evidence))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    ok.txid,
                    Direction::In,
                    U256::from(7),
                    Some(a(2)),
                    Evidence::Verified
                ),
                (
                    silent.txid,
                    Direction::In,
                    U256::from(9),
                    Some(a(4)),
                    Evidence::Verified
                ),
            ]
        );
        assert!(m
            .iter()
            .all(|x| x.log_index == 0 && x.reported_by.is_none()));
        // Without any receipt the verified movements are the same.
        assert_eq!(movements(&b, &[], None, &watched, &[usdt()]), m);
    }

    #[test]
    fn logs_no_call_explains_are_node_reported() {
        let me = a(1);
        let watched: HashSet<Address> = [me].into();
        // An exchange's batch contract moving USDT internally to us, and an unregistered token.
        let batch = tx(
            ContractKind::TriggerSmart(TriggerSmartContract {
                owner: a(6),
                contract: a(7),
                call_value: Sun::ZERO,
                data: vec![1, 2, 3, 4],
            }),
            "SUCCESS",
        );
        let infos = vec![info(
            &batch,
            "SUCCESS",
            vec![
                log(a(9), a(7), me, 1),
                log(usdt().contract, a(7), me, 11),
                log(usdt().contract, me, a(8), 2),
            ],
            0,
        )];
        let b = block(vec![batch.clone()]);
        let m = movements(&b, &infos, Some("http://n1"), &watched, &[usdt()]);
        let got: Vec<(i64, Direction, u64, Evidence, Option<&str>)> = m
            .iter()
            .map(|x| {
                (
                    x.log_index,
                    x.direction,
                    x.amount.to::<u64>(),
                    x.evidence,
                    x.reported_by.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    1,
                    Direction::In,
                    11,
                    Evidence::NodeReported,
                    Some("http://n1")
                ),
                (
                    2,
                    Direction::Out,
                    2,
                    Evidence::NodeReported,
                    Some("http://n1")
                ),
            ]
        );
        // A second answer confirms a node-reported movement only when it shows the same log.
        let first = &infos[0].log[1];
        let mut incoming = m[0].clone();
        let same = (infos.clone(), "http://n2".to_string());
        confirm(&mut incoming, first, Some(&same));
        assert_eq!(
            incoming.reported_by.as_deref(),
            Some("http://n1; confirmed by a second answer from http://n2")
        );
        let mut changed = infos.clone();
        changed[0].log[1].data = hex::encode(U256::from(12u64).to_be_bytes::<32>());
        let mut other = m[0].clone();
        confirm(&mut other, first, Some(&(changed, "http://n3".into())));
        assert!(
            other
                .reported_by
                .as_deref()
                .unwrap()
                .contains("NOT confirmed"),
            "{other:?}"
        );
        let mut alone = m[0].clone();
        confirm(&mut alone, first, None);
        assert!(alone
            .reported_by
            .as_deref()
            .unwrap()
            .ends_with("no second answer was available"));
        // The same logs on a reverted call are nothing.
        let mut failed = batch;
        failed.contract_ret = "REVERT".into();
        let b = block(vec![failed]);
        assert!(movements(&b, &infos, None, &watched, &[usdt()]).is_empty());
    }

    #[test]
    fn sent_transactions_carry_their_fee_once() {
        let me = a(1);
        let watched: HashSet<Address> = [me].into();
        let pay = call(me, a(2), 5, "SUCCESS");
        let failed = call(me, a(3), 5, "REVERT");
        let trx = tx(
            ContractKind::Transfer(TransferContract {
                owner: me,
                to: a(4),
                amount: Sun::new(3).unwrap(),
            }),
            "SUCCESS",
        );
        let infos = vec![
            info(
                &pay,
                "SUCCESS",
                vec![log(usdt().contract, me, a(2), 5)],
                100,
            ),
            info(&failed, "REVERT", vec![], 40),
            info(&trx, "SUCCESS", vec![], 2),
        ];
        let b = block(vec![pay, failed, trx]);
        let needed = receipts_needed(&b, &watched);
        assert_eq!(needed.len(), 3);
        let m = movements(&b, &infos, None, &watched, &[usdt()]);
        let summary: Vec<(i64, Option<Address>, u64, u64)> = m
            .iter()
            .map(|x| (x.log_index, x.token, x.amount.to::<u64>(), x.fee_sun))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, Some(usdt().contract), 5, 100),
                (-1, None, 0, 40),
                (-1, None, 3, 2)
            ]
        );
        assert!(m.iter().all(|x| x.direction == Direction::Out));
        assert_eq!(m[1].result.as_str(), "REVERT");
        assert_eq!(m[2].result, ContractRet::SUCCESS);
    }

    #[test]
    fn contract_rets_are_tron_protos_names_and_nothing_else() {
        for name in [
            "DEFAULT",
            "SUCCESS",
            "REVERT",
            "OUT_OF_ENERGY",
            "INVALID_CODE",
        ] {
            let r = ContractRet::from_name(name).unwrap();
            assert_eq!((r.as_str(), r.to_string()), (name, name.to_string()));
        }
        assert_eq!(
            ContractRet::from_name("DEFAULT"),
            Some(ContractRet::DEFAULT)
        );
        for bad in ["", "success", "FAILED", "OOPS"] {
            assert_eq!(ContractRet::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn owner_is_read_from_any_contract_type() {
        // A FreezeBalanceV2Contract (type 54) coldpay does not decode: owner_address is field 1.
        let me = a(1);
        let mut value = Vec::new();
        coldpay_shared::wire::put_bytes_field(&mut value, 1, me.as_bytes());
        coldpay_shared::wire::put_uint_field(&mut value, 2, 1_000_000);
        let mut any = Vec::new();
        coldpay_shared::wire::put_bytes_field(
            &mut any,
            1,
            b"type.googleapis.com/protocol.FreezeBalanceV2Contract",
        );
        coldpay_shared::wire::put_bytes_field(&mut any, 2, &value);
        let mut contract = Vec::new();
        coldpay_shared::wire::put_uint_field(&mut contract, 1, 54);
        coldpay_shared::wire::put_message_field(&mut contract, 2, &any);
        let mut raw = Vec::new();
        coldpay_shared::wire::put_uint_field(&mut raw, 8, 10);
        coldpay_shared::wire::put_message_field(&mut raw, 11, &contract);
        assert_eq!(owner_and_type(&raw), Some((me, 54)));
        let t = VerifiedTx {
            txid: TxId::of_raw(&raw),
            contract_ret: "SUCCESS".into(),
            raw,
        };
        let i = info(&t, "SUCCESS", vec![], 0);
        let m = movements(
            &block(vec![t]),
            &[TxInfo { fee: 270, ..i }],
            None,
            &[me].into(),
            &[usdt()],
        );
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].contract, "FreezeBalanceV2Contract");
        assert_eq!(m[0].fee_sun, 270);
        assert!(owner_and_type(&[0xff]).is_none());
    }
}
