//! The TRON full-node HTTP API: request parsing and java-tron-shaped JSON responses (default
//! values omitted, `visible` honoured).

use coldpay_shared::contract::{Contract, ContractKind, TransferContract, TriggerSmartContract};
use coldpay_shared::tronweb::{raw_data_from_json, to_tronweb_json};
use coldpay_shared::{abi, Address, Signature, SignedTransaction, Sun, TxId, U256};
use serde_json::{json, Map, Value};

use crate::chain::{Block, Chain, ExecResult, Included, TxInfo};
use crate::params::Params;
pub use crate::reply::Reply;
use crate::reply::{addr_out, error, get_str, get_u64, ok, param_addr, text_out, visible};

/// Block JSON.
pub fn block_json(chain: &Chain, b: &Block, visible: bool, detail: bool) -> Value {
    let mut raw = Map::new();
    raw.insert("number".into(), json!(b.number));
    raw.insert("txTrieRoot".into(), json!(hex::encode(b.tx_root)));
    raw.insert(
        "witness_address".into(),
        addr_out(&chain.witness_address(), visible),
    );
    raw.insert("parentHash".into(), json!(hex::encode(b.parent)));
    raw.insert("version".into(), json!(crate::chain::BLOCK_VERSION));
    raw.insert("timestamp".into(), json!(b.timestamp));
    let mut m = Map::new();
    m.insert("blockID".into(), json!(hex::encode(b.id)));
    m.insert(
        "block_header".into(),
        json!({"raw_data": raw, "witness_signature": chain.witness_signature(b)}),
    );
    if detail && !b.txids.is_empty() {
        let txs: Vec<Value> = b
            .txids
            .iter()
            .filter_map(|t| chain.txs.get(t))
            .map(|i| tx_json(i, visible))
            .collect();
        m.insert("transactions".into(), json!(txs));
    }
    Value::Object(m)
}

/// Transaction JSON as gettransactionbyid returns it.
pub fn tx_json(inc: &Included, visible: bool) -> Value {
    let mut v = to_tronweb_json(&inc.tx.raw, &inc.tx.signatures, visible);
    // The same entry the block's txTrieRoot was computed over.
    let r = crate::chain::block_result(&inc.info);
    let mut ret = Map::new();
    if r.fee != 0 {
        ret.insert("fee".into(), json!(r.fee));
    }
    if r.failed {
        ret.insert("ret".into(), json!("FAILED"));
    }
    if let Some(name) =
        coldpay_shared::block::contract_ret_name(r.contract_ret).filter(|_| r.contract_ret != 0)
    {
        ret.insert("contractRet".into(), json!(name));
    }
    v["ret"] = json!([ret]);
    v
}

/// TransactionInfo JSON.
pub fn info_json(txid: &TxId, info: &TxInfo, visible: bool) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(txid.to_hex()));
    if info.fee != 0 {
        m.insert("fee".into(), json!(info.fee));
    }
    m.insert("blockNumber".into(), json!(info.block));
    m.insert("blockTimeStamp".into(), json!(info.block_time));
    let result_word = match (info.result, &info.log) {
        (Some(ExecResult::Success), Some(_)) => format!("{:064x}", 1),
        _ => String::new(),
    };
    m.insert("contractResult".into(), json!([result_word]));
    if let Some(c) = &info.contract {
        m.insert("contract_address".into(), addr_out(c, visible));
    }
    if info.withdraw_expire_amount != 0 {
        m.insert(
            "withdraw_expire_amount".into(),
            json!(info.withdraw_expire_amount),
        );
    }
    if let Some([bandwidth, energy]) = &info.cancel_unfreeze {
        m.insert(
            "cancel_unfreezeV2_amount".into(),
            json!([
                {"key": "BANDWIDTH", "value": bandwidth},
                {"key": "ENERGY", "value": energy},
                {"key": "TRON_POWER", "value": 0},
            ]),
        );
    }
    let mut r = Map::new();
    if info.energy_usage != 0 {
        r.insert("energy_usage".into(), json!(info.energy_usage));
    }
    if info.energy_fee != 0 {
        r.insert("energy_fee".into(), json!(info.energy_fee));
    }
    if info.energy_usage_total != 0 {
        r.insert("energy_usage_total".into(), json!(info.energy_usage_total));
    }
    if info.net_usage != 0 {
        r.insert("net_usage".into(), json!(info.net_usage));
    }
    if info.net_fee != 0 {
        r.insert("net_fee".into(), json!(info.net_fee));
    }
    if let Some(res) = info.result {
        r.insert("result".into(), json!(res.as_str()));
    }
    if info.energy_penalty_total != 0 {
        r.insert(
            "energy_penalty_total".into(),
            json!(info.energy_penalty_total),
        );
    }
    m.insert("receipt".into(), Value::Object(r));
    if let (Some(l), Some(c)) = (&info.log, &info.contract) {
        let address = if visible {
            json!(c.to_base58())
        } else {
            json!(hex::encode(c.evm_bytes()))
        };
        m.insert(
            "log".into(),
            json!([{
                "address": address,
                "topics": [hex::encode(abi::TRANSFER_EVENT_TOPIC), hex::encode(abi::address_word(&l.from)), hex::encode(abi::address_word(&l.to))],
                "data": hex::encode(l.value.to_be_bytes::<32>()),
            }]),
        );
    }
    if matches!(
        info.result,
        Some(ExecResult::Revert | ExecResult::OutOfEnergy)
    ) {
        m.insert("result".into(), json!("FAILED"));
        if let Some(msg) = &info.res_message {
            if !msg.is_empty() {
                m.insert("resMessage".into(), text_out(msg, visible));
            }
        }
    }
    Value::Object(m)
}

fn account_json(chain: &Chain, a: &Address, visible: bool) -> Value {
    let Some(acct) = chain.accounts.get(a) else {
        return json!({});
    };
    let mut m = Map::new();
    m.insert("address".into(), addr_out(a, visible));
    if acct.balance != 0 {
        m.insert("balance".into(), json!(acct.balance));
    }
    m.insert("create_time".into(), json!(acct.create_time));
    let now = chain.head().timestamp;
    let free = acct.free_net.at(now);
    if free != 0 {
        m.insert("free_net_usage".into(), json!(free));
        m.insert(
            "latest_consume_free_time".into(),
            json!(acct.free_net.time_ms),
        );
    }
    crate::api_stake::account_fields(chain, a, now, &mut m);
    let perms = chain.permissions_of(a);
    m.insert("owner_permission".into(), perms.owner.to_tron_json(visible));
    m.insert(
        "active_permission".into(),
        json!(perms
            .actives
            .iter()
            .map(|p| p.to_tron_json(visible))
            .collect::<Vec<_>>()),
    );
    if let Some(b) = chain.token_balances.get(a).filter(|b| !b.is_zero()) {
        m.insert(
            "trc20".into(),
            json!([{ chain.token.contract.to_base58(): b.to_string() }]),
        );
    }
    Value::Object(m)
}

fn call_data(p: &Value) -> Result<Vec<u8>, Reply> {
    if let Some(d) = get_str(p, "data") {
        return hex::decode(d.trim_start_matches("0x"))
            .map_err(|e| error(format!("invalid data: {e}")));
    }
    let sel = get_str(p, "function_selector").ok_or_else(|| {
        error("class java.lang.IllegalArgumentException : function_selector or data is required")
    })?;
    let selector: [u8; 4] = match sel.replace(' ', "").as_str() {
        "transfer(address,uint256)" => abi::TRANSFER_SELECTOR,
        "balanceOf(address)" => abi::BALANCE_OF_SELECTOR,
        "approve(address,uint256)" => abi::APPROVE_SELECTOR,
        "transferFrom(address,address,uint256)" => abi::TRANSFER_FROM_SELECTOR,
        "decimals()" => crate::api_sdk::DECIMALS_SELECTOR,
        "symbol()" => crate::api_sdk::SYMBOL_SELECTOR,
        other => {
            return Err(error(format!(
                "function {other} is not modelled by the devnode"
            )))
        }
    };
    let args = hex::decode(get_str(p, "parameter").unwrap_or(""))
        .map_err(|e| error(format!("invalid parameter: {e}")))?;
    Ok([selector.to_vec(), args].concat())
}

fn contract_error(code: &str, msg: &str) -> Reply {
    ok(json!({"result": {"code": code, "message": hex::encode(msg.as_bytes())}}))
}

/// One request's reading context: its parameters, `visible`, and the highest block number it
/// may see (the solidified head on `/walletsolidity/`, else the head).
struct Req<'a> {
    p: &'a Value,
    vis: bool,
    limit: u64,
    solidity: bool,
}

/// Dispatches one API request. `path` is without the query string.
pub fn handle(chain: &mut Chain, path: &str, p: &Value, drop: bool) -> Reply {
    let solidity = path.starts_with("/walletsolidity/");
    let name = path.rsplit('/').next().unwrap_or("");
    let limit = if solidity {
        chain.solid().number
    } else {
        chain.head().number
    };
    let r = Req {
        p,
        vis: visible(p),
        limit,
        solidity,
    };
    if let Some(reply) = block_query(chain, name, &r)
        .or_else(|| node_query(chain, name))
        .or_else(|| account_query(chain, name, &r))
    {
        return reply;
    }
    match name {
        b if crate::api_stake::is_builder(b) => crate::api_stake::build(chain, b, p, r.vis),
        "createtransaction" => create_transaction(chain, &r),
        "triggersmartcontract" | "triggerconstantcontract" | "estimateenergy" => {
            trigger(chain, name, &r)
        }
        "broadcasthex" => broadcast_hex(chain, p, drop),
        "broadcasttransaction" => broadcast_transaction(chain, &r, drop),
        q => tx_query(chain, q, &r)
            .or_else(|| crate::api_stake::query(chain, q, p, r.vis))
            .or_else(|| crate::api_sdk::query(chain, q, p, r.vis))
            .unwrap_or_else(|| (404, json!({"Error": format!("unknown endpoint {path}")}))),
    }
}

/// The block queries; `None` if `name` is not one.
fn block_query(chain: &Chain, name: &str, r: &Req) -> Option<Reply> {
    let (p, vis, limit) = (r.p, r.vis, r.limit);
    let reply = match name {
        "getnowblock" => {
            let b = if r.solidity {
                chain.solid().clone()
            } else {
                chain.head().clone()
            };
            ok(block_json(chain, &b, vis, true))
        }
        "getblockbynum" => match get_u64(p, "num") {
            Some(n) if n <= limit => ok(block_json(
                chain,
                &chain.blocks[n as usize].clone(),
                vis,
                true,
            )),
            Some(_) => ok(json!({})),
            None => error("class java.lang.IllegalArgumentException : num is required"),
        },
        "getblock" => get_block(chain, r),
        "getblockbyid" => {
            let id = get_str(p, "value").unwrap_or("").to_lowercase();
            let block = chain
                .blocks
                .iter()
                .find(|b| hex::encode(b.id) == id)
                .cloned();
            ok(block.map_or_else(|| json!({}), |b| block_json(chain, &b, vis, true)))
        }
        "getblockbylimitnext" => block_range(chain, r),
        _ => return None,
    };
    Some(reply)
}

/// `getblock`: by id, by number, or the latest visible block when neither is given.
fn get_block(chain: &Chain, r: &Req) -> Reply {
    let (p, limit) = (r.p, r.limit);
    let detail =
        matches!(p.get("detail"), Some(Value::Bool(true))) || get_str(p, "detail") == Some("true");
    let key = get_str(p, "id_or_num")
        .map(str::to_string)
        .or_else(|| get_u64(p, "id_or_num").map(|n| n.to_string()))
        .unwrap_or_default();
    let b = if key.is_empty() {
        Some(chain.blocks[limit as usize].clone())
    } else if key.len() == 64 {
        chain
            .blocks
            .iter()
            .find(|b| hex::encode(b.id) == key.to_lowercase() && b.number <= limit)
            .cloned()
    } else {
        key.parse::<u64>()
            .ok()
            .filter(|n| *n <= limit)
            .map(|n| chain.blocks[n as usize].clone())
    };
    ok(b.map_or_else(|| json!({}), |b| block_json(chain, &b, r.vis, detail)))
}

/// `getblockbylimitnext`: blocks `startNum..endNum` (at most 100), cut at the visible head.
fn block_range(chain: &Chain, r: &Req) -> Reply {
    let (Some(s), Some(e)) = (get_u64(r.p, "startNum"), get_u64(r.p, "endNum")) else {
        return error(
            "class java.lang.IllegalArgumentException : startNum and endNum are required",
        );
    };
    if e <= s || e - s > 100 {
        return error("class java.lang.IllegalArgumentException : endNum must be > startNum and at most 100 apart");
    }
    let blocks: Vec<Value> = (s..e.min(r.limit + 1))
        .map(|n| block_json(chain, &chain.blocks[n as usize].clone(), r.vis, true))
        .collect();
    ok(if blocks.is_empty() {
        json!({})
    } else {
        json!({"block": blocks})
    })
}

/// The node's own state: `getnodeinfo`, `getchainparameters`; `None` for other names.
fn node_query(chain: &Chain, name: &str) -> Option<Reply> {
    let reply = match name {
        "getnodeinfo" => {
            let (h, s) = (chain.head().clone(), chain.solid().clone());
            ok(json!({
                "beginSyncNum": h.number,
                "block": format!("Num:{},ID:{}", h.number, hex::encode(h.id)),
                "solidityBlock": format!("Num:{},ID:{}", s.number, hex::encode(s.id)),
                "currentConnectCount": 0,
                "activeConnectCount": 0,
                "configNodeInfo": {"codeVersion": "coldpay-devnode", "p2pVersion": "0"},
            }))
        }
        "getchainparameters" => chain_parameters(&chain.params),
        _ => return None,
    };
    Some(reply)
}

/// `getchainparameters`, with java-tron's keys.
fn chain_parameters(pr: &Params) -> Reply {
    ok(json!({"chainParameter": [
        {"key": "getMaintenanceTimeInterval", "value": 21_600_000},
        {"key": "getCreateAccountFee", "value": 100_000},
        {"key": "getTransactionFee", "value": pr.transaction_fee},
        {"key": "getCreateNewAccountFeeInSystemContract", "value": pr.create_new_account_fee},
        {"key": "getFreeNetLimit", "value": pr.free_net_limit},
        {"key": "getEnergyFee", "value": pr.energy_fee},
        {"key": "getMemoFee", "value": pr.memo_fee},
        {"key": "getMultiSignFee", "value": pr.multi_sign_fee},
        {"key": "getTotalSignNum", "value": pr.total_sign_num},
        {"key": "getUpdateAccountPermissionFee", "value": pr.update_account_permission_fee},
        {"key": "getMaxFeeLimit", "value": pr.max_fee_limit},
        {"key": "getTotalEnergyLimit", "value": pr.total_energy_limit},
        {"key": "getTotalEnergyCurrentLimit", "value": pr.total_energy_limit},
        {"key": "getUnfreezeDelayDays", "value": pr.unfreeze_delay_days},
        {"key": "getAllowDelegateResource", "value": 1},
        {"key": "getAllowCancelAllUnfreezeV2", "value": 1},
        {"key": "getMaxDelegateLockPeriod", "value": pr.max_delegate_lock_period},
    ]}))
}

/// `getaccount`, `getaccountresource`; `None` for other names.
fn account_query(chain: &Chain, name: &str, r: &Req) -> Option<Reply> {
    let reply = match name {
        "getaccount" => match param_addr(r.p, "address") {
            Ok(a) => ok(account_json(chain, &a, r.vis)),
            Err(e) => e,
        },
        "getaccountresource" => match param_addr(r.p, "address") {
            Ok(a) => ok(crate::api_stake::account_resource(
                chain,
                &a,
                chain.head().timestamp,
            )),
            Err(e) => e,
        },
        _ => return None,
    };
    Some(reply)
}

/// `createtransaction`: an unsigned TRX transfer.
fn create_transaction(chain: &Chain, r: &Req) -> Reply {
    let p = r.p;
    let (owner, to) = match (param_addr(p, "owner_address"), param_addr(p, "to_address")) {
        (Ok(o), Ok(t)) => (o, t),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let Some(amount) = get_u64(p, "amount").and_then(|a| Sun::new(a).ok()) else {
        return error("amount is required");
    };
    if !chain.accounts.contains_key(&owner) {
        return error("class org.tron.core.exception.ContractValidateException : Validate TransferContract error, no OwnerAccount.");
    }
    let raw = chain.build(
        Contract {
            kind: ContractKind::Transfer(TransferContract { owner, to, amount }),
            permission_id: 0,
        },
        0,
    );
    ok(to_tronweb_json(&raw, &[], r.vis))
}

/// A token call as the three trigger endpoints read it.
struct Call {
    owner: Address,
    data: Vec<u8>,
    kind: ContractKind,
    permission_id: u32,
}

/// `triggersmartcontract`, `triggerconstantcontract`, `estimateenergy` on the node's token.
fn trigger(chain: &Chain, name: &str, r: &Req) -> Reply {
    let p = r.p;
    let (owner, contract) = match (
        param_addr(p, "owner_address"),
        param_addr(p, "contract_address"),
    ) {
        (Ok(o), Ok(c)) => (o, c),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let data = match call_data(p) {
        Ok(d) => d,
        Err(e) => return e,
    };
    if contract != chain.token.contract {
        return contract_error(
            "CONTRACT_VALIDATE_ERROR",
            "No contract or not a valid smart contract",
        );
    }
    let call_value = get_u64(p, "call_value").unwrap_or(0);
    let (energy, _, outcome) = chain.simulate_call(&owner, &data, call_value);
    let call = Call {
        owner,
        kind: ContractKind::TriggerSmart(TriggerSmartContract {
            owner,
            contract,
            call_value: Sun::new(call_value).unwrap_or(Sun::ZERO),
            data: data.clone(),
        }),
        data,
        permission_id: get_u64(p, "Permission_id").unwrap_or(0) as u32,
    };
    match name {
        "estimateenergy" => {
            if outcome == ExecResult::Success {
                ok(json!({"result": {"result": true}, "energy_required": energy}))
            } else {
                contract_error("CONTRACT_EXE_ERROR", "REVERT opcode executed")
            }
        }
        "triggerconstantcontract" => constant_call(chain, call, energy, outcome, r.vis),
        _ => {
            let fee_limit = get_u64(p, "fee_limit").unwrap_or(0);
            let raw = chain.build(
                Contract {
                    kind: call.kind,
                    permission_id: call.permission_id,
                },
                fee_limit,
            );
            ok(
                json!({"result": {"result": true}, "transaction": to_tronweb_json(&raw, &[], r.vis)}),
            )
        }
    }
}

/// `triggerconstantcontract`: the call's result word and the transaction it would be.
fn constant_call(chain: &Chain, call: Call, energy: u64, outcome: ExecResult, vis: bool) -> Reply {
    let raw = chain.build(
        Contract {
            kind: call.kind,
            permission_id: call.permission_id,
        },
        0,
    );
    let data = call.data;
    let mut tx = to_tronweb_json(&raw, &[], vis);
    if let Some(word) = crate::api_sdk::token_view(chain, &data) {
        tx["ret"] = json!([{}]);
        return ok(
            json!({"result": {"result": true}, "energy_used": crate::api_sdk::VIEW_ENERGY, "constant_result": [word], "transaction": tx}),
        );
    }
    let constant = if data.len() == 36 && data[..4] == abi::BALANCE_OF_SELECTOR {
        let who = abi::decode_address_word(&data[4..]).unwrap_or(call.owner);
        hex::encode(chain.token_balance(&who).to_be_bytes::<32>())
    } else if outcome == ExecResult::Success {
        format!("{:064x}", 1)
    } else {
        String::new()
    };
    let mut result = json!({"result": true});
    if outcome == ExecResult::Revert {
        result["message"] = json!("REVERT opcode executed");
        tx["ret"] = json!([{"ret": "FAILED", "contractRet": "REVERT"}]);
    } else {
        tx["ret"] = json!([{}]);
    }
    ok(
        json!({"result": result, "energy_used": energy, "constant_result": [constant], "transaction": tx}),
    )
}

/// `broadcasthex`: a signed transaction's protobuf bytes in hex.
fn broadcast_hex(chain: &mut Chain, p: &Value, drop: bool) -> Reply {
    let Some(h) = get_str(p, "transaction") else {
        return error("transaction is required");
    };
    let bytes = match hex::decode(h) {
        Ok(b) => b,
        Err(e) => {
            return ok(
                json!({"result": false, "code": "OTHER_ERROR", "message": format!("Error: invalid hex: {e}")}),
            )
        }
    };
    match chain.broadcast(&bytes, drop) {
        Ok(txid) => ok(
            json!({"result": true, "code": "SUCCESS", "message": "", "txid": txid.to_hex(), "transaction": chain_tx_text(chain, &txid, &bytes)}),
        ),
        Err(r) => {
            let txid = SignedTransaction::decode_lenient_signatures(&bytes)
                .map(|t| t.txid().to_hex())
                .unwrap_or_default();
            ok(json!({"result": false, "code": r.code, "message": r.message, "txid": txid}))
        }
    }
}

/// `broadcasttransaction`: a signed transaction as TronWeb JSON.
fn broadcast_transaction(chain: &mut Chain, r: &Req, drop: bool) -> Reply {
    let p = r.p;
    let raw = match p.get("raw_data").map(raw_data_from_json) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            return ok(
                json!({"result": {"code": "OTHER_ERROR", "message": hex::encode(format!("other error : {e}"))}}),
            )
        }
        None => {
            return ok(
                json!({"result": {"code": "OTHER_ERROR", "message": hex::encode("other error : raw_data is required")}}),
            )
        }
    };
    let sigs: Result<Vec<Signature>, _> = p.get("signature").and_then(Value::as_array).map_or_else(
        || Ok(Vec::new()),
        |a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(Signature::from_hex)
                .collect()
        },
    );
    let Ok(signatures) = sigs else {
        return ok(
            json!({"code": "SIGERROR", "txid": raw.txid().to_hex(), "message": hex::encode("Validate signature error: bad signature format")}),
        );
    };
    let tx = SignedTransaction { raw, signatures };
    let size = tx.encode().len() as u64;
    let txid = tx.txid();
    match chain.broadcast_tx(tx, size, drop) {
        Ok(t) => ok(json!({"result": true, "txid": t.to_hex()})),
        Err(e) => ok(
            json!({"code": e.code, "txid": txid.to_hex(), "message": text_out(&e.message, r.vis)}),
        ),
    }
}

/// The transaction queries; `None` if `name` is not one.
fn tx_query(chain: &Chain, name: &str, r: &Req) -> Option<Reply> {
    let (p, vis, limit) = (r.p, r.vis, r.limit);
    let by_id = || {
        get_str(p, "value")
            .and_then(|v| TxId::from_hex(v).ok())
            .and_then(|id| {
                chain
                    .txs
                    .get(&id)
                    .filter(|i| i.info.block <= limit)
                    .map(|i| (id, i))
            })
    };
    let reply = match name {
        "gettransactionbyid" => ok(by_id().map_or_else(|| json!({}), |(_, inc)| tx_json(inc, vis))),
        "gettransactioninfobyid" => {
            ok(by_id().map_or_else(|| json!({}), |(id, inc)| info_json(&id, &inc.info, vis)))
        }
        "gettransactioninfobyblocknum" => {
            let Some(n) = get_u64(p, "num") else {
                return Some(error("num is required"));
            };
            if n > limit {
                return Some(ok(json!([])));
            }
            let infos: Vec<Value> = chain.blocks[n as usize]
                .txids
                .iter()
                .filter_map(|t| chain.txs.get(t).map(|i| info_json(t, &i.info, vis)))
                .collect();
            ok(json!(infos))
        }
        _ => return None,
    };
    Some(reply)
}

fn chain_tx_text(chain: &Chain, txid: &TxId, bytes: &[u8]) -> String {
    let _ = chain;
    SignedTransaction::decode_lenient_signatures(bytes).map_or_else(
        |_| txid.to_hex(),
        |t| to_tronweb_json(&t.raw, &t.signatures, true).to_string(),
    )
}

/// The admin ledger: balances and every included transaction.
pub fn ledger_json(chain: &Chain) -> Value {
    let mut addrs: Vec<&Address> = chain.accounts.keys().collect();
    for a in chain.token_balances.keys() {
        if !chain.accounts.contains_key(a) {
            addrs.push(a);
        }
    }
    addrs.sort();
    addrs.dedup();
    let accounts: Vec<Value> = addrs
        .iter()
        .map(|a| {
            let mut tokens = Map::new();
            if let Some(b) = chain.token_balances.get(a) {
                tokens.insert(chain.token.contract.to_base58(), json!(b.to_string()));
            }
            json!({"address": a.to_base58(), "trx_sun": chain.accounts.get(a).map_or(0, |x| x.balance), "tokens": tokens, "stake": crate::api_stake::ledger_fields(chain, a)})
        })
        .collect();
    let txs: Vec<Value> = chain
        .order
        .iter()
        .filter_map(|t| chain.txs.get(t).map(|i| (t, i)))
        .map(|(t, i)| {
            let intent = i.tx.raw.intent().ok();
            json!({
                "txid": t.to_hex(),
                "block": i.info.block,
                "owner": i.tx.raw.owner().to_base58(),
                "contract_type": i.tx.raw.contract.kind.type_name(),
                "to": intent.as_ref().map(|x| x.to().to_base58()),
                "token": intent.as_ref().and_then(|x| x.token()).map(|c| c.to_base58()),
                "amount": intent.as_ref().map_or_else(|| U256::ZERO.to_string(), |x| x.amount().to_string()),
                "result": i.info.result.map_or("SUCCESS", ExecResult::as_str),
                "fee_sun": i.info.fee,
                "energy_fee_sun": i.info.energy_fee,
                "energy_from_stake": i.info.energy_usage,
                "energy_total": i.info.energy_usage_total,
            })
        })
        .collect();
    json!({"head": chain.head().number, "solid": chain.solid().number, "accounts": accounts, "transactions": txs})
}
