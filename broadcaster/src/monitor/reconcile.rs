//! `reconcile`: per account and token, opening balance + in − out − fees burned = closing
//! balance, from the journaled balance snapshots and the recorded transfers; every payout's
//! txID → block → result → energy → TRX burned; every incoming transfer; every discrepancy named.
//!
//! The period's ends are balance snapshots (balances at verified solidified blocks, see
//! [`crate::monitor::balances`]): the opening one is the latest at or before `--from` (else the first
//! inside the period, and the period starts there), the closing one the latest at or before
//! `--to`. Movements count when their block is after the opening block and at or before the
//! closing block.
//!
//! Only *verified* movements (following from a verified transaction itself) count in a balance
//! line. *Node-reported* ones (only a receipt log shows them, e.g. a token moved inside another
//! contract's call) are listed and totalled apart and never counted as money; an outgoing one
//! coldpay did not make is still an alarm.

use std::collections::HashMap;

use coldpay_shared::{Network, U256};
use serde::Serialize;

use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::monitor::balances::{snapshots, Snapshot};
use crate::monitor::coverage::BlockTime;
use crate::monitor::transfers::{rfc3339, Recorded};

/// One account and token over the period.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    /// Account (base58).
    pub account: String,
    /// Symbol.
    pub symbol: String,
    /// "TRX" or the token contract.
    pub token: String,
    /// Decimals of the token (6 for TRX and USDT).
    pub decimals: u8,
    /// Opening snapshot block and time.
    pub opening_block: u64,
    /// RFC 3339.
    pub opening_time: String,
    /// Closing snapshot block and time.
    pub closing_block: u64,
    /// RFC 3339.
    pub closing_time: String,
    /// Base units.
    pub opening: String,
    /// Sum of incoming (base units).
    pub incoming: String,
    /// Sum of outgoing (base units).
    pub outgoing: String,
    /// TRX burned (sun; TRX lines only).
    pub fees: String,
    /// Node-reported incoming (base units): listed apart, not counted.
    pub node_reported_in: String,
    /// Node-reported outgoing (base units): listed apart, not counted.
    pub node_reported_out: String,
    /// opening + in − out − fees (base units; "-…" when negative).
    pub expected_closing: String,
    /// The node's balance at the closing block (base units).
    pub closing: String,
    /// closing − expected (base units, signed).
    pub difference: String,
    /// The same lines in token units.
    pub display: String,
}

/// A payout settled in the period.
#[derive(Clone, Debug, Serialize)]
pub struct PayoutLine {
    /// Payout.
    pub payout_id: String,
    /// Sending account (base58).
    pub account: String,
    /// Symbol (`TRX`, `USDT`).
    pub symbol: String,
    /// Amount in token units.
    pub amount: String,
    /// Amount in base units.
    pub amount_base_units: String,
    /// txID.
    pub txid: String,
    /// Block.
    pub block: Option<u64>,
    /// contractRet / journal state.
    pub result: String,
    /// Energy used.
    pub energy: u64,
    /// TRX burned (sun) per the journal's receipt.
    pub trx_burned_sun: u64,
}

pub use crate::monitor::discrepancy::Discrepancy;

/// The whole reconciliation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Reconciliation {
    /// `--from` (RFC 3339).
    pub from: String,
    /// `--to` (RFC 3339).
    pub to: String,
    /// Per account: the blocks and times the statement actually covers, what it leaves out.
    pub coverage: Vec<crate::monitor::coverage::Coverage>,
    /// Per account and token.
    pub balances: Vec<Line>,
    /// Payouts settled in the period.
    pub payouts: Vec<PayoutLine>,
    /// Incoming transfers (verified).
    pub incoming: Vec<Recorded>,
    /// Outgoing transfers (verified).
    pub outgoing: Vec<Recorded>,
    /// Movements only a node's receipt logs show: never counted in a balance line.
    pub node_reported: Vec<Recorded>,
    /// Everything that does not add up.
    pub discrepancies: Vec<Discrepancy>,
    /// The signer's audit export checked against the journal (`--audit`).
    pub audit: Option<crate::monitor::audit_check::AuditCheck>,
}

/// Reconciles `accounts` over `[from_ms, to_ms]`; `time` reads a verified block's time (for
/// payouts outside the covered range).
pub fn reconcile(
    journal: &Journal,
    network: Network,
    accounts: &[String],
    (from_ms, to_ms): (u64, u64),
    time: BlockTime<'_>,
) -> Result<Reconciliation> {
    let mut r = Reconciliation {
        from: rfc3339(from_ms),
        to: rfc3339(to_ms),
        ..Reconciliation::default()
    };
    for a in accounts {
        account(journal, network, a, (from_ms, to_ms, time), &mut r)?;
    }
    Ok(r)
}

impl std::fmt::Display for Reconciliation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_text(self))
    }
}

impl Reconciliation {
    /// Whether the statement adds up: exit 9 ([`BcError::Discrepancy`]) naming how many
    /// discrepancies and coverage warnings it lists, when there are any.
    pub fn verdict(&self) -> Result<()> {
        match (self.discrepancies.len(), self.warnings().len()) {
            (0, 0) => Ok(()),
            (0, w) => Err(BcError::Discrepancy(format!(
                "the statement covers less than the period asked ({w} warning(s) above)"
            ))),
            (d, 0) => Err(BcError::Discrepancy(format!(
                "{d} discrepanc(ies) in the reconciliation (listed above)"
            ))),
            (d, w) => Err(BcError::Discrepancy(format!(
                "{d} discrepanc(ies) in the reconciliation, and it covers less than the period asked ({w} warning(s)); all listed above"
            ))),
        }
    }

    /// Every coverage warning of every account.
    pub fn warnings(&self) -> Vec<&str> {
        self.coverage
            .iter()
            .flat_map(|c| c.warnings.iter().map(String::as_str))
            .collect()
    }
}

fn ends(s: &[Snapshot], from_ms: u64, to_ms: u64) -> Option<(Snapshot, Snapshot)> {
    let open = s
        .iter()
        .rev()
        .find(|x| x.block_time <= from_ms)
        .or_else(|| s.iter().find(|x| x.block_time <= to_ms))?;
    let close = s.iter().rev().find(|x| x.block_time <= to_ms)?;
    Some((open.clone(), close.clone()))
}

fn account(
    journal: &Journal,
    network: Network,
    a: &str,
    (from_ms, to_ms, time): (u64, u64, BlockTime<'_>),
    r: &mut Reconciliation,
) -> Result<()> {
    let trx = snapshots(journal, a, "TRX")?;
    let Some((open, close)) = ends(&trx, from_ms, to_ms) else {
        r.discrepancies.push(Discrepancy {
            kind: "no_snapshot".into(),
            account: a.into(),
            txid: None,
            detail: format!("no balance snapshot of {a} at or before the period's end: run `watch` (or `reconcile`) while the period is current"),
        });
        return Ok(());
    };
    let inputs = crate::monitor::coverage::Inputs {
        from_ms,
        to_ms,
        all: &trx,
        open: &open,
        close: &close,
    };
    r.coverage.push(crate::monitor::coverage::of(
        journal, network, a, &inputs, time,
    )?);
    let rows = crate::monitor::transfers::in_blocks(journal, network, a, open.block, close.block)?;
    let mut tokens = vec!["TRX".to_string()];
    tokens.extend(
        crate::tokens::registered(network)
            .iter()
            .map(|t| t.contract.to_base58()),
    );
    for token in &tokens {
        let snaps = if token == "TRX" {
            trx.clone()
        } else {
            snapshots(journal, a, token)?
        };
        let (Some(o), Some(c)) = (
            snaps.iter().find(|s| s.block == open.block),
            snaps.iter().find(|s| s.block == close.block),
        ) else {
            continue;
        };
        balance_line(network, a, token, o, c, &rows, r);
    }
    for row in &rows {
        if row.alarm {
            r.discrepancies.push(Discrepancy {
                kind: "unknown_outgoing".into(),
                account: a.into(),
                txid: Some(row.txid.clone()),
                detail: format!(
                    "{} {} to {} and {} TRX burned in block {} were not made by coldpay (alarm)",
                    row.amount,
                    row.symbol,
                    row.counterparty.as_deref().unwrap_or("?"),
                    row.fee_trx,
                    row.block
                ),
            });
        }
        if row.evidence != "verified" {
            r.node_reported.push(row.clone());
        } else if row.direction == "in" {
            r.incoming.push(row.clone());
        } else {
            r.outgoing.push(row.clone());
        }
    }
    payouts(journal, network, a, (&open, &close), &rows, r)
}

fn sum(rows: &[Recorded], token: &str, dir: &str, evidence: &str) -> U256 {
    rows.iter()
        .filter(|x| x.token == token && x.direction == dir && x.evidence == evidence)
        .map(|x| U256::from_str_radix(&x.amount_base_units, 10).unwrap_or(U256::ZERO))
        .fold(U256::ZERO, |s, v| s.saturating_add(v))
}

/// `a − b` as a signed decimal.
fn signed(a: U256, b: U256) -> String {
    if a >= b {
        (a - b).to_string()
    } else {
        format!("-{}", b - a)
    }
}

fn balance_line(
    network: Network,
    a: &str,
    token: &str,
    o: &Snapshot,
    c: &Snapshot,
    rows: &[Recorded],
    r: &mut Reconciliation,
) {
    let incoming = sum(rows, token, "in", "verified");
    let outgoing = sum(rows, token, "out", "verified");
    let reported_in = sum(rows, token, "in", "node-reported");
    let reported_out = sum(rows, token, "out", "node-reported");
    let fees = if token == "TRX" {
        U256::from(rows.iter().map(|x| x.fee_sun).sum::<u64>())
    } else {
        U256::ZERO
    };
    let plus = o.amount.saturating_add(incoming);
    let minus = outgoing.saturating_add(fees);
    let expected = signed(plus, minus);
    let difference = signed(c.amount.saturating_add(minus), plus);
    let (symbol, decimals) = crate::tokens::unit_of(token, network);
    let u = |v: U256| coldpay_shared::amount::format_units(v, decimals);
    let reported = if reported_in.is_zero() && reported_out.is_zero() {
        String::new()
    } else {
        format!(
            " (node-reported, not counted: in {}, out {})",
            u(reported_in),
            u(reported_out)
        )
    };
    let display = format!(
        "{a} {symbol}: opening {} + in {} − out {} − fees {} = {}; node at block {}: {}{reported}",
        u(o.amount),
        u(incoming),
        u(outgoing),
        u(fees),
        if plus >= minus {
            u(plus - minus)
        } else {
            format!("-{}", u(minus - plus))
        },
        c.block,
        u(c.amount)
    );
    if difference != "0" {
        let d = c.amount.saturating_add(minus);
        let (word, amount) = if d > plus {
            ("more", d - plus)
        } else {
            ("less", plus - d)
        };
        r.discrepancies.push(Discrepancy {
            kind: "balance".into(),
            account: a.into(),
            txid: None,
            detail: format!(
                "{symbol} of {a}: the node shows {} {symbol} {word} than the recorded transfers and fees explain ({} base units) between blocks {} and {}: a movement or a fee the journal does not know",
                u(amount),
                amount,
                o.block,
                c.block
            ),
        });
    }
    r.balances.push(Line {
        account: a.into(),
        symbol,
        token: token.into(),
        decimals,
        opening_block: o.block,
        opening_time: rfc3339(o.block_time),
        closing_block: c.block,
        closing_time: rfc3339(c.block_time),
        opening: o.amount.to_string(),
        incoming: incoming.to_string(),
        outgoing: outgoing.to_string(),
        fees: fees.to_string(),
        node_reported_in: reported_in.to_string(),
        node_reported_out: reported_out.to_string(),
        expected_closing: expected,
        closing: c.amount.to_string(),
        difference,
        display,
    });
}

/// Every settled attempt of the account's batches in the period, checked against the record.
fn payouts(
    journal: &Journal,
    network: Network,
    a: &str,
    (open, close): (&Snapshot, &Snapshot),
    rows: &[Recorded],
    r: &mut Reconciliation,
) -> Result<()> {
    let settled = journal.settled_payouts_in_blocks(a, open.block, close.block)?;
    // The fee of each recorded outgoing transaction, summed once (not re-scanned per payout).
    let mut out_fees: HashMap<&str, u64> = HashMap::new();
    for x in rows.iter().filter(|x| x.direction == "out") {
        *out_fees.entry(x.txid.as_str()).or_insert(0) += x.fee_sun;
    }
    for at in settled {
        let txid = at.txid.to_hex();
        let rc = &at.receipt;
        match out_fees.get(txid.as_str()).copied() {
            None => r.discrepancies.push(Discrepancy {
                kind: "payout_not_recorded".into(),
                account: a.into(),
                txid: Some(txid.clone()),
                detail: format!("payout {} ({txid}) is {} in block {} by the journal, but `watch` recorded no such outgoing transaction", at.payout_id, at.state.as_str(), at.block),
            }),
            Some(f) if f != rc.fee => r.discrepancies.push(Discrepancy {
                kind: "fee_mismatch".into(),
                account: a.into(),
                txid: Some(txid.clone()),
                detail: format!("payout {}: the journal's receipt says {} sun burned, the recorded transaction {f} sun", at.payout_id, rc.fee),
            }),
            Some(_) => {}
        }
        let (symbol, decimals) = at.token.unit(network);
        r.payouts.push(PayoutLine {
            account: a.into(),
            amount: coldpay_shared::amount::format_units(at.amount, decimals),
            symbol,
            amount_base_units: at.amount.to_string(),
            result: if rc.result.is_empty() {
                at.state.as_str().into()
            } else {
                rc.result.clone()
            },
            energy: rc.energy_usage_total,
            trx_burned_sun: rc.fee,
            payout_id: at.payout_id,
            txid,
            block: Some(at.block),
        });
    }
    Ok(())
}

/// The CSV header: one column per field a statement row may fill.
const CSV_HEADER: [&str; 13] = [
    "kind",
    "account",
    "symbol",
    "block",
    "time",
    "txid",
    "amount_base_units",
    "fee_sun",
    "energy",
    "result",
    "payout_id",
    "detail",
    "amount",
];

/// The statement as CSV: one row per line of it (`kind` says which), written in stages:
/// coverage, balance lines, payouts, transfers, signed transactions (`--audit`), discrepancies.
pub fn to_csv(r: &Reconciliation) -> Result<String> {
    let io = |e: csv::Error| crate::error::BcError::io("writing CSV", &e.into());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER).map_err(io)?;
    coverage_csv(r, &mut w).map_err(io)?;
    balances_csv(&r.balances, &mut w).map_err(io)?;
    payouts_csv(&r.payouts, &mut w).map_err(io)?;
    transfers_csv(r, &mut w).map_err(io)?;
    if let Some(a) = &r.audit {
        audit_csv(a, &mut w).map_err(io)?;
    }
    discrepancies_csv(&r.discrepancies, &mut w).map_err(io)?;
    let bytes = w
        .into_inner()
        .map_err(|e| crate::error::BcError::io("writing CSV", e.error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Each balance line as its nine CSV rows (`opening` … `difference`).
fn balances_csv(lines: &[Line], w: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
    for l in lines {
        let units = |v: &str| signed_units(v, l.decimals);
        for (k, block, time, v) in [
            ("opening", l.opening_block, &l.opening_time, &l.opening),
            ("incoming", l.closing_block, &l.closing_time, &l.incoming),
            ("outgoing", l.closing_block, &l.closing_time, &l.outgoing),
            ("fees", l.closing_block, &l.closing_time, &l.fees),
            (
                "node_reported_in",
                l.closing_block,
                &l.closing_time,
                &l.node_reported_in,
            ),
            (
                "node_reported_out",
                l.closing_block,
                &l.closing_time,
                &l.node_reported_out,
            ),
            (
                "expected_closing",
                l.closing_block,
                &l.closing_time,
                &l.expected_closing,
            ),
            ("closing", l.closing_block, &l.closing_time, &l.closing),
            (
                "difference",
                l.closing_block,
                &l.closing_time,
                &l.difference,
            ),
        ] {
            w.write_record([
                k,
                &l.account,
                &l.symbol,
                &block.to_string(),
                time,
                "",
                v,
                "",
                "",
                "",
                "",
                &l.display,
                &units(v),
            ])?;
        }
    }
    Ok(())
}

/// Each settled payout as a `payout` CSV row.
fn payouts_csv(payouts: &[PayoutLine], w: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
    for p in payouts {
        w.write_record([
            "payout",
            &p.account,
            &p.symbol,
            &p.block.map_or(String::new(), |b| b.to_string()),
            "",
            &p.txid,
            &p.amount_base_units,
            &p.trx_burned_sun.to_string(),
            &p.energy.to_string(),
            &p.result,
            &p.payout_id,
            &format!(
                "{} {}, {} TRX burned",
                p.amount,
                p.symbol,
                trx(p.trx_burned_sun)
            ),
            &p.amount,
        ])?;
    }
    Ok(())
}

/// Each recorded transfer (verified, then node-reported) as a CSV row.
fn transfers_csv(r: &Reconciliation, w: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
    for t in r.incoming.iter().chain(&r.outgoing).chain(&r.node_reported) {
        let kind = match (t.direction.as_str(), t.evidence.as_str()) {
            ("in", "verified") => "transfer_in",
            (_, "verified") => "transfer_out",
            ("in", _) => "node_reported_in",
            _ => "node_reported_out",
        };
        w.write_record([
            kind,
            &t.account,
            &t.symbol,
            &t.block.to_string(),
            &t.time,
            &t.txid,
            &t.amount_base_units,
            &t.fee_sun.to_string(),
            "",
            &t.result,
            t.payout_id.as_deref().unwrap_or(""),
            t.counterparty.as_deref().unwrap_or(""),
            &t.amount,
        ])?;
    }
    Ok(())
}

/// Each transaction the signer's audit export shows signed, as a `signed` CSV row.
fn audit_csv(
    a: &crate::monitor::audit_check::AuditCheck,
    w: &mut csv::Writer<Vec<u8>>,
) -> csv::Result<()> {
    for t in &a.signed {
        w.write_record([
            "signed",
            "",
            "",
            "",
            "",
            &t.txid,
            "",
            "",
            "",
            &t.status,
            t.payout_id.as_deref().unwrap_or(""),
            &format!(
                "signer audit line {}, request {}",
                t.seq,
                t.request_id.as_deref().unwrap_or("?")
            ),
            "",
        ])?;
    }
    Ok(())
}

/// Each discrepancy as a `discrepancy:<kind>` CSV row.
fn discrepancies_csv(ds: &[Discrepancy], w: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
    for d in ds {
        w.write_record([
            &format!("discrepancy:{}", d.kind),
            &d.account,
            "",
            "",
            "",
            d.txid.as_deref().unwrap_or(""),
            "",
            "",
            "",
            "",
            "",
            &d.detail,
            "",
        ])?;
    }
    Ok(())
}

/// The covered range, its warnings and the payouts outside it, as CSV rows (`covered_from`,
/// `covered_to`, `warning`, `payout_outside`).
fn coverage_csv(r: &Reconciliation, w: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
    for c in &r.coverage {
        let range = format!(
            "covers blocks {}..{} ({} .. {})",
            c.first_block, c.last_block, c.first_time, c.last_time
        );
        for (k, block, time) in [
            ("covered_from", c.first_block, &c.first_time),
            ("covered_to", c.last_block, &c.last_time),
        ] {
            let b = block.to_string();
            w.write_record([
                k, &c.account, "", &b, time, "", "", "", "", "", "", &range, "",
            ])?;
        }
        for x in &c.warnings {
            w.write_record([
                "warning", &c.account, "", "", "", "", "", "", "", "", "", x, "",
            ])?;
        }
        for o in &c.outside {
            w.write_record([
                "payout_outside",
                &c.account,
                &o.symbol,
                &o.block.to_string(),
                &o.time,
                &o.txid,
                &o.amount_base_units,
                "",
                "",
                &o.result,
                &o.payout_id,
                &format!(
                    "settled {} the covered range: not in this statement",
                    o.side
                ),
                &o.amount,
            ])?;
        }
    }
    Ok(())
}

/// A signed base-unit decimal ("-1500000") in token units ("-1.5").
fn signed_units(v: &str, decimals: u8) -> String {
    let (minus, digits) = v.strip_prefix('-').map_or(("", v), |d| ("-", d));
    U256::from_str_radix(digits, 10).map_or_else(
        |_| v.to_string(),
        |n| {
            format!(
                "{minus}{}",
                coldpay_shared::amount::format_units(n, decimals)
            )
        },
    )
}

fn trx(sun: u64) -> String {
    coldpay_shared::amount::format_units(U256::from(sun), 6)
}

/// The statement's covered range per account, then its warnings and what they leave out.
fn coverage_text(r: &Reconciliation, s: &mut String) {
    for c in &r.coverage {
        let open = if c.period_open {
            " (the period has not ended: up to the verified solidified head)"
        } else {
            ""
        };
        s.push_str(&format!(
            "  {} covers blocks {}..{} ({} .. {}){open}\n",
            c.account, c.first_block, c.last_block, c.first_time, c.last_time
        ));
    }
    for c in &r.coverage {
        for x in &c.warnings {
            s.push_str(&format!("WARNING: {x}\n"));
        }
        for o in &c.outside {
            s.push_str(&format!(
                "    not in this statement ({} the covered range): payout {} {} {} ({} base units) {} in block {} at {} ({})\n",
                o.side, o.payout_id, o.amount, o.symbol, o.amount_base_units, o.result, o.block, o.time, o.txid
            ));
        }
    }
}

/// The statement as text.
pub fn to_text(r: &Reconciliation) -> String {
    let mut s = format!("reconciliation {} .. {}\n", r.from, r.to);
    coverage_text(r, &mut s);
    for l in &r.balances {
        s.push_str(&format!("  {}\n", l.display));
        if l.token == "TRX" {
            s.push_str("    (TRX counts the account's own stake: free + staked + delegated out + unstaking; staking moves none in or out)\n");
        }
    }
    for p in &r.payouts {
        s.push_str(&format!(
            "  payout {} {} {} ({} base units) block {} {} energy {} burned {} TRX ({} sun) ({})\n",
            p.payout_id,
            p.amount,
            p.symbol,
            p.amount_base_units,
            p.block.unwrap_or(0),
            p.result,
            p.energy,
            trx(p.trx_burned_sun),
            p.trx_burned_sun,
            p.txid
        ));
    }
    for t in &r.incoming {
        s.push_str(&format!(
            "  in {}\n",
            crate::monitor::transfers::human_line(t)
        ));
    }
    for t in &r.outgoing {
        s.push_str(&format!(
            "  out {}\n",
            crate::monitor::transfers::human_line(t)
        ));
    }
    for t in &r.node_reported {
        s.push_str(&format!(
            "  node-reported {}\n",
            crate::monitor::transfers::human_line(t)
        ));
    }
    if let Some(a) = &r.audit {
        s.push_str(&format!(
            "  signer audit log {}… lines {}..={}: {} txID(s) signed, {} audit head(s) checked\n",
            a.log.get(..12).unwrap_or(&a.log),
            a.since,
            a.head_seq,
            a.signed.len(),
            a.heads_checked
        ));
        for t in &a.signed {
            s.push_str(&format!(
                "    signed {} (line {}): {}{}\n",
                t.txid,
                t.seq,
                t.status,
                t.payout_id
                    .as_deref()
                    .map_or(String::new(), |p| format!(", payout {p}"))
            ));
        }
    }
    if r.discrepancies.is_empty() {
        s.push_str("balanced: every movement and fee is accounted for\n");
    }
    if !r.warnings().is_empty() {
        s.push_str(
            "INCOMPLETE: the statement covers less than the period asked (WARNING lines above)\n",
        );
    }
    for d in &r.discrepancies {
        s.push_str(&format!("  DISCREPANCY {}: {}\n", d.kind, d.detail));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> Line {
        Line {
            account: "TA".into(),
            symbol: "TRX".into(),
            token: "TRX".into(),
            decimals: 6,
            opening_block: 10,
            opening_time: "t10".into(),
            closing_block: 20,
            closing_time: "t20".into(),
            opening: "5000000".into(),
            incoming: "0".into(),
            outgoing: "1500000".into(),
            fees: "0".into(),
            node_reported_in: "0".into(),
            node_reported_out: "0".into(),
            expected_closing: "3500000".into(),
            closing: "3000000".into(),
            difference: "-500000".into(),
            display: "TRX".into(),
        }
    }

    fn payout() -> PayoutLine {
        PayoutLine {
            payout_id: "p1".into(),
            account: "TA".into(),
            symbol: "TRX".into(),
            amount: "1.5".into(),
            amount_base_units: "1500000".into(),
            txid: "ab".into(),
            block: Some(15),
            result: "SUCCESS".into(),
            energy: 0,
            trx_burned_sun: 1_100_000,
        }
    }

    #[test]
    fn the_csv_has_every_stage_in_order() {
        let r = Reconciliation {
            balances: vec![line()],
            payouts: vec![payout()],
            audit: Some(crate::monitor::audit_check::AuditCheck {
                log: "l".into(),
                since: 1,
                head_seq: 3,
                signed: vec![crate::monitor::audit_check::Signed {
                    txid: "cd".into(),
                    seq: 2,
                    request_id: None,
                    payout_id: None,
                    status: "unknown to this journal".into(),
                }],
                heads_checked: 0,
            }),
            discrepancies: vec![Discrepancy {
                kind: "balance".into(),
                account: "TA".into(),
                txid: None,
                detail: "off by 0.5 TRX".into(),
            }],
            ..Reconciliation::default()
        };
        let csv = to_csv(&r).unwrap();
        let kinds: Vec<&str> = csv.lines().map(|l| l.split(',').next().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "kind",
                "opening",
                "incoming",
                "outgoing",
                "fees",
                "node_reported_in",
                "node_reported_out",
                "expected_closing",
                "closing",
                "difference",
                "payout",
                "signed",
                "discrepancy:balance"
            ]
        );
        let difference = csv.lines().nth(9).unwrap();
        assert!(
            difference.ends_with(",-500000,,,,,TRX,-0.5"),
            "{difference}"
        );
        let paid = csv.lines().nth(10).unwrap();
        assert!(paid.contains("1.5 TRX, 1.1 TRX burned"), "{paid}");
        assert!(csv.lines().all(|l| l.split(',').count() >= 13), "{csv}");
    }
}
