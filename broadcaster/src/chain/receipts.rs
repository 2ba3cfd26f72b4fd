//! What a receipt (TransactionInfo) may claim, checked against the verified block.
//!
//! No hash in a block header covers a receipt: its `result`, `receipt.result`, `blockNumber`,
//! fee and logs are a node's claim. The verified block's Transaction `ret` (covered by
//! `txTrieRoot`) decides paid / not paid; a receipt is kept for display only, and one that
//! contradicts the verified block is a node fault (the answer is retried on another member),
//! never a reason to settle. For a direct call of a registered token (`transfer` /
//! `transferFrom`), the movement follows from the verified call itself, so the call's token
//! `Transfer` logs must say exactly that.
//!
//! It also holds the decoding both sides of that check share with [`crate::chain::movements`]: a
//! verified transaction's owner and contract type read from its raw bytes
//! ([`owner_and_type`]) and a registered token's `Transfer` event read from a receipt log
//! ([`transfer_event`]).

use coldpay_shared::abi::{
    decode_address_word, decode_transfer, TRANSFER_EVENT_TOPIC, TRANSFER_FROM_SELECTOR,
};
use coldpay_shared::block::VerifiedTx;
use coldpay_shared::contract::ContractKind;
use coldpay_shared::wire::{FieldReader, FieldValue};
use coldpay_shared::{Address, RawData, U256};

use crate::node::answers::{Log, TxInfo};
use crate::tokens::Token;

/// A registered token moved by a transaction's own call data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenCall {
    /// Token contract called.
    pub token: Address,
    /// Whose tokens move (the owner for `transfer`, the named holder for `transferFrom`).
    pub from: Address,
    /// Recipient.
    pub to: Address,
    /// Base units.
    pub amount: U256,
}

/// The registered-token movement a verified transaction makes by its own call data:
/// `transfer(to, value)` from its owner, or `transferFrom(from, to, value)`. `None` for any
/// other transaction (including calls of other contracts that may move tokens internally).
pub fn token_call(tx: &VerifiedTx, tokens: &[Token]) -> Option<TokenCall> {
    let raw = RawData::decode(&tx.raw).ok()?;
    let ContractKind::TriggerSmart(ts) = &raw.contract.kind else {
        return None;
    };
    if !tokens.iter().any(|t| t.contract == ts.contract) {
        return None;
    }
    if let Ok((to, amount)) = decode_transfer(&ts.data) {
        return Some(TokenCall {
            token: ts.contract,
            from: ts.owner,
            to,
            amount,
        });
    }
    let (from, to, amount) = decode_transfer_from(&ts.data)?;
    Some(TokenCall {
        token: ts.contract,
        from,
        to,
        amount,
    })
}

/// Strict `transferFrom(address,address,uint256)` call data: selector and exactly 100 bytes.
fn decode_transfer_from(data: &[u8]) -> Option<(Address, Address, U256)> {
    if data.len() != 100 || data[..4] != TRANSFER_FROM_SELECTOR {
        return None;
    }
    let from = decode_address_word(&data[4..36]).ok()?;
    let to = decode_address_word(&data[36..68]).ok()?;
    Some((from, to, U256::from_be_slice(&data[68..100])))
}

/// Whether a verified `contractRet` means the call executed successfully.
pub fn succeeded(contract_ret: &str) -> bool {
    contract_ret == "SUCCESS"
}

/// The result a verified block states for `tx`, as settlement reads it. A listing without a
/// `contractRet` (`DEFAULT`) states no result: for a contract the VM does not run (a TRX
/// transfer, a permission update) inclusion itself is success, since java-tron never
/// includes one that failed, so it reads `SUCCESS`; for a smart-contract call it stays
/// `DEFAULT`, which [`states_no_result`] names and which never lets a payout be rebuilt.
pub fn verified_result(tx: &VerifiedTx) -> String {
    let vm = owner_and_type(&tx.raw).is_some_and(|(_, kind)| {
        kind == coldpay_shared::contract::TRIGGER_SMART_CONTRACT || kind == CREATE_SMART_CONTRACT
    });
    if tx.contract_ret == "DEFAULT" && !vm {
        "SUCCESS".into()
    } else {
        tx.contract_ret.clone()
    }
}

/// ContractType of CreateSmartContract (also run by the VM).
const CREATE_SMART_CONTRACT: u64 = 30;

/// Whether a verified result states nothing (`DEFAULT` of a smart-contract call): neither
/// paid nor failed can be concluded from the block.
pub fn states_no_result(result: &str) -> bool {
    result == "DEFAULT"
}

/// Why `info` contradicts the verified transaction `tx` in verified block `block`, or `None`
/// when it does not: another txID or block, a result other than the block's, or (for a direct
/// registered-token call) token `Transfer` logs that do not say what the call did.
pub fn contradiction(
    tx: &VerifiedTx,
    block: u64,
    info: &TxInfo,
    tokens: &[Token],
) -> Option<String> {
    let id = tx.txid.to_hex();
    if info.id.as_deref() != Some(id.as_str()) {
        return Some(format!(
            "receipt is for txID {}, not {id}",
            info.id.as_deref().unwrap_or("(none)")
        ));
    }
    if info.block_number != block {
        return Some(format!(
            "receipt of {id} says block {}, the verified block is {block}",
            info.block_number
        ));
    }
    if let Some(why) = result_contradiction(&tx.contract_ret, info) {
        return Some(format!("receipt of {id}: {why}"));
    }
    let call = token_call(tx, tokens)?;
    let logged: Vec<(Address, Address, U256)> = info
        .log
        .iter()
        .filter_map(|l| transfer_event(l, tokens))
        .filter(|(token, ..)| *token == call.token)
        .map(|(_, from, to, value)| (from, to, value))
        .collect();
    let expected = if succeeded(&tx.contract_ret) {
        vec![(call.from, call.to, call.amount)]
    } else {
        Vec::new()
    };
    (logged != expected).then(|| {
        format!(
            "receipt of {id}: its Transfer logs of token {} ({} log(s)) do not match the verified call ({} → {}, {} base units, {})",
            call.token,
            logged.len(),
            call.from,
            call.to,
            call.amount,
            tx.contract_ret
        )
    })
}

/// A receipt `result` / `receipt.result` that disagrees with the verified `contractRet`.
fn result_contradiction(contract_ret: &str, info: &TxInfo) -> Option<String> {
    let receipt = info.receipt.result.as_deref();
    if succeeded(contract_ret) {
        if info.result.as_deref() == Some("FAILED") {
            return Some("result FAILED, the verified block says SUCCESS".into());
        }
        if let Some(r) = receipt.filter(|r| *r != "SUCCESS") {
            return Some(format!(
                "receipt.result {r}, the verified block says SUCCESS"
            ));
        }
        return None;
    }
    if contract_ret == "DEFAULT" {
        return None;
    }
    match receipt {
        Some(r) if r != contract_ret => Some(format!(
            "receipt.result {r}, the verified block says {contract_ret}"
        )),
        _ => None,
    }
}

/// Owner address and contract type number of a raw_data, read from the bytes whatever the
/// contract type: raw_data field 11 (contract) → field 1 (type), field 2 (Any) → field 2
/// (value) → field 1 (owner_address), as every TRON contract type has it.
pub fn owner_and_type(raw: &[u8]) -> Option<(Address, u64)> {
    let contract = field_bytes(raw, 11)?;
    let kind = field_varint(contract, 1).unwrap_or(0);
    let any = field_bytes(contract, 2)?;
    let value = field_bytes(any, 2)?;
    let owner = Address::from_bytes(field_bytes(value, 1)?).ok()?;
    Some((owner, kind))
}

fn field_bytes(msg: &[u8], want: u64) -> Option<&[u8]> {
    let mut r = FieldReader::new(msg, "raw_data");
    while let Some((f, v)) = r.next_field().ok()? {
        if let (true, FieldValue::Bytes(b)) = (f == want, v) {
            return Some(b);
        }
    }
    None
}

fn field_varint(msg: &[u8], want: u64) -> Option<u64> {
    let mut r = FieldReader::new(msg, "raw_data");
    while let Some((f, v)) = r.next_field().ok()? {
        if let (true, FieldValue::Varint(n)) = (f == want, v) {
            return Some(n);
        }
    }
    None
}

/// A well-formed `Transfer(from, to, value)` log of a registered token.
pub fn transfer_event(log: &Log, tokens: &[Token]) -> Option<(Address, Address, Address, U256)> {
    let contract = log_address(&log.address)?;
    if !tokens.iter().any(|t| t.contract == contract) || log.topics.len() != 3 {
        return None;
    }
    let word = |h: &str| hex::decode(h).ok().filter(|w| w.len() == 32);
    if word(&log.topics[0])? != TRANSFER_EVENT_TOPIC {
        return None;
    }
    let from = decode_address_word(&word(&log.topics[1])?).ok()?;
    let to = decode_address_word(&word(&log.topics[2])?).ok()?;
    let value = U256::from_be_slice(&word(&log.data)?);
    Some((contract, from, to, value))
}

/// A log's contract address: 20 bytes hex (java-tron's form), 21 bytes hex, or base58.
fn log_address(s: &str) -> Option<Address> {
    match hex::decode(s) {
        Ok(b) if b.len() == 20 => Some(Address::from_evm_bytes(b.try_into().ok()?)),
        _ => Address::parse(s).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::answers::{Log, Receipt};
    use coldpay_shared::contract::{Contract, TriggerSmartContract};
    use coldpay_shared::{RefBlock, Sun};

    fn a(n: u8) -> Address {
        Address::from_evm_bytes([n; 20])
    }

    fn usdt() -> Token {
        Token::usdt(coldpay_shared::Network::Local)
    }

    fn call(data: Vec<u8>, ret: &str) -> VerifiedTx {
        let raw = RawData {
            ref_block: RefBlock::from_block_id(&[1; 32]),
            expiration: 10,
            memo: Vec::new(),
            contract: Contract {
                kind: ContractKind::TriggerSmart(TriggerSmartContract {
                    owner: a(1),
                    contract: usdt().contract,
                    call_value: Sun::ZERO,
                    data,
                }),
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

    fn transfer_log(from: Address, to: Address, value: u64) -> Log {
        let word = |a: &Address| hex::encode(coldpay_shared::abi::address_word(a));
        Log {
            address: hex::encode(usdt().contract.evm_bytes()),
            topics: vec![
                hex::encode(coldpay_shared::abi::TRANSFER_EVENT_TOPIC),
                word(&from),
                word(&to),
            ],
            data: hex::encode(U256::from(value).to_be_bytes::<32>()),
        }
    }

    fn info(t: &VerifiedTx, block: u64, result: Option<&str>, logs: Vec<Log>) -> TxInfo {
        TxInfo {
            id: Some(t.txid.to_hex()),
            block_number: block,
            receipt: Receipt {
                result: result.map(str::to_string),
                ..Receipt::default()
            },
            log: logs,
            ..TxInfo::default()
        }
    }

    fn transfer(to: Address, v: u64) -> Vec<u8> {
        coldpay_shared::abi::encode_transfer(&to, U256::from(v))
    }

    #[test]
    fn an_honest_receipt_agrees() {
        let t = call(transfer(a(2), 5), "SUCCESS");
        let i = info(&t, 7, Some("SUCCESS"), vec![transfer_log(a(1), a(2), 5)]);
        assert_eq!(contradiction(&t, 7, &i, &[usdt()]), None);
        let failed = call(transfer(a(2), 5), "REVERT");
        let i = info(&failed, 7, Some("REVERT"), vec![]);
        assert_eq!(contradiction(&failed, 7, &i, &[usdt()]), None);
    }

    #[test]
    fn forged_results_blocks_and_ids_are_contradictions() {
        let t = call(transfer(a(2), 5), "SUCCESS");
        let logs = || vec![transfer_log(a(1), a(2), 5)];
        let revert = info(&t, 7, Some("REVERT"), logs());
        let e = contradiction(&t, 7, &revert, &[usdt()]).unwrap();
        assert!(
            e.contains("receipt.result REVERT, the verified block says SUCCESS"),
            "{e}"
        );
        let mut failed = info(&t, 7, Some("SUCCESS"), logs());
        failed.result = Some("FAILED".into());
        let e = contradiction(&t, 7, &failed, &[usdt()]).unwrap();
        assert!(e.contains("result FAILED"), "{e}");
        let e = contradiction(&t, 8, &info(&t, 7, Some("SUCCESS"), logs()), &[usdt()]).unwrap();
        assert!(e.contains("says block 7, the verified block is 8"), "{e}");
        let mut other = info(&t, 7, Some("SUCCESS"), logs());
        other.id = Some("ab".repeat(32));
        assert!(contradiction(&t, 7, &other, &[usdt()]).is_some());
        // A receipt claiming success for a reverted call.
        let r = call(transfer(a(2), 5), "REVERT");
        assert!(contradiction(&r, 7, &info(&r, 7, Some("SUCCESS"), vec![]), &[usdt()]).is_some());
    }

    #[test]
    fn token_logs_must_say_what_the_call_did() {
        let t = call(transfer(a(2), 5), "SUCCESS");
        let extra = vec![
            transfer_log(a(1), a(2), 5),
            transfer_log(a(9), a(1), 1_000_000),
        ];
        let e = contradiction(&t, 7, &info(&t, 7, Some("SUCCESS"), extra), &[usdt()]).unwrap();
        assert!(e.contains("do not match the verified call"), "{e}");
        let wrong = vec![transfer_log(a(1), a(3), 5)];
        assert!(contradiction(&t, 7, &info(&t, 7, Some("SUCCESS"), wrong), &[usdt()]).is_some());
        let none = info(&t, 7, Some("SUCCESS"), vec![]);
        assert!(contradiction(&t, 7, &none, &[usdt()]).is_some());
        // A reverted call moves nothing, so a Transfer log on it is forged.
        let r = call(transfer(a(2), 5), "REVERT");
        let i = info(&r, 7, Some("REVERT"), vec![transfer_log(a(1), a(2), 5)]);
        assert!(contradiction(&r, 7, &i, &[usdt()]).is_some());
    }

    #[test]
    fn a_listing_without_contract_ret_is_success_only_outside_the_vm() {
        let vm = call(transfer(a(2), 5), "DEFAULT");
        assert_eq!(verified_result(&vm), "DEFAULT");
        assert!(states_no_result(&verified_result(&vm)));
        let raw = RawData {
            ref_block: RefBlock::from_block_id(&[1; 32]),
            expiration: 10,
            memo: Vec::new(),
            contract: Contract {
                kind: ContractKind::Transfer(coldpay_shared::contract::TransferContract {
                    owner: a(1),
                    to: a(2),
                    amount: Sun::new(5).unwrap(),
                }),
                permission_id: 0,
            },
            timestamp: 1,
            fee_limit: 0,
        };
        let trx = VerifiedTx {
            txid: raw.txid(),
            contract_ret: "DEFAULT".into(),
            raw: raw.encode(),
        };
        assert_eq!(verified_result(&trx), "SUCCESS");
        assert_eq!(
            verified_result(&call(transfer(a(2), 5), "REVERT")),
            "REVERT"
        );
    }

    #[test]
    fn transfer_from_moves_the_named_holder() {
        let mut data = TRANSFER_FROM_SELECTOR.to_vec();
        data.extend_from_slice(&coldpay_shared::abi::address_word(&a(4)));
        data.extend_from_slice(&coldpay_shared::abi::address_word(&a(5)));
        data.extend_from_slice(&U256::from(9u64).to_be_bytes::<32>());
        let t = call(data.clone(), "SUCCESS");
        assert_eq!(
            token_call(&t, &[usdt()]),
            Some(TokenCall {
                token: usdt().contract,
                from: a(4),
                to: a(5),
                amount: U256::from(9u64)
            })
        );
        data.push(0);
        assert_eq!(token_call(&call(data, "SUCCESS"), &[usdt()]), None);
        // Not a registered token: no verified movement.
        assert_eq!(token_call(&t, &[]), None);
    }
}
