//! `batch list | show | cancel` and `payout cancel`.

use std::fmt;

use serde::Serialize;

use super::context::Ctx;
use super::output::show;
use crate::error::{BcError, Result};
use crate::journal::{CancelOutcome, Journal};
use crate::report::{BatchSummary, ReportRow, Tally};

/// `batch list`: every batch's summary, oldest first.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct BatchList(Vec<BatchSummary>);

impl fmt::Display for BatchList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no batches (import one with `batch import FILE --from T…`)");
        }
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// `batch list`.
pub(crate) fn list(c: &Ctx, journal: &Journal) -> Result<()> {
    show(c, &BatchList(crate::report::batch_summaries(journal)?));
    Ok(())
}

/// `batch show ID`: the batch's summary and its rows.
#[derive(Serialize)]
pub(crate) struct BatchShown {
    #[serde(flatten)]
    summary: BatchSummary,
    rows: Vec<ReportRow>,
}

impl fmt::Display for BatchShown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary)?;
        for row in &self.rows {
            f.write_str(&show_row(row))?;
        }
        Ok(())
    }
}

/// One payout of `batch show`, within 100 columns: id, recipient, amount, token and status on
/// one line (a long id gets a line of its own with the status), the txID (when there is one)
/// indented on the next.
fn show_row(row: &ReportRow) -> String {
    let mut line = format!(
        "\n  {:<20} {} {:>14} {:<5} {}",
        row.payout_id, row.to, row.amount, row.token, row.status
    );
    if line.chars().count() > 101 {
        line = format!(
            "\n  {}  {}\n      {} {} to {}",
            row.payout_id, row.status, row.amount, row.token, row.to
        );
    }
    if let Some(txid) = row.txid {
        line.push_str(&format!("\n      txid {txid}"));
    }
    line
}

/// `batch show ID`.
pub(crate) fn show_batch(c: &Ctx, journal: &Journal, id: &str) -> Result<()> {
    let b = journal
        .batch(id)?
        .ok_or_else(|| BcError::Input(format!("no batch {id:?}")))?;
    let rows = crate::report::rows(journal, Some(id))?;
    let summary = BatchSummary::of(&b, &Tally::of_rows(&rows));
    show(c, &BatchShown { summary, rows });
    Ok(())
}

/// A payout that could not be cancelled, and why.
#[derive(Serialize)]
struct NotCancelled {
    payout_id: String,
    reason: String,
}

/// What `batch cancel` / `payout cancel` did.
#[derive(Serialize)]
pub(crate) struct Cancelled {
    cancelled: Vec<String>,
    already_cancelled: Vec<String>,
    not_cancelled: Vec<NotCancelled>,
}

impl From<CancelOutcome> for Cancelled {
    fn from(o: CancelOutcome) -> Cancelled {
        Cancelled {
            cancelled: o.cancelled,
            already_cancelled: o.already_cancelled,
            not_cancelled: o
                .not_cancelled
                .into_iter()
                .map(|(payout_id, reason)| NotCancelled { payout_id, reason })
                .collect(),
        }
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cancelled {} payout(s)", self.cancelled.len())?;
        if !self.already_cancelled.is_empty() {
            let n = self.already_cancelled.len();
            write!(f, "; {n} were already cancelled")?;
        }
        for n in &self.not_cancelled {
            write!(f, "\n  not cancelled: {}", n.reason)?;
        }
        Ok(())
    }
}

/// `batch cancel ID`: every payout of the batch, all or nothing unless `partial`.
pub(crate) fn cancel_batch(
    c: &Ctx,
    journal: &Journal,
    id: &str,
    reason: Option<&str>,
    partial: bool,
) -> Result<()> {
    if journal.batch(id)?.is_none() {
        return Err(BcError::Input(format!("no batch {id:?}")));
    }
    let ids: Vec<String> = journal
        .payouts(Some(id))?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let o = journal.cancel(&ids, reason, partial).map_err(|e| match e {
        BcError::Input(m) => BcError::Input(format!(
            "batch {id}: {m} (cancel the others with --partial)"
        )),
        e => e,
    })?;
    show(c, &Cancelled::from(o));
    Ok(())
}

/// `payout cancel ID…`: all or nothing.
pub(crate) fn cancel_payouts(
    c: &Ctx,
    journal: &Journal,
    ids: &[String],
    reason: Option<&str>,
) -> Result<()> {
    let o = journal.cancel(ids, reason, false)?;
    show(c, &Cancelled::from(o));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancellation_renders_its_text_and_json_from_one_value() {
        let c = Cancelled::from(CancelOutcome {
            cancelled: vec!["p1".into()],
            already_cancelled: vec!["p0".into()],
            not_cancelled: vec![("p2".into(), "payout p2 is confirmed".into())],
        });
        assert_eq!(
            c.to_string(),
            "cancelled 1 payout(s); 1 were already cancelled\n  not cancelled: payout p2 is confirmed"
        );
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["not_cancelled"][0]["payout_id"], "p2");
        assert_eq!(v["not_cancelled"][0]["reason"], "payout p2 is confirmed");
        assert_eq!(v["already_cancelled"][0], "p0");
    }
}
