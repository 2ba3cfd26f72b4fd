//! The one error type of coldpay-shared.
//!
//! Every variant names what is wrong precisely enough for an operator to act on it; the
//! protobuf variants carry the path of the offending field (`raw_data.contract.parameter…`).

use std::fmt;

/// Everything that can go wrong while parsing, decoding or verifying TRON data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A base58 address contains a character outside the base58 alphabet.
    #[error("address: invalid base58 character {ch:?} at position {position}")]
    AddressBase58Char {
        /// The offending character.
        ch: char,
        /// Its zero-based character index.
        position: usize,
    },
    /// The base58check checksum does not match the payload.
    #[error("address: base58check checksum mismatch")]
    AddressChecksum,
    /// The decoded address is not 21 bytes long.
    #[error("address: expected 21 bytes, got {0}")]
    AddressLength(usize),
    /// The address does not start with the TRON prefix byte 0x41.
    #[error("address: prefix byte must be 0x41, got 0x{0:02x}")]
    AddressPrefix(u8),
    /// A hex address is not 42 hex characters.
    #[error("address: hex form must be 42 hex characters starting with 41, got {0:?}")]
    AddressHex(String),
    /// The address string is empty.
    #[error("address: empty")]
    AddressEmpty,

    /// An amount string is empty.
    #[error("amount: empty")]
    AmountEmpty,
    /// An amount string contains a character that is not a digit or a single '.'.
    #[error("amount: invalid character {ch:?} at position {position} in {input:?}")]
    AmountChar {
        /// The offending character.
        ch: char,
        /// Its zero-based character index.
        position: usize,
        /// The whole input.
        input: String,
    },
    /// More fraction digits than the token has decimals.
    #[error("amount: {input:?} has more than {decimals} decimal places")]
    AmountPrecision {
        /// The whole input.
        input: String,
        /// The token's decimals.
        decimals: u8,
    },
    /// The amount does not fit the integer type.
    #[error("amount: {0:?} is too large")]
    AmountOverflow(String),
    /// The amount is malformed in a way not covered above (e.g. "1.", ".5", "1.2.3").
    #[error("amount: malformed {0:?}")]
    AmountMalformed(String),
    /// A TRX amount in sun is negative or above the int64 range.
    #[error("amount: {0} sun is outside 0..=9223372036854775807")]
    SunRange(i128),

    /// Protobuf decoding failed at `path`.
    #[error("{path}: {reason}")]
    Proto {
        /// Dotted path to the offending field, e.g. `raw_data: field 11 (contract)`.
        path: String,
        /// What is wrong there.
        reason: ProtoReason,
    },

    /// TRC-20 ABI data is malformed.
    #[error("abi: {0}")]
    Abi(String),

    /// A hex string is malformed.
    #[error("{field}: invalid hex: {reason}")]
    Hex {
        /// Which field held the hex.
        field: String,
        /// Why it is invalid.
        reason: String,
    },

    /// A signature is malformed or does not verify.
    #[error("signature: {0}")]
    Signature(String),

    /// A txID does not match the transaction bytes.
    #[error("txID mismatch: claimed {claimed}, sha256(raw_data) is {actual}")]
    TxIdMismatch {
        /// The txID the input claimed.
        claimed: String,
        /// The txID computed from the bytes.
        actual: String,
    },

    /// A JSON document (TronWeb object, sign request or response) is malformed.
    #[error("json: {0}")]
    Json(String),

    /// A `raw_data` JSON object disagrees with `raw_data_hex`.
    #[error("raw_data object disagrees with raw_data_hex: {0}")]
    RawDataMismatch(String),

    /// The transaction decodes but is not a payout coldpay understands.
    #[error("intent: {0}")]
    Intent(String),

    /// A handoff document is invalid.
    #[error("handoff: {0}")]
    Handoff(String),

    /// A time as an operator writes it that does not parse (`timefmt::TimeInput`).
    #[error("{input:?} {reason}")]
    Time {
        /// The text given (trimmed).
        input: String,
        /// Why it is refused.
        reason: TimeRefusal,
    },

    /// An account permission, permission update or approval is invalid.
    #[error("permission: {0}")]
    Permission(String),

    /// `source` happened at this place of a parsed document.
    #[error("line {line}, column {column}: {source}")]
    At {
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong there.
        source: Box<Error>,
    },
}

/// Why a protobuf field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtoReason {
    /// The input ended in the middle of a value.
    Truncated,
    /// A varint is longer than 10 bytes or overflows 64 bits.
    VarintOverflow,
    /// A varint has redundant trailing zero groups (not minimal).
    VarintNotMinimal,
    /// Field number 0 or a reserved wire type.
    InvalidKey(u64),
    /// A field number the message does not define.
    UnknownField(u64),
    /// A field TRON defines but coldpay refuses (unused by payouts).
    UnsupportedField(u64, &'static str),
    /// Wrong wire type for the field.
    WireType {
        /// Field number.
        field: u64,
        /// Wire type found.
        found: u8,
        /// Wire type expected.
        expected: u8,
    },
    /// A scalar or singular field appears twice.
    Repeated(u64),
    /// Fields out of ascending order (protobuf-java never emits that).
    OutOfOrder(u64),
    /// A field is present with its default value (canonical encoding omits it).
    DefaultValue(u64),
    /// A required field is missing.
    Missing(&'static str),
    /// A bytes field has the wrong length.
    Length {
        /// What the field holds.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Found length.
        found: usize,
    },
    /// A negative int64/int32 where only non-negative values make sense.
    Negative(&'static str),
    /// Bytes remain after the message.
    TrailingBytes(usize),
    /// More than one contract in raw_data.
    MultipleContracts,
    /// A contract type coldpay does not handle.
    UnknownContractType(u64),
    /// The Any type_url is not the canonical string for the contract type.
    TypeUrl(String),
    /// An address field is invalid.
    Address(String),
    /// Re-encoding the decoded value gives different bytes.
    NotCanonical,
    /// A length prefix exceeds the remaining input.
    LengthOverrun(u64),
    /// A field's value is invalid for the reason given.
    Invalid(String),
}

impl fmt::Display for ProtoReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoReason::Truncated => f.write_str("truncated input"),
            ProtoReason::VarintOverflow => {
                f.write_str("varint longer than 10 bytes or over 64 bits")
            }
            ProtoReason::VarintNotMinimal => f.write_str("non-minimal varint encoding"),
            ProtoReason::InvalidKey(k) => write!(f, "invalid field key {k}"),
            ProtoReason::UnknownField(n) => write!(f, "unknown field {n}"),
            ProtoReason::UnsupportedField(n, name) => {
                write!(f, "field {n} ({name}) is not allowed in a payout")
            }
            ProtoReason::WireType {
                field,
                found,
                expected,
            } => write!(f, "field {field}: wire type {found}, expected {expected}"),
            ProtoReason::Repeated(n) => write!(f, "field {n} appears more than once"),
            ProtoReason::OutOfOrder(n) => {
                write!(f, "field {n} out of ascending field order (non-canonical)")
            }
            ProtoReason::DefaultValue(n) => {
                write!(f, "field {n} carries its default value (non-canonical)")
            }
            ProtoReason::Missing(what) => write!(f, "missing {what}"),
            ProtoReason::Length {
                what,
                expected,
                found,
            } => write!(f, "{what} must be {expected} bytes, got {found}"),
            ProtoReason::Negative(what) => write!(f, "{what} is negative"),
            ProtoReason::TrailingBytes(n) => write!(f, "{n} trailing bytes after the message"),
            ProtoReason::MultipleContracts => f.write_str("more than one contract"),
            ProtoReason::UnknownContractType(t) => {
                match crate::contract_type::contract_type_name(*t) {
                    Some(name) => write!(f, "unknown contract type {t} ({name} is not supported)"),
                    None => write!(f, "unknown contract type {t}"),
                }
            }
            ProtoReason::TypeUrl(u) => write!(f, "type_url {u:?} is not the canonical one"),
            ProtoReason::Address(e) => write!(f, "{e}"),
            ProtoReason::NotCanonical => {
                f.write_str("re-encoding differs from the input (non-canonical)")
            }
            ProtoReason::LengthOverrun(n) => write!(f, "length {n} exceeds the remaining input"),
            ProtoReason::Invalid(why) => f.write_str(why),
        }
    }
}

/// Result alias for coldpay-shared.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// This error at `line`/`column` of a document, or shifted there if it already names a
    /// place inside a part of the document that starts at `line`/`column`.
    pub fn at(self, line: usize, column: usize) -> Error {
        match self {
            Error::At {
                line: l,
                column: c,
                source,
            } => Error::At {
                line: line + l - 1,
                column: if l == 1 { column + c - 1 } else { c },
                source,
            },
            e => Error::At {
                line,
                column,
                source: Box::new(e),
            },
        }
    }

    /// The message without anything copied from the input: the variants that quote what
    /// they refused (an address, an amount, a claimed txID) say where and why instead. The
    /// cold signer shows this form, as a wrong file may be a mnemonic backup.
    pub fn redacted(&self) -> String {
        match self {
            Error::AddressBase58Char { position, .. } => {
                format!("address: not a base58 character at position {position}")
            }
            Error::AddressHex(s) => format!(
                "address: hex form must be 42 hex characters starting with 41, got {} characters",
                s.chars().count()
            ),
            Error::AmountChar { position, .. } => {
                format!("amount: not a digit or '.' at position {position}")
            }
            Error::AmountPrecision { decimals, .. } => {
                format!("amount: more than {decimals} decimal places")
            }
            Error::AmountOverflow(_) => "amount: too large".into(),
            Error::AmountMalformed(_) => "amount: not a decimal number".into(),
            Error::TxIdMismatch { actual, .. } => {
                format!("txID mismatch: the txID given is not sha256(raw_data), which is {actual}")
            }
            Error::At {
                line,
                column,
                source,
            } => format!("line {line}, column {column}: {}", source.redacted()),
            e => e.to_string(),
        }
    }

    /// Builds a protobuf error at `path`.
    pub(crate) fn proto(path: impl Into<String>, reason: ProtoReason) -> Self {
        Error::Proto {
            path: path.into(),
            reason,
        }
    }
}

/// Why a time given by an operator is refused ([`Error::Time`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeRefusal {
    /// Shaped like `YYYY-MM-DD` but no day of the calendar.
    #[error("is not a calendar date ({0})")]
    NotADate(String),
    /// A time before 1970-01-01T00:00:00Z.
    #[error("is before 1970")]
    Before1970,
    /// Neither a date, a time nor a span.
    #[error("is neither a date, a UTC time nor a span back from now")]
    Unrecognised,
}
