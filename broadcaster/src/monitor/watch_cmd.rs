//! The `watch`, `transfers list` and `reconcile` commands: arguments checked, the work done,
//! the outcome returned for `cli` to render.

use std::time::Duration;

use coldpay_shared::{Address, Network};

use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::monitor::reconcile::Reconciliation;
use crate::monitor::transfers::TransferList;
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

/// `transfers list`: the recorded transfers since `--since` (of one account with `--address`).
pub fn list(
    journal: &Journal,
    network: Network,
    since: &str,
    address: Option<&str>,
) -> Result<TransferList> {
    let since_ms = crate::monitor::transfers::parse_time(since, "--since", false)?;
    let who = address.map(Address::parse).transpose()?;
    let rows = crate::monitor::transfers::list(journal, network, since_ms, who.as_ref())?;
    Ok(TransferList { rows, since_ms })
}

/// `reconcile`'s arguments.
pub struct ReconcileArgs<'a> {
    /// `--from`.
    pub from: &'a str,
    /// `--to`.
    pub to: &'a str,
    /// `--address`.
    pub addresses: &'a [String],
    /// `--audit FILE`: the signer's audit export.
    pub audit: Option<&'a std::path::Path>,
}

/// `reconcile`: walks the accounts up to the solidified head (recording what is new, raising
/// alarms for `watch` to announce), journals a balance snapshot for every account, then
/// reconciles (the statement's [`Reconciliation::verdict`] says whether it adds up).
pub fn reconcile(
    journal: &Journal,
    node: &Node,
    network: Network,
    a: &ReconcileArgs<'_>,
) -> Result<Reconciliation> {
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
    Ok(r)
}

fn read_audit(path: &std::path::Path) -> Result<coldpay_shared::audit_export::AuditExport> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BcError::Input(format!("--audit {}: {e}", path.display())))?;
    coldpay_shared::audit_export::AuditExport::from_json_str(&text)
        .map_err(|e| BcError::Input(format!("--audit {}: {e}", path.display())))
}
