//! The `watch`, `transfers list` and `reconcile` commands: argument checks and output, so
//! cli.rs only dispatches.

use std::time::Duration;

use coldpay_shared::{Address, Network};

use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::monitor::watch::{RunOpts, Watcher};
use crate::node::Node;

/// The accounts to watch: `--address` (each must be an imported watch-only account) or every
/// imported one.
pub fn accounts(journal: &Journal, network: Network, given: &[String]) -> Result<Vec<Address>> {
    if given.is_empty() {
        let all = journal.accounts()?;
        if all.is_empty() {
            return Err(BcError::Input(
                "no watch-only accounts: import the signer's export first (`accounts import-watch`)"
                    .into(),
            ));
        }
        return Ok(all.into_iter().map(|a| a.address).collect());
    }
    given
        .iter()
        .map(|s| {
            let a = Address::parse(s)?;
            journal.require_account(&a, network)?;
            Ok(a)
        })
        .collect()
}

/// `watch`.
pub fn watch(
    journal: &Journal,
    node: &Node,
    network: Network,
    addresses: &[String],
    opts: &RunOpts,
) -> Result<()> {
    let w = Watcher {
        journal,
        node,
        network,
        accounts: accounts(journal, network, addresses)?,
        tokens: crate::tokens::registered(network),
    };
    crate::monitor::watch::run(&w, opts)
}

/// The `--poll` interval.
pub fn poll(s: &str) -> Result<Duration> {
    humantime::parse_duration(s).map_err(|e| BcError::Input(format!("--poll {s:?}: {e}")))
}

fn format_ok(format: &str) -> Result<()> {
    match format {
        "text" | "csv" | "json" => Ok(()),
        other => Err(BcError::Input(format!(
            "--format {other:?}: text, csv or json"
        ))),
    }
}

/// `transfers list`.
pub fn list(
    journal: &Journal,
    network: Network,
    since: &str,
    address: Option<&str>,
    format: &str,
) -> Result<()> {
    format_ok(format)?;
    let since = crate::monitor::transfers::parse_time(since, "--since", false)?;
    let who = address.map(Address::parse).transpose()?;
    let rows = crate::monitor::transfers::list(journal, network, since, who.as_ref())?;
    match format {
        "csv" => print!("{}", crate::monitor::transfers::to_csv(&rows)?),
        "json" => println!("{}", serde_json::to_string_pretty(&rows).expect("json")),
        _ if rows.is_empty() => println!(
            "no transfers recorded since {}",
            crate::monitor::transfers::rfc3339(since)
        ),
        _ => {
            for r in &rows {
                println!("{}", crate::monitor::transfers::human_line(r));
            }
        }
    }
    Ok(())
}

/// `reconcile`'s arguments.
pub struct ReconcileArgs<'a> {
    /// `--from`.
    pub from: &'a str,
    /// `--to`.
    pub to: &'a str,
    /// `--address`.
    pub addresses: &'a [String],
    /// `--format`.
    pub format: &'a str,
    /// `--audit FILE`: the signer's audit export.
    pub audit: Option<&'a std::path::Path>,
}

/// `reconcile`: walks the accounts up to the solidified head (recording what is new, raising
/// alarms for `watch` to announce), journals a balance snapshot for every account, then
/// reconciles. Fails with exit 9 when anything does not add up.
pub fn reconcile(
    journal: &Journal,
    node: &Node,
    network: Network,
    a: &ReconcileArgs<'_>,
) -> Result<()> {
    format_ok(a.format)?;
    let export = a.audit.map(read_audit).transpose()?;
    let from = crate::monitor::transfers::parse_time(a.from, "--from", false)?;
    let to = crate::monitor::transfers::parse_time(a.to, "--to", true)?;
    if to <= from {
        return Err(BcError::Input("--to must be after --from".into()));
    }
    let accounts = accounts(journal, network, a.addresses)?;
    let w = Watcher {
        journal,
        node,
        network,
        accounts: accounts.clone(),
        tokens: crate::tokens::registered(network),
    };
    w.pass(None, true)?;
    let names: Vec<String> = accounts.iter().map(Address::to_base58).collect();
    let times = std::cell::RefCell::new(std::collections::HashMap::new());
    let time = |n: u64| -> Result<u64> {
        if let Some(t) = times.borrow().get(&n) {
            return Ok(*t);
        }
        let t = node.solid_block(n)?.timestamp;
        times.borrow_mut().insert(n, t);
        Ok(t)
    };
    let mut r = crate::monitor::reconcile::reconcile(journal, network, &names, (from, to), &time)?;
    if let Some(e) = &export {
        r.audit = Some(crate::monitor::audit_check::check(
            journal,
            e,
            &mut r.discrepancies,
        )?);
    }
    match a.format {
        "csv" => print!("{}", crate::monitor::reconcile::to_csv(&r)?),
        "json" => println!("{}", serde_json::to_string_pretty(&r).expect("json")),
        _ => print!("{}", crate::monitor::reconcile::to_text(&r)),
    }
    let warnings = r.warnings();
    if a.format != "text" {
        for w in &warnings {
            eprintln!("WARNING: {w}");
        }
    }
    match (r.discrepancies.len(), warnings.len()) {
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

fn read_audit(path: &std::path::Path) -> Result<coldpay_shared::audit_export::AuditExport> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BcError::Input(format!("--audit {}: {e}", path.display())))?;
    coldpay_shared::audit_export::AuditExport::from_json_str(&text)
        .map_err(|e| BcError::Input(format!("--audit {}: {e}", path.display())))
}
