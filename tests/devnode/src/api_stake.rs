//! The Stake 2.0 HTTP API in java-tron's JSON shapes: the staking fields of `getaccount`,
//! `getaccountresource`, the builders TronWeb calls (`freezebalancev2`, `unfreezebalancev2`,
//! `delegateresource`, `undelegateresource`, `withdrawexpireunfreeze`, `cancelallunfreezev2`)
//! and the queries (`getdelegatedresourcev2`, `getdelegatedresourceaccountindexv2`,
//! `getcanwithdrawunfreezeamount`, `getavailableunfreezecount`, `getcandelegatedmaxsize`).
//! Zero and default values are omitted as java-tron's JSON printer does.

use coldpay_shared::contract::{Contract, ContractKind};
use coldpay_shared::staking::{Resource, StakingContract};
use coldpay_shared::tronweb::to_tronweb_json;
use coldpay_shared::{Address, Sun};
use serde_json::{json, Map, Value};

use crate::chain::Chain;
use crate::reply::{addr_out, error, get_u64, ok, param_addr, Reply};
use crate::resources::{idx, RESOURCES, SUN_PER_TRX};
use crate::stake::{resources_named, UNFREEZE_MAX_TIMES};

fn put(m: &mut Map<String, Value>, k: &str, v: u64) {
    if v != 0 {
        m.insert(k.into(), json!(v));
    }
}

/// The staking fields `getaccount` adds to an account object.
pub fn account_fields(chain: &Chain, a: &Address, now_ms: u64, m: &mut Map<String, Value>) {
    let s = chain.stake_of(a);
    let net = s.net.at(now_ms);
    put(m, "net_usage", net);
    if net != 0 {
        m.insert("latest_consume_time".into(), json!(s.net.time_ms));
    }
    put(
        m,
        "delegated_frozenV2_balance_for_bandwidth",
        s.delegated_out[0],
    );
    put(
        m,
        "acquired_delegated_frozenV2_balance_for_bandwidth",
        s.acquired[0],
    );
    let mut res = Map::new();
    let energy = s.energy.at(now_ms);
    put(&mut res, "energy_usage", energy);
    if energy != 0 {
        res.insert(
            "latest_consume_time_for_energy".into(),
            json!(s.energy.time_ms),
        );
    }
    put(
        &mut res,
        "delegated_frozenV2_balance_for_energy",
        s.delegated_out[1],
    );
    put(
        &mut res,
        "acquired_delegated_frozenV2_balance_for_energy",
        s.acquired[1],
    );
    if !res.is_empty() {
        m.insert("account_resource".into(), Value::Object(res));
    }
    if s.ever {
        let mut frozen: Vec<Value> = resources_named()
            .map(|(i, r)| {
                let mut f = Map::new();
                if r != Resource::Bandwidth {
                    f.insert("type".into(), json!(r.name()));
                }
                put(&mut f, "amount", s.frozen[i]);
                Value::Object(f)
            })
            .collect();
        frozen.push(json!({"type": "TRON_POWER"}));
        m.insert("frozenV2".into(), json!(frozen));
    }
    if !s.unfrozen.is_empty() {
        let list: Vec<Value> = s
            .unfrozen
            .iter()
            .map(|u| {
                let mut f = Map::new();
                if u.resource != Resource::Bandwidth {
                    f.insert("type".into(), json!(u.resource.name()));
                }
                put(&mut f, "unfreeze_amount", u.amount);
                put(&mut f, "unfreeze_expire_time", u.expire_ms);
                Value::Object(f)
            })
            .collect();
        m.insert("unfrozenV2".into(), json!(list));
    }
}

/// `getaccountresource` (Wallet.getAccountResource), zero fields omitted.
pub fn account_resource(chain: &Chain, a: &Address, now_ms: u64) -> Value {
    let Some(acct) = chain.accounts.get(a) else {
        return json!({});
    };
    let mut m = net_fields(chain, a, now_ms);
    let s = &acct.stake;
    let power: u64 = RESOURCES.iter().map(|r| s.weight_sun(*r)).sum();
    put(&mut m, "tronPowerLimit", power / SUN_PER_TRX);
    put(&mut m, "EnergyUsed", s.energy.at(now_ms));
    put(
        &mut m,
        "EnergyLimit",
        chain.resource_limit(a, Resource::Energy),
    );
    put(
        &mut m,
        "TotalEnergyLimit",
        chain.total_limit(Resource::Energy),
    );
    put(
        &mut m,
        "TotalEnergyWeight",
        chain.total_weight(Resource::Energy),
    );
    Value::Object(m)
}

/// `getaccountnet` (Wallet.getAccountNet): the bandwidth half of [`account_resource`].
pub fn account_net(chain: &Chain, a: &Address, now_ms: u64) -> Value {
    if !chain.accounts.contains_key(a) {
        return json!({});
    }
    Value::Object(net_fields(chain, a, now_ms))
}

/// The bandwidth fields of an existing account, zero fields omitted.
fn net_fields(chain: &Chain, a: &Address, now_ms: u64) -> Map<String, Value> {
    let mut m = Map::new();
    let Some(acct) = chain.accounts.get(a) else {
        return m;
    };
    put(&mut m, "freeNetUsed", acct.free_net.at(now_ms));
    put(&mut m, "freeNetLimit", chain.params.free_net_limit);
    put(&mut m, "NetUsed", acct.stake.net.at(now_ms));
    put(
        &mut m,
        "NetLimit",
        chain.resource_limit(a, Resource::Bandwidth),
    );
    put(
        &mut m,
        "TotalNetLimit",
        chain.total_limit(Resource::Bandwidth),
    );
    put(
        &mut m,
        "TotalNetWeight",
        chain.total_weight(Resource::Bandwidth),
    );
    m
}

/// A `resource` parameter: "BANDWIDTH" (also the default), "ENERGY", or 0 / 1.
fn resource_param(p: &Value) -> Result<Resource, Reply> {
    match p.get("resource").or_else(|| p.get("type")) {
        None | Some(Value::Null) => Ok(Resource::Bandwidth),
        Some(Value::String(s)) => Resource::from_name(s).ok_or_else(|| {
            error(format!(
                "class java.lang.IllegalArgumentException : No enum constant org.tron.protos.contract.Common.ResourceCode.{s}"
            ))
        }),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => Ok(Resource::Bandwidth),
            Some(1) => Ok(Resource::Energy),
            _ => Err(error("ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]")),
        },
        Some(_) => Err(error("resource: expected BANDWIDTH or ENERGY")),
    }
}

fn sun_param(p: &Value, k: &str) -> Result<Sun, Reply> {
    let v = get_u64(p, k).unwrap_or(0);
    Sun::new(v).map_err(|e| error(format!("{k}: {e}")))
}

fn bool_param(p: &Value, k: &str) -> bool {
    match p.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// The contract a builder endpoint asks for.
fn contract_of(name: &str, p: &Value) -> Result<StakingContract, Reply> {
    let owner = param_addr(p, "owner_address")?;
    Ok(match name {
        "freezebalancev2" => StakingContract::Freeze {
            owner,
            amount: sun_param(p, "frozen_balance")?,
            resource: resource_param(p)?,
        },
        "unfreezebalancev2" => StakingContract::Unfreeze {
            owner,
            amount: sun_param(p, "unfreeze_balance")?,
            resource: resource_param(p)?,
        },
        "delegateresource" => StakingContract::Delegate {
            owner,
            resource: resource_param(p)?,
            balance: sun_param(p, "balance")?,
            receiver: param_addr(p, "receiver_address")?,
            lock: bool_param(p, "lock"),
            lock_period: get_u64(p, "lock_period").unwrap_or(0),
        },
        "undelegateresource" => StakingContract::UnDelegate {
            owner,
            resource: resource_param(p)?,
            balance: sun_param(p, "balance")?,
            receiver: param_addr(p, "receiver_address")?,
        },
        "withdrawexpireunfreeze" => StakingContract::WithdrawExpireUnfreeze { owner },
        _ => StakingContract::CancelAllUnfreeze { owner },
    })
}

/// The six builder endpoints: validate as the actuator would, then answer the unsigned
/// transaction as java-tron does (or `{"Error": "… ContractValidateException : …"}`).
pub fn build(chain: &Chain, name: &str, p: &Value, visible: bool) -> Reply {
    let c = match contract_of(name, p) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let now = chain.head().timestamp;
    let spendable = chain.accounts.get(&c.owner()).map_or(0, |a| a.balance);
    if let Err(m) = chain.validate_staking(&c, spendable, now) {
        return error(format!(
            "class org.tron.core.exception.ContractValidateException : {m}"
        ));
    }
    let permission_id = get_u64(p, "Permission_id").unwrap_or(0) as u32;
    let raw = chain.build(
        Contract {
            kind: ContractKind::Staking(c),
            permission_id,
        },
        0,
    );
    ok(to_tronweb_json(&raw, &[], visible))
}

/// Whether `name` is one of the six builder endpoints.
pub fn is_builder(name: &str) -> bool {
    matches!(
        name,
        "freezebalancev2"
            | "unfreezebalancev2"
            | "delegateresource"
            | "undelegateresource"
            | "withdrawexpireunfreeze"
            | "cancelallunfreezev2"
    )
}

/// The staking queries; `None` if `name` is not one.
pub fn query(chain: &Chain, name: &str, p: &Value, visible: bool) -> Option<Reply> {
    let now = chain.head().timestamp;
    let reply = match name {
        "getdelegatedresourcev2" => {
            let (from, to) = match (param_addr(p, "fromAddress"), param_addr(p, "toAddress")) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(e), _) | (_, Err(e)) => return Some(e),
            };
            let list: Vec<Value> = chain
                .delegations_between(&from, &to)
                .into_iter()
                .map(|(_, d)| {
                    let mut m = Map::new();
                    m.insert("from".into(), addr_out(&from, visible));
                    m.insert("to".into(), addr_out(&to, visible));
                    put(
                        &mut m,
                        "frozen_balance_for_bandwidth",
                        d.amount[idx(Resource::Bandwidth)],
                    );
                    put(
                        &mut m,
                        "frozen_balance_for_energy",
                        d.amount[idx(Resource::Energy)],
                    );
                    put(
                        &mut m,
                        "expire_time_for_bandwidth",
                        d.expire_ms[idx(Resource::Bandwidth)],
                    );
                    put(
                        &mut m,
                        "expire_time_for_energy",
                        d.expire_ms[idx(Resource::Energy)],
                    );
                    Value::Object(m)
                })
                .collect();
            if list.is_empty() {
                json!({})
            } else {
                json!({ "delegatedResource": list })
            }
        }
        "getdelegatedresourceaccountindexv2" => {
            let a = match param_addr(p, "value") {
                Ok(a) => a,
                Err(e) => return Some(e),
            };
            let (to, from) = chain.delegation_index(&a);
            if to.is_empty() && from.is_empty() {
                json!({})
            } else {
                let list = |v: Vec<Address>| -> Vec<Value> {
                    v.iter().map(|x| addr_out(x, visible)).collect()
                };
                let mut m = Map::new();
                m.insert("account".into(), addr_out(&a, visible));
                if !from.is_empty() {
                    m.insert("fromAccounts".into(), json!(list(from)));
                }
                if !to.is_empty() {
                    m.insert("toAccounts".into(), json!(list(to)));
                }
                Value::Object(m)
            }
        }
        "getcanwithdrawunfreezeamount" => {
            let a = match param_addr(p, "owner_address") {
                Ok(a) => a,
                Err(e) => return Some(e),
            };
            let at = get_u64(p, "timestamp").filter(|t| *t > 0).unwrap_or(now);
            let mut m = Map::new();
            put(&mut m, "amount", chain.stake_of(&a).withdrawable(at));
            Value::Object(m)
        }
        "getavailableunfreezecount" => {
            let a = match param_addr(p, "owner_address") {
                Ok(a) => a,
                Err(e) => return Some(e),
            };
            let used = chain.stake_of(&a).unfreezing_count(now);
            let mut m = Map::new();
            put(
                &mut m,
                "count",
                (UNFREEZE_MAX_TIMES.saturating_sub(used)) as u64,
            );
            Value::Object(m)
        }
        "getcandelegatedmaxsize" => {
            let a = match param_addr(p, "owner_address") {
                Ok(a) => a,
                Err(e) => return Some(e),
            };
            let r = match resource_param(p) {
                Ok(r) => r,
                Err(e) => return Some(e),
            };
            let mut m = Map::new();
            put(&mut m, "max_size", chain.can_delegate_max(&a, r, now));
            Value::Object(m)
        }
        _ => return None,
    };
    Some(ok(reply))
}

/// The ledger's staking view of an account (`/admin/ledger`): staked, delegated and
/// unstaking sun.
pub fn ledger_fields(chain: &Chain, a: &Address) -> Value {
    let s = chain.stake_of(a);
    let now = chain.head().timestamp;
    json!({
        "staked_energy_sun": s.frozen[idx(Resource::Energy)],
        "staked_bandwidth_sun": s.frozen[idx(Resource::Bandwidth)],
        "delegated_out_energy_sun": s.delegated_out[idx(Resource::Energy)],
        "delegated_out_bandwidth_sun": s.delegated_out[idx(Resource::Bandwidth)],
        "acquired_energy_sun": s.acquired[idx(Resource::Energy)],
        "acquired_bandwidth_sun": s.acquired[idx(Resource::Bandwidth)],
        "unstaking_sun": s.unfrozen.iter().map(|u| u.amount).sum::<u64>(),
        "withdrawable_sun": s.withdrawable(now),
        "energy_limit": chain.resource_limit(a, Resource::Energy),
        "energy_used": s.energy.at(now),
    })
}
