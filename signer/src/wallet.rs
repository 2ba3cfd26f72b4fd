//! Key derivation: BIP-39 mnemonics at BIP-44 m/44'/195'/0'/0/i, and raw keys.

use bip32::{DerivationPath, XPrv};
use bip39::{Language, Mnemonic};
use coldpay_shared::Address;
use k256::ecdsa::SigningKey;
use zeroize::Zeroizing;

use crate::error::{Result, SignerError};
use crate::keystore::{AccountEntry, WalletKind, WalletSecret};

/// The BIP-44 path of TRON account `index`.
pub fn tron_path(index: u32) -> String {
    format!("m/44'/195'/0'/0/{index}")
}

/// Parses and checksum-verifies an English BIP-39 mnemonic (whitespace-normalised).
pub fn parse_mnemonic(words: &str) -> Result<Mnemonic> {
    let normalized = Zeroizing::new(words.split_whitespace().collect::<Vec<_>>().join(" "));
    Mnemonic::parse_in_normalized(Language::English, &normalized)
        .map_err(|e| SignerError::Usage(format!("invalid mnemonic: {e}")))
}

/// A fresh mnemonic of 12 or 24 words from the OS RNG.
pub fn generate_mnemonic(words: usize) -> Result<Mnemonic> {
    let len = match words {
        12 => 16,
        24 => 32,
        n => {
            return Err(SignerError::Usage(format!(
                "--words must be 12 or 24, got {n}"
            )))
        }
    };
    let mut entropy = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(&mut entropy[..len])
        .map_err(|e| SignerError::Other(format!("OS RNG failed: {e}")))?;
    Mnemonic::from_entropy_in(Language::English, &entropy[..len])
        .map_err(|e| SignerError::Other(format!("mnemonic generation: {e}")))
}

/// Derives the signing key of account `index` from a mnemonic and BIP-39 passphrase.
pub fn derive_key(mnemonic: &str, bip39_passphrase: &str, index: u32) -> Result<SigningKey> {
    let m = parse_mnemonic(mnemonic)?;
    let seed = Zeroizing::new(m.to_seed(bip39_passphrase));
    let path: DerivationPath = tron_path(index)
        .parse()
        .map_err(|e| SignerError::Other(format!("derivation path: {e}")))?;
    let xprv = XPrv::derive_from_path(seed.as_ref(), &path)
        .map_err(|e| SignerError::Other(format!("derivation failed: {e}")))?;
    Ok(xprv.private_key().clone())
}

/// The signing key of one account of a decrypted wallet.
pub fn account_key(kind: WalletKind, secret: &WalletSecret, index: u32) -> Result<SigningKey> {
    match kind {
        WalletKind::Mnemonic => derive_key(&secret.mnemonic, &secret.bip39_passphrase, index),
        WalletKind::PrivateKey => {
            SigningKey::from_slice(secret.private_key.as_ref()).map_err(|_| {
                SignerError::Usage("private key is zero or not below the curve order".into())
            })
        }
    }
}

/// The header entry for an account.
pub fn account_entry(kind: WalletKind, key: &SigningKey, index: u32) -> AccountEntry {
    AccountEntry {
        index,
        path: (kind == WalletKind::Mnemonic).then(|| tron_path(index)),
        address: Address::from_public_key(key.verifying_key()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn abandon_about_derives_known_addresses() {
        let k0 = derive_key(ABANDON, "", 0).unwrap();
        assert_eq!(
            Address::from_public_key(k0.verifying_key()).to_base58(),
            "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
        );
        assert_eq!(
            hex::encode(k0.to_bytes()),
            "b5a4cea271ff424d7c31dc12a3e43e401df7a40d7412a15750f3f0b6b5449a28"
        );
        let k1 = derive_key(ABANDON, "", 1).unwrap();
        assert_eq!(
            Address::from_public_key(k1.verifying_key()).to_base58(),
            "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK"
        );
    }

    #[test]
    fn bad_checksum_refused() {
        let e = parse_mnemonic(&ABANDON.replace("about", "abandon")).unwrap_err();
        assert!(e.to_string().contains("invalid mnemonic"), "{e}");
        assert_eq!(generate_mnemonic(24).unwrap().word_count(), 24);
        assert!(generate_mnemonic(13).is_err());
    }
}
