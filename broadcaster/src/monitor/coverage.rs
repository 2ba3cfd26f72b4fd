//! What a `reconcile` statement actually covers: per account, the verified blocks (and their
//! times) of the opening and closing balance snapshots, a warning when that range starts after
//! `--from` or ends well before `--to`, and every payout settled inside the period but outside
//! the covered range (so none vanishes silently).

use coldpay_shared::Network;
use serde::Serialize;

use crate::error::Result;
use crate::journal::Journal;
use crate::monitor::balances::Snapshot;
use crate::monitor::transfers::rfc3339;

/// A payout settled in the period asked for, but outside the blocks the statement covers.
#[derive(Clone, Debug, Serialize)]
pub struct Outside {
    /// Payout.
    pub payout_id: String,
    /// txID.
    pub txid: String,
    /// Verified block it settled in.
    pub block: u64,
    /// That block's time (RFC 3339 UTC).
    pub time: String,
    /// `before` (the covered range) or `after`.
    pub side: String,
    /// Journal state: `confirmed` or `failed`.
    pub result: String,
    /// Symbol (`TRX`, `USDT`).
    pub symbol: String,
    /// Amount in token units.
    pub amount: String,
    /// Amount in base units.
    pub amount_base_units: String,
}

/// The range one account's statement covers.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    /// Account (base58).
    pub account: String,
    /// Block of the opening balance snapshot (movements count after it).
    pub first_block: u64,
    /// Its time (RFC 3339 UTC).
    pub first_time: String,
    /// Block of the closing balance snapshot (movements count up to it).
    pub last_block: u64,
    /// Its time (RFC 3339 UTC).
    pub last_time: String,
    /// The period has not ended at the verified solidified head: the statement stops there.
    pub period_open: bool,
    /// Payouts settled in the period outside the covered blocks.
    pub outside: Vec<Outside>,
    /// What the statement leaves out (empty when it covers the whole period).
    pub warnings: Vec<String>,
}

/// A verified block's time (ms) by number.
pub type BlockTime<'a> = &'a dyn Fn(u64) -> Result<u64>;

/// The period, the snapshots of one account and how to read block times.
pub struct Inputs<'a> {
    /// `--from` (ms).
    pub from_ms: u64,
    /// `--to` (ms).
    pub to_ms: u64,
    /// Every TRX snapshot of the account, oldest first.
    pub all: &'a [Snapshot],
    /// The opening snapshot.
    pub open: &'a Snapshot,
    /// The closing snapshot.
    pub close: &'a Snapshot,
}

/// HH:MM of an RFC 3339 time ("2026-12-06T04:36:00Z" → "04:36"), for the one-line warning.
fn hhmm(ms: u64) -> String {
    let t = rfc3339(ms);
    t.get(11..16).map_or(t.clone(), str::to_string)
}

/// The covered range of `account`, its warnings and the payouts it leaves out.
pub fn of(
    journal: &Journal,
    network: Network,
    account: &str,
    i: &Inputs<'_>,
    time: BlockTime<'_>,
) -> Result<Coverage> {
    let latest = i.all.last().map_or(i.close.block_time, |s| s.block_time);
    let period_open = latest < i.to_ms;
    let mut outside = Vec::new();
    // Nothing precedes the genesis block: a statement opening there starts with the chain.
    let starts_late = i.open.block_time > i.from_ms && i.open.block > 0;
    if starts_late {
        outside.extend(settled(journal, network, account, i, time, Side::Before)?);
    }
    if !period_open {
        outside.extend(settled(journal, network, account, i, time, Side::After)?);
    }
    let before = outside.iter().filter(|o| o.side == "before").count();
    let after = outside.len() - before;
    let mut warnings = Vec::new();
    if starts_late {
        warnings.push(format!(
            "statement of {account} covers {} .. {} only: watch first ran at {} (the first balance snapshot, block {}); {before} payout(s) made before are not in this statement",
            hhmm(i.open.block_time),
            if period_open { "now".to_string() } else { hhmm(i.close.block_time) },
            rfc3339(i.open.block_time),
            i.open.block
        ));
    }
    let gap = i.to_ms.saturating_sub(i.close.block_time);
    if !period_open && gap > crate::monitor::watch::SNAPSHOT_EVERY_MS {
        warnings.push(format!(
            "statement of {account} ends at {} (block {}), before --to {}: no balance snapshot after it in the period (watch was not running); {after} payout(s) made after are not in this statement",
            rfc3339(i.close.block_time),
            i.close.block,
            rfc3339(i.to_ms)
        ));
    }
    Ok(Coverage {
        account: account.into(),
        first_block: i.open.block,
        first_time: rfc3339(i.open.block_time),
        last_block: i.close.block,
        last_time: rfc3339(i.close.block_time),
        period_open,
        outside,
        warnings,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Before,
    After,
}

/// Payouts of `account` settled in verified blocks of the period on `side` of the covered
/// range. Block times rise with block numbers: the payouts are walked away from the range,
/// each block's time read from the verified block, until one is outside the period (the
/// journal reads no further).
fn settled(
    journal: &Journal,
    network: Network,
    account: &str,
    i: &Inputs<'_>,
    time: BlockTime<'_>,
    side: Side,
) -> Result<Vec<Outside>> {
    let (edge, before) = match side {
        Side::Before => (i.open.block, true),
        Side::After => (i.close.block, false),
    };
    let mut out = Vec::new();
    journal.visit_settled_payouts_beyond(account, edge, before, |p| {
        let t = time(p.block)?;
        let inside = if before { t >= i.from_ms } else { t <= i.to_ms };
        if inside {
            let (symbol, decimals) = p.token.unit(network);
            out.push(Outside {
                txid: p.txid.to_hex(),
                block: p.block,
                time: rfc3339(t),
                side: if before { "before" } else { "after" }.into(),
                result: p.state.as_str().into(),
                symbol,
                amount: coldpay_shared::amount::format_units(p.amount, decimals),
                amount_base_units: p.amount.to_string(),
                payout_id: p.payout_id,
            });
        }
        Ok(inside)
    })?;
    out.sort_by_key(|o| o.block);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::lock::LockWait;
    use coldpay_shared::U256;

    fn snap(block: u64, block_time: u64) -> Snapshot {
        Snapshot {
            account: coldpay_shared::Address::from_evm_bytes([1; 20]),
            token: None,
            block,
            block_time,
            amount: U256::ZERO,
        }
    }

    /// A journal with payouts p10 (block 10), p20 (block 20) and p30 (block 30) of account T1,
    /// each settled and journaled at its block time; block N's time is N minutes.
    fn journal() -> (tempfile::TempDir, Journal) {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        for n in [10u64, 20, 30] {
            let ms = n * 60_000;
            let (id, amount, txid) = (
                format!("p{n}"),
                format!("{n}000000"),
                format!("{n:02}").repeat(32),
            );
            crate::journal::fixtures::pay(
                &j,
                &crate::journal::fixtures::Paid {
                    id: &id,
                    from: "T1",
                    amount: &amount,
                    txid: &txid,
                    state: "confirmed",
                    block: n,
                    times: (ms - 30_000, ms),
                    ..Default::default()
                },
            );
        }
        (d, j)
    }

    #[test]
    fn a_statement_that_starts_late_names_what_it_leaves_out() {
        let (_d, j) = journal();
        let time = |n: u64| -> Result<u64> { Ok(n * 60_000) };
        // Period 5 .. 40 min; watch first snapshotted at block 15, last at block 40.
        let all = [
            snap(15, 15 * 60_000),
            snap(40, 40 * 60_000),
            snap(50, 50 * 60_000),
        ];
        let c = of(
            &j,
            Network::Local,
            "T1",
            &Inputs {
                from_ms: 5 * 60_000,
                to_ms: 40 * 60_000,
                all: &all,
                open: &all[0],
                close: &all[1],
            },
            &time,
        )
        .unwrap();
        assert_eq!((c.first_block, c.last_block), (15, 40));
        assert!(!c.period_open);
        let ids: Vec<(&str, &str)> = c
            .outside
            .iter()
            .map(|o| (o.payout_id.as_str(), o.side.as_str()))
            .collect();
        assert_eq!(ids, vec![("p10", "before")]);
        assert_eq!(
            (c.outside[0].amount.as_str(), c.outside[0].symbol.as_str()),
            ("10", "TRX")
        );
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(
            c.warnings[0]
                .contains("covers 00:15 .. 00:40 only: watch first ran at 1970-01-01T00:15:00Z")
                && c.warnings[0].contains("1 payout(s) made before are not in this statement"),
            "{}",
            c.warnings[0]
        );
    }

    #[test]
    fn a_statement_that_ends_early_names_what_it_leaves_out() {
        let (_d, j) = journal();
        let time = |n: u64| -> Result<u64> { Ok(n * 60_000) };
        // Period 0 .. 200 min: snapshots at 1 and 12 only (watch stopped), and a late one.
        let all = [
            snap(1, 60_000),
            snap(12, 12 * 60_000),
            snap(300, 300 * 60_000),
        ];
        let c = of(
            &j,
            Network::Local,
            "T1",
            &Inputs {
                from_ms: 60_000,
                to_ms: 200 * 60_000,
                all: &all,
                open: &all[0],
                close: &all[1],
            },
            &time,
        )
        .unwrap();
        let ids: Vec<&str> = c.outside.iter().map(|o| o.payout_id.as_str()).collect();
        assert_eq!(ids, vec!["p20", "p30"]);
        assert!(c.outside.iter().all(|o| o.side == "after"));
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(
            c.warnings[0].contains("2 payout(s) made after"),
            "{}",
            c.warnings[0]
        );
        // The same period while it is still running: no warning, nothing "after".
        let all = [snap(1, 60_000), snap(12, 12 * 60_000)];
        let c = of(
            &j,
            Network::Local,
            "T1",
            &Inputs {
                from_ms: 60_000,
                to_ms: 200 * 60_000,
                all: &all,
                open: &all[0],
                close: &all[1],
            },
            &time,
        )
        .unwrap();
        assert!(
            c.period_open && c.warnings.is_empty() && c.outside.is_empty(),
            "{c:?}"
        );
    }
}
