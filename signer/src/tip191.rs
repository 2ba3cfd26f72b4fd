//! TRON signed messages (TIP-191), as TronWeb's `signMessageV2` / `verifyMessageV2` make and
//! check them: keccak256 of `"\x19TRON Signed Message:\n"`, the message's length in bytes as
//! a decimal number, and the message bytes; a recoverable secp256k1 signature of that hash
//! written as 65 bytes `r ‖ s ‖ v` with v = 27 or 28 (hex, `0x`-prefixed by TronWeb).
//!
//! Admins approve policy updates with such signatures, so any TRON wallet that signs messages
//! can approve, and the signer checks them by recovering the address.

use coldpay_shared::Address;
use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, SigningKey, VerifyingKey};
use sha3::{Digest, Keccak256};

use crate::error::{Result, SignerError};

/// The prefix TIP-191 puts before the message's length.
const PREFIX: &[u8] = b"\x19TRON Signed Message:\n";

/// The hash a TIP-191 signature signs: keccak256(prefix ‖ decimal length ‖ message).
pub fn message_hash(message: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(PREFIX);
    h.update(message.len().to_string().as_bytes());
    h.update(message);
    h.finalize().into()
}

/// Signs `message` as `signMessageV2` does: 65 bytes r ‖ s ‖ v (v 27/28, low-S), as
/// `0x`-prefixed lower-case hex.
pub fn sign(key: &SigningKey, message: &[u8]) -> Result<String> {
    let (sig, recid) = key
        .sign_prehash_recoverable(&message_hash(message))
        .map_err(|e| SignerError::Other(format!("message signing failed: {e}")))?;
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&sig.to_bytes());
    out[64] = 27 + recid.to_byte();
    Ok(format!("0x{}", hex::encode(out)))
}

/// The address whose key made `signature` (hex, `0x` optional; v 27/28 or 0/1) over
/// `message`, as `verifyMessageV2` returns it.
pub fn recover(message: &[u8], signature: &str) -> Result<Address> {
    let body = signature.strip_prefix("0x").unwrap_or(signature);
    let bad = |why: &str| SignerError::Usage(format!("approval signature: {why}"));
    let bytes = hex::decode(body).map_err(|_| bad("not hex"))?;
    if bytes.len() != 65 {
        return Err(bad(&format!(
            "must be 65 bytes (r‖s‖v), got {}",
            bytes.len()
        )));
    }
    let v = match bytes[64] {
        v @ (0 | 1) => v,
        v @ (27 | 28) => v - 27,
        v => return Err(bad(&format!("recovery byte v must be 27 or 28, got {v}"))),
    };
    let sig = EcdsaSignature::from_slice(&bytes[..64])
        .map_err(|_| bad("r or s is zero or not below the curve order"))?;
    // High-S signatures are malleable twins; ethers (TronWeb) only makes low-S ones.
    let (sig, v) = match sig.normalize_s() {
        Some(low) => (low, v ^ 1),
        None => (sig, v),
    };
    let recid = RecoveryId::from_byte(v).ok_or_else(|| bad("invalid recovery id"))?;
    let key = VerifyingKey::recover_from_prehash(&message_hash(message), &sig, recid)
        .map_err(|_| bad("no public key recovers from it"))?;
    Ok(Address::from_public_key(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by TronWeb 6.5.1 (`tronWeb.trx.signMessageV2(MESSAGE, KEY)`), see
    /// tests/data/tip191_vector.json for the provenance.
    const VECTOR: &str = include_str!("../tests/data/tip191_vector.json");

    #[derive(serde::Deserialize)]
    struct Vector {
        private_key_hex: String,
        address: String,
        message: String,
        signature: String,
    }

    #[test]
    fn matches_tronweb_sign_message_v2_byte_for_byte() {
        let v: Vector = serde_json::from_str(VECTOR).unwrap();
        let key = SigningKey::from_slice(&hex::decode(&v.private_key_hex).unwrap()).unwrap();
        assert_eq!(sign(&key, v.message.as_bytes()).unwrap(), v.signature);
        assert_eq!(
            recover(v.message.as_bytes(), &v.signature)
                .unwrap()
                .to_base58(),
            v.address
        );
    }

    #[test]
    fn another_message_or_a_changed_byte_recovers_another_address() {
        let v: Vector = serde_json::from_str(VECTOR).unwrap();
        let other = recover(b"something else", &v.signature);
        assert!(other.map_or(true, |a| a.to_base58() != v.address));
        let mut flipped = v.signature.clone().into_bytes();
        flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
        let flipped = String::from_utf8(flipped).unwrap();
        let got = recover(v.message.as_bytes(), &flipped);
        assert!(got.map_or(true, |a| a.to_base58() != v.address));
        assert!(recover(b"m", "0x1234").is_err());
        let mut bad_v = v.signature.clone();
        bad_v.replace_range(bad_v.len() - 2.., "1d");
        assert!(recover(v.message.as_bytes(), &bad_v)
            .unwrap_err()
            .to_string()
            .contains("recovery byte"));
    }

    #[test]
    fn hash_counts_bytes_not_characters() {
        // "é" is 2 bytes: the length written is 2.
        let mut h = Keccak256::new();
        h.update(b"\x19TRON Signed Message:\n2");
        h.update("é".as_bytes());
        let want: [u8; 32] = h.finalize().into();
        assert_eq!(message_hash("é".as_bytes()), want);
    }
}
