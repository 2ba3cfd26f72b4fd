//! `watch`: follow verified solidified blocks for the treasury accounts and record every
//! transfer in and out of them once, with a durable cursor per account.
//!
//! The walk is the one `track` uses ([`crate::chain::blockwalk`]): ranges verified and linked, and the
//! first block after a cursor must name the cursor's block as its parent. Each group of blocks
//! is recorded in one SQL transaction together with the cursors' move past it, so stopping the
//! process anywhere (Ctrl-C, SIGKILL) loses nothing and records nothing twice: the next run
//! starts after the last committed group. Output (a line or a JSON object per transfer) is
//! printed after its group is committed.

use std::collections::HashSet;

use coldpay_shared::block::VerifiedBlock;
use coldpay_shared::{Address, Network, TxId};

use crate::chain::movements::{movements, receipts_needed, Direction, Evidence, Movement};
use crate::error::{BcError, Result};
use crate::journal::{BlockAt, Journal, NewTransfer, TransferRow};
use crate::monitor::transfers::Recorded;
use crate::node::answers::TxInfo;
use crate::node::Node;
use crate::tokens::Token;

pub use crate::journal::Cursor;

/// An account is snapshotted at least this often (chain time) while watched.
pub const SNAPSHOT_EVERY_MS: u64 = 3_600_000;

/// What one pass recorded.
#[derive(Debug, Default)]
pub struct Pass {
    /// Transfers recorded now, in chain order.
    pub recorded: Vec<Recorded>,
    /// Verified solidified head reached.
    pub solid: u64,
    /// Blocks verified.
    pub blocks: u64,
}

/// The walk's settings.
pub struct Watcher<'a> {
    /// Journal (writer).
    pub journal: &'a Journal,
    /// Node pool.
    pub node: &'a Node,
    /// Network name (token units).
    pub network: Network,
    /// Accounts watched.
    pub accounts: Vec<Address>,
    /// Registered tokens.
    pub tokens: Vec<Token>,
}

impl Watcher<'_> {
    /// Walks every account up to the verified solidified head, then journals a balance
    /// snapshot for the accounts that need one (all of them with `snapshot_all`). If the head
    /// moves while balances are read, walks again (at most three times).
    pub fn pass(&self, from_block: Option<u64>, snapshot_all: bool) -> Result<Pass> {
        let mut out = Pass::default();
        let mut started = Vec::new();
        for round in 0..3 {
            let solid = self.node.solid_head()?;
            let mut cursors = self.cursors(
                &solid,
                if round == 0 { from_block } else { None },
                &mut started,
            )?;
            self.walk(&mut cursors, &solid, &mut out)?;
            out.solid = solid.number;
            let due = self.snapshot_due(&out, &started, &solid, snapshot_all)?;
            if due.is_empty()
                || crate::monitor::balances::snapshot(
                    self.journal,
                    self.node,
                    &due,
                    &self.tokens,
                    &solid,
                )?
            {
                return Ok(out);
            }
        }
        if snapshot_all {
            return Err(BcError::Node(
                "the solidified head moved during each of three balance reads; try again".into(),
            ));
        }
        Ok(out)
    }

    fn snapshot_due(
        &self,
        out: &Pass,
        started: &[Address],
        solid: &VerifiedBlock,
        all: bool,
    ) -> Result<Vec<Address>> {
        let mut due = Vec::new();
        for a in &self.accounts {
            let b58 = a.to_base58();
            let touched = out.recorded.iter().any(|r| r.account == b58);
            let stale = crate::monitor::balances::latest_time(self.journal, &b58)?
                .is_none_or(|t| t + SNAPSHOT_EVERY_MS <= solid.timestamp);
            if all || touched || stale || started.contains(a) {
                due.push(*a);
            }
        }
        Ok(due)
    }

    /// The journaled cursors; an account without one starts at `from_block - 1`, else at the
    /// solidified head (recorded at once). `from_block` below a cursor rescans from there
    /// (what is recorded already is not recorded again); above it would skip blocks: refused.
    fn cursors(
        &self,
        solid: &VerifiedBlock,
        from_block: Option<u64>,
        started: &mut Vec<Address>,
    ) -> Result<Vec<Cursor>> {
        if from_block == Some(0) || from_block.is_some_and(|f| f > solid.number + 1) {
            return Err(BcError::Input(format!(
                "--from-block must be 1..={} (the solidified head + 1)",
                solid.number + 1
            )));
        }
        let mut out = Vec::new();
        for a in &self.accounts {
            let c = match (self.journal.watch_cursor(a)?, from_block) {
                (Some(c), None) => c,
                (Some(c), Some(f)) if f - 1 > c.block => {
                    return Err(BcError::Input(format!(
                        "--from-block {f}: account {a} is recorded up to block {}; starting later would skip blocks {}..{f}",
                        c.block,
                        c.block + 1
                    )))
                }
                (Some(_) | None, Some(f)) => self.start_at(a, f - 1)?,
                (None, None) => {
                    let c = self.start_at(a, solid.number)?;
                    crate::log::emit(
                        crate::log::Level::Info,
                        &format!("watch: account {a} is watched from block {} on (use --from-block N to look further back)", c.block + 1),
                        &crate::log::Fields {
                            account: Some(a.to_base58()),
                            block: Some(c.block + 1),
                            ..Default::default()
                        },
                    );
                    c
                }
            };
            if self.journal.watch_cursor(a)?.is_none() {
                self.journal.start_watch_cursor(&c)?;
                started.push(*a);
            }
            out.push(c);
        }
        Ok(out)
    }

    fn start_at(&self, a: &Address, block: u64) -> Result<Cursor> {
        let b = self.node.solid_block(block)?;
        Ok(Cursor {
            account: *a,
            block,
            id: b.id,
            time: b.timestamp,
        })
    }

    fn walk(&self, cursors: &mut [Cursor], solid: &VerifiedBlock, out: &mut Pass) -> Result<()> {
        loop {
            let Some(lo) = cursors.iter().map(|c| c.block + 1).min() else {
                return Ok(());
            };
            if lo > solid.number {
                return Ok(());
            }
            let end = crate::chain::blockwalk::group_end(self.node, lo, solid);
            let blocks = crate::chain::blockwalk::fetch_linked(self.node, lo, end, solid)?;
            check_links(cursors, &blocks)?;
            let infos = self.receipts(cursors, &blocks)?;
            out.blocks += blocks.len() as u64;
            out.recorded.extend(self.persist(cursors, &blocks, &infos)?);
        }
    }

    /// Receipts of each block that needs them (in parallel), with the endpoint that gave them;
    /// every needed one must be there and agree with the verified block (else the answer is a
    /// node fault, asked again).
    fn receipts(&self, cursors: &[Cursor], blocks: &[VerifiedBlock]) -> Result<Vec<Receipts>> {
        let needed: Vec<(&VerifiedBlock, Vec<TxId>)> = blocks
            .iter()
            .map(|b| (b, receipts_needed(b, &active(cursors, b.number))))
            .collect();
        let (node, tokens) = (self.node, self.tokens.as_slice());
        node.par_map(&needed, |(b, ids)| {
            if ids.is_empty() {
                return Ok((Vec::new(), None, None));
            }
            let check = |info: &TxInfo| {
                let hex = info.id.as_deref()?;
                let tx = b.txs.iter().find(|t| t.txid.to_hex() == hex)?;
                crate::chain::receipts::contradiction(tx, b.number, info, tokens)
            };
            let (infos, by) = node.infos_in_block_checked(b.number, ids, &check)?;
            // What only a receipt shows is asked of a second answer too.
            let reported = movements(b, &infos, Some(&by), &active(cursors, b.number), tokens)
                .iter()
                .any(|m| m.evidence == Evidence::NodeReported);
            let second = if reported {
                node.second_infos_in_block(b.number, &by)
            } else {
                None
            };
            Ok((infos, Some(by), second))
        })
        .into_iter()
        .collect()
    }

    /// Records the movements of `blocks` and moves the cursors past them: one SQL transaction.
    fn persist(
        &self,
        cursors: &mut [Cursor],
        blocks: &[VerifiedBlock],
        infos: &[Receipts],
    ) -> Result<Vec<Recorded>> {
        let mut found = Vec::new();
        for (b, inf) in blocks.iter().zip(infos) {
            let at = BlockAt {
                block: b.number,
                block_id: b.id,
                block_time: b.timestamp,
            };
            let (inf, by, second) = inf;
            for mut m in movements(
                b,
                inf,
                by.as_deref(),
                &active(cursors, b.number),
                &self.tokens,
            ) {
                if let Some(first) = logged(inf, &m) {
                    crate::chain::movements::confirm(&mut m, first, second.as_ref());
                }
                found.push(self.found(m, at)?);
            }
        }
        let last = blocks.last().expect("a group has blocks");
        let mut moved = Vec::new();
        for c in cursors.iter_mut().filter(|c| c.block < last.number) {
            *c = Cursor {
                account: c.account,
                block: last.number,
                id: last.id,
                time: last.timestamp,
            };
            moved.push(c.clone());
        }
        let new = self.journal.record_watch_group(&found, &moved)?;
        Ok(found
            .into_iter()
            .zip(new)
            .filter_map(|(t, new)| new.then_some(t.shown))
            .collect())
    }

    /// A movement as recorded: the coldpay payout it belongs to, or an alarm when it leaves
    /// the account and is no coldpay attempt.
    fn found(&self, m: Movement, at: BlockAt) -> Result<NewTransfer> {
        let payout = if m.direction == Direction::Out {
            self.journal.attempt_by_txid(&m.txid)?.map(|a| a.payout_id)
        } else {
            None
        };
        let alarm = m.direction == Direction::Out && payout.is_none();
        let row = TransferRow {
            movement: m,
            at,
            payout_id: payout,
            alarm,
        };
        let shown = crate::monitor::transfers::shown(&row, self.network);
        Ok(NewTransfer { row, shown })
    }
}

/// A block's receipts, the endpoint that answered (`None` when none were needed), and a second
/// answer asked for when the first shows movements only a receipt shows.
type Receipts = (Vec<TxInfo>, Option<String>, Option<(Vec<TxInfo>, String)>);

/// The receipt log behind a node-reported movement.
fn logged<'a>(infos: &'a [TxInfo], m: &Movement) -> Option<&'a crate::node::answers::Log> {
    let hex = m.txid.to_hex();
    infos
        .iter()
        .find(|i| i.id.as_deref() == Some(hex.as_str()))?
        .log
        .get(usize::try_from(m.log_index).ok()?)
}

/// Accounts whose cursor is before block `n` (the ones block `n` is recorded for).
fn active(cursors: &[Cursor], n: u64) -> HashSet<Address> {
    cursors
        .iter()
        .filter(|c| c.block < n)
        .map(|c| c.account)
        .collect()
}

/// The block after each cursor must name the cursor's block as its parent.
fn check_links(cursors: &[Cursor], blocks: &[VerifiedBlock]) -> Result<()> {
    for c in cursors {
        let Some(b) = blocks.iter().find(|b| b.number == c.block + 1) else {
            continue;
        };
        if b.parent != c.id {
            return Err(BcError::Node(format!(
                "the solidified chain served now disagrees with the watch cursor of {} at block {} (recorded blockID {}): a node serves a different chain; nothing recorded",
                c.account,
                c.block,
                hex::encode(c.id)
            )));
        }
    }
    Ok(())
}

/// How `watch` runs.
pub struct RunOpts {
    /// Keep following (else one pass).
    pub follow: bool,
    /// First block for accounts without a cursor (or a rescan).
    pub from_block: Option<u64>,
    /// Hook command for alarms.
    pub on_alarm: Option<String>,
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Pause between passes with `follow`.
    pub poll: std::time::Duration,
    /// `--metrics-file`: Prometheus text written after each pass.
    pub metrics_file: Option<std::path::PathBuf>,
}

/// Runs `watch`: passes, printing each recorded transfer, announcing alarms (and running the
/// hook, once per alarm). Without `follow`, one pass; it fails with [`BcError::Alarm`]
/// (exit 7) while any alarm is open (not acknowledged), raised in this pass or an earlier one.
pub fn run(w: &Watcher<'_>, o: &RunOpts) -> Result<()> {
    let mut from = o.from_block;
    loop {
        let p = w.pass(from.take(), false)?;
        for r in &p.recorded {
            if o.json {
                println!("{}", serde_json::to_string(r).expect("json"));
            } else if crate::log::json() {
                log_transfer(r);
            } else {
                println!("{}", crate::monitor::transfers::human_line(r));
            }
        }
        announce(w.journal, o.on_alarm.as_deref())?;
        if let Some(path) = &o.metrics_file {
            crate::monitor::metrics::write(path, w.journal, w.node, "watch")?;
        }
        if !o.follow {
            break;
        }
        // Other writers (build, submit, track) run while this one sleeps; the next pass
        // re-reads every cursor from the journal.
        w.journal.pause_writer()?;
        std::thread::sleep(o.poll);
        w.journal.resume_writer()?;
    }
    let open = crate::monitor::alarms::open_count(w.journal)?;
    if open > 0 {
        return Err(BcError::Alarm(format!(
            "{open} open alarm(s): outgoing transaction(s) from the treasury accounts not made by coldpay (see `alarms list`; acknowledge each with `alarms ack ID --note TEXT` once investigated)"
        )));
    }
    Ok(())
}

/// Announces every alarm not yet notified on stderr and hands it to the hook.
fn announce(journal: &Journal, hook: Option<&str>) -> Result<()> {
    let pending = crate::monitor::alarms::pending(journal)?;
    for a in &pending {
        crate::log::emit(
            crate::log::Level::Error,
            &crate::monitor::alarms::announcement(&a.transfer),
            &crate::log::Fields {
                account: Some(a.transfer.account.clone()),
                txid: Some(a.transfer.txid.clone()),
                block: Some(a.transfer.block),
                ..Default::default()
            },
        );
        crate::monitor::alarms::notify(journal, a, hook)?;
    }
    Ok(())
}

/// A recorded transfer as a log line (`--log-format json` without `--json`).
fn log_transfer(r: &Recorded) {
    crate::log::emit(
        crate::log::Level::Info,
        &crate::monitor::transfers::human_line(r),
        &crate::log::Fields {
            account: Some(r.account.clone()),
            payout: r.payout_id.clone(),
            txid: Some(r.txid.clone()),
            block: Some(r.block),
            transfer: serde_json::to_value(r).ok(),
            ..Default::default()
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_checked_per_cursor() {
        let a = Address::from_evm_bytes([1; 20]);
        let c = Cursor {
            account: a,
            block: 4,
            id: [4; 32],
            time: 0,
        };
        let b = |n: u64, parent: [u8; 32]| VerifiedBlock {
            number: n,
            timestamp: 0,
            id: [n as u8; 32],
            parent,
            tx_root: [0; 32],
            txs: vec![],
        };
        check_links(std::slice::from_ref(&c), &[b(5, [4; 32])]).unwrap();
        let e = check_links(&[c], &[b(5, [9; 32])]).unwrap_err();
        assert!(
            e.to_string().contains("disagrees with the watch cursor"),
            "{e}"
        );
        assert_eq!(active(&[], 3).len(), 0);
    }
}
