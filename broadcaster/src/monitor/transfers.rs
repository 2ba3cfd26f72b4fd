//! Recorded transfers as shown: the journal's `transfers` rows (written by `watch` once per
//! account, transaction, log and direction, read by `transfers list` and `reconcile`; SQL in
//! [`crate::journal::transfer_rows`]) in token units with symbols, as text lines and CSV.

use std::fmt;

use coldpay_shared::timefmt::TimeInput;
use coldpay_shared::{Address, Network, U256};
use serde::Serialize;

use crate::error::{BcError, Result};
use crate::journal::{now_ms, Journal, TransferRow};

pub use crate::journal::Recorded;

/// How a recorded transfer is shown: amounts in the token's units with its symbol, the fee in
/// TRX, the block time in RFC 3339.
pub fn shown(t: &TransferRow, network: Network) -> Recorded {
    let m = &t.movement;
    let token = m.token.map_or_else(|| "TRX".to_string(), |t| t.to_base58());
    let (amount, symbol) = crate::tokens::display(&token, m.amount, network);
    Recorded {
        account: m.account.to_base58(),
        direction: m.direction.as_str().into(),
        token,
        symbol,
        amount,
        amount_base_units: m.amount.to_string(),
        counterparty: m.counterparty.map(|c| c.to_base58()),
        fee_sun: m.fee_sun,
        fee_trx: coldpay_shared::amount::format_units(U256::from(m.fee_sun), 6),
        txid: m.txid.to_hex(),
        log_index: m.log_index,
        contract: m.contract.clone(),
        result: m.result.to_string(),
        block: t.at.block,
        block_id: hex::encode(t.at.block_id),
        block_time: t.at.block_time,
        time: rfc3339(t.at.block_time),
        payout_id: t.payout_id.clone(),
        alarm: t.alarm,
        evidence: m.evidence.as_str().into(),
        reported_by: m.reported_by.clone(),
    }
}

/// `transfers list`: the recorded transfers since a time, in chain order, as shown; its text
/// is one [`human_line`] per transfer (or says there is none since `since_ms`), its JSON the
/// array of rows, its CSV [`to_csv`].
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct TransferList {
    /// The transfers.
    pub rows: Vec<Recorded>,
    /// The start of the listing (ms since the epoch).
    #[serde(skip)]
    pub since_ms: u64,
}

impl fmt::Display for TransferList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows.is_empty() {
            return writeln!(f, "no transfers recorded since {}", rfc3339(self.since_ms));
        }
        for r in &self.rows {
            writeln!(f, "{}", human_line(r))?;
        }
        Ok(())
    }
}

/// Recorded transfers with block time ≥ `since_ms` (all accounts, or `account`), in chain
/// order, as shown.
pub fn list(
    journal: &Journal,
    network: Network,
    since_ms: u64,
    account: Option<&Address>,
) -> Result<Vec<Recorded>> {
    let rows = journal.transfers_since(since_ms, account)?;
    Ok(rows.iter().map(|r| shown(r, network)).collect())
}

/// Recorded transfers of `account` in blocks `(after, upto]`, in chain order, as shown.
pub fn in_blocks(
    journal: &Journal,
    network: Network,
    account: &str,
    after: u64,
    upto: u64,
) -> Result<Vec<Recorded>> {
    let rows = journal.transfers_in_blocks(account, after, upto)?;
    Ok(rows.iter().map(|r| shown(r, network)).collect())
}

/// ms since the epoch as RFC 3339 UTC (seconds).
pub fn rfc3339(ms: u64) -> String {
    coldpay_shared::timefmt::utc_seconds(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// What a transaction that moved no TRX or token did, by its contract type: "permission
/// update", "staking (FreezeBalanceV2Contract)"; `None` for a transfer.
fn no_movement(r: &Recorded) -> Option<String> {
    if r.counterparty.is_some() || r.token != "TRX" || r.amount_base_units != "0" {
        return None;
    }
    Some(match r.contract.as_str() {
        "AccountPermissionUpdateContract" => "permission update".to_string(),
        c if c.contains("Balance") || c.contains("Delegate") || c.contains("Unfreeze") => {
            format!("staking ({c})")
        }
        c => format!("{c} (moved no TRX)"),
    })
}

/// One human line: `block 12 2026-…Z  in   12.5 USDT from T… to T… (txid …)`; a transaction
/// that moved nothing says what it was (`… out  T… permission update, fee 100 TRX …`).
pub fn human_line(r: &Recorded) -> String {
    let side = match r.direction.as_str() {
        "in" => format!("from {}", r.counterparty.as_deref().unwrap_or("?")),
        _ => format!("to {}", r.counterparty.as_deref().unwrap_or("?")),
    };
    let what = no_movement(r).unwrap_or_else(|| format!("{} {} {side}", r.amount, r.symbol));
    let fee = if r.fee_sun > 0 {
        format!(", fee {} TRX", r.fee_trx)
    } else {
        String::new()
    };
    let tag = match (&r.payout_id, r.alarm) {
        (_, true) => " NOT MADE BY COLDPAY".to_string(),
        (Some(p), _) => format!(" payout {p}"),
        _ => String::new(),
    };
    let failed = if matches!(r.result.as_str(), "SUCCESS" | "DEFAULT") {
        String::new()
    } else {
        format!(" [{}]", r.result)
    };
    let claim = if r.evidence == "node-reported" {
        format!(
            " NODE-REPORTED (a receipt log of {}, not verified money)",
            r.reported_by.as_deref().unwrap_or("a node")
        )
    } else {
        String::new()
    };
    format!(
        "block {} {} {:<3} {} {what}{fee}{failed}{tag}{claim} ({} {})",
        r.block, r.time, r.direction, r.account, r.contract, r.txid
    )
}

/// CSV of recorded transfers (header first).
pub fn to_csv(rows: &[Recorded]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| BcError::io("writing CSV", &e.into());
    w.write_record([
        "time",
        "block",
        "account",
        "direction",
        "amount",
        "symbol",
        "amount_base_units",
        "token",
        "counterparty",
        "fee_trx",
        "fee_sun",
        "txid",
        "log_index",
        "contract",
        "result",
        "payout_id",
        "alarm",
        "evidence",
        "reported_by",
    ])
    .map_err(io)?;
    for r in rows {
        w.write_record([
            r.time.clone(),
            r.block.to_string(),
            r.account.clone(),
            r.direction.clone(),
            r.amount.clone(),
            r.symbol.clone(),
            r.amount_base_units.clone(),
            r.token.clone(),
            r.counterparty.clone().unwrap_or_default(),
            r.fee_trx.clone(),
            r.fee_sun.to_string(),
            r.txid.clone(),
            r.log_index.to_string(),
            r.contract.clone(),
            r.result.clone(),
            r.payout_id.clone().unwrap_or_default(),
            r.alarm.to_string(),
            r.evidence.clone(),
            r.reported_by.clone().unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| BcError::io("writing CSV", e.error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Parses `--since` / `--from` / `--to` ([`TimeInput`]): an RFC 3339 time
/// (`2026-12-01T08:00:00Z`), a date (`2026-12-01`, midnight UTC; with `end_of_day` the
/// following midnight) or a duration back from now (`24h`, `7days`). Returns ms since the epoch.
pub fn parse_time(s: &str, what: &str, end_of_day: bool) -> Result<u64> {
    use coldpay_shared::{Error, TimeRefusal};
    let t = TimeInput::parse(s).map_err(|e| match e {
        Error::Time {
            reason: TimeRefusal::Unrecognised,
            ..
        } => BcError::Input(format!(
            "{what} {:?}: give a date (2026-12-01), a UTC time (2026-12-01T08:00:00Z) or a duration back from now (24h)",
            s.trim()
        )),
        other => BcError::Input(format!("{what} {other}")),
    })?;
    let now = now_ms() as u64;
    Ok(if end_of_day { t.end(now) } else { t.start(now) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(contract: &str, amount: &str, counterparty: Option<&str>) -> Recorded {
        Recorded {
            account: "TA".into(),
            direction: "out".into(),
            token: "TRX".into(),
            symbol: "TRX".into(),
            amount: amount.into(),
            amount_base_units: if amount == "0" { "0" } else { "1000000" }.into(),
            counterparty: counterparty.map(str::to_string),
            fee_sun: 100_000_000,
            fee_trx: "100".into(),
            txid: "ab".into(),
            log_index: -1,
            contract: contract.into(),
            result: "SUCCESS".into(),
            block: 12,
            block_id: "00".into(),
            block_time: 0,
            time: "1970-01-01T00:00:00Z".into(),
            payout_id: None,
            alarm: false,
            evidence: "verified".into(),
            reported_by: None,
        }
    }

    #[test]
    fn a_permission_update_reads_as_one() {
        let l = human_line(&recorded("AccountPermissionUpdateContract", "0", None));
        assert_eq!(
            l,
            "block 12 1970-01-01T00:00:00Z out TA permission update, fee 100 TRX (AccountPermissionUpdateContract ab)"
        );
        assert!(!l.contains("0 TRX to ?"), "{l}");
        let l = human_line(&recorded("FreezeBalanceV2Contract", "0", None));
        assert!(l.contains(" staking (FreezeBalanceV2Contract), fee"), "{l}");
        let l = human_line(&recorded("TransferContract", "1", Some("TB")));
        assert!(l.contains("out TA 1 TRX to TB, fee 100 TRX"), "{l}");
    }

    #[test]
    fn a_listing_is_one_line_per_transfer_or_says_there_is_none() {
        let mut list = TransferList {
            rows: Vec::new(),
            since_ms: 1_796_083_200_000,
        };
        assert_eq!(
            list.to_string(),
            "no transfers recorded since 2026-12-01T00:00:00Z\n"
        );
        assert_eq!(serde_json::to_string(&list).unwrap(), "[]");
        list.rows = vec![
            recorded("TransferContract", "1", Some("TB")),
            recorded("AccountPermissionUpdateContract", "0", None),
        ];
        let text = list.to_string();
        let lines: Vec<String> = list.rows.iter().map(human_line).collect();
        assert_eq!(text, format!("{}\n{}\n", lines[0], lines[1]));
        // The JSON is the rows, keys in field order (as `--format json` always printed them).
        let json = serde_json::to_string_pretty(&list).unwrap();
        assert_eq!(json, serde_json::to_string_pretty(&list.rows).unwrap());
        assert!(
            json.starts_with("[\n  {\n    \"account\": \"TA\",\n    \"direction\""),
            "{json}"
        );
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time("2026-12-01", "--from", false).unwrap(),
            1_796_083_200_000
        );
        assert_eq!(
            parse_time("2026-12-01", "--to", true).unwrap(),
            1_796_083_200_000 + 86_400_000
        );
        assert_eq!(
            parse_time("2026-12-01T00:00:10Z", "--from", false).unwrap(),
            1_796_083_210_000
        );
        let back = parse_time("1h", "--since", false).unwrap();
        assert!((now_ms() as u64).abs_diff(back + 3_600_000) < 5_000);
        let e = parse_time("yesterday", "--since", false).unwrap_err();
        assert!(e.to_string().contains("give a date"), "{e}");
        assert_eq!(rfc3339(1_796_083_210_000), "2026-12-01T00:00:10Z");
    }
}
