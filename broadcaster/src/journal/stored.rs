//! Decoding the journal's stored text into typed values, once, for the monitoring side's rows
//! (alarms, transfers, cursors, snapshots, approvers, audit heads, fee history). A stored value
//! that does not decode is a journal error (exit 1) naming the table, the row and the column,
//! never "bad input": the operator did not type it.

use coldpay_shared::{Address, Network, TxId, U256};

use crate::error::{BcError, Result};

/// The journal error for a stored value that does not decode: `row` names the table and row
/// ("alarms row 7"), `column` the column, `why` what is wrong with it.
pub fn corrupt(row: &str, column: &str, why: &str) -> BcError {
    BcError::corrupt(format!("{row}, column {column}"), why)
}

/// A stored base58 (or hex) address.
pub fn address(row: &str, column: &str, s: &str) -> Result<Address> {
    Address::parse(s).map_err(|_| corrupt(row, column, "not a TRON address"))
}

/// A stored optional address.
pub fn address_opt(row: &str, column: &str, s: Option<&str>) -> Result<Option<Address>> {
    s.map(|s| address(row, column, s)).transpose()
}

/// A stored network name ("mainnet", "nile", "shasta", "local").
pub fn network(row: &str, column: &str, s: &str) -> Result<Network> {
    s.parse()
        .map_err(|_| corrupt(row, column, "not a network name"))
}

/// A stored token column: "TRX" (`None`) or the token contract's address.
pub fn token(row: &str, column: &str, s: &str) -> Result<Option<Address>> {
    match s {
        "TRX" => Ok(None),
        t => Address::parse(t)
            .map(Some)
            .map_err(|_| corrupt(row, column, "neither TRX nor a token contract address")),
    }
}

/// A stored SHA-256 digest or audit-line hash: 64 lower-case hex digits, as every writer
/// stores it (so it reads back to the very text it was written as).
pub fn hash32(row: &str, column: &str, s: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    let lower = !s.bytes().any(|b| b.is_ascii_uppercase());
    lower
        .then(|| hex::decode_to_slice(s, &mut out).ok())
        .flatten()
        .ok_or_else(|| corrupt(row, column, "not 64 lower-case hex digits"))?;
    Ok(out)
}

/// A stored transaction id (64 hex digits).
pub fn txid(row: &str, column: &str, s: &str) -> Result<TxId> {
    TxId::from_hex(s).map_err(|_| corrupt(row, column, "not a transaction id"))
}

/// A stored blockID (64 hex digits).
pub fn block_id(row: &str, column: &str, s: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| corrupt(row, column, "not a 32-byte blockID"))?;
    Ok(out)
}

/// A stored amount in base units (a decimal integer).
pub fn amount(row: &str, column: &str, s: &str) -> Result<U256> {
    super::rows::parse_amount(s).map_err(|e| corrupt(row, column, &e.to_string()))
}

/// A stored non-negative integer (block number, time in ms, sun).
pub fn unsigned(row: &str, column: &str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| corrupt(row, column, "negative"))
}

/// An integer as SQLite stores it (values past `i64::MAX` are stored as `i64::MAX`).
pub fn sql_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A fresh journal in a temporary directory, for the monitoring side's row tests.
#[cfg(test)]
pub(super) fn temp_journal() -> (tempfile::TempDir, super::Journal) {
    let d = tempfile::tempdir().unwrap();
    let j = super::Journal::open(
        &d.path().join("j.db"),
        coldpay_shared::Network::Local,
        crate::journal::lock::LockWait::Wait,
    )
    .unwrap();
    (d, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_journal_errors_naming_the_row() {
        let e = address("alarms row 7", "account", "nope").unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let text = e.to_string();
        assert!(text.contains("alarms row 7"), "{text}");
        assert!(text.contains("account"), "{text}");
        assert!(amount("r", "amount", "-5").is_err());
        assert!(amount("r", "amount", "").is_err());
        assert!(amount("r", "amount", "1.5").is_err());
        assert_eq!(amount("r", "amount", "15").unwrap(), U256::from(15u64));
        assert!(txid("r", "txid", "ab").is_err());
        assert_eq!(token("r", "token", "TRX").unwrap(), None);
        let usdt = Address::from_evm_bytes([7; 20]);
        assert_eq!(token("r", "token", &usdt.to_base58()).unwrap(), Some(usdt));
        assert!(token("r", "token", "USDT").is_err());
        assert_eq!(hash32("r", "hash", &"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert!(hash32("r", "hash", &"AB".repeat(32)).is_err());
        assert!(hash32("r", "hash", &"ab".repeat(31)).is_err());
        assert!(block_id("r", "block_id", &"zz".repeat(32)).is_err());
        assert_eq!(
            block_id("r", "block_id", &"01".repeat(32)).unwrap(),
            [1; 32]
        );
        assert!(unsigned("r", "block", -1).is_err());
        assert_eq!(network("r", "network", "nile").unwrap(), Network::Nile);
        let e = network("accounts row 3", "network", "Nile").unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("accounts row 3"), "{e}");
        assert_eq!(sql_int(u64::MAX), i64::MAX);
    }

    #[test]
    fn the_journal_network_is_decoded_from_its_meta_row() {
        let (_d, j) = temp_journal();
        assert_eq!(j.network().unwrap(), Network::Local);
        j.set_meta("network", "moon").unwrap();
        let e = j.network().unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("meta row network"), "{e}");
    }
}
