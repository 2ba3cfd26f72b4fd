//! Hostile mnemonic input: parsing never panics; an accepted phrase's normalised form (lower
//! case — ASCII case is folded, nothing else — and single spaces, as the keystore stores it) parses again to the same entropy and seed, and the
//! entropy re-encodes to the same words.
#![no_main]
use coldpay_signer::wallet::parse_mnemonic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = parse_mnemonic(text) else {
        return;
    };
    let words = text.split_whitespace().collect::<Vec<_>>();
    assert_eq!(m.word_count(), words.len());
    assert!(matches!(words.len(), 12 | 15 | 18 | 21 | 24));
    let normal = m.to_string();
    assert_eq!(
        normal,
        words.join(" ").to_ascii_lowercase(),
        "normal form is the words, ASCII case folded, single-spaced"
    );
    let again = parse_mnemonic(&normal).expect("normal form parses");
    assert_eq!(again.to_entropy(), m.to_entropy());
    assert_eq!(again.to_seed("fuzz"), m.to_seed("fuzz"));
    assert_eq!(m.to_entropy().len(), words.len() * 4 / 3);
});
