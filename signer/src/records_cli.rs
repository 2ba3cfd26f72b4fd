//! The `audit verify`, `audit export`, `ledger verify` and `ledger rebuild` commands: output
//! for the operator around `audit` and `records`.

use std::path::Path;

use serde_json::json;

use crate::audit;
use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::qrio::QrOutArgs;
use crate::records;

fn print_json(v: &serde_json::Value) {
    println!("{v}");
}

/// `audit verify [--expect-head SEQ:HASH]`: the chain, the written-down head, and the
/// ledger's agreement with the log.
pub fn audit_verify(home: &Home, expect: Option<&str>, json: bool) -> Result<()> {
    let expect = expect.map(audit::parse_expect_head).transpose()?;
    let (hashes, _) = match audit::verify_hashes(&home.audit_path())? {
        Ok(v) => v,
        Err((line, why)) => {
            if json {
                print_json(&json!({"ok": false, "first_bad_line": line, "reason": why}));
            }
            return Err(SignerError::Refused(format!(
                "audit log broken at line {line}: {why}"
            )));
        }
    };
    let checks = expect
        .as_ref()
        .map_or(Ok(()), |(seq, hash)| {
            audit::check_expected_head(&hashes, *seq, hash)
        })
        .and_then(|()| records::quick_check(home));
    let n = hashes.len();
    let head = hashes
        .last()
        .map(|h| json!({"seq": n, "hash": h, "log": hashes[0]}));
    if let Err(e) = checks {
        if json {
            print_json(&json!({"ok": false, "lines": n, "head": head, "reason": e.to_string()}));
        }
        return Err(e);
    }
    if json {
        print_json(
            &json!({"ok": true, "lines": n, "head": head, "expect_head": expect.is_some(), "ledger": "agrees"}),
        );
    } else {
        println!("audit log intact: {n} line(s)");
        if let Some(h) = hashes.last() {
            println!("head: {n}:{h}");
        }
        if let Some((seq, _)) = expect {
            println!("line {seq} has the hash written down");
        }
        println!("ledger agrees with the audit log");
    }
    Ok(())
}

/// `audit export --since SEQ [-o FILE | QR]`.
pub fn audit_export(
    home: &Home,
    since: u64,
    output: Option<&Path>,
    qr_out: &QrOutArgs,
) -> Result<()> {
    let e = audit::export(&home.audit_path(), since)?;
    let bytes = e.to_json_pretty();
    if qr_out.any() {
        let n = qr_out.emit(coldpay_shared::urframe::UrKind::AuditExport, &bytes)?;
        eprintln!(
            "audit lines {} to {} shown as {n} QR part(s)",
            e.since, e.head.seq
        );
    }
    match output {
        Some(p) => write_atomic(p, &bytes, 0o644)?,
        None if qr_out.any() => {}
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|err| SignerError::io("stdout", err))?;
        }
    }
    eprintln!(
        "exported audit lines {} to {} (head {}:{})",
        e.since, e.head.seq, e.head.seq, e.head.hash
    );
    Ok(())
}

/// `ledger verify`.
pub fn ledger_verify(home: &Home, json: bool) -> Result<()> {
    let r = match records::verify(home) {
        Ok(r) => r,
        Err(e) => {
            if json {
                print_json(&json!({"ok": false, "reason": e.to_string()}));
            }
            return Err(e);
        }
    };
    if json {
        print_json(&json!({"ok": true, "lines": r.lines, "head": r.head, "legacy": r.legacy}));
    } else {
        println!(
            "ledger intact: {} line(s), head {}, each the signing the audit log records{}",
            r.lines,
            r.head.hash,
            if r.legacy {
                " (old unchained format: converted at the next signing)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// `ledger rebuild [--drop-unrecorded]`.
pub fn ledger_rebuild(home: &Home, drop_unrecorded: bool, json: bool) -> Result<()> {
    let _lock = home.lock()?;
    let r = records::rebuild(home, drop_unrecorded)?;
    if json {
        print_json(&serde_json::to_value(&r).expect("json"));
        return Ok(());
    }
    println!(
        "ledger rebuilt from the audit log: {} line(s) (the file had {}); recorded in audit line {}",
        r.lines, r.previous_lines, r.audit_seq
    );
    for d in &r.dropped {
        println!("dropped: {d}");
    }
    if r.bounded_expirations > 0 {
        println!(
            "{} line(s) come from audit lines that predate recorded expirations: each is taken to expire 24 h after its signing (the policy's limit), so --resign-expired waits that long",
            r.bounded_expirations
        );
    }
    Ok(())
}
