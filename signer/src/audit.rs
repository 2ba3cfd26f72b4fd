//! The hash-chained audit log: one JSON line per signing or refusal. Each line carries the
//! sha256 of the previous line (`prev`) and of its own content (`hash`), and a sequence number,
//! so `audit verify` finds the first edited, deleted or reordered line.

use std::fs::OpenOptions;
use std::io::{BufRead, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use coldpay_shared::handoff::AuditHead;

use crate::error::{Result, SignerError};
use crate::ledger::LedgerHead;
use crate::records_key::RecordsKey;
use serde::{Deserialize, Serialize};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The key of an authenticated line's [`Auth`]; it sorts before every other key of a line.
const AUTH: &str = "auth";

/// What an authenticated line adds (as its first key, `auth`): the ledger's head once the
/// line is written — its line count is the running count of signed transactions — and the
/// HMAC of the line's hash and that head under the home's records key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// The ledger head after this line (`lines`: transactions signed so far).
    pub ledger: LedgerHead,
    /// HMAC-SHA256 (hex) of the line's hash and `ledger` under the records key.
    pub mac: String,
}

impl Auth {
    fn new(key: &RecordsKey, hash: &str, ledger: &LedgerHead) -> Auth {
        Auth {
            ledger: ledger.clone(),
            mac: key.audit_mac(hash, &ledger.hash, ledger.lines),
        }
    }

    /// Whether the MAC is this key's for `hash` (constant time).
    pub fn verifies(&self, key: &RecordsKey, hash: &str) -> bool {
        key.audit_mac_ok(hash, &self.ledger.hash, self.ledger.lines, &self.mac)
    }
}

/// The sha256 of a line's content: every field but `hash` and `auth` (the MAC covers the hash).
fn line_hash(obj: &Map<String, Value>) -> String {
    let mut o = obj.clone();
    o.remove("hash");
    o.remove(AUTH);
    hex::encode(Sha256::digest(
        serde_json::to_vec(&Value::Object(o)).expect("json"),
    ))
}

/// Reads a file's non-blank lines from the last to the first (each without trailing
/// whitespace), in blocks from its end, until `visit` returns `Some`: appending to a long log
/// reads only its last line.
fn scan_back<T>(
    path: &Path,
    mut visit: impl FnMut(&[u8]) -> Result<Option<T>>,
) -> Result<Option<T>> {
    use std::io::{Seek, SeekFrom};
    const BLOCK: u64 = 256 * 1024;
    let io = |e| SignerError::io(path, e);
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut pos = f.metadata().map_err(io)?.len();
    // The bytes after the last newline seen so far: the end part of a line.
    let mut carry: Vec<u8> = Vec::new();
    while pos > 0 {
        let step = BLOCK.min(pos);
        pos -= step;
        let mut buf = vec![0u8; usize::try_from(step).expect("block fits in memory")];
        f.seek(SeekFrom::Start(pos)).map_err(io)?;
        f.read_exact(&mut buf).map_err(io)?;
        buf.extend_from_slice(&carry);
        let mut end = buf.len();
        while let Some(nl) = buf[..end].iter().rposition(|b| *b == b'\n') {
            if let Some(t) = visit_line(&buf[nl + 1..end], &mut visit)? {
                return Ok(Some(t));
            }
            end = nl;
        }
        buf.truncate(end);
        carry = buf;
    }
    visit_line(&carry, &mut visit)
}

fn visit_line<T>(
    line: &[u8],
    visit: &mut impl FnMut(&[u8]) -> Result<Option<T>>,
) -> Result<Option<T>> {
    let trimmed = line.trim_ascii_end();
    if trimmed.is_empty() {
        return Ok(None);
    }
    visit(trimmed)
}

/// The last non-blank line of a file (without trailing whitespace).
fn last_line(path: &Path) -> Result<Option<Vec<u8>>> {
    scan_back(path, |l| Ok(Some(l.to_vec())))
}

/// The two fields of the last line that the next line chains to.
struct ChainTail {
    hash: String,
    seq: u64,
}

/// Reads `hash` and `seq` and skips the rest. A repeated key keeps its last value, whatever
/// the type of the earlier ones, as `serde_json::Value` (and so [`verify`]) does: a line that
/// verifies can be chained to.
impl<'de> serde::Deserialize<'de> for ChainTail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ChainTail;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an audit line (a JSON object with hash and seq)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<ChainTail, A::Error> {
                use serde::de::Error;
                // Earlier values of a repeated key may have any type: only the last counts.
                let (mut hash, mut seq) = (None, None);
                while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    match k.as_ref() {
                        "hash" => hash = Some(m.next_value::<Value>()?),
                        "seq" => seq = Some(m.next_value::<Value>()?),
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                let hash = hash.ok_or_else(|| A::Error::missing_field("hash"))?;
                let seq = seq.ok_or_else(|| A::Error::missing_field("seq"))?;
                Ok(ChainTail {
                    hash: hash
                        .as_str()
                        .ok_or_else(|| A::Error::custom("hash is not a string"))?
                        .to_string(),
                    seq: seq
                        .as_u64()
                        .ok_or_else(|| A::Error::custom("seq is not a whole number"))?,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads the last line's hash and sequence number.
fn tail(path: &Path) -> Result<(String, u64)> {
    match last_line(path)? {
        // Only `hash` and `seq` are decoded; the rest (thousands of transactions) is skipped.
        Some(l) => {
            let t: ChainTail = serde_json::from_slice(&l).map_err(|e| {
                SignerError::Other(format!(
                    "{}: last line unreadable ({e}); run `audit verify`",
                    path.display()
                ))
            })?;
            Ok((t.hash, t.seq))
        }
        None => Ok((GENESIS.to_string(), 0)),
    }
}

/// One event chained to the current end of the log, serialised and ready to append.
pub struct Prepared {
    line: Vec<u8>,
    head: AuditHead,
}

/// The hash of line 1, which names the log (and so the signer home) in an [`AuditHead`]:
/// `own_hash` when the line about to be written is line 1.
fn log_id(path: &Path, seq: u64, own_hash: &str) -> Result<String> {
    if seq == 1 {
        return Ok(own_hash.to_string());
    }
    let f = std::fs::File::open(path).map_err(|e| SignerError::io(path, e))?;
    let mut first = Vec::new();
    std::io::BufReader::new(f)
        .read_until(b'\n', &mut first)
        .map_err(|e| SignerError::io(path, e))?;
    let t: ChainTail = serde_json::from_slice(first.trim_ascii_end()).map_err(|_| {
        SignerError::Other(format!(
            "{}: line 1 unreadable; run `coldpay-signer audit verify`",
            path.display()
        ))
    })?;
    Ok(t.hash)
}

/// Serialises a finished line and notes the head it makes.
fn finish(path: &Path, mut line: Vec<u8>, seq: u64, hash: String) -> Result<Prepared> {
    line.push(b'\n');
    let log = log_id(path, seq, &hash)?;
    Ok(Prepared {
        line,
        head: AuditHead { log, seq, hash },
    })
}

/// Chains `event` (an object) to the log's last line and serialises it, without writing;
/// authenticated (an [`Auth`] stating `ledger`) when `auth` is given. Nothing else may append
/// in between: the signer holds the home lock while it does this.
fn prepare(
    path: &Path,
    event: Value,
    auth: Option<(&RecordsKey, &LedgerHead)>,
) -> Result<Prepared> {
    let (prev, seq) = tail(path)?;
    let mut obj = match event {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("event".into(), other);
            m
        }
    };
    obj.insert("seq".into(), json!(seq + 1));
    obj.insert("prev".into(), json!(prev));
    obj.remove(AUTH);
    let h = hex::encode(Sha256::digest(serde_json::to_vec(&obj).expect("json")));
    obj.insert("hash".into(), json!(h));
    if let Some((key, ledger)) = auth {
        obj.insert(AUTH.into(), json!(Auth::new(key, &h, ledger)));
    }
    finish(path, serde_json::to_vec(&obj).expect("json"), seq + 1, h)
}

impl Prepared {
    /// The log's head once this line is appended: what a sign response carries.
    pub fn head(&self) -> AuditHead {
        self.head.clone()
    }

    /// Appends the line and fsyncs the log.
    pub fn commit(self, path: &Path) -> Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| SignerError::io(path, e))?;
        f.write_all(&self.line)
            .and_then(|()| f.sync_all())
            .map_err(|e| SignerError::io(path, e))
    }
}

/// Chains a typed event to the log's last line and serialises it, without writing.
/// `build(seq, prev, hash)` makes the line; it must serialise as an object with its keys in
/// sorted order — `seq`, `prev` and (when given) `hash` among them — because `verify`
/// recomputes the hash over the sorted serialisation without `hash`. This avoids building a
/// `serde_json::Value` tree for lines that carry thousands of transactions.
pub fn prepare_with<T: serde::Serialize>(
    path: &Path,
    build: impl Fn(u64, String, Option<String>) -> T,
) -> Result<Prepared> {
    prepare_typed(path, None, build)
}

/// As [`prepare_with`], and the line authenticated: an [`Auth`] stating `ledger` under `key`
/// is put first (its key sorts before all others; `build` must not make one).
pub fn prepare_with_auth<T: serde::Serialize>(
    path: &Path,
    key: &RecordsKey,
    ledger: &LedgerHead,
    build: impl Fn(u64, String, Option<String>) -> T,
) -> Result<Prepared> {
    prepare_typed(path, Some((key, ledger)), build)
}

fn prepare_typed<T: serde::Serialize>(
    path: &Path,
    auth: Option<(&RecordsKey, &LedgerHead)>,
    build: impl Fn(u64, String, Option<String>) -> T,
) -> Result<Prepared> {
    let (prev, seq) = tail(path)?;
    let seq = seq + 1;
    let unhashed = serde_json::to_vec(&build(seq, prev.clone(), None)).expect("json");
    let h = hex::encode(Sha256::digest(&unhashed));
    drop(unhashed);
    let mut line = serde_json::to_vec(&build(seq, prev, Some(h.clone()))).expect("json");
    if let Some((key, ledger)) = auth {
        let mut first = format!("{{\"{AUTH}\":").into_bytes();
        serde_json::to_writer(&mut first, &Auth::new(key, &h, ledger)).expect("json");
        first.push(b',');
        debug_assert!(line.starts_with(b"{\"") && &line[2..] > AUTH.as_bytes());
        first.extend_from_slice(&line[1..]);
        line = first;
    }
    finish(path, line, seq, h)
}

/// Appends one event (an object) to the log, chaining and fsyncing it before returning.
pub fn append(path: &Path, event: Value) -> Result<()> {
    prepare(path, event, None)?.commit(path)
}

/// Appends one event as [`append`] does and returns the log's new head.
pub fn append_with_head(path: &Path, event: Value) -> Result<AuditHead> {
    let p = prepare(path, event, None)?;
    let head = p.head();
    p.commit(path)?;
    Ok(head)
}

/// Appends one event authenticated under the records key, stating the ledger head `ledger`
/// (the records it makes: a signing, a rebuild, an upgrade); returns the log's new head.
pub fn append_authenticated(
    path: &Path,
    event: Value,
    key: &RecordsKey,
    ledger: &LedgerHead,
) -> Result<AuditHead> {
    let p = prepare(path, event, Some((key, ledger)))?;
    let head = p.head();
    p.commit(path)?;
    Ok(head)
}

/// The fields of an audit line that say what it records (the rest is skipped).
#[derive(serde::Deserialize)]
struct LedgerProbe {
    seq: u64,
    ledger: Option<LedgerHead>,
    auth: Option<Auth>,
    event: Option<Value>,
    verdict: Option<Value>,
}

/// The events that make records (besides any line stating a ledger head or a `signed`
/// verdict): after a home's upgrade, each must be authenticated.
const RECORDS_EVENTS: [&str; 3] = ["ledger-rebuild", "ledger-migrate", UPGRADE_EVENT];

/// The event of the line that starts a home's authenticated records.
pub const UPGRADE_EVENT: &str = "records-upgrade";

/// Whether a line (its fields) makes records: states a ledger head, says it signed, or is a
/// rebuild, conversion or upgrade.
fn is_records_claim(ledger: bool, event: Option<&Value>, verdict: Option<&Value>) -> bool {
    ledger
        || verdict.and_then(Value::as_str) == Some("signed")
        || event
            .and_then(Value::as_str)
            .is_some_and(|e| RECORDS_EVENTS.contains(&e))
}

fn probe(path: &Path, l: &[u8]) -> Result<LedgerProbe> {
    serde_json::from_slice(l).map_err(|_| {
        SignerError::Refused(format!(
            "{}: a line near the end is not an audit line; run `coldpay-signer audit verify`",
            path.display()
        ))
    })
}

/// "audit line N makes records without authentication …": a line only the passphrase holder
/// could have written that was written without the records key.
fn unauthenticated(seq: u64) -> SignerError {
    SignerError::Refused(format!(
        "audit line {seq} records a signing or a ledger head but carries no authentication: this home's records are authenticated, so it was not written by this signer with a wallet unlocked (the audit log was tampered with). Nothing is signed; see `coldpay-signer audit verify --unlock`"
    ))
}

/// The latest ledger head the log records (with the sequence number of the line recording
/// it), read backwards from the end: usually the last line or one of the last few. On a home
/// whose records are authenticated (`authenticated`), only an authenticated line's head
/// counts, and a line after it that makes records without authentication is refused.
pub fn last_ledger_head(path: &Path, authenticated: bool) -> Result<Option<(u64, LedgerHead)>> {
    scan_back(path, |l| {
        let p = probe(path, l)?;
        if let Some(a) = p.auth {
            return Ok(Some((p.seq, a.ledger)));
        }
        let claim = is_records_claim(p.ledger.is_some(), p.event.as_ref(), p.verdict.as_ref());
        if authenticated && claim {
            return Err(unauthenticated(p.seq));
        }
        Ok(p.ledger.map(|h| (p.seq, h)))
    })
}

/// The last authenticated line, checked with the records key: its content against its hash
/// and its MAC; lines after it may not make records. Returns its sequence number and the
/// ledger head it states. This is what `sign` checks after unlocking, before it signs.
pub fn last_authenticated(path: &Path, key: &RecordsKey) -> Result<(u64, LedgerHead)> {
    let found = scan_back(path, |l| {
        let p = probe(path, l)?;
        let Some(a) = p.auth else {
            if is_records_claim(p.ledger.is_some(), p.event.as_ref(), p.verdict.as_ref()) {
                return Err(unauthenticated(p.seq));
            }
            return Ok(None);
        };
        let obj: Map<String, Value> = serde_json::from_slice(l).map_err(|_| {
            SignerError::Refused(format!(
                "{}: audit line {} is not JSON",
                path.display(),
                p.seq
            ))
        })?;
        let h = line_hash(&obj);
        if obj.get("hash").and_then(Value::as_str) != Some(h.as_str()) || !a.verifies(key, &h) {
            return Err(SignerError::Refused(format!(
                "audit line {} does not authenticate with this home's records key (it was edited, or written without a wallet passphrase): the records cannot be trusted, so nothing is signed; see `coldpay-signer audit verify --unlock`",
                p.seq
            )));
        }
        Ok(Some((p.seq, a.ledger)))
    })?;
    found.ok_or_else(|| {
        SignerError::Refused(
            "this home's wallets hold a records key, but no line of the audit log is authenticated with it (the audit log was replaced or cut): nothing is signed; restore audit.log from a backup".into(),
        )
    })
}

/// A policy an authenticated audit line states (see [`last_policy_statement`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyStatement {
    /// The audit line's sequence number.
    pub line: u64,
    /// The sealed policy's sequence.
    pub seq: u64,
    /// The sealed policy's digest (hex).
    pub digest: String,
}

/// The fields of an audit line that state a sealed policy.
#[derive(serde::Deserialize)]
struct PolicyProbe {
    seq: u64,
    auth: Option<Auth>,
    policy_seq: Option<u64>,
    policy_digest: Option<String>,
}

/// The sealed policy the last authenticated line stating one names (a `policy-seal` line or
/// a signing), its MAC checked with the records key; lines without authentication are
/// passed over (anyone could have written them). `None` when no line states one.
pub fn last_policy_statement(path: &Path, key: &RecordsKey) -> Result<Option<PolicyStatement>> {
    scan_back(path, |l| {
        let p: PolicyProbe = serde_json::from_slice(l).map_err(|_| {
            SignerError::Refused(format!(
                "{}: a line is not an audit line; run `coldpay-signer audit verify`",
                path.display()
            ))
        })?;
        let (Some(a), Some(seq), Some(digest)) = (p.auth, p.policy_seq, p.policy_digest) else {
            return Ok(None);
        };
        let obj: Map<String, Value> = serde_json::from_slice(l).expect("parsed above");
        let h = line_hash(&obj);
        if obj.get("hash").and_then(Value::as_str) != Some(h.as_str()) || !a.verifies(key, &h) {
            return Err(SignerError::Refused(format!(
                "audit line {} states a sealed policy but does not authenticate with this home's records key (it was edited): nothing is signed; see `coldpay-signer audit verify --unlock`",
                p.seq
            )));
        }
        Ok(Some(PolicyStatement {
            line: p.seq,
            seq,
            digest,
        }))
    })
}

/// What [`verify_records`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordsCheck {
    /// Lines in the log.
    pub lines: usize,
    /// Every line's hash (line `n` at index `n - 1`).
    pub hashes: Vec<String>,
    /// The line that started authenticated records (the last upgrade line; with a key, the
    /// last one the key verifies), if any.
    pub upgraded_at: Option<u64>,
    /// The last authenticated line and the ledger head it states.
    pub last: Option<(u64, LedgerHead)>,
    /// MACs checked with the records key (0 without one).
    pub macs_checked: usize,
}

/// Verifies the chain as [`verify_text`] does, then the authentication: after the upgrade
/// line, every line that makes records must be authenticated, and with `key` every MAC from
/// the upgrade line on must verify (lines before it are bound to it by the hash chain).
/// Without a key only the form of the authentication is checked.
pub fn verify_records(
    text: &str,
    key: Option<&RecordsKey>,
) -> std::result::Result<RecordsCheck, (usize, String)> {
    let hashes = verify_lines(text)?;
    let lines: Vec<LedgerProbe> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|_| {
                (
                    i + 1,
                    "not an audit line the signer writes (seq, ledger, event or verdict of the wrong type)".to_string(),
                )
            })
        })
        .collect::<std::result::Result<_, _>>()?;
    let is_upgrade =
        |p: &LedgerProbe| p.event.as_ref().and_then(Value::as_str) == Some(UPGRADE_EVENT);
    let upgraded_at = lines.iter().zip(&hashes).rposition(|(p, h)| {
        is_upgrade(p)
            && p.auth
                .as_ref()
                .is_some_and(|a| key.is_none_or(|k| a.verifies(k, h)))
    });
    if key.is_some() && upgraded_at.is_none() && lines.iter().any(|p| p.auth.is_some()) {
        return Err((
            lines.iter().position(|p| p.auth.is_some()).unwrap_or(0) + 1,
            "authenticated with another records key than this home's (no upgrade line verifies with it)".into(),
        ));
    }
    let mut check = RecordsCheck {
        lines: hashes.len(),
        hashes: Vec::new(),
        upgraded_at: upgraded_at.map(|i| i as u64 + 1),
        last: None,
        macs_checked: 0,
    };
    if let Some(start) = upgraded_at {
        for (i, (p, h)) in lines.iter().zip(&hashes).enumerate().skip(start) {
            match (&p.auth, key) {
                (Some(a), Some(k)) if !a.verifies(k, h) => {
                    return Err((i + 1, "authentication fails: the line was not written by this home's signer with a wallet unlocked".into()));
                }
                (Some(a), k) => {
                    check.macs_checked += usize::from(k.is_some());
                    check.last = Some((p.seq, a.ledger.clone()));
                }
                (None, _)
                    if is_records_claim(
                        p.ledger.is_some(),
                        p.event.as_ref(),
                        p.verdict.as_ref(),
                    ) =>
                {
                    return Err((i + 1, "records a signing or a ledger head without authentication (written without a wallet passphrase, after the home's records were authenticated)".into()));
                }
                (None, _) => {}
            }
        }
    }
    check.hashes = hashes;
    Ok(check)
}

/// Verifies the chain; returns the number of lines, or the first bad line (1-based) and why.
pub fn verify(path: &Path) -> Result<std::result::Result<usize, (usize, String)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(0)),
        Err(e) => return Err(SignerError::io(path, e)),
    };
    Ok(verify_text(&text))
}

/// Verifies the chain of a log's text, as [`verify`] does for a file.
pub fn verify_text(text: &str) -> std::result::Result<usize, (usize, String)> {
    verify_lines(text).map(|h| h.len())
}

/// Verifies the chain of a file as [`verify`] does; returns every line's hash (line `n` at
/// index `n - 1`) and the file's text.
pub fn verify_hashes(
    path: &Path,
) -> Result<std::result::Result<(Vec<String>, String), (usize, String)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(SignerError::io(path, e)),
    };
    Ok(verify_lines(&text).map(|h| (h, text)))
}

fn verify_lines(text: &str) -> std::result::Result<Vec<String>, (usize, String)> {
    let mut prev = GENESIS.to_string();
    let mut hashes = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let lineno = i + 1;
        let v: Value = match serde_json::from_str(l) {
            Ok(v) => v,
            Err(e) => return Err((lineno, format!("not JSON: {e}"))),
        };
        let Some(obj) = v.as_object() else {
            return Err((lineno, "not a JSON object".into()));
        };
        if obj.get("seq").and_then(Value::as_u64) != Some(lineno as u64) {
            return Err((lineno, format!(
                "sequence number {} where {lineno} was expected (a line was deleted, inserted or reordered)",
                obj.get("seq").map_or("missing".into(), ToString::to_string)
            )));
        }
        if obj.get("prev").and_then(Value::as_str) != Some(prev.as_str()) {
            return Err((
                lineno,
                "prev does not match the hash of the line before (chain broken)".into(),
            ));
        }
        let h = line_hash(obj);
        if obj.get("hash").and_then(Value::as_str) != Some(h.as_str()) {
            return Err((
                lineno,
                "content does not match its hash (line edited)".into(),
            ));
        }
        if serde_json::to_string(obj).ok().as_deref() != Some(l.trim_end_matches(['\r'])) {
            return Err((
                lineno,
                "not in the form the signer writes (a repeated key, spacing or key order)".into(),
            ));
        }
        if let Some(why) = auth_form(obj) {
            return Err((lineno, why));
        }
        hashes.push(h.clone());
        prev = h;
    }
    Ok(hashes)
}

/// What is wrong with a line's `auth`, if it has one: its form (a ledger head and a 64-hex
/// MAC), and a `ledger` field of the line that states another head.
fn auth_form(obj: &Map<String, Value>) -> Option<String> {
    let a = obj.get(AUTH)?;
    let Ok(a) = serde_json::from_value::<Auth>(a.clone()) else {
        return Some("auth is not an authentication (a ledger head and a MAC)".into());
    };
    if a.mac.len() != 64 || !a.mac.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some("auth's MAC is not 64 hex digits".into());
    }
    match obj
        .get("ledger")
        .map(|l| serde_json::from_value::<LedgerHead>(l.clone()))
    {
        Some(Ok(l)) if l != a.ledger => {
            Some("auth states another ledger head than the line's ledger field".into())
        }
        _ => None,
    }
}

/// Parses `SEQ:HASH` (an audit head written down elsewhere).
pub fn parse_expect_head(s: &str) -> Result<(u64, String)> {
    let bad = || {
        SignerError::Usage(format!(
            "--expect-head {s:?}: use SEQ:HASH, e.g. 42:<64 hex digits> (from a sign response's audit_head)"
        ))
    };
    let (seq, hash) = s.split_once(':').ok_or_else(bad)?;
    let seq: u64 = seq.parse().map_err(|_| bad())?;
    let hash = hash.to_ascii_lowercase();
    if seq == 0 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((seq, hash))
}

/// Checks a written-down head against the verified line hashes: line `seq` exists and has
/// `hash`.
pub fn check_expected_head(hashes: &[String], seq: u64, hash: &str) -> Result<()> {
    let n = hashes.len() as u64;
    match usize::try_from(seq - 1).ok().and_then(|i| hashes.get(i)) {
        None => Err(SignerError::Refused(format!(
            "audit line {seq} (written down as {hash}) is missing: the log has only {n} line(s), so its tail was cut"
        ))),
        Some(h) if h != hash => Err(SignerError::Refused(format!(
            "audit line {seq} has hash {h}, not the {hash} written down: the log was rewritten from line {seq} or earlier"
        ))),
        Some(_) => Ok(()),
    }
}

/// The segment of the log from line `since` to its head, as a checked export.
pub fn export(path: &Path, since: u64) -> Result<coldpay_shared::audit_export::AuditExport> {
    let (hashes, text) = verify_hashes(path)?.map_err(|(line, why)| {
        SignerError::Refused(format!(
            "audit log broken at line {line}: {why}; nothing exported"
        ))
    })?;
    let n = hashes.len() as u64;
    if since == 0 || since > n {
        return Err(SignerError::Usage(format!(
            "--since {since}: the audit log has lines 1 to {n}"
        )));
    }
    let lines: Vec<&str> = text
        .lines()
        .skip(usize::try_from(since - 1).unwrap_or(usize::MAX))
        .collect();
    Ok(coldpay_shared::audit_export::AuditExport::build(
        &hashes[0], &lines,
    )?)
}

/// The hash and sequence number the next appended line chains to (the genesis hash and 0 for
/// an absent or empty log), read backwards from the end of the file as appending does.
pub fn head(path: &Path) -> Result<(String, u64)> {
    tail(path)
}

/// Lines with `time` ≥ `since_ms`.
pub fn show(path: &Path, since_ms: u64) -> Result<Vec<Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SignerError::io(path, e)),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["time"].as_u64().unwrap_or(0) >= since_ms)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(n: usize) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("audit.log");
        for i in 0..n {
            append(&p, json!({"time": i, "event": "sign", "verdict": "signed"})).unwrap();
        }
        (d, p)
    }

    #[test]
    fn last_line_is_found_from_the_end() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        assert_eq!(last_line(&p).unwrap(), None);
        std::fs::write(&p, "").unwrap();
        assert_eq!(last_line(&p).unwrap(), None);
        std::fs::write(&p, "one").unwrap();
        assert_eq!(last_line(&p).unwrap().unwrap(), b"one");
        std::fs::write(&p, "one\ntwo\n\n  \n").unwrap();
        assert_eq!(last_line(&p).unwrap().unwrap(), b"two");
        // Lines longer than the 64 KiB read block, and a boundary falling on a newline.
        let long = "x".repeat(200_000);
        std::fs::write(&p, format!("first\n{long}\n")).unwrap();
        assert_eq!(last_line(&p).unwrap().unwrap(), long.as_bytes());
        let exact = "y".repeat(64 * 1024 - 1);
        std::fs::write(&p, format!("first\n{exact}\n")).unwrap();
        assert_eq!(last_line(&p).unwrap().unwrap(), exact.as_bytes());
        std::fs::write(&p, format!("{long}\nlast")).unwrap();
        assert_eq!(last_line(&p).unwrap().unwrap(), b"last");
    }

    #[test]
    fn chain_continues_after_a_line_longer_than_a_block() {
        let (_d, p) = log_with(1);
        let big: Vec<Value> = (0..5000)
            .map(|i| json!({ "txid": format!("{i:064}") }))
            .collect();
        append(&p, json!({"event": "sign", "transactions": big})).unwrap();
        append(&p, json!({"event": "check"})).unwrap();
        assert!(std::fs::metadata(&p).unwrap().len() > 200_000);
        assert_eq!(verify(&p).unwrap(), Ok(3));
    }

    #[test]
    fn typed_lines_chain_like_value_lines() {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            event: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            hash: Option<String>,
            prev: String,
            seq: u64,
            transactions: Vec<u32>,
        }
        let (_d, p) = log_with(2);
        for _ in 0..2 {
            prepare_with(&p, |seq, prev, hash| Line {
                event: "sign",
                hash,
                prev,
                seq,
                transactions: vec![1, 2, 3],
            })
            .unwrap()
            .commit(&p)
            .unwrap();
        }
        append(&p, json!({"event": "check"})).unwrap();
        assert_eq!(verify(&p).unwrap(), Ok(5));
        // A struct whose keys are not in sorted order is caught by `verify`.
        #[derive(serde::Serialize)]
        struct Unsorted<'a> {
            seq: u64,
            prev: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            hash: Option<String>,
            event: &'a str,
        }
        prepare_with(&p, |seq, prev, hash| Unsorted {
            seq,
            prev,
            hash,
            event: "x",
        })
        .unwrap()
        .commit(&p)
        .unwrap();
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 6);
    }

    #[test]
    fn intact_log_verifies() {
        let (_d, p) = log_with(4);
        assert_eq!(verify(&p).unwrap(), Ok(4));
    }

    #[test]
    fn edit_delete_reorder_are_found() {
        let (_d, p) = log_with(4);
        let lines: Vec<String> = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        let write = |ls: &[String]| std::fs::write(&p, ls.join("\n") + "\n").unwrap();
        let mut edited = lines.clone();
        edited[2] = edited[2].replace("\"signed\"", "\"refused\"");
        write(&edited);
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 3);
        let mut deleted = lines.clone();
        deleted.remove(1);
        write(&deleted);
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 2);
        let mut reordered = lines.clone();
        reordered.swap(1, 2);
        write(&reordered);
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 2);
        let mut last = lines;
        last[3] = last[3].replace("\"time\":3", "\"time\":9");
        write(&last);
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 4);
    }

    #[test]
    fn repeated_keys_of_another_type_read_as_verify_reads_them() {
        // Found by the audit_verify fuzz target: the first `seq` is a string, the last a number.
        // `verify` refuses a line in any other form than the signer writes; the tail reader
        // still reads it as `serde_json::Value` would.
        let text = include_str!("../../fuzz/seeds/audit_verify/repeated-seq-of-another-type");
        let (line, why) = verify_text(text).unwrap_err();
        assert_eq!(line, 1);
        assert!(why.contains("repeated key"), "{why}");
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("audit.log");
        std::fs::write(&p, text).unwrap();
        let v: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(
            head(&p).unwrap(),
            (v["hash"].as_str().unwrap().to_string(), 1)
        );
    }

    #[test]
    fn a_repeated_key_reads_at_the_tail_as_verify_reads_it() {
        // JSON readers keep the last of repeated keys. The tail reader, which appending uses,
        // does too; `verify` refuses the line, which the signer never writes.
        let (_d, p) = log_with(2);
        let text = std::fs::read_to_string(&p).unwrap();
        let (hash, seq) = head(&p).unwrap();
        let (first, last) = text.trim_end().split_once('\n').unwrap();
        let last = last.replacen('{', "{\"seq\":9,\"hash\":\"x\",", 1);
        std::fs::write(&p, format!("{first}\n{last}\n")).unwrap();
        let (line, why) = verify(&p).unwrap().unwrap_err();
        assert_eq!(line, 2, "{why}");
        assert!(why.contains("repeated key"), "{why}");
        assert_eq!(head(&p).unwrap(), (hash.clone(), seq));
        // Spacing is refused the same way; a CRLF line end is not part of the line.
        let spaced = text.replacen("\"seq\":1", "\"seq\": 1", 1);
        std::fs::write(&p, &spaced).unwrap();
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 1);
        std::fs::write(&p, text.replace('\n', "\r\n")).unwrap();
        assert_eq!(verify(&p).unwrap(), Ok(2));
        assert_eq!(head(&p).unwrap(), (hash, seq));
    }
}
