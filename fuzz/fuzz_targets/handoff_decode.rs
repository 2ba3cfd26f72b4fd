//! Hostile QR payloads: compact decoders and the UR collector never panic, and whatever a
//! compact decoder accepts re-encodes to the same bytes.
#![no_main]
use coldpay_shared::compact::{decode_request, decode_response, decode_watch, encode_request, encode_watch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = decode_request(data) {
        assert_eq!(encode_request(&req).unwrap(), data);
    }
    if let Ok(w) = decode_watch(data) {
        assert_eq!(encode_watch(&w), data);
    }
    let lookup = |_: &[u8]| Vec::new();
    let _ = decode_response(data, &lookup);
    if let Ok(text) = std::str::from_utf8(data) {
        let mut c = coldpay_shared::urframe::UrCollector::new();
        for line in text.lines() {
            let _ = c.receive(line);
        }
        let _ = c.message();
    }
});
