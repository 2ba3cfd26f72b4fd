//! coldpay-shared: the TRON encoding both coldpay binaries use, so the online broadcaster and
//! the offline signer agree on every byte.
//!
//! - [`address`]: 21-byte addresses, base58check and hex.
//! - [`amount`]: sun and uint256 token amounts, exact decimal parsing.
//! - [`wire`], [`contract`], [`transaction`]: canonical protobuf `raw_data`, strict decoding,
//!   txID, signed transactions and the typed payout [`transaction::Intent`].
//! - [`abi`]: TRC-20 `transfer` / `balanceOf`.
//! - [`block`]: verifying block listings (blockID, txIDs, txTrieRoot).
//! - [`signature`]: RFC 6979 low-S recoverable signatures, v as 0/1.
//! - [`tronweb`]: the TronWeb/TronGrid JSON transaction object.
//! - [`staking`]: the six Stake 2.0 contracts (freeze, unfreeze, withdraw, delegate …).
//! - [`permission`]: account permissions, AccountPermissionUpdate, multi-signature approval.
//! - [`handoff`]: sign request / sign response.
//! - [`burn`]: the one definition of a request's expected and worst-case burn.
//! - [`audit_export`]: the signer's audit export, chain-checked.
//! - [`input`], [`view`]: reading user input and the inspect view.
//! - [`strict_json`]: JSON parsing that refuses duplicate keys.
//! - [`json_error`]: parse errors by position and kind, never quoting the document.
//! - [`text`]: id, label and memo character rules and the one escaping display.
//! - [`timefmt`]: the one time formatting and parsing (RFC 3339, dates, spans back from now).
//!
//! The default build is pure: it reads no clock, environment, stdin or file; the time is
//! passed in as a value. Feature `io` adds the binaries' edges: the one wall clock
//! (`timefmt::now_ms`) and the one atomic file writer (`atomic_file`); feature `qr` (which
//! implies `io`) adds QR codes with their image files, stdin scanner input and terminal view.

pub mod abi;
pub mod address;
pub mod amount;
#[cfg(feature = "io")]
pub mod atomic_file;
pub mod audit_export;
pub mod block;
pub mod burn;
pub mod cbor;
pub mod compact;
pub mod contract;
pub mod contract_type;
pub mod error;
pub mod handoff;
pub mod hexutil;
pub mod input;
pub mod json_error;
pub mod permission;
#[cfg(feature = "qr")]
pub mod qr;
#[cfg(feature = "cli")]
pub mod qr_cli;
pub mod signature;
pub mod staking;
pub mod strict_json;
pub mod text;
pub mod timefmt;
pub mod transaction;
pub mod tronweb;
pub mod txid;
pub mod ur_messages;
pub mod urframe;
pub mod view;
pub mod wire;

pub use address::Address;
pub use amount::{Sun, U256};
pub use error::{Error, ProtoReason, Result, TimeRefusal};
pub use handoff::{AuditHead, Network, SignRequest, SignResponse};
pub use signature::Signature;
pub use transaction::{Intent, RawData, RefBlock, SignedTransaction, TxId};

/// Mainnet USDT (TRC-20, 6 decimals): `TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t`.
pub const MAINNET_USDT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
