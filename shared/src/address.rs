//! TRON addresses: 21 bytes, `0x41 ‖ keccak256(pubkey)[12..]`, shown as base58check.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use sha3::Keccak256;

use crate::error::{Error, Result};

/// The prefix byte of every TRON address (mainnet, Nile and Shasta alike).
pub const ADDRESS_PREFIX: u8 = 0x41;

/// A TRON account or contract address: exactly 21 bytes starting with 0x41.
///
/// The only ways to build one check that invariant, so every `Address` in the program is valid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address([u8; 21]);

impl Address {
    /// Builds an address from its 21-byte form, checking length and prefix.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 21] = bytes
            .try_into()
            .map_err(|_| Error::AddressLength(bytes.len()))?;
        if arr[0] != ADDRESS_PREFIX {
            return Err(Error::AddressPrefix(arr[0]));
        }
        Ok(Address(arr))
    }

    /// Builds an address from the 20 bytes an EVM word or event topic carries.
    pub fn from_evm_bytes(bytes: [u8; 20]) -> Self {
        let mut arr = [0u8; 21];
        arr[0] = ADDRESS_PREFIX;
        arr[1..].copy_from_slice(&bytes);
        Address(arr)
    }

    /// Derives the address of a secp256k1 public key.
    pub fn from_public_key(key: &k256::ecdsa::VerifyingKey) -> Self {
        let point = key.to_encoded_point(false);
        let hash = Keccak256::digest(&point.as_bytes()[1..]);
        let mut evm = [0u8; 20];
        evm.copy_from_slice(&hash[12..]);
        Self::from_evm_bytes(evm)
    }

    /// Parses base58check (`T…`) or hex (`41…`, 42 characters; a `0x` prefix is allowed).
    pub fn parse(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(Error::AddressEmpty);
        }
        let hex_body = s.strip_prefix("0x").unwrap_or(s);
        if hex_body.len() == 42 && hex_body.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Self::from_hex(hex_body);
        }
        Self::from_base58(s)
    }

    /// Parses the hex form: exactly 42 hex characters starting with `41`.
    pub fn from_hex(s: &str) -> Result<Self> {
        let body = s.strip_prefix("0x").unwrap_or(s);
        if body.len() != 42 {
            return Err(Error::AddressHex(s.to_string()));
        }
        let bytes = hex::decode(body).map_err(|_| Error::AddressHex(s.to_string()))?;
        Self::from_bytes(&bytes)
    }

    /// Parses the base58check form, with a distinct error for each kind of fault.
    pub fn from_base58(s: &str) -> Result<Self> {
        if let Some(a) = memo::decoded(s) {
            return Ok(a);
        }
        let a = Self::decode_base58(s)?;
        memo::remember(a, s);
        Ok(a)
    }

    fn decode_base58(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(Error::AddressEmpty);
        }
        const ALPHABET: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        if let Some((position, ch)) = s.chars().enumerate().find(|(_, c)| !ALPHABET.contains(*c)) {
            return Err(Error::AddressBase58Char { ch, position });
        }
        let raw = bs58::decode(s)
            .into_vec()
            .map_err(|_| Error::AddressBase58Char {
                ch: '?',
                position: 0,
            })?;
        if raw.len() != 25 {
            return Err(Error::AddressLength(raw.len().saturating_sub(4)));
        }
        let (payload, checksum) = raw.split_at(21);
        if checksum != &double_sha256(payload)[..4] {
            return Err(Error::AddressChecksum);
        }
        Self::from_bytes(payload)
    }

    /// The 21 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 21] {
        &self.0
    }

    /// The 20 bytes after the prefix (the EVM form used in ABI words and logs).
    pub fn evm_bytes(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out.copy_from_slice(&self.0[1..]);
        out
    }

    /// Lower-case hex of the 21 bytes (`41…`).
    pub fn to_hex(&self) -> String {
        crate::hexutil::encode(&self.0)
    }

    /// Base58check form (`T…`).
    pub fn to_base58(&self) -> String {
        if let Some(text) = memo::encoded(self) {
            return text;
        }
        let text = self.encode_base58();
        memo::remember(*self, &text);
        text
    }

    fn encode_base58(&self) -> String {
        let mut buf = Vec::with_capacity(25);
        buf.extend_from_slice(&self.0);
        buf.extend_from_slice(&double_sha256(&self.0)[..4]);
        bs58::encode(buf).into_string()
    }
}

/// The base58check forms of the last few addresses converted on this thread. A batch names the
/// same owner and token contract in every transaction (10,000 TronWeb objects: 40,000
/// conversions of two addresses), and each conversion costs two SHA-256 and a base conversion.
/// Only valid pairs are kept, keyed by the exact bytes or text, so results are unchanged.
mod memo {
    use std::cell::RefCell;

    use super::Address;

    const SLOTS: usize = 4;

    thread_local! {
        static PAIRS: RefCell<(usize, [Option<(Address, Box<str>)>; SLOTS])> =
            const { RefCell::new((0, [None, None, None, None])) };
    }

    /// The text of `a` if it was converted lately.
    pub(super) fn encoded(a: &Address) -> Option<String> {
        PAIRS.with_borrow(|(_, pairs)| {
            pairs
                .iter()
                .flatten()
                .find(|(k, _)| k == a)
                .map(|(_, t)| t.to_string())
        })
    }

    /// The address whose base58check text is exactly `s`, if it was converted lately.
    pub(super) fn decoded(s: &str) -> Option<Address> {
        PAIRS.with_borrow(|(_, pairs)| {
            pairs
                .iter()
                .flatten()
                .find(|(_, t)| &**t == s)
                .map(|(a, _)| *a)
        })
    }

    /// Keeps a valid (address, text) pair, replacing the oldest.
    pub(super) fn remember(a: Address, text: &str) {
        PAIRS.with_borrow_mut(|(next, pairs)| {
            if pairs.iter().flatten().any(|(k, _)| *k == a) {
                return;
            }
            pairs[*next] = Some((a, text.into()));
            *next = (*next + 1) % SLOTS;
        });
    }
}

fn double_sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base58())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_base58())
    }
}

impl FromStr for Address {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base58())
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Address::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
    const USDT_HEX: &str = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c";

    #[test]
    fn base58_and_hex_agree() {
        let a = Address::parse(USDT).unwrap();
        assert_eq!(a.to_hex(), USDT_HEX);
        assert_eq!(Address::parse(USDT_HEX).unwrap(), a);
        assert_eq!(a.to_string(), USDT);
    }

    #[test]
    fn remembered_conversions_give_what_computing_them_gives() {
        // More addresses than the memo keeps, converted both ways in turns, twice.
        let addrs: Vec<Address> = (1..=7u8)
            .map(|i| Address::from_evm_bytes([i; 20]))
            .collect();
        for _ in 0..2 {
            for a in &addrs {
                let text = a.encode_base58();
                assert_eq!(a.to_base58(), text);
                assert_eq!(Address::from_base58(&text), Ok(*a));
                assert_eq!(Address::decode_base58(&text), Ok(*a));
                assert_eq!(a.to_base58(), text);
            }
        }
        // A remembered address does not make a near miss of its text valid.
        let usdt = Address::from_base58(USDT).unwrap();
        assert_eq!(usdt.to_base58(), USDT);
        assert_eq!(
            Address::from_base58("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T"),
            Address::decode_base58("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T")
        );
        assert!(Address::from_base58("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T").is_err());
        assert!(Address::from_base58(&USDT[..33]).is_err());
    }

    #[test]
    fn each_fault_has_its_own_error() {
        assert_eq!(
            Address::parse("TR7NHqjeKQxGTCi8q8ZY4pL8ot5mjuP3Lh"),
            Err(Error::AddressChecksum)
        );
        assert!(matches!(
            Address::parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj60"),
            Err(Error::AddressBase58Char {
                ch: '0',
                position: 33
            })
        ));
        // 0xa0 prefix (legacy testnet) with a valid checksum.
        let mut raw = vec![0xa0];
        raw.extend_from_slice(&[7u8; 20]);
        let sum = double_sha256(&raw);
        raw.extend_from_slice(&sum[..4]);
        let s = bs58::encode(raw).into_string();
        assert_eq!(Address::parse(&s), Err(Error::AddressPrefix(0xa0)));
        // 20-byte payload with a valid checksum.
        let mut short = vec![0x41];
        short.extend_from_slice(&[7u8; 19]);
        let sum = double_sha256(&short);
        short.extend_from_slice(&sum[..4]);
        let s = bs58::encode(short).into_string();
        assert_eq!(Address::parse(&s), Err(Error::AddressLength(20)));
        assert_eq!(Address::parse(""), Err(Error::AddressEmpty));
        assert!(matches!(
            Address::from_hex("42a614f803b6fd780986a42c78ec9c7f77e6ded13c"),
            Err(Error::AddressPrefix(0x42))
        ));
    }
}
