//! What a receipt (TransactionInfo) may claim, checked against the verified block.
//!
//! No hash in a block header covers a receipt: its `result`, `receipt.result`, `blockNumber`,
//! fee and logs are a node's claim. The verified block's Transaction `ret` (covered by
//! `txTrieRoot`) decides paid / not paid; a receipt is kept for display only, and one that
//! contradicts the verified block is a node fault (the answer is retried on another member),
//! never a reason to settle. For a direct call of a registered token (`transfer` /
//! `transferFrom`), the movement follows from the verified call itself, so the call's token
//! `Transfer` logs must say exactly that.

use coldpay_shared::abi::{decode_address_word, decode_transfer, TRANSFER_FROM_SELECTOR};
use coldpay_shared::block::VerifiedTx;
use coldpay_shared::contract::ContractKind;
use coldpay_shared::{Address, RawData, U256};

use crate::answers::TxInfo;
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

/// Whether a verified `contractRet` means the call executed successfully. `DEFAULT` (no
/// result listed) is java-tron's form for a plain TRX transfer in some listings.
pub fn succeeded(contract_ret: &str) -> bool {
    contract_ret == "SUCCESS"
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
        .filter_map(|l| crate::movements::transfer_event(l, tokens))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{Log, Receipt};
    use coldpay_shared::contract::{Contract, TriggerSmartContract};
    use coldpay_shared::{RefBlock, Sun};

    fn a(n: u8) -> Address {
        Address::from_evm_bytes([n; 20])
    }

    fn usdt() -> Token {
        Token::usdt("local")
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
