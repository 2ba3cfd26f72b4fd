//! The home's records key: 32 random bytes, made once per home and kept only inside the
//! wallets' keystores (sealed under each wallet's passphrase-derived key, see `keystore`).
//! Every ledger line and every audit line that states the ledger's head carries an
//! HMAC-SHA256 under it, so only someone who can unlock a wallet can write records the signer
//! believes: a file-access attacker can still delete or cut files (which is found), but cannot
//! make a line that authenticates.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Result, SignerError};

type HmacSha256 = Hmac<Sha256>;

/// Domain prefix of an audit line's MAC.
const AUDIT_DOMAIN: &[u8] = b"coldpay/records/audit-line\0";
/// Domain prefix of a ledger line's MAC.
const LEDGER_DOMAIN: &[u8] = b"coldpay/records/ledger-line\0";
/// Input of the key's public identifier.
const ID_DOMAIN: &[u8] = b"coldpay/records/key-id";

/// The records key. Zeroized on drop; `Debug` shows only its public identifier.
#[derive(Clone)]
pub struct RecordsKey {
    key: Zeroizing<[u8; 32]>,
    /// HMAC state keyed once (the padded key blocks), cloned per line.
    keyed: HmacSha256,
}

impl fmt::Debug for RecordsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordsKey(id {})", self.id())
    }
}

impl RecordsKey {
    /// A fresh key from the OS random source.
    pub fn generate() -> Result<RecordsKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(key.as_mut())
            .map_err(|e| SignerError::Other(format!("OS RNG failed: {e}")))?;
        Ok(RecordsKey::from_bytes(key))
    }

    /// The key from its 32 bytes (as unsealed from a keystore).
    pub fn from_bytes(key: Zeroizing<[u8; 32]>) -> RecordsKey {
        let keyed = HmacSha256::new_from_slice(key.as_ref()).expect("HMAC takes any key length");
        RecordsKey { key, keyed }
    }

    /// A fixed key of 32 copies of `byte`, for tests, the bench and fuzzing.
    #[doc(hidden)]
    pub fn fixed(byte: u8) -> RecordsKey {
        RecordsKey::from_bytes(Zeroizing::new([byte; 32]))
    }

    /// The key's bytes, for sealing into a keystore.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    fn mac(&self, domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut m = self.keyed.clone();
        m.update(domain);
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    /// A public identifier of the key (16 hex digits): tells whether two wallets hold the same
    /// records key without revealing it.
    pub fn id(&self) -> String {
        hex::encode(&self.mac(ID_DOMAIN, &[])[..8])
    }

    /// The MAC of an audit line: over its hash (which covers its content, sequence number and
    /// the hash of the line before) and the ledger head it states (`ledger_hash`, the hash of
    /// the ledger's last line, and `ledger_lines`, its line count).
    pub fn audit_mac(&self, line_hash: &str, ledger_hash: &str, ledger_lines: u64) -> String {
        hex::encode(self.mac(
            AUDIT_DOMAIN,
            &[
                line_hash.as_bytes(),
                ledger_hash.as_bytes(),
                &ledger_lines.to_be_bytes(),
            ],
        ))
    }

    /// The MAC of a ledger line: over its hash (of its bytes without the MAC field, which
    /// hold `prev`, the hash of the line before).
    pub fn ledger_mac(&self, line_hash: &str) -> String {
        hex::encode(self.mac(LEDGER_DOMAIN, &[line_hash.as_bytes()]))
    }

    /// Whether `mac` (hex) is the audit MAC of this line hash and head (constant time).
    pub fn audit_mac_ok(
        &self,
        line_hash: &str,
        ledger_hash: &str,
        ledger_lines: u64,
        mac: &str,
    ) -> bool {
        ct_eq(&self.audit_mac(line_hash, ledger_hash, ledger_lines), mac)
    }

    /// Whether `mac` (hex) is the ledger MAC of this line hash (constant time).
    pub fn ledger_mac_ok(&self, line_hash: &str, mac: &str) -> bool {
        ct_eq(&self.ledger_mac(line_hash), mac)
    }
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerHead;

    #[test]
    fn macs_depend_on_the_key_the_domain_and_every_part() {
        let k = RecordsKey::from_bytes(Zeroizing::new([1u8; 32]));
        let other = RecordsKey::from_bytes(Zeroizing::new([2u8; 32]));
        let head = LedgerHead::empty();
        let m = k.audit_mac("ab", &head.hash, head.lines);
        assert_eq!(m.len(), 64);
        assert!(k.audit_mac_ok("ab", &head.hash, head.lines, &m));
        assert!(!other.audit_mac_ok("ab", &head.hash, head.lines, &m));
        assert!(!k.audit_mac_ok("ac", &head.hash, head.lines, &m));
        let longer = LedgerHead {
            lines: 1,
            ..head.clone()
        };
        assert!(!k.audit_mac_ok("ab", &longer.hash, longer.lines, &m));
        assert!(!k.audit_mac_ok("ab", &head.hash, head.lines, &m[..63]));
        // The same bytes as a ledger line make another MAC (domain separation).
        assert_ne!(k.ledger_mac("ab"), m);
        assert!(k.ledger_mac_ok("ab", &k.ledger_mac("ab")));
        assert_ne!(k.id(), other.id());
        assert!(!format!("{k:?}").contains("0101"));
        assert_ne!(
            RecordsKey::generate().unwrap().id(),
            RecordsKey::generate().unwrap().id()
        );
    }
}
