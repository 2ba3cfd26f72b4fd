//! Encrypted keystore files: one JSON file per wallet.
//!
//! Key = PBKDF2-HMAC-SHA256(passphrase, salt, iterations) → 32 bytes; secret sealed with
//! AES-256-GCM under a random 96-bit nonce, with the canonical JSON of the header (everything
//! but the ciphertext) as associated data, so any edit of the header is detected. A short key
//! check value tells a wrong passphrase apart from a damaged file.

use std::fmt;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use coldpay_shared::Address;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::records_key::RecordsKey;

/// Keystore `format` value.
pub const KEYSTORE_FORMAT: &str = "coldpay/keystore";
/// Default PBKDF2 iteration count.
pub const DEFAULT_ITERATIONS: u32 = 1_000_000;
/// Lowest iteration count accepted when creating a keystore (OWASP's PBKDF2-HMAC-SHA256 floor).
pub const MIN_ITERATIONS: u32 = 600_000;
/// Highest iteration count accepted when reading (bounds the work a hostile file can cause).
pub const MAX_ITERATIONS: u32 = 100_000_000;

/// What a wallet holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WalletKind {
    /// A BIP-39 mnemonic (+ optional BIP-39 passphrase); accounts at m/44'/195'/0'/0/i.
    Mnemonic,
    /// One raw secp256k1 private key.
    PrivateKey,
}

/// One derived account listed in the header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// Account index (`i` in m/44'/195'/0'/0/i); 0 for a raw key.
    pub index: u32,
    /// Derivation path, or `None` for a raw key.
    pub path: Option<String>,
    /// Address.
    pub address: Address,
}

/// KDF parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Always "pbkdf2-hmac-sha256".
    pub name: String,
    /// Iteration count.
    pub iterations: u32,
    /// Salt, hex (16+ bytes).
    pub salt: String,
}

/// Cipher parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CipherParams {
    /// Always "aes-256-gcm".
    pub name: String,
    /// 96-bit nonce, hex.
    pub nonce: String,
}

/// Everything in the file except the ciphertext; bound as AEAD associated data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// "coldpay/keystore".
    pub format: String,
    /// 1.
    pub version: u32,
    /// Wallet name.
    pub name: String,
    /// What the secret is.
    pub kind: WalletKind,
    /// Accounts derived so far.
    pub accounts: Vec<AccountEntry>,
    /// KDF.
    pub kdf: KdfParams,
    /// Cipher.
    pub cipher: CipherParams,
    /// Key check value: first 8 bytes of sha256("coldpay-kcv" ‖ key), hex.
    pub check: String,
    /// The home's records key sealed under this wallet's key (absent in wallets made before
    /// records were authenticated, until their first unlock by `sign`). Being part of the
    /// header, it is bound into the secret's associated data: removing it breaks the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_key: Option<SealedRecordsKey>,
}

/// The records key (see `records_key`) sealed with AES-256-GCM under the wallet's
/// passphrase-derived key, with its own random nonce.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedRecordsKey {
    /// The key's public identifier (`RecordsKey::id`): wallets holding the same key say so.
    pub id: String,
    /// 96-bit nonce, hex.
    pub nonce: String,
    /// The sealed 32 bytes and tag, hex.
    pub sealed: String,
}

/// A wallet's passphrase-derived key, kept after unlocking only to seal or open the records
/// key without a second key derivation. Zeroized on drop.
pub struct WalletKey(Zeroizing<[u8; 32]>);

/// Associated data of a sealed records key: the wallet's name and the key's identifier.
fn records_aad(name: &str, id: &str) -> Vec<u8> {
    format!("coldpay/records-key\0{name}\0{id}").into_bytes()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    #[serde(flatten)]
    header: Header,
    ciphertext: String,
}

/// The decrypted secret of a wallet. Zeroized on drop; `Debug` shows nothing.
pub struct WalletSecret {
    /// Mnemonic words (for `Mnemonic`) — empty for raw keys.
    pub mnemonic: Zeroizing<String>,
    /// BIP-39 passphrase (may be empty).
    pub bip39_passphrase: Zeroizing<String>,
    /// Raw private key (for `PrivateKey`).
    pub private_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for WalletSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WalletSecret(<redacted>)")
    }
}

impl WalletSecret {
    fn serialize(&self, kind: WalletKind) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(256));
        match kind {
            WalletKind::Mnemonic => {
                out.push(1);
                for s in [self.mnemonic.as_bytes(), self.bip39_passphrase.as_bytes()] {
                    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
                    out.extend_from_slice(s);
                }
            }
            WalletKind::PrivateKey => {
                out.push(2);
                out.extend_from_slice(self.private_key.as_ref());
            }
        }
        out
    }

    fn deserialize(kind: WalletKind, bytes: &[u8]) -> Option<WalletSecret> {
        let mut s = WalletSecret {
            mnemonic: Zeroizing::new(String::new()),
            bip39_passphrase: Zeroizing::new(String::new()),
            private_key: Zeroizing::new([0u8; 32]),
        };
        match (kind, bytes.first()) {
            (WalletKind::Mnemonic, Some(1)) => {
                let mut rest = &bytes[1..];
                let mut fields = Vec::new();
                for _ in 0..2 {
                    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
                    let v = rest.get(4..4 + len)?;
                    fields.push(std::str::from_utf8(v).ok()?.to_string());
                    rest = &rest[4 + len..];
                }
                if !rest.is_empty() {
                    return None;
                }
                let mut pass = fields.pop()?;
                let mut words = fields.pop()?;
                s.mnemonic.push_str(&words);
                s.bip39_passphrase.push_str(&pass);
                words.zeroize();
                pass.zeroize();
            }
            (WalletKind::PrivateKey, Some(2)) if bytes.len() == 33 => {
                s.private_key.copy_from_slice(&bytes[1..]);
            }
            _ => return None,
        }
        Some(s)
    }
}

fn nonce_arr(n: &[u8]) -> [u8; 12] {
    n.try_into().expect("96-bit nonce validated")
}

fn derive_key(passphrase: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    crate::kdf::pbkdf2_sha256(passphrase, salt, iterations)
}

fn key_check(key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"coldpay-kcv");
    h.update(key);
    hex::encode(&h.finalize()[..8])
}

fn header_aad(h: &Header) -> Vec<u8> {
    serde_json::to_vec(h).expect("serialisable header")
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| SignerError::Other(format!("OS RNG failed: {e}")))?;
    Ok(b)
}

/// A keystore file on disk: its header (readable without the passphrase) and ciphertext.
#[derive(Clone, Debug)]
pub struct Keystore {
    /// Where it lives.
    pub path: PathBuf,
    /// Public header.
    pub header: Header,
    ciphertext: Vec<u8>,
}

impl Keystore {
    /// Seals `secret` into a new keystore value (not yet written).
    pub fn seal(
        path: PathBuf,
        name: &str,
        kind: WalletKind,
        accounts: Vec<AccountEntry>,
        secret: &WalletSecret,
        passphrase: &[u8],
        iterations: u32,
    ) -> Result<Keystore> {
        Self::seal_with_records(
            path, name, kind, accounts, secret, passphrase, iterations, None,
        )
    }

    /// Seals `secret`, and the home's records key when given, into a new keystore value.
    pub fn seal_with_records(
        path: PathBuf,
        name: &str,
        kind: WalletKind,
        accounts: Vec<AccountEntry>,
        secret: &WalletSecret,
        passphrase: &[u8],
        iterations: u32,
        records: Option<&RecordsKey>,
    ) -> Result<Keystore> {
        if iterations < MIN_ITERATIONS {
            return Err(SignerError::Usage(format!(
                "refusing to create a keystore with {iterations} PBKDF2 iterations (minimum {MIN_ITERATIONS})"
            )));
        }
        let salt: [u8; 16] = random()?;
        let key = WalletKey(derive_key(passphrase, &salt, iterations));
        let header = Header {
            format: KEYSTORE_FORMAT.into(),
            version: 1,
            name: name.into(),
            kind,
            accounts,
            kdf: KdfParams {
                name: "pbkdf2-hmac-sha256".into(),
                iterations,
                salt: hex::encode(salt),
            },
            cipher: CipherParams {
                name: "aes-256-gcm".into(),
                nonce: String::new(),
            },
            check: key_check(&key.0),
            records_key: None,
        };
        Self::encrypt(path, header, secret, &key, records)
    }

    /// Seals `secret` (and `records`) under `key` with fresh nonces into `header`.
    fn encrypt(
        path: PathBuf,
        mut header: Header,
        secret: &WalletSecret,
        key: &WalletKey,
        records: Option<&RecordsKey>,
    ) -> Result<Keystore> {
        let cipher = Aes256Gcm::new_from_slice(key.0.as_ref()).expect("32-byte key");
        let failed = |_| SignerError::Other("encryption failed".into());
        header.records_key = match records {
            Some(r) => {
                let nonce: [u8; 12] = random()?;
                let id = r.id();
                let sealed = cipher
                    .encrypt(
                        &Nonce::from(nonce),
                        Payload {
                            msg: r.bytes(),
                            aad: &records_aad(&header.name, &id),
                        },
                    )
                    .map_err(failed)?;
                Some(SealedRecordsKey {
                    id,
                    nonce: hex::encode(nonce),
                    sealed: hex::encode(sealed),
                })
            }
            None => None,
        };
        let nonce: [u8; 12] = random()?;
        header.cipher.nonce = hex::encode(nonce);
        let plain = secret.serialize(header.kind);
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &header_aad(&header),
                },
            )
            .map_err(failed)?;
        Ok(Keystore {
            path,
            header,
            ciphertext,
        })
    }

    /// This keystore with the records key added (or replaced), re-sealed under the same
    /// passphrase-derived key with fresh nonces; not yet written.
    pub fn with_records_key(
        &self,
        secret: &WalletSecret,
        key: &WalletKey,
        records: &RecordsKey,
    ) -> Result<Keystore> {
        Self::encrypt(
            self.path.clone(),
            self.header.clone(),
            secret,
            key,
            Some(records),
        )
    }

    /// Opens the sealed records key, if this wallet holds one.
    pub fn records_key(&self, key: &WalletKey) -> Result<Option<RecordsKey>> {
        let Some(r) = &self.header.records_key else {
            return Ok(None);
        };
        let corrupt = |reason: &str| SignerError::KeystoreCorrupt {
            path: self.path.clone(),
            reason: format!("records key: {reason}"),
        };
        let nonce = hex::decode(&r.nonce).map_err(|_| corrupt("nonce is not hex"))?;
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| corrupt("nonce is not 96 bits"))?;
        let sealed = hex::decode(&r.sealed).map_err(|_| corrupt("not hex"))?;
        let cipher = Aes256Gcm::new_from_slice(key.0.as_ref()).expect("32-byte key");
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    &Nonce::from(nonce),
                    Payload {
                        msg: &sealed,
                        aad: &records_aad(&self.header.name, &r.id),
                    },
                )
                .map_err(|_| corrupt("authentication failed (the file was modified)"))?,
        );
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| corrupt("not 32 bytes"))?;
        let k = RecordsKey::from_bytes(Zeroizing::new(bytes));
        if k.id() != r.id {
            return Err(corrupt("identifier does not match the key"));
        }
        Ok(Some(k))
    }

    /// Writes the keystore atomically with mode 0600.
    pub fn write(&self) -> Result<()> {
        write_atomic(&self.path, &self.to_bytes(), 0o600)
    }

    /// The file's bytes: pretty JSON of the header and the hex ciphertext, newline-terminated.
    pub fn to_bytes(&self) -> Vec<u8> {
        let json = FileJson {
            header: self.header.clone(),
            ciphertext: hex::encode(&self.ciphertext),
        };
        let mut bytes = serde_json::to_vec_pretty(&json).expect("serialisable");
        bytes.push(b'\n');
        bytes
    }

    /// Reads and structurally validates a keystore file (no passphrase needed).
    pub fn read(path: &Path) -> Result<Keystore> {
        let bytes = std::fs::read(path).map_err(|e| SignerError::io(path, e))?;
        Self::parse(path, &bytes)
    }

    /// Structurally validates a keystore file's bytes read from `path` (no passphrase needed,
    /// no key derivation).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Keystore> {
        let corrupt = |reason: String| SignerError::KeystoreCorrupt {
            path: path.to_path_buf(),
            reason,
        };
        let json: FileJson = serde_json::from_slice(bytes).map_err(|e| {
            corrupt(format!(
                "not a keystore: {}",
                crate::file_errors::json_reason(&e)
            ))
        })?;
        let h = &json.header;
        if h.format != KEYSTORE_FORMAT || h.version != 1 {
            return Err(corrupt(format!(
                "unsupported format (not {KEYSTORE_FORMAT} version 1)"
            )));
        }
        if h.kdf.name != "pbkdf2-hmac-sha256" || h.cipher.name != "aes-256-gcm" {
            return Err(corrupt("unsupported kdf or cipher".into()));
        }
        // The name is printed and matched by `--key`: the creation rule holds when loaded too.
        if check_name(&h.name).is_err() {
            return Err(corrupt(format!(
                "wallet name \"{}\" breaks the wallet name rule (1-64 of A-Z a-z 0-9 _ - ., not starting with '.')",
                coldpay_shared::text::escape(&h.name)
            )));
        }
        if !(1..=MAX_ITERATIONS).contains(&h.kdf.iterations) {
            return Err(corrupt(format!(
                "iteration count {} out of range",
                h.kdf.iterations
            )));
        }
        let salt = hex::decode(&h.kdf.salt).map_err(|_| corrupt("salt is not hex".into()))?;
        if salt.len() < 16 {
            return Err(corrupt("salt shorter than 16 bytes".into()));
        }
        let nonce = hex::decode(&h.cipher.nonce).map_err(|_| corrupt("nonce is not hex".into()))?;
        if nonce.len() != 12 {
            return Err(corrupt("nonce is not 96 bits".into()));
        }
        let ciphertext =
            hex::decode(&json.ciphertext).map_err(|_| corrupt("ciphertext is not hex".into()))?;
        Ok(Keystore {
            path: path.to_path_buf(),
            header: json.header,
            ciphertext,
        })
    }

    /// Decrypts the secret. A wrong passphrase and a damaged/tampered file are told apart.
    pub fn unlock(&self, passphrase: &[u8]) -> Result<WalletSecret> {
        self.unlock_keeping_key(passphrase).map(|(s, _)| s)
    }

    /// Decrypts the secret as [`Keystore::unlock`] does, and returns the passphrase-derived
    /// key too (to open or seal the records key).
    pub fn unlock_keeping_key(&self, passphrase: &[u8]) -> Result<(WalletSecret, WalletKey)> {
        let h = &self.header;
        let salt = hex::decode(&h.kdf.salt).expect("validated on read");
        let nonce = hex::decode(&h.cipher.nonce).expect("validated on read");
        let key = derive_key(passphrase, &salt, h.kdf.iterations);
        let check_ok: bool = key_check(&key).as_bytes().ct_eq(h.check.as_bytes()).into();
        let cipher = Aes256Gcm::new_from_slice(key.as_ref()).expect("32-byte key");
        let plain = cipher.decrypt(
            &Nonce::from(nonce_arr(&nonce)),
            Payload {
                msg: &self.ciphertext,
                aad: &header_aad(h),
            },
        );
        match (plain, check_ok) {
            (Ok(p), _) => {
                let p = Zeroizing::new(p);
                let secret = WalletSecret::deserialize(h.kind, &p).ok_or_else(|| {
                    SignerError::KeystoreCorrupt {
                        path: self.path.clone(),
                        reason: "decrypted secret is malformed".into(),
                    }
                })?;
                Ok((secret, WalletKey(key)))
            }
            (Err(_), false) => Err(SignerError::WrongPassphrase(h.name.clone())),
            (Err(_), true) => Err(SignerError::KeystoreCorrupt {
                path: self.path.clone(),
                reason: "authentication failed: the header or ciphertext was modified".into(),
            }),
        }
    }
}

/// Checks a wallet name: 1–64 of `[A-Za-z0-9_.-]`, not starting with '.'.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(SignerError::Usage(format!(
            "invalid wallet name {name:?}: use 1-64 letters, digits, '_', '-' or '.'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> WalletSecret {
        WalletSecret {
            mnemonic: Zeroizing::new(String::new()),
            bip39_passphrase: Zeroizing::new(String::new()),
            private_key: Zeroizing::new([7u8; 32]),
        }
    }

    fn entry() -> AccountEntry {
        AccountEntry {
            index: 0,
            path: None,
            address: Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap(),
        }
    }

    #[test]
    fn seal_unlock_and_distinct_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.json");
        let ks = Keystore::seal(
            p.clone(),
            "w",
            WalletKind::PrivateKey,
            vec![entry()],
            &secret(),
            b"correct horse",
            MIN_ITERATIONS,
        )
        .unwrap();
        ks.write().unwrap();
        let back = Keystore::read(&p).unwrap();
        assert_eq!(
            *back.unlock(b"correct horse").unwrap().private_key,
            [7u8; 32]
        );
        assert!(matches!(
            back.unlock(b"wrong"),
            Err(SignerError::WrongPassphrase(_))
        ));
        // Tamper with the header (the address list): authentication fails, passphrase is right.
        let text = std::fs::read_to_string(&p).unwrap();
        let edited = text.replace(
            "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH",
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        );
        std::fs::write(&p, edited).unwrap();
        let e = Keystore::read(&p)
            .unwrap()
            .unlock(b"correct horse")
            .unwrap_err();
        assert!(matches!(e, SignerError::KeystoreCorrupt { .. }), "{e}");
        assert!(!format!("{e:?}").contains("0707"), "no secret in errors");
    }

    #[test]
    fn refuses_weak_kdf() {
        let e = Keystore::seal(
            PathBuf::from("x"),
            "w",
            WalletKind::PrivateKey,
            vec![entry()],
            &secret(),
            b"p",
            599_999,
        )
        .unwrap_err();
        assert!(e.to_string().contains("minimum 600000"));
    }

    #[test]
    fn mnemonic_secret_round_trips() {
        let s = WalletSecret {
            mnemonic: Zeroizing::new("abandon about".into()),
            bip39_passphrase: Zeroizing::new("x".into()),
            private_key: Zeroizing::new([0u8; 32]),
        };
        let b = s.serialize(WalletKind::Mnemonic);
        let back = WalletSecret::deserialize(WalletKind::Mnemonic, &b).unwrap();
        assert_eq!(back.mnemonic.as_str(), "abandon about");
        assert_eq!(back.bip39_passphrase.as_str(), "x");
        assert!(WalletSecret::deserialize(WalletKind::PrivateKey, &b).is_none());
        assert_eq!(format!("{s:?}"), "WalletSecret(<redacted>)");
    }
}
