//! Real staking transactions (types 54–59) from public repositories: each decodes strictly,
//! re-encodes byte for byte, hashes to its txID and carries the fields its source states.
//! Provenance in data/README.md.

use coldpay_shared::contract::ContractKind;
use coldpay_shared::staking::{Resource, StakingContract};
use coldpay_shared::{Address, RawData, TxId};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/staking.json"
    ))
    .unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn staking(raw: &RawData) -> &StakingContract {
    match &raw.contract.kind {
        ContractKind::Staking(s) => s,
        other => panic!("not a staking contract: {}", other.type_name()),
    }
}

/// (amount, resource, receiver, lock, lock_period) of a contract, where it has them.
fn fields(
    s: &StakingContract,
) -> (
    Option<u64>,
    Option<Resource>,
    Option<Address>,
    Option<(bool, u64)>,
) {
    match s {
        StakingContract::Freeze {
            amount, resource, ..
        }
        | StakingContract::Unfreeze {
            amount, resource, ..
        } => (Some(amount.as_u64()), Some(*resource), None, None),
        StakingContract::Delegate {
            resource,
            balance,
            receiver,
            lock,
            lock_period,
            ..
        } => (
            Some(balance.as_u64()),
            Some(*resource),
            Some(*receiver),
            Some((*lock, *lock_period)),
        ),
        StakingContract::UnDelegate {
            resource,
            balance,
            receiver,
            ..
        } => (
            Some(balance.as_u64()),
            Some(*resource),
            Some(*receiver),
            None,
        ),
        StakingContract::WithdrawExpireUnfreeze { .. }
        | StakingContract::CancelAllUnfreeze { .. } => (None, None, None, None),
    }
}

#[test]
fn every_staking_vector_round_trips_byte_exact_with_its_txid() {
    let vs = vectors();
    assert_eq!(vs.len(), 11);
    let mut types = std::collections::BTreeSet::new();
    for v in &vs {
        let id = v["id"].as_str().unwrap();
        let bytes = hex::decode(v["raw_data_hex"].as_str().unwrap()).unwrap();
        let raw = RawData::decode(&bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(raw.encode(), bytes, "{id}: canonical re-encoding");
        assert_eq!(
            raw.txid(),
            TxId::from_hex(v["txID"].as_str().unwrap()).unwrap(),
            "{id}"
        );
        let s = staking(&raw);
        assert_eq!(s.type_name(), v["contract_type"].as_str().unwrap(), "{id}");
        types.insert(s.type_number());
        let d = &v["decoded"];
        if let Some(o) = d["owner"].as_str() {
            assert_eq!(s.owner(), Address::parse(o).unwrap(), "{id}");
        }
        let (amount, resource, receiver, lock) = fields(s);
        if let Some(a) = d["amount"].as_u64() {
            assert_eq!(amount, Some(a), "{id}");
        }
        if let Some(r) = d["resource"].as_str() {
            assert_eq!(resource.map(Resource::name), Some(r), "{id}");
        }
        if let Some(r) = d["receiver"].as_str() {
            assert_eq!(receiver, Some(Address::parse(r).unwrap()), "{id}");
        }
        if let Some(l) = d["lock"].as_bool() {
            let period = d["lock_period"].as_u64().unwrap();
            assert_eq!(lock, Some((l, period)), "{id}");
        }
        // The TronWeb JSON form describes the same bytes.
        let json = coldpay_shared::tronweb::raw_data_to_json(&raw, true);
        assert_eq!(
            coldpay_shared::tronweb::raw_data_from_json(&json).unwrap(),
            raw,
            "{id}: JSON round trip"
        );
    }
    assert_eq!(types.len(), 6, "all six staking types are covered");
}

#[test]
fn a_flipped_byte_in_a_staking_vector_is_refused_or_changes_the_txid() {
    for v in vectors() {
        let bytes = hex::decode(v["raw_data_hex"].as_str().unwrap()).unwrap();
        let txid = RawData::decode(&bytes).unwrap().txid();
        // Each contract's amount or type byte, perturbed, never decodes to the same txID.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            if let Ok(raw) = RawData::decode(&b) {
                assert_ne!(raw.txid(), txid);
                assert_eq!(raw.encode(), b, "accepted bytes are canonical");
            }
        }
    }
}

#[test]
fn tronweb_built_staking_transactions_decode_byte_exact() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/staking_tronweb.json"
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let txs = v["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 9);
    for t in txs {
        let bytes = hex::decode(t["raw_data_hex"].as_str().unwrap()).unwrap();
        let raw = RawData::decode(&bytes).unwrap();
        assert_eq!(raw.encode(), bytes);
        assert_eq!(raw.txid().to_hex(), t["txID"].as_str().unwrap());
        assert_eq!(
            staking(&raw).type_name(),
            t["contract_type"].as_str().unwrap()
        );
    }
}
