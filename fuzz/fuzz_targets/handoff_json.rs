//! Handoff JSON (sign request, sign response, watch-only export): whatever `from_json` accepts
//! serialises with `to_json` to a document that parses back to the same value and the same JSON.
#![no_main]
use coldpay_shared::handoff::WatchExport;
use coldpay_shared::{SignRequest, SignResponse};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(r) = SignResponse::from_json(&v) {
        let j = r.to_json();
        let again = SignResponse::from_json(&j).expect("own response JSON refused");
        assert_eq!(again, r);
        assert_eq!(again.to_json(), j);
        let pretty = r.to_json_pretty();
        let p: Value = serde_json::from_slice(&pretty).expect("pretty JSON");
        assert_eq!(SignResponse::from_json(&p).as_ref(), Ok(&r));
    }
    if let Ok(w) = WatchExport::from_json(&v) {
        let j = w.to_json();
        let again = WatchExport::from_json(&j).expect("own watch JSON refused");
        assert_eq!(again, w);
        assert_eq!(again.to_json(), j);
    }
    if let Ok(q) = SignRequest::from_json(&v) {
        let j = q.to_json();
        let again = SignRequest::from_json(&j).expect("own request JSON refused");
        assert_eq!(again, q);
        assert_eq!(again.to_json(), j);
        assert_eq!(again.digest(), q.digest());
    }
});
