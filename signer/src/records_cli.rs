//! The `audit verify`, `audit export`, `ledger verify` and `ledger rebuild` commands: output
//! for the operator around `audit` and `records`.

use std::path::Path;

use serde_json::json;

use crate::audit;
use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::passphrase::PassSource;
use crate::qrio::QrOutArgs;
use crate::records;
use crate::records_key::RecordsKey;
use crate::unlock::Unlocker;

fn print_json(v: &serde_json::Value) {
    println!("{v}");
}

/// Which wallet to unlock, and how, to check or write authenticated records.
pub struct UnlockRequest {
    /// The wallet (`--key`); without it, the only wallet holding the records key.
    pub wallet: Option<String>,
    /// Where the passphrase comes from (a prompt when neither file nor descriptor).
    pub pass: PassSource,
}

/// Unlocks the requested wallet and opens the home's records key from it. `None` when the
/// home's records are not authenticated yet (no wallet holds a key).
fn records_key(home: &Home, req: &UnlockRequest) -> Result<Option<RecordsKey>> {
    let keystores = home.keystores()?;
    let holders: Vec<usize> = (0..keystores.len())
        .filter(|i| keystores[*i].header.records_key.is_some())
        .collect();
    let ki = match &req.wallet {
        Some(name) => keystores
            .iter()
            .position(|k| &k.header.name == name)
            .ok_or_else(|| SignerError::Usage(format!("no wallet named {name:?}")))?,
        None => match holders.as_slice() {
            [] if keystores.len() == 1 => 0,
            [] => return Ok(None),
            [one] => *one,
            _ => return Err(SignerError::Usage(
                "several wallets hold the records key: pass --key NAME to choose the one to unlock"
                    .into(),
            )),
        },
    };
    let mut unlocker = Unlocker::new(req.pass.clone());
    unlocker.unlock(&keystores, &[ki], &mut |_, _| Ok(()))?;
    let opened = unlocker.opened();
    let (_, _, wk) = opened
        .iter()
        .find(|(i, _, _)| *i == ki)
        .expect("the wallet was unlocked");
    match keystores[ki].records_key(wk)? {
        Some(k) => Ok(Some(k)),
        None if holders.is_empty() => Ok(None),
        None => Err(SignerError::Usage(format!(
            "wallet {} does not hold this home's records key: unlock one that does (--key {})",
            keystores[ki].header.name, keystores[holders[0]].header.name
        ))),
    }
}

/// What `audit verify` says about authentication, for people.
fn auth_words(check: &audit::RecordsCheck, key: Option<&RecordsKey>, asked: bool) -> String {
    match (check.upgraded_at, key) {
        (None, _) => "records not authenticated yet: this home was written before records were authenticated; the next signing upgrades it (chain and form checked only)".into(),
        (Some(u), Some(k)) => format!(
            "authentication checked with records key {}: {} MAC(s) from line {u} (where records became authenticated) verify; earlier lines are bound to it by the hash chain",
            k.id(),
            check.macs_checked
        ),
        (Some(u), None) if asked => format!("authenticated since line {u}; the unlocked wallet holds no records key, so MACs were not checked"),
        (Some(u), None) => format!(
            "authenticated since line {u}: chain, form and that every records line carries authentication checked; the MACs need a wallet passphrase (pass --unlock, or --passphrase-file/--passphrase-fd, with --key NAME)"
        ),
    }
}

/// `audit verify [--expect-head SEQ:HASH] [--unlock …]`: the chain, the authentication (the
/// MACs only with a passphrase), the written-down head, and the ledger's agreement with the
/// log.
pub fn audit_verify(
    home: &Home,
    expect: Option<&str>,
    json: bool,
    unlock: Option<&UnlockRequest>,
) -> Result<()> {
    let expect = expect.map(audit::parse_expect_head).transpose()?;
    let key = unlock.map(|r| records_key(home, r)).transpose()?.flatten();
    let text = match std::fs::read_to_string(home.audit_path()) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(SignerError::io(home.audit_path(), e)),
    };
    let check = match audit::verify_records(&text, key.as_ref()) {
        Ok(v) => v,
        Err((line, why)) => {
            if json {
                print_json(
                    &json!({"ok": false, "first_bad_line": line, "reason": why, "authenticated": key.is_some()}),
                );
            }
            return Err(SignerError::Refused(format!(
                "audit log broken at line {line}: {why}"
            )));
        }
    };
    let hashes = &check.hashes;
    let checks = expect
        .as_ref()
        .map_or(Ok(()), |(seq, hash)| {
            audit::check_expected_head(hashes, *seq, hash)
        })
        .and_then(|()| records::quick_check(home));
    let n = hashes.len();
    let head = hashes
        .last()
        .map(|h| json!({"seq": n, "hash": h, "log": hashes[0]}));
    let auth = auth_words(&check, key.as_ref(), unlock.is_some());
    if let Err(e) = checks {
        if json {
            print_json(
                &json!({"ok": false, "lines": n, "head": head, "reason": e.to_string(), "authenticated": key.is_some()}),
            );
        }
        return Err(e);
    }
    if json {
        print_json(&json!({
            "ok": true, "lines": n, "head": head, "expect_head": expect.is_some(), "ledger": "agrees",
            "authenticated": key.is_some(), "macs_checked": check.macs_checked,
            "records_authenticated_since": check.upgraded_at, "authentication": auth,
        }));
    } else {
        println!("audit log intact: {n} line(s)");
        if let Some(h) = hashes.last() {
            println!("head: {n}:{h}");
        }
        if let Some((seq, _)) = expect {
            println!("line {seq} has the hash written down");
        }
        println!("{auth}");
        println!("ledger agrees with the audit log");
    }
    Ok(())
}

/// `keys share-records-key --from A --to B`: unlocks both wallets and seals A's records key
/// into B.
pub fn share_records_key(home: &Home, from: &str, to: &str, pass: &PassSource) -> Result<()> {
    let _lock = home.lock()?;
    let keystores = home.keystores()?;
    let index = |name: &str| {
        keystores
            .iter()
            .position(|k| k.header.name == name)
            .ok_or_else(|| SignerError::Usage(format!("no wallet named {name:?}")))
    };
    let (fi, ti) = (index(from)?, index(to)?);
    let mut unlocker = Unlocker::new(pass.clone());
    unlocker.unlock(&keystores, &[fi, ti], &mut |_, _| Ok(()))?;
    let opened = unlocker.opened();
    let get = |ki: usize| opened.iter().find(|(i, _, _)| *i == ki).expect("unlocked");
    let (_, _, from_key) = get(fi);
    let key = keystores[fi]
        .records_key(from_key)?
        .ok_or_else(|| SignerError::Usage(format!("wallet {from} holds no records key")))?;
    if let Some(have) = &keystores[ti].header.records_key {
        if have.id == key.id() {
            println!("wallet {to} already holds this home's records key");
            return Ok(());
        }
    }
    let (_, secret, to_key) = get(ti);
    keystores[ti]
        .with_records_key(secret, to_key, &key)?
        .write()?;
    audit::append(
        &home.audit_path(),
        json!({"event": "records-key-shared", "verdict": "shared", "time": crate::clock::now_ms(), "from": from, "to": to, "key_id": key.id()}),
    )?;
    println!(
        "wallet {to} now holds this home's records key ({})",
        key.id()
    );
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
        if let Some(line) = qr_out.shown(&format!("audit lines {} to {}", e.since, e.head.seq), n) {
            eprintln!("{line}");
        }
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

/// `ledger verify [--unlock …]`.
pub fn ledger_verify(home: &Home, json: bool, unlock: Option<&UnlockRequest>) -> Result<()> {
    let key = unlock.map(|r| records_key(home, r)).transpose()?.flatten();
    let r = match records::verify(home, key.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            if json {
                print_json(&json!({"ok": false, "reason": e.to_string()}));
            }
            return Err(e);
        }
    };
    let auth = if r.authenticated {
        format!(
            "{} line MAC(s) verified with the records key",
            r.macs_checked
        )
    } else if records::home_is_authenticated(home) {
        "authentication not checked: the MACs need a wallet passphrase (pass --unlock, or --passphrase-file/--passphrase-fd, with --key NAME)".to_string()
    } else {
        "records not authenticated yet (the next signing upgrades this home)".to_string()
    };
    if json {
        print_json(
            &json!({"ok": true, "lines": r.lines, "head": r.head, "legacy": r.legacy, "authenticated": r.authenticated, "macs_checked": r.macs_checked, "authentication": auth}),
        );
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
        println!("{auth}");
    }
    Ok(())
}

/// `ledger rebuild [--drop-unrecorded] [--unlock …]`.
pub fn ledger_rebuild(
    home: &Home,
    drop_unrecorded: bool,
    json: bool,
    unlock: Option<&UnlockRequest>,
) -> Result<()> {
    let _lock = home.lock()?;
    let key = unlock.map(|r| records_key(home, r)).transpose()?.flatten();
    let r = records::rebuild(home, drop_unrecorded, key.as_ref())?;
    if json {
        print_json(&serde_json::to_value(&r).expect("json"));
        return Ok(());
    }
    println!(
        "ledger rebuilt from the audit log: {} line(s) (the file had {}); recorded in audit line {}",
        r.lines, r.previous_lines, r.audit_seq
    );
    for d in &r.dropped {
        println!("not recorded by the audit log, now recorded whole by the rebuild line and kept (replay and 24 h limits still count it): {d}");
    }
    if r.bounded_expirations > 0 {
        println!(
            "{} line(s) come from audit lines that predate recorded expirations: each is taken to expire 24 h after its signing (the policy's limit), so --resign-expired waits that long",
            r.bounded_expirations
        );
    }
    Ok(())
}
