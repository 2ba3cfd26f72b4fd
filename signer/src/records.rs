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
use crate::clock::now_ms;
use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::keystore::{Keystore, WalletKey, WalletSecret};
use crate::ledger::{ChainState, Ledger, LedgerEntry, LedgerHead, LedgerQuery};
use crate::records_key::RecordsKey;

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
    let recorded = audit::last_ledger_head(&home.audit_path(), home_is_authenticated(home))?;
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

/// One transaction of a `signed` audit line (or kept by a rebuild).
#[derive(Deserialize, serde::Serialize)]
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
        } else if e.event.as_deref() == Some("ledger-rebuild") {
            // Ledger lines a rebuild found unrecorded are recorded whole by it, and stay.
            let kept: KeptLines = serde_json::from_str(l).map_err(|_| {
                SignerError::Refused(format!(
                    "{} line {}: a rebuild line whose kept lines are unreadable",
                    path.display(),
                    i + 1
                ))
            })?;
            out.extend(kept.kept.into_iter().map(|k| Recorded {
                entry: k,
                exact_expiration: true,
            }));
        }
    }
    Ok(out)
}

/// The ledger lines a rebuild kept (`kept`: whole entries; absent in older rebuild lines).
#[derive(Deserialize)]
struct KeptLines {
    #[serde(default)]
    kept: Vec<LedgerEntry>,
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
    let bytes = Ledger::encode_fresh(&lines, None);
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
/// signing, or a cut audit log) are listed and refused unless `drop_unrecorded`; then they are
/// recorded whole in the rebuild's audit line and kept at the end of the rebuilt ledger, so
/// they stay in the replay and 24 h indexes. On a home whose records are authenticated the
/// records key is needed (`key`): the new lines and the audit line are authenticated with it.
pub fn rebuild(
    home: &Home,
    drop_unrecorded: bool,
    key: Option<&RecordsKey>,
) -> Result<RebuildReport> {
    if key.is_none() && home_is_authenticated(home) {
        return Err(SignerError::Usage(
            "this home's records are authenticated: rebuilding needs a wallet passphrase (pass --unlock, --passphrase-file or --passphrase-fd, and --key NAME with several wallets)".into(),
        ));
    }
    if let Some(k) = key {
        check_log_authentication(home, k)?;
    }
    let rec = audit_signings(home)?;
    let (old, bad) = read_ledger_lines(home)?;
    let known: HashSet<&str> = rec.iter().map(|r| r.entry.txid.as_str()).collect();
    let kept: Vec<LedgerEntry> = old
        .iter()
        .filter(|l| !known.contains(l.txid.as_str()))
        .cloned()
        .collect();
    let mut dropped: Vec<String> = kept
        .iter()
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
    let mut entries: Vec<LedgerEntry> = rec.iter().map(|r| r.entry.clone()).collect();
    entries.extend(kept.iter().cloned());
    let bytes = Ledger::encode_fresh(&entries, key);
    let head = head_of(&bytes, entries.len());
    let previous_lines = (old.len() + bad.len()) as u64;
    let line = json!({
        "event": "ledger-rebuild", "verdict": "rebuilt", "time": now_ms(), "ledger": head,
        "previous_lines": previous_lines, "dropped": dropped.len(), "kept": kept,
    });
    // The audit line first: a rebuild interrupted after it is found (the ledger disagrees
    // with the head it records) and simply run again.
    let a = match key {
        Some(k) => audit::append_authenticated(&home.audit_path(), line, k, &head)?,
        None => audit::append_with_head(&home.audit_path(), line)?,
    };
    write_atomic(&home.ledger_path(), &bytes, 0o600)?;
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
    /// Whether the MACs were checked with the records key (a wallet was unlocked).
    pub authenticated: bool,
    /// Ledger lines whose MAC was checked.
    pub macs_checked: usize,
}

/// The whole check: the chain, the head against the audit log, and every line against the
/// signed transaction the audit log records at that position; with the records key, the
/// audit log's and every ledger line's authentication too.
pub fn verify(home: &Home, key: Option<&RecordsKey>) -> Result<VerifyReport> {
    let nothing = LedgerQuery {
        payout_ids: Some(HashSet::new()),
        recipients: Some(HashSet::new()),
        since_ms: u64::MAX,
        txids: Some(HashSet::new()),
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
    let macs_checked = match key {
        Some(k) => {
            let check = check_log_authentication(home, k)?;
            check_ledger_macs(home, k, &check)?
        }
        None => 0,
    };
    Ok(VerifyReport {
        lines: ledger.head().lines,
        head: ledger.head().clone(),
        legacy: *ledger.chain() == ChainState::Legacy,
        authenticated: key.is_some(),
        macs_checked,
    })
}

/// Verifies the audit log's chain and authentication with the records key (refusing, with
/// the first bad line named, when it fails).
pub fn check_log_authentication(home: &Home, key: &RecordsKey) -> Result<audit::RecordsCheck> {
    let text = read_or_empty(&home.audit_path())?;
    audit::verify_records(&text, Some(key))
        .map_err(|(line, why)| SignerError::Refused(format!("audit log line {line}: {why}")))
}

/// Checks every ledger line's MAC: lines past the ledger head the upgrade line recorded must
/// carry one; earlier lines (signed before records were authenticated) may lack it. Returns
/// how many were checked.
fn check_ledger_macs(home: &Home, key: &RecordsKey, log: &audit::RecordsCheck) -> Result<usize> {
    let Some(upgraded_at) = log.upgraded_at else {
        return Ok(0);
    };
    let at_upgrade = audit_ledger_head_at(home, upgraded_at)?;
    let text = read_or_empty(&home.ledger_path())?;
    let mut checked = 0;
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let (_, mac) = crate::ledger::split_mac(line);
        match mac {
            Some(m) if key.ledger_mac_ok(&crate::ledger::line_hash(line), m) => checked += 1,
            Some(_) => {
                return Err(refuse(&format!(
                    "line {} does not authenticate with this home's records key (written without a wallet passphrase)",
                    n + 1
                )))
            }
            None if n as u64 >= at_upgrade => {
                return Err(refuse(&format!(
                    "line {} carries no authentication though it was written after the home's records were authenticated",
                    n + 1
                )))
            }
            None => {}
        }
    }
    Ok(checked)
}

/// The ledger line count the audit line `seq` states.
fn audit_ledger_head_at(home: &Home, seq: u64) -> Result<u64> {
    #[derive(Deserialize)]
    struct At {
        auth: audit::Auth,
    }
    let text = read_or_empty(&home.audit_path())?;
    let line = text
        .lines()
        .nth(usize::try_from(seq - 1).unwrap_or(usize::MAX))
        .unwrap_or("");
    let at: At = serde_json::from_str(line).map_err(|_| {
        SignerError::Refused(format!("audit line {seq} is not an authenticated line"))
    })?;
    Ok(at.auth.ledger.lines)
}

fn read_or_empty(path: &std::path::Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(SignerError::io(path, e)),
    }
}

/// Whether this home's records are authenticated: a wallet holds the records key (read from
/// the keystore headers, no passphrase needed; the field is bound into each keystore's
/// authenticated data, so removing it breaks the wallet).
pub fn home_is_authenticated(home: &Home) -> bool {
    home.keystores()
        .is_ok_and(|ks| ks.iter().any(|k| k.header.records_key.is_some()))
}

/// The home's records key from the wallets unlocked for this run. A wallet that does not hold
/// it yet is given it (when another unlocked wallet does). A home whose wallets hold none is
/// upgraded once: its ledger is checked in full against the audit log, a new key is sealed
/// into the unlocked wallets, and an authenticated `records-upgrade` audit line records the
/// ledger head it vouches for.
pub fn open_records_key(
    home: &Home,
    keystores: &[Keystore],
    opened: &[(usize, &WalletSecret, &WalletKey)],
) -> Result<RecordsKey> {
    let mut found: Option<RecordsKey> = None;
    for (ki, _, wk) in opened {
        if let Some(k) = keystores[*ki].records_key(wk)? {
            if found.as_ref().is_some_and(|f| f.id() != k.id()) {
                return Err(SignerError::Refused(format!(
                    "wallet {} holds another records key than the other wallets unlocked: the wallets come from different homes; nothing signed",
                    keystores[*ki].header.name
                )));
            }
            found = Some(k);
        }
    }
    let key = match found {
        Some(k) => k,
        None if keystores.iter().any(|k| k.header.records_key.is_some()) => {
            let holders: Vec<&str> = keystores
                .iter()
                .filter(|k| k.header.records_key.is_some())
                .map(|k| k.header.name.as_str())
                .collect();
            return Err(SignerError::Refused(format!(
                "the wallet(s) unlocked do not hold this home's records key, which {} hold(s): run `coldpay-signer keys share-records-key --from {} --to NAME` once to give it to a wallet added later; nothing signed",
                holders.join(", "),
                holders[0]
            )));
        }
        None => return upgrade(home, keystores, opened),
    };
    for (ki, secret, wk) in opened {
        let ks = &keystores[*ki];
        if ks.header.records_key.is_none() {
            ks.with_records_key(secret, wk, &key)?.write()?;
            eprintln!(
                "note: wallet {} now holds this home's records key",
                ks.header.name
            );
        }
    }
    Ok(key)
}

/// The one-time upgrade of a home written before records were authenticated.
fn upgrade(
    home: &Home,
    keystores: &[Keystore],
    opened: &[(usize, &WalletSecret, &WalletKey)],
) -> Result<RecordsKey> {
    let report = verify(home, None).map_err(|e| {
        SignerError::Refused(format!(
            "this home's records are to be authenticated now (once, at the first unlock), but they do not check out, so they are not vouched for: {e}"
        ))
    })?;
    let key = RecordsKey::generate()?;
    let wallets: Vec<&str> = opened
        .iter()
        .map(|(ki, _, _)| keystores[*ki].header.name.as_str())
        .collect();
    // The audit line first: should the wallets not be written, the next unlock upgrades
    // again with a new key (this line then verifies with none, and is not relied on).
    let a = audit::append_authenticated(
        &home.audit_path(),
        json!({
            "event": audit::UPGRADE_EVENT, "verdict": "upgraded", "time": now_ms(),
            "key_id": key.id(), "wallets": wallets, "ledger": report.head,
        }),
        &key,
        &report.head,
    )?;
    for (ki, secret, wk) in opened {
        keystores[*ki].with_records_key(secret, wk, &key)?.write()?;
    }
    eprintln!(
        "note: this home's records are now authenticated (records key {} sealed into wallet(s) {}; audit line {}): from now on only a wallet's passphrase holder can write ledger and audit lines the signer accepts",
        key.id(),
        wallets.join(", "),
        a.seq
    );
    Ok(key)
}

/// Before signing, with the records key: the last authenticated audit line verifies, and the
/// ledger loaded for the run ends at the head it states.
pub fn authenticate(home: &Home, key: &RecordsKey, ledger: &LedgerHead) -> Result<()> {
    let (seq, want) = audit::last_authenticated(&home.audit_path(), key)?;
    match compare_heads(ledger, &want, seq) {
        Some(why) => Err(refuse(&why)),
        None => Ok(()),
    }
}

/// As signing does before it writes records: the ledger agrees with the audit log (an
/// unchained ledger that matches it is converted first). For `policy enroll|apply`, which
/// write an authenticated line stating the ledger's head.
pub fn check_before_recording(home: &Home) -> Result<()> {
    let nothing = LedgerQuery {
        payout_ids: Some(HashSet::new()),
        recipients: Some(HashSet::new()),
        since_ms: u64::MAX,
        txids: Some(HashSet::new()),
    };
    open_ledger(home, &nothing).map(drop)
}

/// Whether the ledger agrees with the audit log's last recorded head (the check signing
/// makes), for `audit verify`.
pub fn quick_check(home: &Home) -> Result<()> {
    let nothing = LedgerQuery {
        payout_ids: Some(HashSet::new()),
        recipients: Some(HashSet::new()),
        since_ms: u64::MAX,
        txids: Some(HashSet::new()),
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
/// ledger head. With `key` (the records key its wallets hold) the records are authenticated
/// as an upgraded home's are: an upgrade line first, then MACs on every line. For the bench
/// and tests (a home with a month of history); the ledger must be empty.
#[doc(hidden)]
pub fn seed_signed_history(
    dir: &std::path::Path,
    entries: &[LedgerEntry],
    key: Option<&RecordsKey>,
) -> Result<()> {
    let ledger_path = dir.join("ledger.jsonl");
    let audit_path = dir.join("audit.log");
    let mut head = LedgerHead::empty();
    if let Some(k) = key {
        let line = json!({"event": audit::UPGRADE_EVENT, "verdict": "upgraded", "time": 0, "key_id": k.id(), "ledger": head});
        audit::append_authenticated(&audit_path, line, k, &head)?;
    }
    let mut bytes = Vec::new();
    for group in entries.chunk_by(|a, b| a.request_id == b.request_id) {
        let enc = crate::ledger::encode_after(&head, group, key);
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
        match key {
            Some(k) => {
                audit::append_authenticated(&audit_path, line, k, &head)?;
            }
            None => audit::append(&audit_path, line)?,
        }
    }
    std::fs::write(&ledger_path, &bytes).map_err(|e| SignerError::io(&ledger_path, e))
}
