//! `status`: payout counts by status, what can be rebuilt, approvals awaited, other journaled
//! operations and the signers' sealed policies.

use std::fmt;

use serde::Serialize;

use super::context::Ctx;
use super::output::show;
use crate::error::{BcError, Result};
use crate::journal::policy_heads::PolicyHead;
use crate::journal::Journal;
use crate::report::StatusSummary;

/// What `status` prints.
#[derive(Serialize)]
pub(crate) struct Status {
    #[serde(flatten)]
    summary: StatusSummary,
    signer_policies: Vec<PolicyHead>,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary)?;
        for p in &self.signer_policies {
            write!(
                f,
                "\nsigner {}: sealed policy seq {} (sha256 {})",
                p.signer, p.seq, p.digest
            )?;
        }
        Ok(())
    }
}

/// Refuses a `--batch` the journal does not hold.
pub(crate) fn require_batch(journal: &Journal, batch: Option<&str>) -> Result<()> {
    match batch {
        Some(b) if journal.batch(b)?.is_none() => Err(BcError::Input(format!("no batch {b:?}"))),
        _ => Ok(()),
    }
}

/// `status [--batch ID]`.
pub(crate) fn run(c: &Ctx, journal: &Journal, batch: Option<&str>) -> Result<()> {
    require_batch(journal, batch)?;
    // Permission updates are journaled like payouts but are not payouts: counted apart.
    let summary = crate::report::status_summary(journal, batch)?;
    let signer_policies = journal.policy_heads()?;
    show(
        c,
        &Status {
            summary,
            signer_policies,
        },
    );
    Ok(())
}
