//! Endpoints that TronWeb and tronpy call on their common paths and the payout flow does not:
//! the sign weight and approved list of a transaction (tronpy learns a transaction's txID from
//! `getsignweight`), the token contract's metadata (both SDKs' `Contract` objects read its ABI),
//! an account's bandwidth, and a block by its id. Shapes as java-tron prints them (defaults
//! omitted, `visible` honoured).

use coldpay_shared::permission::PermissionKind;
use coldpay_shared::tronweb::{raw_data_from_json, to_tronweb_json};
use coldpay_shared::{Address, RawData, Signature};
use serde_json::{json, Map, Value};

use crate::chain::Chain;
use crate::permissions::{weigh, WeightError};
use crate::reply::{addr_out, error, ok, param_addr, Reply};

/// The SDK endpoints; `None` if `name` is not one.
pub fn query(chain: &Chain, name: &str, p: &Value, visible: bool) -> Option<Reply> {
    let reply = match name {
        "getsignweight" => sign_weight(chain, p, visible),
        "getapprovedlist" => approved_list(p, visible),
        "getcontract" => match param_addr(p, "value") {
            Ok(a) => ok(contract_json(chain, &a, visible).unwrap_or_else(|| json!({}))),
            Err(e) => e,
        },
        "getcontractinfo" => match param_addr(p, "value") {
            Ok(a) => ok(contract_json(chain, &a, visible)
                .map_or_else(|| json!({}), |c| json!({"smart_contract": c}))),
            Err(e) => e,
        },
        "getaccountnet" => match param_addr(p, "address") {
            Ok(a) => ok(crate::api_stake::account_net(
                chain,
                &a,
                chain.head().timestamp,
            )),
            Err(e) => e,
        },
        _ => return None,
    };
    Some(reply)
}

/// A transaction posted to getsignweight / getapprovedlist: its raw data and its signatures as
/// sent (java-tron checks their size only when it weighs them).
struct Posted {
    raw: RawData,
    signatures: Vec<Vec<u8>>,
}

/// The posted transaction, or java-tron's `{"Error": …}` when it cannot be read at all.
fn posted(p: &Value) -> Result<Posted, Reply> {
    let raw = match p.get("raw_data").map(raw_data_from_json) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            return Err(error(format!(
                "class java.lang.IllegalArgumentException : {e}"
            )))
        }
        None => {
            return Err(error(
                "class java.lang.IllegalArgumentException : raw_data is required",
            ))
        }
    };
    let signatures = p
        .get("signature")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| hex::decode(s.as_str().unwrap_or("")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            error(format!(
                "class java.lang.IllegalArgumentException : signature: {e}"
            ))
        })?;
    Ok(Posted { raw, signatures })
}

impl Posted {
    /// The signatures, or SIGNATURE_FORMAT_ERROR with java-tron's message.
    fn parsed(&self) -> Result<Vec<Signature>, (&'static str, String)> {
        self.signatures
            .iter()
            .map(|b| {
                Signature::from_bytes(b).map_err(|_| {
                    (
                        "SIGNATURE_FORMAT_ERROR",
                        format!("Signature size is {}", b.len()),
                    )
                })
            })
            .collect()
    }

    /// The TransactionExtention java-tron echoes: the transaction as posted, its txID,
    /// `result: true`.
    fn extension(&self, visible: bool) -> Value {
        let mut tx = to_tronweb_json(&self.raw, &[], visible);
        if !self.signatures.is_empty() {
            let sigs: Vec<String> = self.signatures.iter().map(hex::encode).collect();
            tx["signature"] = json!(sigs);
        }
        json!({
            "result": {"result": true},
            "txid": self.raw.txid().to_hex(),
            "transaction": tx,
        })
    }
}

fn result_json(code: Option<&str>, message: Option<&str>) -> Value {
    let mut r = Map::new();
    if let Some(c) = code {
        r.insert("code".into(), json!(c));
    }
    if let Some(m) = message {
        r.insert("message".into(), json!(m));
    }
    Value::Object(r)
}

/// Wallet.getTransactionSignWeight: the permission the transaction names, the signers so far
/// and their weight, and ENOUGH_PERMISSION (the default, omitted) or NOT_ENOUGH_PERMISSION.
fn sign_weight(chain: &Chain, p: &Value, visible: bool) -> Reply {
    let posted = match posted(p) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let mut out = Map::new();
    match weigh_posted(chain, &posted, visible) {
        Ok((permission, weight, approved, threshold)) => {
            out.insert("permission".into(), permission);
            if !approved.is_empty() {
                out.insert("approved_list".into(), json!(approved));
            }
            if weight != 0 {
                out.insert("current_weight".into(), json!(weight));
            }
            let code = (weight < threshold).then_some("NOT_ENOUGH_PERMISSION");
            out.insert("result".into(), result_json(code, None));
        }
        Err((code, message)) => {
            out.insert("result".into(), result_json(Some(code), Some(&message)));
        }
    }
    out.insert("transaction".into(), posted.extension(visible));
    ok(Value::Object(out))
}

/// The permission JSON, weight, approved signers (printed) and threshold; or the result code
/// and message java-tron gives.
type Weighed = (Value, i64, Vec<Value>, i64);

fn weigh_posted(
    chain: &Chain,
    posted: &Posted,
    visible: bool,
) -> Result<Weighed, (&'static str, String)> {
    let owner = posted.raw.owner();
    if !chain.accounts.contains_key(&owner) {
        return Err(("PERMISSION_ERROR", "Account does not exist!".into()));
    }
    let perms = chain.permissions_of(&owner);
    let id = posted.raw.contract.permission_id as i32;
    let permission = perms.by_id(id).ok_or((
        "PERMISSION_ERROR",
        "Permission for this, does not exist!".to_string(),
    ))?;
    if id != 0 {
        if permission.kind != PermissionKind::Active {
            return Err(("PERMISSION_ERROR", "Permission type is error".into()));
        }
        if !permission.allows(posted.raw.contract.kind.contract_type()) {
            return Err(("PERMISSION_ERROR", "Permission denied".into()));
        }
    }
    let signatures = posted.parsed()?;
    let (weight, approved) =
        weigh(permission, &signatures, &posted.raw.txid()).map_err(|e| match e {
            WeightError::Recover(m) => ("COMPUTE_ADDRESS_ERROR", m),
            WeightError::Permission(m) => ("PERMISSION_ERROR", m),
        })?;
    let approved = approved.iter().map(|a| addr_out(a, visible)).collect();
    Ok((
        permission.to_tron_json(visible),
        weight,
        approved,
        permission.threshold,
    ))
}

/// Wallet.getTransactionApprovedList: the address behind each signature, in order.
fn approved_list(p: &Value, visible: bool) -> Reply {
    let posted = match posted(p) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let txid = posted.raw.txid();
    let signers = posted.parsed().and_then(|sigs| {
        sigs.iter()
            .map(|s| {
                s.recover(&txid)
                    .map(|a| addr_out(&a, visible))
                    .map_err(|e| ("COMPUTE_ADDRESS_ERROR", e.to_string()))
            })
            .collect::<Result<Vec<Value>, _>>()
    });
    let mut out = Map::new();
    match signers {
        Ok(list) => {
            if !list.is_empty() {
                out.insert("approved_list".into(), json!(list));
            }
            out.insert("result".into(), json!({}));
        }
        Err((code, message)) => {
            out.insert("result".into(), result_json(Some(code), Some(&message)));
        }
    }
    out.insert("transaction".into(), posted.extension(visible));
    ok(Value::Object(out))
}

/// `decimals()`.
pub const DECIMALS_SELECTOR: [u8; 4] = [0x31, 0x3c, 0xe5, 0x67];
/// `symbol()`.
pub const SYMBOL_SELECTOR: [u8; 4] = [0x95, 0xd8, 0x9b, 0x41];
/// Energy a constant call to `decimals()` or `symbol()` reports (the dev node's figure; no VM
/// runs).
pub const VIEW_ENERGY: u64 = 300;

/// The return value (hex) of a constant call to the token's `decimals()` or `symbol()`;
/// `None` for any other call data.
pub fn token_view(chain: &Chain, data: &[u8]) -> Option<String> {
    let selector: [u8; 4] = data.try_into().ok()?;
    if selector == DECIMALS_SELECTOR {
        return Some(format!("{:064x}", chain.token.decimals));
    }
    if selector != SYMBOL_SELECTOR {
        return None;
    }
    // ABI string: offset 32, length, bytes padded to a whole word.
    let text = chain.token.symbol.as_bytes();
    let mut out = format!("{:064x}{:064x}", 32, text.len());
    let mut padded = text.to_vec();
    padded.resize(text.len().div_ceil(32) * 32, 0);
    out.push_str(&hex::encode(padded));
    Some(out)
}

/// getcontract's SmartContract for the dev node's token (`None` for any other address): the
/// ABI of what the node answers (transfer, balanceOf, decimals, symbol, the Transfer event). No bytecode: the
/// token is modelled, not run on a VM.
fn contract_json(chain: &Chain, a: &Address, visible: bool) -> Option<Value> {
    if *a != chain.token.contract {
        return None;
    }
    Some(json!({
        "origin_address": addr_out(&chain.witness_address(), visible),
        "contract_address": addr_out(a, visible),
        "abi": {"entrys": token_abi()},
        "name": chain.token.symbol,
        "consume_user_resource_percent": 100,
    }))
}

fn token_abi() -> Value {
    json!([
        {
            "constant": true,
            "inputs": [{"name": "who", "type": "address"}],
            "name": "balanceOf",
            "outputs": [{"name": "", "type": "uint256"}],
            "stateMutability": "View",
            "type": "Function",
        },
        {
            "constant": true,
            "inputs": [],
            "name": "decimals",
            "outputs": [{"name": "", "type": "uint8"}],
            "stateMutability": "View",
            "type": "Function",
        },
        {
            "constant": true,
            "inputs": [],
            "name": "symbol",
            "outputs": [{"name": "", "type": "string"}],
            "stateMutability": "View",
            "type": "Function",
        },
        {
            "inputs": [{"name": "_to", "type": "address"}, {"name": "_value", "type": "uint256"}],
            "name": "transfer",
            "outputs": [{"name": "", "type": "bool"}],
            "stateMutability": "Nonpayable",
            "type": "Function",
        },
        {
            "inputs": [
                {"indexed": true, "name": "from", "type": "address"},
                {"indexed": true, "name": "to", "type": "address"},
                {"name": "value", "type": "uint256"},
            ],
            "name": "Transfer",
            "type": "Event",
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::Genesis;
    use coldpay_shared::contract::{Contract, ContractKind, TransferContract};
    use coldpay_shared::Sun;
    use k256::ecdsa::SigningKey;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_slice(&[n; 32]).unwrap()
    }

    fn addr(k: &SigningKey) -> Address {
        Address::from_public_key(k.verifying_key())
    }

    fn chain_with(owner: &SigningKey) -> Chain {
        let mut g = Genesis::default();
        g.fund(addr(owner), 10_000_000_000, 1_000_000);
        Chain::new(&g, 2, 1_700_000_000_000)
    }

    fn transfer(chain: &Chain, from: Address, permission_id: u32) -> RawData {
        chain.build(
            Contract {
                kind: ContractKind::Transfer(TransferContract {
                    owner: from,
                    to: addr(&key(9)),
                    amount: Sun::new(5).unwrap(),
                }),
                permission_id,
            },
            0,
        )
    }

    fn sign(raw: &RawData, k: &SigningKey) -> String {
        Signature::sign_txid(k, &raw.txid()).unwrap().to_hex()
    }

    fn post(chain: &Chain, name: &str, raw: &RawData, sigs: &[String]) -> Value {
        let body =
            json!({"raw_data": to_tronweb_json(raw, &[], false)["raw_data"], "signature": sigs});
        let (status, v) = query(chain, name, &body, false).unwrap();
        assert_eq!(status, 200);
        v
    }

    #[test]
    fn sign_weight_of_an_unsigned_transfer_names_the_owner_permission_and_the_txid() {
        let k = key(1);
        let chain = chain_with(&k);
        let raw = transfer(&chain, addr(&k), 0);
        let v = post(&chain, "getsignweight", &raw, &[]);
        assert_eq!(v["result"], json!({"code": "NOT_ENOUGH_PERMISSION"}));
        assert_eq!(v["permission"]["threshold"], 1);
        assert_eq!(
            v["permission"]["keys"][0]["address"],
            json!(addr(&k).to_hex())
        );
        assert_eq!(v["transaction"]["txid"], json!(raw.txid().to_hex()));
        assert_eq!(
            v["transaction"]["transaction"]["txID"],
            json!(raw.txid().to_hex())
        );
        assert_eq!(v["transaction"]["result"], json!({"result": true}));
        assert!(v.get("approved_list").is_none() && v.get("current_weight").is_none());
    }

    #[test]
    fn sign_weight_of_a_signed_transfer_counts_the_signer() {
        let k = key(1);
        let chain = chain_with(&k);
        let raw = transfer(&chain, addr(&k), 0);
        let v = post(&chain, "getsignweight", &raw, &[sign(&raw, &k)]);
        assert_eq!(v["result"], json!({}));
        assert_eq!(v["current_weight"], 1);
        assert_eq!(v["approved_list"], json!([addr(&k).to_hex()]));
        let a = post(&chain, "getapprovedlist", &raw, &[sign(&raw, &k)]);
        assert_eq!(a["approved_list"], json!([addr(&k).to_hex()]));
        assert_eq!(a["result"], json!({}));
    }

    #[test]
    fn sign_weight_refuses_as_java_tron_does() {
        let k = key(1);
        let chain = chain_with(&k);
        let raw = transfer(&chain, addr(&k), 0);
        let stranger = post(&chain, "getsignweight", &raw, &[sign(&raw, &key(2))]);
        assert_eq!(stranger["result"]["code"], "PERMISSION_ERROR");
        assert!(stranger["result"]["message"]
            .as_str()
            .unwrap()
            .ends_with("but it is not contained of permission."));
        let short = post(&chain, "getsignweight", &raw, &["00ff".into()]);
        assert_eq!(
            short["result"],
            json!({"code": "SIGNATURE_FORMAT_ERROR", "message": "Signature size is 2"})
        );
        let unknown = transfer(&chain, addr(&key(3)), 0);
        let v = post(&chain, "getsignweight", &unknown, &[]);
        assert_eq!(
            v["result"],
            json!({"code": "PERMISSION_ERROR", "message": "Account does not exist!"})
        );
        let no_perm = transfer(&chain, addr(&k), 5);
        let v = post(&chain, "getsignweight", &no_perm, &[]);
        assert_eq!(
            v["result"]["message"],
            "Permission for this, does not exist!"
        );
        assert_eq!(
            short["transaction"]["transaction"]["signature"],
            json!(["00ff"])
        );
        let unknown_short = post(&chain, "getsignweight", &unknown, &["00ff".into()]);
        assert_eq!(
            unknown_short["result"]["message"],
            "Account does not exist!"
        );
        let not_hex = post(&chain, "getsignweight", &raw, &["zz".into()]);
        assert!(not_hex["Error"].as_str().unwrap().contains("signature"));
        let a = post(&chain, "getapprovedlist", &raw, &["00ff".into()]);
        assert_eq!(a["result"]["code"], "SIGNATURE_FORMAT_ERROR");
        let (_, v) = query(&chain, "getsignweight", &json!({}), false).unwrap();
        assert!(v["Error"].as_str().unwrap().contains("raw_data"));
    }

    #[test]
    fn contract_metadata_only_for_the_token() {
        let k = key(1);
        let chain = chain_with(&k);
        let usdt = chain.token.contract.to_base58();
        let (_, c) = query(
            &chain,
            "getcontract",
            &json!({"value": usdt, "visible": true}),
            true,
        )
        .unwrap();
        assert_eq!(c["contract_address"], json!(usdt));
        let names: Vec<&str> = c["abi"]["entrys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["balanceOf", "decimals", "symbol", "transfer", "Transfer"]
        );
        let (_, info) = query(
            &chain,
            "getcontractinfo",
            &json!({"value": usdt, "visible": true}),
            true,
        )
        .unwrap();
        assert_eq!(info["smart_contract"], c);
        let other = addr(&k).to_base58();
        let (_, none) = query(
            &chain,
            "getcontract",
            &json!({"value": other, "visible": true}),
            true,
        )
        .unwrap();
        assert_eq!(none, json!({}));
        let (_, bad) = query(&chain, "getcontract", &json!({"value": "T123"}), false).unwrap();
        assert!(bad["Error"].as_str().unwrap().contains("invalid value"));
    }

    #[test]
    fn decimals_and_symbol_are_abi_encoded() {
        let k = key(1);
        let chain = chain_with(&k);
        assert_eq!(
            token_view(&chain, &DECIMALS_SELECTOR).unwrap(),
            format!("{:064x}", 6)
        );
        let symbol = token_view(&chain, &SYMBOL_SELECTOR).unwrap();
        assert_eq!(&symbol[..64], format!("{:064x}", 32));
        assert_eq!(&symbol[64..128], format!("{:064x}", 4));
        assert_eq!(&symbol[128..], format!("{:0<64}", hex::encode("USDT")));
        assert!(token_view(&chain, &coldpay_shared::abi::BALANCE_OF_SELECTOR).is_none());
        assert!(token_view(&chain, &[DECIMALS_SELECTOR.to_vec(), vec![0]].concat()).is_none());
    }

    #[test]
    fn account_net_and_block_by_id() {
        let k = key(1);
        let chain = chain_with(&k);
        let (_, net) = query(
            &chain,
            "getaccountnet",
            &json!({"address": addr(&k).to_base58()}),
            false,
        )
        .unwrap();
        assert_eq!(net["freeNetLimit"], json!(chain.params.free_net_limit));
        let (_, none) = query(
            &chain,
            "getaccountnet",
            &json!({"address": addr(&key(4)).to_base58()}),
            false,
        )
        .unwrap();
        assert_eq!(none, json!({}));
        // getblockbyid is served with the other block queries (api.rs).
        let mut chain = chain;
        let id = hex::encode(chain.head().id);
        let by_id = |chain: &mut Chain, v: &str| {
            crate::api::handle(chain, "/wallet/getblockbyid", &json!({"value": v}), false).1
        };
        assert_eq!(by_id(&mut chain, &id)["blockID"], json!(id));
        assert_eq!(by_id(&mut chain, "00"), json!({}));
    }
}
