//! The ledger and the audit log kept in agreement. Every audit line that appends to the
//! ledger records the ledger's head; signing loads the ledger through [`open_ledger`], which
//! refuses when the file's chain is broken or its head is not the one the audit log last
//! recorded (a deleted ledger, a cut tail, an edited line). `ledger rebuild` reconstructs the
//! ledger from the audit log's `signed` lines; `ledger verify` compares it with them line by
//! line. A ledger written before lines were chained is converted once, when it matches the
//! audit log.

use std::collections::HashSet;

use coldpay_shared::audit_export::AuditEvent;
use serde::Deserialize;
use serde_json::json;

use crate::audit;
use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::ledger::{ChainState, Ledger, LedgerEntry, LedgerHead, LedgerQuery};

/// How long after its signing a transaction recorded without its expiration (audit lines
/// written before they carried it) is taken to stay valid: the policy caps expirations at
/// 24 h past signing.
const UNKNOWN_EXPIRATION_MS: u64 = 86_400_000;

/// The words every disagreement ends with.
fn refuse(why: &str) -> SignerError {
    SignerError::Refused(format!(
        "ledger.jsonl disagrees with the audit log: {why}. Replay protection and the 24 h limits rest on the ledger, so nothing is signed; check the log with `coldpay-signer audit verify`, then run `coldpay-signer ledger rebuild` to reconstruct the ledger from it"
    ))
}

/// Loads the ledger for signing: as [`Ledger::load`], and refused unless it agrees with the
/// audit log. An unchained (older) ledger that matches the audit log is converted first.
pub fn open_ledger(home: &Home, query: &LedgerQuery<'_>) -> Result<Ledger> {
    let ledger = Ledger::load(&home.ledger_path(), query)?;
    if let Some(why) = disagreement(home, &ledger)? {
        return Err(refuse(&why));
    }
    if *ledger.chain() != ChainState::Legacy {
        return Ok(ledger);
    }
    let head = migrate(home)?;
    eprintln!(
        "note: ledger.jsonl converted to the chained format ({} line(s)); recorded in audit line {}",
        head.1.lines, head.0
    );
    Ledger::load(&home.ledger_path(), query)
}

/// Why the loaded ledger disagrees with the audit log, if it does (a legacy ledger with no
/// head recorded yet agrees here; [`migrate`] compares it in full).
fn disagreement(home: &Home, ledger: &Ledger) -> Result<Option<String>> {
    if let ChainState::Broken { line, why } = ledger.chain() {
        return Ok(Some(format!("line {line}: {why}")));
    }
    let have = ledger.head();
    let recorded = audit::last_ledger_head(&home.audit_path())?;
    Ok(match (ledger.chain(), recorded) {
        (ChainState::Legacy, Some((seq, _))) => Some(format!(
            "the file is in the old unchained format, but audit line {seq} recorded a chained ledger (the file was replaced)"
        )),
        (ChainState::Legacy, None) => None,
        (_, Some((seq, want))) => compare_heads(have, &want, seq),
        (_, None) if have.lines > 0 => Some(format!(
            "the file has {} line(s) but the audit log records no ledger at all (the audit log was deleted or cut)",
            have.lines
        )),
        (_, None) => {
            let n = audit_signings(home)?.len();
            (n > 0).then(|| format!(
                "the file is missing or empty, but the audit log records {n} signed transaction(s)"
            ))
        }
    })
}

fn compare_heads(have: &LedgerHead, want: &LedgerHead, seq: u64) -> Option<String> {
    let (h, w) = (have.lines, want.lines);
    if h < w {
        Some(format!(
            "the file has {h} line(s) but audit line {seq} recorded {w}: lines were cut off its end (or the file was deleted)"
        ))
    } else if h > w {
        Some(format!(
            "the file has {h} line(s) but audit line {seq} recorded {w}: lines were added after the last recorded signing (an interrupted signing, or inserted lines)"
        ))
    } else if have.hash != want.hash {
        Some(format!(
            "its last line is not the one audit line {seq} recorded (the ledger was edited or replaced)"
        ))
    } else {
        None
    }
}

/// The fields of an audit line that rebuilding reads (others are skipped).
type EventLine = AuditEvent<EventTx>;

/// One transaction of a `signed` audit line.
#[derive(Deserialize)]
struct EventTx {
    amount: Option<String>,
    /// Absent in lines written before the audit log carried it.
    expiration: Option<u64>,
    payout_id: Option<String>,
    to: Option<String>,
    token: Option<String>,
    txid: String,
}

/// A ledger entry as the audit log records it; `exact_expiration` is false when the line
/// predates the field and the expiration is the 24 h bound.
struct Recorded {
    entry: LedgerEntry,
    exact_expiration: bool,
}

/// Every signed transaction the audit log records, in order, as ledger entries. The log's
/// chain is verified first.
fn audit_signings(home: &Home) -> Result<Vec<Recorded>> {
    let path = home.audit_path();
    let (_, text) = audit::verify_hashes(&path)?.map_err(|(line, why)| {
        SignerError::Refused(format!(
            "audit log broken at line {line}: {why}; the ledger can only be checked against or rebuilt from an intact log: restore audit.log from a backup"
        ))
    })?;
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let e: EventLine = serde_json::from_str(l).map_err(|_| {
            SignerError::Refused(format!(
                "{} line {}: not an audit line the signer wrote",
                path.display(),
                i + 1
            ))
        })?;
        if e.is_signing() {
            for t in e.transactions {
                out.push(recorded(e.time, e.request_id.as_deref(), t));
            }
        }
    }
    Ok(out)
}

fn recorded(time: u64, request_id: Option<&str>, t: EventTx) -> Recorded {
    Recorded {
        exact_expiration: t.expiration.is_some(),
        entry: LedgerEntry {
            time,
            request_id: request_id.unwrap_or("").to_string(),
            payout_id: t.payout_id.unwrap_or_default(),
            txid: t.txid,
            token: t.token.unwrap_or_default(),
            to: t.to.unwrap_or_default(),
            amount: t.amount.unwrap_or_default(),
            expiration: t
                .expiration
                .unwrap_or(time.saturating_add(UNKNOWN_EXPIRATION_MS)),
        },
    }
}

/// Every ledger line that parses, in order; lines that do not are returned as their numbers.
fn read_ledger_lines(home: &Home) -> Result<(Vec<LedgerEntry>, Vec<usize>)> {
    let path = home.ledger_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(SignerError::io(&path, e)),
    };
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (i, l) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match crate::ledger::read_line_both_ways(l).1 {
            Ok(e) => good.push(e),
            Err(_) => bad.push(i + 1),
        }
    }
    Ok((good, bad))
}

/// Whether a ledger line says what the audit log records (the expiration only when the
/// audit line carries it).
fn same(l: &LedgerEntry, r: &Recorded) -> bool {
    let e = &r.entry;
    (
        &l.time,
        &l.request_id,
        &l.payout_id,
        &l.txid,
        &l.token,
        &l.to,
        &l.amount,
    ) == (
        &e.time,
        &e.request_id,
        &e.payout_id,
        &e.txid,
        &e.token,
        &e.to,
        &e.amount,
    ) && (!r.exact_expiration || l.expiration == e.expiration)
}

/// Converts an unchained ledger that matches the audit log line by line; records the new
/// head in an audit line. Returns that line's number and the head.
fn migrate(home: &Home) -> Result<(u64, LedgerHead)> {
    let rec = audit_signings(home)?;
    let (lines, bad) = read_ledger_lines(home)?;
    if let Some(n) = bad.first() {
        return Err(refuse(&format!("line {n} is not a ledger line")));
    }
    if let Some(k) = first_difference(&lines, &rec) {
        return Err(refuse(&format!(
            "the file is in the old unchained format and line {} is not what the audit log records",
            k + 1
        )));
    }
    let bytes = Ledger::encode_fresh(&lines);
    let head = head_of(&bytes, lines.len());
    write_atomic(&home.ledger_path(), &bytes, 0o600)?;
    let a = audit::append_with_head(
        &home.audit_path(),
        json!({"event": "ledger-migrate", "verdict": "migrated", "time": now_ms(), "ledger": head}),
    )?;
    Ok((a.seq, head))
}

/// The first index where the ledger and the audit log's record differ (including length).
fn first_difference(lines: &[LedgerEntry], rec: &[Recorded]) -> Option<usize> {
    let k = lines.iter().zip(rec).position(|(l, r)| !same(l, r));
    k.or_else(|| (lines.len() != rec.len()).then(|| lines.len().min(rec.len())))
}

fn head_of(bytes: &[u8], lines: usize) -> LedgerHead {
    let text = std::str::from_utf8(bytes).expect("ledger lines are UTF-8");
    LedgerHead {
        hash: text.lines().last().map_or_else(
            || crate::ledger::GENESIS.to_string(),
            crate::ledger::line_hash,
        ),
        lines: lines as u64,
    }
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
    )
    .unwrap_or(u64::MAX)
}

/// What `ledger rebuild` did.
#[derive(Debug, serde::Serialize)]
pub struct RebuildReport {
    /// Lines in the rebuilt ledger.
    pub lines: u64,
    /// Lines the file had before.
    pub previous_lines: u64,
    /// The rebuilt ledger's head.
    pub head: LedgerHead,
    /// The audit line recording the rebuild.
    pub audit_seq: u64,
    /// Lines whose expiration is the 24 h bound (audit lines older than the field).
    pub bounded_expirations: usize,
    /// Ledger lines the audit log does not record, dropped (`--drop-unrecorded`).
    pub dropped: Vec<String>,
}

/// Reconstructs the ledger from the audit log's `signed` lines (the home lock held) and
/// records the new head. Ledger lines whose txID the log does not record (an interrupted
/// signing, or a cut audit log) are listed and refused unless `drop_unrecorded`.
pub fn rebuild(home: &Home, drop_unrecorded: bool) -> Result<RebuildReport> {
    let rec = audit_signings(home)?;
    let (old, bad) = read_ledger_lines(home)?;
    let known: HashSet<&str> = rec.iter().map(|r| r.entry.txid.as_str()).collect();
    let mut dropped: Vec<String> = old
        .iter()
        .filter(|l| !known.contains(l.txid.as_str()))
        .map(|l| {
            format!(
                "txid {} payout {:?} amount {} to {}",
                l.txid, l.payout_id, l.amount, l.to
            )
        })
        .collect();
    dropped.extend(bad.iter().map(|n| format!("unreadable line {n}")));
    if !dropped.is_empty() && !drop_unrecorded {
        let list: Vec<&str> = dropped.iter().take(10).map(String::as_str).collect();
        return Err(SignerError::Refused(format!(
            "{} ledger line(s) record signings the audit log does not ({}{}): an interrupted signing, or the audit log's tail was cut (compare `audit verify --expect-head` with the audit_head of the last sign response). Nothing changed; pass --drop-unrecorded to rebuild without them",
            dropped.len(),
            list.join("; "),
            if dropped.len() > 10 { "; …" } else { "" }
        )));
    }
    let entries: Vec<LedgerEntry> = rec.iter().map(|r| r.entry.clone()).collect();
    let bytes = Ledger::encode_fresh(&entries);
    let head = head_of(&bytes, entries.len());
    write_atomic(&home.ledger_path(), &bytes, 0o600)?;
    let previous_lines = (old.len() + bad.len()) as u64;
    let a = audit::append_with_head(
        &home.audit_path(),
        json!({
            "event": "ledger-rebuild", "verdict": "rebuilt", "time": now_ms(), "ledger": head,
            "previous_lines": previous_lines, "dropped": dropped.len(),
        }),
    )?;
    Ok(RebuildReport {
        lines: head.lines,
        previous_lines,
        head,
        audit_seq: a.seq,
        bounded_expirations: rec.iter().filter(|r| !r.exact_expiration).count(),
        dropped,
    })
}

/// What `ledger verify` found.
#[derive(Debug, serde::Serialize)]
pub struct VerifyReport {
    /// Lines in the ledger.
    pub lines: u64,
    /// Its head.
    pub head: LedgerHead,
    /// Whether it is still in the unchained format (converted at the next signing).
    pub legacy: bool,
}

/// The whole check: the chain, the head against the audit log, and every line against the
/// signed transaction the audit log records at that position.
pub fn verify(home: &Home) -> Result<VerifyReport> {
    let nothing = LedgerQuery {
        payout_ids: Some(HashSet::new()),
        recipients: Some(HashSet::new()),
        since_ms: u64::MAX,
    };
    let ledger = Ledger::load(&home.ledger_path(), &nothing)?;
    if let Some(why) = disagreement(home, &ledger)? {
        return Err(refuse(&why));
    }
    let rec = audit_signings(home)?;
    let (lines, _) = read_ledger_lines(home)?;
    // A rebuilt ledger starts from the audit log; one converted from the old format keeps
    // its expirations: both match line by line.
    if let Some(k) = first_difference(&lines, &rec) {
        return Err(refuse(&format!(
            "line {} is not the signed transaction the audit log records at that position",
            k + 1
        )));
    }
    Ok(VerifyReport {
        lines: ledger.head().lines,
        head: ledger.head().clone(),
        legacy: *ledger.chain() == ChainState::Legacy,
    })
}

/// Whether the ledger agrees with the audit log's last recorded head (the check signing
/// makes), for `audit verify`.
pub fn quick_check(home: &Home) -> Result<()> {
    let nothing = LedgerQuery {
        payout_ids: Some(HashSet::new()),
        recipients: Some(HashSet::new()),
        since_ms: u64::MAX,
    };
    let ledger = Ledger::load(&home.ledger_path(), &nothing)?;
    match disagreement(home, &ledger)? {
        Some(why) => Err(refuse(&why)),
        None => Ok(()),
    }
}

/// One transaction of a seeded `signed` audit line (keys sorted, as the signer writes them).
#[derive(serde::Serialize)]
struct SeedTx<'a> {
    amount: &'a str,
    expiration: u64,
    payout_id: &'a str,
    to: &'a str,
    token: &'a str,
    txid: &'a str,
}

/// Writes `entries` into the home at `dir` as past signings would have: the chained ledger
/// and, per run of entries with the same request id, a `signed` audit line recording the
/// ledger head. For the bench and tests (a home with a month of history); the ledger must
/// be empty.
#[doc(hidden)]
pub fn seed_signed_history(dir: &std::path::Path, entries: &[LedgerEntry]) -> Result<()> {
    let ledger_path = dir.join("ledger.jsonl");
    let audit_path = dir.join("audit.log");
    let mut head = LedgerHead::empty();
    let mut bytes = Vec::new();
    for group in entries.chunk_by(|a, b| a.request_id == b.request_id) {
        let enc = crate::ledger::encode_after(&head, group);
        bytes.extend_from_slice(enc.as_bytes());
        head = enc.head().clone();
        let txs: Vec<SeedTx<'_>> = group
            .iter()
            .map(|e| SeedTx {
                amount: &e.amount,
                expiration: e.expiration,
                payout_id: &e.payout_id,
                to: &e.to,
                token: &e.token,
                txid: &e.txid,
            })
            .collect();
        let line = json!({
            "event": "sign", "verdict": "signed", "time": group[0].time,
            "request_id": group[0].request_id, "transactions": txs, "ledger": head,
        });
        audit::append(&audit_path, line)?;
    }
    std::fs::write(&ledger_path, &bytes).map_err(|e| SignerError::io(&ledger_path, e))
}
