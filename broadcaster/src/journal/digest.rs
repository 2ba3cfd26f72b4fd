//! [`Digest`]: a 32-byte hash the journal keeps (a sealed policy's SHA-256, a signer audit
//! line's hash, an audit log's id), shown as 64 lower-case hex digits in text and JSON.

use std::fmt;

use serde::{Serialize, Serializer};

/// A 32-byte hash, shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Digest {
        Digest(bytes)
    }

    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_as_lower_case_hex_in_text_and_json() {
        let d = Digest::from_bytes([0xab; 32]);
        assert_eq!(d.to_string(), "ab".repeat(32));
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            format!("\"{}\"", "ab".repeat(32))
        );
        assert_eq!(d.as_bytes(), &[0xab; 32]);
    }
}
