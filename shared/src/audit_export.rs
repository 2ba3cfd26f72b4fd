//! The signer's audit export (signer → broadcaster): a segment of the hash-chained audit log,
//! lines verbatim, from a sequence number to the head. The online side reads it to check that
//! every txID the signer signed is accounted for, and that the audit heads the sign responses
//! carried are lines of this log. See docs/formats.md ("Audit export").
//!
//! Parsing re-checks the chain: each line's hash over its content, each `prev` against the
//! line before, consecutive sequence numbers from `since`, and the stated head.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::handoff::AuditHead;
use crate::transaction::TxId;

/// `format` value of an audit export.
pub const AUDIT_EXPORT_FORMAT: &str = "coldpay-audit-export";
/// The audit export version this code reads and writes.
pub const AUDIT_EXPORT_VERSION: u32 = 1;
/// The `prev` of line 1.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn bad(msg: impl Into<String>) -> Error {
    Error::Handoff(format!("audit export: {}", msg.into()))
}

/// One audit line of an export, with the fields the online side uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLine {
    /// Sequence number (1 = first line of the log).
    pub seq: u64,
    /// sha256 (hex) of the line without its `hash` key, keys sorted.
    pub hash: String,
    /// `hash` of the line before.
    pub prev: String,
    /// When it was written (ms since the epoch).
    pub time: u64,
    /// `sign`, `check`, `ledger-rebuild`, … (`None` if absent).
    pub event: Option<String>,
    /// `signed`, `refused`, `allowed`, … (`None` if absent).
    pub verdict: Option<String>,
    /// The request the line is about, if any.
    pub request_id: Option<String>,
    /// The txIDs the line lists (for a signing: the txIDs signed).
    pub txids: Vec<TxId>,
    /// The line exactly as in the log.
    pub text: String,
}

impl AuditLine {
    /// Whether this line records a signing (`event` = `sign`, `verdict` = `signed`).
    pub fn is_signing(&self) -> bool {
        records_signing(self.event.as_deref(), self.verdict.as_deref())
    }

    /// This line as an audit head of `log`.
    pub fn head(&self, log: &str) -> AuditHead {
        AuditHead {
            log: log.to_string(),
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }
}

/// Whether an audit line's `event` and `verdict` record a signing.
fn records_signing(event: Option<&str>, verdict: Option<&str>) -> bool {
    event == Some("sign") && verdict == Some("signed")
}

/// What an audit line records, with its transactions read as `T`: each reader of the log
/// (this export, the signer's ledger rebuild) takes the transaction fields it needs.
#[derive(Deserialize)]
pub struct AuditEvent<T> {
    /// When it was written (ms since the epoch; 0 if absent).
    #[serde(default)]
    pub time: u64,
    /// `sign`, `check`, `ledger-rebuild`, … (`None` if absent).
    pub event: Option<String>,
    /// `signed`, `refused`, `allowed`, … (`None` if absent).
    pub verdict: Option<String>,
    /// The request the line is about, if any.
    pub request_id: Option<String>,
    /// The transactions the line lists (none if absent).
    #[serde(default = "Vec::new")]
    pub transactions: Vec<T>,
}

impl<T> AuditEvent<T> {
    /// Whether this line records a signing (`event` = `sign`, `verdict` = `signed`).
    pub fn is_signing(&self) -> bool {
        records_signing(self.event.as_deref(), self.verdict.as_deref())
    }
}

/// The typed fields read from a line (others are kept only in `text`).
#[derive(Deserialize)]
struct LineFields {
    seq: u64,
    hash: String,
    prev: String,
    #[serde(flatten)]
    what: AuditEvent<TxField>,
}

#[derive(Deserialize)]
struct TxField {
    txid: String,
}

/// Reads one verbatim line and checks its hash over its content.
fn read_line(text: &str) -> Result<AuditLine> {
    let v = crate::strict_json::parse(text).map_err(|e| bad(format!("a line is not JSON: {e}")))?;
    let Value::Object(obj) = v else {
        return Err(bad("a line is not a JSON object"));
    };
    let f = LineFields::deserialize(Value::Object(obj.clone())).map_err(|e| {
        bad(format!(
            "a line lacks seq, hash or prev, or has one of the wrong type ({e})"
        ))
    })?;
    if content_hash(obj) != f.hash {
        return Err(bad(format!(
            "line {}: content does not match its hash (edited)",
            f.seq
        )));
    }
    let txids = f
        .what
        .transactions
        .iter()
        .map(|t| TxId::from_hex(&t.txid))
        .collect::<Result<Vec<_>>>()
        .map_err(|e| bad(format!("line {}: {e}", f.seq)))?;
    Ok(AuditLine {
        seq: f.seq,
        hash: f.hash,
        prev: f.prev,
        time: f.what.time,
        event: f.what.event,
        verdict: f.what.verdict,
        request_id: f.what.request_id,
        txids,
        text: text.to_string(),
    })
}

/// The signer's line hash: sha256 of the compact JSON of the line without `hash`, keys sorted.
/// The hash over a line's content: every field but `hash` and `auth` (the signer's MAC over
/// the hash, which only the signer home can check).
fn content_hash(mut obj: Map<String, Value>) -> String {
    obj.remove("hash");
    obj.remove("auth");
    hex::encode(Sha256::digest(
        serde_json::to_vec(&Value::Object(obj)).expect("json"),
    ))
}

/// A checked audit export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditExport {
    /// Hash of line 1 of the log: names the signer home.
    pub log: String,
    /// Sequence number of the first line carried.
    pub since: u64,
    /// The log's head when exported (its last line).
    pub head: AuditHead,
    /// The lines from `since` to the head, in order.
    pub lines: Vec<AuditLine>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportJson {
    format: String,
    version: u32,
    log: String,
    since: u64,
    head: AuditHead,
    lines: Vec<String>,
}

impl AuditExport {
    /// Builds an export from consecutive verbatim lines of the log named `log`, checking
    /// their chain; the head is the last line.
    pub fn build(log: &str, lines: &[&str]) -> Result<Self> {
        let lines = lines
            .iter()
            .map(|l| read_line(l))
            .collect::<Result<Vec<_>>>()?;
        let last = lines.last().ok_or_else(|| bad("no lines"))?;
        let e = AuditExport {
            log: log.to_string(),
            since: lines[0].seq,
            head: last.head(log),
            lines,
        };
        e.check_chain()?;
        Ok(e)
    }

    /// Parses the JSON text of an export and checks its chain and head.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let v = crate::strict_json::parse(text).map_err(|e| bad(e.to_string()))?;
        let format = v.get("format").and_then(Value::as_str);
        if format != Some(AUDIT_EXPORT_FORMAT) {
            return Err(bad(format!(
                "format must be {AUDIT_EXPORT_FORMAT:?}, got {:?}",
                format.unwrap_or("<missing>")
            )));
        }
        let j = ExportJson::deserialize(&v).map_err(|e| bad(e.to_string()))?;
        if j.version != AUDIT_EXPORT_VERSION {
            return Err(bad(format!(
                "unsupported version {} (this build reads version {AUDIT_EXPORT_VERSION})",
                j.version
            )));
        }
        let refs: Vec<&str> = j.lines.iter().map(String::as_str).collect();
        let built = AuditExport::build(&j.log, &refs)?;
        if built.since != j.since {
            return Err(bad(format!(
                "since is {} but the first line is {}",
                j.since, built.since
            )));
        }
        if built.head != j.head {
            return Err(bad(format!(
                "the stated head (line {}) is not the last line carried (line {})",
                j.head.seq, built.head.seq
            )));
        }
        Ok(built)
    }

    /// The export as pretty JSON text (what `coldpay-signer audit export` writes).
    pub fn to_json_pretty(&self) -> Vec<u8> {
        let j = ExportJson {
            format: AUDIT_EXPORT_FORMAT.into(),
            version: AUDIT_EXPORT_VERSION,
            log: self.log.clone(),
            since: self.since,
            head: self.head.clone(),
            lines: self.lines.iter().map(|l| l.text.clone()).collect(),
        };
        let mut out = serde_json::to_vec_pretty(&j).expect("serialisable");
        out.push(b'\n');
        out
    }

    /// The lines recording signings, in order.
    pub fn signings(&self) -> impl Iterator<Item = &AuditLine> {
        self.lines.iter().filter(|l| l.is_signing())
    }

    /// Line `seq`, if the export carries it.
    pub fn line(&self, seq: u64) -> Option<&AuditLine> {
        let i = seq.checked_sub(self.since)?;
        self.lines.get(usize::try_from(i).ok()?)
    }

    /// Checks that `head` (from a sign response) is a line of this export's log: same log,
    /// and the line it names is carried with that hash. A head past the export's own head
    /// means the export is older than that response (or the log's tail was cut).
    pub fn check_head(&self, head: &AuditHead) -> Result<()> {
        if head.log != self.log {
            return Err(bad(format!(
                "audit head of another log ({}…, this export is of {}…)",
                short(&head.log),
                short(&self.log)
            )));
        }
        if head.seq > self.head.seq {
            return Err(bad(format!(
                "audit line {} is past this export's head (line {}): the export is older than that response, or the log's tail was cut",
                head.seq, self.head.seq
            )));
        }
        match self.line(head.seq) {
            None => Err(bad(format!(
                "audit line {} is before this export (it starts at line {})",
                head.seq, self.since
            ))),
            Some(l) if l.hash != head.hash => Err(bad(format!(
                "audit line {} has hash {}…, the response carried {}… (the log was rewritten)",
                head.seq,
                short(&l.hash),
                short(&head.hash)
            ))),
            Some(_) => Ok(()),
        }
    }

    fn check_chain(&self) -> Result<()> {
        for (i, l) in self.lines.iter().enumerate() {
            let want = self.since + i as u64;
            if l.seq != want {
                return Err(bad(format!(
                    "line {want} expected, found line {} (a line was deleted, inserted or reordered)",
                    l.seq
                )));
            }
            if i > 0 && l.prev != self.lines[i - 1].hash {
                return Err(bad(format!(
                    "line {}: prev is not the hash of line {} (chain broken)",
                    l.seq,
                    l.seq - 1
                )));
            }
        }
        let first = &self.lines[0];
        if first.seq == 0 {
            return Err(bad("sequence numbers start at 1"));
        }
        if first.seq == 1 && (first.prev != GENESIS || first.hash != self.log) {
            return Err(bad("line 1 does not start a log, or log is not its hash"));
        }
        self.head.validate().map_err(|e| bad(e.to_string()))
    }
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log of `n` lines written as the signer writes them (odd lines are signings).
    fn log(n: u64) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut obj = Map::new();
                obj.insert("event".into(), "sign".into());
                obj.insert("prev".into(), prev.clone().into());
                obj.insert("seq".into(), seq.into());
                obj.insert("time".into(), (1000 + seq).into());
                let verdict = if seq % 2 == 1 { "signed" } else { "refused" };
                obj.insert("verdict".into(), verdict.into());
                obj.insert(
                    "transactions".into(),
                    serde_json::json!([{ "txid": format!("{seq:064x}") }]),
                );
                let h = content_hash(obj.clone());
                obj.insert("hash".into(), h.clone().into());
                prev = h;
                serde_json::to_string(&Value::Object(obj)).unwrap()
            })
            .collect()
    }

    fn export(lines: &[String], since: usize) -> AuditExport {
        let log_id = read_line(&lines[0]).unwrap().hash;
        let refs: Vec<&str> = lines[since - 1..].iter().map(String::as_str).collect();
        AuditExport::build(&log_id, &refs).unwrap()
    }

    #[test]
    fn round_trips_and_lists_signings() {
        let lines = log(5);
        let e = export(&lines, 2);
        let text = String::from_utf8(e.to_json_pretty()).unwrap();
        let back = AuditExport::from_json_str(&text).unwrap();
        assert_eq!(back, e);
        assert_eq!((back.since, back.head.seq), (2, 5));
        let signed: Vec<u64> = back.signings().map(|l| l.seq).collect();
        assert_eq!(signed, [3, 5]);
        assert_eq!(
            back.line(3).unwrap().txids[0].to_hex(),
            format!("{:064x}", 3)
        );
        back.check_head(&back.line(4).unwrap().head(&back.log))
            .unwrap();
        let at = |seq: u64, hash: &str| AuditHead {
            log: back.log.clone(),
            seq,
            hash: hash.to_string(),
        };
        let why = |h: AuditHead| back.check_head(&h).unwrap_err().to_string();
        assert!(why(at(1, &back.head.hash)).contains("before this export"));
        assert!(why(at(6, &back.head.hash)).contains("tail was cut"));
        assert!(why(at(4, &back.head.hash)).contains("rewritten"));
        let mut other = at(4, &back.line(4).unwrap().hash);
        other.log = "cd".repeat(32);
        assert!(why(other).contains("another log"));
        assert_eq!(export(&lines, 1).since, 1);
    }

    #[test]
    fn tampering_is_refused() {
        let lines = log(4);
        let good = String::from_utf8(export(&lines, 1).to_json_pretty()).unwrap();
        let v: Value = serde_json::from_str(&good).unwrap();
        let with_lines = |ls: Vec<String>| {
            let mut v = v.clone();
            v["lines"] = serde_json::json!(ls);
            v.to_string()
        };
        let err = |t: String| AuditExport::from_json_str(&t).unwrap_err().to_string();
        // An edited line.
        let mut edited = lines.clone();
        edited[1] = edited[1].replace("refused", "signed");
        assert!(err(with_lines(edited)).contains("edited"));
        // A line deleted from the middle; the tail cut (head no longer the last line).
        let mut deleted = lines.clone();
        deleted.remove(1);
        assert!(err(with_lines(deleted)).contains("line 2 expected"));
        assert!(err(with_lines(lines[..3].to_vec())).contains("stated head"));
        // A rewritten head, a duplicate key, a foreign format.
        let mut v2 = v.clone();
        v2["head"]["hash"] = serde_json::json!("ab".repeat(32));
        assert!(err(v2.to_string()).contains("stated head"));
        let dup = good.replacen("\"since\"", "\"since\": 1, \"since\"", 1);
        assert!(err(dup).contains("duplicate key"));
        assert!(err(good.replace(AUDIT_EXPORT_FORMAT, "x")).contains("format"));
    }
}
