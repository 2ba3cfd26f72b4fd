//! Verifying TRON blocks as full nodes list them (`getnowblock`, `getblockbynum`,
//! `getblockbylimitnext`).
//!
//! A block listing is only trusted after it has been re-encoded and hashed the way java-tron
//! does it:
//!
//! - every transaction's `txID` is sha256 of its `raw_data_hex` bytes;
//! - `txTrieRoot` is the binary Merkle root over sha256 of each whole protobuf `Transaction`
//!   (raw_data, signatures and `ret` entries), an odd last node carried up unchanged, 32 zero
//!   bytes for an empty block;
//! - `blockID` is the 8-byte big-endian number followed by bytes 8..32 of sha256 of the
//!   canonical `BlockHeader.raw` encoding.
//!
//! The JSON is read strictly: a field this module does not know cannot be re-encoded, so the
//! block cannot be verified and is refused with the field's path. The witness signature is
//! not checked (a witness may sign with a separate witness-permission key).

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::transaction::TxId;
use crate::wire::{put_message_field, put_uint_field};

/// `Transaction.Result.contractRet` names, indexed by their enum number (Tron.proto).
const CONTRACT_RET_NAMES: [&str; 16] = [
    "DEFAULT",
    "SUCCESS",
    "REVERT",
    "BAD_JUMP_DESTINATION",
    "OUT_OF_MEMORY",
    "PRECOMPILED_CONTRACT",
    "STACK_TOO_SMALL",
    "STACK_TOO_LARGE",
    "ILLEGAL_OPERATION",
    "STACK_OVERFLOW",
    "OUT_OF_ENERGY",
    "OUT_OF_TIME",
    "JVM_STACK_OVER_FLOW",
    "UNKNOWN",
    "TRANSFER_FAILED",
    "INVALID_CODE",
];

/// The enum number of a `contractRet` name (`"SUCCESS"` → 1), or `None` if unknown.
pub fn contract_ret_code(name: &str) -> Option<u32> {
    CONTRACT_RET_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| i as u32)
}

/// The name of a `contractRet` enum number (2 → `"REVERT"`), or `None` if unknown.
pub fn contract_ret_name(code: u32) -> Option<&'static str> {
    CONTRACT_RET_NAMES.get(code as usize).copied()
}

/// Why a block listing was not accepted. Every message names the block number when it is
/// known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockFault {
    /// The node answered `{}`: it does not have the block (or the range).
    #[error("node returned no block")]
    NoBlock,
    /// The listing is not shaped as a block (wrong JSON type, bad hex, wrong length, …).
    #[error("{0}")]
    Malformed(String),
    /// A field this module cannot re-encode; the string names the block and the field path.
    #[error("{0}; cannot re-encode, block unverifiable")]
    UnknownField(String),
    /// A transaction's `txID` is not sha256 of its `raw_data_hex`.
    #[error("block {number}: transactions[{index}]: txID {listed} is not sha256(raw_data_hex) = {computed}")]
    BadTxId {
        /// Block number.
        number: u64,
        /// Index of the transaction in the block.
        index: usize,
        /// The txID the node listed.
        listed: String,
        /// sha256 of the listed raw_data bytes.
        computed: String,
    },
    /// The listed blockID is not the one the header fields hash to.
    #[error("block {number}: blockID does not match the header fields")]
    BlockIdMismatch {
        /// Block number (from the header).
        number: u64,
    },
    /// The header's txTrieRoot is not the Merkle root of the listed transactions (a
    /// transaction is missing, added, altered, or listed with a different result).
    #[error("block {number}: txTrieRoot does not match the listed transactions")]
    TxRootMismatch {
        /// Block number.
        number: u64,
    },
    /// A range answer has fewer blocks than asked for.
    #[error("blocks [{start}, {end}): node returned {got} block(s), expected {}", end - start)]
    RangeShort {
        /// First block asked for.
        start: u64,
        /// End of the range (exclusive).
        end: u64,
        /// Blocks returned.
        got: u64,
    },
    /// A range answer has more blocks than asked for.
    #[error("blocks [{start}, {end}): node returned {got} blocks, expected {}", end - start)]
    RangeLong {
        /// First block asked for.
        start: u64,
        /// End of the range (exclusive).
        end: u64,
        /// Blocks returned.
        got: u64,
    },
    /// A range answer lists a block out of place.
    #[error("block {got} listed where block {expected} was expected")]
    NotConsecutive {
        /// The number expected at that position.
        expected: u64,
        /// The number listed.
        got: u64,
    },
    /// A block's parentHash is not the previous block's blockID.
    #[error("block {number}: parentHash is not the blockID of block {}", number.wrapping_sub(1))]
    ParentMismatch {
        /// The block whose parentHash does not link.
        number: u64,
    },
    /// The range asked for is empty or inverted.
    #[error("empty block range [{start}, {end})")]
    EmptyRange {
        /// First block asked for.
        start: u64,
        /// End of the range (exclusive).
        end: u64,
    },
}

/// One verified transaction of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTx {
    /// sha256 of `raw`.
    pub txid: TxId,
    /// The first `ret` entry's contractRet name (`"SUCCESS"`, `"REVERT"`, …); `"DEFAULT"` when
    /// absent (TRX transfers listed without a result, or an empty `ret` entry).
    pub contract_ret: String,
    /// The raw_data bytes.
    pub raw: Vec<u8>,
}

/// A block whose blockID and txTrieRoot were recomputed from its listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBlock {
    /// Height.
    pub number: u64,
    /// Block time (ms).
    pub timestamp: u64,
    /// blockID.
    pub id: [u8; 32],
    /// parentHash.
    pub parent: [u8; 32],
    /// txTrieRoot.
    pub tx_root: [u8; 32],
    /// The transactions, in block order.
    pub txs: Vec<VerifiedTx>,
}

impl VerifiedBlock {
    /// Whether the block includes `txid`.
    pub fn contains(&self, txid: &TxId) -> bool {
        self.tx(txid).is_some()
    }

    /// The included transaction `txid`, if any.
    pub fn tx(&self, txid: &TxId) -> Option<&VerifiedTx> {
        self.txs.iter().find(|t| &t.txid == txid)
    }

    /// The blockID as lower-case hex.
    pub fn id_hex(&self) -> String {
        crate::hexutil::encode(&self.id)
    }
}

/// A `Transaction.Result` entry: fee (1), ret code (2, SUCESS 0 / FAILED 1), contractRet (3),
/// and the other scalar fields java-tron may carry (see [`RESULT_EXTRAS`]). java-tron clears
/// `ret` when it accepts a broadcast and sets only contractRet when it executes, so listings
/// normally show `{"contractRet": …}`; the rest are read so that an older or unusual block still
/// verifies. `orderDetails` (26) and `cancelUnfreezeV2Amount` (28) are not re-encoded: a block
/// showing them is unverifiable, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxResult {
    /// Fee in sun (field 1).
    pub fee: u64,
    /// `ret` = FAILED (field 2).
    pub failed: bool,
    /// contractRet enum number (field 3), see [`contract_ret_code`].
    pub contract_ret: u32,
    /// Other fields present, ascending by field number.
    pub extras: Vec<(u32, ResultExtra)>,
}

/// The value of one of the other `Transaction.Result` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultExtra {
    /// An int64 field (non-negative as listed).
    Int(u64),
    /// A string or bytes field.
    Bytes(Vec<u8>),
}

/// JSON name, field number and whether it is an int64 (else string/bytes) of the
/// `Transaction.Result` fields beyond 1–3 that are re-encoded.
pub const RESULT_EXTRAS: &[(&str, u32, bool)] = &[
    ("assetIssueID", 14, false),
    ("withdraw_amount", 15, true),
    ("unfreeze_amount", 16, true),
    ("exchange_received_amount", 18, true),
    ("exchange_inject_another_amount", 19, true),
    ("exchange_withdraw_another_amount", 20, true),
    ("exchange_id", 21, true),
    ("shielded_transaction_fee", 22, true),
    ("orderId", 25, false),
    ("withdraw_expire_amount", 27, true),
];

impl TxResult {
    /// A result carrying only a contractRet (what block listings show).
    pub fn contract(contract_ret: u32) -> Self {
        TxResult {
            contract_ret,
            ..TxResult::default()
        }
    }

    /// The canonical encoding (default fields omitted; may be empty).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_uint_field(&mut out, 1, self.fee);
        put_uint_field(&mut out, 2, u64::from(self.failed));
        put_uint_field(&mut out, 3, u64::from(self.contract_ret));
        for (field, v) in &self.extras {
            match v {
                ResultExtra::Int(n) => put_uint_field(&mut out, *field, *n),
                ResultExtra::Bytes(b) => put_nonempty(&mut out, *field, b),
            }
        }
        out
    }
}

/// `BlockHeader.raw`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderRaw {
    /// Field 1, ms.
    pub timestamp: u64,
    /// Field 2.
    pub tx_trie_root: [u8; 32],
    /// Field 3.
    pub parent_hash: [u8; 32],
    /// Field 7.
    pub number: u64,
    /// Field 8.
    pub witness_id: u64,
    /// Field 9 (21 bytes on every network).
    pub witness_address: Vec<u8>,
    /// Field 10.
    pub version: i32,
    /// Field 11 (usually empty).
    pub account_state_root: Vec<u8>,
}

impl HeaderRaw {
    /// The canonical encoding: ascending field numbers, defaults omitted.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        put_uint_field(&mut out, 1, self.timestamp);
        put_nonempty(&mut out, 2, &self.tx_trie_root);
        put_nonempty(&mut out, 3, &self.parent_hash);
        put_uint_field(&mut out, 7, self.number);
        put_uint_field(&mut out, 8, self.witness_id);
        put_nonempty(&mut out, 9, &self.witness_address);
        // int32: negative values are sign-extended to ten bytes, as protobuf does.
        put_uint_field(&mut out, 10, i64::from(self.version) as u64);
        put_nonempty(&mut out, 11, &self.account_state_root);
        out
    }

    /// The blockID of this header.
    pub fn block_id(&self) -> [u8; 32] {
        block_id(self.number, &self.encode())
    }
}

fn put_nonempty(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    crate::wire::put_bytes_field(out, field, bytes);
}

/// blockID = 8-byte big-endian `number` ‖ sha256(`header_raw`)[8..32].
pub fn block_id(number: u64, header_raw: &[u8]) -> [u8; 32] {
    let hash: [u8; 32] = Sha256::digest(header_raw).into();
    let mut id = hash;
    id[..8].copy_from_slice(&number.to_be_bytes());
    id
}

/// java-tron's txTrieRoot over leaf hashes: parent = sha256(left ‖ right), an odd last node
/// is carried up unchanged, no leaves = 32 zero bytes.
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.is_empty() {
        return [0u8; 32];
    }
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => {
                    let mut h = Sha256::new();
                    h.update(l);
                    h.update(r);
                    h.finalize().into()
                }
                [only] => *only,
                _ => unreachable!("chunks(2)"),
            })
            .collect();
    }
    level[0]
}

/// The whole protobuf `Transaction` as java-tron hashes it for the Merkle leaf: field 1
/// raw_data, field 2 each signature, field 5 each result (repeated fields are written even
/// when empty).
pub fn encode_transaction(raw: &[u8], signatures: &[Vec<u8>], rets: &[TxResult]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 70 * signatures.len() + 8 * rets.len() + 4);
    put_message_field(&mut out, 1, raw);
    for s in signatures {
        put_message_field(&mut out, 2, s);
    }
    for r in rets {
        put_message_field(&mut out, 5, &r.encode());
    }
    out
}

// ---- the listing, read strictly ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockJson {
    #[serde(rename = "blockID")]
    block_id: String,
    #[allow(dead_code)]
    block_header: Value,
    #[serde(default)]
    transactions: Option<Vec<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderJson {
    #[allow(dead_code)]
    raw_data: Value,
    #[serde(default)]
    #[allow(dead_code)]
    witness_signature: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJson {
    #[serde(default)]
    number: u64,
    #[serde(default, rename = "txTrieRoot")]
    tx_trie_root: Option<String>,
    #[serde(default)]
    witness_address: Option<String>,
    #[serde(default, rename = "parentHash")]
    parent_hash: Option<String>,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    timestamp: u64,
    #[serde(default)]
    witness_id: u64,
    #[serde(default, rename = "accountStateRoot")]
    account_state_root: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TxJson {
    #[serde(rename = "txID")]
    txid: String,
    #[serde(default)]
    #[allow(dead_code)]
    raw_data: Option<Value>,
    raw_data_hex: String,
    #[serde(default)]
    signature: Vec<String>,
    #[serde(default)]
    ret: Vec<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    visible: Option<bool>,
}

/// The fields 1–3 of a `ret` entry (its keys are checked against [`RET_KEYS`] first; the other
/// fields are read by `ret_extras`).
#[derive(Deserialize)]
struct RetJson {
    #[serde(default)]
    fee: u64,
    #[serde(default)]
    ret: Option<String>,
    #[serde(default, rename = "contractRet")]
    contract_ret: Option<String>,
}

const BLOCK_KEYS: &[&str] = &["blockID", "block_header", "transactions"];
const HEADER_KEYS: &[&str] = &["raw_data", "witness_signature"];
const RAW_KEYS: &[&str] = &[
    "number",
    "txTrieRoot",
    "witness_address",
    "parentHash",
    "version",
    "timestamp",
    "witness_id",
    "accountStateRoot",
];
const TX_KEYS: &[&str] = &[
    "txID",
    "raw_data",
    "raw_data_hex",
    "signature",
    "ret",
    "visible",
];
const RET_KEYS: &[&str] = &[
    "fee",
    "ret",
    "contractRet",
    "assetIssueID",
    "withdraw_amount",
    "unfreeze_amount",
    "exchange_received_amount",
    "exchange_inject_another_amount",
    "exchange_withdraw_another_amount",
    "exchange_id",
    "shielded_transaction_fee",
    "orderId",
    "withdraw_expire_amount",
];

/// Error context: "block N" once the number is readable.
struct Ctx {
    label: String,
}

impl Ctx {
    fn malformed(&self, what: impl std::fmt::Display) -> BlockFault {
        BlockFault::Malformed(format!("{}: {what}", self.label))
    }

    /// Refuses keys outside `allowed` at `path`.
    fn known_keys(&self, v: &Value, allowed: &[&str], path: &str) -> Result<(), BlockFault> {
        let Some(obj) = v.as_object() else {
            return Err(self.malformed(format!("{path} is not a JSON object")));
        };
        if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(BlockFault::UnknownField(format!(
                "{}: unknown field `{k}` in {path}",
                self.label
            )));
        }
        Ok(())
    }

    /// Requires `keys` of the object `v`, where present, to be JSON integers in u64 range.
    fn integers(&self, v: &Value, keys: &[&str], path: &str) -> Result<(), BlockFault> {
        for k in keys {
            if let Some(x) = v.get(*k) {
                if x.as_u64().is_none() {
                    return Err(self.malformed(format!(
                        "{path}.{k}: expected a non-negative JSON integer, got {x}"
                    )));
                }
            }
        }
        Ok(())
    }

    fn typed<T: serde::de::DeserializeOwned>(
        &self,
        v: &Value,
        path: &str,
    ) -> Result<T, BlockFault> {
        T::deserialize(v).map_err(|e| self.malformed(format!("{path}: {e}")))
    }

    fn hex(&self, s: &str, path: &str) -> Result<Vec<u8>, BlockFault> {
        crate::hexutil::decode(s).map_err(|e| self.malformed(format!("{path}: bad hex: {e}")))
    }

    fn hex32(&self, s: Option<&str>, path: &str) -> Result<[u8; 32], BlockFault> {
        let s = s.ok_or_else(|| self.malformed(format!("{path} is missing")))?;
        let b = self.hex(s, path)?;
        b.try_into().map_err(|b: Vec<u8>| {
            self.malformed(format!("{path}: expected 32 bytes, got {}", b.len()))
        })
    }
}

/// A witness address as listed: hex (`41…`) or, with `visible=true`, base58check.
fn address_bytes(ctx: &Ctx, s: &str, path: &str) -> Result<Vec<u8>, BlockFault> {
    if s.bytes().all(|b| b.is_ascii_hexdigit()) {
        ctx.hex(s, path)
    } else {
        crate::address::Address::from_base58(s)
            .map(|a| a.as_bytes().to_vec())
            .map_err(|e| ctx.malformed(format!("{path}: {e}")))
    }
}

fn parse_ret(ctx: &Ctx, v: &Value, path: &str) -> Result<TxResult, BlockFault> {
    ctx.known_keys(v, RET_KEYS, path)?;
    ctx.integers(v, &["fee"], path)?;
    let r: RetJson = ctx.typed(v, path)?;
    let failed = match r.ret.as_deref() {
        None | Some("SUCESS") => false,
        Some("FAILED") => true,
        Some(other) => {
            return Err(ctx.malformed(format!(
                "{path}.ret: unknown result code {other:?} (SUCESS or FAILED)"
            )))
        }
    };
    let contract_ret = match r.contract_ret.as_deref() {
        None => 0,
        Some(name) => contract_ret_code(name)
            .ok_or_else(|| ctx.malformed(format!("{path}.contractRet: unknown value {name:?}")))?,
    };
    Ok(TxResult {
        fee: r.fee,
        failed,
        contract_ret,
        extras: ret_extras(ctx, v, path)?,
    })
}

/// The other scalar `Result` fields present in a listed `ret` entry, ascending by field number.
/// `assetIssueID` is text (its UTF-8 bytes are encoded); `orderId` is hex.
fn ret_extras(ctx: &Ctx, v: &Value, path: &str) -> Result<Vec<(u32, ResultExtra)>, BlockFault> {
    let mut out = Vec::new();
    for (name, field, int) in RESULT_EXTRAS {
        let Some(x) = v.get(*name) else { continue };
        let value = if *int {
            ResultExtra::Int(x.as_u64().ok_or_else(|| {
                ctx.malformed(format!(
                    "{path}.{name}: expected a non-negative JSON integer, got {x}"
                ))
            })?)
        } else {
            let s = x
                .as_str()
                .ok_or_else(|| ctx.malformed(format!("{path}.{name}: expected a string")))?;
            ResultExtra::Bytes(if *name == "orderId" {
                ctx.hex(s, &format!("{path}.{name}"))?
            } else {
                s.as_bytes().to_vec()
            })
        };
        out.push((*field, value));
    }
    Ok(out)
}

/// The header of a listing, re-encoded, with the listed blockID, its error context and the
/// parsed listing (keys checked at every level above the transactions).
struct Header {
    ctx: Ctx,
    raw: HeaderRaw,
    listed_id: [u8; 32],
    block: BlockJson,
}

fn parse_header(v: &Value) -> Result<Header, BlockFault> {
    match v.as_object() {
        Some(o) if o.is_empty() => return Err(BlockFault::NoBlock),
        Some(_) => {}
        None => {
            return Err(BlockFault::Malformed(
                "block listing is not a JSON object".into(),
            ))
        }
    }
    let listed_number = v
        .pointer("/block_header/raw_data/number")
        .map_or(Some(0), Value::as_u64);
    let ctx = Ctx {
        label: listed_number.map_or_else(
            || "block (unreadable number)".into(),
            |n| format!("block {n}"),
        ),
    };
    ctx.known_keys(v, BLOCK_KEYS, "the block")?;
    let header = v
        .get("block_header")
        .ok_or_else(|| ctx.malformed("block_header is missing"))?;
    ctx.known_keys(header, HEADER_KEYS, "block_header")?;
    let raw_v = header
        .get("raw_data")
        .ok_or_else(|| ctx.malformed("block_header.raw_data is missing"))?;
    ctx.known_keys(raw_v, RAW_KEYS, "block_header.raw_data")?;
    ctx.integers(
        raw_v,
        &["number", "timestamp", "witness_id"],
        "block_header.raw_data",
    )?;
    let raw: RawJson = ctx.typed(raw_v, "block_header.raw_data")?;
    let _: HeaderJson = ctx.typed(header, "block_header")?;
    let block: BlockJson = ctx.typed(v, "the block")?;
    let witness_address = match raw.witness_address.as_deref() {
        Some(s) => address_bytes(&ctx, s, "block_header.raw_data.witness_address")?,
        None => Vec::new(),
    };
    let header_raw = HeaderRaw {
        timestamp: raw.timestamp,
        tx_trie_root: ctx.hex32(
            raw.tx_trie_root.as_deref(),
            "block_header.raw_data.txTrieRoot",
        )?,
        parent_hash: ctx.hex32(
            raw.parent_hash.as_deref(),
            "block_header.raw_data.parentHash",
        )?,
        number: raw.number,
        witness_id: raw.witness_id,
        witness_address,
        version: raw.version,
        account_state_root: match raw.account_state_root.as_deref() {
            Some(s) => ctx.hex(s, "block_header.raw_data.accountStateRoot")?,
            None => Vec::new(),
        },
    };
    let listed_id = ctx.hex32(Some(&block.block_id), "blockID")?;
    Ok(Header {
        ctx,
        raw: header_raw,
        listed_id,
        block,
    })
}

/// Verifies only a listing's header: its blockID re-derives from the re-encoded
/// `BlockHeader.raw`. Returns (number, blockID). For identifying a chain by its genesis block,
/// whose transaction list is not needed.
pub fn verify_header(v: &Value) -> Result<(u64, [u8; 32]), BlockFault> {
    let h = parse_header(v)?;
    if h.raw.block_id() != h.listed_id {
        return Err(BlockFault::BlockIdMismatch {
            number: h.raw.number,
        });
    }
    Ok((h.raw.number, h.listed_id))
}

/// Parses and verifies one block listing (blockID, txIDs, txTrieRoot).
pub fn verify_block(v: &Value) -> Result<VerifiedBlock, BlockFault> {
    let Header {
        ctx,
        raw: header_raw,
        listed_id,
        block,
    } = parse_header(v)?;
    let number = header_raw.number;

    let mut txs = Vec::new();
    let mut leaves = Vec::new();
    for (index, tv) in block.transactions.iter().flatten().enumerate() {
        let path = format!("transactions[{index}]");
        ctx.known_keys(tv, TX_KEYS, &path)?;
        let t: TxJson = ctx.typed(tv, &path)?;
        let raw_bytes = ctx.hex(&t.raw_data_hex, &format!("{path}.raw_data_hex"))?;
        let listed = ctx.hex32(Some(&t.txid), &format!("{path}.txID"))?;
        let txid = TxId::of_raw(&raw_bytes);
        if txid.as_bytes() != &listed {
            return Err(BlockFault::BadTxId {
                number,
                index,
                listed: t.txid.to_lowercase(),
                computed: txid.to_hex(),
            });
        }
        let signatures = t
            .signature
            .iter()
            .enumerate()
            .map(|(i, s)| ctx.hex(s, &format!("{path}.signature[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let rets = t
            .ret
            .iter()
            .enumerate()
            .map(|(i, r)| parse_ret(&ctx, r, &format!("{path}.ret[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let contract_ret = rets
            .first()
            .and_then(|r| contract_ret_name(r.contract_ret))
            .unwrap_or("DEFAULT")
            .to_string();
        leaves.push(Sha256::digest(encode_transaction(&raw_bytes, &signatures, &rets)).into());
        txs.push(VerifiedTx {
            txid,
            contract_ret,
            raw: raw_bytes,
        });
    }

    if header_raw.block_id() != listed_id {
        return Err(BlockFault::BlockIdMismatch { number });
    }
    if merkle_root(&leaves) != header_raw.tx_trie_root {
        return Err(BlockFault::TxRootMismatch { number });
    }
    Ok(VerifiedBlock {
        number,
        timestamp: header_raw.timestamp,
        id: listed_id,
        parent: header_raw.parent_hash,
        tx_root: header_raw.tx_trie_root,
        txs,
    })
}

/// Verifies a `getblockbylimitnext` answer for [start, end): exactly end-start blocks,
/// consecutive numbers, each verified, each parentHash == previous blockID. `{}` or a
/// short/long list is an error.
pub fn verify_range(v: &Value, start: u64, end: u64) -> Result<Vec<VerifiedBlock>, BlockFault> {
    if end <= start {
        return Err(BlockFault::EmptyRange { start, end });
    }
    let Some(obj) = v.as_object() else {
        return Err(BlockFault::Malformed(format!(
            "blocks [{start}, {end}): answer is not a JSON object"
        )));
    };
    if let Some(k) = obj.keys().find(|k| k.as_str() != "block") {
        return Err(BlockFault::UnknownField(format!(
            "blocks [{start}, {end}): unknown field `{k}` in the answer"
        )));
    }
    let list = match obj.get("block") {
        None => &Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(BlockFault::Malformed(format!(
                "blocks [{start}, {end}): `block` is not an array"
            )))
        }
    };
    let want = end - start;
    let got = list.len() as u64;
    if got < want {
        return Err(BlockFault::RangeShort { start, end, got });
    }
    if got > want {
        return Err(BlockFault::RangeLong { start, end, got });
    }
    let mut out: Vec<VerifiedBlock> = Vec::with_capacity(list.len());
    for (expected, bv) in (start..end).zip(list) {
        let b = verify_block(bv)?;
        if b.number != expected {
            return Err(BlockFault::NotConsecutive {
                expected,
                got: b.number,
            });
        }
        if let Some(prev) = out.last() {
            if b.parent != prev.id {
                return Err(BlockFault::ParentMismatch { number: b.number });
            }
        }
        out.push(b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_shapes() {
        let l = |n: u8| [n; 32];
        let h = |a: &[u8; 32], b: &[u8; 32]| -> [u8; 32] {
            let mut x = Sha256::new();
            x.update(a);
            x.update(b);
            x.finalize().into()
        };
        assert_eq!(merkle_root(&[]), [0; 32]);
        assert_eq!(merkle_root(&[l(1)]), l(1));
        assert_eq!(merkle_root(&[l(1), l(2)]), h(&l(1), &l(2)));
        assert_eq!(merkle_root(&[l(1), l(2), l(3)]), h(&h(&l(1), &l(2)), &l(3)));
        let five = [l(1), l(2), l(3), l(4), l(5)];
        assert_eq!(
            merkle_root(&five),
            h(&h(&h(&l(1), &l(2)), &h(&l(3), &l(4))), &l(5))
        );
    }

    #[test]
    fn contract_ret_table() {
        assert_eq!(contract_ret_code("SUCCESS"), Some(1));
        assert_eq!(contract_ret_code("OUT_OF_ENERGY"), Some(10));
        assert_eq!(contract_ret_code("INVALID_CODE"), Some(15));
        assert_eq!(contract_ret_code("SUCESS"), None);
        assert_eq!(contract_ret_name(2), Some("REVERT"));
        assert_eq!(contract_ret_name(16), None);
    }

    #[test]
    fn empty_ret_still_written() {
        assert_eq!(
            encode_transaction(&[], &[], &[TxResult::default()]),
            vec![0x0a, 0x00, 0x2a, 0x00]
        );
        assert_eq!(TxResult::contract(1).encode(), vec![0x18, 0x01]);
    }

    #[test]
    fn negative_version_is_ten_bytes() {
        let h = HeaderRaw {
            version: -1,
            ..HeaderRaw::default()
        };
        let e = h.encode();
        // 32 zero bytes are still written for the two hashes.
        assert_eq!(
            &e[e.len() - 11..],
            &[0x50, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
    }
}
