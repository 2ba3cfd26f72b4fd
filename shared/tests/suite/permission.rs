//! Account permissions (issue #14): Permission / AccountPermissionUpdate protobuf, java-tron's
//! update rules, approval weights over real signatures (BitGo's two-signature vector), and the
//! permission claim in sign requests (JSON, compact form, digest).

use coldpay_shared::compact::{decode_request, encode_request};
use coldpay_shared::contract::{Contract, ContractKind};
use coldpay_shared::handoff::RequestTx;
use coldpay_shared::permission::{
    approval_weight, AccountPermissionUpdate, Operations, Permission, PermissionClaim,
    PermissionKey, PermissionKind,
};
use coldpay_shared::wire::{put_bytes_field, put_message_field, put_uint_field};
use coldpay_shared::{Address, Network, RawData, RefBlock, SignRequest, Signature, Sun, TxId};
use serde_json::{json, Value};

fn a(n: u8) -> Address {
    Address::from_evm_bytes([n; 20])
}

fn keys(addrs: &[Address]) -> Vec<PermissionKey> {
    addrs
        .iter()
        .map(|&address| PermissionKey { address, weight: 1 })
        .collect()
}

fn payouts(threshold: i64, addrs: &[Address]) -> Permission {
    Permission {
        kind: PermissionKind::Active,
        id: 2,
        name: "payouts".into(),
        threshold,
        parent_id: 0,
        operations: Some(Operations::from_names(&["trx", "trc20"]).unwrap()),
        keys: keys(addrs),
    }
}

fn owner_of(addr: Address) -> Permission {
    Permission {
        kind: PermissionKind::Owner,
        id: 0,
        name: "owner".into(),
        threshold: 1,
        parent_id: 0,
        operations: None,
        keys: keys(&[addr]),
    }
}

fn update() -> AccountPermissionUpdate {
    AccountPermissionUpdate {
        owner_address: a(1),
        owner: owner_of(a(1)),
        witness: None,
        actives: vec![payouts(2, &[a(2), a(3), a(4)])],
    }
}

fn raw_of(u: AccountPermissionUpdate) -> RawData {
    RawData {
        ref_block: RefBlock {
            bytes: [0x12, 0x34],
            hash: [1, 2, 3, 4, 5, 6, 7, 8],
        },
        expiration: 1_777_466_907_000,
        memo: Vec::new(),
        contract: Contract {
            kind: ContractKind::AccountPermissionUpdate(u),
            permission_id: 0,
        },
        timestamp: 1_777_445_307_000,
        fee_limit: 0,
    }
}

/// raw_data bytes whose contract parameter is `param` (type 46, canonical type_url).
fn raw_with_param(param: &[u8]) -> Vec<u8> {
    let mut any = Vec::new();
    put_bytes_field(
        &mut any,
        1,
        b"type.googleapis.com/protocol.AccountPermissionUpdateContract",
    );
    put_bytes_field(&mut any, 2, param);
    let mut c = Vec::new();
    put_uint_field(&mut c, 1, 46);
    put_message_field(&mut c, 2, &any);
    let mut out = Vec::new();
    put_bytes_field(&mut out, 1, &[0x12, 0x34]);
    put_bytes_field(&mut out, 4, &[1, 2, 3, 4, 5, 6, 7, 8]);
    put_uint_field(&mut out, 8, 1_777_466_907_000);
    put_message_field(&mut out, 11, &c);
    out
}

/// The parameter bytes of `u` with `permission` (already encoded) as its only active.
fn param_with_active(u: &AccountPermissionUpdate, active: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    put_bytes_field(&mut p, 1, u.owner_address.as_bytes());
    put_message_field(&mut p, 2, &u.owner.encode());
    put_message_field(&mut p, 4, active);
    p
}

fn decode_err(raw: &[u8]) -> String {
    RawData::decode(raw).unwrap_err().to_string()
}

#[test]
fn permission_update_round_trips_through_raw_data() {
    let raw = raw_of(update());
    let bytes = raw.encode();
    let back = RawData::decode(&bytes).unwrap();
    assert_eq!(back, raw);
    assert_eq!(back.contract.kind.type_number(), 46);
    assert_eq!(
        back.contract.kind.type_name(),
        "AccountPermissionUpdateContract"
    );
    assert_eq!(back.owner(), a(1));
    // The field layout of tron-facts §1: Permission 1 type, 2 id, 3 name, 4 threshold,
    // 6 operations, 7 keys {1 address, 2 weight}; the owner's type and id (0) are omitted.
    let active = payouts(2, &[a(2)]).encode();
    let mut want = vec![0x08, 0x02, 0x10, 0x02, 0x1a, 0x07];
    want.extend_from_slice(b"payouts");
    want.extend_from_slice(&[0x20, 0x02, 0x32, 0x20]);
    want.extend_from_slice(
        Operations::from_names(&["trx", "trc20"])
            .unwrap()
            .as_bytes(),
    );
    want.extend_from_slice(&[0x3a, 0x19, 0x0a, 0x15]);
    want.extend_from_slice(a(2).as_bytes());
    want.extend_from_slice(&[0x10, 0x01]);
    assert_eq!(hex::encode(&active), hex::encode(&want));
    assert!(
        owner_of(a(1)).encode().starts_with(&[0x1a, 0x05]),
        "owner starts at the name"
    );
    // A payout-shaped intent is refused for a permission update.
    assert!(raw
        .intent()
        .unwrap_err()
        .to_string()
        .contains("not a payout"));
}

#[test]
fn tronweb_json_of_a_permission_update_round_trips() {
    let raw = raw_of(update());
    for visible in [false, true] {
        let obj = coldpay_shared::tronweb::to_tronweb_json(&raw, &[], visible);
        let v = &obj["raw_data"]["contract"][0]["parameter"]["value"];
        assert_eq!(v["actives"][0]["type"], "Active");
        assert_eq!(
            v["actives"][0]["operations"],
            "0200008000000000000000000000000000000000000000000000000000000000"
        );
        assert!(
            v["owner"].get("type").is_none(),
            "Owner is the default, omitted"
        );
        let back = coldpay_shared::tronweb::from_tronweb_json(&obj).unwrap();
        assert_eq!(back.raw, raw);
    }
}

#[test]
fn non_canonical_permission_bytes_are_refused() {
    let u = update();
    // Fields out of order: keys (7) before threshold (4).
    let mut p = Vec::new();
    put_uint_field(&mut p, 1, 2);
    put_uint_field(&mut p, 2, 2);
    let mut key = Vec::new();
    put_bytes_field(&mut key, 1, a(2).as_bytes());
    put_uint_field(&mut key, 2, 1);
    put_message_field(&mut p, 7, &key);
    put_uint_field(&mut p, 4, 1);
    let e = decode_err(&raw_with_param(&param_with_active(&u, &p)));
    assert!(e.contains("out of ascending field order"), "{e}");
    // A default value present: parent_id = 0 written out.
    let good = payouts(1, &[a(2)]).encode();
    let mut with_zero = good[..4].to_vec(); // type, id
    with_zero.extend_from_slice(&[0x28, 0x00]);
    let e = decode_err(&raw_with_param(&param_with_active(&u, &with_zero)));
    assert!(e.contains("field 5 carries its default value"), "{e}");
    // The canonical bytes decode.
    RawData::decode(&raw_with_param(&param_with_active(&u, &good))).unwrap();
}

#[test]
fn unknown_fields_and_operation_bits_are_refused_by_name() {
    let u = update();
    let mut extra = payouts(1, &[a(2)]).encode();
    put_uint_field(&mut extra, 8, 1);
    let e = decode_err(&raw_with_param(&param_with_active(&u, &extra)));
    assert!(e.contains("actives[0]: unknown field 8"), "{e}");
    // An unknown field inside a key.
    let mut p = payouts(1, &[]).encode();
    let mut key = Vec::new();
    put_bytes_field(&mut key, 1, a(2).as_bytes());
    put_uint_field(&mut key, 2, 1);
    put_uint_field(&mut key, 3, 9);
    put_message_field(&mut p, 7, &key);
    let e = decode_err(&raw_with_param(&param_with_active(&u, &p)));
    assert!(e.contains("keys: unknown field 3"), "{e}");
    // An unknown field in the contract itself.
    let mut param = param_with_active(&u, &payouts(1, &[a(2)]).encode());
    put_uint_field(&mut param, 5, 1);
    let e = decode_err(&raw_with_param(&param));
    assert!(
        e.contains("AccountPermissionUpdateContract: unknown field 5"),
        "{e}"
    );
    // Operations: bit 7 is no contract type; 31 bytes is the wrong length.
    let mut bad_bit = payouts(1, &[a(2)]);
    let mut ops = *bad_bit.operations.unwrap().as_bytes();
    ops[0] |= 0x80;
    bad_bit.operations = None;
    let mut p = bad_bit.encode();
    let tail = p.split_off(p.iter().position(|&b| b == 0x3a).unwrap());
    put_bytes_field(&mut p, 6, &ops);
    p.extend_from_slice(&tail);
    let e = decode_err(&raw_with_param(&param_with_active(&u, &p)));
    assert!(
        e.contains("contract type 7, which is not a known contract type"),
        "{e}"
    );
    let mut short = bad_bit.encode();
    let tail = short.split_off(short.iter().position(|&b| b == 0x3a).unwrap());
    put_bytes_field(&mut short, 6, &[0xff; 31]);
    short.extend_from_slice(&tail);
    let e = decode_err(&raw_with_param(&param_with_active(&u, &short)));
    assert!(e.contains("operations must be 32 bytes, got 31"), "{e}");
    // Operations named by contract type in views.
    assert_eq!(
        Operations::from_bytes(&{
            let mut b = [0u8; 32];
            b[5] = 0x40;
            b
        })
        .unwrap()
        .names(),
        ["AccountPermissionUpdateContract"]
    );
}

#[test]
fn java_tron_update_rules_are_applied_on_decode() {
    let check = |u: AccountPermissionUpdate| {
        let bytes = raw_of(u).encode();
        RawData::decode(&bytes)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    check(update()).unwrap();
    let mut dup = update();
    dup.actives[0].keys = keys(&[a(2), a(2)]);
    assert!(check(dup)
        .unwrap_err()
        .contains(&format!("key {} appears twice", a(2))));
    let mut high = update();
    high.actives[0].threshold = 4;
    let e = check(high).unwrap_err();
    assert!(
        e.contains("threshold 4 is more than the sum of all key weights (3)"),
        "{e}"
    );
    let mut zero = update();
    zero.actives[0].keys[1].weight = 0;
    let e = check(zero).unwrap_err();
    assert!(
        e.contains("has weight 0; weights must be greater than 0"),
        "{e}"
    );
    let mut six = update();
    six.actives[0].keys = keys(&[a(2), a(3), a(4), a(5), a(6), a(7)]);
    let e = check(six).unwrap_err();
    assert!(e.contains("6 keys, at most 5 allowed"), "{e}");
    let mut none = update();
    none.actives[0].keys.clear();
    assert!(check(none).unwrap_err().contains("has no key"));
    let mut owner_ops = update();
    owner_ops.owner.operations = Some(Operations::from_names(&["trx"]).unwrap());
    assert!(check(owner_ops)
        .unwrap_err()
        .contains("only active permissions carry operations"));
    let mut no_ops = update();
    no_ops.actives[0].operations = None;
    assert!(check(no_ops)
        .unwrap_err()
        .contains("needs its 32-byte operations"));
    let mut renumbered = update();
    renumbered.actives[0].id = 3;
    assert!(check(renumbered).unwrap_err().contains("it will be id 2"));
    let mut unset = update();
    unset.actives[0].id = 0;
    check(unset).unwrap();
    let mut no_active = update();
    no_active.actives.clear();
    assert!(check(no_active)
        .unwrap_err()
        .contains("at least one active permission"));
    let mut long = update();
    long.actives[0].name = "x".repeat(33);
    assert!(check(long).unwrap_err().contains("33 bytes, at most 32"));
    let mut hidden = update();
    hidden.actives[0].name = "pay\u{202e}outs".into();
    assert!(check(hidden)
        .unwrap_err()
        .contains("U+202E (a bidi control character)"));
}

/// The BitGo two-signature vector (shared/tests/data/multisig.json): signatures by
/// TDzm1t… and TTsGwn… over one txID.
fn bitgo() -> (TxId, Vec<Signature>, Address, Address) {
    let v: Value = serde_json::from_str(include_str!("../data/multisig.json")).unwrap();
    let vec = &v["vectors"][0];
    let raw = RawData::decode_hex(vec["raw_data_hex"].as_str().unwrap()).unwrap();
    let txid = raw.txid();
    assert_eq!(txid.to_hex(), vec["txID"].as_str().unwrap());
    let sigs = vec["signatures_in_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Signature::from_hex(s.as_str().unwrap()).unwrap())
        .collect();
    let first = Address::parse("TDzm1tCXM2YS1PDa3GoXSvxdy4AgwVbBPE").unwrap();
    let second = Address::parse("TTsGwnTLQ4eryFJpDvJSfuGQxPXRCjXvZz").unwrap();
    (txid, sigs, first, second)
}

#[test]
fn approval_weight_sums_distinct_members() {
    let (txid, sigs, first, second) = bitgo();
    let mut p = payouts(2, &[a(9), first, second]);
    let both = approval_weight(&txid, &sigs, &p).unwrap();
    assert_eq!((both.weight, both.threshold), (2, 2));
    assert!(both.is_enough());
    assert_eq!(both.approvers, [(first, 1), (second, 1)]);
    assert!(both.duplicates.is_empty());
    let one = approval_weight(&txid, &sigs[1..], &p).unwrap();
    assert!(!one.is_enough());
    assert_eq!(one.missing(), 1);
    assert_eq!(
        one.summary(),
        format!("weight 1 of 2, approved by {second}")
    );
    // The same approver twice counts once and is reported.
    let twice = approval_weight(&txid, &[sigs[0], sigs[0]], &p).unwrap();
    assert_eq!(twice.weight, 1);
    assert!(!twice.is_enough());
    assert_eq!(twice.duplicates, [first]);
    // Weights count, not heads.
    p.keys[1].weight = 2;
    assert!(approval_weight(&txid, &sigs[..1], &p).unwrap().is_enough());
    // A signer outside the permission is named.
    let only_second = payouts(1, &[second]);
    let e = approval_weight(&txid, &sigs, &only_second).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("permission: {first} is not a key of permission payouts")
    );
    assert_eq!(
        approval_weight(&txid, &[], &p).unwrap().summary(),
        "weight 0 of 2, no approval yet"
    );
}

fn claim() -> PermissionClaim {
    PermissionClaim::from_permission(&payouts(2, &[a(2), a(3), a(4)]))
}

fn multisig_request(claim: Option<PermissionClaim>) -> SignRequest {
    let mut raw = RawData::trx_transfer(
        a(1),
        a(5),
        Sun::new(1_500_000).unwrap(),
        RefBlock {
            bytes: [0x12, 0x34],
            hash: [1, 2, 3, 4, 5, 6, 7, 8],
        },
        1_777_466_907_000,
        1_777_445_307_000,
    );
    raw.contract.permission_id = 2;
    SignRequest {
        network: Network::Nile,
        request_id: "ms-1".into(),
        created_at: 1_777_445_310_000,
        transactions: vec![RequestTx::new("p-1", raw)],
        permission: claim,
        permission_before: None,
    }
}

#[test]
fn claim_json_is_the_documented_shape() {
    let req = multisig_request(Some(claim()));
    let v = req.to_json();
    assert_eq!(
        v["permission"],
        json!({"id": 2, "name": "payouts", "threshold": 2,
               "keys": [{"address": a(2).to_base58(), "weight": 1},
                        {"address": a(3).to_base58(), "weight": 1},
                        {"address": a(4).to_base58(), "weight": 1}],
               "operations": ["TransferContract", "TriggerSmartContract"]})
    );
    assert_eq!(SignRequest::from_json(&v).unwrap(), req);
    assert!(multisig_request(None).to_json().get("permission").is_none());
    // Unknown keys and operation names are refused.
    let mut bad = v.clone();
    bad["permission"]["extra"] = json!(1);
    assert!(SignRequest::from_json(&bad)
        .unwrap_err()
        .to_string()
        .contains("unknown key, expected"));
    let mut bad = v.clone();
    bad["permission"]["operations"] = json!(["TransferContract", "Teleport"]);
    assert!(SignRequest::from_json(&bad)
        .unwrap_err()
        .to_string()
        .contains("unknown operation"));
    // An impossible claim and a transaction built under another id are refused.
    let mut bad = v.clone();
    bad["permission"]["threshold"] = json!(4);
    assert!(SignRequest::from_json(&bad)
        .unwrap_err()
        .to_string()
        .contains("more than the sum of all key weights"));
    let mut other = claim();
    other.id = 3;
    let e = multisig_request(Some(other))
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("built with Permission_id 2, but the request's permission is id 3"),
        "{e}"
    );
}

#[test]
fn claim_survives_the_compact_form_and_binds_the_digest() {
    let req = multisig_request(Some(claim()));
    let bytes = encode_request(&req).unwrap();
    assert_eq!(decode_request(&bytes).unwrap(), req);
    let plain = multisig_request(None);
    assert_eq!(
        decode_request(&encode_request(&plain).unwrap()).unwrap(),
        plain
    );
    assert_ne!(req.digest(), plain.digest());
    let variants: Vec<Box<dyn Fn(&mut PermissionClaim)>> = vec![
        Box::new(|c| c.threshold = 3),
        Box::new(|c| c.keys[2].weight = 2),
        Box::new(|c| c.keys[2].address = a(7)),
        Box::new(|c| c.name = "payout".into()),
        Box::new(|c| c.operations = Operations::from_names(&["trx"]).unwrap()),
    ];
    for change in variants {
        let mut c = claim();
        change(&mut c);
        let other = multisig_request(Some(c));
        assert_ne!(other.digest(), req.digest());
        assert_ne!(other.confirmation_code(), req.confirmation_code());
        assert_eq!(
            decode_request(&encode_request(&other).unwrap()).unwrap(),
            other
        );
    }
}

#[test]
fn permission_before_round_trips_and_is_checked() {
    let mut req = multisig_request(Some(claim()));
    req.permission_before = Some(vec![owner_of(a(1)), payouts(1, &[a(1)])]);
    let v = req.to_json();
    assert_eq!(v["permission_before"][0]["type"], "owner");
    assert_eq!(
        v["permission_before"][1]["operations"],
        json!(["TransferContract", "TriggerSmartContract"])
    );
    assert_eq!(SignRequest::from_json(&v).unwrap(), req);
    assert_eq!(decode_request(&encode_request(&req).unwrap()).unwrap(), req);
    let with = req.digest();
    req.permission_before.as_mut().unwrap()[1].threshold = 2;
    assert_ne!(req.digest(), with);
    let mut bad = v.clone();
    bad["permission_before"] = json!([v["permission_before"][1]]);
    assert!(SignRequest::from_json(&bad)
        .unwrap_err()
        .to_string()
        .contains("exactly one owner permission"));
}

#[test]
fn claims_answer_membership_and_operations() {
    let c = claim();
    assert_eq!(c.key_weight(&a(3)), Some(1));
    assert_eq!(c.key_weight(&a(9)), None);
    assert!(c.allows(1) && c.allows(31) && !c.allows(46));
    assert_eq!(c.describe(), "permission payouts: 2 of 3");
    let owner = PermissionClaim::from_permission(&owner_of(a(1)));
    assert!(owner.allows(46));
    owner.validate().unwrap();
    let mut witness = claim();
    witness.id = 1;
    assert!(witness
        .validate()
        .unwrap_err()
        .to_string()
        .contains("cannot sign transactions"));
}

#[test]
fn bitgo_permission_update_vector_decodes() {
    // A real signed AccountPermissionUpdateContract (BitGo fixture, transactions_signed.json):
    // owner 2-of-3, one active "active0" 2-of-3 carrying id 0, which the chain numbers 2.
    let v: Value = serde_json::from_str(include_str!("../data/transactions_signed.json")).unwrap();
    let vec = v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "bitgo_fixture_permission_update_7d5407d8")
        .unwrap();
    let raw = RawData::decode_hex(vec["raw_data_hex"].as_str().unwrap()).unwrap();
    let ContractKind::AccountPermissionUpdate(u) = &raw.contract.kind else {
        panic!("type 46 expected");
    };
    assert_eq!(
        u.owner_address.to_base58(),
        "TUQfLF59VN6pG2fd5r4v7o2nxBcnaTA8mj"
    );
    assert_eq!((u.owner.threshold, u.owner.keys.len()), (2, 3));
    assert_eq!(u.actives[0].id, 0);
    let assigned = u.assigned_actives();
    assert_eq!((assigned[0].id, assigned[0].name.as_str()), (2, "active0"));
    let ops = assigned[0].operations.unwrap();
    assert!(ops.names().contains(&"AccountPermissionUpdateContract"));
    assert_eq!(
        ops.to_hex(),
        "7fff1fc0037e0000000000000000000000000000000000000000000000000000"
    );
    let sig = Signature::from_hex(vec["signatures"][0].as_str().unwrap()).unwrap();
    let owner = PermissionClaim::from_permission(&u.owner).to_permission();
    let approval = approval_weight(&raw.txid(), &[sig], &owner).unwrap();
    assert_eq!(
        approval.summary(),
        format!("weight 1 of 2, approved by {}", u.owner_address)
    );
}

#[test]
fn inspect_shows_a_permission_update_as_the_account_will_hold_it() {
    let mut u = update();
    u.actives[0].id = 0; // unset on the wire; the chain assigns 2
    let raw = raw_of(u);
    let v = coldpay_shared::view::inspect_json(&raw).unwrap();
    assert_eq!(v["contract_type"], "AccountPermissionUpdateContract");
    assert_eq!(v["owner_address"], a(1).to_base58());
    assert_eq!(v["active_permissions"][0]["id"], 2);
    assert_eq!(v["active_permissions"][0]["threshold"], 2);
    assert_eq!(
        v["active_permissions"][0]["operations"],
        json!(["TransferContract", "TriggerSmartContract"])
    );
    let tw = coldpay_shared::tronweb::to_tronweb_json(&raw, &[], true);
    let text = coldpay_shared::view::inspect_input(
        &tw.to_string(),
        Some(&coldpay_shared::view::TextView::new(&[], 0)),
    )
    .unwrap();
    assert!(
        text.contains("Active \"payouts\" (id 2): threshold 2 of total weight 3"),
        "{text}"
    );
    assert!(
        text.contains("may sign: TransferContract, TriggerSmartContract"),
        "{text}"
    );
}
