//! Hostile keystore files: parsing never panics and runs no key derivation; an accepted file
//! re-serialises to bytes that parse to the same keystore, and those bytes are a fixed point.
//! Files with a small iteration count are also unlocked (a wrong passphrase must be an error,
//! never a panic); larger counts are not, so the loop stays fast.
#![no_main]
use std::path::Path;

use coldpay_signer::keystore::Keystore;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.json");
    let Ok(ks) = Keystore::parse(path, data) else {
        return;
    };
    let bytes = ks.to_bytes();
    let back = Keystore::parse(path, &bytes).expect("re-serialised keystore parses");
    assert_eq!(back.header, ks.header);
    assert_eq!(back.to_bytes(), bytes, "serialisation is a fixed point");
    if ks.header.kdf.iterations <= 1000 {
        let _ = ks.unlock(b"");
        let _ = ks.unlock(b"fuzz");
    }
});
