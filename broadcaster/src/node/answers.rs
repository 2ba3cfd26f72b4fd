//! Typed node answers: one struct per endpoint response, parsed with serde. Absent fields are
//! protobuf defaults (java-tron omits them), so numbers default to 0 only where the protocol says
//! absent means 0; error bodies in every captured form are recognised first and never read as
//! data (an error is never a zero balance).

use serde::Deserialize;

/// What kind of trouble an answer body shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON at all (HTML page, proxy text, truncated body).
    NotJson(String),
    /// `{"Error": "..."}` (java-tron servlet error, TronGrid rate limit).
    Error(String),
    /// `{"result": {"code": "...", "message": "<hex>"}}` without `result: true`.
    Result {
        /// java-tron response code.
        code: String,
        /// Decoded message.
        message: String,
    },
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::NotJson(s) => write!(f, "answer is not JSON: {s}"),
            BodyError::Error(s) => write!(f, "node error: {s}"),
            BodyError::Result { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

impl BodyError {
    /// Seconds the node asked us to wait ("... suspended for 30s").
    pub fn suspended_for(&self) -> Option<u64> {
        let BodyError::Error(s) = self else {
            return None;
        };
        let rest = &s[s.find("suspended for ")? + "suspended for ".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }
}

/// A message field: hex of UTF-8 (visible=false) or plain text; decoded when it is hex text.
pub fn decode_message(s: &str) -> String {
    if !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Some(t) = hex::decode(s).ok().and_then(|b| String::from_utf8(b).ok()) {
            if t.chars().all(|c| !c.is_control() || c == '\n') {
                return t;
            }
        }
    }
    s.to_string()
}

/// Parses a body into JSON and recognises error bodies. `{}` and `[]` are *not* errors here:
/// they are "this node does not know", which each caller reads as unknown.
pub fn classify(text: &str) -> Result<serde_json::Value, BodyError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|_| {
        BodyError::NotJson(
            text.chars()
                .take(120)
                .collect::<String>()
                .replace('\n', " "),
        )
    })?;
    if let Some(o) = v.as_object() {
        // Field by field, so an odd companion field (`"success": "no"`, `"message": 5`) cannot
        // make an error body pass as data.
        let text_of =
            |e: &serde_json::Value| e.as_str().map_or_else(|| e.to_string(), str::to_string);
        let field = |m: &serde_json::Map<String, serde_json::Value>, k: &str| {
            m.get(k).filter(|x| !x.is_null()).cloned()
        };
        if let Some(e) = field(o, "Error") {
            return Err(BodyError::Error(text_of(&e)));
        }
        // TronGrid v1 error form: `{"success": false, "error": "...", "statusCode": 403}`.
        let v1_error = field(o, "error");
        if o.get("success").and_then(serde_json::Value::as_bool) == Some(false)
            || v1_error.is_some()
        {
            return Err(BodyError::Error(
                v1_error.map_or_else(|| "null".to_string(), |e| text_of(&e)),
            ));
        }
        if let Some(r) = o.get("result").and_then(serde_json::Value::as_object) {
            let ok = r.get("result").and_then(serde_json::Value::as_bool) == Some(true);
            if !ok {
                if let Some(code) = field(r, "code")
                    .map(|c| text_of(&c))
                    .filter(|c| c != "SUCCESS")
                {
                    let message = field(r, "message").map(|m| text_of(&m)).unwrap_or_default();
                    return Err(BodyError::Result {
                        code,
                        message: decode_message(&message),
                    });
                }
            }
        }
    }
    Ok(v)
}

/// `true` for the "not known here" answers `{}` and `[]`.
pub fn is_empty_answer(v: &serde_json::Value) -> bool {
    v.as_object().is_some_and(serde_json::Map::is_empty) || v.as_array().is_some_and(Vec::is_empty)
}

/// Reads an answer object as `T`. Anything but a JSON object is refused: serde would also
/// fill a struct from a JSON array (`[]` → every defaulted field 0), and a node never answers a
/// single-object endpoint with an array, so that would be a zero the body never said.
pub fn from_object<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
    if !v.is_object() {
        return Err("unexpected answer shape (not a JSON object)".into());
    }
    serde_json::from_value(v).map_err(|e| format!("unexpected answer shape ({e})"))
}

/// Deserializers for nested answer objects that refuse JSON arrays (serde would fill a struct
/// from `[5]`, reading a number the body never gave that field).
mod strict {
    use serde::de::{DeserializeOwned, Error};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn obj<T: DeserializeOwned, E: Error>(v: Value) -> Result<T, E> {
        if !v.is_object() {
            return Err(E::custom("expected a JSON object"));
        }
        serde_json::from_value(v).map_err(E::custom)
    }

    /// A nested object.
    pub(super) fn one<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
        obj(Value::deserialize(d)?)
    }

    /// An optional nested object.
    pub(super) fn opt<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            v => obj(v).map(Some),
        }
    }

    /// An array of objects.
    pub(super) fn many<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(a) => a.into_iter().map(obj).collect(),
            _ => Err(D::Error::custom("expected an array")),
        }
    }
}

/// Reads a JSON array of answer objects (e.g. `gettransactioninfobyblocknum`); each element must
/// be an object.
pub fn from_objects<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
) -> Result<Vec<T>, String> {
    let serde_json::Value::Array(items) = v else {
        return Err("unexpected answer shape (not a JSON array)".into());
    };
    items.into_iter().map(from_object).collect()
}

/// One chain parameter.
#[derive(Deserialize, Debug, Clone)]
pub struct ChainParameter {
    /// Name, e.g. `getEnergyFee`.
    pub key: String,
    /// Value (absent = 0).
    #[serde(default)]
    pub value: i64,
}

/// `/wallet/getchainparameters`.
#[derive(Deserialize, Debug, Clone)]
pub struct ChainParameters {
    /// All parameters.
    #[serde(rename = "chainParameter", deserialize_with = "strict::many")]
    pub chain_parameter: Vec<ChainParameter>,
}

impl ChainParameters {
    /// A parameter by key (`None` when absent or negative).
    pub fn get(&self, key: &str) -> Option<u64> {
        self.chain_parameter
            .iter()
            .find(|p| p.key == key)
            .and_then(|p| u64::try_from(p.value).ok())
    }

    /// A parameter the fee math needs: absent, negative or listed twice with two values is a
    /// node fault (never a default).
    fn required(&self, key: &str) -> Result<u64, String> {
        let mut found = self.chain_parameter.iter().filter(|p| p.key == key);
        let first = found
            .next()
            .ok_or_else(|| format!("chain parameter {key} is missing from the answer"))?;
        if found.any(|p| p.value != first.value) {
            return Err(format!(
                "chain parameter {key} is listed twice with two values"
            ));
        }
        u64::try_from(first.value)
            .map_err(|_| format!("chain parameter {key} is negative ({})", first.value))
    }
}

/// Highest energy or bandwidth price (sun per unit) taken as a real answer: mainnet's have
/// moved between 10 and 1,000; a thousandfold margin still refuses an overflowing 2^63 − 1.
pub const MAX_PLAUSIBLE_PRICE_SUN: u64 = 1_000_000;

/// The chain parameters coldpay's fee math uses, every one required (read in one place,
/// [`crate::node::Node::fee_params`]). A node answer without one of them is a fault: retried,
/// failed over, then refused by name; there is no built-in fallback value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeParams {
    /// `getEnergyFee`: sun per energy unit.
    pub energy_sun: u64,
    /// `getTransactionFee`: sun per bandwidth byte burned.
    pub bandwidth_sun: u64,
    /// `getMemoFee`: sun per transaction carrying a memo.
    pub memo_sun: u64,
    /// `getMultiSignFee`: sun per transaction with more than one signature.
    pub multi_sign_sun: u64,
    /// `getUpdateAccountPermissionFee`: sun per permission update.
    pub update_permission_sun: u64,
    /// `getTotalSignNum`: most keys per permission.
    pub total_sign_num: u64,
}

impl FeeParams {
    /// The keys read, in the order of the fields.
    pub const KEYS: [&'static str; 6] = [
        "getEnergyFee",
        "getTransactionFee",
        "getMemoFee",
        "getMultiSignFee",
        "getUpdateAccountPermissionFee",
        "getTotalSignNum",
    ];

    /// Reads every required parameter; the error names each one missing or unusable.
    pub fn from_answer(p: &ChainParameters) -> Result<FeeParams, String> {
        let mut values = [0u64; 6];
        let mut bad = Vec::new();
        for (v, key) in values.iter_mut().zip(Self::KEYS) {
            match p.required(key) {
                Ok(x) => *v = x,
                Err(e) => bad.push(e),
            }
        }
        if !bad.is_empty() {
            return Err(bad.join("; "));
        }
        if values[0] == 0 {
            return Err(
                "chain parameter getEnergyFee is 0 (no chain prices energy at 0 sun)".into(),
            );
        }
        for (key, v) in Self::KEYS.iter().zip(values).take(2) {
            if v > MAX_PLAUSIBLE_PRICE_SUN {
                return Err(format!(
                    "chain parameter {key} is {v} sun, implausibly high (over {MAX_PLAUSIBLE_PRICE_SUN}; mainnet has never priced above 1,000)"
                ));
            }
        }
        let [energy_sun, bandwidth_sun, memo_sun, multi_sign_sun, update_permission_sun, total_sign_num] =
            values;
        Ok(FeeParams {
            energy_sun,
            bandwidth_sun,
            memo_sun,
            multi_sign_sun,
            update_permission_sun,
            total_sign_num,
        })
    }
}

/// `/wallet/getaccount` (only what coldpay reads). `{}` = account not activated.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct Account {
    /// Address (present for an existing account).
    pub address: Option<String>,
    /// TRX balance in sun (absent = 0).
    #[serde(default)]
    pub balance: u64,
    /// The owner permission (absent on a node that shows the default: the account's own key,
    /// threshold 1).
    #[serde(default, deserialize_with = "strict::opt")]
    pub owner_permission: Option<PermissionAnswer>,
    /// The witness permission (witness accounts only).
    #[serde(default, deserialize_with = "strict::opt")]
    pub witness_permission: Option<PermissionAnswer>,
    /// The active permissions (ids 2 and up).
    #[serde(default, deserialize_with = "strict::many")]
    pub active_permission: Vec<PermissionAnswer>,
}

/// One permission in a `getaccount` answer, as java-tron prints it: proto3 JSON, so default
/// values are absent (`type` Owner, `id` 0, `parent_id` 0); `operations` is 32 bytes of hex;
/// key addresses are base58 with `visible: true`.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct PermissionAnswer {
    /// "Owner", "Witness" or "Active" (absent = Owner).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Permission id (absent = 0).
    #[serde(default)]
    pub id: i32,
    /// Name.
    #[serde(default)]
    pub permission_name: String,
    /// Threshold.
    #[serde(default)]
    pub threshold: i64,
    /// Parent id (absent = 0).
    #[serde(default)]
    pub parent_id: i32,
    /// Operations bitmap, hex (active permissions).
    pub operations: Option<String>,
    /// Keys and weights.
    #[serde(default, deserialize_with = "strict::many")]
    pub keys: Vec<KeyAnswer>,
}

/// One key of a permission answer.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct KeyAnswer {
    /// Address (base58 with `visible: true`, else hex).
    pub address: String,
    /// Weight (absent = 0, which the permission check refuses).
    #[serde(default)]
    pub weight: i64,
}

/// `/wallet/getaccountresource`: absent = 0.
#[derive(Deserialize, Debug, Clone, Default)]
#[allow(non_snake_case)]
pub struct AccountResource {
    /// Free bandwidth used today.
    #[serde(default, rename = "freeNetUsed")]
    pub free_net_used: u64,
    /// Free bandwidth per day.
    #[serde(default, rename = "freeNetLimit")]
    pub free_net_limit: u64,
    /// Staked bandwidth used.
    #[serde(default, rename = "NetUsed")]
    pub net_used: u64,
    /// Staked bandwidth.
    #[serde(default, rename = "NetLimit")]
    pub net_limit: u64,
    /// Staked energy used.
    #[serde(default, rename = "EnergyUsed")]
    pub energy_used: u64,
    /// Staked energy.
    #[serde(default, rename = "EnergyLimit")]
    pub energy_limit: u64,
}

/// `result` object of trigger answers.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct TriggerResult {
    /// Call accepted.
    #[serde(default)]
    pub result: bool,
    /// Error code.
    pub code: Option<String>,
    /// Message (hex or text).
    pub message: Option<String>,
}

/// `/wallet/triggerconstantcontract`.
#[derive(Deserialize, Debug, Clone)]
pub struct ConstantCall {
    /// Outcome.
    #[serde(deserialize_with = "strict::one")]
    pub result: TriggerResult,
    /// Energy the call used. java-tron fills this from the receipt's energy usage total, which
    /// already includes the dynamic-energy penalty (`energy_penalty` is reported beside it, as a
    /// part of it, never to be added).
    #[serde(default)]
    pub energy_used: u64,
    /// The penalty part of `energy_used`.
    #[serde(default)]
    pub energy_penalty: u64,
    /// Return data, hex words.
    #[serde(default)]
    pub constant_result: Vec<String>,
    /// The context transaction (only its `ret` is read).
    #[serde(default, deserialize_with = "strict::opt")]
    pub transaction: Option<ContextTx>,
}

/// The context transaction of a constant call.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct ContextTx {
    /// `ret[0].ret == "FAILED"` on REVERT.
    #[serde(default, deserialize_with = "strict::many")]
    pub ret: Vec<RetEntry>,
}

/// A `ret` entry.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct RetEntry {
    /// "FAILED" or absent.
    pub ret: Option<String>,
    /// "REVERT", "SUCCESS", …
    #[serde(rename = "contractRet")]
    pub contract_ret: Option<String>,
}

/// A constant call that did not return normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revert {
    /// Decoded `Error(string)` reason, if any.
    pub reason: Option<String>,
    /// Node's message.
    pub message: String,
}

impl ConstantCall {
    /// The REVERT, if the call reverted.
    pub fn revert(&self) -> Option<Revert> {
        let failed = self
            .transaction
            .as_ref()
            .and_then(|t| t.ret.first())
            .is_some_and(|r| {
                r.ret.as_deref() == Some("FAILED")
                    || r.contract_ret.as_deref().is_some_and(|c| c != "SUCCESS")
            });
        let msg = decode_message(self.result.message.as_deref().unwrap_or(""));
        if !failed && !msg.contains("REVERT") {
            return None;
        }
        let reason = self
            .constant_result
            .first()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| decode_error_string(&b));
        Some(Revert {
            reason,
            message: if msg.is_empty() { "REVERT".into() } else { msg },
        })
    }

    /// The first 32-byte return word, when the call returned normally.
    pub fn word(&self) -> Result<Option<[u8; 32]>, String> {
        let Some(h) = self.constant_result.first() else {
            return Ok(None);
        };
        if h.is_empty() {
            return Ok(None);
        }
        let b = hex::decode(h).map_err(|_| format!("constant_result is not hex: {h:.80}"))?;
        if b.len() != 32 {
            return Err(format!(
                "constant_result is {} bytes, expected one 32-byte word",
                b.len()
            ));
        }
        let mut w = [0u8; 32];
        w.copy_from_slice(&b);
        Ok(Some(w))
    }
}

/// Decodes ABI `Error(string)` return data (selector 08c379a0), any length.
pub fn decode_error_string(data: &[u8]) -> Option<String> {
    let body = data.strip_prefix(&[0x08, 0xc3, 0x79, 0xa0][..])?;
    let word = |i: usize| -> Option<usize> {
        let w = body.get(i * 32..(i + 1) * 32)?;
        if w[..24].iter().any(|b| *b != 0) {
            return None;
        }
        usize::try_from(u64::from_be_bytes(w[24..].try_into().ok()?)).ok()
    };
    let offset = word(0)?;
    let len_w = body.get(offset..offset.checked_add(32)?)?;
    if len_w[..24].iter().any(|b| *b != 0) {
        return None;
    }
    let len = usize::try_from(u64::from_be_bytes(len_w[24..].try_into().ok()?)).ok()?;
    let s = body.get(offset + 32..offset.checked_add(32)?.checked_add(len)?)?;
    Some(String::from_utf8_lossy(s).into_owned())
}

/// `/wallet/estimateenergy`.
#[derive(Deserialize, Debug, Clone)]
pub struct EnergyEstimate {
    /// Outcome.
    #[serde(deserialize_with = "strict::one")]
    pub result: TriggerResult,
    /// Energy the call needs (absent on failure).
    #[serde(default)]
    pub energy_required: u64,
}

/// `/wallet/broadcasthex` (and broadcasttransaction: success omits `code`, failure `result`).
#[derive(Deserialize, Debug, Clone, Default)]
pub struct BroadcastAnswer {
    /// Accepted by this node.
    #[serde(default)]
    pub result: bool,
    /// Response code name.
    pub code: Option<String>,
    /// Message (plain for broadcasthex, hex for broadcasttransaction).
    pub message: Option<String>,
    /// txID the node computed.
    pub txid: Option<String>,
}

/// A transaction's receipt.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct Receipt {
    /// Energy burned for (sun).
    #[serde(default)]
    pub energy_fee: u64,
    /// Energy used total (incl. penalty).
    #[serde(default)]
    pub energy_usage_total: u64,
    /// Penalty part.
    #[serde(default)]
    pub energy_penalty_total: u64,
    /// Free/staked bandwidth used.
    #[serde(default)]
    pub net_usage: u64,
    /// Bandwidth burned (sun).
    #[serde(default)]
    pub net_fee: u64,
    /// Contract result.
    pub result: Option<String>,
}

/// `/wallet(solidity)/gettransactioninfobyid` and the entries of `gettransactioninfobyblocknum`.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct TxInfo {
    /// txID.
    pub id: Option<String>,
    /// Total burned (sun).
    #[serde(default)]
    pub fee: u64,
    /// Block.
    #[serde(default, rename = "blockNumber")]
    pub block_number: u64,
    /// Block time.
    #[serde(default, rename = "blockTimeStamp")]
    pub block_time: u64,
    /// "FAILED" or absent.
    pub result: Option<String>,
    /// Failure message (hex or text).
    #[serde(rename = "resMessage")]
    pub res_message: Option<String>,
    /// Receipt.
    #[serde(default, deserialize_with = "strict::one")]
    pub receipt: Receipt,
    /// Event logs.
    #[serde(default, deserialize_with = "strict::many")]
    pub log: Vec<Log>,
}

/// An event log entry of a TransactionInfo.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct Log {
    /// Contract (20-byte hex, or base58 with visible=true).
    #[serde(default)]
    pub address: String,
    /// Topics (32-byte hex words).
    #[serde(default)]
    pub topics: Vec<String>,
    /// Data (hex).
    #[serde(default)]
    pub data: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_errors() {
        let e = classify(r#"{"Error":"The key exceeds the frequency limit(30), and the query server is suspended for 30s"}"#).unwrap_err();
        assert_eq!(e.suspended_for(), Some(30));
        assert!(matches!(
            classify("<html><body>502</body></html>"),
            Err(BodyError::NotJson(_))
        ));
        assert!(matches!(
            classify(r#"{"block":[{"blockID":"00"#),
            Err(BodyError::NotJson(_))
        ));
        let r = classify(r#"{"result":{"code":"CONTRACT_VALIDATE_ERROR","message":"436f6e74726163742076616c6964617465206572726f72203a2078"}}"#).unwrap_err();
        assert_eq!(
            r,
            BodyError::Result {
                code: "CONTRACT_VALIDATE_ERROR".into(),
                message: "Contract validate error : x".into()
            }
        );
        assert!(classify(r#"{"result":{"result":true},"energy_required":5}"#).is_ok());
        assert!(classify("{}").is_ok_and(|v| is_empty_answer(&v)));
        assert!(classify("[]").is_ok_and(|v| is_empty_answer(&v)));
    }

    #[test]
    fn odd_companion_fields_do_not_hide_errors() {
        // A non-boolean `success` or a non-text `message` used to make the whole error shape
        // unreadable, and the body then passed as data (an Account with balance 0).
        assert_eq!(
            classify(r#"{"Error":"suspended for 30s","success":"no"}"#),
            Err(BodyError::Error("suspended for 30s".into()))
        );
        assert!(classify(r#"{"Error":5}"#).is_err());
        assert!(classify(r#"{"error":"x","success":1}"#).is_err());
        assert!(matches!(
            classify(r#"{"result":{"code":"SERVER_BUSY","message":5}}"#),
            Err(BodyError::Result { .. })
        ));
        assert!(classify(r#"{"Error":null,"balance":3}"#).is_ok());
        assert!(classify(r#"{"result":{"result":true,"code":"X"}}"#).is_ok());
    }

    #[test]
    fn arrays_are_not_answer_objects() {
        // serde's sequence form would read `[]` as an all-zero AccountResource and `[null]` as
        // an Account with balance 0.
        assert!(serde_json::from_str::<AccountResource>("[]").is_ok());
        assert!(from_object::<AccountResource>(serde_json::json!([])).is_err());
        assert!(from_object::<Account>(serde_json::json!([null])).is_err());
        assert!(from_object::<Account>(serde_json::json!([null, 5])).is_err());
        assert!(from_object::<TxInfo>(serde_json::json!([])).is_err());
        let a = from_object::<Account>(serde_json::json!({"balance": 7})).unwrap();
        assert_eq!(a.balance, 7);
        assert_eq!(
            from_object::<Account>(serde_json::json!({}))
                .unwrap()
                .balance,
            0
        );
    }

    #[test]
    fn nested_arrays_are_not_answer_objects() {
        use serde_json::json;
        assert!(from_object::<TxInfo>(json!({"id": "aa", "log": [[1]]})).is_err());
        assert!(
            from_object::<EnergyEstimate>(json!({"result": [true], "energy_required": 5})).is_err()
        );
        assert!(
            from_object::<ChainParameters>(json!({"chainParameter": [["getEnergyFee", 100]]}))
                .is_err()
        );
        assert!(from_object::<ConstantCall>(
            json!({"result": {"result": true}, "transaction": {"ret": [[1]]}})
        )
        .is_err());
        let r: Result<TxInfo, _> = from_object(serde_json::json!({"id": "aa", "receipt": [5]}));
        assert!(r.is_err());
        let ok: TxInfo =
            from_object(serde_json::json!({"id": "aa", "receipt": {"energy_fee": 5}})).unwrap();
        assert_eq!(ok.receipt.energy_fee, 5);
        assert!(from_objects::<TxInfo>(serde_json::json!([[1]])).is_err());
        assert!(from_objects::<TxInfo>(serde_json::json!({})).is_err());
        assert!(from_objects::<TxInfo>(serde_json::json!([]))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn fee_parameters_are_required() {
        use serde_json::json;
        let all = |skip: &str, energy: i64| {
            let mut v: Vec<serde_json::Value> = FeeParams::KEYS
                .iter()
                .filter(|k| **k != skip)
                .map(|k| json!({"key": k, "value": if *k == "getEnergyFee" { energy } else { 7 }}))
                .collect();
            v.push(json!({"key": "getMaxFeeLimit", "value": 15_000_000_000i64}));
            from_object::<ChainParameters>(json!({ "chainParameter": v })).unwrap()
        };
        let p = FeeParams::from_answer(&all("", 210)).unwrap();
        assert_eq!((p.energy_sun, p.memo_sun, p.total_sign_num), (210, 7, 7));
        for key in FeeParams::KEYS {
            let e = FeeParams::from_answer(&all(key, 210)).unwrap_err();
            assert!(e.contains(key) && e.contains("missing"), "{e}");
        }
        assert!(FeeParams::from_answer(&all("", -1))
            .unwrap_err()
            .contains("negative"));
        assert!(FeeParams::from_answer(&all("", 0))
            .unwrap_err()
            .contains("is 0"));
        assert!(FeeParams::from_answer(&all("", i64::MAX))
            .unwrap_err()
            .contains("implausibly high"));
        // A zero value is sent as a key without `value` (proto3 default): that is 0, present.
        let memo_free: ChainParameters = from_object(json!({"chainParameter": FeeParams::KEYS
            .iter()
            .map(|k| if *k == "getMemoFee" { json!({"key": k}) } else { json!({"key": k, "value": 100}) })
            .collect::<Vec<_>>()}))
        .unwrap();
        assert_eq!(FeeParams::from_answer(&memo_free).unwrap().memo_sun, 0);
        let mut twice = all("", 100);
        twice.chain_parameter.push(ChainParameter {
            key: "getEnergyFee".into(),
            value: 420,
        });
        assert!(FeeParams::from_answer(&twice)
            .unwrap_err()
            .contains("twice"));
    }

    #[test]
    fn long_error_string_decodes() {
        let reason =
            "ERC20: transfer amount exceeds balance, and this reason is longer than 32 bytes";
        let mut d = vec![0x08, 0xc3, 0x79, 0xa0];
        let mut w = [0u8; 32];
        w[31] = 32;
        d.extend_from_slice(&w);
        let mut l = [0u8; 32];
        l[31] = reason.len() as u8;
        d.extend_from_slice(&l);
        let mut s = reason.as_bytes().to_vec();
        s.resize(reason.len().div_ceil(32) * 32, 0);
        d.extend_from_slice(&s);
        assert_eq!(decode_error_string(&d).as_deref(), Some(reason));
        // Truncated data is not a panic.
        for cut in 0..d.len() {
            let _ = decode_error_string(&d[..cut]);
        }
        let call: ConstantCall = serde_json::from_value(serde_json::json!({
            "result": {"result": true, "message": "REVERT opcode executed"},
            "energy_used": 900,
            "constant_result": [hex::encode(&d)],
            "transaction": {"ret": [{"ret": "FAILED", "contractRet": "REVERT"}]}
        }))
        .unwrap();
        assert_eq!(call.revert().unwrap().reason.as_deref(), Some(reason));
        assert!(call.word().is_err());
    }
}
