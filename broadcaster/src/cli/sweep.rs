//! `sweep`: after an alarm, the next batch moving every remaining balance to a fresh wallet.

use std::fmt;

use coldpay_shared::Address;
use serde::Serialize;

use super::context::Ctx;
use super::output::show;
use crate::error::Result;
use crate::journal::Journal;
use crate::monitor::sweep::Swept;
use crate::node::Node;

/// What `sweep` recorded, shown with the fresh wallet it pays.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct SweepShown {
    swept: Swept,
    #[serde(skip)]
    to: Address,
}

impl fmt::Display for SweepShown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.swept;
        if let Some(b) = &s.batch {
            write!(f, "recorded sweep batch {b} ({} stage):", s.stage)?;
        }
        for p in &s.payouts {
            write!(f, "\n  {p} to {}", self.to)?;
        }
        if s.batch.is_some() {
            f.write_str("\n")?;
        }
        write!(f, "next: {}", s.next)
    }
}

/// `sweep --from OLD --to NEW`.
pub(crate) fn run(
    c: &Ctx,
    journal: &Journal,
    node: impl FnOnce() -> Result<Node>,
    from: &str,
    to: &str,
) -> Result<()> {
    let from = Address::parse(from)?;
    let to = Address::parse(to)?;
    journal.require_account(&from, c.network)?;
    let n = node()?;
    let multisig = c.account_permissions.contains_key(&from);
    let swept = crate::monitor::sweep::sweep(journal, &n, &c.tokens, &from, &to, multisig)?;
    show(c, &SweepShown { swept, to });
    Ok(())
}
