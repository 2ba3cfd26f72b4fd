//! Hostile ledger lines: the fast exact-shape reader and the serde reader agree. Whenever the
//! fast reader gives a record, serde gives the same one; and a record serde accepts, written
//! back as the signer writes it, is read by both readers (the fast one exactly when no string
//! needs a JSON escape) as the same record, with or without a MAC, which verifies.
#![no_main]
use coldpay_signer::ledger::{line_hash, read_line_both_ways, split_mac, Ledger};
use coldpay_signer::records_key::RecordsKey;
use libfuzzer_sys::fuzz_target;

fn needs_escape(s: &str) -> bool {
    s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines() {
        let (fast, slow) = read_line_both_ways(line);
        if let Some(f) = &fast {
            assert_eq!(
                slow.as_ref(),
                Ok(f),
                "fast reader accepted a line serde reads otherwise: {line:?}"
            );
        }
        let Ok(entry) = slow else {
            continue;
        };
        // Written as the signer writes it: with a MAC (records authenticated) or without.
        let key = RecordsKey::fixed(data.len() as u8);
        let keyed = data.first().is_some_and(|b| b & 1 == 1);
        let enc = String::from_utf8(Ledger::encode_fresh(
            std::slice::from_ref(&entry),
            keyed.then_some(&key),
        ))
        .unwrap();
        let written = enc.strip_suffix('\n').expect("one line");
        assert!(!written.contains('\n'));
        if keyed {
            let (_, mac) = split_mac(written);
            assert!(key.ledger_mac_ok(&line_hash(written), mac.expect("a MAC")));
        }
        let (fast2, slow2) = read_line_both_ways(written);
        assert_eq!(slow2.as_ref(), Ok(&entry), "serde round trip: {written:?}");
        let escaped = [
            &entry.request_id,
            &entry.payout_id,
            &entry.txid,
            &entry.token,
            &entry.to,
            &entry.amount,
        ]
        .iter()
        .any(|s| needs_escape(s));
        match fast2 {
            Some(f) => assert_eq!(f, entry, "fast reader on {written:?}"),
            None => assert!(escaped, "fast reader refused its own shape: {written:?}"),
        }
    }
});
