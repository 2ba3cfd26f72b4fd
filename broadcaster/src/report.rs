//! `status` and `report`: one row per payout from the journal.

use coldpay_shared::amount::format_units;
use coldpay_shared::U256;
use serde_json::{json, Value};

use crate::error::Result;
use crate::journal::Journal;

/// One report row per payout (latest attempt).
pub fn rows(journal: &Journal, batch: Option<&str>) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for p in journal.payouts(batch)? {
        let a = journal.latest_attempt(&p.id)?;
        let receipt: Value = a
            .as_ref()
            .and_then(|a| a.receipt.as_deref())
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(Value::Null);
        let status = match a.as_ref().map(|a| a.state.as_str()) {
            None => "imported",
            Some("built") => "awaiting_signature",
            Some("signed") => "signed",
            Some("broadcast") => "broadcast",
            Some("included") => "included",
            Some("confirmed") => "confirmed",
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
            "txid": a.as_ref().map(|a| a.txid.clone()),
            "block": a.as_ref().and_then(|a| a.block),
            "energy_used": receipt["energy_usage_total"].as_u64(),
            "trx_burned": receipt["fee"].as_u64().map(|f| format_units(U256::from(f), 6)),
            "status": status,
            "reason": a.as_ref().and_then(|a| a.reason.clone()),
            "attempts": journal.attempts_where("payout_id = ?1", &[&p.id])?.len(),
        }));
    }
    Ok(out)
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
