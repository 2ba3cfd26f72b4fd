//! `status`, `report` and `batch list|show`: one row per payout from the journal; `report`'s
//! filters (batch, imported since, status) and its text, CSV and JSON forms.

use std::collections::{BTreeMap, HashMap};

use coldpay_shared::amount::format_units;
use coldpay_shared::timefmt::TimeInput;
use coldpay_shared::U256;
use serde_json::{json, Value};

use crate::error::{BcError, Result};
use crate::journal::{ApprovalRow, Batch, Journal, PayoutLine, PayoutState};

/// Every payout status, in the order a payout moves through them.
pub const STATUSES: &[&str] = &[
    "imported",
    "awaiting_signature",
    "signed",
    "possibly_sent",
    "broadcast",
    "included",
    "confirmed",
    "failed",
    "expired",
    "cancelled",
];

/// One report row per payout (latest attempt). A cancelled payout has status `cancelled`
/// unless an attempt of it was confirmed after all (the chain wins). Two journal statements
/// whatever the number of rows ([`Journal::payout_lines`], [`Journal::approvals_by_attempt`]).
pub fn rows(journal: &Journal, batch: Option<&str>) -> Result<Vec<Value>> {
    let mut approvals = journal.approvals_by_attempt(batch)?;
    journal
        .payout_lines(batch)?
        .into_iter()
        .map(|line| {
            let recorded = line
                .latest
                .as_ref()
                .and_then(|a| approvals.remove(&a.id))
                .unwrap_or_default();
            row(line, &recorded)
        })
        .collect()
}

/// The status a payout shows, from whether it was cancelled and its latest attempt's state
/// (with whether a broadcast was started and whether it is marked for a re-check).
fn status_of(cancelled: bool, latest: Option<(&str, bool, bool)>) -> &'static str {
    match latest {
        Some(("confirmed", ..)) => "confirmed",
        _ if cancelled => "cancelled",
        None => "imported",
        Some(("built", ..)) => "awaiting_signature",
        Some(("signed", true, _)) => "possibly_sent",
        Some(("signed", ..)) => "signed",
        Some(("broadcast", ..)) => "broadcast",
        Some(("included", ..)) => "included",
        // Settled failed from a receipt before schema 5: re-checked against its block.
        Some(("failed", _, true)) => "included",
        Some(("failed", ..)) => "failed",
        Some(_) => "expired",
    }
}

/// The status of a payout from its lean journal form.
fn state_status(s: &PayoutState) -> &'static str {
    status_of(
        s.cancelled,
        s.latest
            .as_ref()
            .map(|l| (l.state.as_str(), l.sending, l.recheck)),
    )
}

fn row(line: PayoutLine, recorded: &[ApprovalRow]) -> Result<Value> {
    let p = &line.payout;
    let a = line.latest.as_ref();
    let receipt: Value = a
        .and_then(|a| a.receipt.as_deref())
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(Value::Null);
    let amount = U256::from_str_radix(&p.amount, 10).unwrap_or(U256::ZERO);
    let approval = match a {
        Some(a) if a.permission_id.is_some() => Some(crate::approvals::Progress::from_recorded(
            recorded,
            line.permission_claim.as_deref(),
        )?),
        _ => None,
    };
    Ok(json!({
        "payout_id": p.id,
        "kind": p.kind,
        "batch": p.batch_id,
        "to": p.to,
        "token": token_symbol(&p.kind, &p.token),
        "approval": approval,
        "approval_text": approval.as_ref().map(crate::approvals::Progress::text),
        "amount": format_units(amount, 6),
        "amount_base_units": p.amount,
        "txid": a.map(|a| a.txid.clone()),
        "block": a.and_then(|a| a.block),
        "energy_used": receipt["energy_usage_total"].as_u64(),
        "trx_burned": receipt["fee"].as_u64().map(|f| format_units(U256::from(f), 6)),
        "status": status_of(
            p.cancelled_at.is_some(),
            a.map(|a| (a.state.as_str(), a.sending_at.is_some(), a.recheck.is_some()))
        ),
        "reason": a.and_then(|a| a.reason.clone()),
        "recheck": a.and_then(|a| a.recheck.clone()),
        "attempts": line.attempts,
        "cancelled_at": p.cancelled_at,
        "cancel_reason": p.cancel_reason,
        "refusal": a.and_then(|a| a.refusal.clone()),
        "evidence": a
            .and_then(|a| a.evidence.as_deref())
            .and_then(|e| serde_json::from_str::<Value>(e).ok())
            .unwrap_or(Value::Null),
        "scanned_to": a.and_then(|a| a.scanned_to),
        "memo": p.memo,
        "imported_at": format_time(line.imported_at),
        "updated_at": line.updated_at.map(format_time),
    }))
}

/// The symbol a row shows: TRX, USDT, or PERMISSION for a permission update.
fn token_symbol(kind: &str, token: &str) -> &'static str {
    if kind == "permission-update" {
        "PERMISSION"
    } else if token == "TRX" {
        "TRX"
    } else {
        "USDT"
    }
}

/// Rows that carry a payout amount (payouts, not permission updates or staking operations)
/// and are not cancelled.
fn counted(r: &Value) -> bool {
    r["status"] != "cancelled"
        && !matches!(r["kind"].as_str(), Some("permission-update" | "staking"))
}

/// What `report` selects.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this batch.
    pub batch: Option<String>,
    /// Only payouts imported at or after this time (ms).
    pub since_ms: Option<i64>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<String>,
}

impl Filter {
    /// Parses `--status a,b` (each one of [`STATUSES`]).
    pub fn parse_statuses(s: &str) -> Result<Vec<String>> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| {
                if STATUSES.contains(&x) {
                    Ok(x.to_string())
                } else {
                    Err(BcError::Input(format!(
                        "--status {x:?}: one of {}",
                        STATUSES.join(", ")
                    )))
                }
            })
            .collect()
    }

    /// Parses `--since`: a UTC date (`2026-11-01`), a UTC time (`2026-11-01T10:00:00Z`) or a
    /// span back from `now_ms` (`7d`, `12h`).
    pub fn parse_since(s: &str, now_ms: i64) -> Result<i64> {
        let t = TimeInput::parse(s).map_err(|_| BcError::Input(format!(
            "--since {s:?}: give a UTC date (2026-11-01), time (2026-11-01T10:00:00Z) or a span back from now (7d, 12h)"
        )))?;
        let start = t.start(u64::try_from(now_ms).unwrap_or(0));
        Ok(i64::try_from(start).unwrap_or(i64::MAX))
    }
}

/// The report rows `filter` selects, every batch when it names none.
pub fn select(journal: &Journal, filter: &Filter) -> Result<Vec<Value>> {
    let since = filter.since_ms.map(format_time);
    Ok(rows(journal, filter.batch.as_deref())?
        .into_iter()
        .filter(|r| {
            since
                .as_deref()
                .is_none_or(|s| r["imported_at"].as_str().is_some_and(|t| t >= s))
        })
        .filter(|r| {
            filter.statuses.is_empty()
                || filter
                    .statuses
                    .iter()
                    .any(|s| r["status"].as_str() == Some(s))
        })
        .collect())
}

/// Payout counts per status (only statuses that occur).
pub fn counts(rows: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in rows {
        *counts
            .entry(row["status"].as_str().unwrap_or("").to_string())
            .or_insert(0usize) += 1;
    }
    counts
}

/// Payout counts by status and totals per token of a set of payouts, gathered in one pass.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// How many payouts.
    pub payouts: usize,
    /// Counts per status (only statuses that occur).
    pub counts: BTreeMap<String, usize>,
    /// Amount per token symbol (base units) of the payouts that are not cancelled and are not
    /// permission updates.
    pub sums: BTreeMap<String, U256>,
}

impl Tally {
    fn add(&mut self, status: &str, kind: &str, symbol: &str, amount: U256) {
        self.payouts += 1;
        *self.counts.entry(status.to_string()).or_insert(0) += 1;
        if status != "cancelled" && !matches!(kind, "permission-update" | "staking") {
            let e = self.sums.entry(symbol.to_string()).or_insert(U256::ZERO);
            *e = e.saturating_add(amount);
        }
    }

    /// The tally of report rows.
    pub fn of_rows(rows: &[Value]) -> Tally {
        let mut t = Tally::default();
        for r in rows {
            let amount = r["amount_base_units"]
                .as_str()
                .and_then(|a| U256::from_str_radix(a, 10).ok())
                .unwrap_or(U256::ZERO);
            t.add(
                r["status"].as_str().unwrap_or(""),
                r["kind"].as_str().unwrap_or(""),
                r["token"].as_str().unwrap_or(""),
                amount,
            );
        }
        t
    }

    /// The tally of payouts in their lean journal form.
    pub fn of_states<'a>(states: impl IntoIterator<Item = &'a PayoutState>) -> Tally {
        let mut t = Tally::default();
        for s in states {
            let amount = U256::from_str_radix(&s.amount, 10).unwrap_or(U256::ZERO);
            t.add(
                state_status(s),
                &s.kind,
                token_symbol(&s.kind, &s.token),
                amount,
            );
        }
        t
    }

    /// Totals per token symbol, e.g. `"1250.5 USDT"`.
    pub fn totals(&self) -> BTreeMap<String, String> {
        self.sums
            .iter()
            .map(|(tok, v)| (tok.clone(), format!("{} {tok}", format_units(*v, 6))))
            .collect()
    }
}

/// The summary of one batch: id, from, network, created (ms), payout count, counts by status
/// and totals per token (cancelled payouts excluded from the totals).
pub fn batch_summary(b: &Batch, t: &Tally) -> Value {
    json!({
        "batch": b.id,
        "from": b.from,
        "network": b.network,
        "created_at": b.created_at,
        "created": format_time(b.created_at),
        "payouts": t.payouts,
        "counts": t.counts,
        "totals": t.totals(),
    })
}

/// Every batch's summary, oldest first: one pass over every payout's state.
pub fn batch_summaries(journal: &Journal) -> Result<Vec<Value>> {
    let mut by_batch: HashMap<String, Vec<PayoutState>> = HashMap::new();
    for s in journal.payout_states(None)? {
        by_batch.entry(s.batch_id.clone()).or_default().push(s);
    }
    Ok(journal
        .batches()?
        .iter()
        .map(|b| {
            let states = by_batch.remove(&b.id).unwrap_or_default();
            batch_summary(b, &Tally::of_states(&states))
        })
        .collect())
}

/// What `status` shows: counts of every status over the payouts (permission updates apart),
/// the payouts `build` can rebuild, multi-signature payouts awaiting approvals, and the
/// permission updates with their status.
#[derive(Clone, Debug, Default)]
pub struct StatusSummary {
    /// Count per status, every status of [`STATUSES`].
    pub counts: BTreeMap<&'static str, usize>,
    /// Payouts (permission updates excluded).
    pub payouts: usize,
    /// Expired or failed payouts.
    pub to_rebuild: Vec<String>,
    /// (payout id, "weight 1 of 2, approved by T…").
    pub awaiting_approval: Vec<(String, String)>,
    /// (permission update id, status).
    pub permission_updates: Vec<(String, &'static str)>,
    /// Staking operations (`stake`, `delegate`, …; not payouts): id and status.
    pub staking: Vec<(String, &'static str)>,
}

/// The [`StatusSummary`] of `batch` (or of every payout): two journal statements, one pass.
pub fn status_summary(journal: &Journal, batch: Option<&str>) -> Result<StatusSummary> {
    let mut approvals = journal.approvals_by_attempt(batch)?;
    let mut out = StatusSummary {
        counts: STATUSES.iter().map(|s| (*s, 0)).collect(),
        ..StatusSummary::default()
    };
    for s in journal.payout_states(batch)? {
        let status = state_status(&s);
        if s.kind == "permission-update" {
            out.permission_updates.push((s.id, status));
            continue;
        }
        if s.kind == "staking" {
            out.staking.push((s.id, status));
            continue;
        }
        out.payouts += 1;
        *out.counts.entry(status).or_insert(0) += 1;
        match (status, &s.latest) {
            ("expired" | "failed", _) => out.to_rebuild.push(s.id),
            ("awaiting_signature", Some(l)) if l.permission_id.is_some() => {
                let recorded = approvals.remove(&l.attempt).unwrap_or_default();
                let p = crate::approvals::Progress::from_recorded(
                    &recorded,
                    l.permission_claim.as_deref(),
                )?;
                out.awaiting_approval.push((s.id, p.text()));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The text of a batch summary: id, network, time and sender, then counts and totals.
pub fn batch_line(s: &Value) -> String {
    let counts = s["counts"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let totals = s["totals"]
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .unwrap_or_default();
    format!(
        "{}  {}  {}  from {}\n  {} payout(s): {}; total {}",
        s["batch"].as_str().unwrap_or(""),
        s["network"].as_str().unwrap_or(""),
        s["created"].as_str().unwrap_or(""),
        s["from"].as_str().unwrap_or(""),
        s["payouts"],
        if counts.is_empty() {
            "-".into()
        } else {
            counts
        },
        if totals.is_empty() {
            "0".into()
        } else {
            totals
        },
    )
}

/// UTC time of a ms timestamp, `2026-11-24T10:00:00Z` (the shared `timefmt`, whole seconds).
pub fn format_time(ms: i64) -> String {
    coldpay_shared::timefmt::utc_seconds(ms)
}

/// CSV columns, in order (new columns are only ever appended).
pub const CSV_COLUMNS: [&str; 17] = [
    "payout_id",
    "to",
    "token",
    "amount",
    "txid",
    "block",
    "energy_used",
    "trx_burned",
    "status",
    "reason",
    "cancelled_at",
    "cancel_reason",
    "refusal",
    "batch",
    "memo",
    "imported_at",
    "updated_at",
];

/// A CSV cell: every time in ISO 8601 UTC (the JSON's `cancelled_at` is ms).
fn csv_cell(column: &str, v: &Value) -> String {
    match (column, v.as_i64()) {
        ("cancelled_at", Some(ms)) => format_time(ms),
        _ => cell(v),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Sums of one token's rows that are not cancelled: amount, energy, TRX burned, count.
#[derive(Default)]
struct Sum {
    amount: U256,
    energy: u64,
    burned_sun: u64,
    payouts: usize,
}

fn sums(rows: &[Value]) -> BTreeMap<String, Sum> {
    let mut m: BTreeMap<String, Sum> = BTreeMap::new();
    for r in rows.iter().filter(|r| counted(r)) {
        let e = m.entry(cell(&r["token"])).or_default();
        let v = r["amount_base_units"]
            .as_str()
            .and_then(|a| U256::from_str_radix(a, 10).ok())
            .unwrap_or(U256::ZERO);
        e.amount = e.amount.saturating_add(v);
        e.energy += r["energy_used"].as_u64().unwrap_or(0);
        e.burned_sun += r["trx_burned"]
            .as_str()
            .and_then(|t| coldpay_shared::Sun::parse_trx(t).ok())
            .map_or(0, |t| t.as_u64());
        e.payouts += 1;
    }
    m
}

/// Writes rows as CSV, then one `TOTAL` row per token (cancelled payouts excluded): amount,
/// energy and TRX burned summed, the payout count in `status`.
pub fn to_csv(rows: &[Value]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    for r in rows {
        let rec: Vec<String> = CSV_COLUMNS.iter().map(|c| csv_cell(c, &r[*c])).collect();
        let _ = w.write_record(rec);
    }
    for (token, s) in sums(rows) {
        let mut rec = vec![String::new(); CSV_COLUMNS.len()];
        rec[0] = "TOTAL".into();
        rec[2] = token;
        rec[3] = format_units(s.amount, 6);
        rec[6] = s.energy.to_string();
        rec[7] = format_units(U256::from(s.burned_sun), 6);
        rec[8] = format!("{} payout(s)", s.payouts);
        let _ = w.write_record(rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The first `n` characters, with `…` when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

/// A text table: one line per payout, its txID whole on the line below (a table row is wider
/// than a terminal and wraps; a txID on its own line is never split), then the counts by status
/// and the totals per token.
pub fn to_table(rows: &[Value]) -> String {
    if rows.is_empty() {
        return "no payouts match".into();
    }
    let head = ["PAYOUT", "BATCH", "TO", "AMOUNT", "STATUS", "BLOCK"];
    let mut lines: Vec<[String; 6]> = vec![head.map(str::to_string)];
    let mut txids = vec![None];
    for r in rows {
        lines.push([
            cut(&cell(&r["payout_id"]), 24),
            cut(&cell(&r["batch"]), 20),
            cell(&r["to"]),
            format!("{} {}", cell(&r["amount"]), cell(&r["token"])),
            match r["approval_text"].as_str() {
                Some(t) if r["status"] == "awaiting_signature" => {
                    format!(
                        "awaiting_signature ({})",
                        t.split(", approved").next().unwrap_or(t)
                    )
                }
                _ => cell(&r["status"]),
            },
            cell(&r["block"]),
        ]);
        txids.push(r["txid"].as_str().map(|t| format!("    txid {t}")));
    }
    let width: Vec<usize> = (0..6)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| {
            l.iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 3 || i == 5 {
                        format!("{c:>w$}", w = width[i])
                    } else {
                        format!("{c:<w$}", w = width[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .zip(&txids)
        .flat_map(|(row, txid)| std::iter::once(row).chain(txid.clone()))
        .collect();
    let counts = counts(rows)
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let totals = sums(rows)
        .iter()
        .map(|(t, s)| format!("{} {t}", format_units(s.amount, 6)))
        .collect::<Vec<_>>()
        .join(" + ");
    let burned: u64 = sums(rows).values().map(|s| s.burned_sun).sum();
    out.push(format!(
        "{} payout(s): {counts}; total {} (cancelled excluded); TRX burned {}",
        rows.len(),
        if totals.is_empty() {
            "0".into()
        } else {
            totals
        },
        format_units(U256::from(burned), 6)
    ));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_totals() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_795_521_600_000), "2026-11-24T12:00:00Z");
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00Z");
        let rows = vec![
            json!({"status": "imported", "token": "USDT", "amount_base_units": "1250500000"}),
            json!({"status": "confirmed", "token": "USDT", "amount_base_units": "1000000"}),
            json!({"status": "cancelled", "token": "TRX", "amount_base_units": "7"}),
            json!({"status": "confirmed", "kind": "staking", "token": "TRX", "amount_base_units": "5000000"}),
        ];
        let tally = Tally::of_rows(&rows);
        let t = tally.totals();
        assert_eq!(t["USDT"], "1251.5 USDT");
        assert!(!t.contains_key("TRX"));
        assert_eq!(counts(&rows)["cancelled"], 1);
        assert_eq!(tally.counts, counts(&rows));
        assert_eq!(tally.payouts, 4);
    }

    #[test]
    fn txids_stay_whole_and_csv_times_are_iso() {
        let txid = "ab".repeat(32);
        let rows = vec![
            json!({"payout_id": "p1", "batch": "b", "to": "T", "amount": "1", "token": "TRX", "status": "confirmed", "block": 7, "txid": txid, "amount_base_units": "1000000"}),
            json!({"payout_id": "p2", "batch": "b", "to": "T", "amount": "2", "token": "TRX", "status": "cancelled", "cancelled_at": 1_795_521_600_000_i64, "imported_at": "2026-11-24T11:00:00Z", "amount_base_units": "2000000"}),
        ];
        let t = to_table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[2], format!("    txid {txid}"), "{t}");
        assert_eq!(t.matches("abab").count(), 16, "the txID once, whole: {t}");
        assert!(lines.iter().all(|l| l.chars().count() <= 100), "{t}");
        let csv = to_csv(&rows);
        let p2 = csv.lines().find(|l| l.starts_with("p2,")).unwrap();
        assert!(p2.contains(",2026-11-24T12:00:00Z,"), "{p2}");
        assert!(!p2.contains("1795521600000"), "{p2}");
    }
}
