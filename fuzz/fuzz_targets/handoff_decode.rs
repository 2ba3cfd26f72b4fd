//! Hostile QR payloads: compact decoders and the UR collector never panic, and whatever a
//! compact decoder accepts re-encodes to the same bytes.
//!
//! Responses: the first input byte seeds the broadcaster's "built transactions" (see
//! [`built`]), the rest is the compact response, so real signatures over those txIDs decode
//! and mutate. A decoded response must name only built transactions, carry signatures that
//! recover to their signers, and re-encode to the same bytes.
#![no_main]
use coldpay_shared::compact::{
    decode_request, decode_response, decode_watch, encode_request, encode_response, encode_watch,
};
use coldpay_shared::TxId;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

/// The (payout id, txID) pairs the broadcaster "built" for seed byte `k`: txID_i =
/// sha256([k, i]) named `pay-i`, each preceded by a decoy sharing its 4-byte prefix (so the
/// decoder must pick the candidate the signature recovers for).
fn built(k: u8) -> Vec<(String, TxId)> {
    let mut out = Vec::new();
    for i in 0..8u8 {
        let id: [u8; 32] = Sha256::digest([k, i]).into();
        let mut decoy = id;
        decoy[31] ^= 0xff;
        out.push((format!("decoy-{i}"), TxId::from_bytes(decoy)));
        out.push((format!("pay-{i}"), TxId::from_bytes(id)));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = decode_request(data) {
        assert_eq!(encode_request(&req).unwrap(), data);
    }
    if let Ok(w) = decode_watch(data) {
        assert_eq!(encode_watch(&w), data);
    }
    if let Some((k, resp_bytes)) = data.split_first() {
        let known = built(*k);
        let lookup = |prefix: &[u8]| -> Vec<(String, TxId)> {
            known
                .iter()
                .filter(|(_, t)| &t.as_bytes()[..4] == prefix)
                .cloned()
                .collect()
        };
        if let Ok(resp) = decode_response(resp_bytes, &lookup) {
            assert_eq!(encode_response(&resp).unwrap(), resp_bytes);
            assert_eq!(decode_response(resp_bytes, &lookup).as_ref(), Ok(&resp));
            let packed =
                resp_bytes.len() > 4 && resp.transactions.iter().all(|t| t.signatures.len() == 1);
            for t in &resp.transactions {
                for s in &t.signatures {
                    assert_eq!(s.signature.recover(&t.txid).ok(), Some(s.signer));
                }
                if packed
                    && known
                        .iter()
                        .any(|(_, x)| &x.as_bytes()[..4] == &t.txid.as_bytes()[..4])
                {
                    // A packed entry names a built transaction, never a decoy it does not sign.
                    assert!(known.contains(&(t.payout_id.clone(), t.txid)));
                }
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let mut c = coldpay_shared::urframe::UrCollector::new();
        for line in text.lines() {
            let _ = c.receive(line);
        }
        let _ = c.message();
    }
});
