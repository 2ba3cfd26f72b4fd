//! Block verification (`coldpay_shared::block`) against the block vectors in `tests/data/`
//! (blocks.json, block_merkle.json) and against every single-character corruption of a
//! listing.

use coldpay_shared::block::{
    block_id, contract_ret_code, encode_transaction, merkle_root, verify_block, verify_header,
    verify_range, BlockFault, HeaderRaw, TxResult,
};
use coldpay_shared::wire::{FieldReader, FieldValue};
use coldpay_shared::{Address, TxId};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

fn hexb(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

fn hex32(s: &str) -> [u8; 32] {
    hexb(s).try_into().expect("32 bytes")
}

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

fn sha_pair(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(l);
    h.update(r);
    h.finalize().into()
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

/// The 3-transaction block listing of block_merkle.json, without the collector's
/// `contract_type` annotations.
fn merkle_block() -> Value {
    let mut b = load("block_merkle.json")["block"].clone();
    for t in b["transactions"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("contract_type");
    }
    b
}

fn header_from_json(raw: &Value) -> HeaderRaw {
    HeaderRaw {
        timestamp: raw["timestamp"].as_u64().unwrap(),
        tx_trie_root: hex32(s(&raw["txTrieRoot"])),
        parent_hash: hex32(s(&raw["parentHash"])),
        number: raw["number"].as_u64().unwrap(),
        witness_id: 0,
        witness_address: hexb(s(&raw["witness_address"])),
        version: raw["version"].as_i64().unwrap() as i32,
        account_state_root: Vec::new(),
    }
}

#[test]
fn nile_headers_reencode_and_hash_to_their_block_ids() {
    let doc = load("blocks.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 2);
    for v in vectors {
        let id = s(&v["id"]);
        let header = header_from_json(&v["header_raw_data"]);
        let enc = header.encode();
        assert_eq!(
            hex::encode(&enc),
            s(&v["header_raw_hex_reencoded_here"]),
            "{id}"
        );
        assert_eq!(hex::encode(sha(&enc)), s(&v["sha256_header_raw"]), "{id}");
        assert_eq!(
            hex::encode(block_id(header.number, &enc)),
            s(&v["blockID"]),
            "{id}"
        );
        assert_eq!(hex::encode(header.block_id()), s(&v["blockID"]), "{id}");

        // Listed the way getblock without detail lists it: header only. The blockID checks
        // out, but without the transactions the txTrieRoot cannot, so the block is refused.
        let listing = json!({
            "blockID": v["blockID"],
            "block_header": {
                "raw_data": v["header_raw_data"],
                "witness_signature": v["witness_signature"],
            },
        });
        let err = verify_block(&listing).unwrap_err();
        assert_eq!(
            err,
            BlockFault::TxRootMismatch {
                number: header.number
            },
            "{id}"
        );
        assert!(
            err.to_string().contains(&header.number.to_string()),
            "{err}"
        );

        // Same with an empty transaction list.
        let mut empty = listing.clone();
        empty["transactions"] = json!([]);
        assert!(matches!(
            verify_block(&empty),
            Err(BlockFault::TxRootMismatch { .. })
        ));

        // A corrupted header field moves the blockID first.
        let mut bad = listing.clone();
        bad["block_header"]["raw_data"]["version"] = json!(33);
        assert_eq!(
            verify_block(&bad).unwrap_err(),
            BlockFault::BlockIdMismatch {
                number: header.number
            }
        );
    }
}

#[test]
fn three_tx_block_verifies_from_its_listing() {
    let doc = load("block_merkle.json");
    let block = merkle_block();
    let vb = verify_block(&block).expect("verifies");
    assert_eq!(vb.number, 13232131);
    assert_eq!(vb.timestamp, 1615967187000);
    assert_eq!(vb.id_hex(), s(&block["blockID"]));
    assert_eq!(hex::encode(vb.tx_root), s(&doc["computed_root"]));
    assert_eq!(
        hex::encode(vb.tx_root),
        "1b8e8977290caedf6de737f3e42d142c5c603d20d46942bb47a75963ec78709d"
    );
    assert_eq!(
        hex::encode(vb.parent),
        s(&block["block_header"]["raw_data"]["parentHash"])
    );
    assert_eq!(vb.txs.len(), 3);
    for (t, listed) in vb.txs.iter().zip(block["transactions"].as_array().unwrap()) {
        assert_eq!(t.txid.to_hex(), s(&listed["txID"]));
        assert_eq!(hex::encode(&t.raw), s(&listed["raw_data_hex"]));
        assert_eq!(t.contract_ret, "SUCCESS");
        assert!(vb.contains(&t.txid));
        assert_eq!(vb.tx(&t.txid), Some(t));
    }
    let absent = TxId::from_bytes([7; 32]);
    assert!(!vb.contains(&absent));
    assert!(vb.tx(&absent).is_none());

    // The leaves: whole Transaction encodings, byte for byte, and their hashes.
    let encoded = doc["encoded_transactions_hex"].as_array().unwrap();
    let leaf_hashes = doc["leaf_hashes"].as_array().unwrap();
    let mut leaves = Vec::new();
    for (i, t) in block["transactions"].as_array().unwrap().iter().enumerate() {
        let raw = hexb(s(&t["raw_data_hex"]));
        let sigs: Vec<Vec<u8>> = t["signature"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| hexb(s(x)))
            .collect();
        let rets = [TxResult::contract(contract_ret_code("SUCCESS").unwrap())];
        let enc = encode_transaction(&raw, &sigs, &rets);
        assert_eq!(hex::encode(&enc), s(&encoded[i]), "tx {i}");
        let leaf = sha(&enc);
        assert_eq!(hex::encode(leaf), s(&leaf_hashes[i]), "leaf {i}");
        leaves.push(leaf);
    }
    let level1 = doc["tree"]["level1"].as_array().unwrap();
    assert_eq!(hex::encode(sha_pair(&leaves[0], &leaves[1])), s(&level1[0]));
    assert_eq!(hex::encode(leaves[2]), s(&level1[1]));
    let root = merkle_root(&leaves);
    assert_eq!(hex::encode(root), s(&doc["computed_root"]));

    // The wrong rules give the published wrong roots, and ours is none of them.
    let wrong = &doc["non_matching_variants"];
    let no_ret: Vec<[u8; 32]> = block["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let sigs = vec![hexb(s(&t["signature"][0]))];
            sha(&encode_transaction(
                &hexb(s(&t["raw_data_hex"])),
                &sigs,
                &[],
            ))
        })
        .collect();
    let txids: Vec<[u8; 32]> = vb.txs.iter().map(|t| *t.txid.as_bytes()).collect();
    let dup_last = sha_pair(
        &sha_pair(&leaves[0], &leaves[1]),
        &sha_pair(&leaves[2], &leaves[2]),
    );
    for (name, got) in [
        ("leaves_without_ret", merkle_root(&no_ret)),
        ("leaves_are_txIDs", merkle_root(&txids)),
        ("duplicate_last_odd_node", dup_last),
    ] {
        assert_eq!(hex::encode(got), s(&wrong[name]), "{name}");
        assert_ne!(got, root, "{name}");
        assert_ne!(hex::encode(vb.tx_root), s(&wrong[name]), "{name}");
    }
}

#[test]
fn collector_annotation_is_an_unknown_field() {
    let raw = load("block_merkle.json")["block"].clone();
    let err = verify_block(&raw).unwrap_err();
    let BlockFault::UnknownField(_) = &err else {
        panic!("{err:?}");
    };
    let msg = err.to_string();
    assert!(msg.contains("block 13232131"), "{msg}");
    assert!(msg.contains("`contract_type`"), "{msg}");
    assert!(msg.contains("transactions[0]"), "{msg}");
    assert!(msg.contains("block unverifiable"), "{msg}");
}

/// Reads the header's `BlockHeader.raw` fields back with the strict wire reader.
fn decode_header_raw(raw: &[u8]) -> HeaderRaw {
    let mut h = HeaderRaw::default();
    let mut r = FieldReader::new(raw, "BlockHeader.raw");
    while let Some((field, v)) = r.next_field().unwrap() {
        match (field, v) {
            (1, FieldValue::Varint(x)) => h.timestamp = x,
            (2, FieldValue::Bytes(b)) => h.tx_trie_root = b.try_into().unwrap(),
            (3, FieldValue::Bytes(b)) => h.parent_hash = b.try_into().unwrap(),
            (7, FieldValue::Varint(x)) => h.number = x,
            (8, FieldValue::Varint(x)) => h.witness_id = x,
            (9, FieldValue::Bytes(b)) => h.witness_address = b.to_vec(),
            (10, FieldValue::Varint(x)) => h.version = x as i32,
            (11, FieldValue::Bytes(b)) => h.account_state_root = b.to_vec(),
            other => panic!("unexpected header field {other:?}"),
        }
    }
    h
}

/// `BlockHeader` → (raw bytes, witness_signature).
fn split_header(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (mut raw, mut sig) = (None, None);
    let mut r = FieldReader::new(bytes, "BlockHeader");
    while let Some((field, v)) = r.next_field().unwrap() {
        match (field, v) {
            (1, FieldValue::Bytes(b)) => raw = Some(b.to_vec()),
            (2, FieldValue::Bytes(b)) => sig = Some(b.to_vec()),
            other => panic!("unexpected field {other:?}"),
        }
    }
    (raw.unwrap(), sig.unwrap())
}

#[test]
fn mainnet_inclusion_proof_folds_to_the_header_root() {
    let p = load("block_merkle.json")["supplementary_mainnet_inclusion_proof"].clone();
    let encoded = hexb(s(&p["encodedTx"]));
    let leaf = sha(&encoded);
    assert_eq!(hex::encode(leaf), s(&p["txLeaf"]));

    // The leaf is the whole Transaction: raw_data, one signature, ret [{contractRet: SUCCESS}].
    let mut r = FieldReader::new(&encoded, "Transaction");
    let (mut raw, mut sigs, mut rets) = (Vec::new(), Vec::new(), Vec::new());
    while let Some((field, v)) = r.next_field().unwrap() {
        match (field, v) {
            (1, FieldValue::Bytes(b)) => raw = b.to_vec(),
            (2, FieldValue::Bytes(b)) => sigs.push(b.to_vec()),
            (5, FieldValue::Bytes(b)) => rets.push(b.to_vec()),
            other => panic!("unexpected field {other:?}"),
        }
    }
    assert_eq!(hex::encode(sha(&raw)), s(&p["txId"]));
    assert_eq!(rets, vec![TxResult::contract(1).encode()]);
    assert_eq!(
        encode_transaction(&raw, &sigs, &[TxResult::contract(1)]),
        encoded
    );

    let index = p["targetIndex"].as_u64().unwrap();
    let mut node = leaf;
    for (level, sib) in p["proof"].as_array().unwrap().iter().enumerate() {
        let sib = hex32(s(sib));
        node = if (index >> level) & 1 == 0 {
            sha_pair(&node, &sib)
        } else {
            sha_pair(&sib, &node)
        };
    }
    assert_eq!(p["proof"].as_array().unwrap().len(), 9);

    let (header_raw, witness_sig) = split_header(&hexb(s(&p["header"])));
    assert_eq!(witness_sig.len(), 65);
    let h = decode_header_raw(&header_raw);
    assert_eq!(
        h.encode(),
        header_raw,
        "the header is canonical and re-encodes"
    );
    assert_eq!(h.number, p["blockNumber"].as_u64().unwrap());
    assert_eq!(hex::encode(h.tx_trie_root), s(&p["txTrieRoot"]));
    assert_eq!(node, h.tx_trie_root);

    let id = block_id(h.number, &header_raw);
    assert_eq!(hex::encode(id), s(&p["blockID"]));
    // …and the next block names it as its parent.
    let (next_raw, _) = split_header(&hexb(s(&p["nextHeader"])));
    let next = decode_header_raw(&next_raw);
    assert_eq!(next.number, h.number + 1);
    assert_eq!(next.parent_hash, id);
    assert_eq!(next.encode(), next_raw);
}

/// Replaces the hex digit at `i` with another one (its value xor 1): one byte changes.
fn flip_hex(s: &str, i: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    let v = (b[i] as char).to_digit(16).unwrap() ^ 1;
    b[i] = std::char::from_digit(v, 16).unwrap() as u8;
    String::from_utf8(b).unwrap()
}

fn must_fail(v: &Value, what: &str) {
    assert!(verify_block(v).is_err(), "{what} still verified");
}

fn flip_every_char(block: &Value, pointer: &str, count: &mut usize) {
    let orig = s(block.pointer(pointer).unwrap()).to_string();
    for i in 0..orig.len() {
        let mut b = block.clone();
        *b.pointer_mut(pointer).unwrap() = json!(flip_hex(&orig, i));
        must_fail(&b, &format!("{pointer} char {i}"));
        *count += 1;
    }
}

#[test]
fn every_single_character_corruption_is_refused() {
    let block = merkle_block();
    verify_block(&block).unwrap();
    let mut count = 0;
    for p in [
        "/blockID",
        "/block_header/raw_data/txTrieRoot",
        "/block_header/raw_data/parentHash",
        "/block_header/raw_data/witness_address",
    ] {
        flip_every_char(&block, p, &mut count);
    }
    for t in 0..3 {
        flip_every_char(
            &block,
            &format!("/transactions/{t}/signature/0"),
            &mut count,
        );
        flip_every_char(
            &block,
            &format!("/transactions/{t}/raw_data_hex"),
            &mut count,
        );
        flip_every_char(&block, &format!("/transactions/{t}/txID"), &mut count);
    }
    for field in ["number", "timestamp", "version"] {
        let n = block["block_header"]["raw_data"][field].as_u64().unwrap();
        for m in [n + 1, n - 1, n ^ 0x100, 0] {
            let mut b = block.clone();
            b["block_header"]["raw_data"][field] = json!(m);
            must_fail(&b, &format!("{field} = {m}"));
            count += 1;
        }
    }
    // Every other result a transaction could be listed with.
    for t in 0..3 {
        let mut variants: Vec<Value> = (0..16u32)
            .filter(|c| *c != 1)
            .map(|c| json!({"contractRet": coldpay_shared::block::contract_ret_name(c).unwrap()}))
            .collect();
        variants.push(json!({"contractRet": "SUCCESS", "ret": "FAILED"}));
        variants.push(json!({"contractRet": "SUCCESS", "fee": 1}));
        variants.push(json!({}));
        for r in variants {
            let mut b = block.clone();
            b["transactions"][t]["ret"] = json!([r.clone()]);
            must_fail(&b, &format!("tx {t} ret {r}"));
            count += 1;
        }
        for rets in [json!([]), json!([{"contractRet": "SUCCESS"}, {}])] {
            let mut b = block.clone();
            b["transactions"][t]["ret"] = rets.clone();
            must_fail(&b, &format!("tx {t} ret {rets}"));
            count += 1;
        }
        // A dropped or duplicated signature.
        let mut b = block.clone();
        b["transactions"][t]["signature"] = json!([]);
        must_fail(&b, &format!("tx {t} no signature"));
        let sig = block["transactions"][t]["signature"][0].clone();
        b["transactions"][t]["signature"] = json!([sig, sig]);
        must_fail(&b, &format!("tx {t} signature twice"));
        count += 2;
    }
    // Transactions dropped, swapped or duplicated.
    let txs = block["transactions"].as_array().unwrap().clone();
    for list in [
        vec![txs[0].clone(), txs[1].clone()],
        vec![txs[1].clone(), txs[0].clone(), txs[2].clone()],
        vec![
            txs[0].clone(),
            txs[1].clone(),
            txs[2].clone(),
            txs[2].clone(),
        ],
        vec![],
    ] {
        let mut b = block.clone();
        b["transactions"] = json!(list);
        assert_eq!(
            verify_block(&b).unwrap_err(),
            BlockFault::TxRootMismatch { number: 13232131 }
        );
        count += 1;
    }
    let mut b = block.clone();
    b.as_object_mut().unwrap().remove("transactions");
    assert_eq!(
        verify_block(&b).unwrap_err(),
        BlockFault::TxRootMismatch { number: 13232131 }
    );
    assert!(count > 1500, "{count}");

    // Which check catches what.
    let mut b = block.clone();
    b["transactions"][1]["txID"] = json!(flip_hex(s(&block["transactions"][1]["txID"]), 5));
    let err = verify_block(&b).unwrap_err();
    assert!(
        matches!(
            err,
            BlockFault::BadTxId {
                number: 13232131,
                index: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let mut b = block.clone();
    b["transactions"][2]["raw_data_hex"] =
        json!(flip_hex(s(&block["transactions"][2]["raw_data_hex"]), 40));
    assert!(matches!(
        verify_block(&b),
        Err(BlockFault::BadTxId { index: 2, .. })
    ));
    let mut b = block.clone();
    b["block_header"]["raw_data"]["parentHash"] = json!(flip_hex(
        s(&block["block_header"]["raw_data"]["parentHash"]),
        63
    ));
    assert_eq!(
        verify_block(&b).unwrap_err(),
        BlockFault::BlockIdMismatch { number: 13232131 }
    );
}

#[test]
fn unknown_fields_are_named() {
    let block = merkle_block();
    for (pointer, key, place) in [
        ("", "size", "the block"),
        ("/block_header", "extra", "block_header"),
        (
            "/block_header/raw_data",
            "witnessSignature",
            "block_header.raw_data",
        ),
        ("/transactions/2", "contract_type", "transactions[2]"),
        (
            "/transactions/2/ret/0",
            "cancelUnfreezeV2Amount",
            "transactions[2].ret[0]",
        ),
        (
            "/transactions/2/ret/0",
            "orderDetails",
            "transactions[2].ret[0]",
        ),
    ] {
        let mut b = block.clone();
        b.pointer_mut(pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(key.into(), json!("x"));
        let err = verify_block(&b).unwrap_err();
        assert!(matches!(err, BlockFault::UnknownField(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "block 13232131: unknown field `{key}` in {place}; cannot re-encode, block unverifiable"
            )
        );
    }
    // raw_data is opaque (raw_data_hex is what is hashed), and `visible` is allowed.
    let mut b = block.clone();
    b["transactions"][0]["raw_data"] = json!({"anything": [1, 2, 3]});
    b["transactions"][0]["visible"] = json!(false);
    verify_block(&b).unwrap();
}

#[test]
fn malformed_listings() {
    assert_eq!(verify_block(&json!({})).unwrap_err(), BlockFault::NoBlock);
    assert_eq!(
        verify_block(&json!({})).unwrap_err().to_string(),
        "node returned no block"
    );
    assert!(matches!(
        verify_block(&json!([])),
        Err(BlockFault::Malformed(_))
    ));
    let block = merkle_block();
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut b = block.clone();
    b["block_header"]["raw_data"]["timestamp"] = json!(1615967187000.0);
    cases.push((b, "timestamp"));
    let mut b = block.clone();
    b["block_header"]["raw_data"]["number"] = json!(-1);
    cases.push((b, "block (unreadable number)"));
    let mut b = block.clone();
    b["block_header"]["raw_data"]["txTrieRoot"] = json!("1b8e");
    cases.push((b, "txTrieRoot: expected 32 bytes"));
    let mut b = block.clone();
    b["block_header"]["raw_data"]["witness_address"] = json!("Tnotanaddress");
    cases.push((b, "witness_address"));
    let mut b = block.clone();
    b["transactions"][1]["ret"][0]["contractRet"] = json!("GREAT");
    cases.push((b, "transactions[1].ret[0].contractRet"));
    let mut b = block.clone();
    b["transactions"][1]["ret"][0]["ret"] = json!("SUCCESS");
    cases.push((b, "transactions[1].ret[0].ret"));
    let mut b = block.clone();
    b["transactions"][1]["signature"][0] = json!("zz");
    cases.push((b, "transactions[1].signature[0]"));
    let mut b = block.clone();
    b["transactions"][0]
        .as_object_mut()
        .unwrap()
        .remove("raw_data_hex");
    cases.push((b, "raw_data_hex"));
    let mut b = block.clone();
    b.as_object_mut().unwrap().remove("blockID");
    cases.push((b, "blockID"));
    for (b, needle) in cases {
        let err = verify_block(&b).unwrap_err();
        assert!(matches!(err, BlockFault::Malformed(_)), "{needle}: {err:?}");
        assert!(err.to_string().contains(needle), "{needle}: {err}");
    }
}

#[test]
fn base58_witness_address_verifies() {
    let mut block = merkle_block();
    let hex_addr = s(&block["block_header"]["raw_data"]["witness_address"]).to_string();
    let b58 = Address::from_hex(&hex_addr).unwrap().to_base58();
    block["block_header"]["raw_data"]["witness_address"] = json!(b58);
    for t in block["transactions"].as_array_mut().unwrap() {
        t["visible"] = json!(true);
    }
    verify_block(&block).unwrap();
}

/// A valid empty block `number` on top of `parent`.
fn synthetic(number: u64, parent: [u8; 32]) -> Value {
    let h = HeaderRaw {
        timestamp: 1_700_000_000_000 + number * 3000,
        tx_trie_root: [0; 32],
        parent_hash: parent,
        number,
        witness_id: 0,
        witness_address: hexb("41ad3353aa1343b90a311f09b784c76f089d278232"),
        version: 34,
        account_state_root: Vec::new(),
    };
    json!({
        "blockID": hex::encode(h.block_id()),
        "block_header": {
            "raw_data": {
                "number": number,
                "txTrieRoot": hex::encode(h.tx_trie_root),
                "witness_address": hex::encode(&h.witness_address),
                "parentHash": hex::encode(parent),
                "version": 34,
                "timestamp": h.timestamp,
            },
            "witness_signature": "00",
        },
    })
}

fn chain(start: u64, n: u64) -> Vec<Value> {
    let mut parent = [9u8; 32];
    let mut out = Vec::new();
    for k in start..start + n {
        let b = synthetic(k, parent);
        parent = hex32(s(&b["blockID"]));
        out.push(b);
    }
    out
}

#[test]
fn ranges() {
    let blocks = chain(100, 4);
    let all = json!({"block": blocks});
    let v = verify_range(&all, 100, 104).unwrap();
    assert_eq!(
        v.iter().map(|b| b.number).collect::<Vec<_>>(),
        [100, 101, 102, 103]
    );
    for w in v.windows(2) {
        assert_eq!(w[1].parent, w[0].id);
    }
    assert_eq!(v[0].tx_root, [0; 32]);

    assert_eq!(
        verify_range(&json!({"block": blocks[..3]}), 100, 104).unwrap_err(),
        BlockFault::RangeShort {
            start: 100,
            end: 104,
            got: 3
        }
    );
    assert_eq!(
        verify_range(&json!({}), 100, 104).unwrap_err(),
        BlockFault::RangeShort {
            start: 100,
            end: 104,
            got: 0
        }
    );
    assert_eq!(
        verify_range(&all, 100, 103).unwrap_err(),
        BlockFault::RangeLong {
            start: 100,
            end: 103,
            got: 4
        }
    );
    assert_eq!(
        verify_range(&all, 101, 105).unwrap_err(),
        BlockFault::NotConsecutive {
            expected: 101,
            got: 100
        }
    );
    let swapped = json!({"block": [blocks[0], blocks[2], blocks[1], blocks[3]]});
    assert_eq!(
        verify_range(&swapped, 100, 104).unwrap_err(),
        BlockFault::NotConsecutive {
            expected: 101,
            got: 102
        }
    );
    // Block 102 from another fork: valid on its own, but not linked to 101.
    let mut forked = blocks.clone();
    forked[2] = synthetic(102, [1; 32]);
    verify_block(&forked[2]).unwrap();
    let err = verify_range(&json!({"block": forked}), 100, 104).unwrap_err();
    assert_eq!(err, BlockFault::ParentMismatch { number: 102 });
    assert!(err.to_string().contains("block 102"), "{err}");
    // A broken block inside the range.
    let mut broken = blocks.clone();
    broken[3]["block_header"]["raw_data"]["timestamp"] = json!(1);
    assert_eq!(
        verify_range(&json!({"block": broken}), 100, 104).unwrap_err(),
        BlockFault::BlockIdMismatch { number: 103 }
    );
    // A `{}` block inside, other answer shapes.
    let mut holed = blocks.clone();
    holed[1] = json!({});
    assert_eq!(
        verify_range(&json!({"block": holed}), 100, 104).unwrap_err(),
        BlockFault::NoBlock
    );
    assert!(matches!(
        verify_range(&json!({"block": blocks, "more": 1}), 100, 104),
        Err(BlockFault::UnknownField(_))
    ));
    assert!(matches!(
        verify_range(&json!({"block": {}}), 100, 104),
        Err(BlockFault::Malformed(_))
    ));
    assert!(matches!(
        verify_range(&all, 104, 100),
        Err(BlockFault::EmptyRange { .. })
    ));
    // The real 3-transaction block as a range of one.
    let one = verify_range(&json!({"block": [merkle_block()]}), 13232131, 13232132).unwrap();
    assert_eq!(one[0].txs.len(), 3);
}

/// A `ret` entry with the other scalar Result fields (assetIssueID = 14, withdraw_amount = 15)
/// re-encodes with their field numbers, so such a block still verifies.
#[test]
fn ret_entries_with_other_result_fields_verify() {
    let mut block = merkle_block();
    block["transactions"][0]["ret"] =
        json!([{"contractRet": "SUCCESS", "assetIssueID": "1002000", "withdraw_amount": 5}]);
    // The Result bytes, written out by hand: contractRet (3) = 1, field 14 (string), field 15 (varint).
    let mut result = hexb("1801");
    result.extend_from_slice(&[0x72, 7]);
    result.extend_from_slice(b"1002000");
    result.extend_from_slice(&[0x78, 5]);
    // Leaves: transaction 0 with the new ret, the others as listed.
    let txs = block["transactions"].as_array().unwrap().clone();
    let mut leaves = Vec::new();
    for (i, t) in txs.iter().enumerate() {
        let rets: Vec<Vec<u8>> = if i == 0 {
            vec![result.clone()]
        } else {
            vec![hexb("1801")]
        };
        let mut tx = Vec::new();
        let raw = hexb(s(&t["raw_data_hex"]));
        tx.push(0x0a);
        tx.push(u8::try_from(raw.len()).unwrap() | 0x80);
        tx.push(1);
        tx.extend_from_slice(&raw);
        for sig in t["signature"].as_array().unwrap() {
            tx.extend_from_slice(&[0x12, 0x41]);
            tx.extend_from_slice(&hexb(s(sig)));
        }
        for r in rets {
            tx.push(0x2a);
            tx.push(u8::try_from(r.len()).unwrap());
            tx.extend_from_slice(&r);
        }
        leaves.push(sha(&tx));
    }
    let root = sha_pair(&sha_pair(&leaves[0], &leaves[1]), &leaves[2]);
    let mut h = header_from_json(&block["block_header"]["raw_data"]);
    h.tx_trie_root = root;
    block["block_header"]["raw_data"]["txTrieRoot"] = json!(hex::encode(root));
    block["blockID"] = json!(hex::encode(h.block_id()));
    let v = verify_block(&block).unwrap();
    assert_eq!(v.tx_root, root);
    assert_eq!(v.txs[0].contract_ret, "SUCCESS");
    // A different withdraw_amount is a different leaf: the root no longer matches.
    block["transactions"][0]["ret"][0]["withdraw_amount"] = json!(6);
    assert!(matches!(
        verify_block(&block).unwrap_err(),
        BlockFault::TxRootMismatch { .. }
    ));
}

/// The header alone names a block (the genesis check): its transactions are not looked at, but
/// the blockID must still re-derive from the header.
#[test]
fn header_only_verification() {
    let mut block = merkle_block();
    let (n, id) = verify_header(&block).unwrap();
    assert_eq!(n, 13_232_131);
    assert_eq!(hex::encode(id), s(&block["blockID"]));
    block.as_object_mut().unwrap().remove("transactions");
    assert_eq!(verify_header(&block).unwrap().1, id);
    assert!(
        verify_block(&block).is_err(),
        "the full check still needs the list"
    );
    block["block_header"]["raw_data"]["timestamp"] = json!(1_615_967_187_001u64);
    assert!(matches!(
        verify_header(&block).unwrap_err(),
        BlockFault::BlockIdMismatch { .. }
    ));
}
