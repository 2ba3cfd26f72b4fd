//! The handoff between the two binaries: the *sign request* (broadcaster → signer) and the
//! *sign response* (signer → broadcaster). The types here are format-independent; JSON is
//! one encoding of them (see `docs/formats.md`), the compact QR form another.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::address::Address;
use crate::amount::U256;
use crate::error::{Error, Result};
use crate::permission::{Permission, PermissionClaim};
use crate::signature::Signature;
use crate::text::escape;
use crate::transaction::{decode_hex_field, Intent, RawData, TxId};

/// `format` value of a sign request.
pub const REQUEST_FORMAT: &str = "coldpay/sign-request";
/// `format` value of a sign response.
pub const RESPONSE_FORMAT: &str = "coldpay/sign-response";
/// The handoff version this code reads and writes.
pub const HANDOFF_VERSION: u32 = 1;
/// Longest payout id accepted (the id rule is in [`crate::text`]).
pub const MAX_PAYOUT_ID_LEN: usize = crate::text::MAX_ID_LEN;

/// The TRON network a request is for. TRON transactions carry no chain id, so the request
/// names it and the signer's home is bound to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// TRON mainnet.
    Mainnet,
    /// Nile testnet.
    Nile,
    /// Shasta testnet.
    Shasta,
    /// A local dev node.
    Local,
}

impl Network {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Nile => "nile",
            Network::Shasta => "shasta",
            Network::Local => "local",
        }
    }

    /// Compact code used in binary forms.
    pub fn code(self) -> u8 {
        match self {
            Network::Mainnet => 0,
            Network::Nile => 1,
            Network::Shasta => 2,
            Network::Local => 3,
        }
    }

    /// Inverse of [`Network::code`].
    pub fn from_code(c: u8) -> Result<Self> {
        Ok(match c {
            0 => Network::Mainnet,
            1 => Network::Nile,
            2 => Network::Shasta,
            3 => Network::Local,
            _ => return Err(Error::Handoff(format!("unknown network code {c}"))),
        })
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mainnet" => Ok(Network::Mainnet),
            "nile" => Ok(Network::Nile),
            "shasta" => Ok(Network::Shasta),
            "local" => Ok(Network::Local),
            other => Err(Error::Handoff(format!(
                "unknown network {other:?} (mainnet, nile, shasta or local)"
            ))),
        }
    }
}

/// The broadcaster's fee inputs for one transaction, shown by the signer as a claim (the
/// binding cap is `fee_limit` in the signed bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeInputs {
    /// Estimated energy the call uses.
    pub energy_estimate: u64,
    /// Energy price in sun per unit at build time.
    pub energy_price_sun: u64,
    /// Whether the recipient already holds the token (cheaper transfer), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_holds_token: Option<bool>,
    /// Estimated bandwidth bytes (burned at the bandwidth price when not staked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth_bytes: Option<u64>,
    /// Energy the broadcaster expects the sender's staked and delegated-in energy to cover
    /// for this transaction (spent across the request in order, as java-tron does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_from_stake: Option<u64>,
    /// Whether the broadcaster expects staked or free bandwidth to cover the whole
    /// transaction (java-tron uses a source only when it covers all of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth_covered: Option<bool>,
    /// Sun per bandwidth byte burned (`getTransactionFee`) at build time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth_price_sun: Option<u64>,
    /// Sun burned for a memo (`getMemoFee`) at build time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo_fee_sun: Option<u64>,
    /// Other fixed burns (multi-signature fee), sun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_fees_sun: Option<u64>,
}

/// Display hints: what the broadcaster believes the transaction does. The signer only
/// cross-checks them against the decoded bytes and aborts on any disagreement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayHints {
    /// Recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    /// Amount in base units, decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Token contract (absent for TRX).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Address>,
    /// Token symbol the broadcaster uses ("USDT", "TRX").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The payout id of an earlier payout with the same recipient, amount, token and memo
    /// (in this request or imported within 30 days before it), which the operator chose to
    /// accept (`--allow-duplicates`). Informational: the signer shows "duplicate of …".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
}

/// One transaction in a sign request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestTx {
    /// The broadcaster's payout id (unique within the request).
    pub payout_id: String,
    /// The decoded raw_data (the bytes signed are its canonical encoding).
    pub raw: RawData,
    /// sha256 of the raw bytes.
    pub txid: TxId,
    /// Optional hints to cross-check.
    pub hints: Option<DisplayHints>,
    /// Optional fee inputs to display.
    pub fee: Option<FeeInputs>,
}

impl RequestTx {
    /// Builds an entry, computing the txID.
    pub fn new(payout_id: impl Into<String>, raw: RawData) -> Self {
        let txid = raw.txid();
        RequestTx {
            payout_id: payout_id.into(),
            raw,
            txid,
            hints: None,
            fee: None,
        }
    }

    /// Compares the hints with what the bytes say; any disagreement is an error naming it.
    pub fn check_hints(&self, intent: &Intent) -> Result<()> {
        let Some(h) = &self.hints else { return Ok(()) };
        let fail = |what: &str, hint: String, actual: String| {
            Err(Error::Handoff(format!(
                "payout {}: display hint {what} {} disagrees with the transaction bytes ({actual})",
                escape(&self.payout_id),
                escape(&hint)
            )))
        };
        if let Some(to) = h.to {
            if to != intent.to() {
                return fail("to", to.to_string(), intent.to().to_string());
            }
        }
        if let Some(a) = &h.amount {
            match U256::from_str_radix(a, 10) {
                Ok(hinted) if hinted == intent.amount() => {}
                Ok(hinted) => {
                    return fail("amount", hinted.to_string(), intent.amount().to_string())
                }
                Err(_) => {
                    return Err(Error::Handoff(format!(
                        "payout {}: display hint amount is not a decimal integer",
                        escape(&self.payout_id)
                    )))
                }
            }
        }
        if h.token != intent.token() {
            let show = |t: Option<Address>| t.map_or("TRX".to_string(), |a| a.to_string());
            if h.token.is_some() || h.symbol.as_deref().is_some_and(|s| s != "TRX") {
                return fail("token", show(h.token), show(intent.token()));
            }
        }
        if h.symbol.as_deref() == Some("TRX") && intent.token().is_some() {
            return fail("symbol", "TRX".into(), "a TRC-20 transfer".into());
        }
        Ok(())
    }
}

/// A sign request: everything the cold signer needs to review and sign a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignRequest {
    /// Network the transactions are for.
    pub network: Network,
    /// Unique id chosen by the broadcaster.
    pub request_id: String,
    /// Creation time, ms since the epoch.
    pub created_at: u64,
    /// The transactions, each with a payout id.
    pub transactions: Vec<RequestTx>,
    /// The permission the transactions are signed under, as the broadcaster read it from the
    /// node (a claim: the signer shows it, the chain enforces the truth). Every
    /// transaction's Permission_id equals its id.
    pub permission: Option<PermissionClaim>,
    /// For a permission-update request: the account's owner and active permissions as the
    /// broadcaster read them before the update (a claim, for the signer's before/after view).
    pub permission_before: Option<Vec<Permission>>,
}

impl SignRequest {
    /// A digest binding network, request id, creation time, payout ids and txIDs; the same
    /// whatever encoding carried the request.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"coldpay/sign-request/v1\0");
        h.update([self.network.code()]);
        h.update((self.request_id.len() as u64).to_be_bytes());
        h.update(self.request_id.as_bytes());
        h.update(self.created_at.to_be_bytes());
        h.update((self.transactions.len() as u64).to_be_bytes());
        for t in &self.transactions {
            h.update((t.payout_id.len() as u64).to_be_bytes());
            h.update(t.payout_id.as_bytes());
            h.update(t.txid.as_bytes());
        }
        // Absent in single-signer requests, whose digests stay what they were.
        if let Some(c) = &self.permission {
            let bytes = c.canonical_bytes();
            h.update(b"permission\0");
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(&bytes);
        }
        if let Some(before) = &self.permission_before {
            h.update(b"permission_before\0");
            h.update((before.len() as u64).to_be_bytes());
            for p in before {
                let bytes = p.encode();
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(&bytes);
            }
        }
        h.finalize().into()
    }

    /// The 6-character code an operator types to confirm this request (no look-alike
    /// characters); both tools derive it from [`SignRequest::digest`], so it can be read out
    /// from the online side and checked on the signer.
    pub fn confirmation_code(&self) -> String {
        confirmation_code(&self.digest())
    }

    /// Structural checks every reader applies: version-independent invariants.
    pub fn validate(&self) -> Result<()> {
        self.validate_ids()?;
        for t in &self.transactions {
            if t.raw.txid() != t.txid {
                return Err(Error::Handoff(format!(
                    "payout {}: txid does not match raw_data",
                    escape(&t.payout_id)
                )));
            }
        }
        Ok(())
    }

    /// The checks of [`SignRequest::validate`] other than recomputing txIDs (for readers
    /// that computed them from the bytes already).
    fn validate_ids(&self) -> Result<()> {
        validate_id("request_id", &self.request_id)?;
        if self.transactions.is_empty() {
            return Err(Error::Handoff("request has no transactions".into()));
        }
        let mut seen = HashSet::new();
        for t in &self.transactions {
            validate_id("payout_id", &t.payout_id)?;
            if let Some(d) = t.hints.as_ref().and_then(|h| h.duplicate_of.as_deref()) {
                validate_id("hints.duplicate_of", d)?;
            }
            let amount = t.hints.as_ref().and_then(|h| h.amount.as_deref());
            if amount.is_some_and(|a| U256::from_str_radix(a, 10).is_err()) {
                return Err(Error::Handoff(format!(
                    "payout {}: hints.amount is not a decimal integer",
                    escape(&t.payout_id)
                )));
            }
            if !seen.insert(t.payout_id.as_str()) {
                return Err(Error::Handoff(format!(
                    "payout id \"{}\" appears twice in the request",
                    escape(&t.payout_id)
                )));
            }
        }
        self.validate_permission()
    }

    /// The claimed permission is one the chain could hold and every transaction is built
    /// under its id; `permission_before` has one owner permission and only owner/actives.
    fn validate_permission(&self) -> Result<()> {
        if let Some(c) = &self.permission {
            c.validate()
                .map_err(|e| Error::Handoff(format!("request permission: {e}")))?;
            if let Some(t) = self
                .transactions
                .iter()
                .find(|t| i64::from(t.raw.contract.permission_id) != i64::from(c.id))
            {
                return Err(Error::Handoff(format!(
                    "payout {} is built with Permission_id {}, but the request's permission is id {}",
                    escape(&t.payout_id),
                    t.raw.contract.permission_id,
                    c.id
                )));
            }
        }
        if let Some(before) = &self.permission_before {
            crate::permission::check_permission_list(before)
                .map_err(|e| Error::Handoff(format!("request permission_before: {e}")))?;
        }
        Ok(())
    }

    /// Serialises to the JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        let txs: Vec<RequestTxJson> = self
            .transactions
            .iter()
            .map(|t| RequestTxJson {
                payout_id: t.payout_id.clone(),
                raw_data_hex: crate::hexutil::encode(&t.raw.encode()),
                txid: t.txid.to_hex(),
                hints: t.hints.clone(),
                fee: t.fee,
            })
            .collect();
        serde_json::to_value(SignRequestJson {
            format: REQUEST_FORMAT.into(),
            version: HANDOFF_VERSION,
            network: self.network,
            request_id: self.request_id.clone(),
            created_at: self.created_at,
            transactions: txs,
            permission: self.permission.clone(),
            permission_before: self.permission_before.clone(),
        })
        .expect("serialisable")
    }

    /// Parses and validates the JSON form: strict raw_data, txIDs recomputed, no unknown keys.
    pub fn from_json(v: &serde_json::Value) -> Result<Self> {
        Self::from_json_value(v.clone())
    }

    /// [`SignRequest::from_json`] taking the value by value (no copy of its strings).
    pub fn from_json_value(v: serde_json::Value) -> Result<Self> {
        check_format(&v, REQUEST_FORMAT)?;
        let j: SignRequestJson = serde_json::from_value(v).map_err(|e| {
            Error::Json(format!("sign request: {}", crate::json_error::describe(&e)))
        })?;
        Self::from_parsed(j)
    }

    /// Where and why the typed form refuses `text` (a sign request document), placed by
    /// serde; `None` if the typed form reads it.
    pub(crate) fn typed_error(text: &str) -> Option<Error> {
        serde_json::from_str::<SignRequestJson>(text)
            .err()
            .map(|e| crate::strict_json::positioned(&e))
    }

    /// Parses a document that is a sign request straight from its text, without building a
    /// `serde_json::Value` first. `None` when the text is not exactly a well-formed sign
    /// request; the caller then takes the general path, which gives the precise error.
    pub(crate) fn from_json_text(text: &str) -> Option<Result<Self>> {
        let j: SignRequestJson = serde_json::from_str(text).ok()?;
        (j.format == REQUEST_FORMAT && j.version == HANDOFF_VERSION).then(|| Self::from_parsed(j))
    }

    fn from_parsed(j: SignRequestJson) -> Result<Self> {
        let mut transactions = Vec::with_capacity(j.transactions.len());
        for (i, t) in j.transactions.into_iter().enumerate() {
            let bytes = decode_hex_field("raw_data_hex", &t.raw_data_hex).map_err(|e| match e {
                Error::Hex { reason, .. } => Error::Hex {
                    field: format!("transactions[{i}].raw_data_hex"),
                    reason,
                },
                e => e,
            })?;
            // The payout id is not checked yet: named only if it is a valid id.
            let raw = RawData::decode(&bytes).map_err(|e| {
                let payout = crate::text::id_problem("", &t.payout_id)
                    .map_or_else(|| format!(" (payout {})", t.payout_id), |_| String::new());
                Error::Handoff(format!("transactions[{i}]{payout}: {e}"))
            })?;
            let txid = TxId::of_raw(&bytes);
            if !t.txid.eq_ignore_ascii_case(&txid.to_hex()) {
                return Err(Error::TxIdMismatch {
                    claimed: t.txid,
                    actual: txid.to_hex(),
                });
            }
            transactions.push(RequestTx {
                payout_id: t.payout_id,
                raw,
                txid,
                hints: t.hints,
                fee: t.fee,
            });
        }
        let req = SignRequest {
            network: j.network,
            request_id: j.request_id,
            created_at: j.created_at,
            transactions,
            permission: j.permission,
            permission_before: j.permission_before,
        };
        // txIDs were computed from the bytes above.
        req.validate_ids()?;
        Ok(req)
    }
}

/// The 6-character confirmation code of a request digest (no look-alike characters).
pub fn confirmation_code(digest: &[u8; 32]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let h = Sha256::digest([b"coldpay-confirm".as_slice(), digest].concat());
    h.iter()
        .take(6)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// The id rule of [`crate::text::id_problem`]: printable ASCII without spaces.
fn validate_id(what: &str, id: &str) -> Result<()> {
    crate::text::check_id(what, id)
}

fn check_format(v: &serde_json::Value, expected: &str) -> Result<()> {
    let format = v.get("format").and_then(serde_json::Value::as_str);
    if format != Some(expected) {
        return Err(Error::Handoff(format!(
            "format must be {expected:?}, {}",
            if format.is_some() {
                "got another"
            } else {
                "missing"
            }
        )));
    }
    match v.get("version").and_then(serde_json::Value::as_u64) {
        Some(1) => Ok(()),
        other => Err(Error::Handoff(format!(
            "unsupported {expected} version {other:?} (this build reads version 1)"
        ))),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequestJson {
    format: String,
    version: u32,
    network: Network,
    request_id: String,
    created_at: u64,
    transactions: Vec<RequestTxJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permission: Option<PermissionClaim>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permission_before: Option<Vec<Permission>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestTxJson {
    payout_id: String,
    raw_data_hex: String,
    txid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hints: Option<DisplayHints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fee: Option<FeeInputs>,
}

/// One signature with the address it recovers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerSignature {
    /// The signer's address.
    pub signer: Address,
    /// The 65-byte signature.
    pub signature: Signature,
}

/// One signed transaction in a response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseTx {
    /// Payout id from the request.
    pub payout_id: String,
    /// txID signed.
    pub txid: TxId,
    /// Signatures over the txID.
    pub signatures: Vec<SignerSignature>,
}

/// Where the signer's audit log stood right after recording a signing: lets the online side
/// notice an audit log whose tail was later cut (the sequence goes backwards).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditHead {
    /// Hash (hex) of audit line 1: identifies the signer home's log.
    pub log: String,
    /// Sequence number of the audit line that recorded this signing.
    pub seq: u64,
    /// Hash (hex) of that audit line.
    pub hash: String,
}

impl AuditHead {
    /// Checks both hashes are 64 lower-case hex digits and the sequence number is not 0.
    pub fn validate(&self) -> Result<()> {
        self.log_bytes()?;
        self.hash_bytes()?;
        if self.seq == 0 {
            return Err(Error::Handoff("audit_head: seq must be 1 or more".into()));
        }
        Ok(())
    }

    /// `log` as 32 bytes.
    pub fn log_bytes(&self) -> Result<[u8; 32]> {
        hash32("audit_head.log", &self.log)
    }

    /// `hash` as 32 bytes.
    pub fn hash_bytes(&self) -> Result<[u8; 32]> {
        hash32("audit_head.hash", &self.hash)
    }
}

/// Parses a sha256 written as 64 lower-case hex digits (the form the signer writes).
fn hash32(what: &str, s: &str) -> Result<[u8; 32]> {
    let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let bytes = hex::decode(s).ok().filter(|_| ok);
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| Error::Handoff(format!("{what} must be 64 lower-case hex digits")))
}

/// A sign response: signatures for the transactions of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignResponse {
    /// The request answered.
    pub request_id: String,
    /// Signing time, ms since the epoch.
    pub signed_at: u64,
    /// Per-transaction signatures, in request order.
    pub transactions: Vec<ResponseTx>,
    /// The signer's audit head after recording this signing (absent in responses from
    /// signers older than the audit-head field).
    pub audit_head: Option<AuditHead>,
    /// The sealed policy the signer signed under (absent in responses from signers older
    /// than sealed policies).
    pub policy: Option<SignerPolicy>,
}

/// The sealed signing policy a response was signed under: its sequence on the signer home
/// (1 = enrolled; each approved update adds 1) and the sha256 of its text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerPolicy {
    /// sha256 (hex, 64 lower-case digits) of the sealed policy text. (Fields in sorted order:
    /// the pretty response writer must give the bytes of a sorted `Value`.)
    pub digest: String,
    /// Sequence of the sealed policy.
    pub seq: u64,
}

impl SignerPolicy {
    /// Checks the digest is 64 lower-case hex digits and the sequence is not 0.
    pub fn validate(&self) -> Result<()> {
        let hex64 = self.digest.len() == 64
            && self
                .digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if self.seq == 0 || !hex64 {
            return Err(Error::Json(
                "policy: seq must be ≥ 1 and digest 64 lower-case hex digits".into(),
            ));
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignResponseJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_head: Option<AuditHead>,
    format: String,
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy: Option<SignerPolicy>,
    request_id: String,
    signed_at: u64,
    transactions: Vec<ResponseTx>,
}

impl SignResponse {
    /// Serialises to the JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(SignResponseJson {
            audit_head: self.audit_head.clone(),
            format: RESPONSE_FORMAT.into(),
            version: HANDOFF_VERSION,
            policy: self.policy.clone(),
            request_id: self.request_id.clone(),
            signed_at: self.signed_at,
            transactions: self.transactions.clone(),
        })
        .expect("serialisable")
    }

    /// The JSON form pretty-printed: the same bytes as
    /// `serde_json::to_vec_pretty(&self.to_json())`, without building the `Value` tree and with
    /// each signer's base58 address formatted once (10,000-transaction responses).
    pub fn to_json_pretty(&self) -> Vec<u8> {
        // Field order is the sorted key order a `Value` object serialises in.
        #[derive(Serialize)]
        struct Sig<'a> {
            signature: &'a Signature,
            signer: &'a str,
        }
        #[derive(Serialize)]
        struct Tx<'a> {
            payout_id: &'a str,
            signatures: Vec<Sig<'a>>,
            txid: &'a TxId,
        }
        #[derive(Serialize)]
        struct Head<'a> {
            hash: &'a str,
            log: &'a str,
            seq: u64,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            audit_head: Option<Head<'a>>,
            format: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            policy: Option<&'a SignerPolicy>,
            request_id: &'a str,
            signed_at: u64,
            transactions: Vec<Tx<'a>>,
            version: u32,
        }
        let mut names: std::collections::HashMap<Address, String> =
            std::collections::HashMap::new();
        for s in self.transactions.iter().flat_map(|t| &t.signatures) {
            names
                .entry(s.signer)
                .or_insert_with(|| s.signer.to_base58());
        }
        let doc = Doc {
            audit_head: self.audit_head.as_ref().map(|h| Head {
                hash: &h.hash,
                log: &h.log,
                seq: h.seq,
            }),
            format: RESPONSE_FORMAT,
            policy: self.policy.as_ref(),
            request_id: &self.request_id,
            signed_at: self.signed_at,
            transactions: self
                .transactions
                .iter()
                .map(|t| Tx {
                    payout_id: &t.payout_id,
                    signatures: t
                        .signatures
                        .iter()
                        .map(|s| Sig {
                            signature: &s.signature,
                            signer: &names[&s.signer],
                        })
                        .collect(),
                    txid: &t.txid,
                })
                .collect(),
            version: HANDOFF_VERSION,
        };
        let mut out = Vec::with_capacity(64 + self.transactions.len() * 400);
        serde_json::to_writer_pretty(&mut out, &doc).expect("serialisable");
        out
    }

    /// Parses the JSON text of a response, refusing duplicate keys ([`crate::strict_json`]),
    /// and checks every signature recovers to its stated signer.
    pub fn from_json_text(text: &str) -> Result<Self> {
        Self::from_json(&crate::strict_json::parse(text)?)
    }

    /// Parses the JSON form and checks every signature recovers to its stated signer.
    pub fn from_json(v: &serde_json::Value) -> Result<Self> {
        check_format(v, RESPONSE_FORMAT)?;
        let j = SignResponseJson::deserialize(v)
            .map_err(|e| Error::Json(format!("sign response: {e}")))?;
        let resp = SignResponse {
            request_id: j.request_id,
            signed_at: j.signed_at,
            transactions: j.transactions,
            audit_head: j.audit_head,
            policy: j.policy,
        };
        if let Some(p) = &resp.policy {
            p.validate()?;
        }
        resp.verify_signers()?;
        Ok(resp)
    }

    /// Checks every signature recovers to the address it names.
    pub fn verify_signers(&self) -> Result<()> {
        validate_id("request_id", &self.request_id)?;
        if let Some(h) = &self.audit_head {
            h.validate()?;
        }
        for t in &self.transactions {
            validate_id("payout_id", &t.payout_id)?;
            if t.signatures.is_empty() {
                return Err(Error::Handoff(format!(
                    "payout {}: no signature",
                    escape(&t.payout_id)
                )));
            }
            for s in &t.signatures {
                s.signature
                    .verify(&t.txid, &s.signer)
                    .map_err(|e| Error::Handoff(format!("payout {}: {e}", escape(&t.payout_id))))?;
            }
        }
        Ok(())
    }
}

/// `format` value of a watch-only export.
pub const WATCH_FORMAT: &str = "coldpay/watch-only";

/// One account in a watch-only export: no secret, only what the online side needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchAccount {
    /// Wallet name in the signer.
    pub name: String,
    /// The account's address.
    pub address: Address,
    /// BIP-44 derivation path (`m/44'/195'/0'/0/i`), or `None` for an imported raw key.
    #[serde(default)]
    pub path: Option<String>,
}

/// The signer's watch-only export (signer → broadcaster).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchExport {
    /// Network the signer's home is bound to.
    pub network: Network,
    /// Accounts.
    pub accounts: Vec<WatchAccount>,
    /// When set, this home's keys are approver keys of another account's permission, not
    /// treasury accounts of their own.
    pub approver_for: Option<ApproverFor>,
}

/// Names the account permission whose approver keys a signer home holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverFor {
    /// The account whose permission the keys belong to.
    pub account: Address,
    /// The permission's name (label rule of [`crate::text::label_problem`]).
    pub permission: String,
}

impl ApproverFor {
    /// Parses `ACCOUNT:PERMISSION_NAME`.
    pub fn parse(text: &str) -> Result<Self> {
        let (account, permission) = text
            .split_once(':')
            .ok_or_else(|| Error::Handoff("approver-for must be ACCOUNT:PERMISSION_NAME".into()))?;
        let a = ApproverFor {
            account: account.parse()?,
            permission: permission.to_string(),
        };
        a.validate()?;
        Ok(a)
    }

    /// Checks the permission name follows the label rule.
    pub fn validate(&self) -> Result<()> {
        match crate::text::label_problem("approver-for permission name", &self.permission) {
            Some(p) => Err(Error::Handoff(p)),
            None => Ok(()),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchExportJson {
    format: String,
    version: u32,
    network: Network,
    accounts: Vec<WatchAccount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approver_for: Option<ApproverFor>,
}

impl WatchExport {
    /// Serialises to the JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(WatchExportJson {
            format: WATCH_FORMAT.into(),
            version: HANDOFF_VERSION,
            network: self.network,
            accounts: self.accounts.clone(),
            approver_for: self.approver_for.clone(),
        })
        .expect("serialisable")
    }

    /// Parses the JSON text of an export, refusing duplicate keys ([`crate::strict_json`]).
    pub fn from_json_text(text: &str) -> Result<Self> {
        Self::from_json(&crate::strict_json::parse(text)?)
    }

    /// Parses the JSON form.
    pub fn from_json(v: &serde_json::Value) -> Result<Self> {
        check_format(v, WATCH_FORMAT)?;
        let j = WatchExportJson::deserialize(v)
            .map_err(|e| Error::Json(format!("watch-only export: {e}")))?;
        if j.accounts.is_empty() {
            return Err(Error::Handoff("watch-only export has no accounts".into()));
        }
        for a in &j.accounts {
            validate_id("watch-only account name", &a.name)?;
        }
        if let Some(a) = &j.approver_for {
            a.validate()?;
        }
        Ok(WatchExport {
            network: j.network,
            accounts: j.accounts,
            approver_for: j.approver_for,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::SigningKey;

    #[test]
    fn watch_export_approver_for_round_trips_and_stays_strict() {
        let account = Address::from_evm_bytes([9; 20]);
        let mut w = WatchExport {
            network: Network::Local,
            accounts: vec![WatchAccount {
                name: "approver-a".into(),
                address: Address::from_evm_bytes([1; 20]),
                path: None,
            }],
            approver_for: Some(ApproverFor::parse(&format!("{account}:payouts")).unwrap()),
        };
        let v = w.to_json();
        assert_eq!(v["approver_for"]["account"], account.to_base58());
        assert_eq!(v["approver_for"]["permission"], "payouts");
        assert_eq!(WatchExport::from_json(&v).unwrap(), w);
        let mut extra = v.clone();
        extra["approver_for"]["weight"] = 1.into();
        assert!(WatchExport::from_json(&extra).is_err());
        w.approver_for = None;
        assert!(w.to_json().get("approver_for").is_none());
        assert!(ApproverFor::parse("payouts").is_err());
        assert!(ApproverFor::parse(&format!("{account}: ")).is_err());
        assert!(ApproverFor::parse("Tnot-an-address:payouts").is_err());
    }

    #[test]
    fn pretty_response_bytes_equal_the_value_path() {
        let keys: Vec<SigningKey> = (1u8..=3)
            .map(|i| SigningKey::from_slice(&[i; 32]).unwrap())
            .collect();
        let transactions = (0u8..7)
            .map(|i| {
                let txid = TxId::from_bytes([i; 32]);
                ResponseTx {
                    payout_id: format!("p-{i}\"quoted\"\\"),
                    txid,
                    signatures: keys[..=usize::from(i % 3)]
                        .iter()
                        .map(|k| SignerSignature {
                            signer: Address::from_public_key(k.verifying_key()),
                            signature: Signature::sign_txid(k, &txid).unwrap(),
                        })
                        .collect(),
                }
            })
            .collect();
        let resp = SignResponse {
            request_id: "req-1".into(),
            signed_at: 1_700_000_000_123,
            transactions,
            audit_head: None,
            policy: None,
        };
        let want = serde_json::to_vec_pretty(&resp.to_json()).unwrap();
        assert_eq!(
            String::from_utf8(resp.to_json_pretty()).unwrap(),
            String::from_utf8(want).unwrap()
        );
        let back: serde_json::Value = serde_json::from_slice(&resp.to_json_pretty()).unwrap();
        assert_eq!(SignResponse::from_json(&back).unwrap(), resp);
        // With the audit head: the same bytes both ways, and it parses back.
        let mut resp = resp;
        resp.audit_head = Some(AuditHead {
            log: "ab".repeat(32),
            seq: 7,
            hash: "cd".repeat(32),
        });
        let pretty = resp.to_json_pretty();
        assert_eq!(pretty, serde_json::to_vec_pretty(&resp.to_json()).unwrap());
        let back: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
        assert_eq!(back["audit_head"]["seq"], 7);
        assert_eq!(SignResponse::from_json(&back).unwrap(), resp);
        // With the sealed policy: the same bytes both ways; a malformed digest is refused.
        let mut with_policy = resp.clone();
        with_policy.policy = Some(SignerPolicy {
            seq: 3,
            digest: "ef".repeat(32),
        });
        let pretty = with_policy.to_json_pretty();
        assert_eq!(
            pretty,
            serde_json::to_vec_pretty(&with_policy.to_json()).unwrap()
        );
        let mut v: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
        assert_eq!(SignResponse::from_json(&v).unwrap(), with_policy);
        v["policy"]["digest"] = "EF".repeat(32).into();
        assert!(SignResponse::from_json(&v).is_err());
        let mut bad = back.clone();
        bad["audit_head"]["hash"] = "xyz".into();
        assert!(SignResponse::from_json(&bad)
            .unwrap_err()
            .to_string()
            .contains("audit_head.hash must be 64 lower-case hex digits"));
    }
}
