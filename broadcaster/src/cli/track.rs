//! `track`: follow verified solidified blocks and settle attempts (confirmed, failed, expired).

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::context::{remember_genesis, Ctx};
use super::output::{parse_duration, show, spinner};
use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::node::Node;
use crate::payout::track::TrackPass;

/// What `track` asks for.
pub(crate) struct TrackArgs {
    pub(crate) follow: bool,
    pub(crate) timeout: String,
    pub(crate) poll: String,
    pub(crate) rescan: Option<u64>,
    pub(crate) metrics_file: Option<PathBuf>,
}

/// What `track` settled over all its passes. Its text is empty when it timed out (the error
/// says what is still pending).
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct Tracked {
    total: TrackPass,
    #[serde(skip)]
    timed_out: bool,
}

impl fmt::Display for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.timed_out {
            return Ok(());
        }
        let t = &self.total;
        write!(
            f,
            "{} confirmed, {} failed, {} expired, {} pending (solid block {}, {} block(s) verified)",
            t.confirmed, t.failed, t.expired, t.pending, t.solid_block, t.blocks_verified
        )
    }
}

/// `track`.
pub(crate) fn run(c: &Ctx, journal: &Journal, node: Node, a: TrackArgs) -> Result<()> {
    let deadline = Instant::now() + parse_duration(&a.timeout, "--timeout")?;
    let poll = parse_duration(&a.poll, "--poll")?;
    node.set_deadline(Some(deadline));
    let how = TrackHow {
        follow: a.follow,
        deadline,
        poll,
        rescan: a.rescan,
        metrics_file: a.metrics_file,
    };
    let r = passes(c, journal, &node, &how);
    remember_genesis(c, journal, &node)?;
    r
}

/// `track`'s timeout: how many attempts are still pending, each named with why (printed on
/// stderr, one per line), and what stopped the wait.
fn track_timeout(journal: &Journal, cause: &str) -> BcError {
    let reasons = crate::payout::track::pending_reasons(journal).unwrap_or_default();
    for r in &reasons {
        crate::log::warn(&format!("pending: {r}"));
    }
    BcError::Timeout(format!(
        "timed out with {} attempt(s) still pending (listed above; {cause})",
        reasons.len()
    ))
}

/// How `track` runs.
struct TrackHow {
    follow: bool,
    deadline: Instant,
    poll: Duration,
    rescan: Option<u64>,
    metrics_file: Option<PathBuf>,
}

/// Adds one pass to the running total (settled counts summed, the head and pending as of now).
fn add_pass(total: &mut TrackPass, p: &TrackPass) {
    total.confirmed += p.confirmed;
    total.failed += p.failed;
    total.expired += p.expired;
    total.pending = p.pending;
    total.solid_block = p.solid_block;
    total.blocks_verified += p.blocks_verified;
    total.rebroadcast += p.rebroadcast;
    total.scanned_to = p.scanned_to;
}

/// The warnings and log lines of one pass.
fn announce_pass(p: &TrackPass, total: &TrackPass, follow: bool) {
    for id in &p.rechecked_paid {
        payout_warning(id, "an attempt settled `failed` from a node receipt is SUCCESS in its verified block: it paid; check `report` for a second payment");
    }
    for id in &p.found_after_expiry {
        payout_warning(id, "an attempt marked expired was found on the verified chain; check `report` for a second payment");
    }
    if crate::log::json() && follow {
        crate::log::emit(
            crate::log::Level::Info,
            &track_line(p, total),
            &crate::log::Fields {
                block: Some(p.solid_block),
                ..Default::default()
            },
        );
    }
    if crate::log::json() {
        for s in &p.settled {
            log_settled(s);
        }
    }
}

/// The passes of one `track` run: once, or with `--follow` until nothing is pending (exit 3 at
/// the deadline).
fn passes(c: &Ctx, journal: &Journal, n: &Node, how: &TrackHow) -> Result<()> {
    let b = spinner(c.json);
    b.set_message("reading the solidified head");
    let mut total = TrackPass::default();
    let mut first = how
        .rescan
        .map(|from| crate::payout::track::rescan(journal, n, from, Some(how.deadline)));
    let timed_out = |total: TrackPass, cause: &str| {
        b.finish_and_clear();
        show(
            c,
            &Tracked {
                total,
                timed_out: true,
            },
        );
        track_timeout(journal, cause)
    };
    loop {
        let p = match first.take() {
            Some(r) => r,
            None => crate::payout::track::pass(journal, n, Some(how.deadline)),
        };
        let p = match p {
            Err(BcError::Timeout(m)) => return Err(timed_out(total, &m)),
            r => r?,
        };
        add_pass(&mut total, &p);
        b.set_message(track_line(&p, &total));
        announce_pass(&p, &total, how.follow);
        if let Some(path) = &how.metrics_file {
            crate::monitor::metrics::write(path, journal, n, "track")?;
        }
        total.found_after_expiry.extend(p.found_after_expiry);
        total.rechecked_paid.extend(p.rechecked_paid);
        if !how.follow || p.pending == 0 {
            break;
        }
        if Instant::now() >= how.deadline {
            return Err(timed_out(total, "--timeout passed between passes"));
        }
        let left = how.deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(how.poll.min(left));
    }
    b.finish_and_clear();
    show(
        c,
        &Tracked {
            total,
            timed_out: false,
        },
    );
    Ok(())
}

/// The progress line of a `track` pass.
fn track_line(p: &TrackPass, total: &TrackPass) -> String {
    let to_go = p.scanned_to.map_or(String::new(), |s| {
        format!(", {} block(s) to go", p.solid_block.saturating_sub(s))
    });
    format!(
        "solid block {}: {} pending{to_go} — {} confirmed, {} failed, {} expired so far",
        p.solid_block, p.pending, total.confirmed, total.failed, total.expired
    )
}

/// One JSON log line per attempt a `track` pass settled or expired (payout, txid, block).
fn log_settled(s: &crate::payout::track::SettledNow) {
    let level = if s.outcome == "confirmed" {
        crate::log::Level::Info
    } else {
        crate::log::Level::Warn
    };
    let at = s.block.map_or(String::new(), |b| format!(" in block {b}"));
    crate::log::emit(
        level,
        &format!(
            "payout {}: {}{at} (txid {})",
            s.payout_id, s.outcome, s.txid
        ),
        &crate::log::Fields {
            payout: Some(s.payout_id.clone()),
            txid: Some(s.txid.to_hex()),
            block: s.block,
            ..Default::default()
        },
    );
}

/// A `WARNING: payout P: …` line (with the payout as a field in json).
fn payout_warning(id: &str, what: &str) {
    crate::log::emit(
        crate::log::Level::Warn,
        &format!("WARNING: payout {id}: {what}"),
        &crate::log::Fields {
            payout: Some(id.to_string()),
            ..Default::default()
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_out_run_prints_no_text_but_its_counts_in_json() {
        let total = || TrackPass {
            confirmed: 2,
            pending: 1,
            solid_block: 90,
            blocks_verified: 4,
            ..TrackPass::default()
        };
        let done = Tracked {
            total: total(),
            timed_out: false,
        };
        assert_eq!(
            done.to_string(),
            "2 confirmed, 0 failed, 0 expired, 1 pending (solid block 90, 4 block(s) verified)"
        );
        let late = Tracked {
            total: total(),
            timed_out: true,
        };
        assert_eq!(late.to_string(), "");
        assert_eq!(serde_json::to_value(&late).unwrap()["confirmed"], 2);
    }
}
