//! `watch`, `transfers list`, `alarms list | ack` and `reconcile`: the treasury accounts'
//! movements as the verified chain shows them.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::context::{remember_genesis, Ctx};
use super::output::{show, show_format, Csv, Format};
use crate::error::Result;
use crate::journal::Journal;
use crate::monitor::alarms::Row;
use crate::monitor::reconcile::Reconciliation;
use crate::monitor::transfers::TransferList;
use crate::node::Node;

/// What `watch` asks for.
pub(crate) struct WatchArgs {
    pub(crate) addresses: Vec<String>,
    pub(crate) from_block: Option<u64>,
    pub(crate) follow: bool,
    pub(crate) on_alarm: Option<String>,
    pub(crate) poll: String,
    pub(crate) metrics_file: Option<PathBuf>,
}

/// `watch`: exit 7 without `--follow` while an alarm is open.
pub(crate) fn watch(
    c: &Ctx,
    journal: &Journal,
    node: impl FnOnce() -> Result<Node>,
    a: WatchArgs,
) -> Result<()> {
    let opts = crate::monitor::watch::RunOpts {
        follow: a.follow,
        from_block: a.from_block,
        on_alarm: a.on_alarm,
        json: c.json,
        poll: crate::monitor::watch_cmd::poll(&a.poll)?,
        metrics_file: a.metrics_file,
    };
    let n = node()?;
    let r = crate::monitor::watch_cmd::watch(journal, &n, c.network, &a.addresses, &opts);
    remember_genesis(c, journal, &n)?;
    r
}

/// `alarms list [--all]`.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct AlarmList {
    rows: Vec<Row>,
    #[serde(skip)]
    all: bool,
}

impl fmt::Display for AlarmList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows.is_empty() {
            return f.write_str(if self.all {
                "no alarms"
            } else {
                "no open alarms"
            });
        }
        let lines: Vec<String> = self.rows.iter().map(alarm_line).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// One `alarms list` line: id, state, and the announcement.
fn alarm_line(r: &Row) -> String {
    let state = match (r.acked_at, &r.ack_note) {
        (Some(at), note) => format!(
            "acknowledged {} ({})",
            crate::monitor::transfers::rfc3339(at.max(0) as u64),
            note.as_deref().unwrap_or("")
        ),
        (None, _) => "OPEN".into(),
    };
    format!("alarm {} [{state}] {}", r.id, r.text)
}

/// `alarms list`.
pub(crate) fn alarms_list(c: &Ctx, journal: &Journal, all: bool) -> Result<()> {
    let rows = crate::monitor::alarms::list(journal, !all)?;
    show(c, &AlarmList { rows, all });
    Ok(())
}

/// What `alarms ack` did.
#[derive(Serialize)]
pub(crate) struct Acknowledged {
    acknowledged: Row,
    open: usize,
}

impl fmt::Display for Acknowledged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "alarm {} acknowledged; {} alarm(s) still open",
            self.acknowledged.id, self.open
        )
    }
}

/// `alarms ack ID --note …`.
pub(crate) fn alarms_ack(c: &Ctx, journal: &Journal, id: i64, note: &str) -> Result<()> {
    let acknowledged = crate::monitor::alarms::ack(journal, id, note)?;
    let open = crate::monitor::alarms::open_count(journal)?;
    show(c, &Acknowledged { acknowledged, open });
    Ok(())
}

/// `transfers list`: text, CSV or JSON (`--format`).
pub(crate) fn transfers_list(
    c: &Ctx,
    journal: &Journal,
    since: &str,
    address: Option<&str>,
    format: &str,
) -> Result<()> {
    let format = Format::parse(format)?;
    let list = crate::monitor::watch_cmd::list(journal, c.network, since, address)?;
    show_format(&list, format)
}

impl Csv for TransferList {
    fn csv(&self) -> Result<String> {
        crate::monitor::transfers::to_csv(&self.rows)
    }
}

/// `reconcile`: the statement as text, CSV or JSON (`--format`); exit 9 on a discrepancy or
/// a statement that covers less than the period asked.
pub(crate) fn reconcile(
    c: &Ctx,
    journal: &Journal,
    node: impl FnOnce() -> Result<Node>,
    args: &crate::monitor::watch_cmd::ReconcileArgs<'_>,
    format: &str,
) -> Result<()> {
    let n = node()?;
    let r = statement(c, journal, &n, args, format);
    remember_genesis(c, journal, &n)?;
    r
}

/// Reconciles, prints the statement (and, beside CSV or JSON, its warnings on stderr), then
/// gives its verdict.
fn statement(
    c: &Ctx,
    journal: &Journal,
    n: &Node,
    args: &crate::monitor::watch_cmd::ReconcileArgs<'_>,
    format: &str,
) -> Result<()> {
    let format = Format::parse(format)?;
    let r = crate::monitor::watch_cmd::reconcile(journal, n, c.network, args)?;
    show_format(&r, format)?;
    if format != Format::Text {
        for w in r.warnings() {
            eprintln!("WARNING: {w}");
        }
    }
    r.verdict()
}

impl Csv for Reconciliation {
    fn csv(&self) -> Result<String> {
        crate::monitor::reconcile::to_csv(self)
    }
}
