//! The protobuf wire subset TRON transactions use, written by hand for byte-exact control.
//!
//! The writer emits what protobuf-java emits (ascending field numbers, defaults omitted,
//! minimal varints). The reader is strict: it refuses over-long or non-minimal varints,
//! truncation, bad keys and length overruns. Message-level rules (known fields, order,
//! defaults) live in the message decoders, which walk fields with [`FieldReader`].

use crate::error::{Error, ProtoReason, Result};

/// Wire type of a varint field.
pub const WT_VARINT: u8 = 0;
/// Wire type of a length-delimited field.
pub const WT_LEN: u8 = 2;

/// Appends a varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a field key.
pub fn put_key(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire_type));
}

/// Appends a varint field unless it is zero (the proto3 default).
pub fn put_uint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        put_key(out, field, WT_VARINT);
        put_varint(out, v);
    }
}

/// Appends a length-delimited field unless it is empty (the proto3 default).
pub fn put_bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    if !bytes.is_empty() {
        put_key(out, field, WT_LEN);
        put_varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
}

/// Appends an embedded message field; embedded messages are always written, even empty
/// (protobuf-java writes a set sub-message).
pub fn put_message_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(out, field, WT_LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// One decoded field: number, and either a varint or a byte slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A varint value.
    Varint(u64),
    /// A length-delimited value.
    Bytes(&'a [u8]),
}

/// A strict, forward-only field reader over one message's bytes.
pub struct FieldReader<'a> {
    buf: &'a [u8],
    pos: usize,
    path: &'a str,
}

impl<'a> FieldReader<'a> {
    /// Reads the message in `buf`; errors are reported at `path`.
    pub fn new(buf: &'a [u8], path: &'a str) -> Self {
        FieldReader { buf, pos: 0, path }
    }

    fn err(&self, reason: ProtoReason) -> Error {
        Error::proto(self.path, reason)
    }

    /// Reads a minimal varint of at most 10 bytes.
    fn varint(&mut self) -> Result<u64> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.err(ProtoReason::Truncated));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(self.err(ProtoReason::VarintOverflow));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err(self.err(ProtoReason::VarintNotMinimal));
                }
                return Ok(value);
            }
        }
        Err(self.err(ProtoReason::VarintOverflow))
    }

    /// The next field, or `None` at the end of the message.
    pub fn next_field(&mut self) -> Result<Option<(u64, FieldValue<'a>)>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        let wt = (key & 7) as u8;
        if field == 0 || field > u64::from(u32::MAX >> 3) {
            return Err(self.err(ProtoReason::InvalidKey(key)));
        }
        match wt {
            WT_VARINT => Ok(Some((field, FieldValue::Varint(self.varint()?)))),
            WT_LEN => {
                let len = self.varint()?;
                let remaining = (self.buf.len() - self.pos) as u64;
                if len > remaining {
                    return Err(self.err(ProtoReason::LengthOverrun(len)));
                }
                let start = self.pos;
                self.pos += len as usize;
                Ok(Some((field, FieldValue::Bytes(&self.buf[start..self.pos]))))
            }
            1 | 5 => Err(self.err(ProtoReason::WireType {
                field,
                found: wt,
                expected: expected_wire_type_hint(field),
            })),
            _ => Err(self.err(ProtoReason::InvalidKey(key))),
        }
    }
}

fn expected_wire_type_hint(_field: u64) -> u8 {
    WT_VARINT
}

/// Tracks field order inside one message: refuses repeats of singular fields and fields
/// out of ascending order, which protobuf-java never emits.
pub struct OrderGuard {
    last: u64,
}

impl OrderGuard {
    /// A guard for a fresh message.
    pub fn new() -> Self {
        OrderGuard { last: 0 }
    }

    /// Checks `field` may follow what came before. `repeatable` allows consecutive repeats.
    pub fn check(&mut self, path: &str, field: u64, repeatable: bool) -> Result<()> {
        if field == self.last && !repeatable {
            return Err(Error::proto(path, ProtoReason::Repeated(field)));
        }
        if field < self.last {
            return Err(Error::proto(path, ProtoReason::OutOfOrder(field)));
        }
        self.last = field;
        Ok(())
    }
}

impl Default for OrderGuard {
    fn default() -> Self {
        Self::new()
    }
}

/// Expects a varint; refuses the default value 0 (canonical encoding omits it).
pub fn expect_nonzero_varint(path: &str, field: u64, v: FieldValue<'_>) -> Result<u64> {
    match v {
        FieldValue::Varint(0) => Err(Error::proto(path, ProtoReason::DefaultValue(field))),
        FieldValue::Varint(x) => Ok(x),
        FieldValue::Bytes(_) => Err(Error::proto(
            path,
            ProtoReason::WireType {
                field,
                found: WT_LEN,
                expected: WT_VARINT,
            },
        )),
    }
}

/// Expects a positive int64 (a varint in `1..=i64::MAX`); negatives are refused.
pub fn expect_positive_i64(
    path: &str,
    field: u64,
    what: &'static str,
    v: FieldValue<'_>,
) -> Result<u64> {
    let x = expect_nonzero_varint(path, field, v)?;
    if x > i64::MAX as u64 {
        return Err(Error::proto(path, ProtoReason::Negative(what)));
    }
    Ok(x)
}

/// Expects a length-delimited value; refuses an empty one (canonical encoding omits it).
pub fn expect_nonempty_bytes<'a>(path: &str, field: u64, v: FieldValue<'a>) -> Result<&'a [u8]> {
    match v {
        FieldValue::Bytes([]) => Err(Error::proto(path, ProtoReason::DefaultValue(field))),
        FieldValue::Bytes(b) => Ok(b),
        FieldValue::Varint(_) => Err(Error::proto(
            path,
            ProtoReason::WireType {
                field,
                found: WT_VARINT,
                expected: WT_LEN,
            },
        )),
    }
}

/// Expects an embedded message (may be empty).
pub fn expect_message<'a>(path: &str, field: u64, v: FieldValue<'a>) -> Result<&'a [u8]> {
    match v {
        FieldValue::Bytes(b) => Ok(b),
        FieldValue::Varint(_) => Err(Error::proto(
            path,
            ProtoReason::WireType {
                field,
                found: WT_VARINT,
                expected: WT_LEN,
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_one(bytes: &[u8]) -> Result<Option<(u64, FieldValue<'_>)>> {
        FieldReader::new(bytes, "t").next_field()
    }

    #[test]
    fn varints_round_trip_and_are_strict() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_key(&mut out, 8, WT_VARINT);
            put_varint(&mut out, v);
            assert_eq!(read_one(&out).unwrap(), Some((8, FieldValue::Varint(v))));
        }
        // 0x80 0x00 is a non-minimal zero.
        assert!(matches!(
            read_one(&[0x40, 0x80, 0x00]),
            Err(Error::Proto {
                reason: ProtoReason::VarintNotMinimal,
                ..
            })
        ));
        // Eleven continuation bytes.
        assert!(matches!(
            read_one(&[0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            Err(Error::Proto {
                reason: ProtoReason::VarintOverflow,
                ..
            })
        ));
        assert!(matches!(
            read_one(&[0x40, 0xff]),
            Err(Error::Proto {
                reason: ProtoReason::Truncated,
                ..
            })
        ));
        assert!(matches!(
            read_one(&[0x0a, 0x05, 0x01]),
            Err(Error::Proto {
                reason: ProtoReason::LengthOverrun(5),
                ..
            })
        ));
        assert!(matches!(
            read_one(&[0x00]),
            Err(Error::Proto {
                reason: ProtoReason::InvalidKey(0),
                ..
            })
        ));
    }
}
