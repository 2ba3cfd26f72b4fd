//! The signing ledger: one JSON line per signed transaction. It backs the rolling 24 h limits
//! and the refusal to sign a payout id twice.
//!
//! Lines are chained: each carries `prev`, the sha256 of the line before it (64 zeros for the
//! first), so an edited, deleted or reordered line breaks the chain. The *head* (line count and
//! hash of the last line) is recorded in every audit line that appends to the ledger, which is
//! how a cut tail or a deleted file is found (see `records`).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use coldpay_shared::U256;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, SignerError};
use crate::records_key::RecordsKey;

/// One signed transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// When it was signed (ms).
    pub time: u64,
    /// The request it came from.
    pub request_id: String,
    /// Payout id ("" for TronWeb input, which has none).
    pub payout_id: String,
    /// txID.
    pub txid: String,
    /// Token contract, or "TRX".
    pub token: String,
    /// Recipient.
    pub to: String,
    /// Amount in base units.
    pub amount: String,
    /// The transaction's expiration (ms).
    pub expiration: u64,
}

/// What the ledger remembers of a signed payout id (its latest signing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedPayout {
    /// When it was signed (ms).
    pub time: u64,
    /// The txID signed.
    pub txid: String,
    /// That transaction's expiration (ms).
    pub expiration: u64,
}

/// What the ledger remembers of a signed txID: when, and under which payout id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
    /// When it was signed (ms).
    pub time: u64,
    /// The payout id it was signed under ("" for none).
    pub payout_id: String,
}

/// One ledger line as read: strings borrowed from the file where they have no escapes.
#[derive(Deserialize)]
struct LineRef<'a> {
    time: u64,
    /// Required and checked, but not indexed.
    #[allow(dead_code)]
    #[serde(borrow)]
    request_id: Cow<'a, str>,
    #[serde(borrow)]
    payout_id: Cow<'a, str>,
    #[serde(borrow)]
    txid: Cow<'a, str>,
    #[serde(borrow)]
    token: Cow<'a, str>,
    #[serde(borrow)]
    to: Cow<'a, str>,
    #[serde(borrow)]
    amount: Cow<'a, str>,
    expiration: u64,
    /// sha256 of the line before (absent in ledgers written before lines were chained).
    #[serde(default, borrow)]
    prev: Option<Cow<'a, str>>,
    /// HMAC of the line's hash under the records key (absent before records were
    /// authenticated). Read so both readers accept it; checked by `records` with the key.
    #[allow(dead_code)]
    #[serde(default, borrow)]
    mac: Option<Cow<'a, str>>,
}

/// The hash of the line before the first: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a ledger ends: how many lines it has and the sha256 (hex) of the last one. The audit
/// log records it (as `"ledger": {"hash": …, "lines": …}`) each time lines are appended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerHead {
    /// sha256 of the last line (its bytes without the newline), or [`GENESIS`] when empty.
    pub hash: String,
    /// Number of (non-blank) lines.
    pub lines: u64,
}

impl LedgerHead {
    /// The head of an empty ledger.
    pub fn empty() -> Self {
        LedgerHead {
            hash: GENESIS.into(),
            lines: 0,
        }
    }
}

/// Whether the lines of a loaded ledger chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainState {
    /// Every line's `prev` is the hash of the line before (or the ledger is empty).
    Intact,
    /// No line carries `prev`: a ledger written before lines were chained.
    Legacy,
    /// The first line (1-based, counting non-blank lines) that does not chain, and why.
    Broken {
        /// Line number in the file.
        line: usize,
        /// What is wrong.
        why: String,
    },
}

/// The MAC field as the last field of a line: `,"mac":"` + 64 hex digits + `"}`.
const MAC_KEY: &str = ",\"mac\":\"";

/// Splits a line that ends with a well-formed MAC field into the bytes before that field
/// (without the closing brace) and the MAC; other lines come back whole, without a MAC.
pub fn split_mac(line: &str) -> (&str, Option<&str>) {
    let tail_len = MAC_KEY.len() + 64 + 2;
    let start = match line.len().checked_sub(tail_len) {
        Some(s) if line.is_char_boundary(s) => s,
        _ => return (line, None),
    };
    let (body, tail) = line.split_at(start);
    let mac = &tail[MAC_KEY.len()..MAC_KEY.len() + 64];
    if tail.starts_with(MAC_KEY)
        && tail.ends_with("\"}")
        && mac.bytes().all(|b| b.is_ascii_hexdigit())
    {
        (body, Some(mac))
    } else {
        (line, None)
    }
}

/// Hex sha256 of one line: of its bytes without the MAC field (so the hash chain does not
/// depend on the MAC, and lines written before MACs hash as they always did).
pub fn line_hash(line: &str) -> String {
    let mut h = Sha256::new();
    match split_mac(line) {
        (body, Some(_)) => {
            h.update(body.as_bytes());
            h.update(b"}");
        }
        (whole, None) => h.update(whole.as_bytes()),
    }
    hex::encode(h.finalize())
}

/// Reads a line in exactly the shape [`Ledger::encode`] writes — these keys in this order, no
/// whitespace, strings without escapes or control characters, plain integers — without going
/// through serde (a month of daily 10,000-payout batches is 300,000 lines to read on every
/// run). Anything else gives `None`, and the caller parses the line with serde, which reads
/// the same values or names the error.
fn parse_written_shape(line: &str) -> Option<LineRef<'_>> {
    struct Cur<'a> {
        s: &'a str,
    }
    impl<'a> Cur<'a> {
        fn lit(&mut self, l: &str) -> Option<()> {
            self.s = self.s.strip_prefix(l)?;
            Some(())
        }
        fn int(&mut self) -> Option<u64> {
            let end = self
                .s
                .bytes()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(self.s.len());
            let digits = &self.s[..end];
            if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
                return None;
            }
            self.s = &self.s[end..];
            digits.parse().ok()
        }
        fn string(&mut self) -> Option<&'a str> {
            let body = self.s.strip_prefix('"')?;
            let end = body
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)?;
            if body.as_bytes()[end] != b'"' {
                return None;
            }
            self.s = &body[end + 1..];
            Some(&body[..end])
        }
    }
    let mut c = Cur { s: line };
    let time = c.lit("{\"time\":").and_then(|()| c.int())?;
    let mut s = |key: &str| c.lit(key).and_then(|()| c.string());
    let request_id = s(",\"request_id\":")?;
    let payout_id = s(",\"payout_id\":")?;
    let txid = s(",\"txid\":")?;
    let token = s(",\"token\":")?;
    let to = s(",\"to\":")?;
    let amount = s(",\"amount\":")?;
    let expiration = c.lit(",\"expiration\":").and_then(|()| c.int())?;
    let prev = match c.lit(",\"prev\":") {
        Some(()) => Some(Cow::Borrowed(c.string()?)),
        None => None,
    };
    let mac = match c.lit(",\"mac\":") {
        Some(()) => Some(Cow::Borrowed(c.string()?)),
        None => None,
    };
    c.lit("}")?;
    c.s.is_empty().then_some(LineRef {
        time,
        request_id: Cow::Borrowed(request_id),
        payout_id: Cow::Borrowed(payout_id),
        txid: Cow::Borrowed(txid),
        token: Cow::Borrowed(token),
        to: Cow::Borrowed(to),
        amount: Cow::Borrowed(amount),
        expiration,
        prev,
        mac,
    })
}

/// Reads one ledger line both ways, for tests and fuzzing: the exact-shape reader (`None` when
/// the line is not in the shape [`Ledger::encode`] writes) and serde (its error as text). When
/// the first gives a record, the second must give the same one.
#[doc(hidden)]
pub fn read_line_both_ways(
    line: &str,
) -> (
    Option<LedgerEntry>,
    std::result::Result<LedgerEntry, String>,
) {
    let owned = |l: LineRef<'_>| LedgerEntry {
        time: l.time,
        request_id: l.request_id.into_owned(),
        payout_id: l.payout_id.into_owned(),
        txid: l.txid.into_owned(),
        token: l.token.into_owned(),
        to: l.to.into_owned(),
        amount: l.amount.into_owned(),
        expiration: l.expiration,
    };
    let fast = parse_written_shape(line).map(owned);
    let slow = serde_json::from_str::<LineRef<'_>>(line)
        .map(owned)
        .map_err(|e| e.to_string());
    (fast, slow)
}

/// A parsed line, as kept for indexing.
struct Parsed<'a> {
    line: LineRef<'a>,
    amount: U256,
}

/// Which part of the ledger a run needs. Every line is still read and checked; only the
/// matching ones are indexed, so a ledger of hundreds of thousands of lines costs one parallel
/// parse, not hundreds of thousands of map entries.
#[derive(Default)]
pub struct LedgerQuery<'q> {
    /// The payout ids to look up (`None`: all).
    pub payout_ids: Option<HashSet<&'q str>>,
    /// The recipients to look up (`None`: all).
    pub recipients: Option<HashSet<&'q str>>,
    /// Keep amounts signed after this time (ms) only.
    pub since_ms: u64,
    /// The txIDs (lower-case hex) to look up (`None`: all).
    pub txids: Option<HashSet<String>>,
}

/// The ledger file, indexed by payout id, recipient and asset as a [`LedgerQuery`] asked:
/// lookups outside the query answer as if the ledger did not hold them.
pub struct Ledger {
    path: PathBuf,
    since_ms: u64,
    payout_ids: Option<HashSet<String>>,
    wanted_recipients: Option<HashSet<String>>,
    wanted_txids: Option<HashSet<String>>,
    by_payout: HashMap<String, SignedPayout>,
    by_txid: HashMap<String, SignedTx>,
    recipients: HashSet<String>,
    /// Per asset ("TRX" or contract): (time, amount) of each signing, in file order.
    amounts: HashMap<String, Vec<(u64, U256)>>,
    head: LedgerHead,
    chain: ChainState,
}

/// Lines per parallel parsing task.
const CHUNK_LINES: usize = 8192;

/// What one parallel chunk found: the lines it keeps, and how its lines chain.
struct ChunkOut<'a> {
    keep: Vec<Parsed<'a>>,
    /// `prev` of the chunk's first line (`None`: absent).
    first_prev: Option<String>,
    /// Hash of the chunk's last line.
    last_hash: String,
    /// Lines with and without `prev`.
    chained: usize,
    /// First line inside the chunk whose `prev` is not the hash of the line before.
    broken: Option<usize>,
    /// First line without `prev`.
    missing: Option<usize>,
}

/// Lines signed by one [`Ledger::encode`] call, chained to the loaded head, and the head
/// after appending them.
pub struct Encoded {
    bytes: Vec<u8>,
    head: LedgerHead,
}

impl Encoded {
    /// The ledger head once these lines are appended (for the audit line recording them).
    pub fn head(&self) -> &LedgerHead {
        &self.head
    }

    /// The serialised lines.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// One line as written: the entry's fields in a fixed order, then `prev` (and, when the
/// records key is at hand, `mac` is appended after it).
#[derive(Serialize)]
struct Written<'a> {
    time: u64,
    request_id: &'a str,
    payout_id: &'a str,
    txid: &'a str,
    token: &'a str,
    to: &'a str,
    amount: &'a str,
    expiration: u64,
    prev: &'a str,
}

/// Serialises `new` as ledger lines chained to `head`, each authenticated with `key` when
/// given (a `mac` field: the HMAC of the line's hash); returns the bytes and the new head.
pub fn encode_after(head: &LedgerHead, new: &[LedgerEntry], key: Option<&RecordsKey>) -> Encoded {
    let mut bytes = Vec::with_capacity(new.len() * 440);
    let mut prev = head.hash.clone();
    for e in new {
        let start = bytes.len();
        serde_json::to_writer(
            &mut bytes,
            &Written {
                time: e.time,
                request_id: &e.request_id,
                payout_id: &e.payout_id,
                txid: &e.txid,
                token: &e.token,
                to: &e.to,
                amount: &e.amount,
                expiration: e.expiration,
                prev: &prev,
            },
        )
        .expect("serialisable");
        prev = hex::encode(Sha256::digest(&bytes[start..]));
        if let Some(k) = key {
            bytes.pop(); // the closing brace
            bytes.extend_from_slice(MAC_KEY.as_bytes());
            bytes.extend_from_slice(k.ledger_mac(&prev).as_bytes());
            bytes.extend_from_slice(b"\"}");
        }
        bytes.push(b'\n');
    }
    Encoded {
        bytes,
        head: LedgerHead {
            hash: prev,
            lines: head.lines + new.len() as u64,
        },
    }
}

impl Ledger {
    /// Loads the part of the ledger `query` asks for (empty if the file is absent) and checks
    /// how its lines chain (see [`Ledger::chain`]); a malformed line anywhere is an error
    /// naming it. This does not compare the ledger with the audit log: signing uses
    /// `records::open_ledger`, which does.
    pub fn load(path: &Path, query: &LedgerQuery<'_>) -> Result<Ledger> {
        let owned = |s: &Option<HashSet<&str>>| {
            s.as_ref().map(|s| {
                s.iter()
                    .map(|x| (*x).to_string())
                    .collect::<HashSet<String>>()
            })
        };
        let mut l = Ledger {
            path: path.to_path_buf(),
            since_ms: query.since_ms,
            payout_ids: owned(&query.payout_ids),
            wanted_recipients: owned(&query.recipients),
            wanted_txids: query.txids.clone(),
            by_payout: HashMap::new(),
            by_txid: HashMap::new(),
            recipients: HashSet::new(),
            amounts: HashMap::new(),
            head: LedgerHead::empty(),
            chain: ChainState::Intact,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(l),
            Err(e) => return Err(SignerError::io(path, e)),
        };
        // Lines are parsed and hashed in parallel chunks (numbered for error messages), then
        // indexed in file order so the latest signing of a payout id wins.
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        let chunks: Vec<ChunkOut<'_>> = lines
            .par_chunks(CHUNK_LINES)
            .map(|chunk| l.read_chunk(path, chunk))
            .collect::<Result<Vec<_>>>()?;
        l.head = LedgerHead {
            hash: chunks
                .last()
                .map_or_else(|| GENESIS.to_string(), |c| c.last_hash.clone()),
            lines: lines.len() as u64,
        };
        l.chain = chain_state(&lines, &chunks);
        for p in chunks.into_iter().flat_map(|c| c.keep) {
            l.index_one(&p.line, p.amount);
        }
        Ok(l)
    }

    /// Parses, hashes and filters one chunk of lines.
    fn read_chunk<'a>(&self, path: &Path, chunk: &[(usize, &'a str)]) -> Result<ChunkOut<'a>> {
        let mut out = ChunkOut {
            keep: Vec::new(),
            first_prev: None,
            last_hash: String::new(),
            chained: 0,
            broken: None,
            missing: None,
        };
        for (k, (i, line)) in chunk.iter().enumerate() {
            let p = parse_line(path, *i, line)?;
            let prev = p.line.prev.as_deref();
            out.chained += usize::from(prev.is_some());
            if prev.is_none() && out.missing.is_none() {
                out.missing = Some(*i);
            }
            if k == 0 {
                out.first_prev = prev.map(String::from);
            } else if out.broken.is_none() && prev.is_some_and(|h| h != out.last_hash) {
                out.broken = Some(*i);
            }
            out.last_hash = line_hash(line);
            if self.relevant(&p.line) {
                out.keep.push(p);
            }
        }
        Ok(out)
    }

    /// How the loaded lines chain: intact, a legacy (unchained) ledger, or the first break.
    pub fn chain(&self) -> &ChainState {
        &self.chain
    }

    /// The loaded ledger's head (line count and hash of the last line).
    pub fn head(&self) -> &LedgerHead {
        &self.head
    }

    fn wants_payout(&self, payout_id: &str) -> bool {
        !payout_id.is_empty()
            && self
                .payout_ids
                .as_ref()
                .is_none_or(|s| s.contains(payout_id))
    }

    fn wants_recipient(&self, to: &str) -> bool {
        self.wanted_recipients
            .as_ref()
            .is_none_or(|s| s.contains(to))
    }

    fn wants_txid(&self, txid: &str) -> bool {
        self.wanted_txids.as_ref().is_none_or(|s| s.contains(txid))
    }

    fn relevant(&self, e: &LineRef<'_>) -> bool {
        e.time > self.since_ms
            || self.wants_payout(&e.payout_id)
            || self.wants_recipient(&e.to)
            || self.wants_txid(&e.txid)
    }

    fn index_one(&mut self, e: &LineRef<'_>, amount: U256) {
        if self.wants_payout(&e.payout_id) {
            self.by_payout.insert(
                e.payout_id.to_string(),
                SignedPayout {
                    time: e.time,
                    txid: e.txid.to_string(),
                    expiration: e.expiration,
                },
            );
        }
        if self.wants_txid(&e.txid) {
            self.by_txid.insert(
                e.txid.to_string(),
                SignedTx {
                    time: e.time,
                    payout_id: e.payout_id.to_string(),
                },
            );
        }
        if self.wants_recipient(&e.to) && !self.recipients.contains(e.to.as_ref()) {
            self.recipients.insert(e.to.to_string());
        }
        if e.time <= self.since_ms {
            return;
        }
        match self.amounts.get_mut(e.token.as_ref()) {
            Some(v) => v.push((e.time, amount)),
            None => {
                self.amounts
                    .insert(e.token.to_string(), vec![(e.time, amount)]);
            }
        }
    }

    /// The latest signing of a payout id (one the query asked for).
    pub fn find_payout(&self, payout_id: &str) -> Option<&SignedPayout> {
        debug_assert!(self
            .payout_ids
            .as_ref()
            .is_none_or(|s| s.contains(payout_id)));
        self.by_payout.get(payout_id)
    }

    /// The latest signing of a txID (lower-case hex; one the query asked for), with any key
    /// and under any payout id.
    pub fn find_txid(&self, txid: &str) -> Option<&SignedTx> {
        debug_assert!(self.wants_txid(txid));
        self.by_txid.get(txid)
    }

    /// Sum signed for `token` ("TRX" or contract) after `since_ms` (no earlier than the
    /// query's `since_ms`).
    pub fn signed_since(&self, token: &str, since_ms: u64) -> U256 {
        debug_assert!(since_ms >= self.since_ms, "ledger loaded from a later time");
        self.amounts
            .get(token)
            .into_iter()
            .flatten()
            .filter(|(t, _)| *t > since_ms)
            .fold(U256::ZERO, |a, (_, b)| a.saturating_add(*b))
    }

    /// Whether this signer has paid `to` before (a recipient the query asked about).
    pub fn knows_recipient(&self, to: &str) -> bool {
        debug_assert!(self
            .wanted_recipients
            .as_ref()
            .is_none_or(|s| s.contains(to)));
        self.recipients.contains(to)
    }

    /// Serialises entries as ledger lines chained to the loaded head (see
    /// [`Ledger::append_encoded`]); [`Encoded::head`] is what the audit line records.
    pub fn encode(&self, new: &[LedgerEntry], key: Option<&RecordsKey>) -> Encoded {
        encode_after(&self.head, new, key)
    }

    /// Serialises entries as a ledger of their own, chained from the first line (tests, the
    /// bench, rebuilding).
    pub fn encode_fresh(new: &[LedgerEntry], key: Option<&RecordsKey>) -> Vec<u8> {
        encode_after(&LedgerHead::empty(), new, key).bytes
    }

    /// Appends lines made by [`Ledger::encode`] and fsyncs. The in-memory index is not
    /// updated: a run loads the ledger once, before it signs.
    pub fn append_encoded(&self, lines: &Encoded) -> Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(|e| SignerError::io(&self.path, e))?;
        f.write_all(&lines.bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| SignerError::io(&self.path, e))
    }
}

/// Joins the chunks' chain checks: every line chained and each `prev` the hash of the line
/// before, or no line chained at all (a legacy ledger).
fn chain_state(lines: &[(usize, &str)], chunks: &[ChunkOut<'_>]) -> ChainState {
    let chained: usize = chunks.iter().map(|c| c.chained).sum();
    if chained == 0 && !lines.is_empty() {
        return ChainState::Legacy;
    }
    let mut expect = GENESIS;
    for (n, c) in chunks.iter().enumerate() {
        let first_line = lines[n * CHUNK_LINES].0 + 1;
        if c.first_prev.as_deref() != Some(expect) {
            return ChainState::Broken {
                line: first_line,
                why: broken_why(c.first_prev.is_none(), n == 0),
            };
        }
        let missing = c.missing.map(|i| (i, true));
        let broken = c.broken.map(|i| (i, false));
        let first = [missing, broken].into_iter().flatten().min();
        if let Some((i, missing)) = first {
            return ChainState::Broken {
                line: i + 1,
                why: broken_why(missing, false),
            };
        }
        expect = &c.last_hash;
    }
    ChainState::Intact
}

fn broken_why(missing: bool, first: bool) -> String {
    match (missing, first) {
        (true, _) => "no chain hash (prev) among chained lines".into(),
        (false, true) => {
            "the first line does not start the chain (lines before it were deleted)".into()
        }
        (false, false) => {
            "prev is not the hash of the line before (a line was edited, deleted or reordered)"
                .into()
        }
    }
}

fn parse_line<'a>(path: &Path, index: usize, line: &'a str) -> Result<Parsed<'a>> {
    let bad = |why: String| {
        SignerError::Refused(format!(
            "{} line {}: {why}; run `coldpay-signer ledger rebuild` to reconstruct the ledger from the audit log",
            path.display(),
            index + 1
        ))
    };
    let line: LineRef<'a> = match parse_written_shape(line) {
        Some(l) => l,
        None => serde_json::from_str(line).map_err(|e| bad(json_why(&e)))?,
    };
    let amount = U256::from_str_radix(&line.amount, 10).map_err(|_| {
        bad(format!(
            "amount {:?} is not a base-unit integer",
            line.amount
        ))
    })?;
    Ok(Parsed { line, amount })
}

/// A serde error as a short reason without the library's wording of positions.
fn json_why(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => "not a ledger line (a field is missing or has the wrong type)".into(),
        Category::Syntax | Category::Eof => format!("not valid JSON (column {})", e.column()),
        Category::Io => "unreadable".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> RecordsKey {
        RecordsKey::fixed(9)
    }

    fn entry(i: u64, payout: &str, token: &str, to: &str, amount: &str) -> LedgerEntry {
        LedgerEntry {
            time: 1_000 + i,
            request_id: "r".into(),
            payout_id: payout.into(),
            txid: format!("{i:064x}"),
            token: token.into(),
            to: to.into(),
            amount: amount.into(),
            expiration: 5_000 + i,
        }
    }

    #[test]
    fn reload_indexes_across_chunks() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ledger.jsonl");
        let l = Ledger::load(&p, &LedgerQuery::default()).unwrap();
        // More lines than one parallel chunk; a payout id signed twice (the later wins);
        // ids with characters JSON escapes; blank lines.
        let n = CHUNK_LINES as u64 * 2 + 5;
        let mut all: Vec<LedgerEntry> = (0..n)
            .map(|i| {
                let token = if i % 3 == 0 { "TRX" } else { "TUSDT" };
                entry(i, &format!("p-{i}"), token, &format!("to-{}", i % 100), "7")
            })
            .collect();
        all.push(entry(n, "p-1", "TRX", "to-x", "1"));
        all.push(entry(n + 1, "quote\"back\\slash\u{e9}", "TRX", "to-y", "2"));
        l.append_encoded(&l.encode(&all[..10], Some(&key())))
            .unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"\n  \n")
            .unwrap();
        let l = Ledger::load(&p, &LedgerQuery::default()).unwrap();
        assert_eq!(l.head().lines, 10);
        l.append_encoded(&l.encode(&all[10..], Some(&key())))
            .unwrap();
        {
            let ledger = &Ledger::load(&p, &LedgerQuery::default()).unwrap();
            assert_eq!(*ledger.chain(), ChainState::Intact);
            assert_eq!(ledger.head().lines, n + 2);
            assert_eq!(ledger.find_payout("p-1").unwrap().time, 1_000 + n);
            assert_eq!(ledger.find_payout("p-1").unwrap().txid, format!("{n:064x}"));
            assert_eq!(ledger.find_payout("p-7").unwrap().expiration, 5_007);
            assert!(ledger.find_payout("quote\"back\\slash\u{e9}").is_some());
            assert!(ledger.find_payout("p-nope").is_none());
            assert!(ledger.knows_recipient("to-99") && ledger.knows_recipient("to-y"));
            assert!(!ledger.knows_recipient("to-100"));
            let trx = (0..n).filter(|i| i % 3 == 0).count() as u64 * 7 + 1 + 2;
            assert_eq!(ledger.signed_since("TRX", 0), U256::from(trx));
            // Only signings after the cut-off count.
            let late = (n - 10..n).filter(|i| i % 3 != 0).count() as u64 * 7;
            assert_eq!(
                ledger.signed_since("TUSDT", 1_000 + n - 11),
                U256::from(late)
            );
            assert_eq!(ledger.signed_since("TOTHER", 0), U256::ZERO);
        }
    }

    #[test]
    fn a_query_indexes_only_what_it_asks_for() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ledger.jsonl");
        let all = Ledger::load(&p, &LedgerQuery::default()).unwrap();
        all.append_encoded(&all.encode(
            &[
                entry(0, "a", "TRX", "x", "5"),
                entry(10, "b", "TRX", "y", "7"),
                entry(20, "a", "TUSDT", "z", "11"),
            ],
            None,
        ))
        .unwrap();
        let q = LedgerQuery {
            payout_ids: Some(["a", "c"].into_iter().collect()),
            recipients: Some(["y", "w"].into_iter().collect()),
            since_ms: 1_005,
            txids: Some(
                [format!("{:064x}", 10), format!("{:064x}", 99)]
                    .into_iter()
                    .collect(),
            ),
        };
        let l = Ledger::load(&p, &q).unwrap();
        assert_eq!(l.find_payout("a").unwrap().time, 1_020); // the later signing of "a"
        assert!(l.find_payout("c").is_none());
        assert!(l.knows_recipient("y") && !l.knows_recipient("w"));
        assert_eq!(l.signed_since("TRX", 1_005), U256::from(7u8)); // the 1_000 one is older
        assert_eq!(l.signed_since("TUSDT", 1_005), U256::from(11u8));
        assert_eq!(l.by_payout.len() + l.recipients.len(), 2);
        // Lines are found by txID whatever their payout id; only asked-for txIDs are indexed.
        let t = l.find_txid(&format!("{:064x}", 10)).unwrap();
        assert_eq!((t.time, t.payout_id.as_str()), (1_010, "b"));
        assert!(l.find_txid(&format!("{:064x}", 99)).is_none());
        assert_eq!(l.by_txid.len(), 1);
    }

    /// A ledger of `n` chained lines, as text lines.
    fn chained(n: u64) -> Vec<String> {
        let all: Vec<LedgerEntry> = (0..n).map(|i| entry(i, "p", "TRX", "t", "1")).collect();
        String::from_utf8(Ledger::encode_fresh(&all, None))
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    fn state_of(lines: &[String]) -> (ChainState, LedgerHead) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ledger.jsonl");
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        let l = Ledger::load(&p, &LedgerQuery::default()).unwrap();
        (l.chain().clone(), l.head().clone())
    }

    #[test]
    fn lines_chain_and_the_head_is_the_last_line_hash() {
        let lines = chained(CHUNK_LINES as u64 + 3);
        let (state, head) = state_of(&lines);
        assert_eq!(state, ChainState::Intact);
        assert_eq!(head.lines, CHUNK_LINES as u64 + 3);
        assert_eq!(head.hash, line_hash(lines.last().unwrap()));
        assert!(lines[0].ends_with(&format!(",\"prev\":\"{GENESIS}\"}}")));
        // Appending after a load continues the same chain.
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ledger.jsonl");
        std::fs::write(&p, lines[..5].join("\n") + "\n").unwrap();
        let l = Ledger::load(&p, &LedgerQuery::default()).unwrap();
        let enc = l.encode(&[entry(5, "p", "TRX", "t", "1")], None);
        assert_eq!(enc.as_bytes(), format!("{}\n", lines[5]).as_bytes());
        assert_eq!(enc.head().lines, 6);
    }

    #[test]
    fn edits_deletions_and_reorders_break_the_chain() {
        let n = CHUNK_LINES + 10;
        let lines = chained(n as u64);
        let broken_at = |ls: Vec<String>| match state_of(&ls).0 {
            ChainState::Broken { line, .. } => line,
            other => panic!("{other:?}"),
        };
        let mut edited = lines.clone();
        edited[3] = edited[3].replace("\"amount\":\"1\"", "\"amount\":\"2\"");
        assert_eq!(broken_at(edited), 5);
        // Across a chunk boundary.
        let mut deleted = lines.clone();
        deleted.remove(CHUNK_LINES);
        assert_eq!(broken_at(deleted), CHUNK_LINES + 1);
        let mut first_gone = lines.clone();
        first_gone.remove(0);
        assert_eq!(broken_at(first_gone), 1);
        let mut swapped = lines.clone();
        swapped.swap(7, 8);
        assert_eq!(broken_at(swapped), 8);
        // An unchained line among chained ones.
        let mut mixed = lines.clone();
        mixed[9] = mixed[9].split(",\"prev\"").next().unwrap().to_string() + "}";
        assert_eq!(broken_at(mixed), 10);
        // A cut tail still chains: only the head (compared with the audit log) shows it.
        let (state, head) = state_of(&lines[..n - 2]);
        assert_eq!(state, ChainState::Intact);
        assert_eq!(head.lines, n as u64 - 2);
    }

    #[test]
    fn unchained_ledgers_are_legacy() {
        let legacy: Vec<String> = chained(3)
            .iter()
            .map(|l| l.split(",\"prev\"").next().unwrap().to_string() + "}")
            .collect();
        let (state, head) = state_of(&legacy);
        assert_eq!(state, ChainState::Legacy);
        assert_eq!(head.lines, 3);
        assert_eq!(state_of(&[]).1, LedgerHead::empty());
    }

    fn fields(l: &LineRef<'_>) -> (u64, String, String, String, String, String, String, u64) {
        (
            l.time,
            l.request_id.to_string(),
            l.payout_id.to_string(),
            l.txid.to_string(),
            l.token.to_string(),
            l.to.to_string(),
            l.amount.to_string(),
            l.expiration,
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn written_shape_reads_like_serde(
            time in proptest::prelude::any::<u64>(),
            expiration in proptest::prelude::any::<u64>(),
            strings in proptest::collection::vec("(?s).{0,12}", 6),
            cut in 0usize..300,
            flip in proptest::prelude::any::<(usize, u8)>(),
        ) {
            let e = LedgerEntry {
                time,
                request_id: strings[0].clone(),
                payout_id: strings[1].clone(),
                txid: strings[2].clone(),
                token: strings[3].clone(),
                to: strings[4].clone(),
                amount: strings[5].clone(),
                expiration,
            };
            let enc = String::from_utf8(Ledger::encode_fresh(&[e], None)).unwrap();
            let line = enc.trim_end_matches('\n');
            // As written: the fast reader, when it accepts, agrees with serde.
            let cut = (0..=cut.min(line.len())).rev().find(|i| line.is_char_boundary(*i)).unwrap();
            let mut variants = vec![line.to_string(), line[..cut].to_string()];
            // And on damaged lines: a truncation, a byte changed.
            let mut bytes = line.as_bytes().to_vec();
            let i = flip.0 % bytes.len();
            bytes[i] = flip.1;
            if let Ok(s) = String::from_utf8(bytes) {
                variants.push(s);
            }
            for v in variants {
                if let Some(fast) = parse_written_shape(&v) {
                    let slow: LineRef<'_> = serde_json::from_str(&v).expect("serde accepts what the fast reader does");
                    proptest::prop_assert_eq!(fields(&fast), fields(&slow));
                }
            }
            // Lines without escapes in their strings take the fast path.
            if strings.iter().all(|s| !s.contains(['"', '\\']) && !s.chars().any(|c| c < ' ')) {
                proptest::prop_assert!(parse_written_shape(line).is_some());
            }
        }
    }

    #[test]
    fn a_malformed_line_is_named() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ledger.jsonl");
        let good = String::from_utf8(Ledger::encode_fresh(
            &[entry(1, "a", "TRX", "t", "1")],
            None,
        ))
        .unwrap();
        let mut text = good.repeat(CHUNK_LINES + 3);
        text.push_str("{\"time\":1}\n");
        text.push_str(&good);
        std::fs::write(&p, &text).unwrap();
        let e = Ledger::load(&p, &LedgerQuery::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(&format!("line {}", CHUNK_LINES + 4)), "{e}");
        let bad_amount = good.replace("\"amount\":\"1\"", "\"amount\":\"1.5\"");
        std::fs::write(&p, format!("{good}{bad_amount}")).unwrap();
        let e = Ledger::load(&p, &LedgerQuery::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("not a base-unit integer"),
            "{e}"
        );
    }
}
