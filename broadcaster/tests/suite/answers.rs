//! Every captured java-tron / TronGrid answer in `tests/data/http_responses.json`, replayed to the
//! real [`Node`] client through a mock node on 127.0.0.1 (the dev node's scripted server), plus
//! the answer shapes the captures only describe (REVERT data, garbage bodies, rate limits,
//! another network's genesis).
//!
//! The replay is table-driven over the file: an entry whose endpoint has no case fails the test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coldpay_broadcaster::error::BcError;
use coldpay_broadcaster::node::answers::{decode_message, BodyError, ChainParameters};
use coldpay_broadcaster::node::{Node, NodeOpts, Verdict};
use coldpay_broadcaster::payout::fees::{Band, Seen};
use coldpay_devnode::http::Response;
use coldpay_devnode::scripted::Scripted;
use coldpay_shared::block::{block_id, HeaderRaw};
use coldpay_shared::{Address, Network, TxId, U256};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The mock node
// ---------------------------------------------------------------------------------------------

/// One canned HTTP answer.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Reply {
    fn json(v: &Value) -> Reply {
        Reply::text(200, &v.to_string())
    }

    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }

    /// The dev node server's response for this answer (served as JSON whatever the body).
    fn response(&self) -> Response {
        let mut r = Response::new(self.status, "application/json", self.body.as_bytes());
        for (k, v) in &self.headers {
            r.headers.push(((*k).to_string(), v.clone()));
        }
        r
    }
}

/// A node on 127.0.0.1 (the dev node's scripted server) that answers
/// `/wallet/getblockbynum {"num":0}` with a block-0 listing valid for a local network and every
/// other path from its queue.
struct Mock {
    url: String,
    scripted: Scripted,
    /// Genesis probes answered.
    probes: Arc<AtomicUsize>,
}

impl Mock {
    fn start() -> Mock {
        Mock::with_genesis(local_genesis().0)
    }

    fn with_genesis(genesis: Value) -> Mock {
        let probes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&probes);
        let genesis = Reply::text(200, &genesis.to_string()).response();
        let scripted = Scripted::start_with(move |rq| {
            let body: Value = serde_json::from_slice(&rq.body).unwrap_or(Value::Null);
            (rq.path() == "/wallet/getblockbynum" && body == json!({"num": 0})).then(|| {
                counted.fetch_add(1, Ordering::SeqCst);
                genesis.clone()
            })
        })
        .expect("bind 127.0.0.1");
        Mock {
            url: scripted.url(),
            scripted,
            probes,
        }
    }

    /// Queues answers for `path` (the last one is served forever).
    fn serve(&self, path: &str, replies: Vec<Reply>) {
        assert!(!replies.is_empty());
        self.scripted
            .script(path, replies.iter().map(Reply::response).collect());
    }

    /// Serves one JSON answer forever.
    fn serve_json(&self, path: &str, v: &Value) {
        self.serve(path, vec![Reply::json(v)]);
    }

    /// Requests made to `path`.
    fn count(&self, path: &str) -> usize {
        self.bodies(path).len()
    }

    /// Bodies of the requests made to `path`.
    fn bodies(&self, path: &str) -> Vec<Value> {
        self.scripted
            .requests_to(path)
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
            .collect()
    }

    fn probes(&self) -> usize {
        self.probes.load(Ordering::SeqCst)
    }

    /// A client for a local journal that has not recorded a genesis yet.
    fn node(&self) -> Node {
        self.node_with(short_wait_opts())
    }

    fn node_with(&self, opts: NodeOpts) -> Node {
        Node::new(vec![self.url.clone()], opts).expect("client")
    }
}

/// A verifiable block listing without transactions (txTrieRoot = 32 zero bytes).
fn empty_block(number: u64, parent: [u8; 32], timestamp: u64) -> (Value, [u8; 32]) {
    let mut witness = vec![0x41];
    witness.extend_from_slice(&[0x11; 20]);
    let h = HeaderRaw {
        timestamp,
        tx_trie_root: [0; 32],
        parent_hash: parent,
        number,
        witness_address: witness.clone(),
        version: 30,
        ..HeaderRaw::default()
    };
    let id = block_id(number, &h.encode());
    let v = json!({
        "blockID": hex::encode(id),
        "block_header": {
            "raw_data": {
                "number": number,
                "txTrieRoot": hex::encode([0u8; 32]),
                "witness_address": hex::encode(&witness),
                "parentHash": hex::encode(parent),
                "version": 30,
                "timestamp": timestamp,
            },
            "witness_signature": "00".repeat(65),
        },
    });
    (v, id)
}

/// Block 0 of a local chain: 8 zero bytes ‖ sha256(BlockHeader.raw)[8..], no transactions.
fn local_genesis() -> (Value, [u8; 32]) {
    let (v, id) = empty_block(0, [0x5c; 32], 1_700_000_000_000);
    assert_eq!(&id[..8], &[0u8; 8]);
    (v, id)
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A data file: this crate's own (`tests/data/`) or a reference vector kept once for the
/// workspace in `shared/tests/data/`.
fn data(name: &str) -> Value {
    let own = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let p = if std::path::Path::new(&own).exists() {
        own
    } else {
        format!("{}/../shared/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
    };
    serde_json::from_str(&std::fs::read_to_string(&p).expect("test data")).expect("JSON")
}

fn examples() -> Vec<Value> {
    data("http_responses.json")["examples"]
        .as_array()
        .expect("examples")
        .clone()
}

/// The first captured response for `endpoint`.
fn captured(endpoint: &str) -> Value {
    examples()
        .into_iter()
        .find(|e| e["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("no capture for {endpoint}"))["response"]
        .clone()
}

fn addr(hex: &str) -> Address {
    Address::from_hex(hex).expect("address")
}

fn txid(hex: &str) -> TxId {
    TxId::from_hex(hex).expect("txid")
}

/// The account and the TRC-20 contract of the captures.
const OWNER: &str = "41dd791d6b49e190062d650e6a23c575510d35f2f9";
const TOKEN: &str = "41eca9bc828a3005b9a3b909f2cc5c2a54794de05f";
const RECIPIENT: &str = "4192ad11c1bf16b3b14b0bd6b5c7e2db73a0b5e83a";

fn u64_at(v: &Value, ptr: &str) -> u64 {
    v.pointer(ptr).and_then(Value::as_u64).unwrap_or(0)
}

fn err_text<T: std::fmt::Debug>(r: Result<T, BcError>, what: &str) -> String {
    match r {
        Ok(v) => panic!("{what}: expected an error, got Ok({v:?})"),
        Err(e) => e.to_string(),
    }
}

/// Runs `cases` on threads (each has its own mock node) and fails with every panic message.
fn run_parallel(cases: Vec<(String, Box<dyn FnOnce() + Send + '_>)>) {
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .into_iter()
            .map(|(name, f)| (name, s.spawn(f)))
            .collect();
        handles
            .into_iter()
            .filter_map(|(name, h)| {
                h.join().err().map(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_string()))
                        .unwrap_or_default();
                    format!("{name}: {msg}")
                })
            })
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The replay table
// ---------------------------------------------------------------------------------------------

/// Replays one example; panics with "no replay case" for an endpoint this file does not know.
fn replay(i: usize, e: &Value) {
    let endpoint = e["endpoint"].as_str().expect("endpoint");
    let r = &e["response"];
    match endpoint {
        "/wallet/getnowblock" => replay_now_block(r),
        "/wallet/getblock" | "/wallet/getblockbynum" => replay_block_by_num(r),
        "/wallet/getblockbylimitnext" => replay_block_range(e),
        "/wallet/triggersmartcontract" | "/wallet/createtransaction" => {
            replay_node_built_tx(endpoint, r);
        }
        "/wallet/triggerconstantcontract" => replay_balance_of(e),
        "/wallet/estimateenergy" => replay_estimate(r),
        "/wallet/broadcasttransaction" | "/wallet/broadcasthex" => {
            if is_code_table(r) {
                replay_code_table(r);
            } else {
                replay_broadcast(r);
            }
        }
        "/wallet/gettransactionbyid" => replay_tx_by_id(r),
        "/wallet/gettransactioninfobyid" => replay_tx_info(r),
        "/wallet/gettransactioninfobyblocknum" => replay_infos_in_block(e),
        "/wallet/getaccount" => replay_account(r),
        "/wallet/getaccountresource" => replay_resources(r),
        "/wallet/getchainparameters" => replay_chain_params(r),
        "/wallet/getenergyprices" | "/wallet/getbandwidthprices" => replay_prices(endpoint, r),
        "/wallet/getsignweight" => replay_sign_weight(r),
        "/wallet/getapprovedlist" => replay_approved_list(r),
        "(any TronGrid endpoint)" => replay_rate_limits(r),
        "(java-tron servlet errors)" => replay_servlet_errors(r),
        other => panic!("no replay case for endpoint {other} (example {i})"),
    }
}

#[test]
fn every_captured_response_is_replayed_to_the_client() {
    let ex = examples();
    assert!(ex.len() >= 29, "the capture file lost entries");
    let cases = ex
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let name = format!("example {i} ({})", e["endpoint"].as_str().unwrap_or("?"));
            let f: Box<dyn FnOnce() + Send> = Box::new(move || replay(i, e));
            (name, f)
        })
        .collect();
    run_parallel(cases);
}

#[test]
#[should_panic(expected = "no replay case for endpoint /wallet/getnodeinfo")]
fn an_entry_without_a_case_fails() {
    replay(
        99,
        &json!({"endpoint": "/wallet/getnodeinfo", "response": {}}),
    );
}

// ---- blocks ----

/// The Nile captures list blocks without their transactions while txTrieRoot is non-zero: the
/// blockID recomputes, the transaction root cannot, so the client must give up with a node
/// fault naming the txTrieRoot, never read the block as empty.
fn assert_unverifiable(msg: &str, number: u64) {
    assert!(
        msg.contains(&format!("block {number}: txTrieRoot does not match")),
        "{msg}"
    );
    assert!(!msg.contains("blockID does not match"), "{msg}");
    assert!(!msg.contains("no transactions"), "{msg}");
    assert!(msg.contains("no usable answer after 4 tries"), "{msg}");
}

fn replay_now_block(r: &Value) {
    let number = u64_at(r, "/block_header/raw_data/number");
    assert_ne!(
        r["block_header"]["raw_data"]["txTrieRoot"],
        json!("0".repeat(64))
    );
    assert!(r.get("transactions").is_none());
    let m = Mock::start();
    m.serve_json("/walletsolidity/getnowblock", r);
    m.serve_json("/wallet/getnowblock", r);
    let node = m.node();
    assert_unverifiable(&err_text(node.solid_head(), "solid_head"), number);
    assert_eq!(m.count("/walletsolidity/getnowblock"), 4);
    assert_unverifiable(&err_text(node.head_block(), "head_block"), number);
    assert_eq!(m.count("/wallet/getnowblock"), 4);
    assert_eq!(m.probes(), 1, "the endpoint is bound once");
}

fn replay_block_by_num(r: &Value) {
    let number = u64_at(r, "/block_header/raw_data/number");
    let m = Mock::start();
    m.serve_json("/walletsolidity/getblockbynum", r);
    let node = m.node();
    assert_unverifiable(&err_text(node.solid_block(number), "solid_block"), number);
    let bodies = m.bodies("/walletsolidity/getblockbynum");
    assert_eq!(bodies.len(), 4);
    assert!(bodies.iter().all(|b| *b == json!({"num": number})));
}

fn replay_block_range(e: &Value) {
    let r = &e["response"];
    let start = e["request"]["startNum"].as_u64().expect("startNum");
    let end = e["request"]["endNum"].as_u64().expect("endNum");
    let path = "/walletsolidity/getblockbylimitnext";
    // As captured: the first block without its transactions, the second truncated.
    let m = Mock::start();
    m.serve_json(path, r);
    let msg = err_text(m.node().solid_range(start, end), "solid_range");
    assert_unverifiable(&msg, start);
    assert!(m
        .bodies(path)
        .iter()
        .all(|b| *b == json!({"startNum": start, "endNum": end})));
    // Only the complete first block, for a one-block range: still unverifiable.
    let first = json!({"block": [r["block"][0].clone()]});
    let m = Mock::start();
    m.serve_json(path, &first);
    assert_unverifiable(
        &err_text(m.node().solid_range(start, start + 1), "solid_range"),
        start,
    );
    // The truncated second block alone is malformed, never "no blocks".
    let second = json!({"block": [r["block"][1].clone()]});
    let m = Mock::start();
    m.serve_json(path, &second);
    let msg = err_text(m.node().solid_range(start + 1, start + 2), "solid_range");
    assert!(msg.contains("block_header is missing"), "{msg}");
}

#[test]
fn verifiable_blocks_are_accepted() {
    // The control for the Nile replays: the same calls accept blocks that verify.
    let (genesis, gid) = local_genesis();
    let (b1, id1) = empty_block(1, gid, 1_700_000_003_000);
    let (b2, id2) = empty_block(2, id1, 1_700_000_006_000);
    let m = Mock::with_genesis(genesis);
    m.serve_json("/walletsolidity/getnowblock", &b2);
    m.serve_json("/walletsolidity/getblockbynum", &b1);
    m.serve_json(
        "/walletsolidity/getblockbylimitnext",
        &json!({"block": [b1, b2]}),
    );
    let node = m.node();
    let head = node.solid_head().unwrap();
    assert_eq!((head.number, head.id), (2, id2));
    assert!(head.txs.is_empty());
    assert_eq!(node.solid_block(1).unwrap().id, id1);
    let range = node.solid_range(1, 3).unwrap();
    assert_eq!(
        range.iter().map(|b| b.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        node.genesis(),
        Some(gid),
        "a local journal learns its genesis"
    );
    // Block 1 asked for, block 2 served: a fault.
    let m = Mock::start();
    m.serve_json("/walletsolidity/getblockbynum", &json!({}));
    let msg = err_text(m.node().solid_block(7), "solid_block of {}");
    assert!(msg.contains("node returned no block"), "{msg}");
}

// ---- transactions the node builds (not used by coldpay's client; read as plain answers) ----

fn replay_node_built_tx(endpoint: &str, r: &Value) {
    let m = Mock::start();
    m.serve_json(endpoint, r);
    let v: Value = m.node().get_typed(endpoint, &json!({})).unwrap();
    let tx = if endpoint == "/wallet/triggersmartcontract" {
        assert_eq!(v["result"]["result"], json!(true));
        &v["transaction"]
    } else {
        &v
    };
    let raw = hex::decode(tx["raw_data_hex"].as_str().unwrap()).unwrap();
    assert_eq!(
        TxId::of_raw(&raw).to_hex(),
        tx["txID"].as_str().unwrap(),
        "txID = sha256(raw_data_hex)"
    );
}

fn replay_tx_by_id(r: &Value) {
    let m = Mock::start();
    m.serve(
        "/wallet/gettransactionbyid",
        vec![Reply::json(r), Reply::json(&json!({}))],
    );
    let node = m.node();
    let body = json!({"value": r["txID"]});
    let v: Value = node.get_typed("/wallet/gettransactionbyid", &body).unwrap();
    assert_eq!(v["txID"], r["txID"]);
    assert_eq!(v["ret"][0]["contractRet"], json!("SUCCESS"));
    // The signature is 65 bytes with v = 27 (TronWeb style).
    let sig = hex::decode(v["signature"][0].as_str().unwrap()).unwrap();
    assert_eq!((sig.len(), sig[64]), (65, 27));
    // Unknown is `{}`, which is not an error body.
    let v: Value = node.get_typed("/wallet/gettransactionbyid", &body).unwrap();
    assert_eq!(v, json!({}));
}

// ---- balanceOf / energy ----

fn replay_balance_of(e: &Value) {
    let r = &e["response"];
    let (owner, token) = (addr(OWNER), addr(TOKEN));
    let m = Mock::start();
    m.serve_json("/wallet/triggerconstantcontract", r);
    let bal = m.node().token_balance(&token, &owner).unwrap();
    assert_eq!(bal, U256::from(0x40cf_cc00_u64));
    assert_eq!(bal, U256::from(1_087_360_000_u64));
    let bodies = m.bodies("/wallet/triggerconstantcontract");
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["function_selector"], json!("balanceOf(address)"));
    assert_eq!(bodies[0]["parameter"], e["request"]["parameter"]);
    assert_eq!(bodies[0]["contract_address"], json!(token.to_base58()));
    assert_eq!(bodies[0]["owner_address"], json!(owner.to_base58()));

    // The REVERT form the notes describe: result stays true, message says REVERT, ret FAILED,
    // constant_result holds Error(string).
    let mut rv = r.clone();
    rv["result"] = json!({"result": true, "message": hex::encode("REVERT opcode executed")});
    rv["transaction"]["ret"] = json!([{"ret": "FAILED", "contractRet": "REVERT"}]);
    rv["constant_result"] = json!([hex::encode(error_string("Ownable: paused"))]);
    let m = Mock::start();
    m.serve_json("/wallet/triggerconstantcontract", &rv);
    let msg = err_text(m.node().token_balance(&token, &owner), "balanceOf REVERT");
    assert!(msg.contains("reverted: Ownable: paused"), "{msg}");
    assert_eq!(
        m.count("/wallet/triggerconstantcontract"),
        1,
        "a REVERT is an answer"
    );

    // Error bodies are never a zero balance.
    for form in [
        json!({"result": {"code": "CONTRACT_VALIDATE_ERROR", "message": hex::encode("Contract validate error : No contract or not a smart contract")}}),
        json!({"result": {"code": "CONTRACT_VALIDATE_ERROR", "message": "Contract validate error : No contract or not a smart contract"}}),
    ] {
        let m = Mock::start();
        m.serve_json("/wallet/triggerconstantcontract", &form);
        let msg = err_text(
            m.node().token_balance(&token, &owner),
            "balanceOf error body",
        );
        assert!(
            msg.contains("CONTRACT_VALIDATE_ERROR: Contract validate error : No contract"),
            "{msg}"
        );
        // Served again after one error body: the retry reads the real balance.
        let m = Mock::start();
        m.serve(
            "/wallet/triggerconstantcontract",
            vec![Reply::json(&form), Reply::json(r)],
        );
        assert_eq!(
            m.node().token_balance(&token, &owner).unwrap(),
            U256::from(1_087_360_000_u64)
        );
        assert_eq!(m.count("/wallet/triggerconstantcontract"), 2);
    }
}

/// ABI `Error(string)` return data.
fn error_string(reason: &str) -> Vec<u8> {
    let mut d = vec![0x08, 0xc3, 0x79, 0xa0];
    let mut w = [0u8; 32];
    w[31] = 32;
    d.extend_from_slice(&w);
    let mut l = [0u8; 32];
    l[24..].copy_from_slice(&(reason.len() as u64).to_be_bytes());
    d.extend_from_slice(&l);
    let mut s = reason.as_bytes().to_vec();
    s.resize(reason.len().div_ceil(32) * 32, 0);
    d.extend_from_slice(&s);
    d
}

fn revert_answer(data: &[u8]) -> Value {
    json!({
        "result": {"result": true, "message": "REVERT opcode executed"},
        "energy_used": 900,
        "constant_result": [hex::encode(data)],
        "transaction": {"ret": [{"ret": "FAILED", "contractRet": "REVERT"}]},
    })
}

#[test]
fn long_revert_reason_is_a_clear_error() {
    let reason =
        "ERC20: transfer amount exceeds balance; this reason is well over thirty-two bytes";
    assert!(reason.len() > 64);
    let m = Mock::start();
    m.serve_json(
        "/wallet/triggerconstantcontract",
        &revert_answer(&error_string(reason)),
    );
    let msg = err_text(
        m.node().token_balance(&addr(TOKEN), &addr(OWNER)),
        "long REVERT",
    );
    assert!(msg.contains(&format!("reverted: {reason}")), "{msg}");
    assert_eq!(m.count("/wallet/triggerconstantcontract"), 1);
    // Cut short at every length: an error naming the REVERT, never a panic, never a balance.
    let full = error_string(reason);
    let cases = (4..full.len())
        .step_by(7)
        .map(|cut| {
            let data = full[..cut].to_vec();
            let f: Box<dyn FnOnce() + Send> = Box::new(move || {
                let m = Mock::start();
                m.serve_json("/wallet/triggerconstantcontract", &revert_answer(&data));
                let msg = err_text(
                    m.node().token_balance(&addr(TOKEN), &addr(OWNER)),
                    "cut REVERT",
                );
                assert!(msg.contains("reverted: "), "{msg}");
            });
            (format!("cut at {cut}"), f)
        })
        .collect();
    run_parallel(cases);
}

#[test]
fn revert_with_a_huge_offset_is_an_error_not_a_panic() {
    // Error(string) whose offset word is 2^64-1: decoding must fail cleanly.
    let mut data = vec![0x08, 0xc3, 0x79, 0xa0];
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&[0xff; 8]);
    data.extend_from_slice(&w);
    data.extend_from_slice(&[0u8; 64]);
    let m = Mock::start();
    m.serve_json("/wallet/triggerconstantcontract", &revert_answer(&data));
    let node = m.node();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        node.token_balance(&addr(TOKEN), &addr(OWNER))
    }));
    let r = r.unwrap_or_else(|_| {
        panic!("token_balance panicked on an Error(string) with offset 2^64-1 (answers.rs decode_error_string: `offset + 32` overflows)")
    });
    let msg = err_text(r, "huge offset");
    assert!(msg.contains("reverted: REVERT opcode executed"), "{msg}");
}

fn replay_estimate(r: &Value) {
    let (from, token, to) = (addr(OWNER), addr(TOKEN), addr(RECIPIENT));
    let m = Mock::start();
    m.serve_json("/wallet/estimateenergy", r);
    let e = m
        .node()
        .estimate_transfer_energy(
            &from,
            &token,
            &to,
            U256::from(100u64),
            &any_band(),
            &Seen::default(),
        )
        .unwrap();
    assert_eq!(e, u64_at(r, "/energy_required"));
    assert_eq!(e, 1870);
    let bodies = m.bodies("/wallet/estimateenergy");
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["function_selector"],
        json!("transfer(address,uint256)")
    );
    assert_eq!(
        bodies[0]["parameter"],
        json!(format!(
            "000000000000000000000000{}{:064x}",
            &RECIPIENT[2..],
            100
        ))
    );
    assert_eq!(m.count("/wallet/triggerconstantcontract"), 0);
    // energy_required absent (0) on failure: never an estimate of 0.
    let m = Mock::start();
    m.serve(
        "/wallet/estimateenergy",
        vec![
            Reply::json(&json!({"result": {"result": true}})),
            Reply::json(r),
        ],
    );
    let e = m
        .node()
        .estimate_transfer_energy(
            &from,
            &token,
            &to,
            U256::from(100u64),
            &any_band(),
            &Seen::default(),
        )
        .unwrap();
    assert_eq!((e, m.count("/wallet/estimateenergy")), (1870, 2));
}

#[test]
fn energy_used_already_includes_the_penalty() {
    let (from, token, to) = (addr(OWNER), addr(TOKEN), addr(RECIPIENT));
    for message in [
        hex::encode("this node does not support estimate energy"),
        "this node does not support estimate energy".to_string(),
    ] {
        let m = Mock::start();
        m.serve_json(
            "/wallet/estimateenergy",
            &json!({"result": {"code": "CONTRACT_VALIDATE_ERROR", "message": message}}),
        );
        m.serve_json(
            "/wallet/triggerconstantcontract",
            &json!({
                "result": {"result": true},
                "energy_used": 64285,
                "energy_penalty": 49635,
                "constant_result": [format!("{:064x}", 1)],
                "transaction": {"ret": [{}]},
            }),
        );
        let e = m
            .node()
            .estimate_transfer_energy(
                &from,
                &token,
                &to,
                U256::from(1_000_000u64),
                &any_band(),
                &Seen::default(),
            )
            .unwrap();
        assert_eq!(e, 64285, "energy_used includes the penalty; never add them");
        assert_eq!(m.count("/wallet/estimateenergy"), 1);
        assert_eq!(m.count("/wallet/triggerconstantcontract"), 1);
        assert_eq!(
            m.bodies("/wallet/triggerconstantcontract")[0]["function_selector"],
            json!("transfer(address,uint256)")
        );
    }
    // A transfer that would fail is a definite answer, not retried.
    let m = Mock::start();
    m.serve_json(
        "/wallet/estimateenergy",
        &json!({"result": {"code": "CONTRACT_EXE_ERROR", "message": hex::encode("REVERT opcode executed")}}),
    );
    let msg = err_text(
        m.node().estimate_transfer_energy(
            &from,
            &token,
            &to,
            U256::from(1u64),
            &any_band(),
            &Seen::default(),
        ),
        "CONTRACT_EXE_ERROR",
    );
    assert!(
        msg.contains("would fail: CONTRACT_EXE_ERROR: REVERT opcode executed"),
        "{msg}"
    );
    assert_eq!(m.count("/wallet/estimateenergy"), 1);
}

// ---- broadcasts ----

const TRANSIENT: &[&str] = &[
    "SERVER_BUSY",
    "NO_CONNECTION",
    "NOT_ENOUGH_EFFECTIVE_CONNECTION",
    "BLOCK_UNSOLIDIFIED",
];

const SIGNED: &[u8] = b"\x0a\x02\x28\xc3 signed bytes stand-in";

fn replay_broadcast(r: &Value) {
    let path = "/wallet/broadcasthex";
    let ours = r["txid"]
        .as_str()
        .map_or_else(|| "ab".repeat(32), str::to_string);
    // Expected from the capture itself: result/code/message (hex decoded), or nested `result`.
    let (code, message) = match &r["result"] {
        Value::Object(o) => (
            o["code"].as_str().unwrap().to_string(),
            decode_message(o["message"].as_str().unwrap_or("")),
        ),
        _ => (
            r["code"].as_str().unwrap_or("SUCCESS").to_string(),
            decode_message(r["message"].as_str().unwrap_or("")),
        ),
    };
    let accepted = r["result"] == json!(true) || code == "DUP_TRANSACTION_ERROR";
    let m = Mock::start();
    m.serve_json(path, r);
    let node = m.node();
    let b = node.broadcast_hex(SIGNED, &txid(&ours)).unwrap();
    assert_eq!(
        (b.accepted, b.code.as_str(), b.message.as_str()),
        (accepted, code.as_str(), message.as_str())
    );
    assert_eq!(
        m.bodies(path),
        vec![json!({"transaction": hex::encode(SIGNED)})]
    );
    match code.as_str() {
        "SIGERROR" => assert!(b.message.starts_with("Validate signature error: d887a629")),
        "TAPOS_ERROR" => assert_eq!(b.message, "Tapos check error."),
        "OTHER_ERROR" => assert_eq!(b.message, "other error : The key argument cannot be null"),
        _ => {}
    }
    // A node that computed another txid for our bytes is not trusted (and not retried).
    if let Some(theirs) = r["txid"].as_str() {
        let msg = err_text(
            node.broadcast_hex(SIGNED, &txid(&"cd".repeat(32))),
            "txid mismatch",
        );
        assert!(
            msg.contains(&format!("the node computed txid {theirs}")),
            "{msg}"
        );
        assert_eq!(m.count(path), 2);
    }
}

/// The per-code message table: each key an upper-case response code.
fn is_code_table(r: &Value) -> bool {
    r.as_object().is_some_and(|o| {
        !o.is_empty()
            && o.iter().all(|(k, v)| {
                v.is_string() && k.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
            })
            && !o.contains_key("txid")
    })
}

fn replay_code_table(table: &Value) {
    let mut cases: Vec<(String, Box<dyn FnOnce() + Send>)> = Vec::new();
    for (code, text) in table.as_object().unwrap() {
        let (code, text) = (code.clone(), text.as_str().unwrap().to_string());
        let class = match code.as_str() {
            "DUP_TRANSACTION_ERROR" => "accepted",
            c if TRANSIENT.contains(&c) => "transient",
            "SIGERROR"
            | "CONTRACT_VALIDATE_ERROR"
            | "CONTRACT_EXE_ERROR"
            | "BANDWITH_ERROR"
            | "TAPOS_ERROR"
            | "TOO_BIG_TRANSACTION_ERROR"
            | "TRANSACTION_EXPIRATION_ERROR"
            | "OTHER_ERROR" => "refused",
            other => panic!("no replay case for broadcast code {other}"),
        };
        cases.push((
            code.clone(),
            Box::new(move || broadcast_code_case(&code, &text, class)),
        ));
    }
    run_parallel(cases);
}

fn broadcast_code_case(code: &str, text: &str, class: &str) {
    let path = "/wallet/broadcasthex";
    let ours = "5e".repeat(32);
    // broadcasthex writes result, code and a plain message; broadcasttransaction omits
    // result=false and hex-encodes the message.
    let forms = [
        json!({"result": false, "code": code, "message": text, "txid": ours}),
        json!({"code": code, "message": hex::encode(text), "txid": ours}),
    ];
    let success = json!({"result": true, "code": "SUCCESS", "message": "", "txid": ours});
    for form in forms {
        let m = Mock::start();
        if class == "transient" {
            m.serve(path, vec![Reply::json(&form), Reply::json(&success)]);
            let b = m.node().broadcast_hex(SIGNED, &txid(&ours)).unwrap();
            assert!(b.accepted && b.code == "SUCCESS", "{code}: {b:?}");
            let bodies = m.bodies(path);
            assert_eq!(bodies.len(), 2, "{code}: retried once");
            assert_eq!(bodies[0], bodies[1], "{code}: the same bytes again");
            // Served forever: gives up naming the code and the decoded message.
            let m = Mock::start();
            m.serve_json(path, &form);
            let msg = err_text(m.node().broadcast_hex(SIGNED, &txid(&ours)), code);
            assert!(msg.contains(&format!("{code}: {text}")), "{msg}");
            assert_eq!(m.count(path), 4);
        } else {
            m.serve_json(path, &form);
            let b = m.node().broadcast_hex(SIGNED, &txid(&ours)).unwrap();
            assert_eq!(b.accepted, class == "accepted", "{code}: {b:?}");
            assert_eq!((b.code.as_str(), b.message.as_str()), (code, text));
            assert_eq!(m.count(path), 1, "{code}: a definite answer");
        }
    }
}

// ---- transaction infos ----

fn replay_tx_info(r: &Value) {
    let path = "/walletsolidity/gettransactioninfobyid";
    let mut r = r.clone();
    let id = if let Some(id) = r["id"].as_str() {
        id.to_string()
    } else {
        // A partial capture without its id: not trusted as ours ...
        let id = "5f0f0a37".repeat(8);
        let m = Mock::start();
        m.serve_json(path, &r);
        let msg = err_text(m.node().solid_tx_info(&txid(&id)), "info without id");
        assert!(msg.contains("answer is for another txID"), "{msg}");
        // ... and read in full once the id is there.
        r["id"] = json!(id);
        id
    };
    let m = Mock::start();
    m.serve_json(path, &r);
    let node = m.node();
    let info = node
        .solid_tx_info(&txid(&id))
        .unwrap()
        .expect("a known transaction");
    assert_eq!(m.bodies(path), vec![json!({"value": id})]);
    assert_eq!(info.id.as_deref(), Some(id.as_str()));
    assert_eq!(info.fee, u64_at(&r, "/fee"));
    assert_eq!(info.block_number, u64_at(&r, "/blockNumber"));
    assert_eq!(info.block_time, u64_at(&r, "/blockTimeStamp"));
    let rc = &info.receipt;
    assert_eq!(rc.energy_fee, u64_at(&r, "/receipt/energy_fee"));
    assert_eq!(
        rc.energy_usage_total,
        u64_at(&r, "/receipt/energy_usage_total")
    );
    assert_eq!(
        rc.energy_penalty_total,
        u64_at(&r, "/receipt/energy_penalty_total")
    );
    assert_eq!(rc.net_usage, u64_at(&r, "/receipt/net_usage"));
    assert_eq!(rc.net_fee, u64_at(&r, "/receipt/net_fee"));
    assert_eq!(rc.result.as_deref(), r["receipt"]["result"].as_str());
    assert_eq!(info.result.as_deref(), r["result"].as_str());
    assert_eq!(
        info.fee,
        rc.energy_fee + rc.net_fee,
        "fee = energy_fee + net_fee"
    );
    assert_eq!(info.log.len(), r["log"].as_array().map_or(0, Vec::len));
    match info.block_number {
        66985120 => {
            assert_eq!((info.fee, rc.energy_usage_total), (5254500, 44585));
            assert_eq!(
                info.log[0].address,
                "9ff8fc48fb114ccd5bbdc24a86f0c73082f08825"
            );
        }
        66747568 => {
            assert_eq!(info.result.as_deref(), Some("FAILED"));
            assert_eq!(rc.result.as_deref(), Some("OUT_OF_ENERGY"));
            assert_eq!(rc.energy_fee, (95790 - 32007) * 210);
            assert_eq!(rc.energy_penalty_total, 25905);
            assert!(info.log.is_empty());
            let why = decode_message(info.res_message.as_deref().unwrap());
            assert!(
                why.starts_with("Not enough energy for 'SSTORE' operation executing"),
                "{why}"
            );
        }
        6609475 => {
            assert_eq!(info.fee, 0);
            assert_eq!(info.log[0].address, "THi2qJf6XmvTJSpZHc17HgQsmJop6kb3ia");
            assert_eq!(
                info.log[0].topics[0],
                "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
            );
        }
        0 => {
            // The partial capture: paid from staked energy, penalty part of the total.
            assert_eq!(
                (rc.energy_usage_total, rc.energy_penalty_total, rc.net_usage),
                (64285, 49635, 345)
            );
            assert_eq!(info.fee, 0);
        }
        n => panic!("no replay case for the transaction info of block {n}"),
    }
}

#[test]
fn reverted_transaction_info_is_failed_not_absent() {
    // A REVERTed transfer: in a block, burned its fee, result FAILED.
    let id = "7e".repeat(32);
    let r = json!({
        "id": id, "fee": 3_500_000, "blockNumber": 70_000_000, "blockTimeStamp": 1777000000000u64,
        "contractResult": [hex::encode(error_string("nope"))],
        "receipt": {"energy_fee": 3_155_000, "energy_usage_total": 31550, "net_fee": 345_000, "result": "REVERT"},
        "result": "FAILED", "resMessage": hex::encode("REVERT opcode executed"),
    });
    let m = Mock::start();
    m.serve_json("/walletsolidity/gettransactioninfobyid", &r);
    let info = m.node().solid_tx_info(&txid(&id)).unwrap().unwrap();
    assert_eq!(info.result.as_deref(), Some("FAILED"));
    assert_eq!(info.receipt.result.as_deref(), Some("REVERT"));
    assert_eq!(
        decode_message(info.res_message.as_deref().unwrap()),
        "REVERT opcode executed"
    );
    assert_eq!(info.fee, 3_500_000);
}

#[test]
fn empty_tx_info_is_unknown() {
    let m = Mock::start();
    m.serve_json("/walletsolidity/gettransactioninfobyid", &json!({}));
    assert!(m
        .node()
        .solid_tx_info(&txid(&"01".repeat(32)))
        .unwrap()
        .is_none());
    assert_eq!(m.count("/walletsolidity/gettransactioninfobyid"), 1);
}

fn replay_infos_in_block(e: &Value) {
    let r = &e["response"];
    let path = "/walletsolidity/gettransactioninfobyblocknum";
    let num = e["request"]["num"].as_u64().unwrap();
    let ids: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let m = Mock::start();
    m.serve_json(path, r);
    let node = m.node();
    let infos = node.infos_in_block(num, &[txid(ids[0])]).unwrap();
    assert_eq!(infos.len(), 2);
    for (info, id) in infos.iter().zip(&ids) {
        assert_eq!(info.id.as_deref(), Some(*id));
        assert_eq!((info.fee, info.receipt.net_fee), (267000, 267000));
        assert_eq!(info.block_number, num);
    }
    assert_eq!(m.bodies(path), vec![json!({"num": num})]);
    let all: Vec<TxId> = ids.iter().map(|i| txid(i)).collect();
    assert_eq!(node.infos_in_block(num, &all).unwrap().len(), 2);
    // Ours missing from the answer (or the block asked for is another): a fault.
    let msg = err_text(
        node.infos_in_block(num, &[txid(&"ee".repeat(32))]),
        "missing receipt",
    );
    assert!(msg.contains("missing from the answer"), "{msg}");
    let msg = err_text(node.infos_in_block(num + 1, &[txid(ids[0])]), "other block");
    assert!(msg.contains("missing from the answer"), "{msg}");
    // `[]` is an empty block; `{}` (num <= 0) is not a list.
    let m = Mock::start();
    m.serve_json(path, &json!([]));
    assert!(m.node().infos_in_block(num, &[]).unwrap().is_empty());
    let msg = err_text(m.node().infos_in_block(num, &[txid(ids[0])]), "[]");
    assert!(msg.contains("missing from the answer"), "{msg}");
    let m = Mock::start();
    m.serve_json(path, &json!({}));
    let msg = err_text(m.node().infos_in_block(0, &[]), "{}");
    assert!(msg.contains("unexpected answer shape"), "{msg}");
}

// ---- accounts and parameters ----

fn replay_account(r: &Value) {
    let who = addr(OWNER);
    let m = Mock::start();
    m.serve_json("/wallet/getaccount", r);
    assert_eq!(m.node().trx_balance(&who).unwrap(), 1_793_227_200);
    assert_eq!(
        m.node().trx_balance(&who).unwrap(),
        r["balance"].as_u64().unwrap()
    );
    assert_eq!(
        m.bodies("/wallet/getaccount")[0],
        json!({"address": who.to_base58(), "visible": true})
    );
    // `{}`: not activated, holds 0.
    let m = Mock::start();
    m.serve_json("/wallet/getaccount", &json!({}));
    assert_eq!(m.node().trx_balance(&who).unwrap(), 0);
}

fn replay_resources(r: &Value) {
    let m = Mock::start();
    m.serve_json("/wallet/getaccountresource", r);
    let res = m.node().resources(&addr(OWNER)).unwrap();
    assert_eq!((res.free_net_used, res.free_net_limit), (441, 600));
    assert_eq!(res.free_net_used, u64_at(r, "/freeNetUsed"));
    assert_eq!(res.free_net_limit, u64_at(r, "/freeNetLimit"));
    // Absent means 0.
    assert_eq!(
        (
            res.net_used,
            res.net_limit,
            res.energy_used,
            res.energy_limit
        ),
        (0, 0, 0, 0)
    );
    let m = Mock::start();
    m.serve_json(
        "/wallet/getaccountresource",
        &json!({"freeNetLimit": 600, "NetUsed": 3, "NetLimit": 40, "EnergyUsed": 5, "EnergyLimit": 90000}),
    );
    let res = m.node().resources(&addr(OWNER)).unwrap();
    assert_eq!(
        (
            res.free_net_used,
            res.net_used,
            res.net_limit,
            res.energy_used,
            res.energy_limit
        ),
        (0, 3, 40, 5, 90000)
    );
}

fn replay_chain_params(r: &Value) {
    let path = "/wallet/getchainparameters";
    // The capture ends with the source's "...(first 8 of ~75 entries)" marker, which no node
    // sends: as served it is a malformed answer (refused), without it the real entries.
    let m = Mock::start();
    m.serve_json(path, r);
    let msg = err_text(m.node().fee_params().map(|_| ()), "annotated capture");
    assert!(msg.contains("unexpected answer shape"), "{msg}");

    let mut entries: Vec<Value> = r["chainParameter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p.is_object())
        .cloned()
        .collect();
    assert_eq!(entries.len(), 8);
    let raw: ChainParameters = serde_json::from_value(json!({"chainParameter": entries})).unwrap();
    for e in &entries {
        assert_eq!(
            raw.get(e["key"].as_str().unwrap()),
            e["value"].as_u64(),
            "{e}"
        );
    }
    assert_eq!(raw.get("getTransactionFee"), Some(1000));
    assert_eq!(raw.get("getMaintenanceTimeInterval"), Some(1_800_000));
    // The captured 8 lack the energy price and other fee parameters: that answer is a fault
    // on every try, then a refusal naming them (never a built-in price).
    let m = Mock::start();
    m.serve_json(path, &json!({"chainParameter": entries}));
    let msg = err_text(m.node().fee_params().map(|_| ()), "8 captured entries");
    assert!(
        msg.contains("no usable chain parameters")
            && msg.contains("getEnergyFee is missing")
            && msg.contains("getMemoFee is missing"),
        "{msg}"
    );
    assert!(m.count(path) > 1, "retried");

    // With the fee parameters, and a 0 printed without "value".
    entries.push(json!({"key": "getEnergyFee", "value": 100}));
    entries.push(json!({"key": "getMemoFee"}));
    for k in ["getMultiSignFee", "getUpdateAccountPermissionFee"] {
        entries.push(json!({"key": k, "value": 1_000_000}));
    }
    entries.push(json!({"key": "getTotalSignNum", "value": 5}));
    let m = Mock::start();
    m.serve_json(path, &json!({"chainParameter": entries}));
    let node = m.node();
    let p = node.fee_params().unwrap();
    assert_eq!((p.energy_sun, p.bandwidth_sun, p.memo_sun), (100, 1000, 0));
    // Fetched once per run.
    node.fee_params().unwrap();
    assert_eq!(m.count(path), 1);
}

// ---- other endpoints coldpay does not call (read as plain answers) ----

fn replay_prices(endpoint: &str, r: &Value) {
    let m = Mock::start();
    m.serve_json(endpoint, r);
    let v: Value = m.node().get_typed(endpoint, &json!({})).unwrap();
    let history: Vec<(u64, u64)> = v["prices"]
        .as_str()
        .unwrap()
        .split(',')
        .map(|p| {
            let (at, price) = p.split_once(':').unwrap();
            (at.parse().unwrap(), price.parse().unwrap())
        })
        .collect();
    assert!(history.windows(2).all(|w| w[0].0 < w[1].0));
    let last = history.last().unwrap().1;
    match endpoint {
        "/wallet/getenergyprices" => assert_eq!(last, 100),
        _ => assert_eq!(last, 1000),
    }
}

fn raw_get(endpoint: &str, r: &Value) -> Result<Value, BodyError> {
    let m = Mock::start();
    m.serve_json(endpoint, r);
    m.node().get(endpoint, &json!({}), Verdict::Ok).unwrap()
}

fn replay_sign_weight(r: &Value) {
    // NOT_ENOUGH_PERMISSION sits where error bodies put their code: classify reports it.
    assert_eq!(
        raw_get("/wallet/getsignweight", r),
        Err(BodyError::Result {
            code: "NOT_ENOUGH_PERMISSION".into(),
            message: String::new()
        })
    );
    // ENOUGH_PERMISSION (= 0) is omitted: an empty result object is not an error.
    let mut ok = r.clone();
    ok["result"] = json!({});
    assert!(raw_get("/wallet/getsignweight", &ok).is_ok());
}

fn replay_approved_list(r: &Value) {
    let v = raw_get("/wallet/getapprovedlist", r).unwrap();
    assert_eq!(v["approved_list"][0], json!(OWNER));
}

// ---- error bodies ----

/// An error body is a fault: retried (then the good answer is used), and served forever it
/// makes the call give up with the decoded message.
fn assert_retried_fault(reply: &Reply, expect_in_error: &str, opts: fn() -> NodeOpts) {
    let good = captured("/wallet/getaccount");
    let who = addr(OWNER);
    let m = Mock::start();
    m.serve(
        "/wallet/getaccount",
        vec![reply.clone(), Reply::json(&good)],
    );
    assert_eq!(
        m.node_with(opts()).trx_balance(&who).unwrap(),
        1_793_227_200
    );
    assert_eq!(m.count("/wallet/getaccount"), 2);
    let m = Mock::start();
    m.serve("/wallet/getaccount", vec![reply.clone()]);
    let node = m.node_with(opts());
    let msg = err_text(node.trx_balance(&who), expect_in_error);
    assert!(msg.contains(expect_in_error), "{msg}");
    assert!(msg.contains("no usable answer after 4 tries"), "{msg}");
    assert_eq!(m.count("/wallet/getaccount"), 4);
    assert_eq!(node.faults(), 4);
}

fn local_opts() -> NodeOpts {
    NodeOpts {
        network: Network::Local,
        genesis: None,
        max_attempts: 4,
        ..Default::default()
    }
}

/// As [`local_opts`], honouring at most 1 s of a node's "suspended for 30s".
/// A band that accepts the small estimates of the captures (a `balanceOf`-sized 1,870).
fn any_band() -> Band {
    let token = coldpay_broadcaster::tokens::Token {
        min_energy: 1,
        max_energy: 1_000_000,
        ..coldpay_broadcaster::tokens::Token::usdt(Network::Mainnet)
    };
    Band::new(&token, true, &[])
}

fn short_wait_opts() -> NodeOpts {
    NodeOpts {
        max_wait: Duration::from_secs(1),
        ..local_opts()
    }
}

fn replay_rate_limits(r: &Value) {
    for (k, body) in r.as_object().unwrap() {
        match k.as_str() {
            // `{"Error": ...}` with HTTP 200.
            "fullnode_api_rate_limited" => {
                let text = body["Error"].as_str().unwrap();
                assert_retried_fault(
                    &Reply::json(body),
                    &format!("node error: {text}"),
                    short_wait_opts,
                );
                // And with the HTTP 429 TronGrid uses today.
                assert_retried_fault(
                    &Reply::text(429, &body.to_string()),
                    "HTTP 429 rate limited",
                    short_wait_opts,
                );
            }
            // The v1 API's form arrives with its HTTP status (403).
            "v1_api_rate_limited" => {
                let status = u16::try_from(body["statusCode"].as_u64().unwrap()).unwrap();
                assert_retried_fault(
                    &Reply::text(status, &body.to_string()),
                    &format!("HTTP {status} rate limited"),
                    short_wait_opts,
                );
            }
            other => panic!("no replay case for rate-limit form {other}"),
        }
    }
}

fn replay_servlet_errors(r: &Value) {
    for (k, body) in r.as_object().unwrap() {
        match k.as_str() {
            "generic" | "node_rate_limit" => {
                let text = body["Error"].as_str().unwrap();
                assert_retried_fault(
                    &Reply::json(body),
                    &format!("node error: {text}"),
                    local_opts,
                );
            }
            other => panic!("no replay case for servlet error {other}"),
        }
    }
}

#[test]
fn garbage_answers_are_retried() {
    let cases: Vec<(&str, Reply, &str)> = vec![
        (
            "html",
            Reply::text(200, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
            "answer is not JSON: <html>",
        ),
        (
            "truncated",
            Reply::text(
                200,
                r#"{"address":"41dd791d6b49e190062d650e6a23c575510d35f2f9","bal"#,
            ),
            "answer is not JSON",
        ),
        (
            "http 500",
            Reply::text(500, "Internal Server Error"),
            "HTTP 500: Internal Server Error",
        ),
        (
            "http 429",
            Reply::text(429, "Too Many Requests").header("Retry-After", "1"),
            "HTTP 429 rate limited",
        ),
        (
            "http 503 retry-after",
            Reply::text(503, "").header("Retry-After", "1"),
            "HTTP 503 rate limited",
        ),
        (
            "array for an object",
            Reply::json(&json!([1, 2])),
            "unexpected answer shape",
        ),
    ];
    let cases = cases
        .into_iter()
        .map(|(name, reply, expect)| {
            let f: Box<dyn FnOnce() + Send> =
                Box::new(move || assert_retried_fault(&reply, expect, short_wait_opts));
            (name.to_string(), f)
        })
        .collect();
    run_parallel(cases);
}

#[test]
fn retry_after_is_honoured() {
    let m = Mock::start();
    m.serve(
        "/wallet/getaccount",
        vec![
            Reply::text(429, "").header("Retry-After", "1"),
            Reply::json(&captured("/wallet/getaccount")),
        ],
    );
    let t = std::time::Instant::now();
    assert_eq!(m.node().trx_balance(&addr(OWNER)).unwrap(), 1_793_227_200);
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(m.count("/wallet/getaccount"), 2);
}

/// An answer that is neither the account nor `{}` must not read as an empty account.
#[test]
fn unrecognised_error_object_is_not_a_zero_balance() {
    let body = captured("(any TronGrid endpoint)")["v1_api_rate_limited"].clone();
    let m = Mock::start();
    m.serve_json("/wallet/getaccount", &body);
    let r = m.node().trx_balance(&addr(OWNER));
    assert!(
        !matches!(r, Ok(0)),
        "{body} with HTTP 200 was read as a balance of 0"
    );
}

// ---- the network binding ----

#[test]
fn another_chain_is_refused_with_exit_6() {
    let (_, local) = local_genesis();
    // A local journal that recorded another genesis.
    let mut other = local;
    other[31] ^= 1;
    let m = Mock::start();
    m.serve_json("/wallet/getaccount", &captured("/wallet/getaccount"));
    let node = m.node_with(NodeOpts {
        genesis: Some(other),
        ..local_opts()
    });
    let e = node.trx_balance(&addr(OWNER)).unwrap_err();
    assert_eq!(e.exit_code(), 6, "{e}");
    let msg = e.to_string();
    assert!(msg.contains(&hex::encode(local)), "{msg}");
    assert!(msg.contains("refusing to use it"), "{msg}");
    assert_eq!(m.count("/wallet/getaccount"), 0, "nothing asked of it");

    // A mainnet journal against this (local) node.
    for net in [Network::Mainnet, Network::Nile, Network::Shasta] {
        let node = m.node_with(NodeOpts {
            network: net,
            ..local_opts()
        });
        let e = node.trx_balance(&addr(OWNER)).unwrap_err();
        assert_eq!(e.exit_code(), 6, "{net}: {e}");
        assert!(e.to_string().contains("serves another chain"), "{e}");
    }

    // A local journal that recorded mainnet's genesis, against this node.
    let mainnet = coldpay_broadcaster::node::network::genesis_of(Network::Mainnet).unwrap();
    let node = m.node_with(NodeOpts {
        genesis: Some(mainnet),
        ..local_opts()
    });
    let e = node.trx_balance(&addr(OWNER)).unwrap_err();
    assert_eq!(e.exit_code(), 6, "{e}");
    assert!(e.to_string().contains(&hex::encode(mainnet)), "{e}");
}

#[test]
fn a_forged_mainnet_block_zero_is_not_believed() {
    // A block 0 listing that claims mainnet's blockID but whose header does not hash to it:
    // the endpoint cannot be bound (a node fault, exit 1), whatever the journal's network.
    let (mut forged, _) = local_genesis();
    forged["blockID"] = json!(hex::encode(
        coldpay_broadcaster::node::network::genesis_of(Network::Mainnet).unwrap()
    ));
    let m = Mock::with_genesis(forged);
    m.serve_json("/wallet/getaccount", &captured("/wallet/getaccount"));
    for (network, genesis) in [(Network::Local, Some([7u8; 32])), (Network::Mainnet, None)] {
        let node = m.node_with(NodeOpts {
            network,
            genesis,
            max_attempts: 1,
            ..Default::default()
        });
        let e = node.trx_balance(&addr(OWNER)).unwrap_err();
        assert_eq!(e.exit_code(), 1, "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("cannot read its genesis block") && msg.contains("blockID does not match"),
            "{msg}"
        );
    }
    assert_eq!(m.count("/wallet/getaccount"), 0);
}

#[test]
fn networks_json_matches_the_client_table() {
    for n in data("networks.json")["networks"].as_array().unwrap() {
        let name = n["network"].as_str().unwrap();
        let id = coldpay_broadcaster::node::network::genesis_of(name.parse().unwrap()).unwrap();
        assert_eq!(hex::encode(id), n["genesis_block_id"].as_str().unwrap());
        assert_eq!(
            format!("0x{}", hex::encode(&id[28..])),
            n["evm_chain_id"].as_str().unwrap()
        );
    }
}
