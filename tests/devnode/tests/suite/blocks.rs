//! The dev node's block listings pass coldpay-shared's block verification: blockIDs and
//! txTrieRoots are computed as java-tron computes them, for every endpoint that lists blocks.

use crate::common;

use coldpay_devnode::Genesis;
use coldpay_shared::block::{verify_block, verify_range, VerifiedBlock};
use coldpay_shared::{Address, RawData, RefBlock, TxId};
use common::{
    addr, broadcasthex_body, funded_genesis, key, sign, trx_transfer, usdt_transfer, Node,
};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};

/// This module's requests to the node (a trait: each test module has its own).
trait NodeExt {
    fn post(&self, path: &str, body: &Value) -> Value;
    fn solid_ref(&self) -> (RefBlock, u64);
    fn send(&self, raw: &RawData, keys: &[&SigningKey]);
    fn trx(&self, from: &SigningKey, to: Address, sun: u64, salt: u64) -> RawData;
    fn usdt(&self, from: &SigningKey, to: Address, units: u64, fee_limit: u64) -> RawData;
    fn by_num(&self, n: u64, visible: bool) -> Value;
}

impl NodeExt for Node {
    fn post(&self, path: &str, body: &Value) -> Value {
        self.agent
            .post(&format!("{}{path}", self.node.url()))
            .send_json(body.clone())
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .into_json()
            .unwrap()
    }

    /// The solidified block's id, and its time as "now".
    fn solid_ref(&self) -> (RefBlock, u64) {
        let b = verify_block(&self.post("/walletsolidity/getnowblock", &json!({}))).unwrap();
        (RefBlock::from_block_id(&b.id), b.timestamp)
    }

    fn send(&self, raw: &RawData, keys: &[&SigningKey]) {
        let r = self.post("/wallet/broadcasthex", &broadcasthex_body(&sign(raw, keys)));
        assert_eq!(r["result"], true, "{r}");
    }

    fn trx(&self, from: &SigningKey, to: Address, sun: u64, salt: u64) -> RawData {
        trx_transfer(from, to, sun, self.solid_ref(), salt)
    }

    fn usdt(&self, from: &SigningKey, to: Address, units: u64, fee_limit: u64) -> RawData {
        usdt_transfer(from, to, units, fee_limit, self.solid_ref(), 0)
    }

    fn by_num(&self, n: u64, visible: bool) -> Value {
        self.post(
            "/wallet/getblockbynum",
            &json!({"num": n, "visible": visible}),
        )
    }
}

#[test]
fn every_listed_block_verifies() {
    let (k, poor) = (key(1), key(2));
    let mut g = funded_genesis(&k);
    g.fund(addr(&poor), 1_000_000_000, 0);
    let n = Node::start(g);
    n.node.mine(3);

    // Block 4: three transactions (odd count), TRX and USDT.
    let a = n.trx(&k, addr(&key(3)), 2_000_000, 1);
    let b = n.trx(&k, addr(&key(4)), 3_000_000, 2);
    let c = n.usdt(&k, addr(&key(3)), 1_000_000, 100_000_000);
    for t in [&a, &b, &c] {
        n.send(t, &[&k]);
    }
    n.node.mine(1);
    // Block 5: a REVERT (no token balance) and an OUT_OF_ENERGY (fee_limit too low).
    let rv = n.usdt(&poor, addr(&key(3)), 5, 100_000_000);
    let oe = n.usdt(&k, addr(&key(5)), 1, 1_000_000);
    n.send(&rv, &[&poor]);
    n.send(&oe, &[&k]);
    n.node.mine(1);
    // Block 6: five transactions; then empty blocks so that 6 is solidified.
    let many: Vec<RawData> = (0..5)
        .map(|i| n.trx(&k, addr(&key(10 + i as u8)), 1_000_000 + i, 10 + i))
        .collect();
    for t in &many {
        n.send(t, &[&k]);
    }
    n.node.mine(3);
    let head = n.node.head();
    assert_eq!(head, 8);

    let mut by_num: Vec<VerifiedBlock> = Vec::new();
    for num in 0..=head {
        let hexed = verify_block(&n.by_num(num, false)).unwrap_or_else(|e| panic!("{num}: {e}"));
        let b58 = verify_block(&n.by_num(num, true)).unwrap_or_else(|e| panic!("{num}: {e}"));
        assert_eq!(hexed, b58);
        assert_eq!(hexed.number, num);
        by_num.push(hexed);
    }
    let tx_counts: Vec<usize> = by_num.iter().map(|b| b.txs.len()).collect();
    assert_eq!(tx_counts, [0, 0, 0, 0, 3, 2, 5, 0, 0]);

    let ret = |t: &RawData| -> String {
        let id: TxId = t.txid();
        let b = by_num.iter().find(|b| b.contains(&id)).expect("included");
        b.tx(&id).unwrap().contract_ret.clone()
    };
    for t in [&a, &b, &c].into_iter().chain(&many) {
        assert_eq!(ret(t), "SUCCESS");
    }
    assert_eq!(ret(&rv), "REVERT");
    assert_eq!(ret(&oe), "OUT_OF_ENERGY");
    assert_eq!(by_num[4].tx(&c.txid()).unwrap().raw, c.encode());

    // getblockbylimitnext, both encodings, the whole chain and a slice.
    for visible in [false, true] {
        let all = n.post(
            "/wallet/getblockbylimitnext",
            &json!({"startNum": 0, "endNum": head + 1, "visible": visible}),
        );
        let range = verify_range(&all, 0, head + 1).unwrap();
        assert_eq!(range, by_num);
        let part = n.post(
            "/wallet/getblockbylimitnext",
            &json!({"startNum": 4, "endNum": 7, "visible": visible}),
        );
        assert_eq!(verify_range(&part, 4, 7).unwrap(), by_num[4..7]);
        // Asking past the head: the node answers short, which is refused.
        let past = n.post(
            "/wallet/getblockbylimitnext",
            &json!({"startNum": head - 1, "endNum": head + 3, "visible": visible}),
        );
        assert!(verify_range(&past, head - 1, head + 3).is_err());
    }

    // getnowblock on both APIs, and getblock by id with details.
    let now = verify_block(&n.post("/wallet/getnowblock", &json!({}))).unwrap();
    assert_eq!(now, by_num[head as usize]);
    for visible in [false, true] {
        let solid =
            verify_block(&n.post("/walletsolidity/getnowblock", &json!({"visible": visible})))
                .unwrap();
        assert_eq!(solid, by_num[(head - 2) as usize]);
    }
    let by_id = n.post(
        "/wallet/getblock",
        &json!({"id_or_num": by_num[6].id_hex(), "detail": true}),
    );
    assert_eq!(verify_block(&by_id).unwrap(), by_num[6]);
    // Without details the transactions are missing, so the root does not check out.
    let header_only = n.post(
        "/wallet/getblock",
        &json!({"id_or_num": by_num[6].id_hex(), "detail": false}),
    );
    assert!(matches!(
        verify_block(&header_only),
        Err(coldpay_shared::block::BlockFault::TxRootMismatch { number: 6 })
    ));
    // A block the node does not have.
    assert!(matches!(
        verify_block(&n.by_num(head + 1, false)),
        Err(coldpay_shared::block::BlockFault::NoBlock)
    ));
}

#[test]
fn every_start_has_its_own_genesis_block() {
    let mut g = Genesis {
        timestamp: Some(1_700_000_000_000),
        ..Genesis::default()
    };
    g.fund(addr(&key(1)), 1_000_000, 0);
    let one = Node::start(g.clone());
    let two = Node::start(g);
    let b1 = verify_block(&one.by_num(0, false)).unwrap();
    let b2 = verify_block(&two.by_num(0, false)).unwrap();
    assert_eq!(b1.number, 0);
    assert_eq!(b1.timestamp, b2.timestamp);
    assert_ne!(b1.id, b2.id);
    assert_ne!(b1.parent, b2.parent);
    assert_eq!(b1.tx_root, [0; 32]);
    // Block 0 is also served through the range endpoint and links to block 1.
    one.node.mine(1);
    let range = verify_range(
        &one.post(
            "/wallet/getblockbylimitnext",
            &json!({"startNum": 0, "endNum": 2}),
        ),
        0,
        2,
    )
    .unwrap();
    assert_eq!(range[0], b1);
    assert_eq!(range[1].parent, b1.id);
}
