//! The review row `inspect` and `tx decode` print for a transaction, derived only from its
//! decoded bytes. The JSON keys are a contract with scripts.

use serde_json::{json, Value};

use crate::error::Result;
use crate::transaction::{Intent, RawData};

/// The `--json` object for one transaction: exactly the documented keys.
pub fn inspect_json(raw: &RawData) -> Result<Value> {
    let intent = raw.intent()?;
    Ok(json!({
        "txid": raw.txid().to_hex(),
        "contract_type": raw.contract.kind.type_name(),
        "owner_address": intent.from().to_base58(),
        "to_address": intent.to().to_base58(),
        "token": intent.token().map(|t| t.to_base58()),
        "amount": intent.amount().to_string(),
        "fee_limit": (raw.fee_limit != 0).then_some(raw.fee_limit),
        "expiration": raw.expiration,
        "timestamp": (raw.timestamp != 0).then_some(raw.timestamp),
        "ref_block_bytes": hex::encode(raw.ref_block.bytes),
        "ref_block_hash": hex::encode(raw.ref_block.hash),
        "permission_id": (raw.contract.permission_id != 0).then_some(raw.contract.permission_id),
        "memo": raw.memo_display(),
    }))
}

/// A short human description of the intent ("1.5 TRX to T…", "1000000 base units of T… to T…").
pub fn describe_intent(intent: &Intent) -> String {
    match intent {
        Intent::TrxTransfer { to, amount_sun, .. } => {
            format!("{} TRX to {to}", amount_sun.to_trx_string())
        }
        Intent::Trc20Transfer {
            token, to, value, ..
        } => format!("{value} base units of {token} to {to}"),
    }
}

/// A plain-text review of the transactions in an input, one block per transaction.
pub fn inspect_text(txs: &[crate::input::FoundTx<'_>]) -> Result<String> {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (i, t) in txs.iter().enumerate() {
        let intent = t.raw.intent()?;
        let _ = writeln!(out, "#{} {}", i + 1, t.raw.contract.kind.type_name());
        if let Some(p) = t.payout_id {
            let _ = writeln!(out, "  payout id    {}", crate::text::escape(p));
        }
        let _ = writeln!(out, "  txid         {}", t.txid);
        let _ = writeln!(out, "  from         {}", intent.from());
        let _ = writeln!(out, "  to           {}", intent.to());
        match intent.token() {
            Some(tok) => {
                let _ = writeln!(out, "  token        {tok}");
                let _ = writeln!(out, "  amount       {} (base units)", intent.amount());
            }
            None => {
                let _ = writeln!(
                    out,
                    "  amount       {} TRX ({} sun)",
                    crate::amount::format_units(intent.amount(), crate::amount::TRX_DECIMALS),
                    intent.amount()
                );
            }
        }
        if t.raw.fee_limit != 0 {
            let _ = writeln!(
                out,
                "  fee limit    {} TRX",
                crate::amount::format_units(
                    crate::amount::U256::from(t.raw.fee_limit),
                    crate::amount::TRX_DECIMALS
                )
            );
        }
        let _ = writeln!(out, "  expiration   {} ms", t.raw.expiration);
        if t.raw.timestamp != 0 {
            let _ = writeln!(out, "  timestamp    {} ms", t.raw.timestamp);
        }
        let _ = writeln!(
            out,
            "  ref block    {} / {}",
            hex::encode(t.raw.ref_block.bytes),
            hex::encode(t.raw.ref_block.hash)
        );
        if t.raw.contract.permission_id != 0 {
            let _ = writeln!(out, "  permission   {}", t.raw.contract.permission_id);
        }
        if let Some(m) = t.raw.memo_display() {
            let _ = writeln!(out, "  memo         {}", m.escape_debug());
        }
    }
    Ok(out)
}

/// Runs `inspect` / `tx decode` on an input text: returns the JSON array or the text view.
pub fn inspect_input(text: &str, json: bool) -> Result<String> {
    render_input(&crate::input::parse_input(text)?, json)
}

/// The `inspect` output of an already parsed input (e.g. a request read from QR codes).
pub fn render_input(input: &crate::input::Input, json: bool) -> Result<String> {
    let txs = input.transactions();
    if json {
        let rows = txs
            .iter()
            .map(|t| inspect_json(t.raw))
            .collect::<Result<Vec<_>>>()?;
        Ok(serde_json::to_string_pretty(&Value::Array(rows)).expect("serialisable") + "\n")
    } else {
        inspect_text(&txs)
    }
}
