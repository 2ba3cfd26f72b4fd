//! `reconcile --audit FILE`: the signer's audit export against the journal. Every txID the
//! signer signed must be a coldpay attempt (its status listed: confirmed, failed, expired,
//! pending, never submitted), and every audit head the sign responses carried must be a line of
//! the exported log with the same hash.

use coldpay_shared::audit_export::AuditExport;
use serde::Serialize;

use crate::error::Result;
use crate::journal::Journal;
use crate::monitor::discrepancy::Discrepancy;

/// One txID the signer signed.
#[derive(Clone, Debug, Serialize)]
pub struct Signed {
    /// txID.
    pub txid: String,
    /// Audit line that recorded the signing.
    pub seq: u64,
    /// Request signed.
    pub request_id: Option<String>,
    /// Payout, when the journal has the attempt.
    pub payout_id: Option<String>,
    /// `confirmed`, `failed`, `expired`, `pending`, `never submitted` or `unknown to this
    /// journal`.
    pub status: String,
}

/// What the export showed.
#[derive(Clone, Debug, Serialize)]
pub struct AuditCheck {
    /// The signer log (hash of its line 1).
    pub log: String,
    /// First line carried.
    pub since: u64,
    /// The export's head line.
    pub head_seq: u64,
    /// Every txID signed in the segment.
    pub signed: Vec<Signed>,
    /// Audit heads from sign responses checked against the export.
    pub heads_checked: usize,
}

fn status(state: &str) -> &'static str {
    match state {
        "confirmed" => "confirmed",
        "failed" => "failed",
        "expired" => "expired",
        "built" => "never submitted",
        _ => "pending",
    }
}

/// Checks `export` against the journal; what does not match is pushed to `out`.
pub fn check(
    journal: &Journal,
    export: &AuditExport,
    out: &mut Vec<Discrepancy>,
) -> Result<AuditCheck> {
    let mut signed = Vec::new();
    for line in export.signings() {
        for t in &line.txids {
            let hex = t.to_hex();
            let a = journal.attempt_by_txid(t)?;
            if a.is_none() {
                out.push(Discrepancy {
                    kind: "signed_unknown".into(),
                    account: String::new(),
                    txid: Some(hex.clone()),
                    detail: format!(
                        "the signer signed {hex} (audit line {}, request {}) but this journal has no such attempt: it was signed for another tool or journal",
                        line.seq,
                        line.request_id.as_deref().unwrap_or("?")
                    ),
                });
            }
            signed.push(Signed {
                txid: hex,
                seq: line.seq,
                request_id: line.request_id.clone(),
                payout_id: a.as_ref().map(|a| a.payout_id.clone()),
                status: a
                    .map_or("unknown to this journal", |a| status(a.state.as_str()))
                    .into(),
            });
        }
    }
    let mut heads_checked = 0;
    let mut later = Vec::new();
    for crate::journal::audit_heads::AuditHeadRow {
        log,
        seq,
        hash,
        request_id: request,
        signed_at,
    } in journal.audit_heads()?
    {
        if log.to_hex() != export.log || seq < export.since {
            continue;
        }
        heads_checked += 1;
        if seq > export.head.seq {
            later.push((seq, request, signed_at));
            continue;
        }
        let head = coldpay_shared::AuditHead {
            log: log.to_hex(),
            seq,
            hash: hash.to_hex(),
        };
        if let Err(e) = export.check_head(&head) {
            out.push(Discrepancy {
                kind: "audit_head_mismatch".into(),
                account: String::new(),
                txid: None,
                detail: format!("sign response {request}: {e}"),
            });
        }
    }
    if let Some(d) = stale(export, &later) {
        out.push(d);
    }
    Ok(AuditCheck {
        log: export.log.clone(),
        since: export.since,
        head_seq: export.head.seq,
        signed,
        heads_checked,
    })
}

/// Sign responses carried audit lines after the export's last one: the export was taken before
/// those signings (an incomplete check, not a sign of tampering). `later`: (seq, request,
/// signed at ms).
fn stale(export: &AuditExport, later: &[(u64, String, u64)]) -> Option<Discrepancy> {
    let (first, last) = (later.first()?, later.last()?);
    let ends = export
        .lines
        .last()
        .map_or(String::new(), |l| format!(" ({})", rfc3339(l.time)));
    let at = if first.0 == last.0 {
        format!("line {} ({})", first.0, rfc3339(first.2))
    } else {
        format!(
            "lines {}..{} ({} .. {})",
            first.0,
            last.0,
            rfc3339(first.2),
            rfc3339(last.2)
        )
    };
    let requests: Vec<&str> = later.iter().map(|l| l.1.as_str()).collect();
    Some(Discrepancy {
        kind: "audit_export_stale".into(),
        account: String::new(),
        txid: None,
        detail: format!(
            "audit export ends at line {}{ends} before signings at {at} (request(s) {}): those signings are not checked; export the signer's audit log again after the period's last signing (`coldpay-signer audit export --since {}`). An export older than the responses is not a sign of tampering",
            export.head.seq,
            requests.join(", "),
            export.since
        ),
    })
}

fn rfc3339(ms: u64) -> String {
    crate::monitor::transfers::rfc3339(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::lock::LockWait;
    use coldpay_shared::TxId;
    use serde_json::{json, Map, Value};

    /// Audit lines as the signer writes them: `(event, verdict, txids)` each.
    fn lines(spec: &[(&str, &str, Vec<String>)]) -> Vec<String> {
        let mut prev = "0".repeat(64);
        let mut out = Vec::new();
        for (i, (event, verdict, txids)) in spec.iter().enumerate() {
            let mut o = Map::new();
            o.insert("event".into(), json!(event));
            o.insert("prev".into(), json!(prev));
            o.insert("request_id".into(), json!(format!("r{i}")));
            o.insert("seq".into(), json!(i + 1));
            o.insert("time".into(), json!(1));
            let tx: Vec<Value> = txids.iter().map(|t| json!({"txid": t})).collect();
            o.insert("transactions".into(), json!(tx));
            o.insert("verdict".into(), json!(verdict));
            let h = TxId::of_raw(&serde_json::to_vec(&Value::Object(o.clone())).unwrap()).to_hex();
            o.insert("hash".into(), json!(h));
            prev = h;
            out.push(serde_json::to_string(&Value::Object(o)).unwrap());
        }
        out
    }

    #[test]
    fn signed_txids_and_heads_are_accounted_for() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        let txid = "aa".repeat(32);
        crate::journal::fixtures::pay(
            &j,
            &crate::journal::fixtures::Paid {
                txid: &txid,
                ..Default::default()
            },
        );
        let l = lines(&[
            ("sign", "signed", vec!["aa".repeat(32)]),
            ("sign", "refused", vec!["cc".repeat(32)]),
            ("sign", "signed", vec!["bb".repeat(32)]),
        ]);
        let log = serde_json::from_str::<Value>(&l[0]).unwrap()["hash"]
            .as_str()
            .unwrap()
            .to_string();
        let refs: Vec<&str> = l.iter().map(String::as_str).collect();
        let export = AuditExport::build(&log, &refs).unwrap();
        // A response carried line 3 with another hash: the log was rewritten.
        let tx = j.write().unwrap();
        let good = export.lines[0].head(&log);
        tx.record_audit_head(&good, "r0", 1).unwrap();
        let mut bad = export.lines[2].head(&log);
        bad.hash = "dd".repeat(32);
        tx.record_audit_head(&bad, "r2", 1).unwrap();
        // A later response carried line 5: the export (head line 3) was taken before it.
        let mut after = export.lines[2].head(&log);
        after.seq = 5;
        tx.record_audit_head(&after, "r5", 1_796_083_200_000)
            .unwrap();
        tx.commit().unwrap();
        let mut d = Vec::new();
        let c = check(&j, &export, &mut d).unwrap();
        let st: Vec<(&str, &str)> = c
            .signed
            .iter()
            .map(|s| (s.txid.get(..2).unwrap(), s.status.as_str()))
            .collect();
        assert_eq!(
            st,
            vec![("aa", "never submitted"), ("bb", "unknown to this journal")]
        );
        assert_eq!(c.heads_checked, 3);
        let kinds: Vec<&str> = d.iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec![
                "signed_unknown",
                "audit_head_mismatch",
                "audit_export_stale"
            ],
            "{d:?}"
        );
        assert!(
            d[2].detail.starts_with("audit export ends at line 3 (")
                && d[2]
                    .detail
                    .contains("before signings at line 5 (2026-12-01T00:00:00Z)")
                && !d[2].detail.contains("rewritten"),
            "{}",
            d[2].detail
        );
        assert!(
            d[1].detail.contains("the log was rewritten"),
            "{}",
            d[1].detail
        );
    }
}
