//! Strict raw_data decoding: whatever decodes must re-encode to exactly the input bytes.
#![no_main]
use coldpay_shared::{RawData, SignedTransaction};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = RawData::decode(data) {
        assert_eq!(raw.encode(), data, "decode succeeded but re-encoding differs");
        let _ = raw.intent();
    }
    if let Ok(tx) = SignedTransaction::decode(data) {
        assert_eq!(tx.encode(), data);
    }
});
