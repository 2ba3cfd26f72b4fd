//! Recorded transfers: the journal's `transfers` table, written by `watch` (once per account,
//! transaction, log and direction) and read by `transfers list` and `reconcile`.

use coldpay_shared::timefmt::TimeInput;
use coldpay_shared::{Address, U256};
use rusqlite::params;
use serde::Serialize;

use crate::error::{BcError, Result};
use crate::journal::now_ms;
use crate::movements::Movement;

/// One recorded transfer, as `transfers list` and `watch --json` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// Watched account (base58).
    pub account: String,
    /// "in" or "out".
    pub direction: String,
    /// "TRX" or the token contract (base58).
    pub token: String,
    /// Symbol ("TRX", "USDT").
    pub symbol: String,
    /// Amount in token units ("12.5").
    pub amount: String,
    /// Amount in base units.
    pub amount_base_units: String,
    /// Sender (in) or recipient (out); for a contract call that moved nothing, the contract.
    pub counterparty: Option<String>,
    /// TRX burned by the account for this transaction (sun).
    pub fee_sun: u64,
    /// The same in TRX.
    pub fee_trx: String,
    /// Transaction.
    pub txid: String,
    /// -1 for the transaction itself, else the event log index.
    pub log_index: i64,
    /// Contract type name.
    pub contract: String,
    /// The block's contractRet.
    pub result: String,
    /// Block.
    pub block: u64,
    /// blockID (hex).
    pub block_id: String,
    /// Block time (ms since the epoch).
    pub block_time: u64,
    /// Block time, RFC 3339 UTC.
    pub time: String,
    /// The coldpay payout, when the txID is a coldpay attempt.
    pub payout_id: Option<String>,
    /// An outgoing transaction coldpay did not make.
    pub alarm: bool,
    /// `verified` (follows from the verified transaction itself) or `node-reported` (only a
    /// receipt log shows it: a node's claim, never counted as verified money).
    pub evidence: String,
    /// For a node-reported movement: the endpoint whose receipt showed it.
    pub reported_by: Option<String>,
}

/// Where a movement was found.
pub struct At<'a> {
    /// Block number.
    pub block: u64,
    /// blockID hex.
    pub block_id: &'a str,
    /// Block time (ms).
    pub block_time: u64,
}

/// Records a movement unless it is recorded already; `true` when it is new.
pub fn insert(
    tx: &rusqlite::Transaction<'_>,
    m: &Movement,
    at: &At<'_>,
    payout_id: Option<&str>,
    alarm: bool,
) -> Result<bool> {
    let n = tx
        .execute(
            "INSERT OR IGNORE INTO transfers (account, txid, log_index, direction, token, amount, counterparty, fee_sun, contract, result, block, block_id, block_time, payout_id, alarm, recorded_at, evidence, reported_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                m.account.to_base58(),
                m.txid.to_hex(),
                m.log_index,
                m.direction.as_str(),
                m.token.map_or_else(|| "TRX".to_string(), |t| t.to_base58()),
                m.amount.to_string(),
                m.counterparty.map(|c| c.to_base58()),
                i64::try_from(m.fee_sun).unwrap_or(i64::MAX),
                m.contract,
                m.result,
                at.block as i64,
                at.block_id,
                at.block_time as i64,
                payout_id,
                alarm,
                now_ms(),
                m.evidence.as_str(),
                m.reported_by,
            ],
        )
        .map_err(|e| BcError::journal_at(e, format!("record transfer {} for {}", m.txid, m.account)))?;
    Ok(n == 1)
}

/// The record of a movement just inserted (what `watch` prints and an alarm carries).
pub fn recorded(
    m: &Movement,
    at: &At<'_>,
    payout_id: Option<String>,
    alarm: bool,
    network: &str,
) -> Recorded {
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
        result: m.result.clone(),
        block: at.block,
        block_id: at.block_id.to_string(),
        block_time: at.block_time,
        time: rfc3339(at.block_time),
        payout_id,
        alarm,
        evidence: m.evidence.as_str().into(),
        reported_by: m.reported_by.clone(),
    }
}

const COLS: &str = "account, direction, token, amount, counterparty, fee_sun, txid, log_index, contract, result, block, block_id, block_time, payout_id, alarm, evidence, reported_by";

fn from_row(r: &rusqlite::Row<'_>, network: &str) -> rusqlite::Result<Recorded> {
    let token: String = r.get(2)?;
    let base: String = r.get(3)?;
    let value = U256::from_str_radix(&base, 10).unwrap_or(U256::ZERO);
    let (amount, symbol) = crate::tokens::display(&token, value, network);
    let fee: i64 = r.get(5)?;
    let block_time = r.get::<_, i64>(12)? as u64;
    Ok(Recorded {
        account: r.get(0)?,
        direction: r.get(1)?,
        token,
        symbol,
        amount,
        amount_base_units: base,
        counterparty: r.get(4)?,
        fee_sun: fee as u64,
        fee_trx: coldpay_shared::amount::format_units(U256::from(fee as u64), 6),
        txid: r.get(6)?,
        log_index: r.get(7)?,
        contract: r.get(8)?,
        result: r.get(9)?,
        block: r.get::<_, i64>(10)? as u64,
        block_id: r.get(11)?,
        block_time,
        time: rfc3339(block_time),
        payout_id: r.get(13)?,
        alarm: r.get(14)?,
        evidence: r.get(15)?,
        reported_by: r.get(16)?,
    })
}

/// Recorded transfers with block time ≥ `since_ms` (all accounts, or `account`), in chain order.
pub fn list(
    conn: &rusqlite::Connection,
    network: &str,
    since_ms: u64,
    account: Option<&Address>,
) -> Result<Vec<Recorded>> {
    where_(
        conn,
        network,
        "block_time >= ?1 AND (?2 IS NULL OR account = ?2)",
        params![since_ms as i64, account.map(Address::to_base58)],
    )
}

/// Recorded transfers of `account` in blocks `(after, upto]`, in chain order.
pub fn in_blocks(
    conn: &rusqlite::Connection,
    network: &str,
    account: &str,
    after: u64,
    upto: u64,
) -> Result<Vec<Recorded>> {
    where_(
        conn,
        network,
        "account = ?1 AND block > ?2 AND block <= ?3",
        params![account, after as i64, upto as i64],
    )
}

fn where_(
    conn: &rusqlite::Connection,
    network: &str,
    clause: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<Recorded>> {
    let mut st = conn
        .prepare(&format!(
            "SELECT {COLS} FROM transfers WHERE {clause} ORDER BY block, txid, log_index, direction"
        ))
        .map_err(|e| BcError::journal_at(e, "read recorded transfers"))?;
    st.query_map(p, |r| from_row(r, network))
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(|e| BcError::journal_at(e, "read recorded transfers"))
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
    let io = |e: csv::Error| BcError::Io(format!("writing CSV: {e}"));
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
        .map_err(|e| BcError::Io(format!("writing CSV: {e}")))?;
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
