//! Hostile image files given to `--qr-image`: the bounded decoder never panics and refuses
//! images above the size cap from their header, so no input costs more than decoding a
//! 4096×4096 image (libFuzzer's -timeout and -rss_limit_mb catch anything slower or larger).
#![no_main]
use coldpay_shared::qr::decode_image_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(codes) = decode_image_bytes(data) {
        for c in codes {
            // Whatever a QR code holds goes to the UR collector next: it must not panic either.
            let _ = coldpay_shared::urframe::UrCollector::new().receive(&c);
        }
    }
});
