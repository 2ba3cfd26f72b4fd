//! Block listings (any JSON text): a block `verify_block` accepts has the blockID of its
//! re-encoded header and txIDs that are sha256 of their raw bytes; `verify_range` accepts only
//! consecutive, parent-linked blocks of the asked range.
#![no_main]
use coldpay_shared::block::{block_id, verify_block, verify_range, HeaderRaw, VerifiedBlock};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn check_block(v: &Value, b: &VerifiedBlock) {
    let raw = &v["block_header"]["raw_data"];
    let witness =
        raw.get("witness_address")
            .and_then(Value::as_str)
            .map_or(Some(Vec::new()), |s| {
                hex::decode(s).ok().or_else(|| {
                    coldpay_shared::Address::from_base58(s)
                        .ok()
                        .map(|a| a.as_bytes().to_vec())
                })
            });
    let state = raw
        .get("accountStateRoot")
        .and_then(Value::as_str)
        .map_or(Some(Vec::new()), |s| hex::decode(s).ok());
    // Header rebuilt from the listing and the verified fields; blockID recomputed here.
    if let (Some(witness_address), Some(account_state_root)) = (witness, state) {
        let h = HeaderRaw {
            timestamp: b.timestamp,
            tx_trie_root: b.tx_root,
            parent_hash: b.parent,
            number: b.number,
            witness_id: raw.get("witness_id").map_or(0, |x| x.as_u64().unwrap()),
            witness_address,
            version: raw
                .get("version")
                .map_or(0, |x| i32::try_from(x.as_i64().unwrap()).unwrap()),
            account_state_root,
        };
        assert_eq!(
            block_id(b.number, &h.encode()),
            b.id,
            "blockID not of the header"
        );
    }
    assert_eq!(b.id[..8], b.number.to_be_bytes());
    assert_eq!(
        raw.get("number").map_or(0, |x| x.as_u64().unwrap()),
        b.number
    );
    assert_eq!(
        raw.get("timestamp").map_or(0, |x| x.as_u64().unwrap()),
        b.timestamp
    );
    let listed = v["blockID"].as_str().unwrap();
    assert_eq!(hex::decode(listed).unwrap(), b.id);
    let txs: &[Value] = v
        .get("transactions")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    assert_eq!(txs.len(), b.txs.len());
    for (t, vt) in b.txs.iter().zip(txs) {
        assert_eq!(t.txid.as_bytes(), &<[u8; 32]>::from(Sha256::digest(&t.raw)));
        assert_eq!(
            hex::decode(vt["raw_data_hex"].as_str().unwrap()).unwrap(),
            t.raw
        );
        assert_eq!(
            hex::decode(vt["txID"].as_str().unwrap()).unwrap(),
            t.txid.as_bytes()
        );
        assert!(b.contains(&t.txid));
    }
    if b.txs.is_empty() {
        assert_eq!(b.tx_root, [0; 32]);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(b) = verify_block(&v) {
        check_block(&v, &b);
    }
    // The range the listing claims to be, so whole answers can pass; plus shifted ones.
    let list: &[Value] = v
        .get("block")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let first = list
        .first()
        .and_then(|b| b.pointer("/block_header/raw_data/number"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let n = list.len() as u64;
    for (start, end) in [
        (first, first.saturating_add(n)),
        (first, first.saturating_add(n.max(1))),
        (first.wrapping_add(1), first.saturating_add(n)),
    ] {
        if let Ok(blocks) = verify_range(&v, start, end) {
            assert_eq!(blocks.len() as u64, end - start);
            for (i, (b, bv)) in blocks.iter().zip(list).enumerate() {
                assert_eq!(b.number, start + i as u64, "not consecutive");
                if i > 0 {
                    assert_eq!(b.parent, blocks[i - 1].id, "not parent-linked");
                }
                assert_eq!(verify_block(bv).as_ref(), Ok(b));
                check_block(bv, b);
            }
        }
    }
});
