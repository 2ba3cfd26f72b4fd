//! `Transaction.raw` (what is hashed and signed), the txID, the signed `Transaction`, and the
//! typed payout intent a decoded transaction carries.
//!
//! Encoding is what protobuf-java emits; decoding is strict and accepts only byte strings
//! that are exactly that canonical encoding, because java-tron hashes its own re-encoding
//! (tron-facts §0.1): any other byte string would get a different txID on chain.

use crate::abi;
use crate::address::Address;
use crate::amount::{Sun, U256};
use crate::contract::{Contract, ContractKind, TransferContract, TriggerSmartContract};
use crate::error::{Error, ProtoReason, Result};
use crate::signature::Signature;
pub use crate::txid::TxId;
use crate::wire::{
    expect_message, expect_nonempty_bytes, expect_positive_i64, put_bytes_field, put_message_field,
    put_uint_field, FieldReader, OrderGuard,
};

/// TAPOS reference: the two fields raw_data carries about a recent block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefBlock {
    /// blockID bytes 6..8 (low 16 bits of the block number).
    pub bytes: [u8; 2],
    /// blockID bytes 8..16 (part of the block hash).
    pub hash: [u8; 8],
}

impl RefBlock {
    /// Derives the reference from a 32-byte blockID.
    pub fn from_block_id(id: &[u8; 32]) -> Self {
        let mut bytes = [0u8; 2];
        let mut hash = [0u8; 8];
        bytes.copy_from_slice(&id[6..8]);
        hash.copy_from_slice(&id[8..16]);
        RefBlock { bytes, hash }
    }
}

/// `Transaction.raw`: everything the txID covers.
///
/// Zero values mean "absent" exactly as on the wire: `timestamp == 0`, `fee_limit == 0` and
/// an empty `memo` are not encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawData {
    /// TAPOS reference block.
    pub ref_block: RefBlock,
    /// Expiration, ms since the epoch (must be > 0).
    pub expiration: u64,
    /// `raw.data`, the memo (empty = none).
    pub memo: Vec<u8>,
    /// The one contract.
    pub contract: Contract,
    /// Creation time, ms since the epoch (0 = absent).
    pub timestamp: u64,
    /// Energy fee cap in sun (0 = absent).
    pub fee_limit: u64,
}

/// What a payout transaction does, derived from its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// A TRX transfer.
    TrxTransfer {
        /// Sender.
        from: Address,
        /// Recipient.
        to: Address,
        /// Amount in sun.
        amount_sun: Sun,
    },
    /// A TRC-20 `transfer(to, value)`.
    Trc20Transfer {
        /// Sender (the caller).
        from: Address,
        /// Token contract.
        token: Address,
        /// Token recipient.
        to: Address,
        /// Amount in the token's base units (any uint256).
        value: U256,
    },
}

impl Intent {
    /// Sender.
    pub fn from(&self) -> Address {
        match self {
            Intent::TrxTransfer { from, .. } | Intent::Trc20Transfer { from, .. } => *from,
        }
    }

    /// Recipient of the value.
    pub fn to(&self) -> Address {
        match self {
            Intent::TrxTransfer { to, .. } | Intent::Trc20Transfer { to, .. } => *to,
        }
    }

    /// Token contract, or `None` for TRX.
    pub fn token(&self) -> Option<Address> {
        match self {
            Intent::TrxTransfer { .. } => None,
            Intent::Trc20Transfer { token, .. } => Some(*token),
        }
    }

    /// Amount in base units (sun for TRX).
    pub fn amount(&self) -> U256 {
        match self {
            Intent::TrxTransfer { amount_sun, .. } => U256::from(amount_sun.as_u64()),
            Intent::Trc20Transfer { value, .. } => *value,
        }
    }
}

const RAW_PATH: &str = "raw_data";

/// Largest raw_data coldpay decodes; TRON's own limit on a whole transaction is 500 KiB.
pub const MAX_RAW_BYTES: usize = 512 * 1024;

impl RawData {
    /// A TRX transfer with the given reference, expiration and timestamp.
    pub fn trx_transfer(
        from: Address,
        to: Address,
        amount: Sun,
        ref_block: RefBlock,
        expiration: u64,
        timestamp: u64,
    ) -> Self {
        RawData {
            ref_block,
            expiration,
            memo: Vec::new(),
            contract: Contract {
                kind: ContractKind::Transfer(TransferContract {
                    owner: from,
                    to,
                    amount,
                }),
                permission_id: 0,
            },
            timestamp,
            fee_limit: 0,
        }
    }

    /// A TRC-20 `transfer(to, value)` call on `token`.
    #[allow(clippy::too_many_arguments)]
    pub fn trc20_transfer(
        from: Address,
        token: Address,
        to: Address,
        value: U256,
        fee_limit: u64,
        ref_block: RefBlock,
        expiration: u64,
        timestamp: u64,
    ) -> Self {
        RawData {
            ref_block,
            expiration,
            memo: Vec::new(),
            contract: Contract {
                kind: ContractKind::TriggerSmart(TriggerSmartContract {
                    owner: from,
                    contract: token,
                    call_value: Sun::ZERO,
                    data: abi::encode_transfer(&to, value),
                }),
                permission_id: 0,
            },
            timestamp,
            fee_limit,
        }
    }

    /// The canonical encoding (what protobuf-java emits).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(320);
        put_bytes_field(&mut out, 1, &self.ref_block.bytes);
        put_bytes_field(&mut out, 4, &self.ref_block.hash);
        put_uint_field(&mut out, 8, self.expiration);
        put_bytes_field(&mut out, 10, &self.memo);
        let mut c = Vec::with_capacity(256);
        self.contract.encode_into(&mut c);
        put_message_field(&mut out, 11, &c);
        put_uint_field(&mut out, 14, self.timestamp);
        put_uint_field(&mut out, 18, self.fee_limit);
        out
    }

    /// The txID of this raw_data.
    pub fn txid(&self) -> TxId {
        TxId::of_raw(&self.encode())
    }

    /// Strictly decodes raw_data bytes; see the module docs for what is refused.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_RAW_BYTES {
            return Err(Error::proto(
                RAW_PATH,
                ProtoReason::Length {
                    what: "raw_data (max)",
                    expected: MAX_RAW_BYTES,
                    found: bytes.len(),
                },
            ));
        }
        let mut r = FieldReader::new(bytes, RAW_PATH);
        let mut order = OrderGuard::new();
        let mut ref_bytes = None;
        let mut ref_hash = None;
        let mut expiration = 0u64;
        let mut memo = Vec::new();
        let mut contract = None;
        let mut timestamp = 0u64;
        let mut fee_limit = 0u64;
        while let Some((field, v)) = r.next_field()? {
            if field == 11 && contract.is_some() {
                return Err(Error::proto(
                    "raw_data: field 11 (contract)",
                    ProtoReason::MultipleContracts,
                ));
            }
            order.check(RAW_PATH, field, false)?;
            match field {
                1 => {
                    let b = expect_nonempty_bytes(RAW_PATH, 1, v)?;
                    ref_bytes = Some(<[u8; 2]>::try_from(b).map_err(|_| {
                        Error::proto(
                            RAW_PATH,
                            ProtoReason::Length {
                                what: "ref_block_bytes",
                                expected: 2,
                                found: b.len(),
                            },
                        )
                    })?);
                }
                3 => {
                    return Err(Error::proto(
                        RAW_PATH,
                        ProtoReason::UnsupportedField(3, "ref_block_num"),
                    ))
                }
                4 => {
                    let b = expect_nonempty_bytes(RAW_PATH, 4, v)?;
                    ref_hash = Some(<[u8; 8]>::try_from(b).map_err(|_| {
                        Error::proto(
                            RAW_PATH,
                            ProtoReason::Length {
                                what: "ref_block_hash",
                                expected: 8,
                                found: b.len(),
                            },
                        )
                    })?);
                }
                8 => expiration = expect_positive_i64(RAW_PATH, 8, "expiration", v)?,
                9 => {
                    return Err(Error::proto(
                        RAW_PATH,
                        ProtoReason::UnsupportedField(9, "auths"),
                    ))
                }
                10 => memo = expect_nonempty_bytes(RAW_PATH, 10, v)?.to_vec(),
                11 => contract = Some(Contract::decode(expect_message(RAW_PATH, 11, v)?)?),
                12 => {
                    return Err(Error::proto(
                        RAW_PATH,
                        ProtoReason::UnsupportedField(12, "scripts"),
                    ))
                }
                14 => timestamp = expect_positive_i64(RAW_PATH, 14, "timestamp", v)?,
                18 => fee_limit = expect_positive_i64(RAW_PATH, 18, "fee_limit", v)?,
                n => return Err(Error::proto(RAW_PATH, ProtoReason::UnknownField(n))),
            }
        }
        let raw = RawData {
            ref_block: RefBlock {
                bytes: ref_bytes.ok_or_else(|| {
                    Error::proto(RAW_PATH, ProtoReason::Missing("ref_block_bytes"))
                })?,
                hash: ref_hash.ok_or_else(|| {
                    Error::proto(RAW_PATH, ProtoReason::Missing("ref_block_hash"))
                })?,
            },
            expiration: if expiration == 0 {
                return Err(Error::proto(RAW_PATH, ProtoReason::Missing("expiration")));
            } else {
                expiration
            },
            memo,
            contract: contract
                .ok_or_else(|| Error::proto(RAW_PATH, ProtoReason::Missing("contract")))?,
            timestamp,
            fee_limit,
        };
        if raw.encode() != bytes {
            return Err(Error::proto(RAW_PATH, ProtoReason::NotCanonical));
        }
        Ok(raw)
    }

    /// Decodes raw_data from hex.
    pub fn decode_hex(s: &str) -> Result<Self> {
        let bytes = decode_hex_field("raw_data_hex", s)?;
        Self::decode(&bytes)
    }

    /// The owner (sender) address.
    pub fn owner(&self) -> Address {
        self.contract.kind.owner()
    }

    /// The payout intent, refusing any smart-contract call that is not a strict TRC-20
    /// `transfer(address,uint256)`.
    pub fn intent(&self) -> Result<Intent> {
        match &self.contract.kind {
            ContractKind::Transfer(t) => Ok(Intent::TrxTransfer {
                from: t.owner,
                to: t.to,
                amount_sun: t.amount,
            }),
            ContractKind::TriggerSmart(t) => {
                let (to, value) = abi::decode_transfer(&t.data)
                    .map_err(|e| Error::Intent(format!("TriggerSmartContract data: {e}")))?;
                Ok(Intent::Trc20Transfer {
                    from: t.owner,
                    token: t.contract,
                    to,
                    value,
                })
            }
            ContractKind::AccountPermissionUpdate(_) => Err(Error::Intent(
                "an AccountPermissionUpdateContract changes who controls the account; it is not a payout".into(),
            )),
            ContractKind::Staking(s) => Err(Error::Intent(format!(
                "a {} stakes, unstakes or delegates TRX; it is not a payout",
                s.type_name()
            ))),
        }
    }

    /// The memo for display: UTF-8 text if valid, else `0x`-less hex; `None` if absent.
    pub fn memo_display(&self) -> Option<String> {
        if self.memo.is_empty() {
            None
        } else {
            Some(String::from_utf8(self.memo.clone()).unwrap_or_else(|_| hex::encode(&self.memo)))
        }
    }
}

pub use crate::text::memo_char_problem;

/// Decodes a hex field, naming the field in the error.
pub fn decode_hex_field(field: &str, s: &str) -> Result<Vec<u8>> {
    let body = s.strip_prefix("0x").unwrap_or(s);
    crate::hexutil::decode(body).map_err(|e| Error::Hex {
        field: field.to_string(),
        reason: crate::hexutil::describe(&e),
    })
}

/// A signed `Transaction`: raw_data plus one or more signatures (multi-signature accounts
/// sign the same txID under a Permission_id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTransaction {
    /// What is signed.
    pub raw: RawData,
    /// Signatures, in order.
    pub signatures: Vec<Signature>,
}

impl SignedTransaction {
    /// The canonical `Transaction` encoding: field 1 raw_data, field 2 each signature.
    pub fn encode(&self) -> Vec<u8> {
        let raw = self.raw.encode();
        let mut out = Vec::with_capacity(raw.len() + 70 * self.signatures.len() + 4);
        put_message_field(&mut out, 1, &raw);
        for s in &self.signatures {
            put_bytes_field(&mut out, 2, s.as_bytes());
        }
        out
    }

    /// Strictly decodes a signed `Transaction` (no `ret`, no unknown fields). Signatures are
    /// kept byte-exact: they must already be 65 bytes with v ∈ {0, 1, 27, 28}; a
    /// non-normalised signature (v = 27/28 or high-S) is refused here because re-encoding
    /// would change the bytes. Use [`SignedTransaction::decode_lenient_signatures`] to accept them.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let tx = Self::decode_lenient_signatures(bytes)?;
        if tx.encode() != bytes {
            return Err(Error::proto("transaction", ProtoReason::NotCanonical));
        }
        Ok(tx)
    }

    /// Like [`SignedTransaction::decode`], but normalises signatures (v = 27/28, high-S).
    pub fn decode_lenient_signatures(bytes: &[u8]) -> Result<Self> {
        const PATH: &str = "transaction";
        let mut r = FieldReader::new(bytes, PATH);
        let mut order = OrderGuard::new();
        let mut raw = None;
        let mut signatures = Vec::new();
        while let Some((field, v)) = r.next_field()? {
            order.check(PATH, field, field == 2)?;
            match field {
                1 => raw = Some(RawData::decode(expect_message(PATH, 1, v)?)?),
                2 => signatures.push(Signature::from_bytes(expect_nonempty_bytes(PATH, 2, v)?)?),
                5 => return Err(Error::proto(PATH, ProtoReason::UnsupportedField(5, "ret"))),
                n => return Err(Error::proto(PATH, ProtoReason::UnknownField(n))),
            }
        }
        Ok(SignedTransaction {
            raw: raw.ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("raw_data")))?,
            signatures,
        })
    }

    /// The txID.
    pub fn txid(&self) -> TxId {
        self.raw.txid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RawData {
        let from = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        let usdt = Address::parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
        let to = Address::parse("TTS7Y53sS4rzrDCtZaiuRzqxd16atCe2UR").unwrap();
        RawData::trc20_transfer(
            from,
            usdt,
            to,
            U256::from(1_000_000u64),
            30_000_000,
            RefBlock {
                bytes: [0x12, 0x34],
                hash: [1, 2, 3, 4, 5, 6, 7, 8],
            },
            1_700_000_000_000,
            1_699_999_000_000,
        )
    }

    #[test]
    fn encode_decode_round_trip() {
        let raw = sample();
        let bytes = raw.encode();
        assert_eq!(RawData::decode(&bytes).unwrap(), raw);
        let intent = raw.intent().unwrap();
        assert_eq!(intent.amount(), U256::from(1_000_000u64));
    }

    #[test]
    fn refuses_trailing_bytes_and_second_contract() {
        let raw = sample();
        let mut bytes = raw.encode();
        bytes.push(0);
        assert!(RawData::decode(&bytes).is_err());
        // Append a second contract field (11) after timestamp/fee_limit: refused.
        let mut two = Vec::new();
        put_bytes_field(&mut two, 1, &raw.ref_block.bytes);
        put_bytes_field(&mut two, 4, &raw.ref_block.hash);
        put_uint_field(&mut two, 8, raw.expiration);
        let mut c = Vec::new();
        raw.contract.encode_into(&mut c);
        put_message_field(&mut two, 11, &c);
        put_message_field(&mut two, 11, &c);
        let err = RawData::decode(&two).unwrap_err();
        assert_eq!(
            err.to_string(),
            "raw_data: field 11 (contract): more than one contract"
        );
    }
}
