//! Hex encoding and decoding over `hex`'s slice functions: the `hex::encode`/`decode`
//! conveniences go through per-character iterators, which showed up in profiles of
//! 10,000-transaction requests.

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut out).expect("output is twice the input");
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Decodes hex (either case); the same errors as `hex::decode`.
pub fn decode(s: &str) -> Result<Vec<u8>, hex::FromHexError> {
    if !s.len().is_multiple_of(2) {
        return Err(hex::FromHexError::OddLength);
    }
    let mut out = vec![0u8; s.len() / 2];
    hex::decode_to_slice(s, &mut out)?;
    Ok(out)
}

/// Why hex was refused, in words that do not quote it (hex's own message names the bad
/// character).
pub fn describe(e: &hex::FromHexError) -> String {
    match e {
        hex::FromHexError::OddLength => "odd number of hex digits".into(),
        hex::FromHexError::InvalidHexCharacter { index, .. } => {
            format!("not a hex digit at position {index}")
        }
        hex::FromHexError::InvalidStringLength => "wrong number of hex digits".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_hex() {
        for s in ["", "00", "0aFf", "abc", "zz", "0g", "12345z", "ff00ee11"] {
            assert_eq!(decode(s), hex::decode(s), "{s}");
        }
        assert_eq!(
            describe(&decode("0lg1").unwrap_err()),
            "not a hex digit at position 1"
        );
        for b in [&[][..], &[0u8], &[0xde, 0xad, 0xbe, 0xef]] {
            assert_eq!(encode(b), hex::encode(b));
        }
    }
}
