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

/// Word counts a BIP-39 mnemonic may have.
pub const WORD_COUNTS: [usize; 5] = [12, 15, 18, 21, 24];

/// Parses and checksum-verifies an English BIP-39 mnemonic. Words are separated by any
/// whitespace, and ASCII letter case is folded (a backup written in capitals, or a first word
/// capitalised, reads as the list words): the parsed phrase is the words in lower case,
/// single-spaced. Nothing else is folded — a non-ASCII letter that lower-cases to a list
/// word's letter (the Kelvin sign to `k`) leaves the word unknown. Errors count words from 1
/// and suggest the nearest list words for an unknown one; they never repeat a typed word.
pub fn parse_mnemonic(words: &str) -> Result<Mnemonic> {
    let mut normalized = Zeroizing::new(String::with_capacity(words.len()));
    for w in words.split_whitespace() {
        if !normalized.is_empty() {
            normalized.push(' ');
        }
        normalized.extend(w.chars().map(|c| c.to_ascii_lowercase()));
    }
    let list: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    if !WORD_COUNTS.contains(&list.len()) {
        return Err(SignerError::Usage(format!(
            "invalid mnemonic: it has {} word(s); a BIP-39 mnemonic has 12, 15, 18, 21 or 24",
            list.len()
        )));
    }
    let unknown = unknown_words(&list);
    if !unknown.is_empty() {
        let each: Vec<String> = unknown
            .iter()
            .map(|&i| unknown_word_message(i, list[i]))
            .collect();
        return Err(SignerError::Usage(format!(
            "invalid mnemonic: {}",
            each.join("; ")
        )));
    }
    Mnemonic::parse_in_normalized(Language::English, &normalized).map_err(|_| {
        SignerError::Usage(
            "invalid mnemonic: every word is a BIP-39 word but the checksum fails, so a word is \
             wrong or two are swapped; compare them in order with the backup"
                .into(),
        )
    })
}

/// Whether `word` (lower case) is in the English BIP-39 list.
pub fn is_list_word(word: &str) -> bool {
    Language::English.find_word(word).is_some()
}

/// The 0-based positions of words that are not in the English BIP-39 list.
pub fn unknown_words(words: &[&str]) -> Vec<usize> {
    words
        .iter()
        .enumerate()
        .filter(|(_, w)| !is_list_word(w))
        .map(|(i, _)| i)
        .collect()
}

/// "unknown word 3 (not in the BIP-39 English list); nearest: abandon, ability" for the word
/// at 0-based `index`. The typed word itself is not repeated.
pub fn unknown_word_message(index: usize, word: &str) -> String {
    let near = nearest_words(word);
    let hint = if near.is_empty() {
        "no list word is close; check the backup".to_string()
    } else {
        format!("nearest: {}", near.join(", "))
    };
    format!(
        "unknown word {} (not in the BIP-39 English list); {hint}",
        index + 1
    )
}

/// Up to three English BIP-39 words nearest to `typed`: the word its first four letters name
/// (they are unique in the list), then words within two edits (a swap of neighbouring letters
/// counts as one), closest first.
pub fn nearest_words(typed: &str) -> Vec<&'static str> {
    let typed = typed.to_ascii_lowercase();
    let list = Language::English.word_list();
    let head = typed.get(..4);
    let mut scored: Vec<(usize, &'static str)> = list
        .iter()
        .filter_map(|&w| {
            let prefix = head.is_some_and(|h| w.starts_with(h));
            let d = strsim::osa_distance(&typed, w);
            match (prefix, d) {
                (true, _) => Some((0, w)),
                (false, d) if d <= 2 => Some((d, w)),
                _ => None,
            }
        })
        .collect();
    scored.sort_by_key(|&(d, w)| (d, w));
    scored.into_iter().take(3).map(|(_, w)| w).collect()
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
    fn ascii_case_is_folded_and_nothing_else() {
        // Found by the mnemonic fuzz target: a mixed-case word. ASCII case folds to the list
        // word (stated on `parse_mnemonic`); the phrase is the lower-case words.
        let mixed = ABANDON.replacen("abandon", "aBandon", 1).to_uppercase();
        let m = parse_mnemonic(&format!("  {}\t", mixed.replace(' ', "\n "))).unwrap();
        assert_eq!(m.to_string(), ABANDON);
        // The fuzz input itself: its words fold to list words (no unknown-word error); the
        // phrase then fails only its checksum, as the lower-case phrase does.
        let seeded = include_str!("../../fuzz/seeds/mnemonic/mixed-case-word");
        let e = parse_mnemonic(seeded).unwrap_err().to_string();
        assert!(e.contains("checksum fails"), "{e}");
        let e = parse_mnemonic(&seeded.to_ascii_lowercase())
            .unwrap_err()
            .to_string();
        assert!(e.contains("checksum fails"), "{e}");
        // A non-ASCII letter is not folded: the Kelvin sign (U+212A) lower-cases to `k` in
        // Unicode, but "\u{212A}ite" is not the word "kite".
        let kite = "kite ".repeat(11) + "kite";
        let kelvin = kite.replacen("kite", "\u{212A}ite", 1);
        let e = parse_mnemonic(&kelvin).unwrap_err().to_string();
        assert!(e.contains("unknown word 1"), "{e}");
        assert!(!e.contains('\u{212A}'), "{e}");
    }

    #[test]
    fn bad_checksum_refused() {
        let e = parse_mnemonic(&ABANDON.replace("about", "abandon")).unwrap_err();
        assert!(e.to_string().contains("invalid mnemonic"), "{e}");
        assert!(e.to_string().contains("checksum fails"), "{e}");
        assert_eq!(generate_mnemonic(24).unwrap().word_count(), 24);
        assert!(generate_mnemonic(13).is_err());
    }

    #[test]
    fn unknown_words_are_counted_from_one_with_suggestions() {
        // The third word mistyped: bip39 itself says "word 2".
        let typed = ABANDON.replacen("abandon abandon abandon", "abandon abandon abandn", 1);
        let e = parse_mnemonic(&typed).unwrap_err().to_string();
        assert!(
            e.contains("unknown word 3 (not in the BIP-39 English list); nearest: abandon"),
            "{e}"
        );
        assert!(!e.contains("abandn"), "the typed word is not echoed: {e}");
        // Two unknown words: both named, each with its own suggestion.
        let typed = ABANDON
            .replacen("abandon", "abnadon", 1)
            .replace("about", "abuot");
        let e = parse_mnemonic(&typed).unwrap_err().to_string();
        assert!(
            e.contains("unknown word 1 (") && e.contains("unknown word 12 ("),
            "{e}"
        );
        assert!(e.contains("nearest: about"), "{e}");
        // Upper case and extra spaces are accepted.
        let loud = format!("  {}  ", ABANDON.to_uppercase().replace(' ', "   "));
        assert_eq!(parse_mnemonic(&loud).unwrap().to_string(), ABANDON);
    }

    #[test]
    fn word_count_is_checked_first() {
        let e = parse_mnemonic("abandon abandon").unwrap_err().to_string();
        assert!(
            e.contains("it has 2 word(s); a BIP-39 mnemonic has 12, 15, 18, 21 or 24"),
            "{e}"
        );
        let e = parse_mnemonic("").unwrap_err().to_string();
        assert!(e.contains("it has 0 word(s)"), "{e}");
    }

    #[test]
    fn nearest_words_by_prefix_and_edit_distance() {
        // Four letters name a word uniquely.
        assert_eq!(nearest_words("abanxyz"), vec!["abandon"]);
        // A swap of neighbouring letters is one edit.
        assert!(
            nearest_words("lgeal").contains(&"legal"),
            "{:?}",
            nearest_words("lgeal")
        );
        // One dropped letter.
        assert!(
            nearest_words("windw").contains(&"window"),
            "{:?}",
            nearest_words("windw")
        );
        assert!(nearest_words("windw").len() <= 3);
        // Nothing close.
        assert!(nearest_words("qqqqqqqqqq").is_empty());
        assert!(nearest_words("åbändon").contains(&"abandon"));
        assert!(unknown_word_message(4, "qqqqqqqqqq").starts_with("unknown word 5 "));
        assert!(unknown_word_message(4, "qqqqqqqqqq").contains("no list word is close"));
    }
}
