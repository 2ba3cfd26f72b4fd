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

#[derive(Deserialize)]
struct ErrorShape {
    #[serde(rename = "Error")]
    error: Option<String>,
    result: Option<serde_json::Value>,
    /// TronGrid v1 error form: `{"success": false, "error": "...", "statusCode": 403}`.
    success: Option<bool>,
    #[serde(rename = "error")]
    v1_error: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct ResultShape {
    #[serde(default)]
    result: bool,
    code: Option<String>,
    message: Option<String>,
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
    if v.is_object() {
        let shape: ErrorShape = serde_json::from_value(v.clone()).unwrap_or(ErrorShape {
            error: None,
            result: None,
            success: None,
            v1_error: None,
        });
        if let Some(e) = shape.error {
            return Err(BodyError::Error(e));
        }
        if shape.success == Some(false) || shape.v1_error.is_some() {
            let e = shape.v1_error.unwrap_or_default();
            return Err(BodyError::Error(
                e.as_str().map_or_else(|| e.to_string(), str::to_string),
            ));
        }
        if let Some(r) = shape.result.filter(serde_json::Value::is_object) {
            let r: ResultShape = serde_json::from_value(r).unwrap_or_default();
            if !r.result {
                if let Some(code) = r.code.filter(|c| c != "SUCCESS") {
                    return Err(BodyError::Result {
                        code,
                        message: decode_message(r.message.as_deref().unwrap_or("")),
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
    #[serde(rename = "chainParameter")]
    pub chain_parameter: Vec<ChainParameter>,
}

impl ChainParameters {
    /// A parameter by key.
    pub fn get(&self, key: &str) -> Option<u64> {
        self.chain_parameter
            .iter()
            .find(|p| p.key == key)
            .and_then(|p| u64::try_from(p.value).ok())
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
    pub transaction: Option<ContextTx>,
}

/// The context transaction of a constant call.
#[derive(Deserialize, Debug, Clone, Default)]
pub struct ContextTx {
    /// `ret[0].ret == "FAILED"` on REVERT.
    #[serde(default)]
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
    #[serde(default)]
    pub receipt: Receipt,
    /// Event logs.
    #[serde(default)]
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
