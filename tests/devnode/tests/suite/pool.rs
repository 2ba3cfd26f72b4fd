//! The pool proxy in front of a dev node: every fault at rate 1.0 produces its shape, and with
//! no faults the answers are the upstream's, byte for byte.

use crate::common;

use std::collections::BTreeSet;
use std::time::Instant;

use coldpay_devnode::pool::{block_id, block_number, header_raw_bytes, Pool, PoolFaults};
use coldpay_devnode::{Devnode, Genesis};
use coldpay_shared::{SignedTransaction, TxId};
use common::{
    addr, broadcasthex_body, devnode, devnode_and_pool, funded_genesis, key, sign, spawn_devnode,
    stop, tapos, trx_transfer,
};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};

/// One raw answer.
struct Answer {
    status: u16,
    body: String,
    content_type: String,
    retry_after: Option<String>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

struct Setup {
    node: Devnode,
    pool: Pool,
    sender: SigningKey,
}

fn setup(faults: PoolFaults) -> Setup {
    let sender = key(1);
    let (node, pool) = devnode_and_pool(funded_genesis(&sender), faults);
    Setup { node, pool, sender }
}

/// A setup, and the URL of its pool.
fn setup_with_url(faults: PoolFaults) -> (Setup, String) {
    let s = setup(faults);
    let p = s.pool.url();
    (s, p)
}

fn request(base: &str, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let req = ureq::request(method, &format!("{base}{path}"));
    let result = match body {
        Some(b) => req.send_string(&b.to_string()),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    Answer {
        status: resp.status(),
        content_type: resp.content_type().to_string(),
        retry_after: resp.header("Retry-After").map(str::to_string),
        body: resp.into_string().unwrap(),
    }
}

fn post(base: &str, path: &str, body: &Value) -> Answer {
    request(base, "POST", path, Some(body))
}

fn post_json(base: &str, path: &str, body: &Value) -> Value {
    post(base, path, body).json()
}

/// `count` answers to `POST /wallet/getnowblock`, each asked for when the iterator gets to it.
fn now_blocks(base: &str, count: usize) -> impl Iterator<Item = Answer> + '_ {
    (0..count).map(move |_| post(base, "/wallet/getnowblock", &json!({})))
}

fn number(block: &Value) -> u64 {
    block_number(block).unwrap_or_else(|| panic!("not a block: {block}"))
}

fn mine(base: &str, blocks: u32) {
    post(base, "/admin/mine", &json!({ "blocks": blocks }));
}

/// A signed TRX transfer from `from`, referencing the solidified block.
fn signed_transfer(base: &str, from: &SigningKey, sun: u64) -> (SignedTransaction, TxId) {
    let reference = tapos(
        &post_json(base, "/walletsolidity/getnowblock", &json!({})),
        &post_json(base, "/wallet/getnowblock", &json!({})),
    );
    let raw = trx_transfer(from, addr(&key(2)), sun, reference, 0);
    (sign(&raw, &[from]), raw.txid())
}

fn broadcast(base: &str, tx: &SignedTransaction) -> Value {
    post_json(base, "/wallet/broadcasthex", &broadcasthex_body(tx))
}

/// Sends one transfer straight to the node and mines it; returns its txid and block.
fn included_transfer(s: &Setup, sun: u64) -> (TxId, u64) {
    let (tx, txid) = signed_transfer(&s.node.url(), &s.sender, sun);
    assert_eq!(broadcast(&s.node.url(), &tx)["result"], true);
    s.node.mine(1);
    (txid, s.node.head())
}

fn fired(pool: &Pool, kind: &str) -> u64 {
    pool.stats()["faults"][kind].as_u64().unwrap_or(0)
}

fn ledger_has(base: &str, txid: &TxId) -> bool {
    let ledger = request(base, "GET", "/admin/ledger", None).json();
    ledger["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["txid"] == txid.to_hex())
}

/// Checks blockID = 8-byte number ‖ sha256(BlockHeader.raw)[8..].
fn id_rule_holds(block: &Value, visible: bool) -> bool {
    let raw = header_raw_bytes(&block["block_header"]["raw_data"], visible).unwrap();
    block["blockID"] == hex::encode(block_id(number(block), &raw))
}

#[test]
fn without_faults_answers_are_the_upstreams() {
    let s = setup(PoolFaults::default());
    let (txid, block) = included_transfer(&s, 1_000_000);
    s.node.mine(25);
    let (node, pool) = (s.node.url(), s.pool.url());
    let sender = addr(&s.sender).to_base58();
    let calls: Vec<(&str, &str, Option<Value>)> = vec![
        ("POST", "/wallet/getnowblock", Some(json!({}))),
        ("GET", "/wallet/getnowblock?visible=true", None),
        ("POST", "/walletsolidity/getnowblock", Some(json!({}))),
        ("POST", "/wallet/getblockbynum", Some(json!({"num": block}))),
        (
            "POST",
            "/wallet/getblock",
            Some(json!({"id_or_num": block.to_string(), "detail": true})),
        ),
        (
            "POST",
            "/wallet/getblockbylimitnext",
            Some(json!({"startNum": 0, "endNum": 30})),
        ),
        (
            "POST",
            "/wallet/gettransactionbyid",
            Some(json!({"value": txid.to_hex()})),
        ),
        (
            "POST",
            "/walletsolidity/gettransactioninfobyid",
            Some(json!({"value": txid.to_hex()})),
        ),
        (
            "POST",
            "/wallet/gettransactioninfobyblocknum",
            Some(json!({ "num": block })),
        ),
        (
            "POST",
            "/wallet/getaccount",
            Some(json!({"address": sender, "visible": true})),
        ),
        ("GET", "/wallet/getchainparameters", None),
        ("GET", "/wallet/getnodeinfo", None),
        (
            "POST",
            "/wallet/broadcasthex",
            Some(json!({"transaction": "0a00"})),
        ),
        ("POST", "/wallet/getblockbynum", Some(json!({}))),
        ("GET", "/admin/stats", None),
    ];
    for (method, path, body) in &calls {
        let a = request(&node, method, path, body.as_ref());
        let b = request(&pool, method, path, body.as_ref());
        assert_eq!(a.status, b.status, "{path}");
        assert_eq!(a.content_type, b.content_type, "{path}");
        if *path != "/admin/stats" {
            assert_eq!(a.body, b.body, "{path}");
        }
    }
    let stats = s.pool.stats();
    assert_eq!(stats["requests"]["/wallet/getnowblock"], 2);
    assert_eq!(stats["total"], calls.len() - 1);
    assert_eq!(stats["faults"], json!({}));
}

#[test]
fn empty_member_answers_empty_objects_and_lists() {
    let s = setup(PoolFaults::default());
    let (txid, block) = included_transfer(&s, 1_000_000);
    s.pool.set_faults(PoolFaults {
        empty_rate: 1.0,
        ..PoolFaults::default()
    });
    let p = s.pool.url();
    let v = json!({"value": txid.to_hex()});
    for prefix in ["/wallet", "/walletsolidity"] {
        for (path, body) in [
            ("getblockbynum", json!({ "num": block })),
            ("getblock", json!({"id_or_num": block.to_string()})),
            ("getblockbylimitnext", json!({"startNum": 0, "endNum": 3})),
            ("gettransactionbyid", v.clone()),
            ("gettransactioninfobyid", v.clone()),
        ] {
            let a = post(&p, &format!("{prefix}/{path}"), &body);
            assert_eq!((a.status, a.body.as_str()), (200, "{}"), "{prefix}/{path}");
        }
        let a = post(
            &p,
            &format!("{prefix}/gettransactioninfobyblocknum"),
            &json!({ "num": block }),
        );
        assert_eq!(a.body, "[]");
    }
    // getnowblock always has an answer.
    assert_eq!(number(&post_json(&p, "/wallet/getnowblock", &json!({}))), 1);
    assert_eq!(fired(&s.pool, "empty"), 12);
}

#[test]
fn lagging_member_is_lag_blocks_behind() {
    let s = setup(PoolFaults::default());
    s.node.mine(28);
    let (txid, block) = included_transfer(&s, 1_000_000);
    s.node.mine(1);
    assert_eq!((block, s.node.head()), (29, 30));
    s.pool.set_faults(PoolFaults {
        lag_rate: 1.0,
        lag_blocks: 5,
        ..PoolFaults::default()
    });
    let p = s.pool.url();
    for visible in [false, true] {
        let b = post_json(&p, "/wallet/getnowblock", &json!({ "visible": visible }));
        assert_eq!(number(&b), 25);
        assert!(id_rule_holds(&b, visible));
    }
    // Solid head is 30 - 19 = 11 upstream.
    let solid = post_json(&p, "/walletsolidity/getnowblock", &json!({}));
    assert_eq!(number(&solid), 6);
    assert_eq!(
        number(&post_json(&p, "/wallet/getblockbynum", &json!({"num": 20}))),
        20
    );
    assert_eq!(
        post(&p, "/wallet/getblockbynum", &json!({"num": 26})).body,
        "{}"
    );
    assert_eq!(
        post(&p, "/walletsolidity/getblockbynum", &json!({"num": 7})).body,
        "{}"
    );
    assert_eq!(
        number(&post_json(&p, "/wallet/getblock", &json!({}))),
        25,
        "getblock without id_or_num is the member's head"
    );
    assert_eq!(
        post(&p, "/wallet/getblock", &json!({"id_or_num": "27"})).body,
        "{}"
    );
    let range = post_json(
        &p,
        "/wallet/getblockbylimitnext",
        &json!({"startNum": 20, "endNum": 31}),
    );
    let nums: Vec<u64> = range["block"]
        .as_array()
        .unwrap()
        .iter()
        .map(number)
        .collect();
    assert_eq!(nums, (20..=25).collect::<Vec<_>>());
    assert_eq!(
        post(
            &p,
            "/wallet/getblockbylimitnext",
            &json!({"startNum": 26, "endNum": 31})
        )
        .body,
        "{}"
    );
    let v = json!({"value": txid.to_hex()});
    assert_eq!(post(&p, "/wallet/gettransactioninfobyid", &v).body, "{}");
    assert_eq!(post(&p, "/wallet/gettransactionbyid", &v).body, "{}");
    assert_eq!(
        post(
            &p,
            "/wallet/gettransactioninfobyblocknum",
            &json!({ "num": block })
        )
        .body,
        "[]"
    );
    assert!(fired(&s.pool, "lag") >= 10);
    // An honest, current member again.
    s.pool.set_faults(PoolFaults::default());
    assert_eq!(
        post_json(&p, "/wallet/gettransactioninfobyid", &v)["blockNumber"],
        29
    );
    assert_eq!(
        post_json(&p, "/wallet/gettransactionbyid", &v)["txID"],
        txid.to_hex()
    );
    assert_eq!(
        number(&post_json(&p, "/wallet/getnowblock", &json!({}))),
        30
    );
}

#[test]
fn stripped_blocks_keep_headers_only() {
    let s = setup(PoolFaults::default());
    let (_, block) = included_transfer(&s, 1_000_000);
    let p = s.pool.url();
    let real = post_json(&s.node.url(), "/wallet/getnowblock", &json!({}));
    assert!(real["transactions"].is_array());
    s.pool.set_faults(PoolFaults {
        strip_txs_rate: 1.0,
        ..PoolFaults::default()
    });
    let b = post_json(&p, "/wallet/getnowblock", &json!({}));
    assert!(b.get("transactions").is_none());
    assert_eq!(b["block_header"], real["block_header"]);
    assert_eq!(b["blockID"], real["blockID"]);
    let b = post_json(&p, "/wallet/getblockbynum", &json!({ "num": block }));
    assert!(b.get("transactions").is_none() && b.get("blockID").is_some());
    let b = post_json(
        &p,
        "/wallet/getblock",
        &json!({"id_or_num": block.to_string(), "detail": true}),
    );
    assert!(b.get("transactions").is_none() && b.get("blockID").is_some());
    let r = post_json(
        &p,
        "/wallet/getblockbylimitnext",
        &json!({"startNum": 0, "endNum": 5}),
    );
    let blocks = r["block"].as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    assert!(blocks.iter().all(|b| b.get("transactions").is_none()));
    assert_eq!(fired(&s.pool, "strip_txs"), 4);
}

#[test]
fn garbage_comes_in_every_kind_but_not_for_broadcasts() {
    let (s, p) = setup_with_url(PoolFaults {
        garbage_rate: 1.0,
        seed: 7,
        ..PoolFaults::default()
    });
    let mut seen = BTreeSet::new();
    for a in now_blocks(&p, 12) {
        assert_eq!(a.status, 200);
        seen.insert(classify(&a));
    }
    let call = json!({"owner_address": addr(&s.sender).to_base58(), "contract_address": coldpay_shared::MAINNET_USDT, "function_selector": "balanceOf(address)", "parameter": "00", "visible": true});
    for path in ["triggerconstantcontract", "estimateenergy"] {
        for _ in 0..6 {
            let a = post(&p, &format!("/wallet/{path}"), &call);
            seen.insert(classify(&a));
        }
    }
    let kinds: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(
        kinds,
        [
            "frequency",
            "html",
            "lack_of_resources",
            "no_estimate",
            "plain",
            "truncated"
        ]
    );
    // Broadcasts are forwarded: the node's own answer (a decoding error here).
    let b = post_json(&p, "/wallet/broadcasthex", &json!({"transaction": "0a00"}));
    assert_eq!(b["result"], false);
    assert!(b["code"].is_string());
}

fn classify(a: &Answer) -> String {
    if a.content_type.starts_with("text/html") {
        assert!(a
            .body
            .starts_with("<html><head><title>502 Bad Gateway</title></head><body>"));
        return "html".into();
    }
    if a.body == "upstream connect error or disconnect/reset before headers" {
        return "plain".into();
    }
    let Ok(v) = serde_json::from_str::<Value>(&a.body) else {
        assert!(a.body.starts_with('{'), "{}", a.body);
        return "truncated".into();
    };
    if let Some(e) = v["Error"].as_str() {
        if e.starts_with("The key exceeds the frequency limit(30)") {
            return "frequency".into();
        }
        if e.ends_with("lack of computing resources") {
            return "lack_of_resources".into();
        }
    }
    if v["result"]["code"] == "CONTRACT_VALIDATE_ERROR" {
        let msg = hex::decode(v["result"]["message"].as_str().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(msg).unwrap(),
            "Contract validate error : this node does not support estimate energy"
        );
        return "no_estimate".into();
    }
    format!("unexpected: {}", a.body)
}

#[test]
fn http_errors_are_5xx_with_html_or_json() {
    let s = setup(PoolFaults {
        http_error_rate: 1.0,
        seed: 11,
        ..PoolFaults::default()
    });
    let mut statuses = BTreeSet::new();
    let mut types = BTreeSet::new();
    for a in now_blocks(&s.pool.url(), 40) {
        statuses.insert(a.status);
        types.insert(a.content_type.clone());
        if a.content_type == "application/json" {
            assert!(a.json()["Error"].is_string());
        } else {
            assert!(a.body.starts_with("<html>"));
        }
    }
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [500, 502, 503]);
    assert_eq!(types.len(), 2);
    // The node never saw them; admin paths are not faulted.
    assert_eq!(s.node.stats()["total"], 0);
    assert_eq!(fired(&s.pool, "http_error"), 40);
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let (_s, p) = setup_with_url(PoolFaults {
        rate_limit_per_s: Some(3),
        ..PoolFaults::default()
    });
    let answers: Vec<Answer> = (0..8)
        .map(|_| request(&p, "GET", "/wallet/getnowblock", None))
        .collect();
    let limited: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(limited.len() >= 4, "{}", limited.len());
    for a in limited {
        assert_eq!(a.retry_after.as_deref(), Some("1"));
        assert!(a.json()["Error"]
            .as_str()
            .unwrap()
            .starts_with("The key exceeds the frequency limit(3)"));
    }
}

#[test]
fn latency_with_jitter_delays_answers() {
    let s = setup(PoolFaults {
        latency_ms: 80,
        latency_jitter_ms: 40,
        ..PoolFaults::default()
    });
    let t = Instant::now();
    request(&s.pool.url(), "GET", "/wallet/getnowblock", None);
    let ms = t.elapsed().as_millis();
    assert!(ms >= 80, "{ms}");
    assert_eq!(fired(&s.pool, "latency"), 1);
}

#[test]
fn swallowed_broadcast_looks_accepted_but_never_lands() {
    let (s, p) = setup_with_url(PoolFaults {
        swallow_rate: 1.0,
        ..PoolFaults::default()
    });
    let (tx, txid) = signed_transfer(&p, &s.sender, 1_000_000);
    let r = broadcast(&p, &tx);
    assert_eq!(
        r,
        json!({"result": true, "code": "SUCCESS", "message": "", "transaction": "{}", "txid": txid.to_hex()})
    );
    mine(&p, 3);
    assert!(!ledger_has(&p, &txid));
    assert_eq!(
        post(
            &p,
            "/wallet/gettransactioninfobyid",
            &json!({"value": txid.to_hex()})
        )
        .body,
        "{}"
    );
    assert_eq!(
        s.node.stats()["requests"]["/wallet/broadcasthex"],
        Value::Null
    );
    // The same kind of transfer lands when the pool forwards it.
    s.pool.set_faults(PoolFaults::default());
    let (tx, txid) = signed_transfer(&p, &s.sender, 2_000_000);
    assert_eq!(broadcast(&p, &tx)["result"], true);
    mine(&p, 1);
    assert!(ledger_has(&p, &txid));
    assert_eq!(fired(&s.pool, "swallow"), 1);
}

#[test]
fn forked_head_is_self_consistent_but_not_on_the_chain() {
    let s = setup(PoolFaults::default());
    s.node.mine(25);
    included_transfer(&s, 1_000_000);
    s.pool.set_faults(PoolFaults {
        fork_rate: 1.0,
        ..PoolFaults::default()
    });
    for path in ["/wallet/getnowblock", "/walletsolidity/getnowblock"] {
        for visible in [false, true] {
            let body = json!({ "visible": visible });
            let real = post_json(&s.node.url(), path, &body);
            let forged = post_json(&s.pool.url(), path, &body);
            assert!(id_rule_holds(&real, visible), "the rule checker itself");
            assert_eq!(number(&forged), number(&real));
            assert_ne!(forged["blockID"], real["blockID"]);
            assert!(id_rule_holds(&forged, visible), "{path} {visible}");
            let (fr, rr) = (
                &forged["block_header"]["raw_data"],
                &real["block_header"]["raw_data"],
            );
            assert_eq!(
                fr["timestamp"].as_u64(),
                rr["timestamp"].as_u64().map(|t| t + 1)
            );
            assert_eq!(fr["txTrieRoot"], "0".repeat(64));
            assert_eq!(fr["parentHash"], rr["parentHash"]);
            assert_eq!(fr["witness_address"], rr["witness_address"]);
            assert!(forged.get("transactions").is_none());
            // Not on the chain: the real node does not know this blockID.
            let lookup = post_json(
                &s.node.url(),
                "/wallet/getblock",
                &json!({"id_or_num": forged["blockID"]}),
            );
            assert_eq!(lookup, json!({}));
        }
    }
    assert_eq!(fired(&s.pool, "fork"), 4);
}

#[test]
fn stalled_solid_head_stays_while_blocks_are_mined() {
    let (s, p) = setup_with_url(PoolFaults::default());
    mine(&p, 25);
    s.pool.set_faults(PoolFaults {
        stall_solid: true,
        ..PoolFaults::default()
    });
    assert_eq!(
        number(&post_json(&p, "/walletsolidity/getnowblock", &json!({}))),
        6
    );
    mine(&p, 10);
    let solid = post_json(&p, "/walletsolidity/getnowblock", &json!({}));
    assert_eq!(number(&solid), 6);
    assert_eq!(
        number(&post_json(
            &s.node.url(),
            "/walletsolidity/getnowblock",
            &json!({})
        )),
        16
    );
    assert_eq!(
        number(&post_json(&p, "/wallet/getnowblock", &json!({}))),
        35
    );
    assert_eq!(
        post(&p, "/walletsolidity/getblockbynum", &json!({"num": 7})).body,
        "{}"
    );
    assert_eq!(
        number(&post_json(
            &p,
            "/walletsolidity/getblockbynum",
            &json!({"num": 6})
        )),
        6
    );
    assert_eq!(
        post(
            &p,
            "/walletsolidity/gettransactioninfobyblocknum",
            &json!({"num": 10})
        )
        .body,
        "[]"
    );
    // Through the admin endpoint: clearing the flag lets the head move on.
    let f = post_json(&p, "/admin/pool-faults", &json!({}));
    assert_eq!(f["stall_solid"], false);
    assert_eq!(
        number(&post_json(&p, "/walletsolidity/getnowblock", &json!({}))),
        16
    );
}

#[test]
fn admin_endpoints_set_faults_and_report_stats() {
    let (s, p) = setup_with_url(PoolFaults::default());
    let f = request(&p, "POST", "/admin/pool-faults", None).json();
    assert_eq!(f, serde_json::to_value(PoolFaults::default()).unwrap());
    let f = post_json(
        &p,
        "/admin/pool-faults",
        &json!({"empty_rate": 1.0, "seed": 3}),
    );
    assert_eq!(f["empty_rate"], 1.0);
    assert_eq!(s.pool.faults().seed, 3);
    let bad = post(&p, "/admin/pool-faults", &json!({"no_such_fault": 1}));
    assert_eq!(bad.status, 400);
    assert_eq!(s.pool.faults().empty_rate.to_bits(), 1.0f64.to_bits());
    post(&p, "/wallet/getblockbynum", &json!({"num": 0}));
    let stats = request(&p, "GET", "/admin/pool-stats", None).json();
    assert_eq!(stats["faults"]["empty"], 1);
    assert_eq!(stats["requests"]["/wallet/getblockbynum"], 1);
    assert_eq!(stats["total"], 1);
    // Other admin paths reach the node.
    assert_eq!(
        post_json(&p, "/admin/mine", &json!({"blocks": 2}))["head"],
        2
    );
    assert_eq!(s.node.head(), 2);
}

#[test]
fn the_same_seed_gives_the_same_faults() {
    let pattern = |seed| {
        let s = setup(PoolFaults {
            http_error_rate: 0.5,
            seed,
            ..PoolFaults::default()
        });
        (0..20)
            .map(|_| request(&s.pool.url(), "GET", "/wallet/getnowblock", None).status)
            .collect::<Vec<_>>()
    };
    let a = pattern(42);
    assert_eq!(a, pattern(42));
    assert!(a.contains(&200) && a.iter().any(|s| *s >= 500));
}

#[test]
fn binary_pool_subcommand_prints_its_url_and_forwards() {
    let node = devnode(Genesis::default());
    let (child, url) = spawn_devnode(&[
        "pool",
        "--upstream",
        &node.url(),
        "--port",
        "0",
        "--faults",
        r#"{"strip_txs_rate": 1.0}"#,
    ]);
    mine(&url, 3);
    assert_eq!(node.head(), 3);
    let f = request(&url, "GET", "/admin/pool-faults", None).json();
    assert_eq!(f["strip_txs_rate"], 1.0);
    stop(child);
}
