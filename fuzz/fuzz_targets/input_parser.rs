//! The signer's input parser (sign request, TronWeb object, arrays, bare hex) never panics, and
//! every transaction it accepts is canonical.
#![no_main]
use coldpay_shared::input::parse_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(input) = parse_input(text) {
        for t in input.transactions() {
            assert_eq!(t.raw.txid(), t.txid, "txid must be sha256 of the canonical bytes");
            let bytes = t.raw.encode();
            assert_eq!(coldpay_shared::RawData::decode(&bytes).as_ref(), Ok(t.raw));
            let _ = coldpay_shared::view::inspect_json(t.raw);
        }
    }
});
