//! Bulk signing with libsecp256k1 (the `secp256k1` crate).
//!
//! A request can carry 10,000 transactions, and secp256k1 signing is most of the signer's
//! work. libsecp256k1 signs in about half the time k256 takes on the same machine, with the
//! same RFC 6979 nonces (it reduces the message modulo n first, as RFC 6979 §3.2 asks) and
//! the same low-S normalisation, so the signatures are byte-identical. k256 remains the
//! reference: keys are derived and checked with it, and the tests below compare the two.

use coldpay_shared::{Address, Signature, TxId};
use k256::ecdsa::SigningKey;
use secp256k1::ecdsa::RecoverableSignature;
use secp256k1::{Message, Secp256k1, SecretKey, SignOnly};
use zeroize::Zeroizing;

use crate::error::{Result, SignerError};

/// One account's key, ready to sign many txIDs. The secret is erased when it is dropped.
pub struct TxSigner {
    ctx: Secp256k1<SignOnly>,
    secret: SecretKey,
    address: Address,
}

impl TxSigner {
    /// Prepares `key` for signing. The context is blinded with fresh OS randomness
    /// (side-channel hardening; it does not change the deterministic signatures).
    pub fn new(key: &SigningKey) -> Result<Self> {
        let bytes = Zeroizing::new(<[u8; 32]>::from(key.to_bytes()));
        let secret = SecretKey::from_byte_array(&bytes)
            .map_err(|_| SignerError::Other("private key rejected by libsecp256k1".into()))?;
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut())
            .map_err(|e| SignerError::Other(format!("OS RNG failed: {e}")))?;
        let mut ctx = Secp256k1::signing_only();
        ctx.seeded_randomize(&seed);
        Ok(TxSigner {
            ctx,
            secret,
            address: Address::from_public_key(key.verifying_key()),
        })
    }

    /// The address this key signs for.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a txID: RFC 6979, low-S, v = recovery id (0/1) — the same bytes as
    /// [`Signature::sign_txid`].
    pub fn sign(&self, txid: &TxId) -> Signature {
        let msg = Message::from_digest(*txid.as_bytes());
        let sig: RecoverableSignature = self.ctx.sign_ecdsa_recoverable(&msg, &self.secret);
        let (recid, rs) = sig.serialize_compact();
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&rs);
        out[64] = u8::try_from(i32::from(recid)).expect("recovery id is 0..=3");
        // libsecp256k1 emits low-S and a 0/1 recovery id for secp256k1 keys; `from_bytes`
        // re-checks both rather than trusting it.
        Signature::from_bytes(&out).expect("libsecp256k1 signatures are canonical")
    }
}

impl Drop for TxSigner {
    fn drop(&mut self) {
        self.secret.non_secure_erase();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn both(key: [u8; 32], txid: [u8; 32]) {
        let Ok(k) = SigningKey::from_slice(&key) else {
            return; // zero or not below n: not a key
        };
        let txid = TxId::from_bytes(txid);
        let fast = TxSigner::new(&k).unwrap();
        let reference = Signature::sign_txid(&k, &txid).unwrap();
        assert_eq!(
            fast.sign(&txid),
            reference,
            "key {} txid {txid}",
            hex::encode(key)
        );
        assert_eq!(fast.sign(&txid).recover(&txid).unwrap(), fast.address());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn identical_to_k256(key in any::<[u8; 32]>(), txid in any::<[u8; 32]>()) {
            both(key, txid);
        }
    }

    #[test]
    fn identical_at_the_edges() {
        // n - 1, the largest key; 1, the smallest; a txID above n (reduced before the
        // RFC 6979 nonce derivation) and the zero txID.
        let n_minus_1 =
            hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140")
                .unwrap();
        let mut one = [0u8; 32];
        one[31] = 1;
        for key in [<[u8; 32]>::try_from(n_minus_1).unwrap(), one, [0x5a; 32]] {
            for txid in [[0xff; 32], [0u8; 32], [0x80; 32]] {
                both(key, txid);
            }
        }
    }

    #[test]
    fn signing_known_answer() {
        // The published signing vectors (copied from ../shared/vectors with their README).
        let kat: serde_json::Value =
            serde_json::from_str(include_str!("../../shared/tests/data/signing_kat.json")).unwrap();
        let cases = kat["vectors"].as_array().unwrap();
        let mut checked = 0;
        for v in cases {
            let (Some(pk), Some(txid), Some(sig)) = (
                v["private_key_hex"].as_str(),
                v["message_hash_txid"].as_str(),
                v["expected_signature"].as_str(),
            ) else {
                continue;
            };
            let k = SigningKey::from_slice(&hex::decode(pk).unwrap()).unwrap();
            let txid = TxId::from_hex(txid).unwrap();
            let want = Signature::from_hex(sig).unwrap();
            assert_eq!(TxSigner::new(&k).unwrap().sign(&txid), want);
            checked += 1;
        }
        assert!(checked > 0, "no signing vectors found");
    }
}
