//! TRON full-node HTTP client: timeouts, retries with exponential backoff and jitter for
//! idempotent calls, HTTP 429 `Retry-After`, failover across endpoints, API key header, and
//! errors that name the endpoint and the cause.

use std::time::{Duration, Instant};

use coldpay_shared::{Address, RefBlock, U256};
use serde_json::{json, Value};

use crate::error::{BcError, Result};

/// TronGrid host of a network preset.
pub fn preset_url(network: &str) -> Option<&'static str> {
    match network {
        "mainnet" => Some("https://api.trongrid.io"),
        "nile" => Some("https://nile.trongrid.io"),
        "shasta" => Some("https://api.shasta.trongrid.io"),
        _ => None,
    }
}

/// A block as the broadcaster needs it.
#[derive(Clone, Debug)]
pub struct BlockRef {
    /// Height.
    pub number: u64,
    /// Time (ms).
    pub timestamp: u64,
    /// blockID.
    pub id: [u8; 32],
    /// txIDs in the block.
    pub txids: Vec<String>,
}

impl BlockRef {
    /// TAPOS fields.
    pub fn tapos(&self) -> RefBlock {
        RefBlock::from_block_id(&self.id)
    }
}

/// Result of a broadcast.
#[derive(Clone, Debug)]
pub struct BroadcastResult {
    /// Accepted (or already known).
    pub accepted: bool,
    /// java-tron code ("SUCCESS", "DUP_TRANSACTION_ERROR", …).
    pub code: String,
    /// Decoded message.
    pub message: String,
}

/// The client.
pub struct Node {
    endpoints: Vec<String>,
    api_key: Option<String>,
    agent: ureq::Agent,
    /// Requests sent (for reports).
    pub calls: std::cell::Cell<u64>,
    max_attempts: u32,
}

fn jitter(ms: u64) -> u64 {
    let nanos = Instant::now().elapsed().as_nanos() as u64 ^ u64::from(std::process::id());
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
        ^ nanos;
    ms / 2 + seed % (ms / 2 + 1)
}

impl Node {
    /// A client over `endpoints` (tried in order, failing over on errors).
    pub fn new(endpoints: Vec<String>, api_key: Option<String>) -> Result<Node> {
        if endpoints.is_empty() {
            return Err(BcError::Input(
                "no node endpoint: pass --node URL or --network mainnet|nile|shasta".into(),
            ));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build();
        Ok(Node {
            endpoints,
            api_key,
            agent,
            calls: std::cell::Cell::new(0),
            max_attempts: 8,
        })
    }

    /// POSTs JSON to `path`. `idempotent` calls are retried with backoff and fail over across
    /// endpoints; non-idempotent ones are tried once per endpoint on connection failure only.
    pub fn call(&self, path: &str, body: &Value, idempotent: bool) -> Result<Value> {
        let mut last = String::new();
        let attempts = if idempotent { self.max_attempts } else { 3 };
        let mut backoff = 200u64;
        for attempt in 0..attempts {
            let base = &self.endpoints[attempt as usize % self.endpoints.len()];
            let url = format!("{}{path}", base.trim_end_matches('/'));
            let mut req = self.agent.post(&url);
            if let Some(k) = &self.api_key {
                req = req.set("TRON-PRO-API-KEY", k);
            }
            self.calls.set(self.calls.get() + 1);
            match req.send_json(body.clone()) {
                Ok(resp) => {
                    let text = resp
                        .into_string()
                        .map_err(|e| BcError::Node(format!("{url}: reading body: {e}")))?;
                    let v: Value = serde_json::from_str(&text).map_err(|e| {
                        BcError::Node(format!(
                            "{url}: not JSON ({e}): {}",
                            text.chars().take(200).collect::<String>()
                        ))
                    })?;
                    if let Some(err) = v.get("Error").and_then(Value::as_str) {
                        return Err(BcError::Node(format!("{url}: node error: {err}")));
                    }
                    return Ok(v);
                }
                Err(ureq::Error::Status(429, resp)) => {
                    let wait = resp
                        .header("Retry-After")
                        .and_then(|s| s.parse::<u64>().ok())
                        .unwrap_or(1);
                    last = format!("{url}: HTTP 429 rate limited");
                    std::thread::sleep(Duration::from_millis(wait * 1000 + jitter(200)));
                }
                Err(ureq::Error::Status(code, resp)) => {
                    let text = resp.into_string().unwrap_or_default();
                    last = format!(
                        "{url}: HTTP {code}: {}",
                        text.chars().take(200).collect::<String>()
                    );
                    if code == 401 || code == 403 {
                        return Err(BcError::Node(format!("{last} (check TRON_PRO_API_KEY)")));
                    }
                    if !(idempotent || code == 502 || code == 503 || code == 500) {
                        return Err(BcError::Node(last));
                    }
                    std::thread::sleep(Duration::from_millis(jitter(backoff)));
                    backoff = (backoff * 2).min(5_000);
                }
                Err(e) => {
                    last = format!("{url}: {e}");
                    std::thread::sleep(Duration::from_millis(jitter(backoff)));
                    backoff = (backoff * 2).min(5_000);
                }
            }
        }
        Err(BcError::Node(format!(
            "{path} failed after {attempts} attempts; last error: {last}"
        )))
    }

    fn block(v: &Value) -> Result<BlockRef> {
        let id_hex = v["blockID"]
            .as_str()
            .ok_or_else(|| BcError::Node(format!("block without blockID: {v}")))?;
        let id: [u8; 32] = hex::decode(id_hex)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| BcError::Node("bad blockID".into()))?;
        let raw = &v["block_header"]["raw_data"];
        Ok(BlockRef {
            number: raw["number"].as_u64().unwrap_or(0),
            timestamp: raw["timestamp"].as_u64().unwrap_or(0),
            id,
            txids: v["transactions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t["txID"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The latest solidified block.
    pub fn solid_block(&self) -> Result<BlockRef> {
        Self::block(&self.call("/walletsolidity/getnowblock", &json!({}), true)?)
    }

    /// The head block.
    pub fn head_block(&self) -> Result<BlockRef> {
        Self::block(&self.call("/wallet/getnowblock", &json!({}), true)?)
    }

    /// Blocks `start..end` (end exclusive, at most 100).
    pub fn blocks(&self, start: u64, end: u64) -> Result<Vec<BlockRef>> {
        let v = self.call(
            "/wallet/getblockbylimitnext",
            &json!({"startNum": start, "endNum": end}),
            true,
        )?;
        v["block"]
            .as_array()
            .map_or_else(|| Ok(Vec::new()), |a| a.iter().map(Self::block).collect())
    }

    /// TransactionInfos of a solidified block.
    pub fn infos_in_block(&self, num: u64) -> Result<Vec<Value>> {
        let v = self.call(
            "/walletsolidity/gettransactioninfobyblocknum",
            &json!({"num": num}),
            true,
        )?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// A chain parameter by key.
    pub fn chain_parameter(&self, key: &str) -> Result<Option<u64>> {
        let v = self.call("/wallet/getchainparameters", &json!({}), true)?;
        Ok(v["chainParameter"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["key"] == key))
            .and_then(|p| p["value"].as_u64()))
    }

    /// TRX balance (sun); 0 if the account does not exist.
    pub fn trx_balance(&self, a: &Address) -> Result<u64> {
        let v = self.call(
            "/wallet/getaccount",
            &json!({"address": a.to_base58(), "visible": true}),
            true,
        )?;
        Ok(v["balance"].as_u64().unwrap_or(0))
    }

    /// Account resources.
    pub fn resources(&self, a: &Address) -> Result<Value> {
        self.call(
            "/wallet/getaccountresource",
            &json!({"address": a.to_base58(), "visible": true}),
            true,
        )
    }

    /// TRC-20 balanceOf via triggerconstantcontract.
    pub fn token_balance(&self, token: &Address, who: &Address) -> Result<U256> {
        let v = self.call(
            "/wallet/triggerconstantcontract",
            &json!({
                "owner_address": who.to_base58(),
                "contract_address": token.to_base58(),
                "function_selector": "balanceOf(address)",
                "parameter": hex::encode(coldpay_shared::abi::address_word(who)),
                "visible": true,
            }),
            true,
        )?;
        let word = v["constant_result"][0].as_str().unwrap_or("");
        let bytes = hex::decode(word)
            .map_err(|_| BcError::Node(format!("balanceOf: bad constant_result {word:?}")))?;
        Ok(if bytes.is_empty() {
            U256::ZERO
        } else {
            U256::from_be_slice(&bytes)
        })
    }

    /// Energy a TRC-20 transfer needs: estimateenergy, else triggerconstantcontract's energy_used.
    pub fn estimate_transfer_energy(
        &self,
        from: &Address,
        token: &Address,
        to: &Address,
        value: U256,
    ) -> Result<u64> {
        let parameter = hex::encode(
            [
                coldpay_shared::abi::address_word(to).to_vec(),
                value.to_be_bytes::<32>().to_vec(),
            ]
            .concat(),
        );
        let body = json!({
            "owner_address": from.to_base58(),
            "contract_address": token.to_base58(),
            "function_selector": "transfer(address,uint256)",
            "parameter": parameter,
            "visible": true,
        });
        if let Ok(v) = self.call("/wallet/estimateenergy", &body, true) {
            if let Some(e) = v["energy_required"].as_u64() {
                return Ok(e);
            }
        }
        let v = self.call("/wallet/triggerconstantcontract", &body, true)?;
        v["energy_used"]
            .as_u64()
            .ok_or_else(|| BcError::Node(format!("cannot estimate energy: {v}")))
    }

    /// Broadcasts signed bytes with /wallet/broadcasthex. Retried only on transport errors
    /// (re-sending identical signed bytes is harmless: the node answers DUP).
    pub fn broadcast_hex(&self, signed: &[u8]) -> Result<BroadcastResult> {
        let v = self.call(
            "/wallet/broadcasthex",
            &json!({"transaction": hex::encode(signed)}),
            true,
        )?;
        let code = v["code"]
            .as_str()
            .unwrap_or(if v["result"] == true {
                "SUCCESS"
            } else {
                "OTHER_ERROR"
            })
            .to_string();
        let raw_msg = v["message"].as_str().unwrap_or("").to_string();
        let message = hex::decode(&raw_msg)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|s| !s.is_empty())
            .unwrap_or(raw_msg);
        let accepted = v["result"] == true || code == "SUCCESS" || code == "DUP_TRANSACTION_ERROR";
        Ok(BroadcastResult {
            accepted,
            code,
            message,
        })
    }
}
