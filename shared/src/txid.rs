//! The txID: sha256 of a transaction's raw_data bytes, shown as 64 lower-case hex characters.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The txID: sha256 of the raw_data bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxId([u8; 32]);

impl TxId {
    /// Wraps 32 bytes.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        TxId(b)
    }

    /// sha256 of `raw_bytes`.
    pub fn of_raw(raw_bytes: &[u8]) -> Self {
        TxId(Sha256::digest(raw_bytes).into())
    }

    /// Parses 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self> {
        let bytes = crate::hexutil::decode(s).map_err(|e| Error::Hex {
            field: "txID".into(),
            reason: e.to_string(),
        })?;
        let arr: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| Error::Hex {
            field: "txID".into(),
            reason: format!("must be 32 bytes, got {}", b.len()),
        })?;
        Ok(TxId(arr))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        crate::hexutil::encode(&self.0)
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxId({})", self.to_hex())
    }
}

impl serde::Serialize for TxId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for TxId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TxId::from_hex(&s).map_err(serde::de::Error::custom)
    }
}
