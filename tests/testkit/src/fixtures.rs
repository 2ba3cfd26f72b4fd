//! Test addresses and keys (public test material; never fund them).

/// The known-answer private key (hex) the signer's tests import as `kat`.
pub const KAT_KEY: &str = "b5a4cea271ff424d7c31dc12a3e43e401df7a40d7412a15750f3f0b6b5449a28";
/// [`KAT_KEY`]'s address.
pub const KAT_ADDR: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";
/// The mainnet USDT contract.
pub const USDT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
/// The destination the test policy allows ("exchange hot wallet").
pub const ALLOWED: &str = "TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm";
/// The allow-list label of [`ALLOWED`] in the test policy.
pub const ALLOWED_LABEL: &str = "exchange hot wallet";
