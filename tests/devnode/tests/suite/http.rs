//! The dev node driven over real HTTP on loopback, with transactions signed by coldpay-shared.

#![allow(clippy::many_single_char_names)]

use crate::common;
mod sdk;

use coldpay_devnode::genesis::Permissions;
use coldpay_devnode::{Faults, Genesis};
use coldpay_shared::permission::Operations;
use coldpay_shared::wire::{put_bytes_field, put_message_field, put_uint_field};
use coldpay_shared::{Address, RawData, RefBlock, Signature, TxId, U256};
use coldpay_testkit::permission;
use common::{
    addr, broadcasthex_body, funded_genesis, key, sign, spawn_devnode, stop, tapos, trx_transfer,
    usdt, usdt_transfer, Node,
};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};

/// This module's requests to the node (a trait: each test module has its own).
trait NodeExt {
    fn post(&self, path: &str, body: &Value) -> Value;
    fn solid_ref(&self) -> (RefBlock, u64);
    fn trx(&self, from: &SigningKey, to: Address, sun: u64) -> RawData;
    fn usdt(&self, from: &SigningKey, to: Address, units: u64, fee_limit: u64) -> RawData;
    fn send(&self, raw: &RawData, keys: &[&SigningKey]) -> Value;
    fn info(&self, txid: &TxId) -> Value;
    fn trx_balance(&self, a: &Address) -> u64;
    fn usdt_balance(&self, a: &Address) -> U256;
}

impl NodeExt for Node {
    /// The answer; an error status is answered as `{"status": code, "body": text}`.
    fn post(&self, path: &str, body: &Value) -> Value {
        match self
            .agent
            .post(&format!("{}{path}", self.node.url()))
            .send_json(body.clone())
        {
            Ok(r) => r.into_json().unwrap(),
            Err(ureq::Error::Status(code, r)) => {
                json!({"status": code, "body": r.into_string().unwrap()})
            }
            Err(e) => panic!("{path}: {e}"),
        }
    }

    fn solid_ref(&self) -> (RefBlock, u64) {
        tapos(
            &self.post("/walletsolidity/getnowblock", &json!({})),
            &self.post("/wallet/getnowblock", &json!({})),
        )
    }

    fn trx(&self, from: &SigningKey, to: Address, sun: u64) -> RawData {
        trx_transfer(from, to, sun, self.solid_ref(), 0)
    }

    fn usdt(&self, from: &SigningKey, to: Address, units: u64, fee_limit: u64) -> RawData {
        usdt_transfer(from, to, units, fee_limit, self.solid_ref(), 0)
    }

    fn send(&self, raw: &RawData, keys: &[&SigningKey]) -> Value {
        self.post("/wallet/broadcasthex", &broadcasthex_body(&sign(raw, keys)))
    }

    fn info(&self, txid: &TxId) -> Value {
        self.post(
            "/wallet/gettransactioninfobyid",
            &json!({"value": txid.to_hex()}),
        )
    }

    fn trx_balance(&self, a: &Address) -> u64 {
        self.post(
            "/wallet/getaccount",
            &json!({"address": a.to_base58(), "visible": true}),
        )["balance"]
            .as_u64()
            .unwrap_or(0)
    }

    fn usdt_balance(&self, a: &Address) -> U256 {
        let r = self.post(
            "/wallet/triggerconstantcontract",
            &json!({"owner_address": a.to_base58(), "contract_address": usdt().to_base58(), "function_selector": "balanceOf(address)", "parameter": hex::encode(coldpay_shared::abi::address_word(a)), "visible": true}),
        );
        U256::from_be_slice(&hex::decode(r["constant_result"][0].as_str().unwrap()).unwrap())
    }
}

fn funded() -> (Node, SigningKey) {
    let k = key(1);
    (Node::start(funded_genesis(&k)), k)
}

#[test]
fn blocks_ids_parents_and_solid_lag() {
    let (n, _) = funded();
    n.node.mine(5);
    let head = n.post("/wallet/getnowblock", &json!({}));
    assert_eq!(head["block_header"]["raw_data"]["number"], 5);
    let id = head["blockID"].as_str().unwrap();
    assert_eq!(&id[..16], format!("{:016x}", 5));
    let prev = n.post("/wallet/getblockbynum", &json!({"num": 4}));
    assert_eq!(
        head["block_header"]["raw_data"]["parentHash"],
        prev["blockID"]
    );
    let ts = |b: &Value| b["block_header"]["raw_data"]["timestamp"].as_u64().unwrap();
    assert_eq!(ts(&head) - ts(&prev), 3000);
    let solid = n.post("/walletsolidity/getnowblock", &json!({}));
    assert_eq!(solid["block_header"]["raw_data"]["number"], 3);
    assert_eq!(
        n.post("/walletsolidity/getblockbynum", &json!({"num": 5})),
        json!({})
    );
    let range = n.post(
        "/wallet/getblockbylimitnext",
        &json!({"startNum": 1, "endNum": 4}),
    );
    assert_eq!(range["block"].as_array().unwrap().len(), 3);
    let by_id = n.post("/wallet/getblock", &json!({"id_or_num": id}));
    assert_eq!(by_id["blockID"], id);
    let info = n.post("/wallet/getnodeinfo", &json!({}));
    assert!(info["solidityBlock"]
        .as_str()
        .unwrap()
        .starts_with("Num:3,ID:"));
    // The witness signature recovers to the witness address.
    let raw = &head["block_header"]["raw_data"];
    let w = Address::parse(raw["witness_address"].as_str().unwrap()).unwrap();
    assert_eq!(w.to_hex().len(), 42);
}

#[test]
fn trx_and_usdt_transfers_execute_with_fees_and_logs() {
    let (n, k) = funded();
    let from = addr(&k);
    let holder = addr(&key(2));
    let fresh = addr(&key(3));
    // TRX transfer creates the recipient account (activation fee burned).
    let t = n.trx(&k, holder, 5_000_000);
    let r = n.send(&t, &[&k]);
    assert_eq!(r["result"], true, "{r}");
    assert_eq!(r["code"], "SUCCESS");
    assert_eq!(n.info(&t.txid()), json!({}), "not in a block yet");
    n.node.mine(1);
    let i = n.info(&t.txid());
    let signed_len = sign(&t, &[&k]).encode().len() as u64;
    assert_eq!(
        i["receipt"]["net_usage"].as_u64().unwrap(),
        signed_len + 64,
        "bandwidth = bytes + 64, from the free allowance"
    );
    assert_eq!(i["fee"], 1_000_000, "activation fee");
    assert_eq!(n.trx_balance(&holder), 5_000_000);
    // Give the holder a token balance, then compare energy for holder vs fresh recipient.
    let a = n.usdt(&k, holder, 1_000_000, 100_000_000);
    assert_eq!(n.send(&a, &[&k])["result"], true);
    n.node.mine(1);
    let ia = n.info(&a.txid());
    assert_eq!(
        ia["receipt"]["energy_usage_total"], 130_285,
        "first transfer to a zero balance: {ia}"
    );
    let b = n.usdt(&k, holder, 2_000_000, 100_000_000);
    assert_eq!(n.send(&b, &[&k])["result"], true);
    n.node.mine(1);
    let ib = n.info(&b.txid());
    assert_eq!(ib["receipt"]["energy_usage_total"], 64_285, "{ib}");
    assert_eq!(ib["receipt"]["energy_fee"], 6_428_500);
    assert_eq!(ib["receipt"]["result"], "SUCCESS");
    assert_eq!(ib["contractResult"][0], format!("{:064x}", 1));
    let log = &ib["log"][0];
    assert_eq!(log["address"], hex::encode(usdt().evm_bytes()));
    assert_eq!(
        log["topics"][0],
        hex::encode(coldpay_shared::abi::TRANSFER_EVENT_TOPIC)
    );
    assert_eq!(
        log["topics"][1],
        hex::encode(coldpay_shared::abi::address_word(&from))
    );
    assert_eq!(
        log["topics"][2],
        hex::encode(coldpay_shared::abi::address_word(&holder))
    );
    assert_eq!(log["data"], format!("{:064x}", 2_000_000));
    assert_eq!(n.usdt_balance(&holder), U256::from(3_000_000u64));
    // Solidified view lags.
    assert_eq!(
        n.post(
            "/walletsolidity/gettransactioninfobyid",
            &json!({"value": b.txid().to_hex()})
        ),
        json!({})
    );
    n.node.mine(2);
    assert_eq!(
        n.post(
            "/walletsolidity/gettransactioninfobyid",
            &json!({"value": b.txid().to_hex()})
        )["id"],
        b.txid().to_hex()
    );
    let per_block = n.post(
        "/wallet/gettransactioninfobyblocknum",
        &json!({"num": ib["blockNumber"]}),
    );
    assert_eq!(per_block.as_array().unwrap().len(), 1);
    // Insufficient token balance: REVERT, energy still charged.
    let rv = n.usdt(&key(2), fresh, 999_000_000, 100_000_000);
    assert_eq!(n.send(&rv, &[&key(2)])["result"], true);
    n.node.mine(1);
    let irv = n.info(&rv.txid());
    assert_eq!(irv["receipt"]["result"], "REVERT");
    assert_eq!(irv["result"], "FAILED");
    assert!(irv["receipt"]["energy_fee"].as_u64().unwrap() > 0);
    assert!(irv.get("log").is_none());
    // fee_limit too low: OUT_OF_ENERGY burns up to fee_limit.
    let before = n.trx_balance(&from);
    let oe = n.usdt(&k, fresh, 1, 1_000_000);
    assert_eq!(n.send(&oe, &[&k])["result"], true);
    n.node.mine(1);
    let ioe = n.info(&oe.txid());
    assert_eq!(ioe["receipt"]["result"], "OUT_OF_ENERGY");
    assert_eq!(ioe["receipt"]["energy_fee"], 1_000_000);
    assert!(ioe["resMessage"].as_str().is_some());
    assert_eq!(before - n.trx_balance(&from), ioe["fee"].as_u64().unwrap());
    assert_eq!(n.usdt_balance(&fresh), U256::ZERO);
    // The ledger shows every included transaction once.
    let ledger = n.node.ledger();
    let txs = ledger["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 5);
    assert_eq!(txs.iter().filter(|t| t["result"] == "SUCCESS").count(), 3);
}

fn manual_raw_out_of_order(raw: &RawData) -> Vec<u8> {
    // The same fields with expiration written after the contract: valid protobuf, not canonical.
    let mut out = Vec::new();
    put_bytes_field(&mut out, 1, &raw.ref_block.bytes);
    put_bytes_field(&mut out, 4, &raw.ref_block.hash);
    let mut c = Vec::new();
    raw.contract.encode_into(&mut c);
    put_message_field(&mut out, 11, &c);
    put_uint_field(&mut out, 8, raw.expiration);
    out
}

#[test]
fn broadcast_result_codes() {
    let (n, k) = funded();
    let other = key(9);
    let to = addr(&key(2));
    let code = |r: &Value| r["code"].as_str().unwrap_or("").to_string();
    // SIGERROR: signed by a key that is not the owner.
    let t = n.trx(&k, to, 1_000_000);
    let r = n.send(&t, &[&other]);
    assert_eq!(code(&r), "SIGERROR");
    assert!(r["message"]
        .as_str()
        .unwrap()
        .contains("not contained of permission"));
    // SIGERROR for a non-canonical encoding signed over its own bytes.
    let bytes = manual_raw_out_of_order(&t);
    let sig = Signature::sign_txid(&k, &TxId::of_raw(&bytes)).unwrap();
    let mut tx = Vec::new();
    put_message_field(&mut tx, 1, &bytes);
    put_bytes_field(&mut tx, 2, sig.as_bytes());
    let r = n.post(
        "/wallet/broadcasthex",
        &json!({"transaction": hex::encode(tx)}),
    );
    assert_eq!(code(&r), "SIGERROR", "{r}");
    // TAPOS_ERROR: a reference block this chain never had.
    let mut bad = t.clone();
    bad.ref_block.hash = [0xee; 8];
    assert_eq!(code(&n.send(&bad, &[&k])), "TAPOS_ERROR");
    // Expiration in the past and beyond 24 h.
    let mut past = t.clone();
    past.expiration = 1;
    assert_eq!(code(&n.send(&past, &[&k])), "TRANSACTION_EXPIRATION_ERROR");
    let mut far = t.clone();
    far.expiration += 25 * 3_600_000;
    assert_eq!(code(&n.send(&far, &[&k])), "TRANSACTION_EXPIRATION_ERROR");
    // SUCCESS then DUP.
    assert_eq!(n.send(&t, &[&k])["result"], true);
    assert_eq!(code(&n.send(&t, &[&k])), "DUP_TRANSACTION_ERROR");
    // Insufficient TRX: CONTRACT_VALIDATE_ERROR.
    let big = n.trx(&k, to, 1_000_000_000_000);
    assert_eq!(code(&n.send(&big, &[&k])), "CONTRACT_VALIDATE_ERROR");
    // Too big.
    let mut huge = n.trx(&k, to, 1);
    huge.memo = vec![b'x'; 501 * 1024];
    assert_eq!(code(&n.send(&huge, &[&k])), "TOO_BIG_TRANSACTION_ERROR");
    // Bandwidth: an account with no TRX and its free bandwidth used up.
    let poor = key(4);
    let mut g = Genesis::default();
    g.fund(addr(&poor), 0, 5);
    g.params.free_net_limit = 0;
    let n2 = Node::start(g);
    let tp = n2.usdt(&poor, to, 1, 10_000_000);
    assert_eq!(code(&n2.send(&tp, &[&poor])), "BANDWITH_ERROR");
    // Unknown contract on the token address only.
    let (r, ts) = n.solid_ref();
    let wrong = RawData::trc20_transfer(
        addr(&k),
        to,
        to,
        U256::from(1u8),
        10_000_000,
        r,
        ts + 3_600_000,
        ts,
    );
    assert_eq!(code(&n.send(&wrong, &[&k])), "CONTRACT_VALIDATE_ERROR");
}

#[test]
fn transactions_not_included_by_expiration_are_dropped() {
    let (n, k) = funded();
    n.node.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    let t = n.trx(&k, addr(&key(2)), 1_000_000);
    assert_eq!(n.send(&t, &[&k])["result"], true, "accepted");
    n.node.set_faults(Faults::default());
    n.node.mine(3);
    assert_eq!(n.info(&t.txid()), json!({}));
    // Past its expiration it is gone for good; a rebroadcast is refused as expired.
    n.node.mine_after(1, 3_700_000);
    n.node.mine(3);
    assert_eq!(n.info(&t.txid()), json!({}));
    assert_eq!(n.send(&t, &[&k])["code"], "DUP_TRANSACTION_ERROR");
    assert!(n.node.ledger()["transactions"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn multi_signature_permissions() {
    let (a, b, c) = (key(11), key(12), key(13));
    let owner = addr(&a);
    let mut g = Genesis::default();
    g.fund(owner, 10_000_000_000, 0);
    let payouts = permission::active(
        "payouts",
        2,
        2,
        &[addr(&b), addr(&c)],
        Operations::from_hex(coldpay_devnode::chain::DEFAULT_OPERATIONS).unwrap(),
    );
    g.accounts[0].permissions =
        Some(Permissions::from_chain(&permission::owner(1, &[owner]), &[payouts]).unwrap());
    let n = Node::start(g);
    let mut t = n.trx(&a, addr(&key(20)), 1_000_000);
    t.contract.permission_id = 2;
    let r = n.send(&t, &[&b]);
    assert_eq!(r["code"], "SIGERROR");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("Validate signature error: sig error"),
        "{r}"
    );
    assert_eq!(
        n.send(&t, &[&b, &b])["code"],
        "SIGERROR",
        "same signer twice"
    );
    assert_eq!(
        n.send(&t, &[&a])["code"],
        "SIGERROR",
        "owner key not in active permission"
    );
    let ok = n.send(&t, &[&b, &c]);
    assert_eq!(ok["result"], true, "{ok}");
    n.node.mine(1);
    let i = n.info(&t.txid());
    assert_eq!(i["fee"], 2_000_000, "multi-sign fee + activation fee");
}

#[test]
fn json_broadcast_rebuilds_raw_data_from_json() {
    let (n, k) = funded();
    let t = n.trx(&k, addr(&key(2)), 1_000_000);
    let sig = Signature::sign_txid(&k, &t.txid()).unwrap();
    let mut obj = coldpay_shared::tronweb::to_tronweb_json(&t, &[sig], false);
    // raw_data_hex is ignored by this endpoint, as on java-tron.
    obj["raw_data_hex"] = json!("00");
    let r = n.post("/wallet/broadcasttransaction", &obj);
    assert_eq!(r, json!({"result": true, "txid": t.txid().to_hex()}));
    // A changed JSON field means another txID, so the signature no longer matches.
    let mut changed = coldpay_shared::tronweb::to_tronweb_json(&t, &[sig], false);
    changed["raw_data"]["expiration"] = json!(t.expiration + 1000);
    let r = n.post("/wallet/broadcasttransaction", &changed);
    assert_eq!(r["code"], "SIGERROR");
    assert!(r.get("result").is_none());
    assert!(
        hex::decode(r["message"].as_str().unwrap()).is_ok(),
        "message is hex when visible=false"
    );
}

#[test]
fn builders_and_estimates() {
    let (n, k) = funded();
    let holder = addr(&key(2));
    let body = json!({"owner_address": addr(&k).to_base58(), "to_address": holder.to_base58(), "amount": 5, "visible": true});
    let ct = n.post("/wallet/createtransaction", &body);
    let tw = coldpay_shared::tronweb::from_tronweb_json(&ct).unwrap();
    assert_eq!(tw.raw.owner(), addr(&k));
    let param = hex::encode(
        [
            coldpay_shared::abi::address_word(&holder).to_vec(),
            U256::from(7u8).to_be_bytes::<32>().to_vec(),
        ]
        .concat(),
    );
    let call = json!({"owner_address": addr(&k).to_hex(), "contract_address": usdt().to_hex(), "function_selector": "transfer(address,uint256)", "parameter": param, "fee_limit": 50_000_000});
    let est = n.post("/wallet/estimateenergy", &call);
    assert_eq!(
        est,
        json!({"result": {"result": true}, "energy_required": 130_285})
    );
    let tc = n.post("/wallet/triggerconstantcontract", &call);
    assert_eq!(tc["energy_used"], 130_285);
    let ts = n.post("/wallet/triggersmartcontract", &call);
    assert_eq!(ts["result"]["result"], true);
    let built = coldpay_shared::tronweb::from_tronweb_json(&ts["transaction"]).unwrap();
    assert_eq!(built.raw.fee_limit, 50_000_000);
    assert_eq!(built.raw.intent().unwrap().to(), holder);
    let params = n.post("/wallet/getchainparameters", &json!({}));
    assert!(params["chainParameter"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["key"] == "getEnergyFee" && p["value"] == 100));
    // visible=false answers hex addresses.
    let acct = n.post("/wallet/getaccount", &json!({"address": addr(&k).to_hex()}));
    assert_eq!(acct["address"], addr(&k).to_hex());
    let res = n.post(
        "/wallet/getaccountresource",
        &json!({"address": addr(&k).to_hex()}),
    );
    assert_eq!(res["freeNetLimit"], 600);
}

#[test]
fn faults_keys_rate_limits_and_errors() {
    let (n, _) = funded();
    n.node.set_faults(Faults {
        require_api_key: Some("sekrit".into()),
        ..Faults::default()
    });
    assert_eq!(n.post("/wallet/getnowblock", &json!({}))["status"], 401);
    let ok = n
        .agent
        .post(&format!("{}/wallet/getnowblock", n.node.url()))
        .set("TRON-PRO-API-KEY", "sekrit")
        .send_json(json!({}));
    assert!(ok.is_ok());
    n.node.set_faults(Faults {
        rate_limit_per_s: Some(3),
        ..Faults::default()
    });
    let mut limited = None;
    for _ in 0..10 {
        if let Err(ureq::Error::Status(429, r)) = n
            .agent
            .post(&format!("{}/wallet/getnowblock", n.node.url()))
            .send_json(json!({}))
        {
            limited = Some(r.header("Retry-After").map(str::to_string));
            break;
        }
    }
    assert_eq!(limited, Some(Some("1".into())));
    n.node.set_faults(Faults {
        fail_rate: 1.0,
        ..Faults::default()
    });
    let s = n.post("/wallet/getnowblock", &json!({}))["status"]
        .as_u64()
        .unwrap();
    assert!(s == 500 || s == 503);
    // Admin endpoints are never faulted and can change faults at run time.
    let cur = n.post("/admin/faults", &json!({"latency_ms": 0}));
    assert_eq!(cur["fail_rate"], 0.0);
    assert!(n
        .post("/wallet/getnowblock", &json!({}))
        .get("blockID")
        .is_some());
    let stats = n.node.stats();
    assert!(stats["requests"]["/wallet/getnowblock"].as_u64().unwrap() >= 3);
    assert_eq!(n.post("/admin/mine", &json!({"blocks": 2}))["head"], 2);
}

fn same_shape(real: &Value, ours: &Value, path: &str) {
    match (real, ours) {
        (Value::Object(r), Value::Object(o)) => {
            for (k, v) in o {
                if let Some(rv) = r.get(k) {
                    same_shape(rv, v, &format!("{path}.{k}"));
                }
            }
        }
        (Value::Array(r), Value::Array(o)) => {
            if let (Some(a), Some(b)) = (r.first(), o.first()) {
                same_shape(a, b, &format!("{path}[0]"));
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        _ => panic!("{path}: real {real} vs ours {ours}"),
    }
}

#[test]
fn responses_are_shaped_like_the_real_examples() {
    let examples: Value = serde_json::from_str(include_str!(
        "../../../../shared/tests/data/http_responses.json"
    ))
    .unwrap();
    let ex = |endpoint: &str, want_key: &str| {
        examples["examples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["endpoint"] == endpoint && e["response"].get(want_key).is_some())
            .unwrap()["response"]
            .clone()
    };
    let (n, k) = funded();
    let b = n.usdt(&k, addr(&key(2)), 5, 100_000_000);
    n.send(&b, &[&k]);
    n.node.mine(1);
    let ours_block = n.post("/wallet/getnowblock", &json!({}));
    let real_block = ex("/wallet/getnowblock", "blockID");
    for key in ["blockID", "block_header"] {
        assert!(ours_block.get(key).is_some(), "{key}");
    }
    for key in real_block["block_header"]["raw_data"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            ours_block["block_header"]["raw_data"].get(key).is_some(),
            "block raw_data.{key}"
        );
    }
    same_shape(&real_block, &ours_block, "block");
    let info = n.info(&b.txid());
    let real_info = ex("/wallet/gettransactioninfobyid", "log");
    for key in [
        "id",
        "fee",
        "blockNumber",
        "blockTimeStamp",
        "contractResult",
        "contract_address",
        "receipt",
        "log",
    ] {
        assert!(info.get(key).is_some(), "info.{key}");
    }
    same_shape(&real_info, &info, "info");
    let acct = n.post("/wallet/getaccount", &json!({"address": addr(&k).to_hex()}));
    same_shape(&ex("/wallet/getaccount", "address"), &acct, "account");
    let tx = n.post(
        "/wallet/gettransactionbyid",
        &json!({"value": b.txid().to_hex()}),
    );
    same_shape(&ex("/wallet/gettransactionbyid", "ret"), &tx, "tx");
    assert_eq!(tx["ret"][0]["contractRet"], "SUCCESS");
}

#[test]
fn a_thousand_usdt_transfers_in_a_few_blocks() {
    let k = key(1);
    let mut g = Genesis::default();
    g.fund(addr(&k), 100_000_000_000, 1_000_000_000_000);
    let n = Node::start(g);
    let reference = n.solid_ref();
    let mut ids = Vec::new();
    for i in 0..1000u64 {
        let mut to = [0u8; 20];
        to[..8].copy_from_slice(&(i + 1).to_be_bytes());
        let raw = usdt_transfer(
            &k,
            Address::from_evm_bytes(to),
            1_000 + i,
            30_000_000,
            reference,
            i,
        );
        let res = n.send(&raw, &[&k]);
        assert_eq!(res["result"], true, "{i}: {res}");
        ids.push(raw.txid());
    }
    n.node.mine(3);
    let ledger = n.node.ledger();
    let txs = ledger["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 1000);
    assert!(txs.iter().all(|t| t["result"] == "SUCCESS"));
    let blocks: std::collections::BTreeSet<u64> =
        txs.iter().map(|t| t["block"].as_u64().unwrap()).collect();
    assert!(blocks.len() <= 3);
}

#[test]
fn binary_prints_its_url_and_serves() {
    let (child, url) = spawn_devnode(&[
        "--port",
        "0",
        "--block-ms",
        "0",
        "--fund",
        "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH=5000:250000",
    ]);
    let v: Value = ureq::post(&format!("{url}/wallet/getaccount"))
        .send_json(json!({"address": "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", "visible": true}))
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(v["balance"], 5_000_000_000u64);
    assert_eq!(
        v["trc20"][0]["TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"],
        "250000000000"
    );
    stop(child);
}

#[test]
fn documented_genesis_example_loads() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/devnode.md"
    ))
    .unwrap();
    let start = doc.find("## Genesis file").unwrap();
    let rest = &doc[start..];
    let body = &rest[rest.find("```json\n").unwrap() + 8..];
    let g: Genesis = serde_json::from_str(&body[..body.find("```").unwrap()]).unwrap();
    assert_eq!(g.accounts.len(), 2);
    assert_eq!(
        g.accounts[1].permissions.as_ref().unwrap().actives[0].threshold,
        2
    );
    let n = Node::start(g);
    let a = n.post(
        "/wallet/getaccount",
        &json!({"address": "TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm", "visible": true}),
    );
    assert_eq!(a["active_permission"][0]["threshold"], 2);
}
