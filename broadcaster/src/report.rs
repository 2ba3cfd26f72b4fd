//! `status`, `report` and `batch list|show`: one row per payout from the journal.

use std::collections::BTreeMap;

use coldpay_shared::amount::format_units;
use coldpay_shared::U256;
use serde_json::{json, Value};

use crate::error::Result;
use crate::journal::{Batch, Journal};

/// Every payout status, in the order a payout moves through them.
pub const STATUSES: &[&str] = &[
    "imported",
    "awaiting_signature",
    "signed",
    "broadcast",
    "included",
    "confirmed",
    "failed",
    "expired",
    "cancelled",
];

/// One report row per payout (latest attempt). A cancelled payout has status `cancelled`
/// unless an attempt of it was confirmed after all (the chain wins).
pub fn rows(journal: &Journal, batch: Option<&str>) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for p in journal.payouts(batch)? {
        let attempts = journal.attempts_where("payout_id = ?1", &[&p.id])?;
        let a = attempts.last();
        let receipt: Value = a
            .and_then(|a| a.receipt.as_deref())
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(Value::Null);
        let status = match a.map(|a| a.state.as_str()) {
            Some("confirmed") => "confirmed",
            _ if p.cancelled_at.is_some() => "cancelled",
            None => "imported",
            Some("built") => "awaiting_signature",
            Some("signed") => "signed",
            Some("broadcast") => "broadcast",
            Some("included") => "included",
            Some("failed") => "failed",
            Some(_) => "expired",
        };
        let amount = U256::from_str_radix(&p.amount, 10).unwrap_or(U256::ZERO);
        out.push(json!({
            "payout_id": p.id,
            "batch": p.batch_id,
            "to": p.to,
            "token": if p.token == "TRX" { "TRX" } else { "USDT" },
            "amount": format_units(amount, 6),
            "amount_base_units": p.amount,
            "txid": a.map(|a| a.txid.clone()),
            "block": a.and_then(|a| a.block),
            "energy_used": receipt["energy_usage_total"].as_u64(),
            "trx_burned": receipt["fee"].as_u64().map(|f| format_units(U256::from(f), 6)),
            "status": status,
            "reason": a.and_then(|a| a.reason.clone()),
            "attempts": attempts.len(),
            "cancelled_at": p.cancelled_at,
            "cancel_reason": p.cancel_reason,
            "refusal": a.and_then(|a| a.refusal.clone()),
            "evidence": a
                .and_then(|a| a.evidence.as_deref())
                .and_then(|e| serde_json::from_str::<Value>(e).ok())
                .unwrap_or(Value::Null),
            "scanned_to": a.and_then(|a| a.scanned_to),
        }));
    }
    Ok(out)
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

/// Totals per token symbol of the rows that are not cancelled, e.g. `"1250.5 USDT"`.
pub fn totals(rows: &[Value]) -> BTreeMap<String, String> {
    let mut sums: BTreeMap<String, U256> = BTreeMap::new();
    for row in rows.iter().filter(|r| r["status"] != "cancelled") {
        let v = row["amount_base_units"]
            .as_str()
            .and_then(|a| U256::from_str_radix(a, 10).ok())
            .unwrap_or(U256::ZERO);
        let e = sums
            .entry(row["token"].as_str().unwrap_or("").to_string())
            .or_insert(U256::ZERO);
        *e = e.saturating_add(v);
    }
    sums.into_iter()
        .map(|(tok, v)| {
            let shown = format!("{} {tok}", format_units(v, 6));
            (tok, shown)
        })
        .collect()
}

/// The summary of one batch: id, from, network, created (ms), payout count, counts by status
/// and totals per token (cancelled payouts excluded from the totals).
pub fn batch_summary(b: &Batch, rows: &[Value]) -> Value {
    json!({
        "batch": b.id,
        "from": b.from,
        "network": b.network,
        "created_at": b.created_at,
        "created": format_time(b.created_at),
        "payouts": rows.len(),
        "counts": counts(rows),
        "totals": totals(rows),
    })
}

/// One text line for a batch summary.
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
        "{}  {}  {}  {}  {} payout(s): {}  total {}",
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

/// UTC time of a ms timestamp, `2026-11-24T10:00:00Z`.
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Writes rows as CSV.
pub fn to_csv(rows: &[Value]) -> String {
    let cols = [
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
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(cols);
    for r in rows {
        let rec: Vec<String> = cols
            .iter()
            .map(|c| match &r[*c] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                v => v.to_string(),
            })
            .collect();
        let _ = w.write_record(rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
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
        ];
        let t = totals(&rows);
        assert_eq!(t["USDT"], "1251.5 USDT");
        assert!(!t.contains_key("TRX"));
        assert_eq!(counts(&rows)["cancelled"], 1);
    }
}
