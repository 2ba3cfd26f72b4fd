//! The signing ledger: one JSON line per signed transaction. It backs the rolling 24 h limits
//! and the refusal to sign a payout id twice.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use coldpay_shared::U256;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SignerError};

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
}

/// The ledger file, indexed by payout id, recipient and asset as a [`LedgerQuery`] asked:
/// lookups outside the query answer as if the ledger did not hold them.
pub struct Ledger {
    path: PathBuf,
    since_ms: u64,
    payout_ids: Option<HashSet<String>>,
    wanted_recipients: Option<HashSet<String>>,
    by_payout: HashMap<String, SignedPayout>,
    recipients: HashSet<String>,
    /// Per asset ("TRX" or contract): (time, amount) of each signing, in file order.
    amounts: HashMap<String, Vec<(u64, U256)>>,
}

/// Lines per parallel parsing task.
const CHUNK_LINES: usize = 8192;

impl Ledger {
    /// Loads the part of the ledger `query` asks for (empty if the file is absent); a
    /// malformed line anywhere is an error naming it.
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
            by_payout: HashMap::new(),
            recipients: HashSet::new(),
            amounts: HashMap::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(l),
            Err(e) => return Err(SignerError::io(path, e)),
        };
        // Lines are parsed in parallel chunks (numbered for error messages), then indexed in
        // file order so the latest signing of a payout id wins.
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        // Every line is parsed and checked; only the ones the query is about are kept.
        let chunks: Vec<Vec<Parsed<'_>>> = lines
            .par_chunks(CHUNK_LINES)
            .map(|chunk| {
                let mut keep = Vec::new();
                for (i, line) in chunk {
                    let p = parse_line(path, *i, line)?;
                    if l.relevant(&p.line) {
                        keep.push(p);
                    }
                }
                Ok(keep)
            })
            .collect::<Result<Vec<_>>>()?;
        for p in chunks.into_iter().flatten() {
            l.index_one(&p.line, p.amount);
        }
        Ok(l)
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

    fn relevant(&self, e: &LineRef<'_>) -> bool {
        e.time > self.since_ms || self.wants_payout(&e.payout_id) || self.wants_recipient(&e.to)
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

    /// Serialises entries as ledger lines (see [`Ledger::append_encoded`]).
    pub fn encode(new: &[LedgerEntry]) -> Vec<u8> {
        let mut buf = Vec::with_capacity(new.len() * 280);
        for e in new {
            serde_json::to_writer(&mut buf, e).expect("serialisable");
            buf.push(b'\n');
        }
        buf
    }

    /// Appends lines made by [`Ledger::encode`] and fsyncs. The in-memory index is not
    /// updated: a run loads the ledger once, before it signs.
    pub fn append_encoded(&self, bytes: &[u8]) -> Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(|e| SignerError::io(&self.path, e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| SignerError::io(&self.path, e))
    }
}

fn parse_line<'a>(path: &Path, index: usize, line: &'a str) -> Result<Parsed<'a>> {
    let bad =
        |why: String| SignerError::Other(format!("{} line {}: {why}", path.display(), index + 1));
    let line: LineRef<'a> = match parse_written_shape(line) {
        Some(l) => l,
        None => serde_json::from_str(line).map_err(|e| bad(e.to_string()))?,
    };
    let amount = U256::from_str_radix(&line.amount, 10).map_err(|_| {
        bad(format!(
            "amount {:?} is not a base-unit integer",
            line.amount
        ))
    })?;
    Ok(Parsed { line, amount })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        l.append_encoded(&Ledger::encode(&all[..10])).unwrap();
        l.append_encoded(b"\n  \n").unwrap();
        l.append_encoded(&Ledger::encode(&all[10..])).unwrap();
        {
            let ledger = &Ledger::load(&p, &LedgerQuery::default()).unwrap();
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
        all.append_encoded(&Ledger::encode(&[
            entry(0, "a", "TRX", "x", "5"),
            entry(10, "b", "TRX", "y", "7"),
            entry(20, "a", "TUSDT", "z", "11"),
        ]))
        .unwrap();
        let q = LedgerQuery {
            payout_ids: Some(["a", "c"].into_iter().collect()),
            recipients: Some(["y", "w"].into_iter().collect()),
            since_ms: 1_005,
        };
        let l = Ledger::load(&p, &q).unwrap();
        assert_eq!(l.find_payout("a").unwrap().time, 1_020); // the later signing of "a"
        assert!(l.find_payout("c").is_none());
        assert!(l.knows_recipient("y") && !l.knows_recipient("w"));
        assert_eq!(l.signed_since("TRX", 1_005), U256::from(7u8)); // the 1_000 one is older
        assert_eq!(l.signed_since("TUSDT", 1_005), U256::from(11u8));
        assert_eq!(l.by_payout.len() + l.recipients.len(), 2);
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
            let enc = String::from_utf8(Ledger::encode(&[e])).unwrap();
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
        let good = String::from_utf8(Ledger::encode(&[entry(1, "a", "TRX", "t", "1")])).unwrap();
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
