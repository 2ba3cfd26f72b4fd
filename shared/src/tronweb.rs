//! The transaction object TronWeb, tronpy and TronGrid use:
//! `{txID, raw_data, raw_data_hex, visible, signature}`.
//!
//! When reading, `raw_data_hex` is the truth: it is decoded strictly, the `txID` must be its
//! sha256, and a `raw_data` object must describe exactly the same transaction. The JSON
//! `raw_data` form is also parsed on its own, as java-tron's `broadcasttransaction` does.

use serde_json::{Map, Value};

use crate::address::Address;
use crate::amount::Sun;
use crate::contract::{
    Contract, ContractKind, TransferContract, TriggerSmartContract, TRANSFER_TYPE_URL,
    TRIGGER_TYPE_URL,
};
use crate::error::{Error, Result};
use crate::signature::Signature;
use crate::transaction::{decode_hex_field, RawData, RefBlock, TxId};

/// A TronWeb-shaped transaction read from JSON, already cross-checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TronWebTx {
    /// Decoded raw_data (from `raw_data_hex`).
    pub raw: RawData,
    /// The raw bytes as given (canonical, so equal to `raw.encode()`).
    pub raw_bytes: Vec<u8>,
    /// The txID.
    pub txid: TxId,
    /// Whether addresses in the object were base58 (`visible: true`).
    pub visible: bool,
    /// Signatures already present.
    pub signatures: Vec<Signature>,
}

/// Renders raw_data as the JSON object java-tron prints (defaults omitted).
pub fn raw_data_to_json(raw: &RawData, visible: bool) -> Value {
    serde_json::to_value(RawDataView::of(raw, visible)).expect("serialisable")
}

/// Renders a full TronWeb transaction object.
pub fn to_tronweb_json(raw: &RawData, signatures: &[Signature], visible: bool) -> Value {
    serde_json::to_value(TronWebView::of(raw, signatures, visible)).expect("serialisable")
}

/// A full TronWeb transaction object, serialised directly (without a `Value` tree: 10,000
/// of them are rendered for one signed array). Fields are declared in the order of a JSON
/// object's sorted keys, so the text is exactly that of [`to_tronweb_json`].
#[derive(serde::Serialize)]
pub struct TronWebView<'a> {
    raw_data: RawDataView<'a>,
    raw_data_hex: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    signature: Vec<String>,
    #[serde(rename = "txID")]
    txid: String,
    visible: bool,
}

impl<'a> TronWebView<'a> {
    /// The object for `raw` with `signatures`, addresses as base58 when `visible`.
    pub fn of(raw: &'a RawData, signatures: &[Signature], visible: bool) -> Self {
        let bytes = raw.encode();
        TronWebView {
            raw_data: RawDataView::of(raw, visible),
            txid: TxId::of_raw(&bytes).to_hex(),
            raw_data_hex: crate::hexutil::encode(&bytes),
            signature: signatures.iter().map(Signature::to_hex).collect(),
            visible,
        }
    }
}

/// `raw_data` as java-tron prints it (fields in sorted-key order, defaults omitted).
#[derive(serde::Serialize)]
struct RawDataView<'a> {
    contract: [ContractView<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    expiration: u64,
    #[serde(skip_serializing_if = "is_zero")]
    fee_limit: u64,
    ref_block_bytes: String,
    ref_block_hash: String,
    #[serde(skip_serializing_if = "is_zero")]
    timestamp: u64,
}

#[derive(serde::Serialize)]
struct ContractView<'a> {
    #[serde(rename = "Permission_id", skip_serializing_if = "is_zero")]
    permission_id: u64,
    parameter: ParameterView,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(serde::Serialize)]
struct ParameterView {
    type_url: &'static str,
    value: ValueView,
}

/// A contract's `parameter.value`.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum ValueView {
    Transfer {
        #[serde(skip_serializing_if = "is_zero")]
        amount: u64,
        owner_address: String,
        to_address: String,
    },
    Trigger {
        #[serde(skip_serializing_if = "is_zero")]
        call_value: u64,
        contract_address: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<String>,
        owner_address: String,
    },
    Json(Value),
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn addr_text(a: &Address, visible: bool) -> String {
    if visible {
        a.to_base58()
    } else {
        a.to_hex()
    }
}

fn nonempty_hex(bytes: &[u8]) -> Option<String> {
    (!bytes.is_empty()).then(|| crate::hexutil::encode(bytes))
}

impl<'a> RawDataView<'a> {
    fn of(raw: &'a RawData, visible: bool) -> Self {
        let value = match &raw.contract.kind {
            ContractKind::Transfer(t) => ValueView::Transfer {
                amount: t.amount.as_u64(),
                owner_address: addr_text(&t.owner, visible),
                to_address: addr_text(&t.to, visible),
            },
            ContractKind::TriggerSmart(t) => ValueView::Trigger {
                call_value: t.call_value.as_u64(),
                contract_address: addr_text(&t.contract, visible),
                data: nonempty_hex(&t.data),
                owner_address: addr_text(&t.owner, visible),
            },
            ContractKind::AccountPermissionUpdate(u) => ValueView::Json(u.to_tron_json(visible)),
            ContractKind::Staking(s) => ValueView::Json(s.to_tron_json(visible)),
        };
        RawDataView {
            contract: [ContractView {
                permission_id: u64::from(raw.contract.permission_id),
                parameter: ParameterView {
                    type_url: raw.contract.kind.type_url(),
                    value,
                },
                kind: raw.contract.kind.type_name(),
            }],
            data: nonempty_hex(&raw.memo),
            expiration: raw.expiration,
            fee_limit: raw.fee_limit,
            ref_block_bytes: crate::hexutil::encode(&raw.ref_block.bytes),
            ref_block_hash: crate::hexutil::encode(&raw.ref_block.hash),
            timestamp: raw.timestamp,
        }
    }
}

/// Keys a TronWeb transaction object may have.
pub const TRANSACTION_KEYS: &[&str] = &["txID", "raw_data", "raw_data_hex", "visible", "signature"];
/// Keys a `raw_data` object may have.
pub const RAW_DATA_KEYS: &[&str] = &[
    "contract",
    "ref_block_bytes",
    "ref_block_hash",
    "expiration",
    "timestamp",
    "fee_limit",
    "data",
    "ref_block_num",
];
/// Keys a `raw_data.contract[]` entry may have.
pub const CONTRACT_KEYS: &[&str] = &["parameter", "type", "Permission_id"];
/// Keys a `parameter` object may have.
pub const PARAMETER_KEYS: &[&str] = &["value", "type_url"];
/// Keys a `TransferContract` `parameter.value` may have.
pub const TRANSFER_VALUE_KEYS: &[&str] = &["owner_address", "to_address", "amount"];
/// Keys a `TriggerSmartContract` `parameter.value` may have.
pub const TRIGGER_VALUE_KEYS: &[&str] = &[
    "owner_address",
    "contract_address",
    "call_value",
    "data",
    "call_token_value",
    "token_id",
];

/// Refuses any key of `obj` not in `allowed`, naming the key and the allowed set.
fn check_keys(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<()> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        // The key is not quoted: an unknown key may be anything, a secret included.
        Some(_) => Err(Error::Json(format!(
            "{path}: unknown key (allowed: {})",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn get_obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| Error::Json(format!("{path}: expected an object")))
}

fn get_u64(obj: &Map<String, Value>, key: &str, path: &str) -> Result<u64> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if i64::try_from(v).is_ok() => Ok(v),
            _ => Err(Error::Json(format!(
                "{path}.{key}: must be an integer in 0..=2^63-1"
            ))),
        },
        Some(other) => Err(Error::Json(format!(
            "{path}.{key}: expected an integer, got {}",
            kind_of(other)
        ))),
    }
}

fn get_str<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<Option<&'a str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Error::Json(format!(
            "{path}.{key}: expected a string, got {}",
            kind_of(other)
        ))),
    }
}

/// What kind of JSON value `v` is, for an error that must not quote it.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn get_addr(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Address> {
    let s =
        get_str(obj, key, path)?.ok_or_else(|| Error::Json(format!("{path}.{key}: missing")))?;
    Address::parse(s).map_err(|e| Error::Json(format!("{path}.{key}: {}", e.redacted())))
}

fn fixed<const N: usize>(obj: &Map<String, Value>, key: &str, path: &str) -> Result<[u8; N]> {
    let s =
        get_str(obj, key, path)?.ok_or_else(|| Error::Json(format!("{path}.{key}: missing")))?;
    let b = decode_hex_field(&format!("{path}.{key}"), s)?;
    b.as_slice()
        .try_into()
        .map_err(|_| Error::Json(format!("{path}.{key}: must be {N} bytes, got {}", b.len())))
}

/// Parses a `raw_data` JSON object (hex or base58 addresses) into [`RawData`], as
/// java-tron's JSON broadcast does; unknown keys and unsupported contracts are refused, and the
/// result passes the same strict decoder as `raw_data_hex` input (one set of bounds for both
/// forms, e.g. Permission_id is an int32 on the chain).
pub fn raw_data_from_json(v: &Value) -> Result<RawData> {
    RawData::decode(&raw_data_fields_from_json(v)?.encode())
}

/// The fields of a `raw_data` object, without the strict-decoder pass (for a caller that
/// compares them with an already strictly decoded raw_data).
fn raw_data_fields_from_json(v: &Value) -> Result<RawData> {
    const P: &str = "raw_data";
    let obj = get_obj(v, P)?;
    check_keys(obj, RAW_DATA_KEYS, P)?;
    if get_u64(obj, "ref_block_num", P)? != 0 {
        return Err(Error::Json(
            "raw_data.ref_block_num: not allowed in a payout".into(),
        ));
    }
    let contracts = obj
        .get("contract")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Json("raw_data.contract: expected an array".into()))?;
    if contracts.len() != 1 {
        return Err(Error::Json(format!(
            "raw_data.contract: exactly one contract required, got {}",
            contracts.len()
        )));
    }
    let contract = contract_from_json(&contracts[0])?;
    let memo = match get_str(obj, "data", P)? {
        Some(s) => decode_hex_field("raw_data.data", s)?,
        None => Vec::new(),
    };
    let expiration = get_u64(obj, "expiration", P)?;
    if expiration == 0 {
        return Err(Error::Json("raw_data.expiration: missing".into()));
    }
    Ok(RawData {
        ref_block: RefBlock {
            bytes: fixed::<2>(obj, "ref_block_bytes", P)?,
            hash: fixed::<8>(obj, "ref_block_hash", P)?,
        },
        expiration,
        memo,
        contract,
        timestamp: get_u64(obj, "timestamp", P)?,
        fee_limit: get_u64(obj, "fee_limit", P)?,
    })
}

fn contract_from_json(v: &Value) -> Result<Contract> {
    const P: &str = "raw_data.contract[0]";
    let obj = get_obj(v, P)?;
    check_keys(obj, CONTRACT_KEYS, P)?;
    let ty = get_str(obj, "type", P)?.ok_or_else(|| Error::Json(format!("{P}.type: missing")))?;
    let permission_id = u32::try_from(get_u64(obj, "Permission_id", P)?)
        .map_err(|_| Error::Json(format!("{P}.Permission_id: out of range")))?;
    let param = get_obj(
        obj.get("parameter")
            .ok_or_else(|| Error::Json(format!("{P}.parameter: missing")))?,
        P,
    )?;
    check_keys(param, PARAMETER_KEYS, &format!("{P}.parameter"))?;
    let url = get_str(param, "type_url", P)?.unwrap_or("");
    let value = get_obj(
        param
            .get("value")
            .ok_or_else(|| Error::Json(format!("{P}.parameter.value: missing")))?,
        P,
    )?;
    let vp = "raw_data.contract[0].parameter.value";
    let kind = match ty {
        "TransferContract" => {
            if url != TRANSFER_TYPE_URL {
                return Err(Error::Json(format!(
                    "{P}.parameter.type_url: not the canonical type_url of {ty}"
                )));
            }
            check_keys(value, TRANSFER_VALUE_KEYS, vp)?;
            ContractKind::Transfer(TransferContract {
                owner: get_addr(value, "owner_address", vp)?,
                to: get_addr(value, "to_address", vp)?,
                amount: Sun::new(get_u64(value, "amount", vp)?)?,
            })
        }
        "TriggerSmartContract" => {
            if url != TRIGGER_TYPE_URL {
                return Err(Error::Json(format!(
                    "{P}.parameter.type_url: not the canonical type_url of {ty}"
                )));
            }
            check_keys(value, TRIGGER_VALUE_KEYS, vp)?;
            if get_u64(value, "call_token_value", vp)? != 0 || get_u64(value, "token_id", vp)? != 0
            {
                return Err(Error::Json(format!(
                    "{vp}: call_token_value/token_id are not allowed in a payout"
                )));
            }
            ContractKind::TriggerSmart(TriggerSmartContract {
                owner: get_addr(value, "owner_address", vp)?,
                contract: get_addr(value, "contract_address", vp)?,
                call_value: Sun::new(get_u64(value, "call_value", vp)?)?,
                data: match get_str(value, "data", vp)? {
                    Some(s) => decode_hex_field(&format!("{vp}.data"), s)?,
                    None => Vec::new(),
                },
            })
        }
        "AccountPermissionUpdateContract" => {
            if url != crate::contract::PERMISSION_UPDATE_TYPE_URL {
                return Err(Error::Json(format!(
                    "{P}.parameter.type_url: not the canonical type_url of {ty}"
                )));
            }
            ContractKind::AccountPermissionUpdate(
                crate::permission::AccountPermissionUpdate::from_tron_json(
                    &Value::Object(value.clone()),
                    vp,
                )?,
            )
        }
        _ => match crate::contract::contract_type_number(ty)
            .and_then(|n| crate::staking::type_url_of(n as u64).map(|u| (n as u64, u)))
        {
            Some((n, canonical)) => {
                if url != canonical {
                    return Err(Error::Json(format!(
                        "{P}.parameter.type_url: not the canonical type_url of {ty}"
                    )));
                }
                ContractKind::Staking(staking_from_json(n, value, vp)?)
            }
            None => {
                return Err(Error::Json(format!(
                    "{P}.type: not a contract type coldpay handles (TransferContract, TriggerSmartContract, AccountPermissionUpdateContract, FreezeBalanceV2Contract, UnfreezeBalanceV2Contract, WithdrawExpireUnfreezeContract, DelegateResourceContract, UnDelegateResourceContract, CancelAllUnfreezeV2Contract)"
                )))
            }
        },
    };
    Ok(Contract {
        kind,
        permission_id,
    })
}

/// Keys a staking contract's `parameter.value` may have, per type.
fn staking_value_keys(type_number: u64) -> &'static [&'static str] {
    use crate::staking::{
        DELEGATE_RESOURCE_CONTRACT, FREEZE_BALANCE_V2_CONTRACT, UNDELEGATE_RESOURCE_CONTRACT,
        UNFREEZE_BALANCE_V2_CONTRACT,
    };
    match type_number {
        FREEZE_BALANCE_V2_CONTRACT => &["owner_address", "frozen_balance", "resource"],
        UNFREEZE_BALANCE_V2_CONTRACT => &["owner_address", "unfreeze_balance", "resource"],
        DELEGATE_RESOURCE_CONTRACT => &[
            "owner_address",
            "resource",
            "balance",
            "receiver_address",
            "lock",
            "lock_period",
        ],
        UNDELEGATE_RESOURCE_CONTRACT => {
            &["owner_address", "resource", "balance", "receiver_address"]
        }
        _ => &["owner_address"],
    }
}

fn get_resource(obj: &Map<String, Value>, path: &str) -> Result<crate::staking::Resource> {
    match get_str(obj, "resource", path)? {
        None => Ok(crate::staking::Resource::Bandwidth),
        Some(s) => crate::staking::Resource::from_name(s)
            .ok_or_else(|| Error::Json(format!("{path}.resource: must be BANDWIDTH or ENERGY"))),
    }
}

fn get_bool(obj: &Map<String, Value>, key: &str, path: &str) -> Result<bool> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::Json(format!(
            "{path}.{key}: expected a boolean, got {}",
            kind_of(other)
        ))),
    }
}

/// A staking contract's `parameter.value` object (java-tron's JSON form).
fn staking_from_json(
    type_number: u64,
    value: &Map<String, Value>,
    vp: &str,
) -> Result<crate::staking::StakingContract> {
    use crate::staking::{
        StakingContract, DELEGATE_RESOURCE_CONTRACT, FREEZE_BALANCE_V2_CONTRACT,
        UNDELEGATE_RESOURCE_CONTRACT, UNFREEZE_BALANCE_V2_CONTRACT,
        WITHDRAW_EXPIRE_UNFREEZE_CONTRACT,
    };
    check_keys(value, staking_value_keys(type_number), vp)?;
    let owner = get_addr(value, "owner_address", vp)?;
    let sun = |k: &str| -> Result<Sun> { Sun::new(get_u64(value, k, vp)?) };
    Ok(match type_number {
        FREEZE_BALANCE_V2_CONTRACT => StakingContract::Freeze {
            owner,
            amount: sun("frozen_balance")?,
            resource: get_resource(value, vp)?,
        },
        UNFREEZE_BALANCE_V2_CONTRACT => StakingContract::Unfreeze {
            owner,
            amount: sun("unfreeze_balance")?,
            resource: get_resource(value, vp)?,
        },
        DELEGATE_RESOURCE_CONTRACT => StakingContract::Delegate {
            owner,
            resource: get_resource(value, vp)?,
            balance: sun("balance")?,
            receiver: get_addr(value, "receiver_address", vp)?,
            lock: get_bool(value, "lock", vp)?,
            lock_period: get_u64(value, "lock_period", vp)?,
        },
        UNDELEGATE_RESOURCE_CONTRACT => StakingContract::UnDelegate {
            owner,
            resource: get_resource(value, vp)?,
            balance: sun("balance")?,
            receiver: get_addr(value, "receiver_address", vp)?,
        },
        WITHDRAW_EXPIRE_UNFREEZE_CONTRACT => StakingContract::WithdrawExpireUnfreeze { owner },
        _ => StakingContract::CancelAllUnfreeze { owner },
    })
}

/// Reads a TronWeb transaction object, enforcing: `raw_data_hex` present and strictly
/// canonical, `txID` (if present) equal to its sha256, a `raw_data` object (if present)
/// describing the same transaction, and well-formed signatures.
pub fn from_tronweb_json(v: &Value) -> Result<TronWebTx> {
    let obj = get_obj(v, "transaction")?;
    check_keys(obj, TRANSACTION_KEYS, "transaction")?;
    let hex_str = get_str(obj, "raw_data_hex", "transaction")?
        .ok_or_else(|| Error::Json("transaction: raw_data_hex missing".into()))?;
    let raw_bytes = decode_hex_field("raw_data_hex", hex_str)?;
    let raw = RawData::decode(&raw_bytes)?;
    let txid = TxId::of_raw(&raw_bytes);
    if let Some(claimed) = get_str(obj, "txID", "transaction")? {
        if !claimed.eq_ignore_ascii_case(&txid.to_hex()) {
            return Err(Error::TxIdMismatch {
                claimed: claimed.to_string(),
                actual: txid.to_hex(),
            });
        }
    }
    if let Some(obj_raw) = obj.get("raw_data") {
        // Compared with the strictly decoded raw_data_hex: equal means equally valid.
        let parsed = raw_data_fields_from_json(obj_raw)
            .map_err(|e| Error::RawDataMismatch(format!("raw_data object unreadable: {e}")))?;
        if parsed != raw {
            return Err(Error::RawDataMismatch(describe_difference(&parsed, &raw)));
        }
    }
    let visible = match obj.get("visible") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Error::Json(format!(
                "transaction.visible: expected a boolean, got {}",
                kind_of(other)
            )))
        }
    };
    let signatures = match obj.get("signature") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| {
                s.as_str()
                    .ok_or_else(|| {
                        Error::Json("transaction.signature: expected hex strings".into())
                    })
                    .and_then(Signature::from_hex)
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(Error::Json(
                "transaction.signature: expected an array".into(),
            ))
        }
    };
    Ok(TronWebTx {
        raw,
        raw_bytes,
        txid,
        visible,
        signatures,
    })
}

fn describe_difference(json: &RawData, hex: &RawData) -> String {
    let mut diffs = Vec::new();
    if json.ref_block != hex.ref_block {
        diffs.push("ref block");
    }
    if json.expiration != hex.expiration {
        diffs.push("expiration");
    }
    if json.timestamp != hex.timestamp {
        diffs.push("timestamp");
    }
    if json.fee_limit != hex.fee_limit {
        diffs.push("fee_limit");
    }
    if json.memo != hex.memo {
        diffs.push("data (memo)");
    }
    if json.contract != hex.contract {
        diffs.push("contract");
    }
    format!("{} differ", diffs.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The `Value`-tree renderer the typed view replaced, kept as the oracle for its bytes.
    mod oracle {
        use super::super::*;
        use serde_json::json;

        fn addr_json(a: &Address, visible: bool) -> Value {
            if visible {
                Value::String(a.to_base58())
            } else {
                Value::String(a.to_hex())
            }
        }

        /// Renders raw_data as the JSON object java-tron prints (defaults omitted).
        fn oracle_raw_data(raw: &RawData, visible: bool) -> Value {
            let value = match &raw.contract.kind {
                ContractKind::Transfer(t) => {
                    let mut m = Map::new();
                    if t.amount.as_u64() != 0 {
                        m.insert("amount".into(), json!(t.amount.as_u64()));
                    }
                    m.insert("owner_address".into(), addr_json(&t.owner, visible));
                    m.insert("to_address".into(), addr_json(&t.to, visible));
                    Value::Object(m)
                }
                ContractKind::TriggerSmart(t) => {
                    let mut m = Map::new();
                    if !t.data.is_empty() {
                        m.insert("data".into(), json!(crate::hexutil::encode(&t.data)));
                    }
                    m.insert("owner_address".into(), addr_json(&t.owner, visible));
                    m.insert("contract_address".into(), addr_json(&t.contract, visible));
                    if t.call_value.as_u64() != 0 {
                        m.insert("call_value".into(), json!(t.call_value.as_u64()));
                    }
                    Value::Object(m)
                }
                ContractKind::AccountPermissionUpdate(u) => u.to_tron_json(visible),
                ContractKind::Staking(s) => s.to_tron_json(visible),
            };
            let mut contract = Map::new();
            contract.insert(
                "parameter".into(),
                json!({"value": value, "type_url": raw.contract.kind.type_url()}),
            );
            contract.insert("type".into(), json!(raw.contract.kind.type_name()));
            if raw.contract.permission_id != 0 {
                contract.insert("Permission_id".into(), json!(raw.contract.permission_id));
            }
            let mut m = Map::new();
            m.insert(
                "contract".into(),
                Value::Array(vec![Value::Object(contract)]),
            );
            m.insert(
                "ref_block_bytes".into(),
                json!(crate::hexutil::encode(&raw.ref_block.bytes)),
            );
            m.insert(
                "ref_block_hash".into(),
                json!(crate::hexutil::encode(&raw.ref_block.hash)),
            );
            m.insert("expiration".into(), json!(raw.expiration));
            if !raw.memo.is_empty() {
                m.insert("data".into(), json!(crate::hexutil::encode(&raw.memo)));
            }
            if raw.fee_limit != 0 {
                m.insert("fee_limit".into(), json!(raw.fee_limit));
            }
            if raw.timestamp != 0 {
                m.insert("timestamp".into(), json!(raw.timestamp));
            }
            Value::Object(m)
        }

        /// Renders a full TronWeb transaction object.
        fn oracle_tronweb(raw: &RawData, signatures: &[Signature], visible: bool) -> Value {
            let bytes = raw.encode();
            let mut m = Map::new();
            m.insert("visible".into(), json!(visible));
            m.insert("txID".into(), json!(TxId::of_raw(&bytes).to_hex()));
            m.insert("raw_data".into(), oracle_raw_data(raw, visible));
            m.insert("raw_data_hex".into(), json!(crate::hexutil::encode(&bytes)));
            if !signatures.is_empty() {
                m.insert(
                    "signature".into(),
                    Value::Array(signatures.iter().map(|s| json!(s.to_hex())).collect()),
                );
            }
            Value::Object(m)
        }

        pub(super) fn render(raw: &RawData, sigs: &[Signature], visible: bool) -> Vec<u8> {
            serde_json::to_vec_pretty(&oracle_tronweb(raw, sigs, visible)).unwrap()
        }
    }

    /// Every vector transaction (transfers, token calls, permission updates, memos,
    /// permission ids), both address forms, with and without signatures: the typed view
    /// writes exactly the bytes of the tree renderer, and the `Value` functions agree.
    #[test]
    fn typed_view_writes_the_bytes_of_the_tree_renderer() {
        let mut seen = 0;
        let mut kinds = std::collections::BTreeSet::new();
        for doc in [
            include_str!("../tests/data/transactions_signed.json"),
            include_str!("../tests/data/transactions_unsigned.json"),
            include_str!("../tests/data/staking.json"),
        ] {
            let doc: Value = serde_json::from_str(doc).unwrap();
            let vectors = doc.get("vectors").unwrap_or(&doc);
            for v in vectors.as_array().unwrap() {
                // Vectors of contract types the codec does not take are skipped.
                let Ok(raw) = RawData::decode_hex(v["raw_data_hex"].as_str().unwrap()) else {
                    continue;
                };
                kinds.insert(raw.contract.kind.type_name());
                let mut b = [0u8; 65];
                b[31] = 1;
                b[63] = 1;
                let sig = Signature::from_bytes(&b).unwrap();
                for visible in [true, false] {
                    for sigs in [&[][..], &[sig, sig][..]] {
                        let view = TronWebView::of(&raw, sigs, visible);
                        let direct = serde_json::to_vec_pretty(&view).unwrap();
                        assert_eq!(
                            String::from_utf8(direct).unwrap(),
                            String::from_utf8(oracle::render(&raw, sigs, visible)).unwrap(),
                            "{}",
                            v["id"]
                        );
                        let tree = to_tronweb_json(&raw, sigs, visible);
                        assert_eq!(serde_json::to_value(&view).unwrap(), tree);
                        assert_eq!(tree["raw_data"], raw_data_to_json(&raw, visible));
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen >= 15 * 4, "{seen}");
        for kind in [
            "AccountPermissionUpdateContract",
            "TransferContract",
            "TriggerSmartContract",
            "FreezeBalanceV2Contract",
            "UnfreezeBalanceV2Contract",
            "WithdrawExpireUnfreezeContract",
            "DelegateResourceContract",
            "UnDelegateResourceContract",
            "CancelAllUnfreezeV2Contract",
        ] {
            assert!(kinds.contains(kind), "no {kind} vector");
        }
    }

    /// BitGo's two-signature transaction (vectors/multisig.json): both signatures survive a
    /// read and a write, in their order, and each still recovers to its signer.
    #[test]
    fn signatures_already_present_are_kept_in_order() {
        let raw_hex = "0a0290e42208a018bf9892ddb13840e0c58ebadf2d5a66080112620a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412310a1541c4530f6bfa902b7398ac773da56106a15af15f9212154189ffaf9da8c6fae32189b2e6dce228249b1129aa18b60d7083878bbadf2d";
        let sigs = [
            "f3cabe2f4aed13e2342c78c7bf4626ea36cd6509a44418c24866814d3426703686be9ef21bd993324c520565beee820201f2a50a9ac971732410d3eb69cdb2a600",
            "bd08e6cd876bb573dd00a32870b58b70ea8b7908f5131686502589941bfa4fdda76b8c81bbbcfc549be6d4988657cea122df7da46c72041def2683d6ecb04a7401",
        ];
        let obj = json!({"raw_data_hex": raw_hex, "signature": sigs});
        let tx = from_tronweb_json(&obj).unwrap();
        assert_eq!(tx.signatures.len(), 2);
        let who: Vec<String> = tx
            .signatures
            .iter()
            .map(|s| s.recover(&tx.txid).unwrap().to_base58())
            .collect();
        assert_eq!(
            who,
            [
                "TDzm1tCXM2YS1PDa3GoXSvxdy4AgwVbBPE",
                "TTsGwnTLQ4eryFJpDvJSfuGQxPXRCjXvZz"
            ]
        );
        // Written back in the normalised form (low-S, v 0/1: the same signer, accepted by
        // java-tron alike), in the same order.
        let back = to_tronweb_json(&tx.raw, &tx.signatures, tx.visible);
        let again = from_tronweb_json(&back).unwrap();
        assert_eq!(again.signatures, tx.signatures);
        assert_ne!(back["signature"], json!(sigs), "BitGo's are high-S");
        let who_again: Vec<String> = again
            .signatures
            .iter()
            .map(|s| s.recover(&again.txid).unwrap().to_base58())
            .collect();
        assert_eq!(who_again, who);
    }
}
