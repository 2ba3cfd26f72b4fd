//! `submit`: sign responses verified, approvals collected, signed transactions broadcast.

use std::collections::HashMap;
use std::fmt;

use coldpay_shared::TxId;

use coldpay_shared::SignResponse;
use serde::Serialize;

use super::context::{remember_genesis, Ctx};
use super::output::{bar, read_text, show};
use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::node::Node;
use crate::payout::submit::{SubmitSummary, TxResult};

/// What `submit` did, with the approvers' home names for its text.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct Submitted {
    summary: SubmitSummary,
    #[serde(skip)]
    names: HashMap<String, String>,
}

impl Submitted {
    /// The transactions the node answered: payout, txID, code, message, whether approved in
    /// an earlier response.
    fn sent(&self) -> impl Iterator<Item = (&str, TxId, &str, &str, bool)> {
        self.summary.results.iter().filter_map(|r| match r {
            TxResult::Sent {
                payout_id,
                txid,
                code,
                message,
                note,
            } => Some((
                payout_id.as_str(),
                *txid,
                code.as_str(),
                message.as_str(),
                note.is_some(),
            )),
            TxResult::Skipped { .. } => None,
        })
    }

    /// The notes under the counts: earlier refusals, resumed sends, duplicates on the node.
    fn notes(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        if s.refused_earlier > 0 {
            write!(f, "\n{} transaction(s) approved in earlier responses were refused again (their own submit reported it; not counted here)", s.refused_earlier)?;
        }
        if s.resumed > 0 {
            write!(f, "\n{} approved transaction(s) from earlier responses had not been seen accepted (an interrupted submit): sent now", s.resumed)?;
        }
        if s.already_had > 0 {
            write!(f, "\n{} of the accepted the node already had (sent by an earlier run; one txID is included at most once):", s.already_had)?;
        }
        Ok(())
    }
}

impl fmt::Display for Submitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        write!(
            f,
            "broadcast: {} accepted, {} refused by the node, {} skipped",
            s.accepted, s.refused, s.skipped
        )?;
        self.notes(f)?;
        for (payout, txid, ..) in self.sent().filter(|r| r.2 == "DUP_TRANSACTION_ERROR") {
            write!(f, "\n  already on the node: payout {payout} ({txid})")?;
        }
        let refused = self
            .sent()
            .filter(|r| !r.2.is_empty() && r.2 != "SUCCESS" && r.2 != "DUP_TRANSACTION_ERROR");
        for (payout, txid, code, message, earlier) in refused {
            let again = if earlier {
                " (again; approved in an earlier response)"
            } else {
                ""
            };
            write!(
                f,
                "\n  refused{again}: payout {payout} ({txid}): {code}: {message}"
            )?;
        }
        for line in crate::payout::submit::approval_lines(&s.approvals, &self.names) {
            write!(f, "\n  {line}")?;
        }
        if s.awaiting_approval > 0 {
            write!(f, "\n{} transaction(s) wait for more approvals (not broadcast); submit the other approvers' responses as they arrive", s.awaiting_approval)?;
        }
        Ok(())
    }
}

/// Reads one sign response file (or `-`).
fn read_response(path: &str) -> Result<SignResponse> {
    let text = read_text(path)?;
    let v: serde_json::Value = coldpay_shared::strict_json::parse(&text)
        .map_err(|e| BcError::Input(format!("{path}: not JSON: {e}")))?;
    SignResponse::from_json(&v).map_err(|e| BcError::Input(format!("{path}: {e}")))
}

/// The responses from QR input or from files.
fn responses(
    journal: &Journal,
    files: &[String],
    qr_in: &crate::qrio::QrInArgs,
) -> Result<Vec<SignResponse>> {
    if !qr_in.any() {
        if files.is_empty() {
            return Err(BcError::Input(
                "give a RESPONSE file (or -), --qr-image FILE… or --ur".into(),
            ));
        }
        return files.iter().map(|r| read_response(r)).collect();
    }
    if !files.is_empty() {
        return Err(BcError::Input(
            "give response files or QR input (--qr-image / --ur), not both".into(),
        ));
    }
    let d = qr_in.read_message(&[coldpay_shared::urframe::UrKind::Response])?;
    let lookup = |prefix: &[u8]| journal.attempts_by_txid_prefix(prefix).unwrap_or_default();
    let r = coldpay_shared::compact::decode_response(&d.payload, &lookup)?;
    let what = format!(
        "sign response to request {} ({} transaction(s))",
        r.request_id,
        r.transactions.len()
    );
    eprintln!("{}", d.summary(&what, qr_in.source_noun()));
    Ok(vec![r])
}

/// `submit RESPONSE…`: exit 5 when the node refused some transactions.
pub(crate) fn run(
    c: &Ctx,
    journal: &Journal,
    node: impl FnOnce() -> Result<Node>,
    files: &[String],
    qr_in: &crate::qrio::QrInArgs,
    accept_new_audit_log: &[String],
) -> Result<()> {
    let resp = responses(journal, files, qr_in)?;
    let n = node()?;
    let accept = accept_new_audit_log
        .iter()
        .map(|k| Ok(coldpay_shared::Address::parse(k)?.to_base58()))
        .collect::<Result<Vec<_>>>()?;
    let s = crate::payout::submit::submit(journal, &n, &resp, &accept, &bar(0, c.json));
    remember_genesis(c, journal, &n)?;
    let summary = s?;
    let refused = summary.refused;
    let names = crate::multisig::approvers::all_names(journal).unwrap_or_default();
    show(c, &Submitted { summary, names });
    if refused > 0 {
        return Err(BcError::Refused(format!(
            "{refused} transaction(s) were refused by the node (reasons above and in `report`); they stay pending until they expire by the verified chain, then `build` can rebuild them"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixtures::txid;

    #[test]
    fn duplicates_and_refusals_are_named_one_per_line() {
        let summary = SubmitSummary {
            accepted: 1,
            refused: 1,
            already_had: 1,
            results: vec![
                sent("p1", "aa", "DUP_TRANSACTION_ERROR", "", Some("had it")),
                sent("p2", "bb", "BANDWITH_ERROR", "no bandwidth", None),
                TxResult::Skipped {
                    payout_id: "p3".into(),
                    txid: txid("cc"),
                    state: crate::journal::AttemptState::Confirmed,
                    note: "not broadcast",
                },
            ],
            ..SubmitSummary::default()
        };
        let s = Submitted {
            summary,
            names: HashMap::new(),
        };
        let text = s.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "broadcast: 1 accepted, 1 refused by the node, 0 skipped"
        );
        assert!(
            lines.contains(&format!("  already on the node: payout p1 ({})", txid("aa")).as_str()),
            "{text}"
        );
        assert!(
            lines.contains(
                &format!(
                    "  refused: payout p2 ({}): BANDWITH_ERROR: no bandwidth",
                    txid("bb")
                )
                .as_str()
            ),
            "{text}"
        );
        assert!(!text.contains("p3"), "{text}");
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["refused"], 1);
        // Each result has the keys `submit --json` always printed for it.
        assert_eq!(
            v["results"],
            serde_json::json!([
                {"payout_id": "p1", "txid": txid("aa"), "code": "DUP_TRANSACTION_ERROR", "message": "", "note": "had it"},
                {"payout_id": "p2", "txid": txid("bb"), "code": "BANDWITH_ERROR", "message": "no bandwidth", "note": null},
                {"payout_id": "p3", "txid": txid("cc"), "state": "confirmed", "note": "not broadcast"},
            ])
        );
    }

    fn sent(p: &str, t: &str, code: &str, message: &str, note: Option<&'static str>) -> TxResult {
        TxResult::Sent {
            payout_id: p.into(),
            txid: txid(t),
            code: code.into(),
            message: message.into(),
            note,
        }
    }

    #[test]
    fn a_refusal_approved_earlier_says_so() {
        let s = Submitted {
            summary: SubmitSummary {
                results: vec![sent("p4", "dd", "SIGERROR", "bad", Some("refused again"))],
                ..SubmitSummary::default()
            },
            names: HashMap::new(),
        };
        let line = format!(
            "\n  refused (again; approved in an earlier response): payout p4 ({}): SIGERROR: bad",
            txid("dd")
        );
        assert!(s.to_string().contains(&line), "{s}");
    }
}
