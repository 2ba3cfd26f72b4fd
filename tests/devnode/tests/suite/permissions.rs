//! Account permissions on the dev node: java-tron's JSON for getaccount, executing
//! AccountPermissionUpdateContract (fee, checks, renumbering), and validating multi-signature
//! transactions against the permission their Permission_id names.

use crate::common;

use coldpay_devnode::Genesis;
use coldpay_shared::contract::{Contract, ContractKind};
use coldpay_shared::permission::{
    AccountPermissionUpdate, Operations, Permission, PermissionKey, PermissionKind,
};
use coldpay_shared::{Address, RawData, RefBlock, TxId};
use coldpay_testkit::permission::{self, trx_trc20};
use common::{
    addr, broadcasthex_body, funded_genesis, key, sign, tapos, trx_transfer, usdt_transfer, Node,
};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};

const UPDATE_FEE: u64 = 100_000_000;

/// This module's requests to the node (a trait: each test module has its own).
trait NodeExt {
    fn post(&self, path: &str, body: &Value) -> Value;
    fn solid_ref(&self) -> (RefBlock, u64);
    fn send(&self, raw: &RawData, keys: &[&SigningKey]) -> Value;
    fn info(&self, txid: &TxId) -> Value;
    fn account(&self, a: &Address, visible: bool) -> Value;
    fn land(&self, raw: &RawData, keys: &[&SigningKey]) -> Value;
}

impl NodeExt for Node {
    fn post(&self, path: &str, body: &Value) -> Value {
        self.agent
            .post(&format!("{}{path}", self.node.url()))
            .send_json(body.clone())
            .unwrap()
            .into_json()
            .unwrap()
    }

    fn solid_ref(&self) -> (RefBlock, u64) {
        tapos(
            &self.post("/walletsolidity/getnowblock", &json!({})),
            &self.post("/wallet/getnowblock", &json!({})),
        )
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

    fn account(&self, a: &Address, visible: bool) -> Value {
        let shown = if visible { a.to_base58() } else { a.to_hex() };
        self.post(
            "/wallet/getaccount",
            &json!({"address": shown, "visible": visible}),
        )
    }

    /// Signs and broadcasts `raw` with `keys`, mines a block, and returns the included info.
    fn land(&self, raw: &RawData, keys: &[&SigningKey]) -> Value {
        let r = self.send(raw, keys);
        assert_eq!(r["result"], true, "{r}");
        self.node.mine(1);
        self.info(&raw.txid())
    }
}

/// A permission of `keys` (weight 1 each); actives allow TRX and TRC-20 (the test kit's).
fn permission(
    kind: PermissionKind,
    id: i32,
    name: &str,
    threshold: i64,
    keys: &[&SigningKey],
) -> Permission {
    let keys: Vec<Address> = keys.iter().map(|k| addr(k)).collect();
    let mut p = match kind {
        PermissionKind::Active => permission::active(name, id, threshold, &keys, trx_trc20()),
        _ => permission::owner(threshold, &keys),
    };
    p.kind = kind;
    p.id = id;
    p.name = name.into();
    p
}

/// An update of `owner`'s account: owner permission = the owner key alone, one active
/// permission "payouts" `threshold` of `keys`, allowed TRX and TRC-20.
fn update(owner: &SigningKey, threshold: i64, keys: &[&SigningKey]) -> AccountPermissionUpdate {
    let keys: Vec<Address> = keys.iter().map(|k| addr(k)).collect();
    permission::payouts_update(addr(owner), threshold, &keys)
}

fn update_raw(u: AccountPermissionUpdate, (block, now): (RefBlock, u64), salt: u64) -> RawData {
    RawData {
        ref_block: block,
        expiration: now + 3_600_000,
        memo: Vec::new(),
        contract: Contract {
            kind: ContractKind::AccountPermissionUpdate(u),
            permission_id: 0,
        },
        timestamp: now + salt,
        fee_limit: 0,
    }
}

/// A node where key 1 holds 10 000 TRX and 1 000 000 USDT and has a 2-of-3 active permission
/// "payouts" (keys 2, 3, 4) set by a landed AccountPermissionUpdateContract.
fn two_of_three() -> (Node, [SigningKey; 4]) {
    let ks = [key(1), key(2), key(3), key(4)];
    let n = Node::start(funded_genesis(&ks[0]));
    let u = update(&ks[0], 2, &[&ks[1], &ks[2], &ks[3]]);
    let info = n.land(&update_raw(u, n.solid_ref(), 0), &[&ks[0]]);
    assert_eq!(info["fee"], UPDATE_FEE, "{info}");
    (n, ks)
}

/// The fee of an included transaction minus what it burned for bandwidth (the free daily
/// allowance runs out after a few transactions).
fn burned_beyond_bandwidth(info: &Value) -> u64 {
    info["fee"].as_u64().unwrap() - info["receipt"]["net_fee"].as_u64().unwrap_or(0)
}

fn message(r: &Value) -> &str {
    r["message"].as_str().unwrap_or_default()
}

#[test]
fn a_new_account_shows_java_tron_default_permissions() {
    let k = key(1);
    let n = Node::start(funded_genesis(&k));
    let a = n.account(&addr(&k), false);
    // Owner is the protobuf default type: java-tron prints neither type nor id.
    assert_eq!(
        a["owner_permission"],
        json!({"permission_name": "owner", "threshold": 1, "keys": [{"address": addr(&k).to_hex(), "weight": 1}]})
    );
    assert_eq!(
        a["active_permission"],
        json!([{"type": "Active", "id": 2, "permission_name": "active", "threshold": 1,
                "operations": coldpay_devnode::permissions::DEFAULT_OPERATIONS,
                "keys": [{"address": addr(&k).to_hex(), "weight": 1}]}])
    );
    let ops = Operations::from_hex(coldpay_devnode::permissions::DEFAULT_OPERATIONS).unwrap();
    assert!(ops.allows(1) && ops.allows(31) && !ops.allows(46));
    // The typed reader in coldpay-shared reads the node's JSON back.
    let owner = Permission::from_tron_json(&a["owner_permission"], "owner_permission").unwrap();
    assert_eq!(owner.kind, PermissionKind::Owner);
    owner.check().unwrap();
}

#[test]
fn chain_parameters_name_the_permission_fees() {
    let n = Node::start(Genesis::default());
    let p = n.post("/wallet/getchainparameters", &json!({}));
    let get = |k: &str| {
        p["chainParameter"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == k)
            .map(|e| e["value"].clone())
    };
    assert_eq!(
        get("getUpdateAccountPermissionFee"),
        Some(json!(UPDATE_FEE))
    );
    assert_eq!(get("getMultiSignFee"), Some(json!(1_000_000)));
    assert_eq!(get("getTotalSignNum"), Some(json!(5)));
}

#[test]
fn permission_update_executes_and_charges_its_fee() {
    let (n, ks) = two_of_three();
    let owner = addr(&ks[0]);
    let a = n.account(&owner, true);
    assert_eq!(a["balance"], 10_000_000_000u64 - UPDATE_FEE);
    let active = &a["active_permission"];
    assert_eq!(
        active.as_array().unwrap().len(),
        1,
        "the default active is replaced"
    );
    assert_eq!(active[0]["permission_name"], "payouts");
    assert_eq!(active[0]["id"], 2);
    assert_eq!(active[0]["threshold"], 2);
    assert_eq!(
        active[0]["operations"],
        "0200008000000000000000000000000000000000000000000000000000000000"
    );
    assert_eq!(active[0]["keys"][2]["address"], addr(&ks[3]).to_base58());
    let read = Permission::from_tron_json(&active[0], "active_permission[0]").unwrap();
    assert_eq!(
        read,
        permission(
            PermissionKind::Active,
            2,
            "payouts",
            2,
            &[&ks[1], &ks[2], &ks[3]]
        )
    );
    let ledger = n.node.ledger();
    assert_eq!(
        ledger["transactions"][0]["contract_type"],
        "AccountPermissionUpdateContract"
    );
}

#[test]
fn two_of_three_payouts_need_two_distinct_members() {
    let (n, ks) = two_of_three();
    let to = addr(&key(20));
    let mut t = trx_transfer(&ks[0], to, 1_000_000, n.solid_ref(), 1);
    t.contract.permission_id = 2;
    let one = n.send(&t, &[&ks[1]]);
    assert_eq!(one["code"], "SIGERROR");
    assert_eq!(message(&one), "Validate signature error: sig error");
    let twice = n.send(&t, &[&ks[1], &ks[1]]);
    assert_eq!(
        message(&twice),
        format!(
            "Validate signature error: {} has signed twice!",
            addr(&ks[1])
        )
    );
    let outsider = n.send(&t, &[&ks[1], &ks[0]]);
    assert!(
        message(&outsider).ends_with(&format!(
            "is signed by {} but it is not contained of permission.",
            addr(&ks[0])
        )),
        "{outsider}"
    );
    // Signature order is free.
    let info = n.land(&t, &[&ks[3], &ks[1]]);
    assert_eq!(
        burned_beyond_bandwidth(&info),
        2_000_000,
        "multi-sign fee + activation of the recipient"
    );
    // A TRC-20 transfer is allowed by the operations too.
    let mut u = usdt_transfer(&ks[0], to, 5_000_000, 30_000_000, n.solid_ref(), 2);
    u.contract.permission_id = 2;
    let info = n.land(&u, &[&ks[2], &ks[3]]);
    assert_eq!(info["receipt"]["result"], "SUCCESS", "{info}");
    assert_eq!(n.node.ledger()["transactions"].as_array().unwrap().len(), 3);
}

#[test]
fn permission_id_selection_follows_java_tron() {
    let (n, ks) = two_of_three();
    let to = addr(&key(20));
    // The owner permission (id 0) is still the owner key alone.
    let t0 = trx_transfer(&ks[0], to, 1_000_000, n.solid_ref(), 1);
    assert_eq!(n.send(&t0, &[&ks[1], &ks[2]])["code"], "SIGERROR");
    assert_eq!(n.send(&t0, &[&ks[0]])["result"], true);
    let mut t3 = trx_transfer(&ks[0], to, 1_000_000, n.solid_ref(), 2);
    t3.contract.permission_id = 3;
    assert_eq!(
        message(&n.send(&t3, &[&ks[1], &ks[2]])),
        "Validate signature error: permission isn't exit"
    );
    // The active permission does not allow AccountPermissionUpdateContract.
    let mut u = update_raw(update(&ks[0], 1, &[&ks[1]]), n.solid_ref(), 3);
    u.contract.permission_id = 2;
    assert_eq!(
        message(&n.send(&u, &[&ks[1], &ks[2]])),
        "Validate signature error: Permission denied"
    );
    // More signatures than the permission has keys, and more than getTotalSignNum.
    let mut t = trx_transfer(&ks[0], to, 1_000_000, n.solid_ref(), 4);
    t.contract.permission_id = 2;
    let four = n.send(&t, &[&ks[1], &ks[2], &ks[3], &ks[0]]);
    assert_eq!(
        message(&four),
        "Validate signature error: Signature count is 4 more than key counts of permission : 3"
    );
    let six = n.send(&t, &[&ks[1], &ks[2], &ks[3], &ks[0], &key(5), &key(6)]);
    assert_eq!(
        message(&six),
        "Validate signature error: too many signatures"
    );
}

#[test]
fn removing_a_key_takes_its_weight_away() {
    let (n, ks) = two_of_three();
    // Rotate: key 4 out, key 5 in (the owner signs the update).
    let u = update(&ks[0], 2, &[&ks[1], &ks[2], &key(5)]);
    n.land(&update_raw(u, n.solid_ref(), 1), &[&ks[0]]);
    let mut t = trx_transfer(&ks[0], addr(&key(20)), 1_000_000, n.solid_ref(), 2);
    t.contract.permission_id = 2;
    let r = n.send(&t, &[&ks[1], &ks[3]]);
    assert!(
        message(&r).contains("but it is not contained of permission"),
        "{r}"
    );
    assert_eq!(n.send(&t, &[&ks[1], &key(5)])["result"], true);
}

#[test]
fn updates_are_validated_as_java_tron_does() {
    let k = key(1);
    let mut g = funded_genesis(&k);
    g.params.total_sign_num = 3;
    let n = Node::start(g);
    let r = n.send(
        &update_raw(
            update(&k, 2, &[&key(2), &key(3), &key(4), &key(5)]),
            n.solid_ref(),
            0,
        ),
        &[&k],
    );
    assert_eq!(r["code"], "CONTRACT_VALIDATE_ERROR");
    assert_eq!(
        message(&r),
        "Contract validate error : number of keys in permission should not be greater than 3"
    );
    let mut witness = update(&k, 1, &[&key(2)]);
    witness.witness = Some(Permission {
        kind: PermissionKind::Witness,
        id: 1,
        name: "witness".into(),
        threshold: 1,
        parent_id: 0,
        operations: None,
        keys: vec![PermissionKey {
            address: addr(&key(2)),
            weight: 1,
        }],
    });
    let r = n.send(&update_raw(witness, n.solid_ref(), 1), &[&k]);
    assert_eq!(
        message(&r),
        "Contract validate error : account isn't witness can't set witness permission"
    );
    // An update coldpay-shared already refuses (threshold above the weights) is refused as
    // a contract validation error, naming the rule.
    let r = n.send(
        &update_raw(update(&k, 3, &[&key(2), &key(3)]), n.solid_ref(), 2),
        &[&k],
    );
    assert_eq!(r["code"], "CONTRACT_VALIDATE_ERROR", "{r}");
    assert!(
        message(&r).contains("more than the sum of all key weights"),
        "{r}"
    );
}

#[test]
fn an_update_the_owner_cannot_pay_for_is_refused() {
    let k = key(1);
    let mut g = Genesis::default();
    g.fund(addr(&k), 50_000_000, 0);
    let n = Node::start(g);
    let r = n.send(
        &update_raw(update(&k, 1, &[&key(2)]), n.solid_ref(), 0),
        &[&k],
    );
    assert_eq!(r["code"], "CONTRACT_EXE_ERROR", "{r}");
    assert_eq!(n.account(&addr(&k), true)["balance"], 50_000_000);
}

#[test]
fn a_multisig_owner_needs_its_threshold_for_the_next_update() {
    let ks = [key(1), key(2), key(3)];
    let n = Node::start(funded_genesis(&ks[0]));
    let mut u = update(&ks[0], 1, &[&ks[1]]);
    u.owner = permission(PermissionKind::Owner, 0, "owner", 2, &[&ks[1], &ks[2]]);
    n.land(&update_raw(u, n.solid_ref(), 0), &[&ks[0]]);
    let next = update_raw(update(&ks[0], 1, &[&ks[1]]), n.solid_ref(), 1);
    assert_eq!(
        n.send(&next, &[&ks[0]])["code"],
        "SIGERROR",
        "the old owner key is out"
    );
    assert_eq!(
        message(&n.send(&next, &[&ks[1]])),
        "Validate signature error: sig error"
    );
    let info = n.land(&next, &[&ks[2], &ks[1]]);
    assert_eq!(
        burned_beyond_bandwidth(&info),
        UPDATE_FEE + 1_000_000,
        "update fee + multi-sign fee"
    );
}

#[test]
fn a_genesis_with_an_impossible_permission_is_refused_at_start() {
    use coldpay_devnode::genesis::{Permission as GPermission, PermissionKey as GKey, Permissions};
    let k = key(1);
    let mut g = funded_genesis(&k);
    let gkey = |n: u8| GKey {
        address: addr(&key(n)),
        weight: 1,
    };
    g.accounts[0].permissions = Some(Permissions {
        owner: GPermission {
            id: 0,
            name: None,
            threshold: 1,
            keys: vec![gkey(1)],
            operations: None,
        },
        actives: vec![GPermission {
            id: 2,
            name: Some("payouts".into()),
            threshold: 3,
            keys: vec![gkey(2), gkey(3)],
            operations: None,
        }],
    });
    let e = coldpay_devnode::Devnode::start(coldpay_devnode::Config {
        genesis: g,
        ..coldpay_devnode::Config::default()
    })
    .err()
    .expect("refused");
    assert!(
        e.to_string()
            .contains("threshold 3 is more than the sum of all key weights"),
        "{e}"
    );
}
