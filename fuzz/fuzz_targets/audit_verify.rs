//! Hostile audit logs: verification never panics; a verified line is exactly its canonical
//! serialisation (one line grammar for every reader); a log that verifies still verifies after
//! each line is re-read and re-serialised (the hash is over the canonical form), verifies to
//! the same line count, and its head as appending reads it from the end of the file — the
//! (hash, seq) the next line chains to — is what its last line says.
#![no_main]
use coldpay_signer::audit::{head, verify_text};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(n) = verify_text(text) else {
        return;
    };
    assert_eq!(n, text.lines().count());
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("verified lines are JSON"))
        .collect();
    // One line grammar: a verified line is exactly its canonical form (no repeated key, no
    // spacing), so every reader of the log — the tail reader appending uses among them —
    // reads the same fields from it.
    for (l, v) in text.lines().zip(&lines) {
        assert_eq!(
            l,
            serde_json::to_string(v).unwrap(),
            "verified line is canonical"
        );
    }
    // Re-serialised line by line (compact, keys sorted), the log still verifies.
    let mut again = String::new();
    for v in &lines {
        again.push_str(&serde_json::to_string(v).unwrap());
        again.push('\n');
    }
    assert_eq!(verify_text(&again), Ok(n), "re-serialised log:\n{again}");
    // The head appending would chain to is the last line's (hash, seq).
    let want = match lines.last() {
        Some(v) => (
            v["hash"].as_str().expect("verified hash").to_string(),
            v["seq"].as_u64().expect("verified seq"),
        ),
        None => (GENESIS.to_string(), 0),
    };
    assert_eq!(want.1, n as u64);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("audit.jsonl");
    std::fs::write(&p, data).unwrap();
    match head(&p) {
        Ok(got) => assert_eq!(got, want, "head of a verified log"),
        // Only a log whose text has no line at all may have no readable tail.
        Err(e) => panic!("verified log, unreadable head: {e}"),
    }
});
