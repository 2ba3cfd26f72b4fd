//! 65-byte recoverable secp256k1 signatures over a txID: `r ‖ s ‖ v`.
//!
//! coldpay emits what java-tron and tronpy emit: RFC 6979 deterministic nonces, low-S, and
//! v as the recovery id 0/1. On input it also accepts TronWeb's v = 27/28 and high-S
//! signatures (java-tron accepts both), normalising them.

use std::fmt;

use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, SigningKey, VerifyingKey};
use k256::elliptic_curve::ops::Reduce;

use crate::address::Address;
use crate::error::{Error, Result};
use crate::txid::TxId;

/// A 65-byte recoverable signature in coldpay's canonical form (low-S, v ∈ {0, 1}).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 65]);

impl Signature {
    /// Parses 65 bytes, accepting v ∈ {0, 1, 27, 28} and high-S, and normalising to
    /// low-S with v ∈ {0, 1}.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 65 {
            return Err(Error::Signature(format!(
                "must be 65 bytes (r‖s‖v), got {}",
                bytes.len()
            )));
        }
        let v = match bytes[64] {
            v @ (0 | 1) => v,
            v @ (27 | 28) => v - 27,
            v => {
                return Err(Error::Signature(format!(
                    "recovery byte v must be 0, 1, 27 or 28, got {v}"
                )))
            }
        };
        let sig = EcdsaSignature::from_slice(&bytes[..64])
            .map_err(|_| Error::Signature("r or s is zero or not below the curve order".into()))?;
        let (sig, v) = match sig.normalize_s() {
            Some(low) => (low, v ^ 1),
            None => (sig, v),
        };
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&sig.to_bytes());
        out[64] = v;
        Ok(Signature(out))
    }

    /// Parses hex (with or without `0x`).
    pub fn from_hex(s: &str) -> Result<Self> {
        let body = s.strip_prefix("0x").unwrap_or(s);
        let bytes = crate::hexutil::decode(body).map_err(|e| Error::Hex {
            field: "signature".into(),
            reason: crate::hexutil::describe(&e),
        })?;
        Self::from_bytes(&bytes)
    }

    /// Signs a txID: RFC 6979, low-S, v = recovery id.
    ///
    /// The txID is reduced modulo the curve order n before signing. The signature equation
    /// reduces it anyway, but RFC 6979 §3.2 also derives the nonce from the reduced value
    /// (bits2octets), and k256 alone would feed the unreduced bytes to it: for the rare txID
    /// ≥ n that gave a valid signature different from libsecp256k1's, BouncyCastle's
    /// (java-tron) and python-ecdsa's.
    pub fn sign_txid(key: &SigningKey, txid: &TxId) -> Result<Self> {
        let z = <k256::Scalar as Reduce<k256::U256>>::reduce_bytes(txid.as_bytes().into());
        let (sig, recid) = key
            .sign_prehash_recoverable(&z.to_bytes())
            .map_err(|e| Error::Signature(format!("signing failed: {e}")))?;
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&sig.to_bytes());
        out[64] = recid.to_byte();
        Ok(Signature(out))
    }

    /// Recovers the address that produced this signature over `txid`.
    pub fn recover(&self, txid: &TxId) -> Result<Address> {
        let sig = EcdsaSignature::from_slice(&self.0[..64])
            .map_err(|_| Error::Signature("invalid r or s".into()))?;
        let recid = RecoveryId::from_byte(self.0[64])
            .ok_or_else(|| Error::Signature("invalid recovery id".into()))?;
        let key = VerifyingKey::recover_from_prehash(txid.as_bytes(), &sig, recid)
            .map_err(|_| Error::Signature("public key recovery failed".into()))?;
        Ok(Address::from_public_key(&key))
    }

    /// Checks the signature recovers to `expected`.
    pub fn verify(&self, txid: &TxId, expected: &Address) -> Result<()> {
        let got = self.recover(txid)?;
        if &got == expected {
            Ok(())
        } else {
            Err(Error::Signature(format!(
                "signed by {got}, expected {expected}"
            )))
        }
    }

    /// The 65 bytes.
    pub fn as_bytes(&self) -> &[u8; 65] {
        &self.0
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        crate::hexutil::encode(&self.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

impl serde::Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Signature::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txid_above_the_order_uses_the_reduced_nonce_input() {
        // Expected r and s from python-ecdsa 0.19 `sign_digest_deterministic` (RFC 6979 with
        // bits2octets), which libsecp256k1 matches; k256 without the reduction gave another
        // (valid) signature.
        let key = SigningKey::from_slice(
            &hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140")
                .unwrap(),
        )
        .unwrap();
        let txid = TxId::from_bytes([0xff; 32]);
        let sig = Signature::sign_txid(&key, &txid).unwrap();
        assert_eq!(
            hex::encode(&sig.as_bytes()[..64]),
            "a7f83b5963eaf5332c633327cc967be8f4166d3f1e0b77f9761d8f4e42211e9a\
             58aae31be1eb1e496923bbe8ca5e843cfb89f4d986d61d4edfd7d6fc3c9cf62c"
        );
        assert_eq!(
            sig.recover(&txid).unwrap(),
            Address::from_public_key(key.verifying_key())
        );
        let key = SigningKey::from_slice(&[0x5a; 32]).unwrap();
        let sig = Signature::sign_txid(&key, &txid).unwrap();
        assert_eq!(
            hex::encode(&sig.as_bytes()[..64]),
            "fefdcd70b5084a560ca5d03bf744af5bd619118adb8476c2354ecc0b16d84215\
             01fe923e4585d86d9c710d0e45dbedd9600cb5a46387c7fe299326e0974871af"
        );
    }

    #[test]
    fn high_s_and_v27_normalise_to_the_same_signer() {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let addr = Address::from_public_key(key.verifying_key());
        let txid = TxId::from_bytes([9u8; 32]);
        let sig = Signature::sign_txid(&key, &txid).unwrap();
        assert!(sig.as_bytes()[64] <= 1);
        assert_eq!(sig.recover(&txid).unwrap(), addr);
        // TronWeb form: v + 27.
        let mut tw = *sig.as_bytes();
        tw[64] += 27;
        assert_eq!(Signature::from_bytes(&tw).unwrap(), sig);
        // High-S form: s' = n - s, v flipped.
        let ecdsa = EcdsaSignature::from_slice(&sig.as_bytes()[..64]).unwrap();
        let (r, s) = ecdsa.split_scalars();
        let high = EcdsaSignature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
        let mut hb = [0u8; 65];
        hb[..64].copy_from_slice(&high.to_bytes());
        hb[64] = sig.as_bytes()[64] ^ 1;
        assert_eq!(Signature::from_bytes(&hb).unwrap(), sig);
        assert!(Signature::from_bytes(&[0u8; 64]).is_err());
        let mut bad_v = *sig.as_bytes();
        bad_v[64] = 2;
        assert!(Signature::from_bytes(&bad_v).is_err());
    }
}
