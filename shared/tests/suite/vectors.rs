//! Every vector in `tests/data/` (copied from the project's reference set; see its README)
//! run through coldpay-shared.

#![allow(clippy::single_match_else)]

use coldpay_shared::abi;
use coldpay_shared::contract::ContractKind;
use coldpay_shared::error::{Error, ProtoReason};
use coldpay_shared::transaction::decode_hex_field;
use coldpay_shared::tronweb::raw_data_from_json;
use coldpay_shared::{Address, RawData, RefBlock, Signature, SignedTransaction, TxId, U256};
use k256::ecdsa::{SigningKey, VerifyingKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

fn vectors(name: &str) -> Vec<Value> {
    load(name)["vectors"].as_array().expect("vectors").clone()
}

fn hexb(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

/// Checks a decoded transaction against the vector's `decoded` object.
fn check_decoded(id: &str, raw: &RawData, d: &Value) {
    assert_eq!(
        hex::encode(raw.ref_block.bytes),
        s(&d["ref_block_bytes"]),
        "{id}"
    );
    assert_eq!(
        hex::encode(raw.ref_block.hash),
        s(&d["ref_block_hash"]),
        "{id}"
    );
    assert_eq!(raw.expiration, d["expiration"].as_u64().unwrap(), "{id}");
    assert_eq!(raw.timestamp, d["timestamp"].as_u64().unwrap_or(0), "{id}");
    assert_eq!(raw.fee_limit, d["fee_limit"].as_u64().unwrap_or(0), "{id}");
    assert_eq!(
        hex::encode(&raw.memo),
        d["data"].as_str().unwrap_or(""),
        "{id}"
    );
    let c = &d["contract"][0];
    assert_eq!(
        raw.contract.kind.type_number(),
        c["type_num"].as_u64().unwrap(),
        "{id}"
    );
    assert_eq!(raw.contract.kind.type_name(), s(&c["type"]), "{id}");
    assert_eq!(
        raw.contract.kind.type_url(),
        s(&c["parameter"]["type_url"]),
        "{id}"
    );
    assert_eq!(
        hex::encode(raw.contract.kind.encode_parameter()),
        s(&c["parameter"]["value_hex"]),
        "{id}"
    );
    let v = &c["parameter"]["value"];
    match &raw.contract.kind {
        ContractKind::Transfer(t) => {
            assert_eq!(t.owner.to_hex(), s(&v["owner_address"]), "{id}");
            assert_eq!(t.to.to_hex(), s(&v["to_address"]), "{id}");
            assert_eq!(t.amount.as_u64(), v["amount"].as_u64().unwrap(), "{id}");
            assert_eq!(t.owner.to_base58(), s(&v["owner_address_base58"]), "{id}");
            assert_eq!(t.to.to_base58(), s(&v["to_address_base58"]), "{id}");
        }
        ContractKind::TriggerSmart(t) => {
            assert_eq!(t.owner.to_hex(), s(&v["owner_address"]), "{id}");
            assert_eq!(t.contract.to_hex(), s(&v["contract_address"]), "{id}");
            assert_eq!(hex::encode(&t.data), s(&v["data"]), "{id}");
            assert_eq!(
                t.contract.to_base58(),
                s(&v["contract_address_base58"]),
                "{id}"
            );
            assert_eq!(
                t.call_value.as_u64(),
                v["call_value"].as_u64().unwrap_or(0),
                "{id}"
            );
        }
        ContractKind::AccountPermissionUpdate(u) => {
            assert_eq!(u.owner_address.to_hex(), s(&v["owner_address"]), "{id}");
            assert_eq!(hex::encode(u.owner.encode()), s(&v["owner"]), "{id}");
            let actives: Vec<String> = u.actives.iter().map(|a| hex::encode(a.encode())).collect();
            assert_eq!(actives.concat(), s(&v["actives"]), "{id}");
        }
        ContractKind::Staking(c) => {
            // The staking vectors live in staking.json (tests/staking_vectors.rs).
            assert_eq!(c.owner().to_hex(), s(&v["owner_address"]), "{id}");
        }
    }
}

fn is_unsupported_type(id: &str) -> Option<u64> {
    if id.contains("trc10") {
        Some(2)
    } else {
        None
    }
}

#[test]
fn signed_transactions_decode_hash_and_recover() {
    let vs = vectors("transactions_signed.json");
    assert_eq!(vs.len(), 10);
    for v in &vs {
        let id = s(&v["id"]);
        let bytes = hexb(s(&v["raw_data_hex"]));
        let txid = TxId::of_raw(&bytes);
        assert_eq!(
            txid.to_hex(),
            s(&v["txID"]),
            "{id}: txID is sha256(raw_data)"
        );
        // Every signature recovers to the recorded address, decodable or not.
        for sv in v["verification"]["signatures"].as_array().unwrap() {
            let sig = Signature::from_hex(s(&sv["signature"])).unwrap();
            assert_eq!(
                sig.recover(&txid).unwrap().to_hex(),
                s(&sv["recovers_to"]),
                "{id}"
            );
            assert!(sig.as_bytes()[64] <= 1, "{id}: normalised v");
        }
        match is_unsupported_type(id) {
            Some(t) => {
                let err = RawData::decode(&bytes).unwrap_err();
                assert_eq!(
                    err,
                    Error::Proto {
                        path: "raw_data: field 11 (contract)".into(),
                        reason: ProtoReason::UnknownContractType(t)
                    },
                    "{id}"
                );
                assert!(err
                    .to_string()
                    .contains(&format!("unknown contract type {t}")));
            }
            None => {
                let raw = RawData::decode(&bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(raw.encode(), bytes, "{id}: canonical re-encoding");
                check_decoded(id, &raw, &v["decoded"]);
                if let Some(tx_hex) = v["signed_tx_hex"].as_str() {
                    let tx_bytes = hexb(tx_hex);
                    let tx = SignedTransaction::decode_lenient_signatures(&tx_bytes).unwrap();
                    assert_eq!(tx.raw, raw, "{id}");
                    assert_eq!(
                        tx.signatures.len(),
                        v["signatures"].as_array().unwrap().len()
                    );
                    assert_eq!(tx.txid(), txid);
                }
                // The intent is strict: the malformed ABI word is refused.
                if id.contains("malformed_abi") {
                    let e = raw.intent().unwrap_err();
                    assert!(e.to_string().contains("non-zero padding"), "{id}: {e}");
                } else if id.contains("permission_update") {
                    let e = raw.intent().unwrap_err();
                    assert!(e.to_string().contains("not a payout"), "{id}: {e}");
                } else {
                    raw.intent().unwrap_or_else(|e| panic!("{id}: {e}"));
                }
            }
        }
        // Owner recovery where the vector says it is the owner.
        if let Some(owner_ok) = v["verification"]["signatures"][0]["recovers_to_owner"].as_bool() {
            if let Ok(raw) = RawData::decode(&bytes) {
                let sig = Signature::from_hex(s(&v["signatures"][0])).unwrap();
                assert_eq!(sig.verify(&txid, &raw.owner()).is_ok(), owner_ok, "{id}");
            }
        }
    }
}

#[test]
fn unsigned_transactions_decode_and_hash() {
    let vs = vectors("transactions_unsigned.json");
    assert_eq!(vs.len(), 9);
    for v in &vs {
        let id = s(&v["id"]);
        let bytes = hexb(s(&v["raw_data_hex"]));
        assert_eq!(TxId::of_raw(&bytes).to_hex(), s(&v["txID"]), "{id}");
        let raw = RawData::decode(&bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
        check_decoded(id, &raw, &v["decoded"]);
        let intent = raw.intent();
        if id.contains("triggerconstantcontract") {
            // A balanceOf context transaction: decodable, never a payout.
            assert!(
                intent.unwrap_err().to_string().contains("balanceOf"),
                "{id}"
            );
        } else {
            let intent = intent.unwrap_or_else(|e| panic!("{id}: {e}"));
            if let Some(dd) = v["decoded"]["contract"][0]["parameter"]["value"].get("data_decoded")
            {
                assert_eq!(intent.to().to_hex(), s(&dd["to_hex41"]), "{id}");
                assert_eq!(
                    intent.amount().to_string(),
                    s(&dd["amount_base_units"]),
                    "{id}"
                );
            }
        }
        if let Some(block_id) = v["ref_block_id"].as_str() {
            let id32: [u8; 32] = hexb(block_id).try_into().unwrap();
            assert_eq!(RefBlock::from_block_id(&id32), raw.ref_block, "{id}");
        }
    }
}

#[test]
fn signing_kats_reproduce_bytes() {
    let vs = vectors("signing_kat.json");
    assert_eq!(vs.len(), 7);
    for v in &vs {
        let key = SigningKey::from_slice(&hexb(s(&v["private_key_hex"]))).unwrap();
        let addr = Address::from_public_key(key.verifying_key());
        assert_eq!(addr.to_base58(), s(&v["address_base58"]));
        let txid = TxId::from_hex(s(&v["message_hash_txid"])).unwrap();
        let sig = Signature::sign_txid(&key, &txid).unwrap();
        let expected = if v["high_s"].as_bool() == Some(true) {
            // The published signature is high-S; ours is its low-S equivalent, and both
            // normalise to the same value.
            let published = Signature::from_hex(s(&v["expected_signature"])).unwrap();
            assert_eq!(published, sig);
            s(&v["low_s_equivalent_computed_here"]).to_string()
        } else {
            s(&v["expected_signature"]).to_string()
        };
        assert_eq!(sig.to_hex(), expected);
        assert_eq!(sig.recover(&txid).unwrap(), addr);
    }
}

#[test]
fn keys_derive_addresses() {
    let d = load("keys_addresses.json");
    for v in d["private_key_vectors"].as_array().unwrap() {
        let key = SigningKey::from_slice(&hexb(s(&v["private_key_hex"]))).unwrap();
        let vk = key.verifying_key();
        assert_eq!(
            hex::encode(vk.to_encoded_point(false).as_bytes()),
            s(&v["public_key_uncompressed_hex"])
        );
        let a = Address::from_public_key(vk);
        assert_eq!(a.to_hex(), s(&v["address_hex"]));
        assert_eq!(a.to_base58(), s(&v["address_base58"]));
        assert_eq!(a.to_base58(), s(&v["expected_base58"]));
        // (Mnemonic → key derivation is tested in coldpay-signer, which owns BIP-32/39.)
    }
    for v in d["public_key_vectors"].as_array().unwrap() {
        let mut xy = vec![4u8];
        xy.extend(hexb(s(&v["public_key_xy_hex"]).trim_start_matches("04")));
        let vk = VerifyingKey::from_sec1_bytes(&xy).unwrap();
        assert_eq!(
            Address::from_public_key(&vk).to_base58(),
            s(&v["address_base58"])
        );
    }
}

#[test]
fn addresses_round_trip_and_invalid_ones_fail() {
    let d = load("addresses.json");
    for v in d["valid"].as_array().unwrap() {
        let a = Address::parse(s(&v["base58"])).unwrap();
        assert_eq!(a.to_hex(), s(&v["hex"]));
        assert_eq!(Address::parse(s(&v["hex"])).unwrap(), a);
        assert_eq!(a.to_string(), s(&v["base58"]));
    }
    let invalid = d["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 2);
    for v in invalid {
        assert_eq!(Address::parse(s(&v["base58"])), Err(Error::AddressChecksum));
    }
}

#[test]
fn abi_vectors() {
    let d = load("abi.json");
    for v in d["selectors"].as_array().unwrap() {
        use sha3::{Digest as _, Keccak256};
        let h = Keccak256::digest(s(&v["signature"]).as_bytes());
        assert_eq!(hex::encode(h), s(&v["keccak256"]));
        assert_eq!(hex::encode(&h[..4]), s(&v["selector"]));
    }
    let topic = &d["events"][0];
    assert_eq!(s(&topic["signature"]), "Transfer(address,address,uint256)");
    assert_eq!(hex::encode(abi::TRANSFER_EVENT_TOPIC), s(&topic["topic0"]));
    for v in d["examples"].as_array().unwrap() {
        let id = s(&v["id"]);
        if let Some(data) = v["data"].as_str() {
            let bytes = hexb(data);
            if v["decoded"]["to_word_upper12_zero"].as_bool() == Some(true) {
                let (to, value) = abi::decode_transfer(&bytes).unwrap();
                assert_eq!(to.to_hex(), s(&v["decoded"]["to_hex41"]), "{id}");
                assert_eq!(
                    value.to_string(),
                    s(&v["decoded"]["amount_base_units"]),
                    "{id}"
                );
                assert_eq!(abi::encode_transfer(&to, value), bytes, "{id}");
            } else {
                let e = abi::decode_transfer(&bytes).unwrap_err();
                assert_eq!(
                    e,
                    Error::Abi("address word has non-zero padding byte 0x41 at offset 11".into())
                );
            }
        }
        if let Some(log) = v.get("log_visible_true") {
            let topics: Vec<Vec<u8>> = log["topics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| hexb(s(t)))
                .collect();
            assert_eq!(topics[0], abi::TRANSFER_EVENT_TOPIC);
            let from = abi::decode_address_word(&topics[1]).unwrap();
            let to = abi::decode_address_word(&topics[2]).unwrap();
            assert_eq!(from.to_base58(), s(&v["expected"]["from_base58"]));
            assert_eq!(to.to_base58(), s(&v["expected"]["to_base58"]));
            let value = U256::from_be_slice(&hexb(s(&log["data"])));
            assert_eq!(value, U256::from(v["expected"]["value"].as_u64().unwrap()));
        }
    }
}

#[test]
fn blocks_derive_id_and_ref_block() {
    for v in vectors("blocks.json") {
        let header = hexb(s(&v["header_raw_hex_reencoded_here"]));
        let hash: [u8; 32] = Sha256::digest(&header).into();
        assert_eq!(hex::encode(hash), s(&v["sha256_header_raw"]));
        let mut id = [0u8; 32];
        id[..8].copy_from_slice(
            &v["header_raw_data"]["number"]
                .as_u64()
                .unwrap()
                .to_be_bytes(),
        );
        id[8..].copy_from_slice(&hash[8..]);
        assert_eq!(hex::encode(id), s(&v["blockID"]));
        let r = RefBlock::from_block_id(&id);
        assert_eq!(hex::encode(r.bytes), s(&v["derived_ref_block_bytes"]));
        assert_eq!(hex::encode(r.hash), s(&v["derived_ref_block_hash"]));
        // The witness signature recovers over sha256(header raw).
        let sig = Signature::from_hex(s(&v["witness_signature"])).unwrap();
        let addr = sig.recover(&TxId::from_bytes(hash)).unwrap();
        assert_eq!(addr.to_hex(), s(&v["witness_signature_recovers_to"]));
    }
}

#[test]
fn multisig_signatures_recover_to_their_keys() {
    let d = load("multisig.json");
    for v in d["vectors"].as_array().unwrap() {
        let raw_bytes = hexb(s(&v["raw_data_hex"]));
        let raw = RawData::decode(&raw_bytes).unwrap();
        let txid = raw.txid();
        assert_eq!(txid.to_hex(), s(&v["txID"]));
        let sigs: Vec<Signature> = v["signatures_in_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| Signature::from_hex(s(x)).unwrap())
            .collect();
        for (sig, check) in sigs
            .iter()
            .zip(v["verification"]["signatures"].as_array().unwrap())
        {
            assert_eq!(
                sig.recover(&txid).unwrap().to_hex(),
                s(&check["recovers_to"])
            );
        }
        // Several signatures are representable and round-trip in a signed Transaction.
        let tx = SignedTransaction {
            raw,
            signatures: sigs,
        };
        let enc = tx.encode();
        assert_eq!(SignedTransaction::decode(&enc).unwrap(), tx);
    }
}

#[test]
fn negative_vectors_are_refused() {
    for v in vectors("negative.json") {
        let id = s(&v["id"]);
        if let Some(hex_str) = v["raw_data_hex"].as_str() {
            let bytes = hexb(hex_str);
            assert_eq!(
                TxId::of_raw(&bytes).to_hex(),
                s(&v["sha256_of_bytes"]),
                "{id}"
            );
            if id == "bitgo_invalid_txid" {
                // The bytes are fine; the claimed txID is not theirs.
                let obj =
                    serde_json::json!({"txID": s(&v["claimed_txID"]), "raw_data_hex": hex_str});
                let e = coldpay_shared::tronweb::from_tronweb_json(&obj).unwrap_err();
                assert!(matches!(e, Error::TxIdMismatch { .. }), "{id}: {e}");
            } else {
                let e = RawData::decode(&bytes).unwrap_err();
                assert!(matches!(e, Error::Proto { .. }), "{id}: {e}");
            }
        } else if let Some(b58) = v["base58"].as_str() {
            assert_eq!(Address::parse(b58), Err(Error::AddressChecksum), "{id}");
        } else if id == "nile_malformed_abi_address_word" {
            let tx = vectors("transactions_signed.json")
                .into_iter()
                .find(|t| s(&t["id"]) == "nile_trc20_transfer_malformed_abi_c70b20da")
                .unwrap();
            let raw = RawData::decode_hex(s(&tx["raw_data_hex"])).unwrap();
            assert!(matches!(raw.intent(), Err(Error::Intent(_))), "{id}");
        } else if id == "wrong_signer" {
            let tx = vectors("transactions_signed.json")
                .into_iter()
                .find(|t| s(&t["id"]) == "bitgo_fixture_transfer_high_s_ee0bbf72")
                .unwrap();
            let raw = RawData::decode_hex(s(&tx["raw_data_hex"])).unwrap();
            let sig = Signature::from_hex(s(&tx["signatures"][0])).unwrap();
            let e = sig.verify(&raw.txid(), &raw.owner()).unwrap_err();
            assert!(e.to_string().contains("expected"), "{id}: {e}");
        } else {
            panic!("negative vector {id} not handled");
        }
    }
}

#[test]
fn java_tron_json_raw_data_matches_hex() {
    let tx = vectors("transactions_signed.json")
        .into_iter()
        .find(|t| t.get("json_raw_data").is_some())
        .expect("javatron servlet vector");
    let from_json = raw_data_from_json(&tx["json_raw_data"]).unwrap();
    let from_hex =
        RawData::decode(&decode_hex_field("x", s(&tx["raw_data_hex"])).unwrap()).unwrap();
    assert_eq!(from_json, from_hex);
    // And the rendering parses back to the same value, in both address forms.
    for visible in [false, true] {
        let j = coldpay_shared::tronweb::raw_data_to_json(&from_hex, visible);
        assert_eq!(raw_data_from_json(&j).unwrap(), from_hex);
    }
}
