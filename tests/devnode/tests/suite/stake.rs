//! Stake 2.0 on the dev node over HTTP: transactions built by the node's own builder endpoints
//! (as TronWeb builds them), decoded and signed by coldpay-shared, broadcast, executed; energy
//! from stake first, the rest burned; recovery over 24 h of chain time; unstake → withdraw
//! after the delay; delegate / undelegate with a lock; java-tron's refusals.

use crate::common;

use coldpay_devnode::genesis::{Permission, PermissionKey, Permissions};
use coldpay_devnode::Genesis;
use coldpay_shared::staking::Resource;
use coldpay_shared::{Address, RawData, TxId};
use common::{addr, broadcasthex_body, key, sign, tapos, usdt_transfer, Node};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};

const TRX: u64 = 1_000_000;
const DAY_MS: u64 = 86_400_000;

/// This module's requests to the node (a trait: each test module has its own).
trait NodeExt {
    fn post(&self, path: &str, body: &Value) -> Value;
    fn build(&self, endpoint: &str, body: Value) -> RawData;
    fn build_error(&self, endpoint: &str, body: Value) -> String;
    fn send(&self, raw: &RawData, k: &SigningKey) -> Value;
    fn run(&self, raw: &RawData, k: &SigningKey) -> Value;
    fn info(&self, txid: &TxId) -> Value;
    fn resource(&self, a: &Address) -> Value;
    fn account(&self, a: &Address) -> Value;
    fn balance(&self, a: &Address) -> u64;
    fn usdt(&self, from: &SigningKey, to: Address, fee_limit: u64, salt: u64) -> RawData;
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

    /// Builds with a node endpoint, checks the answer's txID is sha256 of its raw_data_hex and
    /// that coldpay decodes it strictly.
    fn build(&self, endpoint: &str, body: Value) -> RawData {
        let r = self.post(&format!("/wallet/{endpoint}"), &body);
        let hex = r["raw_data_hex"]
            .as_str()
            .unwrap_or_else(|| panic!("{endpoint}: {r}"));
        let raw = RawData::decode_hex(hex).unwrap();
        assert_eq!(r["txID"], raw.txid().to_hex());
        raw
    }

    /// The builder's refusal message.
    fn build_error(&self, endpoint: &str, body: Value) -> String {
        let r = self.post(&format!("/wallet/{endpoint}"), &body);
        r["Error"]
            .as_str()
            .unwrap_or_else(|| panic!("{endpoint} built: {r}"))
            .to_string()
    }

    fn send(&self, raw: &RawData, k: &SigningKey) -> Value {
        self.post("/wallet/broadcasthex", &broadcasthex_body(&sign(raw, &[k])))
    }

    /// Broadcasts, mines a block and answers the TransactionInfo.
    fn run(&self, raw: &RawData, k: &SigningKey) -> Value {
        let r = self.send(raw, k);
        assert_eq!(r["result"], true, "{r}");
        self.node.mine(1);
        self.info(&raw.txid())
    }

    fn info(&self, txid: &TxId) -> Value {
        self.post(
            "/wallet/gettransactioninfobyid",
            &json!({"value": txid.to_hex()}),
        )
    }

    fn resource(&self, a: &Address) -> Value {
        self.post(
            "/wallet/getaccountresource",
            &json!({"address": a.to_base58(), "visible": true}),
        )
    }

    fn account(&self, a: &Address) -> Value {
        self.post(
            "/wallet/getaccount",
            &json!({"address": a.to_base58(), "visible": true}),
        )
    }

    fn balance(&self, a: &Address) -> u64 {
        self.account(a)["balance"].as_u64().unwrap_or(0)
    }

    fn usdt(&self, from: &SigningKey, to: Address, fee_limit: u64, salt: u64) -> RawData {
        let r = tapos(
            &self.post("/walletsolidity/getnowblock", &json!({})),
            &self.post("/wallet/getnowblock", &json!({})),
        );
        usdt_transfer(from, to, 1_000, fee_limit, r, salt)
    }
}

/// A genesis where `k` holds `trx` TRX and 1,000,000 USDT, and where the rest of the network's
/// energy stake is `others` TRX (so that limits come out round).
fn genesis(k: &SigningKey, trx: u64, others: u64) -> Genesis {
    let mut g = Genesis::default();
    g.fund(addr(k), trx * TRX, 1_000_000_000_000);
    g.params.energy_weight_others = others;
    g
}

fn freeze(n: &Node, k: &SigningKey, trx: u64, resource: &str) -> Value {
    let raw = n.build(
        "freezebalancev2",
        json!({"owner_address": addr(k).to_base58(), "frozen_balance": trx * TRX, "resource": resource, "visible": true}),
    );
    n.run(&raw, k)
}

#[test]
fn a_stake_that_covers_a_transfer_burns_no_trx_for_energy() {
    let k = key(1);
    // 10,000 TRX staked of 1,800,000,000 network-wide: 1,000,000 energy a day.
    let n = Node::start(genesis(&k, 20_000, 1_800_000_000 - 10_000));
    let me = addr(&k);
    let i = freeze(&n, &k, 10_000, "ENERGY");
    assert_eq!(i["receipt"].get("energy_fee"), None, "{i}");
    let res = n.resource(&me);
    assert_eq!(res["EnergyLimit"], 1_000_000, "{res}");
    assert_eq!(res["TotalEnergyWeight"], 1_800_000_000);
    assert_eq!(res["TotalEnergyLimit"], 180_000_000_000u64);
    assert_eq!(res["tronPowerLimit"], 10_000);
    assert_eq!(res.get("EnergyUsed"), None);
    let acct = n.account(&me);
    assert_eq!(acct["balance"], 10_000 * TRX);
    assert_eq!(
        acct["frozenV2"],
        json!([{}, {"type": "ENERGY", "amount": 10_000 * TRX}, {"type": "TRON_POWER"}])
    );
    // A USDT transfer to a new holder: all 130,285 energy from the stake.
    let before = n.balance(&me);
    let t = n.usdt(&k, addr(&key(2)), 30 * TRX, 1);
    let i = n.run(&t, &k);
    assert_eq!(i["receipt"]["result"], "SUCCESS");
    assert_eq!(i["receipt"]["energy_usage_total"], 130_285);
    assert_eq!(i["receipt"]["energy_usage"], 130_285);
    assert_eq!(i["receipt"].get("energy_fee"), None, "0 is omitted: {i}");
    // Nothing but bandwidth can have been burned.
    let net_fee = i["receipt"]["net_fee"].as_u64().unwrap_or(0);
    assert_eq!(i["fee"].as_u64().unwrap_or(0), net_fee, "{i}");
    assert_eq!(before - n.balance(&me), net_fee);
    assert_eq!(n.resource(&me)["EnergyUsed"], 130_285);
    assert_eq!(n.account(&me)["account_resource"]["energy_usage"], 130_285);
    // fee_limit still bounds the energy, stake included: 1 TRX at 100 sun = 10,000 energy.
    let oe = n.usdt(&k, addr(&key(3)), TRX, 2);
    let i = n.run(&oe, &k);
    assert_eq!(i["receipt"]["result"], "OUT_OF_ENERGY", "{i}");
    assert_eq!(i["receipt"]["energy_usage_total"], 10_000);
    assert_eq!(i["receipt"]["energy_usage"], 10_000);
    assert_eq!(i["receipt"].get("energy_fee"), None);
    // 130,285 recovered by one slot (3 s of 24 h) plus 10,000: ⌊(⌈130,285e6/28,800⌉ × 28,799
    // / 28,800 rounded + ⌈10,000e6/28,800⌉) × 28,800 / 1e6⌋.
    assert_eq!(n.resource(&me)["EnergyUsed"], 140_280);
}

#[test]
fn a_partial_stake_burns_only_the_uncovered_energy() {
    let k = key(4);
    // 300 TRX of 1,800,000,000: 30,000 energy.
    let n = Node::start(genesis(&k, 1_000, 1_800_000_000 - 300));
    let me = addr(&k);
    n.node.stake(me, 300 * TRX, Resource::Energy, None).unwrap();
    assert_eq!(n.resource(&me)["EnergyLimit"], 30_000);
    let before = n.balance(&me);
    let t = n.usdt(&k, addr(&key(5)), 30 * TRX, 1);
    let i = n.run(&t, &k);
    assert_eq!(i["receipt"]["result"], "SUCCESS");
    assert_eq!(i["receipt"]["energy_usage"], 30_000);
    assert_eq!(
        i["receipt"]["energy_fee"],
        (130_285 - 30_000) * 100,
        "only the uncovered 100,285 energy burns at 100 sun"
    );
    assert_eq!(i["fee"], 10_028_500);
    assert_eq!(before - n.balance(&me), 10_028_500);
    let ledger = n.node.ledger();
    let row = ledger["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["txid"] == t.txid().to_hex())
        .unwrap()
        .clone();
    assert_eq!(row["energy_fee_sun"], 10_028_500);
    assert_eq!(row["energy_from_stake"], 30_000);
    // The stake is used up; one slot (3 s) later it has recovered 2 energy
    // (30,000 → ⌊round(⌈30,000e6/28,800⌉ × 28,799/28,800) × 28,800/1e6⌋ = 29,998 used), so the
    // next transfer (to a holder now) takes 2 from the stake and burns the other 64,283.
    let t2 = n.usdt(&k, addr(&key(5)), 30 * TRX, 2);
    let i2 = n.run(&t2, &k);
    assert_eq!(i2["receipt"]["energy_usage"], 2, "{i2}");
    assert_eq!(i2["receipt"]["energy_fee"], 64_283 * 100);
}

#[test]
fn used_energy_recovers_linearly_over_24_hours_of_chain_time() {
    let k = key(6);
    let n = Node::start(genesis(&k, 1_000, 1_800_000_000 - 300));
    let me = addr(&k);
    n.node.stake(me, 300 * TRX, Resource::Energy, None).unwrap();
    let t = n.usdt(&k, addr(&key(7)), 30 * TRX, 1);
    n.run(&t, &k);
    assert_eq!(n.resource(&me)["EnergyUsed"], 30_000);
    // 12 h (14,400 slots) later, plus the block's own slot: 30,000 × 14,399 / 28,800.
    n.node.mine_after(1, DAY_MS / 2);
    assert_eq!(n.resource(&me)["EnergyUsed"], 14_998);
    // A full window after the use, nothing is used any more and the stake covers again.
    n.node.mine_after(1, DAY_MS / 2);
    assert_eq!(n.resource(&me).get("EnergyUsed"), None);
    let t2 = n.usdt(&k, addr(&key(7)), 30 * TRX, 2);
    let i = n.run(&t2, &k);
    assert_eq!(i["receipt"]["energy_usage"], 30_000);
    assert_eq!(i["receipt"]["energy_fee"], (64_285 - 30_000) * 100);
}

#[test]
fn unstaked_trx_is_withdrawn_only_after_the_delay_and_cancel_restakes() {
    let k = key(8);
    let mut g = genesis(&k, 1_000, 1_000_000);
    g.params.unfreeze_delay_days = 2;
    let n = Node::start(g);
    let me = addr(&k);
    let owner = json!(me.to_base58());
    freeze(&n, &k, 100, "BANDWIDTH");
    assert_eq!(n.balance(&me), 900 * TRX);
    let u = n.build(
        "unfreezebalancev2",
        json!({"owner_address": owner, "unfreeze_balance": 40 * TRX, "visible": true}),
    );
    let i = n.run(&u, &k);
    let unfreeze_time = i["blockTimeStamp"].as_u64().unwrap();
    let acct = n.account(&me);
    assert_eq!(
        acct["unfrozenV2"],
        json!([{"unfreeze_amount": 40 * TRX, "unfreeze_expire_time": unfreeze_time + 2 * DAY_MS}])
    );
    assert_eq!(acct["frozenV2"][0]["amount"], 60 * TRX);
    assert_eq!(
        n.balance(&me),
        900 * TRX,
        "unstaked TRX is not spendable yet"
    );
    assert_eq!(
        n.build_error("withdrawexpireunfreeze", json!({"owner_address": owner, "visible": true})),
        "class org.tron.core.exception.ContractValidateException : no unFreeze balance to withdraw "
    );
    assert_eq!(
        n.post(
            "/wallet/getcanwithdrawunfreezeamount",
            &json!({"owner_address": owner, "visible": true})
        ),
        json!({})
    );
    assert_eq!(
        n.post(
            "/wallet/getavailableunfreezecount",
            &json!({"owner_address": owner, "visible": true})
        ),
        json!({"count": 31})
    );
    // Two days of chain time later it can be withdrawn.
    n.node.mine_after(1, 2 * DAY_MS);
    assert_eq!(
        n.post(
            "/wallet/getcanwithdrawunfreezeamount",
            &json!({"owner_address": owner, "visible": true})
        ),
        json!({"amount": 40 * TRX})
    );
    let w = n.build(
        "withdrawexpireunfreeze",
        json!({"owner_address": owner, "visible": true}),
    );
    let i = n.run(&w, &k);
    assert_eq!(i["withdraw_expire_amount"], 40 * TRX, "{i}");
    assert_eq!(n.balance(&me), 940 * TRX);
    assert_eq!(n.account(&me).get("unfrozenV2"), None);
    // Unstake 10 more, then cancel: they are staked again.
    let u2 = n.build(
        "unfreezebalancev2",
        json!({"owner_address": owner, "unfreeze_balance": 10 * TRX, "visible": true}),
    );
    n.run(&u2, &k);
    assert_eq!(n.account(&me)["frozenV2"][0]["amount"], 50 * TRX);
    let c = n.build(
        "cancelallunfreezev2",
        json!({"owner_address": owner, "visible": true}),
    );
    let i = n.run(&c, &k);
    assert_eq!(
        i["cancel_unfreezeV2_amount"],
        json!([{"key": "BANDWIDTH", "value": 10 * TRX}, {"key": "ENERGY", "value": 0}, {"key": "TRON_POWER", "value": 0}])
    );
    assert_eq!(n.account(&me)["frozenV2"][0]["amount"], 60 * TRX);
    assert_eq!(
        n.build_error(
            "cancelallunfreezev2",
            json!({"owner_address": owner, "visible": true})
        ),
        "class org.tron.core.exception.ContractValidateException : No unfreezeV2 list to cancel"
    );
    // More than staked, and nothing staked for energy.
    assert_eq!(
        n.build_error(
            "unfreezebalancev2",
            json!({"owner_address": owner, "unfreeze_balance": 61 * TRX, "visible": true})
        ),
        "class org.tron.core.exception.ContractValidateException : Invalid unfreeze_balance, [61000000] is error"
    );
    assert_eq!(
        n.build_error(
            "unfreezebalancev2",
            json!({"owner_address": owner, "unfreeze_balance": TRX, "resource": "ENERGY", "visible": true})
        ),
        "class org.tron.core.exception.ContractValidateException : no frozenBalance(Energy)"
    );
}

#[test]
fn at_most_32_unstakes_wait_at_once() {
    let k = key(9);
    let n = Node::start(genesis(&k, 1_000, 1_000_000));
    let owner = json!(addr(&k).to_base58());
    freeze(&n, &k, 100, "ENERGY");
    for _ in 0..32 {
        let u = n.build(
            "unfreezebalancev2",
            json!({"owner_address": owner, "unfreeze_balance": TRX, "resource": "ENERGY", "visible": true}),
        );
        assert_eq!(n.send(&u, &k)["result"], true);
        n.node.mine(1);
    }
    assert_eq!(
        n.build_error(
            "unfreezebalancev2",
            json!({"owner_address": owner, "unfreeze_balance": TRX, "resource": "ENERGY", "visible": true})
        ),
        "class org.tron.core.exception.ContractValidateException : Invalid unfreeze operation, unfreezing times is over limit"
    );
}

#[test]
fn delegated_energy_is_locked_until_its_period_ends() {
    let (ka, kb) = (key(10), key(11));
    let mut g = genesis(&ka, 2_000, 1_800_000_000 - 1_000);
    g.fund(addr(&kb), 100 * TRX, 1_000_000_000);
    let n = Node::start(g);
    let (a, b) = (addr(&ka), addr(&kb));
    freeze(&n, &ka, 1_000, "ENERGY");
    let body = |balance: u64, to: Address, lock: bool, period: u64| json!({"owner_address": a.to_base58(), "receiver_address": to.to_base58(), "balance": balance, "resource": "ENERGY", "lock": lock, "lock_period": period, "visible": true});
    let pre = "class org.tron.core.exception.ContractValidateException : ";
    assert_eq!(
        n.build_error("delegateresource", body(300 * TRX, a, false, 0)),
        format!("{pre}receiverAddress must not be the same as ownerAddress")
    );
    assert_eq!(
        n.build_error("delegateresource", body(1_001 * TRX, b, false, 0)),
        format!("{pre}delegateBalance must be less than available FreezeEnergyV2 balance")
    );
    assert_eq!(
        n.build_error("delegateresource", body(TRX - 1, b, false, 0)),
        format!("{pre}delegateBalance must be more than 1TRX")
    );
    // 300 TRX locked for 100 blocks (300 s).
    let d = n.build("delegateresource", body(300 * TRX, b, true, 100));
    let i = n.run(&d, &ka);
    let at = i["blockTimeStamp"].as_u64().unwrap();
    assert_eq!(n.resource(&a)["EnergyLimit"], 70_000);
    assert_eq!(n.resource(&b)["EnergyLimit"], 30_000);
    assert_eq!(
        n.account(&a)["account_resource"]["delegated_frozenV2_balance_for_energy"],
        300 * TRX
    );
    assert_eq!(
        n.account(&b)["account_resource"]["acquired_delegated_frozenV2_balance_for_energy"],
        300 * TRX
    );
    assert_eq!(
        n.post(
            "/wallet/getdelegatedresourcev2",
            &json!({"fromAddress": a.to_base58(), "toAddress": b.to_base58(), "visible": true})
        ),
        json!({"delegatedResource": [{"from": a.to_base58(), "to": b.to_base58(), "frozen_balance_for_energy": 300 * TRX, "expire_time_for_energy": at + 300_000}]})
    );
    assert_eq!(
        n.post(
            "/wallet/getdelegatedresourceaccountindexv2",
            &json!({"value": a.to_base58(), "visible": true})
        ),
        json!({"account": a.to_base58(), "toAccounts": [b.to_base58()]})
    );
    assert_eq!(
        n.post(
            "/wallet/getcandelegatedmaxsize",
            &json!({"owner_address": a.to_base58(), "type": 1, "visible": true})
        ),
        json!({"max_size": 700 * TRX})
    );
    // B pays a transfer from the delegated energy.
    let t = n.usdt(&kb, addr(&key(12)), 30 * TRX, 1);
    let i = n.run(&t, &kb);
    assert_eq!(i["receipt"]["energy_usage"], 30_000, "{i}");
    // Locked: nothing can be taken back yet.
    let undelegate = |balance: u64| json!({"owner_address": a.to_base58(), "receiver_address": b.to_base58(), "balance": balance, "resource": "ENERGY", "visible": true});
    assert_eq!(
        n.build_error("undelegateresource", undelegate(100 * TRX)),
        format!(
            "{pre}insufficient delegateFrozenBalance(Energy), request=100000000, unlock_balance=0"
        )
    );
    // A shorter lock than the one left is refused.
    n.node.mine(1);
    let left = at + 300_000 - (at + 2 * 3000);
    assert_eq!(
        n.build_error("delegateresource", body(10 * TRX, b, true, 1)),
        format!("{pre}The lock period for ENERGY this time cannot be less than the remaining time[{left}ms] of the last lock period for ENERGY!")
    );
    // After the lock ends the whole 300 can be undelegated, not more.
    n.node.mine_after(1, 300_000);
    assert_eq!(
        n.build_error("undelegateresource", undelegate(301 * TRX)),
        format!("{pre}insufficient delegateFrozenBalance(Energy), request=301000000, unlock_balance=300000000")
    );
    let u = n.build("undelegateresource", undelegate(300 * TRX));
    n.run(&u, &ka);
    assert_eq!(n.resource(&a)["EnergyLimit"], 100_000);
    assert_eq!(n.resource(&b).get("EnergyLimit"), None);
    assert_eq!(
        n.post(
            "/wallet/getdelegatedresourcev2",
            &json!({"fromAddress": a.to_base58(), "toAddress": b.to_base58(), "visible": true})
        ),
        json!({})
    );
    assert_eq!(
        n.build_error("undelegateresource", undelegate(TRX)),
        format!("{pre}delegated Resource does not exist")
    );
}

#[test]
fn refusals_at_broadcast_use_java_tron_codes_and_messages() {
    let k = key(13);
    let n = Node::start(genesis(&k, 50, 1_000_000));
    let owner = json!(addr(&k).to_base58());
    assert_eq!(
        n.build_error(
            "freezebalancev2",
            json!({"owner_address": owner, "frozen_balance": TRX - 1, "visible": true})
        ),
        "class org.tron.core.exception.ContractValidateException : frozenBalance must be more than 1TRX"
    );
    // Built while valid, broadcast after the balance was spent elsewhere: refused then.
    let f = n.build(
        "freezebalancev2",
        json!({"owner_address": owner, "frozen_balance": 30 * TRX, "visible": true}),
    );
    let g = n.build(
        "freezebalancev2",
        json!({"owner_address": owner, "frozen_balance": 40 * TRX, "resource": "ENERGY", "visible": true}),
    );
    assert_eq!(n.send(&f, &k)["result"], true);
    n.node.mine(1);
    let r = n.send(&g, &k);
    assert_eq!(r["code"], "CONTRACT_VALIDATE_ERROR", "{r}");
    assert_eq!(
        r["message"],
        "Contract validate error : frozenBalance must be less than accountBalance"
    );
}

#[test]
fn staking_under_an_active_permission_follows_its_operations() {
    let owner_key = key(14);
    let (allowed, denied) = (key(15), key(16));
    let ops = |types: &[u32]| {
        let mut b = [0u8; 32];
        for t in types {
            b[(*t / 8) as usize] |= 1 << (t % 8);
        }
        hex::encode(b)
    };
    let perm = |id: u32, k: &SigningKey, operations: String| Permission {
        id,
        name: None,
        threshold: 1,
        keys: vec![PermissionKey {
            address: addr(k),
            weight: 1,
        }],
        operations: Some(operations),
    };
    let mut g = genesis(&owner_key, 1_000, 1_000_000);
    g.accounts[0].permissions = Some(Permissions {
        owner: Permission {
            id: 0,
            name: None,
            threshold: 1,
            keys: vec![PermissionKey {
                address: addr(&owner_key),
                weight: 1,
            }],
            operations: None,
        },
        actives: vec![
            perm(2, &allowed, ops(&[54, 55, 56, 57, 58, 59])),
            perm(3, &denied, ops(&[1, 31])),
        ],
    });
    let n = Node::start(g);
    let body = |id: u32| json!({"owner_address": addr(&owner_key).to_base58(), "frozen_balance": 10 * TRX, "resource": "ENERGY", "Permission_id": id, "visible": true});
    let no = n.build("freezebalancev2", body(3));
    assert_eq!(no.contract.permission_id, 3);
    let r = n.send(&no, &denied);
    assert_eq!(r["code"], "SIGERROR", "{r}");
    assert_eq!(r["message"], "Validate signature error: Permission denied");
    let yes = n.build("freezebalancev2", body(2));
    let i = n.run(&yes, &allowed);
    assert_eq!(i["id"], yes.txid().to_hex());
    assert_eq!(
        n.resource(&addr(&owner_key))["tronPowerLimit"],
        10,
        "staked under permission 2"
    );
}

#[test]
fn staked_bandwidth_is_used_before_the_free_allowance() {
    let k = key(17);
    // 1,000 TRX of bandwidth stake among 1,000,000 TRX network-wide of 43,200,000,000 a day.
    let mut g = genesis(&k, 1_000, 1_000_000);
    g.params.net_weight_others = 1_000_000 - 1_000;
    let n = Node::start(g);
    let me = addr(&k);
    n.node
        .stake(me, 1_000 * TRX, Resource::Bandwidth, None)
        .unwrap();
    let res = n.resource(&me);
    assert_eq!(res["NetLimit"], 43_200_000);
    assert_eq!(res["TotalNetWeight"], 1_000_000);
    let t = n.usdt(&k, addr(&key(18)), 30 * TRX, 1);
    let i = n.run(&t, &k);
    let bytes = sign(&t, &[&k]).encode().len() as u64 + 64;
    assert_eq!(i["receipt"]["net_usage"], bytes);
    assert_eq!(i["receipt"].get("net_fee"), None);
    let res = n.resource(&me);
    assert_eq!(res["NetUsed"], bytes, "taken from the stake");
    assert_eq!(
        res.get("freeNetUsed"),
        None,
        "the free allowance is untouched"
    );
    assert_eq!(n.account(&me)["net_usage"], bytes);
}

#[test]
fn admin_stake_lends_energy_or_bandwidth_to_a_receiver() {
    let (k, lender) = (key(19), key(20));
    let n = Node::start(genesis(&k, 100, 1_800_000_000 - 500));
    let me = addr(&k);
    let r = n.post(
        "/admin/stake",
        &json!({"address": addr(&lender).to_base58(), "amount": "500", "resource": "energy", "receiver": me.to_base58()}),
    );
    assert_eq!(r["address"], me.to_base58(), "{r}");
    assert_eq!(r["resource"]["EnergyLimit"], 50_000);
    assert_eq!(
        n.account(&me)["account_resource"]["acquired_delegated_frozenV2_balance_for_energy"],
        500 * TRX
    );
    assert_eq!(
        n.account(&addr(&lender))["account_resource"]["delegated_frozenV2_balance_for_energy"],
        500 * TRX
    );
    // The delegated energy pays a transfer; only the rest burns.
    let t = n.usdt(&k, addr(&key(21)), 30 * TRX, 1);
    let i = n.run(&t, &k);
    assert_eq!(i["receipt"]["energy_usage"], 50_000);
    assert_eq!(i["receipt"]["energy_fee"], 80_285 * 100);
    // A bad body is one clear error.
    let bad = n
        .agent
        .post(&format!("{}/admin/stake", n.node.url()))
        .send_json(json!({"address": me.to_base58(), "amount": "1", "resource": "power"}));
    match bad {
        Err(ureq::Error::Status(400, r)) => {
            let v: Value = r.into_json().unwrap();
            assert_eq!(v["Error"], "stake: resource \"power\": energy or bandwidth");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_staking_transaction_broadcast_as_json_keeps_its_txid_and_lists_in_its_block() {
    let (ka, kb) = (key(22), key(23));
    let mut g = genesis(&ka, 500, 1_000_000);
    g.fund(addr(&kb), 10 * TRX, 0);
    let n = Node::start(g);
    freeze(&n, &ka, 100, "ENERGY");
    let d = n.build(
        "delegateresource",
        json!({"owner_address": addr(&ka).to_base58(), "receiver_address": addr(&kb).to_base58(), "balance": 40 * TRX, "resource": "ENERGY", "lock": true, "visible": true}),
    );
    // java-tron's broadcasttransaction rebuilds raw_data from the JSON object.
    let signed = sign(&d, &[&ka]);
    let body = coldpay_shared::tronweb::to_tronweb_json(&d, &signed.signatures, false);
    let r = n.post("/wallet/broadcasttransaction", &body);
    assert_eq!(r, json!({"result": true, "txid": d.txid().to_hex()}));
    n.node.mine(1);
    let tx = n.post(
        "/wallet/gettransactionbyid",
        &json!({"value": d.txid().to_hex(), "visible": true}),
    );
    assert_eq!(tx["ret"], json!([{"contractRet": "SUCCESS"}]));
    assert_eq!(
        tx["raw_data"]["contract"][0]["parameter"]["value"],
        json!({"owner_address": addr(&ka).to_base58(), "resource": "ENERGY", "balance": 40 * TRX, "receiver_address": addr(&kb).to_base58(), "lock": true})
    );
    let i = n.info(&d.txid());
    let block = n.post(
        "/wallet/getblockbynum",
        &json!({"num": i["blockNumber"], "visible": true}),
    );
    assert_eq!(block["transactions"][0]["txID"], d.txid().to_hex());
    // A default lock (lock_period absent) lasts 3 days.
    assert_eq!(
        n.post(
            "/wallet/getdelegatedresourcev2",
            &json!({"fromAddress": addr(&ka).to_base58(), "toAddress": addr(&kb).to_base58(), "visible": true})
        )["delegatedResource"][0]["expire_time_for_energy"],
        i["blockTimeStamp"].as_u64().unwrap() + 3 * DAY_MS
    );
}
